"""The demo's API keys, kept between runs so that `make run` prints a key that works every time
without making a new one each run.

A secret is stored nowhere in the database (only its digest), so the demo keeps the ones it
made in a file beside the server's secret key (var/demo_keys.json, mode 0600, written whole
then renamed into place), by organization id. A kept key is printed again only if it still
opens the API for its organization; revoked, rolled away, from another database or with the
file gone, the demo makes a new one and says so. Delete the file to forget the keys (then
revoke the old ones in the console). A file others may read (copied, or written by hand) is
made 0600 before its secrets are used; one whose mode cannot be changed is not trusted: its
keys are made anew and the file is replaced by a 0600 one.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from plansmith.application.organizations import api_keys
from plansmith.bootstrap import Plansmith

KEYS_FILE = Path("var/demo_keys.json")
KEPT = "kept from an earlier run"


@dataclass(frozen=True)
class Key:
    secret: str
    note: str  # KEPT, or why it is new


class KeyFile:
    """Secrets by organization id and key name, in a file only this user can read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, dict[str, str]]:
        """The kept secrets, once the file is for this user's eyes only; {} without one."""
        if not self._private():
            return {}
        try:
            found = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def _private(self) -> bool:
        """Take group and others' access away from an existing file (0644 -> 0600); False if
        there is no file, or its mode cannot be changed (then its secrets are not used)."""
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
            if mode & 0o077:
                os.chmod(self.path, mode & 0o700)
        except OSError:
            return False
        return True

    def write(self, keys: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:  # mkstemp makes it 0600; the rename puts it in place whole
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(keys, file, indent=2, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(draft, self.path)
        except BaseException:
            os.unlink(draft)
            raise


def demo_key(
    container: Plansmith,
    store: KeyFile | None,
    organization_id: str,
    name: str,
    *,
    kind: str = api_keys.SECRET,
    made: str | None = None,
) -> Key:
    """The organization's key ``name``: the kept one if it still works, else ``made`` (a key
    just made with the organization) or a new one, kept for the next run."""
    kept = store.read() if store is not None else {}
    secret = kept.get(organization_id, {}).get(name)
    if secret and api_keys.key_works(
        container.uow(), container.clock, organization_id, secret, kind=kind
    ):
        return Key(secret, KEPT)
    if made is None:
        made = api_keys.create_api_key(
            container.uow(), container.clock, organization_id, f"demo {name}", kind=kind
        ).secret
    if store is None:
        return Key(made, "new")
    kept.setdefault(organization_id, {})[name] = made
    store.write(kept)
    note = "the kept one no longer works" if secret else "new"
    return Key(made, f"{note}; kept in {store.path} for the next runs")
