"""Writes of the joint meeting: keytasks (one function per user action, each audited), and the reads they need.

The key task list (重点工作任务清单, seed 000): the secretariat adopts seed 000's eleven tasks as a template
(``adopt_template``, idempotent) and edits the list; the lead and participating agencies report progress per period
(``report_progress``: a quarter 1–4, or 0 for the whole year; quarterly tasks by quarter); ``task_status`` says per
task and agency what is due and what is late; ``compile_yearly_report`` compiles the yearly implementation report
(due 15 December, for the level above) into a new version only when its content changed; ``render_pdf`` and
``render_docx`` give its files. The clock is ``_today()`` / ``_now()``."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import audit
from portal.accounts.models import Agency, User
from portal.notifications.services import notify
from portal.permissions import AGENCY_ROLE_NAMES
from portal.services import create_object, update_object

from ..models import Committee, KeyTask, Phase, TaskProgress, YearlyReport, is_secretariat_of

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "taskdata" / "seed000_tasks.json"

# The yearly implementation report is due on 15 December (seed 000: 每年12月15日前将计划落实情况报市人社局).
REPORT_DUE = (12, 15)

# 责任部门 of seed 000 → the kind of agency that carries the task in a region.
DEPARTMENT_KINDS = {
    "市人社局": "hrss",
    "市住建委": "housing",
    "市住建局": "housing",
    "市交运局": "transport",
    "市卫健委": "health",
    "市应急局": "emergency",
    "市财政局": "finance",
    "市经信局": "industry",
    "市总工会": "union",
}
# "市人社局等8部门": the eight departments of the plan, 人社 first.
EIGHT_DEPARTMENTS = ["hrss", "housing", "transport", "health", "emergency", "finance", "industry", "union"]
KIND_DEPARTMENT = {
    "hrss": "市人社局",
    "housing": "市住建委",
    "transport": "市交运局",
    "health": "市卫健委",
    "emergency": "市应急局",
    "finance": "市财政局",
    "industry": "市经信局",
    "union": "市总工会",
}
_DEPARTMENT_RE = re.compile(r"市(?:人社局|住建委|住建局|交运局|卫健委|应急局|财政局|经信局|总工会)(等8部门)?")

# 时间安排 → schedule: the first term of the cell decides (the task's first measure).
_SCHEDULE_PATTERNS = [
    ("quarterly", re.compile(r"每季度")),
    ("first_quarter", re.compile(r"(?:每年)?第?一季度")),
    ("ongoing", re.compile(r"持续推进")),
    ("range", re.compile(r"(\d{4})\s*[-—–~至]\s*(\d{4})\s*年")),
    ("by_end", re.compile(r"(\d{4})\s*年\s*底\s*前?")),
]

PHASE_YEARS = {
    2021: Phase.BUILD,
    2022: Phase.BUILD,
    2023: Phase.IMPLEMENT,
    2024: Phase.IMPLEMENT,
    2025: Phase.CONSOLIDATE,
}


class State:
    LATE = "late"
    DUE = "due"
    REPORTED = "reported"
    DONE = "done"


STATE_LABELS = {
    State.LATE: gettext_lazy("Late"),
    State.DUE: gettext_lazy("Due"),
    State.REPORTED: gettext_lazy("Reported"),
    State.DONE: gettext_lazy("Done"),
}
STATE_CSS = {State.LATE: "danger", State.DUE: "warning", State.REPORTED: "success", State.DONE: "success"}

NOT_REPORTED = "not_reported"
REPORT_STATUS_LABELS = {
    **dict(TaskProgress.Status.choices),
    NOT_REPORTED: gettext_lazy("No report"),
}


def _today() -> datetime.date:
    return timezone.localdate()


def _now() -> datetime.datetime:
    return timezone.now()


# --- periods ---------------------------------------------------------------------------------------------------


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_end(year: int, quarter: int) -> datetime.date:
    if quarter == 0 or quarter == 4:
        return datetime.date(year, 12, 31)
    return datetime.date(year, quarter * 3 + 1, 1) - datetime.timedelta(days=1)


def quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, 1 if quarter == 0 else quarter * 3 - 2, 1)


def last_ended_quarter(today: datetime.date) -> tuple[int, int]:
    quarter = quarter_of(today)
    return (today.year - 1, 4) if quarter == 1 else (today.year, quarter - 1)


def period_label(year: int, quarter: int) -> str:
    if quarter == 0:
        return _("%(year)s (whole year)") % {"year": year}
    return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}


# --- the template (seed 000) ---------------------------------------------------------------------------------------


def load_template() -> dict:
    return json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))


def parse_schedule(text: str) -> tuple[str, datetime.date | None, str]:
    """(schedule, due_on, phase) of a 时间安排 cell: its first term decides. 每季度 → quarterly; (每年)(第)一季度 →
    first_quarter; 持续推进 → ongoing; 2022年底前 → by_date 2022-12-31; 2021-2023年 → by_date 2023-12-31. The phase
    follows from a date whose period lies within one phase (2021–22, 2023–24, 2025)."""
    found = []
    for kind, pattern in _SCHEDULE_PATTERNS:
        match = pattern.search(text or "")
        if match:
            found.append((match.start(), kind, match))
    if not found:
        return KeyTask.Schedule.ONGOING, None, ""
    _pos, kind, match = min(found, key=lambda f: f[0])
    if kind in ("quarterly", "first_quarter", "ongoing"):
        return kind, None, ""
    if kind == "range":
        first, last = int(match.group(1)), int(match.group(2))
    else:
        first = last = int(match.group(1))
    phase = PHASE_YEARS.get(last, "")
    if PHASE_YEARS.get(first, "") != phase:
        phase = ""
    return KeyTask.Schedule.BY_DATE, datetime.date(last, 12, 31), str(phase)


def parse_departments(text: str) -> list[str]:
    """The agency kinds a 责任部门 text names, in order of first mention (市人社局等8部门: the eight departments)."""
    kinds: list[str] = []
    for match in _DEPARTMENT_RE.finditer(text or ""):
        name = match.group(0).removesuffix("等8部门")
        named = [DEPARTMENT_KINDS[name]]
        if match.group(1):
            named += EIGHT_DEPARTMENTS
        for kind in named:
            if kind not in kinds:
                kinds.append(kind)
    return kinds


@dataclass
class TemplateTask:
    number: int
    title: str
    measures: str
    schedule: str
    due_on: datetime.date | None
    phase: str
    kinds: list[str] = field(default_factory=list)

    @property
    def lead_kind(self) -> str:
        return self.kinds[0]

    @property
    def participant_kinds(self) -> list[str]:
        return self.kinds[1:]


def template_tasks() -> list[TemplateTask]:
    """Seed 000's eleven tasks: measures as printed (numbered, with each row's 责任部门 and 时间安排), the schedule
    from the first 时间安排 term, the agencies from every 责任部门 cell (first listed: the lead)."""
    result = []
    for item in load_template()["tasks"]:
        rows = item["rows"]
        lines, n = [], 0
        for row in rows:
            for measure in row["measures"]:
                n += 1
                lines.append(f"{n}. {measure}")
            lines.append(f"责任部门：{row['departments']}；时间安排：{row['schedule']}")
        schedule, due_on, phase = parse_schedule(rows[0]["schedule"])
        kinds = []
        for row in rows:
            kinds += [k for k in parse_departments(row["departments"]) if k not in kinds]
        result.append(
            TemplateTask(
                number=item["number"],
                title=item["title"],
                measures="\n".join(lines),
                schedule=schedule,
                due_on=due_on,
                phase=phase,
                kinds=kinds,
            )
        )
    return result


# --- checks --------------------------------------------------------------------------------------------------


def check_secretariat(actor, committee: Committee) -> None:
    if not is_secretariat_of(actor, committee):
        raise PermissionDenied(_("Only the joint meeting's secretariat changes the key task list."))


def _region_agency(committee: Committee, kind: str) -> Agency | None:
    return (
        Agency.objects.filter(region_id=committee.region_id, is_active=True, kind=kind)
        .order_by("-is_lead", "name")
        .first()
    )


def _check_agencies(committee: Committee, agencies) -> None:
    allowed = set(Agency.objects.filter(region_id=committee.region_id, is_active=True).values_list("pk", flat=True))
    if any(a.pk not in allowed for a in agencies):
        raise ValidationError(
            _("Lead and participating agencies must be active agencies of the joint meeting's region.")
        )


# --- the task list -------------------------------------------------------------------------------------------


@dataclass
class Adoption:
    created: list[KeyTask] = field(default_factory=list)
    kept: list[KeyTask] = field(default_factory=list)
    missing: dict[int, list[str]] = field(default_factory=dict)  # task number → departments without an agency

    @property
    def missing_departments(self) -> list[str]:
        names: list[str] = []
        for departments in self.missing.values():
            names += [d for d in departments if d not in names]
        return names


@transaction.atomic
def adopt_template(*, actor, committee: Committee) -> Adoption:
    """The secretariat adopts seed 000's eleven tasks (numbered 1–11 where those numbers are free). The agencies
    are the region's active agencies of each department's kind; departments without one are skipped and reported.
    Idempotent: a template task already adopted is kept as it is."""
    check_secretariat(actor, committee)
    Committee.objects.select_for_update().filter(pk=committee.pk).first()
    result = Adoption()
    adopted = {t.template_number: t for t in committee.tasks.filter(template_number__isnull=False)}
    agencies: dict[str, Agency | None] = {}
    templates = template_tasks()
    for template in templates:
        if template.number in adopted:
            result.kept.append(adopted[template.number])
            continue
        for kind in template.kinds:
            if kind not in agencies:
                agencies[kind] = _region_agency(committee, kind)
        found = [agencies[k] for k in template.kinds if agencies[k] is not None]
        missing = [KIND_DEPARTMENT[k] for k in template.kinds if agencies[k] is None]
        if missing:
            result.missing[template.number] = missing
        lead = found[:1] if found else [committee.lead_agency]
        participants = [a for a in found if a not in lead]
        taken = committee.tasks.filter(number=template.number).exists()
        number = template.number
        if taken:
            number = max(committee.tasks.aggregate(n=Max("number"))["n"] or 0, max(t.number for t in templates)) + 1
        task = KeyTask(
            committee=committee,
            number=number,
            title=template.title,
            measures=template.measures,
            schedule=template.schedule,
            due_on=template.due_on,
            phase=template.phase,
            template_number=template.number,
        )
        task.full_clean()
        task.save()
        task.lead_agencies.set(lead)
        task.participants.set(participants)
        audit.record(
            actor=actor,
            verb="create",
            obj=task,
            changes=audit.diff({}, audit.snapshot(task)),
            note=f"template {template.number}" + (f"; skipped: {'、'.join(missing)}" if missing else ""),
        )
        result.created.append(task)
    return result


def _task_data(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in TASK_FIELDS}


TASK_FIELDS = (
    "number",
    "title",
    "measures",
    "lead_agencies",
    "participants",
    "schedule",
    "due_on",
    "phase",
    "is_active",
)


@transaction.atomic
def create_task(*, actor, committee: Committee, data: dict) -> KeyTask:
    """The secretariat adds a task to the list (audited)."""
    check_secretariat(actor, committee)
    data = _task_data(data)
    leads, participants = list(data.pop("lead_agencies", None) or []), list(data.pop("participants", None) or [])
    if not leads:
        raise ValidationError({"lead_agencies": _("A task needs at least one lead agency.")})
    _check_agencies(committee, [*leads, *participants])
    task = KeyTask(committee=committee, **data)
    task.full_clean()
    task.save()
    task.lead_agencies.set(leads)
    task.participants.set([a for a in participants if a not in leads])
    changes = audit.diff({}, audit.snapshot(task))
    changes["lead_agencies"] = [None, [a.pk for a in leads]]
    changes["participants"] = [None, [a.pk for a in participants if a not in leads]]
    audit.record(actor=actor, verb="create", obj=task, changes=changes)
    return task


def update_task(*, actor, task: KeyTask, data: dict) -> KeyTask:
    """The secretariat changes a task: its wording, agencies, schedule, phase, or makes it inactive (audited)."""
    check_secretariat(actor, task.committee)
    data = _task_data(data)
    if "lead_agencies" in data and not data["lead_agencies"]:
        raise ValidationError({"lead_agencies": _("A task needs at least one lead agency.")})
    _check_agencies(task.committee, [*data.get("lead_agencies", []), *data.get("participants", [])])
    return update_object(actor=actor, instance=task, data=data)


def deactivate_task(*, actor, task: KeyTask) -> KeyTask:
    return update_task(actor=actor, task=task, data={"is_active": False})


# --- progress ------------------------------------------------------------------------------------------------


def reporting_agencies(task: KeyTask) -> list[Agency]:
    leads = list(task.lead_agencies.all())
    return leads + [a for a in task.participants.all() if a not in leads]


def may_report(user, task: KeyTask) -> bool:
    agency_id = getattr(user, "agency_id", None)
    return (
        getattr(user, "role", None) in AGENCY_ROLE_NAMES
        and agency_id is not None
        and task.is_active
        and user.has_perm("meetings.add_taskprogress")
        and any(a.pk == agency_id for a in reporting_agencies(task))
    )


def _compiled_after(task: KeyTask, year: int, moment) -> bool:
    return YearlyReport.objects.filter(committee_id=task.committee_id, year=year, compiled_at__gte=moment).exists()


@transaction.atomic
def report_progress(
    *, actor, task: KeyTask, year: int, quarter: int, status: str, text: str
) -> tuple[TaskProgress, bool]:
    """The actor's agency reports its progress on a task it leads or takes part in, for one period: a quarter
    (1–4) or, except for quarterly tasks, the whole year (0). One report per task, agency and period; it can be
    changed until the year's implementation report has been compiled. Returns (report, created)."""
    agency = getattr(actor, "agency", None)
    if getattr(actor, "role", None) not in AGENCY_ROLE_NAMES or agency is None:
        raise PermissionDenied(_("Only member agencies report progress."))
    if not any(a.pk == agency.pk for a in reporting_agencies(task)):
        raise PermissionDenied(_("Your agency neither leads nor takes part in this task."))
    if not task.is_active:
        raise ValidationError(_("This task is no longer active."))
    if task.schedule == KeyTask.Schedule.QUARTERLY and not 1 <= quarter <= 4:
        raise ValidationError({"quarter": _("A quarterly task is reported by quarter (1–4).")})
    if not 0 <= quarter <= 4:
        raise ValidationError({"quarter": _("The quarter is 1–4, or 0 for the whole year.")})
    if not 2020 <= year <= 2100 or quarter_start(year, quarter) > _today():
        raise ValidationError({"year": _("Progress can be reported only for a period that has begun.")})
    # The committee's lock, which compiling the yearly report takes too: a report never slips in beside one.
    Committee.objects.select_for_update().filter(pk=task.committee_id).first()
    existing = (
        TaskProgress.objects.select_for_update().filter(task=task, agency=agency, year=year, quarter=quarter).first()
    )
    now = _now()
    if existing is None:
        progress = create_object(
            actor=actor,
            model=TaskProgress,
            data={
                "task": task,
                "agency": agency,
                "year": year,
                "quarter": quarter,
                "status": status,
                "text": text,
                "reported_by": actor,
                "reported_at": now,
            },
        )
        return progress, True
    if _compiled_after(task, year, existing.reported_at):
        raise ValidationError(
            _("The implementation report of %(year)s has been compiled: this report can no longer be changed.")
            % {"year": year}
        )
    progress = update_object(
        actor=actor,
        instance=existing,
        data={"status": status, "text": text, "reported_by": actor, "reported_at": now},
    )
    return progress, False


