"""`plansmith clock ...` and `plansmith bill --as-of`, run in-process against a SQLite file.

The wall clock is the test's TestClock at 2026-01-31 15:00 UTC (Feb 1 00:00 in Tokyo). The
sandbox "Acme Sandbox" is made then, so its test clock starts there. Sakura (JPY, Tokyo) holds
Contact Center 2 x 100 seats at ¥3,500: ¥350,000 a month, renewed at Tokyo's midnight on the
1st (15:00 UTC the day before). Drafts wait the default 60-minute grace.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, select

from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.cli.main import app
from tests.e2e.subscriptions_cli_support import ORG, Demo, counts, demo, rows, runner
from tests.e2e.test_billing_cli import invoices

__all__ = ["demo"]  # the fixture, shared with the subscription CLI tests
SANDBOX = "Acme Sandbox"


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _sandbox(demo: Demo) -> str:
    """The sandbox with the demo's catalog and Sakura on Contact Center 2 x 100."""
    code, stdout, stderr = cli("org", "create", SANDBOX, "--sandbox")
    assert code == 0, stderr
    org_id = stdout.strip()
    code, _, stderr = cli("catalog", "apply", "catalog.yaml", "--org", SANDBOX, "-y")
    assert code == 0, stderr
    container = bootstrap(Settings(database_url=demo.url, secret_key="x"), clock=demo.clock)
    data = AccountInput("Sakura Contact Center", "billing@sakura.example", "JPY", "Asia/Tokyo")
    account = open_account(container.uow(), container.clock, org_id, data).id
    container.dispose()
    demo.clock.advance(timedelta(days=5))  # the wall clock moves on; the sandbox's does not
    code, stdout, stderr = cli(
        "sub", "create", "--org", SANDBOX, "--account", account, "--plan", "cc-2",
        "--quantity", "100", "--no-trial",
    )  # fmt: skip
    assert code == 0, stderr
    # Tokyo's Feb 1, the sandbox's day, not the wall clock's Feb 6.
    assert "Registered from 2026-02-01T00:00:00+09:00 (Asia/Tokyo)" in stdout
    return org_id


def summary(stdout: str) -> list[str]:
    """steps, renewed, invoiced, finalized, errors, new instant of the printed table."""
    (row,) = [r for r in rows(stdout) if r[1] != "steps"]
    return row[1:7]


