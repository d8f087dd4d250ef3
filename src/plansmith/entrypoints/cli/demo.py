"""Demo data for a first run: one organization, its catalog, customers around the world with a
few subscriptions, a console user.

Loading twice reuses what is there (customers are matched by external id, the catalog file
demo_catalog.yaml is applied, which writes nothing when it is already there, and a customer that
has had a subscription in a family gets no demo one there again), so `make run` can run it every
time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib.resources import files

from plansmith.application.accounts import accounts as uc
from plansmith.application.catalog.file import ChangeKind, apply_catalog, load_yaml, read_catalog
from plansmith.application.kernel.errors import NotFound
from plansmith.application.organizations import api_keys
from plansmith.application.organizations import organizations as orgs
from plansmith.application.subscriptions.queries import account_plans
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.organizations.organization import Organization

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


@dataclass(frozen=True)
class DemoResult:
    organization: Organization
    customers: int
    api_key: str
    portal_token: str
    publishable_key: str
    catalog: str  # what the catalog holds and what loading it changed
    subscriptions: str  # how many demo subscriptions, and how many were made now


def _organization(container: Plansmith) -> Organization:
    try:
        return orgs.find_organization(container.uow(), ORGANIZATION)
    except NotFound:
        return orgs.create_organization(container.uow(), container.clock, ORGANIZATION)


def _catalog(container: Plansmith, organization: Organization) -> str:
    text = files("plansmith.entrypoints.cli").joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    document = read_catalog(load_yaml(text), CATALOG_FILE)
    changes = apply_catalog(container.uow(), container.clock, organization.id, document)
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


def load(container: Plansmith) -> DemoResult:
    organization = _organization(container)
    catalog = _catalog(container, organization)
    accounts: dict[str, str] = {}  # external id -> account id
    for external_id, name, email, currency, zone, locale, address in CUSTOMERS:
        page = uc.list_accounts(container.uow(), organization.id, search=external_id, limit=1)
        if page.items:
            account = page.items[0]
        else:
            account = uc.open_account(
                container.uow(),
                container.clock,
                organization.id,
                uc.AccountInput(
                    name=name,
                    email=email,
                    currency=currency,
                    time_zone=zone,
                    locale=locale,
                    external_id=external_id,
                ),
            )
            line1, city, postal_code, country = address
            uc.add_invoice_address(
                container.uow(),
                container.clock,
                organization.id,
                account.id,
                uc.AddressInput(
                    name=name, line1=line1, city=city, postal_code=postal_code, country=country
                ),
            )
        accounts[external_id] = account.id
    subscriptions = _subscriptions(container, organization, accounts)
    with container.uow() as uow:
        has_operator = uow.operators.find_by_email(OPERATOR_EMAIL) is not None
    if not has_operator:
        orgs.create_operator(
            container.uow(), container.clock, organization.id, OPERATOR_EMAIL, OPERATOR_PASSWORD
        )
    issued = api_keys.create_api_key(container.uow(), container.clock, organization.id, "demo")
    public = api_keys.create_api_key(
        container.uow(),
        container.clock,
        organization.id,
        "demo pricing page",
        kind=api_keys.PUBLISHABLE,
    )
    link = orgs.create_portal_link(
        container.uow(),
        container.clock,
        container.signer,
        organization.id,
        accounts[CUSTOMERS[0][0]],
        ttl_seconds=PORTAL_LINK_SECONDS,
    )
    return DemoResult(
        organization,
        len(CUSTOMERS),
        issued.secret,
        link.token,
        public.secret,
        catalog,
        subscriptions,
    )
