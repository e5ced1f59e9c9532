"""A sweep from outside (STYLE.md §4.5): every object-scoped page and API route of the joint meeting and of the
quarterly exchange, filled with a 武义县 object, is a 404 for 永康市's staff and secretariat — on GET and on POST
(and on every method of an API route) — while 武义县's own secretariat reaches its pages (so the sweep cannot pass
vacuously). The routes are enumerated from the URLconfs, so a route added later is swept too: an unknown one fails
until it is mapped here (or allow-listed with a reason)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from rest_framework.test import APIClient

from meetings import urls as meeting_urls
from meetings.api import urls as meeting_api_urls
from meetings.models import (
    ActionProgress,
    AgendaAttachment,
    Attendance,
    Committee,
    Meeting,
    Member,
    Reply,
    SolicitationAttachment,
    TaskProgress,
)
from meetings.services import committee as committee_services
from meetings.services import keytasks as keytask_services
from meetings.services import meetings as meeting_services
from meetings.services import solicitations as solicitation_services
from portal.accounts.models import Role
from portal.exchange import services as exchange_services
from portal.exchange import urls as exchange_urls
from portal.exchange.api import urls as exchange_api_urls
from portal.exchange.models import Confirmation, Obligation
from tests.factories import AgencyFactory, UserFactory
from tests.meetings.conftest import local

pytestmark = pytest.mark.django_db

T0 = local(2026, 5, 20, 9, 0)  # the meetings are called, the letters drafted, the progress reported
HELD = local(2026, 6, 1, 10, 0)  # after the meetings' start: minutes, decisions, action items
EXCHANGE_DAY = datetime.date(2026, 11, 1)  # 2026 Q3 has ended


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% scope sweep\n", content_type="application/pdf")


class Clock:
    """One clock for the four meetings service modules (each reads ``_now()`` / ``_today()`` of its own)."""

    modules = (committee_services, meeting_services, solicitation_services, keytask_services)

    def __init__(self, monkeypatch):
        self.now = T0
        for module in self.modules:
            monkeypatch.setattr(module, "_now", lambda: self.now)
            if hasattr(module, "_today"):
                monkeypatch.setattr(module, "_today", lambda: timezone.localtime(self.now).date())


def populate(committee: Committee, secretariat, member, clock: Clock) -> dict:
    """One row of every meetings model of ``committee``, through the services. ``member``: a staff user of a
    member agency (it proposes, replies and reports)."""
    agency = member.agency
    clock.now = T0
    meeting = meeting_services.call_meeting(
        actor=secretariat,
        committee=committee,
        kind=Meeting.Kind.REGULAR,
        title=f"{committee.region.name}2026年第二次联席会议",
        starts_at=T0 + datetime.timedelta(days=10),
        place="三楼会议室",
        agenda_cutoff=T0 + datetime.timedelta(days=5),
    )
    item = meeting_services.propose_agenda_item(
        actor=member, meeting=meeting, title="联合检查方案", description="审议", files=[pdf("方案.pdf")]
    )
    meeting_services.approve_agenda_item(actor=secretariat, item=item)
    meeting_services.send_notice(actor=secretariat, meeting=meeting)
    meeting_services.reply_to_notice(actor=member, meeting=meeting, reply=Attendance.Reply.ATTENDS, name="张三")

    deadline = T0 + datetime.timedelta(days=6)
    solicitation = solicitation_services.draft_solicitation(
        actor=secretariat,
        committee=committee,
        title="征求意见的函",
        body="逾期不回复视为无意见。",
        deadline=deadline,
        agencies=[agency],
    )
    solicitation_services.add_attachment(actor=secretariat, solicitation=solicitation, upload=pdf("征求意见稿.pdf"))
    solicitation = solicitation_services.circulate_solicitation(actor=secretariat, solicitation=solicitation)
    reply = Reply.objects.get(solicitation=solicitation, agency=agency)
    reply = solicitation_services.reply_to_solicitation(
        actor=member, reply=reply, state=Reply.State.COMMENTS, comments="建议增加建筑施工领域", scan=pdf("扫描件.pdf")
    )

    task = keytask_services.create_task(
        actor=secretariat,
        committee=committee,
        data={
            "number": 1,
            "title": "重点行业监测",
            "measures": "每季度报送",
            "schedule": "ongoing",
            "lead_agencies": [agency],
        },
    )
    keytask_services.report_progress(actor=member, task=task, year=2026, quarter=1, status="on_track", text="已报送")
    yearly, _created = keytask_services.compile_yearly_report(committee, 2026, actor=secretariat)

    clock.now = HELD
    meeting_services.record_attendance(actor=secretariat, meeting=meeting, present={agency.pk: True})
    meeting_services.record_minutes(actor=secretariat, meeting=meeting, minutes="会议听取了汇报。", chaired_by="主任")
    decision = meeting_services.add_decision(actor=secretariat, meeting=meeting, text="开展联合检查")
    action = meeting_services.create_action_item(
        actor=secretariat,
        decision=decision,
        title="联合执法检查",
        lead_agency=agency,
        due_on=datetime.date(2026, 7, 1),
    )
    meeting_services.report_progress(actor=member, action=action, text="已开展", percent=50)

    rows = {
        "committee": committee,
        "member": Member.objects.filter(committee=committee).first(),
        "meeting": meeting,
        "agendaitem": item,
        "agendaattachment": AgendaAttachment.objects.get(owner=item),
        "attendance": Attendance.objects.get(meeting=meeting, agency=agency),
        "decision": decision,
        "actionitem": action,
        "actionprogress": ActionProgress.objects.get(action=action),
        "solicitation": solicitation,
        "solicitationattachment": SolicitationAttachment.objects.get(owner=solicitation),
        "reply": reply,
        "keytask": task,
        "taskprogress": TaskProgress.objects.get(task=task),
        "yearlyreport": yearly,
    }
    assert all(row is not None and row.pk for row in rows.values()), rows
    assert reply.scan and rows["reply"].state == Reply.State.COMMENTS
    return rows


@pytest.fixture
def wuyi(users, regions, agency_b):
    """武义县: its secretariat (at the lead agency 人社), an 应急 member agency and its staff user."""
    users["secretariat_b"] = UserFactory(username="secretariat_b", role=Role.SECRETARIAT, agency=agency_b)
    emergency = AgencyFactory(name="武义县应急管理局", region=regions["b"], kind="emergency", is_lead=False)
    users["staff_b_emergency"] = UserFactory(username="staff_b_em", role=Role.AGENCY_STAFF, agency=emergency)
    return {"agency_b_emergency": emergency}


@pytest.fixture
def world(committee, users, regions, agency_b, wuyi, monkeypatch, django_capture_on_commit_callbacks):
    """Both committees with one row of every model each; the 永康市 rows first, then the 武义县 ones."""
    clock = Clock(monkeypatch)
    sec_b = users["secretariat_b"]
    committee_b = committee_services.create_committee(actor=sec_b, name="武义县工伤预防工作联席会议", basis="武政办")
    joined = datetime.date(2024, 3, 1)
    for agency, role, name in (
        (agency_b, Member.Role.CONVENER, "李明"),
        (wuyi["agency_b_emergency"], Member.Role.MEMBER, "赵强"),
    ):
        committee_services.add_member(
            actor=sec_b, committee=committee_b, agency=agency, role=role, name=name, title="局长", joined_on=joined
        )
    with django_capture_on_commit_callbacks(execute=True):
        a = populate(committee, users["secretariat_a"], users["staff_a_emergency"], clock)
        b = populate(committee_b, sec_b, users["staff_b_emergency"], clock)
    return {"a": a, "b": b}


# --- the pages --------------------------------------------------------------------------------------------------

# The first path segment of a page route → which row fills its ``pk``.
PAGE_OBJECTS = {
    "committee": "committee",
    "members": "member",
    "meetings": "meeting",
    "agenda-items": "agendaitem",
    "agenda-attachments": "agendaattachment",
    "decisions": "decision",
    "action-items": "actionitem",
    "solicitations": "solicitation",
    "solicitation-attachments": "solicitationattachment",
    "replies": "reply",
    "tasks": "keytask",
    "yearly-reports": "yearlyreport",
}
# Other path arguments, per route name (the first value of each is used).
FORMATS = {
    "solicitation_export": "xlsx",
    "yearlyreport_download": "pdf",
    "report_download": "pdf",
}
# Routes without an object in their path: nothing to sweep (lists, forms for the caller's own committee, jobs).
NOT_OBJECT_SCOPED = {
    "index": "the caller's own committee, or a pointer to set one up",
    "committee_add": "sets up the caller's own region's committee",
    "meeting_list": "a list, scoped by its queryset",
    "meeting_add": "committee choices are editable_by(user)",
    "actionitem_list": "a list, scoped by its queryset",
    "solicitation_list": "a list, scoped by its queryset",
    "solicitation_add": "committee choices are editable_by(user)",
    "reply_waiting": "the caller's own agency's replies",
    "task_list": "?committee= goes through get_visible_or_404 (swept in test_committee_query_parameter)",
    "task_add": "?committee= goes through get_visible_or_404 (swept in test_committee_query_parameter)",
    "task_adopt_template": "POST committee= goes through the editable committee",
    "yearlyreport_list": "a list, scoped by its queryset",
    "yearlyreport_compile": "POST committee= goes through the editable committee",
}


# A non-404 is accepted only when it does not depend on the object: the same URL with a pk that exists nowhere gets
# the same answer. These are the route-level answers that come before the object is looked up.
OBJECT_INDEPENDENT = {
    400: "the request body is validated before the object is looked up (same answer for a pk that does not exist)",
    403: "the role lacks the view's model permission at all (checked before the object)",
    405: "the method is not routed (a GET on a POST-only action, a POST on a read-only page)",
}
GHOST = 10**7  # a pk that exists nowhere


def call(client, method: str, url: str) -> int:
    send = getattr(client, method)
    if method == "get":
        return send(url).status_code
    if isinstance(client, APIClient):
        return send(url, {}, format="json").status_code
    return send(url, {}).status_code


def sweep(client, calls, *, allowed=OBJECT_INDEPENDENT) -> list[tuple]:
    """Each (name, method, url, ghost url) answered with something else than 404, unless the answer is one of
    ``allowed`` and the same as for the ghost url (then nothing about the object leaks)."""
    wrong = []
    for name, method, url, ghost in calls:
        status = call(client, method, url)
        if status == 404:
            continue
        ghost_status = call(client, method, ghost)
        if status in allowed and status == ghost_status:
            continue
        wrong.append((name, method.upper(), url, status, f"ghost pk: {ghost_status}"))
    return wrong


def flat_patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from flat_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def path_args(route: str, pattern: URLPattern) -> list[str]:
    if isinstance(pattern.pattern, RoutePattern):  # a path() route
        return list(pattern.pattern.converters)
    return list(pattern.pattern.regex.groupindex)  # a router's regex


def page_routes():
    """(name, first path segment, argument names) of every meetings page route."""
    routes = []
    for route, pattern in flat_patterns(meeting_urls.urlpatterns):
        routes.append((pattern.name, route.split("/", 1)[0], path_args(route, pattern)))
    return routes


def scoped_page_urls(rows) -> list[tuple[str, str]]:
    urls = []
    for name, segment, args in page_routes():
        if "pk" not in args:
            assert name in NOT_OBJECT_SCOPED, f"{name}: a route without <pk>; map it or allow-list it with a reason"
            continue
        assert segment in PAGE_OBJECTS, f"{name}: unknown path segment {segment!r}; add it to PAGE_OBJECTS"
        kwargs = {extra: FORMATS[name] for extra in args if extra != "pk"}
        url = reverse(f"meetings:{name}", kwargs={**kwargs, "pk": rows[PAGE_OBJECTS[segment]].pk})
        urls.append((name, url, reverse(f"meetings:{name}", kwargs={**kwargs, "pk": GHOST})))
    return urls


def page_calls(urls) -> list[tuple]:
    return [(name, method, url, ghost) for name, url, ghost in urls for method in ("get", "post")]


def test_the_sweep_covers_every_page_route(world):
    names = {name for name, _segment, _args in page_routes()}
    swept = {name for name, _url, _ghost in scoped_page_urls(world["b"])}
    assert swept | set(NOT_OBJECT_SCOPED) == names
    assert not set(NOT_OBJECT_SCOPED) - names, "allow-listed routes that no longer exist"
    assert len(swept) >= 30


@pytest.mark.parametrize("outsider", ["staff_a", "secretariat_a"])
def test_wuyi_pages_are_404_for_yongkang(world, users, client, outsider):
    client.force_login(users[outsider])
    wrong = sweep(client, page_calls(scoped_page_urls(world["b"])))
    assert wrong == [], "\n".join(map(str, wrong))


def test_wuyi_secretariat_reaches_its_own_pages(world, users, client):
    """The control: the same URLs are not 404 for the committee's own secretariat (a POST-only action: 405; an
    action it may not take there: 403)."""
    client.force_login(users["secretariat_b"])
    wrong = []
    for name, url, _ghost in scoped_page_urls(world["b"]):
        if name == "reply_edit":  # the agency's own reply form: only the replying agency's users
            continue
        status = client.get(url).status_code
        if status == 404 or status >= 500:  # 403: a refusal inside the scope (e.g. task_report: not a participant)
            wrong.append((name, url, status))
    assert wrong == [], "\n".join(map(str, wrong))
    client.force_login(users["staff_b_emergency"])
    assert client.get(reverse("meetings:reply_edit", args=[world["b"]["reply"].pk])).status_code == 200


def test_yongkang_secretariat_reaches_its_own_pages(world, users, client):
    """The control in the other direction: 永康市's rows are reachable by 永康市's secretariat."""
    client.force_login(users["secretariat_a"])
    for name in ("committee_detail", "meeting_detail", "actionitem_detail", "solicitation_detail", "task_detail"):
        key = PAGE_OBJECTS[reverse(f"meetings:{name}", args=[1]).split("/")[2]]
        assert client.get(reverse(f"meetings:{name}", args=[world["a"][key].pk])).status_code == 200, name


def test_committee_query_parameter(world, users, client):
    """``?committee=<武义县>`` is a 404 for 永康市 where a page takes it; the lists show none of 武义县's rows."""
    committee_b = world["b"]["committee"]
    for outsider in ("staff_a", "secretariat_a"):
        client.force_login(users[outsider])
        assert client.get(reverse("meetings:task_list"), {"committee": committee_b.pk}).status_code == 404
        assert client.get(reverse("meetings:task_add"), {"committee": committee_b.pk}).status_code in (403, 404)
        for name in ("meeting_list", "actionitem_list", "solicitation_list", "yearlyreport_list", "reply_waiting"):
            response = client.get(reverse(f"meetings:{name}"), {"committee": committee_b.pk})
            assert response.status_code == 200, name
            assert "武义县" not in response.content.decode(), name


