"""The staff pages of the screening side of the loop: overview, thresholds (draft, preview, publish), screenings and
their results, the "why are we listed" page, outcomes and recognition; scope (other agency → 404, officer → own
enterprise only) and query caps."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from incidents.prevention import services
from incidents.prevention.models import NoticeLetter, Outcome, ScreeningResult, ScreeningRule, ScreeningRun
from portal.reference.models import CalendarDay, Industry
from tests.factories import EnterpriseFactory
from tests.prevention.conftest import insure, make_case

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _testid(html: str, testid: str) -> str:
    """The text inside the first element with ``data-testid=testid`` (tags stripped)."""
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no element {testid}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def general_a(regions, industry, agency_a):
    """A second enterprise of 永康, with two minor cases in 2025: general-incident under the default rule."""
    return EnterpriseFactory(name="永康小五金厂", region=regions["a"], industry=industry, owner_agency=agency_a)


@pytest.fixture
def cases_2025(enterprise_a, general_a, agency_a):
    for day in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 3, 1 + day), post="冲压工")
    for day in range(2):
        make_case(general_a, agency_a, datetime.date(2025, 5, 1 + day))
    insure(enterprise_a, agency_a, 2025, 100)
    insure(general_a, agency_a, 2025, 400)


@pytest.fixture
def run_a(users, regions, cases_2025):
    services.default_rule(actor=users["staff_a"], region=regions["a"])
    return services.run_screening(
        actor=users["staff_a"], region=regions["a"], kind="annual", window=services.annual_window(2025)
    )


def _seed_deadline_year():
    """The calendar rows a notice issued today needs (the fixture's calendar stops at 2026)."""
    year = (timezone.localdate() + datetime.timedelta(days=40)).year
    if not CalendarDay.objects.filter(date__year=year).exists():
        CalendarDay.objects.create(date=datetime.date(year, 1, 1), is_workday=False, name="元旦")


# --- overview -------------------------------------------------------------------------------------------------------


def test_home_shows_the_rule_in_force_and_the_latest_screening(client_for, users, run_a, django_assert_max_num_queries):
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("prevention:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _testid(html, "rule-in-force") == "永康市 v1"
    assert reverse("prevention:screeningrun_detail", args=[run_a.pk]) in html
    assert _testid(html, "open-notices") == "0"


def test_home_sends_officers_to_their_notices_and_refuses_other_roles(client_for, users):
    response = client_for(users["officer_a"]).get(reverse("prevention:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("prevention:noticeletter_list")
    assert client_for(users["expert"]).get(reverse("prevention:home")).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client):
    for name in ("prevention:home", "prevention:screeningrule_list", "prevention:screeningrun_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# --- thresholds -------------------------------------------------------------------------------------------------------


def test_draft_preview_and_publish_thresholds(client_for, users, regions, run_a, general_a):
    client = client_for(users["staff_a"])
    form = client.get(reverse("prevention:screeningrule_draft"))
    assert form.status_code == 200
    assert 'name="min_cases" value="3"' in form.content.decode()  # starts from the rule in force

    data = {
        "min_cases": 2,
        "min_rate": "10",
        "rate_min_cases": 2,
        "min_serious": 1,
        "annual_month": 1,
        "annual_day": 15,
        "note": "",
    }
    response = client.post(reverse("prevention:screeningrule_draft"), data)
    draft = ScreeningRule.objects.get(region=regions["a"], state="draft")
    assert response.status_code == 302
    assert response["Location"] == reverse("prevention:screeningrule_detail", args=[draft.pk])
    assert draft.version == 2 and draft.min_cases == 2

    # The preview over 2025: the enterprise with two cases would become multi-incident.
    page = client.get(reverse("prevention:screeningrule_detail", args=[draft.pk]) + "?window=annual&year=2025")
    html = page.content.decode()
    assert _testid(html, "added-count") == "1"
    assert _testid(html, "removed-count") == "0"
    assert _testid(html, "preview-current") == "1"
    assert _testid(html, "preview-proposed") == "2"
    assert general_a.name in html

    # Another year has no cases: nothing would change.
    page = client.get(reverse("prevention:screeningrule_detail", args=[draft.pk]) + "?window=annual&year=2024")
    assert _testid(page.content.decode(), "added-count") == "0"
    page = client.get(reverse("prevention:screeningrule_detail", args=[draft.pk]) + "?window=rolling")
    assert page.status_code == 200

    # Without a reason the draft is not published; the message says why.
    publish = reverse("prevention:screeningrule_publish", args=[draft.pk])
    response = client.post(publish)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "draft"
    assert _messages(response)

    client.post(reverse("prevention:screeningrule_draft"), {**data, "note": "两起即纳入重点"})
    client.post(publish)
    draft.refresh_from_db()
    assert draft.state == "published"
    assert ScreeningRule.objects.get(region=regions["a"], version=1).state == "superseded"
    listing = client.get(reverse("prevention:screeningrule_list")).content.decode()
    assert "两起即纳入重点" in listing
    assert 'data-testid="rule-in-force" data-version="2"' in listing


def test_draft_form_shows_field_errors(client_for, users, regions):
    response = client_for(users["staff_a"]).post(
        reverse("prevention:screeningrule_draft"),
        {"min_cases": 0, "min_rate": "10", "rate_min_cases": 2, "min_serious": 1, "annual_month": 13, "annual_day": 1},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="min_cases"' in html and 'data-field="annual_month"' in html
    assert not ScreeningRule.objects.exists()


def test_rules_are_out_of_scope_for_other_agencies_and_officers(client_for, users, regions, run_a):
    rule = ScreeningRule.objects.get()
    assert (
        client_for(users["staff_b"]).get(reverse("prevention:screeningrule_detail", args=[rule.pk])).status_code == 404
    )
    draft = services.draft_rule(actor=users["staff_a"], region=regions["a"], data={"min_cases": 5, "note": "x"})
    response = client_for(users["staff_b"]).post(reverse("prevention:screeningrule_publish", args=[draft.pk]))
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == "draft"
    officer = client_for(users["officer_a"])
    assert officer.get(reverse("prevention:screeningrule_list")).status_code == 403
    assert officer.get(reverse("prevention:screeningrule_draft")).status_code == 403


# --- screenings -------------------------------------------------------------------------------------------------------


def test_screening_page_offers_the_default_thresholds_when_none_is_in_force(client_for, users, regions):
    client = client_for(users["staff_a"])
    html = client.get(reverse("prevention:screeningrun_create")).content.decode()
    assert 'data-testid="no-rule"' in html
    response = client.post(reverse("prevention:screeningrun_create"), {"action": "defaults"})
    assert response.status_code == 302
    rule = ScreeningRule.objects.get()
    assert (rule.region, rule.state, rule.min_cases) == (regions["a"], "published", 3)
    assert 'data-testid="no-rule"' not in client.get(reverse("prevention:screeningrun_create")).content.decode()


def test_staff_run_the_annual_screening_and_see_its_results(client_for, users, regions, cases_2025, enterprise_a):
    services.default_rule(actor=users["staff_a"], region=regions["a"])
    client = client_for(users["staff_a"])
    response = client.post(
        reverse("prevention:screeningrun_create"), {"kind": "annual", "year": 2025, "region": regions["a"].pk}
    )
    run = ScreeningRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("prevention:screeningrun_detail", args=[run.pk])
    assert (run.period_start, run.period_end, run.multi_incident, run.general) == (
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
        1,
        1,
    )
    html = client.get(response["Location"]).content.decode()
    assert enterprise_a.name in html and "永康小五金厂" in html
    assert _testid(html, "count-multi") == "1"
    assert _testid(html, "city-rate") == "10.00‰"  # 5 cases / 500 insured
    # run again: the same run, nothing new
    again = client.post(
        reverse("prevention:screeningrun_create"), {"kind": "annual", "year": 2025, "region": regions["a"].pk}
    )
    assert again["Location"] == response["Location"]
    assert ScreeningRun.objects.count() == 1


def test_rolling_screening_covers_the_twelve_months_to_yesterday(client_for, users, regions):
    services.default_rule(actor=users["staff_a"], region=regions["a"])
    client_for(users["staff_a"]).post(
        reverse("prevention:screeningrun_create"), {"kind": "rolling", "region": regions["a"].pk}
    )
    run = ScreeningRun.objects.get()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert (run.kind, run.period_end) == ("rolling", yesterday)


def test_screening_form_refuses_a_missing_year_and_a_region_outside_scope(client_for, users, regions):
    services.default_rule(actor=users["staff_a"], region=regions["a"])
    client = client_for(users["staff_a"])
    response = client.post(reverse("prevention:screeningrun_create"), {"kind": "annual", "region": regions["a"].pk})
    assert response.status_code == 200 and 'data-field="year"' in response.content.decode()
    response = client.post(
        reverse("prevention:screeningrun_create"), {"kind": "annual", "year": 2025, "region": regions["b"].pk}
    )
    assert response.status_code == 200 and 'data-field="region"' in response.content.decode()
    assert not ScreeningRun.objects.exists()


def test_officers_cannot_run_screenings(client_for, users, regions):
    client = client_for(users["officer_a"])
    assert client.get(reverse("prevention:screeningrun_create")).status_code == 403
    data = {"kind": "annual", "year": 2025, "region": regions["a"].pk}
    assert client.post(reverse("prevention:screeningrun_create"), data).status_code == 403
    assert not ScreeningRun.objects.exists()


def test_results_filter_by_class(client_for, users, run_a, enterprise_a):
    url = reverse("prevention:screeningrun_detail", args=[run_a.pk])
    html = client_for(users["staff_a"]).get(url + "?category=multi").content.decode()
    assert enterprise_a.name in html and "永康小五金厂" not in html
    html = client_for(users["staff_a"]).get(url + "?category=general").content.decode()
    assert enterprise_a.name not in html and "永康小五金厂" in html


def test_results_page_query_count_does_not_grow_with_results(
    client_for, users, regions, industry, agency_a, django_assert_max_num_queries
):
    for i in range(40):
        e = EnterpriseFactory(name=f"永康企业{i:02d}", region=regions["a"], industry=industry, owner_agency=agency_a)
        make_case(e, agency_a, datetime.date(2025, 6, 1))
    services.default_rule(actor=users["staff_a"], region=regions["a"])
    run = services.run_screening(
        actor=users["staff_a"], region=regions["a"], kind="annual", window=services.annual_window(2025)
    )
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("prevention:screeningrun_detail", args=[run.pk]))
    html = response.content.decode()
    assert html.count("data-result=") == 25  # one page
    next_url = re.search(r'data-testid="page-next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    with django_assert_max_num_queries(20):
        second = client.get(reverse("prevention:screeningrun_detail", args=[run.pk]) + next_url).content.decode()
    assert second.count("data-result=") == 15
    first_ids = set(re.findall(r'data-result="(\d+)"', html))
    assert not first_ids & set(re.findall(r'data-result="(\d+)"', second))
    with django_assert_max_num_queries(16):
        client.get(reverse("prevention:screeningrun_list"))


def test_other_agency_gets_404_until_the_list_is_published_to_it(client_for, users, regions, run_a, enterprise_a):
    url = reverse("prevention:screeningrun_detail", args=[run_a.pk])
    staff_b = client_for(users["staff_b"])
    assert staff_b.get(url).status_code == 404
    assert staff_b.post(reverse("prevention:screeningrun_issue", args=[run_a.pk])).status_code == 404
    assert staff_b.post(reverse("prevention:screeningrun_publish", args=[run_a.pk])).status_code == 404

    staff_a = client_for(users["staff_a"])
    response = staff_a.post(
        reverse("prevention:screeningrun_publish", args=[run_a.pk]), {"published_to": regions["jinhua"].pk}
    )
    assert response.status_code == 302
    run_a.refresh_from_db()
    assert run_a.published_to == regions["jinhua"]

    staff_b = client_for(users["staff_b"])
    response = staff_b.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert enterprise_a.name in html  # the multi-incident list …
    assert "永康小五金厂" not in html  # … without the general-incident enterprises
    assert 'data-testid="issue-form"' not in html and 'data-testid="publish-form"' not in html
    result = ScreeningResult.objects.get(run=run_a, enterprise=enterprise_a)
    assert staff_b.get(reverse("prevention:result_why", args=[result.pk])).status_code == 200  # a published row
    general = ScreeningResult.objects.get(run=run_a, category="general")
    assert staff_b.get(reverse("prevention:result_why", args=[general.pk])).status_code == 404


def test_publishing_to_a_sibling_region_is_refused(client_for, users, regions, run_a):
    response = client_for(users["staff_a"]).post(
        reverse("prevention:screeningrun_publish", args=[run_a.pk]), {"published_to": regions["b"].pk}
    )
    assert response.status_code == 302
    run_a.refresh_from_db()
    assert run_a.published_at is None
    assert _messages(response)


def test_officer_sees_only_their_own_row(client_for, users, run_a, enterprise_a):
    url = reverse("prevention:screeningrun_detail", args=[run_a.pk])
    html = client_for(users["officer_a"]).get(url).content.decode()
    assert enterprise_a.name in html and "永康小五金厂" not in html
    assert html.count("data-result=") == 1
    assert 'data-testid="issue-form"' not in html
    assert client_for(users["officer_b"]).get(url).status_code == 404
    response = client_for(users["officer_a"]).post(reverse("prevention:screeningrun_issue", args=[run_a.pk]))
    assert response.status_code == 403


def test_issuing_notices_without_the_calendar_says_so(client_for, users, run_a):
    response = client_for(users["staff_a"]).post(reverse("prevention:screeningrun_issue", args=[run_a.pk]))
    assert response.status_code == 302
    assert not NoticeLetter.objects.exists()
    text = " ".join(_messages(response))
    deadline_year = str((timezone.localdate() + datetime.timedelta(days=31)).year)
    assert deadline_year in text


def test_issuing_notices_creates_one_per_multi_incident_enterprise(
    client_for, users, run_a, enterprise_a, calendar, django_capture_on_commit_callbacks
):
    _seed_deadline_year()
    client = client_for(users["staff_a"])
    url = reverse("prevention:screeningrun_issue", args=[run_a.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    notice = NoticeLetter.objects.get()
    assert notice.enterprise == enterprise_a and notice.issued_on == timezone.localdate()
    client.post(url)
    assert NoticeLetter.objects.count() == 1
    html = client.get(reverse("prevention:screeningrun_detail", args=[run_a.pk])).content.decode()
    assert notice.number in html
    assert _testid(html, "count-notices") == "1"
    assert client.get(url).status_code == 405


# --- why are we listed ---------------------------------------------------------------------------------------------


def test_why_page_shows_rule_figures_and_averages(client_for, users, run_a, enterprise_a, industry):
    result = ScreeningResult.objects.get(run=run_a, enterprise=enterprise_a)
    for who in ("staff_a", "officer_a"):
        response = client_for(users[who]).get(reverse("prevention:result_why", args=[result.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-check="count" data-met="yes"' in html
        assert 'data-check="rate" data-met="yes"' in html  # 3 cases / 100 insured = 30‰ ≥ 10‰
        assert 'data-check="severity" data-met="no"' in html
        assert _testid(html, "own-rate") == "30.00"
        assert _testid(html, "city-rate") == "10.00"
        assert _testid(html, "industry-rate") == "10.00"  # both enterprises are in industry 33
        assert "冲压工" in html
        assert "金属制品业" in html  # the division, not the class


def test_why_page_is_404_out_of_scope(client_for, users, run_a, enterprise_a, general_a):
    result = ScreeningResult.objects.get(run=run_a, enterprise=enterprise_a)
    other = ScreeningResult.objects.get(run=run_a, enterprise=general_a)
    url = reverse("prevention:result_why", args=[result.pk])
    assert client_for(users["officer_b"]).get(url).status_code == 404
    assert client_for(users["staff_b"]).get(url).status_code == 404
    assert client_for(users["officer_a"]).get(reverse("prevention:result_why", args=[other.pk])).status_code == 404


# --- outcomes ------------------------------------------------------------------------------------------------------


def test_outcome_list_filters_by_kind_and_shows_the_evidence(
    client_for, users, run_a, general_a, calendar, django_assert_max_num_queries
):
    services.issue_notices(actor=users["staff_a"], run=run_a, issued_on=datetime.date(2026, 1, 15))
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(16):
        response = client.get(reverse("prevention:outcome_list") + "?kind=handover")
    html = response.content.decode()
    assert "永康小五金厂" in html
    assert 'data-kind="handover"' in html
    # the evidence: the figures that triggered it
    assert re.search(r'data-evidence="cases"><span[^>]*>[^<]*</span>: 2<', html)
    assert re.search(r'data-evidence="fatal"><span[^>]*>[^<]*</span>: 0<', html)
    assert "永康小五金厂" not in client.get(reverse("prevention:outcome_list") + "?kind=penalty").content.decode()
    year = timezone.localdate().year
    assert "永康小五金厂" not in client.get(reverse("prevention:outcome_list") + f"?year={year - 3}").content.decode()
    # an officer sees their own enterprise's outcomes only
    assert "永康小五金厂" not in client_for(users["officer_a"]).get(reverse("prevention:outcome_list")).content.decode()
    assert (
        client_for(users["staff_b"]).get(reverse("prevention:outcome_list")).content.decode().count("data-outcome=")
        == 0
    )


# --- recognition -----------------------------------------------------------------------------------------------------


@pytest.fixture
def rectified_a(users, regions, run_a, enterprise_a, general_a, agency_a, calendar):
    """enterprise_a, noticed by the 2025 screening, rectified (report accepted), and down to one case in 2026 at a
    rate below the region's average (general_a has five)."""
    staff, officer = users["staff_a"], users["officer_a"]
    services.issue_notices(actor=staff, run=run_a, issued_on=datetime.date(2026, 1, 15))
    notice = NoticeLetter.objects.get(enterprise=enterprise_a)
    cases = list(services.notice_cases(notice).values_list("pk", flat=True))
    report = services.save_report(
        actor=officer,
        notice=notice,
        data={
            "self_inspection": "全面排查",
            "case_analyses": [{"case": c, "cause": "防护缺失"} for c in cases],
            "post_measures": [{"post": "冲压工", "measures": "加装光栅"}],
            "causes_found": "已查清",
            "responsible_handled": "已处理",
            "people_educated": "已教育",
            "measures_in_place": "已落实",
        },
    )
    services.submit_report(actor=officer, report=report)
    services.accept_report(actor=staff, report=report)
    make_case(enterprise_a, agency_a, datetime.date(2026, 3, 1))
    for day in range(5):
        make_case(general_a, agency_a, datetime.date(2026, 4, 1 + day))
    insure(enterprise_a, agency_a, 2026, 100)
    insure(general_a, agency_a, 2026, 100)
    return enterprise_a


def test_recognition_proposes_advanced_units_and_marks_benchmarks(client_for, users, rectified_a, industry):
    client = client_for(users["staff_a"])
    url = reverse("prevention:recognition") + "?year=2026"
    html = client.get(url).content.decode()
    assert f'data-enterprise="{rectified_a.pk}"' in html
    assert "67 %" in html  # 3 → 1 cases
    assert 'data-testid="too-few"' in html  # no benchmark yet in industry 33

    response = client.post(reverse("prevention:recognition"), {"year": 2026})
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    outcome = Outcome.objects.get(kind="advanced")
    assert (outcome.enterprise, outcome.year, outcome.rank) == (rectified_a, 2026, 1)
    client.post(reverse("prevention:recognition"), {"year": 2026})
    assert Outcome.objects.filter(kind="advanced").count() == 1

    division = Industry.objects.get(code="33")
    response = client.post(
        reverse("prevention:benchmark_mark"),
        {"enterprise": rectified_a.pk, "industry": division.pk, "year": 2026, "note": "整改成效显著"},
    )
    assert response.status_code == 302
    benchmark = Outcome.objects.get(kind="benchmark")
    assert (benchmark.enterprise, benchmark.industry, benchmark.note) == (rectified_a, division, "整改成效显著")
    html = client.get(url).content.decode()
    assert 'data-testid="benchmark"' in html and "整改成效显著" in html
    # marked twice: refused with a message
    again = client.post(
        reverse("prevention:benchmark_mark"), {"enterprise": rectified_a.pk, "industry": division.pk, "year": 2026}
    )
    assert _messages(again)
    assert Outcome.objects.filter(kind="benchmark").count() == 1


def test_benchmark_by_credit_code_only_within_scope(client_for, users, rectified_a, enterprise_b):
    division = Industry.objects.get(code="33")
    client = client_for(users["staff_a"])
    data = {"credit_code": enterprise_b.credit_code, "industry": division.pk, "year": 2026}
    response = client.post(reverse("prevention:benchmark_mark"), data)
    assert response.status_code == 302 and _messages(response)
    assert not Outcome.objects.filter(kind="benchmark").exists()
    client.post(reverse("prevention:benchmark_mark"), {**data, "credit_code": rectified_a.credit_code})
    assert Outcome.objects.get(kind="benchmark").enterprise == rectified_a


def test_recognition_is_for_staff_only(client_for, users):
    assert client_for(users["officer_a"]).get(reverse("prevention:recognition")).status_code == 403
    response = client_for(users["officer_a"]).post(reverse("prevention:recognition"), {"year": 2026})
    assert response.status_code == 403
    assert client_for(users["auditor"]).get(reverse("prevention:recognition")).status_code == 403
    assert not Outcome.objects.exists()
