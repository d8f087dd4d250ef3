"""What must hold of an organization's money at any quiet moment, checked over the public
HTTP API only (no plansmith import: a bug shared by the product and its checker must not hide
itself). `invariant_violations` reads everything of the key's organization and answers one
line per broken rule; an empty list is a clean bill of health.

What each ledger transaction posts (src/plansmith/domain/invoicing/postings.py, read, not
imported): finalizing an invoice of total T, tax X, customer credit C posts receivable
max(T, 0) - C, customer_credit C + min(T, 0), revenue -(T - X), tax_payable -X; a payment
(card or "mark paid") cash +p, receivable -p, referencing the invoice; a credit note revenue
and tax back, receivable -(the part against what was owed), customer_credit -(the rest),
referencing the note; the balance paying an invoice (balance_applied, referencing
"inv_….n") customer_credit +b, receivable -b; top-ups and overpayments (referencing the
payment) cash +a, customer_credit -a; a refund's card part customer_credit +r, cash -r.
The prepaid balance is the customer_credit account with its sign turned.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.simulation.api_reads import ApiError, every, get
from tests.simulation.webhooks import undelivered_events

__all__ = ["invariant_violations", "undelivered_events"]

OWING = ("open", "uncollectible")
INVOICE_NUMBER = re.compile(r"INV-(\d{6,})")
CREDIT_NOTE_NUMBER = re.compile(r"CN-(\d{6,})")
Json = dict[str, Any]


@dataclass
class Books:
    """Everything read from the API, once."""

    accounts: list[Json] = field(default_factory=list)
    ledgers: dict[str, list[Json]] = field(default_factory=dict)  # account id -> transactions
    invoices: dict[str, Json] = field(default_factory=dict)  # id -> GET /v1/invoices/{id}
    listed: dict[str, Json] = field(default_factory=dict)  # id -> the item of /v1/invoices
    notes: dict[str, list[Json]] = field(default_factory=dict)  # invoice id -> credit notes
    payments: list[Json] = field(default_factory=list)  # /v1/payments
    account_payments: dict[str, list[Json]] = field(default_factory=dict)
    balances: dict[str, Json] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # reads the API answered with an error


def read_books(http: httpx.Client, headers: dict[str, str]) -> Books:
    books = Books(accounts=list(every(http, headers, "/v1/accounts")))
    for account in books.accounts:
        aid = account["id"]
        path = f"/v1/accounts/{aid}"
        # The server's own guards may refuse to show a broken account (a 500): that refusal
        # is reported, and the other checks go on with what could be read.
        try:
            books.ledgers[aid] = list(every(http, headers, f"{path}/ledger"))
        except ApiError as exc:
            books.refused.append(str(exc))
            books.ledgers[aid] = []
        try:
            books.balances[aid] = get(http, headers, f"{path}/balance")
        except ApiError as exc:
            books.refused.append(str(exc))
        books.account_payments[aid] = list(every(http, headers, f"{path}/payments"))
    for item in every(http, headers, "/v1/invoices"):
        books.listed[item["id"]] = item
    for invoice_id in books.listed:
        books.invoices[invoice_id] = get(http, headers, f"/v1/invoices/{invoice_id}")
        notes = every(http, headers, f"/v1/invoices/{invoice_id}/credit_notes")
        books.notes[invoice_id] = list(notes)
    books.payments = list(every(http, headers, "/v1/payments"))
    return books


def invariant_violations(http: httpx.Client, headers: dict[str, str]) -> list[str]:
    """One human-readable line per broken invariant of the key's organization."""
    books = read_books(http, headers)
    return [
        *books.refused,
        *_ledger_balances(books),
        *_receivables(books),
        *_invoice_sums(books),
        *_invoice_dues(books),
        *_numbers(books),
        *_payments(books),
        *_balances(books),
        *_credit_notes(books),
    ]


def _name(invoice: Json) -> str:
    return f"invoice {invoice.get('number') or '(draft)'} ({invoice['id']})"


def _ledger_balances(books: Books) -> list[str]:
    found = []
    for account_id, transactions in books.ledgers.items():
        for txn in transactions:
            sums: Counter[str] = Counter()
            for entry in txn["entries"]:
                sums[entry["currency"]] += entry["amount"]
            found += [
                f"ledger transaction {txn['id']} ({txn['kind']} of {txn['reference']}, account "
                f"{account_id}) does not balance in {currency}: its entries sum to {off}"
                for currency, off in sorted(sums.items())
                if off != 0
            ]
    return found


