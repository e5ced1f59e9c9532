"""The key task list: seed 000's eleven tasks adopted as a template (schedules, agencies, idempotent), edits by the
secretariat only, progress reports by the lead and participating agencies, what is due and late on given days, the
yearly implementation report (fingerprint, versions, PDF and DOCX), the beat job, the pages and the demo command."""

import datetime
import hashlib
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from meetings.models import KeyTask, Member, TaskProgress, YearlyReport
from meetings.services import keytasks as services
from meetings.tasks.keytasks import compile_yearly_reports
from meetings.views import keytasks as views
from portal.models import AuditEvent
from portal.notifications.models import Notification
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def clock(monkeypatch):
    """``clock(date)``: the services' today (and now, at noon of that day)."""

    def set_day(day):
        monkeypatch.setattr(services, "_today", lambda: day)
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
        monkeypatch.setattr(services, "_now", lambda: moment)

    return set_day


@pytest.fixture
def region_agencies(committee, regions, agency_a, agency_a_emergency, agency_a_health):
    """All departments of seed 000 but 总工会 in 永康市."""
    agencies = {"hrss": agency_a, "emergency": agency_a_emergency, "health": agency_a_health}
    for kind, name in (
        ("housing", "永康市住房和城乡建设局"),
        ("transport", "永康市交通运输局"),
        ("finance", "永康市财政局"),
        ("industry", "永康市经济和信息化局"),
    ):
        agencies[kind] = AgencyFactory(name=name, region=regions["a"], kind=kind)
    return agencies


@pytest.fixture
def adopted(committee, users, region_agencies):
    """The template adopted when the five-year plan began (2021), so every period since owes its report."""
    services.adopt_template(actor=users["secretariat_a"], committee=committee)
    committee.tasks.update(created_at=timezone.make_aware(datetime.datetime(2021, 10, 8, 9)))
    return {t.number: t for t in committee.tasks.all()}


def test_periods_before_a_task_was_adopted_owe_no_report(committee, users, region_agencies, agency_a):
    services.adopt_template(actor=users["secretariat_a"], committee=committee)
    committee.tasks.update(created_at=timezone.make_aware(datetime.datetime(2026, 5, 12, 9)))
    states = {
        s.task.number: s.of(agency_a.pk).state for s in services.task_status(committee, datetime.date(2026, 5, 20))
    }
    assert states[1] == "due"  # quarterly: Q1 ended before adoption; Q2 is due
    assert states[3] == "due"  # first quarter: 31 March lay before adoption
    later = {
        s.task.number: s.of(agency_a.pk).state for s in services.task_status(committee, datetime.date(2026, 7, 20))
    }
    assert later[1] == "late"  # Q2 ended after adoption without a report


# (number, schedule, due_on, phase, lead kind, participant kinds)
EXPECTED = [
    (1, "quarterly", None, "", "hrss", ["housing", "transport", "health", "emergency"]),
    (2, "ongoing", None, "", "hrss", ["finance"]),
    (3, "first_quarter", None, "", "hrss", ["health", "housing", "transport", "emergency", "finance", "industry"]),
    (4, "ongoing", None, "", "hrss", ["housing", "transport", "health", "emergency", "finance", "industry"]),
    (5, "by_date", D(2022, 12, 31), "2021-2022", "hrss", ["housing", "transport", "emergency", "finance"]),
    (6, "by_date", D(2023, 12, 31), "", "hrss", ["industry", "finance", "health", "emergency"]),
    (7, "ongoing", None, "", "hrss", []),
    (8, "ongoing", None, "", "hrss", []),
    (9, "first_quarter", None, "", "hrss", []),
    (10, "by_date", D(2022, 12, 31), "2021-2022", "hrss", []),
    (11, "by_date", D(2025, 12, 31), "", "hrss", ["emergency", "finance"]),
]
TITLES = {
    1: "建立健全工伤防控机制",
    2: "严格落实工伤浮动费率机制",
    3: "开展工伤预防宣传全民行动",
    4: "开展重点行业工伤预防专项行动",
    5: "开展建设领域工伤保险扩面行动",
    6: "开展尘肺病防治攻坚行动",
    7: "实施“互联网+工伤预防”行动计划",
    8: "实施工伤预防专业化建设工程",
    9: "实施工伤提升工程",
    10: "建立工伤预防宣传教育基地",
    11: "加强工伤预防监督管理工作",
}


