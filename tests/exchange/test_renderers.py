"""The files of a report version (portal.exchange.renderers): the JSON validates against its schema and keeps the
figures; the XLSX has a sheet per table with Chinese headers, the figures in their cells with number formats, and
prints landscape one page wide with the header row repeated; the PDF embeds its Chinese fonts and shows the title,
the figures and two charts. Rendered from a hand-made report (no database), but for one report built from the
database that must match the schema too. Needs poppler-utils (pdffonts), pypdf and jsonschema."""

from __future__ import annotations

import copy
import datetime
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from django.utils import translation
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from pypdf import PdfReader
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Rect, String

from portal.exchange import renderers, report, services
from portal.exchange.renderers import (
    REPORT_SCHEMA,
    SCHEMA_ID,
    SCHEMA_PATH,
    render_json,
    render_pdf,
    render_xlsx,
    schema_text,
)
from portal.exchange.selectors import STATUS_LABELS
from portal.pdf import SANS, PdfDocument

TODAY = datetime.date(2026, 11, 1)  # the exchange fixtures' day: 2026 Q3 has ended
FINGERPRINT = "3f" * 32
META = {
    "version": 2,
    "generated_at": "2025-04-21T08:00:00+08:00",
    "fingerprint": FINGERPRINT,
    "report_url": "/exchange/reports/7/",
}
TITLE = "金华市2025年第1季度工伤预防数据交换报告"
SHEETS = ["说明", "汇总", "分地区", "重点行业", "地区×重点行业", "工伤多发企业", "部门确认情况"]
INJECTED = '=HYPERLINK("http://example.com")武义建工'


def _figures(cases, serious, deaths, insured, rate) -> dict:
    return {
        "cases": cases,
        "serious": serious,
        "deaths": deaths,
        "insured": insured,
        "incidence_rate": rate,
        "death_rate": round(deaths * 1000 / insured, 3) if insured else None,
        "serious_rate": round(serious * 1000 / insured, 3) if insured else None,
    }


EXTRAS = {"enterprises": 5200, "employees": 310000, "disease_cases": 7, "disease_short": 2, "accidents": 11}
EXTRAS["accident_deaths"] = 4


def _period(cases, serious, deaths, insured, rate, *, extras=True) -> dict:
    return _figures(cases, serious, deaths, insured, rate) | (EXTRAS if extras else dict.fromkeys(EXTRAS))


