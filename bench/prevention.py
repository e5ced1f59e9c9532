"""The warning and rectification loop (issue 5) at national scale: the screening, the notices, the escalation and
the notice letters' PDFs on the ``generate_national`` data set, against peers run in the same script.

    .venv/bin/python bench/prevention.py [--quick] [--database-url URL | --reuse-database URL] [--year Y]

Builds a throwaway database (see bench/README.md; PostgreSQL: the figures only mean something there), loads the
real reference data and fills it with ``manage.py generate_national`` (default 1,000,000 enterprises and
10,000,000 cases over nine years; ``--quick`` 20,000 and 200,000 in 浙江省). Insurance snapshots (the rates'
denominator, which the generator does not make) are added for the screened year and the first half of the next,
one row per enterprise and quarter. Then, with Celery's enqueue replaced by a counter (``portal.jobs.send_now``):

1. **Screening**: a published rule (the default thresholds) and an 人社 agency for every province with data (the
   region tree has no national node: the "top regions" are the provinces), ``services.run_screenings`` of the
   year ``--year`` for all of them at once, as the yearly job runs them (one pass over the cases, then one INSERT
   of each province's results with their posts), then ``services.issue_notices`` for each run (notices of the
   multi-incident enterprises, handover of the general ones), timed; goal: the whole data set in ≤ 5 minutes.
2. **Escalation**: ``services.escalate`` on a day past the notices' deadline and four months after them (overdue
   → 重点监管 and penalty referral, the four-month reviews, serious and fatal cases referred); goal ≤ 5 minutes.
3. **Idempotence**: every table the loop writes (and notifications, audit events, job outbox) counted before and
   after running steps 1 and 2 again; goal: 0 new rows.
4. **Celery messages** sent by each step (one safety officer account for every tenth enterprise and one staff
   account per agency, so that notifications and their e-mail batches are real); goal ≤ 1,000 per run.
5. **Per enterprise**: the set-based screening's time per enterprise classified against a per-enterprise ORM loop
   (count the enterprise's cases, serious, fatal, average insured → classify → for a multi-incident enterprise
   its cases per post → create the result row with them: what the set-based run writes) over
   ``--sample`` (2,000) enterprises of the largest province, in a transaction rolled back; goal ≥ 100×.
7. **Notice letters**: ``letters.notice_pdfs`` over ``--letters`` (500) notices, wall and CPU time, against a
   naive peer (each letter a new ``PdfDocument`` after registering the four Noto fonts afresh, as one library call
   per letter with full font loading and subsetting) and reportlab's stock fonts registered once (every letter
   makes its own subsets, no seed); goal ≥ 100 PDFs a second per process.
6. ``EXPLAIN (ANALYZE, BUFFERS)`` of the screening's INSERT … SELECT for the largest province (in a transaction
   rolled back), the statements each step spent its time in, and what-ifs of the screening's SELECT.

A reused database (``--reuse-database``) keeps everything: each run publishes a new rule version per province, so
its screening is new. Its notices are not: an enterprise still rectifying under an earlier run's notice gets no
second one, so issuing and the escalation are measured on a database whose enterprises have no open notice (the
first run on a generated database). ``--screening-only`` runs steps 1 (without notices), 3 (the screening again)
and 5: about a minute on a reused database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import random
import subprocess
import sys
import time
from collections import Counter

from _common import (
    BenchDatabase,
    explain,
    format_table,
    misestimates,
    national_data_arguments,
    run_on_database,
    section,
)
from case_lists import generate, load_average, set_up
from dashboard import StatementLog, one_line

GOAL_SCREEN_S = 300.0
GOAL_ESCALATE_S = 300.0
GOAL_PER_ENTERPRISE = 100.0
GOAL_MESSAGES = 1000
GOAL_PDFS = 100.0
OFFICER_SHARE = 10  # one safety officer account for every tenth enterprise


# --- helpers --------------------------------------------------------------------------------------------------


class Clock:
    """Wall and CPU (this process) seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


@contextlib.contextmanager
def counted_messages():
    """Celery messages sent while the block runs (by task name), instead of sending them: ``portal.jobs.enqueue``
    calls ``send_now`` on commit; in eager mode it would run the e-mail jobs inline."""
    import portal.jobs as jobs

    counts: Counter = Counter()
    original = jobs.send_now

    def send_now(task_name, args, kwargs):
        counts[task_name] += 1
        return True

    jobs.send_now = send_now
    try:
        yield counts
    finally:
        jobs.send_now = original