# --- the template ----------------------------------------------------------------------------------------------


def test_the_schedule_terms_of_seed_000():
    assert services.parse_schedule("每季度")[0] == "quarterly"
    assert services.parse_schedule("每年第一季度")[0] == "first_quarter"
    assert services.parse_schedule("每年一季度 2025年底前")[0] == "first_quarter"
    assert services.parse_schedule("持续推进") == ("ongoing", None, "")
    assert services.parse_schedule("2020年底前") == ("by_date", D(2020, 12, 31), "")
    assert services.parse_schedule("2022年底 前") == ("by_date", D(2022, 12, 31), "2021-2022")
    assert services.parse_schedule("2023-2024年") == ("by_date", D(2024, 12, 31), "2023-2024")
    assert services.parse_schedule("2025年底前") == ("by_date", D(2025, 12, 31), "2025")
    assert services.parse_departments("市人社局牵头 持续推进") == ["hrss"]
    assert services.parse_departments("市人社局、市住建局、市总工会") == ["hrss", "housing", "union"]
    assert len(services.parse_departments("市人社局等8部门")) == 8


def test_the_template_names_its_source_and_keeps_the_wording():
    data = services.load_template()
    assert "seed 000" in data["source"] and "重点工作任务清单" in data["source"]
    tasks = services.template_tasks()
    assert [t.number for t in tasks] == list(range(1, 12))
    assert {t.number: t.title for t in tasks} == TITLES
    measures = {t.number: t.measures for t in tasks}
    assert "每季度报送一次重点行业" in measures[1]
    assert "定期通报尘肺病等职业病预防控制措施不达标责任主体名单。" in measures[6] and "2020年底前" in measures[6]
    assert "按不超过统筹地区上年度工伤保险基金征收收入3%的比例" in measures[11]


def test_adopting_the_template_maps_all_eleven_tasks(committee, users, region_agencies):
    result = services.adopt_template(actor=users["secretariat_a"], committee=committee)
    assert len(result.created) == 11
    tasks = {t.number: t for t in committee.tasks.prefetch_related("lead_agencies", "participants")}
    for number, schedule, due_on, phase, lead, participants in EXPECTED:
        task = tasks[number]
        assert (task.title, task.schedule, task.due_on, task.phase, task.template_number) == (
            TITLES[number],
            schedule,
            due_on,
            phase,
            number,
        ), number
        assert [a.kind for a in task.lead_agencies.all()] == [lead]
        assert sorted(a.kind for a in task.participants.all()) == sorted(participants), number
    # 总工会 has no agency in the region: skipped and reported for the tasks that name it
    assert result.missing == {3: ["市总工会"], 4: ["市总工会"], 6: ["市总工会"]}
    assert result.missing_departments == ["市总工会"]
    assert AuditEvent.objects.filter(verb="create", object_type="meetings.keytask").count() == 11


def test_adopting_twice_adds_nothing(committee, users, region_agencies):
    services.adopt_template(actor=users["secretariat_a"], committee=committee)
    again = services.adopt_template(actor=users["secretariat_a"], committee=committee)
    assert again.created == [] and len(again.kept) == 11
    assert committee.tasks.count() == 11


def test_a_taken_number_moves_the_template_task_to_the_end(committee, users, region_agencies):
    services.create_task(
        actor=users["secretariat_a"],
        committee=committee,
        data={
            "number": 1,
            "title": "本地任务",
            "measures": "x",
            "schedule": "ongoing",
            "lead_agencies": [region_agencies["hrss"]],
        },
    )
    services.adopt_template(actor=users["secretariat_a"], committee=committee)
    assert committee.tasks.get(template_number=1).number == 12


