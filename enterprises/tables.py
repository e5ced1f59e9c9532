import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import ConstructionProject, Enterprise


class EnterpriseTable(tables.Table):
    name = tables.Column(linkify=True)
    region = tables.Column(order_by=("region__path",))
    industry = tables.Column(order_by=("industry__code",))
    owner_agency = tables.Column(verbose_name=_("owning agency"))

    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "region", "industry", "scale", "status", "owner_agency"]
        attrs = {"class": "table table-sm table-hover align-middle"}


class ConstructionProjectTable(tables.Table):
    name = tables.Column(linkify=True)
    enterprise = tables.Column(order_by=("enterprise__name",))
    region = tables.Column(order_by=("region__path",))
    started_on = tables.DateColumn(format="Y-m-d")
    insured_on = tables.DateColumn(format="Y-m-d")

    class Meta:
        model = ConstructionProject
        fields = [
            "name",
            "permit_number",
            "enterprise",
            "region",
            "sector",
            "started_on",
            "workers",
            "insured_on",
            "insured_workers",
        ]
        attrs = {"class": "table table-sm table-hover align-middle"}
