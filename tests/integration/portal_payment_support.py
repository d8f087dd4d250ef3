"""Shared by portal tests whose change charges now: since such a change is confirmed by
paying for it (the payment step), they pay with a saved sandbox card that succeeds."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from plansmith.application.payments.methods import add_card
from plansmith.bootstrap import Plansmith
from plansmith.domain.accounts.account import Account


def pay_for_change(
    client: TestClient, container: Plansmith, account: Account, family: str, form: dict[str, str]
) -> Response:
    """``form``: the reviewed change's fields with its ``expect`` and the CSRF token. A card
    that succeeds is saved for the account, the payment step opened and Pay posted; the
    response to Pay (a 303 to the Plans page when paid), not followed."""
    org = account.organization_id
    card = add_card(
        container.uow(),
        container.gateway_for(org),
        container.clock,
        org,
        account.id,
        source="tok_sandbox_success",
    ).method
    step = client.post(f"/portal/plans/{family}/confirm", data=form)
    match = re.search(r'name="attempt" value="([^"]+)"', step.text)
    assert step.status_code == 200 and match, step.text
    paid = {**form, "attempt": match.group(1), "pay_with": card.id}
    done: Response = client.post(f"/portal/plans/{family}/pay", data=paid, follow_redirects=False)
    return done
