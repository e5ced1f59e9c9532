"""Work-injury case lists at national scale under load: the list page and the list API at 10,000,000 cases, served
by a real multi-process server with DEBUG off, driven by concurrent keep-alive connections, against an empty view
served by the same server in the same run.

    .venv/bin/python bench/case_lists.py [--quick] [--database-url URL | --reuse-database URL] [--seconds S]

Builds a throwaway database (see bench/README.md), loads the real reference data and fills it with
``manage.py generate_national`` (default 1,000,000 enterprises and 10,000,000 cases over nine years in the whole
country; ``--quick`` 20,000 and 200,000 in 浙江省). Then, for 人社 staff of a county (永康市), a city (金华市) and a
province (浙江省):

- **under load**: ``/incidents/injury-cases/`` and ``/api/v1/incidents/injury-cases/``, first page and a deep page
  (the ``next`` link of page 1 followed ``--depth`` times when the list pages by cursor, else ``?page=N``), each
  for ``--seconds`` with ``--connections`` concurrent keep-alive connections (threads with http.client, one session
  each, logged in with a real session cookie), in ``--rounds`` interleaved rounds; peer: ``/bench-empty/``, a view
  returning 2 bytes through the same server, middleware and sessions. The server is gunicorn (``--workers``
  processes × ``--threads`` threads; one thread: its sync worker, which closes each connection after its response
  and the client opens another, as a proxy in front does) started by this script with production settings
  (``DJANGO_DEBUG=false``), its WSGI application settled as ``portal.wsgi`` does (``gc.freeze``). The client's own
  CPU time per request is printed (it shares the machine's cores with the server).
  A first page slower than ``--slow`` seconds in one request is not followed to a deep page nor driven under load
  (at 10 connections it would take minutes): its single request is what the report shows;
- **queries per request** (after the user's login landing page, ``/``, as a login redirects there): the same
  requests and other page sizes through Django's test client with
  ``CaptureQueriesContext``; every ``COUNT`` statement is run again to see how many rows it counted (the goal: no
  exact count over 100,000 rows), the admin's changelists included (each admin duty's, 200 answers only);
- **plans**: ``EXPLAIN (ANALYZE, BUFFERS)`` (PostgreSQL) of each request's slowest statements.

The goals of the issue, checked at the end: p95 ≤ 100 ms at 10 connections; throughput ≥ 10 % of the empty view's;
≤ 4 queries whatever the page size; a deep page no slower than 2× the first; no exact COUNT(*) over > 100,000 rows.
"""

from __future__ import annotations

import argparse
import html
import http.client
import io
import json
import logging
import os
import re
import sys
import threading
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

from _common import (
    BenchDatabase,
    analyze,
    code_version,
    database_version,
    explain,
    format_table,
    gunicorn,
    misestimates,
    national_data_arguments,
    percentile,
    run_on_database,
    section,
    setup_django,
    shared_cache,
)

PROVINCE, CITY, COUNTY = "330000", "330700", "330784"  # 浙江省, 金华市, 永康市
LIST_URL = "/incidents/injury-cases/"
API_URL = "/api/v1/incidents/injury-cases/"
EMPTY_URL = "/bench-empty/"
COUNT_LIMIT = 100_000  # no request may count more rows than this exactly
GOAL_P95_MS = 100
GOAL_THROUGHPUT = 0.10  # of the empty view's
GOAL_QUERIES = 4
GOAL_DEEP_RATIO = 2.0
# portal/settings.py's FIELD_ENCRYPTION_KEY when DEBUG is on and the environment sets none: what a database filled
# by `manage.py generate_national` in development was encrypted with.
DEVELOPMENT_KEY = "ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="
_NEXT_LINK = re.compile(r"<a\b[^>]*\brel=\"next\"[^>]*>")
_HREF = re.compile(r"\bhref=\"([^\"]*)\"")


# --- the server side: the portal's URLconf plus the empty view, and the gunicorn entry point ------------------


