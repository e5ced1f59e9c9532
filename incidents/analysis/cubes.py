"""Building and refreshing the summary tables (``models``).

Every figure of the statistics service comes from here, so this is where a figure is defined: a case counts in
the month of its accident (local time), under its enterprise's region, industry division and key and dust flags as
they are now (the flags by the rules in force where the enterprise is registered). The work-injury tables read the
province, city, county and industry each case carries, which follow its enterprise (``TieredRecord``).

A table is a ``Family``: its source table, time and extra dimensions, measures, and the tiers down to which it
holds industry rows (``division_tiers``) and all-industries rows (``all_tiers``). The grain is chosen by size: at
10 M cases, county × division × month already makes 3.3 M groups, so the work-injury table holds divisions down
to the city and all industries down to the county; accident types and posts are kept for the country (with
divisions) and the provinces. ``stats`` sums the source rows for a finer question.

- ``refresh_months(months)``: after an import, only the months it touched are rebuilt, in one transaction: the
  cases of those months read once, each table's tiers summed from them, and only the rows that differ written.
- ``apply_case_deltas``: an edit of a few cases adds its difference to the rows it touches.
- ``rebuild()``: the nightly job: the region ancestry, then every table whole, into stage tables that replace the
  tables when all are built. The work is cut into jobs (the work-injury cases a year at a time, the insurance
  snapshots a quarter at a time), which run on two connections on PostgreSQL.

Aggregation runs in the database (``INSERT … SELECT … GROUP BY``): one pass over the source rows groups them by
the finest tier the table needs, every tier is then summed from that; never a row in Python.
"""

from __future__ import annotations

import datetime
import re
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import DatabaseError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from enterprises.models import EnterpriseStatus, tiered_models
from incidents.models import SHORT_EXPOSURE_YEARS
from portal import bulk, counts
from portal.parallel import run_on_connections
from portal.reference.models import SCOPE_TIERS, Industry, Region, industry_flag_q

from .models import (
    AccidentCube,
    CauseCube,
    CubeState,
    DiseaseCube,
    EnterpriseCube,
    InjuryCube,
    InsuranceCube,
    PostCube,
    RegionAncestry,
)

MAX_TIER = 4  # town, street or zone (anything deeper counts under its depth-3 ancestor)
FLAGS = ("key", "dust")


def tier_of(region: Region | None) -> int:
    return 0 if region is None else min(region.depth + 1, MAX_TIER)


# --- region ancestry ----------------------------------------------------------------------------------------------


def ancestry_rows(regions: Iterable[Region], ids_by_path: dict[str, int]) -> list[dict]:
    rows = []
    for region in regions:
        parts = [p for p in region.path.split("/") if p]
        for tier in range(1, min(len(parts), MAX_TIER) + 1):
            ancestor = ids_by_path.get("/" + "/".join(parts[:tier]) + "/")
            parent = ids_by_path.get("/" + "/".join(parts[: tier - 1]) + "/") if tier > 1 else None
            if ancestor is not None:
                rows.append({"region_id": region.pk, "tier": tier, "ancestor_id": ancestor, "parent_id": parent})
    return rows


def rebuild_ancestry() -> int:
    regions = list(Region.objects.only("id", "path"))
    ids_by_path = {r.path: r.pk for r in regions}
    rows = ancestry_rows(regions, ids_by_path)
    with transaction.atomic():
        RegionAncestry.objects.all().delete()
        bulk.insert(RegionAncestry, rows)
    return len(rows)


def update_ancestry(region: Region) -> None:
    """A region was added or moved: its rows and its descendants' (a move changes their ancestors too)."""
    affected = list(Region.objects.subtree(region).only("id", "path"))
    paths = {p for r in affected for p in r.ancestor_paths(include_self=True)}
    ids_by_path = dict(Region.objects.filter(path__in=paths).values_list("path", "id"))
    with transaction.atomic():
        RegionAncestry.objects.filter(region__in=[r.pk for r in affected]).delete()
        bulk.insert(RegionAncestry, ancestry_rows(affected, ids_by_path))


# Each region's ancestors at tiers 1–4 as columns (t1 province … t4 town; a county has no t4).
TIERS_SQL = (
    "SELECT region_id, "  # noqa: S608 - no input in it
    + ", ".join(f"MAX(CASE WHEN tier = {t} THEN ancestor_id END) AS t{t}" for t in range(1, MAX_TIER + 1))
    + " FROM analysis_regionancestry GROUP BY region_id"
)


def _divisions_sql() -> str:
    """The division of every industry code (an enterprise's industry is a class): the division whose path is the
    first two steps of the code's (``/C/13/131/1311/`` → ``/C/13/``), an equality PostgreSQL hash-joins; SQLite has
    no ``split_part`` and matches the prefix."""
    if connection.vendor == "postgresql":
        division = "'/' || split_part(i.path, '/', 2) || '/' || split_part(i.path, '/', 3) || '/'"
        return (
            "SELECT i.id AS industry_id, d.id AS division_id FROM reference_industry i "  # noqa: S608
            f"JOIN reference_industry d ON d.level = 'division' AND d.path = {division}"
        )
    return (
        "SELECT i.id AS industry_id, d.id AS division_id FROM reference_industry i "
        "JOIN reference_industry d ON d.level = 'division' AND i.path LIKE d.path || '%%'"
    )


# --- key and dust flags ---------------------------------------------------------------------------------------------


def flag_scopes(kind: str) -> list[tuple[str | None, list[int]]]:
    """Where the rules of ``kind`` differ: ``(path of a region with rules of its own, ids of the industries
    flagged there)``, deepest first, and last ``(None, the industries the national rules flag)``. An enterprise's
    flag is decided by the first scope its region lies in (``Enterprise.is_flagged``)."""
    ruled = Region.objects.filter(industry_flags__kind=kind).distinct().only("id", "path", "depth")
    scopes: list[tuple[str | None, list[int]]] = []
    for region in sorted(ruled, key=lambda r: (-r.depth, r.path)):
        ids = Industry.objects.filter(industry_flag_q(kind, region, "code")).values_list("pk", flat=True)
        scopes.append((region.path, sorted(ids)))
    national = Industry.objects.filter(industry_flag_q(kind, None, "code")).values_list("pk", flat=True)
    scopes.append((None, sorted(national)))
    return scopes


