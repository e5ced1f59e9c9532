"""The quarterly exchange's consolidated report (issue 6) at national scale, against its statistics queries alone.

    .venv/bin/python bench/exchange.py [--quick] [--database-url URL | --reuse-database URL] [--year Y --quarter Q]

Builds a throwaway database (see bench/README.md; PostgreSQL: the figures only mean something there), loads the
real reference data and fills it with ``manage.py generate_national`` (default 1,000,000 enterprises and
10,000,000 cases over nine years; ``--quick`` 20,000 and 200,000 in 浙江省). Insurance snapshots (the rates'
denominator, which the generator does not make) are added for the quarter, the one before and the same quarter a
year before, and ``--projects`` construction projects (按项目参保) for the quarter; then the summary tables are
rebuilt, as the nightly job leaves them. A lead 人社 agency with the default obligations is set up in the province
with most cases; 人社 and 应急 confirm the quarter. Then, each ``--repeat`` times with the statistics cache
emptied (so every figure is read from the database, as the first build after a change reads it):

1. **Statistics alone** (the peer): ``report.figures`` — every statistics-service query the report runs.
2. **End to end**: ``services.build_report`` — the same queries, the report assembled, its XLSX, PDF and JSON
   rendered, checksummed and stored, the version row written and every agency user in scope told; the previous
   bench version is deleted first, so each run builds a new one.
   Both for the whole country (the national summary; ``--national``, region None, files rendered but no version row
   kept since a report belongs to a region) and for the largest province (the full service).
3. **XLSX at flat memory**: the peak of Python allocations (tracemalloc) while the XLSX of a report with 5,000
   and with 50,000 region × industry rows is written; flat means the peak does not grow with the rows.

Goals: the national report ≤ 60 s end to end and ≤ 2× its statistics queries alone; the XLSX peak flat.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
import tracemalloc

from _common import BenchDatabase, format_table, national_data_arguments, run_on_database, section
from case_lists import generate, load_average, set_up
from prevention import add_insurance

GOAL_SECONDS = 60.0
GOAL_RATIO = 2.0
GOAL_FLAT = 1.5  # peak with 10× the rows at most this many times the peak with 1×


def verdict(ok: bool, text: str) -> str:
    return ("OK   " if ok else "MISS ") + text


def data_quarter() -> tuple[int, int]:
    """The last whole quarter of the generated cases."""
    from django.db.models import Max
    from django.utils import timezone

    from incidents.models import InjuryCase
    from portal.exchange.models import previous_quarter, quarter_containing

    last = InjuryCase.objects.aggregate(m=Max("occurred_at"))["m"]
    return previous_quarter(*quarter_containing(timezone.localdate(last)))


def largest_province():
    from django.db.models import Count

    from incidents.models import InjuryCase
    from portal.reference.models import Region

    row = InjuryCase.objects.values("province").annotate(n=Count("id")).order_by("-n").first()
    return Region.objects.get(pk=row["province"]), row["n"]


def add_projects(year: int, quarter: int, n: int) -> tuple[int, float]:
    """``n`` construction projects started in the quarter, contracted by generated enterprises (set-based; four
    in five insured); existing bench projects are kept."""
    from django.db import connection, transaction

    from portal.exchange.models import quarter_bounds

    start, end = quarter_bounds(year, quarter)
    days = (end - start).days + 1
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM enterprises_constructionproject WHERE permit_number LIKE 'BENCH%%'")
        if cursor.fetchone()[0]:
            return 0, 0.0
        cursor.execute(
            "INSERT INTO enterprises_constructionproject (enterprise_id, owner_agency_id, name, permit_number, sector, "
            "region_id, contract_value, workers, started_on, planned_end, insured_on, insured_workers, premium, "
            "created_at, updated_at) "
            "SELECT e.id, e.owner_agency_id, '项目' || e.id, 'BENCH' || e.id, 'housing', e.region_id, 1000, "
            "50 + e.id %% 200, %s::date + (e.id %% %s)::int, NULL, "
            "CASE WHEN e.id %% 5 = 0 THEN NULL ELSE %s::date + (e.id %% %s)::int END, "
            "CASE WHEN e.id %% 5 = 0 THEN NULL ELSE 50 + e.id %% 200 END, 0, NOW(), NOW() "
            "FROM enterprises_enterprise e ORDER BY e.id LIMIT %s",
            [start, days, start, days, n],
        )
        added = cursor.rowcount
    return added, time.perf_counter() - began


def setup_exchange(province, year: int, quarter: int):
    """A lead 人社 agency with 卫健, 应急 and 住建 in the province, the default obligations, their users; 人社 and 应急
    confirm the quarter."""
    from portal.accounts.models import Agency, Role, User
    from portal.exchange import services
    from portal.exchange.models import Confirmation

    made = {}
    for kind, title in (
        ("hrss", "人力资源和社会保障厅"),
        ("health", "卫生健康委"),
        ("emergency", "应急管理厅"),
        ("housing", "住房和城乡建设厅"),
    ):
        agency = Agency.objects.filter(region=province, kind=kind).order_by("pk").first() or Agency.objects.create(
            name=f"{province.name}{title}", kind=kind, level="province", region=province, is_lead=kind == "hrss"
        )
        if kind == "hrss" and not agency.is_lead:
            agency.is_lead = True
            agency.save(update_fields=["is_lead"])
        for role in ("agency_staff", "secretariat") if kind == "hrss" else ("agency_staff",):
            name = f"bench_exchange_{province.code}_{kind}_{role}"
            user = User.objects.filter(username=name).first()
            if user is None:
                user = User(username=name, role=role, agency=agency, email=f"{name}@example.gov.cn")
                user.set_unusable_password()
                user.save()
            made[(kind, role)] = user
    secretariat = made[("hrss", Role.SECRETARIAT)]
    services.apply_default_obligations(actor=secretariat, region=province)
    for kind in ("hrss", "emergency"):
        user = made[(kind, Role.AGENCY_STAFF)]
        if not Confirmation.objects.filter(agency=user.agency, year=year, quarter=quarter, state="confirmed").exists():
            services.confirm_quarter(actor=user, year=year, quarter=quarter)
    return secretariat


def clear_statistics_cache() -> None:
    from django.core.cache import cache

    cache.clear()


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        clear_statistics_cache()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def render_all(content: dict) -> dict[str, int]:
    """The three files of a report, as ``build_report`` makes them (XLSX to a temporary file); their sizes."""
    import hashlib

    from portal.exchange import renderers

    meta = {"version": 1, "generated_at": "2026-01-01T00:00:00+08:00", "fingerprint": "0" * 64, "report_url": ""}
    sizes = {}
    with tempfile.TemporaryFile() as handle:
        renderers.render_xlsx(content, meta, handle)
        handle.seek(0)
        sizes["xlsx"] = len(handle.read())
    for fmt, render in (("pdf", renderers.render_pdf), ("json", renderers.render_json)):
        data = render(content, meta)
        hashlib.sha256(data).hexdigest()
        sizes[fmt] = len(data)
    return sizes


def render_one(content: dict, fmt: str) -> int:
    from portal.exchange import renderers

    meta = {"version": 1, "generated_at": "2026-01-01T00:00:00+08:00", "fingerprint": "0" * 64, "report_url": ""}
    if fmt == "xlsx":
        with tempfile.TemporaryFile() as handle:
            renderers.render_xlsx(content, meta, handle)
            return handle.tell()
    return len((renderers.render_pdf if fmt == "pdf" else renderers.render_json)(content, meta))


def drop_bench_reports(region) -> None:
    from portal.exchange.models import ExchangeReport, ReportFile

    files = ReportFile.objects.filter(report__region=region)
    for f in files:
        f.file.delete(save=False)
    files.delete()
    ExchangeReport.objects.filter(region=region).delete()


def xlsx_memory(content: dict) -> list[tuple[int, int]]:
    """(rows, peak bytes) of writing the XLSX with 5,000 and 50,000 region × industry rows."""
    from portal.exchange import renderers

    base = content["region_industries"] or [
        {"region_code": "330784", "region_name": "永康市", "industry_code": "C", "industry_name": "制造业"}
    ]
    meta = {"version": 1, "generated_at": "2026-01-01T00:00:00+08:00", "fingerprint": "0" * 64, "report_url": ""}
    out = []
    for rows in (5_000, 50_000):
        grown = dict(content, region_industries=[base[i % len(base)] for i in range(rows)])
        with tempfile.TemporaryFile() as handle:
            tracemalloc.start()
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            renderers.render_xlsx(grown, meta, handle)
            peak = tracemalloc.get_traced_memory()[1] - before
            tracemalloc.stop()
        del grown
        out.append((rows, peak))
    return out


def run(args, db: BenchDatabase, *, reused: bool = False) -> None:
    section("Set-up")
    set_up(db, reused=reused, code_paths=("portal/exchange", "incidents/analysis"))
    from django.db import connection

    if connection.vendor != "postgresql":
        print("!! the figures are meant for PostgreSQL: run with a PostgreSQL --database-url")
    where = f" --region {args.region}" if args.region else ""
    section(f"generate_national --enterprises {args.enterprises:,} --cases {args.cases:,} --years {args.years}{where}")
    found = generate(args.enterprises, args.cases, args.years, args.region)
    if found:
        print(f"generate_national {found['total'][1]:.0f} s, VACUUM ANALYZE {found['vacuum_analyze'][1]:.0f} s")

    from incidents.analysis import cubes
    from portal.exchange import report, services
    from portal.exchange.models import previous_quarter

    year, quarter = (args.year, args.quarter) if args.year else data_quarter()
    quarters = [(year, quarter), previous_quarter(year, quarter), (year - 1, quarter)]
    from enterprises.models import InsuranceSnapshot

    missing = [yq for yq in quarters if not InsuranceSnapshot.objects.filter(year=yq[0], quarter=yq[1]).exists()]
    added, seconds = add_insurance(missing) if missing else (0, 0.0)
    print(f"report quarter {year}Q{quarter}; insurance snapshots for {quarters}: {added:,} rows in {seconds:.1f} s")
    projects, seconds = add_projects(year, quarter, args.projects)
    print(f"construction projects of the quarter: {projects:,} added in {seconds:.1f} s")
    if added or projects or args.rebuild or not reused:
        started = time.perf_counter()
        cubes.rebuild()
        print(f"statistics summary tables rebuilt (the nightly job) in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM incidents_injurycase")
        cases = cursor.fetchone()[0]
    province, province_cases = largest_province()
    secretariat = setup_exchange(province, year, quarter)
    print(f"{cases:,} cases; largest province {province.name} ({province_cases:,} cases); obligations set, 2 confirmed")
    today = datetime.date.today()  # noqa: DTZ011 - the quarter has ended either way
    # Jobs (the notifications' e-mail batches) are counted, not sent: the bench measures the build, not SMTP.
    from portal import jobs

    sent = []
    jobs.send_now = lambda name, a, k: sent.append(name) or True

    rows = []
    results = {}
    for label, region in (("national", None), (province.name, province)):
        stats_samples, e2e_samples = [], []

        def peer(r=region):
            return timed(lambda: report.figures(r, year, quarter), 1)

        def build(r=region):
            if r is None:
                return timed(lambda: render_all(report.content(None, year, quarter, today)), 1)
            drop_bench_reports(r)
            return timed(
                lambda: services.build_report(region=r, year=year, quarter=quarter, actor=secretariat, today=today), 1
            )

        for i in range(args.repeat):  # alternated, each first in turn: both see the same caches and load
            if i % 2:
                e2e_samples += build()
                stats_samples += peer()
            else:
                stats_samples += peer()
                e2e_samples += build()
        stat, e2e = statistics.median(stats_samples), statistics.median(e2e_samples)
        results[label] = (stat, e2e)
        rows.append(
            [
                label,
                f"{stat:.2f}",
                f"{e2e:.2f}",
                f"{e2e / stat:.2f}×" if stat else "—",
                " ".join(f"{x:.2f}" for x in stats_samples),
                " ".join(f"{x:.2f}" for x in e2e_samples),
            ]
        )
    section("1–2. The report against its statistics queries alone (median seconds, statistics cache emptied)")
    print(
        format_table(
            ["report", "statistics alone", "end to end", "ratio", "samples: statistics", "samples: end to end"],
            rows,
            right={1, 2, 3},
        )
    )
    phases = []
    for label, region in (("national", None), (province.name, province)):
        clear_statistics_cache()
        started = time.perf_counter()
        found = report.content(region, year, quarter, today)
        timings = [time.perf_counter() - started]
        for fmt in ("xlsx", "pdf", "json"):
            started = time.perf_counter()
            render_one(found, fmt)
            timings.append(time.perf_counter() - started)
        phases.append([label, *(f"{t:.2f}" for t in timings)])
    print("\nwhere the end-to-end time goes (seconds, one run each):")
    print(format_table(["report", "figures + assembly", "XLSX", "PDF", "JSON"], phases, right={1, 2, 3, 4}))
    content = report.content(None, year, quarter, today)
    sizes = render_all(content)
    print(
        f"national report: {len(content['regions'])} regions, {len(content['region_industries'])} region × key "
        f"industry rows; files: " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items())
    )

    section("3. XLSX memory (tracemalloc peak while writing)")
    memory = xlsx_memory(content)
    print(
        format_table(
            ["region × industry rows", "peak KiB"], [[f"{r:,}", f"{p / 1024:,.0f}"] for r, p in memory], right={0, 1}
        )
    )
    flat = memory[1][1] / memory[0][1] if memory[0][1] else float("inf")

    section("Goals (issue 6)")
    national_stat, national_e2e = results["national"]
    for line in (
        verdict(
            national_e2e <= GOAL_SECONDS, f"national report ≤ {GOAL_SECONDS:.0f} s end to end: {national_e2e:.1f} s"
        ),
        verdict(
            national_e2e <= GOAL_RATIO * national_stat,
            f"≤ {GOAL_RATIO:.0f}× its statistics queries alone: {national_e2e / national_stat:.2f}× "
            f"({national_stat:.1f} s)",
        ),
        verdict(
            results[province.name][1] <= GOAL_RATIO * results[province.name][0],
            f"{province.name}, the full service (stored, announced): "
            f"{results[province.name][1] / results[province.name][0]:.2f}× its statistics queries",
        ),
        verdict(flat <= GOAL_FLAT, f"XLSX at flat memory: 10× the rows, {flat:.2f}× the peak"),
    ):
        print(line)
    print(f"jobs queued by the builds: {len(sent)} ({', '.join(sorted(set(sent)))})")
    print(f"load average {load_average()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    national_data_arguments(parser, quick="20k enterprises, 200k cases in 浙江省")
    parser.add_argument("--year", type=int, default=None, help="the report's year (default: the last whole quarter)")
    parser.add_argument("--quarter", type=int, default=None)
    parser.add_argument("--projects", type=int, default=50_000, help="construction projects of the quarter (50,000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the summary tables even if nothing was added")
    args = parser.parse_args(argv)
    if args.quick:
        args.enterprises, args.cases = min(args.enterprises, 20_000), min(args.cases, 200_000)
        args.projects = min(args.projects, 2_000)
    if args.region is None:
        args.region = "330000" if args.quick else ""
    run_on_database(args, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
