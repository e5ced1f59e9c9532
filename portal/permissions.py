"""The one home of access rules.

Three questions, answered only here:

1. May this role do this kind of action on this kind of object?  ``ROLE_PERMISSIONS`` (Django permission
   codenames per role; ``portal.accounts.backends`` serves them as the user's permissions).
2. Which rows may the user see?  ``ScopedQuerySet.visible_to(user)``: agency users see their agency's region
   subtree, a safety officer their own enterprise, an expert what is assigned to them; the three admin
   duties see no business data.
3. May the user change this row?  ``ScopedQuerySet.editable_by(user)``: only the owning agency.

Models declare paths instead of code (NetBox ``restrict``, pretix scoped managers)::

    scope_region = "enterprise__region"    # path to a reference.Region
    scope_owner = "owner_agency"           # path to the owning accounts.Agency
    scope_enterprise = "enterprise"        # path to the enterprise (officers)
    scope_expert = "assignments__expert"   # path to an assigned expert user
    scope_officer_edits = True             # officers may edit rows of their enterprise
    scope_tiers = ("province", "city", "county")  # own columns: the region's ancestors at depth 0, 1, 2

A model may instead define ``scope_visible(cls, qs, user)`` / ``scope_editable(cls, qs, user)`` class methods
for rules that do not fit the paths (accounts and agencies do). Views and serializers never filter by hand.
"""

from __future__ import annotations

from django.db import models
from django.http import Http404

# --- 1. role → permissions ---------------------------------------------------------------------------------

_REFERENCE_MODELS = [
    "region",
    "historicalregioncode",
    "industry",
    "riskclass",
    "industryriskclass",
    "regionalriskrate",
    "industryflag",
    "occupationalhazardrisk",
    "accidenttype",
    "accidenttypemapping",
    "accidentgrade",
    "occupationaldisease",
    "diseasecataloguemapping",
    "calendarday",
]
# Official code lists are readable by every role.
_READ_REFERENCE = {f"reference.view_{m}" for m in _REFERENCE_MODELS}
# What a region may adjust: the holiday calendar, key/dust industry flags, regional premium rates, custom zones.
_EDIT_REFERENCE = {
    f"reference.{action}_{m}"
    for m in ("calendarday", "industryflag", "regionalriskrate")
    for action in ("add", "change", "delete")
} | {"reference.add_region", "reference.change_region"}
_ALL_USERS = {"notifications.view_notification"} | _READ_REFERENCE
_ENTERPRISE_RW = {
    f"enterprises.{action}_{model}"
    for model in ("enterprise", "insurancesnapshot", "constructionproject")
    for action in ("view", "add", "change", "delete")
}
_INCIDENT_MODELS = ("injurycase", "occupationaldiseasecase", "safetyaccident")
_INCIDENTS_RW = {f"incidents.{action}_{m}" for m in _INCIDENT_MODELS for action in ("view", "add", "change", "delete")}
_UNMASK = {"incidents.unmask_injurycase", "incidents.unmask_occupationaldiseasecase"}
_AGENCY_STAFF = (
    _ALL_USERS
    | _ENTERPRISE_RW
    | _INCIDENTS_RW
    | _UNMASK
    | {"accounts.view_agency", "analysis.view_statistics", "analysis.view_target"}
    | {f"analysis.{action}_regiongdp" for action in ("view", "add", "change")}
)
_SET_TARGETS = {f"analysis.{action}_target" for action in ("add", "change", "delete")}
# The warning and rectification loop (incidents.prevention): staff screen, issue notices, review reports and
# decide extensions; officers read their own and file reports.
_PREVENTION_READ = {
    f"prevention.view_{m}"
    for m in ("screeningrule", "screeningrun", "noticeletter", "rectificationreport", "outcome", "bulletin")
}
_PREVENTION_STAFF = _PREVENTION_READ | {
    "prevention.add_screeningrule",
    "prevention.add_screeningrun",
    "prevention.publish_screeningrun",
    "prevention.issue_noticeletter",
    "prevention.review_rectificationreport",
    "prevention.decide_extension",
    "prevention.add_outcome",
    "prevention.add_bulletin",
    "prevention.change_bulletin",
}
_PREVENTION_OFFICER = _PREVENTION_READ - {"prevention.view_screeningrule"} | {
    "prevention.add_rectificationreport",
    "prevention.request_extension",
}

# The quarterly exchange (portal.exchange): every member agency reads what it owes, confirms its quarters and
# downloads the reports; the secretariat sets the obligations, reopens quarters and builds reports on demand.
_EXCHANGE_AGENCY = {
    "exchange.view_obligation",
    "exchange.view_confirmation",
    "exchange.add_confirmation",
    "exchange.view_exchangereport",
}
_EXCHANGE_SECRETARIAT = _EXCHANGE_AGENCY | {
    "exchange.add_obligation",
    "exchange.change_obligation",
    "exchange.reopen_confirmation",
    "exchange.build_exchangereport",
}

