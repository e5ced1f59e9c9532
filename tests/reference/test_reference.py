"""Reference data: loader, trees, risk classes and rates, industry flags, accidents, diseases, calendar.

The real data are loaded once for this module (about 6 s on SQLite) and removed afterwards, so that other
test modules keep building their own small trees.
"""

import datetime
import io
import shutil
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation

from portal.permissions import ROLE_PERMISSIONS
from portal.reference.loader import DATA_DIR, DATASET_NAMES, load_reference
from portal.reference.models import (
    ACCIDENT_GRADE_THRESHOLDS,
    AccidentGrade,
    AccidentGradeLevel,
    AccidentType,
    AccidentTypeMapping,
    CalendarDay,
    CalendarNotSeeded,
    DiseaseCatalogueMapping,
    HazardRiskLevel,
    HistoricalRegionCode,
    Industry,
    IndustryFlag,
    IndustryRiskClass,
    OccupationalDisease,
    OccupationalHazardRisk,
    ReferenceDataset,
    Region,
    RegionalRiskRate,
    RiskClass,
    accident_grade,
    accident_types_for,
    add_months_deadline,
    add_workdays,
    base_rate_for,
    disease_catalogue_for,
    diseases_for,
    find_accident_type,
    gb6441_edition_for,
    industry_flag_groups,
    industry_flag_labels,
    industry_flag_q,
    industry_flag_rules,
    is_industry_flagged,
    is_workday,
    next_workday_on_or_after,
    ohd_risks_for,
    risk_class_for,
)
from portal.reference.validators import validate_id_number

pytestmark = pytest.mark.django_db

# Children before parents: what the module fixture removes again.
REFERENCE_MODELS = [
    IndustryFlag,
    RegionalRiskRate,
    IndustryRiskClass,
    OccupationalHazardRisk,
    AccidentTypeMapping,
    AccidentType,
    AccidentGrade,
    DiseaseCatalogueMapping,
    OccupationalDisease,
    CalendarDay,
    HistoricalRegionCode,
    RiskClass,
    Region,
    Industry,
    ReferenceDataset,
]


@pytest.fixture(scope="module", autouse=True)
def reference_data(django_db_setup, django_db_blocker):
    """Load the real reference data once for the module; remove it afterwards unless it was there before."""
    with django_db_blocker.unblock():
        preloaded = ReferenceDataset.objects.count() == len(DATASET_NAMES)
        results = load_reference()
    yield results
    if not preloaded:
        with django_db_blocker.unblock():
            for model in REFERENCE_MODELS:
                # A raw DELETE: the tree's self-referencing PROTECT foreign key would stop Model.delete().
                model.objects.all()._raw_delete(model.objects.db)


def d(s: str) -> datetime.date:
    return datetime.date.fromisoformat(s)


# --- loader -------------------------------------------------------------------------------------------------


def test_counts_match_the_data_readme():
    regions = Region.objects.filter(is_custom=False)
    assert regions.filter(level="province").count() == 34
    assert regions.filter(level="city").count() == 333
    assert regions.filter(level="county", is_functional_zone=False).count() == 2846
    assert regions.filter(level="county", is_functional_zone=True).count() == 132  # 133 NBS-only, 620201 folded
    assert regions.filter(level="town").count() == 41352
    mca_2024 = {line.split()[0] for line in (DATA_DIR / "regions/mca-2024.txt").read_text("utf-8").splitlines()}
    official = regions.filter(is_functional_zone=False).exclude(level="town")
    assert set(official.values_list("code", flat=True)) == mca_2024
    assert HistoricalRegionCode.objects.count() == 6823
    assert HistoricalRegionCode.objects.filter(status="in_use").count() == 3213

    levels = {lv: Industry.objects.filter(level=lv).count() for lv in ("section", "division", "group", "class")}
    assert levels == {"section": 20, "division": 97, "group": 473, "class": 1381}
    assert RiskClass.objects.count() == 8
    assert IndustryRiskClass.objects.count() == 103
    national = IndustryFlag.objects.filter(region__isnull=True)
    assert (national.filter(kind="key").count(), national.filter(kind="dust").count()) == (42, 14)
    assert OccupationalHazardRisk.objects.filter(risk=HazardRiskLevel.SERIOUS).count() == 146
    assert OccupationalHazardRisk.objects.filter(risk=HazardRiskLevel.GENERAL).count() == 145
    assert AccidentType.objects.filter(edition=1986).count() == 20
    assert AccidentType.objects.filter(edition=2025, kind="type").count() == 27
    assert AccidentType.objects.filter(edition=2025, kind="injury_degree").count() == 4
    assert AccidentTypeMapping.objects.count() == 26
    assert AccidentGrade.objects.count() == 4
    assert OccupationalDisease.objects.filter(catalogue_version=2013).count() == 132
    assert OccupationalDisease.objects.filter(catalogue_version=2024).count() == 135
    assert DiseaseCatalogueMapping.objects.count() == 135
    assert CalendarDay.objects.count() == 108
    assert ReferenceDataset.objects.count() == len(DATASET_NAMES)


