"""Enterprises (用人单位台账): the employers every agency records and every case belongs to."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.permissions import ScopedQuerySet
from portal.reference.validators import validate_credit_code


class EnterpriseQuerySet(ScopedQuerySet):
    def in_region(self, region):
        return self.filter(region__path__startswith=region.path)

    def in_industry(self, industry):
        return self.filter(industry__path__startswith=industry.path)


class Enterprise(models.Model):
    """An employer (用人单位), identified by its unified social credit code (GB 32100)."""

    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    region = models.ForeignKey(
        "reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="enterprises"
    )
    industry = models.ForeignKey(
        "reference.Industry", verbose_name=_("industry"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="enterprises"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()
    scope_region = "region"
    scope_owner = "owner_agency"
    scope_enterprise = "pk"

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = (self.credit_code or "").strip().upper()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("enterprises:enterprise_detail", args=[self.pk])
