"""The one PDF builder every module uses (告知书, meeting minutes, quarterly reports, …).

Typical use in a view::

    from portal.pdf import PdfDocument, pdf_response

    doc = PdfDocument(title="工伤预防告知书", author="某市人力资源和社会保障局", header_text="工伤预防告知书")
    doc.heading("工伤预防告知书", level=1)
    doc.paragraph(notice.body)                       # user text is escaped: no markup injection
    doc.key_values([("企业名称", enterprise.name), ("统一社会信用代码", enterprise.uscc)])
    doc.table(["序号", "项目", "金额（元）"], rows, col_widths=[1, 5, 2], col_align=["center", "left", "right"])
    doc.signature_block("某市人力资源和社会保障局", notice.issued_on)
    return pdf_response(doc.build(), f"告知书-{enterprise.name}.pdf")

Design notes
------------
* Fonts: Noto Serif SC (body text, the 宋体 role of 公文) and Noto Sans SC (headings, tables, the 黑体 role),
  Regular + Bold, SIL OFL, installed from npm (``@expo-google-fonts/noto-{serif,sans}-sc``) and found under
  ``settings.PDF_FONT_DIRS``.  They are registered once per process and always embedded as subsets with a
  ToUnicode CMap, so the Chinese text can be extracted/searched/copied.
* Output is deterministic (``invariant``): the same input gives the same bytes (fixed /CreationDate and /ID), so
  a checksum of the PDF can be stored.  reportlab honours ``SOURCE_DATE_EPOCH`` for the fixed date if it is set.
* Speed (a hundred letters a second and more, e.g. the 告知书 of a whole screening): building and compressing the
  font subsets was half the cost of a one-page document (each read from a 10–15 MB CJK font, then deflated).  Each
  subset's font program, widths and ToUnicode map are made once per process and reused by every document that
  embeds the same subset, and the font tables are read without copying them.  Documents of one form share most
  characters: ``PdfDocument(subset_seed=template.font_text())`` puts the form's fixed wording first in each font's
  subsets, padded to a subset boundary, so only the few characters of names and addresses make a new subset per
  document.  A paragraph's text is parsed once per process; table and key-value cells whose text fits on one line
  are drawn as plain strings; CJK line breaking measures a word's characters with one font lookup; without
  reportlab's C accelerator (``rl-accel``) the numbers written into the PDF are formatted once each.  The caches
  and lookups give the same bytes as reportlab's own code (checked against an uncached build); page streams are
  deflated without reportlab's extra ASCII85 layer.
* Flowables are created in :meth:`PdfDocument.build`, not when the builder methods are called, so ``build()``
  can be called more than once and gettext labels use the language active at build time.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape as _html_escape
from io import BytesIO
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

__all__ = [
    "SANS",
    "SANS_BOLD",
    "SERIF",
    "SERIF_BOLD",
    "PdfDocument",
    "chinese_date",
    "ensure_fonts",
    "escape_text",
    "pdf_response",
]

# --------------------------------------------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------------------------------------------

SERIF = "NotoSerifSC"
SERIF_BOLD = "NotoSerifSC-Bold"
SANS = "NotoSansSC"
SANS_BOLD = "NotoSansSC-Bold"

# reportlab font name -> file names to look for (npm @expo-google-fonts layout first, Google Fonts layout second).
_FONT_FILES: dict[str, tuple[str, ...]] = {
    SERIF: ("NotoSerifSC_400Regular.ttf", "NotoSerifSC-Regular.ttf"),
    SERIF_BOLD: ("NotoSerifSC_700Bold.ttf", "NotoSerifSC-Bold.ttf"),
    SANS: ("NotoSansSC_400Regular.ttf", "NotoSansSC-Regular.ttf"),
    SANS_BOLD: ("NotoSansSC_700Bold.ttf", "NotoSansSC-Bold.ttf"),
}

_fonts_lock = threading.Lock()
_fonts_ready = False

# Chinese line-breaking rules (GB/T 15834, 避头点号): reportlab's CJK wrapper hangs a character that must not start a
# line into the right margin, but its list is Japanese-oriented and lacks the full-width comma, semicolon, colon,
# question/exclamation marks, closing quotes/book-title marks and the ellipsis, so "，" could start a line.
_CJK_CANNOT_START = "，；：？！”’》〉】」』〕］｝）…．·～％‰℃"


def _extend_cjk_line_breaking() -> None:
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    missing = "".join(ch for ch in _CJK_CANNOT_START if ch not in textsplit.ALL_CANNOT_START)
    if missing:
        textsplit.ALL_CANNOT_START += missing
    paragraph.ALL_CANNOT_START = textsplit.ALL_CANNOT_START


_extend_cjk_line_breaking()


def _faster_char_widths() -> None:
    """reportlab breaks a CJK line by measuring every character with ``stringWidth`` (a font lookup and a generator
    per character: most of the time a page of Chinese prose takes to lay out). For TrueType fonts, measure a
    word's characters with one font lookup; the widths are the same floats (``0.001 * size * width``)."""
    from reportlab.lib import textsplit

    measure = textsplit.getCharWidths
    if getattr(measure, "_portal", False):
        return

    def getCharWidths(word: str, fontName: str, fontSize: float) -> list[float]:  # noqa: N802, N803 - reportlab's
        font = pdfmetrics.getFont(fontName)
        if not isinstance(font, TTFont) or not isinstance(word, str):
            return measure(word, fontName, fontSize)
        width, default, k = font.face.charWidths.get, font.face.defaultWidth, 0.001 * fontSize
        return [k * width(ord(ch), default) for ch in word]

    getCharWidths._portal = True
    textsplit.getCharWidths = getCharWidths