def loop_tables() -> list:
    """Every model whose rows the loop writes: the prevention app's, notifications, audit events, job outbox."""
    from django.apps import apps

    from portal.models import AuditEvent, JobOutbox
    from portal.notifications.models import Notification

    return [*apps.get_app_config("prevention").get_models(), Notification, AuditEvent, JobOutbox]


def row_counts() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for model in loop_tables():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            out[model._meta.db_table] = cursor.fetchone()[0]
    return out


def by_table(log: StatementLog, top: int = 6) -> str:
    rows = [[table, f"{n:,}", f"{seconds:.2f}"] for table, n, seconds in log.by_table()[:top]]
    return format_table(["table", "statements", "seconds"], rows, right={1, 2})


# --- data ------------------------------------------------------------------------------------------------------


def add_insurance(quarters: list[tuple[int, int]]) -> tuple[int, float]:
    """Quarterly insured employees of every generated enterprise for ``quarters`` (its employees ±10 %, fixed by its
    id), inserted set-based; existing rows are kept. Returns (rows added, seconds)."""
    from django.db import connection, transaction

    from incidents.management.commands.generate_national import MARKER

    values = ", ".join(f"({y}, {q})" for y, q in quarters)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO enterprises_insurancesnapshot (enterprise_id, owner_agency_id, year, quarter, "  # noqa: S608
            "insured_employees, premium_paid, fund_payout, created_at, updated_at) "
            "SELECT e.id, e.owner_agency_id, v.y, v.q, "
            "GREATEST(1, COALESCE(e.employees, 1) * (90 + (e.id * 7 + v.q * 13) %% 21) / 100), "
            "COALESCE(e.employees, 1) * 150, 0, NOW(), NOW() "
            f"FROM enterprises_enterprise e CROSS JOIN (VALUES {values}) AS v(y, q) "
            "WHERE SUBSTRING(e.credit_code FROM 9 FOR 2) = %s "
            "ON CONFLICT DO NOTHING",
            [MARKER],
        )
        added = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_insurancesnapshot")
    return added, time.perf_counter() - started


def provinces_with_data():
    from enterprises.models import Enterprise
    from portal.reference.models import Region

    return [
        p
        for p in Region.objects.filter(parent__isnull=True).order_by("code")
        if Enterprise.objects.filter(region__path__startswith=p.path).exists()
    ]


def province_setup(provinces) -> dict:
    """An 人社 agency, a staff user and a newly published rule (default thresholds) for each province."""
    from django.utils import timezone

    from incidents.prevention.models import ScreeningRule
    from portal.accounts.models import Agency, Role, User

    now = timezone.now()
    out = {}
    for province in provinces:
        agency = Agency.objects.filter(region=province, kind="hrss").order_by("pk").first() or Agency.objects.create(
            name=f"{province.name}人力资源和社会保障厅", kind="hrss", level="province", region=province, is_lead=True
        )
        user = User.objects.filter(username=f"bench_prevention_{province.code}").first()
        if user is None:
            user = User(username=f"bench_prevention_{province.code}", role=Role.AGENCY_STAFF, agency=agency)
            user.set_unusable_password()
            user.save()
        last = ScreeningRule.objects.filter(region=province).order_by("-version").first()
        ScreeningRule.objects.filter(region=province, state__in=["published", "draft"]).update(state="superseded")
        rule = ScreeningRule.objects.create(
            region=province,
            version=(last.version + 1) if last else 1,
            state=ScreeningRule.State.PUBLISHED,
            owner_agency=agency,
            created_by=user,
            published_by=user,
            published_at=now,
            note="bench/prevention.py",
        )
        out[province.pk] = (province, agency, rule)
    return out


