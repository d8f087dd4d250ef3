"""The sandbox gateway's batch charge on both databases: each request answers as its own charge
would, in order (a card charged three times in one batch counts its declines in order), a
batch sent again captures nothing new, a key reused otherwise is refused, the statements do
not grow with the batch, and two processes sending one batch at once capture it once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import make_engine
from plansmith.adapters.payments import SandboxGateway
from plansmith.adapters.payments.sandbox_cards import DECLINES, TIMEOUT_MESSAGE
from plansmith.application.payments.ports import CardToSave, ChargeRequest
from plansmith.domain.payments.payments import GatewayAnswer, Outcome

# One of each behaviour, the card declining twice charged three times in a row.
MIX = (
    "tok_sandbox_success",
    "tok_sandbox_insufficient_funds",
    "tok_sandbox_declines_2",
    "tok_sandbox_expired_card",
    "tok_sandbox_do_not_honor",
    "tok_sandbox_declines_2",
    "tok_sandbox_timeout_succeeded",
    "tok_sandbox_timeout_failed",
    "tok_sandbox_declines_2",
    "tok_sandbox_success_amex",
)
INSUFFICIENT = (Outcome.FAILED, "insufficient_funds", DECLINES["insufficient_funds"])
PAID = (Outcome.SUCCEEDED, None, None)
TOLD_LATER = (Outcome.UNKNOWN, None, TIMEOUT_MESSAGE)
EXPECTED = [
    PAID,
    INSUFFICIENT,
    INSUFFICIENT,  # declines_2, first
    (Outcome.FAILED, "expired_card", DECLINES["expired_card"]),
    (Outcome.FAILED, "do_not_honor", DECLINES["do_not_honor"]),
    INSUFFICIENT,  # declines_2, second
    TOLD_LATER,
    TOLD_LATER,
    PAID,  # declines_2, third: its declines are spent
    PAID,
]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def gateway(engine: Engine, clock: TestClock) -> SandboxGateway:
    return SandboxGateway(engine, clock)


def _cards(gateway: SandboxGateway, sources: tuple[str, ...]) -> list[str]:
    """A saved card per ready-made token (one card for a token given several times)."""
    saved: dict[str, str] = {}
    for source in sources:
        if source not in saved:
            card = CardToSave("acc_1", "ada@example.com", "Ada", None, source)
            saved[source] = gateway.save_card(card).token
    return [saved[source] for source in sources]


def _requests(tokens: list[str], prefix: str, amount: int = 1000) -> list[ChargeRequest]:
    return [
        ChargeRequest(f"{prefix}-{i:04}", amount, "USD", token, None, f"Invoice {i}")
        for i, token in enumerate(tokens)
    ]


def _said(answers: list[GatewayAnswer]) -> list[tuple[Outcome, str | None, str | None]]:
    return [(a.outcome, a.decline_code, a.message) for a in answers]


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.sandbox_charges)).one()[0])


def _declines_left(engine: Engine, token: str) -> int:
    c = t.sandbox_cards.c
    with engine.connect() as connection:
        return int(connection.execute(select(c.declines_left).where(c.token == token)).one()[0])


def _stored(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(t.sandbox_charges)).all()
    return {row.idempotency_key: dict(row._mapping) for row in rows}


def test_a_batch_answers_each_request_in_order(gateway: SandboxGateway, engine: Engine) -> None:
    tokens = _cards(gateway, MIX)

    answers = gateway.charge_many(_requests(tokens, "pay"))

    assert _said(answers) == EXPECTED
    stored = _stored(engine)
    assert sorted(stored) == [f"pay-{i:04}" for i in range(len(MIX))]
    for i, answer in enumerate(answers):
        row = stored[f"pay-{i:04}"]
        assert row["token"] == tokens[i]
        if answer.outcome is not Outcome.UNKNOWN:
            assert (row["outcome"], row["reference"]) == (answer.outcome.value, answer.reference)
    assert len({row["reference"] for row in stored.values()}) == len(MIX)
    assert _declines_left(engine, tokens[2]) == 0


def test_a_batch_answers_what_charges_one_by_one_answer(
    gateway: SandboxGateway, engine: Engine
) -> None:
    batch_tokens, single_tokens = _cards(gateway, MIX), _cards(gateway, MIX)

    batch = gateway.charge_many(_requests(batch_tokens, "batch"))
    single = [gateway.charge(request) for request in _requests(single_tokens, "single")]
    batch_again = gateway.charge_many(_requests(batch_tokens, "batch"))
    single_again = [gateway.charge(request) for request in _requests(single_tokens, "single")]

    assert _said(batch) == _said(single) == EXPECTED
    assert [a.reference is None for a in batch] == [a.reference is None for a in single]
    assert _said(batch_again) == _said(single_again)  # the timeouts now tell their outcome
    stored = _stored(engine)
    kept = ("kind", "amount", "currency", "outcome", "decline_code", "message", "answered")
    for i in range(len(MIX)):
        in_batch, alone = stored[f"batch-{i:04}"], stored[f"single-{i:04}"]
        assert [in_batch[k] for k in kept] == [alone[k] for k in kept]


def test_a_batch_sent_again_answers_the_same_and_captures_nothing_new(
    gateway: SandboxGateway, engine: Engine
) -> None:
    tokens = _cards(gateway, MIX)
    requests = _requests(tokens, "pay")
    first = gateway.charge_many(requests)
    rows = _stored(engine)

    again = gateway.charge_many(requests)
    third = gateway.charge_many(list(reversed(requests)))

    timeouts = {6: Outcome.SUCCEEDED, 7: Outcome.FAILED}
    for i, (before, now) in enumerate(zip(first, again, strict=True)):
        if i in timeouts:  # answered unknown once, now what really happened
            assert (now.outcome, now.reference) == (timeouts[i], rows[f"pay-{i:04}"]["reference"])
        else:
            assert now == before
    assert third == list(reversed(again))
    assert _count(engine) == len(MIX)
    after = _stored(engine)
    for key, row in rows.items():
        assert {**row, "answered": True} == after[key]
    assert _declines_left(engine, tokens[2]) == 0


def test_a_key_reused_with_another_amount_is_refused_and_the_rest_charged(
    gateway: SandboxGateway, engine: Engine
) -> None:
    [token] = _cards(gateway, ("tok_sandbox_success",))
    paid = gateway.charge(ChargeRequest("pay-0001", 1000, "USD", token, None, "Invoice 1"))
    requests = _requests([token] * 3, "pay", amount=2500)

    answers = gateway.charge_many(requests)

    assert answers[1].outcome is Outcome.FAILED
    assert answers[1].decline_code == "idempotency_mismatch"
    assert [a.outcome for a in (answers[0], answers[2])] == [Outcome.SUCCEEDED] * 2
    stored = _stored(engine)
    assert (stored["pay-0001"]["amount"], stored["pay-0001"]["reference"]) == (1000, paid.reference)
    assert len(stored) == 3


def test_a_key_given_twice_in_one_batch_is_refused_before_anything(
    gateway: SandboxGateway, engine: Engine
) -> None:
    [token] = _cards(gateway, ("tok_sandbox_success",))
    requests = _requests([token] * 3, "pay")

    with pytest.raises(ValueError, match="more than once: pay-0001"):
        gateway.charge_many([*requests, requests[1]])

    assert _count(engine) == 0


def test_an_amount_below_1_fails_that_request_alone(
    gateway: SandboxGateway, engine: Engine
) -> None:
    [token] = _cards(gateway, ("tok_sandbox_success",))
    requests = _requests([token] * 3, "pay")
    zero = ChargeRequest("pay-zero", 0, "USD", token, None, "Invoice 0")

    answers = gateway.charge_many([requests[0], zero, *requests[1:]])

    assert [(a.outcome, a.decline_code) for a in answers] == [
        (Outcome.SUCCEEDED, None),
        (Outcome.FAILED, "invalid_amount"),
        (Outcome.SUCCEEDED, None),
        (Outcome.SUCCEEDED, None),
    ]
    assert _count(engine) == 3
    assert gateway.charge_many([]) == []


def _statements(engine: Engine, run: Any) -> int:
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counted)


def test_the_statements_of_a_batch_do_not_grow_with_it(
    gateway: SandboxGateway, engine: Engine
) -> None:
    # Each batch: its cards' charges, a card declining twice among them, timeouts replayed.
    mix = ("tok_sandbox_success", "tok_sandbox_declines_2", "tok_sandbox_timeout_failed")
    counts = {}
    for n in (5, 50):
        cards = _cards(gateway, mix)
        requests = _requests([cards[i % len(cards)] for i in range(n)], f"n{n}")
        new = _statements(engine, lambda r=requests: gateway.charge_many(r))
        replayed = _statements(engine, lambda r=requests: gateway.charge_many(r))
        counts[n] = (new, replayed)
    print(f"\nstatements of charge_many, (new, replayed) by N: {counts}")

    assert counts[5] == counts[50]
    assert counts[5][0] <= 6  # BEGIN (SQLite), cards, stored, declines, insert


@pytest.fixture
def two_engines(db_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two processes' connection pools."""
    engines = (make_engine(db_url), make_engine(db_url))
    yield engines
    for engine in engines:
        engine.dispose()


