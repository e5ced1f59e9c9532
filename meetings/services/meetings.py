"""Writes of the joint meeting: meetings (one function per user action, each audited).

A meeting's life: the secretariat calls it (every current member agency gets an attendance row and an invitation to
propose agenda items before the cut-off; the agenda already lists the committee's open action items and, for the
annual start-of-year meeting, the briefing on last year's injury situation), member agencies propose items, the
secretariat orders, approves or declines them and sends the notice, agencies reply, the secretariat records the
attendance, the minutes and the decisions with their action items (督办事项), and publishing the minutes closes it.
Action items take progress reports from their agencies, are marked done by the lead (or the secretariat), and are
reminded once a week before the due date and once when overdue (``remind_action_items``, a daily job).

Who may: the secretariat of the committee (``is_secretariat_of``) runs the meeting; a member agency's users write
only their own agency's proposals, reply and progress. A refusal is ``PermissionDenied``; a rule of the workflow
(cut-off passed, wrong state) is a ``ValidationError`` with a Chinese message.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, uploads
from portal.accounts.models import Agency, User
from portal.notifications.models import Notification
from portal.notifications.services import notify_many

from ..models import (
    ActionItem,
    ActionProgress,
    ActionReminder,
    AgendaAttachment,
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    Meeting,
    Member,
    is_secretariat_of,
)

DUE_SOON_DAYS = 7  # the reminder a week before the due date
ATTACHMENTS_PER_ITEM = 10


class Stage:
    """The stages of an action item's reminders (``ActionReminder.stage``): one reminder each."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def _now() -> datetime.datetime:
    return timezone.now()


def _today() -> datetime.date:
    return timezone.localdate()


# --- who --------------------------------------------------------------------------------------------------------


def member_agency_ids(committee: Committee) -> list[int]:
    """The committee's current member agencies (a member with no ``left_on``), each once."""
    return list(
        Member.objects.filter(committee=committee, left_on__isnull=True)
        .order_by("agency_id")
        .values_list("agency_id", flat=True)
        .distinct()
    )


def agency_users(agency_ids) -> dict[int, list[User]]:
    out: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(agency_id__in=list(agency_ids), is_active=True).order_by("pk"):
        out[user.agency_id].append(user)
    return out


def _visible(actor, model, pk):
    """The row if ``actor`` may see it, else PermissionDenied (a service called outside a view)."""
    obj = model.objects.visible_to(actor).filter(pk=pk).first()
    if obj is None:
        raise PermissionDenied
    return obj


def _require_secretariat(actor, committee: Committee) -> None:
    if not is_secretariat_of(actor, committee):
        raise PermissionDenied


def is_member_agency(actor, committee: Committee) -> bool:
    return bool(getattr(actor, "agency_id", None)) and actor.agency_id in member_agency_ids(committee)


def _notify(agency_ids, title: str, body: str, url: str, level: str = "info") -> None:
    users = agency_users(agency_ids)
    rows = [
        Notification(recipient=u, title=title[:200], body=body, url=url, level=level)
        for agency_id in dict.fromkeys(agency_ids)
        for u in users[agency_id]
    ]
    if rows:
        notify_many(rows)


def _local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


# --- calling a meeting ------------------------------------------------------------------------------------------


def open_actions_text(committee: Committee, today: datetime.date | None = None) -> str:
    """The committee's open action items, one a line: title, lead agency, due date, overdue."""
    today = today or _today()
    lines = []
    for action in ActionItem.objects.filter(committee=committee, state=ActionItem.State.OPEN).select_related(
        "lead_agency"
    ):
        line = _("%(title)s — lead: %(agency)s, due %(due)s") % {
            "title": action.title,
            "agency": action.lead_agency.name,
            "due": action.due_on.isoformat(),
        }
        if action.due_on < today:
            line += _(" (overdue)")
        lines.append(line)
    return "\n".join(lines) if lines else _("No open action items.")


