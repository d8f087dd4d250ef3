"""`plansmith pay collect`: one collection run from the command line, with its summary table;
a refused command is one line on stderr, exit status 1, and collects nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, select

from plansmith.adapters.db import tables as t
from plansmith.application.payments.methods import add_card
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.cli.main import app
from tests.e2e.subscriptions_cli_support import ORG, Demo, created, demo, rows, runner

__all__ = ["demo"]  # the fixture, shared with the subscription CLI tests


def pay(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["pay", *args])
    return result.exit_code, result.stdout, result.stderr


def summary(stdout: str) -> list[str]:
    """invoices, paid, failed, unknown, errors of the printed table."""
    (row,) = [r for r in rows(stdout) if r[1] != "as of"]
    return row[2:7]


def card(demo: Demo, account_id: str, token: str) -> None:
    container = bootstrap(Settings(database_url=demo.url, secret_key="x"), clock=demo.clock)
    with container.uow() as uow:
        org = uow.organizations.find_by_name(ORG)
    assert org is not None
    gateway = container.gateway_for(org.id)
    add_card(container.uow(), gateway, demo.clock, org.id, account_id, source=token)
    container.dispose()


def billed(demo: Demo, account_id: str, plan: str = "cc-2") -> None:
    """An open invoice for the account: subscribed, drafted, finalized after the grace."""
    created("--account", account_id, "--plan", plan, "--quantity", "5", "--no-trial")
    assert runner.invoke(app, ["bill", "--org", ORG]).exit_code == 0
    demo.clock.advance(timedelta(minutes=61))
    assert runner.invoke(app, ["bill", "--org", ORG]).exit_code == 0


def invoices_and_payments(url: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    engine = create_engine(url)
    i, p = t.invoices.c, t.payments.c
    with engine.connect() as connection:
        invoices = connection.execute(select(i.status, i.amount_due).order_by(i.number)).all()
        payments = connection.execute(select(p.status, p.amount).order_by(p.amount)).all()
    engine.dispose()
    return [(s, a) for s, a in invoices], [(s, a) for s, a in payments]


def test_pay_collect_charges_each_due_invoice_once_and_reports_it(demo: Demo) -> None:
    card(demo, demo.sakura, "tok_sandbox_success")
    card(demo, demo.northwind, "tok_sandbox_insufficient_funds")
    billed(demo, demo.sakura)
    billed(demo, demo.northwind)

    first = pay("collect", "--org", ORG)
    second = pay("collect")  # every live organization: nothing is due any more

    assert (first[0], second[0]) == (0, 0), first[2] + second[2]
    assert summary(first[1]) == ["2", "1", "1", "0", "0"]
    assert summary(second[1]) == ["0", "0", "0", "0", "0"]
    # ¥3,500 x 5 paid by card; $25.00 x 5 declined, left open for its retry
    assert invoices_and_payments(demo.url) == (
        [("paid", 0), ("open", 12500)],
        [("failed", 12500), ("succeeded", 17500)],
    )


def test_pay_collect_as_of_an_earlier_instant_collects_as_of_then(demo: Demo) -> None:
    card(demo, demo.sakura, "tok_sandbox_success")
    billed(demo, demo.sakura)
    finalized = demo.clock.now()
    demo.clock.advance(timedelta(hours=1))

    before = pay("collect", "--org", ORG, "--as-of", "2026-01-31T15:00:00+00:00")
    at = pay("collect", "--org", ORG, "--as-of", finalized.isoformat())

    assert summary(before[1]) == ["0", "0", "0", "0", "0"]  # not finalized yet then
    assert rows(before[1])[-1][1] == "2026-01-31T15:00:00+00:00"
    assert summary(at[1]) == ["1", "1", "0", "0", "0"]
    assert invoices_and_payments(demo.url) == ([("paid", 0)], [("succeeded", 17500)])


def test_pay_collect_refuses_bad_input_in_one_line_and_collects_nothing(demo: Demo) -> None:
    card(demo, demo.sakura, "tok_sandbox_success")
    billed(demo, demo.sakura)

    refusals = [
        pay("collect", "--org", "Nobody Inc"),
        pay("collect", "--org", ORG, "--as-of", "yesterday"),
        pay("collect", "--as-of", "2026-02-01T00:00:00"),
        pay("collect", "--org", ORG, "--as-of", "2030-01-01T00:00:00Z"),
    ]

    for code, stdout, stderr in refusals:
        assert code == 1 and stdout == ""
        assert len(stderr.splitlines()) == 1 and stderr.startswith("error"), stderr
    assert "'yesterday' is not an ISO 8601 instant" in refusals[1][2]
    assert "has no UTC offset" in refusals[2][2]
    assert "is after now" in refusals[3][2]
    assert invoices_and_payments(demo.url) == ([("open", 17500)], [])
