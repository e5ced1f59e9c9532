"""The exchange's pages: an agency's quarter (counts, gaps, the confirmation step, the lock it sets), the board of
member agencies (statuses; the secretariat reopens, reminds and builds the report), the obligations, and the
report versions with their audited downloads. Out of scope is a 404, a role without the permission a 403.

Clock: the ``today`` fixture moves ``services._today`` (the pages use it too); ``clock`` below also moves
``services._now``, the time a confirmation is stamped with, so that "on time" and "late" can both be made."""

import datetime
import hashlib
import io
import json
from urllib.parse import quote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from incidents.models import InjuryCase
from portal.exchange import services
from portal.exchange.models import Confirmation, ConfirmationEvent, ExchangeReport, Obligation, ReportFile
from portal.locks import DataKind, locked_message
from portal.models import AuditEvent
from portal.notifications.models import Notification
from portal.reference.models import AccidentType
from tests.factories import AgencyFactory
from tests.prevention.conftest import local, make_case, worker_id

pytestmark = pytest.mark.django_db

Q3 = (2026, 3)


@pytest.fixture
def clock(today, monkeypatch):
    """Set the exchange's date and time together: ``clock(datetime.date(2026, 10, 10))``."""

    def set_clock(day: datetime.date, hour: int = 10):
        today(day)
        monkeypatch.setattr(services, "_now", lambda: local(day.year, day.month, day.day, hour))
        return day

    return set_clock


@pytest.fixture
def q3_cases(exchange, enterprise_a, agency_a, settings):
    """人社 of 永康市 has three cases in 2026 Q3: two in July, none in August, one in September without a cause."""
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    cases = [
        make_case(enterprise_a, agency_a, datetime.date(2026, month, day)) for month, day in ((7, 5), (7, 20), (9, 2))
    ]
    InjuryCase.objects.filter(pk=cases[-1].pk).update(cause="")
    return cases


def quarter_url(year=2026, quarter=3):
    return reverse("exchange:quarter", args=[year, quarter])


def board_url(year=2026, quarter=3):
    return reverse("exchange:board", args=[year, quarter])


def zh(func, *args, **kwargs) -> str:
    with translation.override("zh-hans"):
        return str(func(*args, **kwargs))


def confirm(client, year=2026, quarter=3, **extra):
    """The confirmation step as a user goes through it: open it, tick the box, send the counts shown."""
    step = client.get(quarter_url(year, quarter) + "?step=confirm")
    counts = step.context["form"]["counts"].value() if step.context.get("form") else ""
    return client.post(
        reverse("exchange:quarter_confirm", args=[year, quarter]), {"checked": "on", "counts": counts, **extra}
    )


def confirm_directly(user, year=2026, quarter=3):
    return services.confirm_quarter(actor=user, year=year, quarter=quarter)


# --- index and navigation ------------------------------------------------------------------------------------------


def test_index_sends_an_agency_to_its_last_quarter_and_the_secretariat_to_the_board(exchange, client_for):
    response = client_for(exchange["staff_a"]).get(reverse("exchange:index"))
    assert response.status_code == 302 and response.url == quarter_url(*Q3)
    response = client_for(exchange["secretariat_a"]).get(reverse("exchange:index"))
    assert response.status_code == 302 and response.url == board_url(*Q3)


def test_only_agency_users_have_the_exchange_in_the_nav(exchange, client_for):
    url = reverse("exchange:index")
    assert url in client_for(exchange["staff_a"]).get(reverse("home")).content.decode()
    assert url not in client_for(exchange["officer_a"]).get(reverse("home")).content.decode()


@pytest.mark.parametrize("role", ["officer_a", "expert", "sysadmin", "auditor"])
def test_other_roles_get_403(role, exchange, client_for):
    client = client_for(exchange[role])
    assert client.get(reverse("exchange:index")).status_code == 403
    assert client.get(quarter_url()).status_code == 403
    assert client.get(board_url()).status_code == 403
    assert client.get(reverse("exchange:report_list")).status_code == 403