def test_only_the_secretariat_changes_the_task_list(committee, users, adopted, region_agencies):
    for name in ("staff_a", "admin_a", "staff_a_emergency", "staff_b"):
        with pytest.raises(PermissionDenied):
            services.adopt_template(actor=users[name], committee=committee)
        with pytest.raises(PermissionDenied):
            services.update_task(actor=users[name], task=adopted[1], data={"title": "x"})
        with pytest.raises(PermissionDenied):
            services.create_task(actor=users[name], committee=committee, data={"title": "x"})
    task = services.create_task(
        actor=users["secretariat_a"],
        committee=committee,
        data={
            "number": 12,
            "title": "建立工伤预防示范企业",
            "measures": "每年评选示范企业。",
            "schedule": "by_date",
            "due_on": D(2026, 6, 30),
            "phase": "2025",
            "lead_agencies": [region_agencies["hrss"]],
            "participants": [region_agencies["emergency"]],
        },
    )
    assert task.number == 12 and list(task.participants.all()) == [region_agencies["emergency"]]
    with pytest.raises(ValidationError):  # a date is required for by_date
        services.create_task(
            actor=users["secretariat_a"],
            committee=committee,
            data={
                "number": 13,
                "title": "x",
                "measures": "x",
                "schedule": "by_date",
                "lead_agencies": [task.lead_agencies.first()],
            },
        )
    with pytest.raises(ValidationError):  # an agency of another region
        services.update_task(actor=users["secretariat_a"], task=task, data={"participants": [users["staff_b"].agency]})
    services.deactivate_task(actor=users["secretariat_a"], task=task)
    task.refresh_from_db()
    assert not task.is_active
    assert AuditEvent.objects.filter(verb="update", object_type="meetings.keytask", object_id=str(task.pk)).exists()


# --- progress ------------------------------------------------------------------------------------------------


def test_agencies_report_only_on_their_tasks_and_for_themselves(adopted, users, clock):
    clock(D(2026, 5, 10))
    with pytest.raises(PermissionDenied):  # 卫健 is not on task 2
        services.report_progress(
            actor=users["staff_a_health"], task=adopted[2], year=2026, quarter=1, status="on_track", text="x"
        )
    with pytest.raises(PermissionDenied):  # another region
        services.report_progress(
            actor=users["staff_b"], task=adopted[1], year=2026, quarter=1, status="on_track", text="x"
        )
    with pytest.raises(PermissionDenied):
        services.report_progress(
            actor=users["officer_a"], task=adopted[1], year=2026, quarter=1, status="on_track", text="x"
        )
    report, created = services.report_progress(
        actor=users["staff_a_health"], task=adopted[1], year=2026, quarter=1, status="on_track", text="季度信息已报送"
    )
    assert created and report.agency == users["staff_a_health"].agency and report.reported_by == users["staff_a_health"]
    assert AuditEvent.objects.filter(verb="create", object_type="meetings.taskprogress").count() == 1


def test_one_report_per_period_changeable_until_compiled(adopted, users, clock, committee):
    clock(D(2026, 5, 10))
    task = adopted[2]
    first, created = services.report_progress(
        actor=users["staff_a"], task=task, year=2026, quarter=0, status="on_track", text="a"
    )
    again, created_again = services.report_progress(
        actor=users["staff_a"], task=task, year=2026, quarter=0, status="delayed", text="b"
    )
    assert created and not created_again and first.pk == again.pk
    assert TaskProgress.objects.get(pk=first.pk).text == "b"
    with pytest.raises(ValidationError):  # quarterly tasks: by quarter
        services.report_progress(
            actor=users["staff_a"], task=adopted[1], year=2026, quarter=0, status="on_track", text="x"
        )
    with pytest.raises(ValidationError):  # a period that has not begun
        services.report_progress(actor=users["staff_a"], task=task, year=2026, quarter=3, status="on_track", text="x")
    clock(D(2026, 5, 11))
    services.compile_yearly_report(committee, 2026, actor=users["secretariat_a"])
    with pytest.raises(ValidationError):
        services.report_progress(actor=users["staff_a"], task=task, year=2026, quarter=0, status="done", text="c")
    # a new period may still be reported
    services.report_progress(actor=users["staff_a"], task=task, year=2026, quarter=2, status="on_track", text="d")
    services.deactivate_task(actor=users["secretariat_a"], task=task)
    task.refresh_from_db()
    with pytest.raises(ValidationError):
        services.report_progress(actor=users["staff_a"], task=task, year=2026, quarter=1, status="on_track", text="x")


