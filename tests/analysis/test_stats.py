"""The statistics service against figures worked out by hand, and against a GROUP BY on the case table."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from enterprises.models import InsuranceSnapshot
from incidents.analysis import cubes, signals
from incidents.analysis.models import InjuryCube
from incidents.analysis.stats import Selection, Stats
from incidents.models import InjuryCase
from portal.reference.models import AccidentType, IndustryFlag
from portal.reference.validators import id_number_check_char
from tests.factories import EnterpriseFactory, IndustryFactory, SilicosisFactory

pytestmark = pytest.mark.django_db

H1 = datetime.date(2024, 1, 1), datetime.date(2024, 6, 1)


def local(*args):
    return timezone.make_aware(datetime.datetime(*args))


def worker_id(n):
    first17 = f"33078419900101{n:03d}"
    return first17 + id_number_check_char(first17)


def case(enterprise, agency, when, severity="minor", lost=0, payout=0, n=[0]):  # noqa: B006 - a counter
    n[0] += 1
    kind = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})[0]
    return InjuryCase.objects.create(
        enterprise=enterprise,
        owner_agency=agency,
        occurred_at=when,
        accident_type=kind,
        post="冲压工",
        worker_name="王五",
        worker_id_number=worker_id(n[0] % 1000),
        severity=severity,
        lost_workdays=lost,
        fund_payout=Decimal(payout),
    )


def insured(enterprise, agency, year, quarter, n):
    InsuranceSnapshot.objects.create(
        enterprise=enterprise, owner_agency=agency, year=year, quarter=quarter, insured_employees=n, premium_paid=1
    )


@pytest.fixture
def data(regions, industry, enterprise_a, enterprise_b, agency_a, agency_b, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    transport = IndustryFactory(
        code="5431",
        level="class",
        parent=IndustryFactory(
            code="543",
            level="group",
            parent=IndustryFactory(code="54", level="division", parent=IndustryFactory(code="G", level="section")),
        ),
    )
    IndustryFlag.objects.create(kind="key", label="金属制品", code_prefix="33")
    county_only = EnterpriseFactory(region=regions["a"], industry=transport, owner_agency=agency_a)
    case(enterprise_a, agency_a, local(2024, 3, 5, 10), "minor", 10, 1000)
    case(enterprise_a, agency_a, local(2024, 3, 31, 23, 30), "serious", 60, 5000)
    case(enterprise_a, agency_a, local(2024, 4, 1, 0, 30), "fatal", 0, 200000)  # 2024-03-31 16:30 UTC
    case(enterprise_a, agency_a, local(2023, 3, 10, 9), "minor", 5, 0)
    case(county_only, agency_a, local(2024, 2, 10, 8), "minor", 3, 300)
    case(enterprise_b, agency_b, local(2024, 3, 15, 14), "serious", 30, 3000)
    insured(enterprise_a, agency_a, 2024, 1, 100)
    insured(enterprise_a, agency_a, 2024, 2, 120)
    insured(enterprise_a, agency_a, 2023, 1, 80)
    insured(county_only, agency_a, 2024, 1, 50)
    insured(county_only, agency_a, 2024, 2, 50)
    insured(enterprise_b, agency_b, 2024, 1, 200)
    cubes.rebuild()
    signals._local.pending = None  # the refreshes the rows above asked for (never committed here): rebuilt already
    return {"transport": transport, "county_only": county_only}


def test_county_totals_rates_and_changes(data, regions):
    stats = Stats(Selection(*H1, region=regions["a"]))
    summary = stats.summary()
    now = summary["current"]
    assert (now["cases"], now["minor"], now["serious"], now["deaths"]) == (4, 2, 1, 1)
    assert now["lost_workdays"] == 73 and now["fund_payout"] == Decimal("206300")
    assert now["insured"] == 160  # mean of Q1 (100 + 50) and Q2 (120 + 50)
    assert (now["incidence_rate"], now["death_rate"], now["serious_rate"]) == (25.0, 6.25, 6.25)
    assert summary["last_year"]["cases"] == 1 and summary["last_year"]["incidence_rate"] == 12.5
    assert summary["change_last_year"]["cases"] == 300.0
    assert summary["previous"]["cases"] == 0 and summary["change_previous"]["cases"] is None


def test_a_case_counts_in_its_local_month(data, regions):
    trend = Stats(Selection(*H1, region=regions["a"])).trend()
    assert [(r["month"].month, r["cases"]) for r in trend] == [(1, 0), (2, 1), (3, 2), (4, 1), (5, 0), (6, 0)]


def test_breakdown_by_child_region(data, regions):
    towns = Stats(Selection(*H1, region=regions["a"])).by_region()
    assert [(r["name"], r["cases"], r["insured"], r["incidence_rate"]) for r in towns] == [
        ("东城街道", 3, 110, 27.273),
        ("永康市本级", 1, 50, 20.0),  # enterprises registered at the county itself
    ]
    counties = Stats(Selection(*H1, region=regions["jinhua"])).by_region()
    assert [(r["name"], r["cases"], r["insured"]) for r in counties] == [("永康市", 4, 160), ("武义县", 1, 200)]
    country = Stats(Selection(*H1)).totals()
    assert country["cases"] == 5 and country["insured"] == 260 and country["incidence_rate"] == 19.231
    provinces = Stats(Selection(*H1)).by_region()  # the whole country's children: the provinces
    assert [(r["name"], r["cases"], r["insured"]) for r in provinces] == [("浙江省", 5, 260)]


def test_industry_filters_and_breakdown(data, regions, industry):
    key = Stats(Selection(*H1, region=regions["a"], flag="key")).totals()
    assert key["cases"] == 3 and key["insured"] == 110
    sections = Stats(Selection(*H1, region=regions["a"])).by_industry()
    assert [(r["code"], r["cases"]) for r in sections] == [("C", 3), ("G", 1)]
    manufacturing = industry.parent.parent.parent
    divisions = Stats(Selection(*H1, region=regions["a"], industry=manufacturing)).by_industry()
    assert [(r["code"], r["cases"], r["insured"]) for r in divisions] == [("33", 3, 110)]
    transport = Stats(Selection(*H1, region=regions["a"], industry=data["transport"])).totals()
    assert transport["cases"] == 1 and transport["incidence_rate"] == 20.0


def test_zero_insured_gives_no_rate(data, regions):
    totals = Stats(Selection(datetime.date(2024, 7, 1), datetime.date(2024, 9, 1), region=regions["a"])).totals()
    assert totals["cases"] == 0 and totals["insured"] == 0 and totals["incidence_rate"] is None


def test_edits_refresh_only_the_months_they_touch(
    data, regions, agency_a, enterprise_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moved = InjuryCase.objects.get(occurred_at=local(2024, 3, 5, 10))
        moved.occurred_at = local(2024, 5, 20, 9)
        moved.save()
    trend = Stats(Selection(*H1, region=regions["a"])).trend()
    assert [r["cases"] for r in trend] == [0, 1, 1, 1, 1, 0]
    with django_capture_on_commit_callbacks(execute=True):
        moved.delete()
    assert Stats(Selection(*H1, region=regions["a"])).totals()["cases"] == 3


def test_an_enterprise_moving_town_moves_its_figures(data, regions, enterprise_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_a.region = regions["b"]
        enterprise_a.save()
    assert Stats(Selection(*H1, region=regions["a"])).totals()["cases"] == 1
    assert Stats(Selection(*H1, region=regions["b"])).totals()["cases"] == 4


def test_an_enterprise_changing_industry_moves_its_figures(
    data, regions, industry, enterprise_a, django_capture_on_commit_callbacks
):
    metal = Selection(*H1, region=regions["a"], industry=industry.parent.parent)
    transport = Selection(*H1, region=regions["a"], industry=data["transport"].parent.parent)
    assert (Stats(metal).totals()["cases"], Stats(transport).totals()["cases"]) == (3, 1)
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_a.industry = data["transport"]
        enterprise_a.save()
    assert (Stats(metal).totals()["cases"], Stats(transport).totals()["cases"]) == (0, 4)
    assert Stats(Selection(*H1, region=regions["a"], flag="key")).totals()["cases"] == 0  # transport is not key
    refreshed = _cube_rows()
    cubes.rebuild()
    assert _cube_rows() == refreshed


def test_a_refresh_writes_only_the_rows_that_differ(data, regions, enterprise_b):
    """Changes in Wuyi: the month's rows of Yongkang are left as they are (the same rows, not deleted and inserted
    again); the rows that changed are put right, and those a change leaves without cases deleted."""
    march = datetime.date(2024, 3, 1)
    yongkang = {row for row in _month_rows(march) if regions["a"].pk in row[2:4]}
    assert yongkang  # its county row (the table holds no finer tier)
    before = InjuryCube.objects.get(tier=3, region=regions["b"], industry=None, month=march)
    wuyi = InjuryCase.objects.filter(enterprise=enterprise_b)
    wuyi.update(lost_workdays=31)  # no signal: as a bulk change
    cubes.refresh_months([march])
    row = InjuryCube.objects.get(tier=3, region=regions["b"], industry=None, month=march)
    assert (row.cases, row.serious, row.lost_workdays) == (1, 1, 31) and before.lost_workdays == 30
    assert row.pk == before.pk  # updated in place
    assert {row for row in _month_rows(march) if regions["a"].pk in row[2:4]} == yongkang
    wuyi._raw_delete(wuyi.db)
    cubes.refresh_months([march])
    assert not InjuryCube.objects.filter(region=regions["b"], month=march).exists()
    assert {row for row in _month_rows(march) if regions["a"].pk in row[2:4]} == yongkang
    refreshed = _cube_rows()
    cubes.rebuild()
    assert _cube_rows() == refreshed


def _month_rows(month):
    fields = ["id", "tier", "region_id", "parent_id", "industry_id", "key", "dust", "cases", "serious", "lost_workdays"]
    return list(InjuryCube.objects.filter(month=month).values_list(*fields))


def test_imports_refresh_the_months_of_their_rows(
    users, enterprise_a, regions, settings, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal import imports

    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    cubes.rebuild()
    text = "统一社会信用代码,事故发生时间,事故类别代码,岗位,受伤职工,居民身份证号码,伤害程度\n" + "\n".join(
        f"{enterprise_a.credit_code},2024-0{m}-02 10:00,03,焊工,赵{m},{worker_id(i)},轻伤"
        for i, m in enumerate((1, 2, 2))
    )
    spec = imports.get_spec("incidents.injurycase")
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=SimpleUploadedFile("c.csv", text.encode()))
    assert not batch.errors, batch.errors
    with django_capture_on_commit_callbacks(execute=True):
        imports.confirm(actor=users["staff_a"], batch=batch)
    trend = Stats(Selection(*H1, region=regions["a"])).trend()
    assert [r["cases"] for r in trend][:3] == [1, 2, 0]


def _raw(selection_q, group):
    return {
        r["key"]: (r["cases"], r["deaths"], r["lost"])
        for r in InjuryCase.objects.filter(selection_q)
        .values(key=F(group))
        .annotate(cases=Count("id"), deaths=Count("id", filter=Q(severity="fatal")), lost=Sum("lost_workdays"))
    }


def test_summary_tables_equal_a_group_by_on_the_cases(regions, industry, agency_a, settings):
    """A few hundred random cases over two counties, three years and two industries: every breakdown read from
    the summary tables equals the same figure computed straight from the cases."""
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    rng = random.Random(7)
    other = IndustryFactory(code="3312", level="class", parent=industry.parent)
    places = [regions["a_town"], regions["a"], regions["b"]]
    enterprises = [
        EnterpriseFactory(region=places[i % 3], industry=(industry, other)[i % 2], owner_agency=agency_a)
        for i in range(12)
    ]
    for _ in range(300):
        when = local(2023 + rng.randrange(3), rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(24))
        case(
            rng.choice(enterprises),
            agency_a,
            when,
            rng.choice(["minor", "minor", "serious", "fatal"]),
            rng.randrange(90),
        )
    cubes.rebuild()
    for start, end in [
        (datetime.date(2023, 1, 1), datetime.date(2025, 12, 1)),
        (datetime.date(2024, 2, 1), datetime.date(2024, 8, 1)),
    ]:
        begin = local(start.year, start.month, 1)
        finish = local(end.year + end.month // 12, end.month % 12 + 1, 1)
        period = Q(occurred_at__gte=begin, occurred_at__lt=finish)
        for region in (None, regions["zhejiang"], regions["jinhua"], regions["a"]):
            stats = Stats(Selection(start, end, region=region))
            scope = period & (Q(enterprise__region__path__startswith=region.path) if region else Q())
            raw_total = InjuryCase.objects.filter(scope).aggregate(n=Count("id"), lost=Sum("lost_workdays"))
            totals = stats.totals()
            assert (totals["cases"], totals["lost_workdays"]) == (raw_total["n"], raw_total["lost"] or 0)
            by_industry = {
                r["code"]: r["cases"]
                for r in Stats(Selection(start, end, region=region, industry=industry.parent)).by_industry()
            }
            raw = _raw(scope, "enterprise__industry__code")
            assert by_industry == {code: v[0] for code, v in raw.items()}
        counties = {
            r["name"]: (r["cases"], r["deaths"], r["lost_workdays"])
            for r in Stats(Selection(start, end, region=regions["jinhua"])).by_region()
        }
        assert counties == {
            "永康市": tuple(
                sum(v[i] for k, v in _raw(period, "enterprise__region__code").items() if k.startswith("330784"))
                for i in range(3)
            ),
            "武义县": _raw(period & Q(enterprise__region=regions["b"]), "enterprise__region__code").get(
                "330723", (0, 0, 0)
            ),
        }
    assert InjuryCube.objects.filter(tier=0, industry__isnull=True).count() > 0


def test_breakdowns_by_accident_type_post_and_severity(data, regions, settings):
    kind = AccidentType.objects.create(edition=1986, code="01", name="物体打击", kind="type")
    other = InjuryCase.objects.get(occurred_at=local(2024, 3, 5, 10))
    other.accident_type = kind
    other.post = "焊工"
    other.save()
    cubes.rebuild()
    stats = Stats(Selection(*H1, region=regions["a"]))
    assert [(r["code"], r["cases"], r["deaths"]) for r in stats.by_accident_type()] == [("03", 3, 1), ("01", 1, 0)]
    assert [(r["post"], r["cases"]) for r in stats.by_post()] == [("冲压工", 3), ("焊工", 1)]
    assert [(r["severity"], r["cases"]) for r in stats.by_severity()] == [("minor", 2), ("serious", 1), ("fatal", 1)]
    key = Stats(Selection(*H1, region=regions["a"], flag="key"))
    assert [(r["post"], r["cases"]) for r in key.by_post()] == [("冲压工", 2), ("焊工", 1)]


def test_occupational_disease_figures(data, regions, enterprise_a, enterprise_b, agency_a, agency_b):
    import datetime as dt

    from incidents.models import OccupationalDiseaseCase
    from portal.reference.models import OccupationalDisease

    def disease(code, name, class_no, subclass_no):
        return OccupationalDisease.objects.create(
            code=code,
            catalogue_version=2013,
            class_no=class_no,
            class_name="类",
            subclass_no=subclass_no,
            item_no=1,
            name=name,
            valid_from=dt.date(2013, 12, 23),
            valid_to=dt.date(2025, 7, 31),
        )

    silicosis = disease("2013-01-1-01", "矽肺", 1, 1)
    deafness = disease("2013-07-0-01", "噪声聋", 7, 0)
    rows = [
        (enterprise_a, agency_a, silicosis, dt.date(2024, 5, 6), "3"),
        (enterprise_a, agency_a, silicosis, dt.date(2024, 6, 30), "10"),
        (enterprise_a, agency_a, deafness, dt.date(2024, 6, 1), "1"),
        (enterprise_a, agency_a, silicosis, dt.date(2023, 4, 2), "2"),
        (enterprise_b, agency_b, silicosis, dt.date(2024, 2, 9), "4"),
    ]
    for i, (enterprise, agency, kind, day, years) in enumerate(rows):
        OccupationalDiseaseCase.objects.create(
            enterprise=enterprise,
            owner_agency=agency,
            worker_name="孙七",
            worker_id_number=worker_id(500 + i),
            disease=kind,
            hazard_factor="矽尘",
            exposure_years=Decimal(years),
            diagnosed_on=day,
        )
    cubes.rebuild()
    half = Stats(Selection(*H1, region=regions["a"])).diseases()
    assert (half["cases"], half["pneumoconiosis"], half["pneumoconiosis_short"], half["short_share"]) == (3, 2, 1, 50.0)
    assert [(d["name"], d["cases"]) for d in half["by_disease"]] == [("矽肺", 2), ("噪声聋", 1)]
    assert [(d["code"], d["cases"]) for d in half["by_industry"]] == [("C", 3)]
    two_years = Stats(Selection(dt.date(2023, 1, 1), dt.date(2024, 12, 1), region=regions["a"])).diseases()
    assert two_years["short_share_by_year"] == [
        {"year": 2023, "pneumoconiosis": 1, "short": 1, "share": 100.0},
        {"year": 2024, "pneumoconiosis": 2, "short": 1, "share": 50.0},
    ]
    assert Stats(Selection(*H1, region=regions["jinhua"])).diseases()["pneumoconiosis"] == 3


def test_insurance_coverage_of_key_industries(data, regions, enterprise_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_a.employees = 150
        enterprise_a.save()
    coverage = Stats(Selection(*H1, region=regions["a"])).coverage()
    assert coverage["key"] == {"enterprises": 1, "employees": 150, "insured": 110, "share": 73.3, "target": 80}
    assert coverage["dust"]["employees"] == 0 and coverage["dust"]["share"] is None


def test_regional_assessment_by_hand(data, regions, industry, agency_a, agency_b):
    """Counties of 金华市, 2024 H1: 永康 4 cases / 160 insured = 25.0, 武义 1 / 200 = 5.0; safety accidents 永康 2
    (2 / 160 × 1,000 = 12.5), 武义 0; GDP 永康 300 亿元 a year (its towns' 120 + 180: no own figure), 武义 100 亿元
    → half a year: 150 and 50 → 2 / 150 = 0.013 and 0. 武义 is best on every figure (score 100), 永康 worst (0)."""
    from incidents.analysis.models import RegionGDP
    from incidents.models import SafetyAccident

    kind = AccidentType.objects.get(code="03")
    enterprise = InjuryCase.objects.filter(enterprise__region=regions["a_town"]).first().enterprise
    for day in (3, 4):
        SafetyAccident.objects.create(
            enterprise=enterprise,
            owner_agency=agency_a,
            occurred_at=local(2024, 5, day, 9),
            accident_type=kind,
            deaths=0,
            serious_injuries=1,
        )
    other_town = regions["a_town"].__class__.objects.create(
        code="330784002", name="西城街道", level="town", parent=regions["a"]
    )
    RegionGDP.objects.create(region=regions["a_town"], year=2024, gdp=Decimal("120"), owner_agency=agency_a)
    RegionGDP.objects.create(region=other_town, year=2024, gdp=Decimal("180"), owner_agency=agency_a)
    RegionGDP.objects.create(region=regions["b"], year=2024, gdp=Decimal("100"), owner_agency=agency_b)
    cubes.rebuild()
    ranking = Stats(Selection(*H1, region=regions["jinhua"])).ranking()
    assert [(r["name"], r["rank"], r["score"]) for r in ranking] == [("武义县", 1, 100.0), ("永康市", 2, 0.0)]
    yongkang = ranking[1]
    assert (yongkang["incidence_rate"], yongkang["accidents"], yongkang["accident_rate"]) == (25.0, 2, 12.5)
    assert (yongkang["gdp"], yongkang["accidents_per_gdp"]) == (Decimal("150.00"), 0.013)
    assert ranking[0]["gdp"] == Decimal("50.00") and ranking[0]["accidents_per_gdp"] == 0.0


def test_trend_by_quarter_and_year(data, regions):
    stats = Stats(Selection(datetime.date(2023, 2, 1), datetime.date(2024, 6, 1), region=regions["a"]))
    quarters = stats.trend("quarter")
    assert [(r["label"], r["cases"]) for r in quarters] == [
        ("2023Q1", 1),
        ("2023Q2", 0),
        ("2023Q3", 0),
        ("2023Q4", 0),
        ("2024Q1", 3),
        ("2024Q2", 1),
    ]
    assert quarters[0]["month"] == datetime.date(2023, 2, 1) and quarters[0]["last_month"] == datetime.date(2023, 3, 1)
    assert [(r["label"], r["cases"]) for r in stats.trend("year")] == [("2023", 1), ("2024", 4)]


def test_accident_types_of_both_editions_when_the_period_spans_the_change(regions, enterprise_a, agency_a, settings):
    settings.GB6441_2025_EFFECTIVE = "2025-07-01"
    old = AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    new = AccidentType.objects.create(edition=2025, code="WSA10300", name="机械伤害", kind="type")
    for when, kind in ((local(2025, 6, 30, 23), old), (local(2025, 7, 1, 1), new), (local(2025, 8, 1, 1), new)):
        InjuryCase.objects.create(
            enterprise=enterprise_a,
            owner_agency=agency_a,
            occurred_at=when,
            accident_type=kind,
            post="冲压工",
            worker_name="王五",
            worker_id_number=worker_id(700 + when.month),
            severity="minor",
        )
    cubes.rebuild()
    types = Stats(Selection.year(2025, region=regions["a"])).by_accident_type()
    assert [(r["edition"], r["code"], r["cases"]) for r in types] == [(2025, "WSA10300", 2), (1986, "03", 1)]


def test_safety_accidents_and_diagnoses_refresh_their_months(
    regions, enterprise_a, agency_a, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from incidents.analysis.models import AccidentCube, DiseaseCube
    from incidents.models import OccupationalDiseaseCase, SafetyAccident

    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    kind = AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    silicosis = SilicosisFactory()
    cubes.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        accident = SafetyAccident.objects.create(
            enterprise=enterprise_a, owner_agency=agency_a, occurred_at=local(2024, 4, 30, 23, 30), accident_type=kind
        )
        OccupationalDiseaseCase.objects.create(
            enterprise=enterprise_a,
            owner_agency=agency_a,
            worker_name="孙七",
            worker_id_number=worker_id(800),
            disease=silicosis,
            hazard_factor="矽尘",
            exposure_years=Decimal("6"),
            diagnosed_on=dt.date(2024, 4, 30),
        )
    county = {"tier": 3, "region": regions["a"], "industry__isnull": True}
    assert AccidentCube.objects.get(**county).month == dt.date(2024, 4, 1)
    assert DiseaseCube.objects.get(**county).cases == 1
    with django_capture_on_commit_callbacks(execute=True):
        accident.occurred_at = local(2024, 5, 2, 8)
        accident.save()
    assert list(AccidentCube.objects.filter(**county).values_list("month", "accidents")) == [(dt.date(2024, 5, 1), 1)]


def test_a_bulk_delete_queues_one_refresh(data, regions, django_capture_on_commit_callbacks, monkeypatch):
    from django.db import transaction

    from portal import jobs

    sent = []
    real_send = jobs.send_now
    monkeypatch.setattr(jobs, "send_now", lambda *args: sent.append(args) or real_send(*args))
    monkeypatch.setattr(cubes, "MAX_DELTA_CASES", 0)  # past the limit, a transaction's cases rebuild their months
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            InjuryCase.objects.filter(enterprise__region__path__startswith=regions["a"].path).delete()
    for callback in callbacks:
        callback()
    assert len(sent) == 1 and sent[0][2]["months"] == ["2023-03-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    assert Stats(Selection(*H1, region=regions["a"])).totals()["cases"] == 0
    assert Stats(Selection(*H1, region=regions["b"])).totals()["cases"] == 1


def test_a_rolled_back_savepoint_does_not_lose_later_refreshes(data, regions, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    InjuryCase.objects.filter(occurred_at=local(2024, 3, 5, 10)).delete()
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            InjuryCase.objects.filter(occurred_at=local(2024, 4, 1, 0, 30)).delete()
    assert [r["cases"] for r in Stats(Selection(*H1, region=regions["a"])).trend()] == [0, 1, 2, 0, 0, 0]


def test_refreshing_months_that_are_not_contiguous(data, regions):
    # Changes the signals do not see (a queryset update, a raw delete), then a refresh of February and April only.
    InjuryCase.objects.filter(occurred_at__lt=local(2024, 3, 1)).update(severity="fatal")
    march = InjuryCase.objects.filter(occurred_at__gte=local(2024, 3, 15), occurred_at__lt=local(2024, 3, 20))
    march._raw_delete(march.db)
    cubes.refresh_months([datetime.date(2024, 2, 1), datetime.date(2024, 4, 1)])
    trend = Stats(Selection(*H1, region=regions["a"])).trend()
    assert [(r["cases"], r["deaths"]) for r in trend][:4] == [(0, 0), (1, 1), (2, 0), (1, 1)]  # March untouched
    wuyi = Stats(Selection(*H1, region=regions["b"])).totals()
    assert wuyi["cases"] == 1  # its March case is deleted, but March was not refreshed


def _cube_rows():
    rows = {}
    for cube in cubes.CASE_FAMILIES:
        fields = ["tier", "region_id", "parent_id", "industry_id", "key", "dust", "month", *(d for d, _s in cube.dims)]
        measures = [m for m, _a in cube.measures]
        rows[cube.model.__name__] = sorted(
            tuple(str(v) for v in row) for row in cube.model.objects.values_list(*fields, *measures)
        )
    return rows


def test_edits_apply_their_difference_and_agree_with_a_rebuild(
    data, regions, agency_a, agency_b, enterprise_a, enterprise_b, django_assert_max_num_queries
):
    """A case recorded, edited (severity, month, enterprise in another county) and deleted: each applies its
    difference to the summary rows in its own transaction; the rows then equal what a full rebuild computes."""
    with django_assert_max_num_queries(80):  # a few dozen summary rows, not the month rebuilt
        added = case(enterprise_a, agency_a, local(2024, 2, 14, 9), severity="serious", lost=30, payout=5000)
    assert Stats(Selection(*H1, region=regions["a"])).totals()["cases"] == 5
    added.severity = "fatal"
    added.occurred_at = local(2024, 6, 1, 8)
    added.save()
    added.lost_workdays = 31  # the same summary rows: one measure changes
    with django_assert_max_num_queries(30):
        added.save()
    moved = InjuryCase.objects.filter(enterprise=enterprise_a).exclude(pk=added.pk).first()
    moved.enterprise = enterprise_b
    moved.save()
    InjuryCase.objects.filter(enterprise=enterprise_b).exclude(pk=moved.pk).first().delete()
    a = Stats(Selection(*H1, region=regions["a"])).totals()
    assert a["cases"] == 4 and a["deaths"] == 1
    incremental = _cube_rows()
    cubes.rebuild()
    assert _cube_rows() == incremental


def test_a_small_import_adds_its_cases_by_difference(data, regions, users, enterprise_a):
    """A few imported cases reach the figures in the import's own transaction (no job to wait for)."""
    from portal import imports
    from tests.portal.test_imports import id_number, injury_rows

    spec = imports.get_spec("incidents.injurycase")
    table = injury_rows(enterprise_a, id_number(61), id_number(62))  # March 2025
    result = imports.validate(spec, users["staff_a"], table[0], list(enumerate(table[1:], start=2)))
    assert not result.errors
    imports.commit(spec, users["staff_a"], result)
    march = Selection(datetime.date(2025, 3, 1), datetime.date(2025, 3, 1), region=regions["a"])
    assert Stats(march).totals()["cases"] == 2
    incremental = _cube_rows()
    cubes.rebuild()
    assert _cube_rows() == incremental
