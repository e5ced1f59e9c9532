"""Shapes of the quarterly exchange in the API (DESIGN §3.4), and the small input serializers of its actions.

Reads show who owes what, which quarters are confirmed (with every confirmation and reopening) and the report
versions with their files and checksums. Writes carry only what the caller may choose: the confirming agency,
the state and the versions are never taken from the client. The services validate the rest (``full_clean`` and
the exchange's rules), so the API gives the same field errors as the pages.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.accounts.models import Agency, AgencyKind
from portal.locks import DataKind

from ..models import Confirmation, ConfirmationEvent, ExchangeReport, Obligation, ReportFile
from ..selectors import STATUS_LABELS

QUARTER_STATUSES = list(STATUS_LABELS)


def _absolute(serializer, url: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class QuarterSerializer(serializers.Serializer):
    """A calendar quarter (the body of ``confirm``; the path of ``quarters/{year}/{quarter}/``)."""

    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


# --- obligations --------------------------------------------------------------------------------------------------


class ObligationSerializer(serializers.ModelSerializer):
    """What a member agency owes each quarter. POST sets it for an agency (the secretariat of its region; an
    existing obligation of the same agency and data is changed)."""

    agency_name = serializers.CharField(source="agency.name", read_only=True)
    agency_kind = serializers.ChoiceField(source="agency.kind", choices=AgencyKind.choices, read_only=True)
    region_code = serializers.CharField(source="agency.region.code", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "agency",
            "agency_name",
            "agency_kind",
            "region_code",
            "kind",
            "kind_label",
            "due_days",
            "is_active",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # one obligation per agency and data: the service changes the existing one

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        agency = self.fields.get("agency")
        if request is not None and agency is not None and not agency.read_only:
            agency.queryset = Agency.objects.visible_to(request.user).filter(is_active=True)


class ObligationUpdateSerializer(ObligationSerializer):
    """A change keeps the agency and the data; only the deadline, the note and whether it is active change."""

    class Meta(ObligationSerializer.Meta):
        read_only_fields = ["agency", "kind", "created_at", "updated_at"]


class AppliedDefaultsSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Obligations created by this call (0 when every agency owes some)")
    obligations = ObligationSerializer(many=True)


# --- confirmations ------------------------------------------------------------------------------------------------


class ConfirmationEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor", read_only=True)

    class Meta:
        model = ConfirmationEvent
        fields = ["id", "action", "actor", "actor_name", "at", "reason", "counts"]
        read_only_fields = fields


class ConfirmationSerializer(serializers.ModelSerializer):
    """An agency's quarter: confirmed (its records of the quarter locked) or reopened, with every confirmation
    and reopening."""

    agency_name = serializers.CharField(source="agency.name", read_only=True)
    region_code = serializers.CharField(source="agency.region.code", read_only=True)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=DataKind.choices), read_only=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Records confirmed per data kind"
    )
    was_late = serializers.BooleanField(read_only=True, help_text="First confirmed after the due date")
    events = ConfirmationEventSerializer(many=True, read_only=True)

    class Meta:
        model = Confirmation
        fields = [
            "id",
            "agency",
            "agency_name",
            "region_code",
            "year",
            "quarter",
            "state",
            "kinds",
            "counts",
            "due_on",
            "was_late",
            "confirmed_at",
            "confirmed_by",
            "first_confirmed_at",
            "times_confirmed",
            "reopened_at",
            "reopened_by",
            "reopen_reason",
            "events",
        ]
        read_only_fields = fields


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the quarter is reopened (at least 4 characters)")


# --- an agency's quarter and the board ----------------------------------------------------------------------------


class MonthRecordsSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month")
    records = serializers.IntegerField()


class QuarterEntriesSerializer(serializers.Serializer):
    """What the agency has entered of one kind of data it owes."""

    kind = serializers.ChoiceField(choices=DataKind.choices)
    label = serializers.CharField()
    total = serializers.IntegerField()
    gaps = serializers.IntegerField(help_text="Incomplete records")
    gap_label = serializers.CharField(help_text="What makes a record incomplete")
    months = MonthRecordsSerializer(many=True)
    empty_months = serializers.ListField(child=serializers.DateField(), help_text="Months without a record")


class AgencyQuarterSerializer(serializers.Serializer):
    """The caller's agency's quarter: what it owes, by when, what it has entered and where it stands."""

    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    has_ended = serializers.BooleanField()
    agency = serializers.IntegerField(source="agency.pk")
    agency_name = serializers.CharField(source="agency.name")
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=DataKind.choices))
    due_on = serializers.DateField(allow_null=True)
    entries = QuarterEntriesSerializer(many=True)
    status = serializers.ChoiceField(choices=QUARTER_STATUSES, allow_null=True)
    status_label = serializers.CharField(allow_null=True)
    can_confirm = serializers.BooleanField(
        help_text="The quarter has ended, the agency owes data and has not confirmed"
    )
    confirmation = ConfirmationSerializer(allow_null=True)


class BoardRowSerializer(serializers.Serializer):
    """One member agency of the region: what it owes, by when, and where its quarter stands."""

    agency = serializers.IntegerField(source="agency.pk")
    agency_name = serializers.CharField(source="agency.name")
    agency_kind = serializers.ChoiceField(source="agency.kind", choices=AgencyKind.choices)
    region_code = serializers.CharField(source="agency.region.code")
    region_name = serializers.CharField(source="agency.region.name")
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=DataKind.choices))
    kind_labels = serializers.ListField(child=serializers.CharField())
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=QUARTER_STATUSES)
    status_label = serializers.CharField()
    confirmation = serializers.IntegerField(source="confirmation.pk", allow_null=True)
    confirmed_at = serializers.DateTimeField(source="confirmation.confirmed_at", allow_null=True)
    times_confirmed = serializers.IntegerField(source="confirmation.times_confirmed", allow_null=True)
    reopened = serializers.BooleanField()


class BoardSerializer(serializers.Serializer):
    region_code = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    rows = BoardRowSerializer(many=True)


# --- reports ------------------------------------------------------------------------------------------------------


class ReportFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download link (audited)")

    class Meta:
        model = ReportFile
        fields = ["format", "filename", "size", "sha256", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return _absolute(self, reverse("api:exchangereport-download", args=[obj.report_id, obj.format]))


class ExchangeReportSerializer(serializers.ModelSerializer):
    """One version of a region's consolidated quarterly report, with its files and their SHA-256 checksums."""

    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    files = ReportFileSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ExchangeReport
        fields = [
            "id",
            "url",
            "region",
            "region_code",
            "region_name",
            "year",
            "quarter",
            "version",
            "fingerprint",
            "trigger",
            "created_at",
            "created_by",
            "files",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return _absolute(self, reverse("api:exchangereport-detail", args=[obj.pk]))


class ExchangeReportDetailSerializer(ExchangeReportSerializer):
    """A report version with its figures (``content``: the document ``reports/schema/`` describes)."""

    content = serializers.SerializerMethodField()

    class Meta(ExchangeReportSerializer.Meta):
        fields = [*ExchangeReportSerializer.Meta.fields, "content"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_content(self, obj) -> dict:
        return obj.content


class LatestReportQuerySerializer(serializers.Serializer):
    region = serializers.CharField(
        required=False, max_length=16, help_text="Region code (default: the caller's agency's region)"
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class BuildReportSerializer(LatestReportQuerySerializer):
    pass


class BuildQueuedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    region = serializers.CharField(help_text="Region code")
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
