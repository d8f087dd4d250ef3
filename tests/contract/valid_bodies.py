"""Request bodies the server can accept, per operation, for the schemathesis run.

Bodies drawn from the document alone are almost never accepted (a currency must exist, a plan
code must be one of the organization's), so the answers of successful writes would go
unchecked. Half the bodies of these operations are drawn here instead: right in kind, with
numbers anywhere from the smallest to far past any price or seat count a business has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

Ids = dict[str, list[str]]
Strategy = st.SearchStrategy[dict[str, Any]]

NUMBER = st.one_of(st.integers(0, 100_000), st.integers(0, 2**70))
COUNT = st.one_of(st.integers(1, 100), st.integers(1, 2**63))
SUFFIX = st.integers(0, 10**9)
CURRENCY = st.sampled_from(["USD", "JPY", "EUR", "KWD"])
TEXT = st.text(min_size=1, max_size=40)


def _pick(ids: Ids, kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from(ids[kind]) if ids.get(kind) else st.just(f"no-{kind}")


def _account(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {
            "name": TEXT,
            "email": SUFFIX.map(lambda n: f"billing{n}@example.com"),
            "currency": CURRENCY,
        },
        optional={"time_zone": st.sampled_from(["UTC", "Asia/Tokyo"]), "tax_id": TEXT},
    )


def _address(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {"name": TEXT, "line1": TEXT, "city": TEXT, "country": st.sampled_from(["JP", "US"])},
        optional={"default": st.booleans(), "postal_code": st.text(max_size=10)},
    )


def _family(ids: Ids) -> Strategy:
    return st.fixed_dictionaries({"code": SUFFIX.map(lambda n: f"fam-{n}"), "name": TEXT})


def _terms() -> Strategy:
    return st.fixed_dictionaries(
        {"base_prices": st.dictionaries(CURRENCY, NUMBER, min_size=1)},
        optional={"min_seats": COUNT, "trial_days": st.integers(0, 730)},
    )


def _plan(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {
            "code": SUFFIX.map(lambda n: f"plan-{n}"),
            "name": TEXT,
            "family": _pick(ids, "family_code"),
            "terms": _terms(),
        },
        optional={"publish": st.booleans(), "rank": st.integers(0, 1000)},
    )


def _prices() -> st.SearchStrategy[list[dict[str, Any]]]:
    price = st.fixed_dictionaries(
        {"currency": CURRENCY, "cycle": st.sampled_from(["month", "year"]), "amount": NUMBER}
    )
    return st.lists(price, min_size=1, max_size=3)


def _add_on(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {"code": SUFFIX.map(lambda n: f"addon-{n}"), "name": TEXT, "prices": _prices()},
        optional={"quantity_allowed": st.booleans()},
    )


def _pack(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {
            "code": SUFFIX.map(lambda n: f"pack-{n}"),
            "name": TEXT,
            "prices": st.dictionaries(CURRENCY, NUMBER, min_size=1),
            "allowance": st.just("chatbot_sessions"),
            "amount": COUNT,
        }
    )


def _subscription(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {"account_id": _pick(ids, "account_id"), "plan": _pick(ids, "plan_code")},
        optional={"quantity": COUNT, "cycle": st.sampled_from(["month", "year"])},
    )


def _change(ids: Ids) -> Strategy:
    return st.one_of(
        st.fixed_dictionaries({"quantity": COUNT}),
        st.fixed_dictionaries({"plan": _pick(ids, "plan_code")}),
        st.fixed_dictionaries({"cycle": st.sampled_from(["month", "year"])}),
    ).flatmap(
        lambda body: st.fixed_dictionaries(
            {k: st.just(v) for k, v in body.items()},
            optional={"when": st.sampled_from(["now", "term_end"])},
        )
    )


def _cancel(ids: Ids) -> Strategy:
    return st.fixed_dictionaries({"when": st.sampled_from(["now", "term_end"])})


def _coupon(ids: Ids) -> Strategy:
    code = SUFFIX.map(lambda n: f"coupon-{n}")
    percent = st.fixed_dictionaries(
        {"code": code, "name": TEXT, "kind": st.just("percent"), "percent": st.just("15")}
    )
    amount = st.fixed_dictionaries(
        {
            "code": code,
            "name": TEXT,
            "kind": st.just("amount"),
            "amounts": st.dictionaries(CURRENCY, NUMBER, min_size=1),
        }
    )
    return st.one_of(percent, amount)


SANDBOX_TOKENS = st.sampled_from(
    ["tok_sandbox_success", "tok_sandbox_insufficient_funds", "tok_sandbox_timeout_succeeded"]
)
SANDBOX_CARDS = st.sampled_from(["4242424242424242", "4000000000009995", "4000000000000002"])


def _payment_method(ids: Ids) -> Strategy:
    card = st.fixed_dictionaries(
        {
            "number": SANDBOX_CARDS,
            "exp_month": st.integers(1, 12),
            "exp_year": st.integers(2027, 2060),
            "cvc": st.just("123"),
        }
    )
    return st.one_of(
        st.fixed_dictionaries({"source": SANDBOX_TOKENS}, optional={"make_default": st.booleans()}),
        st.fixed_dictionaries({"card": card}),
    )


def _dunning_policy(ids: Ids) -> Strategy:
    days = st.lists(st.integers(1, 20), min_size=1, max_size=4, unique=True).map(sorted)
    stage = st.tuples(st.integers(0, 30), st.sampled_from(["notify", "restrict", "cancel_now"]))
    return st.fixed_dictionaries(
        {},
        optional={
            "retry_days": days,
            "stages": st.lists(stage, max_size=2).map(
                lambda found: [{"after_days": d, "action": a} for d, a in sorted(found)]
            ),
            "after_last": st.sampled_from(["canceled", "cancel_at_term_end", "past_due"]),
        },
    )


def _meter(ids: Ids) -> Strategy:
    counted = st.fixed_dictionaries({"aggregation": st.just("count")})
    read = st.fixed_dictionaries(
        {"aggregation": st.sampled_from(["sum", "max", "unique_count"]), "property": st.just("n")}
    )
    return st.tuples(SUFFIX, TEXT, st.one_of(counted, read)).map(
        lambda found: (
            {"code": f"m-{found[0]}", "name": found[1], "event_code": "api_call"} | found[2]
        )
    )


def _usage_event(ids: Ids) -> Strategy:
    return st.fixed_dictionaries(
        {
            "id": st.text(min_size=1, max_size=200),
            "account_id": _pick(ids, "account_id"),
            "code": st.just("api_call"),
            "timestamp": st.sampled_from(["2026-02-01T09:30:00+09:00", "2026-01-15T00:00:00Z"]),
        },
        optional={"properties": st.fixed_dictionaries({"n": NUMBER})},
    )


def _webhook_endpoint(ids: Ids) -> Strategy:
    # An address on the Internet: never contacted by the test, and not refused by the guard.
    return st.fixed_dictionaries(
        {"url": SUFFIX.map(lambda n: f"https://93.184.215.14/hooks/{n}")},
        optional={
            "event_types": st.sampled_from([["payment.succeeded"], ["invoice.finalized"]]),
            "description": TEXT,
        },
    )


VALID_BODIES: dict[str, Callable[[Ids], Strategy]] = {
    "POST /v1/accounts": _account,
    "PATCH /v1/accounts/{account_id}": lambda ids: st.fixed_dictionaries({"name": TEXT}),
    "POST /v1/accounts/{account_id}/invoice_addresses": _address,
    "PATCH /v1/accounts/{account_id}/invoice_addresses/{address_id}": _address,
    "POST /v1/portal_sessions": lambda ids: st.fixed_dictionaries(
        {"account_id": _pick(ids, "account_id"), "expires_in": st.integers(60, 604800)}
    ),
    "POST /v1/plan_families": _family,
    "POST /v1/plans": _plan,
    "PATCH /v1/plans/{plan_id}": lambda ids: st.fixed_dictionaries({"rank": st.integers(0, 1000)}),
    "PATCH /v1/plans/{plan_id}/draft": lambda ids: st.fixed_dictionaries({"terms": _terms()}),
    "POST /v1/plans/{plan_id}/publish": lambda ids: st.fixed_dictionaries(
        {"apply_to_existing": st.sampled_from(["never", "at_renewal", "now"])}
    ),
    "POST /v1/add_ons": _add_on,
    "PATCH /v1/add_ons/{add_on_id}": lambda ids: st.fixed_dictionaries({"prices": _prices()}),
    "POST /v1/extra_packs": _pack,
    "PATCH /v1/extra_packs/{pack_id}": lambda ids: st.fixed_dictionaries({"amount": COUNT}),
    "POST /v1/subscriptions": _subscription,
    "POST /v1/subscriptions/{subscription_id}/changes": _change,
    "POST /v1/subscriptions/{subscription_id}/changes/preview": _change,
    "POST /v1/subscriptions/{subscription_id}/cancel": _cancel,
    "POST /v1/subscriptions/{subscription_id}/cancel/preview": _cancel,
    "POST /v1/tax_rates": lambda ids: st.fixed_dictionaries(
        {"name": TEXT, "percent": st.sampled_from(["10", "8", "7.5"])},
        optional={"country": st.sampled_from(["JP", "US"]), "inclusive": st.booleans()},
    ),
    "POST /v1/coupons": _coupon,
    "POST /v1/subscriptions/{subscription_id}/coupons": lambda ids: st.fixed_dictionaries(
        {"code": _pick(ids, "coupon_code")}
    ),
    "POST /v1/invoices/{invoice_id}/credit_notes": lambda ids: st.fixed_dictionaries(
        {"amount": COUNT, "reason": TEXT}
    ),
    "POST /v1/accounts/{account_id}/payment_methods": _payment_method,
    "POST /v1/accounts/{account_id}/top_ups": lambda ids: st.fixed_dictionaries(
        {"amount": st.one_of(st.integers(1, 100_000), NUMBER), "currency": CURRENCY}
    ),
    "POST /v1/invoices/{invoice_id}/refunds": lambda ids: st.fixed_dictionaries(
        {"amount": st.one_of(st.integers(1, 1000), COUNT), "reason": TEXT}
    ),
    "POST /v1/organization/dunning_policy": _dunning_policy,
    "POST /v1/webhook_endpoints": _webhook_endpoint,
    "PATCH /v1/webhook_endpoints/{endpoint_id}": lambda ids: st.fixed_dictionaries(
        {}, optional={"enabled": st.booleans(), "description": TEXT}
    ),
    "POST /v1/webhook_endpoints/{endpoint_id}/rotate_secret": lambda ids: st.fixed_dictionaries(
        {}, optional={"overlap_seconds": st.integers(0, 604800)}
    ),
    "POST /v1/accounts/{account_id}/collection": lambda ids: st.fixed_dictionaries(
        {"method": st.sampled_from(["charge_automatically", "send_invoice"])},
        optional={"net_days": st.integers(0, 365)},
    ),
    "POST /v1/meters": _meter,
    "POST /v1/events": _usage_event,
    "POST /v1/events/batch": lambda ids: st.fixed_dictionaries(
        {"events": st.lists(_usage_event(ids), max_size=5)}
    ),
    "POST /v1/organization/usage_settings": lambda ids: st.fixed_dictionaries(
        {"event_grace_seconds": st.integers(0, 604800)}
    ),
    "POST /v1/subscriptions/{subscription_id}/packs": lambda ids: st.fixed_dictionaries(
        {"pack": _pick(ids, "pack_code")}, optional={"quantity": COUNT}
    ),
}
