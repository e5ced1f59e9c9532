"""Keyset (cursor) pagination of the big lists, pages and API: following "next" visits every row once in the
list's order (ties broken by id), filters survive, cursors are signed, a deep page costs what the first does and
runs no COUNT; other sorts keep capped page numbers; no admin changelist counts a table without a LIMIT."""

import datetime
import html
import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from django.utils import timezone

from enterprises.models import Enterprise, sync_tiers
from incidents.models import InjuryCase
from portal import urls as portal_urls
from portal.admin import PortalModelAdmin
from portal.pagination import CappedPaginator, KeysetPaginator, keyset_ordering
from portal.reference.models import AccidentType
from portal.reference.validators import id_number_check_char
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

CASES_URL = "/api/v1/incidents/injury-cases/"
ENTERPRISES_URL = "/api/v1/enterprises/enterprises/"
FIRST17 = "33078419900101123"
WORKER_ID = FIRST17 + id_number_check_char(FIRST17)
NEXT_LINK = re.compile(r'data-testid="page-next" href="([^"]+)"')
PREVIOUS_LINK = re.compile(r'data-testid="page-previous" href="([^"]+)"')


def make_cases(enterprise, accident_type, n, *, same_time=4, hours_ago=1):
    """``n`` cases, ``same_time`` of them at each instant (so the id tie-breaker decides), severities alternating."""
    start = timezone.now() - datetime.timedelta(hours=hours_ago)
    cases = []
    for i in range(n):
        case = InjuryCase(
            enterprise=enterprise,
            owner_agency=enterprise.owner_agency,
            occurred_at=start - datetime.timedelta(hours=i // same_time),
            accident_type=accident_type,
            post="冲压工",
            worker_name="王小明",
            worker_id_number=WORKER_ID,
            severity=("minor", "serious")[i % 2],
        )
        case.derive_personal_fields()
        cases.append(case)
    created = InjuryCase.objects.bulk_create(cases)
    sync_tiers({c.enterprise_id for c in created})  # bulk_create skips save()
    return created


@pytest.fixture
def kind(db):
    return AccidentType.objects.create(edition=1986, code="04", name="机械伤害", kind="type")


@pytest.fixture
def cases(users, enterprise_a, enterprise_b, kind):
    make_cases(enterprise_b, kind, 10)  # another county: never on A's pages
    return make_cases(enterprise_a, kind, 120)


@pytest.fixture
def enterprises(users, regions, industry, agency_a):
    """120 enterprises of A under 12 names, so that ten share each name."""
    return [
        EnterpriseFactory(
            name=f"永康{'五金' if i % 2 else '机械'}企业{i % 12:02d}",
            region=regions["a"],
            industry=industry,
            owner_agency=agency_a,
        )
        for i in range(120)
    ]


def expected_cases(user, **filters):
    qs = InjuryCase.objects.visible_to(user).filter(**filters).order_by("-occurred_at", "-id")
    return list(qs.values_list("pk", flat=True))


def expected_enterprises(user, **filters):
    return list(
        Enterprise.objects.visible_to(user).filter(**filters).order_by("name", "id").values_list("pk", flat=True)
    )


def page_pks(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].page.object_list]


def follow_pages(client, url, link=NEXT_LINK):
    """Every page from ``url`` on through the pager's links; returns the responses."""
    responses = [client.get(url)]
    while match := link.search(responses[-1].content.decode()):
        assert len(responses) < 50, "the pager never ends"
        responses.append(client.get(url.split("?")[0] + html.unescape(match.group(1))))
    return responses


def follow_api(client, url, key="next"):
    bodies = [client.get(url).json()]
    while bodies[-1][key]:
        assert len(bodies) < 50, "the API pages never end"
        bodies.append(client.get(bodies[-1][key]).json())
    return bodies


# --- which orderings get a keyset -------------------------------------------------------------------------------


def test_keyset_ordering_adds_the_primary_key_as_tie_breaker():
    assert keyset_ordering(InjuryCase.objects.all()) == ("-occurred_at", "-id")
    assert keyset_ordering(Enterprise.objects.all()) == ("name", "id")
    assert keyset_ordering(InjuryCase.objects.order_by("severity")) == ("severity", "id")
    assert keyset_ordering(Enterprise.objects.order_by("credit_code")) == ("credit_code",)  # unique already


