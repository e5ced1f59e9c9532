"""The case lists' filter forms (``portal.filters.FilterSet.fields_html``): the markup the template loop wrote, cached
per scope and language for a list opened without filters, and fresh (with the user's values and errors) otherwise."""

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from incidents.filters import InjuryCaseFilterSet
from incidents.models import InjuryCase
from portal import counts
from portal.forms import style_fields
from tests.factories import IndustryFactory

pytestmark = pytest.mark.django_db

LOOP = Template(
    '{% for field in filter.form %}<div class="col-12"><label class="form-label small mb-1 d-block" '
    'for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}</div>{% endfor %}'
)


@pytest.fixture(autouse=True)
def count_cache(settings):
    settings.COUNT_CACHE_SECONDS = 120


def _filterset(user, query=""):
    request = RequestFactory().get("/incidents/injury-cases/?" + query)
    request.user = user
    return InjuryCaseFilterSet(request.GET, queryset=InjuryCase.objects.all(), request=request)


def _as_the_template_loop_wrote_it(user, query=""):
    filterset = _filterset(user, query)
    filterset.is_valid()
    style_fields(filterset.form)
    return LOOP.render(Context({"filter": filterset}))


@pytest.mark.parametrize("query", ["", "cursor=abc", "severity=serious&enterprise_name=%3Cb%3E", "severity=nonsense"])
def test_the_fields_are_what_the_template_loop_wrote(users, industry, query):
    for language in ("zh-hans", "en"):
        with translation.override(language):
            expected = _as_the_template_loop_wrote_it(users["staff_a"], query)
            assert _filterset(users["staff_a"], query).fields_html() == expected  # computed
            assert _filterset(users["staff_a"], query).fields_html() == expected  # again (cached when unfiltered)
    if "nonsense" in query:
        assert "is-invalid" in expected
    if "enterprise_name" in query:
        assert 'value="&lt;b&gt;"' in expected


def test_an_unfiltered_list_builds_no_form_the_second_time_and_a_filtered_one_is_not_cached(users, industry):
    first = _filterset(users["staff_a"])
    first.fields_html()
    second = _filterset(users["staff_a"], "cursor=abc&per_page=10")
    assert second.fields_html() == first.fields_html() and not hasattr(second, "_form")
    typed = "330784199001011234"
    filtered = _filterset(users["staff_a"], f"id_number={typed}")
    assert typed in filtered.fields_html() and hasattr(filtered, "_form")
    assert not [key for key in counts._LOCAL if typed in repr(counts._LOCAL[key])]  # never cached


def test_the_cached_form_follows_the_scope_the_language_and_new_reference_rows(client_for, users, regions, industry):
    url = reverse("incidents:injurycase_list")

    def industries(user):
        html = client_for(user).get(url).content.decode()
        select = re.search(r'<select name="industry".*?</select>', html, re.S).group(0)
        return re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", select)

    def region_options(user):
        html = client_for(user).get(url).content.decode()
        return re.search(r'<select name="region".*?</select>', html, re.S).group(0)

    assert regions["a"].name in region_options(users["staff_a"])
    assert regions["a"].name not in region_options(users["staff_b"])  # another county's users: their own
    before = industries(users["staff_a"])
    IndustryFactory(code="34", name="通用设备制造业", level="division", parent=industry.parent.parent.parent)
    after = industries(users["staff_a"])
    assert "34 通用设备制造业" not in before and set(after) == {*before, "34 通用设备制造业"}  # the next page shows it
    client = client_for(users["staff_a"])
    client.cookies["django_language"] = "en"
    with translation.override("zh-hans"):  # the middleware activates English in this thread: restored after
        assert "Region (with sub-regions)" in client.get(url).content.decode()


def test_the_drop_downs_of_a_list_opened_without_filters_are_read_in_one_statement(
    client_for, users, regions, industry
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.reference.models import AccidentType, AccidentTypeKind

    AccidentType.objects.create(edition=2025, code="04", name="机械伤害", kind=AccidentTypeKind.TYPE)
    AccidentType.objects.create(edition=1986, code="12", name="冒顶片帮", kind=AccidentTypeKind.TYPE)
    client = client_for(users["staff_a"])
    for name in ("injurycase", "occupationaldiseasecase", "safetyaccident"):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse(f"incidents:{name}_list")).content.decode()
        reference = [  # statements reading reference tables alone (not the user's row, not the cases)
            q["sql"]
            for q in ctx.captured_queries
            if '"reference_' in q["sql"] and '"accounts_' not in q["sql"] and '"incidents_' not in q["sql"]
        ]
        assert len(reference) == 1 and "UNION ALL" in reference[0], name
        assert regions["a"].name in html and "33 金属制品业" in html
    assert "1986 12 冒顶片帮" in html and html.index("1986 12 冒顶片帮") < html.index("2025 04 机械伤害")


def test_read_together_gives_each_querysets_labels_in_its_order(regions, industry):
    from incidents.filters import _type_label, read_together
    from portal.reference.models import AccidentType, Industry, OccupationalDisease, Region

    AccidentType.objects.create(edition=2025, code="04", name="机械伤害", kind="type")
    AccidentType.objects.create(edition=1986, code="12", name="冒顶片帮", kind="type")
    parts = [
        (Region.objects.exclude(level="town").order_by("-path"), str),
        (Industry.objects.all(), lambda i: f"{i.code} {i.name}"),
        (AccidentType.objects.order_by("edition", "code"), _type_label),
        (OccupationalDisease.objects.all(), str),  # none: an empty part
    ]
    assert read_together(parts) == [[(item.pk, label(item)) for item in queryset] for queryset, label in parts]