# --- the API ----------------------------------------------------------------------------------------------------

# The first path segment of a router route → which row fills its ``pk``.
API_OBJECTS = {
    "committees": "committee",
    "members": "member",
    "meetings": "meeting",
    "agenda-items": "agendaitem",
    "action-items": "actionitem",
    "solicitations": "solicitation",
    "replies": "reply",
    "tasks": "keytask",
    "yearly-reports": "yearlyreport",
}
API_FORMATS = {"fmt": "pdf", "file_format": "pdf"}  # the file arguments of download actions, by name


def api_routes(patterns):
    """(name, first path segment, argument names, {method: action}) of every detail route of a router's URLconf
    (the ``.json`` suffix variants left out)."""
    routes = []
    for route, pattern in flat_patterns(patterns):
        args = path_args(route, pattern)
        if "format" in args or pattern.name is None:
            continue
        methods = getattr(pattern.callback, "actions", None) or {"get": "get"}
        segment = route.lstrip("^").split("/", 1)[0]
        routes.append((pattern.name, segment, args, methods))
    return routes


def scoped_api_calls(patterns, rows, objects):
    calls = []
    for name, segment, args, methods in api_routes(patterns):
        if "pk" not in args:
            continue  # lists, ``create``, collection actions: not object-scoped
        assert segment in objects, f"{name}: unknown API segment {segment!r}; map it"
        kwargs = {extra: API_FORMATS[extra] for extra in args if extra != "pk"}
        url = reverse(f"api:{name}", kwargs={**kwargs, "pk": rows[objects[segment]].pk})
        ghost = reverse(f"api:{name}", kwargs={**kwargs, "pk": GHOST})
        calls.extend((name, method, url, ghost) for method in methods)
    return calls


