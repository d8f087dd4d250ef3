"""Demo data for a first run: one organization, its catalog, customers around the world with a
few subscriptions, a console user, and a sandbox of its own whose test clock has run a few
months (demo_sandbox.py), with its own customers, invoices and credits.

The demo is loaded once: when its console user exists (made last), `plansmith demo` changes
no data at all, so the operator's edits to the catalog and customers stay as they left them
(no second "… Legacy" version from re-applying the file). Every run prints working ways in:
the console sign-ins, API keys (kept between runs by demo_keys.py, or new ones, and it says
which) and fresh portal links, each naming whose account it opens and in which language. A
first run that stopped half-way is finished by the next one (customers are matched by external
id, a family the customer had a subscription in gets none again).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib.resources import files

from babel import Locale

from plansmith.application.accounts import accounts as uc
from plansmith.application.billing import test_clocks
from plansmith.application.catalog.file import ChangeKind, apply_catalog, load_yaml, read_catalog
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock
from plansmith.application.organizations import api_keys
from plansmith.application.organizations import organizations as orgs
from plansmith.application.subscriptions.queries import account_plans
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.organizations.organization import Organization
from plansmith.entrypoints.cli import demo_sandbox, demo_usage
from plansmith.entrypoints.cli.demo_keys import Key, KeyFile, demo_key
from plansmith.entrypoints.webui.i18n import negotiate

ORGANIZATION = "Demo SaaS"
OPERATOR_EMAIL = "operator@demo.plansmith.dev"
OPERATOR_PASSWORD = "plansmith-demo"  # noqa: S105 - a published demo login, not a secret
PORTAL_LINK_SECONDS = 24 * 3600
CATALOG_FILE = "demo_catalog.yaml"  # package data beside this module

CUSTOMERS = [
    # external id, name, email, currency, zone, locale, address (line1, city, postal, country)
    (
        "cus-001",
        "Sakura Contact Center KK",
        "billing@sakura-cc.example",
        "JPY",
        "Asia/Tokyo",
        "ja_JP",
        ("1-2-3 Marunouchi", "Chiyoda-ku, Tokyo", "100-0005", "JP"),
    ),
    (
        "cus-002",
        "Northwind Chat Inc.",
        "ap@northwind-chat.example",
        "USD",
        "America/New_York",
        "en_US",
        ("500 Fifth Avenue", "New York", "10110", "US"),
    ),
    (
        "cus-003",
        "Bosphorus Support AS",
        "finance@bosphorus.example",
        "EUR",
        "Europe/Istanbul",
        "tr_TR",
        ("Büyükdere Cd. 185", "Istanbul", "34394", "TR"),
    ),
    (
        "cus-004",
        "Gulf Mailbox Co.",
        "accounts@gulfmail.example",
        "KWD",
        "Asia/Kuwait",
        "ar_KW",
        ("Al Hamra Tower, Floor 40", "Kuwait City", "13001", "KW"),
    ),
    (
        "cus-005",
        "Thames Virtual Office Ltd",
        "billing@thames-vo.example",
        "GBP",
        "Europe/London",
        "en_GB",
        ("1 Canada Square", "London", "E14 5AB", "GB"),
    ),
    (
        "cus-006",
        "Harbour Helpdesk Pty",
        "accounts@harbour.example",
        "USD",
        "Australia/Sydney",
        "en_AU",
        ("1 Macquarie St", "Sydney", "2000", "AU"),
    ),
    (
        "cus-007",
        "Saigon Callcenter JSC",
        "ketoan@saigon-cc.example",
        "USD",
        "Asia/Ho_Chi_Minh",
        "vi_VN",
        ("2 Hai Ba Trung", "Ho Chi Minh City", "700000", "VN"),
    ),
    (
        "cus-008",
        "Rhein Partner GmbH",
        "rechnung@rhein-partner.example",
        "EUR",
        "Europe/Berlin",
        "de_DE",
        ("Königsallee 1", "Düsseldorf", "40212", "DE"),
    ),
]

# A little of everything, so the console shows subscriber counts and the portal link (made for
# cus-001) shows plans.
CHAT_ADD_ONS = {"ai-assistant": 1, "team-chat-integration": 2}
SUBSCRIPTIONS: list[tuple[str, str, str, str, int | None, dict[str, int], bool | None]] = [
    # external id, family, plan, cycle, quantity (None: the minimum), add-ons, trial (None:
    # the plan's). Seed 002's example first: Contact Center 2 with 100 accounts.
    ("cus-001", "contact-center", "contact-center-2", "month", 100, {}, False),
    ("cus-001", "support", "support-standard", "year", None, {}, None),
    ("cus-002", "chat", "chat-business", "month", 5, CHAT_ADD_ONS, False),
    ("cus-003", "support", "support-premium", "month", None, {}, None),
    ("cus-004", "mailbox", "mailbox-silver", "month", None, {}, None),  # a 30-day trial
    ("cus-006", "chat", "chat-flex", "month", 2, {}, None),  # pay per day
]


# One portal link per language the portal speaks: (external id) of a customer in each.
LINKED = ["cus-001", "cus-002", "cus-003", "cus-004", "cus-007"]  # ja, en, tr, ar, vi
SANDBOX_LINKED = ["cus-001", "cus-004"]


@dataclass(frozen=True)
class PortalLink:
    customer: str
    language: str  # in English, as the terminal says it: "Japanese"
    url: str


@dataclass(frozen=True)
class SandboxResult:
    organization: Organization
    api_key: Key
    invoices: int
    credit_notes: int
    links: list[PortalLink]


@dataclass(frozen=True)
class DemoResult:
    organization: Organization
    customers: int
    api_key: str
    api_key_note: str
    publishable_key: str
    catalog: str  # what the catalog holds and what loading it changed
    subscriptions: str  # how many demo subscriptions, and how many were made now
    usage: str  # the meters and the usage of the current period, and what this run added
    loaded_before: bool
    links: list[PortalLink]
    sandbox: SandboxResult


def _organization(container: Plansmith) -> Organization:
    try:
        return orgs.find_organization(container.uow(), ORGANIZATION)
    except NotFound:
        return orgs.create_organization(container.uow(), container.clock, ORGANIZATION)


def _loaded(container: Plansmith) -> bool:
    """The demo's console user is made last: it exists once the whole demo was loaded."""
    with container.uow() as uow:
        return uow.operators.find_by_email(OPERATOR_EMAIL) is not None


