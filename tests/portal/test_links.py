"""portal.links: a list writes its records' addresses from one reversed address per model."""

import pytest
from django.urls import clear_script_prefix, set_script_prefix

from portal.links import DetailUrlMixin, DetailUrls

pytestmark = pytest.mark.django_db


def test_addresses_are_the_records_own_under_any_script_prefix(enterprise_a, enterprise_b, monkeypatch):
    reversed_ = []
    import portal.links

    real = portal.links.reverse
    monkeypatch.setattr(portal.links, "reverse", lambda *a, **k: reversed_.append(a) or real(*a, **k))
    for prefix in ("/", "/portal/"):
        set_script_prefix(prefix)
        try:
            expected = [e.get_absolute_url() for e in (enterprise_a, enterprise_b)]
            reversed_.clear()
            urls = DetailUrls()
            assert [urls(e) for e in (enterprise_a, enterprise_b, enterprise_a)] == expected + expected[:1]
            assert len(reversed_) == 1  # once for the model, not once per record
            assert expected[0].startswith(prefix) and str(enterprise_a.pk) in expected[0]
        finally:
            clear_script_prefix()


def test_a_model_with_its_own_address_is_asked_for_it():
    class Own(DetailUrlMixin):
        detail_url_name = "enterprises:enterprise_detail"
        pk = 7

        def get_absolute_url(self):
            return "/elsewhere/"

    assert DetailUrls()(Own()) == "/elsewhere/"
