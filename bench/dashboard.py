"""The statistics service at national scale: the summary (rollup) tables' nightly rebuild and per-month refresh, the
figures against a GROUP BY on the raw case table, and the statistics API and dashboard under load, at 10,000,000
cases, against peers run in the same script.

    .venv/bin/python bench/dashboard.py [--quick] [--database-url URL | --reuse-database URL] [--year Y]

Builds a throwaway database (see bench/README.md; PostgreSQL: the figures only mean something there), loads the
real reference data and fills it with ``manage.py generate_national`` (default 1,000,000 enterprises and
10,000,000 cases over nine years; ``--quick`` 20,000 and 200,000 in 浙江省). Then:

1. **Summary tables**: ``cubes.rebuild()`` timed ``--rebuilds`` times (the nightly job; goal ≤ 60 s at 10 M
   cases), ``cubes.refresh_months([m])`` for each of the ``--months`` busiest months (goal ≤ 1 s a month) as it
   is, after its busiest county's cases changed and after all its cases changed (each change rolled back), and
   one edit of a case committed with its refresh job (the signal's, run inline: eager Celery), each statement
   timed through ``connection.execute_wrapper``.
2. **Equality**: for the whole country and the busiest county, the year ``--year`` with and without the key-
   industry flag, ``Stats``' totals (the period, the period before, the same period last year), trend, child
   regions and industry sections against the raw peer below; every difference is listed.
3. **Raw peer**: the same figures by ``GROUP BY`` on ``incidents_injurycase`` joined to its enterprise, region
   and industry, three statements (by local month over the two years the totals need, by child region and by
   industry section over the period); the totals are summed from the months.
4. **Requests**: ``GET /api/v1/analysis/statistics/?start=Y-01&end=Y-12`` and the dashboard ``/analysis/`` for
   the whole country, the busiest province and the busiest county (人社 staff), once each through the test client
   with ``CaptureQueriesContext`` (statements per request), timed interleaved with the raw peer and an empty view;
   then under load: ``--connections`` keep-alive connections to gunicorn (production settings) started here.
   **No account can see the whole country** (an agency needs a region and the region tree has no national node),
   so the whole-country figures are served at ``/bench-national/…``: the same view classes, with the logged-in
   province user's ``region`` read as None (what ``SelectionForm`` and the dashboard read for "the whole
   country"); nothing else differs.
5. **Report**: goals met or not, where the time goes (each ``Stats`` method of the API alone, the refresh and
   rebuild statements), ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest statistics statement and of the slowest
   refresh statement, and the load average (other work on the machine widens p95).

Goals (statistics, issue 4): dashboard API p95 ≤ 50 ms for the whole data set and for one county, and ≤ 1/20 of the
raw GROUP BY's time; refresh ≤ 1 s a month; rebuild ≤ 60 s at 10 M cases; figures equal to the raw computation.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import re
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from _common import (
    BenchDatabase,
    explain,
    format_table,
    gunicorn,
    measure,
    misestimates,
    national_data_arguments,
    percentile,
    run_on_database,
    section,
    shared_cache,
)
from case_lists import (
    Result,
    Segment,
    empty_view,
    generate,
    load_average,
    plain_static_storage,
    session_cookies,
    set_up,
)

API_PATH = "/api/v1/analysis/statistics/"
PAGE_PATH = "/analysis/"
NATIONAL = "/bench-national"  # prefix of the whole-country views (see the docstring)
EMPTY_URL = "/bench-empty/"
GOAL_P95_MS = 50
GOAL_RAW_SHARE = 1 / 20
GOAL_REFRESH_S = 1.0
GOAL_REBUILD_S = 60.0
GOAL_REBUILD_CASES = 10_000_000
MEASURES = ("cases", "minor", "serious", "deaths", "lost_workdays", "fund_payout")


# --- the server side: whole-country views, URLconf, gunicorn ----------------------------------------------------


class Nationwide:
    """A logged-in user whose statistics scope is the whole country: ``region`` None, everything else the user's
    (permissions included)."""

    region = None

    def __init__(self, user):
        object.__setattr__(self, "_user", user)

    def __getattr__(self, name):
        return getattr(self._user, name)

    def __str__(self):
        return str(self._user)


def nationwide_views():
    from incidents.analysis.api.views import StatisticsView
    from incidents.analysis.views import DashboardView

    class NationwideStatisticsView(StatisticsView):
        def initial(self, request, *args, **kwargs):
            super().initial(request, *args, **kwargs)  # authentication and the permission check, as the user
            request.user = Nationwide(request.user)

    class NationwideDashboardView(DashboardView):
        def get(self, request, *args, **kwargs):
            request.user = Nationwide(request.user)
            return super().get(request, *args, **kwargs)

    return NationwideStatisticsView.as_view(), NationwideDashboardView.as_view()


def install_bench_urlconf() -> str:
    """The portal's URLconf plus the empty view and the whole-country views; returns its module name."""
    from django.urls import path

    import portal.urls

    api_view, page_view = nationwide_views()
    module = types.ModuleType("bench_statistics_urls")
    module.urlpatterns = [
        path(EMPTY_URL.strip("/") + "/", empty_view),
        path((NATIONAL + API_PATH).lstrip("/"), api_view),
        path((NATIONAL + PAGE_PATH).lstrip("/"), page_view),
        *portal.urls.urlpatterns,
    ]
    for name in ("handler403", "handler404"):
        setattr(module, name, getattr(portal.urls, name))
    sys.modules[module.__name__] = module
    return module.__name__


