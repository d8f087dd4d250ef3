"""Checks of customer-supplied values that need reference data (email syntax, locales, countries).

Every failure is an InvalidValue naming the field, so the API, the portal and the CLI all report
the same reason for the same input.
"""

from __future__ import annotations

from functools import cache

import pycountry
from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.text import check_text


def email_address(value: str, *, field: str = "email") -> str:
    """A syntactically valid address, normalised (domain lower-cased); no DNS look-up."""
    check_text(value, field)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidValue(f"{value!r} is not a valid email address: {exc}", field=field) from exc


def locale_name(value: str, *, field: str = "locale") -> str:
    """A locale Babel knows, in canonical form ('en-us' -> 'en_US')."""
    text = value.strip().replace("-", "_")
    try:
        parsed = Locale.parse(text) if text else None
    except (UnknownLocaleError, ValueError, TypeError):
        parsed = None
    if parsed is None:
        raise InvalidValue(
            f"{value!r} is not a known locale (e.g. en_US, ja_JP, de_DE)",
            field=field,
            code=ec.INVALID_LOCALE,
        )
    return str(parsed)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from pycountry's copy of the standard.

    Babel's territory list is not usable here: it also holds CLDR's own codes (EU, UN, XK, ZZ).
    """
    return frozenset(str(country.alpha_2) for country in pycountry.countries)


def country_code(value: str, *, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased."""
    code = value.strip().upper()
    if not code:
        raise InvalidValue(f"{field} must not be empty", field=field, code=ec.REQUIRED)
    if code not in country_codes():
        raise InvalidValue(
            f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. US, JP, DE)",
            field=field,
            code=ec.INVALID_COUNTRY,
        )
    return code