def _region(code, name, cases, insured, rate, previous, last_year, change_previous, change_last_year, rates):
    return {
        "code": code,
        "name": name,
        **_period(cases, cases // 30, 1, insured, rate),
        "projects": {"projects": 15, "insured": 10, "workers": 700, "insured_workers": 500, "share": 66.7},
        "cases_previous": previous,
        "cases_last_year": last_year,
        "change_previous": change_previous,
        "change_last_year": change_last_year,
        "rate_previous": rates[0],
        "rate_last_year": rates[1],
    }


CONTENT = {
    "schema_version": 1,
    "region": {"code": "330700", "name": "金华市"},
    "year": 2025,
    "quarter": 1,
    "period": {"start": "2025-01-01", "end": "2025-03-31"},
    "totals": {
        **_period(1234, 40, 3, 250000.5, 4.936),
        "projects": {"projects": 40, "insured": 30, "workers": 2000, "insured_workers": 1500, "share": 75.0},
        "previous": _period(1100, 35, 2, 248000, 4.435),
        "last_year": _period(1300, 50, 5, 240000, 5.417, extras=False),  # no extras a year ago: nulls
        "change_previous": {
            "cases": 12.2,
            "deaths": 50.0,
            "serious": 14.3,
            "incidence_rate": 11.3,
            "disease_cases": None,
            "accidents": 22.2,
        },
        "change_last_year": {
            "cases": -5.1,
            "deaths": -40.0,
            "serious": -20.0,
            "incidence_rate": -8.9,
            "disease_cases": None,
            "accidents": None,
        },
    },
    "regions": [
        _region("330723", "武义县", 434, 90000.0, 4.822, 400, 500, 8.5, -13.2, (4.444, 5.556)),
        _region("330784", "永康市", 800, 160000.5, 5.0, 700, 800, 14.3, 0.0, (None, None)),
    ],
    "key_industries": [
        {"code": "C", "name": "制造业", **_figures(900, 30, 2, 150000, 6.0)},
        {"code": "E", "name": "建筑业", **_figures(200, 8, 1, 0, None)},  # no insured employees: no rates
    ],
    "region_industries": [
        {
            "region_code": region_code,
            "region_name": region_name,
            "industry_code": industry_code,
            "industry_name": industry_name,
            **_figures(cases, 1, 0, 1000.0, float(cases)),
            "enterprises": 10,
            "employees": 1200,
            "disease_cases": 0,
            "disease_short": 0,
        }
        for region_code, region_name in (("330723", "武义县"), ("330784", "永康市"))
        for industry_code, industry_name, cases in (("C", "制造业", 5), ("E", "建筑业", 2))
    ],
    "top_enterprises": [
        {
            "credit_code": "91330784MA2HXXXX1A",
            "name": "永康市五金制品有限公司",
            "region_name": "永康市",
            "industry_code": "3311",
            "industry_name": "金属结构制造",
            "cases": 12,
            "serious": 2,
            "deaths": 1,
        },
        {
            "credit_code": "91330723MA2HXXXX2B",
            "name": INJECTED,
            "region_name": "武义县",
            "industry_code": "4720",
            "industry_name": "房屋建筑业",
            "cases": 7,
            "serious": 0,
            "deaths": 0,
        },
    ],
    "agencies": [
        {
            "name": "金华市人力资源和社会保障局",
            "kind": "hrss",
            "region_code": "330700",
            "data": ["injury_cases", "insurance"],
            "due_on": "2025-04-15",
            "status": "confirmed",
            "confirmed_at": "2025-04-10T09:30:00+08:00",
            "first_confirmed_at": "2025-04-10T09:30:00+08:00",
            "times_confirmed": 1,
            "records": {"injury_cases": 1234, "insurance": 52},
        },
        {
            "name": "金华市应急管理局",
            "kind": "emergency",
            "region_code": "330700",
            "data": ["safety_accidents"],
            "due_on": "2025-04-15",
            "status": "confirmed_late",
            "confirmed_at": "2025-04-20T16:05:00+08:00",
            "first_confirmed_at": "2025-04-20T16:05:00+08:00",
            "times_confirmed": 1,
            "records": {"safety_accidents": 11},
        },
        {
            "name": "金华市卫生健康委员会",
            "kind": "health",
            "region_code": "330700",
            "data": ["disease_cases"],
            "due_on": "2025-04-15",
            "status": "reopened",
            "confirmed_at": None,
            "first_confirmed_at": "2025-04-12T10:00:00+08:00",
            "times_confirmed": 1,
            "records": {},
        },
        {
            "name": "永康市住房和城乡建设局",
            "kind": "housing",
            "region_code": "330784",
            "data": ["project_insurance"],
            "due_on": "2025-04-15",
            "status": "overdue",
            "confirmed_at": None,
            "first_confirmed_at": None,
            "times_confirmed": 0,
            "records": {},
        },
        {
            "name": "武义县人力资源和社会保障局",
            "kind": "hrss",
            "region_code": "330723",
            "data": ["injury_cases"],
            "due_on": None,
            "status": "pending",
            "confirmed_at": None,
            "first_confirmed_at": None,
            "times_confirmed": 0,
            "records": {},
        },
    ],
}


def _content() -> dict:
    return copy.deepcopy(CONTENT)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def _validator() -> Draft202012Validator:
    return Draft202012Validator(REPORT_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


# --------------------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------------------


def test_the_schema_file_is_the_schema():
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == REPORT_SCHEMA
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "report.schema.json is out of date: python manage.py shell -c "
        '"from portal.exchange.renderers import write_schema; write_schema()"'
    )


def test_the_schema_is_a_draft_2020_12_schema_named_by_the_documents():
    Draft202012Validator.check_schema(REPORT_SCHEMA)
    assert REPORT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert REPORT_SCHEMA["$id"] == SCHEMA_ID == "urn:gongshang-portal:exchange-report:1"


def test_the_json_validates_and_keeps_every_figure():
    data = render_json(_content(), META)
    text = data.decode("utf-8")
    assert text.startswith('{\n "$schema": "urn:gongshang-portal:exchange-report:1",\n')  # indent 1, sorted
    assert "金华市" in text and "\\u" not in text  # Chinese as it is
    document = json.loads(text)
    _validator().validate(document)
    assert list(document) == sorted(document)
    assert {k: document[k] for k in META} == META
    assert {k: document[k] for k in CONTENT} == CONTENT
    assert set(document) == {"$schema", *META, *CONTENT}
    assert document["regions"][1]["rate_previous"] is None
    assert document["totals"]["last_year"]["enterprises"] is None


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["totals"].update(cases=None), "totals"),  # a count is never null
        (lambda d: d["regions"][0].update(incidence_rate="4.822"), "regions"),
        (lambda d: d["regions"][0].update(cases=-1), "regions"),
        (lambda d: d["regions"][0].pop("change_last_year"), "regions"),
        (lambda d: d["regions"][0].update(population=1), "regions"),  # no unknown keys
        (lambda d: d["key_industries"][0].update(serious_rate=None, cases=None), "key_industries"),
        (lambda d: d["agencies"][0].update(status="late"), "agencies"),
        (lambda d: d["agencies"][0].update(data=["gossip"]), "agencies"),
        (lambda d: d["agencies"][0]["records"].update(injury_cases="many"), "agencies"),
        (lambda d: d.update(quarter=5), "quarter"),
        (lambda d: d["period"].update(start="2025-13-01"), "period"),
        (lambda d: d.update(fingerprint="not a sha-256"), "fingerprint"),
        (lambda d: d.update({"$schema": "urn:something-else"}), "$schema"),
        (lambda d: d.pop("top_enterprises"), "top_enterprises"),
    ],
)
def test_the_schema_refuses_a_wrong_report(change, where):
    document = json.loads(render_json(_content(), META))
    change(document)
    errors = list(_validator().iter_errors(document))
    assert errors
    assert any(where in (e.path[0] if e.path else e.message) for e in errors), [e.message for e in errors]


