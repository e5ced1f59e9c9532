"""API of the portal's own records: the audit trail (auditor, read-only)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from portal.api import ScopedReadOnlyViewSet
from portal.models import AuditEvent, ImportBatch
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


class ImportBatchSerializer(serializers.ModelSerializer):
    class Meta:
        from portal.models import ImportBatch

        model = ImportBatch
        fields = [
            "id",
            "kind",
            "original_name",
            "status",
            "row_count",
            "summary",
            "errors",
            "created_at",
            "committed_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="enterprises.enterprise or incidents.injurycase")
    file = serializers.FileField()


class ImportBatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Bulk import as an API call: POST a file (validated whole, nothing saved), read the preview and the errors,
    then POST ``confirm`` to commit all rows or none. A caller sees only their own imports."""

    serializer_class = ImportBatchSerializer
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return ImportBatch.objects.visible_to(self.request.user)

    @extend_schema(request=ImportUploadSerializer, responses=ImportBatchSerializer)
    def create(self, request):
        from portal import imports

        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        spec = imports.get_spec(data.validated_data["kind"])
        if spec is None:
            raise ValidationError({"kind": [_("Unknown kind of data.")]})
        upload = data.validated_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError({"file": [_("Upload an .xlsx or .csv file.")]})
        batch = imports.upload(actor=request.user, spec=spec, uploaded_file=upload)
        return Response(ImportBatchSerializer(batch).data, status=201)

    @extend_schema(request=None, responses=ImportBatchSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        from portal import imports

        batch = self.get_object()
        spec = imports.get_spec(batch.kind)
        if spec is None or not spec.may_import(request.user):
            raise PermissionDenied
        deferred = imports.request_confirm(actor=request.user, batch=batch)
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=202 if deferred else 200)