def make_accounts() -> tuple[int, int]:
    """A safety officer for every tenth generated enterprise and a staff account for every agency without one
    (unusable passwords, an e-mail address each): the recipients of the loop's notifications and of their e-mail
    copies. Returns the accounts made."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Value
    from django.db.models.functions import Concat

    from incidents.management.commands.generate_national import generated_enterprises
    from portal.accounts.models import Agency, Role, User

    password = make_password(None)
    have = set(User.objects.filter(enterprise__isnull=False).values_list("enterprise_id", flat=True))
    officers = [
        User(
            username=f"bench_officer_{pk}",
            role=Role.SAFETY_OFFICER,
            enterprise_id=pk,
            password=password,
            email=f"bench_officer_{pk}@example.com",
        )
        for pk in generated_enterprises().values_list("pk", flat=True).order_by("pk")
        if pk % OFFICER_SHARE == 0 and pk not in have
    ]
    User.objects.bulk_create(officers, batch_size=5000)
    staffed = set(User.objects.filter(agency__isnull=False).values_list("agency_id", flat=True))
    staff = [
        User(
            username=f"bench_staff_{pk}",
            role=Role.AGENCY_STAFF,
            agency_id=pk,
            password=password,
            email=f"bench_staff_{pk}@example.com",
        )
        for pk in Agency.objects.values_list("pk", flat=True)
        if pk not in staffed
    ]
    User.objects.bulk_create(staff, batch_size=5000)
    # accounts an earlier run made without an address
    User.objects.filter(username__startswith="bench_", email="").update(email=Concat("username", Value("@example.com")))
    return len(officers), len(staff)


# --- 1-3. screening, notices, escalation -----------------------------------------------------------------------


def screen_all(setup: dict, window, issued_on, *, label: str, issue: bool = True) -> dict:
    from django.db import connection

    from incidents.prevention import services
    from incidents.prevention.models import ScreeningRun

    rows = []
    screen_log, issue_log = StatementLog(), StatementLog()
    totals = {"screen_wall": 0.0, "issue_wall": 0.0, "enterprises": 0, "multi": 0, "notices": 0}
    jobs = [services.ScreeningJob(province, rule, agency) for province, agency, rule in setup.values()]
    seconds = {}  # each province's run_screening (its own connection's transaction), wall time
    real_run = services.run_screening

    def run_screening(**kwargs):
        started = time.perf_counter()
        try:
            return real_run(**kwargs)
        finally:
            seconds[kwargs["region"].pk] = time.perf_counter() - started

    services.run_screening = run_screening
    try:  # (the statement log sees this thread's connection: the shared pass, not the provinces' own statements)
        with counted_messages() as screen_messages, Clock() as clock, connection.execute_wrapper(screen_log):
            screened = services.run_screenings(jobs=jobs, kind=ScreeningRun.Kind.ANNUAL, window=window)
    finally:
        services.run_screening = real_run
    totals["screen_wall"] = clock.wall
    runs = [(run, seconds.get(run.region.pk, 0.0)) for run in screened]
    print(
        f"run_screenings of {len(jobs)} provinces on {services.SCREENING_CONNECTIONS} connections: "
        f"{clock.wall:.1f} s; the shared pass over the cases {screen_log.seconds:.1f} s; the provinces' "
        f"run_screening {sum(seconds.values()):.1f} s in all"
    )
    with counted_messages() as issue_messages:
        for run, screen_s in runs:
            with Clock() as clock, connection.execute_wrapper(issue_log):
                notices = services.issue_notices(actor=None, run=run, issued_on=issued_on) if issue else 0
            totals["issue_wall"] += clock.wall
            totals["enterprises"] += run.enterprises
            totals["multi"] += run.multi_incident
            totals["notices"] += notices
            rows.append(
                [
                    run.region.name,
                    f"{run.enterprises:,}",
                    f"{run.multi_incident:,}",
                    f"{run.city_cases:,}",
                    f"{screen_s:.2f}",
                    f"{notices:,}",
                    f"{clock.wall:.2f}",
                ]
            )
    print(f"\n{label}")
    print(
        format_table(
            ["province", "enterprises with cases", "multi-incident", "cases", "run_screening s", "notices", "issue s"],
            rows,
            right={1, 2, 3, 4, 5, 6},
        )
    )
    print(
        f"all: {totals['enterprises']:,} enterprises classified, {totals['multi']:,} multi-incident; screening "
        f"{totals['screen_wall']:.1f} s, issuing {totals['issue_wall']:.1f} s "
        f"({totals['notices']:,} notices)"
    )
    print(
        f"Celery messages: screening {sum(screen_messages.values())} {dict(screen_messages)}, "
        f"issuing {sum(issue_messages.values())} {dict(issue_messages)}"
    )
    totals.update(
        runs=[r for r, _s in runs],
        screen_messages=sum(screen_messages.values()),
        issue_messages=sum(issue_messages.values()),
        screen_log=screen_log,
        issue_log=issue_log,
    )
    return totals


def escalate_all(today, *, label: str) -> dict:
    from django.db import connection

    from incidents.prevention import services

    log = StatementLog()
    with counted_messages() as messages, Clock() as clock, connection.execute_wrapper(log):
        result = services.escalate(today=today)
    print(
        f"\n{label}: {result} in {clock.wall:.1f} s (CPU of this process {clock.cpu:.1f} s); "
        f"Celery messages {sum(messages.values())} {dict(messages)}"
    )
    return {"wall": clock.wall, "result": result, "messages": sum(messages.values()), "log": log}


# --- 5. per enterprise ------------------------------------------------------------------------------------------


def orm_loop(run, sample: list[int], window) -> tuple[float, int]:
    """The peer: one enterprise at a time through the ORM, into a throwaway run (rolled back)."""
    from django.db import transaction
    from django.db.models import Avg, Count

    from enterprises.models import InsuranceSnapshot
    from incidents.models import InjuryCase, Severity
    from incidents.prevention.models import Category, ScreeningResult, ScreeningRun, rate
    from incidents.prevention.selectors import quarter_index

    rule = run.rule
    start, end = window.bounds
    first, last = quarter_index(window.start), quarter_index(window.end)
    made = 0
    with transaction.atomic():
        loop_run = ScreeningRun.objects.create(
            region=run.region,
            rule=rule,
            kind=ScreeningRun.Kind.ROLLING,
            period_start=window.start,
            period_end=window.end,
            owner_agency=run.owner_agency,
        )
        started = time.perf_counter()
        for enterprise_id in sample:
            cases = InjuryCase.objects.filter(enterprise_id=enterprise_id, occurred_at__gte=start, occurred_at__lt=end)
            n = cases.count()
            if not n:
                continue
            serious = cases.filter(severity=Severity.SERIOUS).count()
            fatal = cases.filter(severity=Severity.FATAL).count()
            insured = (
                InsuranceSnapshot.objects.filter(enterprise_id=enterprise_id, year__gte=first // 4, year__lte=last // 4)
                .exclude(year=first // 4, quarter__lt=first % 4 + 1)
                .exclude(year=last // 4, quarter__gt=last % 4 + 1)
                .aggregate(a=Avg("insured_employees"))["a"]
                or 0
            )
            own = rate(n, round(insured))
            by_count = n >= rule.min_cases
            by_rate = own is not None and n >= rule.rate_min_cases and own >= rule.min_rate
            by_severity = serious + fatal >= rule.min_serious
            multi = by_count or by_rate or by_severity
            posts = {}
            if multi:  # its posts, as the set-based run keeps them for the notice
                posts = dict(cases.order_by().values_list("post").annotate(n=Count("id")))
            ScreeningResult.objects.create(
                run=loop_run,
                enterprise_id=enterprise_id,
                category=Category.MULTI if multi else Category.GENERAL,
                cases=n,
                serious=serious,
                fatal=fatal,
                insured=round(insured),
                rate=own,
                by_count=by_count,
                by_rate=by_rate,
                by_severity=by_severity,
                posts=posts,
            )
            made += 1
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, made


def one_connection(setup: dict, window) -> tuple[float, int]:
    """The same screening on this one connection (inside a transaction ``run_screenings`` does not spread its
    regions over connections), under a new rule version per province so that its runs are new; rolled back.
    Returns (seconds, enterprises classified)."""
    from django.db import connection, transaction

    from incidents.prevention import services
    from incidents.prevention.models import ScreeningRun

    with transaction.atomic():
        fresh = province_setup([province for province, _agency, _rule in setup.values()])
        jobs = [services.ScreeningJob(province, rule, agency) for province, agency, rule in fresh.values()]
        with Clock() as clock:
            runs = services.run_screenings(jobs=jobs, kind=ScreeningRun.Kind.ANNUAL, window=window)
            with connection.cursor() as cursor:  # whatever a commit would check
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
    return clock.wall, sum(run.enterprises for run in runs)


def per_enterprise(args, screened: dict, window, setup: dict) -> dict:
    from incidents.prevention import selectors, services
    from incidents.prevention.models import ScreeningResult

    runs = screened["runs"]
    biggest = max(runs, key=lambda r: r.enterprises)
    ids = list(ScreeningResult.objects.filter(run=biggest).values_list("enterprise_id", flat=True))
    sample = sorted(random.Random(5).sample(ids, min(args.sample, len(ids))))
    loop_s, made = orm_loop(biggest, sample, window)
    # the same enterprises' figures set-based (the read part of the screening, restricted to the sample)
    with Clock() as read:
        classified = selectors.classify(biggest.region, window, biggest.rule.thresholds, enterprise_ids=sample)
    set_per = screened["screen_wall"] / max(1, screened["enterprises"])
    loop_per = loop_s / max(1, made)
    alone_s, alone_n = one_connection(setup, window)
    alone_per = alone_s / max(1, alone_n)
    print(
        format_table(
            ["", "enterprises", "seconds", "ms per enterprise", "loop / this"],
            [
                [
                    "ORM loop (peer), sample of " + biggest.region.name,
                    f"{made:,}",
                    f"{loop_s:.2f}",
                    f"{loop_per * 1000:.3f}",
                    "1",
                ],
                [
                    f"set-based run_screenings, all provinces ({services.SCREENING_CONNECTIONS} connections)",
                    f"{screened['enterprises']:,}",
                    f"{screened['screen_wall']:.2f}",
                    f"{set_per * 1000:.4f}",
                    f"{loop_per / set_per:,.0f}",
                ],
                [
                    "… the same on one connection (rolled back)",
                    f"{alone_n:,}",
                    f"{alone_s:.2f}",
                    f"{alone_per * 1000:.4f}",
                    f"{loop_per / alone_per:,.0f}",
                ],
                [
                    "set-based classify() of the sample (read only)",
                    f"{len(classified):,}",
                    f"{read.wall:.2f}",
                    f"{read.wall / max(1, len(classified)) * 1000:.3f}",
                    f"{loop_per / (read.wall / max(1, len(classified))):,.0f}",
                ],
            ],
            right={1, 2, 3, 4},
        )
    )
    return {
        "ratio": loop_per / set_per,
        "ratio_one_connection": loop_per / alone_per,
        "loop_per_ms": loop_per * 1000,
        "set_per_ms": set_per * 1000,
    }


# --- 6. notice letters --------------------------------------------------------------------------------------------


def _font_paths() -> dict[str, str]:
    from portal import pdf

    dirs = pdf._font_dirs()
    return {name: str(pdf._find_font_file(files, dirs)) for name, files in pdf._FONT_FILES.items()}


@contextlib.contextmanager
def stock_fonts(paths: dict[str, str]):
    """reportlab's own TTFont objects (no subset cache) registered under the portal's font names for the block."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    saved = {name: pdfmetrics.getFont(name) for name in paths}
    try:
        for name, path in paths.items():
            pdfmetrics.registerFont(TTFont(name, path))
        yield
    finally:
        for font in saved.values():
            pdfmetrics.registerFont(font)


