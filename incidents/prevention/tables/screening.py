"""Tables of the screening side of the loop: rule versions, screening runs, a run's results, outcomes, bulletins."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from incidents.models import Severity

from ..models import (
    Bulletin,
    Category,
    Outcome,
    RectificationReport,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
)

ATTRS = {"class": "table table-sm table-hover align-middle"}


class ScreeningRuleTable(tables.Table):
    version = tables.Column(linkify=True)
    region = tables.Column(accessor="region__name", order_by=("region__path",))
    state = tables.Column()
    thresholds = tables.Column(verbose_name=_("thresholds"), empty_values=(), orderable=False)
    created_by = tables.Column(accessor="created_by__full_name", verbose_name=_("created by"), orderable=False)
    created_at = tables.DateTimeColumn(format="Y-m-d H:i")
    published_at = tables.DateTimeColumn(format="Y-m-d H:i")
    note = tables.Column(orderable=False)

    class Meta:
        model = ScreeningRule
        fields = ["version", "region", "state", "thresholds", "created_by", "created_at", "published_at", "note"]
        attrs = {**ATTRS, "data-testid": "rule-table"}
        row_attrs = {"data-rule": lambda record: record.pk}

    def render_version(self, value):
        return f"v{value}"

    def render_state(self, value, record):
        css = {"published": "success", "draft": "warning", "superseded": "secondary"}[record.state]
        return format_html('<span class="badge text-bg-{}">{}</span>', css, value)

    def render_thresholds(self, record):
        return format_html(
            '<span class="small">{} ≥ {} · {} ≥ {}‰ ({} ≥ {}) · {} ≥ {}</span>',
            _("cases"),
            record.min_cases,
            _("rate"),
            record.min_rate,
            _("cases"),
            record.rate_min_cases,
            _("serious or fatal"),
            record.min_serious,
        )


class ScreeningRunTable(tables.Table):
    period = tables.Column(verbose_name=_("period"), accessor="period_end", order_by=("period_end", "id"), linkify=True)
    kind = tables.Column()
    region = tables.Column(accessor="region__name", order_by=("region__path",))
    rule = tables.Column(accessor="rule__version", verbose_name=_("rule version"), orderable=False)
    enterprises = tables.Column()
    multi_incident = tables.Column()
    general = tables.Column()
    created_at = tables.DateTimeColumn(format="Y-m-d H:i")
    published_to = tables.Column(accessor="published_to__name", orderable=False, default="—")
    notices_issued_at = tables.DateTimeColumn(format="Y-m-d", default="—")

    class Meta:
        model = ScreeningRun
        fields = [
            "period",
            "kind",
            "region",
            "rule",
            "enterprises",
            "multi_incident",
            "general",
            "created_at",
            "published_to",
            "notices_issued_at",
        ]
        attrs = {**ATTRS, "data-testid": "run-table"}
        row_attrs = {"data-run": lambda record: record.pk}

    def render_period(self, record):
        return f"{record.period_start:%Y-%m-%d} – {record.period_end:%Y-%m-%d}"

    def render_rule(self, value):
        return f"v{value}"


class ScreeningResultTable(tables.Table):
    """One row per enterprise; the name leads to the "why is it listed" page."""

    enterprise = tables.Column(
        accessor="enterprise__name",
        order_by=("enterprise__name",),
        linkify=lambda record: reverse("prevention:result_why", args=[record.pk]),
    )
    category = tables.Column()
    cases = tables.Column()
    serious = tables.Column()
    fatal = tables.Column()
    insured = tables.Column()
    rate = tables.Column(default="—")
    reasons = tables.Column(verbose_name=_("rules met"), empty_values=(), orderable=False)
    notice = tables.Column(verbose_name=_("notice letter"), empty_values=(), orderable=False)

    class Meta:
        model = ScreeningResult
        fields = ["enterprise", "category", "cases", "serious", "fatal", "insured", "rate", "reasons", "notice"]
        attrs = {**ATTRS, "data-testid": "result-table"}
        row_attrs = {"data-result": lambda record: record.pk, "data-category": lambda record: record.category}

    def render_category(self, value, record):
        css = "danger" if record.category == Category.MULTI else "secondary"
        return format_html('<span class="badge text-bg-{}">{}</span>', css, value)

    def render_reasons(self, record):
        return "、".join(str(r) for r in record.reasons) or "—"

    def render_notice(self, record):
        notice = getattr(record, "notice", None) if record.category == Category.MULTI else None
        if notice is None:
            return "—"
        return format_html('<a href="{}" data-testid="notice-link">{}</a>', notice.get_absolute_url(), notice.number)


# The figures the services record as an outcome's evidence, in the order they are shown.
EVIDENCE_LABELS = {
    "run": _("screening no."),
    "case": _("case no."),
    "severity": _("severity"),
    "occurred_at": _("time of the accident"),
    "year": _("year"),
    "industry": _("industry code"),
    "cases": _("cases"),
    "cases_last_year": _("cases a year earlier"),
    "serious": _("serious injuries"),
    "fatal": _("deaths"),
    "insured": _("insured employees"),
    "rate": _("incidence rate (‰)"),
    "cut": _("cut in cases"),
    "city_cases": _("cases in the region"),
    "city_insured": _("insured employees in the region"),
    "city_rate": _("region's average (‰)"),
    "window": _("period"),
    "previous_window": _("period a year earlier"),
    "down_30": _("down by at least 30 percent"),
    "above_city": _("above the region's average"),
    "passed": _("passed"),
    "deadline": _("deadline"),
    "checked_on": _("checked on"),
    "days_overdue": _("days overdue"),
    "report": _("latest report"),
}
_HIDDEN_EVIDENCE = {"enterprise_id", "notice_id"}


def _evidence_value(key, value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return " – ".join(str(v) for v in value)
    if key == "cut":
        try:
            return f"{Decimal(value) * 100:.0f} %"
        except (InvalidOperation, TypeError):
            return value
    if key == "severity":
        return dict(Severity.choices).get(value, value)
    if key == "report":
        return dict(RectificationReport.State.choices).get(value, _("none"))
    if key == "occurred_at" and isinstance(value, str):
        return value[:16].replace("T", " ")
    return value


def evidence_list(evidence: dict):
    """An outcome's evidence (the figures that triggered it) as a small label: value list."""
    if not evidence:
        return "—"
    known = [k for k in EVIDENCE_LABELS if k in evidence]
    other = sorted(k for k in evidence if k not in EVIDENCE_LABELS and k not in _HIDDEN_EVIDENCE)
    rows = [(k, EVIDENCE_LABELS.get(k, k), _evidence_value(k, evidence[k])) for k in [*known, *other]]
    return format_html(
        '<ul class="list-unstyled small mb-0">{}</ul>',
        format_html_join("", '<li data-evidence="{}"><span class="text-secondary">{}</span>: {}</li>', rows),
    )


