"""API of the portal's own records: the audit trail (auditor, read-only)."""

from rest_framework import serializers, viewsets

from portal.api import ScopedReadOnlyViewSet
from portal.models import AuditEvent
from portal.reference.models import Industry, Region


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "verb",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "note",
            "ip_address",
            "request_path",
        ]
        read_only_fields = fields


class AuditEventViewSet(ScopedReadOnlyViewSet):
    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_fields = ["verb", "object_type", "object_id", "actor"]
    search_fields = ["actor_name", "object_repr", "note"]


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent", "path", "depth", "is_active", "is_custom"]
        read_only_fields = fields


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["id", "code", "name", "level", "parent", "path", "depth"]
        read_only_fields = fields


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Official code lists: readable by every logged-in role that has the view permission."""

    filterset_fields = ["level", "parent", "code"]
    search_fields = ["code", "name"]

    def get_queryset(self):
        qs = self.model.objects.all()
        under = self.request.query_params.get("under")
        if under:
            root = self.model.objects.filter(code=under).first()
            qs = qs.subtree(root) if root is not None else qs.none()
        return qs


class RegionViewSet(ReferenceViewSet):
    """Regions (GB/T 2260 and NBS towns). ``?under=330784`` lists a whole subtree."""

    model = Region
    serializer_class = RegionSerializer
    queryset = Region.objects.all()
    filterset_fields = ["level", "parent", "code", "is_active"]


class IndustryViewSet(ReferenceViewSet):
    """Industries (GB/T 4754-2017). ``?under=C`` lists all of manufacturing."""

    model = Industry
    serializer_class = IndustrySerializer
    queryset = Industry.objects.all()