# --- due and late ----------------------------------------------------------------------------------------------


def states(committee, day, number):
    state = next(s for s in services.task_status(committee, day) if s.task.number == number)
    return {a.agency.kind: a.state for a in state.agencies}


def report(user, task, year, quarter, status="on_track"):
    return services.report_progress(actor=user, task=task, year=year, quarter=quarter, status=status, text="进展")[0]


def test_a_quarterly_task_is_late_without_the_last_ended_quarter(committee, adopted, users, clock):
    clock(D(2026, 5, 10))
    assert states(committee, D(2026, 5, 10), 1)["hrss"] == "late"
    report(users["staff_a"], adopted[1], 2026, 1)
    row = states(committee, D(2026, 5, 10), 1)
    assert row["hrss"] == "due" and row["health"] == "late"
    report(users["staff_a"], adopted[1], 2026, 2)
    assert states(committee, D(2026, 5, 10), 1)["hrss"] == "reported"
    assert states(committee, D(2026, 7, 1), 1)["hrss"] == "due"  # Q2 reported, Q3 to come
    assert states(committee, D(2026, 10, 1), 1)["hrss"] == "late"  # Q3 ended without a report


def test_a_first_quarter_task_is_late_after_31_march(committee, adopted, users, clock):
    assert states(committee, D(2026, 3, 31), 9)["hrss"] == "due"
    assert states(committee, D(2026, 4, 1), 9)["hrss"] == "late"
    clock(D(2026, 4, 2))
    report(users["staff_a"], adopted[9], 2026, 1)
    assert states(committee, D(2026, 4, 2), 9)["hrss"] == "reported"
    assert states(committee, D(2027, 4, 1), 9)["hrss"] == "late"  # next year again


def test_a_task_by_date_is_late_after_its_date_until_done(committee, adopted, users, clock):
    assert states(committee, D(2022, 12, 31), 5)["hrss"] == "due"
    assert states(committee, D(2023, 1, 1), 5)["hrss"] == "late"
    clock(D(2023, 2, 1))
    report(users["staff_a"], adopted[5], 2023, 1, status="on_track")
    assert states(committee, D(2023, 2, 1), 5)["hrss"] == "late"  # not done yet
    report(users["staff_a"], adopted[5], 2023, 0, status="done")
    row = states(committee, D(2023, 2, 1), 5)
    assert row["hrss"] == "done" and row["emergency"] == "late"


def test_an_ongoing_task_is_due_yearly_by_15_december(committee, adopted, users, clock):
    assert states(committee, D(2026, 12, 15), 2)["hrss"] == "due"
    assert states(committee, D(2026, 12, 16), 2)["hrss"] == "late"
    clock(D(2026, 12, 16))
    report(users["staff_a"], adopted[2], 2026, 4)
    assert states(committee, D(2026, 12, 16), 2) == {"hrss": "reported", "finance": "late"}


def test_the_todo_of_an_agency_with_late_reports(committee, adopted, users, clock):
    clock(D(2026, 5, 10))
    items = list(views.todos(users["staff_a_health"]))
    assert len(items) == 1 and items[0].level == "danger" and items[0].count == 3
    late = {s.task.number for s in services.late_tasks_of(users["staff_a_health"].agency, D(2026, 5, 10))}
    assert late == {1, 3, 6}  # quarterly Q1, first quarter (3), by 2023 (6); not ongoing 4 before 15 December
    assert list(views.todos(users["staff_b"])) == []
    assert list(views.todos(users["officer_a"])) == []


# --- the yearly report ---------------------------------------------------------------------------------------------


@pytest.fixture
def city_secretariat(users):
    return UserFactory(username="sec_city", role="secretariat", agency=users["staff_city"].agency)


