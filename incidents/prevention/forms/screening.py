"""Forms of the screening side of the loop: thresholds, a screening, its publication, recognition and bulletins.

The forms only collect input; the services decide. ``add_service_errors`` puts a service's ``ValidationError``
back on the form (a field's message on the field, the rest above the form)."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise
from portal.forms import StyledFormMixin, style_fields
from portal.reference.models import AccidentType, AccidentTypeKind, Industry, Region

from ..models import Bulletin, ScreeningRule, ScreeningRun


def last_year() -> int:
    return timezone.localdate().year - 1


def region_label(region: Region) -> str:
    return f"{'　' * region.depth}{region.name}"


class ScreeningRuleForm(StyledFormMixin, forms.ModelForm):
    """The region's draft thresholds (``services.draft_rule``)."""

    class Meta:
        model = ScreeningRule
        fields = ["min_cases", "min_rate", "rate_min_cases", "min_serious", "annual_month", "annual_day", "note"]
        widgets = {"note": forms.TextInput(attrs={"maxlength": 300})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].help_text = _("Required before the draft can be published: why the thresholds change.")


class ScreeningRunForm(StyledFormMixin, forms.Form):
    """A screening of the user's region (or a region below it): the annual one of a chosen year, or the rolling
    12 months up to yesterday."""

    kind = forms.ChoiceField(
        label=_("kind"), choices=ScreeningRun.Kind.choices, initial=ScreeningRun.Kind.ANNUAL, widget=forms.RadioSelect
    )
    year = forms.IntegerField(label=_("Year"), required=False, help_text=_("For an annual screening."))
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        own = user.agency.region
        self.fields["year"].initial = last_year()
        self.fields["year"].widget.attrs.update(min=2000, max=timezone.localdate().year)
        self.fields["region"].queryset = Region.objects.subtree(own).filter(Q(pk=own.pk) | ~Q(level="town"))
        self.fields["region"].initial = own.pk
        self.fields["region"].label_from_instance = region_label
        style_fields(self, mark_errors=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == ScreeningRun.Kind.ANNUAL:
            year = data.get("year")
            if not year:
                self.add_error("year", _("Choose the year to screen."))
            elif not 2000 <= year <= timezone.localdate().year:
                self.add_error("year", _("Choose a year that has begun."))
        return data


class PreviewWindowForm(forms.Form):
    """The period a draft rule is previewed over: a calendar year (default: the previous one) or the rolling
    12 months up to yesterday."""

    WINDOWS = [("annual", _("Calendar year")), ("rolling", _("Rolling 12 months"))]

    window = forms.ChoiceField(label=_("period"), choices=WINDOWS, required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def window_choice(self) -> tuple[str, int]:
        if not self.is_valid():
            return "annual", last_year()
        return self.cleaned_data.get("window") or "annual", self.cleaned_data.get("year") or last_year()


class PublishScopeForm(StyledFormMixin, forms.Form):
    """Where a screening's list is published: the screened region, a region within it, or one above it."""

    published_to = forms.ModelChoiceField(label=_("Publish to"), queryset=Region.objects.none())

    def __init__(self, *args, run: ScreeningRun, **kwargs):
        super().__init__(*args, **kwargs)
        region = run.region
        scope = Region.objects.filter(
            Q(path__in=region.ancestor_paths(include_self=True)) | (Q(path__startswith=region.path) & ~Q(level="town"))
        ).order_by("path")
        self.fields["published_to"].queryset = scope
        self.fields["published_to"].initial = run.published_to_id or region.pk
        self.fields["published_to"].label_from_instance = region_label
        style_fields(self, mark_errors=False)


class RecognitionYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def year_choice(self) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return last_year()


class BenchmarkForm(StyledFormMixin, forms.Form):
    """Mark an enterprise 标杆示范 of a high-incidence industry: chosen from the year's 先进单位 of that industry,
    or by its unified social credit code (any enterprise in the user's scope)."""

    enterprise = forms.ModelChoiceField(label=_("enterprise"), queryset=Enterprise.objects.none(), required=False)
    credit_code = forms.CharField(label=_("or unified social credit code"), max_length=18, required=False)
    industry = forms.ModelChoiceField(label=_("industry"), queryset=Industry.objects.all(), widget=forms.HiddenInput)
    year = forms.IntegerField(min_value=2000, max_value=2100, widget=forms.HiddenInput)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, user, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = Enterprise.objects.visible_to(user)
        field = self.fields["enterprise"]
        field.queryset = self.visible
        # The drop-down offers the suggestions only; any enterprise in scope is accepted.
        field.widget.choices = [("", "---------"), *((e.pk, e.name) for e in suggestions)]
        style_fields(self, mark_errors=False)

    def clean(self):
        data = super().clean()
        code = (data.get("credit_code") or "").strip().upper()
        if not data.get("enterprise") and code:
            data["enterprise"] = self.visible.filter(credit_code=code).first()
            if data["enterprise"] is None:
                self.add_error("credit_code", _("No enterprise in your region has this code."))
        elif not data.get("enterprise"):
            self.add_error("enterprise", _("Choose an enterprise."))
        return data


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class BulletinForm(StyledFormMixin, forms.ModelForm):
    """A bulletin's text and its de-identified facts. Written from a case, the industry and the accident type are
    the case's (the service takes them over) and the month and region start from the case's."""

    occurred_in = forms.DateField(
        label=_("month of the accident"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(),
        help_text=_("Only the month is published."),
    )

    class Meta:
        model = Bulletin
        fields = ["title", "summary", "cause_analysis", "lessons", "occurred_in", "region", "industry", "accident_type"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "cause_analysis": forms.Textarea(attrs={"rows": 5}),
            "lessons": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, user, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        own = user.agency.region
        current = self.instance if self.instance.pk else None
        regions = Region.objects.subtree(own).filter(Q(pk=own.pk) | ~Q(level="town"))
        keep_region = current.region_id if current else None
        if keep_region:
            regions = Region.objects.subtree(own).filter(Q(pk=own.pk) | ~Q(level="town") | Q(pk=keep_region))
        self.fields["region"].queryset = regions.order_by("path")
        self.fields["region"].label_from_instance = region_label
        industries = Q(level__in=["section", "division"])
        if current and current.industry_id:
            industries |= Q(pk=current.industry_id)
        self.fields["industry"].queryset = Industry.objects.filter(industries).order_by("path")
        self.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"
        types = Q(kind=AccidentTypeKind.TYPE)
        self.fields["accident_type"].queryset = AccidentType.objects.filter(types).order_by("edition", "code")
        self.fields["accident_type"].label_from_instance = lambda t: f"{t.get_edition_display()} {t.code} {t.name}"
        if case is not None:
            # the service takes these over from the case
            del self.fields["industry"]
            del self.fields["accident_type"]
            self.fields["region"].required = False
            self.fields["occurred_in"].required = False
        style_fields(self, mark_errors=False)

    def clean_occurred_in(self):
        value = self.cleaned_data.get("occurred_in")
        return value.replace(day=1) if isinstance(value, datetime.date) else value


class WithdrawForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=500)