def test_no_keyset_over_relations_nulls_or_randomness():
    assert keyset_ordering(InjuryCase.objects.order_by("enterprise__name")) is None
    assert keyset_ordering(InjuryCase.objects.order_by("recognized_on")) is None  # nullable
    assert keyset_ordering(InjuryCase.objects.order_by("?")) is None
    assert keyset_ordering(InjuryCase.objects.order_by()) is None


# --- list pages -------------------------------------------------------------------------------------------------


def test_list_page_next_links_visit_every_case_once_in_order(client_for, users, cases):
    client = client_for(users["staff_a"])
    pages = follow_pages(client, reverse("incidents:injurycase_list"))
    seen = [pk for response in pages for pk in page_pks(response)]
    assert seen == expected_cases(users["staff_a"])
    assert len(seen) == 120 and len(pages) == 5  # 25 a page; 4 cases share each time, across page boundaries
    assert all(response.status_code == 200 for response in pages)
    assert all(response.context["table"].page.paginator.count == 120 for response in pages)
    # From the last page, "previous" walks back to the first, in the same order.
    back = follow_pages(client, pages[-1].request["PATH_INFO"] + "?" + pages[-1].request["QUERY_STRING"], PREVIOUS_LINK)
    assert [pk for response in reversed(back) for pk in page_pks(response)] == seen


def test_list_page_cursor_keeps_the_filters(client_for, users, cases):
    client = client_for(users["staff_a"])
    pages = follow_pages(client, reverse("incidents:injurycase_list") + "?severity=serious&per_page=10")
    seen = [pk for response in pages for pk in page_pks(response)]
    assert seen == expected_cases(users["staff_a"], severity="serious")
    assert len(seen) == 60 and len(pages) == 6
    assert "severity=serious" in pages[-1].request["QUERY_STRING"]
    assert "cursor=" in pages[-1].request["QUERY_STRING"]


def test_enterprise_list_pages_through_equal_names_by_id(client_for, users, enterprises):
    client = client_for(users["staff_a"])
    pages = follow_pages(client, reverse("enterprises:enterprise_list"))
    seen = [pk for response in pages for pk in page_pks(response)]
    assert seen == expected_enterprises(users["staff_a"])
    assert len(seen) == len(set(seen)) == Enterprise.objects.visible_to(users["staff_a"]).count()

    filtered = follow_pages(client, reverse("enterprises:enterprise_list") + "?q=五金&per_page=7")
    seen = [pk for response in filtered for pk in page_pks(response)]
    assert seen == expected_enterprises(users["staff_a"], name__icontains="五金")
    assert len(filtered) > 5


def test_old_page_numbers_still_work_and_lead_on_by_cursor(client_for, users, cases):
    client = client_for(users["staff_a"])
    response = client.get(reverse("incidents:injurycase_list") + "?page=2")
    assert page_pks(response) == expected_cases(users["staff_a"])[25:50]
    nxt = html.unescape(NEXT_LINK.search(response.content.decode()).group(1))
    assert "cursor=" in nxt and "page=" not in nxt
    assert page_pks(client.get(reverse("incidents:injurycase_list") + nxt)) == expected_cases(users["staff_a"])[50:75]


def test_tampered_or_foreign_cursor_shows_the_first_page(client_for, users, cases, enterprises):
    client = client_for(users["staff_a"])
    url = reverse("incidents:injurycase_list")
    first = page_pks(client.get(url))
    cursor = client.get(url).context["table"].page.next_cursor
    foreign = client.get(reverse("enterprises:enterprise_list")).context["table"].page.next_cursor
    for bad in (cursor[:-3] + "abc", "not-a-cursor", "%00%ff", foreign, "x" * 5000):
        response = client.get(url, {"cursor": bad})
        assert response.status_code == 200
        assert page_pks(response) == first