# The joint meeting (meetings): member agencies read it, propose agenda items, reply to notices and
# solicitations and report progress; the secretariat runs the committee, its meetings, action items,
# solicitations and the key task list.
_MEETING_MODELS = (
    "committee",
    "member",
    "meeting",
    "agendaitem",
    "attendance",
    "decision",
    "actionitem",
    "actionprogress",
    "solicitation",
    "reply",
    "keytask",
    "taskprogress",
    "yearlyreport",
)
_MEETINGS_AGENCY = {f"meetings.view_{m}" for m in _MEETING_MODELS} | {
    "meetings.add_agendaitem",
    "meetings.change_attendance",
    "meetings.add_actionprogress",
    "meetings.change_reply",
    "meetings.add_taskprogress",
}
_MEETINGS_SECRETARIAT = (
    _MEETINGS_AGENCY
    | {
        f"meetings.{action}_{m}"
        for m in ("committee", "member", "meeting", "decision", "actionitem", "solicitation", "keytask", "yearlyreport")
        for action in ("add", "change")
    }
    | {"meetings.change_agendaitem"}
)

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "agency_staff": _AGENCY_STAFF | _PREVENTION_STAFF | _EXCHANGE_AGENCY | _MEETINGS_AGENCY,
    "agency_admin": _AGENCY_STAFF
    | _PREVENTION_STAFF
    | _EXCHANGE_AGENCY
    | _MEETINGS_AGENCY
    | _SET_TARGETS
    | {"accounts.view_user", "accounts.add_user", "accounts.change_user"},
    "secretariat": _AGENCY_STAFF | _PREVENTION_STAFF | _SET_TARGETS | _EXCHANGE_SECRETARIAT | _MEETINGS_SECRETARIAT,
    "safety_officer": _ALL_USERS
    | {"enterprises.view_enterprise", "enterprises.view_insurancesnapshot", "enterprises.view_constructionproject"}
    | {"analysis.view_own_statistics"}
    | {f"incidents.view_{m}" for m in _INCIDENT_MODELS}
    | _PREVENTION_OFFICER,
    "expert": _ALL_USERS,
    # 三员: accounts / roles and security policy / audit. None of them reads business data.
    "system_admin": _ALL_USERS
    | {
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_agency",
        "accounts.add_agency",
        "accounts.change_agency",
        "accounts.view_security_policy",
        "portal.view_joboutbox",
        "portal.view_workerheartbeat",
    }
    | _EDIT_REFERENCE,
    "security_admin": _ALL_USERS
    | {
        "accounts.view_user",
        "accounts.assign_role",
        "accounts.unlock_user",
        "accounts.view_loginattempt",
        "accounts.view_agency",
        "accounts.view_security_policy",
    },
    "auditor": _ALL_USERS
    | {"portal.view_auditevent", "accounts.view_user", "accounts.view_loginattempt", "accounts.view_security_policy"},
}


# Which kind of member agency records which kind of record (DESIGN §3.2: 人社 enters work-injury cases,
# 卫健 occupational-disease cases, 应急 safety accidents). Other member agencies read them.
RECORDING_AGENCY_KINDS: dict[str, set[str]] = {
    "incidents.injurycase": {"hrss"},
    "incidents.occupationaldiseasecase": {"health"},
    "incidents.safetyaccident": {"emergency"},
    # 按项目参保: the sector agencies that license construction (住建, 交通运输, 水利).
    "enterprises.constructionproject": {"housing", "transport", "water"},
}


def may_record(user, model) -> bool:
    """True if ``user`` may create records of ``model``: the role permission and, where the table above says
    so, an agency of the right kind."""
    label = model._meta.label_lower
    if not user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}"):
        return False
    kinds = RECORDING_AGENCY_KINDS.get(label)
    return kinds is None or (user.agency is not None and user.agency.kind in kinds)


def may_unmask(user, obj) -> bool:
    """Personal data in clear: only the owning agency, and only roles holding the unmask permission."""
    perm = f"{obj._meta.app_label}.unmask_{obj._meta.model_name}"
    return user.has_perm(perm) and type(obj)._default_manager.all().editable_by(user).filter(pk=obj.pk).exists()


def extend_role_permissions(role: str, perms: set[str]) -> None:
    """Let a module add its permissions to a role from its AppConfig.ready() (keeps the table in one place)."""
    ROLE_PERMISSIONS[role] = ROLE_PERMISSIONS[role] | perms


def role_permissions(user) -> set[str]:
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    return ROLE_PERMISSIONS.get(user.role, set())


# --- 2 and 3. row scope ------------------------------------------------------------------------------------

AGENCY_ROLE_NAMES = {"agency_staff", "agency_admin", "secretariat"}
ADMIN_DUTY_NAMES = {"system_admin", "security_admin", "auditor"}