def _receivables(books: Books) -> list[str]:
    """Per account and currency, the ledger's receivable is what open and uncollectible
    invoices still owe."""
    found = []
    owed: dict[tuple[str, str], int] = defaultdict(int)
    for invoice in books.invoices.values():
        if invoice["status"] in OWING:
            owed[invoice["account_id"], invoice["currency"]] += invoice["totals"]["amount_due"]
    receivable: dict[tuple[str, str], int] = defaultdict(int)
    for account_id, transactions in books.ledgers.items():
        for txn in transactions:
            for e in txn["entries"]:
                if e["account"] == "receivable":
                    receivable[account_id, e["currency"]] += e["amount"]
    for key in sorted(set(owed) | set(receivable)):
        if owed[key] != receivable[key]:
            found.append(
                f"account {key[0]} in {key[1]}: the ledger's receivable is {receivable[key]} "
                f"but its open and uncollectible invoices owe {owed[key]}"
            )
    return found


def _invoice_sums(books: Books) -> list[str]:
    found = []
    for invoice_id, invoice in books.invoices.items():
        t, lines = invoice["totals"], invoice["lines"]
        sums = {
            "subtotal": sum(li["amount"] for li in lines),
            "discount": sum(li["discount"] for li in lines),
            "tax": sum(li["tax"] for li in lines),
            "total": sum(li["total"] for li in lines),
        }
        found += [
            f"{_name(invoice)}: totals.{key} is {t[key]} but its {len(lines)} lines sum to {value}"
            for key, value in sums.items()
            if t[key] != value
        ]
        summary = sum(row["tax"] for row in invoice["tax_summary"])
        if summary != t["tax"]:
            found.append(f"{_name(invoice)}: tax_summary sums to {summary}, totals.tax {t['tax']}")
        listed = books.listed[invoice_id]
        if (listed["status"], listed["totals"]) != (invoice["status"], t):
            found.append(f"{_name(invoice)}: GET /v1/invoices shows it otherwise than its own GET")
    return found


def _invoice_dues(books: Books) -> list[str]:
    """Each finalized invoice owes its positive total, less the credit it used, less what the
    ledger shows paid on it and what its credit notes took off what it owed."""
    paid: Counter[str] = Counter()  # invoice id -> cash the ledger's payments brought
    note_owed: Counter[str] = Counter()  # credit note id -> its part against what was owed
    for transactions in books.ledgers.values():
        for txn in transactions:
            if txn["kind"] == "payment":
                paid[txn["reference"]] += sum(
                    e["amount"] for e in txn["entries"] if e["account"] == "cash"
                )
            elif txn["kind"] == "credit_note":
                note_owed[txn["reference"]] -= sum(
                    e["amount"] for e in txn["entries"] if e["account"] == "receivable"
                )
    found = []
    for invoice_id, invoice in books.invoices.items():
        t = invoice["totals"]
        if invoice["status"] in ("draft", "void"):
            continue
        against = sum(note_owed[n["id"]] for n in books.notes[invoice_id])
        expected = max(t["total"], 0) - t["credit_applied"] - paid[invoice_id] - against
        if t["amount_due"] != expected:
            found.append(
                f"{_name(invoice)} ({invoice['status']}): amount_due {t['amount_due']}, but "
                f"total {t['total']} less credit {t['credit_applied']}, paid "
                f"{paid[invoice_id]} and credit notes {against} leaves {expected}"
            )
        if not 0 <= t["amount_due"] <= max(t["total"], 0):
            found.append(f"{_name(invoice)}: amount_due {t['amount_due']} of total {t['total']}")
        if invoice["status"] == "paid" and t["amount_due"] != 0:
            found.append(f"{_name(invoice)} is paid but owes {t['amount_due']}")
    return found


def _sequence(kind: str, numbers: list[str], pattern: re.Pattern[str]) -> list[str]:
    """The numbers are 1..N, each once (numbers run per organization, without gaps)."""
    found, values = [], []
    for number in numbers:
        match = pattern.fullmatch(number)
        if match is None:
            found.append(f"{kind} number {number!r} is not in the organization's format")
        else:
            values.append(int(match.group(1)))
    counts = Counter(values)
    found += [f"{kind} number {n} is given {c} times" for n, c in sorted(counts.items()) if c > 1]
    missing = sorted(set(range(1, max(values, default=0) + 1)) - set(values))
    if missing:
        found.append(f"{kind} numbers have gaps: {missing[:20]} missing of 1..{max(values)}")
    return found


