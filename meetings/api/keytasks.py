"""API of the joint meeting: keytasks — the key task list (``tasks/``: the secretariat adopts seed 000's template and
edits tasks; the lead and participating agencies POST their progress), the status per task and agency
(``tasks/status/``), and the yearly implementation reports (``yearly-reports/``: versions, their content, PDF and
DOCX downloads, audited; the secretariat compiles one on demand)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.accounts.models import Agency
from portal.api import DownloadRenderer, ScopedViewSetMixin
from portal.permissions import get_visible_or_404

from ..models import Committee, KeyTask, TaskProgress, YearlyReport
from ..services import keytasks as services
from ..services.committee import committee_for

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# --- serializers ---------------------------------------------------------------------------------------------


class KeyTaskSerializer(serializers.ModelSerializer):
    schedule_label = serializers.CharField(source="get_schedule_display", read_only=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    committee = serializers.PrimaryKeyRelatedField(
        queryset=Committee.objects.all(), required=False, help_text="Default: the caller's committee"
    )

    class Meta:
        model = KeyTask
        fields = [
            "id",
            "committee",
            "number",
            "title",
            "measures",
            "lead_agencies",
            "participants",
            "schedule",
            "schedule_label",
            "due_on",
            "phase",
            "phase_label",
            "template_number",
            "is_active",
        ]
        read_only_fields = ["template_number"]
        validators = []  # the service validates with the committee set

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            agencies = Agency.objects.visible_to(request.user).filter(is_active=True)
            self.fields["lead_agencies"].child_relation.queryset = agencies
            self.fields["participants"].child_relation.queryset = agencies
            self.fields["committee"].queryset = Committee.objects.visible_to(request.user)


class ProgressSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = TaskProgress
        fields = [
            "id",
            "task",
            "agency",
            "agency_name",
            "year",
            "quarter",
            "status",
            "text",
            "reported_by",
            "reported_at",
        ]
        read_only_fields = fields


class ProgressInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2020, max_value=2100)
    quarter = serializers.IntegerField(min_value=0, max_value=4, help_text="1–4, or 0 for the whole year")
    status = serializers.ChoiceField(choices=TaskProgress.Status.choices)
    text = serializers.CharField()


class CommitteeInputSerializer(serializers.Serializer):
    committee = serializers.IntegerField(required=False, help_text="Default: the caller's committee")


class AdoptionSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    tasks = KeyTaskSerializer(many=True)
    missing = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per template task number: the departments (责任部门) without an agency in the region, skipped",
    )


class AgencyStateSerializer(serializers.Serializer):
    agency = serializers.IntegerField(source="agency.pk")
    agency_name = serializers.CharField(source="agency.name")
    role = serializers.CharField()
    state = serializers.ChoiceField(choices=list(services.STATE_LABELS))
    state_label = serializers.CharField(source="label")
    period = serializers.SerializerMethodField()
    due_on = serializers.DateField(allow_null=True)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_period(self, obj):
        return {"year": obj.period[0], "quarter": obj.period[1]} if obj.period else None


class TaskStateSerializer(serializers.Serializer):
    task = serializers.IntegerField(source="task.pk")
    number = serializers.IntegerField(source="task.number")
    title = serializers.CharField(source="task.title")
    schedule = serializers.CharField(source="task.schedule")
    state = serializers.CharField()
    agencies = AgencyStateSerializer(many=True)


class YearlyReportSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(source="committee.name", read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = YearlyReport
        fields = [
            "id",
            "committee",
            "committee_name",
            "year",
            "version",
            "fingerprint",
            "compiled_at",
            "compiled_by",
            "files",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_files(self, obj) -> dict:
        from django.urls import reverse

        request = self.context.get("request")
        urls = {}
        for fmt in ("pdf", "docx"):
            url = reverse("api:meetings-yearlyreport-download", args=[obj.pk, fmt])
            urls[fmt] = request.build_absolute_uri(url) if request is not None else url
        return urls


class YearlyReportDetailSerializer(YearlyReportSerializer):
    class Meta(YearlyReportSerializer.Meta):
        fields = [*YearlyReportSerializer.Meta.fields, "content"]
        read_only_fields = fields


class CompileSerializer(CommitteeInputSerializer):
    year = serializers.IntegerField(min_value=2020, max_value=2100)


# --- views ---------------------------------------------------------------------------------------------------


def _committee(request, committee_id, *, editable: bool) -> Committee:
    if committee_id:
        return get_visible_or_404(Committee, request.user, editable=editable, pk=committee_id)
    committee = committee_for(request.user)
    if committee is None:
        raise Http404
    if editable:
        return get_visible_or_404(Committee, request.user, editable=True, pk=committee.pk)
    return committee


class KeyTaskViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The key tasks the caller sees (``?committee=<id>``, ``?active=true``). The secretariat adds and changes
    tasks (``is_active: false`` retires one) and adopts seed 000's eleven (``adopt-template``, idempotent); a lead
    or participating agency POSTs its progress for a period (``{id}/progress``)."""

    queryset = KeyTask.objects.prefetch_related("lead_agencies", "participants")
    serializer_class = KeyTaskSerializer
    ordering = ["committee", "number", "id"]
    required_permissions = {
        "adopt_template": "meetings.add_keytask",
        "progress": "meetings.add_taskprogress",
        "status": "meetings.view_keytask",
    }

    def get_queryset(self):
        if self.action == "progress":  # an agency reports on a task it sees; the service checks it takes part
            qs = self.queryset.visible_to(self.request.user)
        else:
            qs = super().get_queryset()
        committee = self.request.query_params.get("committee")
        if committee and committee.isdigit():
            qs = qs.filter(committee_id=int(committee))
        if self.request.query_params.get("active") in ("true", "1"):
            qs = qs.filter(is_active=True)
        return qs

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        committee = data.pop("committee", None)
        committee = _committee(request, committee.pk if committee else None, editable=True)
        task = services.create_task(actor=request.user, committee=committee, data=data)
        return Response(self.get_serializer(task).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        task = self.get_object()
        serializer = self.get_serializer(task, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("committee", None)
        task = services.update_task(actor=request.user, task=KeyTask.objects.get(pk=task.pk), data=data)
        return Response(self.get_serializer(KeyTask.objects.get(pk=task.pk)).data)

    @extend_schema(request=CommitteeInputSerializer, responses=AdoptionSerializer)
    @action(detail=False, methods=["post"], url_path="adopt-template")
    def adopt_template(self, request):
        """Adopt seed 000's eleven tasks: schedules from 时间安排, agencies by kind from 责任部门 (the first listed
        leads); departments without an agency in the region are skipped and listed in ``missing``."""
        data = self.input(CommitteeInputSerializer)
        committee = _committee(request, data.get("committee"), editable=True)
        result = services.adopt_template(actor=request.user, committee=committee)
        body = {
            "created": len(result.created),
            "tasks": result.created + result.kept,
            "missing": {str(k): v for k, v in result.missing.items()},
        }
        return Response(
            AdoptionSerializer(body, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(request=ProgressInputSerializer, responses={201: ProgressSerializer, 200: ProgressSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        """The caller's agency reports its progress for a period (one report per period: again changes it, until
        the year's implementation report has been compiled)."""
        task = self.get_object()
        data = self.input(ProgressInputSerializer)
        report, created = services.report_progress(actor=request.user, task=task, **data)
        return Response(ProgressSerializer(report).data, status=status.HTTP_201_CREATED if created else 200)

    @extend_schema(responses=TaskStateSerializer(many=True))
    @action(detail=False, methods=["get"])
    def status(self, request):
        """Per active task of the committee (``?committee=<id>``, default the caller's), each agency's state
        today: late, due, reported or done."""
        committee_id = request.query_params.get("committee")
        committee = _committee(
            request, int(committee_id) if committee_id and committee_id.isdigit() else None, editable=False
        )
        states = services.task_status(committee, services._today())
        return Response(TaskStateSerializer(states, many=True).data)


class YearlyReportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The yearly implementation reports: every version, newest first; the content in a version's detail; its PDF
    and DOCX (``files/pdf/``, ``files/docx/``; downloads audited). The secretariat compiles on demand (``compile``:
    a new version only when the content changed)."""

    queryset = YearlyReport.objects.select_related("committee")
    serializer_class = YearlyReportSerializer
    ordering = ["-year", "-version", "-id"]
    required_permissions = {"download": "meetings.view_yearlyreport", "compile": "meetings.add_yearlyreport"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "retrieve":
            qs = qs.defer("content")
        for key in ("committee", "year"):
            value = self.request.query_params.get(key)
            if value and value.isdigit():
                qs = qs.filter(**{f"{key}_id" if key == "committee" else key: int(value)})
        return qs

    def get_serializer_class(self):
        return YearlyReportDetailSerializer if self.action == "retrieve" else YearlyReportSerializer

    @extend_schema(
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["pdf", "docx"], description="File")],
        responses={(200, m): OpenApiTypes.BINARY for m in ("application/pdf", DOCX)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"files/(?P<fmt>[^/.]+)",
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def download(self, request, pk=None, fmt=None):
        """The version as PDF or DOCX (audited)."""
        if fmt not in ("pdf", "docx"):
            raise Http404
        report = YearlyReport.objects.visible_to(request.user).filter(pk=pk).select_related("committee").first()
        if report is None:
            self.get_object()  # 404, audited
        if fmt == "pdf":
            data, content_type = services.render_pdf(report), "application/pdf"
        else:
            data, content_type = services.render_docx(report), DOCX
        services.record_download(actor=request.user, report=report, fmt=fmt)
        from ..views.keytasks import file_response

        return file_response(data, services.report_file_name(report, fmt), content_type)

    @extend_schema(request=CompileSerializer, responses={201: YearlyReportDetailSerializer})
    @action(detail=False, methods=["post"])
    def compile(self, request):
        serializer = CompileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        committee = _committee(request, data.get("committee"), editable=True)
        report, created = services.compile_yearly_report(committee, data["year"], actor=request.user)
        return Response(
            YearlyReportDetailSerializer(report, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def register(router) -> None:
    """Add this area's viewsets to the meetings API router."""
    router.register("tasks", KeyTaskViewSet, basename="meetings-task")
    router.register("yearly-reports", YearlyReportViewSet, basename="meetings-yearlyreport")