def test_second_run_skips_and_forced_run_changes_nothing():
    before = {m.__name__: m.objects.count() for m in REFERENCE_MODELS}
    assert all(r.skipped for r in load_reference())
    out = io.StringIO()
    call_command("load_reference", stdout=out)
    lines = out.getvalue().splitlines()
    assert len([line for line in lines if "skipped" in line]) == len(DATASET_NAMES)

    forced = load_reference(force=True)
    assert [(r.created, r.updated, r.removed) for r in forced] == [(0, 0, 0)] * len(DATASET_NAMES)
    assert {m.__name__: m.objects.count() for m in REFERENCE_MODELS} == before


def test_changed_file_reloads_only_its_data_set(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    cal = data / "calendar/cn-workdays-2024-2026.csv"
    cal.write_text(cal.read_text("utf-8").replace("2025-10-06,0,中秋节", "2025-10-06,0,中秋节（国庆）"), "utf-8")
    flags = data / "industries/key-industries.csv"
    flags.write_text("".join(flags.read_text("utf-8").splitlines(keepends=True)[:-1]), "utf-8")  # drop 石材加工 303
    CalendarDay.objects.create(date=d("2027-01-01"), is_workday=False, name="元旦")  # added by an administrator

    results = {r.name: r for r in load_reference(data_dir=data)}
    assert [n for n, r in results.items() if not r.skipped] == ["industry_flags", "calendar"]
    assert (results["calendar"].created, results["calendar"].updated) == (0, 1)
    assert results["industry_flags"].removed == 1
    assert CalendarDay.objects.get(date=d("2025-10-06")).name == "中秋节（国庆）"
    assert CalendarDay.objects.filter(date=d("2027-01-01")).exists()
    assert not IndustryFlag.objects.filter(kind="dust", code_prefix="303").exists()


def test_custom_zone_survives_a_reload():
    yongkang = Region.objects.get(code="330784")
    zone = Region.objects.create(code="330784-Z1", name="永康经济开发区", level="zone", is_custom=True, parent=yongkang)
    load_reference(["regions"], force=True)
    zone.refresh_from_db()
    assert zone.path == "/330000/330700/330784/330784-Z1/"
    assert zone in Region.objects.subtree(yongkang)


# --- trees ----------------------------------------------------------------------------------------------------


def test_region_tree_rolls_up():
    zhejiang = Region.objects.get(code="330000")
    yongkang = Region.objects.get(code="330784")
    assert yongkang.path == "/330000/330700/330784/"
    assert yongkang.full_name == "浙江省金华市永康市"
    subtree = Region.objects.subtree(zhejiang)
    assert subtree.filter(code="330784").exists()
    towns = Region.objects.subtree(yongkang).filter(level="town")
    assert towns.count() == 14
    assert set(towns.values_list("pk", flat=True)) <= set(subtree.values_list("pk", flat=True))
    assert Region.objects.get(code="420281").children.filter(level="town").count() == 18  # 大冶市
    town = towns.first()
    assert [r.code for r in Region.objects.ancestors_of(town)] == ["330000", "330700", "330784"]


def test_direct_counties_hang_under_the_province():
    assert Region.objects.get(code="429004").parent.code == "420000"  # 仙桃市, 省直辖
    assert Region.objects.get(code="110105").parent.code == "110000"  # 朝阳区, Beijing
    assert Region.objects.get(code="130171").parent.code == "130100"  # a functional zone under 石家庄市
    assert Region.objects.filter(parent__code="620200", level="town").exists()  # NBS 620201 folded into the city


def test_industry_tree_rolls_up():
    manufacturing = Industry.objects.get(code="C")
    assert manufacturing.name == "制造业"
    assert Industry.objects.subtree(manufacturing).filter(code="3311").exists()
    assert not Industry.objects.subtree(manufacturing).filter(code="4710").exists()
    assert Industry.objects.get(code="3311").path == "/C/33/331/3311/"


# --- risk classes and rates ----------------------------------------------------------------------------------


def test_risk_classes():
    assert risk_class_for("3311").number == 4  # 金属制品业
    assert risk_class_for(Industry.objects.get(code="5910")).number == 5  # 59 装卸搬运 by group
    assert risk_class_for("5920").number == 2  # 仓储
    assert risk_class_for("7910") is None  # 79 土地管理业: the region decides
    assert RiskClass.objects.get(number=1).tiers == [100, 120, 150]
    assert RiskClass.objects.get(number=8).base_rate_percent == Decimal("1.9")


def test_base_rate_walks_up_the_region_tree():
    zhejiang, jinhua, yongkang = (Region.objects.get(code=c) for c in ("330000", "330700", "330784"))
    wuyi = Region.objects.get(code="330723")
    four = RiskClass.objects.get(number=4)
    assert base_rate_for("3311", yongkang, 2025) == Decimal("0.9")
    RegionalRiskRate.objects.create(region=zhejiang, year=2025, risk_class=four, base_rate_percent=Decimal("0.8"))
    RegionalRiskRate.objects.create(region=jinhua, year=2025, risk_class=four, base_rate_percent=Decimal("0.45"))
    RegionalRiskRate.objects.create(region=wuyi, year=2025, risk_class=four, base_rate_percent=Decimal("0.5"))
    assert base_rate_for("3311", yongkang, 2025) == Decimal("0.45")  # nearest: the city
    assert base_rate_for("3311", wuyi, 2025) == Decimal("0.5")
    assert base_rate_for("3311", Region.objects.get(code="330100"), 2025) == Decimal("0.8")  # the province
    assert base_rate_for("3311", yongkang, 2024) == Decimal("0.9")  # national for another year
    assert base_rate_for("7910", yongkang, 2025) is None


# --- industry flags ------------------------------------------------------------------------------------------


def test_national_flags():
    assert is_industry_flagged("3011", "dust")  # 水泥制造
    assert is_industry_flagged("0711", "key") and not is_industry_flagged("0711", "dust")  # 陆上石油天然气
    assert is_industry_flagged("3391", "dust") and not is_industry_flagged("3311", "dust")  # 铸造 only
    assert set(industry_flag_labels("5435", "key")) == {"交通运输", "危险化学品"}
    assert industry_flag_labels("5436", "key") == ["交通运输"]
    assert set(industry_flag_labels("3032", "dust")) == {"建材", "石材加工"}
    assert industry_flag_labels("6510", "key") == []


def test_regional_flags_override_and_extend():
    jinhua, yongkang, wuyi = (Region.objects.get(code=c) for c in ("330700", "330784", "330723"))
    IndustryFlag.objects.create(region=jinhua, kind="key", code_prefix="60", label="邮政")
    IndustryFlag.objects.create(region=yongkang, kind="dust", code_prefix="303", label="石材加工", is_excluded=True)
    IndustryFlag.objects.create(region=yongkang, kind="dust", code_prefix="3032", label="建筑用石加工")
    assert is_industry_flagged("6010", "key", yongkang) and is_industry_flagged("6010", "key", wuyi)
    assert not is_industry_flagged("6010", "key")
    assert not is_industry_flagged("3031", "dust", yongkang)  # excluded in 永康
    assert is_industry_flagged("3032", "dust", yongkang)  # put back by a longer prefix in 永康
    assert is_industry_flagged("3031", "dust", wuyi)  # still national in 武义

    classes = Industry.objects.filter(level="class")
    for kind in ("key", "dust"):
        for region in (None, yongkang, wuyi):
            rules = industry_flag_rules(kind, region)
            expected = {c for c in classes.values_list("code", flat=True) if is_industry_flagged(c, kind, rules=rules)}
            got = set(classes.filter(industry_flag_q(kind, region)).values_list("code", flat=True))
            assert got == expected
    # Labels come from the including rules that no nearer exclusion overrides.
    assert industry_flag_labels("3032", "dust", yongkang) == ["建筑用石加工"]  # the exclusion dropped 建材 too
    assert industry_flag_labels("3032", "dust", wuyi) == ["建材", "石材加工"]
    assert industry_flag_labels("3031", "dust", yongkang) == []
    groups = industry_flag_groups("dust", yongkang)
    assert not classes.filter(groups["石材加工"]).exists()
    assert set(classes.filter(groups["建筑用石加工"]).values_list("code", flat=True)) == {"3032"}
    building_materials = set(classes.filter(groups["建材"]).values_list("code", flat=True))
    assert building_materials == set(
        classes.filter(code__startswith="30").exclude(code__startswith="303").values_list("code", flat=True)
    )
    for region in (None, yongkang, wuyi):
        rules = industry_flag_rules("dust", region)
        for code in classes.values_list("code", flat=True):
            labels = industry_flag_labels(code, "dust", rules=rules)
            assert bool(labels) == is_industry_flagged(code, "dust", rules=rules)


def test_flag_q_works_through_a_relation():
    q = industry_flag_q("dust", None, field="industry__code")
    assert IndustryRiskClass.objects.filter(q).exists()  # divisions 06, 08, … have a risk-class row


def test_ohd_risk_catalogue():
    split = ohd_risks_for("0311")
    assert {(r.name, r.risk) for r in split} == {("牲畜饲养（牛、羊）", "serious"), ("牲畜饲养（其他）", "general")}
    assert [r.risk for r in ohd_risks_for("5265")] == ["general"]
    assert not ohd_risks_for("6510").exists()


# --- accidents -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deaths", "serious", "loss", "grade"),
    [
        (3, 0, 0, AccidentGradeLevel.RELATIVELY_SERIOUS),
        (2, 0, 0, AccidentGradeLevel.ORDINARY),
        (0, 10, 0, AccidentGradeLevel.RELATIVELY_SERIOUS),
        (0, 9, 0, AccidentGradeLevel.ORDINARY),
        (0, 0, 10_000_000, AccidentGradeLevel.RELATIVELY_SERIOUS),
        (0, 0, Decimal("9999999.99"), AccidentGradeLevel.ORDINARY),
        (9, 49, 49_999_999, AccidentGradeLevel.RELATIVELY_SERIOUS),
        (10, 0, 0, AccidentGradeLevel.SERIOUS),
        (1, 50, 0, AccidentGradeLevel.SERIOUS),
        (0, 0, 50_000_000, AccidentGradeLevel.SERIOUS),
        (29, 99, 99_999_999, AccidentGradeLevel.SERIOUS),
        (30, 0, 0, AccidentGradeLevel.PARTICULARLY_SERIOUS),
        (0, 100, 0, AccidentGradeLevel.PARTICULARLY_SERIOUS),
        (2, 0, 100_000_000, AccidentGradeLevel.PARTICULARLY_SERIOUS),
        (0, 0, 0, AccidentGradeLevel.ORDINARY),
        (None, 10, None, AccidentGradeLevel.RELATIVELY_SERIOUS),
        (None, None, None, None),
    ],
)
def test_accident_grade(deaths, serious, loss, grade):
    assert accident_grade(deaths, serious, loss) == grade