def _flag_sql(scopes, industry: str = "e.industry_id", path: str = "r.path", within: dict | None = None) -> str:
    """A boolean SQL expression: the flag of the enterprise whose industry and region path are these columns.
    ``within``: for each regional scope's path, SQL testing that the row lies in it (instead of ``path``)."""

    def member(ids):
        return f"{industry} IN ({', '.join(str(int(i)) for i in ids)})" if ids else "1 = 0"

    if len(scopes) == 1:
        return f"CASE WHEN {member(scopes[0][1])} THEN TRUE ELSE FALSE END"
    whens = []
    for scope_path, ids in scopes[:-1]:
        if not re.fullmatch(r"[/\w.-]+", scope_path):
            raise ValueError(f"unexpected region path {scope_path!r}")
        test = within[scope_path] if within is not None else f"{path} LIKE '{scope_path}%%'"
        whens.append(f"WHEN {test} THEN (CASE WHEN {member(ids)} THEN TRUE ELSE FALSE END)")
    return f"CASE {' '.join(whens)} ELSE (CASE WHEN {member(scopes[-1][1])} THEN TRUE ELSE FALSE END) END"


def _tier_tests(scopes: dict) -> dict[str, str] | None:
    """For each regional scope, SQL testing that a row carrying its tiers (``c.province_id`` …) lies in it: the
    tier at the scope's depth is the scope. None if a scope lies deeper than a county (the rows' enterprises'
    region paths are needed then)."""
    paths = {scope_path for kind in scopes.values() for scope_path, _ids in kind if scope_path}
    tests = {}
    for scope_path, pk, depth in Region.objects.filter(path__in=paths).values_list("path", "id", "depth"):
        if depth >= len(SCOPE_TIERS):
            return None
        tests[scope_path] = f"c.{SCOPE_TIERS[depth]}_id = {int(pk)}"
    return tests


def flag_q(kind: str, prefix: str = "enterprise__") -> Q:
    """The rows (through ``prefix`` to their enterprise) whose enterprise is flagged ``kind`` where it is
    registered: the same rule as the summary tables apply."""
    scopes = flag_scopes(kind)
    q = Q(**{f"{prefix}industry__in": scopes[-1][1]})
    for scope_path, ids in reversed(scopes[:-1]):  # shallowest first: a deeper scope decides for its subtree
        under = Q(**{f"{prefix}region__path__startswith": scope_path})
        q = (under & Q(**{f"{prefix}industry__in": ids})) | (~under & q)
    return q


# --- the tables -----------------------------------------------------------------------------------------------------


def _month_sql(column: str) -> tuple[str, list]:
    sql, params = connection.ops.datetime_trunc_sql("month", column, (), timezone.get_current_timezone_name())
    if connection.vendor == "sqlite":
        return f"DATE({sql})", list(params)
    return f"CAST({sql} AS date)", list(params)


def _date_month_sql(column: str) -> tuple[str, list]:
    """The first of the month of a DATE column (no time zone involved)."""
    sql, params = connection.ops.date_trunc_sql("month", column, ())
    if connection.vendor == "sqlite":
        return f"DATE({sql})", list(params)
    return f"CAST({sql} AS date)", list(params)


CASE_MEASURES = (
    ("cases", "COUNT(*)"),
    ("minor", "SUM(CASE WHEN c.severity = 'minor' THEN 1 ELSE 0 END)"),
    ("serious", "SUM(CASE WHEN c.severity = 'serious' THEN 1 ELSE 0 END)"),
    ("deaths", "SUM(CASE WHEN c.severity = 'fatal' THEN 1 ELSE 0 END)"),
    ("lost_workdays", "SUM(c.lost_workdays)"),
    ("fund_payout", "SUM(c.fund_payout)"),
)


_INTEGER_FIELDS = ("IntegerField", "PositiveIntegerField", "SmallIntegerField", "PositiveSmallIntegerField")


