"""API of the joint meeting: committee — committees with their members nested (the membership history), and the
secretariat's writes: set up and change the committee, add a member, a member leaves, a member is replaced.

Reads go through ``visible_to``, writes through ``editable_by`` (the secretariat of the committee's region or above):
out of scope is a 404, a role without the permission a 403. Every write is one service call."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.accounts.models import Agency
from portal.api import ScopedViewSetMixin

from ..models import Committee, Member
from ..services import committee as services

# --- serializers ---------------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    replaced_by = serializers.SerializerMethodField(help_text="The member who took this seat, if any")

    class Meta:
        model = Member
        fields = [
            "id",
            "committee",
            "agency",
            "agency_name",
            "role",
            "role_label",
            "name",
            "title",
            "phone",
            "joined_on",
            "left_on",
            "is_current",
            "replaces",
            "replaced_by",
            "note",
        ]
        read_only_fields = fields

    def get_replaced_by(self, obj) -> int | None:
        successors = [m.pk for m in obj.replaced_by.all()]
        return successors[0] if successors else None


class CommitteeSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    lead_agency_name = serializers.CharField(source="lead_agency.name", read_only=True)
    members = MemberSerializer(many=True, read_only=True, help_text="Every membership, current and past")

    class Meta:
        model = Committee
        fields = [
            "id",
            "region",
            "region_code",
            "region_name",
            "name",
            "lead_agency",
            "lead_agency_name",
            "established_on",
            "basis",
            "created_at",
            "members",
        ]
        read_only_fields = ["region", "lead_agency", "created_at"]


class AddMemberSerializer(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=Member.Role.choices)
    name = serializers.CharField(max_length=50)
    title = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LeaveSerializer(serializers.Serializer):
    left_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReplaceSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today")
    name = serializers.CharField(max_length=50)
    title = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Member.Role.choices, required=False, allow_null=True, default=None)
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# --- views ---------------------------------------------------------------------------------------------------


_MEMBERS = Prefetch("members", queryset=Member.objects.select_related("agency").prefetch_related("replaced_by"))


class CommitteeViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The committees the caller sees (its region's, those below and above), each with every membership. POST: the
    secretariat sets up its region's committee (its agency is the lead agency)."""

    queryset = Committee.objects.select_related("region", "lead_agency").prefetch_related(_MEMBERS)
    serializer_class = CommitteeSerializer
    ordering = ["region__path", "id"]
    required_permissions = {"members": "meetings.add_member"}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        committee = services.create_committee(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.queryset.get(pk=committee.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        committee = self.get_object()
        serializer = self.get_serializer(committee, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        services.update_committee(actor=request.user, committee=committee, data=dict(serializer.validated_data))
        return Response(self.get_serializer(self.queryset.get(pk=committee.pk)).data)

    @extend_schema(request=AddMemberSerializer, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """The secretariat adds a member for an active agency of the committee's region."""
        committee = self.get_object()
        data = self.input(AddMemberSerializer)
        member = services.add_member(actor=request.user, committee=committee, **data)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Every membership (``?committee=<id>``, ``?current=true``); the secretariat records that a member leaves or
    is replaced."""

    queryset = Member.objects.select_related("agency").prefetch_related("replaced_by")
    serializer_class = MemberSerializer
    ordering = ["committee", "left_on", "role", "agency__kind", "joined_on", "id"]
    required_permissions = {"leave": "meetings.change_member", "replace": "meetings.change_member"}

    def get_queryset(self):
        qs = super().get_queryset()
        committee = self.request.query_params.get("committee")
        if committee and committee.isdigit():
            qs = qs.filter(committee_id=int(committee))
        if self.request.query_params.get("current") in ("true", "1"):
            qs = qs.filter(left_on__isnull=True)
        return qs

    @extend_schema(request=LeaveSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """The member leaves the committee on ``left_on`` (default: today)."""
        member = self.get_object()
        data = self.input(LeaveSerializer)
        member = services.member_leaves(actor=request.user, member=member, **data)
        return Response(MemberSerializer(self.queryset.get(pk=member.pk)).data)

    @extend_schema(request=ReplaceSerializer, responses={201: MemberSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """A successor takes the member's seat: the member leaves on ``on``, the successor joins that day."""
        member = self.get_object()
        data = self.input(ReplaceSerializer)
        new = services.replace_member(actor=request.user, member=member, **data)
        return Response(MemberSerializer(self.queryset.get(pk=new.pk)).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the meetings API router."""
    router.register("committees", CommitteeViewSet, basename="meetings-committee")
    router.register("members", MemberViewSet, basename="meetings-member")
