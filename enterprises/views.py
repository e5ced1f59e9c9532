from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from portal import views as generic
from portal.exports import Column, display
from portal.permissions import get_visible_or_404
from portal.services import create_object

from .filters import EnterpriseFilterSet
from .forms import EnterpriseForm, InsuranceSnapshotForm
from .models import Enterprise, InsuranceSnapshot
from .tables import EnterpriseTable


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