def _catalog(container: Plansmith, organization: Organization, clock: Clock) -> str:
    text = files("plansmith.entrypoints.cli").joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    document = read_catalog(load_yaml(text), CATALOG_FILE)
    changes = apply_catalog(container.uow(), clock, organization.id, document)
    kinds = Counter(c.kind for c in changes)
    held = Counter(c.what for c in changes)
    return (
        f"{held['plan']} plans in {held['family']} families, {held['add_on']} add-ons, "
        f"{held['extra_pack']} extra packs ({kinds[ChangeKind.CREATE]} created, "
        f"{kinds[ChangeKind.UPDATE]} updated, {kinds[ChangeKind.UNCHANGED]} unchanged)"
    )


def _subscriptions(
    container: Plansmith, organization: Organization, accounts: dict[str, str]
) -> str:
    """The demo subscriptions, skipping a family the customer has (or had) one in already."""
    made = 0
    for external_id, family, plan, cycle, quantity, add_ons, trial in SUBSCRIPTIONS:
        account_id = accounts[external_id]
        held = account_plans(container.uow(), organization.id, account_id)
        if any(f.family.code == family and f.latest is not None for f in held):
            continue
        data = SubscribeInput(account_id, plan, cycle, quantity, add_ons=add_ons, trial=trial)
        subscribe(container.uow(), container.clock, organization.id, data)
        made += 1
    return f"{len(SUBSCRIPTIONS)} subscriptions ({made} created)"


def _customers(
    container: Plansmith, organization_id: str, clock: Clock, only: list[str] | None = None
) -> dict[str, str]:
    """The demo customers (matched by external id, opened if missing): external id -> id."""
    accounts: dict[str, str] = {}
    for external_id, name, email, currency, zone, locale, address in CUSTOMERS:
        if only is not None and external_id not in only:
            continue
        page = uc.list_accounts(container.uow(), organization_id, search=external_id, limit=1)
        if page.items:
            accounts[external_id] = page.items[0].id
            continue
        data = uc.AccountInput(
            name=name,
            email=email,
            currency=currency,
            time_zone=zone,
            locale=locale,
            external_id=external_id,
        )
        account = uc.open_account(container.uow(), clock, organization_id, data)
        line1, city, postal_code, country = address
        where = uc.AddressInput(
            name=name, line1=line1, city=city, postal_code=postal_code, country=country
        )
        uc.add_invoice_address(container.uow(), clock, organization_id, account.id, where)
        accounts[external_id] = account.id
    return accounts


