"""Forms of the joint meeting: the key task list and progress reports. Each form only collects input; the view
calls the service (``meetings.services.keytasks``) with ``cleaned_data``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency
from portal.forms import StyledFormMixin

from ..models import KeyTask, TaskProgress
from ..services.keytasks import TASK_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class KeyTaskForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = KeyTask
        fields = list(TASK_FIELDS)  # what the service takes
        widgets = {
            "due_on": DateInput(),
            "measures": forms.Textarea(attrs={"rows": 6}),
            "lead_agencies": forms.SelectMultiple(attrs={"size": 6}),
            "participants": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, committee, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(region_id=committee.region_id, is_active=True).order_by("kind", "name")
        self.fields["lead_agencies"].queryset = agencies
        self.fields["participants"].queryset = agencies
        self.fields["due_on"].help_text = _("Required when the task is due by a date.")
        self.instance.committee = committee

    def validate_unique(self):
        pass  # the service validates (full_clean) with the committee set


class ProgressForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2020, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("period"), coerce=int)
    status = forms.ChoiceField(label=_("status"), choices=TaskProgress.Status.choices)
    text = forms.CharField(label=_("progress"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, task: KeyTask, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(q, _("Q%(quarter)s") % {"quarter": q}) for q in (1, 2, 3, 4)]
        if task.schedule != KeyTask.Schedule.QUARTERLY:
            choices.append((0, _("Whole year")))
        self.fields["quarter"].choices = choices


class CompileForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2020, max_value=2100)
