"""The joint meeting (联席会议, DESIGN §3.5): a region's committee and its members, meetings with agenda, attendance,
minutes and decisions, action items (督办事项), opinion solicitations (征求意见) and the key task list
(重点工作任务清单, seed 000) with its progress reports and yearly implementation report.

Who may see a row: the agency users of the committee's region, of the regions under it and of those above it
(a county's meeting concerns the city). Who may change it: the committee's secretariat; member agencies write
only their own agenda proposals, attendance, replies and progress reports, through the services."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import permissions
from portal.permissions import ScopedQuerySet


def is_secretariat_of(user, committee) -> bool:
    """The secretariat of the committee's region or of a region above it (``portal.permissions``)."""
    return permissions.is_secretariat_of(user, committee.region)


class CommitteeScoped(models.Model):
    """A row of one committee: visible in the committee's region tree, changed by its secretariat."""

    objects = ScopedQuerySet.as_manager()
    committee_path = "committee__region"

    class Meta:
        abstract = True

    @classmethod
    def scope_visible(cls, qs, user):
        q = permissions.region_tree_q(user, cls.committee_path)
        return qs.none() if q is None else qs.filter(q)

    @classmethod
    def scope_editable(cls, qs, user):
        q = permissions.secretariat_q(user, cls.committee_path)
        return qs.none() if q is None else qs.filter(q)


def agenda_attachment_path(instance, filename):
    return f"meetings/agenda/{instance.owner_id}/{filename}"


def solicitation_attachment_path(instance, filename):
    return f"meetings/solicitations/{instance.owner_id}/{filename}"


def reply_scan_path(instance, filename):
    return f"meetings/replies/{instance.solicitation_id}/{filename}"


# --- committee and members ---------------------------------------------------------------------------------------


class Committee(CommitteeScoped):
    """The joint meeting of one region (工伤预防工作联席会议), hosted by the lead agency's secretariat."""

    region = models.OneToOneField(
        "reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="committee"
    )
    name = models.CharField(_("name"), max_length=100)
    lead_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("lead agency"), on_delete=models.PROTECT, related_name="+"
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    basis = models.CharField(
        _("basis"), max_length=200, blank=True, help_text=_("The notice that set it up, e.g. 永政办发〔2020〕58号.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    committee_path = "region"

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["region__path"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("meetings:committee_detail", args=[self.pk])


class Member(CommitteeScoped):
    """A person on the committee for an agency, from the day they joined until the day they left; a replacement
    names whom it replaces. The rows are the membership history."""

    class Role(models.TextChoices):
        CONVENER = "convener", _("Convener")
        DEPUTY = "deputy", _("Deputy convener")
        MEMBER = "member", _("Member")
        LIAISON = "liaison", _("Liaison officer")

    committee = models.ForeignKey(
        Committee, verbose_name=_("joint meeting"), on_delete=models.CASCADE, related_name="members"
    )
    agency = models.ForeignKey("accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=100, help_text=_("For example 副局长."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["committee", "left_on", "role", "agency__kind", "joined_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")), name="member_leaves_after"
            ),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_role_display()}）"

    @property
    def is_current(self) -> bool:
        return self.left_on is None


# --- meetings ------------------------------------------------------------------------------------------------


class Meeting(CommitteeScoped):
    """One meeting of the committee: called for agenda items until a cut-off, its agenda approved and its notice
    sent, held (attendance, minutes, decisions), then closed with its minutes published."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular meeting")
        ANNUAL = "annual", _("Annual start-of-year meeting")
        AD_HOC = "ad_hoc", _("Ad hoc meeting")
        SPECIAL = "special", _("Special meeting")

    class State(models.TextChoices):
        CALLING = "calling", _("Calling for agenda items")
        NOTIFIED = "notified", _("Notice sent")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Minutes published")

    committee = models.ForeignKey(
        Committee, verbose_name=_("joint meeting"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200)
    agenda_cutoff = models.DateTimeField(_("agenda cut-off"), help_text=_("Member agencies propose items until then."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CALLING)
    notice_sent_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_published_at = models.DateTimeField(_("minutes published at"), null=True, blank=True)
    chaired_by = models.CharField(_("chaired by"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agenda_cutoff__lte=models.F("starts_at")), name="meeting_cutoff_before_start"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meetings:meeting_detail", args=[self.pk])


class AgendaItem(CommitteeScoped):
    """An item of a meeting's agenda: proposed by a member agency (or put there by the secretariat: the briefing of
    the annual meeting, the open action items), approved or declined, in the approved order."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("On the agenda")
        DECLINED = "declined", _("Declined")

    class Source(models.TextChoices):
        AGENCY = "agency", _("Proposed by an agency")
        BRIEFING = "briefing", _("Annual briefing")
        OPEN_ACTIONS = "open_actions", _("Open action items")
        SECRETARIAT = "secretariat", _("Secretariat")

    committee_path = "meeting__committee__region"

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.AGENCY)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    position = models.PositiveSmallIntegerField(_("position"), null=True, blank=True)
    decline_reason = models.CharField(_("reason declined"), max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"))

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "proposed_at", "id"]

    def __str__(self):
        return self.title

    @classmethod
    def scope_visible(cls, qs, user):
        """The agenda of the committee's meetings; of the items not (yet) on it, an agency sees its own proposals
        and the secretariat all."""
        secretariat = cls.scope_editable(cls.objects.all(), user).values("pk")
        own = Q(agency_id=user.agency_id) if getattr(user, "agency_id", None) else Q(pk__in=[])
        return super().scope_visible(qs, user).filter(Q(state=cls.State.APPROVED) | own | Q(pk__in=secretariat))


