"""The exchange's items on the home page's to-do list: an agency's quarter to confirm; the secretariat's late
agencies."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.permissions import AGENCY_ROLE_NAMES
from portal.todos import TodoItem


def exchange_todos(user):
    if not user.is_authenticated or user.role not in AGENCY_ROLE_NAMES or not user.agency_id:
        return
    from .selectors import late_agencies, quarter_to_confirm
    from .services import _today

    today = _today()
    owed = quarter_to_confirm(user.agency, today)
    if owed is not None:
        year, quarter, due_on = owed
        due = timezone.make_aware(datetime.datetime.combine(due_on, datetime.time(23, 59)))
        yield TodoItem(
            title=_("Confirm your data of %(year)s Q%(quarter)s for the quarterly exchange")
            % {"year": year, "quarter": quarter},
            url=reverse("exchange:quarter", args=[year, quarter]),
            due=due,
            level="danger" if due_on < today else "warning",
        )
    if user.role == "secretariat":
        late = late_agencies(user.agency.region, today)
        if late:
            year, quarter, agencies = late
            yield TodoItem(
                title=_("Agencies late with their data of %(year)s Q%(quarter)s") % {"year": year, "quarter": quarter},
                url=reverse("exchange:board", args=[year, quarter]),
                level="danger",
                count=len(agencies),
            )