def _numbers(books: Books) -> list[str]:
    found = []
    for invoice in books.invoices.values():
        finalized = invoice["finalized_at"] is not None
        if finalized != (invoice["number"] is not None):
            found.append(f"{_name(invoice)}: finalized_at and number disagree")
        if invoice["status"] == "draft" and invoice["number"] is not None:
            found.append(f"{_name(invoice)} is a draft with a number")
    numbers = [i["number"] for i in books.invoices.values() if i["number"] is not None]
    notes = [n["number"] for listed in books.notes.values() for n in listed]
    return [
        *found,
        *_sequence("invoice", numbers, INVOICE_NUMBER),
        *_sequence("credit note", notes, CREDIT_NOTE_NUMBER),
    ]


def _payments(books: Books) -> list[str]:
    found = []
    by_account = {p["id"] for listed in books.account_payments.values() for p in listed}
    org_ids = [p["id"] for p in books.payments]
    if len(set(org_ids)) != len(org_ids):
        found.append("GET /v1/payments lists a payment twice")
    if by_account != set(org_ids):
        found.append(
            "GET /v1/payments and the accounts' payment lists disagree: "
            f"{sorted(by_account ^ set(org_ids))[:10]}"
        )
    overpaid: Counter[str] = Counter()  # payment id -> what it brought onto the balance
    for transactions in books.ledgers.values():
        for txn in transactions:
            if txn["kind"] == "overpayment":
                overpaid[txn["reference"]] += sum(
                    e["amount"] for e in txn["entries"] if e["account"] == "cash"
                )
    captured: dict[str, list[Json]] = defaultdict(list)
    refunded: Counter[str] = Counter()
    for p in books.payments:
        if p["status"] == "succeeded" and p["payment_method_id"] and not p["gateway_reference"]:
            found.append(f"payment {p['id']} succeeded at a card with no gateway reference")
        if p["invoice_id"] is None:
            continue
        if p["kind"] == "payment" and p["status"] == "succeeded":
            captured[p["invoice_id"]].append(p)
        elif p["kind"] == "refund" and p["status"] != "failed":
            refunded[p["invoice_id"]] += p["amount"]
    for invoice_id in sorted(set(captured) | set(refunded)):
        invoice = books.invoices.get(invoice_id)
        name = _name(invoice) if invoice else f"invoice {invoice_id} (not listed)"
        charges = captured[invoice_id]
        if len(charges) > 1:
            ids = ", ".join(f"{p['id']} ({p['amount']})" for p in charges)
            found.append(f"{name} was captured {len(charges)} times: {ids}")
        total = sum(p["amount"] for p in charges)
        applied = total - sum(overpaid[p["id"]] for p in charges)
        if invoice is not None and applied > max(invoice["totals"]["total"], 0):
            found.append(f"{name}: {applied} captured on it, more than its total")
        if refunded[invoice_id] > total:
            found.append(f"{name}: {refunded[invoice_id]} refunded to the card of {total} captured")
    return found


def _balances(books: Books) -> list[str]:
    found = []
    for aid, shown in books.balances.items():
        held = -sum(
            e["amount"]
            for txn in books.ledgers[aid]
            for e in txn["entries"]
            if e["account"] == "customer_credit" and e["currency"] == shown["currency"]
        )
        moved = sum(m["amount"] for m in shown["movements"])
        if shown["balance"] < 0:
            found.append(f"account {aid}: its balance is negative ({shown['balance']})")
        if not shown["balance"] == held == moved:
            found.append(
                f"account {aid}: balance {shown['balance']}, its movements sum to {moved}, "
                f"the ledger's customer credit is {held}"
            )
    return found


def _credit_notes(books: Books) -> list[str]:
    found = []
    for invoice_id, notes in books.notes.items():
        invoice = books.invoices[invoice_id]
        credited = sum(n["amount"] for n in notes)
        if credited > max(invoice["totals"]["total"], 0):
            found.append(
                f"{_name(invoice)}: its {len(notes)} credit notes sum to {credited}, more "
                f"than its total {invoice['totals']['total']}"
            )
        found += [
            f"credit note {n['number']} of {_name(invoice)}: tax {n['tax']} of {n['amount']}"
            for n in notes
            if not 0 <= n["tax"] <= n["amount"]
        ]
    return found
