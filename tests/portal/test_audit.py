"""The audit trail: logins, failures, denials and every create/update/delete with old and new values;
append-only, down to the database."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from enterprises.models import Enterprise
from portal.models import AuditEvent
from tests.factories import TEST_PASSWORD, credit_code

pytestmark = pytest.mark.django_db


def test_login_and_logout_are_recorded(client, users):
    user = users["staff_a"]
    client.post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD})
    client.post(reverse("accounts:logout"))
    verbs = list(AuditEvent.objects.filter(actor=user).values_list("verb", flat=True))
    assert "login" in verbs and "logout" in verbs


def test_failed_login_is_recorded_with_the_username(client, users):
    client.post(reverse("accounts:login"), {"username": "staff_a", "password": "nope-Nope-123"})
    event = AuditEvent.objects.get(verb="login_failed")
    assert event.note == "staff_a"
    assert event.ip_address == "127.0.0.1"


def test_denial_is_recorded(client_for, users):
    client_for(users["sysadmin"]).get(reverse("enterprises:enterprise_list"))
    assert AuditEvent.objects.filter(verb="denied", actor=users["sysadmin"]).exists()


def test_out_of_scope_request_is_recorded_against_the_object(client_for, users, enterprise_b):
    client_for(users["staff_a"]).get(reverse("enterprises:enterprise_detail", args=[enterprise_b.pk]))
    event = AuditEvent.objects.get(verb="denied", actor=users["staff_a"])
    assert event.object_id == str(enterprise_b.pk)


def test_create_update_delete_record_old_and_new_values(client_for, users, regions, industry):
    client = client_for(users["staff_a"])
    code = credit_code(424242)
    response = client.post(
        reverse("enterprises:enterprise_add"),
        {
            "credit_code": code,
            "name": "永康新建公司",
            "region": regions["a"].pk,
            "industry": industry.pk,
            "address": "",
            "status": "operating",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    enterprise = Enterprise.objects.get(credit_code=code)
    created = AuditEvent.objects.get(verb="create", object_id=str(enterprise.pk))
    assert created.changes["name"] == [None, "永康新建公司"]
    assert created.actor == users["staff_a"]

    client.post(
        reverse("enterprises:enterprise_edit", args=[enterprise.pk]),
        {
            "credit_code": code,
            "name": "永康改名公司",
            "region": regions["a"].pk,
            "industry": industry.pk,
            "address": "东城街道",
            "status": "operating",
        },
    )
    updated = AuditEvent.objects.get(verb="update", object_id=str(enterprise.pk))
    assert updated.changes == {
        "name": ["永康新建公司", "永康改名公司"],
        "address": ["", "东城街道"],
        **{k: v for k, v in updated.changes.items() if k == "updated_at"},
    }

    client.post(reverse("enterprises:enterprise_delete", args=[enterprise.pk]))
    deleted = AuditEvent.objects.get(verb="delete", object_id=str(enterprise.pk))
    assert deleted.changes["name"] == ["永康改名公司", None]
    assert not Enterprise.objects.filter(pk=enterprise.pk).exists()


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(users):
    from portal import audit

    event = audit.record(actor=users["staff_a"], verb="login")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(note="x")


def test_database_refuses_update_and_delete_of_audit_rows(users):
    from portal import audit

    audit.record(actor=users["staff_a"], verb="login")
    for sql in ("UPDATE portal_auditevent SET note = 'tampered'", "DELETE FROM portal_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.filter(note="tampered").count() == 0


def test_passwords_never_enter_the_trail(users):
    from portal.accounts import services

    services.create_user(
        actor=users["sysadmin"], data={"username": "pw", "role": "expert"}, password="Mima-Hen-Chang-2026"
    )
    assert "password" not in AuditEvent.objects.get(verb="create", object_repr="pw").changes


def test_admin_edit_of_the_holiday_calendar_is_audited(client_for, users):
    import datetime

    from portal.reference.models import CalendarDay

    client = client_for(users["sysadmin"])
    response = client.post(
        "/admin/reference/calendarday/add/", {"date": "2026-12-31", "is_workday": "", "name": "地方调休"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    day = CalendarDay.objects.get(date=datetime.date(2026, 12, 31))
    event = AuditEvent.objects.get(verb="create", object_type="reference.calendarday", object_id=str(day.pk))
    assert event.actor == users["sysadmin"]
    assert event.changes["name"] == [None, "地方调休"]


def test_staff_cannot_reach_the_calendar_admin(client_for, users):
    assert client_for(users["staff_a"]).get("/admin/reference/calendarday/").status_code in (302, 403)


def test_same_instant_in_another_time_zone_is_no_change():
    import datetime
    import zoneinfo

    from portal import audit

    utc = {"t": audit._json_value(datetime.datetime(2025, 3, 18, 1, 30, tzinfo=datetime.UTC))}
    local = {"t": audit._json_value(datetime.datetime(2025, 3, 18, 9, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))}
    assert audit.diff(utc, local) == {}


@pytest.mark.django_db
def test_an_empty_file_field_enters_the_trail_as_none(users, enterprise_a, agency_a):
    """``snapshot`` read an empty FieldFile's ``url``, which raises; it is recorded as None."""
    from incidents.prevention.models import ReportAttachment
    from portal import audit

    attachment = ReportAttachment()  # its file field is empty
    assert audit.snapshot(attachment, fields=["file"]) == {"file": None}
