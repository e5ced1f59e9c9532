"""Forms of the joint meeting: meetings, agenda, replies, minutes, decisions and action items. Each form only
collects input; the view calls the service with ``cleaned_data``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Agency
from portal.forms import MultipleFileField, StyledFormMixin

from ..models import Attendance, Committee, Meeting


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MeetingForm(StyledFormMixin, forms.Form):
    committee = forms.ModelChoiceField(label=_("joint meeting"), queryset=Committee.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("starts at"), widget=DateTimeInput())
    place = forms.CharField(label=_("place"), max_length=200)
    agenda_cutoff = forms.DateTimeField(
        label=_("agenda cut-off"), widget=DateTimeInput(), help_text=_("Member agencies propose items until then.")
    )

    def __init__(self, *args, committees=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = committees if committees is not None else Committee.objects.none()
        self.fields["committee"].queryset = qs
        choices = list(qs[:2])
        if len(choices) == 1:
            self.fields["committee"].initial = choices[0].pk

    def clean(self):
        data = super().clean()
        start, cutoff = data.get("starts_at"), data.get("agenda_cutoff")
        if start and cutoff and cutoff > start:
            self.add_error("agenda_cutoff", _("The agenda cut-off must not be after the start of the meeting."))
        return data


class AgendaItemForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    files = MultipleFileField(label=_("attachments"), required=False)


class DeclineForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("reason declined"), max_length=200)


class ReplyForm(StyledFormMixin, forms.Form):
    reply = forms.ChoiceField(
        label=_("reply"), choices=[c for c in Attendance.Reply.choices if c[0] != Attendance.Reply.PENDING]
    )
    name = forms.CharField(label=_("name"), max_length=50, required=False)
    title = forms.CharField(label=_("title"), max_length=48, required=False, help_text=_("Required for a delegate."))


class MinutesForm(StyledFormMixin, forms.Form):
    chaired_by = forms.CharField(label=_("chaired by"), max_length=50)
    minutes = forms.CharField(label=_("minutes"), widget=forms.Textarea(attrs={"rows": 8}))


class AttendanceForm(StyledFormMixin, forms.Form):
    """One yes/no/unknown select per attendance row (``present_<agency id>``)."""

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[f"present_{row.agency_id}"] = forms.NullBooleanField(
                label=row.agency.name, required=False, initial=row.present
            )
        from portal.forms import style_fields

        style_fields(self, mark_errors=False)

    def present(self) -> dict[int, bool | None]:
        return {row.agency_id: self.cleaned_data.get(f"present_{row.agency_id}") for row in self.rows}


class DecisionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("decision"), widget=forms.Textarea(attrs={"rows": 2}))


class ActionItemForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    lead_agency = forms.ModelChoiceField(label=_("lead agency"), queryset=Agency.objects.none())
    participants = forms.ModelMultipleChoiceField(
        label=_("participating agencies"), queryset=Agency.objects.none(), required=False
    )
    due_on = forms.DateField(label=_("due on"), widget=DateInput())

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = agencies if agencies is not None else Agency.objects.none()
        self.fields["lead_agency"].queryset = qs
        self.fields["participants"].queryset = qs


class ProgressForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("progress"), widget=forms.Textarea(attrs={"rows": 3}))
    percent = forms.IntegerField(label=_("percent done"), min_value=0, max_value=100, initial=0)
