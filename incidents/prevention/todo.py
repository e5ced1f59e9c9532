"""The loop's to-dos on every user's home page: officers see what they owe, staff what waits for them."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.todos import TodoItem

from .models import DeadlineExtension, NoticeLetter, RectificationReport


def prevention_todos(user):
    if not user.is_authenticated:
        return
    today = timezone.localdate()
    if user.role == "safety_officer" and user.enterprise_id:
        notices = NoticeLetter.objects.filter(enterprise_id=user.enterprise_id, state=NoticeLetter.State.OPEN).exclude(
            reports__state__in=[RectificationReport.State.SUBMITTED, RectificationReport.State.ACCEPTED]
        )
        for n in notices.order_by("deadline")[:20]:
            due = timezone.make_aware(datetime.datetime.combine(n.deadline, datetime.time(23, 59)))
            if n.deadline < today:
                title, level = _("Overdue: rectification report for %(number)s") % {"number": n.number}, "danger"
            elif n.deadline <= today + datetime.timedelta(days=7):
                title, level = (
                    _("Due within 7 days: rectification report for %(number)s") % {"number": n.number},
                    "warning",
                )
            else:
                title, level = _("File the rectification report for %(number)s") % {"number": n.number}, "info"
            yield TodoItem(title=title, url=n.get_absolute_url(), due=due, level=level)
        return
    if user.has_perm("prevention.review_rectificationreport") and user.agency_id:
        waiting = RectificationReport.objects.filter(
            state=RectificationReport.State.SUBMITTED, notice__owner_agency_id=user.agency_id
        ).count()
        if waiting:
            yield TodoItem(
                title=_("Rectification reports to review"),
                url=reverse("prevention:noticeletter_list") + "?waiting=review",
                count=waiting,
                level="warning",
            )
        asked = DeadlineExtension.objects.filter(
            state=DeadlineExtension.State.PENDING, notice__owner_agency_id=user.agency_id
        ).count()
        if asked:
            yield TodoItem(
                title=_("Deadline extensions to decide"),
                url=reverse("prevention:noticeletter_list") + "?waiting=extension",
                count=asked,
                level="warning",
            )
        soon = NoticeLetter.objects.filter(
            owner_agency_id=user.agency_id,
            state=NoticeLetter.State.OPEN,
            deadline__gte=today,
            deadline__lte=today + datetime.timedelta(days=7),
        ).count()
        if soon:
            yield TodoItem(
                title=_("Notices whose deadline falls within 7 days"),
                url=reverse("prevention:noticeletter_list") + "?waiting=soon",
                count=soon,
            )
        overdue = NoticeLetter.objects.filter(
            owner_agency_id=user.agency_id, state=NoticeLetter.State.OPEN, deadline__lt=today
        ).count()
        if overdue:
            yield TodoItem(
                title=_("Overdue notices"),
                url=reverse("prevention:noticeletter_list") + "?waiting=overdue",
                count=overdue,
                level="danger",
            )
