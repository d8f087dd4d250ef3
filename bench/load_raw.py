"""The raw baseline of bench/load.py: the same request shapes (methods, paths, headers, bodies)
as the mix, each answered with one trivial indexed read or write on the same PostgreSQL, by
the same HTTP server (uvicorn, same protocol and workers; uvicorn imports this module and calls
the factory). What any request of the mix costs at least on this machine: the transport, the
framework's routing and one round trip to the database; no key check, no rules, no templates.

Writes go to tables of their own (never plansmith's, whose invariants are checked after the
run): a usage batch is COPYed as bench/usage_ingest.py's raw app does, a change is one INSERT.
"""

from __future__ import annotations

import hashlib
import os
from typing import Annotated, Any

import psycopg
from bench_postgres import raw_url
from fastapi import Body, Cookie, FastAPI
from fastapi.responses import HTMLResponse
from loadgen import BASELINE_URL_ENV, baseline_app
from sqlalchemy import create_engine, text
from usage_ingest import RAW_TABLE, add_ingest_routes, raw_table

CHANGES_TABLE = "bench_raw_changes"


def raw_tables(url: str) -> None:
    """The tables the raw app writes to, made anew."""
    raw_table(url, RAW_TABLE)
    with psycopg.connect(raw_url(url), autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {CHANGES_TABLE}")
        connection.execute(
            f"CREATE TABLE {CHANGES_TABLE} (id bigserial PRIMARY KEY, subscription_id text, "
            "body text)"
        )


def raw_app() -> FastAPI:
    app = baseline_app()  # /healthz, /select1
    # Connections kept for 16 requests at once in each worker (32 connections over 2): with
    # fewer, every request past them opens and closes a PostgreSQL session of its own (2,400 a
    # minute with 8), which is a cost of the pool, not of the transport this app stands for.
    engine = create_engine(os.environ[BASELINE_URL_ENV], pool_size=16, max_overflow=16)
    add_ingest_routes(app, engine)  # POST /v1/events/batch

    def one(sql: str, **params: str) -> Any:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    @app.get("/v1/entitlements")
    def entitlements(account_id: str) -> dict[str, Any]:
        return {"currency": one("SELECT currency FROM accounts WHERE id = :a", a=account_id)}

    def page(cookie: str | None) -> HTMLResponse:
        digest = hashlib.sha256((cookie or "").encode()).hexdigest()
        account = one("SELECT account_id FROM web_sessions WHERE secret_hash = :h", h=digest)
        return HTMLResponse(f"<!doctype html><title>raw</title><p>{account}</p>")

    @app.get("/portal/plans")
    def plans(plansmith_portal: Annotated[str | None, Cookie()] = None) -> HTMLResponse:
        return page(plansmith_portal)

    @app.get("/portal/invoices")
    def invoices(plansmith_portal: Annotated[str | None, Cookie()] = None) -> HTMLResponse:
        return page(plansmith_portal)

    @app.get("/portal/plans/{family}/packages")
    def packages(
        family: str, plansmith_portal: Annotated[str | None, Cookie()] = None
    ) -> HTMLResponse:
        return page(plansmith_portal)

    @app.post("/v1/subscriptions/{subscription_id}/changes/preview")
    def preview(subscription_id: str, _body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        sql = "SELECT status FROM subscriptions WHERE id = :s"
        return {"applied": False, "status": one(sql, s=subscription_id)}

    @app.post("/v1/subscriptions/{subscription_id}/changes")
    def change(subscription_id: str, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        with engine.begin() as connection:
            connection.execute(
                text(f"INSERT INTO {CHANGES_TABLE} (subscription_id, body) VALUES (:s, :b)"),
                {"s": subscription_id, "b": str(body)},
            )
        return {"applied": True}

    @app.post("/v1/billing_runs", status_code=201)
    def billing_run() -> dict[str, Any]:
        return {"object": "billing_run", "value": one("SELECT 1")}

    return app
