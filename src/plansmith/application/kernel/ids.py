"""Public identifiers: a type prefix and 20 random base32 characters (about 100 bits)."""

from __future__ import annotations

import base64
import secrets


def new_id(prefix: str) -> str:
    raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()
    return f"{prefix}_{raw[:20]}"
