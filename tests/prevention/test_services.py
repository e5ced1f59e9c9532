"""The loop's rules at their thresholds, the deadlines, the jobs' idempotence (DESIGN §3.3, seed 004)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction

from incidents import services as incident_services
from incidents.prevention import services, tasks
from incidents.prevention.models import (
    CaseWarning,
    DeadlineExtension,
    HighIncidentPost,
    LoopEvent,
    NoticeLetter,
    Outcome,
    RectificationReport,
    Reminder,
    ScreeningResult,
    ScreeningRule,
    ScreeningRun,
)
from incidents.prevention.selectors import Window
from portal.notifications.models import Notification
from portal.reference.models import AccidentType
from tests.factories import EnterpriseFactory
from tests.prevention.conftest import insure, local, make_case, worker_id

pytestmark = pytest.mark.django_db

Y2025 = services.annual_window(2025)


@pytest.fixture
def loop(users, regions, enterprise_a, agency_a, calendar):
    """Agency A's default rule in force (3 cases, 10 ‰ with 2 cases, 1 serious case)."""
    rule = services.default_rule(actor=users["staff_a"], region=regions["a"])
    return {"rule": rule, "staff": users["staff_a"], "officer": users["officer_a"], "region": regions["a"]}


def screen(loop, window=Y2025):
    return services.run_screening(actor=loop["staff"], region=loop["region"], kind="annual", window=window)


def noticed(loop, enterprise, agency, issued_on=datetime.date(2026, 1, 15), cases=3):
    for d in range(cases):
        make_case(enterprise, agency, datetime.date(2025, 3, 1 + d), post="冲压工" if d else "装配工")
    run = screen(loop)
    services.issue_notices(actor=loop["staff"], run=run, issued_on=issued_on)
    return NoticeLetter.objects.get(run=run, enterprise=enterprise)


def complete(notice):
    cases = services.notice_cases(notice).values_list("pk", flat=True)
    return {
        "immediate_measures": "立即停用冲床并加装防护罩",
        "self_inspection": "全厂排查冲压岗位隐患12处",
        "case_analyses": [{"case": c, "cause": "防护装置缺失，违规操作"} for c in cases],
        "post_measures": [{"post": p.post, "measures": "加装双手按钮"} for p in services.notice_posts(notice)],
        "causes_found": "已查清",
        "responsible_handled": "车间主任已处理",
        "people_educated": "全员复训",
        "measures_in_place": "整改措施已落实",
    }


# --- 1. the online warning -----------------------------------------------------------------------------------


def test_a_recorded_case_warns_the_enterprise_once_with_personal_data_masked(
    users, enterprise_a, agency_a, django_capture_on_commit_callbacks, settings
):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    kind = AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    data = {
        "enterprise": enterprise_a,
        "occurred_at": local(2026, 11, 2, 9),
        "accident_type": kind,
        "post": "冲压工",
        "place": "二号车间",
        "worker_name": "王小五",
        "worker_id_number": worker_id(7),
        "severity": "serious",
    }
    with django_capture_on_commit_callbacks(execute=True):
        case = incident_services.record_injury_case(actor=users["staff_a"], data=data)
    inbox = Notification.objects.filter(recipient=users["officer_a"])
    assert inbox.count() == 1
    message = inbox.get()
    assert "冲压工" in message.body and "二号车间" in message.body
    assert "王小五" not in message.body and "王" in message.body
    assert worker_id(7) not in message.body
    assert message.url == f"/prevention/warnings/{case.pk}/"
    assert [m.to for m in mail.outbox] == [[users["officer_a"].email]]
    # the sweep and a repeated job send nothing twice
    assert tasks.send_case_warnings() == 0
    assert services.send_case_warnings(case_ids=[case.pk]) == 0
    assert inbox.count() == 1 and len(mail.outbox) == 1
    assert not Notification.objects.filter(recipient=users["officer_b"]).exists()


def test_the_sweep_warns_cases_that_arrived_without_the_form(users, enterprise_a, agency_a):
    from django.utils import timezone

    make_case(enterprise_a, agency_a, timezone.now() - datetime.timedelta(days=91))  # a history loaded today
    case = make_case(enterprise_a, agency_a, timezone.now() - datetime.timedelta(days=2))  # as an import writes it
    assert tasks.send_case_warnings() == 1
    assert CaseWarning.objects.get(case=case).recipients == 1
    assert tasks.send_case_warnings() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseWarning.objects.create(case=case, enterprise=enterprise_a)


# --- 2. screening at its thresholds ----------------------------------------------------------------------


def test_case_count_threshold(loop, enterprise_a, agency_a):
    make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1))
    make_case(enterprise_a, agency_a, datetime.date(2025, 5, 2))
    run = screen(loop)
    assert ScreeningResult.objects.get(run=run).category == "general"  # 2 cases, no insured employees

    make_case(enterprise_a, agency_a, datetime.date(2025, 12, 31))  # the period's last day counts
    make_case(enterprise_a, agency_a, datetime.date(2026, 1, 1))  # the next day does not
    services.publish_rule(
        actor=loop["staff"],
        rule=services.draft_rule(actor=loop["staff"], region=loop["region"], data={"note": "复核"}),
    )
    result = ScreeningResult.objects.get(run=screen(loop))
    assert (result.category, result.cases, result.by_count, result.by_rate) == ("multi", 3, True, False)


