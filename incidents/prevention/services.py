"""Writes of the warning and rectification loop: one function per user action or job step.

Each write runs in a transaction, records a ``LoopEvent`` (who, when, why, figures) and an audit event, and
queues its messages after commit. Jobs are set-based (one statement per step, not one per enterprise) and
idempotent: what they generate is protected by unique constraints and inserted with conflicts ignored.
"""

from __future__ import annotations

import datetime
import zlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Enterprise
from incidents.models import InjuryCase, Severity
from portal import audit, uploads
from portal.accounts.models import Agency, User
from portal.notifications.models import Notification
from portal.notifications.services import notify_many
from portal.parallel import run_on_connections
from portal.permissions import scope_tier
from portal.reference.models import SCOPE_TIERS, CalendarNotSeeded, Region, add_months, add_months_deadline

from . import selectors
from .models import (
    DUE_SOON_DAYS,
    Bulletin,
    CaseWarning,
    Category,
    DeadlineExtension,
    HighIncidentPost,
    LoopEvent,
    NoticeLetter,
    Outcome,
    RectificationReport,
    Reminder,
    ReportAttachment,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
    rate,
)
from .selectors import Window

RECTIFICATION_MONTHS = 1  # 1个月内完成整改 (seed 004 §2.2)
REVIEW_MONTHS = 4  # 下发告知书四个月后 (seed 004 §2.3)
REQUIRED_CUT = Decimal("0.30")  # 至少下降30%
ADVANCED_TOP = 20  # 前20位
BENCHMARKS_PER_INDUSTRY = (2, 4)  # 2—4家
REFERRAL_LOOKBACK_DAYS = 365  # serious cases referred by the daily job: those of the last year
WARNING_LOOKBACK = datetime.timedelta(days=2)  # cases recorded this recently get their warning by the sweep
WARNING_ID_MARGIN = 20_000  # … among the cases numbered after the last one warned, less this margin
WARNING_MAX_AGE = datetime.timedelta(days=90)  # … if they happened this recently (a history loaded today is not news)
# Industry sections whose enterprises are supervised by a sector agency (住建: construction; 交通运输:
# transport); the others by emergency management (应急管理).
SECTOR_AGENCY = {"E": "construction", "G": "transport"}
_SECTOR_KINDS = {"construction": "housing", "transport": "transport"}


def _now():
    return timezone.now()


def _today() -> datetime.date:
    return timezone.localdate()


def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied


# --- recipients --------------------------------------------------------------------------------------------------


def enterprise_users(enterprise_ids) -> dict[int, list[User]]:
    """Active accounts of each enterprise (its principal and safety officers)."""
    out: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(enterprise_id__in=list(enterprise_ids), is_active=True):
        out[user.enterprise_id].append(user)
    return out


def agency_users(agency_ids) -> dict[int, list[User]]:
    out: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(agency_id__in=list(agency_ids), is_active=True):
        out[user.agency_id].append(user)
    return out


class AgencyRouter:
    """Which agency takes an enterprise over: the agency of its own town or street, or the sector agency (住建,
    交通运输, else 应急管理) nearest above it. All agencies are read once."""

    def __init__(self):
        self.by_path_kind: dict[tuple[str, str], Agency] = {}
        self.by_path: dict[str, Agency] = {}
        for agency in Agency.objects.filter(is_active=True).select_related("region").order_by("-is_lead", "pk"):
            self.by_path_kind.setdefault((agency.region.path, agency.kind), agency)
            self.by_path.setdefault(agency.region.path, agency)

    @staticmethod
    def _paths(region_path: str) -> list[str]:
        codes = [c for c in region_path.split("/") if c]
        return ["/" + "/".join(codes[:n]) + "/" for n in range(len(codes), 0, -1)]

    def sector(self, region_path: str, industry_path: str) -> Agency | None:
        section = next((c for c in industry_path.split("/") if c), "")
        kind = _SECTOR_KINDS.get(SECTOR_AGENCY.get(section, ""), "emergency")
        for kinds in ((kind,), ("emergency",)):
            for path in self._paths(region_path):
                for k in kinds:
                    if (path, k) in self.by_path_kind:
                        return self.by_path_kind[(path, k)]
        return None

    def town(self, region_path: str) -> Agency | None:
        """The agency of the enterprise's own town or street (a region below county level)."""
        if len([c for c in region_path.split("/") if c]) <= len(SCOPE_TIERS):
            return None
        return self.by_path.get(region_path)


def _notification(user, title, body, url, level="info") -> Notification:
    return Notification(recipient=user, title=title[:200], body=body, url=url, level=level)


# --- 1. daily online warning ---------------------------------------------------------------------------------------


def warning_text(case: InjuryCase) -> tuple[str, str]:
    """Title and body of a case's warning: the facts, personal data masked."""
    local = timezone.localtime(case.occurred_at)
    title = _("Work-injury warning: %(enterprise)s, %(date)s") % {
        "enterprise": case.enterprise.name,
        "date": local.strftime("%Y-%m-%d"),
    }
    lines = [
        _("A work-injury case of your enterprise has been recorded. Check the post and prevent a recurrence."),
        _("Time: %(time)s") % {"time": local.strftime("%Y-%m-%d %H:%M")},
        _("Place: %(place)s") % {"place": case.place or "—"},
        _("Post: %(post)s") % {"post": case.post},
        _("Accident type: %(type)s") % {"type": case.accident_type.name},
        _("Severity: %(severity)s") % {"severity": case.get_severity_display()},
        _("Injured worker: %(name)s") % {"name": case.masked_worker_name},
    ]
    if case.cause:
        lines.append(_("Cause: %(cause)s") % {"cause": case.cause})
    return title, "\n".join(lines)


@transaction.atomic
def send_case_warnings(*, case_ids=None, since: datetime.datetime | None = None) -> int:
    """线上日常预警: send every recent case that has no warning yet to its enterprise's accounts (inbox and
    e-mail). One warning per case (unique), so a second run sends nothing. Returns the warnings sent."""
    qs = InjuryCase.objects.filter(warning__isnull=True)
    if case_ids is not None:
        qs = qs.filter(pk__in=list(case_ids))
    else:
        # A range of the primary key keeps the sweep an index scan at any table size: cases after the last one
        # warned, less a margin for transactions that committed out of order, and recorded recently.
        last = CaseWarning.objects.aggregate(m=Max("case_id"))["m"]
        if last is None:
            last = InjuryCase.objects.aggregate(m=Max("pk"))["m"] or 0
        qs = qs.filter(
            pk__gt=last - WARNING_ID_MARGIN,
            created_at__gte=since or (_now() - WARNING_LOOKBACK),
            occurred_at__gte=_now() - WARNING_MAX_AGE,
        )
    cases = list(qs.select_related("enterprise", "accident_type").order_by("pk")[:5000])
    if not cases:
        return 0
    users = enterprise_users({c.enterprise_id for c in cases})
    stamp = _now()  # this run's own mark: the warning rows it wrote are those with exactly this time
    warnings = [
        CaseWarning(case=c, enterprise_id=c.enterprise_id, recipients=len(users[c.enterprise_id]), sent_at=stamp)
        for c in cases
    ]
    CaseWarning.objects.bulk_create(warnings, ignore_conflicts=True, batch_size=1000)
    # Only the cases this call claimed (a concurrent run may have claimed some, which ignore_conflicts does not say):
    # re-read the rows carrying this run's mark.
    claimed = set(
        CaseWarning.objects.filter(case__in=[c.pk for c in cases], sent_at=stamp).values_list("case_id", flat=True)
    )
    rows = []
    for case in cases:
        if case.pk not in claimed:
            continue
        title, body = warning_text(case)
        url = reverse("prevention:warning_case", args=[case.pk])
        rows.extend(_notification(u, title, body, url, "warning") for u in users[case.enterprise_id])
    notify_many(rows)
    return len(claimed)


# --- 2. screening rules and runs -----------------------------------------------------------------------------


@transaction.atomic
def draft_rule(*, actor, region: Region, data: dict) -> ScreeningRule:
    """Start (or update) the region's draft rule: a new version numbered after the last one."""
    _require(actor, "prevention.add_screeningrule")
    if actor.agency is None or not region.path.startswith(actor.agency.region.path):
        raise PermissionDenied
    draft = ScreeningRule.objects.select_for_update().filter(region=region, state=ScreeningRule.State.DRAFT).first()
    if draft is not None and draft.owner_agency_id != actor.agency_id:
        raise PermissionDenied  # another agency's draft: only its owner changes it
    if draft is None:
        last = ScreeningRule.objects.filter(region=region).aggregate(v=Max("version"))["v"] or 0
        draft = ScreeningRule(region=region, version=last + 1, owner_agency=actor.agency, created_by=actor)
    before = audit.snapshot(draft) if draft.pk else {}
    for name, value in data.items():
        setattr(draft, name, value)
    draft.full_clean()
    draft.save()
    audit.record_change(actor=actor, verb="draft", obj=draft, before=before)
    return draft


