"""Shared helpers of the bench/ scripts: a throwaway database, Django set-up, timing and the result table.

Nothing here touches the developer's database: SQLite runs in a file in a fresh temporary directory, and
PostgreSQL in a database named ``<name>_bench`` that is created at the start and dropped at the end (also after
an error, Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "postgis"}
BENCH_SUFFIX = "_bench"


# --- command line --------------------------------------------------------------------------------------------------


def national_data_arguments(parser, *, quick: str, reuse_note: str = "") -> None:
    """The options every national-scale benchmark shares: the size of the data ``generate_national`` makes, and
    the database (a throwaway one next to ``--database-url``, or ``--reuse-database`` kept as it is)."""
    import os

    parser.add_argument("--enterprises", type=int, default=1_000_000, help="default 1,000,000 (--quick 20,000)")
    parser.add_argument("--cases", type=int, default=10_000_000, help="default 10,000,000 (--quick 200,000)")
    parser.add_argument("--years", type=int, default=9)
    parser.add_argument(
        "--region", default=None, help="generate in this region only (default: the whole country; --quick 330000)"
    )
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL URL: the benchmark creates and drops <name>_bench next to it (default $DATABASE_URL, "
        "else a throwaway SQLite file)",
    )
    parser.add_argument(
        "--reuse-database",
        metavar="URL",
        help="use this database as it is (generating only if it holds no generated data) and never drop it"
        + (f"; {reuse_note}" if reuse_note else ""),
    )


# --- running on a database --------------------------------------------------------------------------------------


def run_on_database(args, run: Callable[..., None]) -> None:
    """``run(args, db)`` on a throwaway database (``--database-url``'s server, or SQLite), dropped at the end, or
    ``run(args, db, reused=True)`` on ``--reuse-database``'s database, kept."""
    if args.reuse_database:
        tmpdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
        try:
            run(args, BenchDatabase(args.reuse_database, tmpdir, "the given database (reused, kept)"), reused=True)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
    else:
        with throwaway_database(args.database_url) as db:
            run(args, db)
            print("\ndropping the throwaway database")


# --- a real server ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(app: str, *, workers: int, threads: int, tmpdir: Path):
    """Start gunicorn serving ``app`` (``module:callable()``, the module in bench/) on a free local port (its own
    process group), production settings from the environment; yield the port, stop it at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmpdir.mkdir(parents=True, exist_ok=True)
    log = tmpdir / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        "--pythonpath",
        f"{REPO_DIR},{REPO_DIR / 'bench'}",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread" if threads > 1 else "sync",  # as docker/gunicorn.conf.py chooses
        "--keep-alive",
        "75",
        "--timeout",
        "120",
        "--error-logfile",
        str(log),
    ]
    process = subprocess.Popen(command, cwd=REPO_DIR, env=os.environ.copy(), start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def code_version(*paths: str) -> str:
    """The commit measured, and whether the code under ``paths`` differs from it (others edit while benchmarks
    run)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths], cwd=REPO_DIR, capture_output=True, text=True
        ).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = [line[3:] for line in changed if line.strip()]
    return f"commit {commit}" + (f", uncommitted changes in {', '.join(changed)}" if changed else "")


def database_version() -> str:
    """The version of the database Django is connected to (SQLite's library or the PostgreSQL server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return cursor.fetchone()[0]


# --- the shared cache ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def shared_cache(url: str | None) -> Iterator[str]:
    """The cache production runs with (``CACHE_URL``): ``url`` when given (``none`` for the per-process default),
    else a throwaway ``redis-server`` on a free port when one is installed, stopped at the end. With a shared cache
    the portal caches list counts, drop-downs and sessions (``portal.counts``); with the per-process default it
    does not. Sets ``CACHE_URL`` for this process and the servers it starts; yields what it set ("" for none)."""
    if url:
        if url != "none":
            os.environ["CACHE_URL"] = url
        yield "" if url == "none" else url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        print("no redis-server: the per-process cache (no cached counts or sessions), as `make run` has")
        yield ""
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/1"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
        time.sleep(0.05)
    os.environ["CACHE_URL"] = url
    print(f"shared cache: a throwaway redis-server at {url} (stopped at the end)")
    try:
        yield url
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


# --- the throwaway database ----------------------------------------------------------------------------------


@dataclass
class BenchDatabase:
    url: str  # the DATABASE_URL the benchmark uses
    tmpdir: Path  # scratch directory (SQLite file, PORTAL_VAR_DIR), removed at the end
    label: str  # one line for the report

    @property
    def is_postgres(self) -> bool:
        return urlsplit(self.url).scheme in POSTGRES_SCHEMES


@contextlib.contextmanager
def throwaway_database(url: str | None) -> Iterator[BenchDatabase]:
    """A database for one benchmark run, removed afterwards whatever happens.

    ``url`` None or SQLite: a new SQLite file in a temporary directory (the path of a given SQLite URL is ignored,
    so ``var/portal.sqlite3`` is never opened). PostgreSQL: the database of ``url`` with ``_bench`` appended,
    dropped if left over by an aborted run, created, and dropped again at the end.
    """
    tmpdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        with _terminate_raises_exit():
            scheme = urlsplit(url).scheme if url else "sqlite"
            if scheme in POSTGRES_SCHEMES:
                with _throwaway_postgres(url) as (bench_url, label):
                    yield BenchDatabase(bench_url, tmpdir, label)
            elif scheme.startswith("sqlite") or scheme == "spatialite":
                path = tmpdir / "bench.sqlite3"
                yield BenchDatabase(f"sqlite:///{path}", tmpdir, f"SQLite {path} (throwaway file)")
            else:
                raise SystemExit(f"bench: unsupported DATABASE_URL scheme {scheme!r} (SQLite or PostgreSQL)")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


@contextlib.contextmanager
def _terminate_raises_exit():
    """SIGTERM becomes SystemExit, so that ``finally`` blocks (dropping the database) run."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _libpq_url(parts, dbname: str) -> str:
    return urlunsplit(parts._replace(scheme="postgresql", path="/" + dbname))


