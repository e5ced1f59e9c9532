from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import ScopedReadOnlyViewSet

from ..models import Agency, User
from .serializers import AgencySerializer, MeSerializer, UserSerializer


class MeView(APIView):
    """The logged-in user: role, agency, region and permissions."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class AgencyViewSet(ScopedReadOnlyViewSet):
    queryset = Agency.objects.select_related("region")
    serializer_class = AgencySerializer
    filterset_fields = ["kind", "level", "region"]
    search_fields = ["name"]


class UserViewSet(ScopedReadOnlyViewSet):
    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_fields = ["role", "agency", "is_active"]
    search_fields = ["username", "full_name"]


class TokenView(ObtainAuthToken):
    """Exchange username and password for an API token (``Authorization: Token …``).

    Goes through the same authentication backend as the login page, so lock-out and failure counting apply.
    """

    permission_classes = [permissions.AllowAny]
