"""Regional GDP: entered through the form or imported, within the agency's region."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.analysis.models import RegionGDP

pytestmark = pytest.mark.django_db


def test_enter_and_import_gdp(client_for, users, regions):
    client = client_for(users["staff_a"])
    response = client.post("/analysis/gdp/add/", {"region": regions["a_town"].pk, "year": 2024, "gdp": "120.5"})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert RegionGDP.objects.get().owner_agency == users["staff_a"].agency
    outside = client.post("/analysis/gdp/add/", {"region": regions["b"].pk, "year": 2024, "gdp": "1"})
    assert "region" in outside.context["form"].errors

    from portal import imports

    text = "行政区划代码,年度,地区生产总值（亿元）\n330784001,2024,130\n330784,2023,290.2\n330723,2024,99\n"
    spec = imports.get_spec("analysis.regiongdp")
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=SimpleUploadedFile("g.csv", text.encode()))
    assert [e["text"] for e in batch.errors] == ["第4行 行政区划代码：行政区划代码 330723 不存在或不在本辖区。"]
    text = text.rsplit("330723", 1)[0]
    batch = imports.upload(actor=users["staff_a"], spec=spec, uploaded_file=SimpleUploadedFile("g.csv", text.encode()))
    assert batch.summary["create"] == 1 and batch.summary["update"] == 1, batch.errors
    imports.confirm(actor=users["staff_a"], batch=batch)
    assert sorted(RegionGDP.objects.values_list("region__code", "year", "gdp")) == [
        ("330784", 2023, Decimal("290.20")),
        ("330784001", 2024, 130),
    ]
    page = client_for(users["staff_a"]).get("/analysis/gdp/").content.decode()
    assert "东城街道" in page and "130.00" in page
