from portal.api import ScopedModelViewSet

from ..filters import EnterpriseFilterSet
from ..models import Enterprise, InsuranceSnapshot
from .serializers import EnterpriseSerializer, InsuranceSnapshotSerializer


class EnterpriseViewSet(ScopedModelViewSet):
    queryset = Enterprise.objects.select_related("region", "industry", "owner_agency")
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    ordering_fields = ["name", "credit_code", "created_at"]
    ordering = ["name"]

    def create_extra(self):
        return {"owner_agency": self.request.user.agency}


class InsuranceSnapshotViewSet(ScopedModelViewSet):
    queryset = InsuranceSnapshot.objects.select_related("enterprise", "owner_agency")
    serializer_class = InsuranceSnapshotSerializer
    filterset_fields = ["enterprise", "year", "quarter"]
    ordering_fields = ["year", "quarter", "insured_employees"]
    ordering = ["-year", "-quarter"]

    def create_extra(self):
        return {"owner_agency": self.request.user.agency}
