"""The composition root: settings -> engine -> clock, signer, stores. Nothing runs at import."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.clock import SystemClock
from plansmith.adapters.db.catalog.price_books import PriceBookCache
from plansmith.adapters.db.engine import make_engine, make_reader_engine, make_session_factory
from plansmith.adapters.db.events.outbox import SqlRelayStore
from plansmith.adapters.db.notices.store import SqlNoticeStore
from plansmith.adapters.db.organizations.key_uses import SqlKeyUses
from plansmith.adapters.db.reading import read_scope
from plansmith.adapters.db.unit_of_work import SqlUnitOfWork
from plansmith.adapters.db.webhooks.deliveries import SqlDeliveryStore
from plansmith.adapters.event_log import JsonLinesLog
from plansmith.adapters.idempotency import IdempotencyStore
from plansmith.adapters.mail.mailers import EmlFolderMailer, SmtpMailer
from plansmith.adapters.webhooks.resolver import resolve
from plansmith.application.billing.run_records import RunWatch
from plansmith.application.events.ports import Subscriber
from plansmith.application.events.relay import Relay
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.notices.ports import Composer, Mailer
from plansmith.application.notices.sending import MailIdentity, Notices
from plansmith.application.organizations.ports import KeyUses
from plansmith.application.organizations.tokens import Signer
from plansmith.application.payments.ports import PaymentGateway
from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.application.webhooks.endpoints import UrlPolicy
from plansmith.application.webhooks.fan_out import WebhookFanOut
from plansmith.application.webhooks.ports import Sender

if TYPE_CHECKING:
    from plansmith.adapters.payments.stripe_gateway import StripeGateway

DEFAULT_DATABASE_URL = "sqlite:///var/plansmith.sqlite3"
# Where the secret key is kept when PLANSMITH_SECRET_KEY is unset (relative to the working dir).
SECRET_KEY_FILE = Path("var/secret_key")


class Settings(BaseSettings):
    """Read from the environment (PLANSMITH_*, and DATABASE_URL) or passed in by tests."""

    model_config = SettingsConfigDict(env_prefix="PLANSMITH_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "PLANSMITH_DATABASE_URL"),
    )
    # Signs portal links and browser sessions. Unset: a random one is kept in var/secret_key.
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    idempotency_retention_hours: int = 24
    # A keyed request renews its claim every third of this; a claim not renewed for this long
    # belongs to a server that died, and a retry with the same key may take it over.
    idempotency_lease_seconds: float = Field(default=60, gt=0)
    # A billing run that recorded no progress for this long is marked abandoned by the next.
    billing_run_lease_seconds: float = Field(default=600, gt=0)
    portal_session_seconds: int = 3600
    console_session_seconds: int = 8 * 3600
    # Drafts wait this long before the billing run finalizes them (0: at once).
    invoice_grace_minutes: int = 60
    # Set: billing runs hand each subscription to `plansmith worker` processes through Redis
    # (Dramatiq). Unset: the run bills them in its own process (the embedded default).
    redis_url: str | None = None
    job_namespace: str = "plansmith"
    # Set: every event is appended to this file as a JSON line by the outbox relay.
    event_log: str | None = None
    # The outbox relay runs in `plansmith serve` and `plansmith worker` every this many
    # seconds (0: never, then run `plansmith events relay`); one relay at a time holds a lease
    # this long, renewed as it works: a dead relay's events wait at most this long.
    relay_every_seconds: float = Field(default=1, ge=0)
    relay_lease_seconds: float = Field(default=30, gt=0)
    # Which gateway live organizations' payments go through: the built-in sandbox (the
    # embedded default; test cards in docs/payments-sandbox.md) or stripe. Sandboxes always
    # use the sandbox gateway.
    payment_gateway: Literal["sandbox", "stripe"] = "sandbox"
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    # Where the Stripe API is (tests point it at a local server); unset: Stripe's own.
    stripe_api_base: str | None = None
    # Send e-mail notices from the relay of `plansmith serve`, `worker` and `events relay`.
    mail_notices: bool = True
    # E-mail notices go through this SMTP server; unset (the embedded default): each message
    # is written as an .eml file under mail_folder and its path logged.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "billing@plansmith.invalid"
    mail_reply_to: str | None = None
    mail_folder: str = "var/mail"
    # A notice claimed by a sender that did not record it sent for this long is sent again
    # (the same message, the same Message-ID): see application/notices/sending.py.
    mail_lease_seconds: float = Field(default=120, gt=0)
    # Webhook endpoints may point at loopback and private addresses, and use plain http
    # (development and tests only: in production that lets anyone with an API key probe the
    # deployment's own network).
    webhooks_allow_private: bool = False
    # `plansmith serve` sends due webhook deliveries every this many seconds (0: never, then
    # run `plansmith events deliver`), this many at once.
    webhooks_every_seconds: float = Field(default=1, ge=0)
    webhooks_threads: int = Field(default=16, ge=1, le=256)
    # Delivery loops per process sharing those threads: while one takes or records its batch
    # in the database, another's is on the wire (PostgreSQL; SQLite, one writer, runs one).
    webhooks_loops: int = Field(default=2, ge=1, le=16)
    # A worker holds the deliveries it took this long; one that died is taken over after it.
    webhooks_lease_seconds: float = Field(default=60, gt=0)


@dataclass
class Plansmith:
    """Everything an entrypoint needs, built once per process (or per test)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    signer: Signer
    # SQLite: the reader engine, for work that only reads (see adapters/db/reading).
    reader: Engine | None = None
    reader_sessions: sessionmaker[Session] | None = field(init=False)
    idempotency: IdempotencyStore = field(init=False)
    key_uses: KeyUses = field(init=False)
    # Each organization's price book, kept in this process while its catalog revision holds.
    price_books: PriceBookCache = field(init=False)
    _gateways: dict[str, PaymentGateway] = field(init=False, default_factory=dict)
    # Who writes the e-mail notices (presentation: set by the entrypoints that relay events,
    # see entrypoints/webui/mail); unset, no notice is sent.
    composer: Callable[[Plansmith], Composer] | None = field(default=None)

    def __post_init__(self) -> None:
        retention = timedelta(hours=self.settings.idempotency_retention_hours)
        lease = timedelta(seconds=self.settings.idempotency_lease_seconds)
        self.idempotency = IdempotencyStore(
            self.sessions, self.clock, retention=retention, lease=lease
        )
        self.key_uses = SqlKeyUses(self.sessions)
        self.price_books = PriceBookCache()
        self.reader_sessions = (
            make_session_factory(self.reader) if self.reader is not None else None
        )

    @property
    def engines(self) -> tuple[Engine, ...]:
        """The engine, and the reader engine where there is one (to watch every statement)."""
        return (self.engine,) if self.reader is None else (self.engine, self.reader)

    @property
    def watch(self) -> RunWatch:
        """Billing runs' records are kept by the wall clock, whatever clock they bill by."""
        return RunWatch(self.clock, timedelta(seconds=self.settings.billing_run_lease_seconds))

    @property
    def invoice_grace(self) -> timedelta:
        return timedelta(minutes=self.settings.invoice_grace_minutes)

    def uow(self) -> UnitOfWork:
        """A new unit of work; callers depend on the port, never on the SQL class."""
        scope = read_scope()
        if scope is not None:  # a GET request: its one reading transaction
            sessions = self.reader_sessions or self.sessions
            return SqlUnitOfWork(sessions, self.price_books, scope)
        return SqlUnitOfWork(self.sessions, self.price_books)

    def subscribers(self) -> list[Subscriber]:
        """Who the outbox relay hands events to (webhooks, e-mail... join here)."""
        found: list[Subscriber] = []
        if self.settings.event_log:
            found.append(JsonLinesLog(self.settings.event_log))
        if self.composer is not None:
            found.append(self.notices(self.composer(self)))
        found.append(WebhookFanOut(self.uow, self.clock))
        return found

    @property
    def notice_store(self) -> SqlNoticeStore:
        return SqlNoticeStore(self.sessions, self.reader_sessions)

    def mailer(self) -> Mailer:
        """The SMTP server of the settings, else the folder of .eml files."""
        s = self.settings
        if not s.smtp_host:
            return EmlFolderMailer(Path(s.mail_folder))
        return SmtpMailer(s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_username, s.smtp_password)

    def notices(self, composer: Composer, mailer: Mailer | None = None) -> Notices:
        """The e-mail notices subscriber."""
        identity = MailIdentity(self.settings.mail_from, self.settings.mail_reply_to)
        lease = timedelta(seconds=self.settings.mail_lease_seconds)
        return Notices(
            composer, mailer or self.mailer(), self.notice_store, self.clock, identity, lease
        )

    @property
    def url_policy(self) -> UrlPolicy:
        """How webhook endpoint URLs are checked: private addresses refused unless allowed."""
        return UrlPolicy(self.settings.webhooks_allow_private, resolve)

    def delivery_worker(self, sender: Sender | None = None) -> DeliveryWorker:
        """Sends due webhook deliveries; the sender is made here unless a test passes one
        (imported here: only a delivering process loads the HTTP client and the signer)."""
        from plansmith.adapters.webhooks.sender import HttpSender

        chosen = sender or HttpSender(
            allow_private=self.settings.webhooks_allow_private,
            threads=self.settings.webhooks_threads,
        )
        lease = timedelta(seconds=self.settings.webhooks_lease_seconds)
        longest = chosen.longest if isinstance(chosen, HttpSender) else None
        store = SqlDeliveryStore(self.sessions)
        return DeliveryWorker(store, chosen, self.clock, lease, longest=longest)

    def delivery_workers(self) -> list[DeliveryWorker]:
        """The delivery loops of one process (``webhooks_loops`` on PostgreSQL, one on
        SQLite), sharing one sender: its threads and kept-alive connections."""
        first = self.delivery_worker()
        loops = self.settings.webhooks_loops if self.engine.dialect.name == "postgresql" else 1
        return [first, *(self.delivery_worker(first.sender) for _ in range(loops - 1))]

    def relay(self, subscribers: list[Subscriber] | None = None) -> Relay:
        lease = timedelta(seconds=self.settings.relay_lease_seconds)
        chosen = self.subscribers() if subscribers is None else subscribers
        return Relay(SqlRelayStore(self.sessions), chosen, self.clock, lease)

    def gateway_for(self, organization_id: str) -> PaymentGateway:
        """The payment gateway of an organization: sandboxes always use the built-in sandbox
        gateway, live organizations the configured one. Built on first use (the Stripe
        library is imported only by a process that charges through it)."""
        with self.uow() as uow:
            organization = uow.organizations.get(organization_id)
        sandbox = organization is None or organization.test_clock_at is not None
        if sandbox or self.settings.payment_gateway == "sandbox":
            return self._gateway("sandbox")
        return self._gateway("stripe")

    def stripe_webhooks(self) -> StripeGateway | None:
        """The Stripe gateway that checks the signatures of Stripe's webhooks; None when this
        deployment has no Stripe key or webhook secret (every webhook is then refused)."""
        if not (self.settings.stripe_api_key and self.settings.stripe_webhook_secret):
            return None
        from plansmith.adapters.payments.stripe_gateway import StripeGateway

        found = self._gateway("stripe")
        assert isinstance(found, StripeGateway)
        return found

    def _gateway(self, name: str) -> PaymentGateway:
        found = self._gateways.get(name)
        if found is not None:
            return found
        if name == "sandbox":
            from plansmith.adapters.payments.sandbox_gateway import SandboxGateway

            found = SandboxGateway(self.engine, SystemClock())
        else:
            from plansmith.adapters.payments.stripe_gateway import (
                DEFAULT_API_BASE,
                StripeGateway,
            )

            if not self.settings.stripe_api_key:
                raise RuntimeError(
                    "PLANSMITH_PAYMENT_GATEWAY=stripe needs PLANSMITH_STRIPE_API_KEY"
                )
            found = StripeGateway(
                self.settings.stripe_api_key,
                self.settings.stripe_webhook_secret or "",
                api_base=self.settings.stripe_api_base or DEFAULT_API_BASE,
            )
        self._gateways[name] = found
        return found

    def portal_url(self, token: str) -> str:
        """Where a portal link made by create_portal_link lets its holder in."""
        return f"{self.settings.base_url.rstrip('/')}/portal/enter?token={token}"

    def dispose(self) -> None:
        self.engine.dispose()
        for engine in self.engines[1:]:
            engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _secret(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return kept_secret(SECRET_KEY_FILE)


def kept_secret(path: Path) -> bytes:
    """The key kept in path, made first if there is none.

    Processes starting together (the workers of `plansmith serve`, a CLI command) must all
    end up with one key: each writes a new key to a file of its own and links it to path,
    which only the first link creates; the others drop theirs and read the winner's. Nobody
    ever reads a half-written key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_urlsafe(48))
                file.flush()
                os.fsync(file.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass  # another process linked its key first: that one is the key
        finally:
            os.unlink(draft)
    return path.read_text().strip().encode()


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Plansmith:
    settings = settings or Settings()
    _ensure_sqlite_folder(settings.database_url)
    engine = make_engine(settings.database_url)
    return Plansmith(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        reader=make_reader_engine(settings.database_url),
        clock=clock or SystemClock(),
        signer=Signer(_secret(settings)),
    )
