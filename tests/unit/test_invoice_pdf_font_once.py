"""The Arabic variable font is instanced once per process (invoice_pdf._instance): a PDF
drawn with that static instance is byte for byte the PDF fpdf draws when it instances the
variable font itself, and every document after the first reuses the same file."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

from fpdf import FPDF

from plansmith.entrypoints.webui import invoice_pdf
from plansmith.entrypoints.webui.invoice_pdf import ARABIC, VARIATIONS, _font_file, _font_files

TEXT = "فاتورة رقم ١٢ — المجموع ١٢٫٠٠ US$"  # noqa: RUF001 - Arabic digits and separator


def _draw(add: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2026, 12, 7, tzinfo=UTC))
    if add == "fpdf":
        pdf.add_font(ARABIC, "", _font_files()[(ARABIC, "")], variations=VARIATIONS[ARABIC])
    else:
        pdf.add_font(ARABIC, "", _font_file(ARABIC))
    pdf.set_text_shaping(True)
    pdf.add_page()
    pdf.set_font(ARABIC, "", 12)
    pdf.cell(0, 10, TEXT)
    return bytes(pdf.output())


def test_the_instance_draws_what_fpdf_instancing_draws() -> None:
    assert _draw("once") == _draw("fpdf")


def test_the_instance_is_made_once_per_process() -> None:
    first = _font_file(ARABIC)
    assert _font_file(ARABIC) == first and first.exists()
    assert invoice_pdf._instance.cache_info().currsize >= 1
    # another process id (a forked child) gets a file of its own
    other = invoice_pdf._instance(ARABIC, os.getpid() + 1)
    assert other != first and other.exists()
    shutil.rmtree(other.parent)  # its process never exits to remove it
