"""The joint meeting in the navigation: agency users have it, a safety officer does not."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_only_agency_users_have_the_joint_meeting_in_the_nav(committee, users, client_for):
    url = f'href="{reverse("meetings:index")}"'
    assert url in client_for(users["staff_a_emergency"]).get(reverse("home")).content.decode()
    assert url not in client_for(users["officer_a"]).get(reverse("home")).content.decode()


def test_the_registries_and_the_joint_work_are_menus(committee, users, client_for):
    staff = client_for(users["staff_a"]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-registries"' in staff and 'data-testid="nav-collaboration"' in staff
    menu = staff.split('data-testid="nav-collaboration"', 1)[1].split("</ul>", 1)[0]
    assert reverse("exchange:index") in menu and reverse("meetings:index") in menu
    officer = client_for(users["officer_a"]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-collaboration"' not in officer


def test_the_navigation_refuses_a_check_its_cache_key_does_not_carry(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from portal import context_processors

    context_processors._nav.cache_clear()
    monkeypatch.setattr(context_processors, "_NAV_PERMISSIONS", ("analysis.view_statistics",))
    try:
        with pytest.raises(ImproperlyConfigured, match="analysis.view_own_statistics"):
            context_processors._nav(frozenset(), "/")
    finally:
        context_processors._nav.cache_clear()
