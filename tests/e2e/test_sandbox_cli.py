"""`plansmith org create NAME --sandbox --start ISO` (issue 13, defect 10): the CLI starts a
sandbox's test clock at a chosen instant, as the API does; a bad --start is one line naming
it, and nothing is made."""

from __future__ import annotations

import pytest

from plansmith.adapters.db import tables as t
from plansmith.entrypoints.cli.main import app
from tests.e2e.test_cli import _count, database, runner

__all__ = ["database"]  # the fixture


def test_a_sandbox_starts_its_test_clock_at_the_given_instant(database: str) -> None:
    made = runner.invoke(
        app, ["org", "create", "CI sandbox", "--sandbox", "--start", "2025-03-01T00:00+09:00"]
    )
    shown = runner.invoke(app, ["clock", "show", "--org", "CI sandbox"])

    assert made.exit_code == 0, made.output
    assert made.stdout.strip().startswith("org_")
    assert shown.exit_code == 0, shown.output
    assert "test clock stands at 2025-02-28T15:00:00+00:00" in shown.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2025-03-01T00:00Z"], "add --sandbox"),  # a live organization has no clock
        (["--sandbox", "--start", "2025-03-01T00:00"], "no UTC offset"),
        (["--sandbox", "--start", "March 1st"], "not an ISO 8601 instant"),
        (["--sandbox", "--start", "1999-12-31T00:00Z"], "from 2000-01-01"),
    ],
)
def test_a_bad_start_is_refused_naming_the_option_and_nothing_is_made(
    database: str, args: list[str], message: str
) -> None:
    refused = runner.invoke(app, ["org", "create", "CI sandbox", *args])

    assert refused.exit_code == 1
    assert "error (--start):" in refused.stderr
    assert message in refused.stderr
    assert _count(database, t.organizations) == 0