def test_other_sorts_keep_page_numbers_within_the_cap(client_for, users, cases):
    client = client_for(users["staff_a"])
    response = client.get(reverse("incidents:injurycase_list") + "?sort=enterprise")
    page = response.context["table"].page
    assert page.paginator.ordering is None and page.next_cursor is None
    assert "page=2" in html.unescape(NEXT_LINK.search(response.content.decode()).group(1))
    # A sort by another column of the case itself gets its own keyset (id still breaks the ties).
    response = client.get(reverse("incidents:injurycase_list") + "?sort=-severity")
    assert response.context["table"].page.paginator.ordering == ("-severity", "-id")


def test_capped_list_says_so_and_pages_on_past_the_cap(client_for, users, cases, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    client = client_for(users["staff_a"])
    pages = follow_pages(client, reverse("incidents:injurycase_list"))
    assert [pk for response in pages for pk in page_pks(response)] == expected_cases(users["staff_a"])
    body = pages[0].content.decode()
    assert 'data-testid="count-capped"' in body and "30+" in body
    assert all(response.context["table"].page.paginator.is_capped for response in pages)


def test_cursor_page_runs_no_count_and_no_offset(client_for, users, cases):
    client = client_for(users["staff_a"])
    url = reverse("incidents:injurycase_list")
    cursor = client.get(url, {"page": 4}).context["table"].page.next_cursor
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"cursor": cursor})
    assert page_pks(response) == expected_cases(users["staff_a"])[100:120]
    sql = [q["sql"] for q in ctx.captured_queries if "incidents_injurycase" in q["sql"]]
    assert not [s for s in sql if "COUNT(" in s]
    assert not [s for s in sql if "OFFSET" in s]
    assert response.context["table"].page.paginator.count == 120  # carried by the cursor


def counting_queries() -> int:
    """Queries the capped count takes: the COUNT, and on PostgreSQL the planner's estimate before it."""
    return 2 if connection.vendor == "postgresql" else 1


# Per list page besides the list's own: session, user, the user's agency and region (scope), the unread-message
# badge, the three filter drop-downs (region, industry, accident type), the session save (three statements).
LIST_PAGE_SHELL_QUERIES = 11


def list_queries(queries, table: str) -> list[str]:
    return [q["sql"] for q in queries if f'"{table}"' in q["sql"]]


@pytest.mark.parametrize("per_page", [10, 100])
def test_list_page_queries_do_not_grow_with_the_page_size(
    client_for, users, cases, per_page, django_assert_max_num_queries
):
    """The list's own queries: the capped count (on PostgreSQL an EXPLAIN estimate first) and the page."""
    client = client_for(users["staff_a"])
    url = reverse("incidents:injurycase_list")
    with django_assert_max_num_queries(LIST_PAGE_SHELL_QUERIES + counting_queries() + 1) as ctx:
        response = client.get(url, {"per_page": per_page})
    assert len(page_pks(response)) == per_page
    assert len(list_queries(ctx.captured_queries, "incidents_injurycase")) == counting_queries() + 1


def test_deep_list_page_runs_only_the_page_query(client_for, users, cases, django_assert_max_num_queries):
    client = client_for(users["staff_a"])
    url = reverse("incidents:injurycase_list")
    cursor = client.get(url, {"page": 3}).context["table"].page.next_cursor
    with django_assert_max_num_queries(LIST_PAGE_SHELL_QUERIES + 1) as ctx:
        response = client.get(url, {"cursor": cursor})
    assert page_pks(response) == expected_cases(users["staff_a"])[75:100]
    assert len(list_queries(ctx.captured_queries, "incidents_injurycase")) == 1


def test_page_size_is_bounded(client_for, users, cases):
    response = client_for(users["staff_a"]).get(reverse("incidents:injurycase_list"), {"per_page": 10**9})
    assert response.context["table"].page.paginator.per_page == KeysetPaginator.max_per_page


# --- API --------------------------------------------------------------------------------------------------------


def test_api_next_links_visit_every_case_once_in_order(api_client_for, users, cases):
    client = api_client_for(users["staff_a"])
    bodies = follow_api(client, CASES_URL + "?page_size=7")
    seen = [row["id"] for body in bodies for row in body["results"]]
    assert seen == expected_cases(users["staff_a"])
    assert all(body["count"] == 120 and body["count_capped"] is False for body in bodies)
    assert "cursor=" in bodies[0]["next"] and bodies[0]["previous"] is None
    back = follow_api(client, bodies[0]["next"], key="previous")  # from page 2 back to the first
    assert len(back) == 2 and [row["id"] for row in back[-1]["results"]] == seen[:7]