def test_a_quarter_out_of_range_is_404(exchange, client_for):
    assert client_for(exchange["staff_a"]).get(quarter_url(2026, 5)).status_code == 404
    assert client_for(exchange["staff_a"]).get(board_url(1999, 1)).status_code == 404


# --- an agency's quarter -------------------------------------------------------------------------------------------


def test_quarter_page_shows_what_is_owed_the_counts_per_month_and_the_gaps(q3_cases, exchange, client_for):
    response = client_for(exchange["staff_a"]).get(quarter_url())
    assert response.status_code == 200
    ctx = response.context
    assert [o.kind for o in ctx["obligations"]] == ["injury_cases", "insurance", "recognitions"]
    assert ctx["due"] == datetime.date(2026, 10, 15)
    cases = next(r for r in ctx["entries"] if r["kind"] == DataKind.INJURY_CASES)
    assert cases["total"] == 3 and cases["gaps"] == 1
    assert [m["records"] for m in cases["months"]] == [2, 0, 1]
    assert [m["is_gap"] for m in cases["months"]] == [False, True, False]
    html = response.content.decode()
    assert 'data-testid="total-injury_cases">3<' in html
    assert 'data-month="2026-08" data-records="0" data-gap="1"' in html
    assert 'data-testid="quarter-state" data-state="overdue"' in html  # due 10-15, today 11-01
    assert 'data-testid="start-confirm"' in html
    assert 'data-testid="confirm-form"' not in html  # the step comes first
    assert ctx["links"]["previous"]["url"] == quarter_url(2026, 2)
    assert ctx["links"]["next"]["url"] == quarter_url(2026, 4)  # Q4 has begun


def test_the_confirmation_step_repeats_the_counts(q3_cases, exchange, client_for):
    response = client_for(exchange["staff_a"]).get(quarter_url() + "?step=confirm")
    html = response.content.decode()
    assert 'data-testid="confirm-counts"' in html and 'data-testid="confirm-form"' in html
    assert response.context["form"]["counts"].value() == "injury_cases=3;insurance=0;recognitions=0"


def test_confirming_locks_the_quarter_and_the_case_form_names_the_locked_field(
    q3_cases, exchange, client_for, enterprise_a, clock
):
    clock(datetime.date(2026, 10, 12))
    client = client_for(exchange["staff_a"])
    response = confirm(client)
    assert response.status_code == 302 and response.url == quarter_url()
    confirmation = Confirmation.objects.get(agency=exchange["staff_a"].agency, year=2026, quarter=3)
    assert confirmation.is_locked and confirmation.counts == {"injury_cases": 3, "insurance": 0, "recognitions": 0}
    assert AuditEvent.objects.filter(verb="confirm", object_id=str(confirmation.pk)).count() == 1

    page = client.get(quarter_url())
    html = page.content.decode()
    assert 'data-testid="quarter-state" data-state="confirmed"' in html
    assert 'data-testid="start-confirm"' not in html and 'data-testid="confirm-form"' not in html
    assert 'data-kind="injury_cases" data-records="3"' in html
    assert 'data-testid="lock-explained"' in html
    assert [e["event"].action for e in page.context["events"]] == ["confirm"]

    # A case of the quarter through the ordinary form: refused, with the lock's message on the date field.
    kind = AccidentType.objects.get(edition=1986, code="03")
    data = {
        "enterprise": enterprise_a.pk,
        "occurred_at": "2026-09-30T23:30",
        "place": "冲压车间",
        "accident_type": kind.pk,
        "cause": "未停机清理模具",
        "post": "冲压工",
        "worker_name": "李四",
        "worker_id_number": worker_id(501),
        "severity": "minor",
        "lost_workdays": "10",
        "fund_payout": "0",
    }
    response = client.post(reverse("incidents:injurycase_add"), data)
    assert response.status_code == 200
    expected = zh(locked_message, DataKind.INJURY_CASES, 2026, 3)
    assert response.context["form"].errors["occurred_at"] == [expected]
    assert escape(expected) in response.content.decode()
    assert InjuryCase.objects.count() == 3
    # The next quarter is open.
    data["occurred_at"] = "2026-10-01T00:05"
    assert client.post(reverse("incidents:injurycase_add"), data).status_code == 302


