"""Keeping the tiers and industry that cases and accidents carry (``TieredRecord``) in step with their enterprises
when enterprises move or change industry in bulk or the region tree changes (a single enterprise's ``save()`` keeps
them itself)."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from portal import imports
from portal.reference.models import Region

from .models import Enterprise, sync_tiers


@receiver(imports.committed, sender=Enterprise)
def _enterprises_imported(sender, created_ids, updated, **kwargs):
    moved = [i.instance.pk for i in updated if {"region", "industry"} & set(i.changes)]
    if moved:
        sync_tiers(moved)


@receiver(pre_save, sender=Region)
def _remember_path(sender, instance, **kwargs):
    instance._tiers_path = (
        Region.objects.filter(pk=instance.pk).values_list("path", flat=True).first() if instance.pk else None
    )


@receiver(post_save, sender=Region)
def _region_moved(sender, instance, created, **kwargs):
    before = getattr(instance, "_tiers_path", None)
    if before is not None and before != instance.path:  # re-parented: everything recorded below it moves along
        sync_tiers(Enterprise.objects.filter(region__path__startswith=instance.path).values_list("pk", flat=True))
