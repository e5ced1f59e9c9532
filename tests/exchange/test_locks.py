"""A confirmed quarter is locked on every way in — the form's service, the API and the import — until the
secretariat reopens it (DESIGN §3.4)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents import services as incident_services
from incidents.models import InjuryCase, SafetyAccident
from portal.exchange import services
from portal.exchange.models import Confirmation, ConfirmationEvent
from portal.models import AuditEvent
from portal.services import delete_object, update_object
from tests.prevention.conftest import local, make_case, worker_id

pytestmark = pytest.mark.django_db


def case_data(enterprise, when, **extra):
    from portal.reference.models import AccidentType

    kind = AccidentType.objects.get_or_create(edition=1986, code="03", defaults={"name": "机械伤害", "kind": "type"})[0]
    return {
        "enterprise": enterprise,
        "occurred_at": when,
        "accident_type": kind,
        "post": "冲压工",
        "place": "二号车间",
        "cause": "防护罩缺失",
        "worker_name": "王小五",
        "worker_id_number": worker_id(77),
        "severity": "minor",
        **extra,
    }


@pytest.fixture
def confirmed(exchange, enterprise_a, agency_a, settings):
    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    case = make_case(enterprise_a, agency_a, datetime.date(2026, 8, 3))
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    return case


def test_confirming_locks_new_cases_of_the_quarter_and_names_the_field(confirmed, exchange, enterprise_a):
    with pytest.raises(ValidationError) as caught:
        incident_services.record_injury_case(
            actor=exchange["staff_a"], data=case_data(enterprise_a, local(2026, 9, 30, 23, 30))
        )
    assert "occurred_at" in caught.value.message_dict
    assert (
        "2026年第3季度" in caught.value.message_dict["occurred_at"][0]
        or "2026" in caught.value.message_dict["occurred_at"][0]
    )
    assert InjuryCase.objects.count() == 1
    # The next quarter is open; so is the first minute of it, Shanghai time.
    incident_services.record_injury_case(
        actor=exchange["staff_a"], data=case_data(enterprise_a, local(2026, 10, 1, 0, 5))
    )
    assert InjuryCase.objects.count() == 2


def test_a_locked_case_cannot_be_changed_moved_out_or_deleted(confirmed, exchange):
    case = InjuryCase.objects.get(pk=confirmed.pk)
    with pytest.raises(ValidationError) as caught:
        update_object(actor=exchange["staff_a"], instance=case, data={"cause": "改了原因"})
    assert "occurred_at" in caught.value.message_dict
    case = InjuryCase.objects.get(pk=confirmed.pk)
    with pytest.raises(ValidationError):
        update_object(actor=exchange["staff_a"], instance=case, data={"occurred_at": local(2026, 10, 8, 9)})
    with pytest.raises(ValidationError):
        delete_object(actor=exchange["staff_a"], instance=case)
    assert InjuryCase.objects.get(pk=confirmed.pk).cause == "冲床防护罩缺失"


def test_a_later_recognition_of_a_locked_case_is_its_own_quarter(confirmed, exchange):
    """The case happened in Q3 (locked); recognising it in Q4 changes only recognition fields, which lock by the
    quarter of recognition."""
    case = InjuryCase.objects.get(pk=confirmed.pk)
    update_object(
        actor=exchange["staff_a"],
        instance=case,
        data={"recognized_on": datetime.date(2026, 10, 20), "fund_payout": 800},
    )
    assert InjuryCase.objects.get(pk=confirmed.pk).recognized_on == datetime.date(2026, 10, 20)
    # A recognition dated inside the locked quarter is refused.
    case = InjuryCase.objects.get(pk=confirmed.pk)
    with pytest.raises(ValidationError) as caught:
        update_object(actor=exchange["staff_a"], instance=case, data={"recognized_on": datetime.date(2026, 9, 20)})
    assert "recognized_on" in caught.value.message_dict


def test_another_agencys_records_are_not_locked_by_this_confirmation(confirmed, exchange, enterprise_a):
    from portal.reference.models import AccidentType

    kind = AccidentType.objects.get(edition=1986, code="03")
    accident = incident_services.record_incident(
        actor=exchange["staff_a_emergency"],
        model=SafetyAccident,
        data={"enterprise": enterprise_a, "occurred_at": local(2026, 8, 5, 9), "accident_type": kind},
    )
    assert accident.pk


def test_reopening_unlocks_until_the_agency_confirms_again(confirmed, exchange, enterprise_a):
    confirmation = Confirmation.objects.get()
    with pytest.raises(PermissionDenied):
        services.reopen_quarter(actor=exchange["staff_a"], confirmation=confirmation, reason="补录漏报案件")
    with pytest.raises(ValidationError) as caught:
        services.reopen_quarter(actor=exchange["secretariat_a"], confirmation=confirmation, reason=" ")
    assert "reason" in caught.value.message_dict
    services.reopen_quarter(actor=exchange["secretariat_a"], confirmation=confirmation, reason="补录漏报案件")
    incident_services.record_injury_case(actor=exchange["staff_a"], data=case_data(enterprise_a, local(2026, 9, 2, 8)))
    again = services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    assert again.times_confirmed == 2 and again.is_locked
    assert again.counts["injury_cases"] == 2
    assert list(ConfirmationEvent.objects.values_list("action", flat=True)) == ["confirm", "reopen", "confirm"]
    assert set(AuditEvent.objects.filter(object_type="exchange.confirmation").values_list("verb", flat=True)) == {
        "confirm",
        "reopen",
    }
    # Reopened and confirmed again: locked again.
    with pytest.raises(ValidationError):
        incident_services.record_injury_case(
            actor=exchange["staff_a"], data=case_data(enterprise_a, local(2026, 9, 3, 8))
        )


def test_what_cannot_be_confirmed(exchange, today, users):
    with pytest.raises(ValidationError):  # the quarter has not ended
        services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=4)
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    with pytest.raises(ValidationError):  # twice
        services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    with pytest.raises(ValidationError):  # 武义 owes nothing
        services.confirm_quarter(actor=users["staff_b"], year=2026, quarter=3)
    with pytest.raises(PermissionDenied):
        services.confirm_quarter(actor=users["officer_a"], year=2026, quarter=3)


def injury_rows(enterprise, *rows):
    headers = ["统一社会信用代码", "事故发生时间", "事故类别代码", "岗位", "受伤职工", "居民身份证号码", "伤害程度"]
    return [headers] + [
        [enterprise.credit_code, when, "03", "冲压工", f"王小{i}", worker_id(100 + i), "轻伤"]
        for i, when in enumerate(rows)
    ]


def test_an_import_into_a_locked_quarter_names_the_row_and_writes_nothing(confirmed, exchange, enterprise_a):
    from portal import imports
    from tests.portal.test_imports import csv_file

    spec = imports.get_spec("incidents.injurycase")
    rows = injury_rows(enterprise_a, "2026-10-09 09:30", "2026-09-09 09:30")
    batch = imports.upload(actor=exchange["staff_a"], spec=spec, uploaded_file=csv_file(rows))
    assert batch.status != "validated"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "事故发生时间")]
    assert "锁定" in batch.errors[0]["message"]
    assert InjuryCase.objects.count() == 1


def test_a_quarter_confirmed_between_preview_and_confirmation_stops_the_whole_import(exchange, enterprise_a, settings):
    from portal import imports
    from tests.portal.test_imports import csv_file

    settings.GB6441_2025_EFFECTIVE = "2099-01-01"
    from portal.reference.models import AccidentType

    AccidentType.objects.create(edition=1986, code="03", name="机械伤害", kind="type")
    spec = imports.get_spec("incidents.injurycase")
    rows = injury_rows(enterprise_a, "2026-10-09 09:30", "2026-09-09 09:30")
    batch = imports.upload(actor=exchange["staff_a"], spec=spec, uploaded_file=csv_file(rows))
    assert batch.status == "validated", batch.errors
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    with pytest.raises(ValidationError) as caught:
        imports.confirm(actor=exchange["staff_a"], batch=batch)
    assert "第3行" in str(caught.value) and "锁定" in str(caught.value)
    assert InjuryCase.objects.count() == 0
