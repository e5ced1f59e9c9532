"""Writes of the joint meeting: opinion solicitations (征求意见, seed 000: 逾期不回复视为无意见).

The secretariat drafts a solicitation (letter, deadline, recipient agencies, attachments), edits the draft and
circulates it; each recipient agency replies for itself (无意见, or comments with the stamped scan) until the
deadline; an hourly job reminds the agencies that have not replied when the deadline is within 24 hours, and the
minute job closes each solicitation whose deadline has passed, recording every missing reply as 无意见（逾期未回复）
once. One function per user action, each audited; the time is read through ``_now()`` (patchable in tests).

The draft keeps its recipients as Reply rows (state waiting): the model has no other place for them. They only
reach the agencies (lists, reminders, the deadline job) once the solicitation is open.
"""

from __future__ import annotations

import datetime
import io

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, uploads
from portal.accounts.models import Agency, User
from portal.notifications.models import Notification
from portal.notifications.services import notify, notify_many

from ..models import Committee, Member, Reply, Solicitation, SolicitationAttachment, is_secretariat_of

REMIND_WITHIN = datetime.timedelta(hours=24)  # remind the silent agencies once, a day before the deadline
ATTACHMENTS_PER_SOLICITATION = 20
# A letter's attachments and a reply's stamped scan: PDF, images (scans), Word and Excel (by content).
ACCEPTED_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
EDIT_FIELDS = ("title", "body", "deadline")


def _now() -> datetime.datetime:
    return timezone.now()


# --- who sees what ------------------------------------------------------------------------------------------------


def solicitations_visible_to(user) -> QuerySet[Solicitation]:
    """The solicitations the user may see (``Solicitation.scope_visible``: drafts only to their secretariat)."""
    return Solicitation.objects.visible_to(user)


def replies_visible_to(user) -> QuerySet[Reply]:
    """The replies the user may see (``Reply.scope_visible``: an agency only its own, once circulated)."""
    return Reply.objects.visible_to(user)


def own_replies(user) -> QuerySet[Reply]:
    """The replies the user's agency writes: its own rows of circulated solicitations."""
    if not user.agency_id:
        return Reply.objects.none()
    return (
        Reply.objects.visible_to(user)
        .filter(agency_id=user.agency_id)
        .exclude(solicitation__state=Solicitation.State.DRAFT)
    )


def waiting_replies(user, now=None) -> QuerySet[Reply]:
    """The agency's replies still owed: open solicitations, deadline not passed, soonest deadline first."""
    now = now or _now()
    return (
        own_replies(user)
        .filter(state=Reply.State.WAITING, solicitation__state=Solicitation.State.OPEN, solicitation__deadline__gt=now)
        .order_by("solicitation__deadline", "pk")
    )


def may_reply(user, reply: Reply) -> bool:
    return bool(user.agency_id) and user.agency_id == reply.agency_id and user.has_perm("meetings.change_reply")


def reply_counts(solicitation: Solicitation) -> dict[str, int]:
    """How many replies are in each state, and in all."""
    counts = {state: 0 for state in Reply.State.values}
    for row in solicitation.replies.values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    counts["total"] = sum(counts[s] for s in Reply.State.values)
    return counts


def current_member_agencies(committee: Committee) -> QuerySet[Agency]:
    """The agencies with a current member on the committee (the default recipients)."""
    ids = Member.objects.filter(committee=committee, left_on__isnull=True).values("agency_id")
    return Agency.objects.filter(pk__in=ids, is_active=True).order_by("kind", "name")


# --- helpers ---------------------------------------------------------------------------------------------------


def _secretariat(actor, committee: Committee, perm: str) -> None:
    if not actor.has_perm(perm) or not is_secretariat_of(actor, committee):
        raise PermissionDenied


def _agency_users(agency_ids) -> list[User]:
    return list(User.objects.filter(agency_id__in=list(agency_ids), is_active=True).order_by("pk"))