@pytest.mark.parametrize(("insured", "category"), [(200, "multi"), (201, "general")])
def test_rate_threshold_is_inclusive(loop, enterprise_a, agency_a, insured, category):
    """Two cases: 200 insured is 10.00 ‰ (the rule's 10 ‰: multi), 201 is 9.95 ‰ (general)."""
    make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1))
    make_case(enterprise_a, agency_a, datetime.date(2025, 6, 1))
    insure(enterprise_a, agency_a, 2025, insured)
    result = ScreeningResult.objects.get(run=screen(loop))
    assert result.category == category
    assert result.rate == (Decimal("10.00") if insured == 200 else Decimal("9.95"))


def test_rate_rule_needs_its_minimum_of_cases(loop, enterprise_a, agency_a):
    make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1))
    insure(enterprise_a, agency_a, 2025, 10)  # 100 ‰ from one case is not a pattern
    assert ScreeningResult.objects.get(run=screen(loop)).category == "general"


def test_one_serious_case_makes_a_multi_incident_enterprise(loop, enterprise_a, agency_a):
    make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1), severity="serious")
    result = ScreeningResult.objects.get(run=screen(loop))
    assert (result.category, result.by_severity, result.serious) == ("multi", True, 1)


def test_screening_covers_only_the_region_and_keeps_its_rule_version(loop, enterprise_a, enterprise_b, agency_a):
    for d in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1 + d))
        make_case(enterprise_b, enterprise_b.owner_agency, datetime.date(2025, 5, 1 + d))
    run = screen(loop)
    assert list(run.results.values_list("enterprise", flat=True)) == [enterprise_a.pk]
    assert (run.multi_incident, run.general, run.city_cases) == (1, 0, 3)
    draft = services.draft_rule(actor=loop["staff"], region=loop["region"], data={"min_cases": 5, "note": "提高门槛"})
    services.publish_rule(actor=loop["staff"], rule=draft)
    run.refresh_from_db()
    assert run.rule.version == 1 and run.rule.state == ScreeningRule.State.SUPERSEDED
    assert screen(loop).rule.version == 2


def test_a_screening_run_twice_creates_nothing_twice(loop, enterprise_a, agency_a):
    for d in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1 + d))
    first = screen(loop)
    assert screen(loop).pk == first.pk
    assert ScreeningRun.objects.count() == 1 and ScreeningResult.objects.count() == 1
    assert ScreeningResult.objects.get().high_incident_posts == [HighIncidentPost("冲压工", 3)]


def test_preview_shows_which_enterprises_new_thresholds_would_flag(loop, regions, industry, enterprise_a, agency_a):
    other = EnterpriseFactory(
        name="永康杯业有限公司", region=regions["a_town"], industry=industry, owner_agency=agency_a
    )
    for d in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1 + d))
    for d in range(2):
        make_case(other, agency_a, datetime.date(2025, 5, 1 + d))
    draft = services.draft_rule(actor=loop["staff"], region=loop["region"], data={"min_cases": 2})
    preview = services.preview_rule(draft=draft, window=Y2025)
    assert (preview["current_multi"], preview["proposed_multi"]) == (1, 2)
    assert [name for name, _fig in preview["added"]] == ["永康杯业有限公司"] and preview["removed"] == []
    assert ScreeningRun.objects.count() == 0  # a preview writes nothing


def test_publishing_thresholds_needs_a_reason_and_only_staff_of_the_region_draft_them(loop, users, regions):
    draft = services.draft_rule(actor=loop["staff"], region=loop["region"], data={"min_cases": 4})
    with pytest.raises(ValidationError) as err:
        services.publish_rule(actor=loop["staff"], rule=draft)
    assert "note" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        services.draft_rule(actor=users["staff_b"], region=regions["a"], data={})
    with pytest.raises(PermissionDenied):
        services.draft_rule(actor=users["officer_a"], region=regions["a"], data={})


# --- 3. notices, deadlines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "deadline"),
    [
        (datetime.date(2026, 3, 10), datetime.date(2026, 4, 10)),  # a working day: one month on
        (datetime.date(2026, 1, 15), datetime.date(2026, 2, 24)),  # 2-15 is in the Spring Festival
        (datetime.date(2026, 9, 1), datetime.date(2026, 10, 8)),  # 10-01 is National Day
        (datetime.date(2026, 1, 28), datetime.date(2026, 2, 28)),  # a Saturday worked in lieu stays
        (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),  # 31 January + 1 month is 28 February
    ],
)
def test_the_deadline_is_one_month_on_moved_past_rest_days_and_holidays(loop, enterprise_a, agency_a, issued, deadline):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=issued)
    assert (notice.original_deadline, notice.deadline) == (deadline, deadline)


def test_a_deadline_in_a_year_without_a_calendar_is_refused_with_a_clear_message(loop, enterprise_a, agency_a):
    with pytest.raises(ValidationError) as err:
        noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 12, 5))
    assert "2027" in str(err.value)
    assert NoticeLetter.objects.count() == 0


