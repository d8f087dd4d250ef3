"""Fonts are parsed once per process (pdf_fonts, ADR 0038), and no document sees another's
state: English, Japanese, Arabic and mixed invoices, rendered again and again in one process,
interleaved and from several threads at once, are byte for byte the PDFs fpdf makes when it
parses the font files itself for each document (``FPDF.add_font``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fpdf import FPDF

from plansmith.entrypoints.webui import invoice_pdf, pdf_fonts
from plansmith.entrypoints.webui.invoice_document import InvoiceDocument
from plansmith.entrypoints.webui.invoice_pdf import BODY, CJK, _font_file, _font_files
from tests.unit.invoice_pdf_documents import DOCUMENTS


class _ParsedEachTime(invoice_pdf._Pdf):
    """The renderer as it was: fpdf parses every font file for every document."""

    def font_file(self, family: str, style: str, path: Path) -> None:
        FPDF.add_font(self, family, style, path)


def _unshared(document: InvoiceDocument) -> bytes:
    return invoice_pdf._render(_ParsedEachTime(document), document)


@pytest.fixture(scope="module")
def expected() -> dict[str, bytes]:
    return {name: _unshared(build()) for name, build in DOCUMENTS.items()}


def test_documents_rendered_again_and_interleaved_are_the_unshared_pdfs(
    expected: dict[str, bytes],
) -> None:
    names = list(DOCUMENTS)
    # each font shared by documents before and after others that add more glyphs to theirs
    for order in (names, names[::-1]):
        for name in order:
            assert invoice_pdf.render_pdf(DOCUMENTS[name]()) == expected[name], name


def test_documents_rendered_from_several_threads_at_once_are_the_unshared_pdfs(
    expected: dict[str, bytes],
) -> None:
    names = list(DOCUMENTS)
    start = threading.Barrier(len(names))

    def render(name: str) -> bytes:
        document = DOCUMENTS[name]()
        start.wait()  # all begin together, the shared fonts copied by all at once
        return invoice_pdf.render_pdf(document)

    with ThreadPoolExecutor(len(names)) as pool:
        assert list(pool.map(render, names)) == [expected[name] for name in names]


def test_each_font_file_is_parsed_once_and_each_document_gets_its_own_copy() -> None:
    fira = _font_files()[(BODY, "")]
    documents = [FPDF(), FPDF()]
    for pdf in documents:
        pdf_fonts.add_font(pdf, BODY, "", fira)
        pdf_fonts.add_font(pdf, CJK, "", _font_file(CJK))
    parsed = pdf_fonts.parsed(BODY, "", fira)
    assert pdf_fonts.parsed(BODY, "", fira) is parsed
    first, second = (pdf.fonts["body"] for pdf in documents)
    # what one document's output changes is its own
    for attribute in ("ttfont", "subset", "cw", "desc", "missing_glyphs", "cmap", "glyph_ids"):
        mine, theirs, shared = (getattr(f, attribute, None) for f in (first, second, parsed.font))
        assert mine is not theirs and mine is not shared, attribute
    # numbered in each document as add_font numbers them; the CJK font needs PDF 1.6
    assert [font.i for font in documents[0].fonts.values()] == [1, 2]
    assert all(pdf.pdf_version == "1.6" for pdf in documents)
