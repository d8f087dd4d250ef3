"""The simulator fails when a rule is broken on purpose: each test breaks one inside the running
product (in-process, SQLite) and asserts that some history of a fixed set reports a difference.
A simulator that passed these would check nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from plansmith.adapters.idempotency import IdempotencyStore
from plansmith.application.usage import ingest
from plansmith.domain.subscriptions import proration
from tests.simulation.generator import generate
from tests.simulation.harness import sandboxes
from tests.simulation.runner import play

SEEDS = range(1, 9)


def _first_failure() -> str | None:
    with sandboxes("sqlite") as sandbox:
        for seed in SEEDS:
            outcome = play(generate(seed), sandbox)
            if outcome.failure is not None:
                return outcome.failure
    return None


def test_floor_rounding_in_proration_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def floored(period_amount: int, days: int, period_days: int) -> int:
        return int(Fraction(period_amount * days, period_days))  # toward zero: no half up

    monkeypatch.setattr(proration, "part_amount", floored)
    failure = _first_failure()
    assert failure is not None and "items of account" in failure


def test_a_retry_done_twice_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    begin: Callable[..., Any] = IdempotencyStore.begin

    def forgetful(self: IdempotencyStore, organization_id: str, key: str, *a: Any, **k: Any) -> Any:
        return begin(self, organization_id, f"{key}-{uuid.uuid4()}", *a, **k)  # never a replay

    monkeypatch.setattr(IdempotencyStore, "begin", forgetful)
    failure = _first_failure()
    assert failure is not None and "sent again with its Idempotency-Key" in failure


def test_a_lost_usage_event_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    aggregates = ingest._aggregates

    def losing(winners: Any, meters: Any) -> Any:  # the batch's first accepted event vanishes
        return aggregates(winners[1:] if len(winners) > 1 else winners, meters)

    monkeypatch.setattr(ingest, "_aggregates", losing)
    failure = _first_failure()
    assert failure is not None and "usage" in failure