def test_api_cursor_walks_back_the_whole_list(api_client_for, users, cases):
    client = api_client_for(users["staff_a"])
    forward = follow_api(client, CASES_URL + "?page_size=9")
    back = follow_api(client, CASES_URL + "?page_size=9&cursor=" + forward[-2]["next"].split("cursor=")[1], "previous")
    assert [row["id"] for body in reversed(back) for row in body["results"]] == expected_cases(users["staff_a"])


def test_api_cursor_keeps_the_filters(api_client_for, users, cases):
    bodies = follow_api(api_client_for(users["staff_a"]), CASES_URL + "?severity=minor&page_size=11")
    assert [row["id"] for body in bodies for row in body["results"]] == expected_cases(
        users["staff_a"], severity="minor"
    )
    assert all("severity=minor" in body["next"] for body in bodies[:-1])
    assert all(body["count"] == 60 for body in bodies)


def test_api_enterprises_page_through_equal_names_by_id(api_client_for, users, enterprises):
    client = api_client_for(users["staff_a"])
    bodies = follow_api(client, ENTERPRISES_URL + "?page_size=8")
    assert [row["id"] for body in bodies for row in body["results"]] == expected_enterprises(users["staff_a"])
    bodies = follow_api(client, ENTERPRISES_URL + "?" + urlencode({"q": "机械", "page_size": 6}))
    assert [row["id"] for body in bodies for row in body["results"]] == expected_enterprises(
        users["staff_a"], name__icontains="机械"
    )


def test_api_page_numbers_still_work(api_client_for, users, cases):
    body = api_client_for(users["staff_a"]).get(CASES_URL, {"page": 2, "page_size": 25}).json()
    assert [row["id"] for row in body["results"]] == expected_cases(users["staff_a"])[25:50]
    assert body["count"] == 120 and "cursor=" in body["next"] and "cursor=" in body["previous"]


def test_api_refuses_a_tampered_or_foreign_cursor_with_400(api_client_for, users, cases, enterprises):
    client = api_client_for(users["staff_a"])
    cursor = client.get(CASES_URL).json()["next"].split("cursor=")[1]
    foreign = client.get(ENTERPRISES_URL + "?page_size=5").json()["next"].split("cursor=")[1]
    for bad in (cursor[:-3] + "abc", "garbage", foreign, "x" * 5000):
        response = client.get(CASES_URL, {"cursor": bad})
        assert response.status_code == 400, bad
        assert "cursor" in response.json()
    # A cursor of the default order is no cursor for another order.
    assert client.get(CASES_URL + "?ordering=occurred_at&cursor=" + cursor).status_code == 400


def test_api_other_orderings_keep_page_numbers(api_client_for, users, cases):
    body = api_client_for(users["staff_a"]).get(CASES_URL, {"ordering": "recognized_on", "page_size": 50}).json()
    assert "page=2" in body["next"] and "cursor" not in body["next"]
    assert body["count"] == 120


