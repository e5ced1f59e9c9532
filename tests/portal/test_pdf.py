"""Tests for portal.pdf: fonts embedded, Chinese text extractable, deterministic output, safe escaping, HTTP headers.

Needs poppler-utils (pdffonts, pdftotext) and pypdf; no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from pypdf import PdfReader

from portal import pdf
from portal.pdf import PdfDocument, chinese_date, escape_text, pdf_response

PAGE_MSGID = "Page %(page)s of %(pages)s"
ZH_PAGE = "第 %(page)s 页 / 共 %(pages)s 页"
HEADING = "关于开展工伤预防培训项目的告知书"
MARKUP = "<b>x</b> & y"
ROWS = 60


def _fake_zh_gettext(message: str) -> str:
    """Stand-in for the zh_Hans catalog, so these tests do not depend on compiled .mo files."""
    return {PAGE_MSGID: ZH_PAGE}.get(message, message)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _make_doc() -> PdfDocument:
    doc = PdfDocument(
        title="工伤预防告知书",
        subject="测试文档",
        author="某市人力资源和社会保障局",
        header_text="某市工伤预防工作平台",
        footer_text="内部资料",
    )
    doc.heading(HEADING, level=1)
    doc.heading("一、基本情况", level=2)
    doc.paragraph(
        "根据《工伤保险条例》和《工伤预防费使用管理暂行办法》有关规定，现将贵单位申报的工伤预防培训项目有关事项"
        "告知如下。这一段文字足够长，可以检验中文自动换行和两端对齐是否正常。"
    )
    doc.paragraph(MARKUP, indent_first_line=False)
    doc.key_values([("企业名称", "某某机械制造有限公司"), ("统一社会信用代码", "91110000MA01234567")])
    doc.heading("二、培训明细", level=2)
    rows = [[i, f"第{i}期机械伤害预防专题培训班", "一线员工", f"{i * 37.5:.2f}"] for i in range(1, ROWS + 1)]
    rows[6][1] += "，本行内容特别长，需要在单元格内自动换行显示，不能超出表格边界"
    doc.table(
        ["序号", "培训项目名称", "对象", "金额（元）"],
        rows,
        col_widths=[1, 5, 2, 2],
        col_align=["center", "left", "left", "right"],
    )
    doc.paragraph("特此告知。")
    doc.signature_block("某市人力资源和社会保障局", dt.date(2026, 11, 23))
    return doc


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pdf, "_", _fake_zh_gettext)
        data = _make_doc().build()
    path = tmp_path_factory.mktemp("pdf") / "notice.pdf"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def pdf_text(pdf_file: Path) -> str:
    return subprocess.run(
        [_poppler("pdftotext"), "-raw", "-enc", "UTF-8", str(pdf_file), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_is_a4_pdf_with_several_pages(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    assert pdf_file.read_bytes().startswith(b"%PDF-")
    assert len(reader.pages) >= 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_all_fonts_embedded_and_noto_cjk_used(pdf_file: Path) -> None:
    out = subprocess.run([_poppler("pdffonts"), str(pdf_file)], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()[2:]  # skip the two header lines
    assert lines, out
    names = []
    for line in lines:
        # name type… encoding emb sub uni object-id generation; "type" may contain spaces, so read from the right
        fields = line.split()
        emb, sub, uni = fields[-5], fields[-4], fields[-3]
        assert emb == "yes", f"font not embedded: {line}"
        assert sub == "yes", f"font not subset: {line}"
        assert uni == "yes", f"font has no ToUnicode map: {line}"
        names.append(fields[0])
    assert any("NotoSerifSC" in n for n in names), names
    assert any("NotoSansSC" in n for n in names), names
    assert not any("Helvetica" in n or "Times" in n for n in names), names


def test_chinese_text_extractable_with_pdftotext(pdf_text: str) -> None:
    assert HEADING in pdf_text
    assert "第60期机械伤害预防专题培训班" in pdf_text  # a table cell on a later page
    assert "某市人力资源和社会保障局" in pdf_text
    assert "2026年11月23日" in pdf_text
    assert "第 1 页" in pdf_text
    assert "第 1 页 / 共" in pdf_text
    assert "某市工伤预防工作平台" in pdf_text  # header
    assert "内部资料" in pdf_text  # footer


def test_chinese_text_extractable_with_pypdf(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)
    assert HEADING in pages[0]
    assert f"第 1 页 / 共 {total} 页" in pages[0]
    assert f"第 {total} 页 / 共 {total} 页" in pages[-1]
    assert any("第60期机械伤害预防专题培训班" in text for text in pages)


def test_table_header_repeats_on_every_page(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    table_pages = [p.extract_text() for p in reader.pages if "机械伤害预防专题培训班" in p.extract_text()]
    assert len(table_pages) >= 2
    for text in table_pages:
        assert "培训项目名称" in text
        assert "金额（元）" in text


def test_metadata(pdf_file: Path) -> None:
    reader = PdfReader(pdf_file)
    meta = reader.metadata
    assert meta.title == "工伤预防告知书"
    assert meta.author == "某市人力资源和社会保障局"
    assert meta.subject == "测试文档"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"
    outline_titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert HEADING in outline_titles


def test_markup_in_user_text_is_literal(pdf_text: str) -> None:
    assert MARKUP in pdf_text


def test_escape_text() -> None:
    assert escape_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert escape_text("a\r\nb\x00c") == "a<br/>bc"
    assert escape_text(None) == ""
    assert escape_text(12) == "12"


def test_same_input_gives_identical_bytes() -> None:
    first = _make_doc().build()
    second = _make_doc().build()
    assert first == second
    doc = _make_doc()
    assert doc.build() == doc.build()  # build() can be called more than once
    assert first == doc.build()


def test_identical_bytes_across_processes() -> None:
    """Checksums must not depend on hash randomisation or anything else process-specific."""
    code = (
        "import django, hashlib; django.setup();"
        "from django.utils import translation; translation.activate('en');"
        "from tests.portal.test_pdf import _make_doc;"
        "print(hashlib.sha256(_make_doc().build()).hexdigest())"
    )
    root = Path(__file__).resolve().parents[2]
    pythonpath = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": pythonpath}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")
    with translation.override("en"):
        expected = hashlib.sha256(_make_doc().build()).hexdigest()
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert out.splitlines()[-1] == expected


def test_page_label_uses_gettext_english() -> None:
    doc = PdfDocument(title="t")
    doc.paragraph("正文")
    doc.page_break()
    doc.paragraph("第二页")
    with translation.override("en"):
        data = doc.build()
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert "Page 1 of 2" in pages[0]
    assert "Page 2 of 2" in pages[1]


def test_page_label_real_zh_hans_catalog() -> None:
    with translation.override("zh-hans"):
        if translation.gettext(PAGE_MSGID) == PAGE_MSGID:
            pytest.skip("zh_Hans catalog has no translation for the page label yet (run compilemessages)")
        doc = PdfDocument(title="t")
        doc.paragraph("正文")
        data = doc.build()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "第 1 页" in text


def test_chinese_date() -> None:
    assert chinese_date(dt.date(2026, 11, 23)) == "2026年11月23日"
    assert chinese_date(dt.date(2026, 11, 23), chinese_numerals=True) == "二〇二六年十一月二十三日"
    assert chinese_date(dt.date(2030, 10, 5), chinese_numerals=True) == "二〇三〇年十月五日"
    assert chinese_date(dt.date(2026, 12, 31), chinese_numerals=True) == "二〇二六年十二月三十一日"
    assert chinese_date(dt.date(2026, 1, 20), chinese_numerals=True) == "二〇二六年一月二十日"
    assert chinese_date(dt.datetime(2026, 3, 4, 10, 0)) == "2026年3月4日"
    assert chinese_date("二〇二六年十一月") == "二〇二六年十一月"


def test_signature_block_chinese_numerals_rendered() -> None:
    doc = PdfDocument(title="t")
    doc.signature_block("某市工伤预防工作领导小组", dt.date(2026, 11, 23), chinese_numerals=True)
    text = PdfReader(io.BytesIO(doc.build())).pages[0].extract_text()
    assert "某市工伤预防工作领导小组" in text
    assert "二〇二六年十一月二十三日" in text


def test_table_argument_validation() -> None:
    doc = PdfDocument(title="t")
    with pytest.raises(ValueError):
        doc.table(["a", "b"], [[1, 2]], col_widths=[1, 2, 3])
    with pytest.raises(ValueError):
        doc.heading("x", level=4)
    with pytest.raises(ValueError):
        doc.paragraph("x", align="middle")


def test_empty_document_builds() -> None:
    data = PdfDocument(title="空").build()
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_missing_fonts_raise_improperly_configured(settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings.PDF_FONT_DIRS = [tmp_path]
    monkeypatch.setattr(pdf, "_fonts_ready", False)
    with pytest.raises(ImproperlyConfigured, match="npm ci"):
        pdf.ensure_fonts()


def test_pdf_response_headers() -> None:
    body = b"%PDF-1.4 test"
    response = pdf_response(body, "工伤预防告知书-某某公司 2026.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(body))
    assert response.content == body
    cd = response["Content-Disposition"]
    assert cd.isascii()
    assert cd.startswith("attachment; ")
    assert 'filename="' in cd
    fallback = cd.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.endswith(".pdf") and fallback.isascii() and '"' not in fallback
    encoded = cd.split("filename*=UTF-8''", 1)[1]
    assert ";" not in encoded and " " not in encoded
    assert unquote(encoded) == "工伤预防告知书-某某公司 2026.pdf"
    assert "no-store" in response["Cache-Control"]


def test_pdf_response_inline_and_hostile_filename() -> None:
    response = pdf_response(b"%PDF-", 'a"b;c\r\n/告知书', inline=True)
    cd = response["Content-Disposition"]
    assert cd.startswith("inline; ")
    assert "\r" not in cd and "\n" not in cd
    fallback = cd.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.endswith(".pdf")
    assert ";" not in fallback and '"' not in fallback and "/" not in fallback
    assert unquote(cd.split("filename*=UTF-8''", 1)[1]).endswith("告知书.pdf")


@pytest.mark.parametrize("tail", ["", "<br/>三"], ids=["single-fragment", "multi-fragment"])
def test_full_width_comma_never_starts_a_line(tail: str) -> None:
    """Chinese 避头点号: "，" that would overflow hangs at the end of the line instead of starting the next one."""
    from reportlab.platypus import Paragraph

    pdf.ensure_fonts()
    style = pdf._make_styles()["cell"]
    para = Paragraph("一" * 10 + "，" + "二" * 5 + tail, style)
    para.wrap(10 * style.fontSize + 1, 1000)  # room for exactly ten ideographs
    lines = [
        "".join(line[1]) if isinstance(line, tuple) else "".join(w.text for w in line.words)
        for line in para.blPara.lines
    ]
    assert lines[0] == "一" * 10 + "，"
    assert not any(line.startswith("，") for line in lines)
