"""A short simulation in every test run: a fixed set of seeded histories on SQLite and
PostgreSQL, each checked against the model after every step and at the end. `make simulate
SEEDS=N` runs as many as wanted."""

from __future__ import annotations

import pytest

from tests.simulation.generator import generate
from tests.simulation.harness import sandboxes
from tests.simulation.runner import play, shrink

SEEDS = range(1, 9)


def test_fixed_seeds_match_the_model(db_url: str) -> None:
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    failures = []
    with sandboxes(kind, db_url) as sandbox:
        for seed in SEEDS:
            outcome = play(generate(seed), sandbox)
            if outcome.failure is not None:
                small = shrink(outcome, sandbox, budget=20)
                failures.append(f"seed {seed}: {outcome.failure}\n{small.history.describe()}")
    assert not failures, "\n\n".join(failures)


def test_the_same_seed_gives_the_same_history() -> None:
    assert generate(42) == generate(42)
    assert generate(42) != generate(43)


@pytest.mark.parametrize("seed", [7, 1000])
def test_histories_start_with_accounts_and_hold_the_length_asked(seed: int) -> None:
    history = generate(seed, length=20)
    accounts = [a for a in history.actions if type(a).__name__ == "NewAccount"]
    assert 1 <= len(accounts) <= 3
    assert history.actions[: len(accounts)] == tuple(accounts)
    assert len(history.actions) == 20 + len(accounts)
