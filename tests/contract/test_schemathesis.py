"""The OpenAPI document against the real server: schemathesis over every /v1 operation.

Each operation gets generated requests, valid and invalid, sent over HTTP to uvicorn serving a
seeded organization (the demo's catalog, customers and subscriptions, then a billing run), on
SQLite and on PostgreSQL. A request fails the test when the answer is a 5xx, has a status the
document does not list for the operation, has another content type than the document's, or a
body its schema refuses. Path ids are real objects half the time, so the answers of existing
objects are checked too, not only 404s.

The seed is fixed and the examples per operation bounded: the same requests every run, in a
few minutes on a small machine.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.api.openapi import MAX_IDEMPOTENCY_KEY
from plansmith.entrypoints.cli import demo
from plansmith.entrypoints.web import create_app
from tests.conftest import START, _truncate
from tests.contract.valid_bodies import VALID_BODIES
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.live_server import serving

pytestmark = pytest.mark.contract

SEED = 20260131
EXAMPLES = int(os.environ.get("PLANSMITH_CONTRACT_EXAMPLES", "25"))
CHECKS = [
    negative_data_rejection,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _document() -> dict[str, Any]:
    container = bootstrap(
        Settings(database_url="sqlite://", secret_key="document", base_url="http://testserver")
    )
    try:
        return create_app(container).openapi()
    finally:
        container.dispose()


schema = schemathesis.openapi.from_dict(
    _document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": EXAMPLES,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@dataclass
class Seeded:
    """What the seeded organization holds: real ids to put in paths, by parameter name."""

    url: str
    headers: dict[str, str]
    ids: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)  # for bodies: ids and codes


Ids = dict[str, list[dict[str, str]]]
SEEDED: dict[str, Seeded] = {}  # the one being tested, under "current"


def _collect(url: str, headers: dict[str, str]) -> tuple[Ids, dict[str, list[str]]]:
    """Real path parameters, each set consistent (an address with its account...), and the
    ids and codes a body may name."""
    with httpx.Client(base_url=url, headers=headers) as http:

        def data(path: str) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = http.get(path).json()["data"]
            return found

        accounts = data("/v1/accounts")
        plans = data("/v1/plans")
        ids: Ids = {
            "account_id": [{"account_id": a["id"]} for a in accounts],
            "family_id": [{"family_id": f["id"]} for f in data("/v1/plan_families")],
            "plan_id": [{"plan_id": p["id"]} for p in plans],
            "add_on_id": [{"add_on_id": a["id"]} for a in data("/v1/add_ons")],
            "pack_id": [{"pack_id": p["id"]} for p in data("/v1/extra_packs")],
            "subscription_id": [{"subscription_id": s["id"]} for s in data("/v1/subscriptions")],
            "invoice_id": [{"invoice_id": i["id"]} for i in data("/v1/invoices")],
            "version_id": [
                {"plan_id": p["id"], "version_id": v["id"]} for p in plans for v in p["versions"]
            ],
            "address_id": [
                {"account_id": a["id"], "address_id": address["id"]}
                for a in accounts[:3]
                for address in data(f"/v1/accounts/{a['id']}/invoice_addresses")
            ],
        }
        codes = {
            "account_id": [a["id"] for a in accounts],
            "plan_code": [p["code"] for p in plans],
            "family_code": [f["code"] for f in data("/v1/plan_families")],
            "coupon_code": [c["code"] for c in data("/v1/coupons")],
            "pack_code": [p["code"] for p in data("/v1/extra_packs")],
        }
    assert all(ids.values()), {k: len(v) for k, v in ids.items()}
    assert all(codes.values()), {k: len(v) for k, v in codes.items()}
    return ids, codes


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Two times in three, the ids of real objects (the last parameter decides which kind)."""
    seeded = SEEDED.get("current")
    if seeded is None or not path_parameters:
        return st.just(path_parameters)
    last = list(path_parameters)[-1]
    real = [{**path_parameters, **ids} for ids in seeded.ids.get(last, [])]
    if not real:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(real), st.sampled_from(real))


KEYS = itertools.count()


def _fresh_idempotency_key(case: schemathesis.Case[Any]) -> None:
    """A fresh Idempotency-Key for each request that sends a well-formed one: generated keys
    repeat ("0", "00"...), and a repeated key with another body is answered 422 before the
    route sees the request. Malformed keys (blank, too long) are sent as generated."""
    headers: Mapping[str, Any] = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and 0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
        case.headers = CaseInsensitiveDict({**headers, "Idempotency-Key": f"contract-{next(KEYS)}"})


@schema.hook
def flatmap_case(
    context: schemathesis.HookContext, case: schemathesis.Case[Any]
) -> st.SearchStrategy[schemathesis.Case[Any]]:
    """Three in four valid cases of a write get a body the server can accept (valid_bodies.py)."""
    seeded = SEEDED.get("current")
    make = VALID_BODIES.get(case.operation.label)
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if seeded is None or make is None or not positive:
        return st.just(case)

    def with_body(body: dict[str, Any]) -> schemathesis.Case[Any]:
        case.body = body
        return case

    valid = make(seeded.codes).map(with_body)
    return st.one_of(st.just(case), valid, valid, valid)


@contextmanager
def _seeded(db_url: str) -> Iterator[Seeded]:
    clock = TestClock(START)
    settings = Settings(database_url=db_url, secret_key="contract", base_url="http://testserver")
    container = bootstrap(settings, clock=clock)
    loaded = demo.load(container)
    headers = {"Authorization": f"Bearer {loaded.api_key}"}
    try:
        with serving(lambda _url: create_app(container)) as url:
            with httpx.Client(base_url=url, headers=headers) as http:
                # A month on, then past the grace period: drafts and open invoices to act on.
                clock.advance(timedelta(days=32))
                assert http.post("/v1/billing_runs").status_code == 201
                clock.advance(timedelta(hours=2))
                assert http.post("/v1/billing_runs").status_code == 201
                coupon = {"code": "spring15", "name": "Spring", "kind": "percent", "percent": "15"}
                assert http.post("/v1/coupons", json=coupon).status_code == 201
            yield Seeded(url, headers, *_collect(url, headers))
        assert_ledger_invariants(container.engine)
    finally:
        container.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("contract") / "plansmith.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        _truncate(url)
    with _seeded(url) as seeded:
        SEEDED["current"] = seeded
        yield seeded
        SEEDED.pop("current", None)


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_answer_is_in_the_document(case: schemathesis.Case[Any], seeded: Seeded) -> None:
    _fresh_idempotency_key(case)
    case.call_and_validate(base_url=seeded.url, headers=seeded.headers, checks=CHECKS)
