from rest_framework.exceptions import PermissionDenied

from portal.api import ScopedModelViewSet
from portal.permissions import may_record

from .. import services
from ..filters import ConstructionProjectFilterSet, EnterpriseFilterSet
from ..models import ConstructionProject, Enterprise, InsuranceSnapshot
from .serializers import ConstructionProjectSerializer, EnterpriseSerializer, InsuranceSnapshotSerializer


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


class ConstructionProjectViewSet(ScopedModelViewSet):
    """Construction projects and their per-project insurance; created and changed through the services (agency kind,
    scope, owner)."""

    queryset = ConstructionProject.objects.select_related("enterprise", "region", "owner_agency")
    serializer_class = ConstructionProjectSerializer
    filterset_class = ConstructionProjectFilterSet
    ordering_fields = ["started_on", "name", "permit_number", "workers", "insured_on"]
    ordering = ["-started_on", "-id"]

    def create_extra(self):
        return {"owner_agency": self.request.user.agency}

    def create(self, request, *args, **kwargs):
        # The agency-kind rule first: a 人社 clerk posting a project is refused, not told about field errors.
        if not may_record(request.user, ConstructionProject):
            raise PermissionDenied
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = services.record_construction_project(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        instance = ConstructionProject.objects.get(pk=serializer.instance.pk)
        serializer.instance = services.update_construction_project(
            actor=self.request.user, instance=instance, data=dict(serializer.validated_data)
        )