def test_accident_grade_table_matches_the_function():
    rows = AccidentGrade.objects.order_by("rank")
    assert [r.name for r in rows] == ["特别重大", "重大", "较大", "一般"]
    assert [r.level for r in rows] == [t[0] for t in ACCIDENT_GRADE_THRESHOLDS]
    with pytest.raises(ValueError):
        accident_grade(-1, 0, 0)


def test_edition_by_incident_date():
    assert gb6441_edition_for(d("2026-06-30")) == 1986
    assert gb6441_edition_for(d("2026-07-01")) == 2025
    assert accident_types_for(d("2025-05-01")).count() == 20
    assert accident_types_for(d("2026-07-01")).count() == 27
    with override_settings(GB6441_2025_EFFECTIVE=datetime.date(2027, 1, 1)):
        assert gb6441_edition_for(d("2026-07-01")) == 1986
    with override_settings(GB6441_2025_EFFECTIVE="2025-12-31"):
        assert gb6441_edition_for(datetime.datetime(2026, 1, 5, 9, 30)) == 2025


def test_find_accident_type_accepts_both_spellings():
    assert find_accident_type("其他伤害", 1986).code == "20"
    assert find_accident_type("其它伤害", 1986).code == "20"
    assert find_accident_type("其它爆炸", 1986).code == "18"
    assert find_accident_type("其它", 2025).code == "WSA10099"
    assert find_accident_type("厂(场)内车辆致害", 2025).code == "WSA10002"
    assert find_accident_type("不存在", 2025) is None