def test_the_yearly_report_compiles_a_new_version_only_on_change(committee, adopted, users, clock, city_secretariat):
    clock(D(2026, 6, 1))
    report(users["staff_a"], adopted[1], 2026, 1)
    report(users["staff_a_emergency"], adopted[1], 2026, 1, status="delayed")
    report(users["staff_a"], adopted[5], 2026, 0, status="done")
    v1, created = services.compile_yearly_report(committee, 2026, actor=users["secretariat_a"])
    assert created and v1.version == 1 and v1.compiled_by == users["secretariat_a"]
    canonical = json.dumps(v1.content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert v1.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()
    task1 = next(t for t in v1.content["tasks"] if t["number"] == 1)
    assert [a["kind"] for a in task1["lead"]] == ["hrss"]
    agencies = {a["kind"]: a for a in task1["agencies"]}
    assert agencies["hrss"]["reports"][0]["quarter"] == 1 and agencies["health"]["status"] == "not_reported"
    assert task1["status"] == "delayed"
    assert next(t for t in v1.content["tasks"] if t["number"] == 5)["status"] == "done"
    assert next(t for t in v1.content["tasks"] if t["number"] == 7)["status"] == "not_reported"
    same, created = services.compile_yearly_report(committee, 2026)
    assert not created and same.pk == v1.pk
    report(users["staff_a_health"], adopted[1], 2026, 1)
    v2, created = services.compile_yearly_report(committee, 2026)
    assert created and v2.version == 2 and v2.fingerprint != v1.fingerprint and v2.compiled_by is None
    assert YearlyReport.objects.filter(committee=committee, year=2026).count() == 2
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"secretariat_a", "sec_city"}  # the committee's secretariat and the level above
    with pytest.raises(PermissionDenied):
        services.compile_yearly_report(committee, 2026, actor=users["staff_a"])


def test_the_beat_job_compiles_from_15_december_once_then_on_change(committee, adopted, users, clock):
    clock(D(2026, 12, 14))
    assert compile_yearly_reports() == []
    assert not YearlyReport.objects.exists()
    clock(D(2026, 12, 15))
    [first] = compile_yearly_reports()
    assert first["created"] and first["version"] == 1
    notified = Notification.objects.count()
    assert notified >= 1
    clock(D(2026, 12, 16))
    [again] = compile_yearly_reports()
    assert not again["created"] and again["report"] == first["report"]
    assert YearlyReport.objects.count() == 1 and Notification.objects.count() == notified
    report(users["staff_a"], adopted[2], 2026, 4)
    clock(D(2026, 12, 17))
    [changed] = compile_yearly_reports()
    assert changed["created"] and changed["version"] == 2
    assert Notification.objects.count() > notified


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdf_and_docx_hold_the_report(committee, adopted, users, clock):
    import docx

    clock(D(2026, 12, 15))
    report(users["staff_a"], adopted[1], 2026, 3)
    yearly, _created = services.compile_yearly_report(committee, 2026)
    with translation.override("zh-hans"):
        title = gettext("%(region)s %(year)s implementation report of the key work-injury prevention tasks") % {
            "region": "永康市",
            "year": 2026,
        }
    pdf = services.render_pdf(yearly)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "".join(title.split()) in text
    for number in (1, 6, 11):
        assert TITLES[number] in text
    assert "进展" in text and "永康市人力资源和社会保障局" in text
    data = services.render_docx(yearly)
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    assert title in paragraphs
    assert any(TITLES[9] in p for p in paragraphs)
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "进展" in cells and "永康市人力资源和社会保障局" in cells
    styles = document.styles.element.xml
    assert 'w:eastAsia="宋体"' in styles and 'w:eastAsia="黑体"' in styles


# --- pages ---------------------------------------------------------------------------------------------------------


