"""Scoped enterprise lists at province scale: the list API and the list page against raw SQL and an empty view.

    .venv/bin/python bench/scoped_lists.py [--enterprises N | --quick] [--database-url URL] [--repeat R]

Builds a throwaway database (see bench/README.md), loads the real reference data, spreads N enterprises over all
towns of 浙江省 and times, for county (永康市), city (金华市) and province (浙江省) agency staff and a safety officer:

- ``GET /api/v1/enterprises/enterprises/?page=2`` (full stack: session auth, scope, COUNT, serializer);
- ``GET /enterprises/?page=2`` (the list page: django-filter form, django-tables2 table, base template);
- peer "raw SQL": the same COUNT and page (50 rows at offset 50 for the API, 25 at offset 25 for the page, which
  paginates by 25) as hand-written SQL through ``cursor.execute``;
- peer "empty view": a view that returns a fixed response, registered in this script's URLconf, through the
  same test client, middleware and session;
- parts: the app's COUNT and page statements alone, the same with the path prefix as a range (what-if), and the
  list page's filter widgets alone.

Then the query plans, planner misestimates (PostgreSQL) and every statement run twice in one request. Figures are
ratios against the peers measured in the same run, never absolute thresholds.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import sys
import time
import types

from _common import (
    analyze,
    database_version,
    explain,
    format_table,
    measure,
    misestimates,
    query_shapes,
    section,
    setup_django,
    throwaway_database,
)

PROVINCE = "330000"  # 浙江省
CITY = "330700"  # 金华市
# A few counties with their own member agency; the county user sits at the first (the demo county 永康市).
AGENCY_COUNTIES = ["330784", "330782", "330106", "330109", "330381"]
BATCH = 10_000
EMPTY_URL = "/bench/empty/"
ENTERPRISE_TABLE = '"enterprises_enterprise"'

BRANDS = "恒达 金鼎 华盛 永兴 东方 宏远 鑫源 天成 瑞丰 万通 中信 新世纪 博远 精工 合力 康泰 联创 正泰 海天 明珠".split()
TRADES = "五金制品 电动工具 不锈钢制品 汽车配件 铸造 建筑工程 门业 家具 运输 石材加工 纺织 化工 电子 机械".split()
FORMS = ["有限公司", "股份有限公司", "厂", "有限责任公司"]


# --- data set ------------------------------------------------------------------------------------------------


def build_dataset(n: int, *, seed: int = 20260101) -> dict:
    """HRSS agencies for the province, 金华市 and a few counties; N enterprises on all towns of 浙江省 (uniformly
    at random, fixed seed); county, city and province staff users and a safety officer."""
    from django.db import connection, transaction
    from django.utils import timezone

    from enterprises.models import Enterprise
    from portal.accounts.models import Agency, Role, User
    from portal.reference.models import Industry, Region
    from tests.factories import credit_code

    rng = random.Random(seed)
    province = Region.objects.get(code=PROVINCE)
    towns = list(Region.objects.subtree(province).filter(level="town").values_list("id", "path", "name"))
    industries = list(Industry.objects.filter(level="class").values_list("id", flat=True))

    with transaction.atomic():
        province_agency = Agency.objects.create(
            name="浙江省人力资源和社会保障厅", kind="hrss", level="province", region=province, is_lead=True
        )
        city = Region.objects.get(code=CITY)
        city_agency = Agency.objects.create(
            name=f"{city.name}人力资源和社会保障局", kind="hrss", level="city", region=city, is_lead=True
        )
        county_agencies = {}
        for code in AGENCY_COUNTIES:
            county = Region.objects.get(code=code)
            county_agencies[code] = Agency.objects.create(
                name=f"{county.name}人力资源和社会保障局", kind="hrss", level="county", region=county, is_lead=True
            )

    def owner_of(path: str) -> int:
        county_code = path.split("/")[3]
        agency = county_agencies.get(county_code)
        return agency.pk if agency else province_agency.pk

    def rows():
        for i in range(n):
            town_id, path, town_name = towns[rng.randrange(len(towns))]
            name = f"{rng.choice(BRANDS)}{rng.choice(TRADES)}{rng.choice(FORMS)}{rng.randrange(10**6):06d}"
            yield (
                credit_code(1_000_000 + i),
                name,
                f"{town_name}{rng.randrange(1, 999)}号",
                town_id,
                rng.choice(industries),
                owner_of(path),
            )

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        method = "PostgreSQL COPY FROM STDIN (psycopg2 copy_expert), 1 transaction"
        _copy_enterprises(rows(), timezone.now())
    else:
        method = f"Enterprise.objects.bulk_create in batches of {BATCH:,}, 1 transaction"
        with transaction.atomic():
            batch = []
            for code, name, address, region_id, industry_id, owner_id in rows():
                batch.append(
                    Enterprise(
                        credit_code=code,
                        name=name,
                        address=address,
                        region_id=region_id,
                        industry_id=industry_id,
                        owner_agency_id=owner_id,
                    )
                )
                if len(batch) == BATCH:
                    Enterprise.objects.bulk_create(batch, batch_size=BATCH)
                    batch = []
            if batch:
                Enterprise.objects.bulk_create(batch, batch_size=BATCH)
    load_seconds = time.perf_counter() - started

    county = county_agencies[AGENCY_COUNTIES[0]]
    officer_enterprise = Enterprise.objects.filter(region__path__startswith=county.region.path).order_by("pk").first()
    now = timezone.now()
    users = {}
    for key, role, agency, enterprise in [
        ("county", Role.AGENCY_STAFF, county, None),
        ("city", Role.AGENCY_STAFF, city_agency, None),
        ("province", Role.AGENCY_STAFF, province_agency, None),
        ("officer", Role.SAFETY_OFFICER, None, officer_enterprise),
    ]:
        user = User(
            username=f"bench_{key}",
            role=role,
            agency=agency,
            enterprise=enterprise,
            full_name=f"bench {key}",
            password_changed_at=now,
        )
        user.set_unusable_password()
        user.save()
        users[key] = user

    started = time.perf_counter()
    analyze()  # VACUUM ANALYZE on PostgreSQL: sets the visibility map as autovacuum would in production
    return {
        "method": method,
        "load_seconds": load_seconds,
        "analyze_seconds": time.perf_counter() - started,
        "towns": len(towns),
        "industries": len(industries),
        "users": users,
    }


def _copy_enterprises(rows, now) -> None:
    """COPY in chunks of 100k rows through the raw psycopg2 connection (no Django per-row work)."""
    from django.db import connection, transaction

    columns = "credit_code, name, address, region_id, industry_id, owner_agency_id, created_at, updated_at"
    stamp = now.isoformat()
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            buf = io.StringIO()
            count = 0
            for row in rows:
                buf.write("\t".join(str(v) for v in row) + f"\t{stamp}\t{stamp}\n")
                count += 1
                if count % 100_000 == 0:
                    _flush_copy(cursor, buf, columns)
                    buf = io.StringIO()
            _flush_copy(cursor, buf, columns)


def _flush_copy(cursor, buf: io.StringIO, columns: str) -> None:
    buf.seek(0)
    cursor.copy_expert(f"COPY enterprises_enterprise ({columns}) FROM STDIN WITH (FORMAT text)", buf)


# --- peers ---------------------------------------------------------------------------------------------------


def empty_view(request):
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def install_bench_urlconf() -> str:
    """The portal's URLconf plus the empty view; returns the module name for ROOT_URLCONF."""
    from django.urls import path

    import portal.urls

    module = types.ModuleType("bench_scoped_lists_urls")
    module.urlpatterns = [path(EMPTY_URL.strip("/") + "/", empty_view), *portal.urls.urlpatterns]
    for name in ("handler403", "handler404"):
        setattr(module, name, getattr(portal.urls, name))
    sys.modules[module.__name__] = module
    return module.__name__


