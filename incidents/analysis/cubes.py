"""Building and refreshing the summary tables (``models.InjuryCube``, ``models.InsuranceCube``).

Every figure of the statistics service comes from here, so this is where a figure is defined: a case counts in
the month of its accident (local time), under its enterprise's region and industry class as they are now.

- ``refresh_months(months)``: after an edit or an import, only the months it touched (and quarters, for
  insurance) are rebuilt, each set in one transaction: delete those rows, aggregate the cases of those months,
  then derive the country tier and the all-industries rows from the freshly written rows.
- ``rebuild()``: the nightly job: the region ancestry, then every month and quarter, a year per transaction,
  and rows of months that no longer have cases removed.

Aggregation runs in the database (``INSERT … SELECT … GROUP BY``), first by enterprise region, industry and
month, then fanned out to the region's ancestors: one pass over the case table, never a row in Python.
"""

from __future__ import annotations

import datetime
import functools
import operator
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from enterprises.models import Enterprise, EnterpriseStatus, InsuranceSnapshot
from portal import bulk
from portal.reference.models import Region

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


# --- work-injury cases ---------------------------------------------------------------------------------------------


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


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime(month.year, month.month, 1))  # noqa: DTZ001 - made aware here
    following = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    end = timezone.make_aware(datetime.datetime(following.year, following.month, 1))  # noqa: DTZ001
    return start, end


