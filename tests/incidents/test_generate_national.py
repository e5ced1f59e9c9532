"""``generate_national``: a valid, skewed data set, made once per run and replaced only on request.

The tests run the command at a small scale (300 enterprises, 3,000 cases in 金华市) on the configured database:
SQLite by default (``executemany``), PostgreSQL when DATABASE_URL says so (``COPY`` with the indexes and foreign
keys dropped for the load and recreated). The real reference data they need are loaded once for the module and
removed afterwards, as in tests/reference/test_reference.py.
"""

import collections
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone, translation

from enterprises.models import Enterprise
from incidents.analysis.tasks import rebuild as rebuild_statistics_task
from incidents.management.commands.generate_national import MARKER, generated_enterprises
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal.accounts.models import Role
from portal.crypto import blind_index
from portal.reference.loader import load_reference
from portal.reference.models import (
    AccidentType,
    AccidentTypeMapping,
    DiseaseCatalogueMapping,
    HistoricalRegionCode,
    Industry,
    OccupationalDisease,
    ReferenceDataset,
    Region,
    disease_catalogue_for,
    gb6441_edition_for,
)
from portal.reference.validators import parse_id_number, validate_credit_code, validate_id_number
from tests.factories import AgencyFactory, EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

DATASETS = ("region_codes", "regions", "industries", "accident_types", "occupational_diseases")
# Children before parents: what the module fixture removes again.
REFERENCE_MODELS = [
    AccidentTypeMapping,
    AccidentType,
    DiseaseCatalogueMapping,
    OccupationalDisease,
    HistoricalRegionCode,
    Region,
    Industry,
]
CITY = "330700"  # 金华市: 146 towns and streets
ENTERPRISES, CASES = 300, 3000
# Both GB 6441 editions occur in nine years whatever the day the tests run.
EFFECTIVE = (timezone.localdate() - datetime.timedelta(days=3 * 365)).isoformat()


@pytest.fixture(scope="module", autouse=True)
def reference_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        preloaded = ReferenceDataset.objects.filter(name__in=DATASETS).exists()
        load_reference(DATASETS)
    yield
    if not preloaded:
        with django_db_blocker.unblock():
            for model in REFERENCE_MODELS:
                # A raw DELETE: the tree's self-referencing PROTECT foreign key would stop Model.delete().
                model.objects.all()._raw_delete(model.objects.db)
            ReferenceDataset.objects.filter(name__in=DATASETS).delete()


def generate(*args, enterprises=ENTERPRISES, cases=CASES) -> str:
    out = io.StringIO()
    with override_settings(GB6441_2025_EFFECTIVE=EFFECTIVE):
        call_command(
            "generate_national",
            "--enterprises",
            str(enterprises),
            "--cases",
            str(cases),
            "--region",
            CITY,
            "--seed",
            "10",  # a typical draw (seed 7 put the top tenth of divisions at 49.97 % on some days)
            *args,
            stdout=out,
        )
    return out.getvalue()


