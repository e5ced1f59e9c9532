"""Set-based reads of the loop: the figures a screening classifies by, the windows of the four-month review,
and the averages an enterprise is compared with. Every figure is one aggregate query over the cases, whatever
the number of enterprises (no per-enterprise loop)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from enterprises.models import Enterprise, InsuranceSnapshot
from incidents.models import InjuryCase, Severity


def day_start(d: datetime.date) -> datetime.datetime:
    """Midnight of ``d`` in the portal's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(d, datetime.time.min))


def quarter_index(d: datetime.date) -> int:
    return d.year * 4 + (d.month - 1) // 3


@dataclass(frozen=True)
class Window:
    """A period of whole days, ``start`` to ``end`` inclusive."""

    start: datetime.date
    end: datetime.date

    @property
    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        return day_start(self.start), day_start(self.end + datetime.timedelta(days=1))

    def shifted_years(self, years: int) -> Window:
        return Window(_shift_year(self.start, years), _shift_year(self.end, years))


def _shift_year(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def cases_in(region, window: Window):
    """Work-injury cases of enterprises in ``region``'s subtree that happened in ``window``."""
    start, end = window.bounds
    return InjuryCase.objects.in_region(region).filter(occurred_at__gte=start, occurred_at__lt=end)


def case_counts(region, window: Window, enterprise_ids=None):
    """Per enterprise: cases, serious injuries and deaths in the window (a GROUP BY in the database)."""
    qs = cases_in(region, window)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=enterprise_ids)
    return (
        qs.order_by()
        .values("enterprise_id")
        .annotate(
            n=Count("id"),
            s=Count("id", filter=Q(severity=Severity.SERIOUS)),
            f=Count("id", filter=Q(severity=Severity.FATAL)),
        )
    )


def insured_by_enterprise(window: Window, enterprises=None):
    """Per enterprise: its insured employees in the window, the average of the quarterly snapshots that overlap
    it (an enterprise without snapshots has none, so no rate)."""
    (y1, q1), (y2, q2) = divmod(quarter_index(window.start), 4), divmod(quarter_index(window.end), 4)
    qs = InsuranceSnapshot.objects.filter(
        (Q(year__gt=y1) | Q(year=y1, quarter__gte=q1 + 1)) & (Q(year__lt=y2) | Q(year=y2, quarter__lte=q2 + 1))
    )
    if enterprises is not None:
        qs = qs.filter(enterprise__in=enterprises)
    return qs.order_by().values("enterprise_id").annotate(insured=Avg("insured_employees"))


def region_totals(region, window: Window) -> tuple[int, int]:
    """(cases, insured employees) of the whole region in the window: the city average's numerator and
    denominator. The cases are counted to the day; the insured employees are the statistics service's figure for
    the window's quarters, read from its summary table once that has been built (kept current after every edit
    and import), otherwise summed from the snapshots the same way."""
    return cases_in(region, window).count(), region_insured(region, window)


def region_insured(region, window: Window) -> int:
    from incidents.analysis.models import CubeState
    from incidents.analysis.stats import Selection, Stats

    if CubeState.objects.filter(name="insurance", rebuilt_at__isnull=False).exists():
        selection = Selection(window.start.replace(day=1), window.end.replace(day=1), region=region)
        return round(Stats(selection).totals()["insured"] or 0)
    return total_insured(window, Enterprise.objects.in_region(region))


def total_insured(window: Window, enterprises) -> int:
    """The insured employees of ``enterprises`` in the window as the statistics service counts a region's: the
    mean, over the window's quarters that have figures, of each quarter's total (one GROUP BY quarter)."""
    (y1, q1), (y2, q2) = divmod(quarter_index(window.start), 4), divmod(quarter_index(window.end), 4)
    totals = (
        InsuranceSnapshot.objects.filter(
            (Q(year__gt=y1) | Q(year=y1, quarter__gte=q1 + 1)) & (Q(year__lt=y2) | Q(year=y2, quarter__lte=q2 + 1)),
            enterprise__in=enterprises.values("pk"),
        )
        .order_by()
        .values("year", "quarter")
        .annotate(total=Sum("insured_employees"))
        .values_list("total", flat=True)
    )
    totals = [t for t in totals if t]
    return round(sum(totals) / len(totals)) if totals else 0


def industry_average(region, window: Window, industry) -> tuple[int, int]:
    """(cases, insured) of the enterprises of ``industry``'s subtree in ``region``, for the officer's page."""
    enterprises = Enterprise.objects.in_region(region).filter(industry__path__startswith=industry.path)
    cases = cases_in(region, window).filter(enterprise__industry__path__startswith=industry.path).count()
    return cases, total_insured(window, enterprises)