def wsgi_app():
    """gunicorn's entry point (``dashboard:wsgi_app()``): the portal with the bench URLconf, production
    settings from the environment this script passes."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    plain_static_storage()
    settings.ROOT_URLCONF = install_bench_urlconf()
    return application


# --- statement timing -------------------------------------------------------------------------------------------

_TARGET = re.compile(r'^\s*(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s+"?(\w+)', re.IGNORECASE)
_SOURCE = re.compile(r'\bFROM\s+"?(\w+)', re.IGNORECASE)


class StatementLog:
    """Every statement run inside ``with connection.execute_wrapper(log)``, or inside ``with log.everywhere()`` on
    this connection and on those opened meanwhile (the rebuild's jobs run on connections of their own):
    (seconds, SQL, params)."""

    def __init__(self):
        self.entries: list[tuple[float, str, object]] = []
        self.connections: set[int] = set()

    @contextlib.contextmanager
    def everywhere(self):
        from django.db import connection
        from django.db.backends.signals import connection_created

        def opened(sender, connection, **kwargs):
            connection.execute_wrappers.append(self)

        connection_created.connect(opened, weak=False)
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            connection_created.disconnect(opened)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.entries.append((time.perf_counter() - started, sql, params))
            self.connections.add(threading.get_ident())

    @property
    def seconds(self) -> float:
        return sum(e[0] for e in self.entries)

    def by_table(self) -> list[tuple[str, int, float]]:
        """(table written or read, statements, seconds), most time first."""
        totals: dict[str, list] = {}
        for seconds, sql, _params in self.entries:
            m = _TARGET.match(sql) or _SOURCE.search(sql)
            key = m.group(1) if m else sql.split(None, 1)[0].upper()
            entry = totals.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += seconds
        return sorted(((k, n, s) for k, (n, s) in totals.items()), key=lambda r: -r[2])

    def slowest(self, n: int = 1):
        return sorted(self.entries, key=lambda e: -e[0])[:n]


def one_line(sql: str, limit: int = 160) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- scopes and users -------------------------------------------------------------------------------------------


@dataclass
class Scope:
    key: str  # country / province / county
    label: str
    region: object  # Region or None
    user: object  # whose session the requests use
    prefix: str = ""  # NATIONAL for the whole country

    def url(self, path: str, year: int, flag: str | None = None) -> str:
        query = f"?start={year}-01&end={year}-12" + (f"&flag={flag}" if flag else "")
        return self.prefix + path + query

    def selection(self, year: int, flag: str | None = None):
        from incidents.analysis.stats import Selection

        return Selection.year(year, region=self.region, flag=flag)


def busiest(tier: int, year: int):
    """The region of ``tier`` with most cases in ``year`` (from the summary table, which the equality check then
    holds against the raw cases)."""
    from django.db.models import Sum

    from incidents.analysis.models import InjuryCube
    from portal.reference.models import Region

    row = (
        InjuryCube.objects.filter(tier=tier, industry__isnull=True, month__year=year)
        .values("region")
        .annotate(n=Sum("cases"))
        .order_by("-n")
        .first()
    )
    if row is None:
        raise SystemExit(f"no cases in {year}: choose another --year")
    return Region.objects.get(pk=row["region"]), row["n"]


def staff_user(username: str, region, level: str):
    """人社 staff of ``region``'s first hrss agency (the generator's for a county), made if there is none."""
    from django.utils import timezone

    from portal.accounts.models import Agency, Role, User

    agency = Agency.objects.filter(region=region, kind="hrss").order_by("pk").first()
    if agency is None:
        suffix = "厅" if level == "province" else "局"
        agency = Agency.objects.create(
            name=f"{region.name}人力资源和社会保障{suffix}", kind="hrss", level=level, region=region, is_lead=True
        )
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role=Role.AGENCY_STAFF, full_name=username)
        user.set_unusable_password()
    user.agency, user.password_changed_at = agency, timezone.now()
    user.save()
    return user


def make_scopes(year: int) -> list[Scope]:
    province, province_cases = busiest(1, year)
    county, county_cases = busiest(3, year)
    province_user = staff_user("bench_stats_province", province, "province")
    county_user = staff_user("bench_stats_county", county, "county")
    print(f"busiest province in {year}: {province.name} ({province_cases:,} cases); agency {province_user.agency}")
    print(f"busiest county in {year}: {county.name} ({county_cases:,} cases); agency {county_user.agency}")
    return [
        Scope("country", "whole country", None, province_user, NATIONAL),
        Scope("province", f"province {province.name}", province, province_user),
        Scope("county", f"county {county.name}", county, county_user),
    ]


# --- the raw peer ----------------------------------------------------------------------------------------------

RAW_MEASURES = (
    "COUNT(*)",
    "SUM(CASE WHEN c.severity = 'minor' THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN c.severity = 'serious' THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN c.severity = 'fatal' THEN 1 ELSE 0 END)",
    "COALESCE(SUM(c.lost_workdays), 0)",
    "COALESCE(SUM(c.fund_payout), 0)",
)


def _bound(month: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime(month.year, month.month, 1))  # noqa: DTZ001 - made aware here


def _figures(row) -> tuple:
    *counts, payout = row
    return (*(int(v or 0) for v in counts), Decimal(payout or 0).quantize(Decimal("0.01")))


ZERO = (0, 0, 0, 0, 0, Decimal("0.00"))


class RawPeer:
    """The dashboard's case figures of a selection by GROUP BY on the case table (PostgreSQL SQL)."""

    def __init__(self, selection):
        from django.conf import settings

        from incidents.analysis import cubes

        self.sel = selection
        self.tz = settings.TIME_ZONE
        self.child_part = cubes.tier_of(selection.region) + 2  # split_part index of the child's code in a region path
        # The flag of each enterprise by the rules where it is registered (an expression over e and r).
        self.flag = cubes._flag_sql(cubes.flag_scopes(selection.flag)) if selection.flag else None
        self.statements: list[tuple[str, list]] = []
        self.seconds: dict[str, float] = {}

    def _where(self, start: datetime.date, end: datetime.date, *, region_joined: bool) -> tuple[str, list]:
        from incidents.analysis.stats import add_months

        where, params = ["c.occurred_at >= %s", "c.occurred_at < %s"], [_bound(start), _bound(add_months(end, 1))]
        if self.sel.region is not None:
            assert region_joined
            where.append("r.path LIKE %s")
            params.append(self.sel.region.path + "%")
        if self.flag is not None:
            assert region_joined
            where.append(self.flag)
        return " AND ".join(where), params

    def sql(self) -> dict[str, tuple[str, list]]:
        sel = self.sel
        periods = (sel, sel.previous(), sel.last_year())
        first = min(p.start for p in periods)
        measures = ", ".join(RAW_MEASURES)
        base = "FROM incidents_injurycase c JOIN enterprises_enterprise e ON e.id = c.enterprise_id"
        region = " JOIN reference_region r ON r.id = e.region_id"
        month_region = region if sel.region is not None or self.flag else ""
        where, params = self._where(first, sel.end, region_joined=bool(month_region))
        months = (
            f"SELECT CAST(date_trunc('month', c.occurred_at AT TIME ZONE %s) AS date), {measures} "  # noqa: S608
            f"{base}{month_region} WHERE {where} GROUP BY 1",
            [self.tz, *params],
        )
        where, params = self._where(sel.start, sel.end, region_joined=True)
        children = (
            f"SELECT split_part(r.path, '/', %s), {measures} {base}{region} WHERE {where} GROUP BY 1",  # noqa: S608
            [self.child_part, *params],
        )
        industry = " JOIN reference_industry i ON i.id = e.industry_id"
        sections = (
            f"SELECT split_part(i.path, '/', 2), {measures} {base}{industry}{month_region} "  # noqa: S608
            f"WHERE {where} GROUP BY 1",
            list(params),
        )
        return {"months": months, "children": children, "sections": sections}

    def run(self) -> dict:
        from django.db import connection

        from incidents.analysis.stats import add_months

        rows = {}
        with connection.cursor() as cursor:
            for name, (sql, params) in self.sql().items():
                started = time.perf_counter()
                cursor.execute(sql, params)
                rows[name] = {key: _figures(rest) for key, *rest in cursor.fetchall()}
                self.seconds[name] = time.perf_counter() - started
        sel = self.sel
        by_month = rows["months"]

        def total(p):
            sums, month = list(ZERO), p.start
            while month <= p.end:
                for i, v in enumerate(by_month.get(month, ZERO)):
                    sums[i] += v
                month = add_months(month, 1)
            return tuple(sums)

        trend, month = {}, sel.start
        while month <= sel.end:
            trend[month] = by_month.get(month, ZERO)
            month = add_months(month, 1)
        return {
            "totals": {"current": total(sel), "previous": total(sel.previous()), "last_year": total(sel.last_year())},
            "trend": trend,
            "by_region": rows["children"],  # child code ('' = the region itself) → figures
            "by_industry": rows["sections"],  # section code → figures
        }