def test_confirming_without_ticking_the_box_changes_nothing(q3_cases, exchange, client_for):
    client = client_for(exchange["staff_a"])
    response = confirm(client, checked="")
    assert response.status_code == 200
    assert "checked" in response.context["form"].errors
    assert 'data-field="checked"' in response.content.decode()
    assert not Confirmation.objects.exists()


def test_confirming_counts_that_changed_meanwhile_is_refused(q3_cases, exchange, client_for, enterprise_a, agency_a):
    client = client_for(exchange["staff_a"])
    step = client.get(quarter_url() + "?step=confirm")
    shown = step.context["form"]["counts"].value()
    make_case(enterprise_a, agency_a, datetime.date(2026, 8, 8))  # a colleague records one more
    response = client.post(reverse("exchange:quarter_confirm", args=[2026, 3]), {"checked": "on", "counts": shown})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'data-testid="confirm-errors"' in response.content.decode()
    assert response.context["form"]["counts"].value() == "injury_cases=4;insurance=0;recognitions=0"
    assert not Confirmation.objects.exists()


def test_a_quarter_still_running_cannot_be_confirmed_and_the_service_says_why(exchange, client_for):
    client = client_for(exchange["staff_a"])
    page = client.get(quarter_url(2026, 4))
    assert page.context["can_confirm"] is False
    assert 'data-state="running"' in page.content.decode()
    response = client.post(
        reverse("exchange:quarter_confirm", args=[2026, 4]),
        {"checked": "on", "counts": "injury_cases=0;insurance=0;recognitions=0"},
        follow=True,
    )
    assert response.redirect_chain == [(quarter_url(2026, 4), 302)]
    with translation.override("zh-hans"):
        expected = translation.gettext("A quarter can be confirmed only after it has ended.")
    assert expected in [str(m) for m in response.context["messages"]]
    assert not Confirmation.objects.exists()


def test_confirming_twice_says_it_is_already_confirmed(q3_cases, exchange, client_for):
    client = client_for(exchange["staff_a"])
    step = client.get(quarter_url() + "?step=confirm")
    data = {"checked": "on", "counts": step.context["form"]["counts"].value()}
    url = reverse("exchange:quarter_confirm", args=[2026, 3])
    assert client.post(url, data).status_code == 302
    response = client.post(url, data, follow=True)  # the second tab's button
    with translation.override("zh-hans"):
        expected = translation.gettext("This quarter is already confirmed.")
    assert expected in [str(m) for m in response.context["messages"]]
    assert ConfirmationEvent.objects.count() == 1


def test_an_agency_that_owes_nothing_is_told_so(exchange, client_for, users):
    response = client_for(users["staff_b"]).get(quarter_url())
    assert response.status_code == 200
    assert 'data-testid="nothing-owed"' in response.content.decode()
    assert response.context["can_confirm"] is False


def test_confirm_is_post_only(exchange, client_for):
    assert client_for(exchange["staff_a"]).get(reverse("exchange:quarter_confirm", args=[2026, 3])).status_code == 405


# --- the board -----------------------------------------------------------------------------------------------------