def test_legacy_map_has_one_default_per_old_type():
    for old in AccidentType.objects.filter(edition=1986):
        assert old.successors.filter(is_default=True).count() == 1
    assert AccidentType.objects.get(edition=1986, code="02").default_successor().code == "WSA10002"
    assert AccidentTypeMapping.objects.get(old__code="02", new__code="WSA10003").needs_review


# --- diseases ------------------------------------------------------------------------------------------------


def test_disease_catalogue_by_diagnosis_date():
    assert disease_catalogue_for(d("2025-07-31")) == 2013
    assert disease_catalogue_for(d("2025-08-01")) == 2024
    assert disease_catalogue_for(d("2010-01-01")) == 2013
    assert diseases_for(d("2025-07-31")).count() == 132
    assert diseases_for(d("2025-08-01")).count() == 135
    assert set(diseases_for(d("2025-07-31")).values_list("catalogue_version", flat=True)) == {2013}
    cataract = OccupationalDisease.objects.get(code="2013-03-0-03")
    assert {m.new.name for m in cataract.successors.all()} == {"白内障（含三硝基甲苯白内障）", "放射性白内障"}


# --- calendar ------------------------------------------------------------------------------------------------


def test_workdays_and_deadlines():
    assert not is_workday(d("2025-10-01"))
    assert is_workday(d("2025-10-11"))  # Saturday make-up day
    assert not is_workday(d("2025-10-12"))  # Sunday
    assert is_workday(d("2025-10-09"))
    assert next_workday_on_or_after(d("2025-10-01")) == d("2025-10-09")
    assert next_workday_on_or_after(d("2025-10-09")) == d("2025-10-09")
    assert add_months_deadline(d("2025-09-01"), 1) == d("2025-10-09")  # one month ends on 国庆节
    assert add_months_deadline(d("2025-01-31"), 1) == d("2025-02-28")  # clamped to the month's end
    assert add_months_deadline(d("2025-03-15"), 4) == d("2025-07-15")  # the 4-month check of a notice
    assert add_workdays(d("2025-09-30"), 1) == d("2025-10-09")


