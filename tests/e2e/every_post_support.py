"""The pages a person reaches by sending a form: every POST route of the portal and the console
is either walked here (opened at a page, its form filled and sent in the browser, as a person
would) or named in NO_PAGE with the reason it answers no page of its own. A POST route added
tomorrow fails the walk until it is put in one or the other. The error pages a person can land
on (not found, a link that expired) are walked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, Response

from tests.e2e.every_page_support import AREAS
from tests.integration.route_calls import PARAM, api_routes


@dataclass(frozen=True)
class Send:
    """One form sent in the page: the one whose submit button posts to ``action`` (a route's
    path, parameters in braces) and whose own fields hold ``has``; ``fill`` is what a person
    types or picks before sending."""

    action: str
    has: dict[str, str] = field(default_factory=dict)
    fill: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Posted:
    """A page answering a POST: open ``start``, send each form in turn, check the last page."""

    label: str
    start: str
    sends: tuple[Send, ...]
    status: int = 200
    params: dict[str, str] = field(default_factory=dict)  # path values other than the world's
    signed_in: bool = True

    @property
    def route(self) -> str:
        return self.sends[-1].action


PORTAL_PLAN = "/portal/plans/{family_code}"
CUSTOMER_PLAN = "/console/customers/{account_id}/plans/{family_code}"
PAUSED, CANCELED = {"family_code": "extra-0"}, {"family_code": "extra-1"}
BIGGER = {"plan": "bravo-enterprise", "quantity": "3"}
STALE = {"expect": "figures-that-changed"}  # what another tab's change does to the review
# A new card the sandbox declines (do_not_honor): the payment step shown again with why.
DECLINED_CARD = {
    "pay_with": "new_card",
    "number": "4000 0000 0000 0002",
    "exp_month": "12",
    "exp_year": "2030",
    "cvc": "123",
}


def _stop(action: str, params: dict[str, str] | None = None) -> Posted:
    send = Send(f"{CUSTOMER_PLAN}/stop", has={"action": action})
    return Posted(
        f"console-stop-{action}", "/console/customers/{account_id}", (send,), 200, params or {}
    )


POSTED: tuple[Posted, ...] = (
    # -- the portal --
    Posted(
        "portal-address-add-errors",
        "/portal/",
        (Send("/portal/addresses", fill={"name": "", "line1": ""}),),
        422,
    ),
    Posted(
        "portal-address-update-errors",
        "/portal/",
        (Send("/portal/addresses/{address_id}", fill={"name": "", "city": ""}),),
        422,
    ),
    Posted(
        "portal-cancel-now",
        "/portal/plans?family={family_code}",
        (Send(f"{PORTAL_PLAN}/cancel", has={"when": "now"}),),
    ),
    Posted(
        "portal-resume",
        "/portal/plans?family={family_code}",
        (Send(f"{PORTAL_PLAN}/reactivate"),),
        params=PAUSED,
    ),
    Posted(
        "portal-reactivate",
        "/portal/plans?family={family_code}",
        (Send(f"{PORTAL_PLAN}/reactivate"),),
        params=CANCELED,
    ),
    Posted(
        "portal-change-total",
        f"{PORTAL_PLAN}/change",
        (Send(f"{PORTAL_PLAN}/change", fill=BIGGER),),
    ),
    Posted(
        "portal-change-review",
        f"{PORTAL_PLAN}/change",
        (Send(f"{PORTAL_PLAN}/review", fill=BIGGER),),
    ),
    Posted(  # the world's Telegram add-on (EUR, monthly) fits the service plan: added
        "portal-packages-review",
        f"{PORTAL_PLAN}/packages",
        (Send(f"{PORTAL_PLAN}/packages/review", has={"add_on": "telegram"}),),
    ),
    Posted(
        "portal-change-review-errors",
        f"{PORTAL_PLAN}/change",
        (Send(f"{PORTAL_PLAN}/review", fill={"quantity": "0"}),),
        422,
    ),
    Posted(
        "portal-change-confirm-moved",
        f"{PORTAL_PLAN}/change",
        (Send(f"{PORTAL_PLAN}/review", fill=BIGGER), Send(f"{PORTAL_PLAN}/confirm", fill=STALE)),
        409,
    ),
    Posted(
        "portal-change-pay-declined",
        f"{PORTAL_PLAN}/change",
        (
            Send(f"{PORTAL_PLAN}/review", fill=BIGGER),
            Send(f"{PORTAL_PLAN}/confirm"),
            Send(f"{PORTAL_PLAN}/pay", fill=DECLINED_CARD),
        ),
        402,
    ),
    Posted(
        "portal-card-errors",
        "/portal/payment-methods",
        (
            Send(
                "/portal/payment-methods",
                fill={"number": "4242 4242 4242 4241", "exp_month": "1", "exp_year": "2020"},
            ),
        ),
        422,
    ),
    Posted(
        "portal-card-remove-asks",
        "/portal/payment-methods",
        (Send("/portal/payment-methods/{method_id}/remove"),),
    ),
    Posted(
        "portal-top-up-errors",
        "/portal/balance",
        (Send("/portal/balance/top-up", fill={"amount": "0"}),),
        422,
    ),
    Posted(
        "portal-pay-review",
        "/portal/invoices/{invoice_id}/pay",
        (Send("/portal/invoices/{invoice_id}/pay/review"),),
    ),
    Posted(
        "portal-pay-moved",
        "/portal/invoices/{invoice_id}/pay",
        (
            Send("/portal/invoices/{invoice_id}/pay/review"),
            Send("/portal/invoices/{invoice_id}/pay", fill=STALE),
        ),
        409,
    ),
    # -- the console --
    Posted(
        "console-login-refused",
        "/console/login",
        (Send("/console/login", fill={"email": "ops@every-page.example", "password": "wrong"}),),
        401,
        signed_in=False,
    ),
    Posted(
        "console-portal-link",
        "/console/customers/{account_id}",
        (Send("/console/customers/{account_id}/portal-link"),),
    ),
    Posted(
        "console-plan-charges-errors",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/charges", fill={"charges": "[{"}),),
        422,
    ),
    Posted(
        "console-plan-draft-errors",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/draft", fill={"name": ""}),),
        422,
    ),
    Posted(
        "console-plan-publish",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/publish", fill={"apply_to_existing": "now"}),),
    ),
    Posted(
        "console-plan-copy-errors",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/copy", fill={"name": "", "code": "Not A Code!"}),),
        422,
    ),
    Posted(
        "console-plan-rename-errors",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/rename", fill={"name": ""}),),
        422,
    ),
    Posted(
        "console-plan-archive",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/archive"),),
    ),
    Posted(
        "console-plan-discard",
        "/console/plans/{plan_id}",
        (Send("/console/plans/{plan_id}/discard-draft"),),
    ),
    Posted(
        "console-invoice-void",
        "/console/invoices/{invoice_id}",
        (Send("/console/invoices/{invoice_id}/{action}"),),
        params={"action": "void"},
    ),
    Posted(
        "console-invoice-mark-paid",
        "/console/invoices/{invoice_id}",
        (Send("/console/invoices/{invoice_id}/{action}"),),
        params={"action": "mark-paid"},
    ),
    Posted(
        "console-customer-change-total",
        f"{CUSTOMER_PLAN}/change",
        (Send(f"{CUSTOMER_PLAN}/change", fill=BIGGER),),
    ),
    Posted(
        "console-customer-review",
        f"{CUSTOMER_PLAN}/change",
        (Send(f"{CUSTOMER_PLAN}/review", fill=BIGGER),),
    ),
    Posted(
        "console-customer-review-errors",
        f"{CUSTOMER_PLAN}/change",
        (Send(f"{CUSTOMER_PLAN}/review", fill={"quantity": "0"}),),
        422,
    ),
    Posted(
        "console-customer-confirm-moved",
        f"{CUSTOMER_PLAN}/change",
        (
            Send(f"{CUSTOMER_PLAN}/review", fill=BIGGER),
            Send(f"{CUSTOMER_PLAN}/confirm", fill=STALE),
        ),
        409,
    ),
    _stop("cancel_now"),
    _stop("cancel_at_term_end"),
    _stop("pause"),
    _stop("resume", PAUSED),
    _stop("reactivate", CANCELED),
    Posted(
        "console-api-key-created",
        "/console/api-keys",
        (Send("/console/api-keys", fill={"name": "Walked key"}),),
    ),
    Posted(
        "console-api-key-errors",
        "/console/api-keys",
        (Send("/console/api-keys", fill={"name": ""}),),
        422,
    ),
    # The refused roll first: once rolled, the key offers no roll.
    Posted(
        "console-api-key-roll-errors",
        "/console/api-keys/{key_id}/roll",
        (Send("/console/api-keys/{key_id}/roll", fill={"overlap": "forever"}),),
        422,
    ),
    Posted(
        "console-api-key-rolled",
        "/console/api-keys/{key_id}/roll",
        (Send("/console/api-keys/{key_id}/roll"),),
    ),
    Posted(
        "console-settings-errors",
        "/console/settings",
        (Send("/console/settings", fill={"accent_colour": "no colour", "country": "Nowhere"}),),
        422,
    ),
    Posted(
        "console-sandbox-created",
        "/console/sandboxes",
        (Send("/console/sandboxes", fill={"name": "Walked sandbox"}),),
    ),
    Posted(
        "console-sandbox-errors",
        "/console/sandboxes",
        (Send("/console/sandboxes", fill={"start": "someday"}),),
        422,
    ),
    # -- the console's payments --
    Posted(
        "console-collection-errors",
        "/console/customers/{account_id}/payments",
        (Send("/console/customers/{account_id}/collection", fill={"net_days": "400"}),),
        422,
    ),
    Posted(
        "console-card-remove-confirm",
        "/console/customers/{account_id}/payments",
        (Send("/console/customers/{account_id}/cards/remove"),),
    ),
    Posted(
        "console-notice-settings-errors",
        "/console/settings/notices",
        (Send("/console/settings/notices", fill={"copy_address": "not an address"}),),
        422,
    ),
    Posted(
        "console-dunning-errors",
        "/console/settings/dunning",
        (Send("/console/settings/dunning", fill={"retry_days": "3, 1"}),),
        422,
    ),
    # -- the console's webhooks --
    Posted(
        "console-webhook-added",
        "/console/settings/webhooks",
        (Send("/console/settings/webhooks", fill={"url": "https://93.184.215.14/walked"}),),
    ),
    Posted(
        "console-webhook-errors",
        "/console/settings/webhooks",
        (Send("/console/settings/webhooks", fill={"url": "https://127.0.0.1/hooks"}),),
        422,
    ),
    Posted(
        "console-webhook-replayed-since",
        "/console/settings/webhooks/{endpoint_id}",
        (
            Send(
                "/console/settings/webhooks/{endpoint_id}/replay-since",
                fill={"since": "2026-01-01T00:00"},
            ),
        ),
    ),
)

# POST routes that answer no page of their own: each sends the browser on (303) to a page the
# GET walk checks; a refusal shows that same page with its message.
NO_PAGE: dict[str, str] = {
    "/portal/addresses/{address_id}/default": "redirects to the account page",
    "/portal/sign-out": "redirects to the signed-out page",
    "/portal/plans/{family_code}/withdraw": "redirects to the plans page",
    # The world sells no extra pack (its plans grant no allowance): the pack's review, its
    # payment and their refusals are walked at 360 px in tests/e2e/test_portal_usage_browser.py
    # and over HTTP in tests/integration/test_portal_usage_packs.py.
    "/portal/plans/{family_code}/packs/review": "shows the pack's review (walked elsewhere)",
    "/portal/plans/{family_code}/packs/pay": "pays, redirects to the packages page",
    "/portal/payment-methods/{method_id}/default": "redirects to the payment methods page",
    "/console/logout": "redirects to the sign-in page",
    "/console/billing-runs": "runs billing, redirects to the billing runs page",
    "/console/api-keys/{key_id}/revoke": "redirects to the API keys page",
    "/console/sandboxes/{sandbox_id}/delete": "archives it, redirects to the sandboxes page",
    # The world has no paid invoice and no invoice in dunning: these confirmation pages and
    # their outcomes are checked in tests/integration/test_console_payments_actions.py and, on
    # screens, in tests/e2e/test_console_payments_browser.py.
    "/console/payments/failed/{invoice_id}/retry": "confirms, then shows the retry's outcome",
    "/console/invoices/{invoice_id}/refund": "confirms, then redirects to the invoice page",
    "/console/settings/webhooks/{endpoint_id}": "saves, redirects to the endpoint page",
    "/console/settings/webhooks/{endpoint_id}/replay/{event_id}": (
        "schedules it, redirects to the endpoint page"
    ),
}


@dataclass(frozen=True)
class ErrorPage:
    label: str
    url: str
    status: int
    signed_in: bool = True


ERROR_PAGES = (
    ErrorPage("portal-not-found", "/portal/invoices/inv_missing", 404),
    ErrorPage("console-not-found", "/console/invoices/inv_missing", 404),
    ErrorPage("portal-link-expired", "/portal/enter?token=a-link-used-or-expired", 401, False),
)


def post_routes(app: FastAPI) -> list[str]:
    return [
        path
        for path, methods, _route in api_routes(app)
        if "POST" in methods and path.startswith(AREAS)
    ]


def unclassified(app: FastAPI) -> list[str]:
    """Sentences for the POST routes neither walked nor in NO_PAGE, and for stale entries."""
    routes = set(post_routes(app))
    walked = {posted.route for posted in POSTED}
    problems = [
        f"POST {path} is neither walked nor classified: add a Posted(...) to POSTED (a page "
        f"that answers it, reached by sending its form) or its reason to NO_PAGE in {__name__}"
        for path in sorted(routes - walked - set(NO_PAGE))
    ]
    problems += [
        f"POST {path} is both walked and in NO_PAGE" for path in sorted(walked & set(NO_PAGE))
    ]
    problems += [
        f"{path} in {__name__} is no POST route of the app"
        for path in sorted((walked | set(NO_PAGE)) - routes)
    ]
    return problems


def fill_path(path: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"{path} takes {{{name}}}: give it a value in the world or in params")
        return values[name]

    return PARAM.sub(one, path)


# Runs in the page: send the form a person would; "" when sent, else why it could not be.
SEND = """([action, has, fill]) => {
  const target = b => new URL(
    b.getAttribute('formaction') ?? b.form.getAttribute('action') ?? '', location.href).pathname;
  const buttons = [...document.querySelectorAll('form button, form input[type=submit]')]
    .filter(b => (b.type || 'submit') === 'submit' && target(b) === action)
    .filter(b => Object.entries(has).every(([n, v]) =>
      [...b.form.elements].some(e => e.name === n && e.value === v)));
  if (!buttons.length) return `no form on ${location.pathname} sends to ${action}`;
  const button = buttons[0], form = button.form;
  for (const [name, value] of Object.entries(fill)) {
    const fields = [...form.elements].filter(e => e.name === name);
    const radios = fields.filter(e => e.type === 'radio' || e.type === 'checkbox');
    if (radios.length && radios.some(e => e.value === value)) {
      radios.forEach(e => { e.checked = e.value === value; });
    } else if (radios.length || !fields.length || fields[0].tagName === 'SELECT'
               && ![...fields[0].options].some(o => o.value === value)) {
      radios.forEach(e => { e.checked = false; });  // a value no choice offers: sent as typed
      fields.filter(e => e.tagName === 'SELECT').forEach(e => e.remove());
      const typed = document.createElement('input');
      Object.assign(typed, {type: 'hidden', name, value});
      form.append(typed);
    } else {
      fields[0].value = value;
      if (fields[0].value !== value) {  // a field that drops what it cannot hold (a date)
        fields[0].type = 'text';
        fields[0].value = value;
      }
      fields[0].dispatchEvent(new Event('input', {bubbles: true}));
      fields[0].dispatchEvent(new Event('change', {bubbles: true}));
    }
  }
  form.noValidate = true;  // the server's own answer to what the browser would refuse
  form.requestSubmit(button);
  return '';
}"""


class NotSent(Exception):
    """The form could not be sent: the page has no such form."""


def send_forms(page: Page, url: str, posted: Posted, ids: dict[str, str]) -> Response | str:
    """Open the start page and send the forms in turn; the last page's response, or why the
    walk could not get there."""
    values = {**ids, **posted.params}
    first = page.goto(url + fill_path(posted.start, values))
    if first is None or first.status != 200:
        return f"its start page {posted.start} answered {first and first.status}"
    answer: Response | None = None
    for send in posted.sends:
        action = fill_path(send.action, values)
        try:
            with page.expect_navigation() as navigation:
                refused = page.evaluate(SEND, [action, send.has, send.fill])
                if refused:
                    raise NotSent(refused)
        except NotSent as error:
            return str(error)
        answer = navigation.value
        if answer is None or answer.request.method != "POST" or urlsplit(answer.url).path != action:
            where = answer and f"{answer.request.method} {answer.url}"
            return f"sending the form to {action} did not answer a page of its own ({where})"
    assert answer is not None
    return answer
