"""Every figure the statistics service reads from the summary tables equals the same figure summed from the source
rows (``Stats(…, source="rows")``), for selections at every tier, with and without an industry and a flag — the
tables hold divisions only down to the city and all industries down to the county, the rest is summed from the
source rows, and either way a figure must not change."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprises.models import InsuranceSnapshot
from incidents.analysis import cubes, signals
from incidents.analysis.stats import Selection, Stats
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal.reference.models import AccidentType, IndustryFlag
from portal.reference.validators import id_number_check_char
from tests.factories import EnterpriseFactory, IndustryFactory, RegionFactory, SilicosisFactory

pytestmark = pytest.mark.django_db

PERIODS = [
    (datetime.date(2023, 1, 1), datetime.date(2024, 12, 1)),
    (datetime.date(2024, 2, 1), datetime.date(2024, 7, 1)),
]


def local(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def worker_id(n):
    first17 = f"33078419900101{n:03d}"
    return first17 + id_number_check_char(first17)


@pytest.fixture
def world(regions, industry, agency_a, agency_b, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    rng = random.Random(11)
    anhui = RegionFactory(code="340000", name="安徽省", level="province")
    hefei = RegionFactory(code="340100", name="合肥市", level="city", parent=anhui)
    feidong = RegionFactory(code="340122", name="肥东县", level="county", parent=hefei)
    zone = RegionFactory(code="330784900", name="经济开发区", level="zone", parent=regions["a"])
    manufacturing = industry.parent.parent.parent
    other_metal = IndustryFactory(code="3312", level="class", parent=industry.parent)
    machines = IndustryFactory(
        code="3411",
        level="class",
        parent=IndustryFactory(
            code="341", level="group", parent=IndustryFactory(code="34", level="division", parent=manufacturing)
        ),
    )
    transport = IndustryFactory(code="54", level="division", parent=IndustryFactory(code="G", level="section"))
    road = IndustryFactory(code="543", level="group", parent=transport)
    goods, dangerous = (IndustryFactory(code=c, level="class", parent=road) for c in ("5431", "5435"))
    # National rules: metal products key and dust, dangerous goods by road (a class) key. Yongkang adds machinery to
    # its key industries; Wuyi takes 3312 out of them.
    for kind, prefix, region, excluded in [
        ("key", "33", None, False),
        ("dust", "33", None, False),
        ("key", "5435", None, False),
        ("key", "34", regions["a"], False),
        ("key", "3312", regions["b"], True),
    ]:
        IndustryFlag.objects.create(kind=kind, label="规则", code_prefix=prefix, region=region, is_excluded=excluded)
    places = [regions["a_town"], zone, regions["a"], regions["b"], feidong]
    classes = [industry, other_metal, machines, goods, dangerous]
    enterprises = [
        EnterpriseFactory(
            region=places[i % len(places)],
            industry=classes[(i + i // 5) % len(classes)],  # every class in every place
            owner_agency=agency_a,
            employees=10 * i,
        )
        for i in range(25)
    ]
    types = [
        AccidentType.objects.get_or_create(edition=1986, code=code, defaults={"name": name, "kind": "type"})[0]
        for code, name in (("03", "机械伤害"), ("04", "起重伤害"))
    ]
    for n in range(400):
        when = local(2023 + rng.randrange(2), rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(24))
        InjuryCase.objects.create(
            enterprise=rng.choice(enterprises),
            owner_agency=agency_a,
            occurred_at=when,
            accident_type=rng.choice(types),
            post=rng.choice(["冲压工", "焊工", "叉车司机"]),
            worker_name="王五",
            worker_id_number=worker_id(n % 1000),
            severity=rng.choice(["minor", "minor", "serious", "fatal"]),
            lost_workdays=rng.randrange(90),
            fund_payout=Decimal(rng.randrange(100000)) / 100,
        )
    for enterprise in enterprises:
        for year, quarter in [(2023, 4), (2024, 1), (2024, 2), (2024, 3)]:
            if rng.random() < 0.7:
                InsuranceSnapshot.objects.create(
                    enterprise=enterprise,
                    owner_agency=agency_a,
                    year=year,
                    quarter=quarter,
                    insured_employees=rng.randrange(1, 200),
                    premium_paid=1,
                )
    silicosis = SilicosisFactory()
    for n in range(40):
        OccupationalDiseaseCase.objects.create(
            enterprise=rng.choice(enterprises),
            owner_agency=agency_a,
            worker_name="孙七",
            worker_id_number=worker_id(600 + n),
            disease=silicosis,
            hazard_factor="矽尘",
            exposure_years=Decimal(rng.randrange(1, 12)),
            diagnosed_on=datetime.date(2023 + rng.randrange(2), rng.randrange(1, 13), rng.randrange(1, 29)),
        )
    for _n in range(40):
        SafetyAccident.objects.create(
            enterprise=rng.choice(enterprises),
            owner_agency=agency_a,
            occurred_at=local(2023 + rng.randrange(2), rng.randrange(1, 13), 3, 12),
            accident_type=types[0],
            deaths=rng.randrange(2),
            serious_injuries=rng.randrange(3),
            direct_loss=Decimal(rng.randrange(10**6)),
        )
    cubes.rebuild()
    signals._local.pending = None  # the refreshes the rows above asked for (never committed here): rebuilt already
    return {
        "regions": [None, regions["zhejiang"], regions["jinhua"], regions["a"], regions["a_town"], regions["b"], anhui],
        "industries": [None, manufacturing, industry.parent, road.parent],
        "machines": machines,
    }


FIGURES = ("summary", "trend", "by_region", "by_industry", "by_accident_type", "by_post", "ranking", "coverage")


def _figures(stats):
    found = {name: getattr(stats, name)() for name in FIGURES}
    found["diseases"] = stats.diseases()
    found["divisions"] = stats.by_industry(depth=1)
    return found


def test_every_figure_from_the_tables_equals_the_source_rows(world):
    compared = 0
    for start, end in PERIODS:
        for region in world["regions"]:
            for node in world["industries"]:
                for flag in (None, "key", "dust"):
                    selection = Selection(start, end, region=region, industry=node, flag=flag)
                    tables, rows = _figures(Stats(selection)), _figures(Stats(selection, source="rows"))
                    for name, figure in tables.items():
                        assert figure == rows[name], (name, region, node, flag, start)
                    compared += 1
    assert compared == 2 * 7 * 4 * 3
    # The data reach every kind of figure (a comparison of empty answers would prove nothing).
    everything = _figures(Stats(Selection(*PERIODS[0])))
    assert everything["summary"]["current"]["cases"] > 100
    assert len(everything["by_region"]) == 2 and everything["by_accident_type"] and everything["by_post"]
    assert everything["diseases"]["cases"] > 10 and everything["coverage"]["key"]["employees"] > 0


def test_key_industries_are_those_of_the_rules_where_each_enterprise_is(world, regions):
    """Yongkang flags machinery (34) as key, Wuyi does not: a machinery case counts among key industries in
    Yongkang and in the city's total, not in Wuyi."""
    period = Selection.year(2024)
    machines = world["machines"]

    def key_machinery(region):
        cases = InjuryCase.objects.filter(
            enterprise__industry=machines, occurred_at__gte=local(2024, 1, 1), occurred_at__lt=local(2025, 1, 1)
        )
        return cases.filter(enterprise__region__path__startswith=region.path).count()

    def key_cases(region, **kwargs):
        return Stats(Selection(period.start, period.end, region=region, flag="key", **kwargs)).totals()["cases"]

    assert key_machinery(regions["a"]) > 0 and key_machinery(regions["b"]) > 0
    machinery = machines.parent.parent
    assert key_cases(regions["a"], industry=machinery) == key_machinery(regions["a"])
    assert key_cases(regions["b"], industry=machinery) == 0
    assert key_cases(regions["jinhua"], industry=machinery) == key_machinery(regions["a"])