# --- status --------------------------------------------------------------------------------------------------


class _Shown:
    """The label and badge colour of a ``state``."""

    state: str

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def css(self) -> str:
        return STATE_CSS[self.state]


@dataclass
class AgencyState(_Shown):
    agency: Agency
    role: str  # lead / participant
    state: str
    period: tuple[int, int] | None
    due_on: datetime.date | None
    report: TaskProgress | None = None

    @property
    def period_label(self) -> str:
        return period_label(*self.period) if self.period else ""


@dataclass
class TaskState(_Shown):
    task: KeyTask
    agencies: list[AgencyState]

    @property
    def late(self) -> list[AgencyState]:
        return [a for a in self.agencies if a.state == State.LATE]

    @property
    def due(self) -> list[AgencyState]:
        return [a for a in self.agencies if a.state == State.DUE]

    @property
    def state(self) -> str:
        states = {a.state for a in self.agencies}
        for state in (State.LATE, State.DUE, State.REPORTED, State.DONE):
            if state in states:
                return state
        return State.DUE

    def of(self, agency_id: int) -> AgencyState | None:
        return next((a for a in self.agencies if a.agency.pk == agency_id), None)


def agency_state(task: KeyTask, agency: Agency, role: str, reports: list[TaskProgress], today) -> AgencyState:
    """Where ``agency`` stands with ``task`` on ``today``: quarterly — late without a report for the last ended
    quarter, else due for the current one; first quarter — due for Q1 until 31 March, late after it without one;
    by a date — done with a 'done' report, late after the date without one; ongoing — due for the year until
    15 December, late after it without a report of the year."""
    mine = {(r.year, r.quarter): r for r in reports if r.agency_id == agency.pk}
    year = today.year
    # A period that ended before the task was adopted owes no report (a task adopted in May is not late for Q1).
    adopted = timezone.localdate(task.created_at) if task.created_at else None

    def owed(period_end: datetime.date) -> bool:
        return adopted is None or period_end >= adopted

    if task.schedule == KeyTask.Schedule.QUARTERLY:
        last = last_ended_quarter(today)
        if last not in mine and owed(quarter_end(*last)):
            return AgencyState(agency, role, State.LATE, last, quarter_end(*last))
        current = (year, quarter_of(today))
        state = State.REPORTED if current in mine else State.DUE
        return AgencyState(agency, role, state, current, quarter_end(*current), mine.get(current) or mine.get(last))
    if task.schedule == KeyTask.Schedule.FIRST_QUARTER:
        period, due = (year, 1), datetime.date(year, 3, 31)
        if period in mine:
            return AgencyState(agency, role, State.REPORTED, period, due, mine[period])
        return AgencyState(agency, role, State.LATE if today > due and owed(due) else State.DUE, period, due)
    if task.schedule == KeyTask.Schedule.BY_DATE:
        done = [r for r in mine.values() if r.status == TaskProgress.Status.DONE]
        latest = max(mine.values(), key=lambda r: r.reported_at, default=None)
        if done:
            return AgencyState(agency, role, State.DONE, None, task.due_on, max(done, key=lambda r: r.reported_at))
        state = State.LATE if task.due_on and today > task.due_on else State.DUE
        return AgencyState(agency, role, state, None, task.due_on, latest)
    due = datetime.date(year, *REPORT_DUE)
    of_year = [r for k, r in mine.items() if k[0] == year]
    if of_year:
        return AgencyState(agency, role, State.REPORTED, (year, 0), due, max(of_year, key=lambda r: r.reported_at))
    return AgencyState(agency, role, State.LATE if today > due and owed(due) else State.DUE, (year, 0), due)