def test_notices_go_to_multi_incident_enterprises_once_and_general_ones_are_handed_over(
    loop, users, regions, industry, enterprise_a, agency_a, agency_a_emergency, django_capture_on_commit_callbacks
):
    general = EnterpriseFactory(name="永康门业有限公司", region=regions["a"], industry=industry, owner_agency=agency_a)
    make_case(general, agency_a, datetime.date(2025, 7, 1))
    with django_capture_on_commit_callbacks(execute=True):
        notice = noticed(loop, enterprise_a, agency_a)
    assert notice.number == services.notice_number(agency_a, 2026, 1) and notice.state == "open"
    assert Notification.objects.filter(recipient=users["officer_a"], url=notice.get_absolute_url()).count() == 1
    assert LoopEvent.objects.filter(notice=notice, verb="notice_issued").count() == 1
    handover = Outcome.objects.get(kind="handover")
    # no agency of its own town, so the sector agency above it: 应急管理 for manufacturing
    assert (handover.enterprise, handover.referred_to) == (general, agency_a_emergency)
    assert Notification.objects.filter(recipient=users["staff_a_emergency"]).count() == 1

    run = notice.run
    from portal.models import AuditEvent

    events = AuditEvent.objects.count()
    assert services.issue_notices(actor=loop["staff"], run=run, issued_on=datetime.date(2026, 1, 16)) == 0
    assert AuditEvent.objects.count() == events  # a second run writes nothing at all
    assert NoticeLetter.objects.count() == 1 and Outcome.objects.filter(kind="handover").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        NoticeLetter.objects.create(
            run=run,
            result=ScreeningResult.objects.create(
                run=run, enterprise=general, category="multi", cases=1, serious=0, fatal=0
            ),
            enterprise=enterprise_a,
            number="dup",
            issued_on=notice.issued_on,
            original_deadline=notice.deadline,
            deadline=notice.deadline,
            owner_agency=agency_a,
        )


def test_only_the_screening_agency_issues_its_notices(loop, users, enterprise_a, agency_a):
    for d in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 3, 1 + d))
    run = screen(loop)
    for who in ("staff_b", "officer_a", "staff_a_emergency"):
        with pytest.raises(PermissionDenied):
            services.issue_notices(actor=users[who], run=run, issued_on=datetime.date(2026, 1, 15))


# --- 4. reports and their versions ---------------------------------------------------------------------------


def test_a_report_is_drafted_returned_revised_and_accepted_and_every_version_kept(loop, enterprise_a, agency_a):
    notice = noticed(loop, enterprise_a, agency_a)
    officer, staff = loop["officer"], loop["staff"]
    draft = services.save_report(actor=officer, notice=notice, data={"immediate_measures": "停机检修"})
    with pytest.raises(ValidationError) as err:  # immediate measures first; the analysis is still missing
        services.submit_report(actor=officer, report=draft)
    assert {"self_inspection", "case_analyses", "post_measures", "causes_found"} <= set(err.value.message_dict)
    draft.refresh_from_db()
    assert draft.state == "draft"

    v1 = services.save_report(actor=officer, notice=notice, data=complete(notice))
    assert v1.pk == draft.pk
    services.submit_report(actor=officer, report=v1)
    with pytest.raises(ValidationError):  # under review: nothing to edit
        services.save_report(actor=officer, notice=notice, data={"self_inspection": "改"})
    with pytest.raises(ValidationError):
        services.return_report(actor=staff, report=v1, reason="短")
    services.return_report(actor=staff, report=v1, reason="事故原因分析不够深入，请补充")

    v2 = services.save_report(actor=officer, notice=notice, data={"self_inspection": "再次排查隐患15处"})
    assert (v2.version, v2.immediate_measures) == (2, "立即停用冲床并加装防护罩")  # carried over
    v1.refresh_from_db()
    assert (v1.state, v1.self_inspection) == ("returned", "全厂排查冲压岗位隐患12处")
    services.submit_report(actor=officer, report=v2)
    services.accept_report(actor=staff, report=v2, comment="同意")
    notice.refresh_from_db()
    assert notice.state == "rectified"
    assert list(notice.reports.order_by("version").values_list("state", flat=True)) == ["returned", "accepted"]
    assert [e.verb for e in notice.events.all()] == [
        "notice_issued",
        "report_submitted",
        "report_returned",
        "report_submitted",
        "report_accepted",
    ]
    with pytest.raises(ValidationError):
        services.save_report(actor=officer, notice=notice, data={"self_inspection": "x"})


def test_only_the_enterprise_files_and_only_the_issuing_agency_reviews(loop, users, enterprise_a, agency_a):
    notice = noticed(loop, enterprise_a, agency_a)
    with pytest.raises(PermissionDenied):
        services.save_report(actor=users["officer_b"], notice=notice, data={})
    report = services.save_report(actor=loop["officer"], notice=notice, data=complete(notice))
    services.submit_report(actor=loop["officer"], report=report)
    for who in ("staff_b", "officer_a", "staff_a_emergency"):
        with pytest.raises(PermissionDenied):
            services.accept_report(actor=users[who], report=report)


def test_two_open_versions_are_refused_by_the_database(loop, enterprise_a, agency_a):
    notice = noticed(loop, enterprise_a, agency_a)
    services.save_report(actor=loop["officer"], notice=notice, data={})
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationReport.objects.create(notice=notice, version=2, created_by=loop["officer"])


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("整改照片.png", PNG, True),
        ("整改报告.pdf", PDF, True),
        ("整改报告.pdf", PNG, False),  # content and name disagree
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, False),
        ("说明.docx", b"PK\x03\x04not really a zip", False),
    ],
)
def test_attachments_are_checked_by_content(loop, enterprise_a, agency_a, settings, tmp_path, name, content, ok):
    settings.MEDIA_ROOT = tmp_path
    notice = noticed(loop, enterprise_a, agency_a)
    report = services.save_report(actor=loop["officer"], notice=notice, data={})
    upload = SimpleUploadedFile(name, content)
    if ok:
        attachment = services.add_attachment(actor=loop["officer"], report=report, upload=upload)
        assert attachment.name == name and attachment.size == len(content)
    else:
        with pytest.raises(ValidationError) as err:
            services.add_attachment(actor=loop["officer"], report=report, upload=upload)
        assert "file" in err.value.message_dict
        assert report.attachments.count() == 0