def raw_sql_peer(scope: tuple[str, object], per_page: int, page: int):
    """COUNT and one page of the scoped list, hand-written: the same joins and ordering as the ORM."""
    from django.db import connection

    kind, value = scope
    if kind == "path":
        # As the ORM writes startswith: path::text LIKE on PostgreSQL, LIKE ... ESCAPE on SQLite.
        like = "r.path::text LIKE %s" if connection.vendor == "postgresql" else "r.path LIKE %s ESCAPE '\\'"
        where, param = like, value + "%"
    else:
        where, param = "e.id = %s", value
    count_sql = (
        "SELECT COUNT(*) FROM enterprises_enterprise e JOIN reference_region r ON r.id = e.region_id WHERE " + where
    )
    page_sql = (
        "SELECT e.*, r.*, i.*, a.* FROM enterprises_enterprise e"
        " JOIN reference_region r ON r.id = e.region_id"
        " JOIN reference_industry i ON i.id = e.industry_id"
        " JOIN accounts_agency a ON a.id = e.owner_agency_id"
        f" WHERE {where} ORDER BY e.name LIMIT %s OFFSET %s"
    )

    def run():
        with connection.cursor() as cursor:
            cursor.execute(count_sql, [param])
            total = cursor.fetchone()[0]
            cursor.execute(page_sql, [param, per_page, (page - 1) * per_page])
            rows = cursor.fetchall()
        return total, rows

    return run