def test_the_api_sweep_covers_every_detail_route(world):
    calls = scoped_api_calls(meeting_api_urls.urlpatterns, world["b"], API_OBJECTS)
    names = {name for name, _m, _u, _g in calls}
    assert {"meeting-detail", "meeting-send-notice", "reply-reply", "meetings-yearlyreport-download"} <= names
    assert all(url.startswith("/api/v1/meetings/") for _n, _m, url, _g in calls)
    assert len(calls) >= 20


@pytest.mark.parametrize("outsider", ["staff_a", "secretariat_a"])
def test_wuyi_api_objects_are_404_for_yongkang(world, users, api_client_for, outsider):
    client = api_client_for(users[outsider])
    wrong = sweep(client, scoped_api_calls(meeting_api_urls.urlpatterns, world["b"], API_OBJECTS))
    assert wrong == [], "\n".join(map(str, wrong))


def test_wuyi_secretariat_retrieves_its_own_api_objects(world, users, api_client_for):
    client = api_client_for(users["secretariat_b"])
    wrong = []
    for name, method, url, _ghost in scoped_api_calls(meeting_api_urls.urlpatterns, world["b"], API_OBJECTS):
        if method == "get" and (status := client.get(url).status_code) != 200:
            wrong.append((name, url, status))
    assert wrong == [], "\n".join(map(str, wrong))