@dataclass(frozen=True)
class Family:
    """A summary table: rows of tiers 0…``division_tiers`` per industry division and of tiers 0…``all_tiers`` for
    all industries, each split by the flags, per ``time`` (month of ``column``, or the snapshot's quarter) and
    ``dims`` (cube column → SQL over the source row ``c``), summing ``measures``."""

    model: type
    state: str
    source: str = "incidents_injurycase"
    column: str | None = "occurred_at"  # None: no month (a column of its own, or no time at all)
    dates: bool = False  # ``column`` is a DATE (no time zone)
    time: tuple = ()  # time columns other than a month: (cube column, SQL)
    dims: tuple = ()
    measures: tuple = CASE_MEASURES
    division_tiers: int = MAX_TIER
    all_tiers: int = MAX_TIER
    where: str = ""  # a condition every source row meets (besides the refresh's)
    where_params: tuple = ()

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def depth(self) -> int:
        return max(self.division_tiers, self.all_tiers)

    def time_columns(self) -> list[tuple[str, str, list]]:
        if self.column is None:
            return [(name, sql, []) for name, sql in self.time]
        sql, params = (_date_month_sql if self.dates else _month_sql)(f"c.{self.column}")
        return [("month", sql, params)]

    def has(self, tier: int, *, industries: bool) -> bool:
        """Whether the table holds rows of ``tier`` for each division (``industries``) or for all industries."""
        return tier <= (self.division_tiers if industries else self.all_tiers)

    @property
    def keys(self) -> list[str]:
        return [name for name, _sql, _p in self.time_columns()] + [name for name, _sql in self.dims]

    def base_sql(
        self,
        where: str,
        params: list,
        scopes: dict,
        *,
        places: str | None = None,
        source: str | None = None,
        joined: bool = False,
    ) -> tuple[str, list]:
        """The source rows meeting ``where`` summed by the finest tiers this table holds, division, flags, time and
        dimensions. ``places``: a table of the enterprises' places made already (else worked out here);
        ``source``: a table holding the source rows wanted (the columns the sums read); ``joined``: ``source``
        holds each row's place and month already (``joined_rows_sql``)."""
        time = [("month", "c.month", [])] if joined and self.column else self.time_columns()
        conditions = " AND ".join(f"({c})" for c in (self.where, where) if c) or "1 = 1"
        place = "c" if joined else "x"
        columns = [
            *(f"{place}.t{t}" for t in range(1, self.depth + 1)),
            f"{place}.division",
            f"{place}.key",
            f"{place}.dust",
            *(f"{sql} AS {name}" for name, sql, _p in time),
            *(f"{sql} AS {name}" for name, sql in self.dims),
        ]
        on = "c.id" if self.source == "enterprises_enterprise" else "c.enterprise_id"
        rows = (
            f"{source} c"
            if joined
            else f"{source or self.source} c JOIN {places or f'({places_sql(scopes)})'} x ON x.id = {on}"
        )
        sql = (
            f"SELECT {', '.join(columns)}, {', '.join(f'{self.summed(m, a)} AS {m}' for m, a in self.measures)} "  # noqa: S608
            f"FROM {rows} WHERE {conditions} GROUP BY {', '.join(str(i) for i in range(1, len(columns) + 1))}"
        )
        time_params = [p for _name, _sql, ps in time for p in ps]
        return sql, [*time_params, *self.where_params, *params]

    def joined_rows_sql(
        self,
        families: tuple,
        where: str,
        params: list,
        places: str | None,
        months: list[datetime.date] | None = None,
        scopes: dict | None = None,
    ) -> tuple[str, list]:
        """``SELECT`` of this table's source rows meeting ``where`` with each row's place (tiers, division, flags)
        and its month, and the columns ``families`` (of this source) read: one join shared by their
        ``base_sql(joined=True)``.

        The places come from the table ``places`` (``places_sql``), or, ``places`` None, from the source rows
        themselves: a source that carries its enterprise's province, city, county and industry (``TieredRecord``,
        kept current as enterprises move), for tables that want no finer tier (the work-injury tables). Each row's
        division and flags (by ``scopes``) are then worked out from its own industry and tiers, with no join to the
        million enterprises (it took a month's refresh 0.3–0.4 s to hash them).
        ``months``: the whole months (first days) ``where`` keeps the rows within; PostgreSQL then finds each
        row's month among their starts (``width_bucket``) instead of converting every time to local time (a fifth
        of the join's time)."""
        read = " ".join(
            [self.where, *(a for f in families for _m, a in f.measures), *(d for f in families for _n, d in f.dims)]
        )
        columns = sorted(set(re.findall(r"\bc\.(\w+)", read)))
        depth = max(f.depth for f in families)
        if months and connection.vendor == "postgresql" and not self.dates:
            month = f"(CAST(%s AS date[]))[width_bucket(c.{self.column}, CAST(%s AS timestamptz[]))]"
            month_params = [list(months), [month_bounds(m)[0] for m in months]]
        else:
            (_name, month, month_params), *_rest = self.time_columns()
        if places is not None:
            tiers = [f"x.t{number}" for number in range(1, depth + 1)]
            place = "x.division, x.key, x.dust"
            rows = f"{self.source} c JOIN {places} x ON x.id = c.enterprise_id WHERE {where or '1 = 1'}"
        elif not self.carries_tiers(depth):
            raise ValueError(f"{self.source} does not carry its tiers: a table of places is needed")
        else:
            tiers = [f"c.{tier}_id AS t{number}" for number, tier in enumerate(SCOPE_TIERS[:depth], start=1)]
            within = _tier_tests(scopes)
            key_sql, dust_sql = (_flag_sql(scopes[k], industry="c.industry_id", within=within) for k in FLAGS)
            rows = f"{self.source} c JOIN ({_divisions_sql()}) x ON x.industry_id = c.industry_id"
            if within is None:  # a scope deeper than a county: the enterprises' region paths
                rows += (
                    " JOIN enterprises_enterprise e ON e.id = c.enterprise_id "
                    "JOIN reference_region r ON r.id = e.region_id"
                )
            rows += f" WHERE {where or '1 = 1'}"
            place = f"x.division_id AS division, {key_sql} AS key, {dust_sql} AS dust"
        sql = (
            f"SELECT {', '.join(tiers)}, {place}, "  # noqa: S608
            f"{month} AS month, {', '.join(f'c.{n}' for n in columns)} FROM {rows}"
        )
        return sql, [*month_params, *params]

    def carries_tiers(self, depth: int) -> bool:
        """Whether this table's source rows carry their enterprise's industry and tiers down to ``depth``."""
        return depth <= len(SCOPE_TIERS) and self.source in {m._meta.db_table for m in tiered_models()}

    def tiers_sql(self, base: str, into: str | None = None) -> str:
        """``INSERT … SELECT``: every tier's rows summed from ``base`` (a table or a ``WITH`` name with the columns
        of ``base_sql``), into this table or the table ``into`` (with the same columns). Each tier is summed from
        the one below it (its rows are far fewer than the base's), per division and for all industries: the
        finest from ``base``; a tier's rows whose region is unknown count in the tiers above, but are not
        written. (One pass with ``GROUPING SETS`` summed every tier from the base and took ~35 % longer.)"""
        keys, measures = self.keys, [m for m, _a in self.measures]
        target = ", ".join(self.columns)
        wanted = [
            (tier, industries)
            for tier in range(self.depth + 1)
            for industries in (True, False)
            if self.has(tier, industries=industries)
        ]
        none = "CAST(NULL AS bigint)"  # typed: a bare NULL in a UNION's first branch would be text
        sums = ", ".join(f"{self.summed(m, f'SUM({m})')} AS {m}" for m in measures)
        levels, branches = [], []
        for industries in (True, False):
            source = base
            for tier in reversed([t for t, i in wanted if i == industries]):
                name = f"{'division' if industries else 'all'}_{tier}"
                group = [*(f"t{t}" for t in range(1, tier + 1)), *(["division"] if industries else []), "key", "dust"]
                group = ", ".join([*group, *keys])
                levels.append(f"{name} AS (SELECT {group}, {sums} FROM {source} GROUP BY {group})")  # noqa: S608
                region = f"t{tier}" if tier else none
                parent = f"t{tier - 1}" if tier > 1 else none
                branches.append(
                    f"SELECT {tier}, {region}, {parent}, {'division' if industries else none}, key, dust, "  # noqa: S608
                    f"{', '.join([*keys, *measures])} FROM {name}{f' WHERE t{tier} IS NOT NULL' if tier else ''}"
                )
                source = name
        return (
            f"INSERT INTO {into or self.table} ({target}) "  # noqa: S608
            f"WITH {', '.join(levels)} {' UNION ALL '.join(branches)}"
        )

    def build_sql(
        self,
        where: str,
        params: list,
        scopes: dict,
        *,
        places: str | None = None,
        source: str | None = None,
        joined: bool = False,
        into: str | None = None,
    ) -> tuple[str, list]:
        """The source rows meeting ``where`` grouped once (``base_sql``), then every tier summed from that."""
        base, base_params = self.base_sql(where, params, scopes, places=places, source=source, joined=joined)
        return f"WITH base AS ({base}) {self.tiers_sql('base', into)}", base_params

    def summed(self, measure: str, aggregate: str) -> str:
        """``aggregate`` as the type of the table's column: the sums of an integer column are integers at every tier
        (each tier's rows are written, so none can exceed the column). PostgreSQL sums a bigint (what ``COUNT`` and
        ``SUM`` of integers give) into a 128-bit state allocated per group, an integer into a plain bigint: the
        tiers are summed ~17 % faster."""
        if self.model._meta.get_field(measure).get_internal_type() in _INTEGER_FIELDS:
            return f"CAST({aggregate} AS integer)"
        return aggregate

    @property
    def columns(self) -> list[str]:
        """The table's columns the build writes (all but the id)."""
        return [
            "tier",
            "region_id",
            "parent_id",
            "industry_id",
            "key",
            "dust",
            *self.keys,
            *(m for m, _a in self.measures),
        ]


