"""The loop's REST API (/api/v1/prevention/): each endpoint's happy path, scope (another county's or another
enterprise's rows are absent from lists and 404 in detail), role refusals (403), field-keyed validation errors,
idempotence through the API, and query counts that do not grow with the page."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import InjuryCase
from incidents.prevention import services
from incidents.prevention.models import (
    Bulletin,
    CaseWarning,
    DeadlineExtension,
    NoticeLetter,
    Outcome,
    RectificationReport,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
)
from tests.factories import EnterpriseFactory
from tests.prevention.conftest import insure, make_case

pytestmark = pytest.mark.django_db

API = "/api/v1/prevention"
TODAY = datetime.date(2026, 2, 1)  # notices of 2026-01-15 are due on 2026-02-24 (after the Spring Festival)
ISSUED = datetime.date(2026, 1, 15)
DEADLINE = datetime.date(2026, 2, 24)


@pytest.fixture
def today(monkeypatch):
    """Pin today (``timezone.localdate()`` without a value) to 1 February 2026, inside the seeded calendar."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return real(value, timezone) if value is not None else TODAY

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


@pytest.fixture
def loop(users, regions, industry, enterprise_a, enterprise_b, agency_a, agency_b, calendar, today):
    """County A: enterprise_a and two more multi-incident enterprises; county B: enterprise_b. Each county has
    screened 2025 with its default rule and issued its notices on 15 January 2026."""
    extra = [
        EnterpriseFactory(name=f"永康第{i}五金厂", region=regions["a_town"], industry=industry, owner_agency=agency_a)
        for i in (2, 3)
    ]
    for enterprise, agency in ((enterprise_a, agency_a), (enterprise_b, agency_b), *((e, agency_a) for e in extra)):
        for day in (1, 2, 3):
            make_case(enterprise, agency, datetime.date(2025, 3, day), post="冲压工")
        insure(enterprise, agency, 2025, 100)
    runs = {}
    for key, staff in (("a", users["staff_a"]), ("b", users["staff_b"])):
        services.default_rule(actor=staff, region=regions[key])
        run = services.run_screening(
            actor=staff, region=regions[key], kind="annual", window=services.annual_window(2025)
        )
        services.issue_notices(actor=staff, run=run, issued_on=ISSUED)
        runs[key] = run
    return SimpleNamespace(
        run_a=runs["a"],
        run_b=runs["b"],
        notice_a=NoticeLetter.objects.get(enterprise=enterprise_a),
        notice_b=NoticeLetter.objects.get(enterprise=enterprise_b),
        extra=extra,
    )


def complete_report(notice) -> dict:
    cases = list(services.notice_cases(notice).values_list("pk", flat=True))
    return {
        "self_inspection": "冲压车间防护罩缺失三处，已全部排查",
        "case_analyses": [{"case": c, "cause": "防护罩缺失，违章操作"} for c in cases],
        "post_measures": [{"post": "冲压工", "measures": "加装光电保护，双手按钮"}],
        "causes_found": "原因已查清",
        "responsible_handled": "车间主任已处理",
        "people_educated": "全员警示教育",
        "measures_in_place": "整改措施已落实",
    }