def stamps(url: str) -> list[tuple[str | None, str, str | None]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        i = t.invoices.c
        found = connection.execute(
            select(i.number, i.created_at, i.finalized_at).order_by(i.created_at)
        ).all()
    engine.dispose()
    return [
        (n, c.strftime("%m-%d %H:%M"), f.strftime("%m-%d %H:%M") if f else None)
        for n, c, f in found
    ]


def test_clock_advance_by_two_months_bills_each_renewal_at_its_instant(demo: Demo) -> None:
    _sandbox(demo)

    code, stdout, stderr = cli("clock", "advance", "--org", SANDBOX, "--by", "2m")
    shown = cli("clock", "show", "--org", SANDBOX)

    assert code == 0, stderr
    # Jan 31 + 2 months = Mar 31 15:00 UTC, Tokyo's Apr 1: the last renewal is drafted there
    # and waits for its grace. Steps: Jan 31 15:00 and 16:00, Feb 28 15:00 and 16:00, Mar 31.
    assert summary(stdout) == ["5", "2", "3", "2", "0", "2026-03-31T15:00:00+00:00"]
    assert "Test clock advanced from 2026-01-31T15:00:00+00:00" in stdout
    assert stamps(demo.url) == [
        ("INV-000001", "01-31 15:00", "01-31 16:00"),
        ("INV-000002", "02-28 15:00", "02-28 16:00"),
        (None, "03-31 15:00", None),
    ]
    assert {total for *_, total in invoices(demo.url)} == {350000}
    assert shown == (
        0,
        f"{SANDBOX} is a sandbox: its test clock stands at 2026-03-31T15:00:00+00:00\n",
        "",
    )
    # The wall clock was never moved by it.
    assert demo.clock.now().isoformat() == "2026-02-05T15:00:00+00:00"


def test_bill_as_of_after_now_is_refused_for_a_live_organization(demo: Demo) -> None:
    before = counts(demo.url), invoices_or_none(demo.url)

    one = cli("bill", "--org", ORG, "--as-of", "2026-02-01T00:00:00Z")
    every = cli("bill", "--all", "--as-of", "2026-02-01T00:00:00Z")
    naive = cli("bill", "--org", ORG, "--as-of", "2026-01-01T00:00:00")

    assert one[0] == every[0] == naive[0] == 1
    assert one[2].startswith("error (--as-of): 2026-02-01T00:00:00+00:00 is after now")
    assert every[2].startswith("error (--as-of): 2026-02-01T00:00:00+00:00 is after now")
    assert naive[2].startswith("error (--as-of): '2026-01-01T00:00:00' has no UTC offset")
    assert (counts(demo.url), invoices_or_none(demo.url)) == before


def invoices_or_none(url: str) -> list[tuple[str, str | None, int]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(t.invoices.c.id, t.invoices.c.number)).all()
    engine.dispose()
    return [tuple(r) for r in found]


def test_bill_as_of_now_or_before_bills_a_live_organization_as_of_that_instant(
    demo: Demo,
) -> None:
    code, stdout, stderr = cli("bill", "--org", ORG, "--as-of", "2026-01-31T12:00:00+00:00")

    assert code == 0, stderr
    (row,) = [r for r in rows(stdout) if r[1] != "as of"]
    assert row[1] == "2026-01-31T12:00:00+00:00"


def test_bill_as_of_on_a_sandbox_advances_its_clock_then_bills_as_of_an_earlier_instant(
    demo: Demo,
) -> None:
    _sandbox(demo)

    advanced = cli("bill", "--org", SANDBOX, "--as-of", "2026-03-01T09:00:00+09:00")
    earlier = cli("bill", "--org", SANDBOX, "--as-of", "2026-02-10T00:00:00Z")
    shown = cli("clock", "show", "--org", SANDBOX)

    assert advanced[0] == 0, advanced[2]
    # To Mar 1 00:00 UTC (09:00 in Tokyo): renewed at 15:00 UTC on Feb 28, finalized at 16:00.
    assert summary(advanced[1]) == ["5", "1", "2", "2", "0", "2026-03-01T00:00:00+00:00"]
    assert earlier[0] == 0, earlier[2]
    (row,) = [r for r in rows(earlier[1]) if r[1] != "as of"]
    assert row[1:7] == ["2026-02-10T00:00:00+00:00", "0", "0", "0", "0", "0"]
    assert "stands at 2026-03-01T00:00:00+00:00" in shown[1]


def test_clock_advance_refuses_a_live_organization_and_bad_instants(demo: Demo) -> None:
    _sandbox(demo)
    before = counts(demo.url), invoices_or_none(demo.url)

    live = cli("clock", "advance", "--org", ORG, "--by", "30d")
    naive = cli("clock", "advance", "--org", SANDBOX, "--to", "2026-03-01T00:00:00")
    backwards = cli("clock", "advance", "--org", SANDBOX, "--to", "2026-01-01T00:00:00Z")
    too_far = cli("clock", "advance", "--org", SANDBOX, "--by", "6y")
    not_a_span = cli("clock", "advance", "--org", SANDBOX, "--by", "soon")
    neither = cli("clock", "advance", "--org", SANDBOX)

    assert [r[0] for r in (live, naive, backwards, too_far, not_a_span, neither)] == [1] * 6
    assert live[2].startswith("error (--org): only a sandbox organization's time can be moved")
    assert naive[2].startswith("error (--to): '2026-03-01T00:00:00' has no UTC offset")
    assert backwards[2].startswith("error (--to): the test clock is at 2026-01-31T15:00:00")
    assert too_far[2].startswith("error (--by): advance at most 5 years at a time")
    assert not_a_span[2].startswith("error (--by): 'soon' is not a span")
    assert neither[2] == "error (--to): give --to ISO or --by SPAN\n"
    assert (counts(demo.url), invoices_or_none(demo.url)) == before
    assert cli("clock", "show", "--org", ORG)[1].startswith(f"{ORG} is live")
