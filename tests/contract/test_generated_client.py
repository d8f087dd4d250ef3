"""A client generated from the OpenAPI document by openapi-python-client, as an integrator would
make it, works against the real server: short function names, typed bodies, typed problems.

The client is generated offline from the JSON document into a temporary folder, imported, and
used over HTTP against uvicorn: it builds a small catalog, opens an account, subscribes it,
and reads a 422 and a 404 as typed problem+json objects.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from uuid import uuid4

import pytest

from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.live_server import serving

PACKAGE = "plansmith_client"  # openapi-python-client names it after the document's title


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("client")
    container = bootstrap(
        Settings(database_url="sqlite://", secret_key="document", base_url="http://testserver")
    )
    try:
        document = create_app(container).openapi()
    finally:
        container.dispose()
    (folder / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (folder / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = ["generate", "--path", "openapi.json", "--meta", "none", "--config", "config.yaml"]
    done = subprocess.run(
        [generator, *command],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_subscribes_an_account_and_reads_problems_typed(
    client_package: Path, container: Plansmith, tenant: Tenant
) -> None:
    models = _module("models")
    create_plan_family = _module("api.catalog.create_plan_family")
    create_plan = _module("api.catalog.create_plan")
    create_account = _module("api.accounts.create_account")
    get_account = _module("api.accounts.get_account")
    create_subscription = _module("api.subscriptions.create_subscription")
    preview_change = _module("api.subscriptions.preview_change")
    list_subscriptions = _module("api.subscriptions.list_subscriptions")
    client_module = _module("client")

    with serving(lambda _url: create_app(container)) as url:
        client = client_module.AuthenticatedClient(base_url=url, token=tenant.api_key)

        family = create_plan_family.sync(
            client=client, body=models.FamilyCreate(code="service", name="Service plans")
        )
        assert isinstance(family, models.FamilyOut), family
        terms = models.PlanCreateTerms.from_dict({"base_prices": {"JPY": 4990}})
        plan = create_plan.sync(
            client=client,
            body=models.PlanCreate(
                code="pro", name="Pro", family="service", terms=terms, publish=True
            ),
        )
        assert isinstance(plan, models.PlanOut), plan

        account = create_account.sync(
            client=client,
            body=models.AccountCreate(
                name="Tanaka KK",
                email="billing@tanaka.example",
                currency="JPY",
                time_zone="Asia/Tokyo",
            ),
            idempotency_key=str(uuid4()),
        )
        assert isinstance(account, models.AccountOut), account
        assert account.id.startswith("acct_")

        subscription = create_subscription.sync(
            client=client,
            body=models.SubscriptionCreate(account_id=account.id, plan="pro", quantity=3),
            idempotency_key=str(uuid4()),
        )
        assert isinstance(subscription, models.SubscriptionOut), subscription
        assert (subscription.quantity, subscription.total, subscription.status) == (
            3,
            14970,
            "active",
        )
        preview = preview_change.sync(
            client=client,
            subscription_id=subscription.id,
            body=models.ChangeRequest(quantity=4),
        )
        assert isinstance(preview, models.ResultOut), preview
        assert preview.applied is False
        listed = list_subscriptions.sync(client=client, account_id=account.id)
        assert [s.id for s in listed.data] == [subscription.id]

        refused = create_account.sync_detailed(
            client=client,
            body=models.AccountCreate(name="", email="billing@tanaka.example", currency="usd"),
        )
        problem = refused.parsed
        assert refused.status_code == 422
        assert isinstance(problem, models.ProblemDetails), problem
        assert (problem.status, problem.code) == (422, "invalid_input")
        assert problem.type_ == "https://plansmith.dev/problems/invalid_input"
        assert [(e.field, e.code) for e in problem.errors] == [
            ("name", "required"),
            ("currency", "unknown_currency"),
        ]

        missing = get_account.sync_detailed(client=client, account_id="acct_nope")
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.ProblemDetails)
        assert (missing.parsed.code, missing.parsed.field) == ("not_found", "account_id")
