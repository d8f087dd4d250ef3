"""Fonts parsed once per process for fpdf2 documents (ADR 0038).

``FPDF.add_font`` parses the font file for every document: the character map, every glyph's
width and id, the font descriptor (half a second for the 16 MB CJK font, a tenth of the cost
of an English invoice). Here fpdf parses each file once, into a font no document ever uses;
each document gets its own copy of it: the parsed values, copied where fpdf changes them
(widths, the descriptor, the subset, missing glyphs), and a fontTools font of its own, freshly
opened from the file, since writing the PDF subsets that one in place. The copy starts in the
state fpdf's own parse leaves it in (the same tables read from the file), so the PDF is byte
for byte the one ``add_font`` makes. Parsed fonts are only read once made: documents in
several threads may copy the same one.

A document's font also leaves out, from the start, the OpenType layout tables (GDEF, GSUB,
GPOS) that fpdf drops when it subsets the font for the PDF: fontTools' subsetter reads them
all before dropping them (a sixth of a Japanese PDF's time, for the CJK font's GSUB), and fpdf
shapes text with HarfBuzz from the file, not from these. The tests compare the bytes with
fpdf's own ``add_font`` (constraints.txt pins fpdf2 and fontTools).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont


@dataclass(frozen=True)
class _Parsed:
    font: TTFFont  # as fpdf parsed it, without its fontTools font; never part of a document
    tables: tuple[str, ...]  # the tables fpdf read from the file while parsing, in that order


# Dropped by fpdf's output (fpdf.output.OutputProducer._add_fonts) whatever the document.
LAYOUT_TABLES = ("GDEF", "GSUB", "GPOS")

_parsed: dict[tuple[str, str, Path], _Parsed] = {}
_lock = threading.Lock()


def _parse(family: str, style: str, path: Path) -> _Parsed:
    scratch = FPDF()
    scratch.add_font(family, style, path)
    font = scratch.fonts[f"{family.lower()}{style}"]
    assert isinstance(font, TTFFont)
    tables = tuple(tag for tag in font.ttfont.tables if tag != "GlyphOrder")
    font.close()
    del font.ttfont  # its decompiled tables: each document reads its own
    return _Parsed(font, tables)


def parsed(family: str, style: str, path: Path) -> _Parsed:
    key = (family, style, path)
    found = _parsed.get(key)
    if found is None:
        with _lock:  # one parse per font, even when several threads ask at once
            found = _parsed.get(key)
            if found is None:
                found = _parsed[key] = _parse(family, style, path)
    return found


def add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)``, from the font parsed once per process."""
    known = parsed(family, style, path)
    if known.font.color_font is not None:  # per-document glyph drawings: not shared here
        pdf.add_font(family, style, path)
        return
    font = copy.copy(known.font)
    font.i = len(pdf.fonts) + 1
    font.ttfont = TTFont(path, recalcTimestamp=False, lazy=True)
    for tag in known.tables:
        font.ttfont[tag]  # read now, as fpdf's parse does: the PDF must not differ
    if "kern" not in font.ttfont:  # the subsetter keeps or drops "kern" by what GPOS does
        for tag in LAYOUT_TABLES:
            if tag in font.ttfont:
                del font.ttfont[tag]
    font.desc = copy.copy(known.font.desc)  # output names it and numbers it
    font.cw = known.font.cw.copy()  # a defaultdict: reading an unknown character adds it
    font.cmap = dict(known.font.cmap)
    font.glyph_ids = dict(known.font.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")  # as add_font does for such a font