def classify_sql(rule_params: dict) -> tuple[str, list]:
    """SQL columns ``by_count, by_rate, by_severity`` over a row source ``c`` with ``n, s, f, insured`` (the
    rule's thresholds as parameters), shared by the screening and its preview."""
    sql = (
        "(c.n >= %s) AS by_count, "
        "(COALESCE(c.insured, 0) > 0 AND c.n >= %s AND c.n * 100000 >= %s * c.insured) AS by_rate, "
        "(c.s + c.f >= %s) AS by_severity"
    )
    params = [
        rule_params["min_cases"],
        rule_params["rate_min_cases"],
        int(Decimal(str(rule_params["min_rate"])) * 100),  # hundredths of a per mille: compared exactly
        rule_params["min_serious"],
    ]
    return sql, params


def quarter_bounds_sql(window: Window, alias: str) -> tuple[str, list]:
    """SQL conditions keeping the quarterly snapshots (table ``alias``) that overlap the window, on the plain
    year and quarter columns (an expression over them hides the range from the planner)."""
    first, last = quarter_index(window.start), quarter_index(window.end)
    (y1, q1), (y2, q2) = divmod(first, 4), divmod(last, 4)
    sql = (
        f"({alias}.year > %s OR ({alias}.year = %s AND {alias}.quarter >= %s)) "
        f"AND ({alias}.year < %s OR ({alias}.year = %s AND {alias}.quarter <= %s))"
    )
    return sql, [y1, y1, q1 + 1, y2, y2, q2 + 1]


def post_counts(region, window: Window):
    """Per enterprise and post: cases, serious injuries and deaths in the window (the screening's one pass over
    the cases: the enterprises' figures and their high-incident posts both come from it)."""
    return (
        cases_in(region, window)
        .order_by()
        .values("enterprise_id", "post")
        .annotate(
            n=Count("id"),
            s=Count("id", filter=Q(severity=Severity.SERIOUS)),
            f=Count("id", filter=Q(severity=Severity.FATAL)),
        )
    )


def screening_source(region, window: Window, rule_params: dict, *, per_post: tuple[str, list] | None = None):
    """A SELECT of ``enterprise_id, n, s, f, insured, rate, by_count, by_rate, by_severity`` for every
    enterprise of the region with a case in the window: from the cases, or from ``per_post`` (SQL and parameters
    of rows ``enterprise_id, post, n, s, f`` as ``post_counts`` makes them), which adds ``posts``: the
    enterprise's cases per post as a JSON object ``{post: cases}``. Insured employees are averaged for those
    enterprises only, each by an index look-up of its own snapshots."""
    posts = ""
    if per_post:
        posts_sql = (
            "jsonb_object_agg(p.post, p.n)" if connection.vendor == "postgresql" else "json_group_object(p.post, p.n)"
        )
        cases_sql, cases_params = (
            f"SELECT p.enterprise_id, SUM(p.n) AS n, SUM(p.s) AS s, SUM(p.f) AS f, {posts_sql} AS posts "  # noqa: S608
            f"FROM ({per_post[0]}) p GROUP BY p.enterprise_id",  # the caller's SQL, its values as parameters
            list(per_post[1]),
        )
        posts = ", c.posts"
    else:
        cases_sql, cases_params = case_counts(region, window).query.sql_with_params()
    quarters_sql, quarters_params = quarter_bounds_sql(window, "q")
    snapshots = InsuranceSnapshot._meta.db_table
    with_insured = (  # ORM SQL and fixed text
        f"SELECT c.enterprise_id, c.n, c.s, c.f{posts}, (SELECT AVG(q.insured_employees) FROM {snapshots} q "  # noqa: S608
        f"WHERE q.enterprise_id = c.enterprise_id AND {quarters_sql}) AS insured FROM ({cases_sql}) c"
        # OFFSET 0 keeps the subquery whole: flattened, PostgreSQL would run the look-up at each use of insured
        f"{' OFFSET 0' if connection.vendor == 'postgresql' else ''}"
    )
    flags_sql, flags_params = classify_sql(rule_params)
    rate_sql = (
        "ROUND(CAST(c.n * 1000.0 / c.insured AS NUMERIC), 2)"
        if connection.vendor == "postgresql"
        else "ROUND(c.n * 1000.0 / c.insured, 2)"
    )
    sql = (
        f"SELECT c.enterprise_id, c.n, c.s, c.f{posts}, COALESCE(c.insured, 0) AS insured, "  # noqa: S608
        f"CASE WHEN COALESCE(c.insured, 0) > 0 THEN {rate_sql} END AS rate, {flags_sql} FROM ({with_insured}) c"
    )
    return sql, [*flags_params, *quarters_params, *cases_params]


def classify(region, window: Window, rule_params: dict, enterprise_ids=None) -> dict[int, dict]:
    """{enterprise id: figures and class} under the given thresholds, without writing anything (the preview of
    a draft rule, the officer's page)."""
    sql, params = screening_source(region, window, rule_params)
    if enterprise_ids is not None:
        ids = list(enterprise_ids)
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        sql = f"SELECT * FROM ({sql}) x WHERE x.enterprise_id IN ({marks})"  # noqa: S608 - placeholders only
        params = [*params, *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cols = [c[0] for c in cursor.description]
        rows = [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]
    out = {}
    for row in rows:
        row["multi"] = bool(row["by_count"] or row["by_rate"] or row["by_severity"])
        out[row["enterprise_id"]] = row
    return out