def merge_catalog(path: str, tmpdir) -> None:
    """Add the messages of ``path`` (a .po, compiled here with msgfmt, or a .mo) to the portal's language for this
    run: translations written but not yet merged into locale/ (the letters are measured as they will be sent)."""
    import gettext

    from django.conf import settings
    from django.utils.translation import trans_real

    mo = path
    if path.endswith(".po"):
        mo = str(tmpdir / "merged.mo")
        subprocess.run(["msgfmt", "-o", mo, path], check=True)  # noqa: S603, S607
    with open(mo, "rb") as fh:
        trans_real.translation(settings.LANGUAGE_CODE).merge(gettext.GNUTranslations(fh))
    print(f"catalogue merged for this run: {path}")


def letters_bench(args) -> dict:
    from django.conf import settings
    from django.utils import translation
    from reportlab.lib import rl_accel
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from incidents.prevention import letters
    from incidents.prevention.models import NoticeLetter

    notices = list(NoticeLetter.objects.order_by("pk")[: args.letters])
    if not notices:
        print("no notices: nothing to render")
        return {}
    print(f"{len(notices)} notices; reportlab C accelerator (rl_accel) {'present' if rl_accel._c_funcs else 'absent'}")
    with translation.override(settings.LANGUAGE_CODE):
        title = letters._("Notice of frequent work-injury accidents")
    if title == "Notice of frequent work-injury accidents":
        print(
            f"!! the letter's wording has no {settings.LANGUAGE_CODE} translation: the letters are in English, their "
            "fonts' CJK subsets smaller than a Chinese letter's (--merge-catalog FILE.po measures them translated)"
        )
    rates = {}
    warm = []
    for label in ("first pass (fonts, seeds and caches cold)", "warm pass 1", "warm pass 2", "warm pass 3"):
        with Clock() as clock:
            sizes = [len(data) for _n, data in letters.notice_pdfs(notices)]
        rates[label] = (len(sizes) / clock.wall, len(sizes) / clock.cpu, sum(sizes) / len(sizes))
        if label.startswith("warm"):
            warm.append(rates[label])
    rates["warm passes, median"] = sorted(warm)[1]
    # peers: the same letters' content, built without the notice_pdfs machinery
    with translation.override(settings.LANGUAGE_CODE):
        rel = letters._with_relations(notices)
        cases = letters._cases_of(rel)
        contents = [letters._content(n, cases[n.pk], n.result.high_incident_posts) for n in rel]
        paths = _font_paths()
        stock = contents[: args.stock_letters]
        with stock_fonts(paths), Clock() as clock:
            sizes = [len(letters._document(c).build()) for c in stock]
        rates["peer: reportlab's fonts registered once, subsets per letter, no seed"] = (
            len(sizes) / clock.wall,
            len(sizes) / clock.cpu,
            sum(sizes) / len(sizes),
        )
        naive = contents[: args.naive_letters]
        saved = {name: pdfmetrics.getFont(name) for name in paths}
        try:
            with Clock() as clock:
                sizes = []
                for content in naive:
                    for name, path in paths.items():  # a fresh registration: the font files read and parsed again
                        pdfmetrics.registerFont(TTFont(name, path))
                    sizes.append(len(letters._document(content).build()))
        finally:
            for font in saved.values():
                pdfmetrics.registerFont(font)
        rates["peer: naive, fonts registered afresh for each letter"] = (
            len(sizes) / clock.wall,
            len(sizes) / clock.cpu,
            sum(sizes) / len(sizes),
        )
    warm = rates["warm passes, median"][0]
    rows = [
        [label, f"{wall:,.1f}", f"{cpu:,.1f}", f"{size / 1024:,.0f}", f"{warm / wall:,.1f}"]
        for label, (wall, cpu, size) in rates.items()
    ]
    print(
        format_table(
            ["notice_pdfs", "PDFs/s (wall)", "PDFs/s (CPU)", "KB each", "warm / this"], rows, right={1, 2, 3, 4}
        )
    )
    return {"rates": rates}