def test_api_committee_parameters_are_scoped(world, users, api_client_for):
    """``?committee=<武义县>`` filters out everything for 永康市 (lists) or is a 404 (the task status)."""
    committee_b = world["b"]["committee"].pk
    client = api_client_for(users["staff_a"])
    for prefix in ("members", "tasks", "yearly-reports", "meetings", "action-items", "solicitations"):
        response = client.get(f"/api/v1/meetings/{prefix}/", {"committee": committee_b})
        assert response.status_code == 200, prefix
        body = response.json()
        results = body["results"] if isinstance(body, dict) else body
        assert results == [], prefix
    assert client.get("/api/v1/meetings/tasks/status/", {"committee": committee_b}).status_code == 404


# --- the exchange ------------------------------------------------------------------------------------------------

EXCHANGE_PAGE_OBJECTS = {"confirmations": "confirmation", "obligations": "obligation", "reports": "report"}
EXCHANGE_NOT_OBJECT_SCOPED = {
    "index": "the caller's own agency",
    "quarter": "the caller's own agency's quarter",
    "quarter_confirm": "confirms the caller's own agency's quarter",
    "board": "the caller's own region's member agencies",
    "board_remind": "reminds the caller's own region's member agencies",
    "obligation_list": "a list, scoped by its queryset",
    "obligation_create": "agency choices are scoped",
    "obligation_defaults": "the caller's own region",
    "report_list": "a list, scoped by its queryset",
    "report_build": "the caller's own region",
}
EXCHANGE_API_OBJECTS = {"obligations": "obligation", "confirmations": "confirmation", "reports": "report"}


