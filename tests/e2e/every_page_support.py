"""The pages of the portal and the console, found in the app's own route table, a world to fill
their path parameters from, and the checks a page must pass in the browser.

A page is every GET route under /portal or /console that answers HTML, except the portal's
entry (it takes a one-time link) and the PDF documents. A route added tomorrow is walked the
day it is added; one whose path names a parameter this module has no value for fails the walk
with a message saying where to add one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from plansmith.application.catalog.plans import PlanInput, create_plan
from plansmith.application.organizations.organizations import create_operator, create_portal_link
from plansmith.application.payments.methods import add_card
from plansmith.bootstrap import Plansmith
from tests.conftest import make_tenant
from tests.integration.route_calls import PARAM, _objects, api_routes
from tests.integration.statement_budgets_support import _filler_plans, _history

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES_DIR = ROOT / "test-artifacts" / "screenshots" / "pages"
AREAS = ("/portal", "/console")
PASSWORD = "correct horse battery"
OPERATOR = "ops@every-page.example"

# Not walked: the portal's entry takes a one-time link (and writes the session it opens).
NOT_PAGES = {"/portal/enter"}
# Pages only a signed-out visitor sees (a signed-in one is sent on): walked without a session.
SIGNED_OUT = {"/console/login"}
# Path parameters walked with more than one value: each value is a page of its own.
VARIANTS: dict[str, tuple[str, ...]] = {"action": ("revoke", "roll")}


@dataclass(frozen=True)
class PageRoute:
    path: str  # the route's path, parameters in braces
    name: str  # the route's function name, prefixed by its area: "portal-plans_page"


@dataclass(frozen=True)
class Visit:
    route: PageRoute
    url: str  # path and values: /portal/invoices/inv_...
    label: str  # the screenshot's name: route name, plus the variant's value where there is one
    signed_in: bool


def page_routes(app: FastAPI) -> list[PageRoute]:
    """Every GET route of the portal and the console that answers an HTML page."""
    found = []
    for path, methods, route in api_routes(app):
        if "GET" not in methods or not path.startswith(AREAS) or path in NOT_PAGES:
            continue
        if path.endswith(".pdf") or not issubclass(route.response_class, HTMLResponse):  # type: ignore[arg-type]
            continue
        area = path.split("/")[1]
        found.append(PageRoute(path, f"{area}-{route.name}"))
    return found


def visits(routes: list[PageRoute], ids: dict[str, str]) -> list[Visit]:
    """The URLs to walk: each route with its path parameters filled from the world's objects;
    a parameter with VARIANTS gives one visit per value."""
    walked = []
    for route in routes:
        names = PARAM.findall(route.path)
        unknown = [n for n in names if n not in ids and n not in VARIANTS]
        if unknown:
            pytest.fail(
                f"GET {route.path} takes {', '.join('{' + n + '}' for n in unknown)}, and the "
                f"every-page walk does not know how to fill it: create such an object in "
                f"seed_world() in {__name__} and add its id to the ids it returns (or give the "
                f"parameter its values in VARIANTS)"
            )
        choices = [VARIANTS.get(n, (ids.get(n, ""),)) for n in names]
        for values in product(*choices):
            chosen = dict(zip(names, values, strict=True))
            url = PARAM.sub(lambda m, c=chosen: c[m.group(1)], route.path)  # type: ignore[misc]
            suffix = "".join(f"-{chosen[n]}" for n in names if n in VARIANTS)
            walked.append(Visit(route, url, route.name + suffix, route.path not in SIGNED_OUT))
    return walked


@dataclass(frozen=True)
class World:
    organization_id: str
    ids: dict[str, str]


def seed_world(app: FastAPI, container: Plansmith) -> World:
    """One organization with an object of every kind a page's path can name: accounts with
    addresses, subscriptions (one with a change, one with a cancellation waiting for the term's
    end, one paused, one canceled) and finalized invoices, a catalog (plans with a published
    version and a draft, one of long amounts in three cycles), add-ons, extra packs, API keys
    and billing runs."""
    tenant = make_tenant(container, "Every Page Operator")
    with TestClient(app) as api:
        ids = _objects(api, tenant)
    big = {  # a plan of long amounts in every cycle: the widest a price column gets
        "pricing": "per_seat",
        "base_prices": {"EUR": 123_456_789},
        "cycle_discounts": {"quarter": "5", "year": "15"},
        "description": "Every seat, every channel, every report, for the largest teams.",
    }
    create_plan(
        container.uow(),
        container.clock,
        tenant.organization_id,
        PlanInput(
            "bravo-enterprise", "Bravo Enterprise Unlimited", "service", 9, big, ["portal"], True
        ),
    )
    _filler_plans(container, tenant.organization_id, 6)
    _history(container, tenant.organization_id, 2)
    with TestClient(app) as api:  # changes waiting for the term's end: the pending notices
        for subscription, change in (
            ("subscription_id", ("changes", {"quantity": 1})),
            ("second_subscription_id", ("cancel", {"when": "term_end"})),
        ):
            path = f"/v1/subscriptions/{ids[subscription]}/{change[0]}"
            answer = api.post(path, json=change[1], headers=tenant.headers)
            assert answer.status_code in (200, 201), answer.text
        # The first account's plans in two more families: one paused, one canceled (the pages
        # that resume and reactivate them).
        for plan, stop in (("extra-0", ("pause", None)), ("extra-5", ("cancel", {"when": "now"}))):
            body = {"account_id": ids["account_id"], "plan": plan}
            made = api.post("/v1/subscriptions", json=body, headers=tenant.headers)
            assert made.status_code == 201, made.text
            path = f"/v1/subscriptions/{made.json()['id']}/{stop[0]}"
            answer = api.post(path, json=stop[1], headers=tenant.headers)
            assert answer.status_code == 200, answer.text
    create_operator(container.uow(), container.clock, tenant.organization_id, OPERATOR, PASSWORD)
    org = tenant.organization_id
    card = add_card(  # the first account's card (a sandbox test token): its pay and remove pages
        container.uow(),
        container.gateway_for(org),
        container.clock,
        org,
        ids["account_id"],
        source="tok_sandbox_success",
    )
    return World(org, {**ids, "family_code": "service", "method_id": card.method.id})


def sign_in(page: Page, url: str, container: Plansmith, world: World) -> None:
    """A portal session for the world's first account and a console session for its operator,
    both in the page's browser context (their cookies have paths of their own)."""
    link = create_portal_link(
        container.uow(),
        container.clock,
        container.signer,
        world.organization_id,
        world.ids["account_id"],
    )
    page.goto(f"{url}/portal/enter?token={link.token}")
    assert page.url == f"{url}/portal/", f"the portal link did not open the portal: {page.url}"
    page.goto(f"{url}/console/login")
    page.locator("input[name=email]").fill(OPERATOR)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{url}/console/customers")


