"""Ids: a prefix and 20 characters of the lowercase base32 alphabet, each equally likely,
one at a time or many at once."""

from __future__ import annotations

import re
from collections import Counter

from plansmith.application.kernel.ids import new_id, new_ids

SHAPE = re.compile(r"inv_[a-z2-7]{20}")


def test_an_id_is_its_prefix_and_twenty_base32_characters() -> None:
    assert SHAPE.fullmatch(new_id("inv"))
    assert all(SHAPE.fullmatch(i) for i in new_ids("inv", 50))
    assert new_ids("inv", 0) == []


def test_ids_drawn_at_once_are_all_different() -> None:
    drawn = new_ids("inv", 20_000) + [new_id("inv") for _ in range(1_000)]

    assert len(set(drawn)) == len(drawn)


def test_every_character_is_about_equally_likely() -> None:
    # 20,000 ids are 400,000 characters: 12,500 expected of each of the 32; a character
    # that were twice as likely as another (a biased mapping) would be far outside 10 %.
    seen = Counter("".join(i[4:] for i in new_ids("inv", 20_000)))

    assert len(seen) == 32
    assert max(seen.values()) < 1.1 * 12_500
    assert min(seen.values()) > 0.9 * 12_500
