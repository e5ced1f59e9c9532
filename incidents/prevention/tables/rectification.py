"""The notice letters' list."""

from __future__ import annotations

import datetime

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import DUE_SOON_DAYS, NoticeLetter, RectificationReport


class NoticeLetterTable(tables.Table):
    """Number, enterprise, dates, state and the state of the latest report version (annotated as
    ``latest_report_state`` by the view). A deadline that has passed, or falls within 7 days, on an open notice
    is highlighted."""

    number = tables.Column(linkify=True)
    enterprise = tables.Column(accessor="enterprise__name", order_by=("enterprise__name",))
    issued_on = tables.DateColumn(format="Y-m-d")
    deadline = tables.Column()
    state = tables.Column()
    latest_report_state = tables.Column(verbose_name=_("Latest report"), orderable=False, default="—")

    class Meta:
        model = NoticeLetter
        fields = ["number", "enterprise", "issued_on", "deadline", "state", "latest_report_state"]
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "notice-table"}
        row_attrs = {"data-notice": lambda record: record.pk}

    def render_deadline(self, value, record):
        text = value.strftime("%Y-%m-%d")
        if record.state != NoticeLetter.State.OPEN:
            return text
        today = timezone.localdate()
        if value < today:
            return format_html(
                '<span class="text-danger fw-semibold" data-testid="deadline-overdue">{} '
                '<span class="badge text-bg-danger">{}</span></span>',
                text,
                _("overdue"),
            )
        if value <= today + datetime.timedelta(days=DUE_SOON_DAYS):
            return format_html(
                '<span class="text-warning-emphasis fw-semibold" data-testid="deadline-soon">{} '
                '<span class="badge text-bg-warning">{}</span></span>',
                text,
                _("%(days)s days left") % {"days": (value - today).days},
            )
        return text

    def render_state(self, value, record):
        css = {"open": "primary", "rectified": "success", "supervised": "danger"}.get(record.state, "secondary")
        return format_html(
            '<span class="badge text-bg-{}" data-state="{}">{}</span>', css, record.state, record.get_state_display()
        )

    def render_latest_report_state(self, value, record):
        try:
            label = RectificationReport.State(value).label
        except ValueError:
            return "—"
        return format_html('<span data-report-state="{}">{}</span>', value, label)