def places_sql(scopes: dict, enterprises: str | None = None, *, counted: bool = False) -> str:
    """Each enterprise's place in the summary tables: its ancestors at tiers 1–4, its division and its flags (of
    the enterprises selected by the SQL ``enterprises``, or all); ``counted``: with its status and employees, which
    the enterprises' table sums."""
    key_sql, dust_sql = (_flag_sql(scopes[kind]) for kind in FLAGS)
    region_join = "JOIN reference_region r ON r.id = e.region_id" if "r.path" in key_sql + dust_sql else ""
    return (
        "SELECT e.id, t.t1, t.t2, t.t3, t.t4, d.division_id AS division, "  # noqa: S608
        + ("e.status, e.employees, " if counted else "")
        + f"{key_sql} AS key, {dust_sql} AS dust FROM enterprises_enterprise e "
        f"JOIN ({TIERS_SQL}) t ON t.region_id = e.region_id "
        f"JOIN ({_divisions_sql()}) d ON d.industry_id = e.industry_id {region_join}"
        + (f" WHERE e.id IN ({enterprises})" if enterprises else "")
        # OFFSET 0 keeps PostgreSQL from pulling the subquery up: the flags are worked out once per enterprise, not
        # once per case.
        + (" OFFSET 0" if connection.vendor == "postgresql" else "")
    )


INJURY = Family(InjuryCube, "injury", division_tiers=2, all_tiers=3)
CAUSE = Family(
    CauseCube,
    "injury",
    dims=(("accident_type_id", "c.accident_type_id"),),
    measures=CASE_MEASURES[:4],
    division_tiers=0,
    all_tiers=1,
)
POST = Family(PostCube, "injury", dims=(("post", "c.post"),), measures=CASE_MEASURES[:4], division_tiers=0, all_tiers=1)
CASE_FAMILIES = (INJURY, CAUSE, POST)

DISEASE = Family(
    DiseaseCube,
    "disease",
    source="incidents_occupationaldiseasecase",
    column="diagnosed_on",
    dates=True,
    dims=(("disease_id", "c.disease_id"), ("short_exposure", f"(c.exposure_years < {SHORT_EXPOSURE_YEARS})")),
    measures=(("cases", "COUNT(*)"),),
    division_tiers=2,
)
ACCIDENT = Family(
    AccidentCube,
    "accident",
    source="incidents_safetyaccident",
    measures=(
        ("accidents", "COUNT(*)"),
        ("deaths", "SUM(c.deaths)"),
        ("serious_injuries", "SUM(c.serious_injuries)"),
        ("direct_loss", "SUM(c.direct_loss)"),
    ),
    division_tiers=2,
)
INSURANCE = Family(
    InsuranceCube,
    "insurance",
    source="enterprises_insurancesnapshot",
    column=None,
    time=(("year", "c.year"), ("quarter", "c.quarter")),
    measures=(
        ("enterprises", "COUNT(*)"),
        ("insured", "SUM(c.insured_employees)"),
        ("premium_paid", "SUM(c.premium_paid)"),
        ("fund_payout", "SUM(c.fund_payout)"),
    ),
    division_tiers=2,
)
ENTERPRISE = Family(
    EnterpriseCube,
    "enterprise",
    source="enterprises_enterprise",
    column=None,
    where="c.status = %s",
    where_params=(EnterpriseStatus.OPERATING,),
    measures=(("enterprises", "COUNT(*)"), ("employees", "SUM(COALESCE(c.employees, 0))")),
    division_tiers=3,
)
FAMILIES = (*CASE_FAMILIES, DISEASE, ACCIDENT, INSURANCE, ENTERPRISE)


def family_of(model) -> Family:
    return next(f for f in FAMILIES if f.model is model)


def _all_scopes() -> dict:
    return {kind: flag_scopes(kind) for kind in FLAGS}


# --- refreshing months ----------------------------------------------------------------------------------------------


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime(month.year, month.month, 1))  # noqa: DTZ001 - made aware here
    following = add_month(month)
    end = timezone.make_aware(datetime.datetime(following.year, following.month, 1))  # noqa: DTZ001
    return start, end


def add_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


REBUILD_LOCK = zlib.crc32(b"analysis_rebuild_places")


