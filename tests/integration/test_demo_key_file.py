"""The demo's key file (var/demo_keys.json) is for its user's eyes only, whoever made it: a
kept file that others may read is made 0600 on the next run, before its secret is printed
again (review item 21)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from plansmith.application.organizations.api_keys import create_api_key
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.cli.demo_keys import KEPT, KeyFile, demo_key
from tests.conftest import Tenant


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("loose", [0o644, 0o666, 0o640, 0o604])
def test_a_kept_key_file_others_may_read_is_made_private_and_its_key_still_used(
    container: Plansmith, tenant: Tenant, tmp_path: Path, loose: int
) -> None:
    secret = create_api_key(container.uow(), container.clock, tenant.organization_id, "x").secret
    path = tmp_path / "var" / "demo_keys.json"
    path.parent.mkdir()
    path.write_text(json.dumps({tenant.organization_id: {"secret": secret}}), encoding="utf-8")
    os.chmod(path, loose)

    key = demo_key(container, KeyFile(path), tenant.organization_id, "secret")

    assert (key.secret, key.note) == (secret, KEPT)
    assert _mode(path) == 0o600


def test_a_private_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "demo_keys.json"
    path.write_text(json.dumps({"org_a": {"secret": "sk_a"}}), encoding="utf-8")
    os.chmod(path, 0o400)  # stricter than 0600: left as it is

    assert KeyFile(path).read() == {"org_a": {"secret": "sk_a"}}
    assert _mode(path) == 0o400


def test_a_file_whose_mode_cannot_be_changed_is_not_trusted_and_is_replaced(
    container: Plansmith, tenant: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = create_api_key(container.uow(), container.clock, tenant.organization_id, "x").secret
    path = tmp_path / "demo_keys.json"
    path.write_text(json.dumps({tenant.organization_id: {"secret": secret}}), encoding="utf-8")
    os.chmod(path, 0o644)

    def refused(target: object, mode: int) -> None:  # another user's file: chmod is refused
        raise PermissionError(1, "Operation not permitted", str(target))

    monkeypatch.setattr(os, "chmod", refused)
    key = demo_key(container, KeyFile(path), tenant.organization_id, "secret")

    assert key.secret != secret and key.note.startswith("new")
    assert _mode(path) == 0o600  # the new file, renamed over the loose one
    assert json.loads(path.read_text(encoding="utf-8")) == {
        tenant.organization_id: {"secret": key.secret}
    }
