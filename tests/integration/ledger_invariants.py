"""The ledger invariants, checked with plain SQL over the billing tables (never through the
code under test), so a bug in the repositories or postings cannot hide itself:

1. every ledger transaction sums to zero in each currency;
2. every invoice's subtotal, discount, tax and total are the sums of its lines' amount,
   discount, tax and total;
3. for each customer account and currency, the receivable balance is what its open and
   uncollectible invoices still owe (their amount_due).

A database with no invoice and no ledger row costs one cheap query.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

_ANY_ROWS = text("SELECT 1 FROM invoices UNION ALL SELECT 1 FROM ledger_transactions LIMIT 1")

_UNBALANCED = text(
    """
    SELECT t.id, t.kind, t.reference, e.currency, SUM(e.amount) AS off, COUNT(*) AS n
    FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
    GROUP BY t.id, t.kind, t.reference, e.currency
    HAVING SUM(e.amount) <> 0
    ORDER BY t.id, e.currency
    """
)

_INVOICE_SUMS = text(
    """
    SELECT i.id, i.number, i.subtotal, i.discount, i.tax, i.total,
           COALESCE(SUM(l.amount), 0) AS amount, COALESCE(SUM(l.discount), 0) AS discount_sum,
           COALESCE(SUM(l.tax), 0) AS tax_sum, COALESCE(SUM(l.total), 0) AS total_sum,
           COUNT(l.invoice_id) AS n
    FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
    GROUP BY i.id, i.number, i.subtotal, i.discount, i.tax, i.total
    HAVING i.subtotal <> COALESCE(SUM(l.amount), 0)
        OR i.discount <> COALESCE(SUM(l.discount), 0)
        OR i.tax <> COALESCE(SUM(l.tax), 0)
        OR i.total <> COALESCE(SUM(l.total), 0)
    ORDER BY i.id
    """
)

# Both sides in one pass, so an account with only ledger rows or only invoices is compared too.
_RECEIVABLES = text(
    """
    SELECT account_id, currency, SUM(ledger) AS receivable, SUM(due) AS owed
    FROM (
        SELECT account_id, currency, amount AS ledger, 0 AS due
        FROM ledger_entries WHERE ledger_account = 'receivable'
        UNION ALL
        SELECT account_id, currency, 0 AS ledger, amount_due AS due
        FROM invoices WHERE status IN ('open', 'uncollectible')
    ) AS sides
    GROUP BY account_id, currency
    HAVING SUM(ledger) <> SUM(due)
    ORDER BY account_id, currency
    """
)

_OWING = text(
    """
    SELECT COALESCE(number, id) AS name, status, amount_due FROM invoices
    WHERE account_id = :account AND currency = :currency
      AND status IN ('open', 'uncollectible')
    ORDER BY created_at, id
    """
)


def ledger_violations(connection: Connection) -> list[str]:
    """Each broken invariant, naming the transaction, invoice or account and the figures."""
    if connection.execute(_ANY_ROWS).first() is None:
        return []
    found = [
        f"ledger transaction {r.id} ({r.kind} of {r.reference}) does not balance in "
        f"{r.currency}: its {r.n} entries sum to {int(r.off)}, not 0"
        for r in connection.execute(_UNBALANCED)
    ]
    for r in connection.execute(_INVOICE_SUMS):
        pairs = [
            ("subtotal", r.subtotal, r.amount, "amounts"),
            ("discount", r.discount, r.discount_sum, "discounts"),
            ("tax", r.tax, r.tax_sum, "taxes"),
            ("total", r.total, r.total_sum, "totals"),
        ]
        off = "; ".join(
            f"{name} {int(stored)} but the lines' {what} sum to {int(summed)}"
            for name, stored, summed, what in pairs
            if int(stored) != int(summed)
        )
        found.append(f"invoice {r.number or '(draft)'} ({r.id}, {r.n} lines): {off}")
    for r in connection.execute(_RECEIVABLES):
        owing = connection.execute(_OWING, {"account": r.account_id, "currency": r.currency})
        listed = ", ".join(f"{o.name} {o.status} {int(o.amount_due)}" for o in owing) or "none"
        found.append(
            f"account {r.account_id} in {r.currency}: receivable balance {int(r.receivable)} "
            f"but its open and uncollectible invoices owe {int(r.owed)} ({listed})"
        )
    return found


def assert_ledger_invariants(engine: Engine) -> None:
    with engine.connect() as connection:
        found = ledger_violations(connection)
    assert not found, "ledger invariants broken:\n" + "\n".join(found)