def tasks_with_reports(committee: Committee, today: datetime.date, *, active_only: bool = True):
    reports = TaskProgress.objects.filter(Q(year__gte=today.year - 1) | Q(status=TaskProgress.Status.DONE))
    qs = committee.tasks.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.prefetch_related(
        "lead_agencies", "participants", Prefetch("progress", queryset=reports.select_related("agency"))
    )


def state_of(task: KeyTask, today: datetime.date) -> TaskState:
    reports = list(task.progress.all())
    leads = list(task.lead_agencies.all())
    rows = [agency_state(task, a, "lead", reports, today) for a in leads]
    rows += [agency_state(task, a, "participant", reports, today) for a in task.participants.all() if a not in leads]
    return TaskState(task, rows)


def task_status(committee: Committee, today: datetime.date | None = None) -> list[TaskState]:
    """Per active task, each lead and participating agency's state on ``today``: late, due, reported or done."""
    today = today or _today()
    return [state_of(task, today) for task in tasks_with_reports(committee, today)]


def late_tasks_of(agency: Agency, today: datetime.date | None = None) -> list[TaskState]:
    """The active tasks of the agency's region's committee (or the nearest above) on which it is late."""
    today = today or _today()
    region = agency.region
    committee = (
        Committee.objects.filter(region__path__in=[region.path, *region.ancestor_paths()])
        .order_by("-region__depth")
        .first()
    )
    if committee is None:
        return []
    tasks = tasks_with_reports(committee, today).filter(Q(lead_agencies=agency) | Q(participants=agency)).distinct()
    result = []
    for task in tasks:
        state = state_of(task, today)
        mine = state.of(agency.pk)
        if mine is not None and mine.state == State.LATE:
            result.append(state)
    return result


