from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Agency, User


class AgencySerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "kind", "level", "region", "region_name", "is_lead", "phone", "address", "is_active"]
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "title",
            "email",
            "phone",
            "role",
            "agency",
            "enterprise",
            "is_active",
            "last_login",
        ]
        read_only_fields = fields


class RegionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    agency = AgencySerializer(read_only=True)
    region = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    password_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "role",
            "agency",
            "enterprise",
            "region",
            "permissions",
            "password_expires_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RegionBriefSerializer(allow_null=True))
    def get_region(self, user):
        region = user.region
        return None if region is None else {"id": region.pk, "code": region.code, "name": region.name}

    def get_permissions(self, user) -> list[str]:
        return sorted(user.get_all_permissions())
