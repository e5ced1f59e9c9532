"""The navigation bar (``portal.context_processors``): written once per navigation, language, page and unread count,
and what each user sees still follows their permissions, the page they are on, their language and their inbox."""

import re

from django.urls import reverse

from portal.context_processors import _nav_bar
from portal.notifications.services import notify


def _bar(html: str) -> str:
    return re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>\s*<form', html, re.S).group(1)


def test_the_bar_marks_the_page_and_follows_the_language_and_the_inbox(client_for, users):
    client = client_for(users["staff_a"])
    cases = reverse("incidents:injurycase_list")
    home_bar = _bar(client.get(reverse("home")).content.decode())
    cases_bar = _bar(client.get(cases).content.decode())
    assert 'class="nav-link active" href="/"' in home_bar
    assert f'class="dropdown-item active" href="{cases}"' in cases_bar and "dropdown-toggle active" in cases_bar
    assert f'class="dropdown-item active" href="{cases}"' not in home_bar
    assert "工伤案件" in cases_bar

    client.post(reverse("set_language"), {"language": "en", "next": cases})
    english = _bar(client.get(cases).content.decode())
    assert "Work-injury cases" in english and "工伤案件" not in english

    client.post(reverse("set_language"), {"language": "zh-hans", "next": cases})
    notify(recipients=[users["staff_a"]], title="新的预警", email=False)
    assert 'data-testid="unread-count">1<' in _bar(client.get(cases).content.decode())


def test_users_of_other_roles_get_their_own_bar_from_the_same_process(client_for, users):
    staff = _bar(client_for(users["staff_a"]).get(reverse("home")).content.decode())
    officer = _bar(client_for(users["officer_a"]).get(reverse("home")).content.decode())
    assert reverse("meetings:index") in staff  # the joint meeting: member agencies only
    assert reverse("meetings:index") not in officer
    assert _nav_bar.cache_info().currsize >= 2
