"""What a request of each kind in bench/load.py's mix costs in this process: its SQL statements
and its time through the whole ASGI app (bench/api.py's ``statements``: Starlette's test
client, no HTTP server, ten requests of the kind, the median)."""

from __future__ import annotations

import random

from api import Kind, statements
from load_mix import WEIGHTS, Mix
from loadgen import Request


def per_kind(url: str, mix: Mix) -> None:
    """Statements and in-process ms (median of 10) of each kind."""
    rng = random.Random(2)
    kinds = [Kind(name, 0.0, [_request(mix, name, rng) for _ in range(11)]) for name in WEIGHTS]
    found = statements(url, kinds)
    print("\n| request (in process, no HTTP server) | statements | ms (median of 10) |")
    print("|---|---:|---:|")
    for name, (n, ms) in found.items():
        print(f"| {name} | {n} | {ms:.1f} |")


def _request(mix: Mix, kind: str, rng: random.Random) -> Request:
    call = mix.call(kind, rng)
    body = call.body.decode() if call.body is not None else None
    return Request(call.method, call.path, call.headers, body)
