"""The invoice document as a PDF (fpdf2): the same sections, in the same order, as the page.

Fonts come with the project's dependencies, not from the system: Fira Sans (fontpkg-fira-sans)
writes Latin with its extensions (Vietnamese and Turkish included), Greek, Cyrillic and most
currency signs; Noto Sans CJK JP (noto-cjk-sans-jp-regular) and Noto Sans Arabic
(fontpkg-noto-sans-arabic) are added as fallbacks only when a document needs them, for Japanese
(and Chinese and Korean) text and the full-width "￥" the ja_JP locale writes, and for Arabic.
Arabic is shaped (joined letter forms, right to left) by HarfBuzz (uharfbuzz) through fpdf2's
text shaping, switched on only for a document with Arabic in it; an Arabic document is laid out
right to left (labels and values aligned to the right). fpdf2's core fonts cannot be used: they
know Latin-1 alone, not even "€" or U+2212 (minus). A value no font can draw falls back to its
plain form (money with its ISO code).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

from plansmith.entrypoints.webui import pdf_fonts
from plansmith.entrypoints.webui.invoice_document import InvoiceDocument, Shown, Table

BODY, CJK, ARABIC = "body", "cjk", "arabic"
FALLBACKS = (CJK, ARABIC)
INK, MUTED, RULE, SHADE = (31, 41, 51), (97, 110, 124), (211, 216, 222), (238, 241, 245)
MARGIN = 15.0  # mm
SIZE, SMALL, TITLE = 9.5, 8.5, 17.0  # pt


@cache
def _font_files() -> dict[tuple[str, str], Path]:
    fira = Path(str(files("fontpkg_fira_sans"))) / "files"
    noto = Path(str(files("noto_cjk_sans_jp_regular")))
    arabic = Path(str(files("fontpkg_noto_sans_arabic"))) / "files"
    return {
        (BODY, ""): fira / "FiraSans-Regular.ttf",
        (BODY, "B"): fira / "FiraSans-SemiBold.ttf",
        (CJK, ""): noto / "NotoSansCJKjp-Regular.otf",
        (ARABIC, ""): arabic / "NotoSansArabic[wdth,wght].ttf",
    }


# The Arabic font is variable: its regular instance.
VARIATIONS: dict[str, dict[str, float]] = {ARABIC: {"wght": 400, "wdth": 100}}


@cache
def _instance(family: str, pid: int) -> Path:
    """The variable font's regular instance as a static font file of this process (``pid``:
    a forked child makes its own). fpdf would instance the variable font again for every
    document (most of a PDF's time); instancing it here once, the same way (lazy load, no new
    timestamp), gives the same static font, and fpdf loads it as it loads any other."""
    font = TTFont(_font_files()[(family, "")], recalcTimestamp=False, lazy=True)
    instancer.instantiateVariableFont(font, VARIATIONS[family], inplace=True, static=True)
    folder = Path(tempfile.mkdtemp(prefix="plansmith-fonts-"))
    atexit.register(_remove, folder, pid)
    path = folder / f"{family}.ttf"
    font.save(path)
    return path


def _remove(folder: Path, pid: int) -> None:
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


def _font_file(family: str) -> Path:
    """The file fpdf is given for a family's regular style."""
    if family in VARIATIONS:
        return _instance(family, os.getpid())
    return _font_files()[(family, "")]


@cache
def _covers(family: str) -> frozenset[int]:
    """The characters a font draws (read once per process: the CJK font is 16 MB)."""
    font = TTFont(_font_files()[(family, "")], lazy=True)
    return frozenset(font.getBestCmap())


def _visible(text: str) -> str:
    # Direction marks and other format characters some locales put in numbers draw nothing.
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


