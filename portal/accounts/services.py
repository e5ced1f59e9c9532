"""Account actions: login bookkeeping and lock-out, passwords, roles, unlocking. Each one is audited."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit

from .models import ADMIN_DUTIES, LoginAttempt, Role, User


def record_login_success(*, user: User, ip: str | None) -> None:
    LoginAttempt.objects.create(username=user.username, succeeded=True, ip_address=ip)
    audit.record(actor=user, verb="login", obj=user)


@transaction.atomic
def record_login_failure(*, username: str, ip: str | None) -> bool:
    """Count a failed login; lock the account after too many failures in the window. Returns True if locked now."""
    username = (username or "")[:150]
    now = timezone.now()
    LoginAttempt.objects.create(username=username, succeeded=False, ip_address=ip, at=now)
    user = User.objects.select_for_update().filter(username=username).first()
    audit.record(actor=None, verb="login_failed", obj=user, note=username)
    if user is None or user.is_locked:
        return False
    window_start = now - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    last_success = (
        LoginAttempt.objects.filter(username=username, succeeded=True, at__gte=window_start)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    failures = LoginAttempt.objects.filter(
        username=username, succeeded=False, at__gte=max(window_start, last_success or window_start)
    ).count()
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        user.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        user.save(update_fields=["locked_until"])
        audit.record(actor=None, verb="locked", obj=user, note=f"{failures} failed logins")
        return True
    return False


@transaction.atomic
def unlock_user(*, actor: User, user: User) -> User:
    if not actor.has_perm("accounts.unlock_user"):
        raise PermissionDenied
    user.locked_until = None
    user.save(update_fields=["locked_until"])
    audit.record(actor=actor, verb="unlocked", obj=user)
    return user


@transaction.atomic
def change_password(*, actor: User, user: User, new_password: str) -> User:
    password_validation.validate_password(new_password, user)
    if user.check_password(new_password):
        raise ValidationError({"new_password1": _("The new password must differ from the current one.")})
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    audit.record(actor=actor, verb="password_changed", obj=user)
    return user


@transaction.atomic
def create_user(*, actor: User | None, data: dict, password: str | None = None, must_change: bool = False) -> User:
    """Create an account. Admin duties can only be created by a command (actor None) or a system admin.

    ``must_change``: the password is an initial one the user must replace at the first login."""
    role = data.get("role")
    if actor is not None and role in ADMIN_DUTIES and actor.role != Role.SYSTEM_ADMIN:
        raise PermissionDenied
    if actor is not None and actor.role == Role.AGENCY_ADMIN:
        if role not in (Role.AGENCY_STAFF,) or data.get("agency") != actor.agency:
            raise PermissionDenied
    user = User(**data)
    if password:
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.password_changed_at = None if must_change else timezone.now()
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor=actor, verb="create", obj=user, changes=audit.diff({}, audit.snapshot(user)))
    return user


@transaction.atomic
def assign_role(*, actor: User, user: User, role: str, agency=None, enterprise=None) -> User:
    """The security administrator's duty: give an account its (single) role and binding."""
    if not actor.has_perm("accounts.assign_role"):
        raise PermissionDenied
    if user.pk == actor.pk:
        raise PermissionDenied(_("You cannot change your own role."))
    before = audit.snapshot(user, ["role", "agency", "enterprise"])
    user.role, user.agency, user.enterprise = role, agency, enterprise
    user.full_clean(exclude=["password"])
    user.save(update_fields=["role", "agency", "enterprise"])
    audit.record(
        actor=actor,
        verb="role_changed",
        obj=user,
        changes=audit.diff(before, audit.snapshot(user, ["role", "agency", "enterprise"])),
    )
    return user
