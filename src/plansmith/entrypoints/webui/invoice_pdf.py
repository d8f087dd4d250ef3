"""The invoice document as a PDF (fpdf2): the same sections, in the same order, as the page.

Fonts come with the project's dependencies, not from the system: Fira Sans (fontpkg-fira-sans)
writes Latin with its extensions, Greek, Cyrillic and most currency signs; Noto Sans CJK JP
(noto-cjk-sans-jp-regular) is added as the fallback only when a document needs it, for
Japanese (and Chinese and Korean) names and the full-width "￥" the ja_JP locale writes.
fpdf2's core fonts cannot be used: they know Latin-1 alone, not even "€" or U+2212 (minus). A value
neither font can draw falls back to its plain form (money with its ISO code).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

from plansmith.entrypoints.webui.invoice_document import InvoiceDocument, Shown, Table

BODY, CJK = "body", "cjk"
INK, MUTED, RULE, SHADE = (31, 41, 51), (97, 110, 124), (211, 216, 222), (238, 241, 245)
MARGIN = 15.0  # mm
SIZE, SMALL, TITLE = 9.5, 8.5, 17.0  # pt


@cache
def _font_files() -> dict[tuple[str, str], Path]:
    fira = Path(str(files("fontpkg_fira_sans"))) / "files"
    noto = Path(str(files("noto_cjk_sans_jp_regular")))
    return {
        (BODY, ""): fira / "FiraSans-Regular.ttf",
        (BODY, "B"): fira / "FiraSans-SemiBold.ttf",
        (CJK, ""): noto / "NotoSansCJKjp-Regular.otf",
    }


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
        self.cjk = False
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        for (family, style), path in _font_files().items():
            if family == BODY:
                self.add_font(family, style, path)

    def text_of(self, value: Shown | str) -> str:
        """What can be drawn: the value, else its plain form; the CJK font joins if needed."""
        shown = value if isinstance(value, Shown) else Shown(value)
        text = _visible(shown.text)
        body = _covers(BODY)
        if all(ord(c) in body or c.isspace() for c in text):
            return text
        cjk = _covers(CJK)
        if all(ord(c) in body or ord(c) in cjk or c.isspace() for c in text):
            if not self.cjk:
                self.add_font(CJK, "", _font_files()[(CJK, "")])
                self.set_fallback_fonts([CJK], exact_match=False)
                self.cjk = True
            return text
        return _visible(shown.fallback)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.font(SMALL, color=MUTED)
        title = self.text_of(self.document.title)
        self.cell(0, 5, f"{title} \u00b7 {self.page_no()}/{{nb}}", align=Align.R)

    def font(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(BODY, "B" if bold else "", size)
        self.set_text_color(*color)

    def line_of(self, text: str, height: float = 5.0) -> None:
        self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: _Pdf, doc: InvoiceDocument) -> None:
    pdf.font(TITLE, bold=True)
    pdf.cell(pdf.epw * 0.7, 9, pdf.text_of(doc.title))
    pdf.font(SIZE + 1, bold=True, color=MUTED)
    pdf.cell(0, 9, pdf.text_of(doc.status), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _parties(pdf: _Pdf, doc: InvoiceDocument) -> None:
    top, half = pdf.get_y(), pdf.epw / 2
    bottom = top
    for i, party in enumerate((doc.seller, doc.buyer)):
        pdf.set_xy(MARGIN + i * half, top)
        pdf.font(SMALL, bold=True, color=MUTED)
        pdf.cell(half - 4, 5, pdf.text_of(party.heading), new_x=XPos.LEFT, new_y=YPos.NEXT)
        for n, line in enumerate(party.lines):
            pdf.font(SIZE, bold=n == 0)
            pdf.multi_cell(half - 4, 5, pdf.text_of(line), new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(MARGIN, bottom + 5)


def _facts(pdf: _Pdf, doc: InvoiceDocument) -> None:
    for fact in doc.facts:
        pdf.font(SIZE, color=MUTED)
        pdf.cell(38, 5.5, pdf.text_of(fact.label))
        pdf.font(SIZE, bold=fact.label == "Status")
        pdf.multi_cell(0, 5.5, pdf.text_of(fact.value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _table(pdf: _Pdf, table: Table, *, size: float = SMALL) -> None:
    if not table.rows:
        return
    pdf.font(size)
    pdf.set_draw_color(*RULE)
    style = FontFace(emphasis="BOLD", color=INK, fill_color=SHADE)
    with pdf.table(
        col_widths=tuple(c.weight for c in table.columns),
        text_align=tuple("RIGHT" if c.numeric else "LEFT" for c in table.columns),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=style,
        line_height=size * 0.55,
        padding=1.4,
    ) as drawn:
        heading = drawn.row()
        for column in table.columns:
            heading.cell(pdf.text_of(column.label))
        for row in table.rows:
            cells = drawn.row()
            for cell in row.cells:
                cells.cell(pdf.text_of(cell))
    pdf.ln(5)


def _lines(pdf: _Pdf, doc: InvoiceDocument) -> None:
    _table(pdf, doc.lines)


def _taxes(pdf: _Pdf, doc: InvoiceDocument) -> None:
    if doc.taxes.rows:
        pdf.font(SIZE, bold=True)
        pdf.line_of("Tax summary", 6)
        _table(pdf, doc.taxes)


def _totals(pdf: _Pdf, doc: InvoiceDocument) -> None:
    label_x, width = MARGIN + pdf.epw * 0.45, pdf.epw * 0.55
    for row in doc.totals:
        pdf.set_x(label_x)
        pdf.font(SIZE + (1 if row.grand else 0), bold=row.grand)
        if row.grand:
            pdf.set_draw_color(*INK)
            pdf.line(label_x, pdf.get_y(), label_x + width, pdf.get_y())
        pdf.cell(width * 0.6, 6.5, pdf.text_of(row.label))
        pdf.cell(width * 0.4, 6.5, pdf.text_of(row.amount), align=Align.R)
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
    pdf = _Pdf(document)
    pdf.set_title(pdf.text_of(document.title))
    pdf.set_author(pdf.text_of(document.seller.lines[0]))
    pdf.set_lang(document.lang.replace("_", "-"))
    pdf.set_creation_date(document.dated)
    pdf.add_page()
    for section in document.sections:
        DRAW[section](pdf, document)
    return bytes(pdf.output())