def test_the_json_needs_the_four_meta_data():
    with pytest.raises(ValueError, match="report_url"):
        render_json(_content(), {k: v for k, v in META.items() if k != "report_url"})


@pytest.mark.django_db
def test_a_report_built_from_the_database_matches_the_schema(exchange, regions, monkeypatch):
    """The figures report.content reads (no cases here: zeros and nulls), with agencies in different states."""
    monkeypatch.setattr(services, "_now", lambda: datetime.datetime(2026, 10, 10, 1, tzinfo=datetime.UTC))
    services.confirm_quarter(actor=exchange["staff_a"], year=2026, quarter=3)
    content = report.content(regions["a"], 2026, 3, TODAY)
    meta = {**META, "fingerprint": report.fingerprint(content)}
    document = json.loads(render_json(content, meta))
    _validator().validate(document)
    statuses = {a["status"] for a in document["agencies"]}
    assert "confirmed" in statuses and statuses - {"confirmed"}
    assert any(a["records"] for a in document["agencies"])


# --------------------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "report.xlsx"
    render_xlsx(_content(), META, path)
    return load_workbook(path)


NOTES, SUMMARY, REGIONS, KEY_INDUSTRIES, REGION_INDUSTRIES, ENTERPRISES, AGENCIES = range(7)


def _row(ws, row: int) -> list:
    return [c.value for c in ws[row]]


def test_the_xlsx_is_in_chinese(workbook):
    """Sheet names, header rows and the cover's labels (the msgids of renderers.py, in the zh_Hans catalogue)."""
    assert workbook.sheetnames == SHEETS
    assert renderers.sheet_names() == SHEETS
    assert _row(workbook["分地区"], 1)[:15] == [
        "行政区划代码",
        "行政区划",
        "工伤件数",
        "重伤人数",
        "死亡人数",
        "参保人数",
        "千人工伤发生率（‰）",
        "千人重伤率（‰）",
        "千人死亡率（‰）",
        "上季度工伤件数",
        "环比（%）",
        "上季度千人工伤发生率（‰）",
        "上年同期工伤件数",
        "同比（%）",
        "上年同期千人工伤发生率（‰）",
    ]
    assert _row(workbook["汇总"], 1) == ["指标", "本季度", "上季度", "环比（%）", "上年同期", "同比（%）"]
    assert _row(workbook["汇总"], 2)[0] == "工伤件数"
    assert _row(workbook["重点行业"], 1)[:3] == ["行业代码", "行业", "工伤件数"]
    assert _row(workbook["地区×重点行业"], 1)[:5] == ["行政区划代码", "行政区划", "行业代码", "行业", "工伤件数"]
    assert _row(workbook["工伤多发企业"], 1)[:3] == ["序号", "统一社会信用代码", "用人单位"]
    assert _row(workbook["部门确认情况"], 1)[:6] == [
        "成员单位",
        "部门类别",
        "行政区划代码",
        "报送数据",
        "截止日期",
        "状态",
    ]
    assert workbook["分地区"]["B4"].value == "合计"
    cover = workbook["说明"]
    assert cover["A1"].value == TITLE
    notes = {cover.cell(row, 1).value: cover.cell(row, 2).value for row in range(3, cover.max_row + 1)}
    assert notes["行政区划"] == "金华市（330700）"
    assert notes["期间"] == "2025年1月1日至2025年3月31日"
    assert notes["版本"] == "2"
    assert notes["数据指纹（SHA-256）"] == FINGERPRINT
    assert cover.oddFooter.center.text == "第 &P 页 / 共 &N 页"


