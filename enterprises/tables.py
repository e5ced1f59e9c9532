import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Enterprise


class EnterpriseTable(tables.Table):
    name = tables.Column(linkify=True)
    region = tables.Column(order_by=("region__path",))
    industry = tables.Column(order_by=("industry__code",))
    owner_agency = tables.Column(verbose_name=_("owning agency"))

    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "region", "industry", "scale", "status", "owner_agency"]
        attrs = {"class": "table table-sm table-hover align-middle"}