def test_api_count_is_capped_and_cursor_goes_past_the_cap(api_client_for, users, cases, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    bodies = follow_api(api_client_for(users["staff_a"]), CASES_URL + "?page_size=25")
    assert [row["id"] for body in bodies for row in body["results"]] == expected_cases(users["staff_a"])
    assert all(body["count"] == 30 and body["count_capped"] is True for body in bodies)


def test_api_cursor_page_runs_no_count(api_client_for, users, cases):
    client = api_client_for(users["staff_a"])
    nxt = client.get(CASES_URL).json()["next"]
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(nxt).json()
    assert [row["id"] for row in body["results"]] == expected_cases(users["staff_a"])[50:100]
    assert not [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert not [q["sql"] for q in ctx.captured_queries if "OFFSET" in q["sql"]]


def test_api_hand_edited_filter_gets_a_fresh_count(api_client_for, users, cases):
    client = api_client_for(users["staff_a"])
    nxt = client.get(CASES_URL, {"page_size": 10}).json()["next"]
    body = client.get(nxt + "&severity=serious").json()
    assert body["count"] == 60


def test_api_skips_the_count_when_the_planner_expects_far_more_than_the_cap(api_client_for, users, cases, monkeypatch):
    """PostgreSQL's EXPLAIN estimate (None on SQLite) above ten times the cap: "cap+" without reading the rows."""
    from portal import pagination

    assert pagination.planner_estimate(InjuryCase.objects.all()) is None or connection.vendor == "postgresql"
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    monkeypatch.setattr(CappedPaginator, "estimate_floor", 0)
    monkeypatch.setattr(pagination, "planner_estimate", lambda qs: 301)
    with CaptureQueriesContext(connection) as ctx:
        body = api_client_for(users["staff_a"]).get(CASES_URL).json()
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert body["count"] == 30 and body["count_capped"] is True
    monkeypatch.setattr(pagination, "planner_estimate", lambda qs: 300)  # not above 10 × cap: counted
    assert api_client_for(users["staff_a"]).get(CASES_URL, {"severity": "fatal"}).json()["count"] == 0


def test_a_small_cap_never_trusts_the_estimate_of_a_small_table(api_client_for, users, cases, monkeypatch):
    """An unanalysed table's guess (thousands of rows for a few) is below the floor: the rows are counted."""
    from portal import pagination

    monkeypatch.setattr(CappedPaginator, "cap", 30)
    monkeypatch.setattr(pagination, "planner_estimate", lambda qs: 5_000)
    body = api_client_for(users["staff_a"]).get(CASES_URL, {"severity": "fatal"}).json()
    assert body["count"] == 0 and body["count_capped"] is False


@pytest.fixture
def token_client(api_client_for, users):
    """The API as a client calls it: a token, no forced authentication (so the user is loaded per request)."""
    from rest_framework.authtoken.models import Token

    client = api_client_for(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=users['staff_a']).key}")
    return client


# Per API list request besides the list's own: the token with its user (one join), the user's agency and region
# (scope), and the case FilterSet's two drop-down choice lists (region, industry), which incidents/filters.py
# fetches in FilterSet.__init__ although the API renders no form.
API_SHELL_QUERIES = 5


@pytest.mark.parametrize("page_size", [10, 100])
def test_api_queries_do_not_grow_with_the_page_size(
    token_client, users, cases, page_size, django_assert_max_num_queries
):
    """The list's own queries: the capped count (on PostgreSQL an EXPLAIN estimate first) and the page."""
    with django_assert_max_num_queries(API_SHELL_QUERIES + counting_queries() + 1) as ctx:
        body = token_client.get(CASES_URL, {"page_size": page_size}).json()
    assert len(body["results"]) == page_size
    assert len(list_queries(ctx.captured_queries, "incidents_injurycase")) == counting_queries() + 1


def test_api_deep_cursor_page_queries(token_client, users, cases, django_assert_max_num_queries):
    """A cursor page: the page only, no count."""
    bodies = follow_api(token_client, CASES_URL + "?page_size=10")
    with django_assert_max_num_queries(API_SHELL_QUERIES + 1) as ctx:
        body = token_client.get(bodies[-2]["next"]).json()
    assert [row["id"] for row in body["results"]] == expected_cases(users["staff_a"])[110:120]
    assert len(list_queries(ctx.captured_queries, "incidents_injurycase")) == 1


# --- admin ------------------------------------------------------------------------------------------------------


def uncapped_counts(queries, table: str) -> list[str]:
    """COUNTs over ``table`` without a LIMIT (the shell's per-user unread-message badge is not the list's)."""
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and f'"{table}"' in q["sql"] and "LIMIT" not in q["sql"]]


