from rest_framework import serializers

from portal.api import ModelCleanSerializer
from portal.reference.models import Region

from ..models import ConstructionProject, Enterprise, InsuranceSnapshot


class EnterpriseSerializer(ModelCleanSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "credit_code",
            "name",
            "region",
            "region_name",
            "industry",
            "industry_name",
            "address",
            "owner_agency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner_agency", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.region is not None and "region" in self.fields:
            # An agency records enterprises of its own region subtree only (as in the form).
            self.fields["region"].queryset = Region.objects.subtree(user.region)


class InsuranceSnapshotSerializer(ModelCleanSerializer):
    class Meta:
        model = InsuranceSnapshot
        fields = [
            "id",
            "enterprise",
            "year",
            "quarter",
            "insured_employees",
            "premium_paid",
            "fund_payout",
            "owner_agency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner_agency", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "enterprise" in self.fields:
            # Only enterprises the caller can see: another county's looks the same as one that does not exist.
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)


class ConstructionProjectSerializer(ModelCleanSerializer):
    """Enterprise and site choices within the caller's scope (the service checks again); the general contractor is
    fixed once recorded, and the owning agency is the recording agency's."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    is_insured = serializers.BooleanField(read_only=True)

    class Meta:
        model = ConstructionProject
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "name",
            "permit_number",
            "sector",
            "region",
            "region_name",
            "contract_value",
            "workers",
            "started_on",
            "planned_end",
            "insured_on",
            "insured_workers",
            "premium",
            "is_insured",
            "owner_agency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner_agency", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        if "enterprise" in self.fields:
            if self.instance is not None:
                self.fields["enterprise"].read_only = True
            else:
                self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)
        user = request.user
        if "region" in self.fields and user.is_authenticated and user.region is not None:
            self.fields["region"].queryset = Region.objects.subtree(user.region)