def test_board_shows_each_agency_status_with_its_colour(q3_cases, exchange, client_for, clock):
    clock(datetime.date(2026, 10, 12))
    confirm_directly(exchange["staff_a"])  # 人社 on time
    clock(datetime.date(2026, 10, 20))
    confirm_directly(exchange["staff_a_emergency"])  # 应急 after its due date; 卫健 never
    clock(datetime.date(2026, 11, 1))
    response = client_for(exchange["staff_a_health"]).get(board_url())
    assert response.status_code == 200
    status = {r["agency"].kind: r["status"] for r in response.context["rows"]}
    assert status == {"hrss": "confirmed", "emergency": "confirmed_late", "health": "overdue"}
    assert response.context["summary"] == {"agencies": 3, "confirmed": 2, "late": 1, "waiting": 0, "overdue": 1}
    html = response.content.decode()
    assert 'class="badge text-bg-success" data-testid="status" data-status="confirmed"' in html
    assert 'class="badge text-bg-warning" data-testid="status" data-status="confirmed_late"' in html
    assert 'class="badge text-bg-danger" data-testid="status" data-status="overdue"' in html
    # agencies read the board; only the secretariat acts on it
    assert 'data-testid="reopen-form"' not in html and 'data-testid="build-report"' not in html
    secretariat = client_for(exchange["secretariat_a"]).get(board_url()).content.decode()
    assert secretariat.count('data-testid="reopen-form"') == 2
    assert 'data-testid="remind"' in secretariat and 'data-testid="build-report"' in secretariat


def test_board_queries_do_not_grow_with_agencies(exchange, client_for, regions, django_assert_max_num_queries):
    for n in range(6):
        agency = AgencyFactory(name=f"永康市测试局{n}", region=regions["a"], kind="other")
        Obligation.objects.create(agency=agency, kind=DataKind.SAFETY_ACCIDENTS)
    client = client_for(exchange["secretariat_a"])
    client.get(board_url())  # warm the caches of the shell
    with django_assert_max_num_queries(15):
        response = client.get(board_url())
    assert len(response.context["rows"]) == 9


def test_reopening_needs_a_reason_and_unlocks_until_confirmed_again(q3_cases, exchange, client_for, clock):
    clock(datetime.date(2026, 10, 12))
    confirmation = confirm_directly(exchange["staff_a"])
    url = reverse("exchange:confirmation_reopen", args=[confirmation.pk])
    client = client_for(exchange["secretariat_a"])

    response = client.post(url, {"reason": ""})
    assert response.status_code == 302 and response.url == board_url()
    assert Confirmation.objects.get(pk=confirmation.pk).is_locked
    response = client.post(url, {"reason": "漏"}, follow=True)  # too short: the service's message
    with translation.override("zh-hans"):
        expected = translation.gettext("State why the quarter is reopened (at least 4 characters).")
    assert expected in [str(m) for m in response.context["messages"]]
    assert Confirmation.objects.get(pk=confirmation.pk).is_locked

    response = client.post(url, {"reason": "补录漏报的三起案件"})
    assert response.status_code == 302
    confirmation.refresh_from_db()
    assert not confirmation.is_locked and confirmation.reopen_reason == "补录漏报的三起案件"
    assert AuditEvent.objects.filter(verb="reopen", object_id=str(confirmation.pk)).count() == 1
    assert Notification.objects.filter(recipient=exchange["staff_a"], url=quarter_url()).exists()

    board = client.get(board_url()).content.decode()
    assert "补录漏报的三起案件" in board
    page = client_for(exchange["staff_a"]).get(quarter_url())
    html = page.content.decode()
    assert 'data-testid="quarter-state" data-state="reopened"' in html
    assert 'data-testid="reopen-reason">补录漏报的三起案件<' in html
    assert [e["event"].action for e in page.context["events"]] == ["confirm", "reopen"]
    assert 'data-testid="start-confirm"' in html  # confirm again

    clock(datetime.date(2026, 10, 14))
    assert confirm(client_for(exchange["staff_a"])).status_code == 302
    confirmation.refresh_from_db()
    assert confirmation.is_locked and confirmation.times_confirmed == 2