def test_two_processes_sending_one_batch_at_once_capture_it_once(
    gateway: SandboxGateway, engine: Engine, clock: TestClock, two_engines: tuple[Engine, Engine]
) -> None:
    sources = ("tok_sandbox_success", "tok_sandbox_declines_3", "tok_sandbox_do_not_honor")
    tokens = _cards(gateway, sources)
    requests = _requests([tokens[i % 3] for i in range(200)], "pay")
    one, two = (SandboxGateway(e, clock) for e in two_engines)
    start = threading.Barrier(2)
    answers: dict[int, list[GatewayAnswer]] = {}
    errors: list[BaseException] = []

    def send(index: int, sandbox: SandboxGateway) -> None:
        try:
            start.wait()
            answers[index] = sandbox.charge_many(requests)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i, g)) for i, g in enumerate((one, two))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert answers[0] == answers[1]
    assert _count(engine) == 200
    declining = [answers[0][i] for i in range(1, 200, 3)]
    assert [a.outcome for a in declining[:4]] == [Outcome.FAILED] * 3 + [Outcome.SUCCEEDED]
    assert all(a.outcome is Outcome.SUCCEEDED for a in declining[3:])
    assert _declines_left(engine, tokens[1]) == 0


# PostgreSQL only: SQLite takes its write lock at BEGIN, so no insert waits on another.
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_key_stored_by_another_process_mid_batch_answers_what_it_stored(
    db_url: str, gateway: SandboxGateway, engine: Engine, clock: TestClock
) -> None:
    """The batch's insert waits on another process's uncommitted row of one of its keys and
    does nothing for it: the batch is rolled back (its decline too) and sent again."""
    declining, other = _cards(gateway, ("tok_sandbox_declines_1", "tok_sandbox_success"))
    requests = _requests([declining, declining, declining], "pay")
    outcome: list[list[GatewayAnswer]] = []
    with engine.connect() as holder:
        holder.begin()
        holder.execute(
            t.sandbox_charges.insert().values(
                idempotency_key="pay-0002",
                kind="charge",
                token=other,
                amount=1000,
                currency="USD",
                outcome="succeeded",
                reference="ch_sbx_other",
                answered=True,
                created_at=clock.now(),
            )
        )
        sender = threading.Thread(target=lambda: outcome.append(gateway.charge_many(requests)))
        sender.start()
        _wait_for_a_lock_wait(engine)
        holder.commit()
        sender.join(30)

    [answers] = outcome
    assert [(a.outcome, a.decline_code) for a in answers] == [
        (Outcome.FAILED, "insufficient_funds"),
        (Outcome.SUCCEEDED, None),
        (Outcome.FAILED, "idempotency_mismatch"),
    ]
    assert _declines_left(engine, declining) == 0
    assert _stored(engine)["pay-0002"]["reference"] == "ch_sbx_other"
    assert _count(engine) == 3


def _wait_for_a_lock_wait(engine: Engine) -> None:
    query = text(
        "select count(*) from pg_stat_activity "
        "where wait_event_type = 'Lock' and datname = current_database()"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(query).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the batch never waited on the other process's row")


def test_time_of_one_batch_against_charges_one_by_one(
    gateway: SandboxGateway, engine: Engine
) -> None:
    """A measurement, printed (pytest -s), not asserted."""
    n = 500
    sources = ("tok_sandbox_success", "tok_sandbox_success_amex", "tok_sandbox_do_not_honor")
    batch_tokens = [_cards(gateway, (sources[i % 3],))[0] for i in range(n)]
    single_tokens = [_cards(gateway, (sources[i % 3],))[0] for i in range(n)]

    started = time.perf_counter()
    gateway.charge_many(_requests(batch_tokens, "batch"))
    batch = time.perf_counter() - started
    started = time.perf_counter()
    for request in _requests(single_tokens, "single"):
        gateway.charge(request)
    single = time.perf_counter() - started

    print(
        f"\n{engine.dialect.name}: charge_many({n}) {batch * 1000:.0f} ms; "
        f"{n} x charge {single * 1000:.0f} ms ({single / batch:.0f}x)"
    )
    assert _count(engine) == 2 * n
