"""Which summary rows a change touches: a refresh job for those months and quarters, queued for when the change
commits (an import is one job for all its rows)."""

from __future__ import annotations

import datetime
import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from enterprises.models import Enterprise, InsuranceSnapshot
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal import imports
from portal.reference.models import IndustryFlag, Region


class _Pending:
    """The refreshes asked for within a transaction, sent as one job when it commits (a bulk delete of 100,000
    cases sends one job, not 100,000). Refreshing a month more than needed is harmless: it recomputes from the
    data as it is."""

    def __init__(self):
        self.months: set = set()
        self.quarters: set = set()
        self.disease_months: set = set()
        self.accident_months: set = set()
        self.case_ids: list | None = None
        self.enterprises = False
        self.rebuild = False

    def merge(
        self,
        months=(),
        quarters=(),
        case_ids=None,
        disease_months=(),
        enterprises=False,
        accident_months=(),
        rebuild=False,
    ):
        self.months |= {m for m in months if m is not None}
        self.disease_months |= {m for m in disease_months if m is not None}
        self.accident_months |= {m for m in accident_months if m is not None}
        self.quarters |= {(int(y), int(q)) for y, q in quarters}
        if case_ids:
            low, high = case_ids
            self.case_ids = [min(low, self.case_ids[0]), max(high, self.case_ids[1])] if self.case_ids else [low, high]
        self.enterprises = self.enterprises or enterprises
        self.rebuild = self.rebuild or rebuild

    def send(self):
        if self.rebuild:  # everything is recomputed: no refresh besides
            from portal.jobs import send_now

            send_now("analysis.rebuild", [], {})
            return
        if (
            not (self.months or self.quarters or self.case_ids or self.disease_months or self.accident_months)
            and not self.enterprises
        ):
            return
        from portal.jobs import send_now

        send_now(
            "analysis.refresh",
            [],
            {
                "months": sorted(m.isoformat() for m in self.months),
                "quarters": sorted([list(q) for q in self.quarters]),
                "case_ids": self.case_ids,
                "disease_months": sorted(m.isoformat() for m in self.disease_months),
                "accident_months": sorted(m.isoformat() for m in self.accident_months),
                "enterprises": self.enterprises,
            },
        )


_local = threading.local()


def _refresh(**changes) -> None:
    """Ask for a refresh of these months and quarters when the transaction commits (at once outside one).

    Requests accumulate per thread; every request adds an on-commit callback, and the first callback to run sends
    all that has accumulated as one job, the others find nothing left. (A callback dropped by a rollback leaves
    its months to the next one: an extra refresh, never a missed one.)"""
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = _Pending()
    pending.merge(**changes)
    transaction.on_commit(_flush)


def _flush() -> None:
    pending, _local.pending = getattr(_local, "pending", None), None
    if pending is not None:
        pending.send()


def _month(moment) -> datetime.date | None:
    if moment is None:
        return None
    day = timezone.localdate(moment)
    return day.replace(day=1)


def _month_of_day(day) -> datetime.date | None:
    return day.replace(day=1) if day is not None else None


# Each case table: the column that puts a row in a month, how to get the month, and which refresh it needs.
WATCHED = (
    (InjuryCase, "occurred_at", _month, "months"),
    (SafetyAccident, "occurred_at", _month, "accident_months"),
    (OccupationalDiseaseCase, "diagnosed_on", _month_of_day, "disease_months"),
)


def _watch(model, column: str, month_of, refresh_key: str) -> None:
    """A saved or deleted row refreshes its month, and the month it had before if an edit moved it."""

    def remember(sender, instance, **kwargs):
        instance._analysis_before = (
            model.objects.filter(pk=instance.pk).values_list(column, flat=True).first() if instance.pk else None
        )

    def changed(sender, instance, **kwargs):
        moments = (getattr(instance, column), getattr(instance, "_analysis_before", None))
        _refresh(**{refresh_key: [month_of(m) for m in moments]})

    pre_save.connect(remember, sender=model, weak=False, dispatch_uid=f"analysis-before-{model._meta.label}")
    for signal in (post_save, post_delete):
        signal.connect(changed, sender=model, weak=False, dispatch_uid=f"analysis-changed-{model._meta.label}")


for _model, _column, _month_of, _key in WATCHED[1:]:
    _watch(_model, _column, _month_of, _key)

# Work-injury cases, the large table: an edit applies its difference to the summary rows it touches, in its own
# transaction (a dozen rows per table), instead of queueing its month's rebuild (half a minute at ten million
# cases). Imports and moved enterprises still rebuild their months.
CASE_FIELDS = ("enterprise_id", "occurred_at", "severity", "accident_type_id", "post", "lost_workdays", "fund_payout")


@receiver(pre_save, sender=InjuryCase)
def _remember_case(sender, instance, raw=False, **kwargs):
    instance._analysis_case = (
        InjuryCase.objects.filter(pk=instance.pk).values(*CASE_FIELDS).first() if instance.pk and not raw else None
    )


