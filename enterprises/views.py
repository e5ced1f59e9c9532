from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from portal import views as generic
from portal.exports import Column, display
from portal.permissions import get_visible_or_404, may_record
from portal.services import create_object

from . import services
from .filters import ConstructionProjectFilterSet, EnterpriseFilterSet
from .forms import ConstructionProjectForm, EnterpriseForm, InsuranceSnapshotForm
from .models import ConstructionProject, Enterprise, InsuranceSnapshot
from .tables import ConstructionProjectTable, EnterpriseTable


class EnterpriseListView(generic.ScopedListView):
    model = Enterprise
    table_class = EnterpriseTable
    filterset_class = EnterpriseFilterSet
    add_url_name = "enterprises:enterprise_add"
    export_columns = [
        Column(_("unified social credit code"), lambda e: e.credit_code),
        Column(_("name"), lambda e: e.name),
        Column(_("region code"), lambda e: e.region.code),
        Column(_("region"), lambda e: e.region.name),
        Column(_("industry code"), lambda e: e.industry.code),
        Column(_("industry"), lambda e: e.industry.name),
        Column(_("scale"), display("scale")),
        Column(_("employees"), lambda e: e.employees),
        Column(_("status"), display("status")),
        Column(_("legal representative"), lambda e: e.legal_representative),
        Column(_("safety officer"), lambda e: e.safety_contact_name),
        Column(_("safety officer phone"), lambda e: e.safety_contact_phone),
        Column(_("address"), lambda e: e.address),
        Column(_("owning agency"), lambda e: e.owner_agency.name),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("region", "industry", "owner_agency")


class EnterpriseDetailView(generic.ScopedDetailView):
    model = Enterprise
    template_name = "enterprises/enterprise_detail.html"

    def get_queryset(self):
        return Enterprise.objects.select_related("region", "industry", "owner_agency")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["snapshots"] = (
            InsuranceSnapshot.objects.visible_to(user).filter(enterprise=self.object).select_related("owner_agency")
        )
        ctx["editable_snapshot_ids"] = set(
            InsuranceSnapshot.objects.editable_by(user).filter(enterprise=self.object).values_list("pk", flat=True)
        )
        from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident

        ctx["cases"] = (
            InjuryCase.objects.visible_to(user).filter(enterprise=self.object).select_related("accident_type")[:50]
        )
        ctx["disease_cases"] = (
            OccupationalDiseaseCase.objects.visible_to(user)
            .filter(enterprise=self.object)
            .select_related("disease")[:50]
        )
        ctx["accidents"] = (
            SafetyAccident.objects.visible_to(user).filter(enterprise=self.object).select_related("accident_type")[:50]
        )
        ctx["can_add_snapshot"] = user.has_perm("enterprises.add_insurancesnapshot") and user.is_agency_user
        ctx["projects"] = (
            ConstructionProject.objects.visible_to(user).filter(enterprise=self.object).select_related("region")[:50]
        )
        ctx["can_add_project"] = may_record(user, ConstructionProject)
        from incidents.prevention.models import NoticeLetter, Outcome

        ctx["notices"] = NoticeLetter.objects.visible_to(user).filter(enterprise=self.object)[:20]
        ctx["outcomes"] = (
            Outcome.objects.visible_to(user).filter(enterprise=self.object).select_related("referred_to")[:20]
        )
        return ctx


class EnterpriseCreateView(generic.ScopedCreateView):
    model = Enterprise
    form_class = EnterpriseForm

    def create(self, form):
        return create_object(
            actor=self.request.user, model=Enterprise, data=form.cleaned_data, owner_agency=self.request.user.agency
        )

    def get_success_url(self):
        return reverse("enterprises:enterprise_detail", args=[self.object.pk])


class EnterpriseUpdateView(generic.ScopedUpdateView):
    model = Enterprise
    form_class = EnterpriseForm

    def get_success_url(self):
        return reverse("enterprises:enterprise_detail", args=[self.object.pk])


class EnterpriseDeleteView(generic.ScopedDeleteView):
    model = Enterprise
    success_url = reverse_lazy("enterprises:enterprise_list")


class InsuranceSnapshotCreateView(generic.ScopedCreateView):
    """Record one quarter's insurance figures for an enterprise the user can see."""

    model = InsuranceSnapshot
    form_class = InsuranceSnapshotForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.enterprise = get_visible_or_404(Enterprise, request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enterprise": self.enterprise}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "parent": self.enterprise}

    def create(self, form):
        return create_object(
            actor=self.request.user,
            model=InsuranceSnapshot,
            data=form.cleaned_data,
            enterprise=self.enterprise,
            owner_agency=self.request.user.agency,
        )

    def get_success_url(self):
        return self.enterprise.get_absolute_url()


class InsuranceSnapshotUpdateView(generic.ScopedUpdateView):
    model = InsuranceSnapshot
    form_class = InsuranceSnapshotForm

    def get_success_url(self):
        return self.object.enterprise.get_absolute_url()


class InsuranceSnapshotDeleteView(generic.ScopedDeleteView):
    model = InsuranceSnapshot

    def get_success_url(self):
        return self.object.enterprise.get_absolute_url()


# --- construction projects (按项目参保) ----------------------------------------------------------------------------


class ConstructionProjectListView(generic.ScopedListView):
    model = ConstructionProject
    table_class = ConstructionProjectTable
    filterset_class = ConstructionProjectFilterSet
    export_columns = [
        Column(_("permit number"), lambda p: p.permit_number),
        Column(_("project name"), lambda p: p.name),
        Column(_("unified social credit code"), lambda p: p.enterprise.credit_code),
        Column(_("general contractor"), lambda p: p.enterprise.name),
        Column(_("site region code"), lambda p: p.region.code),
        Column(_("site region"), lambda p: p.region.name),
        Column(_("sector"), display("sector")),
        Column(_("contract value (10,000 yuan)"), lambda p: p.contract_value),
        Column(_("workers"), lambda p: p.workers),
        Column(_("start date"), lambda p: p.started_on),
        Column(_("planned completion"), lambda p: p.planned_end),
        Column(_("insured on"), lambda p: p.insured_on),
        Column(_("insured workers"), lambda p: p.insured_workers),
        Column(_("premium (yuan)"), lambda p: p.premium),
        Column(_("owning agency"), lambda p: p.owner_agency.name),
    ]

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "region", "owner_agency")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if may_record(self.request.user, ConstructionProject):
            ctx["add_url"] = reverse("enterprises:constructionproject_add")
        return ctx


class ConstructionProjectDetailView(generic.ScopedDetailView):
    model = ConstructionProject
    template_name = "enterprises/constructionproject_detail.html"

    def get_queryset(self):
        return ConstructionProject.objects.select_related("enterprise", "region", "owner_agency")


class ConstructionProjectCreateView(generic.ScopedCreateView):
    """Only 住建, 交通运输 and 水利 agencies record projects (others get 403 before the form)."""

    model = ConstructionProject
    form_class = ConstructionProjectForm

    def has_permission(self):
        return super().has_permission() and may_record(self.request.user, ConstructionProject)

    def get_initial(self):
        initial = super().get_initial()
        enterprise = self.request.GET.get("enterprise", "")
        if enterprise.isdigit():  # "record a project" from an enterprise's page; the form's choices are scoped
            initial["enterprise"] = int(enterprise)
        return initial

    def create(self, form):
        return services.record_construction_project(actor=self.request.user, data=form.cleaned_data)

    def get_success_url(self):
        return self.object.get_absolute_url()


class ConstructionProjectUpdateView(generic.ScopedUpdateView):
    model = ConstructionProject
    form_class = ConstructionProjectForm

    def form_valid(self, form):
        original = ConstructionProject.objects.get(pk=self.object.pk)
        try:
            self.object = services.update_construction_project(
                actor=self.request.user, instance=original, data=form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.object)


class ConstructionProjectDeleteView(generic.ScopedDeleteView):
    model = ConstructionProject
    success_url = reverse_lazy("enterprises:constructionproject_list")