# --- the yearly implementation report --------------------------------------------------------------------------


def _agency_json(agency: Agency) -> dict:
    return {"id": agency.pk, "name": agency.name, "kind": agency.kind}


def yearly_content(committee: Committee, year: int) -> dict:
    """The report's content: per active task its lead and participating agencies, each agency's reports of the
    year (one per period, quarters first, the whole year last) and status (its latest report's), and the task's
    status. Depends on the data only, not on the day it is compiled."""
    reports = TaskProgress.objects.filter(year=year).select_related("agency").order_by("reported_at", "id")
    tasks = (
        committee.tasks.filter(is_active=True)
        .prefetch_related("lead_agencies", "participants", Prefetch("progress", queryset=reports))
        .order_by("number")
    )
    counts = {s: 0 for s in (*TaskProgress.Status.values, NOT_REPORTED)}
    rows = []
    for task in tasks:
        leads = sorted(task.lead_agencies.all(), key=lambda a: (a.kind, a.name))
        participants = sorted((a for a in task.participants.all() if a not in leads), key=lambda a: (a.kind, a.name))
        by_agency: dict[int, list[TaskProgress]] = {}
        for report in task.progress.all():
            by_agency.setdefault(report.agency_id, []).append(report)
        others = {r.agency for rs in by_agency.values() for r in rs} - set(leads) - set(participants)
        agencies = []
        for role, group in (("lead", leads), ("participant", participants), ("other", sorted(others, key=str))):
            for agency in group:
                mine = by_agency.get(agency.pk, [])
                latest = max(mine, key=lambda r: (r.reported_at, r.pk), default=None)
                agencies.append(
                    {
                        **_agency_json(agency),
                        "role": role,
                        "status": latest.status if latest else NOT_REPORTED,
                        "reports": [
                            {
                                "quarter": r.quarter,
                                "status": r.status,
                                "text": r.text,
                                "reported_on": timezone.localdate(r.reported_at).isoformat(),
                            }
                            for r in sorted(mine, key=lambda r: (r.quarter == 0, r.quarter))
                        ],
                    }
                )
        statuses = [a["status"] for a in agencies if a["role"] != "other"]
        lead_statuses = [a["status"] for a in agencies if a["role"] == "lead"]
        if all(a["status"] == NOT_REPORTED for a in agencies):
            status = NOT_REPORTED
        elif lead_statuses and all(s == TaskProgress.Status.DONE for s in lead_statuses):
            status = TaskProgress.Status.DONE
        elif TaskProgress.Status.DELAYED in statuses:
            status = TaskProgress.Status.DELAYED
        else:
            status = TaskProgress.Status.ON_TRACK
        counts[status] += 1
        rows.append(
            {
                "number": task.number,
                "title": task.title,
                "measures": task.measures,
                "schedule": task.schedule,
                "due_on": task.due_on.isoformat() if task.due_on else None,
                "phase": task.phase,
                "lead": [_agency_json(a) for a in leads],
                "participants": [_agency_json(a) for a in participants],
                "agencies": agencies,
                "status": status,
            }
        )
    return {
        "committee": {"id": committee.pk, "name": committee.name},
        "region": {"code": committee.region.code, "name": committee.region.name},
        "lead_agency": committee.lead_agency.name,
        "year": year,
        "tasks": rows,
        "counts": counts,
    }


