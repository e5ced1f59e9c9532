from django import forms
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise
from portal.forms import StyledFormMixin
from portal.reference.models import AccidentType, AccidentTypeKind

from .models import InjuryCase


class InjuryCaseForm(StyledFormMixin, forms.ModelForm):
    """Enterprises limited to the user's scope; accident types of both GB 6441 editions (the model checks that
    the edition fits the accident date)."""

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
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "hire_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "recognized_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "worker_id_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).only("id", "name")
        self.fields["accident_type"].queryset = AccidentType.objects.filter(kind=AccidentTypeKind.TYPE)
        self.fields["accident_type"].label_from_instance = lambda t: f"{t.get_edition_display()} {t.code} {t.name}"
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if self.instance.pk:
            # An edit shows the ID number masked; leaving it unchanged keeps the stored number.
            self.fields["worker_id_number"].required = False
            self.fields["worker_id_number"].help_text = _("Leave empty to keep %(masked)s.") % {
                "masked": self.instance.masked_id_number
            }
            self.initial["worker_id_number"] = ""

    def clean_worker_id_number(self):
        value = self.cleaned_data.get("worker_id_number")
        if not value and self.instance.pk:
            return InjuryCase.objects.get(pk=self.instance.pk).worker_id_number
        return value
