"""Writes of the joint meeting: committee (one function per user action, each audited).

A region's secretariat sets up its committee (one per region, hosted by the secretariat's own agency) and keeps
its membership: members join, leave and are replaced. Rows are never deleted: a member who leaves keeps the row with
``left_on``, a replacement names whom it replaces, so the rows are the membership history."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.accounts.models import Agency
from portal.services import create_object, update_object

from ..models import Committee, Member, is_secretariat_of

ROLE_ORDER = [Member.Role.CONVENER, Member.Role.DEPUTY, Member.Role.MEMBER, Member.Role.LIAISON]


def _today() -> datetime.date:
    return timezone.localdate()


def _now() -> datetime.datetime:
    return timezone.now()


# --- reads ---------------------------------------------------------------------------------------------------


def committee_for(user) -> Committee | None:
    """The committee of the user's region, or else the nearest one above it (a town's staff see the county's)."""
    agency = getattr(user, "agency", None)
    if agency is None:
        return None
    region = agency.region
    paths = [region.path, *region.ancestor_paths()]
    committees = Committee.objects.visible_to(user).filter(region__path__in=paths).select_related("region")
    return max(committees, key=lambda c: c.region.depth, default=None)


def member_candidates(committee: Committee):
    """The agencies that may sit on the committee: the active agencies of its region."""
    return Agency.objects.filter(region_id=committee.region_id, is_active=True).order_by("kind", "name")


def current_members(committee: Committee) -> list[Member]:
    members = committee.members.filter(left_on__isnull=True).select_related("agency")
    order = {role: i for i, role in enumerate(ROLE_ORDER)}
    return sorted(members, key=lambda m: (order.get(m.role, 9), m.agency.kind, m.joined_on, m.pk))


def members_by_role(committee: Committee) -> list[dict]:
    """Current members grouped by role, in the order 召集人, 副召集人, 成员, 联络员 (empty groups left out)."""
    members = current_members(committee)
    return [
        {"role": role, "label": role.label, "members": [m for m in members if m.role == role]}
        for role in ROLE_ORDER
        if any(m.role == role for m in members)
    ]


def history(committee: Committee) -> list[Member]:
    """Every membership, newest change first (joined or left)."""
    rows = list(committee.members.select_related("agency", "replaces").prefetch_related("replaced_by"))
    return sorted(rows, key=lambda m: (max(m.joined_on, m.left_on or m.joined_on), m.pk), reverse=True)


# --- checks --------------------------------------------------------------------------------------------------


def check_secretariat(actor, committee: Committee) -> None:
    if not is_secretariat_of(actor, committee):
        raise PermissionDenied(_("Only the joint meeting's secretariat changes the committee."))


def _check_candidate(committee: Committee, agency: Agency) -> None:
    if not member_candidates(committee).filter(pk=agency.pk).exists():
        raise ValidationError({"agency": _("The agency must be an active agency of the joint meeting's region.")})


# --- committee -----------------------------------------------------------------------------------------------


@transaction.atomic
def create_committee(*, actor, name: str, established_on=None, basis: str = "") -> Committee:
    """The secretariat sets up its region's committee; its own agency is the lead agency. One per region."""
    agency = getattr(actor, "agency", None)
    if getattr(actor, "role", None) != "secretariat" or agency is None:
        raise PermissionDenied(_("Only a secretariat sets up a joint meeting."))
    if Committee.objects.filter(region_id=agency.region_id).exists():
        raise ValidationError(_("The region already has a joint meeting."))
    return create_object(
        actor=actor,
        model=Committee,
        data={
            "region": agency.region,
            "lead_agency": agency,
            "name": name,
            "established_on": established_on,
            "basis": basis,
        },
    )


def update_committee(*, actor, committee: Committee, data: dict) -> Committee:
    """The secretariat changes the committee's name, date of establishment or basis."""
    check_secretariat(actor, committee)
    fields = [f for f in ("name", "established_on", "basis") if f in data]
    return update_object(actor=actor, instance=committee, data=data, fields=fields)


# --- members -------------------------------------------------------------------------------------------------


@transaction.atomic
def add_member(
    *,
    actor,
    committee: Committee,
    agency: Agency,
    role: str,
    name: str,
    title: str,
    joined_on: datetime.date | None = None,
    phone: str = "",
    note: str = "",
) -> Member:
    """The secretariat adds a person for a member agency of the committee's region (audited)."""
    check_secretariat(actor, committee)
    _check_candidate(committee, agency)
    return create_object(
        actor=actor,
        model=Member,
        data={
            "committee": committee,
            "agency": agency,
            "role": role,
            "name": name,
            "title": title,
            "phone": phone,
            "joined_on": joined_on or _today(),
            "note": note,
        },
    )


def _check_current(member: Member, left_on: datetime.date) -> None:
    if member.left_on is not None:
        raise ValidationError(_("This member has already left the joint meeting."))
    if left_on < member.joined_on:
        raise ValidationError({"left_on": _("A member cannot leave before joining.")})


@transaction.atomic
def member_leaves(*, actor, member: Member, left_on: datetime.date | None = None, note: str = "") -> Member:
    """The secretariat records that a member left the committee on ``left_on`` (audited)."""
    member = Member.objects.select_for_update().select_related("committee__region").get(pk=member.pk)
    check_secretariat(actor, member.committee)
    left_on = left_on or _today()
    _check_current(member, left_on)
    data = {"left_on": left_on}
    if note:
        data["note"] = note
    return update_object(actor=actor, instance=member, data=data)


@transaction.atomic
def replace_member(
    *,
    actor,
    member: Member,
    on: datetime.date | None = None,
    name: str,
    title: str,
    phone: str = "",
    agency: Agency | None = None,
    role: str | None = None,
    note: str = "",
) -> Member:
    """A new person takes the member's seat: the old one leaves on ``on``, the new one joins that day and names
    whom it replaces (the same agency and role unless given). Returns the new member."""
    member = Member.objects.select_for_update().select_related("committee__region", "agency").get(pk=member.pk)
    check_secretariat(actor, member.committee)
    on = on or _today()
    _check_current(member, on)
    agency = agency or member.agency
    _check_candidate(member.committee, agency)
    update_object(actor=actor, instance=member, data={"left_on": on})
    new = create_object(
        actor=actor,
        model=Member,
        data={
            "committee": member.committee,
            "agency": agency,
            "role": role or member.role,
            "name": name,
            "title": title,
            "phone": phone,
            "joined_on": on,
            "replaces": member,
            "note": note,
        },
    )
    audit.record(actor=actor, verb="replace", obj=new, changes={"replaces": [None, member.pk]}, note=str(member))
    return new