@transaction.atomic
def publish_rule(*, actor, rule: ScreeningRule) -> ScreeningRule:
    """Put a draft in force; the version it replaces is kept as superseded."""
    _require(actor, "prevention.add_screeningrule")
    rule = ScreeningRule.objects.select_for_update(of=("self",)).select_related("region").get(pk=rule.pk)
    if actor.agency is None or rule.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if rule.state != ScreeningRule.State.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    if not (rule.note or "").strip():
        raise ValidationError({"note": _("State why the thresholds change.")})
    ScreeningRule.objects.filter(region=rule.region, state=ScreeningRule.State.PUBLISHED).update(
        state=ScreeningRule.State.SUPERSEDED
    )
    rule.state = ScreeningRule.State.PUBLISHED
    rule.published_at, rule.published_by = _now(), actor
    rule.save(update_fields=["state", "published_at", "published_by"])
    audit.record(actor=actor, verb="publish", obj=rule, changes={"thresholds": rule.thresholds}, note=rule.note)
    return rule


def default_rule(*, actor, region: Region) -> ScreeningRule:
    """The rule in force for ``region``, or version 1 with the default thresholds published on first use."""
    rule = ScreeningRule.objects.in_force_for(region)
    if rule is not None:
        return rule
    draft = draft_rule(actor=actor, region=region, data={"note": _("Default thresholds")})
    return publish_rule(actor=actor, rule=draft)


def preview_rule(*, draft: ScreeningRule, window: Window) -> dict:
    """Which enterprises the draft thresholds would class multi-incident, against the rule in force: the lists
    a region looks at before it publishes new thresholds. Nothing is written."""
    current = ScreeningRule.objects.in_force_for(draft.region)
    proposed = selectors.classify(draft.region, window, draft.thresholds)
    now = selectors.classify(draft.region, window, current.thresholds) if current else {}
    new_multi = sorted(e for e, r in proposed.items() if r["multi"] and not now.get(e, {}).get("multi"))
    dropped = sorted(e for e, r in now.items() if r["multi"] and not proposed.get(e, {}).get("multi"))
    names = dict(Enterprise.objects.filter(pk__in=[*new_multi, *dropped]).values_list("pk", "name"))
    return {
        "current": current,
        "proposed_multi": sum(r["multi"] for r in proposed.values()),
        "current_multi": sum(r["multi"] for r in now.values()),
        "added": [(names[e], proposed[e]) for e in new_multi],
        "removed": [(names[e], now[e]) for e in dropped],
        "enterprises": len(proposed),
    }


def annual_window(year: int) -> Window:
    return Window(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def rolling_window(today: datetime.date) -> Window:
    """The 12 months up to yesterday."""
    end = today - datetime.timedelta(days=1)
    return Window(add_months(end, -12) + datetime.timedelta(days=1), end)


def run_screening(
    *,
    actor,
    region: Region,
    kind: str,
    window: Window,
    agency: Agency | None = None,
    rule: ScreeningRule | None = None,
    shared: SharedCounts | None = None,
) -> ScreeningRun:
    """Class every enterprise of ``region`` with a case in ``window``: one INSERT … SELECT of the results, each
    multi-incident enterprise's with its high-incident posts. Running the same screening again returns the existing
    run unchanged. ``shared``: the counts ``run_screenings`` made for several regions at once, read instead of the
    cases."""
    agency = agency or getattr(actor, "agency", None)
    if actor is not None:
        _require(actor, "prevention.add_screeningrun")
        if agency is None or not region.path.startswith(agency.region.path):
            raise PermissionDenied
    if agency is None:
        raise ValidationError(_("A screening belongs to an agency."))
    with transaction.atomic():
        rule = rule or ScreeningRule.objects.in_force_for(region)
        if rule is None:
            raise ValidationError(_("This region has no screening rule in force yet; publish one first."))
        run, created = ScreeningRun.objects.get_or_create(
            region=region,
            kind=kind,
            period_start=window.start,
            period_end=window.end,
            rule=rule,
            defaults={"owner_agency": agency, "created_by": actor if getattr(actor, "pk", None) else None},
        )
        if not created:
            return run
        _insert_results(run, window, shared)
        totals = {
            row["category"]: (row["n"], row["cases"])
            for row in ScreeningResult.objects.filter(run=run)
            .order_by()
            .values("category")
            .annotate(n=Count("id"), cases=Sum("cases"))
        }
        run.multi_incident, multi_cases = totals.get(Category.MULTI, (0, 0))
        run.general, general_cases = totals.get(Category.GENERAL, (0, 0))
        run.enterprises = run.multi_incident + run.general
        # every case of the region in the window belongs to one result: their sum is the region's count
        run.city_cases = multi_cases + general_cases
        run.city_insured = selectors.region_insured(region, window)
        run.save(update_fields=["multi_incident", "general", "enterprises", "city_cases", "city_insured"])
        audit.record(
            actor=actor,
            verb="screen",
            obj=run,
            changes={
                "rule": rule.pk,
                "version": rule.version,
                "thresholds": rule.thresholds,
                "multi": run.multi_incident,
                "general": run.general,
            },
        )
    return run


SHARED_POST_TABLE = "prevention_screening_posts_shared"  # a temporary table: its session's own
SHARED_UNLOGGED_TABLE = "prevention_screening_counts"  # read by several connections (one run at a time: a lock)


@dataclass(frozen=True)
class ScreeningJob:
    region: Region
    rule: ScreeningRule
    agency: Agency


# Per sort or hash of a screening (PostgreSQL): the national year's ~700,000 groups of enterprise and post are
# hashed in ~130 MB, which the default 4 MB would spill to disk in batches.
SCREENING_WORK_MEM = "256MB"


def _work_mem(cursor) -> None:
    """Within a transaction: the screening's ``work_mem`` for it."""
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL work_mem = '{SCREENING_WORK_MEM}'")


@dataclass(frozen=True)
class SharedCounts:
    """The temporary table ``run_screenings`` makes for several regions: cases, serious and fatal per enterprise,
    post and the columns of the regions' ``tiers`` (province, city, county)."""

    table: str
    tiers: tuple[str, ...]

    def per_post(self, region: Region) -> tuple[str, list]:
        """SQL and parameters of the rows ``enterprise_id, post, n, s, f`` of ``region``."""
        tier = scope_tier(InjuryCase, region)
        if self.tiers == (tier,):  # grouped by the region's own column: a row per enterprise and post already
            return f"SELECT enterprise_id, post, n, s, f FROM {self.table} WHERE {tier}_id = %s", [region.pk]  # noqa: S608
        return (  # fixed names; the region's id is a parameter
            f"SELECT enterprise_id, post, SUM(n) AS n, SUM(s) AS s, SUM(f) AS f FROM {self.table} "  # noqa: S608
            f"WHERE {tier}_id = %s GROUP BY enterprise_id, post",
            [region.pk],
        )


SCREENING_CONNECTIONS = 2  # the yearly job's regions are screened on this many connections at once (PostgreSQL)
SCREENING_LOCK = zlib.crc32(b"prevention.run_screenings")  # one shared table of counts at a time


def run_screenings(*, jobs: list[ScreeningJob], kind: str, window: Window) -> list[ScreeningRun]:
    """The screenings of several regions over one window, as ``run_screening`` makes each (the yearly job: every
    region whose rule names the day). A case carries its province, city and county as columns, so the regions at
    those levels share one pass over the window's cases: a table of counts per enterprise, post and the columns of
    the levels screened, which each region reads its own rows of. Read once for all 31 provinces, the year's cases
    are no longer read 31 times. A region below a county makes its own pass, and a region already screened none.

    On PostgreSQL outside a transaction the regions are screened on ``SCREENING_CONNECTIONS`` connections at once,
    the largest first (``portal.parallel``), and the shared table is an unlogged one they all read; otherwise one
    after the other, from a temporary table."""
    done = set(
        ScreeningRun.objects.filter(
            kind=kind, period_start=window.start, period_end=window.end, rule__in=[job.rule for job in jobs]
        ).values_list("region_id", "rule_id")
    )
    sharing = [
        job
        for job in jobs
        if scope_tier(InjuryCase, job.region) is not None and (job.region.pk, job.rule.pk) not in done
    ]
    if len(sharing) < 2:
        sharing = []
    parallel = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and SCREENING_CONNECTIONS > 1
        and len(jobs) - len(done) > 1
    )
    runs: list[ScreeningRun | None] = [None] * len(jobs)
    if parallel and sharing:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SCREENING_LOCK])
    table = SHARED_UNLOGGED_TABLE if parallel else SHARED_POST_TABLE
    try:
        shared, sizes = _share_counts(sharing, window, table, unlogged=parallel) if sharing else (None, {})

        def screen(i: int, job: ScreeningJob):
            def run():
                runs[i] = _run_job(job, kind, window, shared if job in sharing else None)

            return run

        order = sorted(range(len(jobs)), key=lambda i: -sizes.get(jobs[i].region.pk, 0))
        run_on_connections([screen(i, jobs[i]) for i in order], SCREENING_CONNECTIONS if parallel else 1)
    finally:
        with connection.cursor() as cursor:
            if sharing:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            if parallel and sharing:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SCREENING_LOCK])
    return runs


