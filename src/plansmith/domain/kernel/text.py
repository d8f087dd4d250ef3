"""Text that can be stored: no NUL character and no lone surrogate, on either database.

PostgreSQL refuses NUL (U+0000) in text, SQLite would store it silently, and a lone surrogate
(U+D800..U+DFFF, which JSON's "\\ud800" escape can carry) is not Unicode at all: neither
database, nor a UTF-8 response, can encode it. One rule, used by the API's edge check over
every decoded request string and by the free-text checks of the use cases.
"""

from __future__ import annotations

import re

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class InvalidText(InvalidValue):
    """Text holds a character that cannot be stored."""

    code = ec.INVALID_TEXT


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains a NUL character (U+0000), which cannot be stored"
    return f"contains a lone surrogate (U+{ord(char):04X}), which is not valid Unicode"


def check_text(value: str, field: str) -> str:
    """``value`` unless it holds a character that cannot be stored: InvalidText naming the
    field (the message never repeats the text, which may not even be encodable)."""
    reason = unstorable(value)
    if reason is not None:
        raise InvalidText(f"{field} {reason}", field=field)
    return value