_faster_char_widths()


def _remembered_numbers() -> None:
    """Without reportlab's C accelerator (the ``rl-accel`` package), ``fp_str`` — every coordinate, size and number
    written into a PDF — is pure Python and a tenth of a letter's build time; documents of one form write the same
    numbers again and again. Where it is pure Python, the modules that write pages and objects get a remembering
    wrapper (same strings: it calls the original for a number it has not seen)."""
    import importlib

    from reportlab.lib import rl_accel

    if "fp_str" not in rl_accel._py_funcs:  # the C version is in use
        return
    original = rl_accel.fp_str
    seen: dict[tuple, str] = {}
    kept = 200_000  # the numbers met first (a form's fixed layout) stay; later ones are formatted each time

    def fp_str(*args: Any) -> str:
        try:
            return seen[args]
        except KeyError:
            text = original(*args)
            if len(seen) < kept:
                seen[args] = text
            return text
        except TypeError:  # a list or another unhashable sequence
            return original(*args)

    for name in (
        "reportlab.pdfbase.pdfdoc",
        "reportlab.pdfgen.canvas",
        "reportlab.pdfgen.textobject",
        "reportlab.pdfgen.pathobject",
        "reportlab.lib.colors",
        "reportlab.platypus.tables",
        "reportlab.platypus.flowables",
    ):
        module = importlib.import_module(name)
        if getattr(module, "fp_str", None) is original:
            module.fp_str = fp_str


_remembered_numbers()


# Page content streams are deflated only, not also ASCII85-encoded (reportlab's default): the file is binary anyway
# (embedded fonts), and the encoding costs time and 25 % more bytes per page.
rl_config.useA85 = 0


class _GlyfTable:
    """The ``glyf`` table of a font as a zero-copy view: slicing it copies only the slice (one glyph). reportlab's
    ``get_table`` copies the whole table (10–15 MB for a CJK font) every time a subset is made."""

    __slots__ = ("_view",)

    def __init__(self, view: memoryview) -> None:
        self._view = view

    def __getitem__(self, key: slice) -> bytes:
        return self._view[key].tobytes()

    def __len__(self) -> int:
        return len(self._view)


class _SubsetCachingFace(TTFontFace):
    """A TrueType face that builds and compresses each font subset once per process.

    reportlab makes every document's subsets afresh: for a one-page Chinese letter that is most of its build time.
    A subset (the list of characters it holds, in order) gives the same font program whatever the document, so the
    deflated program is kept (least recently used first out) and reused; the output bytes are unchanged.
    :class:`_SubsetCachingFont` switches its face to this class after loading it.
    """

    _SUBSETS_KEPT = 64  # per face; a subset of 256 CJK glyphs deflates to ~50 KB

    def get_table(self, tag: str) -> Any:
        tables = self.__dict__.setdefault("_pdf_tables", {})
        table = tables.get(tag)
        if table is None:
            pos, length = self.get_table_pos(tag)
            if tag == "glyf":
                table = _GlyfTable(memoryview(self._ttf_data)[pos : pos + length])
            else:
                table = self._ttf_data[pos : pos + length]
            tables[tag] = table
        return table

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        cache: OrderedDict = self.__dict__.setdefault("_pdf_subsets", OrderedDict())
        with _subsets_lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
        found = make()
        with _subsets_lock:
            cache[key] = found
            while len(cache) > self._SUBSETS_KEPT:
                cache.popitem(last=False)
        return found

    def _deflated_subset(self, subset: Sequence[int]) -> tuple[int, bytes]:
        """(length of the font program, the program deflated) of ``subset``."""

        def make() -> tuple[int, bytes]:
            program = self.makeSubset(subset)
            return len(program), zlib.compress(program)  # what reportlab's FlateDecode filter writes

        return self._cached(("program", tuple(subset)), make)

    def _subset_metrics(self, base_font_name: str, subset: Sequence[int], doc: Any) -> tuple[bytes, bytes]:
        """(the formatted /Widths array, the deflated ToUnicode CMap) of subset ``base_font_name``."""

        def make() -> tuple[bytes, bytes]:
            widths = pdfdoc.PDFArray([self.getCharWidth(code) for code in subset]).format(doc)
            cmap = ttfonts.makeToUnicodeCMap(base_font_name, subset).encode("utf8")
            return widths, zlib.compress(cmap)

        return self._cached(("metrics", base_font_name, tuple(subset)), make)

    def addSubsetObjects(self, doc: Any, fontname: str, subset: Sequence[int]) -> Any:
        """reportlab's ``TTFontFace.addSubsetObjects`` with the font program from the cache."""
        length, deflated = self._deflated_subset(subset)
        if doc.compression:
            font_file = _deflated_stream(deflated)
        else:
            font_file = pdfdoc.PDFStream(content=zlib.decompress(deflated))
        font_file.dictionary["Length1"] = length
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~ttfonts.FF_NONSYMBOLIC) | ttfonts.FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