def empty_view(request):
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def install_bench_urlconf() -> str:
    """The portal's URLconf plus ``/bench-empty/``; returns the module name for ROOT_URLCONF."""
    from django.urls import path

    import portal.urls

    module = types.ModuleType("bench_case_lists_urls")
    module.urlpatterns = [path(EMPTY_URL.strip("/") + "/", empty_view), *portal.urls.urlpatterns]
    for name in ("handler403", "handler404"):
        setattr(module, name, getattr(portal.urls, name))
    sys.modules[module.__name__] = module
    return module.__name__


def plain_static_storage() -> None:
    """Static URLs without the manifest (the pages under test name static files but nobody fetches them here; the
    manifest storage of DEBUG=False would need a 20-second collectstatic first)."""
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def wsgi_app():
    """gunicorn's entry point (``case_lists:wsgi_app()``): the portal with the bench URLconf, settings from the
    environment this script passes (production settings on the throwaway database)."""
    from django.conf import settings

    import portal.wsgi

    plain_static_storage()
    settings.ROOT_URLCONF = install_bench_urlconf()
    portal.wsgi.settle()  # again: the bench's URLconf and the templates with plain static URLs
    return portal.wsgi.application


def production_environment(db: BenchDatabase, *, reused: bool) -> None:
    """DEBUG off and the settings production requires, for this process and the server (same keys: the server
    decrypts what the generator encrypted and reads the cursors the test client signed). A reused database keeps
    the key its data were made with: $FIELD_ENCRYPTION_KEY, else the development default."""
    from cryptography.fernet import Fernet

    key = os.environ.get("FIELD_ENCRYPTION_KEY") or (DEVELOPMENT_KEY if reused else Fernet.generate_key().decode())
    os.environ.update(
        {
            "DJANGO_DEBUG": "false",
            "SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEY": key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",  # as behind a TLS-terminating proxy
            "DATABASE_URL": db.url,
            "LOG_LEVEL": "WARNING",
        }
    )


def set_up(db: BenchDatabase, *, reused: bool, code_paths: tuple[str, ...] = ()) -> None:
    """Production settings, migrate and ``load_reference``; then one line on the database server, Python and the
    machine, and (``code_paths``) the commit measured."""
    print(f"database: {db.label}")
    production_environment(db, reused=reused)
    setup_django(db)
    from django.core.management import call_command
    from django.db import connection

    out = io.StringIO()
    call_command("load_reference", stdout=out)
    print(f"migrate, then load_reference: {out.getvalue().strip().splitlines()[-1]}")
    version = database_version()
    print(
        f"{connection.vendor} {version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load_average()}"
    )
    if code_paths:
        print(f"code: {code_version(*code_paths)}")


# --- data and users ------------------------------------------------------------------------------------------


def generate(enterprises: int, cases: int, years: int, region: str) -> dict:
    """``generate_national`` (progress printed live) and VACUUM ANALYZE; returns the command's figures."""
    from django.core.management import call_command
    from django.utils import translation

    from incidents.management.commands.generate_national import Command, generated_enterprises

    if generated_enterprises().exists():
        print("generated data already present: kept (--reuse-database)")
        return {}
    command = Command(stdout=sys.stdout)
    with translation.override("en"):
        # The lists read no summary table: no statistics rebuild (with eager Celery it would run here, for minutes).
        call_command(
            command,
            enterprises=enterprises,
            cases=cases,
            years=years,
            region=region,
            no_statistics=True,
            stdout=sys.stdout,
        )
    stats = dict(command.stats)
    started = time.perf_counter()
    analyze()
    stats["vacuum_analyze"] = (0, time.perf_counter() - started)
    return stats


def bench_users() -> dict:
    """人社 staff of 永康市, 金华市 and 浙江省 (the county agency is the generator's), and the three admin duties."""
    from django.utils import timezone

    from portal.accounts.models import Agency, Role, User
    from portal.reference.models import Region

    users = {}
    for key, code, level in (("county", COUNTY, "county"), ("city", CITY, "city"), ("province", PROVINCE, "province")):
        region = Region.objects.get(code=code)
        agency = Agency.objects.filter(region=region, kind="hrss").order_by("pk").first()
        if agency is None:
            agency = Agency.objects.create(
                name=f"{region.name}人力资源和社会保障{'厅' if level == 'province' else '局'}",
                kind="hrss",
                level=level,
                region=region,
                is_lead=True,
            )
        users[key] = _user(f"bench_{key}", Role.AGENCY_STAFF, agency)
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR):
        users[role] = _user(f"bench_{role}", role, None)
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(password_changed_at=timezone.now())
    return users


