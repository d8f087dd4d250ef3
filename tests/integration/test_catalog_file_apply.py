"""Exporting, comparing and applying a catalog document against a real database.

A document is the desired catalog: applying it creates what is missing, publishes a new
version of a plan whose terms or channels changed, changes add-ons, packs and families in
place, and writes all of it in one transaction. The same document twice writes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.unit_of_work import SqlUnitOfWork
from plansmith.application.catalog import extras, plan_families
from plansmith.application.catalog import plans as uc
from plansmith.application.catalog.file import (
    ChangeKind,
    apply_catalog,
    diff_catalog,
    dump_yaml,
    export_catalog,
    load_yaml,
    read_catalog,
)
from plansmith.bootstrap import Plansmith
from plansmith.domain.catalog.plans import Channel, VersionStatus
from plansmith.domain.kernel.errors import InvalidInput
from tests.conftest import Tenant

TABLES = (t.plan_families, t.plans, t.plan_versions, t.plan_version_moves, t.add_ons, t.extra_packs)


def document() -> dict[str, Any]:
    return {
        "families": [
            {"code": "mailbox", "name": "Mailbox service plans"},
            {"code": "support", "name": "Support plans", "policy": {"downgrade": "now"}},
        ],
        "plans": [
            {
                "code": "bronze",
                "name": "Bronze",
                "family": "mailbox",
                "rank": 1,
                "channels": ["signup", "website", "portal"],
                "terms": {
                    "pricing": "flat",
                    "base_prices": {"USD": 1999, "JPY": 3000},
                    "cycle_discounts": {"annual": "15"},
                    "trial_days": 30,
                    "allowances": {"scans": 10, "incoming_mail_items": 30},
                },
            },
            {
                "code": "premium-support",
                "name": "Premium Support",
                "family": "support",
                "rank": 3,
                "channels": ["internal"],
                "terms": {
                    "pricing": "flat",
                    "prices": [{"currency": "USD", "cycle": "year", "amount": 199000}],
                },
            },
        ],
        "add_ons": [
            {
                "code": "ai-assistant",
                "name": "AI Assistant",
                "prices": [{"currency": "USD", "cycle": "month", "amount": 2900}],
                "fits_families": ["mailbox"],
                "fits_plans": ["bronze"],
                "features": ["ai_assistant"],
            }
        ],
        "extra_packs": [
            {
                "code": "scans-25",
                "name": "25 extra scans",
                "prices": {"USD": 1000},
                "allowance": "scans",
                "amount": 25,
            }
        ],
    }


def rows(container: Plansmith) -> dict[str, list[tuple[Any, ...]]]:
    with container.engine.connect() as connection:
        return {
            table.name: sorted(tuple(r) for r in connection.execute(select(table)))
            for table in TABLES
        }


def apply(container: Plansmith, tenant: Tenant, data: object) -> list[Any]:
    doc = read_catalog(data, "catalog.yaml")
    return apply_catalog(container.uow(), container.clock, tenant.organization_id, doc)


def versions(container: Plansmith, tenant: Tenant, code: str) -> list[Any]:
    with container.uow() as uow:
        plan = uow.plans.by_code(tenant.organization_id, code)
        assert plan is not None
        return list(uow.plan_versions.for_plan(plan.id))


def test_a_document_creates_the_catalog_published_at_once(
    container: Plansmith, tenant: Tenant
) -> None:
    changes = apply(container, tenant, document())

    assert [(c.kind, c.what, c.code) for c in changes] == [
        (ChangeKind.CREATE, "family", "mailbox"),
        (ChangeKind.CREATE, "family", "support"),
        (ChangeKind.CREATE, "plan", "bronze"),
        (ChangeKind.CREATE, "plan", "premium-support"),
        (ChangeKind.CREATE, "add_on", "ai-assistant"),
        (ChangeKind.CREATE, "extra_pack", "scans-25"),
    ]
    [bronze] = versions(container, tenant, "bronze")
    assert (bronze.number, bronze.status) == (1, VersionStatus.CURRENT)
    assert bronze.published_at is not None
    assert bronze.channels == {Channel.SIGNUP, Channel.WEBSITE, Channel.PORTAL}
    assert bronze.terms.allowances == {"scans": 10, "incoming_mail_items": 30}
    offered = extras.offers(container.uow(), tenant.organization_id, "website")
    assert [o.view.plan.code for o in offered] == ["bronze"]  # premium support is internal


def test_the_same_document_twice_writes_nothing_the_second_time(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    apply(container, tenant, document())
    before = rows(container)
    clock.advance(timedelta(days=3))

    changes = apply(container, tenant, document())

    assert {c.kind for c in changes} == {ChangeKind.UNCHANGED}
    assert rows(container) == before


def test_export_then_apply_changes_nothing_and_exports_the_same_text(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    exported = dump_yaml(export_catalog(container.uow(), tenant.organization_id))
    before = rows(container)

    changes = apply(container, tenant, load_yaml(exported))

    assert {c.kind for c in changes} == {ChangeKind.UNCHANGED}
    assert rows(container) == before
    assert dump_yaml(export_catalog(container.uow(), tenant.organization_id)) == exported


def test_export_leaves_out_defaults_and_archived_plans(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    premium = uc.list_plans(container.uow(), tenant.organization_id)[1]
    uc.archive_plan(container.uow(), container.clock, tenant.organization_id, premium.plan.id)

    data = export_catalog(container.uow(), tenant.organization_id)

    assert [p["code"] for p in data["plans"]] == ["bronze"]
    assert data["plans"][0]["terms"] == {
        "pricing": "flat",
        "base_prices": {"JPY": 3000, "USD": 1999},
        "cycle_discounts": {"year": "15"},
        "trial_days": 30,
        "allowances": {"incoming_mail_items": 30, "scans": 10},
    }
    assert data["extra_packs"] == [
        {
            "code": "scans-25",
            "name": "25 extra scans",
            "prices": {"USD": 1000},
            "allowance": "scans",
            "amount": 25,
        }
    ]


def test_a_changed_price_publishes_version_2_and_keeps_version_1_as_legacy(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    changed = document()
    changed["plans"][0]["terms"]["base_prices"]["USD"] = 2499

    preview = diff_catalog(container.uow(), tenant.organization_id, read_catalog(changed, "c"))
    assert len(versions(container, tenant, "bronze")) == 1  # comparing writes nothing
    changes = apply(container, tenant, changed)

    assert changes == preview
    [bronze] = [c for c in changes if c.code == "bronze"]
    assert bronze.kind is ChangeKind.UPDATE
    assert bronze.details == (
        "terms.base_prices.USD: 1999 -> 2499",
        "publishes version 2; existing subscribers: never",
    )
    assert {c.kind for c in changes if c.code != "bronze"} == {ChangeKind.UNCHANGED}
    old, new = versions(container, tenant, "bronze")
    assert (old.number, old.status, old.name) == (1, VersionStatus.LEGACY, "Bronze Legacy")
    assert old.channels == {Channel.INTERNAL}
    assert old.terms.base_prices["USD"] == 1999
    assert (new.number, new.status, new.name) == (2, VersionStatus.CURRENT, "Bronze")
    assert new.terms.base_prices["USD"] == 2499
    assert new.channels == {Channel.SIGNUP, Channel.WEBSITE, Channel.PORTAL}


def test_apply_to_existing_now_records_the_move_with_its_notice(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    changed = document()
    changed["plans"][0]["apply_to_existing"] = "now"
    changed["plans"][0]["terms"]["allowances"]["scans"] = 20

    apply(container, tenant, changed)

    view = uc.list_plans(container.uow(), tenant.organization_id)[0]
    moves = uc.get_plan(container.uow(), tenant.organization_id, view.plan.id).moves
    [move] = moves
    assert move.apply.value == "now" and "scans" in move.notice


def test_channels_alone_make_a_new_version_but_a_name_or_rank_does_not(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    changed = document()
    changed["plans"][0]["name"] = "Bronze Plus"
    changed["plans"][0]["rank"] = 2
    changed["plans"][1]["channels"] = ["portal"]

    changes = {c.code: c for c in apply(container, tenant, changed)}

    assert changes["bronze"].details == ('name: "Bronze" -> "Bronze Plus"', "rank: 1 -> 2")
    assert len(versions(container, tenant, "bronze")) == 1
    plan = uc.list_plans(container.uow(), tenant.organization_id)[0].plan
    assert (plan.name, plan.rank) == ("Bronze Plus", 2)
    assert changes["premium-support"].details[0] == 'channels: ["internal"] -> ["portal"]'
    assert [v.status for v in versions(container, tenant, "premium-support")] == [
        VersionStatus.LEGACY,
        VersionStatus.CURRENT,
    ]


def test_an_unpublished_draft_is_replaced_and_published_not_duplicated(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    view = uc.list_plans(container.uow(), tenant.organization_id)[0]
    uc.edit_plan(
        container.uow(),
        container.clock,
        tenant.organization_id,
        view.plan.id,
        terms={"trial_days": 7},
    )
    changed = document()
    changed["plans"][0]["terms"]["trial_days"] = 14

    [change] = [c for c in apply(container, tenant, changed) if c.code == "bronze"]

    assert change.details[-1] == (
        "publishes version 2 (replacing its unpublished draft); existing subscribers: never"
    )
    found = versions(container, tenant, "bronze")
    assert [(v.number, v.status) for v in found] == [
        (1, VersionStatus.LEGACY),
        (2, VersionStatus.CURRENT),
    ]
    assert found[1].terms.trial_days == 14


def test_a_plan_never_published_is_exported_from_its_draft_and_published_by_apply(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, {"families": document()["families"]})
    terms = {"base_prices": {"USD": 900}}
    uc.create_plan(
        container.uow(),
        container.clock,
        tenant.organization_id,
        uc.PlanInput(code="draft-plan", name="Draft", family="mailbox", terms=terms),
    )
    exported = export_catalog(container.uow(), tenant.organization_id)
    assert [p["code"] for p in exported["plans"]] == ["draft-plan"]

    [change] = [c for c in apply(container, tenant, exported) if c.what == "plan"]

    assert change.details == ("publishes version 1",)
    [version] = versions(container, tenant, "draft-plan")
    assert version.status is VersionStatus.CURRENT
    assert {c.kind for c in apply(container, tenant, exported)} == {ChangeKind.UNCHANGED}


def test_add_ons_packs_and_families_change_in_place(container: Plansmith, tenant: Tenant) -> None:
    apply(container, tenant, document())
    changed = document()
    changed["add_ons"][0]["prices"][0]["amount"] = 3500
    changed["add_ons"][0]["quantity_allowed"] = True
    changed["extra_packs"][0]["amount"] = 30
    changed["families"][1]["policy"] = {"downgrade": "term_end"}

    changes = {(c.what, c.code): c.details for c in apply(container, tenant, changed)}

    assert changes["add_on", "ai-assistant"] == (
        "prices.USD/month: 2900 -> 3500",
        "quantity_allowed: false -> true",
    )
    assert changes["extra_pack", "scans-25"] == ("amount: 25 -> 30",)
    assert changes["family", "support"] == ('policy.downgrade: "now" -> "term_end"',)
    [add_on] = extras.list_add_ons(container.uow(), tenant.organization_id)
    assert add_on.prices[0].amount == 3500 and add_on.quantity_allowed
    [pack] = extras.list_extra_packs(container.uow(), tenant.organization_id)
    assert pack.amount == 30


def test_references_only_the_catalog_can_check_are_named_together_and_nothing_is_written(
    container: Plansmith, tenant: Tenant
) -> None:
    apply(container, tenant, document())
    plan_families.create_family(
        container.uow(),
        container.clock,
        tenant.organization_id,
        plan_families.FamilyInput("partner", "P"),
    )
    premium = uc.list_plans(container.uow(), tenant.organization_id)[1]
    uc.archive_plan(container.uow(), container.clock, tenant.organization_id, premium.plan.id)
    before = rows(container)
    changed = document()
    changed["families"].append({"code": "new-family", "name": "New"})
    changed["plans"][0]["family"] = "partner"  # bronze is a mailbox plan
    changed["plans"].append(dict(changed["plans"][0], code="silver", family="nowhere"))
    changed["add_ons"][0]["fits_plans"] = ["bronze", "platinum"]

    with pytest.raises(InvalidInput) as caught:
        apply(container, tenant, changed)

    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("plans[0].family", "family_fixed"),
        ("plans[2].family", "unknown_reference"),
        ("add_ons[0].fits_plans", "unknown_reference"),
        ("plans[1].code", "archived"),
    ]
    assert "'platinum'" in caught.value.errors[2].message
    assert rows(container) == before


class _FailingPacks(SqlUnitOfWork):
    """Crashes on writing an extra pack: after families, plans and add-ons were written."""

    def __enter__(self) -> _FailingPacks:
        super().__enter__()

        def fail(*_: object) -> None:
            raise RuntimeError("disk full")

        self.extra_packs.add = fail  # type: ignore[method-assign,assignment]
        return self


def test_a_failure_while_writing_writes_nothing(container: Plansmith, tenant: Tenant) -> None:
    before = rows(container)
    doc = read_catalog(document(), "catalog.yaml")

    with pytest.raises(RuntimeError, match="disk full"):
        apply_catalog(
            _FailingPacks(container.sessions), container.clock, tenant.organization_id, doc
        )

    assert rows(container) == before
    assert {c.kind for c in apply(container, tenant, document())} == {ChangeKind.CREATE}


def test_organizations_are_isolated(
    container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    apply(container, tenant, document())

    changes = apply(container, other_tenant, document())

    assert {c.kind for c in changes} == {ChangeKind.CREATE}
    assert export_catalog(container.uow(), other_tenant.organization_id) == export_catalog(
        container.uow(), tenant.organization_id
    )
