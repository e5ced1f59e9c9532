"""Shapes of the loop's records in the API, and the small input serializers of its actions.

Reads show what produced a decision (rule version and thresholds, figures, evidence); writes only carry what the
caller may choose: owner, state, version and reviewer are never taken from the client. The services validate
the rest (``full_clean`` and the loop's rules), so the API gives the same field errors as the pages.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import InjuryCase, Severity
from portal.reference.models import Region

from ..models import (
    Bulletin,
    CaseWarning,
    DeadlineExtension,
    NoticeLetter,
    Outcome,
    RectificationReport,
    ReportAttachment,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
)
from ..services import REPORT_FIELDS, notice_cases, notice_posts

# --- screening rules ------------------------------------------------------------------------------------------


class ThresholdsSerializer(serializers.Serializer):
    min_cases = serializers.IntegerField()
    min_rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    rate_min_cases = serializers.IntegerField()
    min_serious = serializers.IntegerField()


class ScreeningRuleSerializer(serializers.ModelSerializer):
    """A version of a region's thresholds. POST writes the region's draft (a new version, or the open draft)."""

    region_name = serializers.CharField(source="region.name", read_only=True)
    thresholds = ThresholdsSerializer(read_only=True)

    class Meta:
        model = ScreeningRule
        fields = [
            "id",
            "region",
            "region_name",
            "version",
            "state",
            "min_cases",
            "min_rate",
            "rate_min_cases",
            "min_serious",
            "thresholds",
            "annual_month",
            "annual_day",
            "note",
            "owner_agency",
            "created_by",
            "created_at",
            "published_at",
            "published_by",
        ]
        read_only_fields = [
            "version",
            "state",
            "owner_agency",
            "created_by",
            "created_at",
            "published_at",
            "published_by",
        ]
        validators = []  # one draft / one published version per region: the service keeps to it


class PreviewQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=ScreeningRun.Kind.choices, default=ScreeningRun.Kind.ANNUAL)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)

    def validate(self, attrs):
        if attrs["period"] == ScreeningRun.Kind.ANNUAL and not attrs.get("year"):
            raise serializers.ValidationError({"year": [_("Give the year of an annual screening.")]})
        return attrs


class FiguresSerializer(serializers.Serializer):
    """One enterprise's figures under a set of thresholds, and which rule it met."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    cases = serializers.IntegerField()
    serious = serializers.IntegerField()
    fatal = serializers.IntegerField()
    insured = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    by_count = serializers.BooleanField()
    by_rate = serializers.BooleanField()
    by_severity = serializers.BooleanField()


class RuleSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    thresholds = ThresholdsSerializer()


class RulePreviewSerializer(serializers.Serializer):
    """What the thresholds would flag compared with the rule in force, over the same period."""

    rule = RuleSummarySerializer()
    current = RuleSummarySerializer(allow_null=True)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    enterprises = serializers.IntegerField(help_text="Enterprises with a case in the period")
    proposed_multi = serializers.IntegerField()
    current_multi = serializers.IntegerField()
    added = FiguresSerializer(many=True)
    removed = FiguresSerializer(many=True)


def preview_figures(name: str, row: dict) -> dict:
    """A row of ``selectors.classify`` as the API shows it."""
    return {
        "id": row["enterprise_id"],
        "name": name,
        "cases": row["n"],
        "serious": row["s"],
        "fatal": row["f"],
        "insured": round(float(row["insured"] or 0)),
        "rate": row["rate"],
        "by_count": bool(row["by_count"]),
        "by_rate": bool(row["by_rate"]),
        "by_severity": bool(row["by_severity"]),
    }


# --- screening runs and results -------------------------------------------------------------------------------


class ScreeningRunSerializer(serializers.ModelSerializer):
    """A screening with the rule version and thresholds that produced it, its counts and the city rate."""

    region_name = serializers.CharField(source="region.name", read_only=True)
    rule_version = serializers.IntegerField(source="rule.version", read_only=True)
    thresholds = ThresholdsSerializer(source="rule.thresholds", read_only=True)
    city_rate = serializers.DecimalField(max_digits=9, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = ScreeningRun
        fields = [
            "id",
            "region",
            "region_name",
            "kind",
            "period_start",
            "period_end",
            "rule",
            "rule_version",
            "thresholds",
            "enterprises",
            "multi_incident",
            "general",
            "city_cases",
            "city_insured",
            "city_rate",
            "published_to",
            "published_at",
            "notices_issued_at",
            "owner_agency",
            "created_at",
        ]
        read_only_fields = fields


class ScreeningRunCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ScreeningRun.Kind.choices)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="The calendar year of an annual screening"
    )

    def validate(self, attrs):
        if attrs["kind"] == ScreeningRun.Kind.ANNUAL and not attrs.get("year"):
            raise serializers.ValidationError({"year": [_("Give the year of an annual screening.")]})
        return attrs


class IssueNoticesSerializer(serializers.Serializer):
    issued_on = serializers.DateField(required=False, help_text="Date of the letters (default: today)")


class IssuedSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Notice letters created by this call (0 when all were issued)")


