"""The product's invoices against the model's: each invoice made at its instant with its
lines, total and status, paired by subscription and instant (and by lines when several were
made at one instant), and what the account's cards paid."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from tests.simulation.calendar import iso
from tests.simulation.model import Account, Invoice

if TYPE_CHECKING:
    from tests.simulation.driver import Driver


class Difference(AssertionError):
    """The product and the model disagree (or an invariant broke)."""


def compare_account_invoices(driver: Driver, account: Account) -> None:
    """An account's invoices: when each was made, its status, lines and total; and what its
    cards paid."""
    aid = driver.account_ids[account.index]
    product = driver.listed("/v1/invoices", {"account_id": aid})
    made: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for got in product:
        made.setdefault((got["subscription_id"], got["created_at"]), []).append(got)
    mine = [i for i in driver.model.invoices if i.sub.account is account]
    if len(product) != len(mine):
        raise Difference(
            f"account {account.index}: {len(product)} invoices, the model "
            f"{len(mine)} ({[iso(i.created) for i in mine]} vs "
            f"{sorted(k[1] for k in made)})"
        )
    for invoice in mine:  # invoices made at one instant are told apart by their lines
        key = (driver.sub_ids[id(invoice.sub)], iso(invoice.created))
        same = made.get(key, [])
        if not same:
            raise Difference(
                f"account {account.index}: no invoice made at {key[1]} "
                f"(made: {sorted(k[1] for k in made)})"
            )
        got = matching(same, invoice)
        same.remove(got)
        _compare_invoice(got, invoice)
    paid = sum(
        p["amount"]
        for p in driver.listed(f"/v1/accounts/{aid}/payments")
        if p["status"] == "succeeded" and p["kind"] in ("payment", "top_up")
    )
    if paid != account.card_charged:
        raise Difference(
            f"account {account.index}: cards captured {paid}, the model {account.card_charged}"
        )


def _compare_invoice(got: dict[str, Any], invoice: Invoice) -> None:
    lines, want = _lines(got), _wanted(invoice)
    if lines != want or got["totals"]["total"] != invoice.total:
        raise Difference(
            f"invoice {got['id']} made {got['created_at']}: lines "
            f"{sorted(lines.elements())} total {got['totals']['total']}, the model "
            f"{sorted(want.elements())} total {invoice.total}"
        )
    if got["status"] != invoice.status:
        raise Difference(f"invoice {got['id']}: {got['status']}, the model {invoice.status}")


def matching(same: list[dict[str, Any]], invoice: Invoice) -> dict[str, Any]:
    """Of the product's invoices made at one instant for one subscription, the model's:
    the one with its lines, else its total. Several may have one total (two of 0 at a stop:
    its usage line, and a credit and charge that cancel out)."""
    by_total = (g for g in same if g["totals"]["total"] == invoice.total)
    return next((g for g in same if _lines(g) == _wanted(invoice)), next(by_total, same[0]))


def _lines(got: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    """A product invoice's lines as the model's items are compared."""
    return Counter(
        (
            line["kind"],
            line["amount"],
            line["period_start"],
            line["period_end"],
            (line["usage"] or {}).get("quantity", ""),
            (line["usage"] or {}).get("allowance"),
            line["tax"],
        )
        for line in got["lines"]
    )


def _wanted(invoice: Invoice) -> Counter[tuple[Any, ...]]:
    return Counter((*i.key(), i.quantity, i.allowance, invoice.tax(i)) for i in invoice.items)
