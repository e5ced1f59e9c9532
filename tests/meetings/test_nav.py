"""The joint meeting in the navigation: agency users have it, a safety officer does not."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_only_agency_users_have_the_joint_meeting_in_the_nav(committee, users, client_for):
    url = f'href="{reverse("meetings:index")}"'
    assert url in client_for(users["staff_a_emergency"]).get(reverse("home")).content.decode()
    assert url not in client_for(users["officer_a"]).get(reverse("home")).content.decode()