def speed(before_ms: float, after_ms: float) -> str:
    return f"{before_ms / after_ms:.1f}x faster" if after_ms <= before_ms else f"{after_ms / before_ms:.1f}x slower"


def run_sql(sql: str):
    """A complete statement (literals inlined, as captured from a request) run through cursor.execute."""
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    return run


_PATH_LIKE = re.compile(r"\"reference_region\"\.\"path\"(?:::text)? LIKE '([/0-9A-Za-z]+/)%'(?: ESCAPE '\\')?")


def as_path_range(sql: str) -> str:
    """The captured statement with its ``path LIKE '/a/b/%'`` written as ``path >= '/a/b/' AND path < '/a/b0'``:
    the same rows (every path is digits and slashes), and a plain B-tree index serves the range on every backend
    and collation. A what-if for the report, not what the app runs."""

    def repl(match):
        prefix = match.group(1)
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        column = '"reference_region"."path"'
        return f"{column} >= '{prefix}' AND {column} < '{upper}'"

    rewritten, n = _PATH_LIKE.subn(repl, sql)
    if n != 1:
        raise ValueError(f"expected one path LIKE in {sql[:200]!r}")
    return rewritten


def filter_form_renderer(user):
    """Render the list page's filter widgets alone ({{ field }} for each field, as the template does)."""
    from django.test import RequestFactory

    from enterprises.filters import EnterpriseFilterSet
    from enterprises.models import Enterprise

    factory = RequestFactory()

    def run():
        request = factory.get("/enterprises/")
        request.user = user
        filterset = EnterpriseFilterSet(None, queryset=Enterprise.objects.visible_to(user), request=request)
        return "".join(str(field) for field in filterset.form)

    return run


# --- the benchmark -------------------------------------------------------------------------------------------


def user_scope(user) -> tuple[str, object]:
    if user.agency_id:
        return "path", user.agency.region.path
    return "pk", user.enterprise_id


