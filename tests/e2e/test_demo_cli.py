"""`plansmith demo` as `make run` runs it every time (issue 13, defect 7), in-process on a
SQLite file: the demo is loaded once and the operator's edits survive the next runs (no second
"… Legacy" version); every run prints an API key that works (the same one, kept in
var/demo_keys.json with mode 0600, or a new one when it no longer works, saying so) and portal
links that say whose account they open and in which language; and the demo includes a sandbox
whose test clock has run a few months, with past invoices and credits, and its own console
sign-in."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, create_engine, func, select
from typer.testing import CliRunner

from plansmith.adapters.db import tables as t
from plansmith.application.catalog.plans import edit_plan
from plansmith.application.catalog.publishing import publish_plan
from plansmith.application.organizations import api_keys
from plansmith.application.organizations.organizations import find_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.cli.main import app
from plansmith.entrypoints.web import create_app

runner = CliRunner()
BASE = "http://127.0.0.1:8000"
LINE = re.compile(r"^  Portal link  (\S+)  (.+), in (\w+) \(opens once, within 24 h\)$", re.M)


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "demo-test-secret")
    monkeypatch.setenv("PLANSMITH_BASE_URL", BASE)
    monkeypatch.chdir(tmp_path)
    return url


@pytest.fixture
def container(database: str) -> Iterator[Plansmith]:
    built = bootstrap(Settings(database_url=database, secret_key="demo-test-secret"))
    yield built
    built.dispose()


def _demo() -> str:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _value(stdout: str, label: str, section: int = 0) -> str:
    """The first word after ``label`` in the demo's part (0) or the sandbox's part (1)."""
    part = stdout.split("Sandbox (its own data")[section]
    found = re.search(rf"^  {label}\s+(\S+)", part, re.M)
    assert found, (label, stdout)
    return found[1]


def _count(url: str, table: Table) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = int(connection.execute(select(func.count()).select_from(table)).scalar_one())
    engine.dispose()
    return count


def _works(client: TestClient, key: str) -> bool:
    answer = client.get("/v1/organization", headers={"Authorization": f"Bearer {key}"})
    status: int = answer.status_code
    return status == 200


def test_a_second_run_keeps_the_operators_edits_and_prints_the_same_working_key(
    database: str, container: Plansmith, tmp_path: Path
) -> None:
    first = _demo()
    demo_org = find_organization(container.uow(), "Demo SaaS")
    plan = next(
        p for p in _plans(container, demo_org.id) if p[1] == "support-standard"
    )  # the operator renames the plan for those who sign up from now on
    edit_plan(container.uow(), container.clock, demo_org.id, plan[0], name="Standard Support+")
    publish_plan(container.uow(), container.clock, demo_org.id, plan[0], "never")
    versions = _count(database, t.plan_versions)
    plans = _names(database)

    second = _demo()
    third = _demo()

    assert first.startswith("plansmith demo is ready")
    assert second.startswith("plansmith demo: loaded before, your data is kept as it is")
    assert "Catalog      as you left it" in second
    assert _count(database, t.plan_versions) == versions  # no second "… Legacy" version
    assert _names(database) == plans
    key = _value(first, "API key")
    assert _value(second, "API key") == _value(third, "API key") == key
    assert "(kept from an earlier run)" in second
    with TestClient(create_app(container)) as client:
        assert _works(client, key)
    assert (tmp_path / "var" / "demo_keys.json").stat().st_mode & 0o777 == 0o600
    assert _count(database, t.operator_users) == 2  # the demo's and the sandbox's


def test_a_key_that_no_longer_works_is_replaced_and_the_output_says_so(
    database: str, container: Plansmith
) -> None:
    first = _demo()
    key = _value(first, "API key")
    demo_org = find_organization(container.uow(), "Demo SaaS")
    [found] = [
        k
        for k in api_keys.list_api_keys(container.uow(), demo_org.id, limit=100).items
        if k.prefix == key[:10]
    ]
    api_keys.revoke_api_key(container.uow(), container.clock, demo_org.id, found.id)

    second = _demo()

    new = _value(second, "API key")
    assert new != key
    assert "the kept one no longer works" in second
    with TestClient(create_app(container)) as client:
        assert _works(client, new) and not _works(client, key)


def test_each_portal_link_says_whose_account_it_opens_and_in_which_language(
    database: str, container: Plansmith
) -> None:
    stdout = _demo()
    demo_part = stdout.split("Sandbox (its own data")[0]
    links = LINE.findall(demo_part)

    assert [(name, language) for _, name, language in links] == [
        ("Sakura Contact Center KK", "Japanese"),
        ("Northwind Chat Inc.", "English"),
        ("Bosphorus Support AS", "Turkish"),
        ("Gulf Mailbox Co.", "Arabic"),
        ("Saigon Callcenter JSC", "Vietnamese"),
    ]
    languages = {"Japanese": "ja", "English": "en", "Turkish": "tr", "Arabic": "ar"}
    languages["Vietnamese"] = "vi"
    for url, name, language in links:
        with TestClient(create_app(container)) as browser:
            entered = browser.get(url.removeprefix(BASE))
            assert entered.status_code == 200, (name, entered.text[:300])
            assert name in entered.text
            plans = browser.get("/portal/plans")  # a page in the account's language
            assert f'<html lang="{languages[language]}"' in plans.text


def test_the_demo_has_a_sandbox_whose_clock_has_run_months_with_invoices_and_credits(
    database: str, container: Plansmith
) -> None:
    stdout = _demo()
    sandbox_key = _value(stdout, "API key", section=1)

    demo_org = find_organization(container.uow(), "Demo SaaS")
    with TestClient(create_app(container)) as client:
        sandbox = {"Authorization": f"Bearer {sandbox_key}"}
        clock = client.get("/v1/test_clock", headers=sandbox).json()
        invoices = client.get("/v1/invoices", params={"limit": 100}, headers=sandbox).json()
        owned = client.get(
            "/v1/sandboxes", headers={"Authorization": f"Bearer {_value(stdout, 'API key')}"}
        ).json()
        signed = client.post(
            "/console/login",
            data={"email": "sandbox@demo.plansmith.dev", "password": "plansmith-demo"},
            follow_redirects=False,
        )
        notes = [
            n
            for i in invoices["data"]
            for n in client.get(f"/v1/invoices/{i['id']}/credit_notes", headers=sandbox).json()[
                "data"
            ]
        ]

    assert clock["sandbox"] is True
    assert clock["frozen_at"][:10] == container.clock.now().isoformat()[:10]  # run up to today
    assert [s["id"] for s in owned["data"]] == [clock["organization_id"]]
    assert owned["data"][0]["owner_id"] == demo_org.id
    finalized = [i for i in invoices["data"] if i["status"] != "draft"]
    assert len(finalized) >= 8  # three customers, four months
    assert {i["status"] for i in finalized} >= {"open", "paid"}
    lines = [line for i in finalized for line in i["lines"]]
    assert any(line["amount"] < 0 for line in lines)  # the rest of a canceled period credited
    assert len(notes) == 1 and notes[0]["reason"].startswith("Goodwill")
    assert (signed.status_code, signed.headers["location"]) == (303, "/console/customers")
    assert "sandbox@demo.plansmith.dev / plansmith-demo" in stdout
    assert "invoices so far, 1 credit note(s)" in stdout


def _plans(container: Plansmith, org: str) -> list[tuple[str, str]]:
    with container.engine.connect() as connection:
        rows = connection.execute(
            select(t.plans.c.id, t.plans.c.code).where(t.plans.c.organization_id == org)
        )
        return [(plan_id, code) for plan_id, code in rows]


def _names(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        names = sorted(connection.execute(select(t.plan_versions.c.name)).scalars())
    engine.dispose()
    return names