def fingerprint(content: dict) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def report_recipients(committee: Committee):
    """The committee's secretariat and the secretariat(s) of the region above (the report is for the level
    above)."""
    regions = [committee.region_id]
    if committee.region.parent_id:
        regions.append(committee.region.parent_id)
    return User.objects.filter(role="secretariat", is_active=True, agency__region_id__in=regions).order_by("pk")


def _announce(report: YearlyReport) -> None:
    committee = report.committee
    title = _("Yearly implementation report of the key tasks: %(committee)s, %(year)s (version %(version)s)") % {
        "committee": committee.name,
        "year": report.year,
        "version": report.version,
    }
    counts = report.content.get("counts", {})
    body = _(
        "Compiled from the member agencies' progress reports: %(tasks)s tasks, %(done)s done, %(delayed)s delayed, "
        "%(none)s without a report. PDF and DOCX can be downloaded."
    ) % {
        "tasks": len(report.content.get("tasks", [])),
        "done": counts.get("done", 0),
        "delayed": counts.get("delayed", 0),
        "none": counts.get(NOT_REPORTED, 0),
    }
    notify(
        recipients=list(report_recipients(committee)),
        title=title,
        body=body,
        url=reverse("meetings:yearlyreport_detail", args=[report.pk]),
    )


def compile_yearly_report(committee: Committee, year: int, actor=None) -> tuple[YearlyReport, bool]:
    """Compile the yearly implementation report of ``committee``'s key tasks for ``year``. Content the same as a
    version's: that version and False; otherwise the next version (audited, announced to the committee's
    secretariat and the secretariat above) and True. ``actor`` None: the scheduled job."""
    if actor is not None:
        check_secretariat(actor, committee)
    committee = Committee.objects.select_related("region", "lead_agency").get(pk=committee.pk)
    content = yearly_content(committee, year)
    digest = fingerprint(content)
    found = YearlyReport.objects.filter(committee=committee, year=year, fingerprint=digest).first()
    if found is not None:
        return found, False
    with transaction.atomic():
        Committee.objects.select_for_update().filter(pk=committee.pk).first()
        # Under the lock no progress report can change: the content is read again, so the version holds what is
        # there when it is made.
        content = yearly_content(committee, year)
        digest = fingerprint(content)
        found = YearlyReport.objects.filter(committee=committee, year=year, fingerprint=digest).first()
        if found is not None:
            return found, False
        last = YearlyReport.objects.filter(committee=committee, year=year).aggregate(v=Max("version"))["v"]
        report = YearlyReport.objects.create(
            committee=committee,
            year=year,
            version=(last or 0) + 1,
            content=content,
            fingerprint=digest,
            compiled_at=_now(),
            compiled_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            verb="create",
            obj=report,
            changes={"version": [None, report.version], "fingerprint": [None, digest]},
        )
        _announce(report)
    return report, True