@contextlib.contextmanager
def _throwaway_postgres(url: str):
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    bench_name = name if name.endswith(BENCH_SUFFIX) else name + BENCH_SUFFIX
    ident = sql.Identifier(bench_name)

    def admin(statement) -> None:
        # The maintenance database if we may connect to it, else the database the URL names.
        try:
            conn = psycopg2.connect(_libpq_url(parts, "postgres"), connect_timeout=10)
        except psycopg2.OperationalError:
            conn = psycopg2.connect(_libpq_url(parts, name), connect_timeout=10)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def drop() -> None:
        try:
            admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        except psycopg2.errors.SyntaxError:  # PostgreSQL < 13
            admin(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))

    drop()
    admin(sql.SQL("CREATE DATABASE {}").format(ident))
    try:
        yield _libpq_url(parts, bench_name), f"PostgreSQL database {bench_name!r} (created now, dropped at the end)"
    finally:
        _close_django_connections()
        drop()


def _close_django_connections() -> None:
    if "django.db" not in sys.modules:
        return
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()


# --- Django --------------------------------------------------------------------------------------------------


def setup_django(db: BenchDatabase) -> None:
    """Configure Django on the throwaway database (settings from the environment, as in production), migrate.

    DEBUG is switched off after set-up, as in production: the debug cursor would otherwise record every query.
    """
    if str(REPO_DIR) not in sys.path:
        sys.path.insert(0, str(REPO_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DATABASE_URL"] = db.url
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["PORTAL_VAR_DIR"] = str(db.tmpdir / "var")  # broker folder, static root: not the developer's var/
    os.environ["STATIC_ROOT"] = str(db.tmpdir / "static")
    os.environ["MEDIA_ROOT"] = str(db.tmpdir / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def analyze() -> None:
    """Planner statistics after a bulk load: ANALYZE on SQLite, VACUUM ANALYZE on PostgreSQL (the visibility map
    that index-only scans need is what autovacuum maintains on a live database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def explain(sql: str, *, analyze_pg: bool = True) -> list[str]:
    """The plan of a complete SQL statement: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
    SQLite (tree-drawn like the sqlite3 shell)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze_pg else "EXPLAIN ") + sql)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        rows = cursor.fetchall()  # (id, parent, notused, detail)
    depth = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + "-- " + detail)
    return lines


_ESTIMATE = re.compile(r"\(cost=[^)]* rows=(\d+) [^)]*\) \(actual time=[^)]* rows=(\d+) loops=(\d+)\)")


def misestimates(plan: list[str], *, factor: float = 10, min_rows: int = 1000) -> list[str]:
    """Nodes of a PostgreSQL EXPLAIN ANALYZE that returned ``factor`` times more rows than estimated (and at least
    ``min_rows``): too low an estimate makes the planner fetch-and-sort or nest loops where it should not.
    Over-estimates are left out (a node under a LIMIT stops early by design)."""
    found = []
    for line in plan:
        m = _ESTIMATE.search(line)
        if m:
            estimated, actual = int(m.group(1)), int(m.group(2))
            if actual >= min_rows and actual >= factor * max(1, estimated):
                found.append(f"estimated {estimated:,} rows, actual {actual:,}: {line.strip()}")
    return found


# --- timing --------------------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    samples: list[float] = field(default_factory=list)  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.samples, 0.95) * 1000


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(scenarios: dict[str, Callable[[], object]], *, repeat: int, warmup: int = 2) -> dict[str, Timing]:
    """Time each scenario ``repeat`` times with ``time.perf_counter`` after ``warmup`` untimed rounds.

    The scenarios run interleaved (one round = each scenario once), so that a change in machine load during the
    run affects a scenario and its peers alike and the ratios stay fair.
    """
    for _ in range(warmup):
        for fn in scenarios.values():
            fn()
    timings = {key: Timing(key) for key in scenarios}
    for _ in range(repeat):
        for key, fn in scenarios.items():
            start = time.perf_counter()
            fn()
            timings[key].samples.append(time.perf_counter() - start)
    return timings


_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+\b")


def query_shapes(captured: list[dict]) -> dict[str, int]:
    """How often each statement shape (literals blanked) ran: more than once in one request hints at N+1 or at
    the same value computed twice. Transaction control (BEGIN, COMMIT, SAVEPOINT ...) is left out."""
    shapes: dict[str, int] = {}
    for q in captured:
        if not q["sql"].lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            continue
        shape = _LITERALS.sub("?", q["sql"])
        shapes[shape] = shapes.get(shape, 0) + 1
    return shapes


# --- output --------------------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset()) -> str:
    """A plain-text table; columns whose index is in ``right`` are right-aligned."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(str(cell)))
            out.append(pad + str(cell) if i in right else str(cell) + pad)
        return " | ".join(out).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 100 - len(title)), flush=True)
