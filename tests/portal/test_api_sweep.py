"""Sweep every operation of the OpenAPI schema: anonymous callers are refused, and a user of county B asking
for an object of county A gets 404 (or 403 where the role has no such permission at all)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"\{[^}]+\}")
# The only operation open to anonymous callers: exchanging a password for a token (it is the login).
PUBLIC_OPERATIONS = {
    ("POST", "/api/v1/accounts/token/"),
    # the public case library (警示教育) of published typical-case bulletins
    ("GET", "/api/v1/prevention/library/"),
    ("GET", "/api/v1/prevention/library/{pk}/"),
}


def _operations():
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _regex, method, view in generator.endpoints:
        if path.startswith("/api/v1/"):
            yield path, method, view


def _model(view):
    queryset = getattr(view.cls, "queryset", None)
    return None if queryset is None else queryset.model


@pytest.fixture
def populated(users, enterprise_a, enterprise_b):
    import datetime

    from django.utils import timezone

    from enterprises.models import InsuranceSnapshot
    from incidents.models import InjuryCase
    from portal import audit
    from portal.notifications.services import notify
    from portal.reference.models import AccidentType
    from portal.reference.validators import id_number_check_char

    kind = AccidentType.objects.create(edition=1986, code="04", name="机械伤害", kind="type")
    InjuryCase.objects.create(
        enterprise=enterprise_a,
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        accident_type=kind,
        post="冲压工",
        worker_name="王小明",
        worker_id_number="33078419900101123" + id_number_check_char("33078419900101123"),
        severity="minor",
        owner_agency=enterprise_a.owner_agency,
    )
    notify(recipients=[users["staff_a"]], title="A 的消息", email=False)
    InsuranceSnapshot.objects.create(
        enterprise=enterprise_a,
        year=2025,
        quarter=1,
        insured_employees=10,
        premium_paid=100,
        owner_agency=enterprise_a.owner_agency,
    )
    audit.record(actor=users["staff_a"], verb="login", obj=users["staff_a"])
    _prevention_rows(users, enterprise_a)
    return users


def _prevention_rows(users, enterprise_a):
    """A screening, its notice, a report, an extension, outcomes, a warning and a bulletin of agency A."""
    import datetime

    from incidents.prevention import services
    from tests.prevention.conftest import load_calendar, make_case

    load_calendar()
    staff, officer, agency = users["staff_a"], users["officer_a"], enterprise_a.owner_agency
    for day in (1, 2, 3):
        make_case(enterprise_a, agency, datetime.date(2025, 3, day), severity="serious")
    services.default_rule(actor=staff, region=agency.region)
    run = services.run_screening(actor=staff, region=agency.region, kind="annual", window=services.annual_window(2025))
    services.issue_notices(actor=staff, run=run, issued_on=datetime.date(2026, 1, 15))
    notice = run.notices.get()
    services.save_report(actor=officer, notice=notice, data={"immediate_measures": "停机检修"})
    services.send_case_warnings(case_ids=list(services.notice_cases(notice).values_list("pk", flat=True)))
    services.escalate(today=datetime.date(2026, 3, 1))
    services.draft_bulletin(
        actor=staff,
        data={
            "title": "冲压伤害典型事故",
            "region": agency.region,
            "occurred_in": datetime.date(2025, 3, 1),
            "summary": "某企业冲压工手指受伤",
            "cause_analysis": "防护缺失",
            "lessons": "加装防护",
        },
    )


def test_schema_lists_the_foundation_operations():
    paths = {PARAM.sub("{x}", path) for path, _m, _v in _operations()}
    assert "/api/v1/enterprises/enterprises/{x}/" in paths
    assert "/api/v1/accounts/me/" in paths
    assert "/api/v1/portal/audit-events/" in paths


def test_every_operation_refuses_anonymous(api_client_for, populated):
    client = api_client_for(None)
    checked = 0
    for path, method, _view in _operations():
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        url = PARAM.sub("1", path)
        response = client.generic(method, url, data="{}", content_type="application/json")
        assert response.status_code in (401, 403), f"{method} {url} answered {response.status_code} to anonymous"
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("outsider", ["staff_b", "officer_b"])
def test_every_object_operation_hides_objects_of_another_county(api_client_for, populated, outsider):
    """For each detail operation, take an object the insider (county A) sees and the outsider does not."""
    client = api_client_for(populated[outsider])
    insider = populated["staff_a"]
    checked = 0
    for path, method, view in _operations():
        if "{" not in path:
            continue
        model = _model(view)
        if model is None or not hasattr(model.objects, "visible_to"):
            continue  # reference code lists are public to every logged-in role
        hidden = (
            model.objects.all()
            .visible_to(insider)
            .exclude(pk__in=model.objects.all().visible_to(populated[outsider]).values("pk"))
            .first()
        )
        if hidden is None:
            continue
        url = PARAM.sub(str(hidden.pk), path)
        response = client.generic(method, url, data="{}", content_type="application/json")
        assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code} to {outsider}"
        if populated[outsider].has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}") and method == "GET":
            assert response.status_code == 404, f"{method} {url} must look absent to {outsider}"
        checked += 1
    assert checked >= 10


def test_reference_lists_are_read_only(api_client_for, populated):
    client = api_client_for(populated["staff_a"])
    assert client.get("/api/v1/portal/regions/?under=330700").status_code == 200
    assert client.post("/api/v1/portal/regions/", {"code": "1", "name": "x"}).status_code in (403, 405)