def test_a_revised_version_keeps_the_returned_versions_files(loop, enterprise_a, agency_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    notice = noticed(loop, enterprise_a, agency_a)
    v1 = services.save_report(actor=loop["officer"], notice=notice, data=complete(notice))
    services.add_attachment(actor=loop["officer"], report=v1, upload=SimpleUploadedFile("整改照片.png", PNG))
    services.submit_report(actor=loop["officer"], report=v1)
    services.return_report(actor=loop["staff"], report=v1, reason="照片不清晰，请补充")
    v2 = services.save_report(actor=loop["officer"], notice=notice, data={})
    [copy] = v2.attachments.all()
    services.remove_attachment(actor=loop["officer"], attachment=copy)
    assert [a.name for a in v1.attachments.all()] == ["整改照片.png"]  # the returned version is as it was filed
    assert v1.attachments.get().file.read() == PNG


def test_attachments_over_the_size_limit_are_refused(loop, enterprise_a, agency_a, settings, tmp_path):
    settings.MEDIA_ROOT, settings.PREVENTION_ATTACHMENT_MAX_BYTES = tmp_path, 1024 * 1024
    notice = noticed(loop, enterprise_a, agency_a)
    report = services.save_report(actor=loop["officer"], notice=notice, data={})
    big = SimpleUploadedFile("大文件.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError, match="1 MB"):
        services.add_attachment(actor=loop["officer"], report=report, upload=big)


# --- 10. extensions -------------------------------------------------------------------------------------------


def test_an_extension_is_asked_before_the_deadline_and_granted_to_a_working_day(
    loop, enterprise_a, agency_a, monkeypatch
):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 3, 10))  # deadline 2026-04-10
    monkeypatch.setattr(services, "_today", lambda: datetime.date(2026, 4, 1))
    with pytest.raises(ValidationError) as err:
        services.request_extension(
            actor=loop["officer"], notice=notice, requested_date=datetime.date(2026, 4, 9), reason="设备到货延迟"
        )
    assert "requested_date" in err.value.message_dict
    ext = services.request_extension(
        actor=loop["officer"], notice=notice, requested_date=datetime.date(2026, 5, 1), reason="防护设备到货延迟"
    )
    with pytest.raises(ValidationError):  # one pending request at a time
        services.request_extension(
            actor=loop["officer"], notice=notice, requested_date=datetime.date(2026, 5, 8), reason="再延"
        )
    services.decide_extension(actor=loop["staff"], extension=ext, grant=True, reason="理由充分")
    notice.refresh_from_db()
    ext.refresh_from_db()
    # 05-01 … 05-05 are the Labour Day holiday
    assert (notice.original_deadline, notice.deadline) == (datetime.date(2026, 4, 10), datetime.date(2026, 5, 6))
    assert (ext.state, ext.granted_date) == ("granted", datetime.date(2026, 5, 6))
    assert [e.verb for e in notice.events.all()][-2:] == ["extension_requested", "extension_granted"]


def test_a_refusal_needs_a_reason_and_no_extension_after_the_deadline(loop, enterprise_a, agency_a, monkeypatch):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 3, 10))
    monkeypatch.setattr(services, "_today", lambda: datetime.date(2026, 4, 1))
    ext = services.request_extension(
        actor=loop["officer"], notice=notice, requested_date=datetime.date(2026, 4, 20), reason="人员不足无法完成"
    )
    with pytest.raises(ValidationError):
        services.decide_extension(actor=loop["staff"], extension=ext, grant=False, reason="")
    services.decide_extension(actor=loop["staff"], extension=ext, grant=False, reason="期限内完全可以完成")
    assert DeadlineExtension.objects.get().state == "refused"
    monkeypatch.setattr(services, "_today", lambda: datetime.date(2026, 4, 11))
    with pytest.raises(ValidationError):
        services.request_extension(
            actor=loop["officer"], notice=notice, requested_date=datetime.date(2026, 4, 30), reason="再次申请延期"
        )


# --- 5. escalation -------------------------------------------------------------------------------------------


def test_overdue_the_day_after_the_deadline_not_on_it(loop, users, enterprise_a, agency_a, agency_a_emergency):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 9, 1))  # deadline 2026-10-08
    assert services.escalate(today=datetime.date(2026, 10, 8))["overdue"] == 0
    assert services.escalate(today=datetime.date(2026, 10, 9))["overdue"] == 1
    notice.refresh_from_db()
    assert notice.state == "supervised"
    supervision = Outcome.objects.get(kind="supervision")
    referral = Outcome.objects.get(kind="penalty", notice=notice)
    assert supervision.evidence == {
        "deadline": "2026-10-08",
        "checked_on": "2026-10-09",
        "days_overdue": 1,
        "report": "none",
    }
    assert referral.referred_to == agency_a_emergency
    assert services.escalate(today=datetime.date(2026, 10, 10))["overdue"] == 0
    assert Outcome.objects.filter(notice=notice, trigger="overdue").count() == 2