def _lock(name: str) -> None:
    """Serialise refreshes of one table (two concurrent refreshes of a month would both insert it), and wait for a
    rebuild in progress: it replaces the tables with ones built from what it read, so a refresh committed in the
    meantime would be lost."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [REBUILD_LOCK])
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])


def _month_filter(family: Family, months: list[datetime.date]) -> tuple[str, list]:
    """The source rows of ``months``: one indexable range from the first to the end of the last (several OR-ed
    ranges make PostgreSQL scan the whole table), narrowed to those months when they are not contiguous."""
    column = f"c.{family.column}"
    if family.dates:
        bounds = [months[0], add_month(months[-1])]
    else:  # SQLite compares the UTC text
        bounds = [
            connection.ops.adapt_datetimefield_value(b)
            for b in (month_bounds(months[0])[0], month_bounds(months[-1])[1])
        ]
    where, params = f"{column} >= %s AND {column} < %s", bounds
    if len(months) != (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1:
        month_sql, month_params = (_date_month_sql if family.dates else _month_sql)(column)
        where += f" AND {month_sql} IN ({', '.join(['%s'] * len(months))})"
        params = [*params, *month_params, *months]
    return where, params


def _refresh_monthly(families: tuple, months: Iterable[datetime.date]) -> list:
    """Rebuild the rows of ``months`` (first days) of tables built from one source table, in one transaction. The
    source rows of those months are joined to their places once, into a temporary table, for all the tables (as
    the nightly rebuild does a year at a time); each table's rows are summed from it and only those that differ
    are written (``_write_months``)."""
    months = sorted({datetime.date(m.year, m.month, 1) for m in months})
    if not months:
        return months
    scopes = _all_scopes()
    first = families[0]
    where, params = _month_filter(first, months)
    span = [months[0]]  # every month from the first to the last: the rows lie within them
    while span[-1] < months[-1]:
        span.append(add_month(span[-1]))
    with transaction.atomic():
        _lock(first.state)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # a busy month's groups are hashed in memory, not sorted on disk
                cursor.execute(f"SET LOCAL work_mem = '{REFRESH_WORK_MEM}'")
                # Matching a month's summed rows to the table's: PostgreSQL prices hashing the expressions of the
                # keys (COALESCE) far above sorting both sides, which takes three times as long.
                cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute("DROP TABLE IF EXISTS analysis_month_rows")
            if first.carries_tiers(max(f.depth for f in families)):
                select, select_params = first.joined_rows_sql(families, where, params, None, span, scopes)
            else:  # the places of the enterprises with rows in those months
                cursor.execute("DROP TABLE IF EXISTS analysis_places")
                enterprises = f"SELECT c.enterprise_id FROM {first.source} c WHERE {where}"  # noqa: S608
                cursor.execute(f"CREATE TEMPORARY TABLE analysis_places AS {places_sql(scopes, enterprises)}", params)
                cursor.execute("ANALYZE analysis_places")  # the planner knows nothing of a new table
                select, select_params = first.joined_rows_sql(families, where, params, "analysis_places", span)
            cursor.execute(f"CREATE TEMPORARY TABLE analysis_month_rows AS {select}", select_params)
            for family in families:
                _write_months(cursor, family, months, scopes)
            cursor.execute("DROP TABLE IF EXISTS analysis_places")
            cursor.execute("DROP TABLE analysis_month_rows")
        _touch(first.state, rebuilt=False)
    return months


def _write_months(cursor, family: Family, months: list[datetime.date], scopes: dict) -> None:
    """Make ``family``'s rows of ``months`` the rows summed from ``analysis_month_rows``, writing only those that
    differ. The rows are summed into a temporary table; then the table's rows whose figures changed are updated
    (in place: no indexed column changes, and the tables leave room on each page, ``CUBE_FILLFACTOR``), those
    whose group has no case left deleted, and the groups the table lacks inserted. After an import of one county's
    cases a few hundred of a month's 30,000 work-injury rows change; deleting and inserting them all took half the
    refresh (each row enters four indexes) and left as many dead rows behind."""
    fresh = "analysis_month_sums"
    columns = ", ".join(family.columns)
    cursor.execute(f"DROP TABLE IF EXISTS {fresh}")
    cursor.execute(f"CREATE TEMPORARY TABLE {fresh} AS SELECT {columns} FROM {family.table} WHERE 1 = 0")  # noqa: S608
    cursor.execute(*family.build_sql("", [], scopes, source="analysis_month_rows", joined=True, into=fresh))
    values = ["parent_id", *(m for m, _a in family.measures)]  # the group's figures (and its region's parent)
    group = " AND ".join(_same_sql(family, column) for column in family.columns if column not in values)
    of_months = f"t.month IN ({', '.join(['%s'] * len(months))})"
    changed = " OR ".join(f"t.{column} <> n.{column}" for column in values if column != "parent_id")
    cursor.execute(
        f"UPDATE {family.table} AS t SET {', '.join(f'{v} = n.{v}' for v in values)} FROM {fresh} n "  # noqa: S608
        f"WHERE {of_months} AND {group} AND ({changed} OR {_same_sql(family, 'parent_id', negated=True)})",
        months,
    )
    cursor.execute(
        f"DELETE FROM {family.table} AS t WHERE {of_months} "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {fresh} n WHERE {group})",
        months,
    )
    cursor.execute(
        f"INSERT INTO {family.table} ({columns}) SELECT {columns} FROM {fresh} n "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT 1 FROM {family.table} t WHERE {of_months} AND {group})",
        months,
    )
    cursor.execute(f"DROP TABLE {fresh}")


def _same_sql(family: Family, column: str, *, negated: bool = False) -> str:
    """``t.column`` equals (or, ``negated``, differs from) ``n.column``, NULL equal to NULL (the nullable columns are
    ids: -1 is none of them), in a form PostgreSQL hash-joins (``IS NOT DISTINCT FROM`` it can only test pair by
    pair)."""
    field = next(f for f in family.model._meta.concrete_fields if f.column == column)
    operator = "<>" if negated else "="
    if field.null:
        return f"COALESCE(t.{column}, -1) {operator} COALESCE(n.{column}, -1)"
    return f"t.{column} {operator} n.{column}"


def refresh_accident_months(months: Iterable[datetime.date]) -> None:
    """Rebuild the safety-accident summary rows of these months."""
    _refresh_monthly((ACCIDENT,), months)


def refresh_disease_months(months: Iterable[datetime.date]) -> None:
    """Rebuild the occupational-disease summary rows of these months (by diagnosis date)."""
    _refresh_monthly((DISEASE,), months)


def refresh_months(months: Iterable[datetime.date]) -> int:
    """Rebuild the work-injury summary rows of these months. Returns the number of cases aggregated."""
    done = _refresh_monthly(CASE_FAMILIES, months)
    if not done:
        return 0
    return InjuryCube.objects.filter(tier=0, industry__isnull=True, month__in=done).aggregate(n=Sum("cases"))["n"] or 0


def refresh_quarters(quarters: Iterable[tuple[int, int]]) -> None:
    """Rebuild the insurance summary rows of these (year, quarter) pairs."""
    quarters = sorted(set(quarters))
    if not quarters:
        return
    condition = " OR ".join(["({0}year = %s AND {0}quarter = %s)"] * len(quarters))
    params = [v for pair in quarters for v in pair]
    with transaction.atomic():
        _lock(INSURANCE.state)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {INSURANCE.table} WHERE {condition.format('')}", params)  # noqa: S608
            cursor.execute(*INSURANCE.build_sql(condition.format("c."), params, _all_scopes()))
        _touch(INSURANCE.state, rebuilt=False)


def refresh_enterprises() -> None:
    """Rebuild the enterprise summary (one pass over the enterprises: it has no time dimension)."""
    with transaction.atomic():
        _lock(ENTERPRISE.state)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ENTERPRISE.table}")  # noqa: S608
            cursor.execute(*ENTERPRISE.build_sql("", [], _all_scopes()))
        _touch(ENTERPRISE.state, rebuilt=True)


# --- one case at a time ------------------------------------------------------------------------------------------
#
# An edit of a few cases applies its difference to the rows it touches instead of rebuilding their months (a busy
# month's rebuild reads a hundred thousand cases; an edit touches a dozen rows per table).

MAX_DELTA_CASES = 50  # more cases changed in one transaction: their months are rebuilt instead


def _places(enterprise_ids) -> dict[int, tuple]:
    """``{enterprise: ((t1, t2, t3, t4), division, key, dust)}``: the same places the tables are built with."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    places = places_sql(_all_scopes(), ", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, t1, t2, t3, t4, division, key, dust FROM ({places}) p", ids)  # noqa: S608
        rows = cursor.fetchall()
    return {pk: ((t1, t2, t3, t4), division, bool(key), bool(dust)) for pk, t1, t2, t3, t4, division, key, dust in rows}


