"""The warning and rectification loop (seed 004 一期一分析 / 一事一排查 / 一事一奖惩, DESIGN §3.3).

Screening rules → screening runs and their results → notice letters (告知书) → rectification reports (one row
per version) → outcomes (重点监管, 处罚移送, 挂牌督办, 先进单位, 标杆示范 …). Every state change is also a
``LoopEvent`` with who, when, why and the figures used; rows are appended, never overwritten, and every
generated artefact has a unique constraint so that a job run twice creates nothing twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.permissions import AGENCY_ROLE_NAMES, ScopedQuerySet

# --- screening rules ------------------------------------------------------------------------------------------


class ScreeningRuleQuerySet(ScopedQuerySet):
    def in_force_for(self, region):
        """The published rule of ``region`` or of its nearest ancestor that has one (latest version first)."""
        paths = [region.path, *region.ancestor_paths()]
        rules = list(self.filter(state=ScreeningRule.State.PUBLISHED, region__path__in=paths).select_related("region"))
        rules.sort(key=lambda r: (len(r.region.path), r.version), reverse=True)
        return rules[0] if rules else None


class ScreeningRule(models.Model):
    """The thresholds a region screens its enterprises with. A change is a new version; published versions are
    never edited, so every result shows the thresholds that produced it.

    An enterprise with at least one case in the period is 工伤事故多发重点企业 when it meets any of:
    ``min_cases`` cases; an incidence rate of ``min_rate`` ‰ or more with at least ``rate_min_cases`` cases;
    ``min_serious`` cases of 重伤 or death. Otherwise it is 一般工伤事故企业."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")

    region = models.ForeignKey(
        "reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="screening_rules"
    )
    version = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    min_cases = models.PositiveIntegerField(
        _("cases for multi-incident"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("An enterprise with this many work-injury cases in the period is a multi-incident enterprise."),
    )
    min_rate = models.DecimalField(
        _("incidence rate for multi-incident (‰)"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Cases per 1,000 insured employees in the period."),
    )
    rate_min_cases = models.PositiveIntegerField(
        _("cases needed for the rate rule"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("The rate rule applies only from this many cases, so one case in a tiny firm is not a pattern."),
    )
    min_serious = models.PositiveIntegerField(
        _("serious or fatal cases for multi-incident"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("This many cases of serious injury or death make an enterprise multi-incident."),
    )
    annual_month = models.PositiveSmallIntegerField(
        _("annual screening month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    annual_day = models.PositiveSmallIntegerField(
        _("annual screening day"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("The yearly screening of the previous calendar year runs on this date."),
    )
    note = models.CharField(_("reason for the change"), max_length=300, blank=True)
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScreeningRuleQuerySet.as_manager()
    scope_region = "region"
    scope_owner = "owner_agency"

    class Meta:
        verbose_name = _("screening rule")
        verbose_name_plural = _("screening rules")
        ordering = ["region__path", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "version"], name="screening_rule_one_version"),
            models.UniqueConstraint(
                fields=["region"], condition=Q(state="published"), name="screening_rule_one_published"
            ),
            models.UniqueConstraint(fields=["region"], condition=Q(state="draft"), name="screening_rule_one_draft"),
        ]

    def __str__(self):
        return _("%(region)s screening rule v%(version)s") % {"region": self.region, "version": self.version}

    def get_absolute_url(self):
        return reverse("prevention:screeningrule_detail", args=[self.pk])

    @property
    def thresholds(self) -> dict:
        return {
            "min_cases": self.min_cases,
            "min_rate": str(self.min_rate),
            "rate_min_cases": self.rate_min_cases,
            "min_serious": self.min_serious,
        }


# --- screening runs and results -------------------------------------------------------------------------------


class ScreeningRun(models.Model):
    """One screening of one region over one period with one rule version. Running the same screening again
    returns this run (unique on region, kind, period and rule)."""

    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual")
        ROLLING = "rolling", _("Rolling 12 months")

    region = models.ForeignKey(
        "reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="screening_runs"
    )
    rule = models.ForeignKey(ScreeningRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="runs")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("The last day of the period."))
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("run at"), default=timezone.now)
    enterprises = models.PositiveIntegerField(_("enterprises with cases"), default=0)
    multi_incident = models.PositiveIntegerField(_("multi-incident enterprises"), default=0)
    general = models.PositiveIntegerField(_("general-incident enterprises"), default=0)
    city_cases = models.PositiveIntegerField(_("cases in the region"), default=0)
    city_insured = models.PositiveIntegerField(_("insured employees in the region"), default=0)
    published_to = models.ForeignKey(
        "reference.Region",
        verbose_name=_("published to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Agencies of this region and its subtree see the list of multi-incident enterprises."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    notices_issued_at = models.DateTimeField(_("notices issued at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region = "region"
    scope_owner = "owner_agency"
    scope_enterprise = "results__enterprise"

    class Meta:
        verbose_name = _("screening run")
        verbose_name_plural = _("screening runs")
        ordering = ["-period_end", "-id"]
        permissions = [("publish_screeningrun", _("Can publish a screening's list"))]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "period_start", "period_end", "rule"], name="screening_run_once"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="screening_run_period"),
        ]

    def __str__(self):
        return _("%(region)s screening %(start)s–%(end)s") % {
            "region": self.region,
            "start": self.period_start.isoformat(),
            "end": self.period_end.isoformat(),
        }

    def get_absolute_url(self):
        return reverse("prevention:screeningrun_detail", args=[self.pk])

    @property
    def city_rate(self) -> Decimal | None:
        """The region's incidence rate in the period (‰), the average the enterprises are compared with."""
        return rate(self.city_cases, self.city_insured)

    @classmethod
    def scope_visible(cls, qs, user):
        """Agencies see runs of their region subtree, and published runs whose publication scope contains them;
        an officer sees the runs that list their enterprise."""
        role = getattr(user, "role", None)
        if role in AGENCY_ROLE_NAMES and user.agency_id:
            region = user.agency.region
            above = region.ancestor_paths()
            published = Q(published_to__path__in=[region.path, *above]) | Q(published_to__path__startswith=region.path)
            return qs.filter(
                Q(region__path__startswith=region.path)
                | Q(region__path__in=above)  # a screening above: it covers the agency's own enterprises
                | (Q(published_at__isnull=False) & published)
            )
        if role == "safety_officer" and user.enterprise_id:
            return qs.filter(results__enterprise=user.enterprise_id).distinct()
        return qs.none()


def rate(cases, insured) -> Decimal | None:
    """Cases per 1,000 insured employees (‰), two decimals; None without insured employees."""
    if not insured:
        return None
    return (Decimal(cases) * 1000 / Decimal(insured)).quantize(Decimal("0.01"))


class Category(models.TextChoices):
    MULTI = "multi", _("Multi-incident key enterprise")
    GENERAL = "general", _("General-incident enterprise")


@dataclass(frozen=True)
class HighIncidentPost:
    """A post (岗位) of a multi-incident enterprise and its cases in a screening's period."""

    post: str
    cases: int


class ScreeningResult(models.Model):
    """One enterprise's figures and class in one run (written set-based by the screening)."""

    # The unique (run, enterprise) and the (enterprise, run) index serve both keys: no index of their own, two
    # fewer to write per row (a national screening writes 300 k rows).
    #
    # No foreign-key constraint either. The rows are written by one INSERT … SELECT that takes the run it has just
    # created and enterprises from their cases (which hold theirs), so a check per row at the commit could only
    # confirm what the statement guarantees: it took 6 s of a national screening, and it locked each of the
    # 300 k enterprise rows it checked (FOR KEY SHARE, a write to every enterprise's page). Deleting is what could
    # leave a result without its enterprise or run, and there the database still refuses: migration 0004's
    # triggers, besides the ORM's own PROTECT and CASCADE.
    run = models.ForeignKey(
        ScreeningRun,
        verbose_name=_("screening"),
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    category = models.CharField(_("class"), max_length=8, choices=Category.choices)
    cases = models.PositiveIntegerField(_("cases"))
    serious = models.PositiveIntegerField(_("serious injuries"))
    fatal = models.PositiveIntegerField(_("deaths"))
    insured = models.PositiveIntegerField(_("insured employees"), default=0)
    rate = models.DecimalField(_("incidence rate (‰)"), max_digits=9, decimal_places=2, null=True, blank=True)
    by_count = models.BooleanField(_("met the case count"), default=False)
    by_rate = models.BooleanField(_("met the incidence rate"), default=False)
    by_severity = models.BooleanField(_("met the severity rule"), default=False)
    # Kept in the row, not as rows of their own: a national screening writes 300,000 results, and their 540,000
    # posts as rows were as many inserts again, each with its foreign keys checked at the commit.
    posts = models.JSONField(
        _("high-incident posts"),
        default=dict,
        blank=True,
        help_text=_("A multi-incident enterprise's posts (岗位) and their cases in the period: {post: cases}."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_region = "enterprise__region"
    scope_owner = "run__owner_agency"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        ordering = ["run", "category", "-cases", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise"], name="screening_result_once"),
        ]
        indexes = [models.Index(fields=["enterprise", "run"])]

    def __str__(self):
        return f"{self.enterprise_id} {self.get_category_display()}"

    @classmethod
    def scope_visible(cls, qs, user):
        """An officer reads their own enterprise's rows. An agency reads the rows of the runs it sees: all of a run
        of its own region subtree; of another run (seen through its publication, or screened above it) the rows
        of its own enterprises and the published list of multi-incident enterprises."""
        role = getattr(user, "role", None)
        if role == "safety_officer" and user.enterprise_id:
            return qs.filter(enterprise_id=user.enterprise_id)
        if role in AGENCY_ROLE_NAMES and user.agency_id:
            region = user.agency.region
            path = region.path
            runs = ScreeningRun.objects.visible_to(user).values("pk")
            published_here = Q(run__published_at__isnull=False) & (
                Q(run__published_to__path__in=[path, *region.ancestor_paths()])
                | Q(run__published_to__path__startswith=path)
            )
            return qs.filter(
                Q(run__in=runs)
                & (
                    Q(run__region__path__startswith=path)
                    | Q(enterprise__region__path__startswith=path)
                    | (Q(category=Category.MULTI) & published_here)
                )
            )
        return qs.none()

    @property
    def high_incident_posts(self) -> list[HighIncidentPost]:
        """The posts of a multi-incident enterprise, most cases first (empty for a general one)."""
        posts = [HighIncidentPost(post, cases) for post, cases in (self.posts or {}).items()]
        posts.sort(key=lambda p: (-p.cases, p.post))
        return posts

    @property
    def reasons(self) -> list[str]:
        return [
            label
            for met, label in (
                (self.by_count, _("case count")),
                (self.by_rate, _("incidence rate")),
                (self.by_severity, _("serious or fatal cases")),
            )
            if met
        ]


# --- notice letters ------------------------------------------------------------------------------------------


DUE_SOON_DAYS = 7  # "deadline within 7 days": the to-dos, the list's filter, the week reminder and the tables


class NoticeQuerySet(ScopedQuerySet):
    """The states a notice waits in, defined once for the to-dos, the list's filter and the reminders."""

    def open(self):
        return self.filter(state=NoticeLetter.State.OPEN)

    def owing(self):
        """Notices whose enterprise still owes a report: open or under supervision, nothing submitted or
        accepted."""
        return self.filter(state__in=[NoticeLetter.State.OPEN, NoticeLetter.State.SUPERVISED]).exclude(
            reports__state__in=[RectificationReport.State.SUBMITTED, RectificationReport.State.ACCEPTED]
        )

    def due_soon(self, today: datetime.date):
        return self.filter(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))

    def overdue(self, today: datetime.date):
        return self.filter(deadline__lt=today)

    def report_to_review(self):
        return self.filter(
            Exists(RectificationReport.objects.filter(notice=OuterRef("pk"), state=RectificationReport.State.SUBMITTED))
        )

    def extension_to_decide(self):
        return self.filter(
            Exists(DeadlineExtension.objects.filter(notice=OuterRef("pk"), state=DeadlineExtension.State.PENDING))
        )


class NoticeLetter(models.Model):
    """告知书: one per multi-incident enterprise and screening run, with the deadline for its rectification
    report (one month, moved to the next working day if it falls on a rest day or holiday)."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting rectification")
        RECTIFIED = "rectified", _("Rectification accepted")
        SUPERVISED = "supervised", _("Under key supervision")

    run = models.ForeignKey(
        ScreeningRun,
        verbose_name=_("screening"),
        on_delete=models.PROTECT,
        related_name="notices",
        db_index=False,  # the unique (run, enterprise) serves it
    )
    result = models.OneToOneField(
        ScreeningResult, verbose_name=_("screening result"), on_delete=models.PROTECT, related_name="notice"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="notices"
    )
    number = models.CharField(_("reference number"), max_length=60)
    issued_on = models.DateField(_("issued on"))
    original_deadline = models.DateField(_("original deadline"))
    deadline = models.DateField(_("deadline"), help_text=_("The original deadline or the date of a granted extension."))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("issuing agency"), on_delete=models.PROTECT, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = NoticeQuerySet.as_manager()
    scope_region = "enterprise__region"
    scope_owner = "owner_agency"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("notice letter")
        verbose_name_plural = _("notice letters")
        ordering = ["-issued_on", "-id"]
        permissions = [
            ("issue_noticeletter", _("Can issue notice letters")),
            ("request_extension", _("Can ask for a deadline extension")),
            ("decide_extension", _("Can grant or refuse a deadline extension")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise"], name="notice_one_per_run"),
            models.UniqueConstraint(fields=["owner_agency", "number"], name="notice_number_unique"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("issued_on")), name="notice_deadline_after"),
        ]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self):
        return _("Notice %(number)s to %(enterprise)s") % {"number": self.number, "enterprise": self.enterprise}

    def get_absolute_url(self):
        return reverse("prevention:noticeletter_detail", args=[self.pk])

    def days_left(self, today: datetime.date | None = None) -> int:
        return (self.deadline - (today or timezone.localdate())).days

    @property
    def current_report(self):
        return self.reports.order_by("-version").first()


class DeadlineExtension(models.Model):
    """An officer's request to move a notice's deadline, and the agency's decision (both kept)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    notice = models.ForeignKey(
        NoticeLetter, verbose_name=_("notice letter"), on_delete=models.CASCADE, related_name="extensions"
    )
    requested_date = models.DateField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    granted_date = models.DateField(_("granted deadline"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region = "notice__enterprise__region"
    scope_owner = "notice__owner_agency"
    scope_enterprise = "notice__enterprise"

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["notice"], condition=Q(state="pending"), name="extension_one_pending"),
        ]

    def __str__(self):
        return f"{self.notice_id} → {self.requested_date}"


# --- rectification reports --------------------------------------------------------------------------------------


class RectificationReport(models.Model):
    """整改报告: one row per version. The officer drafts (immediate measures first, the cause analysis later),
    submits; the agency accepts or returns it with reasons; a returned report is revised as a new version, so
    every version stays as it was submitted."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        ACCEPTED = "accepted", _("Accepted")

    notice = models.ForeignKey(
        NoticeLetter, verbose_name=_("notice letter"), on_delete=models.PROTECT, related_name="reports"
    )
    version = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    immediate_measures = models.TextField(
        _("immediate measures"), blank=True, help_text=_("What was done at once, before the cause analysis.")
    )
    self_inspection = models.TextField(_("self-inspection findings"), blank=True)
    case_analyses = models.JSONField(
        _("root-cause analysis per case"), default=list, blank=True, help_text=_('[{"case": id, "cause": "…"}]')
    )
    post_measures = models.JSONField(
        _("measures per post"), default=list, blank=True, help_text=_('[{"post": "…", "measures": "…"}]')
    )
    causes_found = models.TextField(_("causes found (事故原因未查清不放过)"), blank=True)
    responsible_handled = models.TextField(_("those responsible dealt with (事故责任人未受到处理不放过)"), blank=True)
    people_educated = models.TextField(_("staff educated (事故责任人和周围群众没有受到教育不放过)"), blank=True)
    measures_in_place = models.TextField(_("measures in place (没有制订切实可行的整改措施不放过)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.TextField(_("review comments"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_region = "notice__enterprise__region"
    scope_owner = "notice__owner_agency"
    scope_enterprise = "notice__enterprise"
    scope_officer_edits = True

    class Meta:
        verbose_name = _("rectification report")
        verbose_name_plural = _("rectification reports")
        ordering = ["notice", "-version"]
        permissions = [("review_rectificationreport", _("Can accept or return rectification reports"))]
        constraints = [
            models.UniqueConstraint(fields=["notice", "version"], name="report_one_version"),
            models.UniqueConstraint(
                fields=["notice"], condition=Q(state__in=["draft", "submitted"]), name="report_one_open_version"
            ),
            models.UniqueConstraint(fields=["notice"], condition=Q(state="accepted"), name="report_one_accepted"),
        ]

    def __str__(self):
        return _("Rectification report v%(version)s for %(notice)s") % {"version": self.version, "notice": self.notice}

    def get_absolute_url(self):
        return reverse("prevention:report_detail", args=[self.pk])

    FOUR_ANSWERS = ("causes_found", "responsible_handled", "people_educated", "measures_in_place")

    def completeness_errors(self, case_ids: list[int], posts: list[str]) -> dict:
        """Field errors that stop a submission (a draft may be incomplete)."""
        errors: dict[str, list] = {}
        if not self.self_inspection.strip():
            errors["self_inspection"] = [_("Describe the self-inspection findings.")]
        analysed = {
            int(a.get("case")) for a in self.case_analyses or [] if str(a.get("cause", "")).strip() and a.get("case")
        }
        missing = [c for c in case_ids if c not in analysed]
        if missing:
            errors["case_analyses"] = [
                _("Analyse the root cause of every listed case (%(count)s missing).") % {"count": len(missing)}
            ]
        covered = {
            str(m.get("post", "")).strip() for m in self.post_measures or [] if str(m.get("measures", "")).strip()
        }
        uncovered = [p for p in posts if p not in covered]
        if uncovered:
            errors["post_measures"] = [
                _("State the measures for every high-incident post (missing: %(posts)s).")
                % {"posts": "、".join(uncovered)}
            ]
        for name in self.FOUR_ANSWERS:
            if not getattr(self, name).strip():
                errors[name] = [_("Answer this point of the four 不放过.")]
        return errors


def attachment_path(instance, filename):
    return f"prevention/{instance.report.notice_id}/{instance.report_id}/{filename}"


class ReportAttachment(models.Model):
    """A file filed with a report version (PDF, image or office file; the type is checked by content). Served
    only through the portal, to users who may see the report."""

    report = models.ForeignKey(
        RectificationReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region = "report__notice__enterprise__region"
    scope_owner = "report__notice__owner_agency"
    scope_enterprise = "report__notice__enterprise"

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("prevention:attachment_download", args=[self.pk])


# --- outcomes --------------------------------------------------------------------------------------------------


class Outcome(models.Model):
    """What the loop decided about an enterprise, with the figures that triggered it (``evidence``). Unique
    constraints make every job idempotent: one outcome of a kind per notice, per case, or per enterprise and
    year."""

    class Kind(models.TextChoices):
        KEY_SUPERVISION = "supervision", _("Key supervision (no accepted report by the deadline)")
        PENALTY_REFERRAL = "penalty", _("Penalty referral")
        LISTED = "listed", _("Listed for supervision (挂牌督办)")
        REVIEW_PASSED = "review_ok", _("Four-month review passed")
        HANDOVER = "handover", _("Handed to the town or industry agency")
        ADVANCED = "advanced", _("Proposed as advanced unit (先进单位)")
        BENCHMARK = "benchmark", _("Benchmark enterprise (标杆示范)")

    class Trigger(models.TextChoices):
        OVERDUE = "overdue", _("No accepted report by the deadline")
        SERIOUS_CASE = "serious_case", _("A case of serious injury or death")
        FOUR_MONTHS = "four_months", _("Four months after the notice")
        SCREENING = "screening", _("Screening result")
        RECOGNITION = "recognition", _("Annual recognition")
        STAFF = "staff", _("Marked by staff")

    kind = models.CharField(_("outcome"), max_length=12, choices=Kind.choices)
    trigger = models.CharField(_("trigger"), max_length=14, choices=Trigger.choices)
    # Each key is served by an index below or a unique constraint leading with it (the escalation writes about a
    # million rows nationally): no index of its own.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="outcomes",
        db_index=False,
    )
    notice = models.ForeignKey(
        NoticeLetter,
        verbose_name=_("notice letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outcomes",
        db_index=False,
    )
    result = models.ForeignKey(
        ScreeningResult,
        verbose_name=_("screening result"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    case = models.ForeignKey(
        "incidents.InjuryCase",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    industry = models.ForeignKey(
        "reference.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    referred_to = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("referred to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    evidence = models.JSONField(_("evidence"), default=dict)
    note = models.CharField(_("note"), max_length=300, blank=True)
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region = "enterprise__region"
    scope_owner = "owner_agency"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "kind"], condition=Q(notice__isnull=False), name="outcome_once_per_notice"
            ),
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(case__isnull=False), name="outcome_once_per_case"
            ),
            models.UniqueConstraint(
                fields=["result", "kind"], condition=Q(result__isnull=False), name="outcome_once_per_result"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "kind", "year"], condition=Q(year__isnull=False), name="outcome_once_per_year"
            ),
        ]
        indexes = [models.Index(fields=["kind", "created_at"]), models.Index(fields=["enterprise", "kind"])]

    def __str__(self):
        return f"{self.enterprise} · {self.get_kind_display()}"


# --- warnings, reminders, events ------------------------------------------------------------------------------


class CaseWarning(models.Model):
    """线上日常预警: the record that a case's warning went to its enterprise (one per case)."""

    case = models.OneToOneField(
        "incidents.InjuryCase", verbose_name=_("case"), on_delete=models.CASCADE, related_name="warning"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_region = "enterprise__region"
    scope_owner = "case__owner_agency"
    scope_enterprise = "enterprise"

    class Meta:
        verbose_name = _("case warning")
        verbose_name_plural = _("case warnings")

    def __str__(self):
        return f"{self.case_id} @ {self.sent_at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """A reminder sent about a notice (7 days, 1 day before its deadline, overdue); one of each kind per
    deadline, so re-running the job sends nothing twice, and a granted extension starts new reminders."""

    class Kind(models.TextChoices):
        WEEK = "week", _("7 days before the deadline")
        DAY = "day", _("1 day before the deadline")
        OVERDUE = "overdue", _("Deadline passed")

    notice = models.ForeignKey(NoticeLetter, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    deadline = models.DateField(_("deadline"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["notice", "kind", "deadline"], name="reminder_once")]

    def __str__(self):
        return f"{self.notice_id} {self.kind} {self.deadline}"


class LoopEvent(models.Model):
    """One step of the loop as its participants see it on a timeline: who, when, why and the figures used."""

    enterprise = models.ForeignKey(  # the (enterprise, at) index serves it
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    notice = models.ForeignKey(
        NoticeLetter,
        verbose_name=_("notice letter"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    verb = models.CharField(_("step"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("loop event")
        verbose_name_plural = _("loop events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["enterprise", "at"])]

    def __str__(self):
        return f"{self.verb} @ {self.at:%Y-%m-%d %H:%M}"


# --- typical-case bulletins ---------------------------------------------------------------------------------


class BulletinQuerySet(ScopedQuerySet):
    def public(self):
        return self.filter(published_at__isnull=False, withdrawn_at__isnull=True)


class Bulletin(models.Model):
    """典型事故通报: a de-identified case with its cause analysis and lessons. Published bulletins form the
    public case library (警示教育), readable without logging in."""

    title = models.CharField(_("title"), max_length=120)
    region = models.ForeignKey("reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    industry = models.ForeignKey(
        "reference.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accident_type = models.ForeignKey(
        "reference.AccidentType",
        verbose_name=_("accident type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    occurred_in = models.DateField(_("month of the accident"), help_text=_("Only the month is published."))
    severity = models.CharField(_("severity"), max_length=10, blank=True)
    summary = models.TextField(_("what happened"), help_text=_("No names, ID numbers or enterprise names."))
    cause_analysis = models.TextField(_("cause analysis"))
    lessons = models.TextField(_("lessons and measures"))
    source_case = models.ForeignKey(
        "incidents.InjuryCase",
        verbose_name=_("source case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    objects = BulletinQuerySet.as_manager()
    scope_region = "region"
    scope_owner = "owner_agency"

    class Meta:
        verbose_name = _("typical-case bulletin")
        verbose_name_plural = _("typical-case bulletins")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["published_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("prevention:bulletin_public_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.occurred_in and self.occurred_in > timezone.localdate():
            raise ValidationError({"occurred_in": _("The accident cannot lie in the future.")})