# --- 7. plans -------------------------------------------------------------------------------------------------


def screening_plan(screened: dict) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the screening's INSERT … SELECT for the largest province as a region screened
    alone makes it (one pass over its cases), into a throwaway run, rolled back."""
    from django.db import connection, transaction

    from incidents.prevention import selectors, services
    from incidents.prevention.models import ScreeningRun

    biggest = max(screened["runs"], key=lambda r: r.enterprises)
    with transaction.atomic():
        throwaway = ScreeningRun.objects.create(
            region=biggest.region,
            rule=biggest.rule,
            kind=ScreeningRun.Kind.ROLLING,
            period_start=biggest.period_start,
            period_end=biggest.period_end,
            owner_agency=biggest.owner_agency,
        )
        window = selectors.Window(biggest.period_start, biggest.period_end)
        with connection.cursor() as cursor:
            services._work_mem(cursor)  # as the screening runs it
            full = cursor.mogrify(*services.results_insert(throwaway, window)).decode()
        plan = explain(full)
        transaction.set_rollback(True)
    print(f"INSERT … SELECT of {biggest.region.name} ({biggest.enterprises:,} enterprises) screened alone:")
    print("\n".join("    " + line for line in plan))
    bad = misestimates(plan)
    if bad:
        print("planner misestimates:\n" + "\n".join("    " + b for b in bad))


def what_if_source(screened: dict, window) -> None:
    """The screening's SELECT for the largest province (as the preview of a rule runs it: from the cases), timed
    and planned."""
    from django.db import connection

    from incidents.prevention import selectors

    biggest = max(screened["runs"], key=lambda r: r.enterprises)
    region, thresholds = biggest.region, biggest.rule.thresholds
    sql, params = selectors.screening_source(region, window, thresholds)
    with connection.cursor() as cursor:
        full = cursor.mogrify(f"SELECT COUNT(*), SUM(x.n), SUM(x.insured) FROM ({sql}) x", params).decode()
        started = time.perf_counter()
        cursor.execute(full)
        result = cursor.fetchone()
        row = [region.name, f"{result[0]:,}", f"{result[2] or 0:,.0f}", f"{time.perf_counter() - started:.2f}"]
    plan = explain(full)
    shown = ("Scan", "Join", "Aggregate", "SubPlan")
    print("\n".join("    " + line for line in plan if "actual" in line and any(w in line for w in shown)))
    print()
    print(format_table(["screening SELECT", "rows", "insured (sum)", "seconds"], [row], right={1, 2, 3}))


def slowest(log: StatementLog, label: str, n: int = 3) -> None:
    print(f"\n{label}: {len(log.entries):,} statements, {log.seconds:.1f} s in the database")
    print(by_table(log))
    for seconds, sql, _params in log.slowest(n):
        print(f"  {seconds:7.2f} s  {one_line(sql, 200)}")


# --- run -----------------------------------------------------------------------------------------------------


def verdict(ok: bool, text: str) -> str:
    return ("met: " if ok else "NOT met: ") + text


def per_enterprise_verdict(per: dict) -> str:
    return verdict(
        per["ratio"] >= GOAL_PER_ENTERPRISE,
        f"≥ {GOAL_PER_ENTERPRISE:.0f}× faster per enterprise than the ORM loop: {per['ratio']:,.0f}× "
        f"({per['ratio_one_connection']:,.0f}× on one connection)",
    )


def run(args, db: BenchDatabase, *, reused: bool = False) -> None:
    section("Set-up")
    set_up(db, reused=reused, code_paths=("incidents/prevention", "portal/pdf.py"))
    from django.db import connection

    if connection.vendor != "postgresql":
        print("!! the figures are meant for PostgreSQL: run with a PostgreSQL --database-url")
    where = f" --region {args.region}" if args.region else ""
    section(f"generate_national --enterprises {args.enterprises:,} --cases {args.cases:,} --years {args.years}{where}")
    stats = generate(args.enterprises, args.cases, args.years, args.region)
    if stats:
        print(f"generate_national {stats['total'][1]:.0f} s, VACUUM ANALYZE {stats['vacuum_analyze'][1]:.0f} s")

    from incidents.prevention import services

    year = args.year
    window = services.annual_window(year)
    issued_on = datetime.date(year + 1, 1, 15)
    today = datetime.date(year + 1, 6, 1)  # past the deadline, four months after the notices
    quarters = [(year, q) for q in (1, 2, 3, 4)] + [(year + 1, 1), (year + 1, 2)]
    added, seconds = add_insurance(quarters)
    print(f"insurance snapshots for {quarters[0]}–{quarters[-1]}: {added:,} rows in {seconds:.1f} s")
    officers, staff = make_accounts()
    print(f"accounts made: {officers:,} safety officers, {staff:,} agency staff")
    provinces = provinces_with_data()
    setup = province_setup(provinces)
    print(
        f"{len(setup)} provinces with data, a new published rule each; screened year {year}, notices issued "
        f"{issued_on}, escalation on {today}"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The statistics' summary tables, as the nightly job leaves them: the screening reads the region's insured
    # employees from them (the snapshots above were loaded outside the portal, so they need a rebuild).
    from incidents.analysis import cubes
    from incidents.analysis.models import CubeState

    if added or not CubeState.objects.filter(name="insurance", rebuilt_at__isnull=False).exists():
        started = time.perf_counter()
        cubes.rebuild()
        print(f"statistics summary tables rebuilt (the nightly job) in {time.perf_counter() - started:.1f} s")
    else:
        print("statistics summary tables: built by an earlier run, no snapshot added since")

    if args.screening_only:
        section("1. Screening (--screening-only: no notices, escalation or letters)")
        screened = screen_all(setup, window, issued_on, label="first run", issue=False)
        again = screen_all(setup, window, issued_on, label="second run (the same screenings)", issue=False)
        print(f"\nresults of the second run: {sum(r.enterprises for r in again['runs']):,} (the first run's runs)")
        section("5. Per enterprise: set-based against a per-enterprise ORM loop")
        per = per_enterprise(args, screened, window, setup)
        section("6. Where the time goes")
        slowest(screened["screen_log"], "screening", n=8)
        print(per_enterprise_verdict(per))
        return

    section("1. Screening and notices")
    before = row_counts()
    screened = screen_all(setup, window, issued_on, label="first run")
    section("2. Escalation")
    escalated = escalate_all(today, label="escalate")
    first_counts = row_counts()
    made = {t: first_counts[t] - before[t] for t in before if first_counts[t] != before[t]}
    print("\nrows made by the first run: " + ", ".join(f"{t} {n:,}" for t, n in made.items()))

    section("3. Idempotence: the same run again")
    again = screen_all(setup, window, issued_on, label="second run (the same screenings, notices)")
    escalated_again = escalate_all(today, label="escalate again")
    second_counts = row_counts()
    new_rows = {t: second_counts[t] - first_counts[t] for t in first_counts if second_counts[t] != first_counts[t]}
    print(f"\nnew rows in {len(second_counts)} tables: {sum(new_rows.values())} {new_rows or ''}")

    section("5. Per enterprise: set-based against a per-enterprise ORM loop")
    per = per_enterprise(args, screened, window, setup)

    section("6. Where the time goes")
    slowest(screened["screen_log"], "screening")
    slowest(screened["issue_log"], "issuing the notices")
    slowest(escalated["log"], "escalation")
    if connection.vendor == "postgresql":
        print()
        screening_plan(screened)
        what_if_source(screened, window)
    for result in (screened, again, escalated, escalated_again):  # the statement logs: big, no longer needed
        for key in ("screen_log", "issue_log", "log"):
            result.pop(key, None)

    section("7. Notice letters")
    if args.merge_catalog:
        merge_catalog(args.merge_catalog, db.tmpdir)
    # What the script holds (data, logs) is not the letters' garbage: collected and frozen out of the collector's
    # way, as a worker process starts with nothing but Django.
    gc.collect()
    gc.freeze()
    try:
        pdfs = letters_bench(args)
    finally:
        gc.unfreeze()

    section("Goals (issue 5)")
    messages = max(
        screened["screen_messages"] + screened["issue_messages"],
        escalated["messages"],
        again["screen_messages"] + again["issue_messages"],
        escalated_again["messages"],
    )
    warm = pdfs.get("rates", {}).get("warm passes, median", (0, 0, 0))
    for line in (
        verdict(
            screened["screen_wall"] <= GOAL_SCREEN_S,
            f"screening ≤ {GOAL_SCREEN_S:.0f} s: {screened['screen_wall']:.1f} s "
            f"(+ issuing the notices {screened['issue_wall']:.1f} s)",
        ),
        verdict(
            escalated["wall"] <= GOAL_ESCALATE_S, f"escalation ≤ {GOAL_ESCALATE_S:.0f} s: {escalated['wall']:.1f} s"
        ),
        per_enterprise_verdict(per),
        verdict(not new_rows, f"a second run creates 0 rows: {sum(new_rows.values())}"),
        verdict(messages <= GOAL_MESSAGES, f"≤ {GOAL_MESSAGES} Celery messages per run: at most {messages}"),
        verdict(
            warm[0] >= GOAL_PDFS,
            f"≥ {GOAL_PDFS:.0f} notice PDFs a second per process: {warm[0]:.1f} (CPU time {warm[1]:.1f})",
        ),
    ):
        print(line)
    print(f"load average {load_average()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    national_data_arguments(parser, quick="20k enterprises, 200k cases in 浙江省")
    parser.add_argument("--year", type=int, default=None, help="the screened year (default: last year)")
    parser.add_argument("--sample", type=int, default=2000, help="enterprises of the ORM loop (default 2,000)")
    parser.add_argument(
        "--screening-only",
        action="store_true",
        help="the screening (twice) and the per-enterprise comparison only: no notices, escalation or letters",
    )
    parser.add_argument("--letters", type=int, default=500, help="notices rendered (default 500)")
    parser.add_argument("--stock-letters", type=int, default=100, help="letters of the stock-font peer (100)")
    parser.add_argument("--naive-letters", type=int, default=5, help="letters of the naive peer (5)")
    parser.add_argument(
        "--merge-catalog",
        metavar="FILE",
        help="a .po or .mo whose messages are added to the portal's language before the letters are rendered "
        "(translations not yet merged into locale/)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.enterprises, args.cases = min(args.enterprises, 20_000), min(args.cases, 200_000)
    if args.region is None:
        args.region = "330000" if args.quick else ""
    args.year = args.year or datetime.date.today().year - 1  # noqa: DTZ011 - a calendar year is enough

    started = time.perf_counter()
    run_on_database(args, run)
    print(f"total {time.perf_counter() - started:.0f} s, load average {load_average()}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
