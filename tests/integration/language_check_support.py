"""What an English sentence looks like on a page that should speak another language.

Two checks, from the shipped catalogs themselves:
- every message of the catalog template becomes a pattern, its placeholders (``%(date)s``)
  wildcards, so a sentence with values filled in is found too, not only a text equal to a
  whole message; a hit counts only where the language translates that message differently;
- on Japanese and Arabic pages, which write no Latin letters of their own, any run of three or
  more ASCII letters is English unless it is on an allowlist: the product's name, currency
  codes, ids and codes (``<code>``), the language switch, and the test world's own data
  (names, e-mails, plans).
"""

from __future__ import annotations

import html
import importlib.util
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from babel.messages.catalog import Catalog

from plansmith.entrypoints.webui import i18n

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]")
_WORD = re.compile(r"[A-Za-z]{3,}")
# Ids (sub_01J..., inv_...) and codes are values, not words.
_ID = re.compile(r"\b[a-z]{2,5}_[0-9A-Za-z]{8,}\b")
# Always allowed: the product, the language switch's own names, currency codes, units.
ALWAYS: tuple[str, ...] = (
    *("plansmith", "English", "JPY", "USD", "EUR", "GBP", "KWD", "PDF", "MRR", "ARR", "API"),
    "UTC",  # the zone a time is written in, "(UTC)"
    *("PNG", "SVG", "RRGGBB", "VAT", "GST"),  # file formats, a colour's notation, tax ids
)
# Codes and keys are shown in <code>: values, not words.
_CODE = re.compile(r"<code\b[^>]*>.*?</code>", re.S)


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "scripts" / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def template_ids() -> frozenset[str]:
    catalog: Catalog = _tool().extracted()
    return frozenset(m.id for m in catalog if m.id and isinstance(m.id, str))


@lru_cache(maxsize=8)
def translations(language: str) -> dict[str, str]:
    catalog = _tool().read(i18n.catalog_path(language), language)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.string, str) and m.string}


def _pieces(msgid: str) -> list[str]:
    return [" ".join(piece.split()) for piece in _PLACEHOLDER.split(msgid)]


def pattern_of(msgid: str) -> re.Pattern[str]:
    """A message as a regex over a page's text: literal pieces, placeholders as wildcards."""
    body = r".{1,80}?".join(re.escape(piece).replace(r"\ ", r"\s+") for piece in _pieces(msgid))
    return re.compile(rf"(?<![A-Za-z]){body}(?![A-Za-z])")


# A message, its pattern, and the literal pieces the pattern needs as they are: text_of leaves
# single spaces only, so a page the pattern matches holds every piece; checking them first
# spares running the ~900 patterns' wildcards over every page.
_Sentence = tuple[str, re.Pattern[str], tuple[str, ...]]


@lru_cache(maxsize=8)
def _sentence_patterns(language: str) -> tuple[_Sentence, ...]:
    """The messages with two or more words of their own that ``language`` translates
    differently: shown as they are, they are English on its page."""
    translated = translations(language)
    found = []
    for msgid in sorted(template_ids()):
        literal = _PLACEHOLDER.sub(" ", msgid)
        if len(re.findall(r"[A-Za-z]{2,}", literal)) < 2:
            continue
        if translated.get(msgid, msgid + "\0") == msgid:
            continue
        pieces = tuple(piece for piece in _pieces(msgid) if piece)
        found.append((msgid, pattern_of(msgid), pieces))
    return tuple(found)


def text_of(page_html: str) -> str:
    """What a person reads: scripts, styles and tags out, entities read, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", page_html, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def english_sentences(page_html: str, language: str) -> list[str]:
    """Catalog sentences the page shows in English although ``language`` has its own words."""
    text = text_of(page_html)
    return [
        msgid
        for msgid, pattern, pieces in _sentence_patterns(language)
        if all(piece in text for piece in pieces) and pattern.search(text)
    ]


def english_words(page_html: str, allowed: Iterable[str] = ()) -> list[str]:
    """Runs of 3+ ASCII letters on a page whose language writes none: what is not allowed."""
    text = _ID.sub(" ", text_of(_CODE.sub(" ", page_html)))
    ok = {word.casefold() for entry in (*ALWAYS, *allowed) for word in _WORD.findall(entry)}
    return sorted({word for word in _WORD.findall(text) if word.casefold() not in ok})
