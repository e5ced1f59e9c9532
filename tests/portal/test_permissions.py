"""The permission table (pretix style): (role, method, url, status) for every page and API of the foundation,
plus NetBox's constrained-object check — in scope → 200, out of scope → 404."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ALL_ROLES = ["staff_a", "admin_a", "secretariat_a", "officer_a", "expert", "sysadmin", "secadmin", "auditor"]
BUSINESS_READERS = {"staff_a", "admin_a", "secretariat_a", "officer_a"}
ENTERPRISE_EDITORS = {"staff_a", "admin_a", "secretariat_a"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_enterprise_list_page_by_role(role, users, client_for, enterprise_a):
    response = client_for(users[role]).get(reverse("enterprises:enterprise_list"))
    assert response.status_code == (200 if role in BUSINESS_READERS else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_enterprise_detail_of_own_region_by_role(role, users, client_for, enterprise_a):
    response = client_for(users[role]).get(reverse("enterprises:enterprise_detail", args=[enterprise_a.pk]))
    assert response.status_code == (200 if role in BUSINESS_READERS else 403)


@pytest.mark.parametrize("role", ["staff_a", "officer_a"])
def test_user_of_a_gets_404_for_enterprise_of_b(role, users, client_for, enterprise_b):
    response = client_for(users[role]).get(reverse("enterprises:enterprise_detail", args=[enterprise_b.pk]))
    assert response.status_code == 404


def test_officer_sees_only_own_enterprise_in_list(users, client_for, enterprise_a, enterprise_b, regions, industry):
    from tests.factories import EnterpriseFactory

    EnterpriseFactory(
        name="永康另一家公司", region=regions["a"], industry=industry, owner_agency=enterprise_a.owner_agency
    )
    response = client_for(users["officer_a"]).get(reverse("enterprises:enterprise_list"))
    names = [row.record.name for row in response.context["table"].page.object_list]
    assert names == [enterprise_a.name]


def test_city_staff_sees_both_counties(users, client_for, enterprise_a, enterprise_b):
    response = client_for(users["staff_city"]).get(reverse("enterprises:enterprise_list"))
    names = {row.record.name for row in response.context["table"].page.object_list}
    assert names == {enterprise_a.name, enterprise_b.name}


@pytest.mark.parametrize(
    ("role", "status"),
    [("staff_a", 200), ("staff_a_emergency", 404), ("staff_b", 404), ("staff_city", 404), ("officer_a", 403)],
)
def test_only_owning_agency_may_open_edit_form(role, status, users, client_for, enterprise_a):
    response = client_for(users[role]).get(reverse("enterprises:enterprise_edit", args=[enterprise_a.pk]))
    assert response.status_code == status


def test_member_agency_reads_but_cannot_delete(users, client_for, enterprise_a):
    client = client_for(users["staff_a_emergency"])
    assert client.get(reverse("enterprises:enterprise_detail", args=[enterprise_a.pk])).status_code == 200
    assert client.post(reverse("enterprises:enterprise_delete", args=[enterprise_a.pk])).status_code == 404
    enterprise_a.refresh_from_db()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("staff_a", 200),
        ("officer_a", 200),
        ("sysadmin", 403),
        ("secadmin", 403),
        ("auditor", 403),
        ("expert", 403),
        ("staff_b", 404),
    ],
)
def test_enterprise_api_detail(role, status, users, api_client_for, enterprise_a):
    response = api_client_for(users[role]).get(f"/api/v1/enterprises/enterprises/{enterprise_a.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [("auditor", 200), ("staff_a", 403), ("sysadmin", 403), ("secadmin", 403), ("officer_a", 403)],
)
def test_only_auditor_reads_audit_trail(role, status, users, api_client_for):
    assert api_client_for(users[role]).get("/api/v1/portal/audit-events/").status_code == status


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_admin_duties_see_no_business_rows_even_with_a_view_permission(role, users, enterprise_a):
    from enterprises.models import Enterprise

    assert not Enterprise.objects.visible_to(users[role]).exists()


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("sysadmin", "all"),
        ("secadmin", "all"),
        ("auditor", "all"),
        ("admin_a", "agency"),
        ("staff_a", "self"),
        ("officer_a", "self"),
    ],
)
def test_user_directory_scope(role, visible, users):
    from portal.accounts.models import User

    me = users[role]
    seen = set(User.objects.visible_to(me).values_list("username", flat=True))
    if visible == "all":
        assert seen == set(User.objects.values_list("username", flat=True))
    elif visible == "agency":
        assert seen == {"staff_a", "admin_a", "secretariat_a"}
    else:
        assert seen == {me.username}


def test_agency_directory_includes_higher_levels_but_not_siblings(users, agency_a, agency_b, agency_city):
    from portal.accounts.models import Agency

    seen = set(Agency.objects.visible_to(users["staff_a"]))
    assert agency_city in seen and agency_a in seen
    assert agency_b not in seen


@pytest.mark.parametrize("url", ["/", "/enterprises/", "/inbox/", "/api/docs/", "/accounts/profile/"])
def test_anonymous_is_sent_to_login(url, client):
    response = client.get(url)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]


def test_api_schema_and_docs_need_login(client, users, client_for):
    assert client.get("/api/schema/").status_code in (401, 403)
    logged_in = client_for(users["staff_a"])
    assert logged_in.get("/api/schema/").status_code == 200
    docs = logged_in.get("/api/docs/")
    assert docs.status_code == 200
    # no script or style from a CDN (a bare "cdn" also turned up by chance in the page's random CSRF token)
    page = docs.content.lower()
    assert b"cdn." not in page and b"unpkg.com" not in page and b"jsdelivr" not in page


@pytest.mark.parametrize(("role", "status"), [("sysadmin", 200), ("secadmin", 403), ("auditor", 403)])
def test_only_system_admin_sees_the_job_outbox(role, status, users, client_for):
    assert client_for(users[role]).get("/admin/portal/joboutbox/").status_code == status


@pytest.mark.django_db
def test_a_detail_view_fetches_through_its_own_queryset_within_the_scope(users, enterprise_a, enterprise_b, rf):
    """``ScopedObjectMixin.get_object`` reads the view's ``get_queryset`` (its joins and filters), then the scope."""
    from django.http import Http404

    from enterprises.models import Enterprise
    from portal.views import ScopedObjectMixin

    class View(ScopedObjectMixin):
        model = Enterprise

        def __init__(self, request, pk, queryset):
            self.request, self.kwargs, self._qs = request, {"pk": pk}, queryset

        def get_queryset(self):
            return self._qs

    request = rf.get("/")
    request.user = users["staff_a"]
    joined = Enterprise.objects.select_related("region")
    found = View(request, enterprise_a.pk, joined).get_object()
    assert found == enterprise_a and "region" in found._state.fields_cache  # the view's join was used
    with pytest.raises(Http404):  # the view's filter holds
        View(request, enterprise_a.pk, Enterprise.objects.exclude(pk=enterprise_a.pk)).get_object()
    with pytest.raises(Http404):  # and so does the scope
        View(request, enterprise_b.pk, joined).get_object()
