"""Forms of the exchange's pages: confirming a quarter (the step that repeats the counts), reopening one, an
obligation, a report on demand; and the filters of the obligation and report lists.

The forms only collect input; the services decide. ``add_service_errors`` puts a service's ``ValidationError``
back on the form (a field's message on the field, the rest above the form)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency
from portal.forms import StyledFormMixin, style_fields
from portal.locks import DataKind
from portal.reference.models import Region

from .models import ExchangeReport, Obligation


def counts_token(counts: dict) -> str:
    """The counts an agency is shown before confirming, as one string the confirmation form sends back."""
    return ";".join(f"{kind}={counts[kind]}" for kind in sorted(counts))


def region_label(region: Region) -> str:
    return f"{'　' * region.depth}{region.name}"


class ConfirmQuarterForm(StyledFormMixin, forms.Form):
    """The confirmation step: the agency has checked the counts shown (and they have not changed since)."""

    checked = forms.BooleanField(
        label=_("I have checked these records: they are complete and correct for the quarter."),
        error_messages={"required": _("Tick the box to confirm that you have checked the records.")},
    )
    counts = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, counts: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = counts_token(counts)
        self.fields["counts"].initial = self.current

    def clean(self):
        data = super().clean()
        if self.is_bound and data.get("counts", "") != self.current:
            raise ValidationError(
                _("Records of the quarter were added or changed since you opened this page. Check the counts again."),
                code="stale",
            )
        return data


class ReopenForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        max_length=300,
        error_messages={"required": _("State why the quarter is reopened.")},
    )


class ObligationForm(StyledFormMixin, forms.ModelForm):
    """What a member agency of the secretariat's region owes each quarter (``services.set_obligation``). On an
    existing obligation the agency and the data are fixed."""

    class Meta:
        model = Obligation
        fields = ["agency", "kind", "due_days", "is_active", "note"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        region = user.agency.region if user.agency_id else None
        agencies = Agency.objects.none()
        if region is not None:
            agencies = (
                Agency.objects.filter(region__path__startswith=region.path, is_active=True)
                .select_related("region")
                .order_by("region__path", "kind", "name")
            )
        field = self.fields["agency"]
        field.queryset = agencies
        field.label_from_instance = lambda a: f"{a.region.name} · {a.name}" if a.region_id != region.pk else a.name
        if self.instance.pk:
            self.fields["agency"].disabled = True
            self.fields["kind"].disabled = True
        self.fields["due_days"].widget.attrs.update(min=1, max=90)
        style_fields(self, mark_errors=False)

    def clean(self):
        data = super().clean()
        agency, kind = data.get("agency"), data.get("kind")
        if not self.instance.pk and agency and kind and Obligation.objects.filter(agency=agency, kind=kind).exists():
            self.add_error("kind", _("This agency already owes this data; edit that obligation instead."))
        return data

    def validate_unique(self):
        """``clean`` names the clash in words of the page; the database constraint stays the last word."""


class ReportBuildForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    quarter = forms.IntegerField(min_value=1, max_value=4)


# --- filters of the lists ------------------------------------------------------------------------------------------

QUARTERS = [(1, _("Q1")), (2, _("Q2")), (3, _("Q3")), (4, _("Q4"))]


def visible_regions(user):
    """The regions whose reports or obligations the user may see: the own region's subtree (without towns) and
    the regions above it."""
    if not getattr(user, "agency_id", None):
        return Region.objects.none()
    region = user.agency.region
    return Region.objects.filter(
        Q(path__in=region.ancestor_paths(include_self=True)) | (Q(path__startswith=region.path) & ~Q(level="town"))
    ).order_by("path")


class ObligationFilterSet(django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(label=_("agency"), queryset=Agency.objects.none())
    kind = django_filters.ChoiceFilter(label=_("data"), choices=DataKind.choices)
    is_active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = Obligation
        fields = ["agency", "kind", "is_active"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        agencies = Agency.objects.none()
        if request is not None and request.user.is_authenticated:
            agencies = Agency.objects.visible_to(request.user).filter(exchange_obligations__isnull=False).distinct()
        self.filters["agency"].queryset = agencies
        self.form.fields["agency"].queryset = agencies


class ExchangeReportFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter(label=_("Year"), min_value=2000, max_value=2100)
    quarter = django_filters.ChoiceFilter(label=_("quarter"), choices=QUARTERS)
    region = django_filters.ModelChoiceFilter(label=_("region"), queryset=Region.objects.none())

    class Meta:
        model = ExchangeReport
        fields = ["year", "quarter", "region"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        regions = visible_regions(request.user) if request is not None else Region.objects.none()
        self.filters["region"].queryset = regions
        self.form.fields["region"].queryset = regions
        self.form.fields["region"].label_from_instance = region_label