def test_unseeded_year_raises_a_clear_error():
    with pytest.raises(CalendarNotSeeded) as exc:
        add_months_deadline(d("2026-12-15"), 1)
    assert exc.value.year == 2027
    with translation.override("zh-hans"), pytest.raises(CalendarNotSeeded) as exc:
        is_workday(d("2027-03-01"))
    assert "2027年的节假日安排尚未录入" in str(exc.value)
    CalendarDay.objects.create(date=d("2027-01-01"), is_workday=False, name="元旦")
    assert add_months_deadline(d("2026-12-01"), 1) == d("2027-01-04")  # 01-01 holiday, 02–03 weekend


# --- ID numbers against the full history -------------------------------------------------------------------


def test_id_number_with_codes_from_the_history():
    def make(region, birth):
        first17 = f"{region}{birth}123"
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]

    validate_id_number(make("330722", "19880512"))  # 永康县 1985–1992
    validate_id_number(make("429001", "19880512"))  # 随州市 as a 省直辖 city, abolished 2000
    validate_id_number(make("330784", "20010101"))
    with pytest.raises(Exception, match="123456"):
        validate_id_number(make("123456", "19880512"))


# --- admin ---------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(admin_user, client, monkeypatch):
    """A system administrator (the role makes the account staff) granted every permission of this app for the
    test (which role edits calendar days, flags and rates is decided in portal.permissions)."""
    perms = {
        f"reference.{a}_{m._meta.model_name}" for m in REFERENCE_MODELS for a in ("view", "add", "change", "delete")
    }
    monkeypatch.setitem(ROLE_PERMISSIONS, "system_admin", ROLE_PERMISSIONS["system_admin"] | perms)
    admin_user.role = "system_admin"
    admin_user.password_changed_at = timezone.now()
    admin_user.save()
    client.force_login(admin_user)
    return client


