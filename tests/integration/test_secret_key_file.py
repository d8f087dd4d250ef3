"""The secret key kept in var/secret_key: one key, whoever makes the file first.

The workers of `plansmith serve` and a CLI command may all start while the file does not exist
yet; each must end up signing with the key the file holds, or a portal link made by one would
be refused by another.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest

from plansmith.bootstrap import kept_secret


def test_the_first_call_makes_a_private_key_that_later_calls_read(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"

    first = kept_secret(path)
    again = kept_secret(path)

    assert len(first) >= 48
    assert again == first == path.read_text().encode()
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no draft left behind


def test_a_key_another_process_made_meanwhile_wins_over_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "var" / "secret_key"
    draw = secrets.token_urlsafe

    def other_process_writes_first(size: int) -> str:
        # After our "no file yet" check, before our key is in place, another process makes it.
        path.write_text("the other process's key")
        return draw(size)

    monkeypatch.setattr(secrets, "token_urlsafe", other_process_writes_first)

    ours = kept_secret(path)

    assert ours == b"the other process's key"
    assert path.read_text() == "the other process's key"
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_callers_racing_for_a_missing_file_all_get_one_key(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    start = threading.Barrier(16)
    keys: list[bytes] = []

    def make() -> None:
        start.wait()
        keys.append(kept_secret(path))

    threads = [threading.Thread(target=make) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(keys) == 16
    assert set(keys) == {path.read_text().encode()}
