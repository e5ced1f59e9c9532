import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import InjuryCase, OccupationalDiseaseCase, SafetyAccident


class InjuryCaseTable(tables.Table):
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i", linkify=True)
    enterprise = tables.Column(order_by=("enterprise__name",))
    worker = tables.Column(verbose_name=_("injured worker"), accessor="masked_worker_name", orderable=False)
    accident_type = tables.Column(order_by=("accident_type__code",))

    class Meta:
        model = InjuryCase
        fields = ["occurred_at", "enterprise", "post", "accident_type", "severity", "worker", "recognized_on"]
        attrs = {"class": "table table-sm table-hover align-middle"}


class OccupationalDiseaseCaseTable(tables.Table):
    diagnosed_on = tables.DateColumn(format="Y-m-d", linkify=True)
    enterprise = tables.Column(order_by=("enterprise__name",))
    worker = tables.Column(verbose_name=_("worker"), accessor="masked_worker_name", orderable=False)
    disease = tables.Column(accessor="disease__name", order_by=("disease__code",))

    class Meta:
        model = OccupationalDiseaseCase
        fields = ["diagnosed_on", "enterprise", "disease", "hazard_factor", "exposure_years", "worker"]
        attrs = {"class": "table table-sm table-hover align-middle"}


class SafetyAccidentTable(tables.Table):
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i", linkify=True)
    enterprise = tables.Column(order_by=("enterprise__name",))
    accident_type = tables.Column(order_by=("accident_type__code",))

    class Meta:
        model = SafetyAccident
        fields = ["occurred_at", "enterprise", "accident_type", "grade", "deaths", "serious_injuries", "direct_loss"]
        attrs = {"class": "table table-sm table-hover align-middle"}