def _user(username: str, role: str, agency):
    from django.utils import timezone

    from portal.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, role=role, agency=agency, full_name=username, password_changed_at=timezone.now())
        user.set_unusable_password()
        user.save()
    return user


def session_cookies(user, n: int) -> list[str]:
    """``n`` real sessions of ``user`` (one per connection, as ``n`` browsers would have): the cookie header."""
    from django.conf import settings
    from django.test import Client

    cookies = []
    for _i in range(n):
        client = Client()
        client.force_login(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return cookies


# --- requests through the test client: URLs, queries, COUNTs, plans ---------------------------------------------


def get(client, url: str, *, api: bool = False):
    headers = {"HTTP_ACCEPT": "application/json"} if api else {}
    response = client.get(url, **headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected 200")
    return response


class Probe:
    """One request through the test client: its time, its statements and its response."""

    def __init__(self, client, url: str, *, api: bool):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.url, self.api = url, api
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            self.response = get(client, url, api=api)
            self.seconds = time.perf_counter() - started
        self.captured = ctx.captured_queries


def next_url(response, *, api: bool) -> str | None:
    """The ``next`` link of a page: the API's ``next`` field, the list page's ``rel="next"`` anchor."""
    if api:
        link = json.loads(response.content).get("next")
    else:
        tag = _NEXT_LINK.search(response.content.decode())
        href = _HREF.search(tag.group(0)) if tag else None
        link = html.unescape(href.group(1)) if href else None
    if not link:
        return None
    parts = urlsplit(link)
    return (parts.path or urlsplit(response.wsgi_request.get_full_path()).path) + "?" + parts.query


def deep_url(client, first: Probe, depth: int, budget: float) -> tuple[str | None, str]:
    """The page ``depth`` pages after the first: by following ``next`` if the first page's link is a cursor, else
    ``?page=depth+1``; following stops after ``budget`` seconds. Returns the URL (None if there is no next page)
    and how it was reached."""
    link = next_url(first.response, api=first.api)
    if link is None:
        return None, "no next page"
    if "cursor=" not in link:
        return f"{first.url}?page={depth + 1}", f"?page={depth + 1} (the next link has no cursor)"
    started = time.perf_counter()
    for step in range(1, depth):
        following = next_url(get(client, link, api=first.api), api=first.api)
        if following is None:
            return link, f"cursor, end of the list after {step + 1} pages"
        link = following
        if time.perf_counter() - started > budget:
            return link, f"cursor, {step + 1} pages deep (stopped after {budget:.0f} s of following)"
    return link, f"cursor, {depth + 1} pages deep"


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET ")


def queries(captured: list[dict]) -> list[dict]:
    """The statements that do work: all but transaction control (an EXPLAIN or a DECLARE … CURSOR counts)."""
    return [q for q in captured if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]


def selects(captured: list[dict]) -> list[dict]:
    return [q for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]


def counted_rows(captured: list[dict]) -> list[tuple[int, float, str]]:
    """Each COUNT statement run again: (rows it counted, ms, SQL). A capped count stops at 100,001."""
    from django.db import connection

    found = []
    for q in captured:
        if "COUNT(" not in q["sql"].upper():
            continue
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(q["sql"])
            row = cursor.fetchone()
        value = row[0] if row and isinstance(row[0], int) else 0
        found.append((value, (time.perf_counter() - started) * 1000, q["sql"]))
    return found


def admin_changelists(users: dict) -> list[tuple[str, str, list[dict]]]:
    """Every registered admin changelist that an admin duty may open: (who, URL, captured queries)."""
    from django.contrib import admin
    from django.test import Client
    from django.urls import reverse

    results = []
    request_log = logging.getLogger("django.request")
    level, request_log.level = request_log.level, logging.ERROR  # the refusals (403) are expected here
    for role in ("system_admin", "security_admin", "auditor"):
        client = Client()
        client.force_login(users[role])
        for model in admin.site._registry:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                status = client.get(url).status_code
            if status == 200:
                results.append((role, url, ctx.captured_queries))
    request_log.level = level
    return results


# --- load: concurrent keep-alive connections ----------------------------------------------------------------------


class Segment:
    """One URL driven by ``len(cookies)`` concurrent connections for ``seconds``."""

    def __init__(self, port: int, url: str, cookies: list[str], *, api: bool):
        self.port, self.url, self.cookies, self.api = port, url, cookies, api
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.elapsed = 0.0
        self.client_cpu = 0.0  # CPU seconds this process (the client's threads) spent while the clock ran

    def run(self, seconds: float, warmup: int = 1) -> None:
        barrier = threading.Barrier(len(self.cookies) + 1)
        stop_at = [0.0]
        lock = threading.Lock()
        finished: list[float] = []

        def worker(cookie: str):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            headers = {"Cookie": cookie, "X-Forwarded-Proto": "https"}
            if self.api:
                headers["Accept"] = "application/json"
            mine, errors = [], []
            for _i in range(warmup):
                self._one(conn, headers, errors)
            barrier.wait()
            while True:
                started = time.perf_counter()
                if started >= stop_at[0]:
                    break
                if self._one(conn, headers, errors):
                    mine.append(time.perf_counter() - started)
            conn.close()
            with lock:
                self.latencies.extend(mine)
                self.errors.extend(errors)
                finished.append(time.perf_counter())

        threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in self.cookies]
        for t in threads:
            t.start()
        # Every connection is open and warm: start the clock.
        stop_at[0] = time.perf_counter() + 1e9
        barrier.wait()
        begin, cpu = time.perf_counter(), time.process_time()
        stop_at[0] = begin + seconds
        for t in threads:
            t.join()
        self.elapsed = max(finished) - begin
        self.client_cpu = time.process_time() - cpu

    def _one(self, conn, headers, errors) -> bool:
        try:
            conn.request("GET", self.url, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            return False
        if response.status != 200:
            errors.append(f"HTTP {response.status}")
            return False
        return True


class Result:
    def __init__(self, label: str):
        self.label = label
        self.latencies: list[float] = []
        self.count = 0
        self.elapsed = 0.0
        self.errors: list[str] = []
        self.client_cpu = 0.0

    def add(self, segment: Segment) -> None:
        self.client_cpu += segment.client_cpu
        self.latencies += segment.latencies
        self.count += len(segment.latencies)
        self.elapsed += segment.elapsed
        self.errors += segment.errors

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5) * 1000 if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95) * 1000 if self.latencies else float("nan")

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0