def secondary_indexes() -> dict[str, set[str]]:
    """PostgreSQL: the definitions of every index on the loaded tables (names included)."""
    tables = [m._meta.db_table for m in (Enterprise, InjuryCase, OccupationalDiseaseCase, SafetyAccident)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
        found = collections.defaultdict(set)
        for table, definition in cursor.fetchall():
            found[table].add(definition)
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        for table, name, definition in cursor.fetchall():
            found[table].add(f"{name} {definition}")
    return dict(found)


def test_generates_the_asked_numbers_of_valid_rows(django_capture_on_commit_callbacks):
    before = secondary_indexes() if connection.vendor == "postgresql" else None
    with django_capture_on_commit_callbacks() as callbacks:
        output = generate()
    assert rebuild_statistics_task.delay in callbacks  # COPY sent no signals: the summary tables are rebuilt

    enterprises = generated_enterprises()
    assert enterprises.count() == Enterprise.objects.count() == ENTERPRISES
    assert InjuryCase.objects.count() == CASES
    assert OccupationalDiseaseCase.objects.count() == CASES // 100
    accidents = SafetyAccident.objects.count()
    assert 0 < accidents < CASES // 10
    assert "每秒" in output  # rows/s, in the default language

    city = Region.objects.get(code=CITY)
    for enterprise in enterprises.select_related("region", "industry", "owner_agency__region").order_by("?")[:100]:
        enterprise.full_clean()
        validate_credit_code(enterprise.credit_code)
        assert enterprise.credit_code[8:10] == MARKER
        assert enterprise.region.is_within(city) and enterprise.region.level == "town"
        assert enterprise.owner_agency.kind == "hrss" and enterprise.owner_agency.region == enterprise.region.parent
    today = timezone.localdate()
    with override_settings(GB6441_2025_EFFECTIVE=EFFECTIVE):
        for case in InjuryCase.objects.select_related("accident_type", "enterprise", "owner_agency")[:: CASES // 150]:
            case.full_clean()  # ID check character, accident type of the edition in force, hire date, recognition
            day = timezone.localtime(case.occurred_at).date()
            assert case.accident_type.edition == gb6441_edition_for(day)
            assert case.owner_agency.kind == "hrss" and case.owner_agency_id == case.enterprise.owner_agency_id
            assert case.occurred_at <= case.created_at <= case.updated_at <= timezone.now()
            assert case.hire_date is None or case.hire_date < day
            assert case.recognized_on is None or day <= case.recognized_on < today
            assert 16 <= (day - case.birth_date).days / 365.25 <= 62
            if case.severity == "fatal":
                assert case.disability_grade is None and case.lost_workdays == 0
        for disease_case in OccupationalDiseaseCase.objects.select_related("disease", "owner_agency")[:20]:
            disease_case.full_clean()
            assert disease_case.disease.catalogue_version == disease_catalogue_for(disease_case.diagnosed_on)
            assert disease_case.owner_agency.kind == "health"
            assert disease_case.diagnosis  # encrypted at rest, decrypted here
        for accident in SafetyAccident.objects.prefetch_related("injury_cases")[:20]:
            accident.full_clean()
            assert accident.owner_agency.kind == "emergency"
            linked = list(accident.injury_cases.all())
            assert linked and all(c.enterprise_id == accident.enterprise_id for c in linked)
            assert any((c.severity == "fatal") == (accident.deaths == 1) for c in linked)
    assert not InjuryCase.objects.exclude(disability_grade__isnull=True).exclude(disability_grade__range=(1, 10))
    connection.check_constraints()  # foreign keys hold (PostgreSQL: they were recreated and validated)
    if before is not None:
        assert secondary_indexes() == before  # every index and foreign key is back, same name and definition


def test_worker_id_numbers_decrypt_and_agree_with_blind_index_birth_date_and_sex():
    generate()
    cases = list(InjuryCase.objects.all()[:: CASES // 200])
    for case in cases:
        number = case.worker_id_number  # decrypted by EncryptedTextField
        validate_id_number(number)
        assert case.worker_id_hash == blind_index(number)
        assert parse_id_number(number) == (case.birth_date, case.sex)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT worker_id_number FROM {InjuryCase._meta.db_table} LIMIT 1")  # noqa: S608
        assert cursor.fetchone()[0].startswith("gAAAAA")  # a Fernet token, not the number
    assert cases[0] in InjuryCase.objects.with_id_number(cases[0].worker_id_number)
    sexes = collections.Counter(InjuryCase.objects.values_list("sex", flat=True))
    assert sexes["M"] > 2 * sexes["F"] > 0


def test_a_few_towns_and_industries_carry_most_cases():
    generate()
    towns = Region.objects.filter(level="town", path__startswith=Region.objects.get(code=CITY).path).count()
    by_town = collections.Counter(InjuryCase.objects.values_list("enterprise__region_id", flat=True))
    top_towns = sum(sorted(by_town.values(), reverse=True)[: towns // 10])
    assert top_towns > 0.5 * CASES, f"top tenth of {towns} towns: {top_towns} cases"

    divisions = Industry.objects.filter(level="division").count()
    by_division = collections.Counter(
        c[:2] for c in InjuryCase.objects.values_list("enterprise__industry__code", flat=True)
    )
    top_divisions = sum(sorted(by_division.values(), reverse=True)[: divisions // 10])
    assert top_divisions > 0.5 * CASES, f"top tenth of {divisions} divisions: {top_divisions} cases"

    severity = collections.Counter(InjuryCase.objects.values_list("severity", flat=True))
    assert severity["minor"] > 0.75 * CASES and severity["serious"] > severity["fatal"] > 0
    assert severity["fatal"] < 0.03 * CASES
    graded = InjuryCase.objects.filter(disability_grade__isnull=False).count()
    assert 0.05 * CASES < graded < 0.5 * CASES
    editions = collections.Counter(InjuryCase.objects.values_list("accident_type__edition", flat=True))
    assert editions[1986] > editions[2025] > 0


def test_a_second_run_refuses_without_replace():
    generate()
    with pytest.raises(CommandError, match="--replace") as refused:
        generate()
    assert "已存在" in str(refused.value)
    with translation.override("en"), pytest.raises(CommandError, match="Generated data already exist: 300 enterpr"):
        generate()
    assert InjuryCase.objects.count() == CASES


def test_replace_deletes_only_what_the_command_made(regions, industry):
    generate()
    # Someone else's enterprise and case in the same database, and a worker case at a generated enterprise.
    agency = AgencyFactory(region=regions["a"], kind="hrss")
    own = EnterpriseFactory(region=regions["a_town"], industry=industry, owner_agency=agency)
    case = InjuryCase.objects.order_by("pk").first()
    case.pk, case.enterprise, case.owner_agency = None, own, agency
    case.save()

    output = generate("--replace", enterprises=120, cases=800)

    assert "生产安全事故" in output  # what was deleted is reported
    assert generated_enterprises().count() == 120
    assert InjuryCase.objects.filter(enterprise__in=generated_enterprises().values("pk")).count() == 800
    assert Enterprise.objects.filter(pk=own.pk).exists()
    assert InjuryCase.objects.filter(enterprise=own).count() == 1
    assert OccupationalDiseaseCase.objects.count() == 8
    connection.check_constraints()


def test_replace_of_generated_data_alone_empties_and_refills(django_capture_on_commit_callbacks):
    generate()
    with django_capture_on_commit_callbacks() as callbacks:
        generate("--replace", "--no-statistics", enterprises=100, cases=500)
    assert rebuild_statistics_task.delay not in callbacks
    assert Enterprise.objects.count() == 100
    assert InjuryCase.objects.count() == 500
    assert SafetyAccident.injury_cases.through.objects.count() >= SafetyAccident.objects.count() > 0
    connection.check_constraints()


def test_replace_refuses_while_an_account_is_bound_to_a_generated_enterprise():
    generate()
    enterprise = generated_enterprises().first()
    UserFactory(role=Role.SAFETY_OFFICER, agency=None, enterprise=enterprise)
    with translation.override("en"), pytest.raises(CommandError, match="users"):
        generate("--replace")
    assert generated_enterprises().count() == ENTERPRISES


def test_generated_cases_and_accidents_carry_their_enterprises_county():
    generate()
    from enterprises.models import sync_tiers

    assert not InjuryCase.objects.filter(county__isnull=True).exists()
    assert sync_tiers() == 0  # every row already carries what its enterprise's region says
    county = Region.objects.filter(level="county", path__startswith=Region.objects.get(code=CITY).path).first()
    assert (
        InjuryCase.objects.filter(county=county).count()
        == InjuryCase.objects.filter(enterprise__region__path__startswith=county.path).count()
    )