def test_reopening_a_confirmation_of_another_region_is_404(exchange, client_for, users, agency_b):
    Obligation.objects.create(agency=agency_b, kind=DataKind.INJURY_CASES)
    now = timezone.now()
    theirs = Confirmation.objects.create(
        agency=agency_b,
        year=2026,
        quarter=3,
        state=Confirmation.State.CONFIRMED,
        kinds=[DataKind.INJURY_CASES],
        counts={DataKind.INJURY_CASES: 0},
        due_on=datetime.date(2026, 10, 15),
        confirmed_at=now,
        confirmed_by=users["staff_b"],
        first_confirmed_at=now,
    )
    url = reverse("exchange:confirmation_reopen", args=[theirs.pk])
    assert client_for(exchange["secretariat_a"]).post(url, {"reason": "越权重新开放"}).status_code == 404
    assert Confirmation.objects.get(pk=theirs.pk).is_locked
    assert not ConfirmationEvent.objects.filter(confirmation=theirs).exists()
    # nor does the board of 永康市 list 武义县's agency
    rows = client_for(exchange["secretariat_a"]).get(board_url()).context["rows"]
    assert agency_b not in [r["agency"] for r in rows]


def test_staff_cannot_reopen_or_remind(q3_cases, exchange, client_for):
    confirmation = confirm_directly(exchange["staff_a"])
    client = client_for(exchange["staff_a_emergency"])
    url = reverse("exchange:confirmation_reopen", args=[confirmation.pk])
    assert client.post(url, {"reason": "想改数据"}).status_code == 403
    assert client.post(reverse("exchange:board_remind", args=[2026, 3])).status_code == 403
    assert Confirmation.objects.get(pk=confirmation.pk).is_locked


def test_secretariat_reminds_the_late_agencies(q3_cases, exchange, client_for):
    confirm_directly(exchange["staff_a"])
    response = client_for(exchange["secretariat_a"]).post(reverse("exchange:board_remind", args=[2026, 3]))
    assert response.status_code == 302 and response.url == board_url()
    reminded = set(Notification.objects.filter(url=quarter_url()).values_list("recipient__username", flat=True))
    assert reminded == {"staff_a_em", "staff_a_health"}
    assert AuditEvent.objects.filter(verb="remind").count() == 1


# --- obligations ---------------------------------------------------------------------------------------------------


def test_obligations_are_listed_by_agency(exchange, client_for, django_assert_max_num_queries):
    client = client_for(exchange["staff_a"])
    client.get(reverse("exchange:obligation_list"))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("exchange:obligation_list"))
    html = response.content.decode()
    assert html.count('data-testid="agency-group"') == 3
    assert html.count("data-obligation=") == 5
    assert 'data-testid="edit-obligation"' not in html and 'data-testid="add-obligation"' not in html
    assert (
        'data-testid="edit-obligation"'
        in client_for(exchange["secretariat_a"]).get(reverse("exchange:obligation_list")).content.decode()
    )


def test_secretariat_adds_and_changes_an_obligation(exchange, client_for, regions):
    housing = AgencyFactory(name="永康市住房和城乡建设局", region=regions["a"], kind="housing")
    client = client_for(exchange["secretariat_a"])
    form = client.get(reverse("exchange:obligation_create")).context["form"]
    assert housing in form.fields["agency"].queryset
    response = client.post(
        reverse("exchange:obligation_create"),
        {"agency": housing.pk, "kind": DataKind.PROJECT_INSURANCE, "due_days": 20, "is_active": "on", "note": ""},
    )
    assert response.status_code == 302 and response.url == reverse("exchange:obligation_list")
    obligation = Obligation.objects.get(agency=housing)
    assert obligation.due_days == 20 and obligation.kind == DataKind.PROJECT_INSURANCE
    assert AuditEvent.objects.filter(verb="create", object_type="exchange.obligation", object_id=str(obligation.pk))

    # the same agency and data again: a clear error, nothing duplicated
    again = client.post(
        reverse("exchange:obligation_create"),
        {"agency": housing.pk, "kind": DataKind.PROJECT_INSURANCE, "due_days": 10, "is_active": "on"},
    )
    assert again.status_code == 200 and "kind" in again.context["form"].errors

    url = reverse("exchange:obligation_update", args=[obligation.pk])
    response = client.post(url, {"due_days": 30, "note": "按月报送后汇总", "agency": 0, "kind": "insurance"})
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert (obligation.due_days, obligation.is_active, obligation.note) == (30, False, "按月报送后汇总")
    assert (obligation.agency, obligation.kind) == (housing, DataKind.PROJECT_INSURANCE)  # fixed on edit
    bad = client.post(url, {"due_days": 0, "is_active": "on"})
    assert bad.status_code == 200 and "due_days" in bad.context["form"].errors