# --- the benchmark -------------------------------------------------------------------------------------------


USERS = [("county", "county 永康市"), ("city", "city 金华市"), ("province", "province 浙江省")]
KINDS = [("page1", "list page 1"), ("pagedeep", "list page deep"), ("api1", "API page 1"), ("apideep", "API deep")]


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run(args, db: BenchDatabase, *, reused: bool = False) -> None:
    section("Set-up")
    set_up(db, reused=reused)
    plain_static_storage()
    from django.db import connection
    from django.test import override_settings

    where = f" --region {args.region}" if args.region else ""
    section(f"generate_national --enterprises {args.enterprises:,} --cases {args.cases:,} --years {args.years}{where}")
    stats = generate(args.enterprises, args.cases, args.years, args.region)
    if stats:
        print(
            "VACUUM ANALYZE " if connection.vendor == "postgresql" else "ANALYZE ",
            f"{stats['vacuum_analyze'][1]:.1f} s; load average {load_average()}",
        )
    users = bench_users()
    urlconf = install_bench_urlconf()

    with override_settings(ROOT_URLCONF=urlconf):
        probes = probe_requests(args, users)
        over, query_rows = report_queries(args, users, probes)
        plans = [
            (f"{label}: {title}: slowest SELECT", max(selects(p.captured), key=lambda q: float(q["time"])))
            for (key, label) in USERS
            for kind, title in KINDS
            if (p := probes.get((key, kind))) is not None and selects(p.captured)
        ]

    results, empty = drive(args, users, probes, db.tmpdir)
    report_goals(probes, results, empty, query_rows, over)

    section("Plans of the slowest statement of each request (the first time it ran)")
    seen = set()
    for title, query in plans:
        shape = re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", query["sql"])
        if shape in seen and float(query["time"]) < 0.1:
            continue
        seen.add(shape)
        plan = explain(query["sql"])
        print(f"\n-- {title} ({float(query['time']) * 1000:.0f} ms in the request)\n{query['sql'][:2000]}")
        print("\n".join("   " + line for line in plan))
        if connection.vendor == "postgresql":
            for finding in misestimates(plan)[:1]:
                print(f"   !! planner misestimate: {finding[:240]}")

    if stats:
        section("Generator")
        for key in ("enterprises", "pool", "injury_cases", "disease_cases", "accidents", "indexes", "links", "analyze"):
            if key in stats:
                rows_, seconds = stats[key]
                rate = f", {rows_ / seconds:,.0f} rows/s" if rows_ and seconds else ""
                print(f"- {key}: {rows_:,} in {seconds:.1f} s{rate}")
        print(f"- total generate_national {stats['total'][1]:.1f} s; VACUUM ANALYZE {stats['vacuum_analyze'][1]:.1f} s")