def service_figures(selection) -> dict:
    from incidents.analysis.stats import Stats

    stats = Stats(selection)

    def pick(row):
        return _figures([row[m] for m in MEASURES])

    return {
        "totals": {
            "current": pick(stats.totals()),
            "previous": pick(stats.totals(selection.previous())),
            "last_year": pick(stats.totals(selection.last_year())),
        },
        "trend": {r["month"]: pick(r) for r in stats.trend()},
        "by_region": {r["code"]: pick(r) for r in stats.by_region() if pick(r) != ZERO},
        "by_industry": {r["code"]: pick(r) for r in stats.by_industry() if pick(r) != ZERO},
    }


def differences(service: dict, raw: dict) -> list[str]:
    found = []
    for part in ("totals", "trend", "by_region", "by_industry"):
        a, b = service[part], raw[part]
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key, ZERO) != b.get(key, ZERO):
                found.append(f"{part} {key}: service {a.get(key, ZERO)} raw {b.get(key, ZERO)}")
    return found


# --- summary tables --------------------------------------------------------------------------------------------


def time_cubes(args) -> dict:
    """The rebuilds, the busiest months' refreshes and an edit with its refresh job."""
    from django.db import connection, transaction
    from django.db.models import Sum

    from incidents.analysis import cubes
    from incidents.analysis.models import CubeState, InjuryCube
    from incidents.models import InjuryCase

    section(f"Summary tables: cubes.rebuild() × {args.rebuilds} (nightly; goal ≤ {GOAL_REBUILD_S:.0f} s at 10 M cases)")
    out: dict = {"rebuilds": [], "refreshes": [], "edits": []}
    for i in range(args.rebuilds):
        if i and out["rebuilds"][0][0] > args.rebuild_budget:
            print(f"the first rebuild took over --rebuild-budget {args.rebuild_budget:g} s: no further rebuilds")
            break
        log = StatementLog()
        started = time.perf_counter()
        with log.everywhere():
            result = cubes.rebuild()
        seconds = time.perf_counter() - started
        out["rebuilds"].append((seconds, log))
        print(
            f"rebuild {i + 1}: {seconds:.1f} s ({result['months']} months, {result['cases']:,} cases, "
            f"{len(log.entries)} statements, {log.seconds:.1f} s in SQL on {len(log.connections)} threads); "
            f"load average {load_average()}",
            flush=True,
        )
    if out["rebuilds"]:  # --rebuilds 0: the refreshes only
        print("\nwhere the last rebuild's time goes (statements by the table they write or read):")
        rows = [[t, str(n), f"{s:.1f}", f"{s / seconds:.0%}"] for t, n, s in out["rebuilds"][-1][1].by_table()[:12]]
        print(format_table(["table", "statements", "s", "share"], rows, right={1, 2, 3}))
        print("\nslowest statements of the last rebuild:")
        for s, sql, _p in out["rebuilds"][-1][1].slowest(6):
            print(f"  {s:6.2f} s  {one_line(sql)}")
    print_cube_sizes()
    print_tiers()

    months = list(
        InjuryCube.objects.filter(tier=0, industry__isnull=True)
        .values("month")
        .annotate(n=Sum("cases"))
        .order_by("-n")[: args.months]
    )
    section(f"cubes.refresh_months([month]) for the {len(months)} busiest months (goal ≤ {GOAL_REFRESH_S:g} s each)")
    print(
        "Each month three times: as it is (the summary rows already right: nothing to write), after an import into "
        "its busiest county\n(that county's cases changed: lost_workdays + 1), and after every case of the month "
        "changed (every summary row\nrewritten, the worst case). The changes are made by one UPDATE outside the "
        "timing, and rolled back after the refresh."
    )
    rows = []
    for row in months:
        timings = []
        for scenario in REFRESH_SCENARIOS:
            changed, seconds, log = _timed_refresh(row["month"], scenario)
            out["refreshes"].append((seconds, log, row["month"]))
            timings.append((changed, seconds, log))
        slow = max(timings, key=lambda t: t[1])[2].slowest(1)[0]
        rows.append(
            [
                f"{row['month']:%Y-%m}",
                f"{row['n']:,}",
                *(f"{seconds:.2f}" + (f" ({changed:,})" if changed else "") for changed, seconds, _log in timings),
                f"{slow[0]:.2f} s {one_line(slow[1], 60)}",
            ]
        )
    headers = ["month", "cases", "s: as it is", "s: one county (cases changed)", "s: every case", "slowest statement"]
    print(format_table(headers, rows, right={1, 2, 3, 4}))
    if out["refreshes"]:
        seconds, log, month = max(out["refreshes"], key=lambda r: r[0])
        print(f"\nthe slowest refresh ({month:%Y-%m}, {seconds:.2f} s) statement by statement:")
        for s, sql, _p in log.entries:
            print(f"  {s * 1000:8.1f} ms  {one_line(sql, 130)}")

    section("An edit of one case in the busiest month, committed with its difference to the summary rows")
    if months:
        month = months[0]["month"]
        start = _bound(month)
        case = InjuryCase.objects.filter(occurred_at__gte=start).order_by("occurred_at").first()
        for delta in (1, -1):
            before = CubeState.objects.filter(name="injury").values_list("refreshed_at", flat=True).first()
            log = StatementLog()
            started = time.perf_counter()
            with connection.execute_wrapper(log), transaction.atomic():
                case.lost_workdays = (case.lost_workdays or 0) + delta
                case.save(update_fields=["lost_workdays"])
            seconds = time.perf_counter() - started
            after = CubeState.objects.filter(name="injury").values_list("refreshed_at", flat=True).first()
            ran = after is not None and after != before
            out["edits"].append((seconds, ran))
            print(
                f"lost_workdays {delta:+d} on case {case.pk} ({month:%Y-%m}): {seconds:.2f} s, "
                f"{len(log.entries)} statements; summary rows updated: {'yes' if ran else 'NO'}"
            )
    return out