def test_the_xlsx_cover_names_the_report_its_version_and_fingerprint(workbook):
    cover = workbook.worksheets[NOTES]
    assert cover["A1"].value == renderers.report_title(CONTENT)
    assert cover["A1"].font.b
    values = [cover.cell(row, 2).value for row in range(3, cover.max_row + 1)]
    assert values[2:6] == ["2", "2025年4月21日 08:00", FINGERPRINT, "/exchange/reports/7/"]
    assert str(STATUS_LABELS["overdue"]) in values[6]
    for row in range(3, cover.max_row + 1):
        assert cover.cell(row, 1).font.b and cover.cell(row, 2).data_type == "s"


def test_the_xlsx_headers_are_bold_filled_and_bordered(workbook):
    for ws in workbook.worksheets[SUMMARY:]:
        assert all(_row(ws, 1)), ws.title
        for cell in ws[1]:
            assert cell.font.b, ws.title
            assert cell.fill.fgColor.rgb.endswith("E8ECF1")
            assert cell.border.bottom.style == cell.border.left.style == "thin"
            assert cell.alignment.wrap_text
        assert ws.row_dimensions[1].height >= 15


def test_the_xlsx_summary_compares_with_the_previous_quarter_and_last_year(workbook):
    ws = workbook.worksheets[SUMMARY]
    assert _row(ws, 2)[1:] == [1234, 1100, 12.2, 1300, -5.1]  # cases
    assert [c.number_format for c in ws[2]][1:] == ["#,##0", "#,##0", "0.0", "#,##0", "0.0"]
    assert _row(ws, 6)[1:] == [4.936, 4.435, 11.3, 5.417, -8.9]  # incidence rate
    assert ws["B6"].number_format == ws["C6"].number_format == "0.000"
    assert _row(ws, 9)[1:] == [5200, 5200, None, None, None]  # enterprises: nothing a year ago
    assert _row(ws, 15)[1:] == [40, None, None, None, None]  # construction projects
    assert ws["B17"].value == 75.0 and ws["B17"].number_format == "0.0"  # share insured per project
    assert ws.max_row == 19


def test_the_xlsx_regions_have_their_figures_formats_and_a_total(workbook):
    ws = workbook.worksheets[REGIONS]
    assert ws.max_row == 4  # header, two regions, total
    assert (ws["A2"].value, ws["A2"].data_type, ws["B2"].value) == ("330723", "s", "武义县")  # a code stays text
    figures = {
        "C2": (434, "#,##0"),  # cases
        "F2": (90000, "#,##0"),  # insured employees
        "G2": (4.822, "0.000"),  # incidence rate
        "K2": (8.5, "0.0"),  # change on the previous quarter
        "M2": (500, "#,##0"),  # cases in the same quarter last year
        "N2": (-13.2, "0.0"),  # change on last year
        "O2": (5.556, "0.000"),  # incidence rate a year ago
        "X2": (66.7, "0.0"),  # share insured per project
        "N3": (0, "0.0"),
    }
    for ref, (value, number_format) in figures.items():
        assert (ws[ref].value, ws[ref].number_format) == (value, number_format), ref
    assert ws["L3"].value is None  # 永康市 had no insured employees a quarter ago
    assert ws["L3"].number_format == "0.000" and ws["L3"].border.left.style == "thin"
    assert _row(ws, 4)[2:6] == [1234, 40, 3, 250000.5]  # the total
    assert ws["C4"].font.b and not ws["C3"].font.b
    assert (ws["M4"].value, ws["N4"].value) == (1300, -5.1)