@receiver(post_save, sender=InjuryCase)
def _case_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from . import cubes

    before = getattr(instance, "_analysis_case", None)
    after = {name: getattr(instance, name) for name in CASE_FIELDS}
    if before == after:
        return
    if not _count_delta():  # many cases in one transaction: their months are rebuilt after it
        _refresh(months=[_month(before["occurred_at"]) if before else None, _month(instance.occurred_at)])
        return
    cubes.apply_case_deltas(cubes.case_deltas([(-1, before), (1, after)]))


@receiver(post_delete, sender=InjuryCase)
def _case_deleted(sender, instance, **kwargs):
    from . import cubes

    if not _count_delta():
        _refresh(months=[_month(instance.occurred_at)])
        return
    cubes.apply_case_deltas(cubes.case_deltas([(-1, {name: getattr(instance, name) for name in CASE_FIELDS})]))


def _max_delta_cases() -> int:
    from . import cubes

    return cubes.MAX_DELTA_CASES


def _count_delta() -> bool:
    """True while the current transaction has changed at most ``MAX_DELTA_CASES`` cases (a bulk delete of
    100,000 cases rebuilds their months once instead of applying 100,000 differences). A month rebuilt after the
    differences of the same transaction were applied is simply recomputed from the data: nothing is counted twice."""
    from . import cubes

    connection = transaction.get_connection()
    block = id(connection.atomic_blocks[0]) if connection.in_atomic_block else None
    if block is None:
        return cubes.MAX_DELTA_CASES > 0
    counted = getattr(_local, "deltas", None)
    if counted is None or counted[0] != block:
        counted = _local.deltas = [block, 0]
    counted[1] += 1
    return counted[1] <= cubes.MAX_DELTA_CASES


@receiver(post_save, sender=InsuranceSnapshot)
@receiver(post_delete, sender=InsuranceSnapshot)
def _snapshot_changed(sender, instance, **kwargs):
    _refresh(quarters=[(instance.year, instance.quarter)])


@receiver(pre_save, sender=Enterprise)
def _remember_enterprise(sender, instance, **kwargs):
    instance._analysis_before = (
        Enterprise.objects.filter(pk=instance.pk).values_list("region_id", "industry_id", "employees", "status").first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Enterprise)
@receiver(post_delete, sender=Enterprise)
def _enterprise_changed(sender, instance, created=False, **kwargs):
    before = getattr(instance, "_analysis_before", None)
    now = (instance.region_id, instance.industry_id, instance.employees, instance.status)
    if before is not None and before[:2] != now[:2]:
        _enterprise_moved([instance.pk])
    if before != now:  # employees, status, a new or a deleted enterprise: the coverage denominators
        _refresh(enterprises=True)


def _enterprise_moved(ids) -> None:
    """Its cases and insurance figures now count under another region or industry: all their months."""
    months = {
        key: {month_of(m) for m in model.objects.filter(enterprise__in=ids).values_list(column, flat=True)}
        for model, column, month_of, key in WATCHED
    }
    quarters = set(InsuranceSnapshot.objects.filter(enterprise__in=ids).values_list("year", "quarter"))
    _refresh(quarters=quarters, **months)


@receiver(imports.committed)
def _imported(sender, created_ids, updated, **kwargs):
    if sender is InjuryCase and created_ids and not updated and len(created_ids) <= _max_delta_cases():
        # A few new cases: their differences, in the import's transaction, as for cases recorded one by one.
        from . import cubes

        rows = InjuryCase.objects.filter(pk__in=created_ids).values(*CASE_FIELDS)
        cubes.apply_case_deltas(cubes.case_deltas([(1, row) for row in rows]))
    elif sender is InjuryCase:  # an updated case keeps its time (it is part of the natural key)
        _refresh(
            months=[_month(i.instance.occurred_at) for i in updated],
            case_ids=[min(created_ids), max(created_ids)] if created_ids else None,
        )
    elif sender in (SafetyAccident, OccupationalDiseaseCase):
        ((model, column, month_of, key),) = [w for w in WATCHED if w[0] is sender]
        moments = set(model.objects.filter(pk__in=created_ids).values_list(column, flat=True))
        moments |= {getattr(i.instance, column) for i in updated}
        _refresh(**{key: [month_of(m) for m in moments]})
    elif sender is InsuranceSnapshot:
        quarters = set(InsuranceSnapshot.objects.filter(pk__in=created_ids).values_list("year", "quarter"))
        _refresh(quarters=quarters | {(i.instance.year, i.instance.quarter) for i in updated})
    elif sender is Enterprise:
        moved = [i.instance.pk for i in updated if {"region", "industry"} & set(i.changes)]
        if moved:
            _enterprise_moved(moved)
        if created_ids or updated:
            _refresh(enterprises=True)


@receiver(post_save, sender=IndustryFlag)
@receiver(post_delete, sender=IndustryFlag)
def _flag_rule_changed(sender, instance, **kwargs):
    """The key and dust flags are resolved when the summary rows are built: a changed rule rebuilds them all
    (once per transaction, however many rules it changes)."""
    _refresh(rebuild=True)


@receiver(post_save, sender=Region)
def _region_saved(sender, instance, **kwargs):
    from . import cubes

    cubes.update_ancestry(instance)
