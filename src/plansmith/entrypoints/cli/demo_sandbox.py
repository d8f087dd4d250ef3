"""The demo's sandbox: an organization of its own, owned by the demo organization, whose test
clock has run a few months, so past invoices, a paid one, prorations and credits are there to
see in its console and portal without running anything.

Its story, each step at the sandbox's own instant: three customers subscribe four months ago
(a trial among them); the clock runs 40 days (renewals, invoices finalized after their
grace); then Sakura buys 20 more seats at once (a prorated charge), Northwind cancels at once
(the rest of its period credited), Sakura's first invoice is marked paid and Gulf's first one
gets a goodwill credit note; then the clock runs to the wall clock's now. Gulf has a sandbox
test card from the start, so its invoices are charged as they are issued.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.application.billing import test_clocks
from plansmith.application.invoicing import invoices
from plansmith.application.organizations import organizations as orgs
from plansmith.application.organizations import sandboxes
from plansmith.application.payments import clock as payment_clock
from plansmith.application.payments.methods import add_card
from plansmith.application.payments.refunds import credit_invoice
from plansmith.application.screens.invoices import account_invoices
from plansmith.application.subscriptions.actions import (
    ChangeInput,
    cancel_subscription,
    change_subscription,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.cli.clock import later_by

LABEL = "Demo SaaS sandbox"
OPERATOR_EMAIL = "sandbox@demo.plansmith.dev"
MONTHS_RUN = 4
# external id, plan, quantity, add-ons, trial (None: the plan's)
STORY: list[tuple[str, str, int | None, dict[str, int], bool | None]] = [
    ("cus-001", "contact-center-2", 100, {}, False),
    ("cus-002", "chat-business", 5, {"ai-assistant": 1}, False),
    ("cus-004", "mailbox-silver", None, {}, None),  # a 30-day trial, then paid months
]
DEMO_CARD = "tok_sandbox_success"  # docs/payments-sandbox.md
GOODWILL = "Goodwill: the mail scanner was down for a day"


def find(container: Plansmith, owner_id: str) -> Organization | None:
    page = sandboxes.list_sandboxes(container.uow(), owner_id, limit=100)
    return next((o for o in page.items if o.name.startswith(f"{LABEL} (")), None)


def started_at(now: datetime) -> datetime:
    """A few months before now, at midnight UTC: where the sandbox's story begins."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    year, month = divmod(day.month - 1 - MONTHS_RUN, 12)
    year += day.year
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def make(container: Plansmith, owner_id: str) -> tuple[Organization, str]:
    made = sandboxes.create_sandbox(
        container.uow(),
        container.clock,
        owner_id,
        label=LABEL,
        start=started_at(container.clock.now()),
    )
    return made.organization, made.key.secret


def run_story(container: Plansmith, sandbox: Organization, accounts: dict[str, str]) -> None:
    """Subscribe, bill 40 days, change and cancel, credit, bill up to now (see above)."""
    uow, org = container.uow, sandbox.id
    subscriptions: dict[str, str] = {}
    # Gulf pays by card: its invoices are charged as they are issued (the sandbox's test card).
    clock = test_clocks.organization_clock(uow(), container.clock, org)
    add_card(uow(), container.gateway_for(org), clock, org, accounts["cus-004"], source=DEMO_CARD)
    for external_id, plan, quantity, add_ons, trial in STORY:
        data = SubscribeInput(
            accounts[external_id], plan, "month", quantity, add_ons=add_ons, trial=trial
        )
        clock = test_clocks.organization_clock(uow(), container.clock, org)
        result = subscribe(uow(), clock, org, data)
        subscriptions[external_id] = result.view.subscription.id
    _advance(container, org, "40d")
    clock = test_clocks.organization_clock(uow(), container.clock, org)
    change_subscription(
        uow(), clock, org, subscriptions["cus-001"], ChangeInput(quantity=120, when="now")
    )
    cancel_subscription(uow(), clock, org, subscriptions["cus-002"], "now")
    first = _first_invoice(container, org, accounts["cus-001"])
    if first is not None and first.status is InvoiceStatus.OPEN:
        invoices.mark_paid(uow(), clock, org, first.id)
    gulf = _first_invoice(container, org, accounts["cus-004"])
    if gulf is not None and gulf.totals.total > 0:
        amount = max(gulf.totals.total // 10, 1)
        credit_invoice(uow(), clock, org, gulf.id, amount, GOODWILL)
    now = container.clock.now()
    payment_clock.advance_clock(
        uow(), container.gateway_for(org), org, now, container.invoice_grace, watch=container.watch
    )


def _advance(container: Plansmith, org: str, span: str) -> None:
    at = test_clocks.sandbox_of(container.uow(), org).test_clock_at
    assert at is not None
    to = later_by(at, span)
    payment_clock.advance_clock(
        container.uow(),
        container.gateway_for(org),
        org,
        to,
        container.invoice_grace,
        watch=container.watch,
    )


def _first_invoice(container: Plansmith, org: str, account_id: str) -> Invoice | None:
    past = account_invoices(container.uow(), container.clock, org, account_id, timedelta(0)).past
    return past[-1] if past else None


def summary(
    container: Plansmith, sandbox: Organization, accounts: dict[str, str]
) -> tuple[int, int]:
    """How many finalized invoices the sandbox's customers have, and credit notes."""
    count = notes = 0
    for account_id in accounts.values():
        past = account_invoices(
            container.uow(), container.clock, sandbox.id, account_id, timedelta(0)
        ).past
        count += len(past)
        with container.uow() as uow:
            notes += sum(len(uow.invoices.credit_notes(i.id)) for i in past)
    return count, notes


def operator(container: Plansmith, sandbox: Organization, password: str) -> None:
    with container.uow() as uow:
        exists = uow.operators.find_by_email(OPERATOR_EMAIL) is not None
    if not exists:
        orgs.create_operator(container.uow(), container.clock, sandbox.id, OPERATOR_EMAIL, password)
