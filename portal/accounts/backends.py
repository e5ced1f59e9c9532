"""Authentication: the model backend plus lock-out, and permissions taken from the user's role."""

import functools
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from portal import counts
from portal.permissions import role_permissions

_RELATED = ("agency__region", "enterprise__region", "enterprise__industry")


def _load_user(user_id):
    model = get_user_model()
    try:
        return model._default_manager.select_related(*_RELATED).get(pk=user_id)
    except model.DoesNotExist:
        return None


@functools.cache
def _user_tables() -> tuple[str, ...]:
    """The tables ``_load_user`` reads: the user's, and each model along the ``select_related`` paths."""
    tables = set()
    for path in _RELATED:
        model = get_user_model()
        tables.add(model._meta.db_table)
        for name in path.split("__"):
            model = model._meta.get_field(name).related_model
            tables.add(model._meta.db_table)
    return tuple(sorted(tables))


class LockoutModelBackend(ModelBackend):
    """Refuses a locked account even with the right password; serves role permissions (no per-user grants)."""

    def authenticate(self, request, username=None, password=None, **kwargs):

        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        if user.is_locked:
            return None
        return user

    def get_user(self, user_id):
        """The request's user with its agency, enterprise and their regions in one query: every scoped list and
        statistic needs the region, which would otherwise cost two more queries per request.

        With a shared cache the row comes from the cache until any of the tables it joins is written to
        (``portal.counts``): a deactivation, a lock-out, a new password or a moved agency is seen by the next
        request. Whether the user may sign in (active, not locked until some time) is decided here each time."""
        user = counts.cached_result(("request-user", user_id), _user_tables(), lambda: _load_user(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not getattr(user, "is_locked", False)

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        if obj is not None:
            return set()
        return set(role_permissions(user_obj))

    def get_all_permissions(self, user_obj, obj=None):
        return self.get_group_permissions(user_obj, obj)

    def has_perm(self, user_obj, perm, obj=None):
        # What get_all_permissions answers, without copying the role's set for each question (a page asks ~20).
        return obj is None and user_obj.is_active and perm in role_permissions(user_obj)


def failure_window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