class OutcomeTable(tables.Table):
    enterprise = tables.Column(accessor="enterprise__name", order_by=("enterprise__name",))
    kind = tables.Column()
    trigger = tables.Column()
    referred_to = tables.Column(accessor="referred_to__name", orderable=False, default="—")
    created_at = tables.DateTimeColumn(format="Y-m-d H:i")
    evidence = tables.Column(orderable=False, empty_values=())
    notice = tables.Column(verbose_name=_("notice letter"), orderable=False, default="—")

    class Meta:
        model = Outcome
        fields = ["enterprise", "kind", "trigger", "referred_to", "created_at", "evidence", "notice"]
        attrs = {**ATTRS, "data-testid": "outcome-table"}
        row_attrs = {"data-outcome": lambda record: record.pk, "data-kind": lambda record: record.kind}

    def render_evidence(self, record):
        return evidence_list(record.evidence)

    def render_notice(self, value, record):
        return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value.number)


class BulletinTable(tables.Table):
    title = tables.Column(linkify=lambda record: reverse("prevention:bulletin_update", args=[record.pk]))
    state = tables.Column(verbose_name=_("state"), empty_values=(), orderable=False)
    region = tables.Column(accessor="region__name", orderable=False)
    occurred_in = tables.DateColumn(format="Y-m")
    created_by = tables.Column(accessor="created_by__full_name", orderable=False)
    created_at = tables.DateTimeColumn(format="Y-m-d")
    published_at = tables.DateTimeColumn(format="Y-m-d", default="—")

    class Meta:
        model = Bulletin
        fields = ["title", "state", "region", "occurred_in", "created_by", "created_at", "published_at"]
        attrs = {**ATTRS, "data-testid": "bulletin-table"}
        row_attrs = {"data-bulletin": lambda record: record.pk}

    def render_state(self, record):
        state, label, css = bulletin_state(record)
        return format_html('<span class="badge text-bg-{}" data-state="{}">{}</span>', css, state, label)


def bulletin_state(bulletin: Bulletin) -> tuple[str, str, str]:
    """(state, label, badge colour) of a bulletin: draft, published (public) or withdrawn."""
    if bulletin.withdrawn_at is not None:
        return "withdrawn", _("Withdrawn"), "secondary"
    if bulletin.published_at is not None:
        return "published", _("Published"), "success"
    return "draft", _("Draft"), "warning"