@pytest.fixture
def exchange_b(world, users, regions, monkeypatch):
    """武义县's obligations, 人社's confirmed 2026 Q3 and the consolidated report of the quarter."""
    monkeypatch.setattr(exchange_services, "_today", lambda: EXCHANGE_DAY)
    monkeypatch.setattr(exchange_services, "_now", lambda: timezone.make_aware(datetime.datetime(2026, 11, 1, 10, 0)))
    exchange_services.apply_default_obligations(actor=users["secretariat_b"], region=regions["b"])
    confirmation = exchange_services.confirm_quarter(actor=users["staff_b"], year=2026, quarter=3)
    report, created = exchange_services.build_report(
        region=regions["b"], year=2026, quarter=3, actor=users["secretariat_b"]
    )
    assert created and report.files.count() == 3
    return {
        "confirmation": confirmation,
        "obligation": Obligation.objects.filter(agency=users["staff_b"].agency).first(),
        "report": report,
    }


def exchange_page_urls(rows):
    urls = []
    for route, pattern in flat_patterns(exchange_urls.urlpatterns):
        args = path_args(route, pattern)
        if "pk" not in args:
            assert pattern.name in EXCHANGE_NOT_OBJECT_SCOPED, f"{pattern.name}: map it or allow-list it"
            continue
        segment = route.split("/", 1)[0]
        assert segment in EXCHANGE_PAGE_OBJECTS, f"{pattern.name}: unknown segment {segment!r}"
        name = f"exchange:{pattern.name}"
        kwargs = {extra: FORMATS[pattern.name] for extra in args if extra != "pk"}
        url = reverse(name, kwargs={**kwargs, "pk": rows[EXCHANGE_PAGE_OBJECTS[segment]].pk})
        urls.append((pattern.name, url, reverse(name, kwargs={**kwargs, "pk": GHOST})))
    return urls