def get_ok(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected 200")
    return response


def capture(fn) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return ctx.captured_queries


def find_query(captured: list[dict], startswith: str, *contains: str) -> str | None:
    for q in captured:
        if q["sql"].startswith(startswith) and all(c in q["sql"] for c in contains):
            return q["sql"]
    return None


def describe_queries(captured: list[dict]) -> tuple[str, list[str]]:
    """The "SQL queries / request" cell, and one finding per statement that ran more than once."""
    shapes = query_shapes(captured)
    counts = sum(c for shape, c in shapes.items() if shape.startswith("SELECT COUNT(*)") and ENTERPRISE_TABLE in shape)
    repeated = {shape: c for shape, c in shapes.items() if c > 1}
    cell = f"{len(captured)} ({counts} enterprise COUNT"
    cell += f", {sum(repeated.values()) - len(repeated)} repeated)" if repeated else ")"
    return cell, [f"{c}x {shape}" for shape, c in repeated.items()]


USERS = [
    ("county", "county staff"),
    ("city", "city staff"),
    ("province", "province staff"),
    ("officer", "safety officer"),
]


def bench_user(label: str, user, repeat: int) -> dict:
    """Capture the queries of each request, then time the requests, their peers and their parts interleaved."""
    from django.test import Client

    from enterprises.models import Enterprise

    total = Enterprise.objects.visible_to(user).count()
    # page=2 as asked, unless the scope has no second page (an officer sees one row): then page 1.
    api_page = 2 if total > 50 else 1
    html_page = 2 if total > 25 else 1
    client = Client()
    client.force_login(user)
    api_url = f"/api/v1/enterprises/enterprises/?page={api_page}"
    html_url = f"/enterprises/?page={html_page}"
    scope = user_scope(user)
    section(f"{label}: {total:,} enterprises in scope ({scope[0]} {scope[1]})")

    # (row title, peer for the "ratio vs raw SQL" column, callable); rows without a title are parts, not rows.
    scenarios = {
        "api": (f"API {api_url}", "raw50", lambda: get_ok(client, api_url)),
        "raw50": (
            f"raw SQL: COUNT + 50 rows @ offset {50 * (api_page - 1)}",
            "raw50",
            raw_sql_peer(scope, 50, api_page),
        ),
        "page": (f"list page {html_url}", "raw25", lambda: get_ok(client, html_url)),
        "raw25": (
            f"raw SQL: COUNT + 25 rows @ offset {25 * (html_page - 1)}",
            "raw25",
            raw_sql_peer(scope, 25, html_page),
        ),
        "empty": (f"empty view {EMPTY_URL}", None, lambda: get_ok(client, EMPTY_URL)),
    }
    queries = {k: capture(scenarios[k][2]) for k in ("api", "page", "empty")}
    count_sql = find_query(queries["api"], "SELECT COUNT(*)", ENTERPRISE_TABLE)
    page_sql = find_query(queries["api"], "SELECT ", f"FROM {ENTERPRISE_TABLE}", " LIMIT ")
    plans = [(f"{label}: the scoped COUNT of the API request", count_sql, explain(count_sql))]
    if scope[0] == "path":
        plans.append((f"{label}: the page query of the API request", page_sql, explain(page_sql)))

    # Parts: the app's own two statements alone, the same with the path prefix as a range (what-if), and the
    # list page's filter widgets rendered alone.
    scenarios["form"] = (None, None, filter_form_renderer(user))
    scenarios["count"] = (None, None, run_sql(count_sql))
    scenarios["rows"] = (None, None, run_sql(page_sql))
    if scope[0] == "path":
        range_count, range_page = as_path_range(count_sql), as_path_range(page_sql)
        scenarios["range_count"] = (None, None, run_sql(range_count))
        scenarios["range_rows"] = (None, None, run_sql(range_page))
        plans.append((f"{label}: WHAT-IF, the COUNT with a path range", range_count, explain(range_count)))
        plans.append((f"{label}: WHAT-IF, the page query with a path range", range_page, explain(range_page)))

    timings = measure({k: fn for k, (_, _, fn) in scenarios.items()}, repeat=repeat)
    ms = {k: t.median_ms for k, t in timings.items()}
    rows, problems = [], {}
    for key, (title, peer, _fn) in scenarios.items():
        if title is None:
            continue
        if key in queries:
            cell, repeated = describe_queries(queries[key])
            for statement in repeated:
                problems.setdefault(statement, []).append(f"{label} {key}")
        else:
            cell = "2"
        t = timings[key]
        rows.append(
            [
                f"{label}: {title}",
                f"{t.median_ms:.2f}",
                f"{t.p95_ms:.2f}",
                f"{t.median_ms / ms[peer]:.2f}" if peer else "-",
                f"{t.median_ms / ms['empty']:.2f}",
                cell,
            ]
        )
        print(f"  {title}: median {t.median_ms:.2f} ms, p95 {t.p95_ms:.2f} ms, queries {cell}", flush=True)

    sql_ms = ms["count"] + ms["rows"]
    line = (
        f"{label}: API {ms['api']:.1f} ms = the app's COUNT {ms['count']:.1f} + page query {ms['rows']:.1f} "
        f"({sql_ms / ms['api']:.0%}) + the rest {ms['api'] - sql_ms:.1f} ms; list page {ms['page']:.1f} ms, of "
        f"which filter widgets alone {ms['form']:.1f} ms ({ms['form'] / ms['page']:.0%})"
    )
    if "range_count" in ms:
        line += (
            f"; WHAT-IF path range: COUNT {ms['range_count']:.1f} ms ({speed(ms['count'], ms['range_count'])}), "
            f"page query {ms['range_rows']:.1f} ms ({speed(ms['rows'], ms['range_rows'])})"
        )
    print("  " + line, flush=True)
    reports = [(f"{label}: {scenarios[k][0]}", captured) for k, captured in queries.items()]
    return {"rows": rows, "plans": plans, "queries": reports, "problems": problems, "diagnostic": line}


def run_benchmark(data: dict, repeat: int, show_queries: bool) -> None:
    from django.db import connection
    from django.test import override_settings

    results = []
    with override_settings(ROOT_URLCONF=install_bench_urlconf()):
        for key, label in USERS:
            results.append(bench_user(label, data["users"][key], repeat))

    section(f"Results: median and p95 of {repeat} timed runs (after 2 warm-up runs), ratios of medians")
    print(
        format_table(
            ["scenario", "median ms", "p95 ms", "ratio vs raw SQL", "ratio vs empty view", "SQL queries / request"],
            [row for r in results for row in r["rows"]],
            right={1, 2, 3, 4},
        )
    )
    print(
        "\nraw SQL = the same COUNT and page as 2 hand-written statements through cursor.execute: the API (50 per"
        "\npage) is compared with COUNT + 50 rows, the list page (paginate_by 25) with COUNT + 25 rows."
        "\nempty view = a view returning a fixed 2-byte response through the same client, middleware and session."
        "\nAll rows of one user, and the parts below, ran interleaved (one round = each once)."
    )

    section("Where the time goes (medians of the parts timed alone in the same rounds)")
    print("\n".join("- " + r["diagnostic"] for r in results))

    explain_kind = "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    section(f"Query plans ({explain_kind})")
    for title, sql, plan in [p for r in results for p in r["plans"]]:
        print(f"\n-- {title}\n{sql}")
        print("\n".join("   " + line for line in plan))

    if connection.vendor == "postgresql":
        section("Planner row estimates 10x or more too low (outermost such node of each plan above)")
        flagged = 0
        for title, _sql, plan in [p for r in results for p in r["plans"]]:
            found = misestimates(plan)
            if found:
                flagged += 1
                more = f" (+{len(found) - 1} nodes below it)" if len(found) > 1 else ""
                print(f"- {title}: {found[0][:260]}{more}")
        if not flagged:
            print("- none")

    query_reports = [q for r in results for q in r["queries"]]
    problems: dict[str, list[str]] = {}
    for r in results:
        for statement, where in r["problems"].items():
            problems.setdefault(statement, []).extend(where)
    section("SQL queries per request")
    for title, captured in query_reports:
        if show_queries or title.startswith("province"):
            print(f"\n-- {title}: {len(captured)} queries")
            for q in captured:
                print(f"   [{float(q['time']) * 1000:5.0f} ms] {q['sql'][:200]}")
    if not show_queries:
        print("\n(the other users' requests run the same statements; --show-queries lists them)")

    section("Statements run more than once in one request")
    for statement, where in problems.items():
        print(f"- {statement[:400]}\n    in: {', '.join(where)}")
    if not problems:
        print("- none")


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=200_000, metavar="N", help="default 200000")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=20000, 5 timed runs")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL URL: the benchmark creates and drops <name>_bench next to it. Default: $DATABASE_URL, "
        "else a throwaway SQLite file (a SQLite URL's path is ignored).",
    )
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per scenario (default 20; 5 with --quick)")
    parser.add_argument("--show-queries", action="store_true", help="list the SQL of every measured request")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.enterprises
    repeat = args.repeat or (5 if args.quick else 20)

    started = time.perf_counter()
    with throwaway_database(args.database_url) as db:
        section("Set-up")
        print(f"database: {db.label}")
        setup_django(db)
        from django.core.management import call_command
        from django.db import connection

        out = io.StringIO()
        call_command("load_reference", stdout=out)
        print(f"migrate, then load_reference: {out.getvalue().strip().splitlines()[-1]}")
        data = build_dataset(n)
        analyze_name = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
        print(
            f"{n:,} enterprises over {data['towns']:,} towns of 浙江省 and {data['industries']:,} industry classes "
            f"via {data['method']}: {data['load_seconds']:.1f} s "
            f"({n / max(data['load_seconds'], 1e-9):,.0f} rows/s); {analyze_name} {data['analyze_seconds']:.1f} s"
        )
        version = database_version()
        print(
            f"{connection.vendor} {version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
            f"load average {load_average()} (other work on the machine widens p95; the ratios are interleaved)"
        )
        run_benchmark(data, repeat, args.show_queries)
        print(
            f"\ntotal {time.perf_counter() - started:.0f} s, load average {load_average()}; "
            "dropping the throwaway database"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the throwaway database was removed", file=sys.stderr)
        sys.exit(130)