def test_a_county_without_an_industry_is_read_from_the_tables_only(world, regions):
    stats = Stats(Selection.year(2024, region=regions["a"], flag="key"))
    with CaptureQueriesContext(connection) as queries:
        stats.totals(), stats.trend(), stats.coverage()
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "analysis_injurycube" in tables and "analysis_insurancecube" in tables
    assert "incidents_injurycase" not in tables and "enterprises_insurancesnapshot" not in tables


def test_a_changed_flag_rule_rebuilds_the_tables_once(world, regions, django_capture_on_commit_callbacks, monkeypatch):
    """Flags are resolved when the rows are built: Wuyi flagging machinery too changes its key-industry figures as
    soon as the rules are saved (one rebuild for the two rules saved together)."""
    from django.db import transaction

    from portal import jobs

    sent = []
    real_send = jobs.send_now
    monkeypatch.setattr(jobs, "send_now", lambda *args: sent.append(args[0]) or real_send(*args))
    machinery = world["machines"].parent.parent
    selection = Selection.year(2024, region=regions["b"], industry=machinery, flag="key")
    assert Stats(selection).totals()["cases"] == 0
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        IndustryFlag.objects.create(kind="key", label="机械", code_prefix="34", region=regions["b"])
        IndustryFlag.objects.create(kind="key", label="机械", code_prefix="341", region=regions["b"])
    assert sent == ["analysis.rebuild"]
    every = Stats(Selection.year(2024, region=regions["b"], industry=machinery)).totals()["cases"]
    assert every > 0 and Stats(selection).totals()["cases"] == every


def test_a_flag_rule_of_a_town_is_applied_to_its_cases(world, regions, django_capture_on_commit_callbacks):
    """The work-injury tables take each case's flags from the tiers and industry it carries; a rule of a town (below
    the county a case carries) needs its enterprise's region: the figures still equal the source rows'."""
    town = regions["a_town"]
    road = Selection.year(2024, region=town, industry=world["industries"][3], flag="key")
    before = Stats(road).totals()["cases"]  # dangerous goods (5435) only: goods (5431) is no key industry
    with django_capture_on_commit_callbacks(execute=True):
        IndustryFlag.objects.create(kind="key", label="道路货运", code_prefix="5431", region=town)
    assert Stats(road).totals()["cases"] > before
    for region in world["regions"]:
        for flag in ("key", None):
            selection = Selection.year(2024, region=region, flag=flag)
            assert _figures(Stats(selection)) == _figures(Stats(selection, source="rows")), (region, flag)
    wuyi = Selection.year(2024, region=regions["b"], industry=world["industries"][3], flag="key")
    assert Stats(wuyi).totals() == Stats(wuyi, source="rows").totals()