def test_secretariat_chooses_only_agencies_of_its_region(exchange, client_for, agency_b):
    client = client_for(exchange["secretariat_a"])
    assert agency_b not in client.get(reverse("exchange:obligation_create")).context["form"].fields["agency"].queryset
    response = client.post(
        reverse("exchange:obligation_create"),
        {"agency": agency_b.pk, "kind": DataKind.INJURY_CASES, "due_days": 15, "is_active": "on"},
    )
    assert response.status_code == 200 and "agency" in response.context["form"].errors
    theirs = Obligation.objects.create(agency=agency_b, kind=DataKind.INJURY_CASES)
    url = reverse("exchange:obligation_update", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"due_days": 5, "is_active": "on"}).status_code == 404


def test_staff_cannot_set_obligations(exchange, client_for):
    client = client_for(exchange["staff_a"])
    obligation = Obligation.objects.first()
    assert client.get(reverse("exchange:obligation_create")).status_code == 403
    assert client.get(reverse("exchange:obligation_update", args=[obligation.pk])).status_code == 403
    assert client.post(reverse("exchange:obligation_update", args=[obligation.pk]), {"due_days": 5}).status_code == 403
    assert client.post(reverse("exchange:obligation_defaults")).status_code == 403


def test_secretariat_applies_the_defaults_to_agencies_that_owe_nothing(exchange, client_for, regions):
    transport = AgencyFactory(name="永康市交通运输局", region=regions["a"], kind="transport")
    client = client_for(exchange["secretariat_a"])
    response = client.post(reverse("exchange:obligation_defaults"))
    assert response.status_code == 302
    assert list(Obligation.objects.filter(agency=transport).values_list("kind", flat=True)) == ["project_insurance"]
    assert Obligation.objects.count() == 6
    client.post(reverse("exchange:obligation_defaults"))  # nothing new the second time
    assert Obligation.objects.count() == 6


# --- reports -------------------------------------------------------------------------------------------------------


@pytest.fixture
def report(q3_cases, exchange, regions):
    confirm_directly(exchange["staff_a"])
    built, created = services.build_report(region=regions["a"], year=2026, quarter=3, actor=exchange["secretariat_a"])
    assert created and built.files.count() == 3
    return built


def test_report_list_shows_the_versions_newest_first(
    report, exchange, regions, client_for, clock, django_assert_max_num_queries
):
    # a second version after the emergency agency confirms (new figures)
    clock(datetime.date(2026, 11, 2))
    confirm_directly(exchange["staff_a_emergency"])
    second, created = services.build_report(region=regions["a"], year=2026, quarter=3)
    assert created and second.version == 2
    client = client_for(exchange["staff_a_health"])
    client.get(reverse("exchange:report_list"))
    with django_assert_max_num_queries(15):
        response = client.get(reverse("exchange:report_list"))
    rows = list(response.context["table"].page.object_list)
    assert [r.record.version for r in rows] == [2, 1]
    html = response.content.decode()
    for fmt in ("xlsx", "pdf", "json"):
        assert reverse("exchange:report_download", args=[report.pk, fmt]) in html
    filtered = client.get(reverse("exchange:report_list") + "?year=2025")
    assert list(filtered.context["table"].page.object_list) == []


