"""Forms of opinion solicitations: the secretariat's draft and the agency's reply. The forms only collect input; the
services decide, and their errors come back with ``add_service_errors``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms import MultipleFileField, StyledFormMixin

from ..models import Committee, Reply, Solicitation
from ..services import solicitations as services

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
FILE_HELP = _("PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx); the type is checked by the file's content.")


class AgencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SolicitationForm(StyledFormMixin, forms.ModelForm):
    """The draft: joint meeting (new drafts only), title, covering letter, deadline, recipient agencies (default:
    every current member agency) and attachments."""

    committee = forms.ModelChoiceField(label=_("joint meeting"), queryset=Committee.objects.none())
    agencies = AgencyChoiceField(
        label=_("Member agencies asked"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("All current member agencies unless you untick some."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False, help_text=FILE_HELP)

    class Meta:
        model = Solicitation
        fields = ["title", "body", "deadline"]
        widgets = {"deadline": DATETIME, "body": forms.Textarea(attrs={"rows": 10})}
        labels = {"deadline": _("reply deadline")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        if self.instance.pk:
            committees = [self.instance.committee]
            del self.fields["committee"]
            self.initial.setdefault("agencies", list(self.instance.replies.values_list("agency_id", flat=True)))
        else:
            qs = Committee.objects.editable_by(user).select_related("region")
            committees = list(qs)
            self.fields["committee"].queryset = qs
            own = next((c for c in committees if user.agency_id and c.region_id == user.agency.region_id), None)
            if own is not None or len(committees) == 1:
                self.initial.setdefault("committee", (own or committees[0]).pk)
            chosen = self._chosen_committee(committees)
            if chosen is not None:
                self.initial.setdefault(
                    "agencies", list(services.current_member_agencies(chosen).values_list("pk", flat=True))
                )
            self.order_fields(["committee"])
        ids = set()
        for committee in committees:
            ids.update(services.current_member_agencies(committee).values_list("pk", flat=True))
        from portal.accounts.models import Agency

        self.fields["agencies"].queryset = Agency.objects.filter(pk__in=ids).order_by("region__path", "kind", "name")
        self.fields["attachments"].required = False

    def _chosen_committee(self, committees):
        key = self.data.get("committee") if self.is_bound else self.initial.get("committee")
        return next((c for c in committees if str(c.pk) == str(key)), None)


class ReplyForm(StyledFormMixin, forms.Form):
    """The agency's reply: no opinion, or comments with the stamped scan."""

    state = forms.ChoiceField(
        label=_("Our reply"),
        choices=[
            (Reply.State.NO_OPINION, Reply.State.NO_OPINION.label),
            (Reply.State.COMMENTS, Reply.State.COMMENTS.label),
        ],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Required with comments."),
    )
    scan = forms.FileField(
        label=_("stamped scan"),
        required=False,
        help_text=_("The comments signed off and stamped with the agency's seal, scanned (PDF or image)."),
    )
