"""An unexpected exception is answered with a complete 500, and the keep-alive connection it
came on stays usable: the client's next request on it succeeds (the real app under uvicorn)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from plansmith.application.accounts import accounts as uc
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.live_server import serving

ACCOUNT = {"name": "Acme Chat", "email": "billing@acme.example", "currency": "USD"}


class Bug(RuntimeError):
    pass


def _raise(*_args: Any, **_kwargs: Any) -> Any:
    raise Bug("an unexpected bug")


def _buggy_route() -> None:
    raise Bug("an unexpected bug in a route")


def _app_with_broken_routes(container: Plansmith) -> FastAPI:
    """The real app, plus routes (of this test's own app instance only) that hit a bug."""
    app = create_app(container)
    app.add_api_route("/v1/test-bug", _buggy_route, methods=["GET"])
    app.add_api_route("/console/test-bug", _buggy_route, methods=["GET"])
    return app


@pytest.fixture
def one_connection(container: Plansmith) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with (
        serving(lambda _url: _app_with_broken_routes(container)) as base_url,
        httpx.Client(base_url=base_url, limits=limits, timeout=30) as http,
    ):
        yield http


def _local_port(response: httpx.Response) -> int:
    """The client's port of the connection the response came on."""
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "plansmith.errors" and r.exc_info is not None]


def test_api_500_is_problem_json_and_the_next_request_on_the_connection_works(
    one_connection: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    failed = one_connection.get("/v1/test-bug")
    after = one_connection.get("/healthz")

    assert failed.status_code == 500
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["code"] == "internal_error"
    assert "connection" not in failed.headers  # a complete response on a kept connection
    assert after.status_code == 200
    assert _local_port(after) == _local_port(failed)
    (logged,) = _errors_logged(caplog)
    assert logged.exc_info is not None and logged.exc_info[0] is Bug


def test_console_500_is_an_html_page_and_the_connection_stays_usable(
    one_connection: httpx.Client,
) -> None:
    failed = one_connection.get("/console/test-bug")
    after = one_connection.get("/healthz")

    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in failed.text
    assert after.status_code == 200
    assert _local_port(after) == _local_port(failed)


def test_keyed_post_whose_use_case_fails_answers_500_and_the_retry_runs(
    one_connection: httpx.Client, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "bug-1"}
    monkeypatch.setattr(uc, "open_account", _raise)
    failed = one_connection.post("/v1/accounts", json=ACCOUNT, headers=headers)
    monkeypatch.undo()
    retried = one_connection.post("/v1/accounts", json=ACCOUNT, headers=headers)

    assert (failed.status_code, failed.json()["code"]) == (500, "internal_error")
    assert retried.status_code == 201, retried.text
    assert _local_port(retried) == _local_port(failed)


def test_a_failure_in_the_idempotency_layer_is_a_clean_500_too(
    one_connection: httpx.Client,
    container: Plansmith,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "store-down-1"}
    monkeypatch.setattr(container.idempotency, "begin", _raise)
    failed = one_connection.post("/v1/accounts", json=ACCOUNT, headers=headers)
    monkeypatch.undo()
    after = one_connection.get("/v1/accounts", headers=tenant.headers)

    assert (failed.status_code, failed.json()["code"]) == (500, "internal_error")
    assert after.status_code == 200
    assert after.json()["data"] == []
    assert _local_port(after) == _local_port(failed)
