"""The loop's REST API: scoped reads, and one service call per write or state change (POST actions).

Reads go through ``visible_to`` (an officer sees only their own enterprise); writes and staff actions through
``editable_by`` (the owning agency), except the officer's own actions listed in ``visible_actions``, which the
service re-checks. Out of scope is a 404; a role without the permission gets 403.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from incidents.models import InjuryCase
from portal.api import ScopedViewSetMixin

from .. import services
from ..filters.rectification import NoticeLetterFilterSet
from ..filters.screening import (
    BulletinFilterSet,
    BulletinPublicFilterSet,
    OutcomeFilterSet,
    ScreeningResultFilterSet,
    ScreeningRuleFilterSet,
    ScreeningRunFilterSet,
)
from ..models import (
    Bulletin,
    CaseWarning,
    DeadlineExtension,
    NoticeLetter,
    Outcome,
    RectificationReport,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
)
from . import serializers as s

# The pages' FilterSets, plus the ids an API client filters by.


class RuleFilters(ScreeningRuleFilterSet):
    region = filters.NumberFilter(field_name="region_id")

    class Meta(ScreeningRuleFilterSet.Meta):
        fields = [*ScreeningRuleFilterSet.Meta.fields, "region"]


class RunFilters(ScreeningRunFilterSet):
    region = filters.NumberFilter(field_name="region_id")

    class Meta(ScreeningRunFilterSet.Meta):
        fields = [*ScreeningRunFilterSet.Meta.fields, "region"]


class ResultFilters(ScreeningResultFilterSet):
    run = filters.NumberFilter(field_name="run_id")
    enterprise = filters.NumberFilter(field_name="enterprise_id")

    class Meta(ScreeningResultFilterSet.Meta):
        fields = [*ScreeningResultFilterSet.Meta.fields, "run", "enterprise"]


class NoticeFilters(NoticeLetterFilterSet):
    run = filters.NumberFilter(field_name="run_id")
    enterprise = filters.NumberFilter(field_name="enterprise_id")

    class Meta(NoticeLetterFilterSet.Meta):
        fields = [*NoticeLetterFilterSet.Meta.fields, "run", "enterprise"]


class OutcomeFilters(OutcomeFilterSet):
    enterprise = filters.NumberFilter(field_name="enterprise_id")
    notice = filters.NumberFilter(field_name="notice_id")
    trigger = filters.ChoiceFilter(choices=Outcome.Trigger.choices)

    class Meta(OutcomeFilterSet.Meta):
        fields = [*OutcomeFilterSet.Meta.fields, "enterprise", "notice", "trigger"]


class BulletinFilters(BulletinFilterSet):
    region = filters.NumberFilter(field_name="region_id")

    class Meta(BulletinFilterSet.Meta):
        fields = [*BulletinFilterSet.Meta.fields, "region"]


class LoopViewSetMixin(ScopedViewSetMixin):
    """Scope by method as ``ScopedViewSetMixin`` does, but let the officer's own actions read through the
    visible scope."""

    visible_actions: frozenset[str] = frozenset()

    def get_queryset(self):
        qs = self.queryset.all()
        if self.request.method in permissions.SAFE_METHODS or self.action in self.visible_actions:
            return qs.visible_to(self.request.user)
        return qs.editable_by(self.request.user)


def _created(obj, since) -> int:
    """201 if the service made ``obj`` during this request, 200 if it returned an existing one."""
    return status.HTTP_201_CREATED if obj.created_at >= since else status.HTTP_200_OK


# --- screening rules ---------------------------------------------------------------------------------------------


class ScreeningRuleViewSet(
    LoopViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Versions of the regions' screening thresholds. POST writes the region's draft (``draft_rule``)."""

    queryset = ScreeningRule.objects.select_related("region")
    serializer_class = s.ScreeningRuleSerializer
    filterset_class = RuleFilters
    ordering = ["region__path", "-version"]
    required_permissions = {"publish": "prevention.add_screeningrule", "preview": "prevention.view_screeningrule"}

    def create(self, request, *args, **kwargs):
        data = dict(self.input(s.ScreeningRuleSerializer))
        since = timezone.now()
        rule = services.draft_rule(actor=request.user, region=data.pop("region"), data=data)
        return Response(self.get_serializer(rule).data, status=_created(rule, since))

    @extend_schema(request=None, responses=s.ScreeningRuleSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Put the draft in force (its ``note`` must say why the thresholds change)."""
        rule = services.publish_rule(actor=request.user, rule=self.get_object())
        return Response(self.get_serializer(rule).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=["annual", "rolling"], description="Annual (with year) or rolling"),
            OpenApiParameter("year", int, description="The year of an annual period"),
        ],
        responses=s.RulePreviewSerializer,
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """Which enterprises these thresholds would flag, against the rule in force (nothing is written)."""
        rule = self.get_object()
        query = self.input(s.PreviewQuerySerializer, data=request.query_params)
        if query["period"] == ScreeningRun.Kind.ANNUAL:
            window = services.annual_window(query["year"])
        else:
            window = services.rolling_window(timezone.localdate())
        preview = services.preview_rule(draft=rule, window=window)
        current = preview["current"]
        body = {
            "rule": {"id": rule.pk, "version": rule.version, "thresholds": rule.thresholds},
            "current": current and {"id": current.pk, "version": current.version, "thresholds": current.thresholds},
            "period_start": window.start,
            "period_end": window.end,
            "enterprises": preview["enterprises"],
            "proposed_multi": preview["proposed_multi"],
            "current_multi": preview["current_multi"],
            "added": [s.preview_figures(name, row) for name, row in preview["added"]],
            "removed": [s.preview_figures(name, row) for name, row in preview["removed"]],
        }
        return Response(s.RulePreviewSerializer(body).data)


# --- screening runs and results ----------------------------------------------------------------------------------


class ScreeningRunViewSet(
    LoopViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Screenings. POST runs one (``run_screening``; running the same one again returns it)."""

    queryset = ScreeningRun.objects.select_related("region", "rule")
    serializer_class = s.ScreeningRunSerializer
    filterset_class = RunFilters
    ordering = ["-period_end", "-id"]
    required_permissions = {
        "issue_notices": "prevention.issue_noticeletter",
        "publish": "prevention.publish_screeningrun",
    }

    @extend_schema(request=s.ScreeningRunCreateSerializer, responses={201: s.ScreeningRunSerializer})
    def create(self, request, *args, **kwargs):
        data = self.input(s.ScreeningRunCreateSerializer)
        if data["kind"] == ScreeningRun.Kind.ANNUAL:
            window = services.annual_window(data["year"])
        else:
            window = services.rolling_window(timezone.localdate())
        since = timezone.now()
        run = services.run_screening(actor=request.user, region=data["region"], kind=data["kind"], window=window)
        return Response(self.get_serializer(run).data, status=_created(run, since))

    @extend_schema(request=s.IssueNoticesSerializer, responses=s.IssuedSerializer)
    @action(detail=True, methods=["post"], url_path="issue-notices")
    def issue_notices(self, request, pk=None):
        """告知书 to every multi-incident enterprise without one; a second call creates none."""
        run = self.get_object()
        data = self.input(s.IssueNoticesSerializer)
        try:
            created = services.issue_notices(actor=request.user, run=run, issued_on=data.get("issued_on"))
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError({"issued_on": exc.messages}) from exc
        return Response({"created": created})

    @extend_schema(request=s.PublishScreeningSerializer, responses=s.ScreeningRunSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the multi-incident list to the agencies of a region."""
        run = self.get_object()
        data = self.input(s.PublishScreeningSerializer)
        run = services.publish_screening(actor=request.user, run=run, scope=data["published_to"])
        return Response(self.get_serializer(run).data)


class ScreeningResultViewSet(LoopViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Each enterprise's figures and class in a screening (``?run=``), with the rules met and its posts."""

    queryset = ScreeningResult.objects.select_related("enterprise", "notice")
    serializer_class = s.ScreeningResultSerializer
    filterset_class = ResultFilters
    ordering = ["run", "category", "-cases", "enterprise_id"]
    required_permissions = {"list": "prevention.view_screeningrun", "retrieve": "prevention.view_screeningrun"}


# --- notice letters and extensions ----------------------------------------------------------------------------------


class PdfRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data, default=str).encode()


class NoticeLetterViewSet(LoopViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """告知书 with deadlines, the latest report's state and the extensions asked for."""

    queryset = NoticeLetter.objects.select_related("enterprise", "run").prefetch_related(
        "extensions",
        # The versions' states only (a few per notice), for the latest report's state: one query per page, and
        # the list's count stays a plain count of notices.
        Prefetch(
            "reports",
            queryset=RectificationReport.objects.only("id", "notice_id", "version", "state").order_by("-version"),
            to_attr="report_versions",
        ),
    )
    serializer_class = s.NoticeLetterSerializer
    filterset_class = NoticeFilters
    ordering = ["-issued_on", "-id"]
    visible_actions = frozenset({"request_extension"})
    required_permissions = {
        "request_extension": "prevention.request_extension",
        "pdf": "prevention.view_noticeletter",
    }

    def get_serializer_class(self):
        return s.NoticeLetterDetailSerializer if self.action == "retrieve" else s.NoticeLetterSerializer

    @extend_schema(request=s.ExtensionRequestSerializer, responses={201: s.DeadlineExtensionSerializer})
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, pk=None):
        """The officer asks for a later deadline, with a reason, before the deadline."""
        notice = self.get_object()
        data = self.input(s.ExtensionRequestSerializer)
        ext = services.request_extension(
            actor=request.user, notice=notice, requested_date=data["requested_date"], reason=data["reason"]
        )
        return Response(s.DeadlineExtensionSerializer(ext).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        """The notice letter as a typeset PDF."""
        from ..letters import notice_pdf

        notice = self.get_object()
        return HttpResponse(
            notice_pdf(notice),
            content_type="application/pdf",
            headers={"Content-Disposition": content_disposition_header(False, f"{notice.number}.pdf")},
        )


class DeadlineExtensionViewSet(LoopViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Requests for a later deadline and the agency's decisions (both kept)."""

    queryset = DeadlineExtension.objects.all()
    serializer_class = s.DeadlineExtensionSerializer
    filterset_fields = ["notice", "state"]
    ordering = ["-requested_at", "-id"]
    required_permissions = {
        "list": "prevention.view_noticeletter",
        "retrieve": "prevention.view_noticeletter",
        "decide": "prevention.decide_extension",
    }

    @extend_schema(request=s.ExtensionDecisionSerializer, responses=s.DeadlineExtensionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Grant a new deadline (the requested date unless another is given) or refuse with a reason."""
        extension = self.get_object()
        data = self.input(s.ExtensionDecisionSerializer)
        ext = services.decide_extension(
            actor=request.user,
            extension=extension,
            grant=data["grant"],
            reason=data["decision_reason"],
            granted_date=data.get("granted_date"),
        )
        return Response(self.get_serializer(ext).data)


# --- rectification reports ----------------------------------------------------------------------------------------


class RectificationReportViewSet(
    LoopViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Every version of the reports. POST (notice + fields) and PATCH save the officer's working draft."""

    queryset = RectificationReport.objects.select_related("notice__enterprise").prefetch_related("attachments")
    serializer_class = s.RectificationReportSerializer
    filterset_fields = ["notice", "state"]
    ordering = ["notice", "-version"]
    _officer = "prevention.add_rectificationreport"
    _reviewer = "prevention.review_rectificationreport"
    required_permissions = {
        "partial_update": _officer,
        "submit": _officer,
        "attachments": _officer,
        "accept": _reviewer,
        "return_report": _reviewer,
    }

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.RectificationReportUpdateSerializer
        return s.RectificationReportSerializer

    def create(self, request, *args, **kwargs):
        data = dict(self.input(s.RectificationReportSerializer))
        since = timezone.now()
        report = services.save_report(actor=request.user, notice=data.pop("notice"), data=data)
        return Response(self.get_serializer(report).data, status=_created(report, since))

    def partial_update(self, request, *args, **kwargs):
        report = self.get_object()
        data = self.input(s.RectificationReportUpdateSerializer)
        if report.state != RectificationReport.State.DRAFT:
            raise ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("Only a draft can be changed; start the next version.")]}
            )
        report = services.save_report(actor=request.user, notice=report.notice, data=dict(data))
        return Response(self.get_serializer(self._fresh(report)).data)

    def _fresh(self, report):
        return self.queryset.get(pk=report.pk)

    @extend_schema(request=None, responses=s.RectificationReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the draft for review (every case analysed, every post's measures, the four 不放过)."""
        report = services.submit_report(actor=request.user, report=self.get_object())
        return Response(self.get_serializer(self._fresh(report)).data)

    @extend_schema(request=s.ReviewSerializer, responses=s.RectificationReportSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept the submitted report: the notice's rectification is complete."""
        report = self.get_object()
        data = self.input(s.ReviewSerializer)
        report = services.accept_report(actor=request.user, report=report, comment=data["review_reason"])
        return Response(self.get_serializer(self._fresh(report)).data)

    @extend_schema(request=s.ReviewSerializer, responses=s.RectificationReportSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_report(self, request, pk=None):
        """Return the submitted report with what must be revised; the officer files the next version."""
        report = self.get_object()
        data = self.input(s.ReviewSerializer)
        report = services.return_report(actor=request.user, report=report, reason=data["review_reason"])
        return Response(self.get_serializer(self._fresh(report)).data)

    @extend_schema(
        request={"multipart/form-data": s.AttachmentUploadSerializer}, responses={201: s.AttachmentSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Attach a file to the draft (type checked by content, size limited)."""
        report = self.get_object()
        data = self.input(s.AttachmentUploadSerializer)
        attachment = services.add_attachment(actor=request.user, report=report, upload=data["file"])
        return Response(
            s.AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# --- outcomes and warnings -----------------------------------------------------------------------------------------


class OutcomeViewSet(LoopViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """重点监管, penalty referrals, 挂牌督办, handovers, 先进单位, 标杆示范 … each with its evidence."""

    queryset = Outcome.objects.select_related("enterprise", "referred_to")
    serializer_class = s.OutcomeSerializer
    filterset_class = OutcomeFilters
    ordering = ["-created_at", "-id"]


class CaseWarningViewSet(LoopViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """线上日常预警 sent for the cases the caller may see (an officer: their own enterprise's)."""

    queryset = CaseWarning.objects.select_related("enterprise", "case__accident_type")
    serializer_class = s.CaseWarningSerializer
    filterset_fields = ["enterprise", "case"]
    ordering = ["-sent_at", "-id"]
    required_permissions = {"list": "incidents.view_injurycase", "retrieve": "incidents.view_injurycase"}

    def get_queryset(self):
        # CaseWarning declares no scope of its own: it is in scope where its case is.
        cases = InjuryCase.objects.visible_to(self.request.user).values("pk")
        return self.queryset.filter(case__in=cases).order_by(*self.ordering)


# --- typical-case bulletins -------------------------------------------------------------------------------------


class BulletinViewSet(
    LoopViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """典型事故通报 as the agencies see them (drafts included). POST writes a draft (``draft_bulletin``)."""

    queryset = Bulletin.objects.select_related("region")
    serializer_class = s.BulletinSerializer
    filterset_class = BulletinFilters
    ordering = ["-id"]
    required_permissions = {"publish": "prevention.change_bulletin", "withdraw": "prevention.change_bulletin"}

    def create(self, request, *args, **kwargs):
        data = dict(self.input(s.BulletinSerializer))
        case = data.pop("source_case", None)
        bulletin = services.draft_bulletin(actor=request.user, data=data, case=case)
        return Response(self.get_serializer(bulletin).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.BulletinSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish to the public case library."""
        bulletin = services.publish_bulletin(actor=request.user, bulletin=self.get_object())
        return Response(self.get_serializer(bulletin).data)

    @extend_schema(request=s.WithdrawSerializer, responses=s.BulletinSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Take the bulletin out of the public case library, with a reason."""
        bulletin = self.get_object()
        data = self.input(s.WithdrawSerializer)
        bulletin = services.withdraw_bulletin(actor=request.user, bulletin=bulletin, reason=data["reason"])
        return Response(self.get_serializer(bulletin).data)


class PublicBulletinViewSet(viewsets.ReadOnlyModelViewSet):
    """The public case library (警示教育): published bulletins, readable without logging in."""

    queryset = Bulletin.objects.public().select_related("region", "industry", "accident_type")
    serializer_class = s.PublicBulletinSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = BulletinPublicFilterSet
    ordering = ["-published_at", "-id"]