def pdf_upload(name="整改照片.pdf", content=b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def query_count(client, url) -> int:
    cache.clear()  # the list's count is cached between calls; count it every time
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- screening rules --------------------------------------------------------------------------------------------


def test_staff_drafts_previews_and_publishes_thresholds(api_client_for, users, regions, loop, enterprise_a):
    client = api_client_for(users["staff_a"])
    payload = {"region": regions["a"].pk, "min_cases": 4, "min_rate": "50", "note": "提高门槛"}
    response = client.post(f"{API}/screening-rules/", payload, format="json")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert (draft["version"], draft["state"], draft["thresholds"]["min_cases"]) == (2, "draft", 4)

    again = client.post(f"{API}/screening-rules/", {"region": regions["a"].pk, "min_cases": 5}, format="json")
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["min_cases"], again.json()["note"]) == (draft["id"], 5, "提高门槛")

    preview = client.get(f"{API}/screening-rules/{draft['id']}/preview/?period=annual&year=2025")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["current"]["version"], body["proposed_multi"], body["current_multi"]) == (1, 0, 3)
    removed = {row["id"]: row for row in body["removed"]}
    assert removed[enterprise_a.pk]["name"] == enterprise_a.name
    assert removed[enterprise_a.pk]["cases"] == 3
    assert removed[enterprise_a.pk]["rate"] == "30.00"
    assert body["added"] == []

    published = client.post(f"{API}/screening-rules/{draft['id']}/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "published"
    assert ScreeningRule.objects.get(region=regions["a"], version=1).state == "superseded"


def test_rule_errors_name_the_field(api_client_for, users, regions, loop):
    client = api_client_for(users["staff_a"])
    response = client.post(f"{API}/screening-rules/", {"region": regions["a"].pk, "min_cases": 0}, format="json")
    assert response.status_code == 400
    assert "min_cases" in response.json()
    draft = client.post(f"{API}/screening-rules/", {"region": regions["a"].pk, "min_cases": 4}, format="json").json()
    assert "year" in client.get(f"{API}/screening-rules/{draft['id']}/preview/?period=annual").json()
    assert client.get(f"{API}/screening-rules/{draft['id']}/preview/?period=rolling").status_code == 200
    # A draft without a reason for the change is not published: the error names ``note``.
    response = client.post(f"{API}/screening-rules/{draft['id']}/publish/")
    assert response.status_code == 400
    assert "note" in response.json()
    # Publishing a version already in force is refused with a keyed message.
    in_force = ScreeningRule.objects.get(region=regions["a"], state="published")
    response = client.post(f"{API}/screening-rules/{in_force.pk}/publish/")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_rules_are_staff_only_and_scoped(api_client_for, users, regions, loop):
    rule_a = ScreeningRule.objects.get(region=regions["a"])
    officer = api_client_for(users["officer_a"])
    assert officer.get(f"{API}/screening-rules/").status_code == 403
    assert officer.post(f"{API}/screening-rules/", {"region": regions["a"].pk}, format="json").status_code == 403
    staff_b = api_client_for(users["staff_b"])
    assert rule_a.pk not in ids(staff_b.get(f"{API}/screening-rules/"))
    assert staff_b.get(f"{API}/screening-rules/{rule_a.pk}/").status_code == 404
    assert staff_b.post(f"{API}/screening-rules/{rule_a.pk}/publish/").status_code == 404
    # A draft for another county's region is refused.
    assert staff_b.post(f"{API}/screening-rules/", {"region": regions["a"].pk}, format="json").status_code == 403


# --- screening runs and results -----------------------------------------------------------------------------------


def test_run_shows_its_rule_counts_and_city_rate(api_client_for, users, loop):
    response = api_client_for(users["staff_a"]).get(f"{API}/screening-runs/{loop.run_a.pk}/")
    assert response.status_code == 200
    run = response.json()
    assert (run["rule_version"], run["thresholds"]["min_cases"], run["multi_incident"]) == (1, 3, 3)
    assert (run["city_cases"], run["city_insured"], run["city_rate"]) == (9, 300, "30.00")


def test_screening_through_the_api_is_idempotent(api_client_for, users, regions, loop):
    client = api_client_for(users["staff_a"])
    again = client.post(
        f"{API}/screening-runs/", {"kind": "annual", "region": regions["a"].pk, "year": 2025}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == loop.run_a.pk

    rolling = client.post(f"{API}/screening-runs/", {"kind": "rolling", "region": regions["a"].pk}, format="json")
    assert rolling.status_code == 201, rolling.content
    run = rolling.json()
    assert (run["period_start"], run["period_end"], run["multi_incident"]) == ("2025-02-01", "2026-01-31", 3)
    url = f"{API}/screening-runs/{run['id']}/issue-notices/"
    future = client.post(url, {"issued_on": "2026-02-02"}, format="json")
    assert future.status_code == 400 and "issued_on" in future.json()
    # the three enterprises are still rectifying under the annual run's notices: no second notice for them
    assert client.post(url, {"issued_on": "2026-02-01"}, format="json").json() == {"created": 0}
    assert NoticeLetter.objects.filter(run_id=run["id"]).count() == 0
    # The annual run's notices were issued by the job: a call through the API creates none.
    issued = client.post(f"{API}/screening-runs/{loop.run_a.pk}/issue-notices/", {"issued_on": "2026-01-15"})
    assert issued.json() == {"created": 0}


def test_screening_input_errors_name_the_field(api_client_for, users, regions, loop):
    client = api_client_for(users["staff_a"])
    response = client.post(f"{API}/screening-runs/", {"kind": "annual", "region": regions["a"].pk}, format="json")
    assert response.status_code == 400
    assert "year" in response.json()
    response = client.post(f"{API}/screening-runs/", {"kind": "weekly", "region": regions["a"].pk}, format="json")
    assert "kind" in response.json()
    # A deadline in 2027 needs the 2027 holiday calendar: the error names the date that caused it.
    response = client.post(f"{API}/screening-runs/", {"kind": "rolling", "region": regions["a"].pk}, format="json")
    response = client.post(
        f"{API}/screening-runs/{response.json()['id']}/issue-notices/", {"issued_on": "2026-12-20"}, format="json"
    )
    assert response.status_code == 400
    assert "issued_on" in response.json()


def test_officer_and_other_county_cannot_issue_or_publish(api_client_for, users, regions, loop):
    url = f"{API}/screening-runs/{loop.run_a.pk}"
    officer = api_client_for(users["officer_a"])
    assert officer.post(f"{url}/issue-notices/").status_code == 403
    assert officer.post(f"{url}/publish/", {"published_to": regions["a"].pk}).status_code == 403
    assert officer.post(f"{API}/screening-runs/", {"kind": "rolling", "region": regions["a"].pk}).status_code == 403
    staff_b = api_client_for(users["staff_b"])
    assert staff_b.post(f"{url}/issue-notices/").status_code == 404
    assert staff_b.post(f"{url}/publish/", {"published_to": regions["b"].pk}).status_code == 404
    assert staff_b.post(f"{API}/screening-runs/", {"kind": "rolling", "region": regions["a"].pk}).status_code == 403


def test_published_list_reaches_the_chosen_scope(api_client_for, users, regions, loop):
    staff_a, staff_b = api_client_for(users["staff_a"]), api_client_for(users["staff_b"])
    assert staff_b.get(f"{API}/screening-runs/{loop.run_a.pk}/").status_code == 404
    wrong = staff_a.post(f"{API}/screening-runs/{loop.run_a.pk}/publish/", {"published_to": regions["b"].pk})
    assert wrong.status_code == 400
    assert "published_to" in wrong.json()
    response = staff_a.post(f"{API}/screening-runs/{loop.run_a.pk}/publish/", {"published_to": regions["jinhua"].pk})
    assert response.status_code == 200, response.content
    assert response.json()["published_to"] == regions["jinhua"].pk
    assert staff_b.get(f"{API}/screening-runs/{loop.run_a.pk}/").status_code == 200


def test_officer_sees_only_runs_and_results_of_their_enterprise(api_client_for, users, loop, enterprise_a):
    officer_a, officer_b = api_client_for(users["officer_a"]), api_client_for(users["officer_b"])
    assert ids(officer_a.get(f"{API}/screening-runs/")) == {loop.run_a.pk}
    assert officer_b.get(f"{API}/screening-runs/{loop.run_a.pk}/").status_code == 404

    response = officer_a.get(f"{API}/screening-results/?run={loop.run_a.pk}")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["enterprise"] == enterprise_a.pk
    assert row["category"] == "multi"
    assert (row["by_count"], row["by_rate"], row["by_severity"]) == (True, True, False)
    assert len(row["reasons"]) == 2
    assert row["posts"] == [{"post": "冲压工", "cases": 3}]
    assert row["notice"] == loop.notice_a.pk

    assert ids(officer_b.get(f"{API}/screening-results/?run={loop.run_a.pk}")) == set()
    assert officer_b.get(f"{API}/screening-results/{row['id']}/").status_code == 404
    assert api_client_for(users["staff_b"]).get(f"{API}/screening-results/{row['id']}/").status_code == 404
    staff = api_client_for(users["staff_a"]).get(f"{API}/screening-results/?run={loop.run_a.pk}").json()
    assert staff["count"] == 3
    assert all(r["posts"] == [{"post": "冲压工", "cases": 3}] for r in staff["results"])


def test_result_and_run_lists_do_not_grow_with_the_page(
    api_client_for, users, loop, django_assert_max_num_queries, count_statements
):
    client = api_client_for(users["staff_a"])
    url = f"{API}/screening-results/?run={loop.run_a.pk}"
    assert query_count(client, url + "&page_size=1") == query_count(client, url + "&page_size=50")
    with django_assert_max_num_queries(count_statements + 2):  # count, page, the page's posts
        client.get(url)
    city = api_client_for(users["staff_city"])
    assert query_count(city, f"{API}/screening-runs/?page_size=1") == query_count(
        city, f"{API}/screening-runs/?page_size=50"
    )
    with django_assert_max_num_queries(count_statements + 1):  # count, page
        city.get(f"{API}/screening-runs/")


# --- notice letters and extensions ------------------------------------------------------------------------------------


def test_officer_reads_their_notice_with_cases_and_posts(api_client_for, users, loop):
    officer_a = api_client_for(users["officer_a"])
    assert ids(officer_a.get(f"{API}/notices/")) == {loop.notice_a.pk}
    notice = officer_a.get(f"{API}/notices/{loop.notice_a.pk}/").json()
    assert (notice["number"], notice["deadline"], notice["original_deadline"]) == (
        loop.notice_a.number,
        DEADLINE.isoformat(),
        DEADLINE.isoformat(),
    )
    assert (notice["state"], notice["run"], notice["latest_report_state"], notice["extensions"]) == (
        "open",
        loop.run_a.pk,
        None,
        [],
    )
    assert len(notice["cases"]) == 3
    assert notice["posts"] == [{"post": "冲压工", "cases": 3}]
    assert "王小五" not in str(notice)  # no personal data of the injured workers
    assert officer_a.get(f"{API}/notices/{loop.notice_b.pk}/").status_code == 404
    assert api_client_for(users["staff_b"]).get(f"{API}/notices/{loop.notice_a.pk}/").status_code == 404
    assert loop.notice_a.pk not in ids(api_client_for(users["staff_b"]).get(f"{API}/notices/"))


def test_extension_is_asked_by_the_officer_and_decided_by_staff(api_client_for, users, loop):
    officer, staff = api_client_for(users["officer_a"]), api_client_for(users["staff_a"])
    url = f"{API}/notices/{loop.notice_a.pk}/request-extension/"
    response = officer.post(url, {"requested_date": "2026-03-10", "reason": "设备改造需要采购周期"}, format="json")
    assert response.status_code == 201, response.content
    extension = response.json()
    assert extension["state"] == "pending"

    assert officer.post(f"{API}/extensions/{extension['id']}/decide/", {"grant": True}).status_code == 403
    assert (
        api_client_for(users["staff_b"])
        .post(f"{API}/extensions/{extension['id']}/decide/", {"grant": True})
        .status_code
        == 404
    )
    decided = staff.post(
        f"{API}/extensions/{extension['id']}/decide/", {"grant": True, "decision_reason": "同意"}, format="json"
    )
    assert decided.status_code == 200, decided.content
    assert (decided.json()["state"], decided.json()["granted_date"]) == ("granted", "2026-03-10")

    notice = officer.get(f"{API}/notices/{loop.notice_a.pk}/").json()
    assert (notice["deadline"], notice["original_deadline"]) == ("2026-03-10", DEADLINE.isoformat())
    assert [e["state"] for e in notice["extensions"]] == ["granted"]
    assert ids(officer.get(f"{API}/extensions/?notice={loop.notice_a.pk}")) == {extension["id"]}
    assert ids(api_client_for(users["officer_b"]).get(f"{API}/extensions/")) == set()


def test_extension_errors_name_the_field_and_roles_are_kept(api_client_for, users, loop):
    officer, staff = api_client_for(users["officer_a"]), api_client_for(users["staff_a"])
    url = f"{API}/notices/{loop.notice_a.pk}/request-extension/"
    response = officer.post(url, {"requested_date": "2026-02-20", "reason": "x"}, format="json")
    assert response.status_code == 400
    assert {"requested_date", "reason"} <= set(response.json())
    assert staff.post(url, {"requested_date": "2026-03-10", "reason": "代为申请延期"}).status_code == 403
    other = f"{API}/notices/{loop.notice_b.pk}/request-extension/"
    assert officer.post(other, {"requested_date": "2026-03-10", "reason": "申请延期一个月"}).status_code == 404

    ext = officer.post(url, {"requested_date": "2026-03-10", "reason": "设备改造需要时间"}, format="json").json()
    refused = staff.post(f"{API}/extensions/{ext['id']}/decide/", {"grant": False}, format="json")
    assert refused.status_code == 400
    assert "decision_reason" in refused.json()
    assert DeadlineExtension.objects.get(pk=ext["id"]).state == "pending"


def test_notice_pdf_for_those_in_scope(api_client_for, users, loop):
    response = api_client_for(users["officer_a"]).get(f"{API}/notices/{loop.notice_a.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert api_client_for(users["officer_b"]).get(f"{API}/notices/{loop.notice_a.pk}/pdf/").status_code == 404


def test_notice_list_does_not_grow_with_the_page(
    api_client_for, users, loop, django_assert_max_num_queries, count_statements
):
    client = api_client_for(users["staff_a"])
    officer = api_client_for(users["officer_a"])
    services.request_extension(
        actor=users["officer_a"], notice=loop.notice_a, requested_date=datetime.date(2026, 3, 10), reason="需要时间"
    )
    services.save_report(actor=users["officer_a"], notice=loop.notice_a, data={"immediate_measures": "停机检修"})
    assert officer.get(f"{API}/notices/").json()["results"][0]["latest_report_state"] == "draft"
    url = f"{API}/notices/"
    assert query_count(client, url + "?page_size=1") == query_count(client, url + "?page_size=50")
    with django_assert_max_num_queries(count_statements + 3):  # count, page, extensions, report states
        assert client.get(url).json()["count"] == 3


# --- rectification reports -------------------------------------------------------------------------------------


def test_report_journey_through_the_api(api_client_for, users, loop):
    officer, staff = api_client_for(users["officer_a"]), api_client_for(users["staff_a"])
    notice = loop.notice_a
    first = officer.post(f"{API}/reports/", {"notice": notice.pk, "immediate_measures": "停机检修"}, format="json")
    assert first.status_code == 201, first.content
    report = first.json()
    assert (report["version"], report["state"], report["notice_number"]) == (1, "draft", notice.number)
    same = officer.post(f"{API}/reports/", {"notice": notice.pk, "self_inspection": "初查"}, format="json")
    assert same.status_code == 200, same.content
    assert (same.json()["id"], same.json()["immediate_measures"]) == (report["id"], "停机检修")

    url = f"{API}/reports/{report['id']}"
    incomplete = officer.post(f"{url}/submit/")
    assert incomplete.status_code == 400
    assert {"case_analyses", "post_measures", "causes_found"} <= set(incomplete.json())

    assert officer.patch(f"{url}/", complete_report(notice), format="json").status_code == 200
    upload = officer.post(f"{url}/attachments/", {"file": pdf_upload()}, format="multipart")
    assert upload.status_code == 201, upload.content
    assert upload.json()["name"] == "整改照片.pdf"
    assert upload.json()["url"].endswith(f"/prevention/attachments/{upload.json()['id']}/")
    submitted = officer.post(f"{url}/submit/")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    assert [a["name"] for a in submitted.json()["attachments"]] == ["整改照片.pdf"]
    assert ids(staff.get(f"{API}/notices/?waiting=review")) == {notice.pk}  # the page's filters work here too

    short = staff.post(f"{url}/return/", {"review_reason": "补"}, format="json")
    assert short.status_code == 400
    assert "review_reason" in short.json()
    returned = staff.post(f"{url}/return/", {"review_reason": "请补充第二起事故的原因分析"}, format="json")
    assert returned.json()["state"] == "returned"
    assert returned.json()["review_reason"] == "请补充第二起事故的原因分析"

    second = officer.post(f"{API}/reports/", {"notice": notice.pk, "self_inspection": "复查"}, format="json")
    assert second.status_code == 201
    assert (second.json()["version"], second.json()["causes_found"]) == (2, "原因已查清")
    assert officer.post(f"{API}/reports/{second.json()['id']}/submit/").status_code == 200
    accepted = staff.post(f"{API}/reports/{second.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"

    versions = officer.get(f"{API}/reports/?notice={notice.pk}").json()["results"]
    assert [(r["version"], r["state"]) for r in versions] == [(2, "accepted"), (1, "returned")]
    seen = officer.get(f"{API}/notices/{notice.pk}/").json()
    assert (seen["state"], seen["latest_report_state"]) == ("rectified", "accepted")


def test_patch_cannot_set_the_state(api_client_for, users, loop):
    officer = api_client_for(users["officer_a"])
    report = services.save_report(actor=users["officer_a"], notice=loop.notice_a, data={"immediate_measures": "停机"})
    response = officer.patch(f"{API}/reports/{report.pk}/", {"state": "accepted"}, format="json")
    assert response.status_code == 400
    assert "state" in response.json()
    assert officer.put(f"{API}/reports/{report.pk}/", {"state": "accepted"}, format="json").status_code in (403, 405)
    report.refresh_from_db()
    assert report.state == "draft"


def test_only_a_draft_is_patched_and_entries_are_checked(api_client_for, users, loop):
    officer = api_client_for(users["officer_a"])
    report = services.save_report(actor=users["officer_a"], notice=loop.notice_a, data=complete_report(loop.notice_a))
    bad = officer.patch(f"{API}/reports/{report.pk}/", {"case_analyses": "all fine"}, format="json")
    assert bad.status_code == 400
    assert "case_analyses" in bad.json()
    bad = officer.patch(f"{API}/reports/{report.pk}/", {"post_measures": [{"post": 1}]}, format="json")
    assert "post_measures" in bad.json()
    services.submit_report(actor=users["officer_a"], report=report)
    response = officer.patch(f"{API}/reports/{report.pk}/", {"self_inspection": "改"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    wrong = officer.post(f"{API}/reports/{report.pk}/attachments/", {"file": pdf_upload()}, format="multipart")
    assert wrong.status_code == 400
    assert "file" in wrong.json()


def test_attachment_type_is_checked_by_content(api_client_for, users, loop):
    officer = api_client_for(users["officer_a"])
    report = services.save_report(actor=users["officer_a"], notice=loop.notice_a, data={})
    fake = pdf_upload("报告.pdf", b"MZ\x90\x00 not a pdf")
    response = officer.post(f"{API}/reports/{report.pk}/attachments/", {"file": fake}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not report.attachments.exists()


def test_reports_are_scoped_and_reviewed_by_the_issuing_agency(api_client_for, users, loop):
    report = services.save_report(actor=users["officer_a"], notice=loop.notice_a, data=complete_report(loop.notice_a))
    services.submit_report(actor=users["officer_a"], report=report)
    officer_a, officer_b = api_client_for(users["officer_a"]), api_client_for(users["officer_b"])
    staff_b = api_client_for(users["staff_b"])

    assert ids(officer_b.get(f"{API}/reports/")) == set()
    assert officer_b.get(f"{API}/reports/{report.pk}/").status_code == 404
    assert staff_b.get(f"{API}/reports/{report.pk}/").status_code == 404
    assert staff_b.post(f"{API}/reports/{report.pk}/accept/").status_code == 404
    assert staff_b.post(f"{API}/reports/{report.pk}/return/").status_code == 404
    # Another enterprise's notice is not a choice when filing a report.
    foreign = officer_b.post(f"{API}/reports/", {"notice": loop.notice_a.pk}, format="json")
    assert foreign.status_code == 400
    assert "notice" in foreign.json()
    # Officers file, agencies review.
    assert officer_a.post(f"{API}/reports/{report.pk}/accept/").status_code == 403
    assert officer_a.post(f"{API}/reports/{report.pk}/return/", {"review_reason": "自己退回"}).status_code == 403
    staff = api_client_for(users["staff_a"])
    assert staff.post(f"{API}/reports/", {"notice": loop.notice_a.pk}, format="json").status_code == 403
    assert staff.patch(f"{API}/reports/{report.pk}/", {"self_inspection": "代填"}, format="json").status_code == 403
    report.refresh_from_db()
    assert report.state == "submitted"


def test_report_list_does_not_grow_with_the_page(
    api_client_for, users, loop, django_assert_max_num_queries, count_statements
):
    officer = users["officer_a"]
    report = services.save_report(actor=officer, notice=loop.notice_a, data=complete_report(loop.notice_a))
    services.add_attachment(actor=officer, report=report, upload=pdf_upload())
    services.submit_report(actor=officer, report=report)
    services.return_report(actor=users["staff_a"], report=report, reason="请补充照片")
    report2 = services.save_report(actor=officer, notice=loop.notice_a, data={})
    services.add_attachment(actor=officer, report=report2, upload=pdf_upload("照片2.pdf"))
    client = api_client_for(users["staff_a"])
    url = f"{API}/reports/"
    assert query_count(client, url + "?page_size=1") == query_count(client, url + "?page_size=50")
    with django_assert_max_num_queries(count_statements + 2):  # count, page, attachments
        assert client.get(url).json()["count"] == 2


# --- outcomes and warnings -------------------------------------------------------------------------------------


def test_outcomes_carry_their_evidence_and_are_scoped(api_client_for, users, loop, enterprise_a):
    services.escalate(today=datetime.date(2026, 3, 1))
    officer_a = api_client_for(users["officer_a"])
    mine = officer_a.get(f"{API}/outcomes/?kind=supervision").json()["results"]
    assert [(o["enterprise"], o["notice"], o["trigger"]) for o in mine] == [
        (enterprise_a.pk, loop.notice_a.pk, "overdue")
    ]
    assert mine[0]["evidence"]["deadline"] == DEADLINE.isoformat()
    assert mine[0]["evidence"]["days_overdue"] == 5
    assert {o["enterprise"] for o in officer_a.get(f"{API}/outcomes/").json()["results"]} == {enterprise_a.pk}

    outcome_a = Outcome.objects.filter(enterprise=enterprise_a).first()
    assert api_client_for(users["officer_b"]).get(f"{API}/outcomes/{outcome_a.pk}/").status_code == 404
    assert api_client_for(users["staff_b"]).get(f"{API}/outcomes/{outcome_a.pk}/").status_code == 404
    assert outcome_a.pk not in ids(api_client_for(users["staff_b"]).get(f"{API}/outcomes/"))
    city = api_client_for(users["staff_city"])
    assert {o["enterprise"] for o in city.get(f"{API}/outcomes/?enterprise={enterprise_a.pk}").json()["results"]} == {
        enterprise_a.pk
    }
    # ``year`` is the year an outcome was recorded, as on the outcomes page.
    this_year = timezone.localtime().year
    assert city.get(f"{API}/outcomes/?year={this_year}").json()["count"] == 8
    assert city.get(f"{API}/outcomes/?year={this_year - 1}").json()["count"] == 0


def test_outcome_list_does_not_grow_with_the_page(
    api_client_for, users, loop, django_assert_max_num_queries, count_statements
):
    services.escalate(today=datetime.date(2026, 3, 1))
    client = api_client_for(users["staff_city"])
    assert query_count(client, f"{API}/outcomes/?page_size=1") == query_count(client, f"{API}/outcomes/?page_size=50")
    expected = Outcome.objects.count()
    assert expected == 8  # 重点监管 and a penalty referral for each of the four overdue notices
    with django_assert_max_num_queries(count_statements + 1):  # count, page
        assert client.get(f"{API}/outcomes/").json()["count"] == expected


def test_officer_sees_the_warnings_of_their_own_cases(api_client_for, users, loop, enterprise_a, enterprise_b):
    services.send_case_warnings(case_ids=InjuryCase.objects.values_list("pk", flat=True))
    officer_a = api_client_for(users["officer_a"])
    rows = officer_a.get(f"{API}/warnings/").json()["results"]
    assert {r["enterprise"] for r in rows} == {enterprise_a.pk}
    assert len(rows) == 3
    assert (rows[0]["post"], rows[0]["severity"], rows[0]["recipients"]) == ("冲压工", "minor", 1)
    assert "王小五" not in str(rows)
    warning_b = CaseWarning.objects.filter(enterprise=enterprise_b).first()
    assert officer_a.get(f"{API}/warnings/{warning_b.pk}/").status_code == 404
    assert api_client_for(users["staff_a"]).get(f"{API}/warnings/{warning_b.pk}/").status_code == 404
    assert api_client_for(users["staff_b"]).get(f"{API}/warnings/{warning_b.pk}/").status_code == 200


def test_warning_list_does_not_grow_with_the_page(
    api_client_for, users, loop, django_assert_max_num_queries, count_statements
):
    services.send_case_warnings(case_ids=InjuryCase.objects.values_list("pk", flat=True))
    client = api_client_for(users["staff_city"])
    assert query_count(client, f"{API}/warnings/?page_size=1") == query_count(client, f"{API}/warnings/?page_size=50")
    with django_assert_max_num_queries(count_statements + 1):  # count, page
        assert client.get(f"{API}/warnings/").json()["count"] == 12


# --- typical-case bulletins ------------------------------------------------------------------------------------


BULLETIN = {
    "title": "冲压作业手部伤害事故",
    "summary": "某五金企业冲压工在调整模具时手部被压伤。",
    "cause_analysis": "冲床防护罩缺失，未执行停机调模规定。",
    "lessons": "加装光电保护，严格执行停机调模。",
}


def test_bulletin_is_drafted_from_a_case_published_and_withdrawn(api_client_for, users, loop, enterprise_a):
    staff, anonymous = api_client_for(users["staff_a"]), api_client_for(None)
    case = InjuryCase.objects.filter(enterprise=enterprise_a).first()
    response = staff.post(f"{API}/bulletins/", {**BULLETIN, "source_case": case.pk}, format="json")
    assert response.status_code == 201, response.content
    bulletin = response.json()
    assert (bulletin["state"], bulletin["occurred_in"], bulletin["severity"]) == ("draft", "2025-03-01", "minor")
    assert bulletin["region"] == enterprise_a.owner_agency.region_id  # the author's county, not the case's town

    assert anonymous.get(f"{API}/library/").json()["count"] == 0
    assert anonymous.get(f"{API}/library/{bulletin['id']}/").status_code == 404
    assert staff.post(f"{API}/bulletins/{bulletin['id']}/publish/").json()["state"] == "published"

    public = anonymous.get(f"{API}/library/{bulletin['id']}/")
    assert public.status_code == 200
    body = public.json()
    assert (body["title"], body["occurred_in"], body["region_name"]) == (BULLETIN["title"], "2025-03", "永康市")
    assert "source_case" not in body and "created_by" not in body
    assert enterprise_a.name not in str(body)
    assert [b["id"] for b in anonymous.get(f"{API}/library/").json()["results"]] == [bulletin["id"]]

    withdrawn = staff.post(f"{API}/bulletins/{bulletin['id']}/withdraw/", {"reason": "案情更正"}, format="json")
    assert withdrawn.json()["state"] == "withdrawn"
    assert anonymous.get(f"{API}/library/{bulletin['id']}/").status_code == 404


def test_bulletin_errors_name_the_field(api_client_for, users, regions, loop, enterprise_a, enterprise_b):
    staff = api_client_for(users["staff_a"])
    missing = staff.post(f"{API}/bulletins/", {"title": "无内容", "region": regions["a"].pk}, format="json")
    assert missing.status_code == 400, missing.content
    assert {"summary", "cause_analysis", "lessons"} <= set(missing.json())
    # Without a source case the month must be given: the model's own validation names it.
    undated = staff.post(f"{API}/bulletins/", {**BULLETIN, "region": regions["a"].pk}, format="json")
    assert undated.status_code == 400
    assert "occurred_in" in undated.json()
    case = InjuryCase.objects.filter(enterprise=enterprise_a).first()
    named = {**BULLETIN, "summary": f"{enterprise_a.name}冲压工手部压伤", "source_case": case.pk}
    response = staff.post(f"{API}/bulletins/", named, format="json")
    assert response.status_code == 400
    assert "summary" in response.json()
    foreign = InjuryCase.objects.filter(enterprise=enterprise_b).first()
    response = staff.post(f"{API}/bulletins/", {**BULLETIN, "source_case": foreign.pk}, format="json")
    assert response.status_code == 400
    assert "source_case" in response.json()
    assert not Bulletin.objects.exists()


def test_bulletins_are_written_by_their_agency_only(api_client_for, users, regions, loop):
    staff_a = users["staff_a"]
    bulletin = services.draft_bulletin(
        actor=staff_a, data={**BULLETIN, "region": regions["a"], "occurred_in": datetime.date(2025, 3, 1)}
    )
    staff_b = api_client_for(users["staff_b"])
    assert staff_b.get(f"{API}/bulletins/{bulletin.pk}/").status_code == 404
    assert bulletin.pk not in ids(staff_b.get(f"{API}/bulletins/"))
    assert staff_b.post(f"{API}/bulletins/{bulletin.pk}/publish/").status_code == 404
    # Out of scope is a 404 before the input is looked at (no hint from a 400).
    assert staff_b.post(f"{API}/bulletins/{bulletin.pk}/withdraw/").status_code == 404
    officer = api_client_for(users["officer_a"])
    assert officer.post(f"{API}/bulletins/", {**BULLETIN, "region": regions["a"].pk}).status_code == 403
    assert officer.post(f"{API}/bulletins/{bulletin.pk}/publish/").status_code == 403
    bulletin.refresh_from_db()
    assert bulletin.published_at is None


def test_public_library_is_anonymous_and_does_not_grow_with_the_page(
    api_client_for, users, regions, loop, django_assert_max_num_queries, count_statements
):
    for i in range(3):
        b = services.draft_bulletin(
            actor=users["staff_a"],
            data={**BULLETIN, "title": f"通报{i}", "region": regions["a"], "occurred_in": datetime.date(2025, 3, 1)},
        )
        services.publish_bulletin(actor=users["staff_a"], bulletin=b)
    services.draft_bulletin(
        actor=users["staff_a"], data={**BULLETIN, "region": regions["a"], "occurred_in": datetime.date(2025, 4, 1)}
    )
    client = api_client_for(None)
    assert query_count(client, f"{API}/library/?page_size=1") == query_count(client, f"{API}/library/?page_size=50")
    with django_assert_max_num_queries(count_statements + 1):  # count, page
        assert client.get(f"{API}/library/").json()["count"] == 3


def test_private_endpoints_refuse_anonymous(api_client_for, loop):
    client = api_client_for(None)
    for path in ("notices", "reports", "outcomes", "warnings", "bulletins", "screening-runs", "screening-results"):
        assert client.get(f"{API}/{path}/").status_code in (401, 403), path
    assert client.post(f"{API}/notices/{loop.notice_a.pk}/request-extension/").status_code in (401, 403)


def test_results_and_runs_of_another_county_stay_hidden(api_client_for, users, loop):
    staff_b = api_client_for(users["staff_b"])
    result_a = ScreeningResult.objects.filter(run=loop.run_a).first()
    assert result_a.pk not in ids(staff_b.get(f"{API}/screening-results/"))
    assert loop.run_a.pk not in ids(staff_b.get(f"{API}/screening-runs/"))
    assert ScreeningRun.objects.count() == 2
    assert RectificationReport.objects.count() == 0
