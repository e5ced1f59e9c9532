"""The annual situation briefing: figures of the year against the year before, as a page and as a PDF whose
Chinese text is embedded and extractable."""

import subprocess
import tempfile
from pathlib import Path

import pytest

from incidents.analysis import briefing
from tests.analysis.test_stats import data  # noqa: F401 - the hand-computed data set

pytestmark = pytest.mark.django_db


def test_figures_of_the_year(data, regions):  # noqa: F811
    result = briefing.build(2024, regions["a"])
    assert result.totals["cases"] == 4 and result.previous["cases"] == 1 and result.changes["cases"] == 300.0
    assert result.key["cases"] == 3
    assert [(e["enterprise__name"], e["cases"]) for e in result.enterprises][0] == ("永康五金制品有限公司", 3)
    assert [(r["code"], r["cases"]) for r in result.industries] == [("33", 3), ("54", 1)]
    assert result.summary_text().startswith("2024年，永康市共发生工伤事故4起，死亡1人，重伤1人")
    assert "同比+300.0%" in result.summary_text()


def test_page_and_pdf(client_for, users, data):  # noqa: F811
    client = client_for(users["staff_a"])
    page = client.get("/analysis/briefing/", {"year": 2024})
    assert page.status_code == 200
    html = page.content.decode()
    assert "2024年工伤事故总体形势：永康市" in html and "永康五金制品有限公司" in html
    response = client.get("/analysis/briefing/", {"year": 2024, "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.pdf"
        path.write_bytes(response.content)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "NotoSansSC" in fonts or "NotoSerifSC" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded
    assert "永康市共发生工伤事故4起" in text.replace("\n", "")
    assert "永康五金制品有限公司" in text


def test_another_region_is_404(client_for, users, regions, data):  # noqa: F811
    assert client_for(users["staff_a"]).get("/analysis/briefing/", {"region": regions["b"].pk}).status_code == 404