def test_a_submitted_but_unaccepted_report_does_not_stop_supervision_an_accepted_one_does(
    loop, regions, industry, enterprise_a, agency_a
):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 9, 1))
    report = services.save_report(actor=loop["officer"], notice=notice, data=complete(notice))
    services.submit_report(actor=loop["officer"], report=report)
    services.escalate(today=datetime.date(2026, 10, 9))
    assert Outcome.objects.get(kind="supervision").evidence["report"] == "submitted"

    other = EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency_a)
    officer = users_for(other)
    for d in range(3):
        make_case(other, agency_a, datetime.date(2025, 4, 1 + d))
    run = services.run_screening(actor=loop["staff"], region=loop["region"], kind="rolling", window=Y2025)
    services.issue_notices(actor=loop["staff"], run=run, issued_on=datetime.date(2026, 9, 1))
    second = NoticeLetter.objects.get(enterprise=other)
    rep = services.save_report(actor=officer, notice=second, data=complete(second))
    services.submit_report(actor=officer, report=rep)
    services.accept_report(actor=loop["staff"], report=rep)
    services.escalate(today=datetime.date(2026, 10, 9))
    assert not Outcome.objects.filter(notice=second, trigger="overdue").exists()


def users_for(enterprise):
    from tests.factories import UserFactory

    return UserFactory(role="safety_officer", agency=None, enterprise=enterprise)


@pytest.mark.parametrize(
    ("last_year", "this_year", "passed"),
    [(100, 70, True), (100, 71, False), (10, 7, True), (0, 0, True), (0, 1, False)],
)
def test_four_month_review_needs_a_30_percent_cut(last_year, this_year, passed):
    city = {"window": [], "previous_window": [], "city_cases": 1000, "city_insured": 10, "city_rate": "100000.00"}
    verdict = services.review_verdict({"cases": this_year, "cases_last_year": last_year, "insured": 0}, city)
    assert verdict["passed"] is passed
    assert verdict["down_30"] is passed


def test_four_month_review_lists_a_rate_above_the_city_average():
    city = {"window": [], "previous_window": [], "city_cases": 10, "city_insured": 1000, "city_rate": "10.00"}
    above = services.review_verdict({"cases": 1, "cases_last_year": 10, "insured": 50}, city)  # 20 ‰ > 10 ‰
    assert (above["down_30"], above["above_city"], above["passed"]) == (True, True, False)
    level = services.review_verdict({"cases": 1, "cases_last_year": 10, "insured": 100}, city)  # 10 ‰ = 10 ‰
    assert level["passed"] is True


def test_four_months_after_the_notice_the_enterprise_is_reviewed_once(loop, enterprise_a, agency_a):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 3, 10))
    # the screened cases (2025-03-01 … 03) lie before last year's window (2025-03-10 … 2025-07-09)
    for d in range(10):
        make_case(enterprise_a, agency_a, datetime.date(2025, 4, 1 + d))
    for d in range(8):
        make_case(enterprise_a, agency_a, datetime.date(2026, 4, 1 + d))
    assert services.escalate(today=datetime.date(2026, 7, 9))["reviewed"] == 0  # the day before
    assert services.escalate(today=datetime.date(2026, 7, 10))["reviewed"] == 1
    listed = Outcome.objects.get(notice=notice, trigger="four_months")
    assert listed.kind == "listed"
    assert (listed.evidence["cases"], listed.evidence["cases_last_year"], listed.evidence["cut"]) == (8, 10, "0.2000")
    assert listed.evidence["window"] == ["2026-03-10", "2026-07-09"]
    assert services.escalate(today=datetime.date(2026, 7, 11))["reviewed"] == 0


def test_a_serious_case_is_referred_for_a_penalty_at_its_first_occurrence(
    users, enterprise_a, agency_a, agency_a_emergency, django_capture_on_commit_callbacks
):
    minor = make_case(enterprise_a, agency_a, datetime.date(2026, 10, 1))
    fatal = make_case(enterprise_a, agency_a, datetime.date(2026, 10, 2), severity="fatal")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate(today=datetime.date(2026, 11, 1))["referred"] == 1
    referral = Outcome.objects.get(kind="penalty")
    assert (referral.case, referral.referred_to, referral.evidence["severity"]) == (fatal, agency_a_emergency, "fatal")
    assert not Outcome.objects.filter(case=minor).exists()
    assert Notification.objects.filter(recipient=users["staff_a_emergency"]).exists()
    assert services.escalate(today=datetime.date(2026, 11, 2))["referred"] == 0


# --- 8. reminders -------------------------------------------------------------------------------------------


def test_reminders_go_once_and_only_to_those_who_still_owe(loop, users, enterprise_a, agency_a):
    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 3, 10))  # deadline 2026-04-10
    inbox = Notification.objects.filter(recipient=users["officer_a"], title__contains="04-10", level="warning")
    assert services.send_reminders(today=datetime.date(2026, 4, 2)) == 0  # 8 days before
    assert services.send_reminders(today=datetime.date(2026, 4, 3)) == 1  # 7 days before
    assert services.send_reminders(today=datetime.date(2026, 4, 4)) == 0
    assert inbox.count() == 1
    assert services.send_reminders(today=datetime.date(2026, 4, 9)) == 1  # the day before
    report = services.save_report(actor=loop["officer"], notice=notice, data=complete(notice))
    services.submit_report(actor=loop["officer"], report=report)
    assert services.send_reminders(today=datetime.date(2026, 4, 11)) == 0  # submitted: owes nothing now
    assert list(Reminder.objects.values_list("kind", flat=True).order_by("sent_at")) == ["week", "day"]