def probe_requests(args, users: dict) -> dict:
    """Each user's first and deep pages (list and API) and other page sizes, once each through the test client.
    A first page slower than ``--slow`` seconds is not followed to a deep page (that would take ``--depth``
    times as long) and not driven under load."""
    from django.test import Client

    from incidents.models import InjuryCase

    section("Scopes, first pages and deep pages (test client, one request each)")
    probes: dict[tuple[str, str], Probe] = {}
    for key, label in USERS:
        user = users[key]
        started = time.perf_counter()
        in_scope = InjuryCase.objects.visible_to(user).count()
        seconds = time.perf_counter() - started
        print(f"{label}: {in_scope:,} cases in scope (an exact COUNT for this report: {seconds:.1f} s)")
        client = Client()
        client.force_login(user)
        # Where a login lands (LOGIN_REDIRECT_URL): the shell reads the user's row and unread badge there, as it
        # does for every user before their first list; the list's own count and drop-downs are still cold.
        get(client, "/")
        for kind, deep_kind, url, api in (("page1", "pagedeep", LIST_URL, False), ("api1", "apideep", API_URL, True)):
            first = probes[(key, kind)] = Probe(client, url, api=api)
            line = f"  {dict(KINDS)[kind]}: {first.seconds * 1000:,.0f} ms"
            if first.seconds > args.slow:
                print(f"{line}; slower than --slow {args.slow:g} s: no deep page, not driven under load", flush=True)
                continue
            deep, how = deep_url(client, first, args.depth, args.follow_budget)
            if deep is not None:
                probes[(key, deep_kind)] = Probe(client, deep, api=api)
                how += f": {probes[(key, deep_kind)].seconds * 1000:,.0f} ms"
            print(f"{line}; deep page by {how}", flush=True)
            sizes = ("per_page=10", "per_page=100") if not api else ("page_size=10", "page_size=500")
            for size in sizes:
                probes[(key, f"{kind}?{size}")] = Probe(client, f"{url}?{size}", api=api)
    return probes


