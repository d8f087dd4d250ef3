"""The database itself keeps published plan versions immutable, on SQLite and PostgreSQL.

The use cases never change a published version's terms; these tests go around them with raw
SQL, as a buggy migration or a hand-typed fix would, and expect the triggers of migration 0002
and the partial unique indexes to refuse.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from plansmith.adapters.db import tables as t
from plansmith.application.catalog import plan_families, publishing
from plansmith.application.catalog import plans as cat
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

V = t.plan_versions.c
TERMS = {"base_prices": {"USD": 1000}, "allowances": {"scans": 30}}
OTHER_TERMS = {"pricing": "per_seat", "base_prices": {"USD": 1}}


def _row(container: Plansmith, version_id: str) -> dict[str, Any]:
    with container.engine.connect() as connection:
        row = connection.execute(select(t.plan_versions).where(V.id == version_id)).one()
    return dict(row._mapping)


def _published_plan(container: Plansmith, tenant: Tenant) -> cat.PlanView:
    """Plan "bronze": version 1 legacy, version 2 current, version 3 a draft."""
    uow, clock, org = container.uow, container.clock, tenant.organization_id
    plan_families.create_family(
        uow(), clock, org, plan_families.FamilyInput("service", "Service plans")
    )
    plan = cat.create_plan(
        uow(), clock, org, cat.PlanInput("bronze", "Bronze", "service", terms=TERMS, publish=True)
    ).plan
    cat.edit_plan(uow(), clock, org, plan.id, terms={"base_prices": {"USD": 1200}})
    publishing.publish_plan(uow(), clock, org, plan.id, "never")
    cat.edit_plan(uow(), clock, org, plan.id, terms={"base_prices": {"USD": 1500}})
    view = cat.get_plan(uow(), org, plan.id)
    assert [(v.number, v.status.value) for v in view.versions] == [
        (1, "legacy"),
        (2, "current"),
        (3, "draft"),
    ]
    return view


def _version_id(view: cat.PlanView, status: str) -> str:
    return next(v.id for v in view.versions if v.status.value == status)


@pytest.mark.parametrize("status", ["current", "legacy"])
@pytest.mark.parametrize(
    "change",
    [
        {"terms": OTHER_TERMS},
        {"number": 7},
        {"status": "draft"},
    ],
    ids=["terms", "number", "status-back-to-draft"],
)
def test_database_refuses_to_change_a_published_version(
    container: Plansmith, tenant: Tenant, status: str, change: dict[str, Any]
) -> None:
    version_id = _version_id(_published_plan(container, tenant), status)
    before = _row(container, version_id)

    with pytest.raises(IntegrityError), container.engine.begin() as connection:
        connection.execute(update(t.plan_versions).where(V.id == version_id).values(**change))

    assert _row(container, version_id) == before


def test_database_refuses_to_move_a_published_version_to_another_plan(
    container: Plansmith, tenant: Tenant
) -> None:
    view = _published_plan(container, tenant)
    copy = cat.copy_plan(container.uow(), container.clock, tenant.organization_id, view.plan.id)
    version_id = _version_id(view, "current")
    before = _row(container, version_id)

    with pytest.raises(IntegrityError), container.engine.begin() as connection:
        connection.execute(
            update(t.plan_versions).where(V.id == version_id).values(plan_id=copy.plan.id)
        )

    assert _row(container, version_id) == before


@pytest.mark.parametrize("status", ["current", "legacy"])
def test_database_refuses_to_delete_a_published_version(
    container: Plansmith, tenant: Tenant, status: str
) -> None:
    version_id = _version_id(_published_plan(container, tenant), status)
    before = _row(container, version_id)

    with pytest.raises(IntegrityError), container.engine.begin() as connection:
        connection.execute(delete(t.plan_versions).where(V.id == version_id))

    assert _row(container, version_id) == before


def test_a_published_version_may_still_change_status_name_and_channels(
    container: Plansmith, tenant: Tenant
) -> None:
    # What publishing does to the old version: legacy, renamed, internal only.
    version_id = _version_id(_published_plan(container, tenant), "current")
    before = _row(container, version_id)

    with container.engine.begin() as connection:
        connection.execute(
            update(t.plan_versions)
            .where(V.id == version_id)
            .values(status="legacy", name="Bronze 2026", channels=["internal"])
        )

    assert _row(container, version_id) == {
        **before,
        "status": "legacy",
        "name": "Bronze 2026",
        "channels": ["internal"],
    }


def test_a_draft_can_still_be_changed_and_deleted_by_raw_sql(
    container: Plansmith, tenant: Tenant
) -> None:
    version_id = _version_id(_published_plan(container, tenant), "draft")
    before = _row(container, version_id)

    with container.engine.begin() as connection:
        connection.execute(
            update(t.plan_versions).where(V.id == version_id).values(terms=OTHER_TERMS)
        )
    changed = _row(container, version_id)
    with container.engine.begin() as connection:
        connection.execute(delete(t.plan_versions).where(V.id == version_id))

    assert changed == {**before, "terms": OTHER_TERMS}
    with container.engine.connect() as connection:
        left = connection.execute(select(V.id).where(V.id == version_id)).all()
    assert left == []


@pytest.mark.parametrize("status", ["draft", "current"])
def test_database_refuses_a_second_draft_or_current_version_of_one_plan(
    container: Plansmith, tenant: Tenant, status: str
) -> None:
    view = _published_plan(container, tenant)
    row = _row(container, _version_id(view, status))
    second = {**row, "id": "pver_second", "number": 4}

    with pytest.raises(IntegrityError), container.engine.begin() as connection:
        connection.execute(insert(t.plan_versions).values(**second))

    with container.engine.connect() as connection:
        statuses = connection.execute(
            select(V.status).where(V.plan_id == view.plan.id).order_by(V.number)
        ).all()
    assert [s for (s,) in statuses] == ["legacy", "current", "draft"]
