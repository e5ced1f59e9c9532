"""The consolidated report's figures against a data set small enough to count by hand, and its versions: the same
data twice gives no second version; a reopened, corrected and reconfirmed quarter gives the next one, and the
earlier one stays as it was (DESIGN §3.4)."""

import datetime
import hashlib
from decimal import Decimal

import pytest

from enterprises.models import ConstructionProject, InsuranceSnapshot
from incidents.analysis import cubes, signals
from incidents.models import OccupationalDiseaseCase
from portal.exchange import report, services
from portal.exchange.models import Confirmation, ExchangeReport
from portal.models import AuditEvent
from portal.notifications.models import Notification
from portal.reference.models import IndustryFlag
from tests.factories import EnterpriseFactory, IndustryFactory, RegionFactory, SilicosisFactory
from tests.prevention.conftest import local, make_case, worker_id

pytestmark = pytest.mark.django_db


def at(day: datetime.date, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


@pytest.fixture
def data(exchange, regions, enterprise_a, agency_a, agency_a_health, agency_a_emergency, monkeypatch):
    """永康市, 2026 Q3 against Q2 and 2025 Q3. 东城街道: a key-industry (33 金属制品) enterprise; 西城街道: a transport
    enterprise (not key)."""
    west = RegionFactory(code="330784002", name="西城街道", level="town", parent=regions["a"])
    transport = IndustryFactory(
        code="5431",
        level="class",
        parent=IndustryFactory(
            code="543",
            level="group",
            parent=IndustryFactory(
                code="54", level="division", parent=IndustryFactory(code="G", name="交通运输业", level="section")
            ),
        ),
    )
    IndustryFlag.objects.create(kind="key", label="金属制品", code_prefix="33")
    west_firm = EnterpriseFactory(name="西城运输公司", region=west, industry=transport, owner_agency=agency_a)
    make_case(enterprise_a, agency_a, local(2026, 7, 5, 10))
    make_case(enterprise_a, agency_a, local(2026, 8, 10, 10), severity="serious")
    make_case(enterprise_a, agency_a, local(2026, 9, 30, 23, 30), severity="fatal")  # Shanghai time: still Q3
    make_case(enterprise_a, agency_a, local(2026, 10, 1, 0, 30))  # Q4
    make_case(enterprise_a, agency_a, local(2026, 5, 10, 10))  # Q2
    make_case(enterprise_a, agency_a, local(2025, 8, 10, 10))  # 2025 Q3
    make_case(west_firm, agency_a, local(2026, 9, 2, 10))
    for enterprise, year, quarter, insured in (
        (enterprise_a, 2026, 3, 200),
        (west_firm, 2026, 3, 100),
        (enterprise_a, 2026, 2, 180),
        (enterprise_a, 2025, 3, 150),
    ):
        InsuranceSnapshot.objects.create(
            enterprise=enterprise,
            owner_agency=agency_a,
            year=year,
            quarter=quarter,
            insured_employees=insured,
            premium_paid=Decimal(1000),
        )
    silicosis = SilicosisFactory()
    for serial, (day, years) in enumerate(((datetime.date(2026, 8, 3), "3"), (datetime.date(2026, 9, 3), "8"))):
        OccupationalDiseaseCase.objects.create(
            enterprise=enterprise_a,
            owner_agency=agency_a_health,
            worker_name="孙七",
            worker_id_number=worker_id(600 + serial),
            disease=silicosis,
            hazard_factor="矽尘",
            exposure_years=Decimal(years),
            diagnosed_on=day,
        )
    for n, (started, insured_on) in enumerate(
        (
            (datetime.date(2026, 7, 1), datetime.date(2026, 6, 25)),
            (datetime.date(2026, 8, 1), None),
            (datetime.date(2026, 5, 1), None),
        )
    ):
        ConstructionProject.objects.create(
            enterprise=enterprise_a,
            owner_agency=agency_a_emergency,
            name=f"项目{n}",
            permit_number=f"P{n}",
            sector="housing",
            region=regions["a_town"] if n else west,
            contract_value=Decimal(1000),
            workers=50,
            started_on=started,
            insured_on=insured_on,
            insured_workers=50 if insured_on else None,
        )
    cubes.rebuild()
    signals._local.pending = None
    # 人社 confirms on time, 应急 late; 卫健 does not confirm.
    monkeypatch.setattr(services, "_now", lambda: local(2026, 10, 10, 9))
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    monkeypatch.setattr(services, "_now", lambda: local(2026, 10, 20, 9))
    services.confirm_quarter(actor=exchange["staff_a_emergency"], year=2026, quarter=3)
    return {"west": west}


def test_the_figures_match_the_hand_count(data, regions):
    content = report.content(regions["a"], 2026, 3, datetime.date(2026, 11, 1))
    totals = content["totals"]
    assert (totals["cases"], totals["serious"], totals["deaths"]) == (4, 1, 1)
    assert totals["insured"] == 300 and totals["incidence_rate"] == 13.333  # 4 / 300 × 1,000
    assert (totals["disease_cases"], totals["disease_short"]) == (2, 1)
    assert totals["enterprises"] == 2
    assert totals["previous"]["cases"] == 1 and totals["last_year"]["cases"] == 1
    assert totals["change_previous"]["cases"] == 300.0 and totals["change_last_year"]["cases"] == 300.0
    assert totals["projects"] == {"projects": 2, "insured": 1, "workers": 100, "insured_workers": 50, "share": 50.0}
    towns = {r["name"]: r for r in content["regions"]}
    assert (towns["东城街道"]["cases"], towns["东城街道"]["insured"], towns["东城街道"]["incidence_rate"]) == (
        3,
        200,
        15.0,
    )
    assert (towns["西城街道"]["cases"], towns["西城街道"]["insured"], towns["西城街道"]["incidence_rate"]) == (
        1,
        100,
        10.0,
    )
    assert towns["东城街道"]["disease_short"] == 1 and towns["东城街道"]["cases_previous"] == 1
    assert towns["东城街道"]["projects"]["projects"] == 1 and towns["西城街道"]["projects"]["share"] == 100.0
    # Key industries only: 金属制品 (section C), not transport.
    assert [(r["region_name"], r["industry_code"], r["cases"], r["insured"]) for r in content["region_industries"]] == [
        ("东城街道", "C", 3, 200)
    ]
    assert content["region_industries"][0]["disease_cases"] == 2
    assert [(r["name"], r["cases"], r["deaths"]) for r in content["top_enterprises"]] == [
        ("永康五金制品有限公司", 3, 1),
        ("西城运输公司", 1, 0),
    ]
    statuses = {a["kind"]: a["status"] for a in content["agencies"]}
    assert statuses == {"hrss": "confirmed", "emergency": "confirmed_late", "health": "overdue"}
    hrss = next(a for a in content["agencies"] if a["kind"] == "hrss")
    assert hrss["records"]["injury_cases"] == 4 and hrss["due_on"] == "2026-10-15"


def test_the_same_data_twice_makes_one_version_and_a_corrected_quarter_the_next(
    data, regions, exchange, agency_a, enterprise_a, today
):
    first, created = services.build_report(region=regions["a"], year=2026, quarter=3, actor=exchange["secretariat_a"])
    assert created and first.version == 1
    assert {f.format for f in first.files.all()} == {"xlsx", "pdf", "json"}
    stored = {f.format: (f.sha256, f.file.read()) for f in first.files.all()}
    for fmt, (sha, raw) in stored.items():
        assert hashlib.sha256(raw).hexdigest() == sha, fmt
    again, created = services.build_report(region=regions["a"], year=2026, quarter=3)
    assert not created and again.pk == first.pk and ExchangeReport.objects.count() == 1
    # Every agency user of 永康市 is told once.
    told = Notification.objects.filter(url=first.get_absolute_url())
    assert told.count() >= 4 and told.filter(recipient=exchange["staff_a_health"]).count() == 1
    assert not told.filter(recipient=exchange["staff_b"]).exists()

    confirmation = Confirmation.objects.get(agency=agency_a)
    services.reopen_quarter(actor=exchange["secretariat_a"], confirmation=confirmation, reason="补录漏报的9月案件")
    make_case(enterprise_a, agency_a, local(2026, 9, 12, 10))
    cubes.rebuild()
    signals._local.pending = None
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    second, created = services.build_report(region=regions["a"], year=2026, quarter=3, trigger="reconfirmed")
    assert created and second.version == 2 and second.fingerprint != first.fingerprint
    assert second.content["totals"]["cases"] == 5 and first.content["totals"]["cases"] == 4
    first.refresh_from_db()
    for f in first.files.all():  # the first version stays downloadable, unchanged
        assert (f.sha256, f.file.read()) == stored[f.format]
    assert AuditEvent.objects.filter(object_type="exchange.exchangereport", verb="create").count() == 2


def test_a_report_waits_for_the_quarter_to_end_and_only_the_secretariat_orders_one(data, regions, exchange):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.build_report(region=regions["a"], year=2026, quarter=4, actor=exchange["secretariat_a"])
    with pytest.raises(PermissionDenied):
        services.build_report(region=regions["a"], year=2026, quarter=3, actor=exchange["staff_a"])


def test_the_scheduled_job_builds_each_region_once_after_the_deadline(
    data, regions, today, django_capture_on_commit_callbacks
):
    from portal.exchange import tasks

    assert services.scheduled_reports(today=datetime.date(2026, 10, 14)) == []  # 人社's deadline not passed
    with django_capture_on_commit_callbacks(execute=True):
        assert services.scheduled_reports(today=datetime.date(2026, 11, 2)) == [regions["a"].pk]
    assert ExchangeReport.objects.filter(trigger="schedule").count() == 1
    assert services.scheduled_reports(today=datetime.date(2026, 11, 3)) == []
    assert tasks.build_report.name == "exchange.build_report"


def test_reminders_go_once_per_stage(exchange, agency_a_health, today):
    services.send_reminders(today=datetime.date(2026, 10, 9))
    assert Notification.objects.filter(recipient=exchange["staff_a_health"]).count() == 0
    assert services.send_reminders(today=datetime.date(2026, 10, 11)) == 3  # 5 days before: 人社, 应急, 卫健
    assert services.send_reminders(today=datetime.date(2026, 10, 12)) == 0
    assert services.send_reminders(today=datetime.date(2026, 10, 16)) == 3  # late
    assert services.send_reminders(today=datetime.date(2026, 10, 17)) == 0
    titles = list(Notification.objects.filter(recipient=exchange["staff_a_health"]).values_list("title", flat=True))
    assert len(titles) == 2


def test_reconfirming_a_reported_quarter_queues_the_next_version(
    data, regions, exchange, agency_a, enterprise_a, django_capture_on_commit_callbacks
):
    first, _created = services.build_report(region=regions["a"], year=2026, quarter=3)
    confirmation = Confirmation.objects.get(agency=agency_a)
    services.reopen_quarter(actor=exchange["secretariat_a"], confirmation=confirmation, reason="更正伤害程度")
    make_case(enterprise_a, agency_a, local(2026, 9, 14, 10), severity="serious")
    cubes.rebuild()
    signals._local.pending = None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    assert callbacks  # the build job, queued once the confirmation commits
    latest = ExchangeReport.objects.order_by("-version").first()
    assert latest.version == 2 and latest.trigger == "reconfirmed"
    assert latest.content["totals"]["serious"] == first.content["totals"]["serious"] + 1


def test_a_reconfirmed_build_brings_the_quarters_statistics_up_to_date_first(
    data, regions, exchange, agency_a, enterprise_a
):
    """The refresh jobs of the corrections may not have run when the build job does: it refreshes the quarter."""
    from portal.exchange import tasks

    services.build_report(region=regions["a"], year=2026, quarter=3)
    services.reopen_quarter(
        actor=exchange["secretariat_a"], confirmation=Confirmation.objects.get(agency=agency_a), reason="补录案件"
    )
    make_case(enterprise_a, agency_a, local(2026, 7, 20, 10), severity="fatal")
    signals._local.pending = None  # the refresh this case asked for never runs
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    result = tasks.build_report.apply(args=[regions["a"].pk, 2026, 3], kwargs={"trigger": "reconfirmed"}).get()
    assert result["version"] == 2
    assert ExchangeReport.objects.get(version=2).content["totals"]["deaths"] == 2