def case_deltas(signed_cases) -> list[tuple[int, dict]]:
    """``[(sign, case values)]`` → ``[(sign, what the case adds to the summary tables)]``: the cases' enterprises
    read in one query; a case whose enterprise is gone adds nothing."""
    signed_cases = [(sign, case) for sign, case in signed_cases if case and case.get("enterprise_id")]
    places = _places(case["enterprise_id"] for _sign, case in signed_cases)
    deltas = []
    for sign, case in signed_cases:
        place = places.get(case["enterprise_id"])
        if place is None:
            continue
        tiers, division, key, dust = place
        day = timezone.localdate(case["occurred_at"], timezone.get_default_timezone())
        severity = case["severity"]
        contribution = {
            "tiers": tiers,
            "industry": division,
            "key": key,
            "dust": dust,
            "month": day.replace(day=1).isoformat(),
            "accident_type_id": case["accident_type_id"],
            "post": case["post"],
            "cases": 1,
            "minor": int(severity == "minor"),
            "serious": int(severity == "serious"),
            "deaths": int(severity == "fatal"),
            "lost_workdays": case.get("lost_workdays") or 0,
            "fund_payout": str(case.get("fund_payout") or 0),
        }
        deltas.append((sign, contribution))
    return deltas


def apply_case_deltas(deltas: list[tuple[int, dict]]) -> int:
    """Add (sign +1) or take away (sign -1) cases' contributions to the work-injury summary rows of every tier the
    tables hold, per division and for all industries (rows left without cases are deleted: a rebuild would not have
    them). Returns the summary rows touched."""
    if not deltas:
        return 0
    touched = 0
    with transaction.atomic():
        _lock(INJURY.state)
        with connection.cursor() as cursor:
            for family in CASE_FAMILIES:
                dims = [d for d, _source in family.dims]
                measures = [m for m, _aggregate in family.measures]
                rows: dict[tuple, list] = {}
                for sign, contribution in deltas:
                    values = [
                        sign * Decimal(contribution[m]) if m == "fund_payout" else sign * contribution[m]
                        for m in measures
                    ]
                    for tier, region, parent in _tier_rows(contribution["tiers"]):
                        for industry in (contribution["industry"], None):
                            if not family.has(tier, industries=industry is not None):
                                continue
                            key = (
                                tier,
                                region,
                                industry,
                                contribution["key"],
                                contribution["dust"],
                                contribution["month"],
                                *(contribution[d] for d in dims),
                            )
                            row = rows.setdefault(key, [parent, [0] * len(measures)])
                            row[1] = [a + b for a, b in zip(row[1], values, strict=True)]
                for key, (parent, values) in rows.items():
                    if any(values):
                        touched += _add_to_row(cursor, family.table, dims, measures, list(key), parent, values)
        _touch(INJURY.state, rebuilt=False)
    return touched


def _tier_rows(tiers: tuple) -> list[tuple[int, int | None, int | None]]:
    """``(tier, region, parent)`` of every tier an enterprise with these ancestors (t1 … t4) counts in."""
    rows = [(0, None, None)]
    for tier, region in enumerate(tiers, start=1):
        if region is not None:
            rows.append((tier, region, tiers[tier - 2] if tier > 1 else None))
    return rows


def _add_to_row(cursor, table, dims, measures, key, parent, values) -> int:
    """Add ``values`` to the row of ``key`` (tier, region, industry, key, dust, month, dims…), creating it if
    missing; a row left without cases is deleted. Conditions are written so that the (tier, region, industry,
    month) index serves them (no ``IS NOT DISTINCT FROM``)."""
    names = ["tier", "region_id", "industry_id", "key", "dust", "month", *dims]
    where = " AND ".join(f"{n} IS NULL" if v is None else f"{n} = %s" for n, v in zip(names, key, strict=True))
    params = [v for v in key if v is not None]
    assignments = ", ".join(f"{m} = {m} + %s" for m in measures)
    cursor.execute(f"UPDATE {table} SET {assignments} WHERE {where}", [*values, *params])  # noqa: S608
    if cursor.rowcount:
        if values[0] < 0:
            cursor.execute(f"DELETE FROM {table} WHERE {where} AND cases <= 0", params)  # noqa: S608
        return 1
    if values[0] <= 0:  # nothing to take away from a row the summary does not have (the nightly rebuild will see)
        return 0
    columns = [*names, "parent_id", *measures]
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
        [*key, parent, *values],
    )
    return 1


