"""Pages of the joint meeting: opinion solicitations (征求意见).

The secretariat lists, drafts, edits and circulates solicitations, reads the replies side by side and exports the
feedback summary (XLSX, DOCX). A recipient agency sees what waits for its reply and replies for itself until the
deadline. Out of scope is a 404, a role without the permission a 403; every write is one service call."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from portal import audit
from portal import views as generic
from portal.forms import add_service_errors
from portal.permissions import get_visible_or_404
from portal.todos import TodoItem

from ..forms.solicitations import ReplyForm, SolicitationForm
from ..models import Reply, Solicitation, SolicitationAttachment, is_secretariat_of
from ..services import solicitations as services

# --- the list -----------------------------------------------------------------------------------------------------


class SolicitationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("title"))
    state = django_filters.ChoiceFilter(choices=Solicitation.State.choices, label=_("state"))

    class Meta:
        model = Solicitation
        fields = ["q", "state"]


class SolicitationTable(tables.Table):
    title = tables.Column(linkify=True, verbose_name=_("title"))
    committee = tables.Column(verbose_name=_("joint meeting"), orderable=False)
    state = tables.Column(verbose_name=_("state"))
    deadline = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("reply deadline"))
    replied = tables.Column(verbose_name=_("Replied"), orderable=False, empty_values=())

    class Meta:
        model = Solicitation
        fields = ["title", "committee", "state", "deadline"]
        attrs = {"class": "table table-sm table-hover", "data-testid": "solicitations"}

    def render_state(self, record, value):
        from django.utils.html import format_html

        return format_html('<span data-state="{}">{}</span>', record.state, value)

    def render_replied(self, record):
        if record.state == Solicitation.State.DRAFT:
            return "—"
        return f"{record.n_replied}/{record.n_replies}"


class SolicitationListView(generic.ScopedListView):
    model = Solicitation
    table_class = SolicitationTable
    filterset_class = SolicitationFilterSet
    add_url_name = "meetings:solicitation_add"
    template_name = "meetings/solicitations/solicitation_list.html"

    def get_queryset(self):
        done = Q(replies__state__in=[Reply.State.NO_OPINION, Reply.State.COMMENTS, Reply.State.LAPSED])
        return (
            services.solicitations_visible_to(self.request.user)
            .select_related("committee")
            .annotate(n_replies=Count("replies"), n_replied=Count("replies", filter=done))
        )


# --- draft, edit, circulate -----------------------------------------------------------------------------------------


def _save_attachments(actor, solicitation, uploads):
    for upload in uploads:
        services.add_attachment(actor=actor, solicitation=solicitation, upload=upload)


class SolicitationCreateView(generic.ScopedCreateView):
    model = Solicitation
    form_class = SolicitationForm
    template_name = "meetings/solicitations/solicitation_form.html"

    def form_valid(self, form):
        cd = form.cleaned_data
        try:
            with transaction.atomic():
                self.object = services.draft_solicitation(
                    actor=self.request.user,
                    committee=cd["committee"],
                    title=cd["title"],
                    body=cd["body"],
                    deadline=cd["deadline"],
                    agencies=list(cd["agencies"]),
                    attachments=cd.get("attachments") or [],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        except PermissionDenied:
            form.add_error("committee", gettext("Only the secretariat of this joint meeting drafts its solicitations."))
            return self.form_invalid(form)
        messages.success(self.request, gettext("Draft saved. Circulate it when it is ready."))
        return redirect(self.object)


class SolicitationUpdateView(generic.ScopedUpdateView):
    model = Solicitation
    form_class = SolicitationForm
    template_name = "meetings/solicitations/solicitation_form.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.state != Solicitation.State.DRAFT:
            messages.error(request, gettext("Only a draft can be changed; this solicitation has been circulated."))
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        cd = form.cleaned_data
        try:
            with transaction.atomic():
                self.object = services.update_solicitation(
                    actor=self.request.user,
                    solicitation=self.object,
                    data={k: cd[k] for k in services.EDIT_FIELDS},
                    agencies=list(cd["agencies"]),
                )
                _save_attachments(self.request.user, self.object, cd.get("attachments") or [])
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, gettext("Saved."))
        return redirect(self.object)


class SolicitationCirculateView(generic.ActionView):
    model = Solicitation
    permission_required = "meetings.change_solicitation"

    def perform(self, obj):
        try:
            services.circulate_solicitation(actor=self.request.user, solicitation=obj)
        except ValidationError as exc:
            generic.error_messages(self.request, exc)
        else:
            messages.success(self.request, gettext("Circulated to the member agencies."))
        return redirect(obj)


class SolicitationAttachmentDeleteView(generic.PortalPermissionMixin, View):
    permission_required = "meetings.change_solicitation"

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def post(self, request, *args, **kwargs):
        attachment = get_visible_or_404(
            SolicitationAttachment.objects.select_related("owner"), request.user, editable=True, pk=kwargs["pk"]
        )
        try:
            services.remove_attachment(actor=request.user, attachment=attachment)
        except ValidationError as exc:
            generic.error_messages(request, exc)
        return redirect(attachment.owner)


# --- reading: the letter, the replies side by side, the summary -------------------------------------------------


class SolicitationDetailView(generic.ScopedDetailView):
    model = Solicitation
    template_name = "meetings/solicitations/solicitation_detail.html"

    def get_object(self, queryset=None):
        qs = services.solicitations_visible_to(self.request.user).select_related("committee__region", "created_by")
        return get_visible_or_404(qs, self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, obj = self.request.user, self.object
        secretariat = is_secretariat_of(user, obj.committee) and user.has_perm("meetings.change_solicitation")
        ctx.update(
            {
                "is_secretariat": secretariat,
                "attachments": list(obj.attachments.all()),
                "now": services._now(),
                "deadline_passed": obj.deadline <= services._now(),
            }
        )
        if secretariat:
            ctx["replies"] = list(obj.replies.select_related("agency", "replied_by"))
            ctx["counts"] = services.reply_counts(obj)
        own = services.own_replies(user).filter(solicitation=obj).first()
        ctx["own_reply"] = own
        ctx["may_reply"] = (
            own is not None
            and services.may_reply(user, own)
            and obj.state == Solicitation.State.OPEN
            and services._now() < obj.deadline
        )
        return ctx


class SolicitationExportView(generic.PortalPermissionMixin, View):
    """The feedback summary (意见汇总表) as XLSX or DOCX, for the secretariat (audited by the service)."""

    permission_required = "meetings.change_solicitation"

    def get(self, request, *args, **kwargs):
        if kwargs["fmt"] not in ("xlsx", "docx"):
            raise Http404
        solicitation = get_visible_or_404(
            Solicitation.objects.select_related("committee__region"), request.user, editable=True, pk=kwargs["pk"]
        )
        content, name, content_type = services.export_feedback(
            actor=request.user, solicitation=solicitation, fmt=kwargs["fmt"]
        )
        return HttpResponse(
            content,
            content_type=content_type,
            headers={"Content-Disposition": content_disposition_header(True, name)},
        )


def _file_response(field_file, name: str):
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class SolicitationAttachmentDownloadView(generic.PortalPermissionMixin, View):
    """An attachment of the letter, to whoever may see the solicitation (else 404)."""

    permission_required = "meetings.view_solicitation"

    def get(self, request, *args, **kwargs):
        attachment = get_visible_or_404(SolicitationAttachment, request.user, pk=kwargs["pk"])
        if not services.solicitations_visible_to(request.user).filter(pk=attachment.owner_id).exists():
            raise Http404
        audit.record(actor=request.user, verb="download", obj=attachment.owner, changes={"file": attachment.name})
        return _file_response(attachment.file, attachment.name)


class ReplyScanDownloadView(generic.PortalPermissionMixin, View):
    """A reply's stamped scan: to the secretariat and to the replying agency only (else 404)."""

    permission_required = "meetings.view_reply"

    def get(self, request, *args, **kwargs):
        reply = get_visible_or_404(
            services.replies_visible_to(request.user).select_related("agency"), request.user, pk=kwargs["pk"]
        )
        if not reply.scan:
            raise Http404
        ext = reply.scan.name.rsplit(".", 1)[-1]
        audit.record(actor=request.user, verb="download", obj=reply, note="scan")
        return _file_response(reply.scan, f"{reply.agency.name}-{reply.solicitation_id}.{ext}")


