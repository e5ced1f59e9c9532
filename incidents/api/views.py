from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portal.api import ScopedModelViewSet
from portal.permissions import may_record

from .. import services
from ..filters import InjuryCaseFilterSet
from ..models import InjuryCase
from .serializers import InjuryCaseSerializer, UnmaskedSerializer, UnmaskInputSerializer


class InjuryCaseViewSet(ScopedModelViewSet):
    queryset = InjuryCase.objects.select_related("enterprise", "accident_type")
    serializer_class = InjuryCaseSerializer
    filterset_class = InjuryCaseFilterSet
    ordering_fields = ["occurred_at", "recognized_on"]
    ordering = ["-occurred_at", "-id"]
    required_permissions = {"unmask": "incidents.unmask_injurycase"}

    def create_extra(self):
        return {"owner_agency": self.request.user.agency}

    def perform_create(self, serializer):
        if not may_record(self.request.user, InjuryCase):
            raise PermissionDenied
        serializer.instance = services.record_injury_case(actor=self.request.user, data=dict(serializer.validated_data))

    @extend_schema(request=UnmaskInputSerializer, responses=UnmaskedSerializer)
    @action(detail=True, methods=["post"])
    def unmask(self, request, pk=None):
        """The personal data in clear, for the owning agency, with a reason that goes into the audit trail."""
        case = self.get_object()
        data = UnmaskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            services.unmask_injury_case(actor=request.user, case=case, reason=data.validated_data["reason"])
        )
