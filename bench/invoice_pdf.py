"""Benchmark: CPU per invoice PDF, with each font file parsed once per process (pdf_fonts,
ADR 0038) and parsed for every document (fpdf's own ``add_font``, as before), alternating in
one process.

    .venv/bin/python bench/invoice_pdf.py [--renders 5]

The documents are the tests' (tests/unit/invoice_pdf_documents.py): English (en_US), Japanese
(ja_JP, the 16 MB CJK font), Arabic (shaped, right to left) and English with Japanese and
Arabic names (both fallback fonts). Each is rendered once both ways first (not measured: the
fonts' first parse, the Arabic instance), then ``--renders`` times each way, alternating.
Prints the minimum and the median of the CPU time (process time) of one render, and checks
that both ways give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fpdf import FPDF
from tests.unit.invoice_pdf_documents import DOCUMENTS

from plansmith.entrypoints.webui import invoice_pdf
from plansmith.entrypoints.webui.invoice_document import InvoiceDocument


class _ParsedEachTime(invoice_pdf._Pdf):
    def font_file(self, family: str, style: str, path: Path) -> None:
        FPDF.add_font(self, family, style, path)


WAYS: dict[str, type[invoice_pdf._Pdf]] = {"each time": _ParsedEachTime, "once": invoice_pdf._Pdf}


def _render(way: type[invoice_pdf._Pdf], document: InvoiceDocument) -> tuple[float, bytes]:
    start = time.process_time()
    pdf = invoice_pdf._render(way(document), document)
    return time.process_time() - start, pdf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.renders} renders each way")
    print("| document | fonts parsed | min ms | median ms |")
    print("| --- | --- | ---: | ---: |")
    for name, build in DOCUMENTS.items():
        document = build()
        first = {way: _render(cls, document)[1] for way, cls in WAYS.items()}
        assert len(set(first.values())) == 1, f"{name}: the two ways differ"
        times: dict[str, list[float]] = {way: [] for way in WAYS}
        for _ in range(args.renders):
            for way, cls in WAYS.items():
                seconds, pdf = _render(cls, document)
                assert pdf == first[way]
                times[way].append(seconds * 1000)
        for way, ms in times.items():
            print(f"| {name} | {way} | {min(ms):.0f} | {statistics.median(ms):.0f} |")


if __name__ == "__main__":
    main()