def _check_recipients(committee: Committee, agencies) -> list[Agency]:
    agencies = list({a.pk: a for a in agencies}.values())
    if not agencies:
        raise ValidationError({"agencies": _("Choose at least one member agency.")})
    members = set(current_member_agencies(committee).values_list("pk", flat=True))
    strangers = [a.name for a in agencies if a.pk not in members]
    if strangers:
        raise ValidationError(
            {
                "agencies": _("Not a current member agency of this joint meeting: %(names)s")
                % {"names": "、".join(strangers)}
            }
        )
    return agencies


def _set_recipients(solicitation: Solicitation, agencies: list[Agency]) -> None:
    wanted = {a.pk for a in agencies}
    solicitation.replies.exclude(agency_id__in=wanted).delete()
    have = set(solicitation.replies.values_list("agency_id", flat=True))
    Reply.objects.bulk_create([Reply(solicitation=solicitation, agency_id=pk) for pk in sorted(wanted - have)])


def _check_upload(upload, field: str) -> tuple[str, str, str]:
    """(name, content type, sha256) of an accepted upload: type by content matching the name, size limited."""
    return uploads.check_upload(upload, field=field, accepted=ACCEPTED_TYPES)


def _deadline_text(deadline: datetime.datetime) -> str:
    return timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")


# --- the secretariat: draft, edit, circulate -----------------------------------------------------------------------


@transaction.atomic
def draft_solicitation(
    *,
    actor: User,
    committee: Committee,
    title: str,
    body: str,
    deadline: datetime.datetime,
    agencies=None,
    attachments=(),
) -> Solicitation:
    """A new draft; its recipients default to every current member agency."""
    _secretariat(actor, committee, "meetings.add_solicitation")
    recipients = _check_recipients(
        committee, list(current_member_agencies(committee)) if agencies is None else agencies
    )
    solicitation = Solicitation(committee=committee, title=title, body=body, deadline=deadline, created_by=actor)
    solicitation.full_clean()
    solicitation.save()
    _set_recipients(solicitation, recipients)
    audit.record(
        actor=actor,
        verb="create",
        obj=solicitation,
        changes={**audit.diff({}, audit.snapshot(solicitation)), "agencies": sorted(a.pk for a in recipients)},
    )
    for upload in attachments:
        add_attachment(actor=actor, solicitation=solicitation, upload=upload)
    return solicitation


def _draft_for_update(actor, solicitation: Solicitation, perm: str = "meetings.change_solicitation") -> Solicitation:
    solicitation = Solicitation.objects.select_for_update().select_related("committee__region").get(pk=solicitation.pk)
    _secretariat(actor, solicitation.committee, perm)
    if solicitation.state != Solicitation.State.DRAFT:
        raise ValidationError(_("Only a draft can be changed; this solicitation has been circulated."))
    return solicitation


@transaction.atomic
def update_solicitation(*, actor: User, solicitation: Solicitation, data: dict, agencies=None) -> Solicitation:
    """Change the draft's title, letter, deadline and (if given) its recipients."""
    solicitation = _draft_for_update(actor, solicitation)
    before = audit.snapshot(solicitation)
    for name in EDIT_FIELDS:
        if name in data:
            setattr(solicitation, name, data[name])
    solicitation.full_clean()
    solicitation.save()
    changes = audit.diff(before, audit.snapshot(solicitation))
    if agencies is not None:
        recipients = _check_recipients(solicitation.committee, agencies)
        old = sorted(solicitation.replies.values_list("agency_id", flat=True))
        _set_recipients(solicitation, recipients)
        new = sorted(a.pk for a in recipients)
        if old != new:
            changes["agencies"] = [old, new]
    if changes:
        audit.record(actor=actor, verb="update", obj=solicitation, changes=changes)
    return solicitation


