"""The enterprise's page shows its notice letters and outcomes beside its cases (one history)."""

import datetime

import pytest
from django.urls import reverse

from incidents.prevention import services
from tests.prevention.test_services import loop, noticed  # noqa: F401 - fixtures and helpers

pytestmark = pytest.mark.django_db


def test_the_enterprise_page_lists_its_notices_and_outcomes(client_for, users, loop, enterprise_a, agency_a):  # noqa: F811
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 9, 1))
    services.escalate(today=datetime.date(2026, 10, 9))
    url = reverse("enterprises:enterprise_detail", args=[enterprise_a.pk])
    for who in ("staff_a", "officer_a", "staff_city"):
        html = client_for(users[who]).get(url).content.decode()
        assert notice.number in html and notice.get_absolute_url() in html
        assert 'data-testid="outcomes"' in html and "永康市应急管理局" in html  # the penalty referral's agency


def test_a_case_page_offers_staff_a_bulletin_from_it(client_for, users, enterprise_a, agency_a):
    from tests.prevention.conftest import make_case

    case = make_case(enterprise_a, agency_a, datetime.date(2026, 6, 1))
    url = reverse("incidents:injurycase_detail", args=[case.pk])
    link = f"{reverse('prevention:bulletin_create')}?case={case.pk}"
    assert link in client_for(users["staff_a"]).get(url).content.decode()
    assert link not in client_for(users["officer_a"]).get(url).content.decode()
    assert client_for(users["staff_a"]).get(link).status_code == 200