def report_queries(args, users: dict, probes: dict) -> tuple[list, list]:
    """The statements of every probe and of the admin's changelists; every COUNT run again for its value."""
    section("Queries per request (test client, CaptureQueriesContext)")
    titles = dict(KINDS)
    entries = []
    for (key, kind), probe in probes.items():
        base, _, size = kind.partition("?")
        title = titles[base] + (f", {size}" if size else "")
        entries.append((f"{dict(USERS)[key]}: {title}", probe.captured))
        if args.show_queries or (key == "province" and kind in ("page1", "apideep")):
            print(f"\n-- {dict(USERS)[key]}: {title} ({probe.url[:90]}): {len(probe.captured)} statements")
            for q in probe.captured:
                print(f"   [{float(q['time']) * 1000:6.1f} ms] {q['sql'][:220]}")
    entries += [(f"admin {role}: {url}", captured) for role, url, captured in admin_changelists(users)]
    rows, count_rows = [], []
    for title, captured in entries:
        counts = counted_rows(captured)
        count_rows += [(title, *c) for c in counts]
        rows.append(
            [
                title,
                str(len(queries(captured))),
                str(len(captured)),
                str(len(counts)),
                f"{max((c[0] for c in counts), default=0):,}",
                f"{max((float(q['time']) for q in captured), default=0) * 1000:,.0f}",
            ]
        )
    print()
    print(
        format_table(
            ["request", "queries", "statements", "COUNTs", "largest COUNT", "slowest ms"],
            rows,
            right={1, 2, 3, 4, 5},
        )
    )
    print(
        "\nqueries = statements sent to the database but transaction control (an EXPLAIN or DECLARE … CURSOR counts);"
        "\nstatements = all, BEGIN/COMMIT/SAVEPOINT included."
        "\nlargest COUNT = the value the request's COUNT statements return when run again (a capped count stops"
        f" at {COUNT_LIMIT + 1:,})."
    )
    over = [c for c in count_rows if c[1] > COUNT_LIMIT + 1]
    section(f"COUNT statements over {COUNT_LIMIT:,} rows")
    for where, value, ms, sql in over:
        print(f"- {where}: COUNT = {value:,} ({ms:.0f} ms): {sql[:300]}")
    if not over:
        print("- none")
    return over, rows


def drive(args, users: dict, probes: dict, tmpdir: Path) -> tuple[dict, Result]:
    """Every probed first and deep page not slower than ``--slow``, and the empty view, under load."""
    server = (
        f"{args.workers} gunicorn workers × {args.threads} threads"
        if args.threads > 1
        else (f"{args.workers} gunicorn sync workers")
    )
    section(f"Under load: {args.connections} concurrent connections, {server}")
    print(f"load average {load_average()}; {args.rounds} round(s) of {args.seconds:g} s per URL, interleaved")
    results: dict[tuple[str, str], Result] = {}
    empty = Result(f"empty view {EMPTY_URL}")
    cookies = {key: session_cookies(users[key], args.connections) for key, _label in USERS}
    with gunicorn("case_lists:wsgi_app()", workers=args.workers, threads=args.threads, tmpdir=tmpdir) as port:
        # A server just started serves its first seconds at about half speed, whatever the URL (the first URL driven
        # measured 6 % of the empty view where the same URL driven later measured 10 %): one unmeasured round first.
        warmup = max(1.0, args.seconds / 4)
        for key, _label in USERS:
            for kind, _title in KINDS:
                probe = probes.get((key, kind))
                if probe is not None and probe.seconds <= args.slow:
                    Segment(port, probe.url, cookies[key], api=probe.api).run(warmup)
            Segment(port, EMPTY_URL, cookies[key], api=False).run(warmup / len(USERS))
        print(f"warm-up round done ({warmup:g} s per URL, not measured), load average {load_average()}", flush=True)
        for round_number in range(1, args.rounds + 1):
            for key, label in USERS:
                for kind, title in KINDS:
                    probe = probes.get((key, kind))
                    if probe is None or probe.seconds > args.slow:
                        continue
                    segment = Segment(port, probe.url, cookies[key], api=probe.api)
                    segment.run(args.seconds)
                    results.setdefault((key, kind), Result(f"{label}: {title}")).add(segment)
                segment = Segment(port, EMPTY_URL, cookies[key], api=False)
                segment.run(args.seconds / len(USERS))
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
                f"{result.throughput / empty.throughput:.0%}" if empty.throughput else "-",
                f"{result.p50 / empty.p50:.1f}" if empty.latencies else "-",
                str(result.count),
                str(len(result.errors)),
                f"{result.client_cpu * 1000 / result.count:.2f}" if result.count else "-",
            ]
        )
    print(
        format_table(
            [
                "scenario",
                "p50 ms",
                "p95 ms",
                "req/s",
                "of empty req/s",
                "p50 / empty p50",
                "requests",
                "errors",
                "client CPU ms/req",
            ],
            rows,
            right={1, 2, 3, 4, 5, 6, 7, 8},
        )
    )
    errors = [e for r in [*results.values(), empty] for e in r.errors]
    if errors:
        print(f"\nerrors (first 5 of {len(errors)}): {errors[:5]}")
    return results, empty