def test_every_registered_admin_caps_its_counts():
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, PortalModelAdmin), model._meta.label
        assert model_admin.show_full_result_count is False, model._meta.label
        assert issubclass(model_admin.get_paginator(None, model.objects.none(), 10).__class__, CappedPaginator)
        assert model_admin.show_facets == admin.ShowFacets.NEVER, model._meta.label


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("auditor", "/admin/portal/auditevent/"),
        ("secadmin", "/admin/accounts/loginattempt/"),
        ("sysadmin", "/admin/accounts/user/"),
        ("sysadmin", "/admin/accounts/agency/"),
        ("sysadmin", "/admin/portal/joboutbox/"),
    ],
)
def test_admin_changelists_count_only_under_a_limit(client_for, users, role, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(users[role]).get(url, {"_facets": "1"})
    assert response.status_code == 200
    table = response.context["cl"].model._meta.db_table
    assert [q for q in ctx.captured_queries if "COUNT(" in q["sql"] and f'"{table}"' in q["sql"]]
    assert not uncapped_counts(ctx.captured_queries, table)


class InjuryCaseAdmin(PortalModelAdmin):
    list_display = ["occurred_at", "enterprise", "severity"]
    list_filter = ["severity"]
    list_per_page = 10

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


# The injury cases are business data with personal fields and have no admin in the portal; a throwaway admin site
# (this module as ROOT_URLCONF) shows that the portal's admin base gives their changelist no exact COUNT either.
injury_site = AdminSite(name="admin")
injury_site.register(InjuryCase, InjuryCaseAdmin)
urlpatterns = [path("admin/", injury_site.urls), *(p for p in portal_urls.urlpatterns if str(p.pattern) != "admin/")]


def test_injury_case_admin_changelist_runs_no_unlimited_count(client_for, users, cases, settings, monkeypatch):
    settings.ROOT_URLCONF = __name__
    monkeypatch.setattr(CappedPaginator, "cap", 30)
    client = client_for(users["admin_a"])  # staff (an agency's account administrator) who may view cases
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/incidents/injurycase/", {"_facets": "1", "p": "2"})
    assert response.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and '"incidents_injurycase"' in q["sql"]]
    assert counts and not uncapped_counts(ctx.captured_queries, "incidents_injurycase")
    assert response.context["cl"].result_count == 30
    assert response.context["cl"].full_result_count is None


@pytest.mark.parametrize(
    "list_name",
    ["incidents:injurycase_list", "incidents:occupationaldiseasecase_list", "incidents:safetyaccident_list"],
)
def test_every_sort_of_an_incident_list_reads_each_row_once(client_for, users, cases, enterprise_a, kind, list_name):
    """The page reads only the columns its table shows (the view's ``shown``): a cell, a link or a sort key that
    needed another would load it row by row, one query each."""
    from decimal import Decimal

    from incidents.models import OccupationalDiseaseCase, SafetyAccident
    from tests.factories import SilicosisFactory

    silicosis = SilicosisFactory()
    for n in range(30):  # more than a page of each kind
        OccupationalDiseaseCase.objects.create(
            enterprise=enterprise_a,
            owner_agency=enterprise_a.owner_agency,
            worker_name="孙七",
            worker_id_number=WORKER_ID,
            disease=silicosis,
            hazard_factor="矽尘",
            exposure_years=Decimal(n % 7 + 1),
            diagnosed_on=datetime.date(2024, 1 + n % 12, 1 + n % 28),
        )
        SafetyAccident.objects.create(
            enterprise=enterprise_a,
            owner_agency=enterprise_a.owner_agency,
            occurred_at=timezone.now() - datetime.timedelta(days=n),
            accident_type=kind,
            deaths=n % 2,
            serious_injuries=n % 3,
            direct_loss=Decimal(n * 1000),
        )
    client = client_for(users["staff_a"])
    url = reverse(list_name)
    table = client.get(url).context["table"]
    sorts = [column.name for column in table.columns if column.orderable]
    assert sorts
    for sort in sorts + [f"-{name}" for name in sorts]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"sort": sort})
        assert response.status_code == 200
        page = response.context["table"].page
        assert len(page.object_list) == 25, sort
        model_table = response.context["table"]._meta.model._meta.db_table
        assert len(list_queries(ctx.captured_queries, model_table)) <= counting_queries() + 1, sort
        cursor = page.next_cursor
        if cursor:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, {"sort": sort, "cursor": cursor}).status_code == 200
            assert len(list_queries(ctx.captured_queries, model_table)) == 1, sort
