"""Pages of the joint meeting: meetings (agenda, notice, replies, attendance, minutes, decisions), the minutes as
PDF and DOCX, and action items (督办事项) with their progress. Every write is one service call: a service's
ValidationError is shown as a message (or on the form it came from), a PermissionDenied is a 403, and an object
outside the user's scope is a 404."""

from __future__ import annotations

import datetime

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from portal import views as generic
from portal.accounts.models import Agency
from portal.forms import add_service_errors
from portal.pdf import pdf_response
from portal.permissions import get_visible_or_404
from portal.todos import TodoItem

from .. import minutes as minutes_doc
from ..forms.meetings import (
    ActionItemForm,
    AgendaItemForm,
    AttendanceForm,
    DecisionForm,
    DeclineForm,
    MeetingForm,
    MinutesForm,
    ProgressForm,
    ReplyForm,
)
from ..models import (
    ActionItem,
    AgendaAttachment,
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    Meeting,
    is_secretariat_of,
)
from ..services import meetings as services

# --- lists --------------------------------------------------------------------------------------------------


class MeetingFilterSet(django_filters.FilterSet):
    WHEN = [("upcoming", gettext_lazy("Upcoming")), ("past", gettext_lazy("Past"))]

    when = django_filters.ChoiceFilter(label=gettext_lazy("When"), choices=WHEN, method="filter_when")
    kind = django_filters.ChoiceFilter(label=gettext_lazy("kind"), choices=Meeting.Kind.choices)
    state = django_filters.ChoiceFilter(label=gettext_lazy("state"), choices=Meeting.State.choices)

    class Meta:
        model = Meeting
        fields = ["when", "kind", "state"]

    def filter_when(self, queryset, name, value):
        now = services._now()
        if value == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if value == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


class MeetingTable(tables.Table):
    title = tables.Column(linkify=True)
    committee = tables.Column(accessor="committee__name", order_by=("committee__name",))
    kind = tables.Column()
    starts_at = tables.DateTimeColumn(format="Y-m-d H:i")
    place = tables.Column()
    state = tables.Column()

    class Meta:
        model = Meeting
        fields = ["title", "committee", "kind", "starts_at", "place", "state"]
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "meeting-table"}
        row_attrs = {
            "data-meeting": lambda record: record.pk,
            "data-upcoming": lambda record: "1" if record.starts_at >= services._now() else "0",
        }

    def render_state(self, value, record):
        css = {"calling": "info", "notified": "primary", "held": "warning", "closed": "success"}[record.state]
        return format_html(
            '<span class="badge text-bg-{}" data-state="{}">{}</span>', css, record.state, record.get_state_display()
        )


class MeetingListView(generic.ScopedListView):
    model = Meeting
    table_class = MeetingTable
    filterset_class = MeetingFilterSet
    add_url_name = "meetings:meeting_add"
    template_name = "meetings/meetings/meeting_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("committee")


class ActionItemFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(label=gettext_lazy("state"), choices=ActionItem.State.choices)
    overdue = django_filters.BooleanFilter(label=gettext_lazy("Overdue"), method="filter_overdue")
    agency = django_filters.ModelChoiceFilter(
        label=gettext_lazy("agency"), queryset=Agency.objects.none(), method="filter_agency"
    )

    class Meta:
        model = ActionItem
        fields = ["state", "overdue", "agency"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.filters["agency"].queryset = (
            Agency.objects.visible_to(user).order_by("region__path", "kind", "name") if user else Agency.objects.none()
        )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(state=ActionItem.State.OPEN, due_on__lt=services._today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_agency(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(lead_agency=value) | Q(participants=value)).distinct()


class ActionItemTable(tables.Table):
    # ActionItem has no get_absolute_url (models.py is not ours): link by URL name.
    title = tables.Column(linkify=("meetings:actionitem_detail", [tables.A("pk")]))
    lead_agency = tables.Column(accessor="lead_agency__name", order_by=("lead_agency__name",))
    due_on = tables.Column()
    state = tables.Column()

    class Meta:
        model = ActionItem
        fields = ["title", "lead_agency", "due_on", "state"]
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "actionitem-table"}
        row_attrs = {
            "data-action": lambda record: record.pk,
            "data-overdue": lambda record: "1" if _overdue(record) else "0",
            "class": lambda record: "table-danger" if _overdue(record) else "",
        }

    def render_due_on(self, value, record):
        text = value.isoformat()
        if _overdue(record):
            return format_html(
                '<span class="text-danger fw-semibold" data-testid="overdue">{} '
                '<span class="badge text-bg-danger">{}</span></span>',
                text,
                _("overdue"),
            )
        return text

    def render_state(self, value, record):
        css = {"open": "primary", "done": "success", "cancelled": "secondary"}[record.state]
        return format_html(
            '<span class="badge text-bg-{}" data-state="{}">{}</span>', css, record.state, record.get_state_display()
        )


def _overdue(action: ActionItem) -> bool:
    return action.state == ActionItem.State.OPEN and action.due_on < services._today()


class ActionItemListView(generic.ScopedListView):
    model = ActionItem
    table_class = ActionItemTable
    filterset_class = ActionItemFilterSet
    template_name = "meetings/meetings/actionitem_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("lead_agency")


# --- calling a meeting ------------------------------------------------------------------------------------------


class MeetingCreateView(generic.PortalPermissionMixin, FormView):
    permission_required = "meetings.add_meeting"
    form_class = MeetingForm
    template_name = "meetings/meetings/meeting_form.html"

    def committees(self):
        return Committee.objects.editable_by(self.request.user).select_related("region")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "committees": self.committees()}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            meeting = services.call_meeting(
                actor=self.request.user,
                committee=data["committee"],
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                place=data["place"],
                agenda_cutoff=data["agenda_cutoff"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The meeting is called; the member agencies are invited to propose items."))
        return redirect(meeting)


# --- the meeting page -------------------------------------------------------------------------------------------


def meeting_context(request, meeting: Meeting, **forms) -> dict:
    """Everything the meeting page shows (also rendered by the form views when their form has errors)."""
    user = request.user
    now = services._now()
    secretariat = is_secretariat_of(user, meeting.committee)
    items = list(
        meeting.agenda_items.select_related("agency")
        .prefetch_related("attachments")
        .order_by("position", "proposed_at", "id")
    )
    approved = sorted((i for i in items if i.state == AgendaItem.State.APPROVED), key=lambda i: (i.position or 0, i.pk))
    others = [i for i in items if i.state != AgendaItem.State.APPROVED]
    if not secretariat:  # an agency sees the agenda and its own proposals
        others = [i for i in others if i.agency_id == user.agency_id]
    attendance = list(meeting.attendance.select_related("agency").order_by("agency__kind", "agency__name"))
    own = next((a for a in attendance if a.agency_id == user.agency_id), None)
    decisions = list(meeting.decisions.order_by("position"))
    actions = list(
        ActionItem.objects.filter(decision__meeting=meeting)
        .select_related("lead_agency")
        .prefetch_related("participants")
        .order_by("due_on", "id")
    )
    started = now >= meeting.starts_at
    editable_after = secretariat and started and meeting.state != Meeting.State.CLOSED
    may_propose = services.may_propose(user, meeting, now)
    may_reply = own is not None and services.may_reply(user, meeting, now)
    member_agencies = Agency.objects.filter(pk__in=services.member_agency_ids(meeting.committee)).order_by(
        "kind", "name"
    )
    ctx = {
        "object": meeting,
        "meeting": meeting,
        "is_secretariat": secretariat,
        "agenda": approved,
        "other_items": others,
        "attendance": attendance,
        "own_attendance": own,
        "decisions": decisions,
        "actions": actions,
        "started": started,
        "may_propose": may_propose,
        "may_reply": may_reply,
        "may_edit_agenda": secretariat and meeting.state == Meeting.State.CALLING,
        "may_send_notice": secretariat and meeting.state == Meeting.State.CALLING and not started,
        "may_record": editable_after,
        "may_publish": editable_after and bool(meeting.minutes.strip()),
        "may_export": started and (secretariat or meeting.state == Meeting.State.CLOSED),
        "proposal_form": forms.get("proposal_form") or (AgendaItemForm() if may_propose else None),
        "decline_form": DeclineForm(),
        "reply_form": forms.get("reply_form") or (ReplyForm(auto_id="reply_%s") if may_reply else None),
    }
    if editable_after:
        ctx["attendance_form"] = forms.get("attendance_form") or AttendanceForm(rows=attendance)
        ctx["minutes_form"] = forms.get("minutes_form") or MinutesForm(
            initial={"minutes": meeting.minutes, "chaired_by": meeting.chaired_by}
        )
        ctx["decision_form"] = forms.get("decision_form") or DecisionForm()
        ctx["fresh_action_form"] = ActionItemForm(agencies=member_agencies, auto_id=False)
        ctx["action_form"] = forms.get("action_form") or ctx["fresh_action_form"]
        ctx["action_form_decision"] = forms.get("action_form_decision")
    return ctx


class MeetingDetailView(generic.ScopedDetailView):
    model = Meeting
    template_name = "meetings/meetings/meeting_detail.html"

    def get_queryset(self):
        return Meeting.objects.select_related("committee__lead_agency", "created_by")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **meeting_context(self.request, self.object)}


class _MeetingPost(generic.PortalPermissionMixin, View):
    """POST on a meeting the user can see (else 404); the service decides who may (else 403)."""

    model = Meeting
    form_class = None
    form_name = ""

    def get(self, request, *args, **kwargs):
        return HttpResponseNotAllowed(["POST"])

    def get_object(self):
        return get_visible_or_404(self.model.objects.all(), self.request.user, pk=self.kwargs["pk"])

    def meeting_of(self, obj) -> Meeting:
        return obj

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        meeting = self.meeting_of(self.object)
        form = self.make_form(meeting) if self.form_class else None
        if form is not None and not form.is_valid():
            return self.invalid(meeting, form)
        try:
            self.perform(self.object, form)
        except ValidationError as exc:
            if form is not None:
                add_service_errors(form, exc)
                return self.invalid(meeting, form)
            generic.error_messages(request, exc)
        return redirect(self.success_url(meeting))

    def make_form(self, meeting):
        return self.form_class(self.request.POST, self.request.FILES)

    def invalid(self, meeting, form):
        ctx = meeting_context(self.request, meeting, **{self.form_name: form})
        return render(self.request, "meetings/meetings/meeting_detail.html", ctx, status=400)

    def success_url(self, meeting) -> str:
        return meeting.get_absolute_url()

    def perform(self, obj, form):  # pragma: no cover - abstract
        raise NotImplementedError


class AgendaProposeView(_MeetingPost):
    permission_required = "meetings.add_agendaitem"
    form_class = AgendaItemForm
    form_name = "proposal_form"

    def perform(self, meeting, form):
        data = form.cleaned_data
        services.propose_agenda_item(
            actor=self.request.user,
            meeting=meeting,
            title=data["title"],
            description=data["description"],
            files=data["files"],
        )
        messages.success(self.request, _("The agenda item is proposed."))


class _AgendaItemPost(_MeetingPost):
    model = AgendaItem
    permission_required = "meetings.change_agendaitem"

    def meeting_of(self, item):
        return item.meeting


class AgendaApproveView(_AgendaItemPost):
    def perform(self, item, form):
        services.approve_agenda_item(actor=self.request.user, item=item)


class AgendaDeclineView(_AgendaItemPost):
    form_class = DeclineForm
    form_name = "decline_form"

    def perform(self, item, form):
        services.decline_agenda_item(actor=self.request.user, item=item, reason=form.cleaned_data["reason"])


class AgendaMoveView(_AgendaItemPost):
    """Move an approved item one place up (``direction=up``) or down."""

    def perform(self, item, form):
        ids = list(
            item.meeting.agenda_items.filter(state=AgendaItem.State.APPROVED)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        if item.pk not in ids:
            raise ValidationError(_("Only the items on the agenda can be ordered."))
        i = ids.index(item.pk)
        j = i - 1 if self.request.POST.get("direction") == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
        services.order_agenda(actor=self.request.user, meeting=item.meeting, item_ids=ids)


class SendNoticeView(_MeetingPost):
    permission_required = "meetings.change_meeting"

    def perform(self, meeting, form):
        services.send_notice(actor=self.request.user, meeting=meeting)
        messages.success(self.request, _("The meeting notice is sent to the member agencies."))


class ReplyView(_MeetingPost):
    permission_required = "meetings.change_attendance"
    form_class = ReplyForm
    form_name = "reply_form"

    def perform(self, meeting, form):
        data = form.cleaned_data
        services.reply_to_notice(
            actor=self.request.user, meeting=meeting, reply=data["reply"], name=data["name"], title=data["title"]
        )
        messages.success(self.request, _("Your reply is recorded."))


class AttendanceView(_MeetingPost):
    permission_required = "meetings.change_meeting"
    form_class = AttendanceForm
    form_name = "attendance_form"

    def make_form(self, meeting):
        rows = list(meeting.attendance.select_related("agency"))
        return AttendanceForm(self.request.POST, rows=rows)

    def perform(self, meeting, form):
        services.record_attendance(actor=self.request.user, meeting=meeting, present=form.present())
        messages.success(self.request, _("Attendance recorded."))


class MinutesView(_MeetingPost):
    permission_required = "meetings.change_meeting"
    form_class = MinutesForm
    form_name = "minutes_form"

    def perform(self, meeting, form):
        data = form.cleaned_data
        services.record_minutes(
            actor=self.request.user, meeting=meeting, minutes=data["minutes"], chaired_by=data["chaired_by"]
        )
        messages.success(self.request, _("Minutes saved."))


class DecisionAddView(_MeetingPost):
    permission_required = "meetings.add_decision"
    form_class = DecisionForm
    form_name = "decision_form"

    def perform(self, meeting, form):
        services.add_decision(actor=self.request.user, meeting=meeting, text=form.cleaned_data["text"])


class ActionItemAddView(_MeetingPost):
    """An action item from a decision (``pk`` is the decision's)."""

    model = Decision
    permission_required = "meetings.add_actionitem"
    form_class = ActionItemForm
    form_name = "action_form"

    def meeting_of(self, decision):
        return decision.meeting

    def make_form(self, meeting):
        agencies = Agency.objects.filter(pk__in=services.member_agency_ids(meeting.committee))
        return ActionItemForm(self.request.POST, agencies=agencies, auto_id=False)

    def invalid(self, meeting, form):
        ctx = meeting_context(self.request, meeting, action_form=form, action_form_decision=self.object.pk)
        return render(self.request, "meetings/meetings/meeting_detail.html", ctx, status=400)

    def perform(self, decision, form):
        data = form.cleaned_data
        services.create_action_item(
            actor=self.request.user,
            decision=decision,
            title=data["title"],
            description=data["description"],
            lead_agency=data["lead_agency"],
            participants=list(data["participants"]),
            due_on=data["due_on"],
        )
        messages.success(self.request, _("The action item is assigned."))


class PublishMinutesView(_MeetingPost):
    permission_required = "meetings.change_meeting"

    def perform(self, meeting, form):
        services.publish_minutes(actor=self.request.user, meeting=meeting)
        messages.success(self.request, _("The minutes are published and the meeting is closed."))


class _MinutesDownload(generic.PortalPermissionMixin, View):
    """The minutes of a meeting the user can see: the secretariat from the start, members once published."""

    permission_required = "meetings.view_meeting"

    def get(self, request, pk):
        meeting = get_visible_or_404(Meeting.objects.select_related("committee__lead_agency"), request.user, pk=pk)
        secretariat = is_secretariat_of(request.user, meeting.committee)
        if not (meeting.state == Meeting.State.CLOSED or (secretariat and services._now() >= meeting.starts_at)):
            messages.error(request, _("The minutes are not published yet."))
            return redirect(meeting)
        services.record_export(actor=request.user, meeting=meeting, fmt=self.fmt)
        return self.respond(meeting)


class MinutesPdfView(_MinutesDownload):
    fmt = "pdf"

    def respond(self, meeting):
        return pdf_response(minutes_doc.minutes_pdf(meeting), minutes_doc.file_name(meeting, "pdf"))


class MinutesDocxView(_MinutesDownload):
    fmt = "docx"

    def respond(self, meeting):
        return minutes_doc.docx_response(minutes_doc.minutes_docx(meeting), minutes_doc.file_name(meeting, "docx"))


class AgendaAttachmentView(generic.PortalPermissionMixin, View):
    permission_required = "meetings.view_agendaitem"

    def get(self, request, pk):
        attachment = get_visible_or_404(AgendaAttachment.objects.all(), request.user, pk=pk)
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# --- action items -----------------------------------------------------------------------------------------------


def action_context(request, action: ActionItem, progress_form=None) -> dict:
    user = request.user
    may_progress = services.may_report_progress(user, action)
    return {
        "object": action,
        "action": action,
        "overdue": _overdue(action),
        "participants": list(action.participants.order_by("kind", "name")),
        "progress": list(action.progress.select_related("agency", "reported_by")),
        "may_progress": may_progress,
        "may_done": services.may_mark_done(user, action),
        "progress_form": progress_form or (ProgressForm() if may_progress else None),
    }


class ActionItemDetailView(generic.ScopedDetailView):
    model = ActionItem
    template_name = "meetings/meetings/actionitem_detail.html"

    def get_queryset(self):
        return ActionItem.objects.select_related("committee", "lead_agency", "decision__meeting")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **action_context(self.request, self.object)}


class ActionProgressView(generic.PortalPermissionMixin, View):
    permission_required = "meetings.add_actionprogress"

    def post(self, request, pk):
        action = get_visible_or_404(ActionItem.objects.select_related("committee", "lead_agency"), request.user, pk=pk)
        form = ProgressForm(request.POST)
        if form.is_valid():
            try:
                services.report_progress(
                    actor=request.user,
                    action=action,
                    text=form.cleaned_data["text"],
                    percent=form.cleaned_data["percent"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Progress reported."))
                return redirect("meetings:actionitem_detail", pk=action.pk)
        ctx = action_context(request, action, progress_form=form)
        return render(request, "meetings/meetings/actionitem_detail.html", ctx, status=400)


class ActionDoneView(generic.PortalPermissionMixin, View):
    permission_required = "meetings.view_actionitem"

    def post(self, request, pk):
        action = get_visible_or_404(ActionItem.objects.all(), request.user, pk=pk)
        try:
            services.mark_action_done(actor=request.user, action=action)
        except ValidationError as exc:
            generic.error_messages(request, exc)
        else:
            messages.success(request, _("The action item is marked done."))
        return redirect("meetings:actionitem_detail", pk=action.pk)


# --- to-dos -----------------------------------------------------------------------------------------------------


def todos(user):
    """Overdue action items of the user's agency; meetings waiting for the agency's proposals or reply; for the
    secretariat, proposals to decide."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "agency_id", None):
        return
    if not user.has_perm("meetings.view_meeting"):
        return
    today = services._today()
    mine = services.action_items_for_agency(user.agency_id).filter(committee__in=Committee.objects.visible_to(user))
    overdue = mine.filter(due_on__lt=today).count()
    if overdue:
        url = reverse("meetings:actionitem_list") + f"?overdue=true&agency={user.agency_id}"
        yield TodoItem(title=_("Overdue action items"), url=url, count=overdue, level="danger")
    soon = mine.filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=services.DUE_SOON_DAYS)).count()
    if soon:
        url = reverse("meetings:actionitem_list") + f"?state=open&agency={user.agency_id}"
        yield TodoItem(title=_("Action items due within 7 days"), url=url, count=soon, level="warning")
    now = services._now()
    pending = (
        Attendance.objects.filter(
            agency_id=user.agency_id,
            reply=Attendance.Reply.PENDING,
            meeting__state=Meeting.State.NOTIFIED,
            meeting__starts_at__gt=now,
        )
        .select_related("meeting")
        .order_by("meeting__starts_at")[:10]
    )
    for row in pending:
        yield TodoItem(
            title=_("Reply to the meeting notice: %(title)s") % {"title": row.meeting.title},
            url=row.meeting.get_absolute_url(),
            due=row.meeting.starts_at,
            level="info",
        )
    invited = (
        Attendance.objects.filter(
            agency_id=user.agency_id, meeting__state=Meeting.State.CALLING, meeting__agenda_cutoff__gt=now
        )
        .select_related("meeting")
        .order_by("meeting__agenda_cutoff")[:10]
    )
    if user.has_perm("meetings.add_agendaitem"):
        for row in invited:
            yield TodoItem(
                title=_("Agenda items invited until %(cutoff)s: %(title)s")
                % {
                    "cutoff": timezone.localtime(row.meeting.agenda_cutoff).strftime("%Y-%m-%d %H:%M"),
                    "title": row.meeting.title,
                },
                url=row.meeting.get_absolute_url(),
                due=row.meeting.agenda_cutoff,
                level="info",
            )
    if user.role == "secretariat":
        waiting = (
            Meeting.objects.editable_by(user)
            .filter(state=Meeting.State.CALLING)
            .annotate(n=Count("agenda_items", filter=Q(agenda_items__state=AgendaItem.State.PROPOSED)))
            .filter(n__gt=0)[:10]
        )
        for meeting in waiting:
            yield TodoItem(
                title=_("Agenda items to decide: %(title)s") % {"title": meeting.title},
                url=meeting.get_absolute_url(),
                count=meeting.n,
                due=meeting.starts_at,
                level="warning",
            )
        # The committees the secretariat runs: every overdue action item, whichever agency leads it.
        late = ActionItem.objects.editable_by(user).filter(state=ActionItem.State.OPEN, due_on__lt=today).count()
        if late:
            yield TodoItem(
                title=_("Overdue action items of the joint meeting"),
                url=reverse("meetings:actionitem_list") + "?overdue=true",
                count=late,
                level="danger",
            )


urlpatterns = [
    path("meetings/", MeetingListView.as_view(), name="meeting_list"),
    path("meetings/add/", MeetingCreateView.as_view(), name="meeting_add"),
    path("meetings/<int:pk>/", MeetingDetailView.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/propose/", AgendaProposeView.as_view(), name="meeting_propose"),
    path("meetings/<int:pk>/send-notice/", SendNoticeView.as_view(), name="meeting_send_notice"),
    path("meetings/<int:pk>/reply/", ReplyView.as_view(), name="meeting_reply"),
    path("meetings/<int:pk>/attendance/", AttendanceView.as_view(), name="meeting_attendance"),
    path("meetings/<int:pk>/minutes/", MinutesView.as_view(), name="meeting_minutes"),
    path("meetings/<int:pk>/decisions/", DecisionAddView.as_view(), name="meeting_decision_add"),
    path("meetings/<int:pk>/publish/", PublishMinutesView.as_view(), name="meeting_publish"),
    path("meetings/<int:pk>/minutes.pdf", MinutesPdfView.as_view(), name="minutes_pdf"),
    path("meetings/<int:pk>/minutes.docx", MinutesDocxView.as_view(), name="minutes_docx"),
    path("agenda-items/<int:pk>/approve/", AgendaApproveView.as_view(), name="agendaitem_approve"),
    path("agenda-items/<int:pk>/decline/", AgendaDeclineView.as_view(), name="agendaitem_decline"),
    path("agenda-items/<int:pk>/move/", AgendaMoveView.as_view(), name="agendaitem_move"),
    path("agenda-attachments/<int:pk>/", AgendaAttachmentView.as_view(), name="agendaattachment_download"),
    path("decisions/<int:pk>/action-items/", ActionItemAddView.as_view(), name="decision_actionitem_add"),
    path("action-items/", ActionItemListView.as_view(), name="actionitem_list"),
    path("action-items/<int:pk>/", ActionItemDetailView.as_view(), name="actionitem_detail"),
    path("action-items/<int:pk>/progress/", ActionProgressView.as_view(), name="actionitem_progress"),
    path("action-items/<int:pk>/done/", ActionDoneView.as_view(), name="actionitem_done"),
]
