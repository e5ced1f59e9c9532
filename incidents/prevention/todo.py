"""The loop's to-dos on every user's home page: officers see what they owe, staff what waits for them."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.todos import TodoItem

from .models import DUE_SOON_DAYS, NoticeLetter


def prevention_todos(user):
    if not user.is_authenticated:
        return
    today = timezone.localdate()
    if user.role == "safety_officer" and user.enterprise_id:
        notices = NoticeLetter.objects.filter(enterprise_id=user.enterprise_id).owing()
        for n in notices.order_by("deadline")[:20]:
            due = timezone.make_aware(datetime.datetime.combine(n.deadline, datetime.time(23, 59)))
            if n.deadline < today:
                title, level = _("Overdue: rectification report for %(number)s") % {"number": n.number}, "danger"
            elif n.deadline <= today + datetime.timedelta(days=DUE_SOON_DAYS):
                title, level = (
                    _("Due within 7 days: rectification report for %(number)s") % {"number": n.number},
                    "warning",
                )
            else:
                title, level = _("File the rectification report for %(number)s") % {"number": n.number}, "info"
            yield TodoItem(title=title, url=n.get_absolute_url(), due=due, level=level)
        return
    if user.has_perm("prevention.review_rectificationreport") and user.agency_id:
        issued = NoticeLetter.objects.filter(owner_agency_id=user.agency_id)
        for waiting, title, qs, level in (
            ("review", _("Rectification reports to review"), issued.report_to_review(), "warning"),
            ("extension", _("Deadline extensions to decide"), issued.extension_to_decide(), "warning"),
            ("soon", _("Notices whose deadline falls within 7 days"), issued.open().due_soon(today), "info"),
            ("overdue", _("Overdue notices"), issued.open().overdue(today), "danger"),
        ):
            count = qs.count()
            if count:
                url = f"{reverse('prevention:noticeletter_list')}?waiting={waiting}"
                yield TodoItem(title=title, url=url, count=count, level=level)
