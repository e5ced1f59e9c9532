"""Fixtures of the joint meeting: 永康市's committee (lead: 人社) with 应急 and 卫健 as members, and 卫健's staff user.
Each area's services read the time through their own ``_now()`` / ``_today()``, which tests patch."""

import datetime

import pytest
from django.utils import timezone

from meetings.models import Committee, Member
from portal.accounts.models import Role
from tests.factories import AgencyFactory, UserFactory


@pytest.fixture
def agency_a_health(regions):
    return AgencyFactory(name="永康市卫生健康局", region=regions["a"], kind="health", is_lead=False)


@pytest.fixture
def committee(users, regions, agency_a, agency_a_emergency, agency_a_health):
    """永康市工伤预防工作联席会议 with a convener (人社), members of 应急 and 卫健, and 卫健's staff user."""
    users["staff_a_health"] = UserFactory(username="staff_a_health", role=Role.AGENCY_STAFF, agency=agency_a_health)
    committee = Committee.objects.create(
        region=regions["a"], name="永康市工伤预防工作联席会议", lead_agency=agency_a, basis="永政办发〔2020〕58号"
    )
    joined = datetime.date(2024, 3, 1)
    for agency, role, name, title in (
        (agency_a, Member.Role.CONVENER, "陈建华", "局长"),
        (agency_a_emergency, Member.Role.MEMBER, "周立群", "副局长"),
        (agency_a_health, Member.Role.MEMBER, "吴晓燕", "副局长"),
        (agency_a, Member.Role.LIAISON, "王晓明", "工伤保险科科长"),
    ):
        Member.objects.create(committee=committee, agency=agency, role=role, name=name, title=title, joined_on=joined)
    return committee


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))
