"""Which summary rows a change touches: a refresh job for those months and quarters, queued for when the change
commits (an import is one job for all its rows)."""

from __future__ import annotations

import datetime

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from enterprises.models import Enterprise, InsuranceSnapshot
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal import imports
from portal.reference.models import Region


def _refresh(months=(), quarters=(), case_ids=None, disease_months=(), enterprises=False, accident_months=()) -> None:
    """Queue a refresh of these months and quarters for when the transaction commits."""
    from portal.jobs import enqueue

    from .tasks import refresh

    months = sorted({m.isoformat() for m in months if m is not None})
    disease_months = sorted({m.isoformat() for m in disease_months if m is not None})
    accident_months = sorted({m.isoformat() for m in accident_months if m is not None})
    quarters = sorted({(int(y), int(q)) for y, q in quarters})
    if months or quarters or case_ids or disease_months or enterprises or accident_months:
        enqueue(
            refresh,
            months=months,
            quarters=[list(q) for q in quarters],
            case_ids=case_ids,
            disease_months=disease_months,
            enterprises=enterprises,
            accident_months=accident_months,
        )


def _month(moment) -> datetime.date | None:
    if moment is None:
        return None
    day = timezone.localdate(moment)
    return day.replace(day=1)


@receiver(pre_save, sender=InjuryCase)
def _remember_case(sender, instance, **kwargs):
    instance._analysis_before = (
        InjuryCase.objects.filter(pk=instance.pk).values_list("occurred_at", flat=True).first() if instance.pk else None
    )


@receiver(post_save, sender=InjuryCase)
@receiver(post_delete, sender=InjuryCase)
def _case_changed(sender, instance, **kwargs):
    _refresh(months=[_month(instance.occurred_at), _month(getattr(instance, "_analysis_before", None))])


@receiver(pre_save, sender=SafetyAccident)
def _remember_accident(sender, instance, **kwargs):
    instance._analysis_before = (
        SafetyAccident.objects.filter(pk=instance.pk).values_list("occurred_at", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=SafetyAccident)
@receiver(post_delete, sender=SafetyAccident)
def _accident_changed(sender, instance, **kwargs):
    _refresh(accident_months=[_month(instance.occurred_at), _month(getattr(instance, "_analysis_before", None))])


@receiver(pre_save, sender=OccupationalDiseaseCase)
def _remember_diagnosis(sender, instance, **kwargs):
    instance._analysis_before = (
        OccupationalDiseaseCase.objects.filter(pk=instance.pk).values_list("diagnosed_on", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=OccupationalDiseaseCase)
@receiver(post_delete, sender=OccupationalDiseaseCase)
def _diagnosis_changed(sender, instance, **kwargs):
    days = (instance.diagnosed_on, getattr(instance, "_analysis_before", None))
    _refresh(disease_months=[d.replace(day=1) for d in days if d is not None])


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
    _refresh(
        months={_month(m) for m in InjuryCase.objects.filter(enterprise__in=ids).values_list("occurred_at", flat=True)},
        quarters=set(InsuranceSnapshot.objects.filter(enterprise__in=ids).values_list("year", "quarter")),
    )


@receiver(imports.committed)
def _imported(sender, created_ids, updated, **kwargs):
    if sender is InjuryCase:  # an updated case keeps its time (it is part of the natural key)
        _refresh(
            months=[_month(i.instance.occurred_at) for i in updated],
            case_ids=[min(created_ids), max(created_ids)] if created_ids else None,
        )
    elif sender is SafetyAccident:
        moments = set(SafetyAccident.objects.filter(pk__in=created_ids).values_list("occurred_at", flat=True))
        _refresh(accident_months=[_month(m) for m in moments | {i.instance.occurred_at for i in updated}])
    elif sender is OccupationalDiseaseCase:
        days = set(OccupationalDiseaseCase.objects.filter(pk__in=created_ids).values_list("diagnosed_on", flat=True))
        days |= {i.instance.diagnosed_on for i in updated}
        _refresh(disease_months=[d.replace(day=1) for d in days])
    elif sender is InsuranceSnapshot:
        quarters = set(InsuranceSnapshot.objects.filter(pk__in=created_ids).values_list("year", "quarter"))
        _refresh(quarters=quarters | {(i.instance.year, i.instance.quarter) for i in updated})
    elif sender is Enterprise:
        moved = [i.instance.pk for i in updated if {"region", "industry"} & set(i.changes)]
        if moved:
            _enterprise_moved(moved)
        if created_ids or updated:
            _refresh(enterprises=True)


@receiver(post_save, sender=Region)
def _region_saved(sender, instance, **kwargs):
    from . import cubes

    cubes.update_ancestry(instance)