REFRESH_SCENARIOS = ("as it is", "one county", "every case")


def _timed_refresh(month: datetime.date, scenario: str):
    """``cubes.refresh_months([month])`` timed after the month's cases were changed as ``scenario`` says (in a
    transaction rolled back after the refresh, so that the database is left as it was): (cases changed, seconds,
    statement log)."""
    from django.db import connection, transaction

    from incidents.analysis import cubes

    start, end = _bound(month), _bound(cubes.add_month(month))
    with transaction.atomic():
        changed = 0
        with connection.cursor() as cursor:
            if scenario == "one county":
                cursor.execute(
                    "UPDATE incidents_injurycase SET lost_workdays = lost_workdays + 1 WHERE county_id = "
                    "(SELECT county_id FROM incidents_injurycase WHERE occurred_at >= %s AND occurred_at < %s "
                    "GROUP BY county_id ORDER BY COUNT(*) DESC LIMIT 1) AND occurred_at >= %s AND occurred_at < %s",
                    [start, end, start, end],
                )
                changed = cursor.rowcount
            elif scenario == "every case":
                cursor.execute(
                    "UPDATE incidents_injurycase SET lost_workdays = lost_workdays + 1 "
                    "WHERE occurred_at >= %s AND occurred_at < %s",
                    [start, end],
                )
                changed = cursor.rowcount
        log = StatementLog()
        started = time.perf_counter()
        with connection.execute_wrapper(log):
            cubes.refresh_months([month])
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return changed, seconds, log


