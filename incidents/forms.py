from django import forms
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise
from portal.forms import StyledFormMixin
from portal.reference.models import AccidentType, AccidentTypeKind, OccupationalDisease

from .models import InjuryCase, OccupationalDiseaseCase, SafetyAccident

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class PersonalDataFormMixin:
    """Enterprise choices in the user's scope; on edit the ID number shows masked and may be left empty."""

    def scope_fields(self, user):
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("id", "name")
        if self.instance.pk and "worker_id_number" in self.fields:
            self.fields["worker_id_number"].required = False
            self.fields["worker_id_number"].help_text = _("Leave empty to keep %(masked)s.") % {
                "masked": self.instance.masked_id_number
            }
            self.initial["worker_id_number"] = ""

    def clean_worker_id_number(self):
        value = self.cleaned_data.get("worker_id_number")
        if not value and self.instance.pk:
            return type(self.instance).objects.get(pk=self.instance.pk).worker_id_number
        return value


class InjuryCaseForm(PersonalDataFormMixin, StyledFormMixin, forms.ModelForm):
    """Accident types of both GB 6441 editions (the model checks that the edition fits the accident date)."""

    class Meta:
        model = InjuryCase
        fields = [
            "enterprise",
            "occurred_at",
            "place",
            "accident_type",
            "cause",
            "post",
            "worker_name",
            "worker_id_number",
            "hire_date",
            "severity",
            "lost_workdays",
            "recognized_on",
            "disability_grade",
            "fund_payout",
        ]
        widgets = {
            "occurred_at": DATETIME,
            "hire_date": DATE,
            "recognized_on": DATE,
            "cause": forms.Textarea(attrs={"rows": 3}),
            "worker_id_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_fields(user)
        self.fields["accident_type"].queryset = AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)
        self.fields["accident_type"].label_from_instance = lambda t: f"{t.get_edition_display()} {t.code} {t.name}"
        self.fields["occurred_at"].input_formats = DATETIME_FORMATS


class OccupationalDiseaseCaseForm(PersonalDataFormMixin, StyledFormMixin, forms.ModelForm):
    """Diseases of both catalogues (the model checks the catalogue against the diagnosis date)."""

    class Meta:
        model = OccupationalDiseaseCase
        fields = [
            "enterprise",
            "worker_name",
            "worker_id_number",
            "disease",
            "diagnosis",
            "hazard_factor",
            "exposure_start",
            "exposure_years",
            "diagnosed_on",
            "diagnosing_institution",
        ]
        widgets = {
            "exposure_start": DATE,
            "diagnosed_on": DATE,
            "diagnosis": forms.TextInput(),
            "worker_id_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_fields(user)
        self.fields["disease"].label_from_instance = lambda d: f"{d.catalogue_version} {d.class_name} {d.name}"
        self.fields["disease"].queryset = OccupationalDisease.objects.order_by("-catalogue_version", "code")
        if self.instance.pk:
            self.initial["diagnosis"] = ""
            self.fields["diagnosis"].help_text = _("Leave empty to keep the recorded diagnosis.")

    def clean_diagnosis(self):
        value = self.cleaned_data.get("diagnosis")
        if not value and self.instance.pk:
            return OccupationalDiseaseCase.objects.get(pk=self.instance.pk).diagnosis
        return value


class SafetyAccidentForm(StyledFormMixin, forms.ModelForm):
    """Linked work-injury cases: those of the user's scope (the service checks again)."""

    class Meta:
        model = SafetyAccident
        fields = [
            "enterprise",
            "occurred_at",
            "place",
            "accident_type",
            "summary",
            "deaths",
            "serious_injuries",
            "minor_injuries",
            "direct_loss",
            "injury_cases",
        ]
        widgets = {"occurred_at": DATETIME, "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("id", "name")
        self.fields["accident_type"].queryset = AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)
        self.fields["accident_type"].label_from_instance = lambda t: f"{t.get_edition_display()} {t.code} {t.name}"
        self.fields["occurred_at"].input_formats = DATETIME_FORMATS
        self.fields["injury_cases"].queryset = InjuryCase.objects.visible_to(user).select_related("enterprise")
        self.fields["injury_cases"].required = False
