"""Forms of the rectification report, its attachments, deadline extensions and the agency's review.

The forms only collect input; the services decide (a draft may be incomplete, a submission may not). Errors the
services raise are put back on these forms with ``add_service_errors``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.forms import StyledFormMixin, style_fields

from ..models import RectificationReport

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, rows=4, help_text=""):
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


class RectificationReportForm(StyledFormMixin, forms.Form):
    """The report: immediate measures, self-inspection, one root-cause text per listed case, the measures per
    high-incident post and the four 不放过. ``cases`` and ``posts`` are the notice's (``services.notice_cases`` and
    ``services.notice_posts``); their fields are ``cause_<case id>`` and ``measures_<n>``."""

    # Errors of these service keys belong to a group of fields, shown above the group.
    GROUPS = ("case_analyses", "post_measures")

    def __init__(self, *args, cases=(), posts=(), report: RectificationReport | None = None, **kwargs):
        self.cases = list(cases)
        self.posts = list(posts)
        self.group_errors: dict[str, list[str]] = {}
        if report is not None and not kwargs.get("initial"):
            kwargs["initial"] = self.initial_from(report)
        super().__init__(*args, **kwargs)
        self.fields["immediate_measures"] = _text(
            RectificationReport._meta.get_field("immediate_measures").verbose_name,
            help_text=_("What was done at once. You may save this first and complete the analysis later."),
        )
        self.fields["self_inspection"] = _text(RectificationReport._meta.get_field("self_inspection").verbose_name)
        for case in self.cases:
            self.fields[f"cause_{case.pk}"] = _text(_("Root cause"), rows=3)
        for i, post in enumerate(self.posts):
            self.fields[f"measures_{i}"] = _text(_("Measures for the post %(post)s") % {"post": post.post}, rows=3)
        for name in RectificationReport.FOUR_ANSWERS:
            self.fields[name] = _text(RectificationReport._meta.get_field(name).verbose_name, rows=3)
        style_fields(self, mark_errors=False)

    def initial_from(self, report: RectificationReport) -> dict:
        initial = {name: getattr(report, name) for name in ("immediate_measures", "self_inspection")}
        initial.update({name: getattr(report, name) for name in RectificationReport.FOUR_ANSWERS})
        for item in report.case_analyses or []:
            if isinstance(item, dict) and item.get("case") is not None:
                initial[f"cause_{item['case']}"] = item.get("cause", "")
        measures = {
            str(m.get("post", "")): m.get("measures", "") for m in report.post_measures or [] if isinstance(m, dict)
        }
        for i, post in enumerate(self.posts):
            initial[f"measures_{i}"] = measures.get(post.post, "")
        return initial

    @property
    def case_rows(self):
        """(case, bound field) for the template."""
        return [(case, self[f"cause_{case.pk}"]) for case in self.cases]

    @property
    def post_rows(self):
        return [(post, self[f"measures_{i}"]) for i, post in enumerate(self.posts)]

    @property
    def four_fields(self):
        return [self[name] for name in RectificationReport.FOUR_ANSWERS]

    def to_data(self) -> dict:
        """The service's ``data``: the plain texts, ``case_analyses`` and ``post_measures`` as lists."""
        cd = self.cleaned_data
        data = {name: cd.get(name, "").strip() for name in ("immediate_measures", "self_inspection")}
        data.update({name: cd.get(name, "").strip() for name in RectificationReport.FOUR_ANSWERS})
        data["case_analyses"] = [
            {"case": case.pk, "cause": cd.get(f"cause_{case.pk}", "").strip()} for case in self.cases
        ]
        data["post_measures"] = [
            {"post": post.post, "measures": cd.get(f"measures_{i}", "").strip()} for i, post in enumerate(self.posts)
        ]
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's errors on the form: a field's on the field; the groups' above the group, with each
        empty field of the group marked; the rest as non-field errors."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.message_dict.items():
            if key in self.fields:
                self.add_error(key, errors)
            elif key in self.GROUPS:
                self.group_errors[key] = list(errors)
                prefix = "cause_" if key == "case_analyses" else "measures_"
                for name in self.fields:
                    if name.startswith(prefix) and not (self.cleaned_data or {}).get(name, "").strip():
                        self.add_error(name, _("Required before submitting."))
            else:
                self.add_error(None, errors)
        style_fields(self)


class AttachmentForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG, Word, Excel or PowerPoint; the type is checked by the file's content."),
    )


class ExtensionRequestForm(StyledFormMixin, forms.Form):
    requested_date = forms.DateField(label=_("requested deadline"), widget=DATE)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionDecisionForm(StyledFormMixin, forms.Form):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Grant")), ("no", _("Refuse"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    granted_date = forms.DateField(
        label=_("granted deadline"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty to grant the requested date. A rest day moves to the next working day."),
    )
    reason = forms.CharField(
        label=_("reason for the decision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when refusing."),
    )


class ReviewForm(StyledFormMixin, forms.Form):
    """The agency's comment on accepting, or its reasons for returning (required then, at least 4 characters)."""

    reason = forms.CharField(label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def add_errors(form: forms.Form, exc: ValidationError, rename: dict | None = None) -> None:
    """Put a service's ValidationError on ``form``: keys that are fields (after ``rename``) on the field, the rest
    as non-field errors."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        name = rename.get(key, key)
        form.add_error(name if name in form.fields else None, errors)