def scope_tier(model, region) -> str | None:
    """The column of ``model`` that holds ``region``'s level (province, city or county: ``scope_tiers``), or None
    when the model has none for it (rows are then found by the region path)."""
    tiers = getattr(model, "scope_tiers", ())
    return tiers[region.depth] if region.depth < len(tiers) else None


class ScopedQuerySet(models.QuerySet):
    """QuerySet with ``visible_to(user)`` and ``editable_by(user)`` driven by the model's scope declaration."""

    def visible_to(self, user):
        if not _active(user):
            return self.none()
        custom = getattr(self.model, "scope_visible", None)
        if custom is not None:
            return custom(self, user)
        if user.role in AGENCY_ROLE_NAMES:
            if getattr(self.model, "scope_region", None) is None or user.agency is None:
                return self.none()
            return self.in_region(user.agency.region)
        if user.role == "safety_officer":
            path = getattr(self.model, "scope_enterprise", None)
            if path is None or not user.enterprise_id:
                return self.none()
            return self.filter(**{path: user.enterprise_id})
        if user.role == "expert":
            path = getattr(self.model, "scope_expert", None)
            return self.none() if path is None else self.filter(**{path: user.pk}).distinct()
        return self.none()

    def in_region(self, region):
        """Rows within ``region``'s subtree. Models that carry their tiers as columns (``scope_tiers``: province,
        city, county) are filtered on the one column of the region's depth; others by the region path."""
        tier = scope_tier(self.model, region)
        if tier is not None:
            return self.filter(**{f"{tier}_id": region.pk})
        return self.filter(**{f"{self.model.scope_region}__path__startswith": region.path})

    def editable_by(self, user):
        if not _active(user):
            return self.none()
        custom = getattr(self.model, "scope_editable", None)
        if custom is not None:
            return custom(self, user)
        visible = self.visible_to(user)
        if user.role in AGENCY_ROLE_NAMES:
            owner = getattr(self.model, "scope_owner", None)
            return visible.none() if owner is None else visible.filter(**{owner: user.agency_id})
        if user.role == "safety_officer" and getattr(self.model, "scope_officer_edits", False):
            return visible
        return visible.none()


def region_tree_q(user, region_field: str) -> models.Q | None:
    """Agency users: rows whose ``region_field`` lies in their region's subtree or above it (the joint meeting and
    the exchange of a city concern its counties' agencies, and a county's concern the city). None for others."""
    if getattr(user, "role", None) in AGENCY_ROLE_NAMES and getattr(user, "agency_id", None):
        region = user.agency.region
        return models.Q(**{f"{region_field}__path__startswith": region.path}) | models.Q(
            **{f"{region_field}__path__in": region.ancestor_paths()}
        )
    return None


def in_region_tree(user, region) -> bool:
    """``region_tree_q`` for one region."""
    if getattr(user, "role", None) not in AGENCY_ROLE_NAMES or not getattr(user, "agency_id", None):
        return False
    home = user.agency.region
    return region.path.startswith(home.path) or region.path in home.ancestor_paths()


def is_secretariat_of(user, region) -> bool:
    """The secretariat (sitting at the lead agency) of the joint meeting of ``region`` or of a region above it."""
    if getattr(user, "role", None) != "secretariat" or not getattr(user, "agency_id", None):
        return False
    return region.path.startswith(user.agency.region.path)


def secretariat_q(user, region_field: str) -> models.Q | None:
    """``is_secretariat_of`` for rows: those whose ``region_field`` lies in the secretariat's region tree. None for
    anyone who is not a secretariat."""
    if getattr(user, "role", None) != "secretariat" or not getattr(user, "agency_id", None):
        return None
    return models.Q(**{f"{region_field}__path__startswith": user.agency.region.path})


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def get_visible_or_404(queryset_or_model, user, *, editable: bool = False, **lookup):
    """Fetch one object the user may see (or edit); otherwise 404, and audit the attempt if the row exists."""
    qs = queryset_or_model if isinstance(queryset_or_model, models.QuerySet) else queryset_or_model.objects.all()
    scoped = qs.editable_by(user) if editable else qs.visible_to(user)
    try:
        return scoped.get(**lookup)
    except qs.model.DoesNotExist:
        record_denial_if_exists(qs.model, user, lookup, action="change" if editable else "view")
        raise Http404 from None


def record_denial_if_exists(model, user, lookup: dict, *, action: str) -> None:
    """Audit a request for a row that exists but lies outside the user's scope."""
    from portal import audit

    obj = model._default_manager.filter(**lookup).first()
    if obj is not None:
        audit.record(actor=user, verb="denied", obj=obj, note=f"out of scope: {action}")


def can_edit(user, obj) -> bool:
    """True if ``obj`` lies in ``user``'s editable scope (for templates; views still use querysets)."""
    manager = type(obj)._default_manager
    return manager.all().editable_by(user).filter(pk=obj.pk).exists()