# --- 6. recognition -----------------------------------------------------------------------------------------


def test_advanced_units_cut_cases_by_30_percent_and_stay_below_the_city_rate(
    loop, regions, industry, enterprise_a, agency_a
):
    officer = loop["officer"]
    # enterprise_a: multi-incident in 2025 (10 cases), rectified, 6 cases in 2026 (-40 %), 6 ‰ < city
    for d in range(10):
        make_case(enterprise_a, agency_a, datetime.date(2025, 3, 1 + d))
    for d in range(6):
        make_case(enterprise_a, agency_a, datetime.date(2026, 3, 1 + d))
    insure(enterprise_a, agency_a, 2026, 1000)
    # a small enterprise with many cases raises the city average
    small = EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency_a)
    for d in range(20):
        make_case(small, agency_a, datetime.date(2026, 5, 1 + d))
    insure(small, agency_a, 2026, 100)
    run = screen(loop)
    services.issue_notices(actor=loop["staff"], run=run, issued_on=datetime.date(2026, 1, 15))
    notice = NoticeLetter.objects.get(enterprise=enterprise_a)
    report = services.save_report(actor=officer, notice=notice, data=complete(notice))
    services.submit_report(actor=officer, report=report)
    assert services.recognition_candidates(region=loop["region"], year=2026) == []  # not yet accepted
    services.accept_report(actor=loop["staff"], report=report)
    [candidate] = services.recognition_candidates(region=loop["region"], year=2026)
    assert (candidate["enterprise_id"], candidate["cut"], candidate["rate"]) == (enterprise_a.pk, "0.4000", "6.00")
    assert services.propose_advanced(actor=loop["staff"], region=loop["region"], year=2026, agency=agency_a) == 1
    assert services.propose_advanced(actor=loop["staff"], region=loop["region"], year=2026, agency=agency_a) == 0
    assert Outcome.objects.get(kind="advanced").rank == 1


def test_at_most_four_benchmarks_per_industry(loop, users, regions, industry, agency_a):
    enterprises = [
        EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency_a) for _ in range(5)
    ]
    division = industry.parent.parent
    for e in enterprises[:4]:
        services.mark_benchmark(actor=loop["staff"], enterprise=e, year=2026, industry=division, note="示范")
    with pytest.raises(ValidationError):
        services.mark_benchmark(actor=loop["staff"], enterprise=enterprises[4], year=2026, industry=division)
    with pytest.raises(PermissionDenied):
        services.mark_benchmark(actor=users["staff_b"], enterprise=enterprises[4], year=2026, industry=division)


# --- 7. bulletins ----------------------------------------------------------------------------------------------


def test_a_bulletin_from_a_case_takes_no_personal_data(users, regions, enterprise_a, agency_a):
    case = make_case(enterprise_a, agency_a, local(2026, 6, 18, 14))
    text = {
        "title": "冲压伤害典型事故",
        "summary": "某五金企业冲压工在作业中被冲床压伤手指",
        "cause_analysis": "防护罩缺失",
        "lessons": "加装防护",
    }
    bulletin = services.draft_bulletin(actor=users["staff_a"], data=dict(text), case=case)
    assert (bulletin.occurred_in, bulletin.region, bulletin.industry) == (
        datetime.date(2026, 6, 1),
        agency_a.region,  # the author's county, not the town of the case (it could point at the enterprise)
        enterprise_a.industry,
    )
    assert bulletin.published_at is None
    with pytest.raises(ValidationError):
        services.draft_bulletin(
            actor=users["staff_a"], data={**text, "summary": f"{enterprise_a.name}冲压工受伤"}, case=case
        )
    with pytest.raises(ValidationError):
        services.draft_bulletin(actor=users["staff_a"], data={**text, "lessons": "王小五违规操作"}, case=case)
    services.publish_bulletin(actor=users["staff_a"], bulletin=bulletin)
    assert list(type(bulletin).objects.public()) == [bulletin]
    with pytest.raises(PermissionDenied):
        services.publish_bulletin(actor=users["staff_b"], bulletin=bulletin)


# --- jobs ------------------------------------------------------------------------------------------------------


def test_the_annual_screening_runs_on_the_regions_date_and_once(loop, enterprise_a, agency_a):
    for d in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 3, 1 + d))
    assert services.annual_screenings(today=datetime.date(2026, 1, 14)) == []
    [run_id] = services.annual_screenings(today=datetime.date(2026, 1, 15))  # the default date: 15 January
    run = ScreeningRun.objects.get(pk=run_id)
    assert (run.kind, run.period_start, run.period_end, run.notices.count()) == (
        "annual",
        datetime.date(2025, 1, 1),
        datetime.date(2025, 12, 31),
        1,
    )
    assert services.annual_screenings(today=datetime.date(2026, 1, 15)) == [run_id]
    assert NoticeLetter.objects.count() == 1


