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


def _menu(key: str, label, icon: str, items: list[dict], path: str) -> list[dict]:
    """A group of links as one drop-down menu of the navigation bar (a single link stays a plain link)."""
    if len(items) < 2:
        return items
    active = any(path.startswith(item["url"]) for item in items)
    return [{"key": key, "label": label, "icon": icon, "children": items, "active": active}]


def _registries(user) -> list[dict]:
    """The registries the user reads: enterprises, construction projects, cases, diseases, accidents, imports."""
    from portal.imports import specs_for

    links = [
        ("enterprises.view_enterprise", _("Enterprises"), "enterprises:enterprise_list", "building"),
        (
            "enterprises.view_constructionproject",
            _("Construction projects"),
            "enterprises:constructionproject_list",
            "cone-striped",
        ),
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
    ]
    items = [
        {"label": label, "url": reverse(url), "icon": icon} for perm, label, url, icon in links if user.has_perm(perm)
    ]
    if specs_for(user):
        items.append({"label": _("Imports"), "url": reverse("imports:import_list"), "icon": "upload"})
    return items


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
        nav += _menu("registries", _("Registries"), "collection", _registries(user), request.path)
        if user.has_perm("prevention.issue_noticeletter"):
            nav.append(
                {"label": _("Warnings and rectification"), "url": reverse("prevention:home"), "icon": "megaphone"}
            )
        elif user.has_perm("prevention.view_noticeletter"):
            nav.append(
                {"label": _("Notice letters"), "url": reverse("prevention:noticeletter_list"), "icon": "megaphone"}
            )
        collaboration = []  # the member agencies' joint work
        if user.has_perm("exchange.view_confirmation") and user.agency_id:
            collaboration.append(
                {"label": _("Data exchange"), "url": reverse("exchange:index"), "icon": "arrow-left-right"}
            )
        if user.has_perm("meetings.view_committee") and user.agency_id:
            collaboration.append({"label": _("Joint meeting"), "url": reverse("meetings:index"), "icon": "people"})
        nav += _menu("collaboration", _("Joint work"), "diagram-3", collaboration, request.path)
        nav.append(
            {"label": _("Case library"), "url": reverse("prevention:bulletin_public_list"), "icon": "journal-text"}
        )
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
