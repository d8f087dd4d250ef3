"""Every shipped catalog translates every string of the pages, and holds nothing stale."""

from __future__ import annotations

import importlib.util
import shutil
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from plansmith.entrypoints.webui import i18n

ROOT = Path(__file__).resolve().parents[2]


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "scripts" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _extracted() -> Catalog:
    """The source's messages, extracted once: no test changes the source (they change copies
    of the catalogs), and each extraction reads every template and module again."""
    catalog: Catalog = _load_tool().extracted()
    return catalog


def messages_tool() -> ModuleType:
    module = _load_tool()
    setattr(module, "extracted", _extracted)  # noqa: B010 -- a module loaded from a path
    return module


def test_every_shipped_catalog_is_complete_and_current() -> None:
    found = messages_tool().problems()
    assert found == [], "\n".join(found[:50])


def test_the_shipped_languages_are_the_catalogs() -> None:
    tool = messages_tool()
    assert set(tool.LANGUAGES) | {i18n.DEFAULT} == set(i18n.LANGUAGES)


@pytest.fixture
def copied_catalogs(tmp_path: Path) -> tuple[ModuleType, Path]:
    tool = messages_tool()
    copy = tmp_path / "locale"
    shutil.copytree(tool.LOCALE_DIR, copy)
    setattr(tool, "LOCALE_DIR", copy)  # noqa: B010 -- a module loaded from a path
    return tool, copy / "ja" / "LC_MESSAGES" / "messages.po"


def test_the_check_names_a_missing_an_untranslated_and_a_stale_message(
    copied_catalogs: tuple[ModuleType, Path],
) -> None:
    tool, path = copied_catalogs
    before = set(tool.problems())
    with path.open("rb") as po:
        catalog = read_po(po, locale="ja")
    catalog.delete("Language")
    catalog["Main"].string = ""
    catalog.add("A label nobody uses any more", "もう使わない")
    with path.open("wb") as po:
        write_po(po, catalog)
    assert set(tool.problems()) - before == {
        "ja: missing 'Language'",
        "ja: untranslated 'Main'",
        "ja: stale 'A label nobody uses any more' (no longer in the source)",
    }


def test_a_fuzzy_translation_is_not_a_translation(
    copied_catalogs: tuple[ModuleType, Path],
) -> None:
    tool, path = copied_catalogs
    before = set(tool.problems())
    with path.open("rb") as po:
        catalog = read_po(po, locale="ja")
    catalog["Language"].flags.add("fuzzy")
    with path.open("wb") as po:
        write_po(po, catalog)
    assert set(tool.problems()) - before == {"ja: fuzzy 'Language'"}


@pytest.mark.parametrize(
    ("chosen", "account_locale", "accept", "expected"),
    [
        (None, "ar_KW", "", "ar"),
        (None, "ja_JP", "en-US", "ja"),
        ("tr", "ja_JP", "", "tr"),
        ("xx", "vi_VN", "", "vi"),
        (None, "de_DE", "fr;q=0.9, ja;q=0.8, en;q=0.1", "ja"),
        (None, None, "de, vi;q=0.5, ar;q=0.7", "ar"),
        (None, "de_DE", "de", "en"),
        (None, None, "", "en"),
    ],
)
def test_a_page_speaks_the_choice_then_the_account_then_the_browser(
    chosen: str | None, account_locale: str | None, accept: str, expected: str
) -> None:
    assert i18n.negotiate(chosen, account_locale, accept) == expected


def test_arabic_reads_right_to_left_and_the_others_left_to_right() -> None:
    assert i18n.direction("ar") == "rtl"
    assert {i18n.direction(code) for code in i18n.LANGUAGES if code != "ar"} == {"ltr"}


def test_a_translated_label_comes_from_its_catalog() -> None:
    assert i18n.translate("ja", "Language") == "言語"
    assert i18n.translate("en", "Language") == "Language"
