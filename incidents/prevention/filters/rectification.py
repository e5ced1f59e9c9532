"""Filters of the notice letters (告知书): shared by the list page and the API."""

from __future__ import annotations

import datetime

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import NoticeLetter


class NoticeLetterFilterSet(django_filters.FilterSet):
    """State, year of issue, enterprise name, and ``waiting``: the to-do links of the home page (reports to
    review, extensions to decide, deadlines within 7 days, overdue). For agency users ``waiting`` narrows to the
    notices their own agency issued, as the to-do counts do."""

    WAITING = [
        ("review", _("Report to review")),
        ("extension", _("Extension to decide")),
        ("soon", _("Deadline within 7 days")),
        ("overdue", _("Overdue")),
    ]

    enterprise_name = django_filters.CharFilter(
        label=_("Enterprise"), field_name="enterprise__name", lookup_expr="icontains"
    )
    state = django_filters.ChoiceFilter(label=_("state"), choices=NoticeLetter.State.choices)
    year = django_filters.NumberFilter(label=_("Year of issue"), method="issued_in")
    waiting = django_filters.ChoiceFilter(label=_("Waiting for"), choices=WAITING, method="waiting_for")

    class Meta:
        model = NoticeLetter
        fields = ["enterprise_name", "state", "year", "waiting"]

    def issued_in(self, queryset, name, value):
        if not value:
            return queryset
        year = int(value)
        if not 2000 <= year <= 2100:
            return queryset.none()
        return queryset.filter(issued_on__gte=datetime.date(year, 1, 1), issued_on__lte=datetime.date(year, 12, 31))

    def waiting_for(self, queryset, name, value):
        if not value:
            return queryset
        today = timezone.localdate()
        user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "agency_id", None):
            queryset = queryset.filter(owner_agency_id=user.agency_id)
        if value == "review":
            return queryset.report_to_review()
        if value == "extension":
            return queryset.extension_to_decide()
        if value == "soon":
            return queryset.open().due_soon(today)
        return queryset.open().overdue(today)