def _briefing_item(meeting: Meeting, actor, now) -> AgendaItem:
    """The annual meeting's briefing on last year's injury situation (seed 004 §2.1.2), from the statistics: the
    summary as the item's description, the briefing's PDF as its attachment."""
    from incidents.analysis import briefing

    committee = meeting.committee
    year = timezone.localtime(meeting.starts_at).year - 1
    report = briefing.build(year, committee.region)
    item = AgendaItem.objects.create(
        meeting=meeting,
        agency=committee.lead_agency,
        title=_("Briefing on the work-injury situation in %(year)s") % {"year": year},
        description=f"{report.summary_text()}\n{report.key_text()}",
        source=AgendaItem.Source.BRIEFING,
        state=AgendaItem.State.APPROVED,
        position=1,
        proposed_by=actor,
        proposed_at=now,
    )
    data = briefing.pdf(report, author=committee.lead_agency.name)
    name = _("Work-injury situation %(year)s %(region)s.pdf") % {"year": year, "region": committee.region.name}
    attachment = AgendaAttachment(owner=item, name=name[:200], size=len(data))
    attachment.file.save(f"briefing-{year}.pdf", ContentFile(data), save=False)
    attachment.save()
    return item


@transaction.atomic
def call_meeting(
    *,
    actor,
    committee: Committee,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    place: str,
    agenda_cutoff: datetime.datetime,
) -> Meeting:
    """Call a meeting: attendance rows (pending) for every current member agency, the automatic agenda items
    (annual briefing, open action items) and an invitation to propose items before the cut-off."""
    _require_secretariat(actor, committee)
    now = _now()
    meeting = Meeting(
        committee=committee,
        kind=kind,
        title=title,
        starts_at=starts_at,
        place=place,
        agenda_cutoff=agenda_cutoff,
        created_by=actor,
    )
    meeting.full_clean()
    if agenda_cutoff < now:
        raise ValidationError({"agenda_cutoff": _("The agenda cut-off must not lie in the past.")})
    meeting.save()
    agencies = member_agency_ids(committee)
    Attendance.objects.bulk_create([Attendance(meeting=meeting, agency_id=a) for a in agencies])
    position = 1
    if kind == Meeting.Kind.ANNUAL:
        _briefing_item(meeting, actor, now)
        position = 2
    AgendaItem.objects.create(
        meeting=meeting,
        agency=committee.lead_agency,
        title=_("Open action items"),
        description=open_actions_text(committee),
        source=AgendaItem.Source.OPEN_ACTIONS,
        state=AgendaItem.State.APPROVED,
        position=position,
        proposed_by=actor,
        proposed_at=now,
    )
    audit.record(actor=actor, verb="create", obj=meeting, changes=audit.diff({}, audit.snapshot(meeting)))
    _notify(
        agencies,
        _("Joint meeting called: %(title)s") % {"title": meeting.title},
        _("%(when)s at %(place)s. Propose agenda items before %(cutoff)s.")
        % {"when": _local(meeting.starts_at), "place": meeting.place, "cutoff": _local(meeting.agenda_cutoff)},
        meeting.get_absolute_url(),
    )
    return meeting


# --- agenda -----------------------------------------------------------------------------------------------------


def may_propose(actor, meeting: Meeting, now=None) -> bool:
    """Whether the actor's agency may still propose agenda items for the meeting."""
    now = now or _now()
    return (
        meeting.state == Meeting.State.CALLING
        and now <= meeting.agenda_cutoff
        and actor.has_perm("meetings.add_agendaitem")
        and is_member_agency(actor, meeting.committee)
    )