def _lock(name: str) -> None:
    """Serialise refreshes of one table (two concurrent refreshes of a month would both insert it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])


def _derive_country_and_all_industries(table: str, keys: list[str], measures: list[str], where: str, params: list):
    """From the tiers 1–4 rows with an industry just written: the country rows (tier 0, from the provinces) and
    the all-industries rows (industry NULL) of every tier."""
    key_sql = ", ".join(keys)
    sums = ", ".join(f"SUM({m})" for m in measures)
    columns = ", ".join(measures)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tier, region_id, parent_id, industry_id, {key_sql}, {columns}) "  # noqa: S608
            f"SELECT 0, NULL, NULL, industry_id, {key_sql}, {sums} FROM {table} "
            f"WHERE tier = 1 AND industry_id IS NOT NULL AND {where} GROUP BY industry_id, {key_sql}",
            params,
        )
        cursor.execute(
            f"INSERT INTO {table} (tier, region_id, parent_id, industry_id, {key_sql}, {columns}) "  # noqa: S608
            f"SELECT tier, region_id, parent_id, NULL, {key_sql}, {sums} FROM {table} "
            f"WHERE industry_id IS NOT NULL AND {where} GROUP BY tier, region_id, parent_id, {key_sql}",
            params,
        )


@dataclass(frozen=True)
class CaseCube:
    """A summary table of the cases by tier, region, industry class and month, plus ``dims`` (cube column →
    case column), with ``measures`` (cube column → SQL aggregate over the cases ``c``)."""

    model: type
    dims: tuple = ()
    source: str = "incidents_injurycase"
    measures: tuple = (
        ("cases", "COUNT(*)"),
        ("minor", "SUM(CASE WHEN c.severity = 'minor' THEN 1 ELSE 0 END)"),
        ("serious", "SUM(CASE WHEN c.severity = 'serious' THEN 1 ELSE 0 END)"),
        ("deaths", "SUM(CASE WHEN c.severity = 'fatal' THEN 1 ELSE 0 END)"),
        ("lost_workdays", "SUM(c.lost_workdays)"),
        ("fund_payout", "SUM(c.fund_payout)"),
    )

    def build(self, cursor, case_filter: str, params: list, month_sql: str, month_params: list) -> None:
        table = self.model._meta.db_table
        dims = [d for d, _source in self.dims]
        measures = [m for m, _aggregate in self.measures]
        inner = ", ".join(f"{source} AS {d}" for d, source in self.dims)
        cursor.execute(
            f"""
            INSERT INTO {table} (tier, region_id, parent_id, industry_id, month, {", ".join(dims + measures)})
            SELECT a.tier, a.ancestor_id, a.parent_id, b.industry_id, b.month,
                   {", ".join([f"b.{d}" for d in dims] + [f"SUM(b.{m})" for m in measures])}
            FROM (
                SELECT e.region_id, e.industry_id, {month_sql} AS month, {inner + ", " if inner else ""}
                       {", ".join(f"{aggregate} AS {m}" for m, aggregate in self.measures)}
                FROM {self.source} c JOIN enterprises_enterprise e ON e.id = c.enterprise_id
                WHERE {case_filter}
                GROUP BY {", ".join(str(i) for i in range(1, 4 + len(dims)))}
            ) b
            JOIN analysis_regionancestry a ON a.region_id = b.region_id
            GROUP BY a.tier, a.ancestor_id, a.parent_id, b.industry_id, b.month{"".join(f", b.{d}" for d in dims)}
            """,  # noqa: S608 - table and column names from the code, values as parameters
            month_params + params,
        )


CASE_CUBES = (
    CaseCube(InjuryCube),
    CaseCube(CauseCube, dims=(("accident_type_id", "c.accident_type_id"),), measures=CaseCube.measures[:4]),
    CaseCube(PostCube, dims=(("post", "c.post"),), measures=CaseCube.measures[:4]),
)


DISEASE_CUBE = CaseCube(
    DiseaseCube,
    source="incidents_occupationaldiseasecase",
    dims=(
        ("disease_id", "c.disease_id"),
        ("short_exposure", "(c.exposure_years < 5)"),
    ),
    measures=(("cases", "COUNT(*)"),),
)


ACCIDENT_CUBE = CaseCube(
    AccidentCube,
    source="incidents_safetyaccident",
    measures=(
        ("accidents", "COUNT(*)"),
        ("deaths", "SUM(c.deaths)"),
        ("serious_injuries", "SUM(c.serious_injuries)"),
        ("direct_loss", "SUM(c.direct_loss)"),
    ),
)


def _refresh_monthly(
    cubes: tuple, column: str, months: Iterable[datetime.date], state: str, *, dates: bool = False
) -> list:
    """Rebuild the rows of ``months`` (first days) of summary tables built from one source table, in one
    transaction: delete them, aggregate the source rows of those months (``column``: a time, counted in its
    local month, or with ``dates`` a date), derive the country and all-industries rows. Returns the months."""
    months = sorted({datetime.date(m.year, m.month, 1) for m in months})
    if not months:
        return months
    if dates:
        month_sql, month_params = _date_month_sql(f"c.{column}")
        range_params = [d for m in months for d in (m, _add_month(m))]
    else:
        month_sql, month_params = _month_sql(f"c.{column}")
        bounds = [b for m in months for b in _month_bounds(m)]
        range_params = [connection.ops.adapt_datetimefield_value(b) for b in bounds]  # SQLite: UTC text
    month_list = ", ".join(["%s"] * len(months))
    # One indexable range from the first month to the end of the last (several OR-ed ranges make PostgreSQL scan
    # the whole table), narrowed to the months asked for when they are not contiguous.
    case_filter = f"c.{column} >= %s AND c.{column} < %s"
    range_params = [range_params[0], range_params[-1]]
    if len(months) != (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1:
        case_filter += f" AND {month_sql} IN ({month_list})"
        range_params += month_params + list(months)
    with transaction.atomic():
        _lock(state)
        with connection.cursor() as cursor:
            for cube in cubes:
                table = cube.model._meta.db_table
                cursor.execute(f"DELETE FROM {table} WHERE month IN ({month_list})", months)  # noqa: S608
                cube.build(cursor, case_filter, range_params, month_sql, month_params)
                _derive_country_and_all_industries(
                    table,
                    ["month", *(d for d, _s in cube.dims)],
                    [m for m, _a in cube.measures],
                    f"month IN ({month_list})",
                    list(months),
                )
        _touch(state, rebuilt=False)
    return months


def refresh_accident_months(months: Iterable[datetime.date]) -> None:
    """Rebuild the safety-accident summary rows of these months."""
    _refresh_monthly((ACCIDENT_CUBE,), "occurred_at", months, "accident")


def refresh_disease_months(months: Iterable[datetime.date]) -> None:
    """Rebuild the occupational-disease summary rows of these months (by diagnosis date)."""
    _refresh_monthly((DISEASE_CUBE,), "diagnosed_on", months, "disease", dates=True)


def _add_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def refresh_months(months: Iterable[datetime.date]) -> int:
    """Rebuild the work-injury summary rows of these months. Returns the number of cases aggregated."""
    done = _refresh_monthly(CASE_CUBES, "occurred_at", months, "injury")
    if not done:
        return 0
    return InjuryCube.objects.filter(tier=1, industry__isnull=True, month__in=done).aggregate(n=Sum("cases"))["n"] or 0


# --- one case at a time ------------------------------------------------------------------------------------------
#
# An edit of a few cases applies its difference to the rows it touches instead of rebuilding their months (at ten
# million cases a busy month's rebuild takes half a minute; an edit touches a dozen rows per table).

MAX_DELTA_CASES = 50  # more cases changed in one transaction: their months are rebuilt instead


def case_deltas(signed_cases) -> list[tuple[int, dict]]:
    """``[(sign, case values)]`` → ``[(sign, what the case adds to the summary tables)]``: the cases' enterprises
    read in one query; a case whose enterprise is gone adds nothing."""
    signed_cases = [(sign, case) for sign, case in signed_cases if case and case.get("enterprise_id")]
    places = {
        pk: (region, industry)
        for pk, region, industry in Enterprise.objects.filter(
            pk__in={case["enterprise_id"] for _sign, case in signed_cases}
        ).values_list("pk", "region_id", "industry_id")
    }
    deltas = []
    for sign, case in signed_cases:
        region, industry = places.get(case["enterprise_id"], (None, None))
        if region is None:
            continue
        day = timezone.localdate(case["occurred_at"], timezone.get_default_timezone())
        severity = case["severity"]
        contribution = {
            "region": region,
            "industry": industry,
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
    """Add (sign +1) or take away (sign -1) cases' contributions to the work-injury summary rows of every tier and
    of their industry class and all industries (rows left without cases are deleted: a rebuild would not have
    them). Returns the summary rows touched."""
    if not deltas:
        return 0
    regions = {c["region"] for _sign, c in deltas}
    ancestry: dict[int, list[tuple[int, int | None, int | None]]] = {r: [(0, None, None)] for r in regions}
    for region, tier, ancestor, parent in RegionAncestry.objects.filter(region__in=regions).values_list(
        "region_id", "tier", "ancestor_id", "parent_id"
    ):
        ancestry[region].append((tier, ancestor, parent))
    touched = 0
    with transaction.atomic():
        _lock("injury")
        with connection.cursor() as cursor:
            for cube in CASE_CUBES:
                table = cube.model._meta.db_table
                dims = [d for d, _source in cube.dims]
                measures = [m for m, _aggregate in cube.measures]
                # The differences per summary row (an edit of the lost workdays changes one measure of the same
                # rows; of the cause and post rows, nothing).
                rows: dict[tuple, list] = {}
                for sign, contribution in deltas:
                    values = [
                        sign * Decimal(contribution[m]) if m == "fund_payout" else sign * contribution[m]
                        for m in measures
                    ]
                    for tier, region, parent in ancestry[contribution["region"]]:
                        for industry in (contribution["industry"], None):
                            key = (tier, region, industry, contribution["month"], *(contribution[d] for d in dims))
                            row = rows.setdefault(key, [parent, [0] * len(measures)])
                            row[1] = [a + b for a, b in zip(row[1], values, strict=True)]
                for key, (parent, values) in rows.items():
                    if any(values):
                        touched += _add_to_row(cursor, table, dims, measures, list(key), parent, values)
        _touch("injury", rebuilt=False)
    return touched


def _add_to_row(cursor, table, dims, measures, key, parent, values) -> int:
    """Add ``values`` to the row of ``key`` (tier, region, industry, month, dims…), creating it if missing; a row
    left without cases is deleted. Conditions are written so that the (tier, region, industry, month) index
    serves them (no ``IS NOT DISTINCT FROM``)."""
    names = ["tier", "region_id", "industry_id", "month", *dims]
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


# --- insurance -----------------------------------------------------------------------------------------------------

_INSURANCE_MEASURES = ("enterprises", "insured", "premium_paid", "fund_payout")


def refresh_quarters(quarters: Iterable[tuple[int, int]]) -> None:
    """Rebuild the insurance summary rows of these (year, quarter) pairs."""
    quarters = sorted(set(quarters))
    if not quarters:
        return
    table = InsuranceCube._meta.db_table
    condition = " OR ".join(["(year = %s AND quarter = %s)"] * len(quarters))
    snapshot_condition = " OR ".join(["(s.year = %s AND s.quarter = %s)"] * len(quarters))
    params = [v for pair in quarters for v in pair]
    with transaction.atomic():
        _lock(table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {condition}", params)  # noqa: S608
            cursor.execute(
                f"""
                INSERT INTO {table} (tier, region_id, parent_id, industry_id, year, quarter,
                                     {", ".join(_INSURANCE_MEASURES)})
                SELECT a.tier, a.ancestor_id, a.parent_id, b.industry_id, b.year, b.quarter, SUM(b.enterprises),
                       SUM(b.insured), SUM(b.premium_paid), SUM(b.fund_payout)
                FROM (
                    SELECT e.region_id, e.industry_id, s.year, s.quarter, COUNT(*) AS enterprises,
                           SUM(s.insured_employees) AS insured, SUM(s.premium_paid) AS premium_paid,
                           SUM(s.fund_payout) AS fund_payout
                    FROM enterprises_insurancesnapshot s JOIN enterprises_enterprise e ON e.id = s.enterprise_id
                    WHERE {snapshot_condition}
                    GROUP BY e.region_id, e.industry_id, s.year, s.quarter
                ) b
                JOIN analysis_regionancestry a ON a.region_id = b.region_id
                GROUP BY a.tier, a.ancestor_id, a.parent_id, b.industry_id, b.year, b.quarter
                """,  # noqa: S608
                params,
            )
        _derive_country_and_all_industries(
            table, ["year", "quarter"], list(_INSURANCE_MEASURES), f"({condition})", params
        )
        _touch("insurance", rebuilt=False)


# --- enterprises ---------------------------------------------------------------------------------------------------


def refresh_enterprises() -> None:
    """Rebuild the enterprise summary (one pass over the enterprises: it has no time dimension)."""
    table = EnterpriseCube._meta.db_table
    with transaction.atomic():
        _lock(table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            cursor.execute(
                f"""
                INSERT INTO {table} (tier, region_id, parent_id, industry_id, enterprises, employees)
                SELECT a.tier, a.ancestor_id, a.parent_id, b.industry_id, SUM(b.enterprises), SUM(b.employees)
                FROM (
                    SELECT e.region_id, e.industry_id, COUNT(*) AS enterprises,
                           SUM(COALESCE(e.employees, 0)) AS employees
                    FROM enterprises_enterprise e WHERE e.status = %s GROUP BY 1, 2
                ) b
                JOIN analysis_regionancestry a ON a.region_id = b.region_id
                GROUP BY a.tier, a.ancestor_id, a.parent_id, b.industry_id
                """,  # noqa: S608
                [EnterpriseStatus.OPERATING],
            )
            cursor.execute(
                f"INSERT INTO {table} (tier, region_id, parent_id, industry_id, enterprises, employees) "  # noqa: S608
                f"SELECT 0, NULL, NULL, industry_id, SUM(enterprises), SUM(employees) FROM {table} "
                f"WHERE tier = 1 GROUP BY industry_id"
            )
            cursor.execute(
                f"INSERT INTO {table} (tier, region_id, parent_id, industry_id, enterprises, employees) "  # noqa: S608
                f"SELECT tier, region_id, parent_id, NULL, SUM(enterprises), SUM(employees) FROM {table} "
                f"WHERE industry_id IS NOT NULL GROUP BY tier, region_id, parent_id"
            )
        _touch("enterprise", rebuilt=True)


# --- whole rebuild -------------------------------------------------------------------------------------------------


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


def _rebuild_monthly(cubes: tuple, column: str, state: str, *, dates: bool = False) -> None:
    """Rebuild summary tables whole: emptied, then one pass over the source table each (no month filter). On
    PostgreSQL the tables are truncated inside the transaction: readers wait for the rebuild (at night) instead
    of the database deleting and vacuuming millions of rows."""
    month_sql, month_params = _date_month_sql(f"c.{column}") if dates else _month_sql(f"c.{column}")
    with transaction.atomic():
        _lock(state)
        with connection.cursor() as cursor:
            for cube in cubes:
                table = cube.model._meta.db_table
                if connection.vendor == "postgresql":
                    cursor.execute(f"TRUNCATE {table}")
                else:
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608
                cube.build(cursor, "1 = 1", [], month_sql, month_params)
                _derive_country_and_all_industries(
                    table, ["month", *(d for d, _s in cube.dims)], [m for m, _a in cube.measures], "1 = 1", []
                )
        _touch(state, rebuilt=True)


def rebuild() -> dict:
    """Rebuild everything (the nightly job; also after reference data changes)."""
    started = timezone.now()
    rebuild_ancestry()
    _rebuild_monthly(CASE_CUBES, "occurred_at", "injury")
    _rebuild_monthly((ACCIDENT_CUBE,), "occurred_at", "accident")
    _rebuild_monthly((DISEASE_CUBE,), "diagnosed_on", "disease", dates=True)
    months = InjuryCube.objects.filter(tier=0, industry__isnull=True).count()
    cases = InjuryCube.objects.filter(tier=0, industry__isnull=True).aggregate(n=Sum("cases"))["n"] or 0
    quarters = sorted(set(InsuranceSnapshot.objects.values_list("year", "quarter").distinct()))
    for year in sorted({y for y, _q in quarters}):
        refresh_quarters([q for q in quarters if q[0] == year])
    InsuranceCube.objects.exclude(
        functools.reduce(operator.or_, (Q(year=y, quarter=q) for y, q in quarters), Q(pk__in=[]))
    ).delete()
    refresh_enterprises()
    _touch("insurance", rebuilt=True)
    return {
        "months": months,
        "quarters": len(quarters),
        "cases": cases,
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
