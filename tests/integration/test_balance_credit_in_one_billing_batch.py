"""With no grace period the billing run finalizes a batch's invoices as it makes them: a
cancellation's credit made in the batch still pays the account's older open invoice before an
invoice made after it in the same batch (ADR 0037), whatever order the batch has.

On SQLite and PostgreSQL, under a sandbox's test clock, with the real sandbox gateway."""

from __future__ import annotations

from datetime import UTC, datetime

from plansmith.application.subscriptions.actions import cancel_subscription
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from tests.integration.payment_scenarios_support import (
    DAY,
    advance,
    balance,
    customer,
    head,
    invoices,
    monthly,
    org_clock,
    sandbox_at,
    sub_status,
    subscribed,
)

T0 = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
PLANS = {"pro": monthly({"USD": 50000}), "basic": monthly({"USD": 3100})}
ACCOUNTS = 5  # each batch orders the two subscriptions its own way: all must agree


def test_a_credit_made_in_the_batch_pays_the_older_failing_invoice_first(
    container: Plansmith,
) -> None:
    org = sandbox_at(container, T0, PLANS)
    accounts = [
        customer(container, org, "USD", "UTC", "tok_sandbox_insufficient_funds", name=f"A{n}")
        for n in range(ACCOUNTS)
    ]
    pro = {a: subscribed(container, org, a, "pro") for a in accounts}
    advance(container, org, T0)  # each April invoice declined: dunning
    canceled_at = T0 + 5 * DAY  # Apr 6: 25 of April's 30 days unused
    advance(container, org, canceled_at)
    basic = {}
    for account in accounts:
        cancel_subscription(container.uow(), org_clock(container, org), org, pro[account], "now")
        basic[account] = subscribed(container, org, account, "basic")

    advance(container, org, canceled_at)  # one batch: the credit and the new invoice

    # 500.00 x 25/30 = 416.67 credited, all of it to April's invoice, which owes 83.33; the
    # new invoice takes none of it and is declined.
    by_account: dict[str, list[Invoice]] = {}
    for i in invoices(container, org):
        by_account.setdefault(i.account_id, []).append(i)
    for account in accounts:
        rows = sorted(
            (head(i)[1:] for i in by_account[account] if i.totals.total != 0),
            key=lambda row: -abs(int(str(row[1]))),
        )
        assert rows == [
            ("open", 50000, 41667, 8333),
            ("paid", -41667, 0, 0),
            ("open", 3100, 0, 3100),
        ]
        assert balance(container, account, "USD") == 0
        assert sub_status(container, org, basic[account]) == "past_due"