@transaction.atomic
def propose_agenda_item(
    *, actor, meeting: Meeting, title: str, description: str = "", agency: Agency | None = None, files=()
) -> AgendaItem:
    """A member agency proposes an item (with files) for its own agency, until the cut-off."""
    meeting = _visible(actor, Meeting, meeting.pk)
    if not actor.has_perm("meetings.add_agendaitem") or not actor.agency_id:
        raise PermissionDenied
    if agency is not None and agency.pk != actor.agency_id:
        raise PermissionDenied
    if not is_member_agency(actor, meeting.committee):
        raise PermissionDenied
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state != Meeting.State.CALLING or _now() > meeting.agenda_cutoff:
        raise ValidationError(_("The agenda cut-off has passed: no more items can be proposed for this meeting."))
    item = AgendaItem(
        meeting=meeting,
        agency_id=actor.agency_id,
        title=title,
        description=description,
        source=AgendaItem.Source.AGENCY,
        proposed_by=actor,
        proposed_at=_now(),
    )
    item.full_clean()
    item.save()
    audit.record(actor=actor, verb="create", obj=item, changes=audit.diff({}, audit.snapshot(item)))
    for upload in files or ():
        _attach(actor, item, upload)
    secretariat = User.objects.filter(
        agency_id=meeting.committee.lead_agency_id, role="secretariat", is_active=True
    ).exclude(pk=actor.pk)
    title = _("Agenda item proposed for %(meeting)s: %(title)s") % {"meeting": meeting.title, "title": item.title}
    rows = [
        Notification(
            recipient=u,
            title=title[:200],
            body=_("Approve or decline it before sending the notice."),
            url=meeting.get_absolute_url(),
        )
        for u in secretariat
    ]
    if rows:
        notify_many(rows)
    return item


def _attach(actor, item: AgendaItem, upload) -> AgendaAttachment:
    if item.attachments.count() >= ATTACHMENTS_PER_ITEM:
        raise ValidationError({"files": _("An agenda item takes at most %(n)s files.") % {"n": ATTACHMENTS_PER_ITEM}})
    name, kind, sha256 = uploads.check_upload(upload, field="files")
    attachment = AgendaAttachment(owner=item, name=name, size=upload.size)
    attachment.file.save(uploads.stored_name(sha256, kind), upload, save=False)
    attachment.save()
    audit.record(actor=actor, verb="attach", obj=item, changes={"file": name, "sha256": sha256})
    return attachment


@transaction.atomic
def add_agenda_attachment(*, actor, item: AgendaItem, upload) -> AgendaAttachment:
    """A file for an item: by its proposing agency until the cut-off, or by the secretariat before the meeting."""
    item = AgendaItem.objects.select_related("meeting__committee").get(pk=_visible(actor, AgendaItem, item.pk).pk)
    meeting = item.meeting
    if is_secretariat_of(actor, meeting.committee):
        if meeting.state in (Meeting.State.HELD, Meeting.State.CLOSED):
            raise ValidationError(_("The meeting has been held: its agenda is final."))
    elif actor.agency_id == item.agency_id and item.source == AgendaItem.Source.AGENCY:
        if meeting.state != Meeting.State.CALLING or _now() > meeting.agenda_cutoff:
            raise ValidationError(_("The agenda cut-off has passed: no more items can be proposed for this meeting."))
    else:
        raise PermissionDenied
    return _attach(actor, item, upload)


def _secretariat_item(actor, item: AgendaItem) -> AgendaItem:
    item = AgendaItem.objects.select_for_update(of=("self",)).select_related("meeting__committee").get(pk=item.pk)
    _require_secretariat(actor, item.meeting.committee)
    if item.meeting.state in (Meeting.State.HELD, Meeting.State.CLOSED):
        raise ValidationError(_("The meeting has been held: its agenda is final."))
    return item


def _next_position(meeting: Meeting) -> int:
    top = AgendaItem.objects.filter(meeting=meeting, state=AgendaItem.State.APPROVED).aggregate(m=Max("position"))
    return (top["m"] or 0) + 1


@transaction.atomic
def approve_agenda_item(*, actor, item: AgendaItem, position: int | None = None) -> AgendaItem:
    """Put a proposed (or declined) item on the agenda, last unless a position is given."""
    item = _secretariat_item(actor, item)
    before = audit.snapshot(item)
    item.state = AgendaItem.State.APPROVED
    item.decline_reason = ""
    item.position = position or (item.position if before["state"] == "approved" else _next_position(item.meeting))
    item.full_clean()
    item.save()
    audit.record_change(actor=actor, verb="approve", obj=item, before=before)
    return item


