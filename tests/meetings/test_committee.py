"""The committee and its members: set up by the region's secretariat, members added, leaving and replaced through
audited services (only the secretariat; another region's users get 404), the committee page and /meetings/."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from meetings.models import Committee, Member
from meetings.services import committee as services
from portal.models import AuditEvent
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def day(*args):
    return datetime.date(*args)


# --- services ------------------------------------------------------------------------------------------------


def test_the_secretariat_sets_up_one_committee_per_region(users, regions, agency_a):
    committee = services.create_committee(
        actor=users["secretariat_a"],
        name="永康市工伤预防工作联席会议",
        established_on=day(2020, 6, 1),
        basis="永政办发〔2020〕58号",
    )
    assert (committee.region, committee.lead_agency) == (regions["a"], agency_a)
    assert AuditEvent.objects.filter(verb="create", object_type="meetings.committee", object_id=str(committee.pk))
    with pytest.raises(ValidationError):
        services.create_committee(actor=users["secretariat_a"], name="again")
    for name in ("staff_a", "admin_a", "staff_b", "officer_a", "sysadmin"):
        with pytest.raises(PermissionDenied):
            services.create_committee(actor=users[name], name="x")
    assert Committee.objects.count() == 1


def test_only_the_secretariat_changes_members(committee, users, agency_a_emergency):
    for name in ("staff_a", "admin_a", "staff_a_emergency", "staff_b", "staff_city"):
        with pytest.raises(PermissionDenied):
            services.add_member(
                actor=users[name],
                committee=committee,
                agency=agency_a_emergency,
                role=Member.Role.LIAISON,
                name="张三",
                title="科长",
            )
    member = committee.members.get(name="周立群")
    with pytest.raises(PermissionDenied):
        services.member_leaves(actor=users["staff_a"], member=member, left_on=day(2025, 1, 1))
    with pytest.raises(PermissionDenied):
        services.replace_member(actor=users["staff_b"], member=member, name="x", title="y")
    assert committee.members.count() == 4


def test_a_member_must_be_an_active_agency_of_the_region(committee, users, agency_b, regions):
    with pytest.raises(ValidationError) as exc:
        services.add_member(
            actor=users["secretariat_a"], committee=committee, agency=agency_b, role="member", name="x", title="局长"
        )
    assert "agency" in exc.value.message_dict
    inactive = AgencyFactory(name="永康市某局", region=regions["a"], kind="other", is_active=False)
    with pytest.raises(ValidationError):
        services.add_member(
            actor=users["secretariat_a"], committee=committee, agency=inactive, role="member", name="x", title="局长"
        )
    housing = AgencyFactory(name="永康市住房和城乡建设局", region=regions["a"], kind="housing")
    member = services.add_member(
        actor=users["secretariat_a"],
        committee=committee,
        agency=housing,
        role=Member.Role.MEMBER,
        name="钱江",
        title="副局长",
        joined_on=day(2025, 2, 1),
    )
    assert member.is_current and member.joined_on == day(2025, 2, 1)
    assert AuditEvent.objects.filter(verb="create", object_type="meetings.member", object_id=str(member.pk)).exists()


def test_leaving_and_replacing_keep_the_history(committee, users):
    old = committee.members.get(name="周立群")
    new = services.replace_member(
        actor=users["secretariat_a"], member=old, on=day(2025, 7, 1), name="应建军", title="副局长"
    )
    old.refresh_from_db()
    assert old.left_on == day(2025, 7, 1) and not old.is_current
    assert (new.joined_on, new.replaces, new.agency, new.role) == (day(2025, 7, 1), old, old.agency, old.role)
    assert AuditEvent.objects.filter(verb="replace", object_id=str(new.pk)).exists()
    assert AuditEvent.objects.filter(verb="update", object_type="meetings.member", object_id=str(old.pk)).exists()
    with pytest.raises(ValidationError):  # already gone
        services.member_leaves(actor=users["secretariat_a"], member=old, left_on=day(2025, 8, 1))
    liaison = committee.members.get(name="王晓明")
    with pytest.raises(ValidationError):
        services.member_leaves(actor=users["secretariat_a"], member=liaison, left_on=day(2020, 1, 1))
    services.member_leaves(actor=users["secretariat_a"], member=liaison, left_on=day(2025, 9, 30), note="调任")
    current = {m.name for m in services.current_members(committee)}
    assert current == {"陈建华", "吴晓燕", "应建军"}
    history = services.history(committee)
    assert [m.name for m in history][:2] == ["王晓明", "应建军"]  # newest change first
    groups = services.members_by_role(committee)
    assert [g["role"] for g in groups] == ["convener", "member"]


def test_committee_for_takes_the_nearest_committee_above(committee, users, regions):
    town_agency = AgencyFactory(name="东城街道劳动保障所", region=regions["a_town"], kind="hrss")
    town_user = UserFactory(username="town", role="agency_staff", agency=town_agency)
    assert services.committee_for(town_user) == committee
    assert services.committee_for(users["staff_a"]) == committee
    assert services.committee_for(users["staff_b"]) is None
    assert services.committee_for(users["staff_city"]) is None  # nothing at the city or above


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_index_takes_an_agency_user_to_the_committee(committee, users, client_for):
    response = client_for(users["staff_a_emergency"]).get(reverse("meetings:index"))
    assert response.status_code == 302 and response.url == committee.get_absolute_url()


def test_the_index_without_a_committee(users, client_for):
    page = client_for(users["secretariat_a"]).get(reverse("meetings:index"))
    assert page.status_code == 200
    assert reverse("meetings:committee_add") in page.content.decode()
    page = client_for(users["staff_b"]).get(reverse("meetings:index"))
    assert page.status_code == 200 and reverse("meetings:committee_add") not in page.content.decode()
    assert client_for(users["officer_a"]).get(reverse("meetings:index")).status_code == 403


def test_the_committee_page_lists_members_by_role_and_history(
    committee, users, client_for, django_assert_max_num_queries
):
    old = committee.members.get(name="周立群")
    services.replace_member(actor=users["secretariat_a"], member=old, on=day(2025, 7, 1), name="应建军", title="副局长")
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(20):
        page = client.get(committee.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index('data-role="convener"') < text.index('data-role="member"') < text.index('data-role="liaison"')
    for name in ("陈建华", "吴晓燕", "王晓明", "应建军", "工伤保险科科长"):
        assert name in text
    assert 'data-testid="replaces"' in text and 'data-testid="replaced-by"' in text
    for link in ("meeting_list", "actionitem_list", "solicitation_list", "reply_waiting", "task_list"):
        assert f'data-link="{link}"' in text
    assert 'data-testid="member-add"' not in text  # staff: no buttons
    assert (
        'data-testid="member-add"'
        in client_for(users["secretariat_a"]).get(committee.get_absolute_url()).content.decode()
    )


def test_other_regions_get_404_and_staff_403(committee, users, client_for, agency_a_emergency):
    assert client_for(users["staff_b"]).get(committee.get_absolute_url()).status_code == 404
    add = reverse("meetings:member_add", args=[committee.pk])
    assert client_for(users["staff_a"]).get(add).status_code == 403
    secretariat_b = UserFactory(username="sec_b", role="secretariat", agency=users["staff_b"].agency)
    assert client_for(secretariat_b).get(add).status_code == 404
    member = committee.members.get(name="周立群")
    assert client_for(secretariat_b).post(reverse("meetings:member_leave", args=[member.pk]), {}).status_code == 404
    assert client_for(users["staff_a"]).post(reverse("meetings:member_leave", args=[member.pk]), {}).status_code == 403
    assert AuditEvent.objects.filter(verb="denied").exists()


def test_the_secretariat_changes_members_through_the_pages(
    committee, users, client_for, agency_a_emergency, monkeypatch
):
    monkeypatch.setattr(services, "_today", lambda: day(2025, 5, 1))
    client = client_for(users["secretariat_a"])
    add = reverse("meetings:member_add", args=[committee.pk])
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {
            "agency": agency_a_emergency.pk,
            "role": "liaison",
            "name": "赵磊",
            "title": "安全生产基础科科长",
            "joined_on": "2025-05-01",
        },
    )
    assert response.status_code == 302
    new = committee.members.get(name="赵磊")
    response = client.post(
        reverse("meetings:member_replace", args=[new.pk]),
        {"on": "2025-06-01", "name": "孙伟", "title": "科长", "role": "liaison"},
    )
    assert response.status_code == 302
    assert committee.members.get(name="孙伟").replaces == new
    bad = client.post(reverse("meetings:member_leave", args=[new.pk]), {"left_on": "2025-06-02"})
    assert bad.status_code == 200 and "alert-danger" in bad.content.decode()  # already replaced
    edit = client.post(
        reverse("meetings:committee_edit", args=[committee.pk]),
        {"name": "永康市工伤预防联席会议", "established_on": "2020-06-01", "basis": "永政办发〔2020〕58号"},
    )
    assert edit.status_code == 302
    committee.refresh_from_db()
    assert committee.name == "永康市工伤预防联席会议"


def test_the_secretariat_sets_up_the_committee_through_the_page(users, client_for, regions):
    client = client_for(users["secretariat_a"])
    assert client.get(reverse("meetings:committee_add")).status_code == 200
    response = client.post(reverse("meetings:committee_add"), {"name": "永康市工伤预防工作联席会议", "basis": ""})
    assert response.status_code == 302
    assert Committee.objects.get().region == regions["a"]
    assert client_for(users["staff_a"]).get(reverse("meetings:committee_add")).status_code == 403
