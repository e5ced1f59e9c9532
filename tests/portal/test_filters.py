"""``portal.filters.FilterSet``: a query that filters on nothing builds no form; any other takes django-filter's
path, with the same answers."""

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from enterprises.filters import EnterpriseFilterSet
from incidents.filters import InjuryCaseFilterSet
from incidents.models import InjuryCase

pytestmark = pytest.mark.django_db


def _filterset(cls, query: str, user):
    request = RequestFactory().get("/?" + query)
    request.user = user
    return cls(QueryDict(query), queryset=cls._meta.model.objects.all(), request=request)


@pytest.mark.parametrize("cls", [InjuryCaseFilterSet, EnterpriseFilterSet])
@pytest.mark.parametrize("query", ["", "page=2", "cursor=abc&page_size=10", "ordering=-occurred_at&format=json"])
def test_a_query_that_filters_nothing_builds_no_form(cls, query, users, enterprise_a, enterprise_b):
    filterset = _filterset(cls, query, users["staff_a"])
    assert filterset.is_valid() and not filterset.errors
    assert list(filterset.qs) == list(cls._meta.model.objects.all())
    assert "_form" not in vars(filterset)
    assert filterset.form.fields  # built when asked for (the page renders it), prepared once
    assert filterset.form is filterset.form


def test_a_filter_in_the_query_is_validated_and_applied(users, enterprise_a, enterprise_b):
    county = users["staff_a"].agency.region  # 永康市: enterprise A's town is below it
    mine = _filterset(EnterpriseFilterSet, f"region={county.pk}", users["staff_a"])
    assert mine.is_valid() and list(mine.qs) == [enterprise_a]
    assert "_form" in vars(mine)
    empty = _filterset(EnterpriseFilterSet, "region=", users["staff_a"])  # a key, no value: django-filter's path
    assert empty.is_valid() and set(empty.qs) == {enterprise_a, enterprise_b} and "_form" in vars(empty)
    outside = _filterset(EnterpriseFilterSet, f"region={enterprise_b.region.parent_id}", users["staff_a"])
    assert not outside.is_valid() and "region" in outside.errors  # county B is not in county A's scope


def test_the_drop_downs_are_prepared_when_the_form_is_built(users, enterprise_a):
    filterset = _filterset(InjuryCaseFilterSet, "", users["staff_a"])
    html = str(filterset.form["region"])
    assert f'<option value="{users["staff_a"].agency.region_id}">永康市</option>' in html
    assert filterset.form.fields["industry"].label_from_instance.__name__ == "_industry_label"
    assert InjuryCase.objects.count() == 0  # nothing else needed


def test_the_api_answers_a_bad_filter_with_400_naming_it(api_client_for, users, enterprise_b):
    response = api_client_for(users["staff_a"]).get(f"/api/v1/incidents/injury-cases/?region={enterprise_b.region_id}")
    assert response.status_code == 400 and "region" in response.json()


def test_each_filter_set_has_filters_of_its_own(users):
    first = _filterset(InjuryCaseFilterSet, "", users["staff_a"])
    second = _filterset(InjuryCaseFilterSet, "", users["staff_b"])
    base = InjuryCaseFilterSet.base_filters["region"]
    assert first.filters["region"] is not second.filters["region"] is not base
    assert first.filters["region"].parent is first and base.__dict__.get("parent") is None
    assert first.filters["region"].extra is not second.filters["region"].extra is not base.extra
    assert first.filters["region"].queryset.query is not second.filters["region"].queryset.query
    # a method filter calls its own filter set's method
    assert first.filters["region"].filter.f is first.filters["region"]
    assert first.filters["region"].filter.method.__self__ is first
    scoped = {r.pk for r in first.filters["region"].queryset}
    assert users["staff_b"].agency.region_id not in scoped and users["staff_a"].agency.region_id in scoped
