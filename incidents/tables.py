import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import InjuryCase


class InjuryCaseTable(tables.Table):
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i", linkify=True)
    enterprise = tables.Column(order_by=("enterprise__name",))
    worker = tables.Column(verbose_name=_("injured worker"), accessor="masked_worker_name", orderable=False)
    accident_type = tables.Column(order_by=("accident_type__code",))

    class Meta:
        model = InjuryCase
        fields = ["occurred_at", "enterprise", "post", "accident_type", "severity", "worker", "recognized_on"]
        attrs = {"class": "table table-sm table-hover align-middle"}
