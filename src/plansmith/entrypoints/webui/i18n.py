"""The language of the portal, console, invoice pages and PDFs: gettext catalogs through Babel.

Catalogs live as ``.po`` files under ``locale/<language>/LC_MESSAGES/messages.po`` and are
compiled in memory the first time a language is asked for, so there is no build step and no
binary in the tree. ``make messages`` extracts the strings and updates every catalog;
``tests/unit/test_message_catalogs.py`` fails when a catalog misses or keeps a stale message.

Which language a page speaks: the customer's own choice (the ``plansmith_lang`` cookie, set by
the language switch), else the language of the account's locale (``ar_KW`` -> Arabic), else the
browser's ``Accept-Language``, else English. Dates, numbers and money keep following the
account's full locale; only the labels come from the catalogs.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
DEFAULT = "en"
# The shipped languages, each named in its own language for the switch.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ja": "日本語",
    "vi": "Tiếng Việt",
    "tr": "Türkçe",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar"})
COOKIE = "plansmith_lang"
# The language cookie outlives a sign-in: it is a preference of this browser, not a session.
COOKIE_MAX_AGE = 365 * 24 * 3600


def N_(message: str) -> str:  # noqa: N802 -- the gettext convention for "mark, translate later"
    """Mark a string for extraction where it is defined; it is translated where it is shown."""
    return message


def language_of(locale: str | None) -> str | None:
    """The shipped language of a locale or language tag (``ar_KW``, ``ja-JP``, ``tr``), if any."""
    if not locale:
        return None
    language = locale.replace("-", "_").split("_", 1)[0].strip().lower()
    return language if language in LANGUAGES else None


def _accepted(header: str) -> Iterable[str]:
    """Languages of an Accept-Language header, best first (q-values honoured, ties in order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    return (tag for _, _, tag in sorted(ranked))


def negotiate(
    chosen: str | None = None, account_locale: str | None = None, accept_language: str = ""
) -> str:
    """The language to show: the customer's choice, the account's, the browser's, else English."""
    for candidate in (chosen, account_locale):
        language = language_of(candidate)
        if language:
            return language
    for tag in _accepted(accept_language):
        language = language_of(tag)
        if language:
            return language
    return DEFAULT


def request_language(request: Request | None, account_locale: str | None = None) -> str:
    if request is None:
        return negotiate(account_locale=account_locale)
    return negotiate(
        request.cookies.get(COOKIE),
        account_locale,
        request.headers.get("accept-language", ""),
    )


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> NullTranslations:
    """The compiled catalog of one language; English and unknown languages are the source text."""
    path = catalog_path(language)
    if language == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(language: str, message: str) -> str:
    """``message`` in ``language``; Python code marks its strings this way (or with ``N_``)."""
    return translations(language).gettext(message)


def translate_plural(language: str, singular: str, plural: str, n: int) -> str:
    return translations(language).ngettext(singular, plural, n)


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def page_language(context: Context | dict[str, Any]) -> str:
    """A template's language: set by the handler as ``ui_language``, else negotiated from the
    request and the account's locale that the page was given (``locale``)."""
    chosen = context.get("ui_language")
    if chosen:
        return str(chosen)
    return request_language(context.get("request"), context.get("locale"))


@pass_context
def template_gettext(context: Context, message: str) -> str:
    return translate(page_language(context), message)


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translate_plural(page_language(context), singular, plural, n)


@pass_context
def template_language(context: Context) -> str:
    return page_language(context)


@pass_context
def template_direction(context: Context) -> str:
    return direction(page_language(context))
