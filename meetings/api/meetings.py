"""API of the joint meeting: meetings, agenda items and action items.

Reads are scoped (``visible_to``); every write is one service call, which decides who may (PermissionDenied →
403); a row outside the user's scope is a 404. Actions read through the visible scope so that the service can
answer 403 (not the secretariat) rather than hide the row."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api import ScopedViewSetMixin

from ..models import ActionItem, ActionProgress, AgendaItem, Meeting
from ..services import meetings as services
from . import meeting_serializers as s


class _Base(ScopedViewSetMixin):
    """Scoped by ``visible_to`` for reads and actions alike (the services check who may write)."""

    def get_queryset(self):
        return self.queryset.all().visible_to(self.request.user)


class MeetingViewSet(
    _Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Meetings of the committees the user can see; the secretariat calls one with POST."""

    queryset = Meeting.objects.select_related("committee")
    serializer_class = s.MeetingSerializer
    filterset_fields = ["committee", "kind", "state"]
    ordering = ["-starts_at", "-id"]
    required_permissions = {"send_notice": "meetings.change_meeting"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch(
                    "agenda_items", queryset=AgendaItem.objects.select_related("agency").prefetch_related("attachments")
                ),
                "attendance__agency",
                "decisions",
            )
        return qs

    def get_serializer_class(self):
        return s.MeetingDetailSerializer if self.action == "retrieve" else s.MeetingSerializer

    @extend_schema(request=s.MeetingCreateSerializer, responses={201: s.MeetingSerializer})
    def create(self, request, *args, **kwargs):
        data = self.input(s.MeetingCreateSerializer)
        committee = data.pop("committee")
        meeting = services.call_meeting(actor=request.user, committee=committee, **data)
        return Response(s.MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"], url_path="send-notice")
    def send_notice(self, request, pk=None):
        """Send the notice (time, place, approved agenda) to every member agency."""
        meeting = services.send_notice(actor=request.user, meeting=self.get_object())
        return Response(s.MeetingSerializer(meeting).data)


class AgendaItemViewSet(
    _Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Agenda items; a member agency proposes one with POST (for its own agency, until the cut-off)."""

    queryset = AgendaItem.objects.select_related("agency").prefetch_related("attachments")
    serializer_class = s.AgendaItemSerializer
    filterset_fields = ["meeting", "state", "source", "agency"]
    ordering = ["meeting", "position", "proposed_at", "id"]
    required_permissions = {"approve": "meetings.change_agendaitem", "decline": "meetings.change_agendaitem"}

    @extend_schema(request=s.AgendaItemProposeSerializer, responses={201: s.AgendaItemSerializer})
    def create(self, request, *args, **kwargs):
        data = self.input(s.AgendaItemProposeSerializer)
        meeting = data["meeting"]
        item = services.propose_agenda_item(
            actor=request.user,
            meeting=meeting,
            title=data["title"],
            description=data.get("description", ""),
            agency=data.get("agency"),
            files=data.get("files") or (),
        )
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AgendaApproveSerializer, responses=s.AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item = self.get_object()  # out of scope: 404 before the body is read
        data = self.input(s.AgendaApproveSerializer)
        item = services.approve_agenda_item(actor=request.user, item=item, position=data.get("position"))
        return Response(self.get_serializer(item).data)

    @extend_schema(request=s.AgendaDeclineSerializer, responses=s.AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        item = self.get_object()
        data = self.input(s.AgendaDeclineSerializer)
        item = services.decline_agenda_item(actor=request.user, item=item, reason=data["reason"])
        return Response(self.get_serializer(item).data)


class ActionItemViewSet(_Base, viewsets.ReadOnlyModelViewSet):
    """Action items (督办事项); their agencies report progress, the lead (or the secretariat) marks them done."""

    queryset = ActionItem.objects.select_related("lead_agency").prefetch_related("participants")
    serializer_class = s.ActionItemSerializer
    filterset_fields = ["committee", "state", "lead_agency"]
    ordering = ["state", "due_on", "id"]
    required_permissions = {"progress": "meetings.add_actionprogress", "done": "meetings.view_actionitem"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "retrieve":
            progress = ActionProgress.objects.select_related("agency")
            qs = qs.prefetch_related(Prefetch("progress", queryset=progress))
        return qs

    def get_serializer_class(self):
        return s.ActionItemDetailSerializer if self.action == "retrieve" else s.ActionItemSerializer

    @extend_schema(request=s.ActionProgressInputSerializer, responses={201: s.ActionProgressSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        action_item = self.get_object()
        data = self.input(s.ActionProgressInputSerializer)
        report = services.report_progress(
            actor=request.user, action=action_item, text=data["text"], percent=data["percent"]
        )
        return Response(s.ActionProgressSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        item = services.mark_action_done(actor=request.user, action=self.get_object())
        return Response(s.ActionItemSerializer(item).data)


def register(router) -> None:
    """Add this area's viewsets to the meetings API router."""
    router.register("meetings", MeetingViewSet, basename="meeting")
    router.register("agenda-items", AgendaItemViewSet, basename="agendaitem")
    router.register("action-items", ActionItemViewSet, basename="actionitem")