@transaction.atomic
def add_attachment(*, actor: User, solicitation: Solicitation, upload) -> SolicitationAttachment:
    """Attach a file to the draft (PDF, PNG, JPEG, DOCX or XLSX by content; size limited)."""
    solicitation = _draft_for_update(actor, solicitation)
    if solicitation.attachments.count() >= ATTACHMENTS_PER_SOLICITATION:
        raise ValidationError(
            {"attachments": _("A solicitation takes at most %(n)s files.") % {"n": ATTACHMENTS_PER_SOLICITATION}}
        )
    name, kind, sha = _check_upload(upload, "attachments")
    attachment = SolicitationAttachment(owner=solicitation, name=name, size=upload.size)
    attachment.file.save(uploads.stored_name(sha, kind), upload, save=False)
    attachment.save()
    audit.record(actor=actor, verb="attach", obj=solicitation, changes={"file": name, "sha256": sha})
    return attachment


@transaction.atomic
def remove_attachment(*, actor: User, attachment: SolicitationAttachment) -> None:
    _draft_for_update(actor, attachment.owner)
    audit.record(actor=actor, verb="detach", obj=attachment.owner, changes={"file": attachment.name})
    attachment.delete()


@transaction.atomic
def circulate_solicitation(*, actor: User, solicitation: Solicitation) -> Solicitation:
    """Send the draft to its recipient agencies: replies wait, every user of those agencies is notified (inbox and
    e-mail). The deadline must lie ahead."""
    solicitation = _draft_for_update(actor, solicitation)
    now = _now()
    if solicitation.deadline <= now:
        raise ValidationError({"deadline": _("The deadline has passed; set a later deadline before circulating.")})
    replies = list(solicitation.replies.all())
    if not replies:
        raise ValidationError({"agencies": _("Choose at least one member agency.")})
    Reply.objects.filter(pk__in=[r.pk for r in replies]).update(
        state=Reply.State.WAITING, comments="", scan="", replied_at=None, replied_by=None, reminded_at=None
    )
    solicitation.state, solicitation.circulated_at = Solicitation.State.OPEN, now
    solicitation.save(update_fields=["state", "circulated_at"])
    audit.record(
        actor=actor,
        verb="circulate",
        obj=solicitation,
        changes={"state": [Solicitation.State.DRAFT, Solicitation.State.OPEN], "agencies": len(replies)},
    )
    title = _("Opinions requested by %(deadline)s: %(title)s") % {
        "deadline": _deadline_text(solicitation.deadline),
        "title": solicitation.title,
    }
    body = _(
        "Reply for your agency before the deadline: no opinion, or your comments with the stamped scan. "
        "No reply by the deadline is recorded as no opinion."
    )
    recipients = _agency_users(r.agency_id for r in replies)
    notify(recipients=recipients, title=title, body=body, url=reverse("meetings:reply_waiting"), level="warning")
    return solicitation


def _reply_snapshot(reply: Reply) -> dict:
    """The reply's fields for the audit trail."""
    return audit.snapshot(reply, fields=["state", "comments", "replied_at", "replied_by", "scan"])


# --- the recipient agency: reply -------------------------------------------------------------------------------


@transaction.atomic
def reply_to_solicitation(*, actor: User, reply: Reply, state: str, comments: str = "", scan=None) -> Reply:
    """The agency's reply for itself: 无意见, or comments with the stamped scan (required with comments). It may
    be changed until the deadline; at or after the deadline it is refused."""
    solicitation = Solicitation.objects.select_for_update().get(pk=reply.solicitation_id)
    reply = Reply.objects.select_for_update().select_related("agency").get(pk=reply.pk)
    if not may_reply(actor, reply):
        raise PermissionDenied
    if solicitation.state == Solicitation.State.DRAFT:
        raise PermissionDenied
    now = _now()
    if solicitation.state != Solicitation.State.OPEN or now >= solicitation.deadline:
        raise ValidationError(
            _("The deadline (%(deadline)s) has passed; replies are no longer accepted.")
            % {"deadline": _deadline_text(solicitation.deadline)}
        )
    if state not in (Reply.State.NO_OPINION, Reply.State.COMMENTS):
        raise ValidationError({"state": _("Choose no opinion or comments.")})
    comments = (comments or "").strip()
    before = _reply_snapshot(reply)
    sha = None
    if scan is not None:
        name, kind, sha = _check_upload(scan, "scan")
    if state == Reply.State.COMMENTS:
        if not comments:
            raise ValidationError({"comments": _("Write your comments, or reply with no opinion.")})
        if scan is None and not reply.scan:
            raise ValidationError({"scan": _("Attach the stamped scan of your comments.")})
    else:
        comments = ""
        if scan is None:
            reply.scan = ""
    if scan is not None:
        reply.scan.save(f"{reply.agency_id}-{uploads.stored_name(sha, kind)}", scan, save=False)
    reply.state, reply.comments, reply.replied_at, reply.replied_by = state, comments, now, actor
    reply.full_clean()
    reply.save()
    changes = audit.diff(before, _reply_snapshot(reply))
    if sha:
        changes["scan_sha256"] = sha
    audit.record(actor=actor, verb="reply", obj=reply, changes=changes)
    notify(
        recipients=[solicitation.created_by],
        title=_("%(agency)s replied: %(title)s") % {"agency": reply.agency.name, "title": solicitation.title},
        url=solicitation.get_absolute_url(),
        email=False,
    )
    return reply


