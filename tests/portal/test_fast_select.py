"""The filters' drop-downs are rendered in Python (``portal.forms.FastSelect``): the same HTML as Django's templates."""

import pytest
from django import forms
from django.test import SimpleTestCase

from portal.forms import FastNullBooleanSelect, FastSelect, style_fields

CHOICES = [("", "---------"), (1, "C 制造业"), (2, "33 金属制品业 <&>"), ("数", [(3, "甲"), (4, "乙")])]


class Filters(forms.Form):
    industry = forms.ChoiceField(choices=CHOICES, required=False)
    flag = forms.NullBooleanField(required=False)
    many = forms.MultipleChoiceField(choices=[(1, "一")], required=False)


@pytest.mark.parametrize("data", [{}, {"industry": "2", "flag": "true"}, {"industry": "4", "flag": "false"}])
def test_fast_selects_render_what_djangos_templates_render(data):
    plain, fast = Filters(data=data or None), Filters(data=data or None)
    style_fields(fast)
    assert type(fast.fields["industry"].widget) is FastSelect
    assert type(fast.fields["flag"].widget) is FastNullBooleanSelect
    assert type(fast.fields["many"].widget) is forms.SelectMultiple  # left to Django
    for name in ("industry", "flag"):
        plain.fields[name].widget.attrs["class"] = fast.fields[name].widget.attrs["class"]
        SimpleTestCase().assertHTMLEqual(str(fast[name]), str(plain[name]))
    assert "33 金属制品业 &lt;&amp;&gt;" in str(fast["industry"])
    assert ('<option value="2" selected>' in str(fast["industry"])) == (data.get("industry") == "2")


class Inputs(forms.Form):
    name = forms.CharField(required=False, max_length=20)
    count = forms.IntegerField(required=False, min_value=0)
    mail = forms.EmailField(required=False)
    day = forms.DateField(required=False)
    at = forms.DateTimeField(required=False)
    secret = forms.CharField(required=False, widget=forms.HiddenInput)
    tick = forms.BooleanField(required=False)  # a checkbox: left to Django


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": '王"<b>&', "count": "3", "mail": "a@b.cn", "day": "2025-03-01", "at": "2025-03-01 08:30"},
        {"name": "", "count": "x", "day": "not a date", "secret": "s"},
    ],
)
def test_fast_inputs_render_what_djangos_templates_render(data):
    plain, fast = Inputs(data=data), Inputs(data=data)
    style_fields(fast)
    assert type(fast.fields["name"].widget).__name__ == "FastTextInput"
    assert type(fast.fields["tick"].widget) is forms.CheckboxInput
    for name in plain.fields:
        plain.fields[name].widget.attrs["class"] = fast.fields[name].widget.attrs.get("class", "")
        if not plain.fields[name].widget.attrs["class"]:
            del plain.fields[name].widget.attrs["class"]
        SimpleTestCase().assertHTMLEqual(str(fast[name]), str(plain[name]))
    if data and data.get("name"):
        assert 'value="王&quot;&lt;b&gt;&amp;"' in str(fast["name"])


@pytest.mark.parametrize("value", [None, "", "2", "3", "9", "a&b", ["2", "3"], ["3", "2"]])
def test_prepared_options_mark_the_chosen_one_as_django_does(value):
    from portal.forms import CachedChoices, prepared_choices

    pairs = [("", "---------"), (1, "C 制造业"), (2, "33 金属制品业 <&>"), (3, "甲"), (2, "重复的值"), ("a&b", "A & B")]
    plain = forms.Select(choices=pairs)
    fast = FastSelect()
    fast.choices = CachedChoices(lambda: prepared_choices(pairs))
    assert fast.choices.options_html().count("<option") == len(pairs)
    assert list(fast.choices) == pairs
    SimpleTestCase().assertHTMLEqual(fast.render("industry", value), plain.render("industry", value))
    assert fast.render("industry", value).count(" selected") == (0 if value == "9" else 1)
