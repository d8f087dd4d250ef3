"""Ids: a prefix and 20 characters of the lowercase base32 alphabet, each equally likely,
one at a time or many at once, never the same in two threads or in a forked child."""

from __future__ import annotations

import os
import re
import threading
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


def test_threads_and_a_forked_child_draw_ids_of_their_own() -> None:
    new_id("inv")  # this thread's block is drawn
    in_thread: list[str] = []
    worker = threading.Thread(target=lambda: in_thread.extend(new_id("inv") for _ in range(50)))
    worker.start()
    worker.join()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, " ".join(new_id("inv") for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        in_child = pipe.read().split()
    os.waitpid(child, 0)
    here = [new_id("inv") for _ in range(50)]

    assert len(in_child) == 50
    assert len(set(here) | set(in_thread) | set(in_child)) == 150