# --- whole rebuild -------------------------------------------------------------------------------------------------


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


def _stage_name(family: Family) -> str:
    return f"analysis_stage_{family.model._meta.model_name}"


def _create_stage(family: Family) -> str:
    """An empty table like ``family``'s, which the rebuild's jobs fill and which then replaces it. On PostgreSQL it
    has the table's columns, defaults, identity and checks, and gets its indexes once filled; elsewhere only the
    columns the build writes (its rows are copied over)."""
    stage = _stage_name(family)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TABLE {stage} (LIKE {family.table} INCLUDING DEFAULTS INCLUDING IDENTITY "
                f"INCLUDING CONSTRAINTS) WITH (fillfactor = {CUBE_FILLFACTOR})"
            )
        else:
            columns = ", ".join(family.columns)
            cursor.execute(f"CREATE TABLE {stage} AS SELECT {columns} FROM {family.table} WHERE 1 = 0")  # noqa: S608
    return stage


def _rebuild_settings(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute(f"SET LOCAL work_mem = '{REBUILD_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")  # compiling the expressions costs more than it saves here
        # The jobs run on as many connections as there are cores: a parallel worker would take the other job's.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")


def _build_into_stage(family: Family, scopes: dict, places: str, where: str = "", params: tuple = ()) -> None:
    """Sum ``family``'s source rows meeting ``where`` into its stage table. The enterprises' table is summed from
    their places, which hold the columns it reads (no join of the million enterprises to their places)."""
    stage = _stage_name(family)
    with transaction.atomic(), connection.cursor() as cursor:
        _rebuild_settings(cursor)
        if family is ENTERPRISE:
            cursor.execute(*family.build_sql(where, list(params), scopes, source=places, joined=True, into=stage))
        else:
            cursor.execute(*family.build_sql(where, list(params), scopes, places=places, into=stage))


def _build_case_chunk(scopes: dict, year: int) -> None:
    """The work-injury cases of ``year`` (local time) with their places (from their own tiers and industry), into a
    temporary table, then summed into the stage table of each of the three work-injury tables. Every row of a table
    has one month, so tables summed a year at a time equal tables summed in one pass; each year's groups fit in
    memory (summed in one pass, 10 M cases make 4.3 M groups, which spill to disk and are sorted)."""
    rows = "analysis_chunk_rows"
    months = [datetime.date(year, month, 1) for month in range(1, 13)]
    bounds = [
        connection.ops.adapt_datetimefield_value(b) for b in (month_bounds(months[0])[0], month_bounds(months[-1])[1])
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        _rebuild_settings(cursor)
        if connection.vendor == "postgresql":
            _keep_temporary_rows_in_memory(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {rows}")
        select, params = INJURY.joined_rows_sql(
            CASE_FAMILIES, "c.occurred_at >= %s AND c.occurred_at < %s", bounds, None, months, scopes
        )
        cursor.execute(f"CREATE TEMPORARY TABLE {rows} AS {select}", params)
        for family in CASE_FAMILIES:
            cursor.execute(*family.build_sql("", [], scopes, source=rows, joined=True, into=_stage_name(family)))
        cursor.execute(f"DROP TABLE {rows}")


def _keep_temporary_rows_in_memory(cursor) -> None:
    """``temp_buffers`` raised for this transaction, so that the chunk's rows stay in memory. PostgreSQL refuses a
    new value once the session has used a temporary table (a screening's, an earlier chunk's, even dropped since),
    and no catalogue says so: the setting is tried in a savepoint, and the session keeps its own if refused."""
    try:
        with transaction.atomic():
            cursor.execute(f"SET LOCAL temp_buffers = '{REBUILD_WORK_MEM}'")
    except DatabaseError:
        pass


def _case_years() -> list[int]:
    """The years (local time) the work-injury cases span."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(occurred_at), MAX(occurred_at) FROM incidents_injurycase")
        first, last = cursor.fetchone()
    if first is None:
        return []
    first, last = (timezone.localtime(_aware(m)) for m in (first, last))
    return list(range(first.year, last.year + 1))


def _aware(moment) -> datetime.datetime:
    if isinstance(moment, str):  # SQLite
        moment = datetime.datetime.fromisoformat(moment)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def _insurance_quarters() -> list[tuple[int, int]]:
    """The (year, quarter) pairs of the insurance snapshots. PostgreSQL steps through the (year, quarter) index from
    one pair to the next (a ``DISTINCT`` read all 3 M snapshots: 1.5–6 s before the rebuild's jobs could start)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "WITH RECURSIVE q (year, quarter) AS ("
                "(SELECT year, quarter FROM enterprises_insurancesnapshot ORDER BY year, quarter LIMIT 1) "
                "UNION ALL SELECT n.year, n.quarter FROM q, LATERAL (SELECT s.year, s.quarter "
                "FROM enterprises_insurancesnapshot s WHERE (s.year, s.quarter) > (q.year, q.quarter) "
                "ORDER BY s.year, s.quarter LIMIT 1) n) "
                "SELECT year, quarter FROM q"
            )
        else:
            cursor.execute("SELECT DISTINCT year, quarter FROM enterprises_insurancesnapshot ORDER BY year, quarter")
        return [tuple(row) for row in cursor.fetchall()]


def _index_jobs(family: Family) -> list:
    """Jobs giving a filled stage table (PostgreSQL) a unique index of its ids and the model's indexes, under names
    of its own until it replaces the table: one job per index, so that the two connections share the largest
    table's indexes."""
    stage, model = _stage_name(family), family.model
    quote = connection.ops.quote_name
    statements = [f"CREATE UNIQUE INDEX {stage}_pkey ON {stage} (id)"]
    for number, index in enumerate(model._meta.indexes):
        columns = ", ".join(
            quote(model._meta.get_field(name.lstrip("-")).column) + (" DESC" if name.startswith("-") else "")
            for name in index.fields
        )
        statements.append(f"CREATE INDEX {stage}_{number} ON {stage} ({columns})")
    return [partial(_run_statement, statement) for statement in statements]


def _run_statement(statement: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        _rebuild_settings(cursor)
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_WORK_MEM}'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 0")  # the other connection has the other core
        cursor.execute(statement)


def _swap_in(family: Family) -> None:
    """Replace ``family``'s table by its stage table in one short transaction (readers see the old rows until it
    commits). On PostgreSQL the stage table, indexed already, takes the table's name and its indexes' and
    sequence's (the way DHIS2 swaps in its analytics tables); elsewhere its rows are copied over."""
    stage, table = _stage_name(family), family.table
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(f"rebuild:{table}")
        if connection.vendor != "postgresql":
            columns = ", ".join(family.columns)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage}")  # noqa: S608
            cursor.execute(f"DROP TABLE {stage}")
            return
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id'), pg_get_serial_sequence(%s, 'id')", [table, stage])
        sequence, stage_sequence = cursor.fetchone()
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute(f"ALTER TABLE {stage} RENAME TO {table}")
        cursor.execute(f"ALTER SEQUENCE {stage_sequence} RENAME TO {sequence.rpartition('.')[2]}")
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY USING INDEX {stage}_pkey")
        for number, index in enumerate(family.model._meta.indexes):
            cursor.execute(f"ALTER INDEX {stage}_{number} RENAME TO {connection.ops.quote_name(index.name)}")
    counts.touch(table)  # no INSERT into the table itself tells the cached results that read it


# Room left on each page of a summary table (PostgreSQL): a month's refresh updates its changed rows in place
# (heap-only tuples, no index entry written), which needs free space on their page. A page holds rows of about a
# year's months (the rebuild writes a year at a time), so a month's rows take a twelfth of it.
CUBE_FILLFACTOR = 85
REBUILD_WORK_MEM = "512MB"  # per sort or hash of the nightly rebuild (one at a time per connection)
REFRESH_WORK_MEM = "64MB"  # per sort or hash of a month's refresh (100,000 cases make 30,000 groups: ~30 MB)
REBUILD_CONNECTIONS = 2  # the rebuild's jobs run on this many connections at once (PostgreSQL)


def _run_jobs(jobs: list) -> None:
    """``jobs`` on ``REBUILD_CONNECTIONS`` connections (``portal.parallel.run_on_connections``)."""
    run_on_connections(jobs, REBUILD_CONNECTIONS)


def rebuild() -> dict:
    """Rebuild everything (the nightly job; also after reference data or flag rules change).

    Jobs fill a stage table per summary table, on two connections on PostgreSQL: the first works out every
    enterprise's place (the region ancestry, then a table of places) while the others sum the work-injury cases a
    year at a time (the cases carry their own tiers and industry); the insurance snapshots (a quarter at a time) and
    the other tables, which read the places, follow. Then each table is swapped in from its stage table in one short
    transaction."""
    started = timezone.now()
    places = "analysis_rebuild_places"
    postgresql = connection.vendor == "postgresql"
    lock = REBUILD_LOCK
    if postgresql:  # one rebuild at a time (the nightly job, one queued by a changed flag rule, an operator's)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
    try:
        scopes = _all_scopes()
        made = threading.Event()
        failed: list[bool] = []

        def make_places():
            """Every enterprise's place (tiers, division, flags) worked out once, in a table the jobs after it
            read on their own connections."""
            try:
                rebuild_ancestry()
                with transaction.atomic(), connection.cursor() as cursor:
                    _rebuild_settings(cursor)
                    cursor.execute(f"DROP TABLE IF EXISTS {places}")
                    unlogged = "UNLOGGED " if postgresql else ""
                    cursor.execute(f"CREATE {unlogged}TABLE {places} AS {places_sql(scopes, counted=True)}", [])
                    cursor.execute(f"ANALYZE {places}")
            except BaseException:
                failed.append(True)
                raise
            finally:
                made.set()

        def with_places(job):
            def run():
                made.wait()
                if failed:  # the error is raised by the job that made them
                    return
                job()

            return run

        for family in FAMILIES:
            _create_stage(family)
        jobs = [make_places, *(partial(_build_case_chunk, scopes, year) for year in reversed(_case_years()))]
        jobs += [
            with_places(partial(_build_into_stage, INSURANCE, scopes, places, "c.year = %s AND c.quarter = %s", q))
            for q in _insurance_quarters()
        ]
        jobs += [with_places(partial(_build_into_stage, f, scopes, places)) for f in (ACCIDENT, ENTERPRISE, DISEASE)]
        _run_jobs(jobs)
        if postgresql:  # the largest tables first; then their planner statistics
            largest = (INJURY, INSURANCE, ACCIDENT, POST, DISEASE, CAUSE, ENTERPRISE)
            _run_jobs([job for family in largest for job in _index_jobs(family)])
            _run_jobs([partial(_run_statement, f"ANALYZE {_stage_name(family)}") for family in largest])
        for family in FAMILIES:
            _swap_in(family)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {places}")
            for family in FAMILIES:
                cursor.execute(f"DROP TABLE IF EXISTS {_stage_name(family)}")
            if postgresql:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])
    for state in ("injury", "accident", "disease", "insurance", "enterprise"):
        _touch(state, rebuilt=True)
    totals = InjuryCube.objects.filter(tier=0, industry__isnull=True)
    quarters = InsuranceCube.objects.filter(tier=0, industry__isnull=True).values("year", "quarter").distinct()
    return {
        "months": totals.values("month").distinct().count(),
        "quarters": quarters.count(),
        "cases": totals.aggregate(n=Sum("cases"))["n"] or 0,
        "seconds": (timezone.now() - started).total_seconds(),
    }


def _touch(name: str, *, rebuilt: bool) -> None:
    now = timezone.now()
    fields = {"refreshed_at": now, **({"rebuilt_at": now} if rebuilt else {})}
    CubeState.objects.update_or_create(name=name, defaults=fields)


def months_of_cases(first_id: int, last_id: int) -> list[datetime.date]:
    month_sql, params = _month_sql("c.occurred_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {month_sql} FROM incidents_injurycase c WHERE c.id BETWEEN %s AND %s",  # noqa: S608
            [*params, first_id, last_id],
        )
        return sorted(_as_date(r[0]) for r in cursor.fetchall())
