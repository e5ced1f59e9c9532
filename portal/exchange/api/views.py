"""The quarterly exchange's REST API (DESIGN §3.4): scoped reads, and one service call per write or state change.

Reads go through ``visible_to`` (an agency sees its region subtree and the regions above it), writes and actions
on an object through ``editable_by`` (the secretariat of the object's region; an agency its own quarters). Out of
scope is a 404; a role without the permission gets 403. Another government system pulls a report's JSON from
``reports/latest/`` and ``reports/{id}/files/json/`` and checks it against ``reports/schema/`` and its SHA-256.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import DownloadRenderer, ScopedViewSetMixin
from portal.jobs import enqueue
from portal.locks import DataKind
from portal.permissions import in_region_tree, is_secretariat_of
from portal.reference.models import Region

from .. import selectors, services, tasks
from ..models import (
    DEFAULT_DUE_DAYS,
    Confirmation,
    ConfirmationEvent,
    ExchangeReport,
    Obligation,
    ReportFile,
    quarter_bounds,
)
from . import serializers as s

FILE_TYPES = {
    ReportFile.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFile.Format.PDF: "application/pdf",
    ReportFile.Format.JSON: "application/json",
}

# --- filters ------------------------------------------------------------------------------------------------------


class ObligationFilterSet(filters.FilterSet):
    agency = filters.NumberFilter(field_name="agency_id")
    region = filters.CharFilter(field_name="agency__region__code", help_text="Region code of the agency")
    kind = filters.ChoiceFilter(choices=DataKind.choices)
    is_active = filters.BooleanFilter()

    class Meta:
        model = Obligation
        fields = ["agency", "region", "kind", "is_active"]


class ConfirmationFilterSet(filters.FilterSet):
    year = filters.NumberFilter()
    quarter = filters.NumberFilter()
    agency = filters.NumberFilter(field_name="agency_id")
    state = filters.ChoiceFilter(choices=Confirmation.State.choices)

    class Meta:
        model = Confirmation
        fields = ["year", "quarter", "agency", "state"]


class ExchangeReportFilterSet(filters.FilterSet):
    region = filters.CharFilter(field_name="region__code", help_text="Region code, e.g. 330784")
    year = filters.NumberFilter()
    quarter = filters.NumberFilter()

    class Meta:
        model = ExchangeReport
        fields = ["region", "year", "quarter"]


# --- shared -------------------------------------------------------------------------------------------------------


def _agency_of(user):
    agency = getattr(user, "agency", None)
    if agency is None:
        raise PermissionDenied(_("Only member agencies take part in the quarterly exchange."))
    return agency


def _quarter(year, quarter) -> tuple[int, int]:
    serializer = s.QuarterSerializer(data={"year": year, "quarter": quarter})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["year"], serializer.validated_data["quarter"]


_EVENTS = Prefetch("events", queryset=ConfirmationEvent.objects.select_related("actor"))


# --- obligations --------------------------------------------------------------------------------------------------


class ObligationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """What each member agency owes the exchange each quarter. The secretariat of the agency's region sets it
    (``set_obligation``; POST for an agency that already owes that data changes its obligation)."""

    queryset = Obligation.objects.select_related("agency__region")
    serializer_class = s.ObligationSerializer
    filterset_class = ObligationFilterSet
    ordering = ["agency__region__path", "agency__kind", "kind", "id"]
    required_permissions = {"apply_defaults": "exchange.add_obligation"}

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.ObligationUpdateSerializer
        return s.ObligationSerializer

    def create(self, request, *args, **kwargs):
        data = self.input(s.ObligationSerializer)
        since = timezone.now()
        obligation = services.set_obligation(
            actor=request.user,
            agency=data["agency"],
            kind=data["kind"],
            due_days=data.get("due_days", DEFAULT_DUE_DAYS),
            is_active=data.get("is_active", True),
            note=data.get("note", ""),
        )
        created = obligation.created_at >= since
        return Response(
            self.get_serializer(obligation).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def update(self, request, *args, **kwargs):
        obligation = self.get_object()
        serializer = s.ObligationUpdateSerializer(
            obligation, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        obligation = services.set_obligation(
            actor=request.user,
            agency=obligation.agency,
            kind=obligation.kind,
            due_days=data.get("due_days", obligation.due_days),
            is_active=data.get("is_active", obligation.is_active),
            note=data.get("note", obligation.note),
        )
        return Response(self.get_serializer(obligation).data)

    @extend_schema(request=None, responses=s.AppliedDefaultsSerializer)
    @action(detail=False, methods=["post"], url_path="apply-defaults")
    def apply_defaults(self, request):
        """The default obligations (DESIGN §3.4) for the agencies of the secretariat's region that owe nothing yet:
        人社 cases, recognitions and insurance figures; 卫健 diagnoses; 应急 accidents; 住建 and 交通运输 projects."""
        region = _agency_of(request.user).region
        created = services.apply_default_obligations(actor=request.user, region=region)
        body = {"created": len(created), "obligations": created}
        return Response(
            s.AppliedDefaultsSerializer(body, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- confirmations ------------------------------------------------------------------------------------------------


class ConfirmationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The agencies' confirmed (locked) and reopened quarters, each with its confirmations and reopenings."""

    queryset = Confirmation.objects.select_related("agency__region").prefetch_related(_EVENTS)
    serializer_class = s.ConfirmationSerializer
    filterset_class = ConfirmationFilterSet
    ordering = ["-year", "-quarter", "agency__region__path", "agency__kind", "id"]
    required_permissions = {"confirm": "exchange.add_confirmation", "reopen": "exchange.reopen_confirmation"}

    def _fresh(self, confirmation):
        return self.queryset.get(pk=confirmation.pk)

    @extend_schema(request=s.QuarterSerializer, responses={201: s.ConfirmationSerializer})
    @action(detail=False, methods=["post"])
    def confirm(self, request):
        """The caller's agency confirms its data of an ended quarter: its records of the quarter, of the data it
        owes, are locked until the secretariat reopens the quarter."""
        data = self.input(s.QuarterSerializer)
        confirmation = services.confirm_quarter(actor=request.user, year=data["year"], quarter=data["quarter"])
        return Response(self.get_serializer(self._fresh(confirmation)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReopenSerializer, responses=s.ConfirmationSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """The secretariat reopens a confirmed quarter, with a reason: the agency may correct its records and
        confirms again (a new report version follows)."""
        confirmation = self.get_object()
        data = self.input(s.ReopenSerializer)
        confirmation = services.reopen_quarter(actor=request.user, confirmation=confirmation, reason=data["reason"])
        return Response(self.get_serializer(self._fresh(confirmation)).data)


# --- an agency's quarter and the board ----------------------------------------------------------------------------


class QuarterView(APIView):
    """The caller's agency's quarter: what it owes, by when, what it has entered per kind of data (records per
    month, incomplete records) and whether it has confirmed."""

    required_permissions = {None: "exchange.view_confirmation"}

    @extend_schema(responses=s.AgencyQuarterSerializer)
    def get(self, request, year: int, quarter: int):
        year, quarter = _quarter(year, quarter)
        agency = _agency_of(request.user)
        today = services._today()
        kinds = [o.kind for o in selectors.obligations_of(agency)]
        start, end = quarter_bounds(year, quarter)
        confirmation = (
            Confirmation.objects.filter(agency=agency, year=year, quarter=quarter)
            .select_related("agency__region")
            .prefetch_related(_EVENTS)
            .first()
        )
        row = next(
            (r for r in selectors.board(agency.region, year, quarter, today) if r["agency"].pk == agency.pk), None
        )
        has_ended = selectors.has_ended(year, quarter, today)
        body = {
            "year": year,
            "quarter": quarter,
            "start": start,
            "end": end,
            "has_ended": has_ended,
            "agency": agency,
            "kinds": kinds,
            "due_on": row["due_on"] if row else None,
            "entries": selectors.quarter_entries(agency, year, quarter, kinds),
            "status": row["status"] if row else None,
            "status_label": row["status_label"] if row else None,
            "can_confirm": has_ended and bool(kinds) and not (confirmation is not None and confirmation.is_locked),
            "confirmation": confirmation,
        }
        return Response(s.AgencyQuarterSerializer(body, context={"request": request}).data)


class QuarterBoardView(APIView):
    """Every member agency of the caller's region that owes data: what, by when, and where its quarter stands
    (confirmed on time or late, reopened, not yet confirmed, overdue)."""

    required_permissions = {None: "exchange.view_confirmation"}

    @extend_schema(responses=s.BoardSerializer)
    def get(self, request, year: int, quarter: int):
        year, quarter = _quarter(year, quarter)
        region = _agency_of(request.user).region
        rows = selectors.board(region, year, quarter, services._today())
        body = {"region": region, "year": year, "quarter": quarter, "rows": rows}
        return Response(s.BoardSerializer(body, context={"request": request}).data)


# --- reports ------------------------------------------------------------------------------------------------------


class ExchangeReportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The consolidated quarterly reports: every version of a region's quarter, newest first, with its files
    (XLSX, PDF, JSON) and their SHA-256 checksums; a version's figures (``content``) in its detail."""

    queryset = ExchangeReport.objects.select_related("region").prefetch_related("files")
    serializer_class = s.ExchangeReportSerializer
    filterset_class = ExchangeReportFilterSet
    ordering = ["-created_at", "-id"]
    _view = "exchange.view_exchangereport"
    required_permissions = {
        "download": _view,
        "latest": _view,
        "document_schema": _view,
        "build": "exchange.build_exchangereport",
    }

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action not in ("retrieve", "latest"):
            qs = qs.defer("content")  # the figures only in a version's detail
        return qs

    def get_serializer_class(self):
        if self.action in ("retrieve", "latest"):
            return s.ExchangeReportDetailSerializer
        return s.ExchangeReportSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "file_format", str, OpenApiParameter.PATH, enum=list(ReportFile.Format.values), description="File"
            )
        ],
        responses={(200, media): OpenApiTypes.BINARY for media in FILE_TYPES.values()},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"files/(?P<file_format>[^/.]+)",
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
    )
    def download(self, request, pk=None, file_format=None):
        """One file of the version, as a download (audited); its SHA-256 is the file entry's ``sha256``."""
        report = self.get_object()
        report_file = next((f for f in report.files.all() if f.format == file_format), None)
        if report_file is None:
            raise Http404
        services.record_download(actor=request.user, report_file=report_file)
        response = FileResponse(
            report_file.file.open("rb"),
            as_attachment=True,
            filename=report_file.filename,
            content_type=FILE_TYPES[report_file.format],
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        response["ETag"] = f'"{report_file.sha256}"'
        return response

    @extend_schema(
        parameters=[s.LatestReportQuerySerializer],
        responses={200: s.ExchangeReportDetailSerializer, 404: OpenApiResponse(description="No report yet")},
    )
    @action(detail=False, methods=["get"])
    def latest(self, request):
        """The latest version of a region's quarter (default region: the caller's agency's)."""
        query = self.input(s.LatestReportQuerySerializer, data=request.query_params)
        code = query.get("region") or _agency_of(request.user).region.code
        report = (
            self.get_queryset()
            .filter(region__code=code, year=query["year"], quarter=query["quarter"])
            .order_by("-version")
            .first()
        )
        if report is None:
            raise NotFound(_("There is no report of this region and quarter yet."))
        return Response(self.get_serializer(report).data)

    @extend_schema(request=s.BuildReportSerializer, responses={202: s.BuildQueuedSerializer})
    @action(detail=False, methods=["post"])
    def build(self, request):
        """The secretariat has the report of an ended quarter built now (a background job; every member agency is
        told when a new version is ready; the same figures again make no new version)."""
        data = self.input(s.BuildReportSerializer)
        code = data.get("region") or _agency_of(request.user).region.code
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise ValidationError({"region": [_("There is no region with this code.")]})
        if not in_region_tree(request.user, region):
            raise NotFound  # outside the caller's scope: as if it did not exist
        if not is_secretariat_of(request.user, region):
            raise PermissionDenied(_("Only the joint meeting's secretariat builds the exchange report."))
        year, quarter = data["year"], data["quarter"]
        if not selectors.has_ended(year, quarter, services._today()):
            raise ValidationError({"quarter": [_("A report can be built only after the quarter has ended.")]})
        enqueue(
            tasks.build_report,
            region.pk,
            year,
            quarter,
            trigger=ExchangeReport.Trigger.ON_DEMAND.value,
            actor_id=request.user.pk,
        )
        message = _("The report is being built; every member agency will be told when it is ready.")
        body = {"detail": message, "region": region.code, "year": year, "quarter": quarter}
        return Response(s.BuildQueuedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], url_path="schema", url_name="schema")
    def document_schema(self, request):
        """The JSON Schema of a report version's JSON file (its meta data and ``content``), for the systems that pull
        it."""
        from .. import renderers as report_renderers

        return Response(report_renderers.REPORT_SCHEMA)
