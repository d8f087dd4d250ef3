"""`plansmith bill`: one billing run from the command line, with its summary table."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, func, select

from plansmith.adapters.db import tables as t
from plansmith.entrypoints.cli.main import app
from tests.e2e.subscriptions_cli_support import ORG, Demo, created, demo, rows, runner

__all__ = ["demo"]  # the fixture, shared with the subscription CLI tests


def bill(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["bill", *args])
    return result.exit_code, result.stdout, result.stderr


def summary(stdout: str) -> list[str]:
    """renewed, invoiced, finalized, skipped, errors of the printed table."""
    (row,) = [r for r in rows(stdout) if r[1] != "as of"]
    return row[2:7]


def invoices(url: str) -> list[tuple[str, str | None, int]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            select(t.invoices.c.status, t.invoices.c.number, t.invoices.c.total)
        ).all()
        assert connection.execute(select(func.count()).select_from(t.invoice_lines)).scalar()
    engine.dispose()
    return [tuple(r) for r in found]


def test_bill_drafts_then_finalizes_after_the_grace_and_never_twice(demo: Demo) -> None:
    created("--account", demo.sakura, "--plan", "cc-2", "--quantity", "100", "--no-trial")

    first = bill("--org", ORG)
    demo.clock.advance(timedelta(minutes=61))  # the 60-minute grace of the draft is over
    second = bill("--org", ORG)
    third = bill("--org", ORG)

    assert (first[0], second[0], third[0]) == (0, 0, 0)
    assert summary(first[1]) == ["0", "1", "0", "0", "0"]  # drafted, waiting for its grace
    assert summary(second[1]) == ["0", "0", "1", "0", "0"]  # finalized: INV-000001
    assert summary(third[1]) == ["0", "0", "0", "0", "0"]
    # ¥3,500 x 100 seats = ¥350,000, no tax rate set
    assert invoices(demo.url) == [("open", "INV-000001", 350000)]


def test_bill_needs_an_organization_or_all(demo: Demo) -> None:
    refused = bill()

    assert refused == (1, "", "error (--org): give --org ORG or --all\n")
