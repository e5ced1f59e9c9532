"""List exports at scale: the portal's XLSX writer against csv.writer on the same rows, with openpyxl's write-only
mode (and xlsxwriter's constant_memory mode, if importable) for reference; rows/s and peak memory.

    .venv/bin/python bench/exports.py [--rows N | --quick] [--database-url URL] [--repeat R]

Builds a throwaway database (see bench/README.md), loads the reference data, a 人社 agency of 永康市 with one staff
user, 200 enterprises on its towns and N work-injury cases (ID numbers encrypted as the model stores them). The rows
are those of the real export: ``InjuryCaseListView`` set up for that user with no filter, its ``export_queryset()``
(the user's scope, one query, ``iterator(chunk_size=2000)``) and its ``export_columns`` (masked name and ID number),
through ``portal.exports.rows``. Then:

1. speed, end to end (query + model instances + decryption + masking + writing), each writer on the same rows into a
   temporary file, R interleaved runs, median: ``csv.writer`` (``portal.exports.write_csv``: the peer), the portal's
   ``write_xlsx``, openpyxl write-only, xlsxwriter constant_memory (only if the package can be imported; it is not a
   dependency); plus "rows only" (the same rows, not written) to show what the writers add;
2. the writers alone on 20,000 rows already in memory (no database), to compare the writers without the query;
3. memory: tracemalloc peak while writing the first 20,000 rows and all N rows (flat = about the same peak);
4. the export job: ``build_export_job`` for an XLSX of all N rows (file saved to the storage, progress updates), with
   its SQL statements counted.

Goal: XLSX ≥ 10,000 rows/s end to end, at flat memory.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import decimal
import io
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable

from _common import database_version, format_table, section, setup_django, throwaway_database

COUNTY = "330784"  # 永康市
ENTERPRISES = 200
WRITER_ONLY_ROWS = 20_000
SMALL = 20_000
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红德新文斌宇浩凯鹏飞")
POSTS = ["冲压工", "电焊工", "装配工", "叉车司机", "车床工", "抛光工", "仓管员", "质检员", "铸造工", "油漆工"]
PLACES = ["一号车间", "二号车间", "仓库", "装卸区", "喷涂线", "铸造车间", "厂区道路"]


# --- data set ------------------------------------------------------------------------------------------------


def build_dataset(n: int, seed: int = 20260201) -> dict:
    """The 人社 agency of 永康市, its staff user, 200 enterprises and ``n`` injury cases (bulk-created)."""
    from django.db import transaction
    from django.utils import timezone

    from enterprises.models import Enterprise
    from incidents.models import InjuryCase
    from portal.accounts.management.commands.load_demo import demo_credit_code
    from portal.accounts.models import Agency, Role, User
    from portal.reference.models import AccidentType, Industry, Region
    from portal.reference.validators import id_number_check_char

    rng = random.Random(seed)
    county = Region.objects.get(code=COUNTY)
    towns = list(Region.objects.subtree(county).filter(level="town").values_list("id", "name"))
    industries = list(Industry.objects.filter(level="class").values_list("id", flat=True))
    accident_types = list(AccidentType.objects.filter(edition=1986, kind="type").values_list("id", flat=True))
    with transaction.atomic():
        agency = Agency.objects.create(
            name=f"{county.name}人力资源和社会保障局", kind="hrss", level="county", region=county, is_lead=True
        )
        enterprises = Enterprise.objects.bulk_create(
            [
                Enterprise(
                    credit_code=demo_credit_code(COUNTY, 600_000 + i),
                    name=f"{towns[i % len(towns)][1]}五金制品有限公司{i:03d}",
                    region_id=towns[i % len(towns)][0],
                    industry_id=rng.choice(industries),
                    owner_agency=agency,
                )
                for i in range(ENTERPRISES)
            ]
        )
        user = User(username="bench_hrss", role=Role.AGENCY_STAFF, agency=agency, password_changed_at=timezone.now())
        user.set_unusable_password()
        user.save()
    start = timezone.make_aware(datetime.datetime(2025, 1, 1))  # noqa: DTZ001 - made aware right here
    birth0 = datetime.date(1965, 1, 1)
    batch = []
    for i in range(n):
        birth = birth0 + datetime.timedelta(days=(i // 1000) * 7 + rng.randrange(7))
        first17 = f"{COUNTY}{birth:%Y%m%d}{i % 1000:03d}"
        occurred = start + datetime.timedelta(minutes=rng.randrange(364 * 24 * 60))
        serious = rng.random() < 0.3
        case = InjuryCase(
            enterprise=enterprises[rng.randrange(ENTERPRISES)],
            owner_agency=agency,
            occurred_at=occurred,
            place=rng.choice(PLACES),
            accident_type_id=rng.choice(accident_types),
            post=rng.choice(POSTS),
            worker_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            worker_id_number=first17 + id_number_check_char(first17),
            severity="serious" if serious else "minor",
            lost_workdays=rng.randrange(1, 120),
            recognized_on=occurred.date() + datetime.timedelta(days=rng.randrange(10, 60)),
            disability_grade=rng.randrange(1, 11) if serious else None,
            fund_payout=decimal.Decimal(rng.randrange(0, 20_000_000)) / 100,
        )
        case.derive_personal_fields()
        batch.append(case)
        if len(batch) == 5000:
            InjuryCase.objects.bulk_create(batch, batch_size=2000)
            batch.clear()
    InjuryCase.objects.bulk_create(batch, batch_size=2000)
    from enterprises.models import sync_tiers

    sync_tiers(missing_only=True)  # bulk_create skips save(): the cases take their county from the enterprise
    return {"agency": agency, "user": user, "towns": len(towns)}


def export_view(user):
    """The injury-case list view as the export request and the export job set it up (no filter)."""
    from django.http import HttpRequest, QueryDict

    from incidents.views import InjuryCaseListView

    request = HttpRequest()
    request.method = "GET"
    request.user = user
    request.GET = QueryDict("export=xlsx")
    view = InjuryCaseListView()
    view.setup(request)
    return view


# --- writers -------------------------------------------------------------------------------------------------


def w_rows_only(f, title, headers, data: Iterable[list]) -> int:
    return sum(1 for _row in data)


def w_csv(f, title, headers, data) -> int:
    from portal.exports import write_csv

    return write_csv(f, headers, data)


def w_portal_xlsx(f, title, headers, data) -> int:
    from portal.exports import write_xlsx

    return write_xlsx(f, title=title, headers=headers, data=data)


def w_openpyxl(f, title, headers, data) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    n = 0
    for row in data:
        sheet.append(row)
        n += 1
    workbook.save(f)
    return n


def w_xlsxwriter(f, title, headers, data) -> int:
    import xlsxwriter

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        workbook = xlsxwriter.Workbook(tmp.name, {"constant_memory": True})
        sheet = workbook.add_worksheet(title[:31])
        bold = workbook.add_format({"bold": True})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, headers, bold)
        sheet.freeze_panes(1, 0)
        n = 0
        for n, row in enumerate(data, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime.datetime):
                    sheet.write_datetime(n, col, value, datetime_fmt)
                elif isinstance(value, datetime.date):
                    sheet.write_datetime(n, col, value, date_fmt)
                elif isinstance(value, decimal.Decimal):
                    sheet.write_number(n, col, float(value))
                else:
                    sheet.write(n, col, value)
        workbook.close()
        f.write(open(tmp.name, "rb").read())  # noqa: SIM115 - the copy is part of what the writer costs
    return n


def writers() -> dict[str, Callable]:
    found = {
        "rows only (not written)": w_rows_only,
        "csv.writer (peer)": w_csv,
        "portal write_xlsx": w_portal_xlsx,
        "openpyxl write-only": w_openpyxl,
    }
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        pass
    else:
        found["xlsxwriter constant_memory"] = w_xlsxwriter
    return found


def cached_label_columns(columns):
    """What-if: the list's columns with the choice labels (severity, sex) through ``portal.exports.display``
    instead of ``get_FOO_display()``; same values."""
    from django.utils.translation import override

    from portal import exports

    swapped = {"severity": exports.display("severity"), "sex": exports.display("sex")}
    result = []
    for column in columns:
        with override("en"):
            header = str(column.header)
        result.append(exports.Column(column.header, swapped[header]) if header in swapped else column)
    return result


def run_writer(fn, view, limit=None, data=None, columns=None) -> tuple[float, int, int]:
    """(seconds, rows, bytes) of one writer on the export rows (or on ``data`` already in memory)."""
    from portal import exports

    title = str(view.model._meta.verbose_name_plural)
    columns = columns or view.export_columns
    headers = [str(c.header) for c in columns]
    with tempfile.TemporaryFile() as f:
        start = time.perf_counter()
        if data is None:
            qs = view.export_queryset()
            rows = exports.rows(qs if limit is None else qs[:limit], columns)
        else:
            rows = iter(data)
        n = fn(f, title, headers, rows)
        seconds = time.perf_counter() - start
        f.seek(0, os.SEEK_END)
        return seconds, n, f.tell()


def peak_memory(fn, view, limit: int | None) -> float:
    """tracemalloc peak (MB) above the start while writing ``limit`` rows (all if None)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    run_writer(fn, view, limit)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1e6


class StatementCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def rate(n: int, seconds: float) -> str:
    return f"{n / max(seconds, 1e-9):,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, metavar="N", help="default 100000")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=20000, one timed run")
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="timed runs per writer (default 3)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL URL: the benchmark creates and drops <name>_bench next to it. Default: $DATABASE_URL, "
        "else a throwaway SQLite file (a SQLite URL's path is ignored).",
    )
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.rows
    repeat = 1 if args.quick else args.repeat

    started = time.perf_counter()
    with throwaway_database(args.database_url) as db:
        section("Set-up")
        print(f"database: {db.label}")
        setup_django(db)
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        out = io.StringIO()
        call_command("load_reference", stdout=out)
        t0 = time.perf_counter()
        data = build_dataset(n)
        version = database_version()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"{n:,} injury cases of {ENTERPRISES} enterprises on {data['towns']} towns built in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        print(
            f"{connection.vendor} {version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        view = export_view(data["user"])
        candidates = writers()
        assert run_writer(w_rows_only, view)[1] == n, "the export does not see every case"

        from portal import exports

        # 1. end to end
        section(f"1. End to end: {n:,} rows (query, masking, writing), median of {repeat} interleaved runs")
        what_if = "portal write_xlsx, cached choice labels (what-if)"
        fast_columns = cached_label_columns(view.export_columns)
        sample = view.export_queryset()[:500]
        assert list(exports.rows(sample, fast_columns)) == list(exports.rows(sample, view.export_columns))
        runs = {key: (fn, None) for key, fn in candidates.items()}
        runs[what_if] = (w_portal_xlsx, fast_columns)
        samples: dict[str, list[tuple[float, int]]] = {k: [] for k in runs}
        for _ in range(repeat):
            for key, (fn, columns) in runs.items():
                seconds, rows_written, size = run_writer(fn, view, columns=columns)
                assert rows_written == n, (key, rows_written)
                samples[key].append((seconds, size))
        medians = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
        csv_seconds = medians["csv.writer (peer)"][0]
        table = []
        for key, (seconds, size) in medians.items():
            table.append([key, f"{seconds:.2f}", rate(n, seconds), f"{csv_seconds / seconds:.2f}", f"{size / 1e6:.1f}"])
        print(format_table(["writer", "seconds", "rows/s", "csv time ÷ this", "file MB"], table, right={1, 2, 3, 4}))
        xlsx_rate = n / medians["portal write_xlsx"][0]
        print(
            f"goal XLSX ≥ 10,000 rows/s end to end: {xlsx_rate:,.0f} rows/s, "
            f"{'met' if xlsx_rate >= 10_000 else 'NOT met'}"
        )

        # 2. writers alone
        k = min(WRITER_ONLY_ROWS, n)
        section(f"2. Writers alone: {k:,} rows already in memory (no database), median of 3")
        qs = view.export_queryset()[:k]
        in_memory = list(exports.rows(qs, view.export_columns))
        table = []
        peer = None
        for key, fn in candidates.items():
            if key.startswith("rows only"):
                continue
            runs = sorted(run_writer(fn, view, data=in_memory)[0] for _ in range(3))
            seconds = runs[1]
            peer = peer or seconds
            table.append([key, f"{seconds:.3f}", rate(k, seconds), f"{peer / seconds:.2f}"])
        print(format_table(["writer", "seconds", "rows/s", "csv time ÷ this"], table, right={1, 2, 3}))
        del in_memory

        # 3. memory
        small = min(SMALL, n)
        section(f"3. Peak memory while writing (tracemalloc, MB above the start): {small:,} rows vs {n:,} rows")
        table = []
        for key, fn in candidates.items():
            first = peak_memory(fn, view, small)
            whole = peak_memory(fn, view, None) if n != small else first
            table.append([key, f"{first:.1f}", f"{whole:.1f}", f"{whole / max(first, 1e-9):.2f}"])
        print(format_table(["writer", f"{small:,} rows", f"{n:,} rows", "ratio"], table, right={1, 2, 3}))
        print(f"process ru_maxrss so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

        # 4. the job
        section(f"4. Export job: build_export_job, XLSX of {n:,} rows, to the storage")
        from portal.models import ExportJob

        job = ExportJob.objects.create(
            created_by=data["user"],
            kind="incidents:injurycase_list",
            title="bench",
            format="xlsx",
            expected_rows=n,
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )
        counter = StatementCounter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            exports.build_export_job(job=job)
            seconds = time.perf_counter() - start
        job.refresh_from_db()
        print(
            f"status {job.status}, {job.row_count:,} rows in {seconds:.2f} s ({rate(job.row_count, seconds)} rows/s), "
            f"file {job.file.size / 1e6:.1f} MB, {counter.count} SQL statements "
            f"({n // exports.PROGRESS_EVERY} of them progress updates)"
        )
        with contextlib.suppress(Exception):
            connection.close()
    print(f"\nthrowaway database removed; whole run {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    csv.field_size_limit(10**7)
    sys.exit(main())
