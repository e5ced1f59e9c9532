"""Password policy, lock-out, idle timeout, password expiry, one role per account."""

from datetime import timedelta

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portal.accounts import services
from portal.accounts.models import Role, User
from portal.models import AuditEvent
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    ["Short1!a", "alllowercaseletters", "ALLUPPERCASE123", "onlylowerand123", "NoDigitsOrSymbols"],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password)


@pytest.mark.parametrize("password", ["Gongshang2026yufang", "gongshang-2026-yufang", "GONGSHANG-yufang!"])
def test_passwords_with_twelve_characters_and_three_classes_pass(password):
    password_validation.validate_password(password)


def test_password_policy_message_is_chinese(settings):
    from django.utils.translation import override

    with override("zh-hans"), pytest.raises(ValidationError) as exc:
        password_validation.validate_password("abcdefghijkl")
    assert any("至少" in m for m in exc.value.messages)


def _fail(client, username, times):
    for _ in range(times):
        client.post(reverse("accounts:login"), {"username": username, "password": "wrong-password-Zz9"})


def test_five_failures_in_fifteen_minutes_lock_the_account(client, users):
    user = users["staff_a"]
    _fail(client, user.username, 4)
    user.refresh_from_db()
    assert not user.is_locked
    _fail(client, user.username, 1)
    user.refresh_from_db()
    assert user.is_locked
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(verb="locked", object_id=str(user.pk)).count() == 1


def test_failures_outside_the_window_do_not_count(client, users):
    from portal.accounts.models import LoginAttempt

    user = users["staff_a"]
    old = timezone.now() - timedelta(minutes=16)
    LoginAttempt.objects.bulk_create([LoginAttempt(username=user.username, succeeded=False, at=old) for _ in range(4)])
    _fail(client, user.username, 1)
    user.refresh_from_db()
    assert not user.is_locked


def test_successful_login_resets_the_count(client, users):
    user = users["staff_a"]
    _fail(client, user.username, 4)
    assert (
        client.post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}).status_code
        == 302
    )
    client.logout()
    _fail(client, user.username, 1)
    user.refresh_from_db()
    assert not user.is_locked


def test_lock_expires_and_security_admin_can_unlock(users):
    user = users["staff_a"]
    user.locked_until = timezone.now() + timedelta(minutes=30)
    user.save()
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied for a staff member
        services.unlock_user(actor=users["staff_a_emergency"], user=user)
    services.unlock_user(actor=users["secadmin"], user=user)
    user.refresh_from_db()
    assert not user.is_locked
    assert AuditEvent.objects.filter(verb="unlocked", actor=users["secadmin"]).exists()


def test_locked_message_names_the_rule_in_chinese(client, users):
    user = users["staff_a"]
    _fail(client, user.username, 5)
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert "锁定" in response.content.decode()


