"""Serializers of the joint meeting's meetings API: meetings with agenda and attendance, agenda items, action
items, and the small input serializers of the actions."""

from __future__ import annotations

from rest_framework import serializers

from portal.accounts.models import Agency

from ..models import ActionItem, ActionProgress, AgendaItem, Attendance, Committee, Decision, Meeting


class AgendaItemSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "meeting",
            "agency",
            "agency_name",
            "title",
            "description",
            "source",
            "state",
            "position",
            "decline_reason",
            "proposed_at",
            "attachments",
        ]
        read_only_fields = ["agency", "source", "state", "position", "decline_reason", "proposed_at"]

    def get_attachments(self, obj) -> list[dict]:
        return [{"id": a.pk, "name": a.name, "size": a.size} for a in obj.attachments.all()]


class VisibleChoices:
    """Related fields chosen among the rows the requesting user may see: a row outside the user's scope is the
    same "invalid choice" as a row that does not exist (no existence oracle)."""

    visible_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.context.get("request"), "user", None)
        for name, model in self.visible_fields.items():
            self.fields[name].queryset = model.objects.visible_to(user)


class AgendaItemProposeSerializer(VisibleChoices, serializers.Serializer):
    visible_fields = {"meeting": Meeting}

    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), required=False)
    files = serializers.ListField(child=serializers.FileField(), required=False)


class AttendanceSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "agency", "agency_name", "reply", "attendee", "replied_at", "present"]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "position", "text"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = [
            "id",
            "committee",
            "kind",
            "title",
            "starts_at",
            "place",
            "agenda_cutoff",
            "state",
            "notice_sent_at",
            "minutes_published_at",
            "chaired_by",
        ]
        read_only_fields = ["state", "notice_sent_at", "minutes_published_at", "chaired_by"]


class MeetingDetailSerializer(MeetingSerializer):
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    attendance = AttendanceSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "minutes", "agenda_items", "attendance", "decisions"]
        read_only_fields = [*MeetingSerializer.Meta.read_only_fields, "minutes"]


class MeetingCreateSerializer(VisibleChoices, serializers.Serializer):
    visible_fields = {"committee": Committee}

    committee = serializers.PrimaryKeyRelatedField(queryset=Committee.objects.all())
    kind = serializers.ChoiceField(choices=Meeting.Kind.choices)
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    agenda_cutoff = serializers.DateTimeField()


class AgendaDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class AgendaApproveSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, required=False)


class ActionProgressSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = ActionProgress
        fields = ["id", "agency", "agency_name", "text", "percent", "reported_at"]
        read_only_fields = ["agency", "reported_at"]


class ActionItemSerializer(serializers.ModelSerializer):
    lead_agency_name = serializers.CharField(source="lead_agency.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "committee",
            "decision",
            "title",
            "description",
            "lead_agency",
            "lead_agency_name",
            "participants",
            "due_on",
            "state",
            "done_on",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.state == ActionItem.State.OPEN and obj.due_on < timezone.localdate()


class ActionItemDetailSerializer(ActionItemSerializer):
    progress = ActionProgressSerializer(many=True, read_only=True)

    class Meta(ActionItemSerializer.Meta):
        fields = [*ActionItemSerializer.Meta.fields, "progress"]
        read_only_fields = fields


class ActionProgressInputSerializer(serializers.Serializer):
    text = serializers.CharField()
    percent = serializers.IntegerField(min_value=0, max_value=100)