def scheduled_yearly_reports(*, today: datetime.date | None = None) -> list[dict]:
    """From 15 December on: each committee's report of the year (a new version only when its content changed)."""
    today = today or _today()
    if (today.month, today.day) < REPORT_DUE:
        return []
    done = []
    for committee in Committee.objects.select_related("region", "lead_agency").order_by("region__path"):
        report, created = compile_yearly_report(committee, today.year)
        done.append({"committee": committee.pk, "report": report.pk, "version": report.version, "created": created})
    return done


def record_download(*, actor, report: YearlyReport, fmt: str) -> None:
    audit.record(actor=actor, verb="export", obj=report, note=fmt)


# --- files ---------------------------------------------------------------------------------------------------


def report_title(content: dict) -> str:
    return _("%(region)s %(year)s implementation report of the key work-injury prevention tasks") % {
        "region": content["region"]["name"],
        "year": content["year"],
    }


def report_file_name(report: YearlyReport, fmt: str) -> str:
    name = report_title(report.content).strip("《》")
    return f"{name}-v{report.version}.{fmt}"


def _label(choices: dict, value) -> str:
    return str(choices.get(value, value or "—"))


def _names(agencies: list[dict]) -> str:
    return "、".join(a["name"] for a in agencies) or "—"


def _schedule_text(task: dict) -> str:
    text = _label(dict(KeyTask.Schedule.choices), task["schedule"])
    if task["due_on"]:
        text += f" {task['due_on']}"
    if task["phase"]:
        text += f"（{_label(dict(Phase.choices), task['phase'])}）"
    return text