# --- jobs ---------------------------------------------------------------------------------------------------------


def remind_solicitations(now=None) -> int:
    """Remind, once per reply, the recipient agencies that have not replied when the deadline is within 24 hours.
    Returns the number of replies reminded."""
    now = now or _now()
    with transaction.atomic():
        due = list(
            Reply.objects.select_for_update()
            .filter(
                state=Reply.State.WAITING,
                reminded_at__isnull=True,
                solicitation__state=Solicitation.State.OPEN,
                solicitation__deadline__gt=now,
                solicitation__deadline__lte=now + REMIND_WITHIN,
            )
            .select_related("solicitation")
            .order_by("pk")
        )
        if not due:
            return 0
        users: dict[int, list[User]] = {}
        for user in _agency_users({r.agency_id for r in due}):
            users.setdefault(user.agency_id, []).append(user)
        url = reverse("meetings:reply_waiting")
        rows = []
        for reply in due:
            title = _("Reminder: reply by %(deadline)s to %(title)s") % {
                "deadline": _deadline_text(reply.solicitation.deadline),
                "title": reply.solicitation.title,
            }
            body = _("No reply by the deadline is recorded as no opinion.")
            rows.extend(
                Notification(recipient=u, title=title[:200], body=body, url=url, level="warning")
                for u in users.get(reply.agency_id, [])
            )
        Reply.objects.filter(pk__in=[r.pk for r in due]).update(reminded_at=now)
        notify_many(rows)
        return len(due)