def test_report_page_shows_figures_files_checksums_and_other_versions(report, exchange, regions, client_for, clock):
    clock(datetime.date(2026, 11, 2))
    confirm_directly(exchange["staff_a_emergency"])
    second, _created = services.build_report(region=regions["a"], year=2026, quarter=3)
    response = client_for(exchange["staff_a"]).get(reverse("exchange:report_detail", args=[report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="report-version" data-version="1"' in html and 'data-testid="superseded"' in html
    for f in report.files.all():
        assert f.sha256 in html
        assert reverse("exchange:report_download", args=[report.pk, f.format]) in html
    assert second.fingerprint in html  # the other version, still downloadable
    assert reverse("exchange:report_download", args=[second.pk, "pdf"]) in html
    cases = next(h for h in response.context["headlines"] if h["key"] == "cases")
    assert cases["value"] == report.content["totals"]["cases"]
    agencies = {a["kind"]: a["status"] for a in response.context["agencies"]}
    assert agencies["hrss"] in ("confirmed", "confirmed_late") and agencies["health"] == "overdue"


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "json"])
def test_each_file_downloads_under_its_chinese_name_and_is_audited(fmt, report, exchange, client_for):
    stored = ReportFile.objects.get(report=report, format=fmt)
    response = client_for(exchange["staff_a_emergency"]).get(reverse("exchange:report_download", args=[report.pk, fmt]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == stored.sha256
    assert stored.filename.startswith("永康市2026年第3季度") and stored.filename.endswith(f"-v1.{fmt}")
    assert "attachment" in response["Content-Disposition"]
    assert quote(stored.filename) in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    if fmt == "xlsx":
        assert openpyxl.load_workbook(io.BytesIO(body)).sheetnames
    elif fmt == "pdf":
        assert body.startswith(b"%PDF-")
    else:
        assert json.loads(body)
    events = AuditEvent.objects.filter(verb="download", object_id=str(report.pk))
    assert [(e.actor, e.note) for e in events] == [(exchange["staff_a_emergency"], fmt)]


def test_reports_of_another_county_are_404(report, client_for, users):
    client = client_for(users["staff_b"])  # 武义县
    assert client.get(reverse("exchange:report_detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("exchange:report_download", args=[report.pk, "xlsx"])).status_code == 404
    assert not AuditEvent.objects.filter(verb="download").exists()
    assert AuditEvent.objects.filter(verb="denied", actor=users["staff_b"]).exists()
    assert list(client.get(reverse("exchange:report_list")).context["table"].page.object_list) == []


def test_an_unknown_format_is_404(report, exchange, client_for):
    client = client_for(exchange["staff_a"])
    assert client.get(reverse("exchange:report_download", args=[report.pk, "docx"])).status_code == 404


def test_secretariat_builds_the_report_on_demand(q3_cases, exchange, client_for, django_capture_on_commit_callbacks):
    confirm_directly(exchange["staff_a"])
    client = client_for(exchange["secretariat_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:report_build"), {"year": 2026, "quarter": 3})
    assert response.status_code == 302 and response.url == board_url()
    built = ExchangeReport.objects.get()
    assert (built.version, built.trigger, built.created_by) == (1, "on_demand", exchange["secretariat_a"])
    board = client.get(board_url())
    assert board.context["report"] == built
    # every agency user of the region is told
    assert Notification.objects.filter(recipient=exchange["staff_a_health"], url=built.get_absolute_url()).exists()


def test_a_report_of_a_running_quarter_is_not_built(exchange, client_for, django_capture_on_commit_callbacks):
    client = client_for(exchange["secretariat_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:report_build"), {"year": 2026, "quarter": 4})
    assert response.status_code == 302
    assert not ExchangeReport.objects.exists()


def test_staff_cannot_build_the_report(exchange, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(exchange["staff_a"]).post(reverse("exchange:report_build"), {"year": 2026, "quarter": 3})
    assert response.status_code == 403
    jobs = [c for c in callbacks if c.__qualname__.startswith(("enqueue.", "enqueue_named."))]
    assert jobs == [] and not ExchangeReport.objects.exists()
