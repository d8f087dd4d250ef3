"""Public identifiers: a type prefix and 20 random base32 characters (100 bits).

Each character is one random byte mapped to the base32 alphabet by its low 5 bits (256 is
8 x 32, so every character is equally likely), many at once with ``bytes.translate``: a
billing batch draws thousands of ids, and one ``os.urandom`` and base32 encoding per id was a
tenth of its time. Each thread draws from a block of its own; a forked child never reuses its
parent's block (the ids would repeat).
"""

from __future__ import annotations

import os
import threading

_ALPHABET = b"abcdefghijklmnopqrstuvwxyz234567"
_BASE32 = bytes(_ALPHABET[b % 32] for b in range(256))
_LENGTH = 20
_BLOCK = 200 * _LENGTH  # characters drawn at once


def _draw(characters: int) -> str:
    return os.urandom(characters).translate(_BASE32).decode("ascii")


class _Block(threading.local):
    def __init__(self) -> None:
        self.characters = ""
        self.at = 0
        self.generation = -1


_block = _Block()
_generation = 0  # moved on in a forked child: its blocks are its parent's


def _forked() -> None:
    global _generation
    _generation += 1


os.register_at_fork(after_in_child=_forked)


def new_id(prefix: str) -> str:
    block = _block
    at = block.at
    if at + _LENGTH > len(block.characters) or block.generation != _generation:
        block.characters, block.generation, at = _draw(_BLOCK), _generation, 0
    block.at = at + _LENGTH
    return f"{prefix}_{block.characters[at : at + _LENGTH]}"


def new_ids(prefix: str, n: int) -> list[str]:
    """``n`` new ids, from one draw of randomness (a few from the thread's block)."""
    if n <= 8:
        return [new_id(prefix) for _ in range(n)]
    raw = _draw(_LENGTH * n)
    head = f"{prefix}_"
    return [head + raw[i : i + _LENGTH] for i in range(0, _LENGTH * n, _LENGTH)]