@transaction.atomic
def decline_agenda_item(*, actor, item: AgendaItem, reason: str) -> AgendaItem:
    """Decline an item with a reason; its agency is told."""
    item = _secretariat_item(actor, item)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for declining the item.")})
    before = audit.snapshot(item)
    item.state, item.decline_reason, item.position = AgendaItem.State.DECLINED, reason.strip(), None
    item.full_clean()
    item.save()
    audit.record_change(actor=actor, verb="decline", obj=item, before=before)
    if item.source == AgendaItem.Source.AGENCY:
        _notify(
            [item.agency_id],
            _("Agenda item declined: %(title)s") % {"title": item.title},
            item.decline_reason,
            item.meeting.get_absolute_url(),
            "warning",
        )
    return item


@transaction.atomic
def order_agenda(*, actor, meeting: Meeting, item_ids: list[int]) -> list[AgendaItem]:
    """Number the approved items in the given order (items not named follow in their current order)."""
    meeting = Meeting.objects.select_for_update().select_related("committee").get(pk=meeting.pk)
    _require_secretariat(actor, meeting.committee)
    if meeting.state in (Meeting.State.HELD, Meeting.State.CLOSED):
        raise ValidationError(_("The meeting has been held: its agenda is final."))
    approved = list(meeting.agenda_items.filter(state=AgendaItem.State.APPROVED).order_by("position", "id"))
    by_id = {i.pk: i for i in approved}
    unknown = [pk for pk in item_ids if pk not in by_id]
    if unknown:
        raise ValidationError(_("Only the items on the agenda can be ordered."))
    ordered = [by_id[pk] for pk in dict.fromkeys(item_ids)] + [i for i in approved if i.pk not in item_ids]
    for number, item in enumerate(ordered, start=1):
        item.position = number
    AgendaItem.objects.bulk_update(ordered, ["position"])
    audit.record(actor=actor, verb="update", obj=meeting, changes={"agenda": [i.pk for i in ordered]})
    return ordered


def approved_agenda(meeting: Meeting) -> list[AgendaItem]:
    return list(
        meeting.agenda_items.filter(state=AgendaItem.State.APPROVED)
        .select_related("agency")
        .prefetch_related("attachments")
        .order_by("position", "proposed_at", "id")
    )


@transaction.atomic
def send_notice(*, actor, meeting: Meeting) -> Meeting:
    """Send the meeting notice (time, place, the approved agenda) to every member agency; every proposal must
    have been approved or declined first."""
    meeting = Meeting.objects.select_for_update().select_related("committee").get(pk=meeting.pk)
    _require_secretariat(actor, meeting.committee)
    if meeting.state != Meeting.State.CALLING:
        raise ValidationError(_("The notice of this meeting has already been sent."))
    if meeting.agenda_items.filter(state=AgendaItem.State.PROPOSED).exists():
        raise ValidationError(_("Approve or decline every proposed agenda item before sending the notice."))
    if meeting.starts_at <= _now():
        raise ValidationError(_("The meeting has already started."))
    meeting.state, meeting.notice_sent_at = Meeting.State.NOTIFIED, _now()
    meeting.save(update_fields=["state", "notice_sent_at"])
    audit.record(actor=actor, verb="notify", obj=meeting, changes={"state": ["calling", "notified"]})
    agenda = "\n".join(f"{n}. {i.title}" for n, i in enumerate(approved_agenda(meeting), start=1))
    body = _("Time: %(when)s\nPlace: %(place)s\nAgenda:\n%(agenda)s\nPlease reply whether you attend.") % {
        "when": _local(meeting.starts_at),
        "place": meeting.place,
        "agenda": agenda,
    }
    agencies = list(meeting.attendance.values_list("agency_id", flat=True))
    _notify(agencies, _("Meeting notice: %(title)s") % {"title": meeting.title}, body, meeting.get_absolute_url())
    return meeting


# --- replies and the meeting itself ------------------------------------------------------------------------------


def may_reply(actor, meeting: Meeting, now=None) -> bool:
    now = now or _now()
    return (
        meeting.state in (Meeting.State.CALLING, Meeting.State.NOTIFIED)
        and now < meeting.starts_at
        and actor.has_perm("meetings.change_attendance")
        and meeting.attendance.filter(agency_id=actor.agency_id).exists()
    )


