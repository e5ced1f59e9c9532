"""API of the joint meeting: opinion solicitations (征求意见) and the agencies' replies.

* ``/api/v1/meetings/solicitations/``: scoped list and detail (drafts only to their secretariat); the secretariat
  creates and changes drafts and circulates them (``POST …/{id}/circulate/``).
* ``/api/v1/meetings/replies/``: the secretariat reads every reply of its committees, an agency only its own
  (``?waiting=true``: the ones still owed, soonest deadline first); the agency replies for itself
  (``POST …/{id}/reply/``, multipart: state, comments, scan).

Every write is one service call; a service's error without a field is a 400 under ``non_field_errors``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.accounts.models import Agency

from ..models import Committee, Reply, Solicitation, SolicitationAttachment
from ..services import solicitations as services

# --- serializers ------------------------------------------------------------------------------------------------


class SolicitationAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = SolicitationAttachment
        fields = ["id", "name", "size", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("meetings:solicitationattachment_download", args=[obj.pk])


class SolicitationSerializer(serializers.ModelSerializer):
    """A solicitation. ``agencies`` (write): the recipient agencies' ids, on create by default every current member
    agency; ``recipients`` (read): the agencies asked; ``counts``: replies per state."""

    committee = serializers.PrimaryKeyRelatedField(queryset=Committee.objects.none())
    agencies = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), many=True, required=False, write_only=True
    )
    recipients = serializers.SerializerMethodField()
    attachments = SolicitationAttachmentSerializer(many=True, read_only=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Solicitation
        fields = [
            "id",
            "committee",
            "title",
            "body",
            "deadline",
            "state",
            "circulated_at",
            "closed_at",
            "created_at",
            "agencies",
            "recipients",
            "attachments",
            "counts",
        ]
        read_only_fields = ["state", "circulated_at", "closed_at", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["committee"].queryset = Committee.objects.editable_by(request.user)
            if request.method in ("PUT", "PATCH"):
                self.fields["committee"].read_only = True

    @staticmethod
    def _replies(obj):
        prefetched = getattr(obj, "_prefetched_objects_cache", {}).get("replies")
        return prefetched if prefetched is not None else list(obj.replies.all())

    def get_recipients(self, obj) -> list[int]:
        return sorted(r.agency_id for r in self._replies(obj))

    def get_counts(self, obj) -> dict:
        counts = {state: 0 for state in Reply.State.values}
        for r in self._replies(obj):
            counts[r.state] += 1
        counts["total"] = sum(counts.values())
        return counts


class ReplySerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    solicitation_title = serializers.CharField(source="solicitation.title", read_only=True)
    deadline = serializers.DateTimeField(source="solicitation.deadline", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    scan_url = serializers.SerializerMethodField()

    class Meta:
        model = Reply
        fields = [
            "id",
            "solicitation",
            "solicitation_title",
            "deadline",
            "agency",
            "agency_name",
            "state",
            "state_label",
            "comments",
            "replied_at",
            "reminded_at",
            "scan_url",
        ]
        read_only_fields = fields

    def get_scan_url(self, obj) -> str | None:
        return reverse("meetings:reply_scan", args=[obj.pk]) if obj.scan else None


class ReplyInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[Reply.State.NO_OPINION, Reply.State.COMMENTS])
    comments = serializers.CharField(required=False, allow_blank=True, default="")
    scan = serializers.FileField(required=False, allow_null=True)


class SolicitationAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


# --- viewsets ---------------------------------------------------------------------------------------------------


class SolicitationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Opinion solicitations. POST creates a draft, PATCH/PUT change it, ``circulate`` sends it."""

    queryset = Solicitation.objects.all()
    serializer_class = SolicitationSerializer
    filterset_fields = ["state", "committee"]
    ordering = ["-deadline", "-id"]
    required_permissions = {
        "circulate": "meetings.change_solicitation",
        "attachments": "meetings.change_solicitation",
    }

    def get_queryset(self):
        qs = services.solicitations_visible_to(self.request.user)
        if self.action not in ("list", "retrieve"):
            qs = qs.filter(pk__in=Solicitation.objects.editable_by(self.request.user).values("pk"))
        return qs.select_related("committee").prefetch_related("attachments", "replies").order_by("-deadline", "-id")

    def _out(self, obj, code=status.HTTP_200_OK):
        obj = Solicitation.objects.prefetch_related("attachments", "replies").get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        obj = services.draft_solicitation(
            actor=request.user,
            committee=data["committee"],
            title=data["title"],
            body=data["body"],
            deadline=data["deadline"],
            agencies=data.get("agencies"),
        )
        return self._out(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agencies = data.pop("agencies", None)
        data.pop("committee", None)
        obj = services.update_solicitation(actor=request.user, solicitation=obj, data=data, agencies=agencies)
        return self._out(obj)

    @extend_schema(
        request={"multipart/form-data": SolicitationAttachmentUploadSerializer},
        responses={201: SolicitationAttachmentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Attach a file to the draft (PDF, PNG, JPEG, DOCX or XLSX, checked by content; size limited)."""
        obj = self.get_object()
        data = SolicitationAttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            attachment = services.add_attachment(
                actor=request.user, solicitation=obj, upload=data.validated_data["file"]
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict") and "attachments" in exc.error_dict:
                raise ValidationError({"file": exc.message_dict["attachments"]}) from exc
            raise
        return Response(SolicitationAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SolicitationSerializer)
    @action(detail=True, methods=["post"])
    def circulate(self, request, pk=None):
        """Send the draft to its recipient agencies (the deadline must lie ahead)."""
        obj = services.circulate_solicitation(actor=request.user, solicitation=self.get_object())
        return self._out(obj)


class ReplyViewSet(viewsets.ReadOnlyModelViewSet):
    """Replies: the secretariat's committees' all, an agency's own. ``reply`` is the agency's answer."""

    queryset = Reply.objects.all()
    serializer_class = ReplySerializer
    filterset_fields = ["solicitation", "state"]
    required_permissions = {"reply": "meetings.change_reply"}

    def get_queryset(self):
        user = self.request.user
        if self.action == "reply":
            qs = services.own_replies(user)
        elif self.request.query_params.get("waiting") in ("true", "1", "yes"):
            return services.waiting_replies(user).select_related("agency", "solicitation")
        else:
            qs = services.replies_visible_to(user)
        return qs.select_related("agency", "solicitation").order_by(
            "-solicitation__deadline", "solicitation_id", "agency__kind", "agency__name", "id"
        )

    @extend_schema(parameters=[OpenApiParameter("waiting", bool, description="Only the agency's replies still owed.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": ReplyInputSerializer}, responses=ReplySerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def reply(self, request, pk=None):
        """The agency's reply for itself: ``no_opinion``, or ``comments`` with the stamped ``scan``; changeable until
        the deadline."""
        reply = self.get_object()
        data = ReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cd = data.validated_data
        reply = services.reply_to_solicitation(
            actor=request.user, reply=reply, state=cd["state"], comments=cd.get("comments", ""), scan=cd.get("scan")
        )
        return Response(
            self.get_serializer(Reply.objects.select_related("agency", "solicitation").get(pk=reply.pk)).data
        )


def register(router) -> None:
    """Add this area's viewsets to the meetings API router."""
    router.register("solicitations", SolicitationViewSet, basename="solicitation")
    router.register("replies", ReplyViewSet, basename="reply")
