"""Pages of the three incident kinds. Each is a few attributes on the generic bases below."""

import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from portal import views as generic
from portal.exports import Column, display
from portal.permissions import may_record, may_unmask

from . import services
from .filters import InjuryCaseFilterSet, OccupationalDiseaseCaseFilterSet, SafetyAccidentFilterSet
from .forms import InjuryCaseForm, OccupationalDiseaseCaseForm, SafetyAccidentForm
from .models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from .tables import InjuryCaseTable, OccupationalDiseaseCaseTable, SafetyAccidentTable

UNMASK_SECONDS = 300  # how long a stated reason shows the personal data of one case


def _grant_key(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _unmask_grants(request) -> dict:
    now = time.time()
    stored = request.session.get("unmask_grants", {})
    grants = {k: v for k, v in stored.items() if v > now}
    if grants != stored:  # write the session only when a grant has expired
        request.session["unmask_grants"] = grants
    return grants


class IncidentListView(generic.ScopedListView):
    related = ("enterprise",)  # what the table shows of other tables
    export_related: tuple[str, ...] = ()  # and what the export adds
    # The columns the table reads (its cells, their links and the keys of its sort orders): a page reads no others,
    # so the encrypted ID number and diagnosis are neither read nor decrypted for its rows.
    shown: tuple[str, ...] = ()

    def get_queryset(self):
        return super().get_queryset().select_related(*self.related)

    def get_table_data(self):
        rows = super().get_table_data()
        return rows.only("id", *self.shown) if self.shown else rows  # (a list without ``shown`` reads every column)

    def export_queryset(self):
        return super().export_queryset().select_related(*self.export_related)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if may_record(self.request.user, self.model):
            ctx["add_url"] = reverse(f"incidents:{self.model._meta.model_name}_add")
        return ctx


class IncidentDetailView(generic.ScopedDetailView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if hasattr(self.object, "personal_fields"):
            ctx["may_unmask"] = may_unmask(self.request.user, self.object)
            ctx["unmasked"] = ctx["may_unmask"] and _grant_key(self.object) in _unmask_grants(self.request)
            ctx["unmask_url"] = reverse(f"incidents:{self.model._meta.model_name}_unmask", args=[self.object.pk])
        return ctx


class IncidentCreateView(generic.ScopedCreateView):
    def has_permission(self):
        return super().has_permission() and may_record(self.request.user, self.model)

    def create(self, form):
        return services.record_incident(actor=self.request.user, model=self.model, data=form.cleaned_data)

    def get_success_url(self):
        return self.object.get_absolute_url()


class IncidentUpdateView(generic.ScopedUpdateView):
    def form_valid(self, form):
        original = self.model.objects.get(pk=self.object.pk)
        try:
            self.object = services.update_incident(actor=self.request.user, instance=original, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.object)


class IncidentUnmaskView(generic.ActionView):
    """POST a reason → the personal data of this case shows in clear for a few minutes (audited)."""

    def get_permission_required(self):
        return [f"incidents.unmask_{self.model._meta.model_name}"]

    def perform(self, obj):
        try:
            services.unmask_personal_data(actor=self.request.user, case=obj, reason=self.request.POST.get("reason", ""))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return redirect(obj)
        grants = _unmask_grants(self.request)
        grants[_grant_key(obj)] = time.time() + UNMASK_SECONDS
        self.request.session["unmask_grants"] = grants
        messages.info(self.request, _("Personal data is shown for 5 minutes; your reason has been recorded."))
        return redirect(obj)


# --- work-injury cases ------------------------------------------------------------------------------------------


_ENTERPRISE_COLUMNS = [
    Column(_("unified social credit code"), lambda c: c.enterprise.credit_code),
    Column(_("enterprise"), lambda c: c.enterprise.name),
    Column(_("region"), lambda c: c.enterprise.region.name),
    Column(_("industry code"), lambda c: c.enterprise.industry.code),
]
# Personal data leaves the portal masked, whoever exports.
_WORKER_COLUMNS = [
    Column(_("injured worker"), lambda c: c.masked_worker_name),
    Column(_("ID number"), lambda c: c.masked_id_number),
    Column(_("sex"), display("sex")),
]


class InjuryCaseListView(IncidentListView):
    model = InjuryCase
    table_class = InjuryCaseTable
    filterset_class = InjuryCaseFilterSet
    related = ("enterprise", "accident_type")
    export_related = ("enterprise__region", "enterprise__industry")
    shown = (
        *("occurred_at", "post", "severity", "worker_name", "recognized_on"),
        *("enterprise__name", "accident_type__code", "accident_type__name"),
    )
    export_columns = [
        Column(_("time of the accident"), lambda c: c.occurred_at),
        *_ENTERPRISE_COLUMNS,
        Column(_("accident type"), lambda c: f"{c.accident_type.code} {c.accident_type.name}"),
        Column(_("post"), lambda c: c.post),
        *_WORKER_COLUMNS,
        Column(_("severity"), display("severity")),
        Column(_("lost workdays"), lambda c: c.lost_workdays),
        Column(_("recognition date"), lambda c: c.recognized_on),
        Column(_("disability grade"), lambda c: c.disability_grade),
        Column(_("fund payout (yuan)"), lambda c: c.fund_payout),
    ]


class InjuryCaseDetailView(IncidentDetailView):
    model = InjuryCase
    template_name = "incidents/injurycase_detail.html"

    def get_queryset(self):
        return InjuryCase.objects.select_related("enterprise__region", "accident_type", "owner_agency")


class InjuryCaseCreateView(IncidentCreateView):
    model = InjuryCase
    form_class = InjuryCaseForm


class InjuryCaseUpdateView(IncidentUpdateView):
    model = InjuryCase
    form_class = InjuryCaseForm


class InjuryCaseDeleteView(generic.ScopedDeleteView):
    model = InjuryCase
    success_url = reverse_lazy("incidents:injurycase_list")


class InjuryCaseUnmaskView(IncidentUnmaskView):
    model = InjuryCase


# --- occupational-disease cases ---------------------------------------------------------------------------------


class OccupationalDiseaseCaseListView(IncidentListView):
    model = OccupationalDiseaseCase
    table_class = OccupationalDiseaseCaseTable
    filterset_class = OccupationalDiseaseCaseFilterSet
    related = ("enterprise", "disease")
    export_related = ("enterprise__region", "enterprise__industry")
    shown = (
        *("diagnosed_on", "hazard_factor", "exposure_years", "worker_name"),
        *("enterprise__name", "disease__code", "disease__name"),
    )
    export_columns = [
        Column(_("diagnosis date"), lambda c: c.diagnosed_on),
        *_ENTERPRISE_COLUMNS,
        Column(_("occupational disease"), lambda c: f"{c.disease.catalogue_version} {c.disease.name}"),
        Column(_("hazard factor"), lambda c: c.hazard_factor),
        Column(_("years of exposure"), lambda c: c.exposure_years),
        *_WORKER_COLUMNS,
    ]


class OccupationalDiseaseCaseDetailView(IncidentDetailView):
    model = OccupationalDiseaseCase
    template_name = "incidents/occupationaldiseasecase_detail.html"

    def get_queryset(self):
        return OccupationalDiseaseCase.objects.select_related("enterprise__region", "disease", "owner_agency")


class OccupationalDiseaseCaseCreateView(IncidentCreateView):
    model = OccupationalDiseaseCase
    form_class = OccupationalDiseaseCaseForm


class OccupationalDiseaseCaseUpdateView(IncidentUpdateView):
    model = OccupationalDiseaseCase
    form_class = OccupationalDiseaseCaseForm


class OccupationalDiseaseCaseDeleteView(generic.ScopedDeleteView):
    model = OccupationalDiseaseCase
    success_url = reverse_lazy("incidents:occupationaldiseasecase_list")


class OccupationalDiseaseCaseUnmaskView(IncidentUnmaskView):
    model = OccupationalDiseaseCase


# --- safety accidents -------------------------------------------------------------------------------------------


class SafetyAccidentListView(IncidentListView):
    model = SafetyAccident
    table_class = SafetyAccidentTable
    filterset_class = SafetyAccidentFilterSet
    related = ("enterprise", "accident_type")
    export_related = ("enterprise__region", "enterprise__industry")
    shown = (
        *("occurred_at", "grade", "deaths", "serious_injuries", "direct_loss"),
        *("enterprise__name", "accident_type__code", "accident_type__name"),
    )
    export_columns = [
        Column(_("time of the accident"), lambda a: a.occurred_at),
        *_ENTERPRISE_COLUMNS,
        Column(_("accident type"), lambda a: f"{a.accident_type.code} {a.accident_type.name}"),
        Column(_("grade"), display("grade")),
        Column(_("deaths"), lambda a: a.deaths),
        Column(_("serious injuries"), lambda a: a.serious_injuries),
        Column(_("minor injuries"), lambda a: a.minor_injuries),
        Column(_("direct economic loss (yuan)"), lambda a: a.direct_loss),
    ]


class SafetyAccidentDetailView(IncidentDetailView):
    model = SafetyAccident
    template_name = "incidents/safetyaccident_detail.html"

    def get_queryset(self):
        return SafetyAccident.objects.select_related("enterprise__region", "accident_type", "owner_agency")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["linked_cases"] = InjuryCase.objects.visible_to(self.request.user).filter(safety_accidents=self.object)
        return ctx


class SafetyAccidentCreateView(IncidentCreateView):
    model = SafetyAccident
    form_class = SafetyAccidentForm


class SafetyAccidentUpdateView(IncidentUpdateView):
    model = SafetyAccident
    form_class = SafetyAccidentForm


class SafetyAccidentDeleteView(generic.ScopedDeleteView):
    model = SafetyAccident
    success_url = reverse_lazy("incidents:safetyaccident_list")
