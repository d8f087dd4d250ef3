"""Reading a catalog file: every wrong value is named by its path inside the document, all of
them at once, before anything is compared or written; YAML problems name line and column."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from importlib.resources import files
from typing import Any

import pytest

from plansmith.application.catalog.file import dump_yaml, load_yaml, read_catalog
from plansmith.domain.catalog.plans import ApplyToExisting, Channel
from plansmith.domain.catalog.terms import Price, PricingModel
from plansmith.domain.kernel.errors import InvalidInput
from plansmith.domain.kernel.periods import Cycle

Doc = dict[str, Any]


def valid() -> Doc:
    return {
        "families": [{"code": "service", "name": "Service plans"}],
        "plans": [
            {
                "code": "bronze",
                "name": "Bronze",
                "family": "service",
                "rank": 1,
                "channels": ["signup", "website", "portal"],
                "terms": {
                    "pricing": "flat",
                    "prices": [
                        {"currency": "USD", "cycle": "month", "amount": 999},
                        {"currency": "JPY", "cycle": "year", "amount": 15000},
                    ],
                    "trial_days": 30,
                    "allowances": {"scans": 10, "incoming_mail_items": 30},
                },
            },
            {
                "code": "gold",
                "name": "Gold",
                "family": "service",
                "rank": 3,
                "apply_to_existing": "at_renewal",
                "terms": {"base_prices": {"USD": 2999}, "cycle_discounts": {"annual": "20"}},
            },
        ],
        "add_ons": [
            {
                "code": "ai-assistant",
                "name": "AI Assistant",
                "prices": [{"currency": "USD", "cycle": "month", "amount": 2900}],
                "fits_families": ["service"],
                "features": ["ai_assistant"],
            },
            {
                "code": "telegram",
                "name": "Telegram",
                "prices": [{"currency": "USD", "cycle": "month", "amount": 700}],
            },
        ],
        "extra_packs": [
            {
                "code": "sessions-1000",
                "name": "1,000 extra sessions",
                "prices": {"USD": 1500},
                "allowance": "chatbot_sessions",
                "amount": 1000,
            }
        ],
    }


def errors_of(doc: object) -> list[tuple[str | None, str]]:
    with pytest.raises(InvalidInput) as caught:
        read_catalog(doc, "catalog.yaml")
    return [(e.field, e.message) for e in caught.value.errors]


def test_a_valid_document_is_read_with_defaults() -> None:
    doc = read_catalog(valid(), "catalog.yaml")

    assert doc.source == "catalog.yaml"
    assert [f.code for f in doc.families] == ["service"]
    bronze, gold = doc.plans
    assert bronze.channels == {Channel.SIGNUP, Channel.WEBSITE, Channel.PORTAL}
    assert bronze.apply_to_existing is ApplyToExisting.NEVER
    assert bronze.terms.pricing is PricingModel.FLAT
    assert bronze.terms.prices[1] == Price("JPY", Cycle.ANNUAL, 15000)
    assert bronze.terms.allowances == {"scans": 10, "incoming_mail_items": 30}
    assert gold.channels == {Channel.INTERNAL}  # like the API: offered nowhere until chosen
    assert gold.apply_to_existing is ApplyToExisting.AT_RENEWAL
    assert gold.terms.cycle_discounts == {"year": Decimal("20")}
    assert doc.add_ons[1].fits_families == frozenset()
    assert doc.add_ons[1].quantity_allowed is False
    assert doc.extra_packs[0].prices == {"USD": 1500}


@pytest.mark.parametrize("empty", [None, {}, {"families": None, "plans": []}])
def test_an_empty_document_is_an_empty_catalog(empty: object) -> None:
    doc = read_catalog(empty, "empty.yaml")
    assert (doc.families, doc.plans, doc.add_ons, doc.extra_packs) == ((), (), (), ())


def _set(path: str, value: object) -> Callable[[Doc], None]:
    """A change to the valid document: set (or, with ..., delete) one value by its path."""

    def change(doc: Doc) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        index: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[index]
        else:
            node[index] = value

    return change


CASES = [
    # (change, path named, words of the reason)
    (_set("bogus", []), "bogus", "unknown section"),
    (_set("plans", {"bronze": {}}), "plans", "expected a list"),
    (_set("plans.0", "bronze"), "plans[0]", "expected a mapping"),
    (_set("plans.0.colour", "red"), "plans[0].colour", "unknown field"),
    (_set("families.0.code", ...), "families[0].code", "code is required"),
    (_set("families.0.name", " "), "families[0].name", "name must not be empty"),
    (_set("families.0.policy", {"upgrade": "later"}), "families[0].policy.upgrade", "now or"),
    (_set("plans.0.code", "Bronze Plan"), "plans[0].code", "is not a code"),
    (_set("plans.0.name", 7), "plans[0].name", "expected text"),
    (_set("plans.0.family", ...), "plans[0].family", "family is required"),
    (_set("plans.0.rank", 5000), "plans[0].rank", "0 to 1000"),
    (_set("plans.0.channels", "website"), "plans[0].channels", "expected a list"),
    (_set("plans.0.channels.1", "web"), "plans[0].channels[1]", "'web' is not a channel"),
    (_set("plans.1.apply_to_existing", "later"), "plans[1].apply_to_existing", "never, at_"),
    (_set("plans.0.terms", ...), "plans[0].terms", "terms is required"),
    (_set("plans.0.terms.prices.1.amount", -5), "plans[0].terms.prices[1].amount", "negative"),
    (_set("plans.0.terms.prices.1.amount", 9.99), "plans[0].terms.prices[1].amount", "whole"),
    (_set("plans.0.terms.prices.0.currency", "XXY"), "plans[0].terms.prices[0].currency", "4217"),
    (_set("plans.0.terms.prices.1.cycle", "fortnight"), "plans[0].terms.prices[1].cycle", "cycle"),
    (_set("plans.0.terms.trial_days", -1), "plans[0].terms.trial_days", "at least 0"),
    (_set("plans.0.terms.allowances.scans", -1), "plans[0].terms.allowances.scans", "at least"),
    (
        _set("plans.1.terms.cycle_discounts.annual", "120"),
        "plans[1].terms.cycle_discounts.annual",
        "0 and 100",
    ),
    (
        _set("plans.1.terms.cycle_discounts.annual", 12.5),
        "plans[1].terms.cycle_discounts.annual",
        "as text",
    ),
    (_set("plans.1.terms.base_prices", {}), "plans[1].terms.prices", "at least one price"),
    (_set("plans.1.terms.tiers", []), "plans[1].terms.tiers", "unknown field"),
    (_set("plans.1.code", "bronze"), "plans[1].code", "appears twice; first at plans[0]"),
    (_set("add_ons.1.code", "ai-assistant"), "add_ons[1].code", "appears twice"),
    (_set("add_ons.0.prices", []), "add_ons[0].prices", "at least one price"),
    (_set("add_ons.0.prices.0.amount", -1), "add_ons[0].prices[0].amount", "negative"),
    (_set("add_ons.0.prices.0.currency", "usd"), "add_ons[0].prices[0].currency", "4217"),
    (_set("add_ons.0.quantity_allowed", "yes"), "add_ons[0].quantity_allowed", "true or false"),
    (_set("add_ons.0.fits_families.0", "Service"), "add_ons[0].fits_families[0]", "not a code"),
    (
        _set("add_ons.0.allowances", {"ai_replies": -1}),
        "add_ons[0].allowances.ai_replies",
        "negative",
    ),
    (_set("add_ons.0.description", "x" * 2001), "add_ons[0].description", "longer than 2000"),
    (_set("extra_packs.0.prices", {"XYZ": 100}), "extra_packs[0].prices.XYZ", "4217"),
    (_set("extra_packs.0.prices", {}), "extra_packs[0].prices", "needs a price"),
    (_set("extra_packs.0.prices", {"USD": -1}), "extra_packs[0].prices.USD", "negative"),
    (
        _set("extra_packs.0.allowance", "Chatbot Sessions"),
        "extra_packs[0].allowance",
        "not a code",
    ),
    (_set("extra_packs.0.amount", 0), "extra_packs[0].amount", "at least 1"),
    (_set("extra_packs.0.amount", ...), "extra_packs[0].amount", "amount is required"),
]


@pytest.mark.parametrize(("change", "path", "reason"), CASES, ids=[case[1] for case in CASES])
def test_each_wrong_value_is_named_by_its_path(
    change: Callable[[Doc], None], path: str, reason: str
) -> None:
    doc = valid()
    change(doc)

    found = errors_of(doc)

    assert len(found) == 1, found
    assert found[0][0] == path
    assert reason in found[0][1]


def test_every_error_of_a_document_comes_back_together_in_document_order() -> None:
    doc = valid()
    doc["plans"][0]["terms"]["prices"][1]["amount"] = -5
    doc["plans"][0]["terms"]["prices"][0]["currency"] = "EURO"
    doc["plans"][1]["rank"] = -1
    doc["add_ons"][1]["code"] = "ai-assistant"
    doc["extra_packs"][0]["amount"] = "many"

    assert [field for field, _ in errors_of(doc)] == [
        "plans[0].terms.prices[0].currency",
        "plans[0].terms.prices[1].amount",
        "plans[1].rank",
        "add_ons[1].code",
        "extra_packs[0].amount",
    ]


def test_a_document_that_is_not_a_mapping_is_refused_without_a_path() -> None:
    assert errors_of(["plans"]) == [
        (None, "a catalog is a mapping with families, plans, add_ons, extra_packs")
    ]


def test_an_entry_that_is_not_a_mapping_is_not_also_missing_its_fields() -> None:
    doc = valid()
    doc["families"][0] = None
    assert errors_of(doc) == [("families[0]", "expected a mapping of fields to values")]


def test_reading_does_not_change_the_data() -> None:
    doc = valid()
    before = copy.deepcopy(doc)
    read_catalog(doc, "catalog.yaml")
    assert doc == before


# -- YAML --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("plans: [1, 2\n", "line 2, column 1", "expected ',' or ']'"),
        ("plans:\n  - code: a\n   name: b\n", "line 3, column 4", "expected <block end>"),
        ("families: []\nfamilies: []\n", "line 2, column 1", "'families' is given twice"),
        ("plans:\n  - {code: a, code: b}\n", "line 2, column 15", "'code' is given twice"),
        ("\tplans: []\n", "line 1, column 1", "cannot start any token"),
    ],
)
def test_yaml_problems_name_the_line_and_column(text: str, where: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_yaml(text)
    [error] = caught.value.errors
    assert error.field == where
    assert error.message.startswith("not valid YAML: ") and reason in error.message


def test_yaml_merge_keys_may_be_overridden() -> None:
    text = "a: &base {x: 1, y: 2}\nb:\n  <<: *base\n  y: 3\n"
    assert load_yaml(text) == {"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 3}}


def test_yaml_is_loaded_safely() -> None:
    with pytest.raises(InvalidInput):
        load_yaml("x: !!python/object/apply:os.system ['true']\n")


def test_dumped_yaml_reads_back_the_same_with_percentages_as_text() -> None:
    data = {"plans": [{"code": "on", "terms": {"cycle_discounts": {"year": "20"}, "n": [1, 2]}}]}
    text = dump_yaml(data)
    assert "'20'" in text and "code: 'on'" in text  # not the number 20, not the boolean true
    assert load_yaml(text) == data


def test_the_demo_catalog_reads_cleanly() -> None:
    text = files("plansmith.entrypoints.cli").joinpath("demo_catalog.yaml").read_text("utf-8")
    doc = read_catalog(load_yaml(text), "demo_catalog.yaml")

    codes = {p.code for p in doc.plans}
    assert {"contact-center-1", "contact-center-2", "contact-center-3"} <= codes
    assert {"mailbox-bronze", "mailbox-silver", "mailbox-gold"} <= codes
    assert {f.code for f in doc.families} >= {"support", "partner", "mailbox", "chat"}
    assert len(doc.add_ons) == 8
    assert any(p.channels == {Channel.INTERNAL} for p in doc.plans)
    cc2 = next(p for p in doc.plans if p.code == "contact-center-2")
    assert cc2.terms.cycle_discounts == {
        "quarter": Decimal(5),
        "half_year": Decimal(10),
        "year": Decimal(20),
    }
    assert cc2.terms.min_seats == 5
    gold = next(p for p in doc.plans if p.code == "mailbox-gold")
    assert set(gold.terms.allowances) == {"scans", "incoming_mail_items", "storage_days"}
    assert gold.terms.trial_days > 0
    currencies = {c for p in doc.plans for c in p.terms.currencies()}
    assert {"USD", "JPY", "EUR", "KWD"} <= currencies
    assert {k.allowance for k in doc.extra_packs} >= {"chatbot_sessions"}
