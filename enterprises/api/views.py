from portal.api import ScopedModelViewSet

from ..filters import EnterpriseFilterSet
from ..models import Enterprise
from .serializers import EnterpriseSerializer


class EnterpriseViewSet(ScopedModelViewSet):
    queryset = Enterprise.objects.select_related("region", "industry", "owner_agency")
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    ordering_fields = ["name", "credit_code", "created_at"]
    ordering = ["name"]

    def create_extra(self):
        return {"owner_agency": self.request.user.agency}
