"""Template context for the shell: navigation of the modules that exist, the user's unread count."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.counts import cached


def shell(request):
    # django-tables2 renders the table with the request, which runs the context processors again: compute once.
    cached = getattr(request, "_portal_shell", None)
    if cached is not None:
        return cached
    request._portal_shell = _shell(request)
    return request._portal_shell


def _shell(request):
    user = getattr(request, "user", None)
    nav = []
    unread = 0
    if user is not None and user.is_authenticated:
        nav.append({"label": _("Home"), "url": reverse("home"), "icon": "house"})
        if user.has_perm("analysis.view_statistics"):
            nav.append({"label": _("Statistics"), "url": reverse("analysis:dashboard"), "icon": "bar-chart-line"})
        elif user.has_perm("analysis.view_own_statistics"):
            nav.append({"label": _("Statistics"), "url": reverse("analysis:enterprise"), "icon": "bar-chart-line"})
        if user.has_perm("enterprises.view_enterprise"):
            nav.append({"label": _("Enterprises"), "url": reverse("enterprises:enterprise_list"), "icon": "building"})
        if user.has_perm("enterprises.view_constructionproject"):
            nav.append(
                {
                    "label": _("Construction projects"),
                    "url": reverse("enterprises:constructionproject_list"),
                    "icon": "cone-striped",
                }
            )
        for perm, label, url, icon in (
            ("incidents.view_injurycase", _("Work-injury cases"), "incidents:injurycase_list", "bandaid"),
            (
                "incidents.view_occupationaldiseasecase",
                _("Occupational diseases"),
                "incidents:occupationaldiseasecase_list",
                "lungs",
            ),
            (
                "incidents.view_safetyaccident",
                _("Safety accidents"),
                "incidents:safetyaccident_list",
                "exclamation-octagon",
            ),
        ):
            if user.has_perm(perm):
                nav.append({"label": label, "url": reverse(url), "icon": icon})
        if user.has_perm("prevention.issue_noticeletter"):
            nav.append(
                {"label": _("Warnings and rectification"), "url": reverse("prevention:home"), "icon": "megaphone"}
            )
        elif user.has_perm("prevention.view_noticeletter"):
            nav.append(
                {"label": _("Notice letters"), "url": reverse("prevention:noticeletter_list"), "icon": "megaphone"}
            )
        if user.has_perm("exchange.view_confirmation") and user.agency_id:
            nav.append({"label": _("Data exchange"), "url": reverse("exchange:index"), "icon": "arrow-left-right"})
        if user.has_perm("meetings.view_committee") and user.agency_id:
            nav.append({"label": _("Joint meeting"), "url": reverse("meetings:index"), "icon": "people"})
        nav.append(
            {"label": _("Case library"), "url": reverse("prevention:bulletin_public_list"), "icon": "journal-text"}
        )
        from portal.imports import specs_for

        if specs_for(user):
            nav.append({"label": _("Imports"), "url": reverse("imports:import_list"), "icon": "upload"})
        nav.append({"label": _("Inbox"), "url": reverse("notifications:inbox"), "icon": "bell"})
        if user.has_perm("accounts.view_security_policy"):
            nav.append(
                {"label": _("Security policy"), "url": reverse("accounts:security_policy"), "icon": "shield-lock"}
            )
        if user.is_staff:
            nav.append({"label": _("Administration"), "url": reverse("admin:index"), "icon": "gear"})
        if user.has_perm("reference.view_region"):
            nav.append({"label": _("API"), "url": reverse("api-docs"), "icon": "braces"})
        badge = user.notifications.filter(read_at__isnull=True)
        unread = cached(badge, badge.count)
    return {"shell_nav": nav, "shell_unread": unread}