# --- the agency: what waits for our reply, and the reply -------------------------------------------------------------


class ReplyWaitingListView(generic.PortalPermissionMixin, View):
    """The agency's replies still owed, soonest deadline first."""

    permission_required = "meetings.change_reply"

    def get(self, request, *args, **kwargs):
        now = services._now()
        waiting = list(services.waiting_replies(request.user, now).select_related("solicitation__committee"))
        answered = list(
            services.own_replies(request.user)
            .exclude(state=Reply.State.WAITING)
            .select_related("solicitation")
            .order_by("-solicitation__deadline", "-pk")[:20]
        )
        return render(
            request,
            "meetings/solicitations/reply_waiting.html",
            {"waiting": waiting, "answered": answered, "now": now},
        )


class ReplyView(generic.PortalPermissionMixin, View):
    """The agency's reply for itself: the letter, its attachments and the form (until the deadline)."""

    permission_required = "meetings.change_reply"

    def get_reply(self):
        return get_visible_or_404(
            services.own_replies(self.request.user).select_related("solicitation__committee", "agency"),
            self.request.user,
            pk=self.kwargs["pk"],
        )

    def render(self, reply, form=None, status=200):
        now = services._now()
        open_ = reply.solicitation.state == Solicitation.State.OPEN and now < reply.solicitation.deadline
        if form is None and open_:
            initial = {"state": reply.state, "comments": reply.comments} if reply.state != Reply.State.WAITING else {}
            form = ReplyForm(initial=initial)
        ctx = {
            "reply": reply,
            "solicitation": reply.solicitation,
            "attachments": list(reply.solicitation.attachments.all()),
            "form": form if open_ else None,
            "is_open": open_,
            "now": now,
        }
        return render(self.request, "meetings/solicitations/reply_form.html", ctx, status=status)

    def get(self, request, *args, **kwargs):
        return self.render(self.get_reply())

    def post(self, request, *args, **kwargs):
        reply = self.get_reply()
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.reply_to_solicitation(
                    actor=request.user, reply=reply, state=cd["state"], comments=cd["comments"], scan=cd.get("scan")
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                if not hasattr(exc, "error_dict"):
                    generic.error_messages(request, exc)
                    reply.solicitation.refresh_from_db()
            else:
                messages.success(
                    request, gettext("Your reply has been recorded. You may change it until the deadline.")
                )
                return redirect("meetings:reply_edit", pk=reply.pk)
        return self.render(reply, form=form)


# --- to-dos on the home page ------------------------------------------------------------------------------------


def todos(user):
    """An agency user: each solicitation waiting for the agency's reply (warning in the last 24 hours)."""
    if not user.is_authenticated or not user.agency_id or not user.has_perm("meetings.change_reply"):
        return
    now = services._now()
    for reply in services.waiting_replies(user, now).select_related("solicitation")[:20]:
        deadline = reply.solicitation.deadline
        yield TodoItem(
            title=gettext("Reply to the opinion solicitation: %(title)s") % {"title": reply.solicitation.title},
            url=reverse("meetings:reply_edit", args=[reply.pk]),
            due=deadline,
            level="warning" if deadline - now <= services.REMIND_WITHIN else "info",
        )


urlpatterns = [
    path("solicitations/", SolicitationListView.as_view(), name="solicitation_list"),
    path("solicitations/add/", SolicitationCreateView.as_view(), name="solicitation_add"),
    path("solicitations/<int:pk>/", SolicitationDetailView.as_view(), name="solicitation_detail"),
    path("solicitations/<int:pk>/edit/", SolicitationUpdateView.as_view(), name="solicitation_edit"),
    path("solicitations/<int:pk>/circulate/", SolicitationCirculateView.as_view(), name="solicitation_circulate"),
    path("solicitations/<int:pk>/export/<str:fmt>/", SolicitationExportView.as_view(), name="solicitation_export"),
    path(
        "solicitation-attachments/<int:pk>/",
        SolicitationAttachmentDownloadView.as_view(),
        name="solicitationattachment_download",
    ),
    path(
        "solicitation-attachments/<int:pk>/delete/",
        SolicitationAttachmentDeleteView.as_view(),
        name="solicitationattachment_delete",
    ),
    path("replies/waiting/", ReplyWaitingListView.as_view(), name="reply_waiting"),
    path("replies/<int:pk>/", ReplyView.as_view(), name="reply_edit"),
    path("replies/<int:pk>/scan/", ReplyScanDownloadView.as_view(), name="reply_scan"),
]
