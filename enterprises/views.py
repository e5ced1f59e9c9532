from django.urls import reverse, reverse_lazy

from portal import views as generic
from portal.services import create_object

from .filters import EnterpriseFilterSet
from .forms import EnterpriseForm
from .models import Enterprise
from .tables import EnterpriseTable


class EnterpriseListView(generic.ScopedListView):
    model = Enterprise
    table_class = EnterpriseTable
    filterset_class = EnterpriseFilterSet
    add_url_name = "enterprises:enterprise_add"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "industry", "owner_agency")


class EnterpriseDetailView(generic.ScopedDetailView):
    model = Enterprise
    template_name = "enterprises/enterprise_detail.html"


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