def close_due_solicitations(now=None) -> int:
    """Close each open solicitation whose deadline has passed (deadline <= now): every reply still waiting becomes
    无意见（逾期未回复） at the deadline, once. Returns the number of solicitations closed; a second run closes none."""
    now = now or _now()
    due = list(
        Solicitation.objects.filter(state=Solicitation.State.OPEN, deadline__lte=now)
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in due:
        with transaction.atomic():
            solicitation = (
                Solicitation.objects.select_for_update()
                .filter(pk=pk, state=Solicitation.State.OPEN, deadline__lte=now)
                .first()
            )
            if solicitation is None:  # closed meanwhile
                continue
            waiting = list(
                Reply.objects.select_for_update()
                .filter(solicitation=solicitation, state=Reply.State.WAITING)
                .values_list("pk", flat=True)
            )
            Reply.objects.filter(pk__in=waiting).update(state=Reply.State.LAPSED, replied_at=solicitation.deadline)
            solicitation.state, solicitation.closed_at = Solicitation.State.CLOSED, now
            solicitation.save(update_fields=["state", "closed_at"])
            audit.record(
                actor=None,
                verb="close",
                obj=solicitation,
                changes={"state": [Solicitation.State.OPEN, Solicitation.State.CLOSED], "lapsed": len(waiting)},
            )
            notify(
                recipients=[solicitation.created_by],
                title=_("Replies closed: %(title)s") % {"title": solicitation.title},
                body=_("%(n)s agencies did not reply by the deadline; recorded as no opinion.") % {"n": len(waiting)},
                url=solicitation.get_absolute_url(),
                email=False,
            )
            closed += 1
    return closed


# --- the feedback summary (意见汇总表) ----------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EAST_ASIAN_FONT = "宋体"


def opinion_text(reply: Reply) -> str:
    """What the summary says the agency's opinion is."""
    if reply.state == Reply.State.COMMENTS:
        return reply.comments
    return str(reply.get_state_display())


def feedback_rows(solicitation: Solicitation) -> list[dict]:
    replies = solicitation.replies.select_related("agency").order_by("agency__kind", "agency__name", "pk")
    return [
        {
            "number": i,
            "agency": r.agency.name,
            "state": r.state,
            "state_label": str(r.get_state_display()),
            "opinion": opinion_text(r),
            "replied_at": timezone.localtime(r.replied_at).strftime("%Y-%m-%d %H:%M") if r.replied_at else "",
            "scan": "✓" if r.scan else "",
        }
        for i, r in enumerate(replies, start=1)
    ]


def _summary_title(solicitation: Solicitation) -> str:
    return _("Feedback summary: %(title)s") % {"title": solicitation.title}


def feedback_xlsx(solicitation: Solicitation) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rows = feedback_rows(solicitation)
    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Feedback summary"))[:31]
    ws.append([_summary_title(solicitation)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            _("Deadline: %(deadline)s") % {"deadline": _deadline_text(solicitation.deadline)},
        ]
    )
    headers = [_("No."), _("Agency"), _("Reply"), _("Opinion"), _("Replied at"), _("Stamped scan")]
    ws.append(headers)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row["number"], row["agency"], row["state_label"], row["opinion"], row["replied_at"], row["scan"]])
    for letter, width in zip("ABCDEF", (6, 28, 22, 60, 18, 10), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=4):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _east_asian(run, font: str = EAST_ASIAN_FONT) -> None:
    from docx.oxml.ns import qn

    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), font)


def feedback_docx(solicitation: Solicitation) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    rows = feedback_rows(solicitation)
    document = docx.Document()
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(_summary_title(solicitation))
    run.bold = True
    run.font.size = Pt(16)
    _east_asian(run)
    counts = reply_counts(solicitation)
    info = document.add_paragraph()
    _east_asian(
        info.add_run(
            _("Deadline: %(deadline)s. Agencies asked: %(total)s; comments: %(comments)s; no opinion: %(none)s.")
            % {
                "deadline": _deadline_text(solicitation.deadline),
                "total": counts["total"],
                "comments": counts[Reply.State.COMMENTS],
                "none": counts[Reply.State.NO_OPINION] + counts[Reply.State.LAPSED],
            }
        )
    )
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, (_("No."), _("Agency"), _("Opinion"), _("Replied at")), strict=True):
        r = cell.paragraphs[0].add_run(str(text))
        r.bold = True
        _east_asian(r)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(
            cells, (str(row["number"]), row["agency"], row["opinion"], row["replied_at"]), strict=True
        ):
            _east_asian(cell.paragraphs[0].add_run(text))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@transaction.atomic
def export_feedback(*, actor: User, solicitation: Solicitation, fmt: str) -> tuple[bytes, str, str]:
    """The feedback summary as XLSX or DOCX (the secretariat's), audited: (content, file name, content type)."""
    _secretariat(actor, solicitation.committee, "meetings.change_solicitation")
    if fmt == "xlsx":
        content, content_type = feedback_xlsx(solicitation), XLSX_TYPE
    elif fmt == "docx":
        content, content_type = feedback_docx(solicitation), DOCX_TYPE
    else:
        raise ValidationError(_("Unknown format."))
    name = f"{_('Feedback summary')}-{solicitation.title[:60]}-{timezone.localdate(_now()):%Y%m%d}.{fmt}"
    audit.record(actor=actor, verb="export", obj=solicitation, note=f"feedback summary {fmt}")
    return content, name, content_type
