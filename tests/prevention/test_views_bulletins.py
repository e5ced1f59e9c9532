"""Typical-case bulletins: staff write one (from a case or not), edit the draft, publish and withdraw it; the public
case library shows published bulletins to anyone without logging in, never a draft, a withdrawn one, the source
case, the enterprise or a person."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.prevention import services
from incidents.prevention.models import Bulletin
from portal.models import AuditEvent
from portal.reference.models import AccidentType, Industry
from tests.prevention.conftest import make_case

pytestmark = pytest.mark.django_db

TEXT = {
    "title": "冲压作业未停机清理模具致手部伤害",
    "summary": "某五金企业冲压工在设备运行中清理模具，右手被压伤。",
    "cause_analysis": "冲床防护罩缺失，光电保护装置失效，未执行停机挂牌制度。",
    "lessons": "冲压设备必须加装双手操作和光电保护，清理模具前停机挂牌。",
}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def case_a(enterprise_a, agency_a):
    return make_case(enterprise_a, agency_a, datetime.date(2025, 9, 18), severity="serious")


@pytest.fixture
def bulletin(users, case_a):
    return services.draft_bulletin(actor=users["staff_a"], data=dict(TEXT), case=case_a)


@pytest.fixture
def published(users, bulletin):
    return services.publish_bulletin(actor=users["staff_a"], bulletin=bulletin)


def test_staff_write_a_bulletin_from_a_case(client_for, users, case_a, enterprise_a, regions):
    client = client_for(users["staff_a"])
    url = reverse("prevention:bulletin_create") + f"?case={case_a.pk}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="source-case"' in html
    assert 'value="2025-09"' in html  # the case's month
    assert 'name="industry"' not in html  # taken over from the case

    response = client.post(url, {**TEXT, "occurred_in": "2025-09", "region": regions["a"].pk})
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("prevention:bulletin_update", args=[bulletin.pk])
    assert (bulletin.source_case, bulletin.occurred_in, bulletin.region) == (
        case_a,
        datetime.date(2025, 9, 1),
        regions["a"],
    )
    assert (bulletin.industry, bulletin.severity, bulletin.published_at) == (enterprise_a.industry, "serious", None)


def test_a_bulletin_naming_the_enterprise_or_worker_is_refused(client_for, users, case_a, enterprise_a):
    client = client_for(users["staff_a"])
    url = reverse("prevention:bulletin_create") + f"?case={case_a.pk}"
    response = client.post(url, {**TEXT, "summary": f"{enterprise_a.name}发生事故", "occurred_in": "2025-09"})
    assert response.status_code == 200
    assert 'data-field="summary"' in response.content.decode()
    assert not Bulletin.objects.exists()


def test_a_bulletin_without_a_case(client_for, users, regions):
    kind = AccidentType.objects.create(edition=1986, code="04", name="起重伤害", kind="type")
    client = client_for(users["staff_a"])
    response = client.post(
        reverse("prevention:bulletin_create"),
        {**TEXT, "occurred_in": "2025-07", "region": regions["a"].pk, "accident_type": kind.pk},
    )
    assert response.status_code == 302
    bulletin = Bulletin.objects.get()
    assert (bulletin.source_case, bulletin.accident_type, bulletin.occurred_in) == (
        None,
        kind,
        datetime.date(2025, 7, 1),
    )
    # a month in the future is refused by the model
    response = client.post(
        reverse("prevention:bulletin_create"), {**TEXT, "occurred_in": "2099-01", "region": regions["a"].pk}
    )
    assert response.status_code == 200 and 'data-field="occurred_in"' in response.content.decode()


def test_a_case_out_of_scope_is_404_and_officers_cannot_write(client_for, users, enterprise_b, agency_b):
    case_b = make_case(enterprise_b, agency_b, datetime.date(2025, 9, 1))
    url = reverse("prevention:bulletin_create") + f"?case={case_b.pk}"
    assert client_for(users["staff_a"]).get(url).status_code == 404
    assert client_for(users["staff_a"]).post(url, {**TEXT, "occurred_in": "2025-09"}).status_code == 404
    assert client_for(users["officer_a"]).get(reverse("prevention:bulletin_create")).status_code == 403
    assert not Bulletin.objects.exists()


def test_staff_edit_a_draft_and_the_check_runs_again(client_for, users, bulletin, regions):
    client = client_for(users["staff_a"])
    url = reverse("prevention:bulletin_update", args=[bulletin.pk])
    assert client.get(url).status_code == 200
    data = {**TEXT, "title": "冲压伤害典型案例", "occurred_in": "2025-09", "region": regions["a"].pk}
    response = client.post(url, data)
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.title == "冲压伤害典型案例"
    assert AuditEvent.objects.filter(verb="update", object_id=str(bulletin.pk)).count() == 1

    response = client.post(url, {**data, "lessons": "王小五应当停机"})  # the worker's name (make_case)
    assert response.status_code == 200
    bulletin.refresh_from_db()
    assert "王小五" not in bulletin.lessons


def test_other_agency_cannot_edit_or_publish(client_for, users, bulletin):
    staff_b = client_for(users["staff_b"])
    assert staff_b.get(reverse("prevention:bulletin_update", args=[bulletin.pk])).status_code == 404
    assert staff_b.post(reverse("prevention:bulletin_publish", args=[bulletin.pk])).status_code == 404
    bulletin.refresh_from_db()
    assert bulletin.published_at is None
    listing = staff_b.get(reverse("prevention:bulletin_list")).content.decode()
    assert f'data-bulletin="{bulletin.pk}"' not in listing


def test_publish_then_withdraw_with_a_reason(client_for, users, bulletin):
    client = client_for(users["staff_a"])
    client.post(reverse("prevention:bulletin_publish", args=[bulletin.pk]))
    bulletin.refresh_from_db()
    assert bulletin.published_at is not None
    # a public bulletin is not edited in place
    page = client.get(reverse("prevention:bulletin_update", args=[bulletin.pk])).content.decode()
    assert 'data-testid="bulletin-form"' not in page and 'data-testid="withdraw-form"' in page
    response = client.post(reverse("prevention:bulletin_update", args=[bulletin.pk]), {**TEXT, "title": "改"})
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.title == TEXT["title"]

    response = client.post(reverse("prevention:bulletin_withdraw", args=[bulletin.pk]), {"reason": ""})
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_at is None and _messages(response)
    client.post(reverse("prevention:bulletin_withdraw", args=[bulletin.pk]), {"reason": "案情需核实"})
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_at is not None
    assert AuditEvent.objects.get(verb="withdraw", object_id=str(bulletin.pk)).note == "案情需核实"


def test_staff_list_filters_by_state(client_for, users, bulletin, published, django_assert_max_num_queries):
    draft = services.draft_bulletin(
        actor=users["staff_a"],
        data={**TEXT, "title": "另一份草稿", "occurred_in": datetime.date(2025, 1, 1), "region": published.region},
    )
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(16):
        html = client.get(reverse("prevention:bulletin_list") + "?state=draft").content.decode()
    assert f'data-bulletin="{draft.pk}"' in html and f'data-bulletin="{published.pk}"' not in html
    html = client.get(reverse("prevention:bulletin_list") + "?state=published").content.decode()
    assert f'data-bulletin="{published.pk}"' in html and f'data-bulletin="{draft.pk}"' not in html


# --- the public case library -------------------------------------------------------------------------------------


def test_anonymous_reads_the_library_without_names(client, published, enterprise_a, case_a):
    response = client.get(reverse("prevention:bulletin_public_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-bulletin="{published.pk}"' in html and TEXT["title"] in html
    detail = client.get(reverse("prevention:bulletin_public_detail", args=[published.pk]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert TEXT["cause_analysis"] in text and TEXT["lessons"] in text
    assert "2025-09" in text
    for secret in (enterprise_a.name, enterprise_a.credit_code, case_a.worker_name, case_a.worker_id_number):
        assert secret not in text and secret not in html
    assert reverse("incidents:injurycase_detail", args=[case_a.pk]) not in text


def test_anonymous_gets_404_for_drafts_and_withdrawn_bulletins(client, users, bulletin):
    url = reverse("prevention:bulletin_public_detail", args=[bulletin.pk])
    assert client.get(url).status_code == 404
    assert (
        f'data-bulletin="{bulletin.pk}"' not in client.get(reverse("prevention:bulletin_public_list")).content.decode()
    )
    services.publish_bulletin(actor=users["staff_a"], bulletin=bulletin)
    assert client.get(url).status_code == 200
    services.withdraw_bulletin(actor=users["staff_a"], bulletin=bulletin, reason="核实")
    assert client.get(url).status_code == 404
    # the staff pages need a login
    assert client.get(reverse("prevention:bulletin_update", args=[bulletin.pk])).status_code == 302
    assert client.post(reverse("prevention:bulletin_publish", args=[bulletin.pk])).status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_at is not None


def test_library_filters_and_query_count(client, users, published, regions, django_assert_max_num_queries):
    other_type = AccidentType.objects.create(edition=1986, code="04", name="起重伤害", kind="type")
    section = Industry.objects.create(code="E", name="建筑业", level="section")
    for i in range(15):
        services.publish_bulletin(
            actor=users["staff_a"],
            bulletin=services.draft_bulletin(
                actor=users["staff_a"],
                data={
                    **TEXT,
                    "title": f"起重作业案例{i:02d}",
                    "occurred_in": datetime.date(2024, 1 + i % 12, 1),
                    "region": regions["a"],
                    "accident_type": other_type,
                    "industry": section,
                },
            ),
        )
    url = reverse("prevention:bulletin_public_list")
    with django_assert_max_num_queries(10):
        html = client.get(url).content.decode()
    assert html.count("data-bulletin=") == 12  # one page
    html = client.get(url + "?year=2025").content.decode()
    assert html.count("data-bulletin=") == 1 and f'data-bulletin="{published.pk}"' in html
    html = client.get(url + f"?industry={section.pk}").content.decode()
    assert f'data-bulletin="{published.pk}"' not in html
    division = Industry.objects.get(code="33")
    html = client.get(url + f"?industry={division.pk}").content.decode()  # the case's class lies under 33
    assert html.count("data-bulletin=") == 1
    html = client.get(url + "?q=起重作业案例03").content.decode()
    assert html.count("data-bulletin=") == 1
    html = client.get(url + f"?accident_type={other_type.pk}&page=2").content.decode()
    assert html.count("data-bulletin=") == 3