def _report_period(year: int, quarter: int) -> str:
    return period_label(year, quarter)


def _summary_text(content: dict) -> str:
    counts = content["counts"]
    return _(
        "%(tasks)s key tasks: %(done)s done, %(on_track)s on track, %(delayed)s delayed, %(none)s without a progress "
        "report."
    ) % {
        "tasks": len(content["tasks"]),
        "done": counts.get("done", 0),
        "on_track": counts.get("on_track", 0),
        "delayed": counts.get("delayed", 0),
        "none": counts.get(NOT_REPORTED, 0),
    }


def _meta(report: YearlyReport) -> list[tuple[str, str]]:
    content = report.content
    return [
        (_("Joint meeting"), content["committee"]["name"]),
        (_("Year"), str(content["year"])),
        (_("Version"), str(report.version)),
        (_("Compiled at"), timezone.localtime(report.compiled_at).strftime("%Y-%m-%d %H:%M")),
        (_("Fingerprint"), report.fingerprint),
    ]


def _overview_rows(content: dict) -> list[list[str]]:
    return [
        [
            str(t["number"]),
            t["title"],
            _names(t["lead"]),
            _names(t["participants"]),
            _schedule_text(t),
            _label(REPORT_STATUS_LABELS, t["status"]),
        ]
        for t in content["tasks"]
    ]