class _Pdf(FPDF):
    def __init__(self, document: InvoiceDocument) -> None:
        super().__init__(format="A4")
        self.document = document
        self.rtl = document.direction == "rtl"
        self.fallbacks: list[str] = []
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        for (family, style), path in _font_files().items():
            if family == BODY:
                self.font_file(family, style, path)

    def font_file(self, family: str, style: str, path: Path) -> None:
        pdf_fonts.add_font(self, family, style, path)  # parsed once per process

    @property
    def start(self) -> Align:
        """Where text begins: the left, or the right in a right-to-left document."""
        return Align.R if self.rtl else Align.L

    @property
    def end(self) -> Align:
        return Align.L if self.rtl else Align.R

    def _needs(self, family: str) -> None:
        if family in self.fallbacks:
            return
        self.font_file(family, "", _font_file(family))
        self.fallbacks.append(family)
        self.set_fallback_fonts(self.fallbacks, exact_match=False)
        if family == ARABIC:
            self.set_text_shaping(True)

    def text_of(self, value: Shown | str) -> str:
        """What can be drawn: the value, else its plain form; a fallback font joins if needed."""
        shown = value if isinstance(value, Shown) else Shown(value)
        text = _visible(shown.text)
        body = _covers(BODY)
        missing = {c for c in text if ord(c) not in body and not c.isspace()}
        if not missing:
            return text
        needed = []
        for family in FALLBACKS:
            covered = _covers(family)
            if any(ord(c) in covered for c in missing):
                needed.append(family)
                missing = {c for c in missing if ord(c) not in covered}
        if missing:
            return _visible(shown.fallback)
        for family in needed:
            self._needs(family)
        return text

    def _render_styled_text_line(self, *args: Any, **kwargs: Any) -> Any:
        # fpdf2 sets the page's font inside a saved graphics state when a line begins with a
        # fallback font; the line after it then has no font at all and draws garbage. So the
        # font is set on the page, outside any line, before every line.
        if self.page and not self.current_font_is_set_on_page and self.current_font is not None:
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))
        return super()._render_styled_text_line(*args, **kwargs)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.font(SMALL, color=MUTED)
        title = self.text_of(self.document.title)
        page = self.text_of(self.document.labels.page % {"page": self.page_no(), "pages": "{nb}"})
        self.cell(0, 5, f"{title} \u00b7 {page}", align=self.end)

    def font(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(BODY, "B" if bold else "", size)
        self.set_text_color(*color)

    def line_of(self, text: str, height: float = 5.0) -> None:
        self.multi_cell(0, height, text, align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: _Pdf, doc: InvoiceDocument) -> None:
    pdf.font(TITLE, bold=True)
    title, status = pdf.text_of(doc.title), pdf.text_of(doc.status)
    if pdf.rtl:
        pdf.font(SIZE + 1, bold=True, color=MUTED)
        pdf.cell(pdf.epw * 0.3, 9, status, align=pdf.end)
        pdf.font(TITLE, bold=True)
        pdf.cell(0, 9, title, align=pdf.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.cell(pdf.epw * 0.7, 9, title)
        pdf.font(SIZE + 1, bold=True, color=MUTED)
        pdf.cell(0, 9, status, align=pdf.end, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _parties(pdf: _Pdf, doc: InvoiceDocument) -> None:
    top, half = pdf.get_y(), pdf.epw / 2
    bottom = top
    for i, party in enumerate((doc.seller, doc.buyer)):
        column = 1 - i if pdf.rtl else i  # the seller first, where reading starts
        pdf.set_xy(MARGIN + column * half + (4 if pdf.rtl else 0), top)
        pdf.font(SMALL, bold=True, color=MUTED)
        heading = pdf.text_of(party.heading)
        pdf.cell(half - 4, 5, heading, align=pdf.start, new_x=XPos.LEFT, new_y=YPos.NEXT)
        for n, line in enumerate(party.lines):
            pdf.font(SIZE, bold=n == 0)
            pdf.multi_cell(
                half - 4, 5, pdf.text_of(line), align=pdf.start, new_x=XPos.LEFT, new_y=YPos.NEXT
            )
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(MARGIN, bottom + 5)


def _facts(pdf: _Pdf, doc: InvoiceDocument) -> None:
    for fact in doc.facts:
        label, value = pdf.text_of(fact.label), pdf.text_of(fact.value)
        if pdf.rtl:
            pdf.font(SIZE, bold=fact.strong)
            pdf.cell(pdf.epw - 45, 5.5, value, align=pdf.start)
            pdf.font(SIZE, color=MUTED)
            pdf.cell(0, 5.5, label, align=pdf.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            continue
        pdf.font(SIZE, color=MUTED)
        pdf.cell(45, 5.5, label)
        pdf.font(SIZE, bold=fact.strong)
        pdf.multi_cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _table(pdf: _Pdf, table: Table, *, size: float = SMALL) -> None:
    if not table.rows:
        return
    pdf.font(size)
    pdf.set_draw_color(*RULE)
    style = FontFace(emphasis="BOLD", color=INK, fill_color=SHADE)
    # A right-to-left table reads from the right: its columns in the opposite order.
    order = list(range(len(table.columns)))[:: -1 if pdf.rtl else 1]
    columns = [table.columns[i] for i in order]
    text, number = ("RIGHT", "LEFT") if pdf.rtl else ("LEFT", "RIGHT")
    with pdf.table(
        col_widths=tuple(c.weight for c in columns),
        text_align=tuple(number if c.numeric else text for c in columns),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=style,
        line_height=size * 0.55,
        padding=1.4,
    ) as drawn:
        heading = drawn.row()
        for column in columns:
            heading.cell(pdf.text_of(column.label))
        for row in table.rows:
            cells = drawn.row()
            for i in order:
                cells.cell(pdf.text_of(row.cells[i]))
    pdf.ln(5)


def _lines(pdf: _Pdf, doc: InvoiceDocument) -> None:
    _table(pdf, doc.lines)


def _taxes(pdf: _Pdf, doc: InvoiceDocument) -> None:
    if doc.taxes.rows:
        pdf.font(SIZE, bold=True)
        pdf.line_of(pdf.text_of(doc.labels.taxes), 6)
        _table(pdf, doc.taxes)


def _totals(pdf: _Pdf, doc: InvoiceDocument) -> None:
    width = pdf.epw * 0.55
    label_x = MARGIN if pdf.rtl else MARGIN + pdf.epw * 0.45
    for row in doc.totals:
        pdf.set_x(label_x)
        pdf.font(SIZE + (1 if row.grand else 0), bold=row.grand)
        if row.grand:
            pdf.set_draw_color(*INK)
            pdf.line(label_x, pdf.get_y(), label_x + width, pdf.get_y())
        label, amount = pdf.text_of(row.label), pdf.text_of(row.amount)
        if pdf.rtl:
            pdf.cell(width * 0.4, 6.5, amount, align=Align.L)
            pdf.cell(width * 0.6, 6.5, label, align=Align.R)
        else:
            pdf.cell(width * 0.6, 6.5, label)
            pdf.cell(width * 0.4, 6.5, amount, align=Align.R)
        pdf.ln(6.5)
    pdf.ln(4)


def _notes(pdf: _Pdf, doc: InvoiceDocument) -> None:
    pdf.font(SIZE, color=MUTED)
    for note in doc.notes:
        pdf.line_of(pdf.text_of(note))


DRAW: dict[str, Callable[[_Pdf, InvoiceDocument], None]] = {
    "header": _header,
    "parties": _parties,
    "facts": _facts,
    "lines": _lines,
    "taxes": _taxes,
    "totals": _totals,
    "notes": _notes,
}


def render_pdf(document: InvoiceDocument) -> bytes:
    return _render(_Pdf(document), document)


def _render(pdf: _Pdf, document: InvoiceDocument) -> bytes:
    pdf.set_title(pdf.text_of(document.title))
    pdf.set_author(pdf.text_of(document.seller.lines[0]))
    pdf.set_lang(document.lang.replace("_", "-"))
    pdf.set_creation_date(document.dated)
    pdf.add_page()
    for section in document.sections:
        DRAW[section](pdf, document)
    return bytes(pdf.output())