class PublishScreeningSerializer(serializers.Serializer):
    published_to = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), help_text="The region whose agencies see the multi-incident list"
    )


class PostSerializer(serializers.Serializer):
    """A high-incident post and its cases (``models.HighIncidentPost``)."""

    post = serializers.CharField(read_only=True)
    cases = serializers.IntegerField(read_only=True)


class ScreeningResultSerializer(serializers.ModelSerializer):
    """An enterprise's figures and class in a run, the rules it met and its high-incident posts."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    posts = serializers.SerializerMethodField()
    notice = serializers.SerializerMethodField()

    class Meta:
        model = ScreeningResult
        fields = [
            "id",
            "run",
            "enterprise",
            "enterprise_name",
            "category",
            "cases",
            "serious",
            "fatal",
            "insured",
            "rate",
            "by_count",
            "by_rate",
            "by_severity",
            "reasons",
            "posts",
            "notice",
        ]
        read_only_fields = fields

    @extend_schema_field(PostSerializer(many=True))
    def get_posts(self, obj):
        return PostSerializer(obj.high_incident_posts, many=True).data

    @extend_schema_field(OpenApiTypes.INT)
    def get_notice(self, obj) -> int | None:
        try:
            return obj.notice.pk
        except ObjectDoesNotExist:
            return None


# --- notice letters and extensions -------------------------------------------------------------------------------


class DeadlineExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeadlineExtension
        fields = [
            "id",
            "notice",
            "requested_date",
            "reason",
            "requested_by",
            "requested_at",
            "state",
            "granted_date",
            "decision_reason",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class ExtensionRequestSerializer(serializers.Serializer):
    requested_date = serializers.DateField(help_text="The deadline asked for")
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class ExtensionDecisionSerializer(serializers.Serializer):
    grant = serializers.BooleanField()
    granted_date = serializers.DateField(
        required=False, allow_null=True, help_text="Another date than the requested one (moved to a working day)"
    )
    decision_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NoticeLetterSerializer(serializers.ModelSerializer):
    """A notice with its deadlines, the state of its latest report and the extensions asked for."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    latest_report = serializers.SerializerMethodField()
    latest_report_state = serializers.SerializerMethodField()
    extensions = DeadlineExtensionSerializer(many=True, read_only=True)

    class Meta:
        model = NoticeLetter
        fields = [
            "id",
            "number",
            "run",
            "enterprise",
            "enterprise_name",
            "issued_on",
            "original_deadline",
            "deadline",
            "state",
            "owner_agency",
            "latest_report",
            "latest_report_state",
            "extensions",
            "created_at",
        ]
        read_only_fields = fields

    @staticmethod
    def _latest(obj) -> RectificationReport | None:
        versions = getattr(obj, "report_versions", None)
        if versions is None:
            return obj.current_report
        return versions[0] if versions else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_latest_report(self, obj) -> int | None:
        latest = self._latest(obj)
        return latest.pk if latest else None

    @extend_schema_field(serializers.ChoiceField(choices=RectificationReport.State.choices, allow_null=True))
    def get_latest_report_state(self, obj) -> str | None:
        latest = self._latest(obj)
        return latest.state if latest else None


class NoticeCaseSerializer(serializers.ModelSerializer):
    """A case the notice lists (no personal data): what the report's cause analysis refers to."""

    accident_type_name = serializers.CharField(source="accident_type.name", read_only=True)

    class Meta:
        model = InjuryCase
        fields = ["id", "occurred_at", "place", "post", "accident_type", "accident_type_name", "severity", "cause"]
        read_only_fields = fields


class NoticeLetterDetailSerializer(NoticeLetterSerializer):
    cases = serializers.SerializerMethodField()
    posts = serializers.SerializerMethodField()

    class Meta(NoticeLetterSerializer.Meta):
        fields = [*NoticeLetterSerializer.Meta.fields, "cases", "posts"]
        read_only_fields = fields

    @extend_schema_field(NoticeCaseSerializer(many=True))
    def get_cases(self, obj):
        cases = notice_cases(obj).select_related("accident_type").order_by("occurred_at", "pk")
        return NoticeCaseSerializer(cases, many=True).data

    @extend_schema_field(PostSerializer(many=True))
    def get_posts(self, obj):
        return PostSerializer(notice_posts(obj), many=True).data


