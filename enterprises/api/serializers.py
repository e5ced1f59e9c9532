from rest_framework import serializers

from portal.api import ModelCleanSerializer

from ..models import Enterprise


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