def test_the_xlsx_other_tables(workbook):
    industries = workbook.worksheets[KEY_INDUSTRIES]
    assert _row(industries, 3) == ["E", "建筑业", 200, 8, 1, 0, None, None, None]  # no insured: no rates
    assert industries["G2"].value == 6.0 and industries["G2"].number_format == "0.000"
    both = workbook.worksheets[REGION_INDUSTRIES]
    assert both.max_row == 5
    assert _row(both, 2)[:5] == ["330723", "武义县", "C", "制造业", 5]

    enterprises = workbook.worksheets[ENTERPRISES]
    assert _row(enterprises, 2) == [
        1,
        "91330784MA2HXXXX1A",
        "永康市五金制品有限公司",
        "永康市",
        "3311",
        "金属结构制造",
        12,
        2,
        1,
    ]
    injected = enterprises["C3"]
    assert injected.value == INJECTED and injected.data_type == "s"  # text, not a formula

    agencies = workbook.worksheets[AGENCIES]
    assert [agencies.cell(r, 6).value for r in range(2, 7)] == [
        str(STATUS_LABELS[s]) for s in ("confirmed", "confirmed_late", "reopened", "overdue", "pending")
    ]
    assert agencies["E2"].value == datetime.datetime(2025, 4, 15) and agencies["E2"].number_format == "yyyy-mm-dd"
    assert agencies["G2"].value == datetime.datetime(2025, 4, 10, 9, 30)  # confirmed at, local time
    assert agencies["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert agencies["G5"].value is None and agencies["E6"].value is None
    assert agencies["I2"].value == 1 and "1234" in agencies["J2"].value  # times and records confirmed


def test_the_xlsx_prints_landscape_one_page_wide_with_the_header_repeated_and_frozen(workbook):
    frozen = {REGIONS: "C2", KEY_INDUSTRIES: "C2", REGION_INDUSTRIES: "E2", AGENCIES: "B2"}
    for index, ws in enumerate(workbook.worksheets):
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddHeader.center.text == renderers.report_title(CONTENT)
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        if index == NOTES:
            assert ws.freeze_panes is None and ws.column_dimensions["B"].width >= 60
            continue
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes == frozen.get(index, "A2"), ws.title
        for cell in ws[1]:
            assert ws.column_dimensions[cell.column_letter].width >= 8, (ws.title, cell.value)
    assert workbook.worksheets[ENTERPRISES].column_dimensions["B"].width >= 18  # the 18-character credit code


def test_the_xlsx_streams_many_region_industry_rows(tmp_path, monkeypatch):
    made = []

    class Spy(renderers.Workbook):
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(renderers, "Workbook", Spy)
    content = _content()
    row = content["region_industries"][0]
    # bench/exchange.py measures the memory (flat from 5,000 to 50,000 rows); here the rows all arrive.
    content["region_industries"] = [{**row, "cases": n} for n in range(5_000)]
    path = tmp_path / "big.xlsx"
    render_xlsx(content, META, path)
    assert made == [{"write_only": True}]
    with zipfile.ZipFile(path) as archive:
        xml = archive.read(f"xl/worksheets/sheet{REGION_INDUSTRIES + 1}.xml")
    assert xml.count(b"<row ") == 5_001
    assert b'<row r="5001"' in xml and b"<v>4999</v>" in xml
    assert len(load_workbook(path, read_only=True).sheetnames) == 7


def test_the_xlsx_writes_to_a_file_object():
    out = io.BytesIO()
    render_xlsx(_content(), META, out)
    assert load_workbook(io.BytesIO(out.getvalue())).sheetnames == renderers.sheet_names()


# --------------------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------------------


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _fonts(path) -> list[str]:
    out = subprocess.run([_poppler("pdffonts"), str(path)], check=True, capture_output=True, text=True).stdout
    return out.splitlines()[2:]


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture(scope="module")
def pdf_data() -> bytes:
    with translation.override("zh-hans"):
        return render_pdf(_content(), META)


def test_the_pdf_embeds_its_chinese_fonts(pdf_data, tmp_path):
    assert pdf_data.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_data)
    rows = _fonts(path)
    assert rows
    for row in rows:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row  # the charts' text too: no standard font
    assert any("NotoSansSC" in row for row in rows)


def test_the_pdf_is_in_chinese(pdf_data):
    """Title, period and headings (the msgids of renderers.py, in the zh_Hans catalogue)."""
    text = _text(pdf_data)
    assert TITLE in text
    assert "第2版" in text and "金华市（330700）" in text and "2025年1月1日至2025年3月31日" in text
    assert "汇总" in text and "工伤件数" in text and "千人工伤发生率（‰）" in text
    assert "各地区工伤件数：本季度与上年同期" in text and "重点行业工伤件数" in text
    assert "本季度" in text and "上年同期" in text
    assert "分地区重点行业数据（共4行）见本版本的XLSX文件" in text