def test_notices_to_many_enterprises_send_few_messages(
    loop, regions, industry, agency_a, monkeypatch, django_capture_on_commit_callbacks
):
    from portal import jobs

    sent = []
    monkeypatch.setattr(jobs, "send_now", lambda name, args, kwargs: sent.append(name) or True)
    enterprises = EnterpriseFactory.create_batch(30, region=regions["a_town"], industry=industry, owner_agency=agency_a)
    for e in enterprises:
        users_for(e)
        make_case(e, agency_a, datetime.date(2025, 6, 1), severity="serious")
    run = screen(loop)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.issue_notices(actor=loop["staff"], run=run, issued_on=datetime.date(2026, 1, 15)) == 30
    assert Notification.objects.filter(recipient__enterprise__in=enterprises).count() == 30
    assert sent.count("portal.notifications.tasks.send_notification_emails") == 1


def test_window_shift_keeps_29_february():
    assert Window(datetime.date(2024, 2, 29), datetime.date(2024, 6, 28)).shifted_years(-1).start == datetime.date(
        2023, 2, 28
    )


def test_the_regions_insured_employees_are_counted_as_the_statistics_service_counts_them(
    regions, industry, enterprise_a, agency_a
):
    from incidents.analysis.stats import Selection, Stats
    from incidents.prevention import selectors

    half = EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency_a)
    insure(enterprise_a, agency_a, 2025, 300)
    insure(half, agency_a, 2025, 100, quarters=(1, 2))  # insured for the first half-year only
    make_case(enterprise_a, agency_a, datetime.date(2025, 5, 1))
    cases, insured = selectors.region_totals(regions["a"], Y2025)
    assert (cases, insured) == (1, 350)  # quarters 400, 400, 300, 300
    stats = Stats(Selection.year(2025, region=regions["a"]), source="rows").totals()
    assert insured == round(stats["insured"])


def test_the_regions_insured_employees_come_from_the_summary_table_once_it_is_built(
    regions, industry, enterprise_a, agency_a
):
    from incidents.analysis import cubes
    from incidents.analysis.signals import _local
    from incidents.prevention import selectors

    half = EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency_a)
    insure(enterprise_a, agency_a, 2025, 300)
    insure(half, agency_a, 2025, 100, quarters=(1, 2))
    from_rows = selectors.region_totals(regions["a"], Y2025)
    cubes.rebuild()
    _local.pending = None
    from enterprises.models import InsuranceSnapshot

    InsuranceSnapshot.objects.filter(enterprise=half).delete()  # the summary table is not told (no commit here)
    assert from_rows == (0, 350)
    assert selectors.region_totals(regions["a"], Y2025) == (0, 350)  # read from the table, not the rows