def report_goals(probes: dict, results: dict, empty: Result, query_rows: list, over: list) -> None:
    section("Goals")
    counts = {row[0]: int(row[1]) for row in query_rows}
    rows = []
    for key, label in USERS:
        for kind, title in KINDS:
            r, probe = results.get((key, kind)), probes.get((key, kind))
            if r is None:
                single = f"one request {probe.seconds * 1000:,.0f} ms, not driven" if probe else "not reached"
                rows.append([f"{label}: {title}", _verdict(False, single), _verdict(False, single)])
                continue
            share = r.throughput / empty.throughput if empty.throughput else 0
            rows.append(
                [
                    r.label,
                    _verdict(r.p95 <= GOAL_P95_MS, f"{r.p95:,.0f} ms"),
                    _verdict(share >= GOAL_THROUGHPUT, f"{share:.0%}"),
                ]
            )
        ratios = {
            what: results[(key, deep)].p50 / results[(key, first)].p50
            for what, first, deep in (("list", "page1", "pagedeep"), ("API", "api1", "apideep"))
            if (key, first) in results and (key, deep) in results
        }
        for what, prefix in (("list page", "list page"), ("API", "API")):
            counted = [n for title, n in counts.items() if title.startswith(f"{label}: {prefix}")]
            ratio = ratios.get("list" if what == "list page" else "API")
            rows.append(
                [
                    f"{label}: {what}, queries (first, deep, all page sizes) / deep vs first p50",
                    _verdict(max(counted) <= GOAL_QUERIES, f"{min(counted)}–{max(counted)} queries"),
                    _verdict(ratio <= GOAL_DEEP_RATIO, f"{ratio:.2f}×") if ratio is not None else "not measured",
                ]
            )
    print(
        format_table(
            ["scenario", f"p95 ≤ {GOAL_P95_MS} ms; ≤ {GOAL_QUERIES} queries", "≥ 10 % of empty req/s; deep ≤ 2× first"],
            rows,
        )
    )
    print(
        f"\nno exact COUNT over {COUNT_LIMIT:,} rows in any request (admin included): "
        + ("met" if not over else f"NOT met ({len(over)} statements, see above)")
    )


def _verdict(ok: bool, text: str) -> str:
    return f"{'met' if ok else 'NOT met'} ({text})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    national_data_arguments(
        parser,
        quick="20k enterprises, 200k cases, short segments: ~1 min",
        reuse_note="for measuring again at full scale without waiting for the data (its cases must be encrypted "
        "with $FIELD_ENCRYPTION_KEY, or the development key if unset)",
    )
    parser.add_argument("--seconds", type=float, default=None, help="per URL and round (default 8; --quick 2)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 2; --quick 1)")
    parser.add_argument("--depth", type=int, default=None, help="pages to the deep page (default 200; --quick 50)")
    parser.add_argument(
        "--slow", type=float, default=5, help="a first page slower than this (s) is measured once only (default 5)"
    )
    parser.add_argument(
        "--follow-budget", type=float, default=300, help="seconds spent following next links per list (default 300)"
    )
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--cache-url",
        default=None,
        help="CACHE_URL for the portal (default: a throwaway redis-server when installed, as production has; "
        "'none' for the per-process cache)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=min((os.cpu_count() or 1) * 2 + 1, 9),
        help="gunicorn worker processes (default: as deployed, docker/gunicorn.conf.py: 2 × cores + 1, at most 9)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (default 1, as deployed: gunicorn's sync worker; more: its threaded worker)",
    )
    parser.add_argument("--show-queries", action="store_true", help="list the SQL of every request measured")
    args = parser.parse_args(argv)
    if args.quick:
        args.enterprises, args.cases = min(args.enterprises, 20_000), min(args.cases, 200_000)
    if args.region is None:
        args.region = PROVINCE if args.quick else ""  # a quick run's 20,000 enterprises all in 浙江省
    args.seconds = args.seconds or (2 if args.quick else 8)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.depth = args.depth or (50 if args.quick else 200)

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