# --- rectification reports -------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download link (only for users who may see the report)")

    class Meta:
        model = ReportAttachment
        fields = ["id", "report", "name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        url = reverse("prevention:attachment_download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG, JPEG, Word, Excel or PowerPoint; checked by content")


def _validate_entries(value, keys: tuple[str, str], message):
    if not isinstance(value, list):
        raise serializers.ValidationError(message)
    first, second = keys
    for entry in value:
        if not isinstance(entry, dict) or not isinstance(entry.get(second, ""), str):
            raise serializers.ValidationError(message)
        key = entry.get(first)
        if first == "case" and (isinstance(key, bool) or not isinstance(key, int)):
            raise serializers.ValidationError(message)
        if first == "post" and not isinstance(key, str):
            raise serializers.ValidationError(message)
    return value


class RectificationReportSerializer(serializers.ModelSerializer):
    """A version of a report. POST saves the officer's working version of a notice (a draft); the state changes
    only through the submit, accept and return actions."""

    notice = serializers.PrimaryKeyRelatedField(queryset=NoticeLetter.objects.none())
    notice_number = serializers.CharField(source="notice.number", read_only=True)
    enterprise = serializers.IntegerField(source="notice.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="notice.enterprise.name", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationReport
        fields = [
            "id",
            "notice",
            "notice_number",
            "enterprise",
            "enterprise_name",
            "version",
            "state",
            *REPORT_FIELDS,
            "created_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "attachments",
        ]
        read_only_fields = [
            "version",
            "state",
            "created_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
        ]
        validators = []  # one open version per notice: the service keeps to it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        notice = self.fields.get("notice")
        if request is not None and notice is not None and not notice.read_only:
            notice.queryset = NoticeLetter.objects.visible_to(request.user)

    def validate_case_analyses(self, value):
        return _validate_entries(value, ("case", "cause"), _('Give a list of {"case": case id, "cause": text}.'))

    def validate_post_measures(self, value):
        return _validate_entries(value, ("post", "measures"), _('Give a list of {"post": post, "measures": text}.'))

    def validate(self, attrs):
        if "state" in getattr(self, "initial_data", {}):
            raise serializers.ValidationError(
                {"state": [_("The state changes only through the submit, accept and return actions.")]}
            )
        return super().validate(attrs)


class RectificationReportUpdateSerializer(RectificationReportSerializer):
    notice = serializers.PrimaryKeyRelatedField(read_only=True)


class ReviewSerializer(serializers.Serializer):
    review_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="Comments; required to return"
    )


# --- outcomes and warnings ---------------------------------------------------------------------------------------


class OutcomeSerializer(serializers.ModelSerializer):
    """What the loop decided about an enterprise and the figures that triggered it (``evidence``)."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    referred_to_name = serializers.CharField(source="referred_to.name", read_only=True, allow_null=True)

    class Meta:
        model = Outcome
        fields = [
            "id",
            "kind",
            "trigger",
            "enterprise",
            "enterprise_name",
            "notice",
            "result",
            "case",
            "year",
            "rank",
            "industry",
            "referred_to",
            "referred_to_name",
            "evidence",
            "note",
            "owner_agency",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CaseWarningSerializer(serializers.ModelSerializer):
    """A case's online warning: who was told and the case's facts (no personal data)."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    occurred_at = serializers.DateTimeField(source="case.occurred_at", read_only=True)
    post = serializers.CharField(source="case.post", read_only=True)
    severity = serializers.ChoiceField(source="case.severity", choices=Severity.choices, read_only=True)
    accident_type_name = serializers.CharField(source="case.accident_type.name", read_only=True)

    class Meta:
        model = CaseWarning
        fields = [
            "id",
            "case",
            "enterprise",
            "enterprise_name",
            "occurred_at",
            "post",
            "severity",
            "accident_type_name",
            "recipients",
            "sent_at",
        ]
        read_only_fields = fields


# --- typical-case bulletins ------------------------------------------------------------------------------------


class BulletinSerializer(serializers.ModelSerializer):
    """A bulletin as its agency sees it. POST writes a draft, optionally from a case (``source_case``): only the
    case's de-identified facts are taken over."""

    state = serializers.SerializerMethodField()
    source_case = serializers.PrimaryKeyRelatedField(
        queryset=InjuryCase.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "title",
            "region",
            "industry",
            "accident_type",
            "occurred_in",
            "severity",
            "summary",
            "cause_analysis",
            "lessons",
            "source_case",
            "state",
            "owner_agency",
            "created_by",
            "created_at",
            "published_at",
            "withdrawn_at",
        ]
        read_only_fields = ["owner_agency", "created_by", "created_at", "published_at", "withdrawn_at"]
        extra_kwargs = {"region": {"required": False}, "occurred_in": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["source_case"].queryset = InjuryCase.objects.visible_to(request.user)

    @extend_schema_field(serializers.ChoiceField(choices=["draft", "published", "withdrawn"]))
    def get_state(self, obj) -> str:
        if obj.withdrawn_at is not None:
            return "withdrawn"
        return "published" if obj.published_at is not None else "draft"


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class PublicBulletinSerializer(serializers.ModelSerializer):
    """A published bulletin of the public case library: no source case, no author, only the month."""

    region_name = serializers.CharField(source="region.name", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True, allow_null=True)
    accident_type_name = serializers.CharField(source="accident_type.name", read_only=True, allow_null=True)
    occurred_in = serializers.SerializerMethodField(help_text="Month of the accident, YYYY-MM")
    severity_label = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "title",
            "region_name",
            "industry_name",
            "accident_type_name",
            "occurred_in",
            "severity",
            "severity_label",
            "summary",
            "cause_analysis",
            "lessons",
            "published_at",
        ]
        read_only_fields = fields

    def get_occurred_in(self, obj) -> str:
        return obj.occurred_in.strftime("%Y-%m")

    def get_severity_label(self, obj) -> str:
        return str(Severity(obj.severity).label) if obj.severity in Severity.values else obj.severity