class Attachment(CommitteeScoped):
    """A file attached to a row of the committee (``owner``, declared by each kind with its upload folder)."""

    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["owner", "id"]

    def __str__(self):
        return self.name


class AgendaAttachment(Attachment):
    committee_path = "owner__meeting__committee__region"

    owner = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=agenda_attachment_path)

    class Meta(Attachment.Meta):
        verbose_name = _("agenda attachment")
        verbose_name_plural = _("agenda attachments")

    @classmethod
    def scope_visible(cls, qs, user):
        """The files of the agenda items the user sees."""
        return qs.filter(owner__in=AgendaItem.objects.visible_to(user).values("pk"))


class Attendance(CommitteeScoped):
    """A member agency at a meeting: its reply to the notice (attends, sends a delegate, excused) and whether it was
    there."""

    class Reply(models.TextChoices):
        PENDING = "pending", _("No reply yet")
        ATTENDS = "attends", _("Attends")
        DELEGATE = "delegate", _("Sends a delegate")
        EXCUSED = "excused", _("Excused")

    committee_path = "meeting__committee__region"

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance")
    agency = models.ForeignKey("accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    reply = models.CharField(_("reply"), max_length=10, choices=Reply.choices, default=Reply.PENDING)
    attendee = models.CharField(_("attendee"), max_length=100, blank=True, help_text=_("Name and title."))
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    present = models.BooleanField(_("present"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "agency__kind", "agency__name"]
        constraints = [models.UniqueConstraint(fields=["meeting", "agency"], name="attendance_once_per_agency")]

    def __str__(self):
        return f"{self.meeting} · {self.agency}"


class Decision(CommitteeScoped):
    """A decision recorded in a meeting's minutes (议定事项)."""

    committee_path = "meeting__committee__region"

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.TextField(_("decision"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="decision_position_once")]

    def __str__(self):
        return self.text[:60]


class ActionItem(CommitteeScoped):
    """An action item (督办事项) from a decision: lead and participating agencies, a due date, progress reports."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    committee = models.ForeignKey(
        Committee, verbose_name=_("joint meeting"), on_delete=models.PROTECT, related_name="action_items"
    )
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("decision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lead_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("lead agency"), on_delete=models.PROTECT, related_name="+"
    )
    participants = models.ManyToManyField(
        "accounts.Agency", verbose_name=_("participating agencies"), blank=True, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["state", "due_on", "id"]
        indexes = [models.Index(fields=["committee", "state", "due_on"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meetings:actionitem_detail", args=[self.pk])


class ActionProgress(CommitteeScoped):
    committee_path = "action__committee__region"

    action = models.ForeignKey(
        ActionItem, verbose_name=_("action item"), on_delete=models.CASCADE, related_name="progress"
    )
    agency = models.ForeignKey("accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(_("percent done"), validators=[MaxValueValidator(100)], default=0)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("action progress report")
        verbose_name_plural = _("action progress reports")
        ordering = ["action", "-reported_at", "-id"]

    def __str__(self):
        return f"{self.action} · {self.agency}"


class ActionReminder(models.Model):
    """A reminder sent for an action item (one per stage: due soon, overdue)."""

    action = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=10)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "stage"], name="action_reminder_once")]

    def __str__(self):
        return f"{self.action} {self.stage}"


# --- opinion solicitations ------------------------------------------------------------------------------------


class Solicitation(CommitteeScoped):
    """A draft circulated to chosen member agencies for their opinions by a deadline (征求意见, seed 000: 逾期不回复
    视为无意见)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for replies")
        CLOSED = "closed", _("Closed")

    committee = models.ForeignKey(
        Committee, verbose_name=_("joint meeting"), on_delete=models.PROTECT, related_name="solicitations"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("letter"), help_text=_("The covering letter: what is asked and how to reply."))
    deadline = models.DateTimeField(_("reply deadline"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    circulated_at = models.DateTimeField(_("circulated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opinion solicitation")
        verbose_name_plural = _("opinion solicitations")
        ordering = ["-deadline", "-id"]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meetings:solicitation_detail", args=[self.pk])

    @classmethod
    def scope_visible(cls, qs, user):
        """The committee's region tree and the regions above; a draft only to its secretariat."""
        drafts = cls.scope_editable(cls.objects.all(), user).values("pk")
        return super().scope_visible(qs, user).filter(~Q(state=cls.State.DRAFT) | Q(pk__in=drafts))


class SolicitationAttachment(Attachment):
    committee_path = "owner__committee__region"

    owner = models.ForeignKey(
        Solicitation, verbose_name=_("opinion solicitation"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=solicitation_attachment_path)

    class Meta(Attachment.Meta):
        verbose_name = _("solicitation attachment")
        verbose_name_plural = _("solicitation attachments")


class Reply(CommitteeScoped):
    """A recipient agency's reply to a solicitation: waiting, 无意见, comments with the stamped scan, or — recorded by
    the deadline job, once — 无意见（逾期未回复）."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for the reply")
        NO_OPINION = "no_opinion", _("No opinion")
        COMMENTS = "comments", _("With comments")
        LAPSED = "lapsed", _("No opinion (no reply by the deadline)")

    committee_path = "solicitation__committee__region"

    solicitation = models.ForeignKey(
        Solicitation, verbose_name=_("opinion solicitation"), on_delete=models.CASCADE, related_name="replies"
    )
    agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="solicitation_replies"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    comments = models.TextField(_("comments"), blank=True)
    scan = models.FileField(_("stamped scan"), upload_to=reply_scan_path, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["solicitation", "agency__kind", "agency__name"]
        constraints = [models.UniqueConstraint(fields=["solicitation", "agency"], name="reply_once_per_agency")]
        indexes = [models.Index(fields=["agency", "state"])]

    def __str__(self):
        return f"{self.solicitation} · {self.agency}"

    @classmethod
    def scope_visible(cls, qs, user):
        """The secretariat sees every reply of its committees; an agency only its own, once circulated."""
        secretariat = cls.scope_editable(cls.objects.all(), user).values("pk")
        own = Q(pk__in=[])
        if getattr(user, "agency_id", None):
            own = Q(agency_id=user.agency_id) & ~Q(solicitation__state=Solicitation.State.DRAFT)
        return super().scope_visible(qs, user).filter(own | Q(pk__in=secretariat))


# --- key task list ----------------------------------------------------------------------------------------------


class Phase(models.TextChoices):
    BUILD = "2021-2022", _("2021–2022: building the system")
    IMPLEMENT = "2023-2024", _("2023–2024: full implementation")
    CONSOLIDATE = "2025", _("2025: consolidation")


class KeyTask(CommitteeScoped):
    """A task of the region's key task list (重点工作任务清单), adopted from seed 000's eleven or added: measures,
    lead and participating agencies, a schedule and a phase."""

    class Schedule(models.TextChoices):
        QUARTERLY = "quarterly", _("Every quarter")
        FIRST_QUARTER = "first_quarter", _("Every year in the first quarter")
        ONGOING = "ongoing", _("Ongoing")
        BY_DATE = "by_date", _("By a date")

    committee = models.ForeignKey(
        Committee, verbose_name=_("joint meeting"), on_delete=models.PROTECT, related_name="tasks"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("task"), max_length=200)
    measures = models.TextField(_("measures"))
    lead_agencies = models.ManyToManyField("accounts.Agency", verbose_name=_("lead agencies"), related_name="+")
    participants = models.ManyToManyField(
        "accounts.Agency", verbose_name=_("participating agencies"), blank=True, related_name="+"
    )
    schedule = models.CharField(_("schedule"), max_length=14, choices=Schedule.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=9, choices=Phase.choices, blank=True)
    template_number = models.PositiveSmallIntegerField(_("template task"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key task")
        verbose_name_plural = _("key tasks")
        ordering = ["committee", "number"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "number"], name="key_task_number_once"),
            models.CheckConstraint(
                condition=~Q(schedule="by_date") | Q(due_on__isnull=False), name="key_task_date_given"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class TaskProgress(CommitteeScoped):
    """An agency's progress on a key task for one period (a quarter: 1–4; the whole year: 0)."""

    class Status(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        DONE = "done", _("Done")
        DELAYED = "delayed", _("Delayed")

    committee_path = "task__committee__region"

    task = models.ForeignKey(KeyTask, verbose_name=_("key task"), on_delete=models.CASCADE, related_name="progress")
    agency = models.ForeignKey("accounts.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2020), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MaxValueValidator(4)], help_text=_("0: the whole year.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    text = models.TextField(_("progress"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("task progress report")
        verbose_name_plural = _("task progress reports")
        ordering = ["task", "-year", "-quarter", "agency__kind"]
        constraints = [
            models.UniqueConstraint(fields=["task", "agency", "year", "quarter"], name="task_progress_once_per_period")
        ]

    def __str__(self):
        return f"{self.task} · {self.agency} {self.year}Q{self.quarter}"


class YearlyReport(CommitteeScoped):
    """The yearly implementation report of the key task list (due 15 December), compiled from the progress reports
    for the level above; a compilation that finds the same content keeps the existing version."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("joint meeting"), on_delete=models.PROTECT, related_name="yearly_reports"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"))
    content = models.JSONField(_("content"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    compiled_at = models.DateTimeField(_("compiled at"))
    compiled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compiled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("yearly implementation report")
        verbose_name_plural = _("yearly implementation reports")
        ordering = ["committee", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "year", "version"], name="yearly_report_version_once"),
            models.UniqueConstraint(fields=["committee", "year", "fingerprint"], name="yearly_report_content_once"),
        ]

    def __str__(self):
        return f"{self.committee} {self.year} v{self.version}"
