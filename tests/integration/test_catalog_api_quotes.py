"""The /v1 catalog API on SQLite and PostgreSQL: quotes (seed 002: Total = Price x Quantity)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.catalog_api_support import (
    _assert_problem,
    _edit,
    _family,
    _ok,
    _plan,
    _problems,
    _publish,
)

NBSP = "\u00a0"


# Seed 002's "Contact Center" package: a price per account (seat) x a number of accounts, and
# the longer the cycle, the higher the discount. Two explicit prices: USD per week (a cycle the
# base price does not offer) and JPY per month (wins over the 2,990 base price).
SEATS_TERMS: dict[str, Any] = {
    "pricing": "per_seat",
    "base_prices": {"USD": 1999, "JPY": 2990, "KWD": 12345},
    "cycle_discounts": {"quarter": "5", "half_year": "7.5", "year": "20"},
    "prices": [
        {"currency": "USD", "cycle": "week", "amount": 550},
        {"currency": "JPY", "cycle": "month", "amount": 3000},
    ],
    "min_seats": 5,
    "max_seats": 200,
}


# -- quotes (seed 002: Total = Price x Quantity) ------------------------------------------------


def _quotes(
    client: TestClient, tenant: Tenant, plan_id: str, currency: str, asked: list[tuple[str, int]]
) -> list[tuple[str, int, str, int, int, int, str]]:
    found = []
    for cycle, quantity in asked:
        response = client.get(
            f"/v1/plans/{plan_id}/quote",
            params={"cycle": cycle, "currency": currency, "quantity": quantity},
            headers=tenant.headers,
        )
        body = _ok(response)
        q = body["quote"]
        assert (body["object"], body["plan_id"], q["object"]) == ("plan_quote", plan_id, "quote")
        assert (q["currency"], q["quantity"], q["per_seat"]) == (currency, quantity, True)
        assert q["discount_amount"] == q["list_unit_amount"] - q["unit_amount"]
        found.append(
            (
                q["cycle"],
                q["list_unit_amount"],
                q["discount_percent"],
                q["unit_amount"],
                q["total"],
                body["version_id"],
                q["formula"],
            )
        )
    return found


def _seats_plan(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    _family(client, tenant)
    return _plan(client, tenant, code="cc2", name="Contact Center 2", terms=SEATS_TERMS)


def test_usd_quotes_are_price_per_seat_for_the_cycle_times_quantity(
    client: TestClient, tenant: Tenant
) -> None:
    plan = _seats_plan(client, tenant)
    v = plan["current_version_id"]

    quotes = _quotes(
        client,
        tenant,
        plan["id"],
        "USD",
        [("year", 100), ("annual", 5), ("half_year", 7), ("month", 5), ("week", 10)],
    )

    assert quotes == [
        # 1999 x 12 = 23988, less 20 % = 19190.4 -> 19190; x 100 = 1919000
        ("year", 23988, "20", 19190, 1919000, v, "$191.90 × 100 = $19,190.00"),
        # "annual" is the same cycle; 19190 x 5 = 95950
        ("year", 23988, "20", 19190, 95950, v, "$191.90 × 5 = $959.50"),
        # 1999 x 6 = 11994, less 7.5 % = 11094.45 -> 11094; x 7 = 77658
        ("half_year", 11994, "7.5", 11094, 77658, v, "$110.94 × 7 = $776.58"),
        # no discount on the month: 1999 x 5 = 9995
        ("month", 1999, "0", 1999, 9995, v, "$19.99 × 5 = $99.95"),
        # the explicit price per week: 550 x 10 = 5500
        ("week", 550, "0", 550, 5500, v, "$5.50 × 10 = $55.00"),
    ]


def test_jpy_quotes_have_no_decimals_and_round_half_up_once_per_seat(
    client: TestClient, tenant: Tenant
) -> None:
    plan = _seats_plan(client, tenant)
    v = plan["current_version_id"]

    quotes = _quotes(
        client,
        tenant,
        plan["id"],
        "JPY",
        [("quarter", 5), ("half_year", 5), ("year", 12), ("month", 5)],
    )

    assert quotes == [
        # 2990 x 3 = 8970, less 5 % = 8521.5 -> 8522 (half up); x 5 = 42610
        ("quarter", 8970, "5", 8522, 42610, v, "¥8,522 × 5 = ¥42,610"),
        # 2990 x 6 = 17940, less 7.5 % = 16594.5 -> 16595 (half up, not to even); x 5 = 82975
        ("half_year", 17940, "7.5", 16595, 82975, v, "¥16,595 × 5 = ¥82,975"),
        # 2990 x 12 = 35880, less 20 % = 28704; x 12 = 344448
        ("year", 35880, "20", 28704, 344448, v, "¥28,704 × 12 = ¥344,448"),
        # the explicit month price 3000 wins over the base price 2990; x 5 = 15000
        ("month", 3000, "0", 3000, 15000, v, "¥3,000 × 5 = ¥15,000"),
    ]


def test_kwd_quotes_have_three_decimals(client: TestClient, tenant: Tenant) -> None:
    plan = _seats_plan(client, tenant)
    v = plan["current_version_id"]

    quotes = _quotes(client, tenant, plan["id"], "KWD", [("half_year", 9), ("quarter", 200)])

    assert quotes == [
        # 12345 x 6 = 74070, less 7.5 % = 68514.75 -> 68515; x 9 = 616635
        ("half_year", 74070, "7.5", 68515, 616635, v, f"KWD{NBSP}68.515 × 9 = KWD{NBSP}616.635"),
        # 12345 x 3 = 37035, less 5 % = 35183.25 -> 35183; x 200 (the maximum) = 7036600
        (
            "quarter",
            37035,
            "5",
            35183,
            7036600,
            v,
            f"KWD{NBSP}35.183 × 200 = KWD{NBSP}7,036.600",
        ),
    ]


def test_quotes_that_cannot_be_made_name_the_field(client: TestClient, tenant: Tenant) -> None:
    plan = _seats_plan(client, tenant)
    year = {"cycle": "year", "currency": "USD", "quantity": 10}
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({**year, "quantity": 4}, 422, "seats_out_of_range", "quantity"),  # min_seats 5
        ({**year, "quantity": 201}, 422, "seats_out_of_range", "quantity"),  # max_seats 200
        ({**year, "quantity": 0}, 422, "seats_out_of_range", "quantity"),
        ({**year, "quantity": -1}, 422, "invalid_value", "quantity"),
        ({**year, "quantity": 2.5}, 422, "invalid_value", "quantity"),
        ({**year, "currency": "EUR"}, 422, "price_not_offered", "currency"),
        ({**year, "currency": "XYZ"}, 422, "unknown_currency", "currency"),
        ({**year, "cycle": "2_months"}, 422, "price_not_offered", "cycle"),
        ({**year, "cycle": "week", "currency": "KWD"}, 422, "price_not_offered", "cycle"),
        ({**year, "cycle": "fortnight"}, 422, "invalid_value", "cycle"),
        ({"currency": "USD", "quantity": 10}, 422, "required", "cycle"),
        ({"cycle": "year", "quantity": 10}, 422, "required", "currency"),
        ({**year, "quantity": 5, "version_id": "pver_nope"}, 404, "not_found", "version_id"),
    ]

    answers = [
        client.get(f"/v1/plans/{plan['id']}/quote", params=params, headers=tenant.headers)
        for params, _, _, _ in cases
    ]

    assert _problems(answers) == [
        (status, code, field, [(field, code)]) for _, status, code, field in cases
    ]


def test_quote_of_a_flat_plan_takes_quantity_1(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    terms = {"pricing": "flat", "prices": [{"currency": "USD", "cycle": "month", "amount": 4900}]}
    plan = _plan(client, tenant, code="site", name="Site licence", terms=terms)
    url = f"/v1/plans/{plan['id']}/quote"

    one = client.get(url, params={"cycle": "month", "currency": "USD"}, headers=tenant.headers)
    two = client.get(
        url, params={"cycle": "month", "currency": "USD", "quantity": 2}, headers=tenant.headers
    )

    quote = _ok(one)["quote"]
    assert (quote["per_seat"], quote["total"], quote["formula"]) == (
        False,
        4900,
        "$49.00 × 1 = $49.00",
    )
    _assert_problem(two, 422, "invalid_value", "quantity")


def test_quote_of_a_legacy_version_keeps_its_old_price(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant)
    _edit(client, tenant, plan["id"], {"terms": {"base_prices": {"USD": 1200}}})
    _publish(client, tenant, plan["id"], "never")
    url = f"/v1/plans/{plan['id']}/quote"
    params = {"cycle": "month", "currency": "USD", "quantity": 3}

    legacy = client.get(
        url, params={**params, "version_id": plan["versions"][0]["id"]}, headers=tenant.headers
    )
    current = client.get(url, params=params, headers=tenant.headers)

    # 1000 x 3 = 3000 for the grandfathered subscribers; 1200 x 3 = 3600 for new ones
    assert _ok(legacy)["quote"]["formula"] == "$10.00 × 3 = $30.00"
    assert _ok(current)["quote"]["formula"] == "$12.00 × 3 = $36.00"


def test_quote_of_a_plan_never_published_is_409(client: TestClient, tenant: Tenant) -> None:
    _family(client, tenant)
    plan = _plan(client, tenant, publish=False)

    response = client.get(
        f"/v1/plans/{plan['id']}/quote",
        params={"cycle": "month", "currency": "USD"},
        headers=tenant.headers,
    )

    _assert_problem(response, 409, "not_published", "plan_id")