def test_e_mail_jobs_are_queued_only_for_recipients_with_an_address(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    from portal import jobs
    from portal.notifications.services import notify_many

    sent = []
    monkeypatch.setattr(jobs, "send_now", lambda name, args, kwargs: sent.append(args) or True)
    silent = users["expert"]
    silent.email = ""
    silent.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notify_many([Notification(recipient=u, title="提醒") for u in (users["officer_a"], silent)])
    assert Notification.objects.filter(title="提醒").count() == 2  # both inboxes
    [(ids,)] = sent
    assert ids == [Notification.objects.get(title="提醒", recipient=users["officer_a"]).pk]


def test_an_enterprise_under_supervision_still_sees_and_is_reminded_of_the_report_it_owes(
    loop, users, enterprise_a, agency_a
):
    from incidents.prevention.todo import prevention_todos

    notice = noticed(loop, enterprise_a, agency_a, issued_on=datetime.date(2026, 9, 1))  # deadline 2026-10-08
    services.escalate(today=datetime.date(2026, 10, 9))
    notice.refresh_from_db()
    assert notice.state == "supervised"
    [todo] = [t for t in prevention_todos(users["officer_a"]) if t.url == notice.get_absolute_url()]
    assert todo.level == "danger"
    assert services.send_reminders(today=datetime.date(2026, 10, 10)) == 1  # the overdue reminder
    report = services.save_report(actor=loop["officer"], notice=notice, data=complete(notice))
    services.submit_report(actor=loop["officer"], report=report)
    assert not [t for t in prevention_todos(users["officer_a"]) if t.url == notice.get_absolute_url()]


def screened(runs) -> dict:
    """{region code: (its results, their posts, its totals)} of screening runs."""
    return {
        run.region.code: (
            sorted(run.results.values_list("enterprise", "category", "cases", "serious", "insured", "by_count")),
            sorted((r.enterprise_id, p.post, p.cases) for r in run.results.all() for p in r.high_incident_posts),
            (run.multi_incident, run.general, run.city_cases),
        )
        for run in runs
    }


def test_several_regions_screened_together_read_the_cases_once_and_get_what_each_alone_gets(
    loop, regions, enterprise_a, enterprise_b, agency_a, agency_b
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for d in range(3):
        make_case(enterprise_a, agency_a, datetime.date(2025, 4, 1 + d), post="冲压工" if d else "装配工")
    make_case(enterprise_b, agency_b, datetime.date(2025, 6, 1), severity="serious", post="焊工")
    make_case(enterprise_b, agency_b, datetime.date(2025, 6, 2), post="焊工")
    make_case(enterprise_b, agency_b, datetime.date(2024, 6, 2), post="焊工")  # outside the window
    insure(enterprise_a, agency_a, 2025, 1000)  # 3 ‰: under the rate threshold
    rules = {"a": loop["rule"]}
    for key, min_cases in (("zhejiang", 2), ("jinhua", 4), ("b", 3), ("a_town", 2)):
        rules[key] = ScreeningRule.objects.create(
            region=regions[key], version=1, state=ScreeningRule.State.PUBLISHED, owner_agency=agency_a,
            min_cases=min_cases, note="测试", created_by=loop["staff"],
        )  # fmt: skip
    jobs = [services.ScreeningJob(regions[key], rule, agency_a) for key, rule in rules.items()]

    outcome = screened
    with CaptureQueriesContext(connection) as ctx:
        together = services.run_screenings(jobs=jobs, kind="annual", window=Y2025)
    passes = [q["sql"] for q in ctx.captured_queries if "incidents_injurycase" in q["sql"]]
    assert len(passes) == 2  # the four tiered regions' shared one, the town's own
    alone = [services._run_job(job, "rolling", Y2025) for job in jobs]
    assert outcome(together) == outcome(alone)
    assert outcome(together)[regions["zhejiang"].code][0] == [
        (enterprise_a.pk, "multi", 3, 0, 1000, True),
        (enterprise_b.pk, "multi", 2, 1, 0, True),
    ]
    assert outcome(together)[regions["jinhua"].code][0] == [
        (enterprise_a.pk, "general", 3, 0, 1000, False),
        (enterprise_b.pk, "multi", 2, 1, 0, False),  # by its serious case
    ]
    with connection.cursor() as cursor:  # the shared table is gone
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute(f"SELECT 1 FROM {services.SHARED_POST_TABLE}")  # noqa: S608 - a constant
    with CaptureQueriesContext(connection) as ctx:
        again = services.run_screenings(jobs=jobs, kind="annual", window=Y2025)
    assert [r.pk for r in again] == [r.pk for r in together]
    assert not [q for q in ctx.captured_queries if "incidents_injurycase" in q["sql"]]  # screened already: no pass


@pytest.fixture
def two_counties(loop, regions, enterprise_a, enterprise_b, agency_a, agency_b):
    """Jobs screening counties A and B (a level of its own, each with its rule) and what each region's run holds."""
    for d, post in enumerate(["冲压工", "装配工", "冲压工"]):
        make_case(enterprise_a, agency_a, datetime.date(2025, 4, 1 + d), post=post)
    make_case(enterprise_b, agency_b, datetime.date(2025, 6, 1), severity="fatal", post="焊工")
    rule_b = ScreeningRule.objects.create(
        region=regions["b"], version=1, state=ScreeningRule.State.PUBLISHED, owner_agency=agency_b, note="测试",
        created_by=loop["staff"],
    )  # fmt: skip
    jobs = [
        services.ScreeningJob(regions["a"], loop["rule"], agency_a),
        services.ScreeningJob(regions["b"], rule_b, agency_b),
    ]
    expected = {
        regions["a"].code: (
            [(enterprise_a.pk, "multi", 3, 0, 0, True)],
            [(enterprise_a.pk, "冲压工", 2), (enterprise_a.pk, "装配工", 1)],
            (1, 0, 3),
        ),
        regions["b"].code: ([(enterprise_b.pk, "multi", 1, 0, 0, False)], [(enterprise_b.pk, "焊工", 1)], (1, 0, 1)),
    }
    return jobs, expected


def test_regions_of_one_level_screened_together_share_counts_grouped_by_that_level_only(two_counties):
    """The yearly job's usual case (all provinces, or all counties): the shared table is grouped by the level's own
    column, a row per region, enterprise and post, which each region reads without grouping again."""
    from django.test.utils import CaptureQueriesContext

    jobs, expected = two_counties
    with CaptureQueriesContext(connection) as ctx:
        together = services.run_screenings(jobs=jobs, kind="annual", window=Y2025)
    [shared] = [q["sql"] for q in ctx.captured_queries if "CREATE TEMPORARY TABLE" in q["sql"]]
    assert "county_id" in shared and "province_id" not in shared and "city_id" not in shared
    alone = [services._run_job(job, "rolling", Y2025) for job in jobs]
    assert screened(together) == screened(alone) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite screens on its one connection (tests above)")
@pytest.mark.django_db(transaction=True)  # outside a transaction, as the yearly job runs
def test_the_yearly_job_screens_its_regions_on_two_connections(two_counties, monkeypatch):
    """On PostgreSQL the regions are screened on two connections of their own, which read the shared counts from
    an unlogged table (a temporary one is its session's only); the table is gone afterwards."""
    import threading

    jobs, expected = two_counties
    threads, seen, both = set(), [], threading.Barrier(2, timeout=60)  # each job waits for the other
    real = services._run_job

    def recording(*args, **kwargs):
        threads.add(threading.current_thread().name)
        with connection.cursor() as cursor:  # this thread's own connection sees the counts
            cursor.execute("SELECT COUNT(*) FROM " + services.SHARED_UNLOGGED_TABLE)  # noqa: S608 - a constant
            seen.append(cursor.fetchone()[0])
        both.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_run_job", recording)
    together = services.run_screenings(jobs=jobs, kind="annual", window=Y2025)
    assert len(threads) == 2 and threading.current_thread().name not in threads
    assert seen == [3, 3]  # a row per region, enterprise and post
    assert screened(together) == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [services.SHARED_UNLOGGED_TABLE])
        assert cursor.fetchone()[0] is None