def test_idle_session_expires_after_thirty_minutes(client, users, settings, django_assert_max_num_queries):
    """A request pushes the server-side expiry 30 minutes ahead (at most once a minute: requests in between
    write nothing); a session idle longer is gone."""
    import time as clock
    from importlib import import_module
    from unittest import mock

    from django.contrib.sessions.models import Session
    from django.core.cache import caches

    client.force_login(users["staff_a"])
    assert client.get(reverse("home")).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 1790 <= remaining <= 1800
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=20))
    client.get(reverse("home"))  # within the minute: not renewed
    assert Session.objects.get(pk=session.pk).expire_date < timezone.now() + timedelta(minutes=21)
    later = clock.time() + settings.SESSION_RENEW_SECONDS + 1
    with mock.patch("time.time", return_value=later):
        client.get(reverse("home"))  # a minute later: renewed
    assert Session.objects.get(pk=session.pk).expire_date > timezone.now() + timedelta(minutes=29)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    # With cached sessions (a shared cache) the cache entry lives as long as the session: it has expired too.
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.pk)
    if hasattr(store, "cache_key"):
        caches[settings.SESSION_CACHE_ALIAS].delete(store.cache_key)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_page_after_a_login_does_not_write_the_session_again(client, users):
    """The login saves the new session as renewed: the page the user lands on reads it and writes nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = users["staff_a"]
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(response["Location"]).status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"].upper()]
    assert not [q for q in ctx.captured_queries if q["sql"].upper().startswith(("INSERT", "UPDATE"))]


def test_expired_password_forces_change(client, users, settings):
    user = users["staff_a"]
    user.password_changed_at = timezone.now() - timedelta(days=settings.PASSWORD_EXPIRY_DAYS + 1)
    user.save()
    client.force_login(user)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:password_change"))
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Anquan-Shengchan-2026",
            "new_password2": "Anquan-Shengchan-2026",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("enterprises:enterprise_list")).status_code == 200
    assert AuditEvent.objects.filter(verb="password_changed", object_id=str(user.pk)).count() == 1


def test_expiry_can_be_turned_off(users, settings):
    settings.PASSWORD_EXPIRY_DAYS = 0
    user = users["staff_a"]
    user.password_changed_at = timezone.now() - timedelta(days=1000)
    assert not user.password_expired


def test_new_password_must_follow_policy(client, users):
    client.force_login(users["staff_a"])
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"]


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR])
def test_admin_duties_cannot_be_bound_to_an_agency(role, agency_a):
    user = User(username="x", role=role, agency=agency_a)
    with pytest.raises(ValidationError) as exc:
        user.full_clean(exclude=["password"])
    assert "role" in exc.value.message_dict


def test_officer_needs_an_enterprise():
    user = User(username="x", role=Role.SAFETY_OFFICER)
    with pytest.raises(ValidationError) as exc:
        user.full_clean(exclude=["password"])
    assert "enterprise" in exc.value.message_dict


def test_secretariat_sits_at_the_lead_agency(agency_a_emergency):
    user = User(username="x", role=Role.SECRETARIAT, agency=agency_a_emergency)
    with pytest.raises(ValidationError) as exc:
        user.full_clean(exclude=["password"])
    assert "agency" in exc.value.message_dict


def test_an_account_holds_exactly_one_admin_duty(users):
    """One role field per account: giving the auditor the security duty takes the audit duty away."""
    auditor = users["auditor"]
    services.assign_role(actor=users["secadmin"], user=auditor, role=Role.SECURITY_ADMIN)
    auditor.refresh_from_db()
    assert auditor.role == Role.SECURITY_ADMIN
    assert not auditor.has_perm("portal.view_auditevent")
    assert auditor.has_perm("accounts.unlock_user")


def test_security_admin_cannot_change_own_role(users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.assign_role(actor=users["secadmin"], user=users["secadmin"], role=Role.AUDITOR)


def test_nobody_is_superuser_and_admin_duties_reach_the_admin(users):
    for user in users.values():
        user.refresh_from_db()
        assert not user.is_superuser
    assert users["sysadmin"].is_staff and users["auditor"].is_staff and users["secadmin"].is_staff
    assert not users["staff_a"].is_staff


def test_roles_have_distinct_permission_sets(users):
    perms = {
        name: frozenset(users[name].get_all_permissions())
        for name in ["staff_a", "admin_a", "officer_a", "expert", "sysadmin", "secadmin", "auditor"]
    }
    assert len(set(perms.values())) == len(perms)


def test_agency_admin_creates_staff_only_in_own_agency(users, agency_b):
    from django.core.exceptions import PermissionDenied

    admin = users["admin_a"]
    created = services.create_user(
        actor=admin,
        data={"username": "newstaff", "role": Role.AGENCY_STAFF, "agency": admin.agency},
        password="Xin-Yuangong-2026",
    )
    assert created.agency == admin.agency
    with pytest.raises(PermissionDenied):
        services.create_user(actor=admin, data={"username": "other", "role": Role.AGENCY_STAFF, "agency": agency_b})
    with pytest.raises(PermissionDenied):
        services.create_user(actor=admin, data={"username": "boss", "role": Role.AGENCY_ADMIN, "agency": admin.agency})


def test_admin_site_is_chinese_for_system_admin(client_for, users):
    response = client_for(users["sysadmin"]).get("/admin/")
    assert response.status_code == 200
    assert "站点管理" in response.content.decode() or "管理" in response.content.decode()


def test_auditor_reads_audit_trail_in_admin_but_cannot_change_it(client_for, users):
    client = client_for(users["auditor"])
    assert client.get("/admin/portal/auditevent/").status_code == 200
    assert client.get("/admin/portal/auditevent/add/").status_code == 403


def test_password_reminder_job_is_sent_once(users, settings):
    from portal.accounts.tasks import remind_password_expiry
    from portal.notifications.models import Notification

    user = users["staff_a"]
    user.password_changed_at = timezone.now() - timedelta(days=settings.PASSWORD_EXPIRY_DAYS - 3)
    user.save()
    assert remind_password_expiry() >= 1
    assert remind_password_expiry() == 0
    assert Notification.objects.filter(recipient=user).count() == 1


def test_user_factory_defaults_are_valid():
    user = UserFactory()
    user.full_clean(exclude=["password"])


def test_api_token_login_and_use(api_client_for, users):
    client = api_client_for(None)
    response = client.post("/api/v1/accounts/token/", {"username": "staff_a", "password": TEST_PASSWORD})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/accounts/me/").json()["username"] == "staff_a"


def test_api_token_respects_lock_out(api_client_for, users):
    client = api_client_for(None)
    for _ in range(5):
        assert (
            client.post("/api/v1/accounts/token/", {"username": "staff_a", "password": "bad-Bad-123"}).status_code
            == 400
        )
    assert client.post("/api/v1/accounts/token/", {"username": "staff_a", "password": TEST_PASSWORD}).status_code == 400
    users["staff_a"].refresh_from_db()
    assert users["staff_a"].is_locked


@pytest.mark.parametrize(("role", "status"), [("secadmin", 200), ("auditor", 200), ("sysadmin", 200), ("staff_a", 403)])
def test_security_policy_page(role, status, client_for, users):
    response = client_for(users[role]).get(reverse("accounts:security_policy"))
    assert response.status_code == status
    if status == 200:
        rows = response.context["roles"]
        assert len(rows) == len(Role)
        assert all(row["permissions"] for row in rows)


def test_admin_created_account_must_change_the_initial_password(client_for, users):
    admin_client = client_for(users["admin_a"])
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "xinren",
            "full_name": "新人",
            "role": "agency_staff",
            "agency": users["admin_a"].agency_id,
            "initial_password": "Chushi-Mima-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="xinren")
    assert user.agency == users["admin_a"].agency and user.password_changed_at is None
    assert AuditEvent.objects.filter(verb="create", object_id=str(user.pk), actor=users["admin_a"]).exists()
    from django.test import Client

    newcomer = Client()
    newcomer.post(reverse("accounts:login"), {"username": "xinren", "password": "Chushi-Mima-2026"})
    response = newcomer.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:password_change"))


def test_agency_admin_cannot_create_accounts_for_another_agency(client_for, users, agency_b):
    response = client_for(users["admin_a"]).post(
        "/admin/accounts/user/add/",
        {"username": "spy", "role": "agency_staff", "agency": agency_b.pk, "initial_password": "Chushi-Mima-2026"},
    )
    assert response.status_code == 200  # form error: agency not among the choices
    assert not User.objects.filter(username="spy").exists()


def test_too_short_password_message_is_chinese():
    from django.utils.translation import override

    with override("zh-hans"), pytest.raises(ValidationError) as exc:
        password_validation.validate_password("Ab1-short")
    assert "密码太短，至少需要 12 个字符。" in exc.value.messages


def test_the_request_user_comes_with_agency_and_region_in_one_query(users, django_assert_num_queries):
    from portal.accounts.backends import LockoutModelBackend

    with django_assert_num_queries(1):
        user = LockoutModelBackend().get_user(users["staff_a"].pk)
        assert user.region.code == "330784" and user.agency.kind == "hrss"
    with django_assert_num_queries(1):
        officer = LockoutModelBackend().get_user(users["officer_a"].pk)
        assert officer.region.name == "东城街道" and officer.enterprise.industry.code == "3311"
