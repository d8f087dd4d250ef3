"""Runs histories against the product and shrinks a failing one.

`python -m tests.simulation.runner --seeds 100` (or `make simulate SEEDS=100`) runs seeds 1 to
100 on SQLite; `--database postgresql` on PostgreSQL; `--jobs 2` in two processes. A failure
prints its seed, the difference and a shrunk history that reproduces it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import timedelta

import httpx

from tests.simulation import actions as a
from tests.simulation.driver import Driver
from tests.simulation.generator import History, generate
from tests.simulation.invariants import invariant_violations
from tests.simulation.invoice_comparison import Difference

# An organization to play one history in: its HTTP client and the sandbox key's headers, its
# test clock at the history's start.
Sandbox = Callable[[History], AbstractContextManager[tuple[httpx.Client, dict[str, str]]]]
SETTLE = a.Advance(2 * 3600)  # after the last action: drafts finalized, cards charged


@dataclass(frozen=True)
class Outcome:
    history: History
    steps: int  # actions played before the end (or the failure)
    failure: str | None


def play(
    history: History, sandbox: Sandbox, extra_checks: Callable[[Driver], None] | None = None
) -> Outcome:
    with sandbox(history) as (http, headers):
        driver = Driver(http, headers, history.start, history.seed)
        try:
            driver.set_up_catalog()
            for action in (*history.actions, SETTLE):
                driver.play(action)
            driver.compare_invoices()
            broken = invariant_violations(http, headers)
            if broken:
                raise Difference("invariants: " + "; ".join(broken))
            if extra_checks is not None:
                extra_checks(driver)
        except Difference as difference:
            return Outcome(history, driver.step, f"step {driver.step}: {difference}")
    return Outcome(history, len(history.actions), None)


def _kind(failure: str | None) -> str:
    """What went wrong, without the step and the figures: a shrunk history keeps the kind."""
    text = (failure or "").split(": ", 1)[-1]
    return " ".join(w for w in text.split()[:3] if not any(c.isdigit() for c in w))


def shrink(outcome: Outcome, sandbox: Sandbox, budget: int = 60) -> Outcome:
    """Delta debugging over the actions (accounts stay): drop chunks while it still fails."""
    best = outcome
    actions = list(best.history.actions[: best.steps])  # what came after the failure is moot
    fixed: list[a.Action] = [x for x in actions if isinstance(x, a.NewAccount)]
    rest: list[a.Action] = [x for x in actions if not isinstance(x, a.NewAccount)]
    chunk = max(1, len(rest) // 2)
    tries = 0
    while chunk >= 1 and tries < budget:
        shrunk = False
        i = 0
        while i < len(rest) and tries < budget:
            candidate = rest[:i] + rest[i + chunk :]
            tries += 1
            tried = play(replace(best.history, actions=tuple(fixed + candidate)), sandbox)
            if tried.failure is not None and _kind(tried.failure) == _kind(outcome.failure):
                rest, best, shrunk = candidate, tried, True
            else:
                i += chunk
        if not shrunk:
            chunk //= 2
    return best


@dataclass(frozen=True)
class Tally:
    histories: int
    actions: int
    failures: tuple[str, ...]


def run(
    seeds: Sequence[int],
    sandbox: Sandbox,
    length: int,
    out: Callable[[str], None],
) -> Tally:
    """Plays every seed, shrinking each failure."""
    actions, failures = 0, []
    for seed in seeds:
        history = generate(seed, length)
        outcome = play(history, sandbox)
        actions += len(history.actions)
        if outcome.failure is not None:
            small = shrink(outcome, sandbox)
            failures.append(
                f"FAIL seed {seed}: {outcome.failure}\nshrunk to {len(small.history.actions)} "
                f"actions ({small.failure}):\n{small.history.describe()}"
            )
            out(failures[-1])
        done = seeds.index(seed) + 1
        if done % 25 == 0:
            out(
                f"  {done} of {len(seeds)} histories from seed {seeds[0]}: {actions} actions, "
                f"{len(failures)} failed"
            )
    return Tally(len(seeds), actions, tuple(failures))


def _run_part(seeds: Sequence[int], database: str, length: int) -> Tally:
    from tests.simulation.harness import sandboxes  # the product's set-up lives there

    with sandboxes(database) as sandbox:
        return run(seeds, sandbox, length, lambda line: print(line, flush=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20, help="how many histories")
    parser.add_argument("--first", type=int, default=1, help="the first seed")
    parser.add_argument("--length", type=int, default=12, help="actions per history")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--jobs", type=int, default=1, help="processes, each its own database")
    args = parser.parse_args(argv)
    seeds = list(range(args.first, args.first + args.seeds))
    began = time.monotonic()
    parts = [seeds[i :: args.jobs] for i in range(args.jobs)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        n = args.jobs
        tallies = list(pool.map(_run_part, parts, [args.database] * n, [args.length] * n))
    histories = sum(t.histories for t in tallies)
    actions = sum(t.actions for t in tallies)
    failed = sum(len(t.failures) for t in tallies)
    elapsed = timedelta(seconds=round(time.monotonic() - began))
    print(
        f"{histories} histories, {actions} actions, {failed} failed, on {args.database}, "
        f"in {elapsed}",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