def choose_language(page: Page, url: str, language: str) -> None:
    """Pick the language with the switch at the foot of every page."""
    page.goto(f"{url}/console/login")
    page.locator("#language-choice").select_option(language)
    page.locator("form.language-switch button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language, "the language switch failed"


# Runs in the page: the layout's problems at this viewport, as sentences.
LAYOUT_CHECK = r"""() => {
  const width = window.innerWidth;
  const problems = [];
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) {
    const sticksOut = e => {
      const box = e.getBoundingClientRect();
      return box.right > width + 0.5 || box.left < -0.5;
    };
    const wide = [...document.body.querySelectorAll('*')]
      .filter(e => sticksOut(e) && !sticksOut(e.parentElement))
      .slice(0, 5).map(describe);
    problems.push(`the page is ${scroll} px wide in a ${width} px viewport`
      + ` (sticking out: ${wide.join(', ')})`);
  }
  const marked = [...document.querySelectorAll('.amount, td.num')];
  for (const el of marked) {
    const what = `${describe(el)} "${el.textContent.trim().slice(0, 40)}"`;
    checkAmount(el, el.getBoundingClientRect(), what);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') {
      problems.push(`${what} is clipped inside itself`);
    }
  }
  // Money found by its text, class or not: a currency sign or ISO code next to digits.
  const codes = new Set(Intl.supportedValuesOf('currency'));
  const num = String.raw`[-\u2212]?\p{Nd}(?:[\p{Nd}.,'\u00a0\u202f\u066b\u066c]*\p{Nd})?`;
  const money = new RegExp(String.raw`\p{Sc}\s?${num}|${num}[\s\u00a0\u202f]?\p{Sc}`
    + String.raw`|\b[A-Z]{3}[\s\u00a0]?${num}|${num}[\s\u00a0]?[A-Z]{3}\b`, 'gu');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, template, noscript, option, [hidden], [aria-hidden=true]')
        || marked.some(m => m.contains(el))) continue;
    for (const match of node.data.matchAll(money)) {
      const code = match[0].match(/[A-Z]{3}/);
      if (code && !codes.has(code[0])) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      const end = match.index + match[0].length;
      range.setEnd(node, end);
      const text = node.data.slice(Math.max(0, match.index - 12), end + 12);
      checkAmount(el, range.getBoundingClientRect(), `${describe(el)} "…${text.trim()}…"`);
    }
  }
  return problems;

  function checkAmount(el, box, what) {
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility !== 'visible'
        || el.checkVisibility && !el.checkVisibility({opacityProperty: true})) {
      problems.push(`${what} is not visible`);
      return;
    }
    if (box.left < -0.5 || box.right > width + 0.5) {
      const span = `${Math.round(box.left)}..${Math.round(box.right)}`;
      problems.push(`${what} lies outside the viewport (${span} of ${width} px)`);
      return;
    }
    for (let up = el.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      const s = getComputedStyle(up);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const frame = up.getBoundingClientRect();
      if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
        problems.push(`${what} is cut off by ${describe(up)} (overflow ${s.overflowX})`);
        return;
      }
    }
  }

  function describe(e) {
    const id = e.id ? '#' + e.id : '';
    const cls = typeof e.className === 'string' && e.className.trim()
      ? '.' + e.className.trim().split(/\s+/).join('.') : '';
    return e.tagName.toLowerCase() + id + cls;
  }
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .flatMap(v => v.nodes.map(n => ({
      rule: v.id, impact: v.impact, help: v.help, target: n.target.join(' '),
      html: n.html.slice(0, 160),
    })));
}"""

OPEN_EVERYTHING = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


def layout_problems(page: Page) -> list[str]:
    found: list[str] = page.evaluate(LAYOUT_CHECK)
    return found


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return found


def screenshot_path(size: str, label: str) -> Path:
    folder = PAGES_DIR / size
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}.png"
