"""Public identifiers: a type prefix and 20 random base32 characters (100 bits).

Each character is one random byte mapped to the base32 alphabet by its low 5 bits (256 is
8 x 32, so every character is equally likely), in one ``bytes.translate``: a billing batch
draws thousands of ids, and encoding them in Python was a tenth of its time.
"""

from __future__ import annotations

import os

_ALPHABET = b"abcdefghijklmnopqrstuvwxyz234567"
_BASE32 = bytes(_ALPHABET[b % 32] for b in range(256))
_LENGTH = 20


def new_id(prefix: str) -> str:
    return f"{prefix}_{os.urandom(_LENGTH).translate(_BASE32).decode('ascii')}"


def new_ids(prefix: str, n: int) -> list[str]:
    """``n`` new ids, from one draw of randomness."""
    raw = os.urandom(_LENGTH * n).translate(_BASE32).decode("ascii")
    head = f"{prefix}_"
    return [head + raw[i : i + _LENGTH] for i in range(0, _LENGTH * n, _LENGTH)]
