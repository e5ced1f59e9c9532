"""Forms of the joint meeting: the committee and its members. Each form only collects input; the view calls the
service (``meetings.services.committee``) with ``cleaned_data``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import StyledFormMixin

from ..models import Committee, Member
from ..services.committee import member_candidates


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CommitteeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Committee
        fields = ["name", "established_on", "basis"]
        widgets = {"established_on": DateInput()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class MemberForm(StyledFormMixin, forms.ModelForm):
    """A person joining for one of the region's agencies."""

    class Meta:
        model = Member
        fields = ["agency", "role", "name", "title", "phone", "joined_on", "note"]
        widgets = {"joined_on": DateInput()}

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = member_candidates(committee)
        self.fields["agency"].help_text = _("An active agency of the joint meeting's region.")


class LeaveForm(StyledFormMixin, forms.Form):
    left_on = forms.DateField(label=_("left on"), widget=DateInput())
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class ReplaceForm(StyledFormMixin, forms.Form):
    """The successor: the old member leaves on the day the new one joins."""

    on = forms.DateField(label=_("date of the change"), widget=DateInput())
    name = forms.CharField(label=_("name of the successor"), max_length=50)
    title = forms.CharField(label=_("title"), max_length=100, help_text=_("For example 副局长."))
    phone = forms.CharField(label=_("phone"), max_length=40, required=False)
    role = forms.ChoiceField(label=_("role"), choices=Member.Role.choices)
    note = forms.CharField(label=_("note"), max_length=200, required=False)
