"""The dashboard's filters (period, region, industry) as a form shared by the page and the API."""

from __future__ import annotations

import datetime

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms import StyledFormMixin
from portal.reference.models import Industry, Region

from .stats import FLAGS, Selection, add_months

MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as ``2025-03`` (the first day of it)."""

    widget = MONTH_INPUT
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a month such as 2025-03.")}

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class SelectionForm(StyledFormMixin, forms.Form):
    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.exclude(level="zone"), required=False, widget=forms.HiddenInput
    )
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.filter(level__in=["section", "division"]), required=False
    )
    flag = forms.ChoiceField(
        label=_("Industry group"),
        choices=[("", _("All industries")), ("key", _("Key industries")), ("dust", _("Dust industries"))],
        required=False,
        help_text=_(
            "An enterprise counts as key or dust industry by the list in force where it is registered: its county's "
            "own list, else its city's, province's or the national one."
        ),
    )

    granularity = forms.ChoiceField(
        label=_("Trend by"),
        choices=[("month", _("month")), ("quarter", _("quarter")), ("year", _("year"))],
        required=False,
    )

    MAX_MONTHS = 120

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"

    def clean(self):
        data = super().clean()
        today = timezone.localdate().replace(day=1)
        end = data.get("end") or today
        start = data.get("start") or end.replace(month=1)
        if end < start:
            self.add_error("end", _("The period ends before it starts."))
        elif add_months(start, self.MAX_MONTHS) <= end:
            self.add_error("start", _("Choose at most ten years."))
        data["start"], data["end"] = start, end
        return data

    def selection(self) -> Selection:
        """The validated selection; a region outside the user's own is answered 404, like any object."""
        data = self.cleaned_data
        region = data.get("region") or self.user.region
        if self.user.region is not None and region is not None and not region.is_within(self.user.region):
            raise Http404
        flag = data.get("flag") or None
        return Selection(data["start"], data["end"], region=region, industry=data.get("industry"), flag=flag)


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = (today or timezone.localdate()).replace(day=1)
    return today.replace(month=1), today


__all__ = ["SelectionForm", "FLAGS"]


class TargetForm(StyledFormMixin, forms.ModelForm):
    """A region's own target: its region is the agency's or one under it."""

    class Meta:
        from .models import Target

        model = Target
        fields = ["region", "metric", "baseline_year", "target_year", "reduction_percent", "source"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.exclude(level__in=["town", "zone"])
        if user is not None and user.region is not None:
            regions = regions.subtree(user.region)
        self.fields["region"].queryset = regions
        self.fields["region"].required = True


class RegionGDPForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        from .models import RegionGDP

        model = RegionGDP
        fields = ["region", "year", "gdp"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.all()
        if user is not None and user.region is not None:
            regions = regions.subtree(user.region)
        self.fields["region"].queryset = regions.order_by("path")