def _links(
    container: Plansmith, organization_id: str, accounts: dict[str, str], linked: list[str]
) -> list[PortalLink]:
    """A fresh portal link (once, within 24 h) for each linked customer, saying whose it is and
    in which language the portal greets them (their locale's, as the portal picks it)."""
    by_id = {c[0]: c for c in CUSTOMERS}
    links = []
    for external_id in linked:
        _, name, _, _, _, locale, _ = by_id[external_id]
        link = orgs.create_portal_link(
            container.uow(),
            container.clock,
            container.signer,
            organization_id,
            accounts[external_id],
            ttl_seconds=PORTAL_LINK_SECONDS,
        )
        language = Locale.parse(negotiate(account_locale=locale)).get_language_name("en")
        links.append(PortalLink(name, str(language), container.portal_url(link.token)))
    return links


def _sandbox(container: Plansmith, owner: Organization, store: KeyFile | None) -> SandboxResult:
    """The demo's sandbox, made with its story the first time (also beside a demo loaded by an
    older version), found and left as it is afterwards."""
    sandbox = demo_sandbox.find(container, owner.id)
    made_key: str | None = None
    if sandbox is None:
        sandbox, made_key = demo_sandbox.make(container, owner.id)
        clock = test_clocks.organization_clock(container.uow(), container.clock, sandbox.id)
        _catalog(container, sandbox, clock)
        story = [s[0] for s in demo_sandbox.STORY]
        accounts = _customers(container, sandbox.id, clock, only=story)
        demo_sandbox.run_story(container, sandbox, accounts)
        demo_sandbox.operator(container, sandbox, OPERATOR_PASSWORD)
        sandbox = orgs.find_organization(container.uow(), sandbox.id)  # its clock moved
    else:
        accounts = _matched(container, sandbox.id)
    key = demo_key(container, store, sandbox.id, "secret", made=made_key)
    count, notes = demo_sandbox.summary(container, sandbox, accounts)
    linked = [c for c in SANDBOX_LINKED if c in accounts]
    return SandboxResult(
        sandbox, key, count, notes, _links(container, sandbox.id, accounts, linked)
    )


def load(container: Plansmith, store: KeyFile | None = None) -> DemoResult:
    """Load the demo unless it was loaded before, then make the ways in (see the module).
    ``store``: where the keys are kept between runs; None makes new ones each time."""
    loaded_before = _loaded(container)
    organization = _organization(container)
    if loaded_before:
        catalog = "as you left it (the demo loads its catalog once)"
        accounts = _matched(container, organization.id)
        subscriptions = f"{len(SUBSCRIPTIONS)} subscriptions at first, as you left them"
        usage = "as you left it (the demo sends its usage once)"
    else:
        catalog = _catalog(container, organization, container.clock)
        accounts = _customers(container, organization.id, container.clock)
        subscriptions = _subscriptions(container, organization, accounts)
        usage = demo_usage.load(container, organization.id, accounts).summary()
    sandbox = _sandbox(container, organization, store)
    if not loaded_before:
        orgs.create_operator(
            container.uow(), container.clock, organization.id, OPERATOR_EMAIL, OPERATOR_PASSWORD
        )
    key = demo_key(container, store, organization.id, "secret")
    public = demo_key(container, store, organization.id, "publishable", kind=api_keys.PUBLISHABLE)
    linked = [c for c in LINKED if c in accounts]
    return DemoResult(
        organization,
        len(CUSTOMERS),
        key.secret,
        key.note,
        public.secret,
        catalog,
        subscriptions,
        usage,
        loaded_before,
        _links(container, organization.id, accounts, linked),
        sandbox,
    )


def _matched(container: Plansmith, organization_id: str) -> dict[str, str]:
    """The demo customers still there (the operator may have changed or closed some)."""
    found = {}
    for external_id, *_ in CUSTOMERS:
        page = uc.list_accounts(container.uow(), organization_id, search=external_id, limit=1)
        if page.items and page.items[0].external_id == external_id:
            found[external_id] = page.items[0].id
    return found