@transaction.atomic
def reply_to_notice(*, actor, meeting: Meeting, reply: str, name: str = "", title: str = "") -> Attendance:
    """The agency's reply: attends (who), sends a delegate (name and title required) or excused; until the start."""
    # The meeting first, then the row (the order record_attendance takes them in).
    meeting = Meeting.objects.select_for_update().get(pk=_visible(actor, Meeting, meeting.pk).pk)
    if not actor.has_perm("meetings.change_attendance") or not actor.agency_id:
        raise PermissionDenied
    row = Attendance.objects.select_for_update().filter(meeting=meeting, agency_id=actor.agency_id).first()
    if row is None:
        raise PermissionDenied
    if meeting.state not in (Meeting.State.CALLING, Meeting.State.NOTIFIED) or _now() >= meeting.starts_at:
        raise ValidationError(_("The meeting has started: replies are closed."))
    name, title = (name or "").strip(), (title or "").strip()
    errors = {}
    if reply not in (Attendance.Reply.ATTENDS, Attendance.Reply.DELEGATE, Attendance.Reply.EXCUSED):
        errors["reply"] = _("Choose a reply.")
    if reply in (Attendance.Reply.ATTENDS, Attendance.Reply.DELEGATE) and not name:
        errors["name"] = _("Give the name of who attends.")
    if reply == Attendance.Reply.DELEGATE and not title:
        errors["title"] = _("Give the delegate's title.")
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(row)
    row.reply = reply
    row.attendee = "" if reply == Attendance.Reply.EXCUSED else " ".join(p for p in (name, title) if p)
    row.replied_at = _now()
    row.full_clean()
    row.save()
    audit.record_change(actor=actor, verb="update", obj=row, before=before)
    return row