@pytest.mark.parametrize("outsider", ["staff_a", "secretariat_a"])
def test_wuyi_exchange_is_404_for_yongkang(exchange_b, users, client, api_client_for, outsider):
    assert Confirmation.objects.filter(agency__region__name="武义县").count() == 1
    client.force_login(users[outsider])
    page_urls = exchange_page_urls(exchange_b)
    assert {name for name, _url, _ghost in page_urls} == {
        "confirmation_reopen",
        "obligation_update",
        "report_detail",
        "report_download",
    }
    wrong = sweep(client, page_calls(page_urls))
    report = exchange_b["report"].pk
    wrong += sweep(
        client,
        [
            (
                "report_download",
                "get",
                reverse("exchange:report_download", args=[report, fmt]),
                reverse("exchange:report_download", args=[GHOST, fmt]),
            )
            for fmt in ("xlsx", "json")
        ],
    )
    calls = scoped_api_calls(exchange_api_urls.urlpatterns, exchange_b, EXCHANGE_API_OBJECTS)
    assert {"obligations", "confirmations", "reports"} == {url.split("/")[4] for _n, _m, url, _g in calls}
    assert len({name for name, _m, _u, _g in calls}) >= 5  # the three details, reopen, download
    wrong += sweep(api_client_for(users[outsider]), calls)
    assert wrong == [], "\n".join(map(str, wrong))


def test_wuyi_secretariat_reaches_its_exchange_objects(exchange_b, users, client, api_client_for):
    client.force_login(users["secretariat_b"])
    for name, url, _ghost in exchange_page_urls(exchange_b):
        assert client.get(url).status_code not in (403, 404), name
    api = api_client_for(users["secretariat_b"])
    for name, method, url, _ghost in scoped_api_calls(exchange_api_urls.urlpatterns, exchange_b, EXCHANGE_API_OBJECTS):
        if method == "get":
            assert api.get(url).status_code == 200, name


# --- objects named in a request body or query --------------------------------------------------------------------


def test_committee_in_a_post_body_is_404_for_yongkang(world, users, client):
    client.force_login(users["secretariat_a"])
    committee_b = world["b"]["committee"].pk
    for name in ("task_adopt_template", "yearlyreport_compile"):
        assert client.post(reverse(f"meetings:{name}"), {"committee": committee_b, "year": 2026}).status_code == 404


def test_a_non_numeric_committee_in_a_post_body_is_404(world, users, client):
    client.raise_request_exception = False
    client.force_login(users["secretariat_a"])
    assert client.post(reverse("meetings:task_adopt_template"), {"committee": "x"}).status_code == 404


def test_api_latest_report_of_wuyi_is_404_for_yongkang(exchange_b, users, api_client_for):
    client = api_client_for(users["secretariat_a"])
    response = client.get("/api/v1/exchange/reports/latest/", {"region": "330723", "year": 2026, "quarter": 3})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "field", "row"), [("agenda-items/", "meeting", "meeting"), ("meetings/", "committee", "committee")]
)
def test_api_create_does_not_tell_an_outside_object_from_a_missing_one(world, users, api_client_for, url, field, row):
    client = api_client_for(users["secretariat_a"])
    body = {
        "title": "x",
        "kind": "regular",
        "place": "x",
        "starts_at": (T0 + datetime.timedelta(days=400)).isoformat(),
        "agenda_cutoff": (T0 + datetime.timedelta(days=399)).isoformat(),
    }
    outside = client.post(f"/api/v1/meetings/{url}", {**body, field: world["b"][row].pk}, format="json")
    missing = client.post(f"/api/v1/meetings/{url}", {**body, field: GHOST}, format="json")
    assert outside.status_code == missing.status_code


def test_api_build_of_wuyi_report_is_404_for_yongkang(exchange_b, users, api_client_for):
    client = api_client_for(users["secretariat_a"])
    response = client.post(
        "/api/v1/exchange/reports/build/", {"region": "330723", "year": 2026, "quarter": 3}, format="json"
    )
    assert response.status_code == 404