def _overview_headers() -> list[str]:
    return [_("No."), _("Task"), _("Lead agencies"), _("Participating agencies"), _("Schedule"), _("Status")]


def _report_rows(content: dict, task: dict) -> list[list[str]]:
    rows = []
    for agency in task["agencies"]:
        if not agency["reports"]:
            rows.append([agency["name"], "—", _label(REPORT_STATUS_LABELS, NOT_REPORTED), ""])
        for r in agency["reports"]:
            rows.append(
                [
                    agency["name"],
                    _report_period(content["year"], r["quarter"]),
                    _label(REPORT_STATUS_LABELS, r["status"]),
                    r["text"],
                ]
            )
    return rows


def _report_headers() -> list[str]:
    return [_("Agency"), _("Period"), _("Status"), _("Progress")]


def render_pdf(report: YearlyReport) -> bytes:
    """The report as a PDF (portal.pdf), in the portal's language."""
    from portal.pdf import PdfDocument

    content = report.content
    with translation.override(settings.LANGUAGE_CODE):
        title = report_title(content)
        doc = PdfDocument(title=title, author=content["lead_agency"], header_text=title)
        doc.heading(title, level=1)
        doc.key_values(_meta(report))
        doc.paragraph(_summary_text(content))
        doc.heading(_("Overview"), level=2)
        doc.table(
            _overview_headers(),
            _overview_rows(content),
            col_widths=[0.6, 2.6, 1.8, 2.6, 1.6, 1.3],
            col_align=["center", "left", "left", "left", "left", "center"],
        )
        for task in content["tasks"]:
            doc.heading(f"{task['number']}. {task['title']}", level=2)
            doc.paragraph(task["measures"], indent_first_line=False, font_size=10)
            doc.table(_report_headers(), _report_rows(content, task), col_widths=[2, 1.4, 1, 4])
        doc.signature_block(content["lead_agency"], timezone.localdate(report.compiled_at))
        return doc.build()


def _east_asian(run_or_style, font: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:ascii"), font)
    fonts.set(qn("w:hAnsi"), font)


def render_docx(report: YearlyReport) -> bytes:
    """The report as a Word document (python-docx), East Asian text in 宋体 (headings 黑体)."""
    import docx
    from docx.shared import Pt

    content = report.content
    document = docx.Document()
    for name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        style = document.styles[name]
        style.font.name = font
        _east_asian(style, font)
    document.styles["Normal"].font.size = Pt(12)
    with translation.override(settings.LANGUAGE_CODE):
        title = report_title(content)
        document.core_properties.title = title
        document.core_properties.author = content["lead_agency"]
        document.add_heading(title, level=0)
        for label, value in _meta(report):
            document.add_paragraph(f"{label}：{value}")
        document.add_paragraph(_summary_text(content))
        document.add_heading(_("Overview"), level=1)
        _docx_table(document, _overview_headers(), _overview_rows(content))
        for task in content["tasks"]:
            document.add_heading(f"{task['number']}. {task['title']}", level=2)
            for line in task["measures"].splitlines():
                document.add_paragraph(line)
            _docx_table(document, _report_headers(), _report_rows(content, task))
        closing = document.add_paragraph(content["lead_agency"])
        closing.alignment = 2
        dated = document.add_paragraph(timezone.localdate(report.compiled_at).strftime("%Y年%m月%d日"))
        dated.alignment = 2
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document, headers: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
