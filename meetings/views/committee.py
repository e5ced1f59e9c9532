"""Pages of the joint meeting: committee — the index (the user's committee, or the nearest one above), the
committee page (current members by role, membership history, links to the other pages of the joint meeting), and
the secretariat's forms: set up or edit the committee, add a member, a member leaves, a member is replaced.

Every write is one service call (``meetings.services.committee``): its ValidationError comes back on the form, its
PermissionDenied is a 403; a role without the permission gets 403, an object outside the user's scope 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from portal import views as generic
from portal.forms import add_service_errors
from portal.permissions import get_visible_or_404

from ..forms.committee import CommitteeForm, LeaveForm, MemberForm, ReplaceForm
from ..models import Committee, Member, is_secretariat_of
from ..services import committee as services

# The joint meeting's other pages: (URL name, path while that page does not exist yet, label).
SECTION_LINKS = [
    ("meetings:meeting_list", "/meetings/meetings/", gettext_lazy("Meetings")),
    ("meetings:actionitem_list", "/meetings/action-items/", gettext_lazy("Action items")),
    ("meetings:solicitation_list", "/meetings/solicitations/", gettext_lazy("Opinion solicitations")),
    ("meetings:reply_waiting", "/meetings/solicitations/waiting/", gettext_lazy("Replies my agency owes")),
    ("meetings:task_list", "/meetings/tasks/", gettext_lazy("Key task list")),
    ("meetings:yearlyreport_list", "/meetings/yearly-reports/", gettext_lazy("Yearly implementation reports")),
]


def section_links() -> list[dict]:
    links = []
    for name, fallback, label in SECTION_LINKS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            url = fallback
        links.append({"name": name.split(":")[1], "url": url, "label": label})
    return links


class IndexView(generic.PortalPermissionMixin, View):
    """/meetings/: the committee of the user's region, or the nearest one above; without one, a page saying so
    (with the secretariat's link to set it up)."""

    permission_required = "meetings.view_committee"

    def get(self, request, *args, **kwargs):
        committee = services.committee_for(request.user)
        if committee is not None:
            return redirect(committee.get_absolute_url())
        may_create = (
            request.user.has_perm("meetings.add_committee") and getattr(request.user, "role", "") == "secretariat"
        )
        return render(request, "meetings/committee/none.html", {"may_create": may_create, "links": section_links()})


class CommitteeDetailView(generic.ScopedDetailView):
    model = Committee
    template_name = "meetings/committee/committee_detail.html"

    def get_queryset(self):
        return Committee.objects.select_related("region", "lead_agency")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        committee = self.object
        history = services.history(committee)
        return {
            **ctx,
            "committee": committee,
            "groups": services.members_by_role(committee),
            "history": history,
            "is_secretariat": is_secretariat_of(self.request.user, committee),
            "links": section_links(),
        }


class ServiceFormView(generic.PortalPermissionMixin, FormView):
    """A form whose valid data go to one service call; the service's errors come back on the form."""

    template_name = "meetings/committee/form.html"
    page_title = ""
    intro = ""

    def perform(self, form):  # pragma: no cover - abstract
        raise NotImplementedError

    def form_valid(self, form):
        try:
            result = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.success_url_for(result))

    def success_url_for(self, result) -> str:
        return result.get_absolute_url()

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "page_title": self.page_title,
            "intro": self.intro,
            "cancel_url": self.cancel_url(),
        }

    def cancel_url(self) -> str:
        return reverse("meetings:index")


class CommitteeCreateView(ServiceFormView):
    """The secretariat sets up its region's committee (its own agency is the lead agency)."""

    permission_required = "meetings.add_committee"
    form_class = CommitteeForm
    page_title = gettext_lazy("Set up the joint meeting")
    intro = gettext_lazy("The joint meeting of your region, hosted by your agency as the lead agency.")

    def get_initial(self):
        agency = self.request.user.agency
        if agency is None:
            return {}
        return {"name": _("%(region)s joint meeting on work-injury prevention") % {"region": agency.region.name}}

    def perform(self, form):
        return services.create_committee(actor=self.request.user, **form.cleaned_data)


class CommitteeUpdateView(ServiceFormView):
    permission_required = "meetings.change_committee"
    form_class = CommitteeForm
    page_title = gettext_lazy("Edit the joint meeting")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.committee = get_visible_or_404(Committee, request.user, editable=True, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Committee.objects.get(pk=self.committee.pk)}

    def perform(self, form):
        return services.update_committee(actor=self.request.user, committee=self.committee, data=form.cleaned_data)

    def cancel_url(self):
        return self.committee.get_absolute_url()


class MemberAddView(ServiceFormView):
    permission_required = "meetings.add_member"
    form_class = MemberForm
    page_title = gettext_lazy("Add a member")
    intro = gettext_lazy("A person joining the joint meeting for one of the region's agencies.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.committee = get_visible_or_404(Committee, request.user, editable=True, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "committee": self.committee}

    def get_initial(self):
        return {"joined_on": services._today(), "role": Member.Role.MEMBER}

    def perform(self, form):
        return services.add_member(actor=self.request.user, committee=self.committee, **form.cleaned_data)

    def success_url_for(self, result):
        return self.committee.get_absolute_url()

    def cancel_url(self):
        return self.committee.get_absolute_url()


class MemberChangeView(ServiceFormView):
    permission_required = "meetings.change_member"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.has_permission():
            self.member = get_visible_or_404(
                Member.objects.select_related("committee", "agency"), request.user, editable=True, pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "member": self.member}

    def success_url_for(self, result):
        return self.member.committee.get_absolute_url()

    def cancel_url(self):
        return self.member.committee.get_absolute_url()


class MemberLeaveView(MemberChangeView):
    form_class = LeaveForm
    page_title = gettext_lazy("A member leaves")

    def get_initial(self):
        return {"left_on": services._today()}

    def perform(self, form):
        return services.member_leaves(actor=self.request.user, member=self.member, **form.cleaned_data)


class MemberReplaceView(MemberChangeView):
    form_class = ReplaceForm
    page_title = gettext_lazy("Replace a member")
    intro = gettext_lazy("The member leaves on the day the successor joins; the history keeps both.")

    def get_initial(self):
        return {"on": services._today(), "role": self.member.role, "title": self.member.title}

    def perform(self, form):
        return services.replace_member(actor=self.request.user, member=self.member, **form.cleaned_data)


def todos(user):
    """The secretariat of a region without a joint meeting: set it up."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != "secretariat":
        return
    if not user.agency_id or not user.has_perm("meetings.add_committee"):
        return
    if services.committee_for(user) is None:
        from portal.todos import TodoItem

        yield TodoItem(title=_("Set up your region's joint meeting"), url=reverse("meetings:committee_add"))


urlpatterns: list = [
    path("", IndexView.as_view(), name="index"),
    path("committee/add/", CommitteeCreateView.as_view(), name="committee_add"),
    path("committee/<int:pk>/", CommitteeDetailView.as_view(), name="committee_detail"),
    path("committee/<int:pk>/edit/", CommitteeUpdateView.as_view(), name="committee_edit"),
    path("committee/<int:pk>/members/add/", MemberAddView.as_view(), name="member_add"),
    path("members/<int:pk>/leave/", MemberLeaveView.as_view(), name="member_leave"),
    path("members/<int:pk>/replace/", MemberReplaceView.as_view(), name="member_replace"),
]