def test_admin_pages(admin_client):
    for model, query in [
        ("region", "?q=永康"),
        ("historicalregioncode", "?q=330722"),
        ("industry", "?q=3311"),
        ("riskclass", ""),
        ("industryriskclass", ""),
        ("regionalriskrate", ""),
        ("industryflag", "?kind__exact=dust"),
        ("occupationalhazardrisk", "?q=031"),
        ("accidenttype", "?edition__exact=2025"),
        ("accidenttypemapping", ""),
        ("accidentgrade", ""),
        ("occupationaldisease", "?q=尘肺"),
        ("diseasecataloguemapping", ""),
        ("calendarday", "?date__year=2025"),
        ("referencedataset", ""),
    ]:
        response = admin_client.get(f"/admin/reference/{model}/{query}")
        assert response.status_code == 200, model
    assert "永康市" in admin_client.get("/admin/reference/region/?q=永康").content.decode()
    assert admin_client.get("/admin/reference/industry/add/").status_code == 403
    yongkang = Region.objects.get(code="330784")
    page = admin_client.get(f"/admin/reference/region/{yongkang.pk}/change/").content.decode()
    assert 'name="name"' not in page  # official regions are read-only
    response = admin_client.post(
        "/admin/reference/region/add/", {"code": "330784-Z9", "name": "永康经济开发区", "parent": yongkang.pk}
    )
    assert response.status_code == 302
    zone = Region.objects.get(code="330784-Z9")
    assert (zone.is_custom, zone.level, zone.path) == (True, "zone", "/330000/330700/330784/330784-Z9/")
    response = admin_client.post(
        "/admin/reference/industryflag/add/", {"kind": "key", "label": "错误", "code_prefix": "ZZ", "note": ""}
    )
    assert response.status_code == 200 and not IndustryFlag.objects.filter(code_prefix="ZZ").exists()


# --- demo region (needs the real reference data loaded above) ------------------------------------------------


@pytest.mark.django_db
def test_load_demo_makes_valid_data_once():
    from django.core.management import call_command

    from enterprises.models import Enterprise
    from portal.accounts.models import Agency, Role, User

    call_command("load_demo", "--enterprises", "20", stdout=io.StringIO())
    call_command("load_demo", "--enterprises", "20", stdout=io.StringIO())
    assert Agency.objects.filter(region__code="330784").count() == 8
    assert Enterprise.objects.count() == 30  # 10 named and 20 generated, once
    from enterprises.models import InsuranceSnapshot

    assert InsuranceSnapshot.objects.filter(year=2024).count() == 120  # four quarters for each enterprise
    for snapshot in InsuranceSnapshot.objects.all()[:20]:
        snapshot.full_clean()
    from incidents.models import InjuryCase

    cases = InjuryCase.objects.all()
    assert cases.count() >= 60
    assert set(cases.values_list("enterprise_id", flat=True).distinct()) == set(
        Enterprise.objects.values_list("id", flat=True)
    )
    for case in cases:
        case.full_clean()  # valid ID numbers, accident type of the right GB 6441 edition for its date
    from incidents.analysis.models import Target

    own = Target.objects.get(region__code="330784")  # seed 004: −60 % against 2019 by the end of 2022
    assert (own.baseline_year, own.target_year, own.reduction_percent) == (2019, 2022, 60)
    assert cases.filter(severity="minor").count() > cases.filter(severity="serious").count()
    for enterprise in Enterprise.objects.all():
        enterprise.full_clean()
        assert enterprise.region.parent.code == "330784"
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for user in User.objects.all():
        user.full_clean(exclude=["password"])
        assert user.check_password("Yufang@2026demo")