def _held_meeting(actor, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("committee").get(pk=meeting.pk)
    _require_secretariat(actor, meeting.committee)
    if meeting.state == Meeting.State.CLOSED:
        raise ValidationError(_("The minutes are published: the meeting is closed."))
    if _now() < meeting.starts_at:
        raise ValidationError(_("The meeting has not started yet."))
    return meeting


@transaction.atomic
def record_attendance(*, actor, meeting: Meeting, present: dict[int, bool | None]) -> Meeting:
    """Who was there ({agency id: present}), after the start."""
    meeting = _held_meeting(actor, meeting)
    rows = list(meeting.attendance.select_for_update())
    changed = {}
    for row in rows:
        if row.agency_id in present and row.present != present[row.agency_id]:
            changed[row.agency_id] = [row.present, present[row.agency_id]]
            row.present = present[row.agency_id]
    Attendance.objects.bulk_update(rows, ["present"])
    if meeting.state != Meeting.State.HELD:
        meeting.state = Meeting.State.HELD
        meeting.save(update_fields=["state"])
    audit.record(actor=actor, verb="update", obj=meeting, changes={"present": changed})
    return meeting


@transaction.atomic
def record_minutes(*, actor, meeting: Meeting, minutes: str, chaired_by: str) -> Meeting:
    meeting = _held_meeting(actor, meeting)
    before = audit.snapshot(meeting)
    meeting.minutes, meeting.chaired_by, meeting.state = minutes, chaired_by, Meeting.State.HELD
    meeting.full_clean()
    meeting.save()
    audit.record_change(actor=actor, verb="update", obj=meeting, before=before)
    return meeting


@transaction.atomic
def add_decision(*, actor, meeting: Meeting, text: str) -> Decision:
    """A decision of the meeting, numbered after the last one."""
    meeting = _held_meeting(actor, meeting)
    if not (text or "").strip():
        raise ValidationError({"text": _("Write the decision.")})
    top = meeting.decisions.aggregate(m=Max("position"))["m"] or 0
    decision = Decision(meeting=meeting, position=top + 1, text=text.strip())
    decision.full_clean()
    decision.save()
    if meeting.state != Meeting.State.HELD:
        meeting.state = Meeting.State.HELD
        meeting.save(update_fields=["state"])
    audit.record(actor=actor, verb="create", obj=decision, changes=audit.diff({}, audit.snapshot(decision)))
    return decision


@transaction.atomic
def create_action_item(
    *,
    actor,
    decision: Decision,
    title: str,
    lead_agency: Agency,
    due_on: datetime.date,
    participants=(),
    description: str = "",
) -> ActionItem:
    """An action item (督办事项) from a decision; the lead and participating agencies are told."""
    decision = Decision.objects.select_related("meeting__committee").get(pk=decision.pk)
    committee = _held_meeting(actor, decision.meeting).committee  # locked; refused once the minutes are out
    members = set(member_agency_ids(committee))
    participants = [a for a in participants if a.pk != lead_agency.pk]
    if lead_agency.pk not in members or any(a.pk not in members for a in participants):
        raise ValidationError({"lead_agency": _("Assign action items to member agencies of the joint meeting.")})
    action = ActionItem(
        committee=committee,
        decision=decision,
        title=title,
        description=description,
        lead_agency=lead_agency,
        due_on=due_on,
    )
    action.full_clean()
    action.save()
    action.participants.set(participants)
    audit.record(
        actor=actor,
        verb="create",
        obj=action,
        changes={**audit.diff({}, audit.snapshot(action)), "participants": [a.pk for a in participants]},
    )
    _notify(
        [lead_agency.pk, *(a.pk for a in participants)],
        _("Action item assigned: %(title)s") % {"title": action.title},
        _("Lead: %(lead)s. Due on %(due)s.") % {"lead": lead_agency.name, "due": action.due_on.isoformat()},
        action_url(action),
    )
    return action


def action_url(action: ActionItem) -> str:
    from django.urls import reverse

    return reverse("meetings:actionitem_detail", args=[action.pk])


@transaction.atomic
def publish_minutes(*, actor, meeting: Meeting) -> Meeting:
    """Publish the minutes: the meeting is closed and the members are told."""
    meeting = _held_meeting(actor, meeting)
    if not meeting.minutes.strip():
        raise ValidationError(_("Record the minutes before publishing them."))
    before = audit.snapshot(meeting)
    meeting.state, meeting.minutes_published_at = Meeting.State.CLOSED, _now()
    meeting.save(update_fields=["state", "minutes_published_at"])
    audit.record_change(actor=actor, verb="publish", obj=meeting, before=before)
    _notify(
        list(meeting.attendance.values_list("agency_id", flat=True)),
        _("Minutes published: %(title)s") % {"title": meeting.title},
        _("The minutes, decisions and action items are on the meeting's page."),
        meeting.get_absolute_url(),
    )
    return meeting


def record_export(*, actor, meeting: Meeting, fmt: str) -> None:
    audit.record(actor=actor, verb="export", obj=meeting, note=f"minutes {fmt}")


# --- action items -----------------------------------------------------------------------------------------------


def action_agency_ids(action: ActionItem) -> set[int]:
    return {action.lead_agency_id, *(a.pk for a in action.participants.all())}


def may_report_progress(actor, action: ActionItem) -> bool:
    return (
        action.state == ActionItem.State.OPEN
        and actor.has_perm("meetings.add_actionprogress")
        and bool(actor.agency_id)
        and actor.agency_id in action_agency_ids(action)
    )


def may_mark_done(actor, action: ActionItem) -> bool:
    return action.state == ActionItem.State.OPEN and (
        (
            bool(actor.agency_id)
            and actor.agency_id == action.lead_agency_id
            and actor.has_perm("meetings.view_actionitem")
        )
        or is_secretariat_of(actor, action.committee)
    )


@transaction.atomic
def report_progress(*, actor, action: ActionItem, text: str, percent: int) -> ActionProgress:
    """Progress on an action item, by its lead or a participating agency (not once it is done: locked against
    a concurrent "done")."""
    action = ActionItem.objects.select_for_update().get(pk=_visible(actor, ActionItem, action.pk).pk)
    if not may_report_progress(actor, action):
        if action.state != ActionItem.State.OPEN and actor.agency_id in action_agency_ids(action):
            raise ValidationError(_("The action item is no longer open."))
        raise PermissionDenied
    progress = ActionProgress(
        action=action, agency_id=actor.agency_id, text=text, percent=percent, reported_by=actor, reported_at=_now()
    )
    progress.full_clean()
    progress.save()
    audit.record(actor=actor, verb="create", obj=progress, changes=audit.diff({}, audit.snapshot(progress)))
    return progress


@transaction.atomic
def mark_action_done(*, actor, action: ActionItem) -> ActionItem:
    """The lead agency (or the secretariat) marks the item done."""
    action = (
        ActionItem.objects.select_for_update()
        .select_related("committee")
        .get(pk=_visible(actor, ActionItem, action.pk).pk)
    )
    if action.state != ActionItem.State.OPEN:
        raise ValidationError(_("The action item is no longer open."))
    if not may_mark_done(actor, action):
        raise PermissionDenied
    before = audit.snapshot(action)
    action.state, action.done_on = ActionItem.State.DONE, _today()
    action.save(update_fields=["state", "done_on"])
    audit.record_change(actor=actor, verb="update", obj=action, before=before)
    _notify(
        [action.committee.lead_agency_id],
        _("Action item done: %(title)s") % {"title": action.title},
        "",
        action_url(action),
    )
    return action


def overdue_action_items(committee: Committee, today: datetime.date | None = None):
    """Open action items of the committee past their due date (for dashboards), earliest first."""
    today = today or _today()
    return (
        ActionItem.objects.filter(committee=committee, state=ActionItem.State.OPEN, due_on__lt=today)
        .select_related("lead_agency")
        .order_by("due_on", "id")
    )


def remind_action_items(*, today: datetime.date | None = None) -> int:
    """The daily job: remind the lead and participating agencies of open items once a week before the due date and
    once when overdue. One ``ActionReminder`` per item and stage (unique), so a second run sends nothing."""
    today = today or _today()
    open_items = ActionItem.objects.filter(state=ActionItem.State.OPEN)
    plan = [
        (
            Stage.DUE_SOON,
            open_items.filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)),
        ),
        (Stage.OVERDUE, open_items.filter(due_on__lt=today)),
    ]
    sent = 0
    now = _now()
    for stage, qs in plan:
        with transaction.atomic():
            items = list(
                qs.exclude(Exists(ActionReminder.objects.filter(action=OuterRef("pk"), stage=stage)))
                .select_related("lead_agency")
                .prefetch_related("participants")
            )
            if not items:
                continue
            ActionReminder.objects.bulk_create(
                [ActionReminder(action=a, stage=stage, sent_at=now) for a in items], ignore_conflicts=True
            )
            claimed = set(
                ActionReminder.objects.filter(stage=stage, sent_at=now, action__in=items).values_list(
                    "action_id", flat=True
                )
            )
            items = [a for a in items if a.pk in claimed]
            agency_ids = {x for a in items for x in (a.lead_agency_id, *(p.pk for p in a.participants.all()))}
            users = agency_users(agency_ids)
            rows = []
            for action in items:
                fmt = {"title": action.title, "due": action.due_on.isoformat()}
                if stage == Stage.OVERDUE:
                    title, level = _("Overdue action item: %(title)s was due on %(due)s") % fmt, "danger"
                else:
                    title, level = _("Action item due on %(due)s: %(title)s") % fmt, "warning"
                targets = dict.fromkeys([action.lead_agency_id, *(p.pk for p in action.participants.all())])
                rows.extend(
                    Notification(
                        recipient=u,
                        title=title[:200],
                        body=_("Report progress or mark it done."),
                        url=action_url(action),
                        level=level,
                    )
                    for agency_id in targets
                    for u in users[agency_id]
                )
                audit.record(actor=None, verb="remind", obj=action, note=stage)
            if rows:
                notify_many(rows)
            sent += len(items)
    return sent


def action_items_for_agency(agency_id: int):
    """Open action items an agency leads or takes part in."""
    return (
        ActionItem.objects.filter(state=ActionItem.State.OPEN)
        .filter(Q(lead_agency_id=agency_id) | Q(participants__id=agency_id))
        .distinct()
    )
