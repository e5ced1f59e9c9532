import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from portal import views as generic
from portal.permissions import may_record, may_unmask

from . import services
from .filters import InjuryCaseFilterSet
from .forms import InjuryCaseForm
from .models import InjuryCase
from .tables import InjuryCaseTable

UNMASK_SECONDS = 300  # how long a stated reason shows the personal data of one case


def _unmask_grants(request) -> dict:
    now = time.time()
    grants = {k: v for k, v in request.session.get("unmask_grants", {}).items() if v > now}
    request.session["unmask_grants"] = grants
    return grants


class InjuryCaseListView(generic.ScopedListView):
    model = InjuryCase
    table_class = InjuryCaseTable
    filterset_class = InjuryCaseFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise", "accident_type")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if may_record(self.request.user, InjuryCase):
            ctx["add_url"] = reverse("incidents:injurycase_add")
        return ctx


class InjuryCaseDetailView(generic.ScopedDetailView):
    model = InjuryCase
    template_name = "incidents/injurycase_detail.html"

    def get_queryset(self):
        return InjuryCase.objects.select_related("enterprise__region", "accident_type", "owner_agency")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["may_unmask"] = may_unmask(self.request.user, self.object)
        ctx["unmasked"] = ctx["may_unmask"] and str(self.object.pk) in _unmask_grants(self.request)
        return ctx


class InjuryCaseCreateView(generic.ScopedCreateView):
    model = InjuryCase
    form_class = InjuryCaseForm

    def has_permission(self):
        return super().has_permission() and may_record(self.request.user, InjuryCase)

    def create(self, form):
        return services.record_injury_case(actor=self.request.user, data=form.cleaned_data)

    def get_success_url(self):
        return self.object.get_absolute_url()


class InjuryCaseUpdateView(generic.ScopedUpdateView):
    model = InjuryCase
    form_class = InjuryCaseForm

    def get_success_url(self):
        return self.object.get_absolute_url()


class InjuryCaseDeleteView(generic.ScopedDeleteView):
    model = InjuryCase
    success_url = reverse_lazy("incidents:injurycase_list")


class InjuryCaseUnmaskView(generic.ActionView):
    """POST a reason → the personal data of this case shows in clear for a few minutes (audited)."""

    model = InjuryCase
    permission_required = "incidents.unmask_injurycase"

    def perform(self, obj):
        try:
            services.unmask_injury_case(actor=self.request.user, case=obj, reason=self.request.POST.get("reason", ""))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return redirect(obj)
        grants = _unmask_grants(self.request)
        grants[str(obj.pk)] = time.time() + UNMASK_SECONDS
        self.request.session["unmask_grants"] = grants
        messages.info(self.request, _("Personal data is shown for 5 minutes; your reason has been recorded."))
        return redirect(obj)