def print_tiers() -> None:
    """Rows of the work-injury summary table by tier: how far the tiers and industry classes fan the cases out."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tier, COUNT(*), COUNT(*) FILTER (WHERE industry_id IS NULL), COUNT(DISTINCT region_id), "
            "SUM(cases) FILTER (WHERE industry_id IS NULL) FROM analysis_injurycube GROUP BY tier ORDER BY tier"
        )
        rows = [[str(r[0]), f"{r[1]:,}", f"{r[2]:,}", f"{r[3]:,}", f"{r[4] or 0:,}"] for r in cursor.fetchall()]
    print("\nanalysis_injurycube by tier:")
    print(format_table(["tier", "rows", "all-industries rows", "regions", "cases"], rows, right={1, 2, 3, 4}))


def print_cube_sizes() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, n_dead_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
            "WHERE relname LIKE 'analysis\\_%%cube' OR relname IN ('incidents_injurycase', "
            "'analysis_regionancestry') ORDER BY pg_total_relation_size(relid) DESC"
        )
        rows = [[r[0], f"{r[1]:,}", f"{r[2]:,}", f"{r[3] / 2**20:,.0f}"] for r in cursor.fetchall()]
    print("\ntable sizes (pg_stat_user_tables estimates):")
    print(format_table(["table", "live rows", "dead rows", "MB with indexes"], rows, right={1, 2, 3}))


# --- equality --------------------------------------------------------------------------------------------------


def check_equality(args, scopes: list[Scope]) -> list[tuple[str, list[str]]]:
    section(f"Equality: Stats against the raw GROUP BY ({args.year}; totals, previous, last year, trend, breakdowns)")
    results = []
    for scope in scopes:
        if scope.key == "province":
            continue
        for flag in (None, "key"):
            sel = scope.selection(args.year, flag)
            raw = RawPeer(sel).run()
            diffs = differences(service_figures(sel), raw)
            title = f"{scope.label}{', key industries' if flag else ''}"
            results.append((title, diffs))
            current = raw["totals"]["current"]
            print(
                f"- {title}: {current[0]:,} cases in {args.year}, {len(raw['by_region'])} child regions, "
                f"{len(raw['by_industry'])} sections: " + ("equal" if not diffs else f"{len(diffs)} DIFFERENCES")
            )
            for line in diffs[:8]:
                print(f"    {line}")
    return results


# --- requests ---------------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    label: str
    scope: Scope
    url: str
    api: bool
    flag: str | None = None
    captured: list = field(default_factory=list)
    seconds: float = 0.0


def scenarios(args, scopes: list[Scope]) -> list[Scenario]:
    found = []
    for scope in scopes:
        for flag in (None, "key"):
            if flag and scope.key == "province":
                continue
            suffix = ", key industries" if flag else ""
            found.append(
                Scenario(
                    f"api:{scope.key}{':key' if flag else ''}",
                    f"API {scope.label}{suffix}",
                    scope,
                    scope.url(API_PATH, args.year, flag),
                    True,
                    flag,
                )
            )
        if scope.key != "province":
            found.append(
                Scenario(f"page:{scope.key}", f"page {scope.label}", scope, scope.url(PAGE_PATH, args.year), False)
            )
    return found


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def get(client, url: str, *, api: bool):
    response = client.get(url, **({"HTTP_ACCEPT": "application/json"} if api else {}))
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected 200")
    return response


def probe(args, items: list[Scenario]) -> None:
    """Each request once through the test client, statements captured."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    section("Queries per request (test client, CaptureQueriesContext; the first request of each after a warm-up)")
    clients = {}
    rows = []
    for item in items:
        client = clients.setdefault(item.scope.user.pk, client_for(item.scope.user))
        get(client, item.url, api=item.api)  # warm: Python-level caches, the session
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            get(client, item.url, api=item.api)
            item.seconds = time.perf_counter() - started
        item.captured = ctx.captured_queries
        data = [q for q in item.captured if q["sql"].lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE"))]
        sql_ms = sum(float(q["time"]) for q in item.captured) * 1000
        slowest = max(item.captured, key=lambda q: float(q["time"]), default={"time": 0, "sql": "(none: all cached)"})
        rows.append(
            [
                item.label,
                str(len(data)),
                f"{sql_ms:,.1f}",
                f"{item.seconds * 1000:,.1f}",
                f"{float(slowest['time']) * 1000:,.1f}",
                one_line(slowest["sql"], 60),
            ]
        )
        if args.show_queries:
            print(f"\n-- {item.label}: {item.url}")
            for q in item.captured:
                print(f"   [{float(q['time']) * 1000:6.1f} ms] {one_line(q['sql'], 200)}")
    print(
        format_table(
            ["request", "SQL (data)", "SQL ms", "request ms", "slowest ms", "slowest statement"],
            rows,
            right={1, 2, 3, 4},
        )
    )


def time_single(args, items: list[Scenario], scopes: list[Scope]) -> dict:
    """The API requests (test client), the raw peers and the empty view, interleaved."""
    from django.db import connection

    section(f"One at a time: API (test client) vs raw GROUP BY vs empty view; {args.repeat} interleaved rounds")
    print(f"load average {load_average()}")
    clients = {}
    jobs = {}
    peers: dict[str, RawPeer] = {}
    for item in items:
        if not item.api:
            continue
        client = clients.setdefault(item.scope.user.pk, client_for(item.scope.user))
        jobs[item.key] = lambda c=client, u=item.url: get(c, u, api=True)
        peer = peers[item.key] = RawPeer(item.scope.selection(args.year, item.flag))
        jobs["raw:" + item.key] = peer.run
    empty_client = client_for(scopes[-1].user)
    jobs["empty"] = lambda: get(empty_client, EMPTY_URL, api=False)
    timings = measure(jobs, repeat=args.repeat, warmup=1)
    rows = []
    for item in items:
        if not item.api:
            continue
        api, raw = timings[item.key], timings["raw:" + item.key]
        parts = peers[item.key].seconds
        rows.append(
            [
                item.label,
                f"{api.median_ms:,.1f}",
                f"{raw.median_ms:,.0f}",
                " / ".join(f"{parts[k] * 1000:,.0f}" for k in ("months", "children", "sections")),
                f"{api.median_ms / raw.median_ms:.3f}",
                f"{api.median_ms / timings['empty'].median_ms:.1f}",
            ]
        )
    print(
        format_table(
            ["scenario", "API ms", "raw ms", "raw parts ms (months/children/sections)", "API / raw", "API / empty"],
            rows,
            right={1, 2, 3, 4, 5},
        )
    )
    print(f"empty view: {timings['empty'].median_ms:.1f} ms (median); medians of {args.repeat} rounds")
    if connection.vendor == "postgresql":
        county = next(s for s in scopes if s.key == "county")
        for scope in (scopes[0], county):
            peer = RawPeer(scope.selection(args.year))
            sql, params = peer.sql()["months"]
            with connection.cursor() as cursor:
                sql = cursor.mogrify(sql, params).decode()
            plan = explain(sql)
            print(f"\n-- plan of the raw peer's monthly GROUP BY, {scope.label}:")
            print("\n".join("   " + line[:300] for line in plan))
    return timings


def stats_breakdown(args, scopes: list[Scope]) -> None:
    """Each Stats method of the API, in the API's order, timed alone with its statements (fresh Stats)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.analysis.stats import Stats

    section("Where the API's time goes: each Stats method alone, in the API's order (one fresh Stats per column)")
    names = (
        "summary",
        "trend",
        "by_region",
        "by_industry",
        "by_accident_type",
        "by_post",
        "diseases",
        "coverage",
        "ranking",
    )
    columns = []
    for scope in scopes:
        for flag in (None, "key"):
            if flag and scope.key == "province":
                continue
            stats = Stats(scope.selection(args.year, flag))
            cells = []
            for name in names:
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    getattr(stats, name)()
                    seconds = time.perf_counter() - started
                sql = sum(float(q["time"]) for q in ctx.captured_queries)
                cells.append((seconds, len(ctx.captured_queries), sql))
            columns.append((f"{scope.key}{'+key' if flag else ''}", cells))
    rows = []
    for i, name in enumerate(names):
        rows.append([name, *(f"{c[i][0] * 1000:,.1f} ({c[i][1]}; {c[i][2] * 1000:,.1f})" for _k, c in columns)])
    rows.append(["total", *(f"{sum(x[0] for x in c) * 1000:,.1f}" for _k, c in columns)])
    print(format_table(["method: ms (statements; SQL ms)", *(k for k, _c in columns)], rows))


def what_if_parent(args) -> None:
    """The whole country's child-region statements as ``Stats`` sends them (tier 1, any parent) and with
    ``parent IS NULL`` added (every province row has it): the second can use the ``*_parent`` index to its end."""
    from django.db.models import Sum

    from incidents.analysis.models import AccidentCube, InjuryCube

    section("What-if: the whole country's child-region statements with parent IS NULL (medians of 3 runs, ms)")
    period = {"month__gte": datetime.date(args.year, 1, 1), "month__lte": datetime.date(args.year, 12, 1)}
    cases = (
        ("InjuryCube, all industries", InjuryCube, {"industry__isnull": True}, "cases"),
        ("InjuryCube, key industries", InjuryCube, {"industry__isnull": True, "key": True}, "cases"),
        ("AccidentCube, all industries (ranking)", AccidentCube, {"industry__isnull": True}, "accidents"),
    )
    rows = []
    for title, model, industry, measure_ in cases:
        timed = []
        for extra in ({}, {"parent__isnull": True}):
            qs = model.objects.filter(tier=1, **industry, **period, **extra).values("region").annotate(n=Sum(measure_))
            samples = []
            for _i in range(3):
                started = time.perf_counter()
                result = sorted(qs.values_list("region", "n"))
                samples.append(time.perf_counter() - started)
            timed.append((percentile(samples, 0.5) * 1000, result))
        same = "yes" if timed[0][1] == timed[1][1] else "NO"
        rows.append([title, f"{timed[0][0]:,.1f}", f"{timed[1][0]:,.1f}", same])
    print(format_table(["statement", "as sent", "with parent IS NULL", "same rows"], rows, right={1, 2}))


def drive(args, items: list[Scenario], scopes: list[Scope], tmpdir: Path) -> tuple[dict, Result]:
    section(
        f"Under load: {args.connections} keep-alive connections, "
        f"gunicorn {args.workers} workers × {args.threads} threads"
    )
    print(f"load average {load_average()}; {args.rounds} round(s) of {args.seconds:g} s per URL, interleaved")
    cookies = {s.user.pk: session_cookies(s.user, args.connections) for s in scopes}
    results: dict[str, Result] = {}
    empty = Result(f"empty view {EMPTY_URL}")
    with gunicorn("dashboard:wsgi_app()", workers=args.workers, threads=args.threads, tmpdir=tmpdir) as port:
        for round_number in range(1, args.rounds + 1):
            for item in items:
                segment = Segment(port, item.url, cookies[item.scope.user.pk], api=item.api)
                segment.run(args.seconds)
                results.setdefault(item.key, Result(item.label)).add(segment)
            segment = Segment(port, EMPTY_URL, cookies[scopes[-1].user.pk], api=False)
            segment.run(args.seconds)
            empty.add(segment)
            print(f"round {round_number} done, load average {load_average()}", flush=True)
    section("Results under load")
    rows = []
    for result in [*results.values(), empty]:
        rows.append(
            [
                result.label,
                f"{result.p50:,.1f}",
                f"{result.p95:,.1f}",
                f"{result.throughput:.1f}",
                f"{result.p50 / empty.p50:.1f}" if empty.latencies else "-",
                str(result.count),
                str(len(result.errors)),
            ]
        )
    print(
        format_table(
            ["scenario", "p50 ms", "p95 ms", "req/s", "p50 / empty p50", "requests", "errors"],
            rows,
            right={1, 2, 3, 4, 5, 6},
        )
    )
    errors = [e for r in [*results.values(), empty] for e in r.errors]
    if errors:
        print(f"\nerrors (first 5 of {len(errors)}): {errors[:5]}")
    return results, empty


# --- report -----------------------------------------------------------------------------------------------------


def verdict(ok: bool, text: str) -> str:
    return f"{'met' if ok else 'NOT met'} ({text})"


def report_goals(args, cube: dict, equal: list, items: list[Scenario], single: dict, load: dict) -> None:
    section("Goals")
    rows = []
    scale = f"{args.cases:,} cases" + ("" if args.cases >= GOAL_REBUILD_CASES else "; the goal is for 10 M")
    for i, (seconds, _log) in enumerate(cube["rebuilds"], start=1):
        rows.append(
            [
                f"nightly rebuild {i} ≤ {GOAL_REBUILD_S:.0f} s",
                verdict(seconds <= GOAL_REBUILD_S, f"{seconds:.1f} s, {scale}"),
            ]
        )
    refreshes = [r[0] for r in cube["refreshes"]]
    if refreshes:
        text = (
            f"median {percentile(refreshes, 0.5):.2f} s, max {max(refreshes):.2f} s over {len(refreshes)} refreshes "
            f"({len(refreshes) // len(REFRESH_SCENARIOS)} months × as it is, one county changed, every case changed)"
        )
        rows.append([f"refresh one month ≤ {GOAL_REFRESH_S:g} s", verdict(max(refreshes) <= GOAL_REFRESH_S, text)])
    for seconds, ran in cube["edits"]:
        text = f"{seconds:.2f} s" + ("" if ran else ", the refresh job did not run")
        rows.append(["edit + its refresh job ≤ 1 s", verdict(ran and seconds <= GOAL_REFRESH_S, text)])
    for title, diffs in equal:
        rows.append([f"figures equal the raw GROUP BY: {title}", verdict(not diffs, f"{len(diffs)} differences")])
    for item in items:
        r = load.get(item.key)
        if r is not None:
            text = f"p50 {r.p50:,.1f}, p95 {r.p95:,.1f} ms"
            if item.api:
                rows.append([f"p95 ≤ {GOAL_P95_MS} ms under load: {item.label}", verdict(r.p95 <= GOAL_P95_MS, text)])
            else:  # issue 4 sets the goal for the API; the page (its HTML, the charts' tables) is shown beside it
                rows.append([f"under load (no goal: the page): {item.label}", text])
        if item.api and item.key in single:
            api, raw = single[item.key].median_ms, single["raw:" + item.key].median_ms
            under_load = f"; under load p50 {r.p50 / raw:.3f}" if r is not None else ""
            rows.append(
                [
                    f"API ≤ 1/20 of the raw GROUP BY: {item.label}",
                    verdict(api <= raw * GOAL_RAW_SHARE, f"{api:,.1f} / {raw:,.0f} ms = {api / raw:.3f}{under_load}"),
                ]
            )
    print(format_table(["goal", "result"], rows))


def print_plans(items: list[Scenario], cube: dict) -> None:
    from django.db import connection, transaction

    section("Plans: the slowest statement of each API request (EXPLAIN (ANALYZE, BUFFERS)), then the slowest refresh")
    seen = set()
    for item in items:
        if not item.api or not item.captured:
            continue
        query = max(item.captured, key=lambda q: float(q["time"]))
        shape = re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", query["sql"])
        if shape in seen:
            continue
        seen.add(shape)
        plan = explain(query["sql"])
        print(f"\n-- {item.label}: {float(query['time']) * 1000:.1f} ms in the request\n{one_line(query['sql'], 900)}")
        print("\n".join("   " + line[:300] for line in plan))
        if connection.vendor == "postgresql":
            for finding in misestimates(plan, min_rows=100)[:2]:
                print(f"   !! planner misestimate: {finding[:240]}")
    if cube["refreshes"] and connection.vendor == "postgresql":
        _seconds, log, month = max(cube["refreshes"], key=lambda r: r[0])
        seconds, sql, params = log.slowest(1)[0]
        print(
            f"\n-- the slowest refresh statement ({month:%Y-%m}, {seconds * 1000:.0f} ms), run again and rolled back:"
        )
        print(one_line(sql, 2000))
        if "analysis_month" in sql:  # the refresh's temporary tables are gone with its transaction
            print("   (reads a temporary table of the refresh: not run again)")
            return
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print("\n".join("   " + r[0][:300] for r in cursor.fetchall()))
            transaction.set_rollback(True)


# --- the benchmark ----------------------------------------------------------------------------------------------


def run(args, db: BenchDatabase, *, reused: bool = False) -> None:
    section("Set-up")
    set_up(db, reused=reused, code_paths=("incidents/analysis",))  # setup_django runs Celery jobs inline
    plain_static_storage()
    from django.db import connection
    from django.test import override_settings

    if connection.vendor != "postgresql":
        print("!! the raw peer is PostgreSQL SQL: run with a PostgreSQL --database-url")
        raise SystemExit(2)
    where = f" --region {args.region}" if args.region else ""
    section(f"generate_national --enterprises {args.enterprises:,} --cases {args.cases:,} --years {args.years}{where}")
    stats = generate(args.enterprises, args.cases, args.years, args.region)
    if stats:
        print(f"generate_national {stats['total'][1]:.0f} s, VACUUM ANALYZE {stats['vacuum_analyze'][1]:.0f} s")
    from incidents.models import InjuryCase

    args.cases = InjuryCase.objects.count() if not stats else args.cases

    if args.requests_only:
        print("\n--requests-only: the summary tables are measured as they are (no rebuild, refresh or edit timed)")
        cube = {"rebuilds": [], "refreshes": [], "edits": []}
    else:
        cube = time_cubes(args)
    section("Scopes")
    scopes = make_scopes(args.year)
    equal = check_equality(args, scopes)
    items = scenarios(args, scopes)
    urlconf = install_bench_urlconf()
    with override_settings(ROOT_URLCONF=urlconf):
        probe(args, items)
        single = time_single(args, items, scopes)
    stats_breakdown(args, scopes)
    what_if_parent(args)
    load, _empty = drive(args, items, scopes, db.tmpdir)
    report_goals(args, cube, equal, items, single, load)
    print_plans(items, cube)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    national_data_arguments(
        parser, quick="20k enterprises, 200k cases, short segments", reuse_note="the summary tables are rebuilt"
    )
    parser.add_argument(
        "--requests-only",
        action="store_true",
        help="with --reuse-database: skip the rebuild, refresh and edit timings (the summary tables must be built)",
    )
    parser.add_argument("--year", type=int, default=None, help="the period measured (default: last year)")
    parser.add_argument("--rebuilds", type=int, default=2, help="timed cubes.rebuild() runs (default 2)")
    parser.add_argument(
        "--rebuild-budget", type=float, default=600, help="no second rebuild if the first took longer (default 600 s)"
    )
    parser.add_argument("--months", type=int, default=None, help="busiest months refreshed (default 6; --quick 3)")
    parser.add_argument("--repeat", type=int, default=None, help="rounds one at a time (default 5; --quick 3)")
    parser.add_argument("--seconds", type=float, default=None, help="per URL and round (default 8; --quick 2)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 2; --quick 1)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--cache-url",
        default=None,
        help="CACHE_URL for the portal (default: a throwaway redis-server when installed, as production has; "
        "'none' for the per-process cache)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--show-queries", action="store_true", help="list the SQL of every request measured")
    args = parser.parse_args(argv)
    if args.requests_only and not args.reuse_database:
        parser.error("--requests-only needs --reuse-database (a new database has no summary tables)")
    if args.quick:
        args.enterprises, args.cases = min(args.enterprises, 20_000), min(args.cases, 200_000)
    if args.region is None:
        args.region = "330000" if args.quick else ""
    args.year = args.year or datetime.date.today().year - 1  # noqa: DTZ011 - a calendar year is enough
    args.months = args.months or (3 if args.quick else 6)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.seconds = args.seconds or (2 if args.quick else 8)
    args.rounds = args.rounds or (1 if args.quick else 2)

    started = time.perf_counter()
    with shared_cache(args.cache_url):
        run_on_database(args, run)
    print(f"total {time.perf_counter() - started:.0f} s, load average {load_average()}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the throwaway database was removed", file=sys.stderr)
        sys.exit(130)
