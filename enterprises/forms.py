from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import StyledFormMixin
from portal.reference.models import Industry, Region

from .models import ConstructionProject, Enterprise, InsuranceSnapshot

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EnterpriseForm(StyledFormMixin, forms.ModelForm):
    """Region choices are limited to the user's own region subtree; industry to GB/T 4754 classes."""

    class Meta:
        model = Enterprise
        fields = [
            "credit_code",
            "name",
            "region",
            "industry",
            "address",
            "scale",
            "employees",
            "status",
            "legal_representative",
            "safety_contact_name",
            "safety_contact_phone",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(is_active=True, level__in=["county", "town", "zone"])
        if user.region is not None:
            regions = regions.subtree(user.region)
        self.fields["region"].queryset = regions
        self.fields["industry"].queryset = Industry.objects.filter(level="class")
        self.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"


class InsuranceSnapshotForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = InsuranceSnapshot
        fields = ["year", "quarter", "insured_employees", "premium_paid", "fund_payout"]

    def __init__(self, *args, user=None, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        if enterprise is not None:
            self.instance.enterprise = enterprise

    def validate_unique(self):
        # enterprise is not a form field: check the (enterprise, year, quarter) rule here with a field message.
        super().validate_unique()
        year, quarter = self.cleaned_data.get("year"), self.cleaned_data.get("quarter")
        enterprise = self.enterprise or self.instance.enterprise
        clash = InsuranceSnapshot.objects.filter(enterprise=enterprise, year=year, quarter=quarter)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if year and quarter and clash.exists():
            self.add_error("quarter", _("This quarter has already been recorded for the enterprise."))


class ConstructionProjectForm(StyledFormMixin, forms.ModelForm):
    """Enterprises the user sees, sites in the user's region (the service checks both again). The general contractor
    is fixed once recorded, as in the API."""

    class Meta:
        model = ConstructionProject
        fields = [
            "enterprise",
            "name",
            "permit_number",
            "sector",
            "region",
            "contract_value",
            "workers",
            "started_on",
            "planned_end",
            "insured_on",
            "insured_workers",
            "premium",
        ]
        widgets = {"started_on": DATE, "planned_end": DATE, "insured_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("id", "name")
        if self.instance.pk:
            self.fields["enterprise"].disabled = True
        regions = Region.objects.filter(is_active=True, level__in=["county", "town", "zone"])
        if user.region is not None:
            regions = regions.subtree(user.region)
        self.fields["region"].queryset = regions.order_by("path")
        self.fields["region"].label_from_instance = lambda r: f"{r.code} {r.name}"