_subsets_lock = threading.Lock()


class _Formatted(pdfdoc.PDFObject):
    """A PDF object already formatted (a cached /Widths array)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


def _deflated_stream(data: bytes) -> pdfdoc.PDFStream:
    stream = pdfdoc.PDFStream(content=data)
    stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    return stream


class _SubsetCachingFont(TTFont):
    """reportlab's TTFont whose subsets' font programs, widths and ToUnicode maps are made once per process
    (:class:`_SubsetCachingFace`): the PDF objects are the same bytes as reportlab's own."""

    _SPLITS_KEPT = 20_000  # strings remembered per font

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self.face.__class__ = _SubsetCachingFace  # the loaded face, with the caching methods
        self._splits: dict[tuple[str, str], list[tuple[int, bytes]]] = {}

    def splitString(self, text: Any, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        """reportlab's, remembered for a string made only of the characters of the document's subset seed: those
        have the same codes in every document seeded with the same text (``_seed_subsets``), so the string splits
        the same way in each (a letter's fixed wording, drawn in every letter)."""
        seed = getattr(self.state.get(doc), "seed", None)
        if seed is None or not isinstance(text, str) or not seed[1].issuperset(text):
            return super().splitString(text, doc, encoding)
        key = (seed[0], text)
        found = self._splits.get(key)
        if found is None:
            found = super().splitString(text, doc, encoding)
            if len(self._splits) >= self._SPLITS_KEPT:
                self._splits.clear()
            self._splits[key] = found
        return list(found)

    def addObjects(self, doc: Any) -> None:
        """reportlab's ``TTFont.addObjects`` with the cached parts: one font object per subset of 256 codes."""
        face = self.face
        state = self._assignState(doc)
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_font_name = b"".join((ttfonts.SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_font_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            widths, cmap = face._subset_metrics(base_font_name, subset, doc)
            pdf_font.Widths = _Formatted(widths)
            if doc.compression:
                cmap_stream = _deflated_stream(cmap)
            else:
                cmap_stream = pdfdoc.PDFStream(content=zlib.decompress(cmap).decode("utf8"))
            pdf_font.ToUnicode = doc.Reference(cmap_stream, "toUnicodeCMap:" + base_font_name)
            pdf_font.FontDescriptor = face.addSubsetObjects(doc, base_font_name, subset)
            doc.Reference(pdf_font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
        del self.state[doc]


def _font_dirs() -> list[Path]:
    dirs = getattr(settings, "PDF_FONT_DIRS", None)
    if not dirs:
        dirs = [Path(__file__).resolve().parent.parent / "node_modules" / "@expo-google-fonts"]
    return [Path(d) for d in dirs]


def _find_font_file(file_names: Sequence[str], dirs: Sequence[Path]) -> Path | None:
    for directory in dirs:
        if not directory.is_dir():
            continue
        for name in file_names:
            direct = directory / name
            if direct.is_file():
                return direct
            found = next(iter(sorted(directory.rglob(name))), None)
            if found is not None and found.is_file():
                return found
    return None


def ensure_fonts() -> None:
    """Register the Noto SC fonts with reportlab (once per process; thread-safe).

    Raises ImproperlyConfigured if a font file cannot be found under ``settings.PDF_FONT_DIRS``.
    """
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        dirs = _font_dirs()
        paths: dict[str, Path] = {}
        missing: list[str] = []
        for font_name, file_names in _FONT_FILES.items():
            path = _find_font_file(file_names, dirs)
            if path is None:
                missing.append(file_names[0])
            else:
                paths[font_name] = path
        if missing:
            raise ImproperlyConfigured(
                "PDF fonts not found: {}. Searched settings.PDF_FONT_DIRS = [{}]. The fonts come from npm "
                "(@expo-google-fonts/noto-serif-sc and @expo-google-fonts/noto-sans-sc): run `make run` or "
                "`npm ci` in the project root.".format(", ".join(missing), ", ".join(str(d) for d in dirs))
            )
        registered = set(pdfmetrics.getRegisteredFontNames())
        for font_name, path in paths.items():
            if font_name not in registered:
                # subfontIndex 0: the files are plain TrueType (glyf) fonts, which reportlab embeds as subsets.
                pdfmetrics.registerFont(_SubsetCachingFont(font_name, str(path)))
        pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF, boldItalic=SERIF_BOLD)
        pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)
        _fonts_ready = True


# --------------------------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------------------------

# C0/C1 control characters other than tab and newline break reportlab's paragraph parser (and mean nothing in print).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape_text(value: Any) -> str:
    """Turn arbitrary (user) text into safe reportlab Paragraph markup.

    ``&``, ``<`` and ``>`` are escaped so user text can never inject markup (``<b>``, ``<img>``, ``<link>``, …);
    line breaks are kept as ``<br/>``; ``None`` becomes an empty string.
    """
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = _CONTROL_CHARS.sub("", text)
    text = _html_escape(text, quote=False)
    return text.replace("\n", "<br/>")


_CN_DIGITS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1..31 -> 一 … 三十一 (for months and days)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    prefix = "" if tens == 1 else _CN_DIGITS[tens]
    return prefix + "十" + (_CN_DIGITS[ones] if ones else "")


def chinese_date(value: dt.date | dt.datetime | str | None = None, *, chinese_numerals: bool = False) -> str:
    """Format a date the way Chinese official documents do.

    ``2026年11月23日`` by default (GB/T 9704-2012 uses Arabic numerals for the 成文日期), or
    ``二〇二六年十一月二十三日`` with ``chinese_numerals=True``.  A string is returned unchanged; ``None`` means today
    (in the project time zone).
    """
    if isinstance(value, str):
        return value
    if value is None:
        value = timezone.localdate()
    elif isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if chinese_numerals:
        year = "".join(_CN_DIGITS[int(c)] for c in f"{value.year:04d}")
        return f"{year}年{_cn_number(value.month)}月{_cn_number(value.day)}日"
    return f"{value.year}年{value.month}月{value.day}日"


# --------------------------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------------------------

_ALIGNMENTS = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}

BODY_SIZE = 12
TABLE_SIZE = 9.5


def _style(name: str, font: str, size: float, leading: float, **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)


def _make_styles() -> dict[str, ParagraphStyle]:
    return {
        "h1": _style("h1", SANS_BOLD, 18, 28, alignment=TA_CENTER, spaceBefore=4, spaceAfter=12),
        "h2": _style("h2", SANS_BOLD, 14, 22, alignment=TA_LEFT, spaceBefore=10, spaceAfter=4),
        "h3": _style("h3", SANS_BOLD, 12, 20, alignment=TA_LEFT, spaceBefore=6, spaceAfter=2),
        "body": _style("body", SERIF, BODY_SIZE, 21, alignment=TA_JUSTIFY, spaceAfter=3),
        "cell": _style("cell", SANS, TABLE_SIZE, 13.5, alignment=TA_LEFT),
        "th": _style("th", SANS_BOLD, TABLE_SIZE, 13.5, alignment=TA_CENTER),
        "kv_label": _style("kv_label", SANS_BOLD, 10.5, 16, alignment=TA_LEFT),
        "kv_value": _style("kv_value", SERIF, 10.5, 16, alignment=TA_LEFT),
        "signature": _style("signature", SERIF, BODY_SIZE, 21, alignment=TA_CENTER),
    }


# --------------------------------------------------------------------------------------------------------------
# Page furniture: header, footer, "Page N of M"
# --------------------------------------------------------------------------------------------------------------

_FURNITURE_FONT_SIZE = 9
_FURNITURE_GREY = colors.HexColor("#555555")


class _NumberedCanvas(Canvas):
    """Canvas that defers page output to save() so every page can show the total page count."""

    def __init__(
        self, *args: Any, furniture: _Furniture, subset_seed: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._furniture = furniture
        self._saved_page_states: list[dict[str, Any]] = []
        for font_name, text in (subset_seed or {}).items():
            _seed_subsets(pdfmetrics.getFont(font_name), self._doc, text)

    def showPage(self) -> None:
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_page_states)
        for state in self._saved_page_states:
            self.__dict__.update(state)
            self._furniture.draw(self, self._pageNumber, total)
            super().showPage()
        super().save()


def _seed_subsets(font: Any, doc: Any, text: str) -> None:
    """Give ``text``'s characters the first codes of ``font``'s subsets in ``doc``, in order, and start the
    document's own characters in a new subset: every document seeded with the same text embeds the same first
    subsets, which the face builds and compresses once (:class:`_SubsetCachingFace`)."""
    if not isinstance(font, TTFont):
        raise ValueError(f"subset_seed: {font.fontName} is not a TrueType font")
    font.splitString(text, doc)
    state = font.state[doc]
    if state.nextCode & 0xFF:
        state.nextCode = (state.nextCode | 0xFF) + 1  # reportlab opens subset n >> 8 at the next new character
    state.seed = (text, frozenset(text))  # their codes, the same in every document seeded alike


class _Furniture:
    def __init__(self, *, header_text: str, footer_text: str, page_label: str, margins: tuple[float, ...]) -> None:
        self.header_text = header_text
        self.footer_text = footer_text
        self.page_label = page_label  # translated "Page %(page)s of %(pages)s"
        self.top, self.right, self.bottom, self.left = margins

    def draw(self, canv: Canvas, page: int, pages: int) -> None:
        width, height = canv._pagesize
        canv.saveState()
        canv.setFont(SANS, _FURNITURE_FONT_SIZE)
        canv.setFillColor(_FURNITURE_GREY)
        canv.setStrokeColor(_FURNITURE_GREY)
        canv.setLineWidth(0.5)
        if self.header_text:
            y = height - self.top + 8 * mm
            canv.drawCentredString(width / 2, y + 2 * mm, self.header_text)
            canv.line(self.left, y, width - self.right, y)
        y = self.bottom - 10 * mm
        label = self.page_label % {"page": page, "pages": pages}
        if self.footer_text:
            canv.line(self.left, y + 4 * mm, width - self.right, y + 4 * mm)
            canv.drawString(self.left, y, self.footer_text)
            canv.drawRightString(width - self.right, y, label)
        else:
            canv.drawCentredString(width / 2, y, label)
        canv.restoreState()


class _DocTemplate(BaseDocTemplate):
    """Adds PDF outline (bookmark) entries for level-1/2 headings."""

    def afterFlowable(self, flowable: Flowable) -> None:
        level = getattr(flowable, "_outline_level", None)
        if level is None:
            return
        self._outline_count = getattr(self, "_outline_count", 0) + 1
        key = f"h{self._outline_count}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable._outline_title, key, level=level, closed=False)


# --------------------------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------------------------

_RL_ALIGN = {TA_LEFT: "LEFT", TA_CENTER: "CENTER", TA_RIGHT: "RIGHT", TA_JUSTIFY: "LEFT"}


def _cell(value: Any, style: ParagraphStyle, room: float) -> Flowable | str:
    """A table cell: the plain text itself when it fits on one line of ``room`` points as it is (no line break,
    control character, or space that a Paragraph would collapse), which the table draws as a string in the
    style's font (see :func:`_plain_cell_style`) at a fraction of a Paragraph's cost; otherwise a wrapping
    Paragraph."""
    text = "" if value is None else str(value)
    if (
        text == text.strip()
        and "  " not in text
        and not _CONTROL_CHARS.search(text)
        and "\n" not in text
        and "\r" not in text
        and "\t" not in text
        and pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= room
    ):
        return text
    return _paragraph(text, style)


_parsed_lock = threading.Lock()
_PARSED: OrderedDict = OrderedDict()  # (text, font, size, colour) -> the parser's fragments
_PARSED_KEPT = 512


def _paragraph(text: Any, style: ParagraphStyle) -> Paragraph:
    """``Paragraph(escape_text(text), style)``, parsing a text once per process: the parser's fragments depend
    only on the text and the style's font, size and colour, and a form's fixed paragraphs recur in every
    document built from it. Each paragraph gets its own copies of the fragments."""
    markup = escape_text(text)
    key = (markup, style.fontName, style.fontSize, str(style.textColor))
    with _parsed_lock:
        parsed = _PARSED.get(key)
        if parsed is not None:
            _PARSED.move_to_end(key)
    if parsed is None:
        first = Paragraph(markup, style)
        parsed = (first.text, first.frags)
        with _parsed_lock:
            _PARSED[key] = parsed
            while len(_PARSED) > _PARSED_KEPT:
                _PARSED.popitem(last=False)
    cleaned, frags = parsed
    return Paragraph(cleaned, style, frags=[_copy_frag(f) for f in frags])


def _copy_frag(frag: Any) -> Any:
    copy = frag.clone()
    for name in ("link", "us_lines"):
        value = getattr(frag, name, None)
        if isinstance(value, list):
            setattr(copy, name, list(value))
    return copy


def _plain_cell_style(start: tuple[int, int], stop: tuple[int, int], style: ParagraphStyle) -> list[tuple[Any, ...]]:
    """Table commands that draw plain-string cells as ``style`` would (font, size, leading, alignment)."""
    return [
        ("FONTNAME", start, stop, style.fontName),
        ("FONTSIZE", start, stop, style.fontSize),
        ("LEADING", start, stop, style.leading),
        ("ALIGN", start, stop, _RL_ALIGN.get(style.alignment, "LEFT")),
    ]


# --------------------------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------------------------

Align = Literal["left", "center", "right", "justify"]
_Op = Callable[[dict[str, ParagraphStyle], float], list[Flowable]]

# 公文 layout (GB/T 9704-2012): top 37 mm, bottom 35 mm, left (binding side) 28 mm, right 26 mm.
GONGWEN_MARGINS_MM = (37, 26, 35, 28)

_GRID = colors.HexColor("#808080")
_HEADER_BG = colors.HexColor("#E8ECF1")
_LABEL_BG = colors.HexColor("#F3F5F8")
_ZEBRA_BG = colors.HexColor("#FAFAFA")


class PdfDocument:
    """Build an A4 portrait PDF with Chinese text, page furniture and metadata.

    All text arguments are plain text (escaped internally); there is no way to pass reportlab markup through.
    """

    def __init__(
        self,
        title: str = "",
        *,
        subject: str = "",
        author: str = "",
        keywords: Sequence[str] = (),
        header_text: str = "",
        footer_text: str = "",
        margins_mm: tuple[float, float, float, float] = GONGWEN_MARGINS_MM,
        invariant: bool = True,
        lang: str = "zh-CN",
        subset_seed: Mapping[str, str] | None = None,
    ) -> None:
        """``margins_mm`` is (top, right, bottom, left) like CSS.  ``invariant=True`` makes the output a pure
        function of the input (fixed creation date and document ID).

        ``subset_seed`` (font name → text) is for documents built by the hundred from one form: the text's
        characters come first in each font's embedded subsets, so those subsets are the same in every such document
        and are built once per process.  Pass ``template.font_text()`` of a document holding the form's fixed
        wording; characters a document does not use cost a few hundred bytes each, nothing else changes.
        """
        ensure_fonts()
        self.title = title
        self.subject = subject
        self.author = author
        self.keywords = list(keywords)
        self.header_text = header_text
        self.footer_text = footer_text
        self.margins = tuple(m * mm for m in margins_mm)
        self.invariant = invariant
        self.lang = lang
        self.subset_seed = dict(subset_seed or {})
        self._ops: list[_Op] = []
        self._texts: list[tuple[str, Any]] = []  # (font, text) of everything the builder methods were given

    def _uses(self, font: str, *texts: Any) -> None:
        self._texts.extend((font, t) for t in texts)

    def font_text(self) -> dict[str, str]:
        """The characters outside ASCII this document draws in each font (page furniture included, the page label
        in the active language), each once, in order of first use: a form's ``subset_seed``."""
        seen: dict[str, dict[str, None]] = {}
        furniture = [self.header_text, self.footer_text, _("Page %(page)s of %(pages)s")]
        for font, text in [*self._texts, *((SANS, t) for t in furniture)]:
            chars = seen.setdefault(font, {})
            for ch in str(text if text is not None else ""):
                if ord(ch) > 127:
                    chars.setdefault(ch)
        return {font: "".join(chars) for font, chars in seen.items() if chars}

    # -- content ----------------------------------------------------------------------------------------------

    @property
    def text_width(self) -> float:
        """Width of the text block in points."""
        return A4[0] - self.margins[1] - self.margins[3]

    def heading(self, text: str, level: int = 1) -> PdfDocument:
        """Level 1: centred document title (黑体 role); levels 2 and 3: left-aligned section headings.

        Levels 1 and 2 also become PDF bookmarks.
        """
        if level not in (1, 2, 3):
            raise ValueError("heading level must be 1, 2 or 3")
        self._uses(SANS_BOLD, text)

        def op(styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
            para = _paragraph(text, styles[f"h{level}"])
            if level <= 2:
                para._outline_level = level - 1
                para._outline_title = str(text)
            # keep a heading with at least ~3 lines of what follows
            return [CondPageBreak(styles[f"h{level}"].leading + 3 * styles["body"].leading), para]

        self._ops.append(op)
        return self

    def paragraph(
        self,
        text: str,
        *,
        indent_first_line: bool = True,
        align: Align = "justify",
        bold: bool = False,
        font_size: float | None = None,
    ) -> PdfDocument:
        """Body paragraph in the serif font; first line indented by two characters (公文 style) by default.

        Newlines inside ``text`` become line breaks.
        """
        if align not in _ALIGNMENTS:
            raise ValueError(f"align must be one of {', '.join(_ALIGNMENTS)}")
        self._uses(SERIF_BOLD if bold else SERIF, text)

        def op(styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
            base = styles["body"]
            size = font_size or base.fontSize
            style = ParagraphStyle(
                "body_custom",
                parent=base,
                fontName=SERIF_BOLD if bold else SERIF,
                fontSize=size,
                leading=base.leading * size / base.fontSize,
                alignment=_ALIGNMENTS[align],
                firstLineIndent=2 * size if indent_first_line else 0,
            )
            return [_paragraph(text, style)]

        self._ops.append(op)
        return self

    def key_values(self, items: Iterable[tuple[Any, Any]], *, label_width_mm: float = 35) -> PdfDocument:
        """Two-column form (label | value) with a grid, e.g. the particulars block of a 告知书."""
        pairs = [(label, value) for label, value in items]
        for label, value in pairs:
            self._uses(SANS_BOLD, label)
            self._uses(SERIF, value)

        def op(styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
            if not pairs:
                return []
            label_w = label_width_mm * mm
            label_room, value_room = label_w - 10, width - label_w - 10  # less the 5 pt paddings
            data = [
                [_cell(label, styles["kv_label"], label_room), _cell(value, styles["kv_value"], value_room)]
                for label, value in pairs
            ]
            table = Table(data, colWidths=[label_w, width - label_w], hAlign="LEFT", splitInRow=1)
            table.setStyle(
                TableStyle(
                    [
                        *_plain_cell_style((0, 0), (0, -1), styles["kv_label"]),
                        *_plain_cell_style((1, 0), (1, -1), styles["kv_value"]),
                        ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
                        ("BACKGROUND", (0, 0), (0, -1), _LABEL_BG),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("TOPPADDING", (0, 0), (-1, -1), 4),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                        ("LEFTPADDING", (0, 0), (-1, -1), 5),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                    ]
                )
            )
            return [table, Spacer(1, 4 * mm)]

        self._ops.append(op)
        return self

    def table(
        self,
        headers: Sequence[Any] | None,
        rows: Iterable[Sequence[Any]],
        col_widths: Sequence[float] | None = None,
        repeat_header: bool = True,
        *,
        col_align: Sequence[Align] | None = None,
        zebra: bool = True,
    ) -> PdfDocument:
        """Data table in the sans font; long text wraps inside cells, the header row repeats on every page.

        ``col_widths`` are *relative* weights (e.g. ``[1, 4, 2]``) scaled to the text width; default equal widths.
        ``col_align`` gives "left"/"center"/"right" per column (default left).  ``None`` cells are empty.
        """
        header_row = list(headers) if headers else []
        body_rows = [list(r) for r in rows]
        ncols = len(header_row) or max((len(r) for r in body_rows), default=0)
        if col_widths is not None and len(col_widths) != ncols:
            raise ValueError(f"col_widths has {len(col_widths)} entries for {ncols} columns")
        if col_align is not None and len(col_align) != ncols:
            raise ValueError(f"col_align has {len(col_align)} entries for {ncols} columns")
        self._uses(SANS_BOLD, *header_row)
        for row in body_rows:
            self._uses(SANS, *row)

        def op(styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
            if ncols == 0:
                return []
            weights = list(col_widths) if col_widths is not None else [1.0] * ncols
            total = float(sum(weights))
            widths = [width * w / total for w in weights]
            cell_styles = [
                ParagraphStyle(f"cell{i}", parent=styles["cell"], alignment=_ALIGNMENTS[a])
                for i, a in enumerate(col_align or ["left"] * ncols)
            ]
            rooms = [w - 8 for w in widths]  # less the 4 pt paddings
            data: list[list[Any]] = []
            if header_row:
                data.append([_cell(h, styles["th"], rooms[i]) for i, h in enumerate(header_row)])
            for row in body_rows:
                padded = row + [""] * (ncols - len(row))
                data.append([_cell(v, cell_styles[i], rooms[i]) for i, v in enumerate(padded[:ncols])])
            if not data:
                return []
            first_body = 1 if header_row else 0
            cmds: list[tuple[Any, ...]] = [
                *(
                    cmd
                    for i, style in enumerate(cell_styles)
                    for cmd in _plain_cell_style((i, first_body), (i, -1), style)
                ),
                *(_plain_cell_style((0, 0), (-1, 0), styles["th"]) if header_row else ()),
                ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
            if header_row:
                cmds.append(("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG))
            if zebra and len(data) > first_body + 1:
                cmds.append(("ROWBACKGROUNDS", (0, first_body), (-1, -1), [colors.white, _ZEBRA_BG]))
            table = Table(
                data,
                colWidths=widths,
                repeatRows=1 if (header_row and repeat_header) else 0,
                hAlign="CENTER",
                splitInRow=1,
            )
            table.setStyle(TableStyle(cmds))
            return [table, Spacer(1, 4 * mm)]

        self._ops.append(op)
        return self

    def drawing(
        self,
        drawing: Flowable | Callable[[float], Flowable | None],
        *,
        texts: Iterable[Any] = (),
        font: str = SANS,
        align: Literal["left", "center", "right"] = "center",
    ) -> PdfDocument:
        """A graphic such as a ``reportlab.graphics`` Drawing (a chart): the flowable itself, or a function of the
        text width (points) that makes it at build time, so it fits the page and its labels are in the language
        active then (None: nothing). ``texts``: the text it draws in ``font`` (for :meth:`font_text`).

        A Drawing starts in ``font`` unless it names another (``initialFontName``; reportlab would start it in
        Helvetica, a standard font that is not embedded). Its strings and chart labels name their own fonts
        (``fontName``, Helvetica by default): give them one of the fonts here, for Chinese text to show and every
        font to be embedded."""
        if align not in ("left", "center", "right"):
            raise ValueError("align must be left, center or right")
        self._uses(font, *texts)

        def op(styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
            item = drawing(width) if callable(drawing) and not isinstance(drawing, Flowable) else drawing
            if item is None:
                return []
            if isinstance(item, Drawing) and getattr(item, "initialFontName", None) is None:
                item.initialFontName = font
            item.hAlign = align.upper()
            return [item, Spacer(1, 4 * mm)]

        self._ops.append(op)
        return self

    def spacer(self, height_mm: float = 5) -> PdfDocument:
        """Vertical space in millimetres."""
        self._ops.append(lambda styles, width: [Spacer(1, height_mm * mm)])
        return self

    def page_break(self) -> PdfDocument:
        self._ops.append(lambda styles, width: [PageBreak()])
        return self

    def signature_block(
        self,
        org_name: str,
        date: dt.date | dt.datetime | str | None = None,
        *,
        chinese_numerals: bool = False,
        space_before_mm: float = 15,
    ) -> PdfDocument:
        """落款: issuing organisation over the date, centred on each other, right-aligned with the date four
        characters from the right margin (GB/T 9704).  ``space_before_mm`` leaves room for the seal.

        ``date``: a date/datetime (formatted ``2026年11月23日``, or ``二〇二六年十一月二十三日`` with
        ``chinese_numerals=True``), a preformatted string, or None for today (not deterministic!).
        """
        date_text = chinese_date(date, chinese_numerals=chinese_numerals)
        self._uses(SERIF, org_name, date_text)

        def op(styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
            style = styles["signature"]
            lines = [str(org_name or ""), date_text]
            text_w = max(pdfmetrics.stringWidth(line, style.fontName, style.fontSize) for line in lines)
            block_w = min(text_w + 2 * style.fontSize, width * 0.7)
            right_w = 4 * style.fontSize
            data = [[_paragraph(line, style), ""] for line in lines if line]
            table = Table(data, colWidths=[block_w, right_w], hAlign="RIGHT")
            table.setStyle(
                TableStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), SANS),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                        ("TOPPADDING", (0, 0), (-1, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                    ]
                )
            )
            return [KeepTogether([Spacer(1, space_before_mm * mm), table])]

        self._ops.append(op)
        return self

    # -- output -----------------------------------------------------------------------------------------------

    def build(self) -> bytes:
        """Render the document and return the PDF bytes."""
        ensure_fonts()
        top, right, bottom, left = self.margins
        width, height = A4
        buf = BytesIO()
        template = _DocTemplate(
            buf,
            pagesize=A4,
            leftMargin=left,
            rightMargin=right,
            topMargin=top,
            bottomMargin=bottom,
            title=self.title,
            author=self.author,
            subject=self.subject,
            keywords=self.keywords,
            creator="work-injury-portal",
            invariant=1 if self.invariant else 0,
            pageCompression=1,
            lang=self.lang,
            displayDocTitle=True,
            initialFontName=SERIF,
            initialFontSize=BODY_SIZE,
        )
        frame = Frame(
            left,
            bottom,
            width - left - right,
            height - top - bottom,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        template.addPageTemplates([PageTemplate(id="page", frames=[frame])])

        styles = _make_styles()
        story: list[Flowable] = []
        for op in self._ops:
            story.extend(op(styles, frame._width))
        if not story:
            story.append(Spacer(1, 1))

        furniture = _Furniture(
            header_text=self.header_text,
            footer_text=self.footer_text,
            page_label=_("Page %(page)s of %(pages)s"),
            margins=self.margins,
        )

        def canvasmaker(*args: Any, **kwargs: Any) -> _NumberedCanvas:
            return _NumberedCanvas(*args, furniture=furniture, subset_seed=self.subset_seed, **kwargs)

        template.build(story, canvasmaker=canvasmaker)
        return buf.getvalue()


# --------------------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------------------

_UNSAFE_FALLBACK = re.compile(r"[^A-Za-z0-9._()\[\] -]+")


def _ascii_fallback(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, "pdf"
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = _UNSAFE_FALLBACK.sub("_", ascii_stem).strip(" ._")
    ascii_ext = _UNSAFE_FALLBACK.sub("", ext) or "pdf"
    if not ascii_stem.strip("_"):
        ascii_stem = "document"
    return f"{ascii_stem}.{ascii_ext}"


def pdf_response(pdf_bytes: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """HttpResponse for a PDF with a Content-Disposition that works for Chinese file names.

    Sends both an ASCII ``filename="…"`` fallback and the RFC 5987/6266 ``filename*=UTF-8''…`` form, which all
    current browsers prefer.  ``inline=True`` lets the browser show the PDF instead of downloading it.
    """
    filename = _CONTROL_CHARS.sub("", str(filename)).replace("/", "_").replace("\\", "_").strip() or "document.pdf"
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    disposition = "inline" if inline else "attachment"
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{_ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response["Content-Length"] = str(len(pdf_bytes))
    # documents carry personal data of injured workers / enterprises: keep them out of shared caches
    response["Cache-Control"] = "private, no-store"
    return response
