"""portal.pdf for documents built by the hundred: font subsets made once per process and shared through a subset
seed, plain-string table cells. The output stays a pure function of the input, and its text extractable.

Needs pypdf; no database.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from portal.pdf import SANS, SANS_BOLD, SERIF, PdfDocument

FIXED = "根据工伤预防与安全生产联动机制，现将有关事项告知如下。"


def _letter(enterprise: str, post: str, *, seed: dict[str, str] | None = None) -> PdfDocument:
    doc = PdfDocument(title="告知书", subset_seed=seed)
    doc.heading("工伤事故多发岗位告知书", level=1)
    doc.paragraph(f"{enterprise}：")
    doc.paragraph(FIXED)
    doc.table(["岗位", "起数"], [[post, "3"]], col_widths=[3, 1])
    return doc


def _seed() -> dict[str, str]:
    return _letter("x", "x").font_text()


def _font_programs(data: bytes) -> dict[str, bytes]:
    """{subset font name (e.g. AAAAAA+NotoSerifSC-Regular): its embedded font program}."""
    out = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            out[str(font["/BaseFont"]).lstrip("/")] = font["/FontDescriptor"]["/FontFile2"].get_data()
    return out


def _text(data: bytes) -> str:
    return "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_font_text_lists_each_fonts_characters_once_in_order_of_use() -> None:
    text = _letter("永康五金", "冲压工").font_text()
    assert text[SANS_BOLD].startswith("工伤事故多发岗位告知书"[:3])
    assert text[SERIF].startswith("永康五金：根据")
    assert len(text[SERIF]) == len(set(text[SERIF]))
    assert "冲压工" in text[SANS]
    assert all(ord(ch) > 127 for chars in text.values() for ch in chars)


def test_letters_with_one_seed_embed_the_same_seeded_subsets() -> None:
    seed = _seed()
    first = _font_programs(_letter("永康五金制品有限公司", "冲压工", seed=seed).build())
    second = _font_programs(_letter("武义县杯业有限公司", "抛光工", seed=seed).build())
    seeded = [name for name in first if name.startswith("AAAAAA+")]  # subset 0 of each font: the seed's
    assert seeded
    for name in seeded:
        assert first[name] == second[name], name
    # the enterprise and the post are outside the seed: a subset of their own, which differs
    own = sorted(set(first) - set(seeded))
    assert own and any(first[name] != second.get(name) for name in own)


def test_seeded_letters_show_all_their_text() -> None:
    data = _letter("武义县杯业有限公司", "抛光工", seed=_seed()).build()
    text = _text(data)
    assert "武义县杯业有限公司：" in text
    assert FIXED in text
    assert "抛光工" in text and "工伤事故多发岗位告知书" in text


def test_shared_subsets_do_not_change_a_documents_bytes() -> None:
    seed = _seed()
    alone = _letter("永康五金制品有限公司", "冲压工", seed=seed).build()
    _letter("武义县杯业有限公司", "抛光工", seed=seed).build()  # fills the caches with other subsets
    assert _letter("永康五金制品有限公司", "冲压工", seed=seed).build() == alone
    # without a seed the same text is laid out the same but its subsets hold only what it uses
    unseeded = _letter("永康五金制品有限公司", "冲压工").build()
    assert _text(unseeded) == _text(alone)
    assert len(unseeded) <= len(alone)


def test_table_cells_that_fit_are_literal_text_and_long_ones_wrap() -> None:
    long_text = "本行内容特别长，需要在单元格内自动换行显示，不能超出表格边界" * 2
    doc = PdfDocument(title="t")
    doc.table(["项目", "说明"], [["<b>x</b> & y", long_text], ["短", "二"]], col_widths=[1, 1])
    doc.key_values([("企业名称", "<i>某</i>公司"), ("说明", long_text)])
    reader = PdfReader(io.BytesIO(doc.build()))
    raw = reader.pages[0].extract_text()
    text = "".join(raw.split())
    assert "<b>x</b>&y" in text and "<i>某</i>公司" in text
    assert long_text in text
    assert text.count("本行内容特别长") == 4
    # the long cells wrapped onto several lines inside their column
    assert sum(1 for line in raw.splitlines() if "不能超出表格边界" in line or "本行内容" in line) >= 2


def test_a_seed_font_must_be_truetype() -> None:
    doc = PdfDocument(title="t", subset_seed={"Helvetica": "x"})
    doc.paragraph("正文")
    with pytest.raises(ValueError, match="Helvetica"):
        doc.build()


def test_fonts_are_the_portals_cjk_fonts_in_every_subset() -> None:
    data = _letter("永康五金制品有限公司", "冲压工", seed=_seed()).build()
    names = list(_font_programs(data))
    assert names and all("NotoSerifSC" in n or "NotoSansSC" in n for n in names), names


def test_strings_of_seeded_characters_split_once_and_the_bytes_stay_reportlabs(monkeypatch) -> None:
    """A string made only of the seed's characters has the same codes in every seeded document: its split is
    remembered (a letter's fixed wording); one with other characters is split afresh. The PDF is byte for byte
    what reportlab's own splitting makes."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from portal import pdf

    seed = _seed()
    first = _letter("永康五金制品有限公司", "冲压工", seed=seed).build()
    again = _letter("永康五金制品有限公司", "冲压工", seed=seed).build()  # from the remembered splits
    splits = pdfmetrics.getFont(SERIF)._splits
    assert any(text == FIXED for _seed_text, text in splits)
    assert not any("永康五金制品有限公司" in text for _seed_text, text in splits)  # outside the seed
    monkeypatch.setattr(pdf._SubsetCachingFont, "splitString", TTFont.splitString)
    assert _letter("永康五金制品有限公司", "冲压工", seed=seed).build() == first == again