def test_the_pdf_shows_the_version_fingerprint_and_figures(pdf_data):
    text = _text(pdf_data)
    assert renderers.report_title(CONTENT).replace(" ", "") in text
    assert FINGERPRINT in text and "/exchange/reports/7/" in text
    assert "1,234" in text and "4.936" in text and "250,000" in text  # the totals
    assert "永康市" in text and "武义县" in text and "+14.3" in text and "-13.2" in text  # the regions
    assert "永康市五金制品有限公司" in text and "91330784MA2HXXXX1A" in text
    assert "永康市住房和城乡建设局" in text and str(STATUS_LABELS["confirmed_late"]).replace(" ", "") in text
    assert "2025年4月15日" in text  # a due date


def test_the_pdf_has_the_two_charts_with_chinese_labels(pdf_data, monkeypatch):
    assert _text(pdf_data).count("制造业") == 2  # the key-industry chart's label and the table's row

    drawings = []
    original = PdfDocument.drawing

    def spy(self, drawing, **kwargs):
        drawings.append(drawing)
        return original(self, drawing, **kwargs)

    monkeypatch.setattr(PdfDocument, "drawing", spy)
    render_pdf(_content(), META)
    made = [make(400) for make in drawings]
    assert all(isinstance(d, Drawing) for d in made) and len(made) == 2
    regions, industries = ([c for c in d.contents if not isinstance(c, Legend)][0] for d in made)
    assert isinstance(regions, VerticalBarChart) and isinstance(industries, HorizontalBarChart)
    assert list(regions.categoryAxis.categoryNames) == ["永康市", "武义县"]  # most cases first
    assert [list(series) for series in regions.data] == [[800, 434], [800, 500]]  # this quarter, a year ago
    legend = next(c for c in made[0].contents if isinstance(c, Legend))
    with translation.override("zh-hans"):
        labels = [translation.gettext("This quarter"), translation.gettext("Same quarter last year")]
    assert [name for _colour, name in legend.colorNamePairs] == labels
    assert list(industries.categoryAxis.categoryNames) == ["制造业", "建筑业"]
    assert [list(series) for series in industries.data] == [[900, 200]]
    for chart in (regions, industries):
        assert chart.categoryAxis.labels.fontName == SANS and chart.valueAxis.labels.fontName == SANS
        assert chart.barLabels.fontName == SANS
    assert legend.fontName == SANS


def test_the_pdf_is_the_same_bytes_for_the_same_report(pdf_data):
    assert render_pdf(_content(), META) == pdf_data


def test_an_empty_report_renders(tmp_path):
    content = _content()
    for key in ("regions", "key_industries", "region_industries", "top_enterprises", "agencies"):
        content[key] = []
    text = _text(render_pdf(content, META))
    assert "1,234" in text and "永康市" not in text  # the totals; no regions, no chart
    render_xlsx(content, META, tmp_path / "empty.xlsx")
    workbook = load_workbook(tmp_path / "empty.xlsx")
    assert workbook.worksheets[REGIONS].max_row == 2  # the header and the total
    assert workbook.worksheets[AGENCIES].max_row == 1
    _validator().validate(json.loads(render_json(content, META)))


def test_a_pdf_document_takes_a_drawing_or_a_function_making_one(tmp_path):
    widths = []

    def chart(width):
        widths.append(width)
        drawing = Drawing(width, 40)
        drawing.add(String(10, 10, "图表标签", fontName=SANS, fontSize=10))
        return drawing

    fixed = Drawing(200, 30)
    fixed.add(Rect(0, 0, 50, 20))  # reportlab would start the drawing in Helvetica, not embedded
    doc = PdfDocument(title="图表")
    doc.drawing(chart, texts=["图表标签"]).drawing(fixed).drawing(lambda width: None)
    assert "图表标签" in doc.font_text()[SANS]
    first = doc.build()
    assert widths == [pytest.approx(doc.text_width)]
    assert doc.build() == first  # made again at each build
    path = tmp_path / "chart.pdf"
    path.write_bytes(first)
    rows = _fonts(path)
    assert rows and all(row.split()[-5:-2] == ["yes", "yes", "yes"] for row in rows)
    assert "图表标签" in _text(first)
    with pytest.raises(ValueError):
        doc.drawing(fixed, align="middle")
