"""Typical-case bulletins (典型事故通报): the staff pages (write, optionally from a case; edit a draft; publish;
withdraw with a reason) and the public case library (警示教育), readable without logging in, which shows only
published bulletins and never their source case, enterprise or any person."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from incidents.models import InjuryCase, Severity
from portal import views as generic
from portal.forms import add_service_errors, style_fields
from portal.permissions import get_visible_or_404

from .. import services
from ..filters.screening import BulletinFilterSet, BulletinPublicFilterSet
from ..forms.screening import BulletinForm, WithdrawForm
from ..models import Bulletin
from ..tables.screening import BulletinTable, bulletin_state

__all__ = [
    "BulletinListView",
    "BulletinCreateView",
    "BulletinUpdateView",
    "BulletinPublishView",
    "BulletinWithdrawView",
    "BulletinPublicListView",
    "BulletinPublicDetailView",
]

SEVERITY = dict(Severity.choices)


def _is_public(bulletin: Bulletin) -> bool:
    return bulletin.published_at is not None and bulletin.withdrawn_at is None


# --- staff ---------------------------------------------------------------------------------------------------------


class BulletinListView(generic.ScopedListView):
    model = Bulletin
    table_class = BulletinTable
    filterset_class = BulletinFilterSet
    add_url_name = "prevention:bulletin_create"
    template_name = "prevention/bulletin_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "created_by")


class BulletinCreateView(generic.PortalPermissionMixin, FormView):
    """Write a bulletin; ``?case=<id>`` starts it from a case the user may see (its month, region, industry,
    accident type and severity are taken over, never a name)."""

    permission_required = "prevention.add_bulletin"
    form_class = BulletinForm
    template_name = "prevention/bulletin_form.html"

    def has_permission(self):
        return super().has_permission() and self.request.user.agency_id is not None

    def dispatch(self, request, *args, **kwargs):
        self.case = None
        return super().dispatch(request, *args, **kwargs)

    def get_case(self):
        pk = self.request.GET.get("case") or self.request.POST.get("case")
        if not pk:
            return None
        if not str(pk).isdigit():
            raise Http404
        cases = InjuryCase.objects.select_related("enterprise__region", "enterprise__industry", "accident_type")
        return get_visible_or_404(cases, self.request.user, pk=int(pk))

    def get(self, request, *args, **kwargs):
        self.case = self.get_case()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.case = self.get_case()
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        # The agency's own region (a county, say) rather than the case's town or street: a place that precise,
        # with the industry and the month, could point at the enterprise.
        initial = {"region": self.request.user.agency.region_id}
        if self.case is not None:
            initial["occurred_in"] = timezone.localtime(self.case.occurred_at).date().replace(day=1)
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "case": self.case}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["case"] = self.case
        if self.case is not None:
            ctx["case_severity"] = self.case.get_severity_display()
        return ctx

    def form_valid(self, form):
        try:
            bulletin = services.draft_bulletin(actor=self.request.user, data=form.cleaned_data, case=self.case)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The bulletin is saved as a draft. Publish it when it is ready."))
        return redirect("prevention:bulletin_update", pk=bulletin.pk)


class BulletinUpdateView(generic.ScopedUpdateView):
    """Edit a bulletin of the user's agency while it is not public (a draft, or withdrawn); a published one is
    shown read-only with the button that withdraws it. The text is checked again for names of the source case."""

    model = Bulletin
    form_class = BulletinForm
    template_name = "prevention/bulletin_form.html"

    def get_object(self, queryset=None):
        return super().get_object(Bulletin.objects.select_related("region", "industry", "accident_type"))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        state, label, css = bulletin_state(self.object)
        ctx.update(
            bulletin=self.object,
            locked=_is_public(self.object),
            state=state,
            state_label=label,
            state_css=css,
            severity=SEVERITY.get(self.object.severity, ""),
            withdraw_form=WithdrawForm(),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if _is_public(self.object):
            messages.error(request, _("A published bulletin cannot be edited; withdraw it first."))
            return redirect("prevention:bulletin_update", pk=self.object.pk)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        original = Bulletin.objects.get(pk=self.object.pk)
        try:
            self.object = services.update_bulletin(actor=self.request.user, bulletin=original, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("prevention:bulletin_update", pk=self.object.pk)


class BulletinPublishView(generic.ActionView):
    model = Bulletin

    def get_permission_required(self):
        return ["prevention.change_bulletin"]

    def perform(self, obj):
        services.publish_bulletin(actor=self.request.user, bulletin=obj)
        messages.success(self.request, _("The bulletin is published in the public case library."))
        return redirect("prevention:bulletin_update", pk=obj.pk)


class BulletinWithdrawView(generic.ActionView):
    model = Bulletin

    def get_permission_required(self):
        return ["prevention.change_bulletin"]

    def perform(self, obj):
        form = WithdrawForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, _("State why the bulletin is withdrawn."))
            return redirect("prevention:bulletin_update", pk=obj.pk)
        services.withdraw_bulletin(actor=self.request.user, bulletin=obj, reason=form.cleaned_data["reason"])
        messages.success(self.request, _("The bulletin is withdrawn from the public case library."))
        return redirect("prevention:bulletin_update", pk=obj.pk)


# --- the public case library (no login) ------------------------------------------------------------------------


class BulletinPublicListView(FilterView):
    """Published bulletins only, newest first; filter by industry, accident type and year, search the text."""

    model = Bulletin
    filterset_class = BulletinPublicFilterSet
    template_name = "prevention/library_list.html"
    context_object_name = "bulletins"
    paginate_by = 12

    def get_queryset(self):
        return (
            Bulletin.objects.public()
            .select_related("region", "industry", "accident_type")
            .order_by("-published_at", "-id")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        style_fields(ctx["filter"].form)
        for bulletin in ctx["bulletins"]:
            bulletin.severity_label = SEVERITY.get(bulletin.severity, "")
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx["query"] = query.urlencode()
        ctx["library_url"] = reverse("prevention:bulletin_public_list")
        return ctx


class BulletinPublicDetailView(DetailView):
    """One published bulletin: what happened, the causes, the lessons; a withdrawn or unpublished one is a 404."""

    template_name = "prevention/library_detail.html"
    context_object_name = "bulletin"

    def get_queryset(self):
        return Bulletin.objects.public().select_related("region", "industry", "accident_type", "owner_agency")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        bulletin = self.object
        bulletin.severity_label = SEVERITY.get(bulletin.severity, "")
        related = Bulletin.objects.public().exclude(pk=bulletin.pk)
        if bulletin.accident_type_id:
            related = related.filter(accident_type_id=bulletin.accident_type_id)
        ctx["related"] = list(related.order_by("-published_at", "-id").only("pk", "title", "occurred_in")[:5])
        return ctx