@pytest.mark.django_db
def test_the_demo_region_runs_the_warning_loop_once():
    from django.core.management import call_command

    from incidents.prevention.models import Bulletin, NoticeLetter, RectificationReport, ScreeningRun
    from portal.accounts.models import User

    call_command("load_demo", "--enterprises", "20", stdout=io.StringIO())
    call_command("load_demo_loop", stdout=io.StringIO(), stderr=io.StringIO())
    counts = [m.objects.count() for m in (ScreeningRun, NoticeLetter, RectificationReport, Bulletin)]
    assert counts[0] >= 1 and counts[1] >= 1 and counts[3] >= 1
    assert Bulletin.objects.public().count() == counts[3]  # published to the case library
    for bulletin in Bulletin.objects.select_related("source_case__enterprise"):
        text = bulletin.summary + bulletin.cause_analysis + bulletin.lessons + bulletin.title
        assert bulletin.source_case.enterprise.name not in text and bulletin.source_case.worker_name not in text
    for report in RectificationReport.objects.filter(state="accepted"):
        assert report.notice.state == "rectified"
    officer = User.objects.get(username="anquan")
    assert NoticeLetter.objects.visible_to(officer).exclude(enterprise=officer.enterprise).count() == 0
    call_command("load_demo_loop", stdout=io.StringIO(), stderr=io.StringIO())
    assert [m.objects.count() for m in (ScreeningRun, NoticeLetter, RectificationReport, Bulletin)] == counts


@pytest.mark.django_db
def test_the_demo_region_runs_the_quarterly_exchange_once():
    from django.core.management import call_command

    from enterprises.models import ConstructionProject
    from incidents.analysis import cubes
    from portal.exchange.models import Confirmation, ExchangeReport, Obligation
    from portal.exchange.selectors import Status, board, last_quarter

    call_command("load_demo", "--enterprises", "20", stdout=io.StringIO())
    cubes.rebuild()
    call_command("load_demo_exchange", stdout=io.StringIO())
    counts = [m.objects.count() for m in (Obligation, Confirmation, ExchangeReport, ConstructionProject)]
    assert counts[0] == 7  # 人社 three kinds; 卫健, 应急, 住建, 交通运输 one each
    assert counts[2] == 3 and counts[3] == 10  # two quarters' reports, one in two versions; five projects a quarter
    for project in ConstructionProject.objects.all():
        project.full_clean()
    reopened = Confirmation.objects.get(agency__kind="hrss", times_confirmed=2)
    assert reopened.reopen_reason and reopened.is_locked
    today = datetime.date.today()  # noqa: DTZ011 - the command runs on today's date too
    statuses = {r["agency"].kind: r["status"] for r in board(reopened.agency.region, *last_quarter(today), today)}
    assert statuses["health"] in (Status.OVERDUE, Status.PENDING) and statuses["hrss"] != Status.OVERDUE
    for report in ExchangeReport.objects.all():
        assert {f.format for f in report.files.all()} == {"xlsx", "pdf", "json"}
    call_command("load_demo_exchange", stdout=io.StringIO())
    assert [m.objects.count() for m in (Obligation, Confirmation, ExchangeReport, ConstructionProject)] == counts


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner statistics of PostgreSQL")
def test_a_bulk_load_leaves_the_planner_statistics_current():
    """A table filled by the loader is analysed at once: joins through tens of thousands of fresh regions got
    plans that read them once per row of the other side while the statistics still said "empty"."""
    import datetime

    from portal.reference import loader
    from portal.reference.models import CalendarDay

    first = datetime.date(2031, 1, 1)
    rows = [{"date": first + datetime.timedelta(days=i), "is_workday": i % 7 < 5, "name": ""} for i in range(800)]
    loader.sync(CalendarDay, rows, ("date",))
    loader._analyze_written()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [CalendarDay._meta.db_table])
        assert cursor.fetchone()[0] >= 800
