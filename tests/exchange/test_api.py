"""The exchange's REST API (/api/v1/exchange/): obligations set by the secretariat, confirming a quarter (and the
lock it puts on the incidents API), reopening, an agency's quarter and the board, and the reports another system
pulls (JSON checked against the published schema and the file's SHA-256). Another county's rows are absent from
lists and 404 in detail; a role without the permission gets 403; lists do not grow with the page."""

import datetime
import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from incidents.models import InjuryCase
from portal import locks
from portal.accounts.models import Role
from portal.exchange import services
from portal.exchange.models import Confirmation, ExchangeReport, Obligation
from portal.exchange.selectors import STATUS_LABELS
from portal.models import AuditEvent
from portal.reference.models import AccidentType
from tests.exchange.conftest import TODAY
from tests.factories import AgencyFactory, UserFactory
from tests.prevention.conftest import local, make_case, worker_id

pytestmark = pytest.mark.django_db

API = "/api/v1/exchange"
INJURY_CASES = "/api/v1/incidents/injury-cases/"


def chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def zh(msgid) -> str:
    """The message as the API gives it (Chinese once the catalogue has it)."""
    with translation.override("zh-hans"):
        return gettext(str(msgid)) if isinstance(msgid, str) else str(msgid)


def query_count(client, url) -> int:
    """Queries of a request once the client's session, role and cache look-ups are warm (the first request of a
    client reads them; with Redis as the cache, some of them are not queries at all)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def secretariat_b(agency_b):
    return UserFactory(username="secretariat_b", role=Role.SECRETARIAT, agency=agency_b)


@pytest.fixture
def housing_a(regions):
    return AgencyFactory(name="永康市住房和城乡建设局", region=regions["a"], kind="housing", is_lead=False)


@pytest.fixture
def case_q3(exchange, enterprise_a, agency_a, settings):
    """A case of 永康市人社局 in 2026 Q3 (the quarter the clock says is due)."""
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    return make_case(enterprise_a, agency_a, datetime.date(2026, 8, 3))


@pytest.fixture
def b_confirmed(exchange, agency_b, secretariat_b, users):
    """武义县人社局 owes injury cases and has confirmed 2026 Q3."""
    services.set_obligation(actor=secretariat_b, agency=agency_b, kind="injury_cases", due_days=15)
    return services.confirm_quarter(actor=users["staff_b"], year=2026, quarter=3)


# --- obligations -------------------------------------------------------------------------------------------------


def test_obligations_are_scoped_to_the_region(api_client_for, exchange, users):
    a = api_client_for(exchange["staff_a"]).get(f"{API}/obligations/").json()
    assert a["count"] == 5
    assert {(r["agency_kind"], r["kind"]) for r in a["results"]} == {
        ("hrss", "injury_cases"),
        ("hrss", "recognitions"),
        ("hrss", "insurance"),
        ("emergency", "safety_accidents"),
        ("health", "disease_cases"),
    }
    assert all(r["region_code"] == "330784" and r["due_days"] == 15 for r in a["results"])
    # the city sees its counties' obligations; 武义县 sees none of 永康市's
    assert api_client_for(users["staff_city"]).get(f"{API}/obligations/").json()["count"] == 5
    b = api_client_for(users["staff_b"])
    assert b.get(f"{API}/obligations/").json()["count"] == 0
    pk = Obligation.objects.first().pk
    assert b.get(f"{API}/obligations/{pk}/").status_code == 404
    assert api_client_for(exchange["staff_a"]).get(f"{API}/obligations/{pk}/").status_code == 200
    # roles without the exchange
    assert api_client_for(users["officer_a"]).get(f"{API}/obligations/").status_code == 403
    assert api_client_for(users["auditor"]).get(f"{API}/obligations/").status_code == 403


def test_obligation_filters(api_client_for, exchange, agency_a):
    client = api_client_for(exchange["staff_a"])
    assert client.get(f"{API}/obligations/?agency={agency_a.pk}").json()["count"] == 3
    assert client.get(f"{API}/obligations/?kind=disease_cases").json()["count"] == 1
    assert client.get(f"{API}/obligations/?region=330723").json()["count"] == 0


def test_secretariat_sets_and_changes_an_obligation(api_client_for, exchange, housing_a):
    client = api_client_for(exchange["secretariat_a"])
    response = client.post(
        f"{API}/obligations/", {"agency": housing_a.pk, "kind": "project_insurance", "due_days": 20}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["agency"], body["kind"], body["due_days"], body["is_active"]) == (
        housing_a.pk,
        "project_insurance",
        20,
        True,
    )
    pk = body["id"]
    assert AuditEvent.objects.filter(verb="create", object_type="exchange.obligation", object_id=str(pk)).exists()
    # the same agency and data again: the existing obligation changes
    response = client.post(
        f"{API}/obligations/", {"agency": housing_a.pk, "kind": "project_insurance", "due_days": 25}, format="json"
    )
    assert response.status_code == 200 and response.json()["id"] == pk
    assert Obligation.objects.get(pk=pk).due_days == 25
    # PATCH changes the deadline, the note or whether it is active; never the agency or the data
    response = client.patch(
        f"{API}/obligations/{pk}/", {"due_days": 30, "note": "按项目参保", "kind": "insurance"}, format="json"
    )
    assert response.status_code == 200, response.json()
    obligation = Obligation.objects.get(pk=pk)
    assert (obligation.due_days, obligation.note, obligation.kind) == (30, "按项目参保", "project_insurance")
    assert AuditEvent.objects.filter(verb="update", object_type="exchange.obligation", object_id=str(pk)).count() == 2
    # PUT with only the deadline keeps the rest
    assert client.put(f"{API}/obligations/{pk}/", {"due_days": 10}, format="json").status_code == 200
    assert Obligation.objects.get(pk=pk).due_days == 10


def test_obligation_errors_name_the_field_in_chinese(api_client_for, exchange, housing_a):
    client = api_client_for(exchange["secretariat_a"])
    response = client.post(
        f"{API}/obligations/", {"agency": housing_a.pk, "kind": "project_insurance", "due_days": 200}, format="json"
    )
    assert response.status_code == 400 and chinese(response.json()["due_days"][0])
    response = client.post(f"{API}/obligations/", {"agency": housing_a.pk, "kind": "nonsense"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()
    pk = Obligation.objects.first().pk
    response = client.patch(f"{API}/obligations/{pk}/", {"due_days": 0}, format="json")
    assert response.status_code == 400 and chinese(response.json()["due_days"][0])


def test_only_the_secretariat_of_the_region_sets_obligations(
    api_client_for, exchange, users, housing_a, secretariat_b, agency_city
):
    pk = Obligation.objects.first().pk
    staff = api_client_for(exchange["staff_a"])
    payload = {"agency": housing_a.pk, "kind": "project_insurance"}
    assert staff.post(f"{API}/obligations/", payload, format="json").status_code == 403
    assert staff.patch(f"{API}/obligations/{pk}/", {"due_days": 20}, format="json").status_code == 403
    assert api_client_for(exchange["admin_a"]).post(f"{API}/obligations/apply-defaults/").status_code == 403
    # another county's secretariat: 永康市's obligation is out of scope (404), 永康市's agency is no choice (400),
    # and the city's agency (which it sees) is not its to set (403, the service's refusal)
    other = api_client_for(secretariat_b)
    assert other.patch(f"{API}/obligations/{pk}/", {"due_days": 20}, format="json").status_code == 404
    assert other.get(f"{API}/obligations/{pk}/").status_code == 404
    response = other.post(f"{API}/obligations/", payload, format="json")
    assert response.status_code == 400 and "agency" in response.json()
    response = other.post(f"{API}/obligations/", {"agency": agency_city.pk, "kind": "injury_cases"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == zh("Only the joint meeting's secretariat sets what its member agencies owe.")
    assert Obligation.objects.get(pk=pk).due_days == 15
    assert not Obligation.objects.filter(agency__in=[housing_a, agency_city]).exists()


def test_secretariat_applies_the_default_obligations(api_client_for, exchange, housing_a):
    client = api_client_for(exchange["secretariat_a"])
    response = client.post(f"{API}/obligations/apply-defaults/")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 1
    assert [(o["agency"], o["kind"]) for o in body["obligations"]] == [(housing_a.pk, "project_insurance")]
    again = client.post(f"{API}/obligations/apply-defaults/")
    assert again.status_code == 200 and again.json() == {"created": 0, "obligations": []}
    assert Obligation.objects.count() == 6


def test_obligation_list_does_not_grow_with_the_page(
    api_client_for, exchange, django_assert_max_num_queries, count_statements
):
    client = api_client_for(exchange["staff_a"])
    url = f"{API}/obligations/"
    assert query_count(client, url + "?page_size=1") == query_count(client, url + "?page_size=50")
    with django_assert_max_num_queries(count_statements + 1):  # count, page
        client.get(url)


# --- confirming and the lock ---------------------------------------------------------------------------------------


def injury_payload(enterprise, when, **extra) -> dict:
    kind = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})[0]
    return {
        "enterprise": enterprise.pk,
        "occurred_at": when.isoformat(),
        "accident_type": kind.pk,
        "post": "冲压工",
        "place": "二号车间",
        "cause": "防护罩缺失",
        "worker_name": "王小五",
        "worker_id_number": worker_id(88),
        "severity": "minor",
        **extra,
    }


def test_confirming_through_the_api_locks_the_quarter_for_the_incidents_api(
    api_client_for, exchange, case_q3, enterprise_a
):
    staff = api_client_for(exchange["staff_a"])
    response = staff.post(f"{API}/confirmations/confirm/", {"year": 2026, "quarter": 3}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "confirmed" and body["agency"] == exchange["staff_a"].agency_id
    assert body["kinds"] == ["injury_cases", "insurance", "recognitions"]
    assert body["counts"] == {"injury_cases": 1, "insurance": 0, "recognitions": 0}
    assert body["due_on"] == "2026-10-15" and body["was_late"] is True
    assert [(e["action"], e["actor"]) for e in body["events"]] == [("confirm", exchange["staff_a"].pk)]
    assert AuditEvent.objects.filter(verb="confirm", object_type="exchange.confirmation").count() == 1

    # a new case of the locked quarter: 400 on occurred_at, in Chinese
    response = staff.post(INJURY_CASES, injury_payload(enterprise_a, local(2026, 9, 30, 23, 30)), format="json")
    assert response.status_code == 400, response.json()
    with translation.override("zh-hans"):
        expected = locks.locked_message("injury_cases", 2026, 3)
    assert response.json()["occurred_at"] == [expected]
    assert "工伤案件" in expected and chinese(expected)
    assert InjuryCase.objects.count() == 1
    # a change to a case of the locked quarter: 400 on occurred_at too, and nothing changes
    response = staff.patch(f"{INJURY_CASES}{case_q3.pk}/", {"cause": "改了原因"}, format="json")
    assert response.status_code == 400 and response.json() == {"occurred_at": [expected]}, response.json()
    assert InjuryCase.objects.get(pk=case_q3.pk).cause == "冲床防护罩缺失"
    # the next quarter is open
    response = staff.post(INJURY_CASES, injury_payload(enterprise_a, local(2026, 10, 1, 0, 5)), format="json")
    assert response.status_code == 201, response.json()


def test_a_patch_of_a_locked_case_names_occurred_at_until_the_quarter_is_reopened(api_client_for, exchange, case_q3):
    staff = api_client_for(exchange["staff_a"])
    confirmation = services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    response = staff.patch(f"{INJURY_CASES}{case_q3.pk}/", {"cause": "改了原因"}, format="json")
    with translation.override("zh-hans"):
        expected = locks.locked_message("injury_cases", 2026, 3)
    assert response.status_code == 400 and response.json() == {"occurred_at": [expected]}, response.json()
    url = f"{API}/confirmations/{confirmation.pk}/reopen/"
    assert api_client_for(exchange["secretariat_a"]).post(url, {"reason": "补录漏报案件"}).status_code == 200
    response = staff.patch(f"{INJURY_CASES}{case_q3.pk}/", {"cause": "补充原因"}, format="json")
    assert response.status_code == 200, response.json()
    assert InjuryCase.objects.get(pk=case_q3.pk).cause == "补充原因"


def test_what_cannot_be_confirmed_is_a_400_naming_the_field(api_client_for, exchange, users):
    staff = api_client_for(exchange["staff_a"])
    url = f"{API}/confirmations/confirm/"
    response = staff.post(url, {"year": 2026, "quarter": 4}, format="json")  # not ended
    assert response.status_code == 400
    assert response.json() == {"quarter": [zh("A quarter can be confirmed only after it has ended.")]}
    response = staff.post(url, {"year": 2026, "quarter": 5}, format="json")
    assert response.status_code == 400 and chinese(response.json()["quarter"][0])
    response = staff.post(url, {"quarter": 3}, format="json")
    assert response.status_code == 400 and chinese(response.json()["year"][0])
    assert staff.post(url, {"year": 2026, "quarter": 3}, format="json").status_code == 201
    response = staff.post(url, {"year": 2026, "quarter": 3}, format="json")  # twice
    assert response.status_code == 400
    assert response.json() == {"quarter": [zh("This quarter is already confirmed.")]}
    response = api_client_for(users["staff_b"]).post(url, {"year": 2026, "quarter": 3}, format="json")
    assert response.status_code == 400  # 武义 owes nothing
    assert response.json() == {"quarter": [zh("Your agency owes the exchange no data.")]}
    assert api_client_for(users["officer_a"]).post(url, {"year": 2026, "quarter": 3}).status_code == 403
    assert Confirmation.objects.count() == 1


def test_confirmations_are_scoped_and_filtered(api_client_for, exchange, users, b_confirmed):
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    services.confirm_quarter(actor=exchange["staff_a_emergency"], year=2026, quarter=2)
    a = api_client_for(exchange["staff_a"])
    assert a.get(f"{API}/confirmations/").json()["count"] == 2
    assert a.get(f"{API}/confirmations/{b_confirmed.pk}/").status_code == 404
    assert api_client_for(users["staff_b"]).get(f"{API}/confirmations/").json()["count"] == 1
    assert api_client_for(users["staff_city"]).get(f"{API}/confirmations/").json()["count"] == 3
    assert [r["quarter"] for r in a.get(f"{API}/confirmations/?year=2026&quarter=2").json()["results"]] == [2]
    agency = exchange["staff_a"].agency_id
    assert [r["agency"] for r in a.get(f"{API}/confirmations/?agency={agency}").json()["results"]] == [agency]
    assert a.get(f"{API}/confirmations/?state=reopened").json()["count"] == 0
    assert a.get(f"{API}/confirmations/?state=confirmed").json()["count"] == 2
    assert api_client_for(users["officer_a"]).get(f"{API}/confirmations/").status_code == 403


def test_secretariat_reopens_a_quarter_with_a_reason(api_client_for, exchange, case_q3, users):
    confirmation = services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    url = f"{API}/confirmations/{confirmation.pk}/reopen/"
    secretariat = api_client_for(exchange["secretariat_a"])
    response = secretariat.post(url, {}, format="json")
    assert response.status_code == 400 and chinese(response.json()["reason"][0])
    response = secretariat.post(url, {"reason": "补录"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"reason": [zh("State why the quarter is reopened (at least 4 characters).")]}
    assert api_client_for(exchange["staff_a"]).post(url, {"reason": "补录漏报案件"}, format="json").status_code == 403
    assert Confirmation.objects.get().is_locked

    response = secretariat.post(url, {"reason": "补录漏报案件"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "reopened" and body["reopen_reason"] == "补录漏报案件"
    assert [e["action"] for e in body["events"]] == ["confirm", "reopen"]
    assert body["events"][1]["reason"] == "补录漏报案件"
    assert AuditEvent.objects.filter(verb="reopen", object_type="exchange.confirmation").count() == 1
    # nothing left to reopen
    response = secretariat.post(url, {"reason": "补录漏报案件"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()


def test_another_regions_confirmation_cannot_be_reopened(api_client_for, exchange, b_confirmed, secretariat_b):
    url = f"{API}/confirmations/{b_confirmed.pk}/reopen/"
    assert api_client_for(exchange["secretariat_a"]).post(url, {"reason": "补录漏报案件"}).status_code == 404
    assert Confirmation.objects.get(pk=b_confirmed.pk).is_locked
    assert api_client_for(secretariat_b).post(url, {"reason": "补录漏报案件"}).status_code == 200


def test_confirmation_list_does_not_grow_with_the_page(
    api_client_for, exchange, users, b_confirmed, django_assert_max_num_queries, count_statements
):
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    services.confirm_quarter(actor=exchange["staff_a_emergency"], year=2026, quarter=3)
    services.confirm_quarter(actor=exchange["staff_a_health"], year=2026, quarter=2)
    client = api_client_for(users["staff_city"])
    url = f"{API}/confirmations/"
    assert query_count(client, url + "?page_size=1") == query_count(client, url + "?page_size=50")
    with django_assert_max_num_queries(count_statements + 2):  # count, page, the page's events
        assert client.get(url).json()["count"] == 4


# --- an agency's quarter and the board ---------------------------------------------------------------------------


def test_quarter_shows_what_the_agency_owes_has_entered_and_where_it_stands(api_client_for, exchange, case_q3):
    client = api_client_for(exchange["staff_a"])
    body = client.get(f"{API}/quarters/2026/3/").json()
    assert body["agency"] == exchange["staff_a"].agency_id
    assert (body["start"], body["end"], body["has_ended"]) == ("2026-07-01", "2026-09-30", True)
    assert body["kinds"] == ["injury_cases", "insurance", "recognitions"]
    assert body["due_on"] == "2026-10-15"
    assert body["status"] == "overdue" and body["status_label"] == zh(STATUS_LABELS["overdue"])
    assert body["can_confirm"] is True and body["confirmation"] is None
    cases = next(e for e in body["entries"] if e["kind"] == "injury_cases")
    assert cases["total"] == 1 and cases["gaps"] == 0
    assert cases["months"] == [
        {"month": "2026-07-01", "records": 0},
        {"month": "2026-08-01", "records": 1},
        {"month": "2026-09-01", "records": 0},
    ]
    assert cases["empty_months"] == ["2026-07-01", "2026-09-01"]

    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    body = client.get(f"{API}/quarters/2026/3/").json()
    assert body["status"] == "confirmed_late" and body["can_confirm"] is False
    assert body["confirmation"]["state"] == "confirmed"
    assert [e["action"] for e in body["confirmation"]["events"]] == ["confirm"]
    # a quarter still running cannot be confirmed yet
    body = client.get(f"{API}/quarters/2026/4/").json()
    assert body["has_ended"] is False and body["can_confirm"] is False and body["status"] == "pending"


def test_quarter_path_and_roles(api_client_for, exchange, users):
    response = api_client_for(exchange["staff_a"]).get(f"{API}/quarters/2026/5/")
    assert response.status_code == 400 and chinese(response.json()["quarter"][0])
    assert api_client_for(users["officer_a"]).get(f"{API}/quarters/2026/3/").status_code == 403
    assert api_client_for(users["officer_a"]).get(f"{API}/quarters/2026/3/board/").status_code == 403
    # an agency that owes nothing
    body = api_client_for(users["staff_b"]).get(f"{API}/quarters/2026/3/").json()
    assert body["kinds"] == [] and body["status"] is None and body["can_confirm"] is False


def test_board_lists_the_member_agencies_of_the_callers_region(api_client_for, exchange, users):
    services.confirm_quarter(actor=exchange["staff_a_emergency"], year=2026, quarter=3)
    body = api_client_for(exchange["secretariat_a"]).get(f"{API}/quarters/2026/3/board/").json()
    assert (body["region_code"], body["year"], body["quarter"]) == ("330784", 2026, 3)
    rows = {r["agency_kind"]: r for r in body["rows"]}
    assert set(rows) == {"hrss", "emergency", "health"}
    assert rows["hrss"]["kinds"] == ["injury_cases", "insurance", "recognitions"]
    assert rows["hrss"]["due_on"] == "2026-10-15"
    assert rows["hrss"]["status"] == "overdue" and rows["hrss"]["confirmation"] is None
    assert rows["emergency"]["status"] == "confirmed_late" and rows["emergency"]["confirmation"] is not None
    assert rows["emergency"]["times_confirmed"] == 1
    assert all(r["status_label"] == zh(STATUS_LABELS[r["status"]]) for r in body["rows"])
    # 武义县's board: no member agency of 永康市
    assert api_client_for(users["staff_b"]).get(f"{API}/quarters/2026/3/board/").json()["rows"] == []


# --- reports -----------------------------------------------------------------------------------------------------


@pytest.fixture
def report(exchange, regions, case_q3, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    built, created = services.build_report(
        region=regions["a"], year=2026, quarter=3, actor=exchange["secretariat_a"], today=TODAY
    )
    assert created
    return built


def test_reports_list_and_detail(api_client_for, exchange, report):
    client = api_client_for(exchange["staff_a"])
    listed = client.get(f"{API}/reports/").json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert (row["region_code"], row["year"], row["quarter"], row["version"]) == ("330784", 2026, 3, 1)
    assert "content" not in row
    assert {f["format"] for f in row["files"]} == {"xlsx", "pdf", "json"}
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in row["files"])
    detail = client.get(f"{API}/reports/{report.pk}/").json()
    assert detail["content"]["region"] == {"code": "330784", "name": "永康市"}
    assert detail["fingerprint"] == report.fingerprint
    for params, count in (("region=330784", 1), ("region=330723", 0), ("year=2026&quarter=3", 1), ("quarter=2", 0)):
        assert client.get(f"{API}/reports/?{params}").json()["count"] == count, params


def test_another_systems_pull_the_json_checks_its_sha256_and_schema(api_client_for, exchange, report):
    client = api_client_for(exchange["staff_a"])
    latest = client.get(f"{API}/reports/latest/?region=330784&year=2026&quarter=3")
    assert latest.status_code == 200
    entry = next(f for f in latest.json()["files"] if f["format"] == "json")
    response = client.get(entry["url"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    payload = b"".join(response.streaming_content)
    assert hashlib.sha256(payload).hexdigest() == entry["sha256"]
    assert len(payload) == entry["size"]
    document = json.loads(payload)

    schema = client.get(f"{API}/reports/schema/")
    assert schema.status_code == 200
    schema = schema.json()
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the dev dependencies
        assert set(schema.get("required", [])) <= set(document)
    else:
        jsonschema.validate(document, schema)
    event = AuditEvent.objects.get(verb="download")
    assert (event.object_type, event.object_id, event.note) == ("exchange.exchangereport", str(report.pk), "json")
    assert event.actor == exchange["staff_a"]


def test_pdf_and_xlsx_downloads(api_client_for, exchange, report):
    client = api_client_for(exchange["staff_a"])
    files = {f.format: f for f in report.files.all()}
    response = client.get(f"{API}/reports/{report.pk}/files/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == files["pdf"].sha256
    response = client.get(f"{API}/reports/{report.pk}/files/xlsx/")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == files["xlsx"].sha256
    assert client.get(f"{API}/reports/{report.pk}/files/doc/").status_code == 404
    assert AuditEvent.objects.filter(verb="download").count() == 2


def test_latest_version_of_a_quarter(api_client_for, exchange, report, regions, enterprise_a, agency_a):
    client = api_client_for(exchange["staff_a"])
    # the caller's region by default
    assert client.get(f"{API}/reports/latest/?year=2026&quarter=3").json()["id"] == report.pk
    # a reopened, corrected and reconfirmed quarter: the next version is the latest
    confirmation = Confirmation.objects.get(agency=agency_a)
    services.reopen_quarter(actor=exchange["secretariat_a"], confirmation=confirmation, reason="补录漏报案件")
    make_case(enterprise_a, agency_a, datetime.date(2026, 9, 12))
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    second, created = services.build_report(region=regions["a"], year=2026, quarter=3, today=TODAY)
    assert created and second.version == 2
    body = client.get(f"{API}/reports/latest/?region=330784&year=2026&quarter=3").json()
    assert (body["id"], body["version"]) == (second.pk, 2)
    assert client.get(f"{API}/reports/").json()["results"][0]["version"] == 2  # newest first
    assert client.get(f"{API}/reports/latest/?region=330784&year=2026&quarter=2").status_code == 404
    response = client.get(f"{API}/reports/latest/?region=330784&quarter=3")
    assert response.status_code == 400 and chinese(response.json()["year"][0])


def test_another_regions_report_is_absent(api_client_for, exchange, users, report):
    b = api_client_for(users["staff_b"])
    assert b.get(f"{API}/reports/").json()["count"] == 0
    assert b.get(f"{API}/reports/{report.pk}/").status_code == 404
    assert b.get(f"{API}/reports/{report.pk}/files/json/").status_code == 404
    assert b.get(f"{API}/reports/latest/?region=330784&year=2026&quarter=3").status_code == 404
    assert not AuditEvent.objects.filter(verb="download").exists()
    # the city sees its counties' reports
    assert api_client_for(users["staff_city"]).get(f"{API}/reports/").json()["count"] == 1
    assert api_client_for(users["officer_a"]).get(f"{API}/reports/").status_code == 403


def test_report_list_does_not_grow_with_the_page(
    api_client_for, exchange, report, django_assert_max_num_queries, count_statements
):
    client = api_client_for(exchange["staff_a"])
    url = f"{API}/reports/"
    assert query_count(client, url + "?page_size=1") == query_count(client, url + "?page_size=50")
    with django_assert_max_num_queries(count_statements + 2):  # count, page, the page's files
        client.get(url)


def test_secretariat_has_a_report_built_in_the_background(
    api_client_for, exchange, secretariat_b, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("portal.jobs.send_now", lambda name, args, kwargs: sent.append((name, args, kwargs)))
    client = api_client_for(exchange["secretariat_a"])
    url = f"{API}/reports/build/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"year": 2026, "quarter": 3}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["region"] == "330784"
    assert response.json()["detail"] == zh(
        "The report is being built; every member agency will be told when it is ready."
    )
    secretariat = exchange["secretariat_a"]
    region = secretariat.agency.region
    assert sent == [
        ("exchange.build_report", (region.pk, 2026, 3), {"trigger": "on_demand", "actor_id": secretariat.pk})
    ]
    assert not ExchangeReport.objects.exists()  # the job builds it

    response = client.post(url, {"year": 2026, "quarter": 4}, format="json")
    assert response.status_code == 400
    assert response.json() == {"quarter": [zh("A report can be built only after the quarter has ended.")]}
    response = client.post(url, {"region": "999999", "year": 2026, "quarter": 3}, format="json")
    assert response.status_code == 400 and "region" in response.json()
    assert api_client_for(exchange["staff_a"]).post(url, {"year": 2026, "quarter": 3}).status_code == 403
    response = api_client_for(secretariat_b).post(url, {"region": "330784", "year": 2026, "quarter": 3})
    assert response.status_code == 404  # another county's exchange lies outside 武义县's scope
    assert len(sent) == 1


def test_the_report_schema_is_published(api_client_for, exchange, users):
    body = api_client_for(exchange["staff_a"]).get(f"{API}/reports/schema/").json()
    assert body.get("type") == "object" and "properties" in body
    assert api_client_for(users["officer_a"]).get(f"{API}/reports/schema/").status_code == 403


# --- OpenAPI --------------------------------------------------------------------------------------------------------


def test_openapi_schema_documents_the_exchange_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    text = out.read_text()
    for path in (
        "/api/v1/exchange/obligations/apply-defaults/",
        "/api/v1/exchange/confirmations/confirm/",
        "/api/v1/exchange/confirmations/{id}/reopen/",
        "/api/v1/exchange/quarters/{year}/{quarter}/board/",
        "/api/v1/exchange/reports/{id}/files/{file_format}/",
        "/api/v1/exchange/reports/latest/",
        "/api/v1/exchange/reports/schema/",
    ):
        assert path in text, path