def _share_counts(
    jobs: list[ScreeningJob], window: Window, table: str, *, unlogged: bool
) -> tuple[SharedCounts, dict[int, int]]:
    """``table`` of counts the regions of ``jobs`` share (unlogged, for other connections to read it, or
    temporary), and the rows of each region in it (the larger, the longer its screening)."""
    in_tiers = defaultdict(list)
    for job in jobs:
        in_tiers[scope_tier(InjuryCase, job.region)].append(job.region.pk)
    shared = SharedCounts(table, tuple(t for t in InjuryCase.scope_tiers if t in in_tiers))
    start, end = window.bounds
    within = Q()
    for tier, ids in in_tiers.items():
        within |= Q(**{f"{tier}_id__in": ids})
    counts_sql, counts_params = (
        InjuryCase.objects.filter(within, occurred_at__gte=start, occurred_at__lt=end)
        .order_by()
        .values(*(f"{tier}_id" for tier in shared.tiers), "enterprise_id", "post")
        .annotate(
            n=Count("id"),
            s=Count("id", filter=Q(severity=Severity.SERIOUS)),
            f=Count("id", filter=Q(severity=Severity.FATAL)),
        )
        .query.sql_with_params()
    )
    sizes: dict[int, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _work_mem(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {shared.table}")
        kind = "UNLOGGED" if unlogged else "TEMPORARY"
        cursor.execute(f"CREATE {kind} TABLE {shared.table} AS {counts_sql}", counts_params)
        for tier in shared.tiers:  # each region reads its own rows
            cursor.execute(f"CREATE INDEX {shared.table}_{tier} ON {shared.table} ({tier}_id)")
            cursor.execute(f"SELECT {tier}_id, COUNT(*) FROM {shared.table} GROUP BY {tier}_id")  # noqa: S608
            sizes.update(cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {shared.table}")
    return shared, sizes


def _run_job(job: ScreeningJob, kind: str, window: Window, shared: SharedCounts | None = None) -> ScreeningRun:
    return run_screening(
        actor=None, region=job.region, kind=kind, window=window, agency=job.agency, rule=job.rule, shared=shared
    )


def _insert_results(run: ScreeningRun, window: Window, shared: SharedCounts | None = None) -> None:
    with connection.cursor() as cursor:
        _work_mem(cursor)
        cursor.execute(*results_insert(run, window, shared))


def results_insert(run: ScreeningRun, window: Window, shared: SharedCounts | None = None) -> tuple[str, list]:
    """SQL and parameters of the one INSERT … SELECT of the run's results, classed in SQL, each multi-incident
    enterprise with its posts: from one pass over the region's cases, or from its rows of ``shared``."""
    if shared is None:
        per_post = selectors.post_counts(run.region, window).query.sql_with_params()
    else:
        per_post = shared.per_post(run.region)
    source, params = selectors.screening_source(run.region, window, run.rule.thresholds, per_post=per_post)
    multi = "(x.by_count OR x.by_rate OR x.by_severity)"
    no_posts = "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"
    return (
        f"INSERT INTO {ScreeningResult._meta.db_table} (run_id, enterprise_id, category, cases, serious, "  # noqa: S608
        f"fatal, insured, rate, by_count, by_rate, by_severity, posts) "
        f"SELECT %s, x.enterprise_id, CASE WHEN {multi} THEN %s ELSE %s END, x.n, x.s, x.f, "
        f"CAST(ROUND(x.insured) AS INTEGER), x.rate, x.by_count, x.by_rate, x.by_severity, "
        f"CASE WHEN {multi} THEN x.posts ELSE {no_posts} END FROM ({source}) x",
        # no ON CONFLICT: the run is new (``run_screening`` returns an existing one), and a conflict would be a
        # bug that the unique (run, enterprise) should raise, not hide
        [run.pk, Category.MULTI.value, Category.GENERAL.value, *params],
    )


@transaction.atomic
def publish_screening(*, actor, run: ScreeningRun, scope: Region) -> ScreeningRun:
    """Publish the run's multi-incident list to the agencies of ``scope`` (公示范围)."""
    _require(actor, "prevention.publish_screeningrun")
    run = ScreeningRun.objects.select_for_update().get(pk=run.pk)
    if run.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if not (scope.path.startswith(run.region.path) or run.region.path.startswith(scope.path)):
        raise ValidationError({"published_to": _("Choose the screened region, a region within it, or one above it.")})
    before = audit.snapshot(run, ["published_to", "published_at"])
    run.published_to, run.published_at = scope, _now()
    run.save(update_fields=["published_to", "published_at"])
    audit.record(
        actor=actor,
        verb="publish",
        obj=run,
        changes=audit.diff(before, audit.snapshot(run, ["published_to", "published_at"])),
    )
    return run


# --- 3. notice letters ------------------------------------------------------------------------------------------


def notice_number(agency: Agency, year: int, serial: int) -> str:
    """The reference number (文号): the issuing agency, the year in 〔〕 and the year's serial number."""
    return _("%(agency)s prevention notice [%(year)s] no. %(serial)s") % {
        "agency": agency.name,
        "year": year,
        "serial": serial,
    }


@transaction.atomic
def issue_notices(*, actor, run: ScreeningRun, issued_on: datetime.date | None = None) -> int:
    """告知书 to every multi-incident enterprise of the run that has none yet (one per run and enterprise,
    enforced by the database), its deadline one month on (moved to the next working day); the enterprise's
    accounts are told. General-incident enterprises are handed to their town or sector agency. Returns the
    notices created; a second call creates none."""
    if actor is not None:
        _require(actor, "prevention.issue_noticeletter")
        if run.owner_agency_id != actor.agency_id:
            raise PermissionDenied
    run = ScreeningRun.objects.select_for_update(of=("self",)).select_related("owner_agency", "region").get(pk=run.pk)
    issued_on = issued_on or _today()
    if issued_on <= run.period_end or issued_on > _today():
        raise ValidationError({"issued_on": _("A notice is dated after the screened period and not in the future.")})
    try:
        deadline = add_months_deadline(issued_on, RECTIFICATION_MONTHS)
    except CalendarNotSeeded as exc:
        raise ValidationError(str(exc)) from exc
    agency = Agency.objects.select_for_update().get(pk=run.owner_agency_id)  # one numbering at a time
    taken = NoticeLetter.objects.filter(owner_agency=agency, issued_on__year=issued_on.year).count()
    pending = list(
        ScreeningResult.objects.filter(run=run, category=Category.MULTI, notice__isnull=True)
        # an enterprise still rectifying under an earlier notice gets no second one for the same cases
        .exclude(enterprise__notices__state__in=[NoticeLetter.State.OPEN, NoticeLetter.State.SUPERVISED])
        .order_by("enterprise__name", "pk")
        .values_list("pk", "enterprise_id")
    )
    if not pending and run.notices_issued_at is not None:
        return 0  # done before, handovers included (same transaction): nothing to write, nothing to audit
    now = _now()
    actor_obj = actor if getattr(actor, "pk", None) else None
    notices = [
        NoticeLetter(
            run=run,
            result_id=result_id,
            enterprise_id=enterprise_id,
            number=notice_number(agency, issued_on.year, taken + i),
            issued_on=issued_on,
            original_deadline=deadline,
            deadline=deadline,
            owner_agency=agency,
            issued_by=actor_obj,
            created_at=now,
        )
        for i, (result_id, enterprise_id) in enumerate(pending, start=1)
    ]
    NoticeLetter.objects.bulk_create(notices, ignore_conflicts=True, batch_size=1000)
    created = list(NoticeLetter.objects.filter(run=run, created_at=now).select_related("enterprise"))
    figures = {
        "run": run.pk,
        "rule_version": run.rule.version,
        "thresholds": run.rule.thresholds,
        "deadline": deadline.isoformat(),
    }
    LoopEvent.objects.bulk_create(
        [
            LoopEvent(
                enterprise_id=n.enterprise_id, notice=n, verb="notice_issued", actor=actor_obj, at=now, figures=figures
            )
            for n in created
        ],
        batch_size=1000,
    )
    users = enterprise_users({n.enterprise_id for n in created})
    rows = []
    for n in created:
        title = _("Notice letter %(number)s: file a rectification report by %(deadline)s") % {
            "number": n.number,
            "deadline": deadline.isoformat(),
        }
        body = _(
            "Your enterprise is listed as a multi-incident key enterprise by the screening of %(period)s. Read the "
            "notice letter and file the rectification report online by %(deadline)s."
        ) % {"period": f"{run.period_start}–{run.period_end}", "deadline": deadline.isoformat()}
        rows.extend(_notification(u, title, body, n.get_absolute_url(), "urgent") for u in users[n.enterprise_id])
    notify_many(rows)
    handed = _hand_over_general(run, actor_obj, now)
    if run.notices_issued_at is None:
        run.notices_issued_at = now
        run.save(update_fields=["notices_issued_at"])
    if created or handed:
        audit.record(
            actor=actor, verb="issue_notices", obj=run, changes={"notices": len(created), "handed_over": handed}
        )
    return len(created)


def _hand_over_general(run: ScreeningRun, actor, now) -> int:
    """一般工伤事故企业由镇（街道、区）、行业主管部门预警: one handover per general result, to the agency of the
    enterprise's own town or street, else to its sector agency; that agency's staff are told, one message per
    agency."""
    router = AgencyRouter()
    rows = list(
        ScreeningResult.objects.filter(run=run, category=Category.GENERAL)
        .exclude(outcome__kind=Outcome.Kind.HANDOVER)
        .values_list(
            "pk", "enterprise_id", "cases", "serious", "fatal", "enterprise__region__path", "enterprise__industry__path"
        )
    )
    outcomes, per_agency = [], defaultdict(int)
    for result_id, enterprise_id, cases, serious, fatal, region_path, industry_path in rows:
        agency = router.town(region_path) or router.sector(region_path, industry_path) or run.owner_agency
        outcomes.append(
            Outcome(
                kind=Outcome.Kind.HANDOVER,
                trigger=Outcome.Trigger.SCREENING,
                enterprise_id=enterprise_id,
                result_id=result_id,
                referred_to=agency,
                evidence={"run": run.pk, "cases": cases, "serious": serious, "fatal": fatal},
                owner_agency=run.owner_agency,
                created_by=actor,
                created_at=now,
            )
        )
        per_agency[agency.pk] += 1
    Outcome.objects.bulk_create(outcomes, ignore_conflicts=True, batch_size=1000)
    _tell_agencies(
        per_agency,
        lambda n: (
            _("%(count)s general-incident enterprises handed to you for warning") % {"count": n},
            _("The screening %(run)s lists them; warn them and follow up.") % {"run": run},
        ),
        reverse("prevention:outcome_list") + "?kind=handover",
    )
    return len(outcomes)


def _tell_agencies(per_agency: dict[int, int], text, url: str) -> None:
    users = agency_users(per_agency)
    rows = []
    for agency_id, count in per_agency.items():
        title, body = text(count)
        rows.extend(_notification(u, title, body, url, "warning") for u in users[agency_id])
    notify_many(rows)


# --- 4. rectification reports and 10. extensions ---------------------------------------------------------------

REPORT_FIELDS = (
    "immediate_measures",
    "self_inspection",
    "case_analyses",
    "post_measures",
    "causes_found",
    "responsible_handled",
    "people_educated",
    "measures_in_place",
)


def notice_cases(notice: NoticeLetter):
    """The cases a notice lists: the enterprise's cases in the screening's period."""
    window = Window(notice.run.period_start, notice.run.period_end)
    start, end = window.bounds
    return InjuryCase.objects.filter(enterprise_id=notice.enterprise_id, occurred_at__gte=start, occurred_at__lt=end)


def notice_posts(notice: NoticeLetter) -> list[HighIncidentPost]:
    """The high-incident posts a notice lists: its screening result's."""
    return notice.result.high_incident_posts


def _officer_notice(actor, notice: NoticeLetter) -> NoticeLetter:
    _require(actor, "prevention.add_rectificationreport")
    if actor.enterprise_id != notice.enterprise_id:
        raise PermissionDenied
    return NoticeLetter.objects.select_for_update().get(pk=notice.pk)


@transaction.atomic
def save_report(*, actor, notice: NoticeLetter, data: dict) -> RectificationReport:
    """Save the officer's working version (a draft): immediate measures may come first and the cause analysis
    later. After a return, the first save starts the next version from the returned one."""
    notice = _officer_notice(actor, notice)
    if notice.state == NoticeLetter.State.RECTIFIED:
        raise ValidationError(_("This notice is closed; no report can be filed."))
    report = notice.reports.filter(
        state__in=[RectificationReport.State.DRAFT, RectificationReport.State.SUBMITTED]
    ).first()
    if report is not None and report.state == RectificationReport.State.SUBMITTED:
        raise ValidationError(_("The report is being reviewed; wait for the agency's decision."))
    if notice.reports.filter(state=RectificationReport.State.ACCEPTED).exists():
        raise ValidationError(_("The report has been accepted; nothing more to file."))
    if report is None:
        previous = notice.reports.order_by("-version").first()
        report = RectificationReport(notice=notice, version=(previous.version + 1) if previous else 1, created_by=actor)
        if previous is not None:
            for name in REPORT_FIELDS:
                setattr(report, name, getattr(previous, name))
            report.save()
            # The returned version's files come along (the same stored files; the old version keeps its own rows).
            ReportAttachment.objects.bulk_create(
                ReportAttachment(
                    report=report,
                    file=a.file.name,
                    name=a.name,
                    content_type=a.content_type,
                    size=a.size,
                    sha256=a.sha256,
                    uploaded_by=a.uploaded_by,
                    uploaded_at=a.uploaded_at,
                )
                for a in previous.attachments.all()
            )
    before = audit.snapshot(report) if report.pk else {}
    for name in REPORT_FIELDS:
        if name in data:
            setattr(report, name, data[name])
    report.full_clean()
    report.save()
    audit.record_change(actor=actor, verb="save", obj=report, before=before)
    return report


@transaction.atomic
def add_attachment(*, actor, report: RectificationReport, upload) -> ReportAttachment:
    """Attach a file to the officer's working version: the type is checked by content and must match the
    name's extension, the size is limited (``PREVENTION_ATTACHMENT_MAX_BYTES``)."""
    notice = _officer_notice(actor, report.notice)
    report = RectificationReport.objects.select_for_update().get(pk=report.pk, notice=notice)
    if report.state != RectificationReport.State.DRAFT:
        raise ValidationError({"file": _("Attach files to a draft only.")})
    if report.attachments.count() >= settings.PREVENTION_ATTACHMENTS_PER_REPORT:
        raise ValidationError(
            {"file": _("A report takes at most %(n)s files.") % {"n": settings.PREVENTION_ATTACHMENTS_PER_REPORT}}
        )
    name, kind, sha256 = uploads.check_upload(upload, field="file")
    attachment = ReportAttachment(
        report=report, name=name, content_type=kind, size=upload.size, sha256=sha256, uploaded_by=actor
    )
    attachment.file.save(uploads.stored_name(sha256, kind), upload, save=False)
    attachment.save()
    audit.record(actor=actor, verb="attach", obj=report, changes={"file": name, "sha256": attachment.sha256})
    return attachment


@transaction.atomic
def remove_attachment(*, actor, attachment: ReportAttachment) -> None:
    notice = _officer_notice(actor, attachment.report.notice)
    if attachment.report.notice_id != notice.pk or attachment.report.state != RectificationReport.State.DRAFT:
        raise ValidationError(_("Only a draft's files can be removed."))
    audit.record(actor=actor, verb="detach", obj=attachment.report, changes={"file": attachment.name})
    attachment.delete()


@transaction.atomic
def submit_report(*, actor, report: RectificationReport) -> RectificationReport:
    """Submit the working version for review: every listed case analysed, every high-incident post given its
    measures and the four 不放过 answered; the issuing agency's staff are told."""
    notice = _officer_notice(actor, report.notice)
    report = RectificationReport.objects.select_for_update().get(pk=report.pk, notice=notice)
    if report.state != RectificationReport.State.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    case_ids = list(notice_cases(notice).values_list("pk", flat=True))
    posts = [p.post for p in notice_posts(notice)]
    errors = report.completeness_errors(case_ids, posts)
    if errors:
        raise ValidationError(errors)
    report.state, report.submitted_at = RectificationReport.State.SUBMITTED, _now()
    report.save(update_fields=["state", "submitted_at", "updated_at"])
    LoopEvent.objects.create(
        at=_now(),
        enterprise_id=notice.enterprise_id,
        notice=notice,
        verb="report_submitted",
        actor=actor,
        figures={
            "version": report.version,
            "attachments": report.attachments.count(),
            "late": _today() > notice.deadline,
        },
    )
    audit.record(actor=actor, verb="submit", obj=report)
    title = _("Rectification report to review: %(enterprise)s (version %(version)s)") % {
        "enterprise": notice.enterprise.name,
        "version": report.version,
    }
    notify_many(
        [
            _notification(u, title, _("Accept it or return it with reasons."), report.get_absolute_url(), "warning")
            for u in agency_users([notice.owner_agency_id])[notice.owner_agency_id]
        ]
    )
    return report


def _reviewable(actor, report: RectificationReport) -> RectificationReport:
    _require(actor, "prevention.review_rectificationreport")
    report = (
        RectificationReport.objects.select_for_update(of=("self",))
        .select_related("notice__enterprise")
        .get(pk=report.pk)
    )
    if report.notice.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if report.state != RectificationReport.State.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be reviewed."))
    return report


@transaction.atomic
def accept_report(*, actor, report: RectificationReport, comment: str = "") -> RectificationReport:
    """Accept the report: the notice's rectification is complete."""
    report = _reviewable(actor, report)
    notice = NoticeLetter.objects.select_for_update().get(pk=report.notice_id)
    report.state, report.reviewed_by, report.reviewed_at, report.review_reason = (
        RectificationReport.State.ACCEPTED,
        actor,
        _now(),
        comment.strip(),
    )
    report.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])
    on_time = report.submitted_at and timezone.localdate(report.submitted_at) <= notice.deadline
    if notice.state != NoticeLetter.State.RECTIFIED:  # under supervision too: the outcome stays on record
        notice.state = NoticeLetter.State.RECTIFIED
        notice.save(update_fields=["state"])
    LoopEvent.objects.create(
        at=_now(),
        enterprise_id=notice.enterprise_id,
        notice=notice,
        verb="report_accepted",
        actor=actor,
        reason=report.review_reason,
        figures={"version": report.version, "on_time": bool(on_time)},
    )
    audit.record(actor=actor, verb="accept", obj=report, note=report.review_reason)
    _tell_enterprise(
        notice,
        _("Rectification report accepted: %(number)s") % {"number": notice.number},
        report.review_reason or _("The agency accepted your rectification report."),
        report.get_absolute_url(),
    )
    return report


@transaction.atomic
def return_report(*, actor, report: RectificationReport, reason: str) -> RectificationReport:
    """Return the report with reasons; the officer revises it as the next version."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"review_reason": _("State what must be revised (at least 4 characters).")})
    report = _reviewable(actor, report)
    report.state, report.reviewed_by, report.reviewed_at, report.review_reason = (
        RectificationReport.State.RETURNED,
        actor,
        _now(),
        reason,
    )
    report.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])
    notice = report.notice
    LoopEvent.objects.create(
        at=_now(),
        enterprise_id=notice.enterprise_id,
        notice=notice,
        verb="report_returned",
        actor=actor,
        reason=reason,
        figures={"version": report.version},
    )
    audit.record(actor=actor, verb="return", obj=report, note=reason)
    _tell_enterprise(
        notice,
        _("Rectification report returned: %(number)s") % {"number": notice.number},
        reason,
        notice.get_absolute_url(),
        level="warning",
    )
    return report


def _tell_enterprise(notice, title, body, url, level="info") -> None:
    notify_many(
        [
            _notification(u, title, body, url, level)
            for u in enterprise_users([notice.enterprise_id])[notice.enterprise_id]
        ]
    )


@transaction.atomic
def request_extension(*, actor, notice: NoticeLetter, requested_date: datetime.date, reason: str) -> DeadlineExtension:
    """Before the deadline, the officer asks for a later one, with a reason."""
    _require(actor, "prevention.request_extension")
    notice = _officer_notice_for_extension(actor, notice)
    today = _today()
    reason = (reason or "").strip()
    errors = {}
    if notice.state != NoticeLetter.State.OPEN or today > notice.deadline:
        errors["requested_date"] = [_("An extension can only be asked for before the deadline.")]
    elif requested_date <= notice.deadline:
        errors["requested_date"] = [
            _("Ask for a date after the current deadline (%(deadline)s).") % {"deadline": notice.deadline}
        ]
    if len(reason) < 4:
        errors["reason"] = [_("State why you need more time (at least 4 characters).")]
    if notice.extensions.filter(state=DeadlineExtension.State.PENDING).exists():
        errors["requested_date"] = [_("A request is already waiting for a decision.")]
    if errors:
        raise ValidationError(errors)
    ext = DeadlineExtension.objects.create(
        notice=notice, requested_date=requested_date, reason=reason, requested_by=actor
    )
    LoopEvent.objects.create(
        at=_now(),
        enterprise_id=notice.enterprise_id,
        notice=notice,
        verb="extension_requested",
        actor=actor,
        reason=reason,
        figures={"deadline": notice.deadline.isoformat(), "requested": requested_date.isoformat()},
    )
    audit.record(actor=actor, verb="request_extension", obj=notice, note=reason)
    title = _("Extension requested: %(enterprise)s") % {"enterprise": notice.enterprise.name}
    notify_many(
        [
            _notification(u, title, reason, notice.get_absolute_url(), "warning")
            for u in agency_users([notice.owner_agency_id])[notice.owner_agency_id]
        ]
    )
    return ext


def _officer_notice_for_extension(actor, notice):
    if actor.enterprise_id != notice.enterprise_id:
        raise PermissionDenied
    return NoticeLetter.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=notice.pk)


@transaction.atomic
def decide_extension(
    *, actor, extension: DeadlineExtension, grant: bool, reason: str, granted_date: datetime.date | None = None
) -> DeadlineExtension:
    """Grant a new deadline (the requested date unless another is given; moved to a working day) or refuse."""
    _require(actor, "prevention.decide_extension")
    ext = (
        DeadlineExtension.objects.select_for_update(of=("self",))
        .select_related("notice__enterprise")
        .get(pk=extension.pk)
    )
    notice = NoticeLetter.objects.select_for_update().get(pk=ext.notice_id)
    if notice.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if ext.state != DeadlineExtension.State.PENDING:
        raise ValidationError(_("This request has already been decided."))
    if notice.state != NoticeLetter.State.OPEN:
        raise ValidationError(_("The notice is no longer awaiting rectification; the request lapses."))
    reason = (reason or "").strip()
    if not grant and len(reason) < 4:
        raise ValidationError({"decision_reason": _("State why the request is refused (at least 4 characters).")})
    figures = {"deadline_before": notice.deadline.isoformat(), "requested": ext.requested_date.isoformat()}
    if grant:
        from portal.reference.models import next_workday_on_or_after

        try:
            new_date = next_workday_on_or_after(granted_date or ext.requested_date)
        except CalendarNotSeeded as exc:
            raise ValidationError({"granted_date": [str(exc)]}) from exc
        if new_date <= notice.deadline:
            raise ValidationError({"granted_date": [_("The new deadline must lie after the current one.")]})
        ext.state, ext.granted_date = DeadlineExtension.State.GRANTED, new_date
        notice.deadline = new_date
        notice.save(update_fields=["deadline"])
        figures["deadline_after"] = new_date.isoformat()
    else:
        ext.state = DeadlineExtension.State.REFUSED
    ext.decision_reason, ext.decided_by, ext.decided_at = reason, actor, _now()
    ext.save()
    LoopEvent.objects.create(
        at=_now(),
        enterprise_id=notice.enterprise_id,
        notice=notice,
        verb="extension_granted" if grant else "extension_refused",
        actor=actor,
        reason=reason,
        figures=figures,
    )
    audit.record(
        actor=actor, verb="grant_extension" if grant else "refuse_extension", obj=notice, changes=figures, note=reason
    )
    title = (
        _("Extension granted: new deadline %(date)s") % {"date": notice.deadline}
        if grant
        else _("Extension refused: the deadline stays %(date)s") % {"date": notice.deadline}
    )
    _tell_enterprise(notice, title, reason, notice.get_absolute_url(), "warning")
    return ext


# --- 5. escalation -----------------------------------------------------------------------------------------------


def escalate(*, today: datetime.date | None = None) -> dict:
    """The daily escalation, set-based and idempotent: overdue notices → 重点监管 and a penalty referral;
    four months after a notice → the review (挂牌督办 if cases are not down 30 % year on year or the rate is
    above the city average); serious or fatal cases → a penalty referral at the first occurrence."""
    today = today or _today()
    with transaction.atomic():
        overdue = _escalate_overdue(today)
    with transaction.atomic():
        reviewed = _four_month_reviews(today)
    with transaction.atomic():
        referred = _refer_serious_cases(today)
    return {"overdue": overdue, "reviewed": reviewed, "referred": referred}


def _escalate_overdue(today: datetime.date) -> int:
    rows = list(
        NoticeLetter.objects.filter(state=NoticeLetter.State.OPEN, deadline__lt=today)
        .exclude(reports__state=RectificationReport.State.ACCEPTED)
        .exclude(extensions__state=DeadlineExtension.State.PENDING)  # asked in time: the agency decides first
        .values_list(
            "pk",
            "enterprise_id",
            "deadline",
            "owner_agency_id",
            "enterprise__region__path",
            "enterprise__industry__path",
        )
    )
    if not rows:
        return 0
    router = AgencyRouter()
    last_state = dict(
        RectificationReport.objects.filter(notice_id__in=[r[0] for r in rows])
        .order_by("notice_id", "version")
        .values_list("notice_id", "state")
    )
    now = _now()
    outcomes, events, per_agency = [], [], defaultdict(int)
    for pk, enterprise_id, deadline, owner_id, region_path, industry_path in rows:
        evidence = {
            "deadline": deadline.isoformat(),
            "checked_on": today.isoformat(),
            "days_overdue": (today - deadline).days,
            "report": last_state.get(pk, "none"),
        }
        sector = router.sector(region_path, industry_path)
        for kind, referred in ((Outcome.Kind.KEY_SUPERVISION, None), (Outcome.Kind.PENALTY_REFERRAL, sector)):
            outcomes.append(
                Outcome(
                    kind=kind,
                    trigger=Outcome.Trigger.OVERDUE,
                    enterprise_id=enterprise_id,
                    notice_id=pk,
                    referred_to=referred,
                    evidence=evidence,
                    owner_agency_id=owner_id,
                    created_at=now,
                )
            )
        events.append(LoopEvent(enterprise_id=enterprise_id, notice_id=pk, verb="supervised", at=now, figures=evidence))
        if sector is not None:
            per_agency[sector.pk] += 1
    Outcome.objects.bulk_create(outcomes, ignore_conflicts=True, batch_size=1000)
    # The notices this run escalated: those whose supervision it wrote (a run beside it wrote the others).
    claimed = set(
        Outcome.objects.filter(kind=Outcome.Kind.KEY_SUPERVISION, created_at=now, notice__isnull=False).values_list(
            "notice_id", flat=True
        )
    )
    rows = [r for r in rows if r[0] in claimed]
    updated = NoticeLetter.objects.filter(pk__in=claimed, state=NoticeLetter.State.OPEN).update(
        state=NoticeLetter.State.SUPERVISED
    )
    LoopEvent.objects.bulk_create([e for e in events if e.notice_id in claimed], batch_size=1000)
    per_agency = defaultdict(int)
    for _pk, _e, _d, _o, region_path, industry_path in rows:
        sector = router.sector(region_path, industry_path)
        if sector is not None:
            per_agency[sector.pk] += 1
    users = enterprise_users({r[1] for r in rows})
    notify_many(
        [
            _notification(
                u,
                _("Under key supervision: no accepted rectification report by the deadline"),
                _(
                    "The deadline passed without an accepted report. Your enterprise is under key supervision and "
                    "referred for a penalty."
                ),
                reverse("prevention:noticeletter_detail", args=[pk]),
                "urgent",
            )
            for pk, enterprise_id, *_rest in rows
            for u in users[enterprise_id]
        ]
    )
    _tell_agencies(
        per_agency,
        lambda n: (
            _("%(count)s penalty referrals: rectification overdue") % {"count": n},
            _("Enterprises that filed no accepted rectification report by the deadline."),
        ),
        reverse("prevention:outcome_list") + "?kind=penalty",
    )
    return updated


def review_day(issued_on: datetime.date) -> datetime.date:
    """The day four months after a notice: the first day whose date four months earlier is not before it (a notice
    of 31 October is reviewed on 1 March, its window ending on the last day of February)."""
    day = add_months(issued_on, REVIEW_MONTHS)
    return day if add_months(day, -REVIEW_MONTHS) >= issued_on else day + datetime.timedelta(days=1)


def review_figures(*, region, enterprise_ids, issued_on: datetime.date) -> tuple[dict, dict]:
    """The four-month review's figures: per enterprise its cases in the four months since the notice and in the
    same months a year earlier, its insured employees; and the region's (city) totals for the same window."""
    now_w = Window(issued_on, review_day(issued_on) - datetime.timedelta(days=1))
    prev_w = now_w.shifted_years(-1)
    ids = list(enterprise_ids)
    cur = {r["enterprise_id"]: r["n"] for r in selectors.case_counts(region, now_w, ids)}
    prev = {r["enterprise_id"]: r["n"] for r in selectors.case_counts(region, prev_w, ids)}
    insured = {
        r["enterprise_id"]: float(r["insured"] or 0)
        for r in selectors.insured_by_enterprise(now_w, Enterprise.objects.filter(pk__in=ids).values("pk"))
    }
    city_cases, city_insured = selectors.region_totals(region, now_w)
    per = {
        e: {"cases": cur.get(e, 0), "cases_last_year": prev.get(e, 0), "insured": round(insured.get(e, 0))} for e in ids
    }
    city = {
        "window": [now_w.start.isoformat(), now_w.end.isoformat()],
        "previous_window": [prev_w.start.isoformat(), prev_w.end.isoformat()],
        "city_cases": city_cases,
        "city_insured": city_insured,
        "city_rate": str(rate(city_cases, city_insured)) if city_insured else None,
    }
    return per, city


def review_verdict(figures: dict, city: dict) -> dict:
    """Down ≥ 30 % year on year and not above the city rate → passed; otherwise 挂牌督办. A rise from zero is
    not a cut; no cases in either year is a pass of the count test."""
    cases, last = figures["cases"], figures["cases_last_year"]
    cut = None if last == 0 else (Decimal(last - cases) / Decimal(last)).quantize(Decimal("0.0001"))
    down_enough = cases == 0 if last == 0 else cut >= REQUIRED_CUT
    own_rate = rate(cases, figures["insured"])
    city_rate = Decimal(city["city_rate"]) if city["city_rate"] is not None else None
    above = own_rate is not None and city_rate is not None and own_rate > city_rate
    return {
        **figures,
        **city,
        "cut": str(cut) if cut is not None else None,
        "rate": str(own_rate) if own_rate is not None else None,
        "down_30": down_enough,
        "above_city": above,
        "passed": down_enough and not above,
    }


def _four_month_reviews(today: datetime.date) -> int:
    due_before = add_months(today, -REVIEW_MONTHS)  # issued on or before this date: four months have passed
    done = Outcome.objects.filter(
        notice__isnull=False, kind__in=[Outcome.Kind.LISTED, Outcome.Kind.REVIEW_PASSED]
    ).values("notice_id")
    notices = list(
        NoticeLetter.objects.filter(issued_on__lte=due_before)
        .exclude(pk__in=done)
        .values_list("pk", "enterprise_id", "issued_on", "owner_agency_id", "run__region_id")
    )
    if not notices:
        return 0
    groups: dict[tuple, list] = defaultdict(list)
    for row in notices:
        groups[(row[2], row[4])].append(row)
    regions = Region.objects.in_bulk({k[1] for k in groups})
    now = _now()
    outcomes, events, listed = [], [], []
    for (issued_on, region_id), rows in groups.items():
        per, city = review_figures(region=regions[region_id], enterprise_ids=[r[1] for r in rows], issued_on=issued_on)
        for pk, enterprise_id, _issued, owner_id, _region in rows:
            verdict = review_verdict(per[enterprise_id], city)
            kind = Outcome.Kind.REVIEW_PASSED if verdict["passed"] else Outcome.Kind.LISTED
            outcomes.append(
                Outcome(
                    kind=kind,
                    trigger=Outcome.Trigger.FOUR_MONTHS,
                    enterprise_id=enterprise_id,
                    notice_id=pk,
                    evidence=verdict,
                    owner_agency_id=owner_id,
                    created_at=now,
                )
            )
            events.append(
                LoopEvent(enterprise_id=enterprise_id, notice_id=pk, verb=f"review_{kind}", at=now, figures=verdict)
            )
            if kind == Outcome.Kind.LISTED:
                listed.append((pk, enterprise_id))
    Outcome.objects.bulk_create(outcomes, ignore_conflicts=True, batch_size=1000)
    claimed = set(  # the reviews this run wrote (a run beside it wrote the others)
        Outcome.objects.filter(trigger=Outcome.Trigger.FOUR_MONTHS, created_at=now).values_list("notice_id", flat=True)
    )
    LoopEvent.objects.bulk_create([e for e in events if e.notice_id in claimed], batch_size=1000)
    listed = [(pk, e) for pk, e in listed if pk in claimed]
    users = enterprise_users({e for _pk, e in listed})
    notify_many(
        [
            _notification(
                u,
                _("Listed for supervision (挂牌督办)"),
                _(
                    "Four months after the notice, your cases are not down by at least 30 percent on last year or "
                    "your rate is above the city average."
                ),
                reverse("prevention:noticeletter_detail", args=[pk]),
                "urgent",
            )
            for pk, enterprise_id in listed
            for u in users[enterprise_id]
        ]
    )
    return len(outcomes)


def _refer_serious_cases(today: datetime.date) -> int:
    """对发生重伤以上事故企业，首次即实施处罚: every serious or fatal case of the last year without a referral."""
    since = selectors.day_start(today - datetime.timedelta(days=REFERRAL_LOOKBACK_DAYS))
    rows = list(
        InjuryCase.objects.filter(severity__in=[Severity.SERIOUS, Severity.FATAL], occurred_at__gte=since)
        .exclude(
            pk__in=Outcome.objects.filter(kind=Outcome.Kind.PENALTY_REFERRAL, case__isnull=False).values("case_id")
        )
        .values_list(
            "pk",
            "enterprise_id",
            "severity",
            "occurred_at",
            "owner_agency_id",
            "enterprise__region__path",
            "enterprise__industry__path",
        )
    )
    if not rows:
        return 0
    router = AgencyRouter()
    now = _now()
    outcomes, per_agency = [], defaultdict(int)
    for pk, enterprise_id, severity, occurred_at, owner_id, region_path, industry_path in rows:
        sector = router.sector(region_path, industry_path)
        outcomes.append(
            Outcome(
                kind=Outcome.Kind.PENALTY_REFERRAL,
                trigger=Outcome.Trigger.SERIOUS_CASE,
                enterprise_id=enterprise_id,
                case_id=pk,
                referred_to=sector,
                evidence={"case": pk, "severity": severity, "occurred_at": timezone.localtime(occurred_at).isoformat()},
                owner_agency_id=owner_id,
                created_at=now,
            )
        )
    Outcome.objects.bulk_create(outcomes, ignore_conflicts=True, batch_size=2000)
    # Only the referrals this run wrote are told (a run beside it told the others).
    claimed = list(
        Outcome.objects.filter(trigger=Outcome.Trigger.SERIOUS_CASE, created_at=now).values_list(
            "referred_to_id", flat=True
        )
    )
    for referred_to in claimed:
        if referred_to is not None:
            per_agency[referred_to] += 1
    _tell_agencies(
        per_agency,
        lambda n: (
            _("%(count)s penalty referrals: cases of serious injury or death") % {"count": n},
            _("Enterprises with a case of serious injury or death are referred for a penalty at the first occurrence."),
        ),
        reverse("prevention:outcome_list") + "?kind=penalty",
    )
    return len(claimed)


# --- 8. reminders ---------------------------------------------------------------------------------------------


@transaction.atomic
def send_reminders(*, today: datetime.date | None = None) -> int:
    """Remind the enterprises that still owe a report: 7 days and 1 day before the deadline, and once when it
    has passed. One reminder per notice, kind and deadline (unique), so a second run sends nothing; a notice
    whose report is submitted or accepted owes nothing."""
    today = today or _today()
    owing = NoticeLetter.objects.owing()
    plan = [
        (
            Reminder.Kind.WEEK,
            owing.filter(
                deadline__gt=today + datetime.timedelta(days=1),
                deadline__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
            ),
        ),
        (Reminder.Kind.DAY, owing.filter(deadline=today + datetime.timedelta(days=1))),
        (Reminder.Kind.OVERDUE, owing.filter(deadline__lt=today)),
    ]
    sent = 0
    now = _now()
    for kind, qs in plan:
        notices = list(
            qs.exclude(
                Exists(Reminder.objects.filter(notice=OuterRef("pk"), kind=kind, deadline=OuterRef("deadline")))
            ).values_list("pk", "enterprise_id", "deadline", "number")
        )
        if not notices:
            continue
        Reminder.objects.bulk_create(
            [Reminder(notice_id=pk, kind=kind, deadline=deadline, sent_at=now) for pk, _e, deadline, _n in notices],
            ignore_conflicts=True,
            batch_size=1000,
        )
        claimed = set(Reminder.objects.filter(kind=kind, sent_at=now).values_list("notice_id", flat=True))
        users = enterprise_users({e for _pk, e, _d, _n in notices})
        rows = []
        for pk, enterprise_id, deadline, number in notices:
            if pk not in claimed:
                continue
            if kind == Reminder.Kind.OVERDUE:
                title = _("Overdue: the rectification report for %(number)s was due on %(deadline)s") % {
                    "number": number,
                    "deadline": deadline,
                }
            else:
                title = _("Reminder: the rectification report for %(number)s is due on %(deadline)s") % {
                    "number": number,
                    "deadline": deadline,
                }
            rows.extend(
                _notification(
                    u,
                    title,
                    _("File or submit the report online."),
                    reverse("prevention:noticeletter_detail", args=[pk]),
                    "warning",
                )
                for u in users[enterprise_id]
            )
        notify_many(rows)
        sent += len(claimed)
    return sent


# --- 6. recognition -----------------------------------------------------------------------------------------------


def recognition_candidates(*, region: Region, year: int) -> list[dict]:
    """先进单位 of ``year``: enterprises noticed as multi-incident by a screening of the previous year that
    completed rectification (an accepted report), whose rate in ``year`` is below the region's average and whose
    cases fell by at least 30 % on the previous year; ranked by the cut, the top 20."""
    this, last = annual_window(year), annual_window(year - 1)
    noticed = NoticeLetter.objects.filter(
        run__region__path__startswith=region.path,
        run__period_end__year=year - 1,
        reports__state=RectificationReport.State.ACCEPTED,
    ).values_list("enterprise_id", "pk")
    notice_of = dict(noticed)
    ids = list(notice_of)
    if not ids:
        return []
    cur = {r["enterprise_id"]: r["n"] for r in selectors.case_counts(region, this, ids)}
    prev = {r["enterprise_id"]: r["n"] for r in selectors.case_counts(region, last, ids)}
    insured = {
        r["enterprise_id"]: float(r["insured"] or 0)
        for r in selectors.insured_by_enterprise(this, Enterprise.objects.filter(pk__in=ids).values("pk"))
    }
    city_cases, city_insured = selectors.region_totals(region, this)
    city_rate = rate(city_cases, city_insured)
    out = []
    for e in ids:
        before, after = prev.get(e, 0), cur.get(e, 0)
        if before == 0:
            continue
        cut = (Decimal(before - after) / Decimal(before)).quantize(Decimal("0.0001"))
        own = rate(after, round(insured.get(e, 0)))
        if cut < REQUIRED_CUT or own is None or city_rate is None or own >= city_rate:
            continue
        out.append(
            {
                "enterprise_id": e,
                "notice_id": notice_of[e],
                "cases": after,
                "cases_last_year": before,
                "cut": str(cut),
                "rate": str(own),
                "city_rate": str(city_rate),
                "year": year,
            }
        )
    out.sort(key=lambda r: (-Decimal(r["cut"]), r["enterprise_id"]))
    return out[:ADVANCED_TOP]


@transaction.atomic
def propose_advanced(*, actor, region: Region, year: int, agency: Agency) -> int:
    """Record the year's 先进单位 proposals (one per enterprise and year, so a second run adds none)."""
    if actor is not None:
        _require(actor, "prevention.add_outcome")
        if actor.agency_id != agency.pk or not region.path.startswith(agency.region.path):
            raise PermissionDenied
    now = _now()
    rows = recognition_candidates(region=region, year=year)
    Outcome.objects.bulk_create(
        [
            Outcome(
                kind=Outcome.Kind.ADVANCED,
                trigger=Outcome.Trigger.RECOGNITION,
                enterprise_id=r["enterprise_id"],
                year=year,
                rank=i,
                evidence=r,
                owner_agency=agency,
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
            )
            for i, r in enumerate(rows, start=1)
        ],
        ignore_conflicts=True,
    )
    created = Outcome.objects.filter(kind=Outcome.Kind.ADVANCED, year=year, created_at=now).count()
    audit.record(
        actor=actor, verb="propose_advanced", obj=None, changes={"region": region.pk, "year": year, "proposed": created}
    )
    return created


def high_incidence_industries(*, region: Region, year: int, top: int = 5) -> list[dict]:
    """The industries (GB/T 4754 divisions) with the most cases in the region and year: where 标杆示范
    enterprises are chosen."""
    start, end = annual_window(year).bounds
    from django.db.models.functions import Substr

    rows = (
        InjuryCase.objects.in_region(region)
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .annotate(division=Substr("enterprise__industry__path", 1, 6))
        .order_by()
        .values("division")
        .annotate(n=Count("id"))
        .order_by("-n")[:top]
    )
    return list(rows)


@transaction.atomic
def mark_benchmark(*, actor, enterprise: Enterprise, year: int, industry, note: str = "") -> Outcome:
    """Staff mark an enterprise as 标杆示范 of its industry for a year: at most four per industry and region."""
    _require(actor, "prevention.add_outcome")
    if not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied
    if not enterprise.industry.path.startswith(industry.path):
        raise ValidationError({"industry": _("The enterprise is not in this industry.")})
    region = actor.agency.region
    taken = Outcome.objects.filter(
        kind=Outcome.Kind.BENCHMARK, year=year, industry=industry, enterprise__region__path__startswith=region.path
    )
    if Outcome.objects.filter(kind=Outcome.Kind.BENCHMARK, year=year, enterprise=enterprise).exists():
        raise ValidationError({"enterprise": _("This enterprise is already a benchmark for that year.")})
    if taken.count() >= BENCHMARKS_PER_INDUSTRY[1]:
        raise ValidationError({"industry": _("An industry has at most 4 benchmark enterprises a year.")})
    outcome = Outcome.objects.create(
        kind=Outcome.Kind.BENCHMARK,
        trigger=Outcome.Trigger.STAFF,
        enterprise=enterprise,
        year=year,
        industry=industry,
        note=note[:300],
        evidence={"industry": industry.code, "year": year},
        owner_agency=actor.agency,
        created_by=actor,
    )
    LoopEvent.objects.create(
        at=_now(), enterprise=enterprise, verb="benchmark", actor=actor, reason=note, figures=outcome.evidence
    )
    audit.record(actor=actor, verb="create", obj=outcome, note=note)
    return outcome


# --- 7. typical-case bulletins ---------------------------------------------------------------------------------


@transaction.atomic
def draft_bulletin(*, actor, data: dict, case: InjuryCase | None = None) -> Bulletin:
    """Write a bulletin, optionally from a case: only the de-identified facts are taken over (month, region,
    industry, accident type, severity), never a name, an ID number or the enterprise."""
    _require(actor, "prevention.add_bulletin")
    if actor.agency is None:
        raise PermissionDenied
    bulletin = Bulletin(owner_agency=actor.agency, created_by=actor, **data)
    if case is not None:
        if not InjuryCase.objects.visible_to(actor).filter(pk=case.pk).exists():
            raise PermissionDenied
        bulletin.source_case = case
        local = timezone.localtime(case.occurred_at).date()
        bulletin.occurred_in = data.get("occurred_in") or local.replace(day=1)
        bulletin.industry_id = case.enterprise.industry_id
        bulletin.accident_type_id = case.accident_type_id
        bulletin.severity = case.severity
    if bulletin.region_id is None:  # the author's region: the case's own town could point at the enterprise
        bulletin.region = actor.agency.region
    if not bulletin.region.path.startswith(actor.agency.region.path):
        raise ValidationError({"region": _("Choose your own region or a region within it.")})
    if bulletin.occurred_in:
        bulletin.occurred_in = bulletin.occurred_in.replace(day=1)
    _check_deidentified(bulletin, case)
    bulletin.full_clean()
    bulletin.save()
    audit.record(actor=actor, verb="create", obj=bulletin, changes=audit.diff({}, audit.snapshot(bulletin)))
    return bulletin


def _check_deidentified(bulletin: Bulletin, case: InjuryCase | None) -> None:
    """Refuse text that names the source case's worker, ID number or enterprise."""
    if case is None:
        return
    names = [
        v for v in (case.worker_name, case.worker_id_number, case.enterprise.name, case.enterprise.credit_code) if v
    ]
    leaks = [
        f for f in ("title", "summary", "cause_analysis", "lessons") if any(v in getattr(bulletin, f) for v in names)
    ]
    if leaks:
        raise ValidationError(
            {f: _("The text names the worker or the enterprise; a bulletin must be de-identified.") for f in leaks}
        )


BULLETIN_FIELDS = (
    "title",
    "summary",
    "cause_analysis",
    "lessons",
    "occurred_in",
    "region",
    "industry",
    "accident_type",
)


@transaction.atomic
def update_bulletin(*, actor, bulletin: Bulletin, data: dict) -> Bulletin:
    """Edit a draft or withdrawn bulletin of the actor's agency; the text is checked again for personal data."""
    _require(actor, "prevention.change_bulletin")
    bulletin = (
        Bulletin.objects.select_for_update(of=("self",)).select_related("source_case__enterprise").get(pk=bulletin.pk)
    )
    if bulletin.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if bulletin.published_at is not None and bulletin.withdrawn_at is None:
        raise ValidationError(_("A published bulletin cannot be edited; withdraw it first."))
    before = audit.snapshot(bulletin)
    for name in BULLETIN_FIELDS:
        if name in data:
            setattr(bulletin, name, data[name])
    if bulletin.occurred_in:
        bulletin.occurred_in = bulletin.occurred_in.replace(day=1)
    _check_deidentified(bulletin, bulletin.source_case)
    bulletin.full_clean()
    bulletin.save()
    audit.record_change(actor=actor, verb="update", obj=bulletin, before=before)
    return bulletin


@transaction.atomic
def publish_bulletin(*, actor, bulletin: Bulletin) -> Bulletin:
    _require(actor, "prevention.change_bulletin")
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if bulletin.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if bulletin.published_at is None or bulletin.withdrawn_at is not None:
        bulletin.published_at, bulletin.withdrawn_at = _now(), None
        bulletin.save(update_fields=["published_at", "withdrawn_at"])
        audit.record(actor=actor, verb="publish", obj=bulletin)
    return bulletin


@transaction.atomic
def withdraw_bulletin(*, actor, bulletin: Bulletin, reason: str) -> Bulletin:
    _require(actor, "prevention.change_bulletin")
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if bulletin.owner_agency_id != actor.agency_id:
        raise PermissionDenied
    if bulletin.withdrawn_at is None:
        bulletin.withdrawn_at = _now()
        bulletin.save(update_fields=["withdrawn_at"])
        audit.record(actor=actor, verb="withdraw", obj=bulletin, note=reason)
    return bulletin


# --- jobs' entry points ------------------------------------------------------------------------------------------


def annual_screenings(*, today: datetime.date | None = None) -> list[int]:
    """The yearly screening of the previous calendar year, for every region whose rule names today (month and
    day), run by its owning agency, notices issued at once. Idempotent: the run and its notices are unique."""
    today = today or _today()
    runs = []
    rules = ScreeningRule.objects.filter(
        state=ScreeningRule.State.PUBLISHED, annual_month=today.month, annual_day=today.day
    ).select_related("region", "owner_agency")
    jobs = [ScreeningJob(rule.region, rule, rule.owner_agency) for rule in rules]
    for run in run_screenings(jobs=jobs, kind=ScreeningRun.Kind.ANNUAL, window=annual_window(today.year - 1)):
        issue_notices(actor=None, run=run, issued_on=today)
        runs.append(run.pk)
    return runs
