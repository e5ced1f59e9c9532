"""Template context for the shell: navigation of the modules that exist, the user's unread count."""

from functools import lru_cache, partial

from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.notifications.services import unread_count


def shell(request):
    # Written when a template shows it (a template calls a callable): a fragment that extends no shell reads no
    # badge and builds no bar, and django-tables2 running the context processors again costs nothing.
    return {"shell_nav_html": partial(_shell_nav_html, request)}


def _menu(key: str, label, icon: str, items: list[dict]) -> list[dict]:
    """A group of links as one drop-down menu of the navigation bar (a single link stays a plain link)."""
    if len(items) < 2:
        return items
    return [{"key": key, "label": label, "icon": icon, "children": items}]


def _registries(may) -> list[dict]:
    """The registries the user reads: enterprises, construction projects, cases, diseases, accidents, imports."""
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
    items = [{"label": label, "url": reverse(url), "icon": icon} for perm, label, url, icon in links if may(perm)]
    if may("imports"):
        items.append({"label": _("Imports"), "url": reverse("imports:import_list"), "icon": "upload"})
    return items


# What decides the navigation: these permissions, whether the user may import anything, belongs to an agency, is
# staff. The bar is built once per combination (and URL prefix); a request only marks the active entries.
_NAV_PERMISSIONS = (
    "analysis.view_statistics",
    "analysis.view_own_statistics",
    "enterprises.view_enterprise",
    "enterprises.view_constructionproject",
    "incidents.view_injurycase",
    "incidents.view_occupationaldiseasecase",
    "incidents.view_safetyaccident",
    "prevention.issue_noticeletter",
    "prevention.view_noticeletter",
    "exchange.view_confirmation",
    "meetings.view_committee",
    "accounts.view_security_policy",
    "reference.view_region",
)


def _nav_key(user) -> tuple:
    from portal.imports import specs_for

    granted = frozenset(p for p in _NAV_PERMISSIONS if user.has_perm(p))
    extra = {"imports"} if specs_for(user) else set()
    if user.agency_id:
        extra.add("agency")
    if user.is_staff:
        extra.add("staff")
    return granted | extra, get_script_prefix()


_NAV_FLAGS = frozenset({"imports", "agency", "staff"})


@lru_cache(maxsize=256)
def _nav(granted: frozenset, _prefix: str) -> tuple:
    def may(what: str) -> bool:
        # A check the key does not carry would be False for everyone: list it in _NAV_PERMISSIONS.
        if what not in _NAV_PERMISSIONS and what not in _NAV_FLAGS:
            raise ImproperlyConfigured(f"the navigation asks for {what!r}, which _NAV_PERMISSIONS does not list")
        return what in granted

    nav = [{"label": _("Home"), "url": reverse("home"), "icon": "house"}]
    if may("analysis.view_statistics"):
        nav.append({"label": _("Statistics"), "url": reverse("analysis:dashboard"), "icon": "bar-chart-line"})
    elif may("analysis.view_own_statistics"):
        nav.append({"label": _("Statistics"), "url": reverse("analysis:enterprise"), "icon": "bar-chart-line"})
    nav += _menu("registries", _("Registries"), "collection", _registries(may))
    if may("prevention.issue_noticeletter"):
        nav.append({"label": _("Warnings and rectification"), "url": reverse("prevention:home"), "icon": "megaphone"})
    elif may("prevention.view_noticeletter"):
        nav.append({"label": _("Notice letters"), "url": reverse("prevention:noticeletter_list"), "icon": "megaphone"})
    collaboration = []  # the member agencies' joint work
    if may("exchange.view_confirmation") and may("agency"):
        collaboration.append(
            {"label": _("Data exchange"), "url": reverse("exchange:index"), "icon": "arrow-left-right"}
        )
    if may("meetings.view_committee") and may("agency"):
        collaboration.append({"label": _("Joint meeting"), "url": reverse("meetings:index"), "icon": "people"})
    nav += _menu("collaboration", _("Joint work"), "diagram-3", collaboration)
    nav.append({"label": _("Case library"), "url": reverse("prevention:bulletin_public_list"), "icon": "journal-text"})
    nav.append({"label": _("Inbox"), "url": reverse("notifications:inbox"), "icon": "bell"})
    if may("accounts.view_security_policy"):
        nav.append({"label": _("Security policy"), "url": reverse("accounts:security_policy"), "icon": "shield-lock"})
    if may("staff"):
        nav.append({"label": _("Administration"), "url": reverse("admin:index"), "icon": "gear"})
    if may("reference.view_region"):
        nav.append({"label": _("API"), "url": reverse("api-docs"), "icon": "braces"})
    return tuple(nav)


def _shell_nav_html(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return nav_html((), request.path, 0)
    return _nav_bar(*_nav_key(user), get_language(), request.path, unread_count(user))


@lru_cache(maxsize=1024)
def _nav_bar(granted: frozenset, prefix: str, _language: str, path: str, unread: int) -> str:
    """The bar's markup for one navigation (``_nav``), language, page and unread count: the same on every request
    of a list page, so it is written once per process (the labels are translated in ``_language``, the active
    one, which is part of the key)."""
    nav = []
    for item in _nav(granted, prefix):
        children = item.get("children")
        if children:  # a menu is active when the page is one of its entries' (or below it)
            item = {**item, "active": any(path.startswith(child["url"]) for child in children)}
        nav.append(item)
    return nav_html(nav, path, unread)


def nav_html(nav, path: str, unread: int) -> str:
    """The navigation bar's entries (``base.html``'s ``<ul class="navbar-nav">``): the same markup the template
    loop wrote, in Python (the bar is on every page)."""
    parts = []
    for item in nav:
        children = item.get("children")
        if children:
            parts.append(
                format_html(
                    '<li class="nav-item dropdown"><a class="nav-link dropdown-toggle{}" href="#" role="button" '
                    'data-bs-toggle="dropdown" aria-expanded="false" data-testid="nav-{}">'
                    '<i class="bi bi-{}"></i> {}</a><ul class="dropdown-menu">',
                    " active" if item.get("active") else "",
                    item["key"],
                    item["icon"],
                    item["label"],
                )
            )
            for child in children:
                parts.append(
                    format_html(
                        '<li><a class="dropdown-item{}" href="{}"><i class="bi bi-{}"></i> {}</a></li>',
                        " active" if path == child["url"] else "",
                        child["url"],
                        child["icon"],
                        child["label"],
                    )
                )
            parts.append("</ul></li>")
        else:
            badge = ""
            if item["icon"] == "bell" and unread:
                badge = format_html(' <span class="badge text-bg-warning" data-testid="unread-count">{}</span>', unread)
            parts.append(
                format_html(
                    '<li class="nav-item"><a class="nav-link{}" href="{}"><i class="bi bi-{}"></i> {}{}</a></li>',
                    " active" if path == item["url"] else "",
                    item["url"],
                    item["icon"],
                    item["label"],
                    badge,
                )
            )
    return mark_safe("".join(parts))  # noqa: S308 - every part built by format_html
