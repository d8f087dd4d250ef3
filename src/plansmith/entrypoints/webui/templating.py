"""Jinja2 templates for the server-rendered pages, with filters that show values per locale."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from plansmith.application.kernel.validation import country_codes
from plansmith.entrypoints.webui import branding, formats, i18n, messages

SHARED_TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
PRODUCT = "plansmith"


@lru_cache(maxsize=64)
def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en_US")


def html_lang(locale: str) -> str:
    """BCP 47 for <html lang>: en_US -> en-US."""
    return locale.replace("_", "-") if locale else "en"


def local_datetime(instant: datetime, time_zone: str = "UTC", locale: str = "en_US") -> str:
    """An instant in the account's zone, as its locale writes it, with the zone spelled out."""
    shown = format_datetime(instant, "medium", tzinfo=ZoneInfo(time_zone), locale=_locale(locale))
    return f"{shown} ({time_zone})"


def local_date(instant: datetime, time_zone: str = "UTC", locale: str = "en_US") -> str:
    return format_date(instant.astimezone(ZoneInfo(time_zone)), "medium", locale=_locale(locale))


@pass_context
def _page_datetime(
    context: Context, instant: datetime, time_zone: str = "UTC", locale: str | None = None
) -> str:
    """``local_datetime`` in a template: in the page language's locale unless one is given."""
    chosen = locale or formats.locale_for(i18n.page_language(context))
    return local_datetime(instant, time_zone, chosen)


@pass_context
def _page_date(
    context: Context, instant: datetime, time_zone: str = "UTC", locale: str | None = None
) -> str:
    chosen = locale or formats.locale_for(i18n.page_language(context))
    return local_date(instant, time_zone, chosen)


def country_name(code: str, locale: str = "en_US") -> str:
    return str(_locale(locale).territories.get(code, code))


@lru_cache(maxsize=64)
def countries(locale: str = "en_US") -> list[tuple[str, str]]:
    """(ISO 3166-1 alpha-2 code, name) pairs sorted by name, for a country select."""
    names = _locale(locale).territories
    pairs = [(code, str(names.get(code, code))) for code in country_codes()]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def make_templates(own: Path) -> Jinja2Templates:
    """Templates of one area (portal or console) that can extend the shared base layout."""
    templates = Jinja2Templates(directory=[own, SHARED_TEMPLATES])
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.template_gettext, i18n.template_ngettext, newstyle=True
    )
    templates.env.globals.update(
        product=PRODUCT,
        languages=i18n.LANGUAGES,
        page_language=i18n.template_language,
        page_direction=i18n.template_direction,
        brand=branding.template_brand,
    )
    templates.env.filters.update(
        html_lang=html_lang,
        local_datetime=_page_datetime,
        local_date=_page_date,
        country_name=country_name,
    )
    formats.install(templates)
    messages.install(templates)
    return templates