def test_the_task_list_shows_due_and_late(committee, adopted, users, client_for, clock, django_assert_max_num_queries):
    clock(D(2026, 5, 10))
    report(users["staff_a"], adopted[1], 2026, 1)
    client = client_for(users["staff_a"])
    with django_assert_max_num_queries(25):
        page = client.get(reverse("meetings:task_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("data-task=") == 11
    assert 'data-task="1" data-state="late"' in text  # 应急 and 卫健 have not reported Q1
    assert 'data-testid="adopt-template"' not in text
    assert (
        'data-testid="adopt-template"'
        in client_for(users["secretariat_a"]).get(reverse("meetings:task_list")).content.decode()
    )
    assert client_for(users["staff_b"]).get(reverse("meetings:task_list")).status_code == 404  # 武义县: no committee
    assert (
        client_for(users["staff_b"]).get(reverse("meetings:task_list") + f"?committee={committee.pk}").status_code
        == 404
    )
    assert client_for(users["staff_b"]).get(reverse("meetings:task_detail", args=[adopted[1].pk])).status_code == 404


def test_the_task_page_and_reporting_through_it(committee, adopted, users, client_for, clock):
    clock(D(2026, 5, 10))
    client = client_for(users["staff_a_emergency"])
    page = client.get(reverse("meetings:task_detail", args=[adopted[1].pk]))
    assert page.status_code == 200 and "每季度报送一次" in page.content.decode()
    url = reverse("meetings:task_report", args=[adopted[1].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"year": 2026, "quarter": 1, "status": "on_track", "text": "已报送事故信息"})
    assert response.status_code == 302
    assert TaskProgress.objects.get(task=adopted[1], agency=users["staff_a_emergency"].agency).text == "已报送事故信息"
    bad = client.post(url, {"year": 2026, "quarter": 4, "status": "on_track", "text": "x"})
    assert bad.status_code == 200  # the quarter has not begun: an error on the form
    assert client.get(reverse("meetings:task_report", args=[adopted[7].pk])).status_code == 403  # not on task 7
    assert client_for(users["staff_b"]).get(url).status_code == 404


def test_the_secretariat_adopts_edits_and_compiles_through_the_pages(
    committee, users, client_for, region_agencies, clock
):
    clock(D(2026, 12, 15))
    client = client_for(users["secretariat_a"])
    response = client.post(reverse("meetings:task_adopt_template"), {"committee": committee.pk})
    assert response.status_code == 302 and committee.tasks.count() == 11
    client.post(reverse("meetings:task_adopt_template"), {"committee": committee.pk})
    assert committee.tasks.count() == 11
    task = committee.tasks.get(number=7)
    form = client.get(reverse("meetings:task_edit", args=[task.pk]))
    assert form.status_code == 200
    response = client.post(
        reverse("meetings:task_edit", args=[task.pk]),
        {
            "number": 7,
            "title": task.title,
            "measures": task.measures,
            "lead_agencies": [region_agencies["hrss"].pk],
            "participants": [region_agencies["industry"].pk],
            "schedule": "ongoing",
            "phase": "",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.is_active and list(task.participants.all()) == [region_agencies["industry"]]
    add = reverse("meetings:task_add") + f"?committee={committee.pk}"
    assert client.get(add).status_code == 200
    response = client.post(
        add,
        {
            "number": 12,
            "title": "新增任务",
            "measures": "措施",
            "lead_agencies": [region_agencies["hrss"].pk],
            "schedule": "quarterly",
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and committee.tasks.filter(number=12, is_active=True).exists()
    response = client.post(reverse("meetings:yearlyreport_compile"), {"committee": committee.pk, "year": 2026})
    yearly = YearlyReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("meetings:yearlyreport_detail", args=[yearly.pk])
    staff = client_for(users["staff_a"])
    assert staff.post(reverse("meetings:task_adopt_template"), {"committee": committee.pk}).status_code == 403
    assert (
        staff.post(reverse("meetings:yearlyreport_compile"), {"committee": committee.pk, "year": 2026}).status_code
        == 403
    )
    assert staff.get(reverse("meetings:task_edit", args=[task.pk])).status_code == 403


def test_yearly_report_pages_and_audited_downloads(
    committee, adopted, users, client_for, clock, django_assert_max_num_queries
):
    clock(D(2026, 12, 15))
    yearly, _created = services.compile_yearly_report(committee, 2026)
    client = client_for(users["staff_a_emergency"])
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("meetings:yearlyreport_list"))
    assert listing.status_code == 200 and f'data-report="{yearly.pk}"' in listing.content.decode()
    assert client.get(reverse("meetings:yearlyreport_detail", args=[yearly.pk])).status_code == 200
    pdf = client.get(reverse("meetings:yearlyreport_download", args=[yearly.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    word = client.get(reverse("meetings:yearlyreport_download", args=[yearly.pk, "docx"]))
    assert word.status_code == 200 and word["Content-Type"] == views.DOCX_CONTENT_TYPE
    assert AuditEvent.objects.filter(verb="export", object_type="meetings.yearlyreport").count() == 2
    assert client.get(reverse("meetings:yearlyreport_download", args=[yearly.pk, "xls"])).status_code == 404
    other = client_for(users["staff_b"])
    assert other.get(reverse("meetings:yearlyreport_detail", args=[yearly.pk])).status_code == 404
    assert other.get(reverse("meetings:yearlyreport_download", args=[yearly.pk, "pdf"])).status_code == 404
    # the city above sees the county's report (it is for the level above)
    assert (
        client_for(users["staff_city"]).get(reverse("meetings:yearlyreport_detail", args=[yearly.pk])).status_code
        == 200
    )


# --- the demo command ------------------------------------------------------------------------------------------


def test_load_demo_meetings_is_idempotent(users, regions, agency_a, agency_a_emergency, client_for):
    """On the shared fixtures (永康市 330784, its lead agency and secretariat) plus 卫健, 住建 and 交通运输 with one
    user each; ``load_demo`` gives the same shape with all eight agencies. Besides the committee and the key tasks,
    one run writes the joint-meeting workflow: the annual meeting replayed and closed, an upcoming meeting calling
    for items, a closed and an open solicitation. A second run adds nothing."""
    from meetings.models import ActionItem, ActionProgress, AgendaItem, Committee, Meeting, Reply, Solicitation
    from meetings.services import meetings as meeting_services
    from meetings.services import solicitations as solicitation_services

    agencies, staff = {"hrss": agency_a, "emergency": agency_a_emergency}, {}
    for kind, name, username in (
        ("health", "永康市卫生健康局", "weijian_t"),
        ("housing", "永康市住房和城乡建设局", "zhujian_t"),
        ("transport", "永康市交通运输局", "jiaotong_t"),
    ):
        agencies[kind] = AgencyFactory(name=name, region=regions["a"], kind=kind)
        staff[kind] = UserFactory(username=username, role="agency_staff", agency=agencies[kind])
    call_command("load_demo_meetings", stdout=io.StringIO())

    committee = Committee.objects.get(region=regions["a"])
    counts = (committee.members.count(), committee.tasks.count(), TaskProgress.objects.count())
    assert counts[1] == 11 and counts[2] >= 2
    roles = set(committee.members.filter(left_on__isnull=True).values_list("role", flat=True))
    assert roles == {Member.Role.CONVENER, Member.Role.DEPUTY, Member.Role.MEMBER, Member.Role.LIAISON}
    replaced = committee.members.get(left_on__isnull=False)
    assert replaced.replaced_by.get().joined_on == replaced.left_on
    for member in committee.members.all():
        member.full_clean()

    # the annual start-of-year meeting: replayed at its dates and closed
    annual = Meeting.objects.get(committee=committee, kind=Meeting.Kind.ANNUAL)
    assert annual.title.endswith("年度工伤预防工作联席会议第一次全体会议")
    assert annual.state == Meeting.State.CLOSED and annual.minutes and annual.chaired_by
    assert annual.starts_at < annual.minutes_published_at < timezone.now()
    assert annual.notice_sent_at < annual.starts_at
    proposal = annual.agenda_items.get(source=AgendaItem.Source.AGENCY)
    assert proposal.agency == agencies["emergency"] and proposal.state == AgendaItem.State.APPROVED
    assert proposal.proposed_at <= annual.agenda_cutoff
    replies = dict(annual.attendance.values_list("agency__kind", "reply"))
    assert replies["health"] == "delegate" and replies["emergency"] == "attends"
    assert not annual.attendance.filter(present__isnull=True).exists()
    assert annual.decisions.count() == 2
    actions = {a.state: a for a in ActionItem.objects.filter(decision__meeting=annual)}
    assert set(actions) == {ActionItem.State.DONE, ActionItem.State.OPEN}
    done, late = actions[ActionItem.State.DONE], actions[ActionItem.State.OPEN]
    assert done.lead_agency == agencies["emergency"] and done.done_on <= done.due_on
    assert late.lead_agency == agencies["health"] and late.due_on < timezone.localdate()
    assert list(meeting_services.overdue_action_items(committee)) == [late]
    assert done.progress.count() == 1 and late.progress.count() == 1
    # the minutes are published: a member agency downloads their PDF
    pdf = client_for(users["staff_a_emergency"]).get(reverse("meetings:minutes_pdf", args=[annual.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    # the upcoming regular meeting: calling for items, 卫健's proposal waits
    upcoming = Meeting.objects.get(committee=committee, kind=Meeting.Kind.REGULAR)
    assert upcoming.state == Meeting.State.CALLING
    ahead = upcoming.starts_at - timezone.now()
    assert datetime.timedelta(days=19) < ahead < datetime.timedelta(days=23)
    assert upcoming.agenda_cutoff > timezone.now()
    item = upcoming.agenda_items.get(source=AgendaItem.Source.AGENCY)
    assert item.agency == agencies["health"] and item.state == AgendaItem.State.PROPOSED

    # the closed solicitation (seed 000's letter): comments with the scan, 无意见, two lapsed
    closed = Solicitation.objects.get(committee=committee, state=Solicitation.State.CLOSED)
    assert "工伤预防监测机制工作实施方案（征求意见稿）" in closed.title and closed.deadline < timezone.now()
    assert closed.attachments.count() == 1 and closed.attachments.get().name.endswith(".pdf")
    states = {r.agency.kind: r for r in closed.replies.select_related("agency")}
    assert set(states) == {"emergency", "health", "housing", "transport"}
    assert states["emergency"].state == Reply.State.COMMENTS and states["emergency"].comments
    assert states["emergency"].scan.read(5) == b"%PDF-"
    assert states["housing"].state == Reply.State.NO_OPINION
    assert states["health"].state == states["transport"].state == Reply.State.LAPSED
    assert states["health"].replied_at == closed.deadline
    # the open solicitation: 交通运输 replied, 卫健 still owes its reply (its waiting list and to-do)
    open_ = Solicitation.objects.get(committee=committee, state=Solicitation.State.OPEN)
    ahead = open_.deadline - timezone.now()
    assert datetime.timedelta(days=9) < ahead < datetime.timedelta(days=11)
    states = dict(open_.replies.values_list("agency__kind", "state"))
    assert states == {
        "emergency": Reply.State.WAITING,
        "health": Reply.State.WAITING,
        "housing": Reply.State.WAITING,
        "transport": Reply.State.NO_OPINION,
    }
    waiting = list(solicitation_services.waiting_replies(staff["health"]))
    assert [r.solicitation for r in waiting] == [open_]
    health = client_for(staff["health"])
    assert open_.title in health.get(reverse("meetings:reply_waiting")).content.decode()
    assert reverse("meetings:reply_edit", args=[waiting[0].pk]) in health.get(reverse("home")).content.decode()

    rows = (
        Meeting.objects.count(),
        AgendaItem.objects.count(),
        ActionItem.objects.count(),
        ActionProgress.objects.count(),
        Solicitation.objects.count(),
        Reply.objects.exclude(state=Reply.State.WAITING).count(),
    )
    assert rows[0] == 2 and rows[4] == 2
    out = io.StringIO()
    call_command("load_demo_meetings", stdout=out)
    assert "0 new meetings, 0 new solicitations" in out.getvalue()
    assert (committee.members.count(), committee.tasks.count(), TaskProgress.objects.count()) == counts
    assert KeyTask.objects.count() == 11
    assert (
        Meeting.objects.count(),
        AgendaItem.objects.count(),
        ActionItem.objects.count(),
        ActionProgress.objects.count(),
        Solicitation.objects.count(),
        Reply.objects.exclude(state=Reply.State.WAITING).count(),
    ) == rows


def test_load_demo_meetings_needs_the_demo_region(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_meetings", stdout=io.StringIO())
