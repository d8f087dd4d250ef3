"""Use cases for add-on packages, extra packs, quotes and the public price list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from plansmith.application.catalog.plans import PlanView, get_plan, list_plans
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.add_ons import AddOn, ExtraPack
from plansmith.domain.catalog.plans import PUBLIC_CHANNELS, Channel, PlanVersion
from plansmith.domain.catalog.pricing import Quote, quote
from plansmith.domain.catalog.terms import Price, check_code
from plansmith.domain.catalog.terms_data import amounts_from_data, codes_from_data, prices_from_data
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_PRICE, MAX_QUANTITY, at_most
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import Cycle


@dataclass(frozen=True)
class AddOnInput:
    code: str
    name: str
    prices: Sequence[Mapping[str, Any]]
    quantity_allowed: bool = False
    fits_families: Sequence[str] = ()
    fits_plans: Sequence[str] = ()
    features: Sequence[str] = ()
    allowances: Mapping[str, int] = field(default_factory=dict)
    description: str = ""


def _checked_add_on(data: AddOnInput) -> dict[str, Any]:
    checks = Checks()
    values = {
        "code": checks.run(check_code, data.code),
        "name": checks.run(require_text, data.name, "name"),
        "prices": checks.run(prices_from_data, list(data.prices), "prices"),
        "fits_families": checks.run(codes_from_data, list(data.fits_families), "fits_families"),
        "fits_plans": checks.run(codes_from_data, list(data.fits_plans), "fits_plans"),
        "features": checks.run(codes_from_data, list(data.features), "features"),
        "allowances": checks.run(amounts_from_data, dict(data.allowances), "allowances"),
        "description": checks.run(
            require_text, data.description, "description", max_length=2000, required=False
        ),
    }
    if not isinstance(data.quantity_allowed, bool):
        checks.add(InvalidValue("quantity_allowed is true or false", field="quantity_allowed"))
    if values["prices"] == ():
        checks.add(
            InvalidValue("an add-on needs at least one price", field="prices", code=ec.REQUIRED)
        )
    checks.raise_if_any()
    return values


def create_add_on(uow: UnitOfWork, clock: Clock, organization_id: str, data: AddOnInput) -> AddOn:
    values = _checked_add_on(data)
    add_on = AddOn(
        id=new_id("addon"),
        organization_id=organization_id,
        quantity_allowed=data.quantity_allowed,
        archived_at=None,
        created_at=clock.now(),
        **values,
    )
    with uow:
        if uow.add_ons.by_code(organization_id, add_on.code) is not None:
            raise Conflict(
                f"an add-on {add_on.code!r} exists already", field="code", code=ec.DUPLICATE_CODE
            )
        uow.add_ons.add(add_on)
        uow.commit()
    return add_on


def update_add_on(uow: UnitOfWork, organization_id: str, add_on_id: str, data: AddOnInput) -> AddOn:
    """Replace an add-on's definition (its code stays)."""
    with uow:
        add_on = _add_on(uow, organization_id, add_on_id)
        values = _checked_add_on(replace(data, code=add_on.code))
        _keep_prices_in_use(uow, add_on, values["prices"])
        add_on = replace(add_on, quantity_allowed=data.quantity_allowed, **values)
        uow.add_ons.update(add_on)
        uow.commit()
    return add_on


def _keep_prices_in_use(uow: UnitOfWork, add_on: AddOn, prices: Sequence[Price]) -> None:
    """Add-ons are not versioned: a price a subscriber pays cannot be withdrawn under them."""
    kept = {(p.currency, p.cycle) for p in prices}
    for sub in uow.subscriptions.using_add_on(add_on.organization_id, add_on.code):
        held = [sub.terms] + ([sub.scheduled.terms] if sub.scheduled else [])
        for terms in held:
            if add_on.code in terms.add_ons and (terms.currency, terms.cycle) not in kept:
                raise Conflict(
                    f"subscription {sub.id} pays for {add_on.name} in {terms.currency} per "
                    f"{terms.cycle.name}; keep that price (archive the add-on to stop selling "
                    "it)",
                    field="prices",
                    code=ec.PRICE_IN_USE,
                )


def _add_on(uow: UnitOfWork, organization_id: str, add_on_id: str) -> AddOn:
    add_on = uow.add_ons.get(organization_id, add_on_id)
    if add_on is None:
        raise NotFound(f"no add-on {add_on_id!r}", field="add_on_id")
    return add_on


def get_add_on(uow: UnitOfWork, organization_id: str, add_on_id: str) -> AddOn:
    with uow:
        return _add_on(uow, organization_id, add_on_id)


def list_add_ons(uow: UnitOfWork, organization_id: str) -> list[AddOn]:
    with uow:
        return list(uow.add_ons.list(organization_id))


def archive_add_on(uow: UnitOfWork, clock: Clock, organization_id: str, add_on_id: str) -> AddOn:
    with uow:
        add_on = _add_on(uow, organization_id, add_on_id)
        if add_on.archived_at is None:
            add_on = replace(add_on, archived_at=clock.now())
            uow.add_ons.update(add_on)
            uow.commit()
    return add_on


@dataclass(frozen=True)
class ExtraPackInput:
    code: str
    name: str
    prices: Mapping[str, int]  # currency -> amount in minor units
    allowance: str
    amount: int
    description: str = ""


def _checked_pack(data: ExtraPackInput) -> dict[str, Any]:
    checks = Checks()
    values = {
        "code": checks.run(check_code, data.code),
        "name": checks.run(require_text, data.name, "name"),
        "prices": checks.run(amounts_from_data, dict(data.prices), "prices", MAX_PRICE),
        "allowance": checks.run(check_code, data.allowance, "allowance"),
        "description": checks.run(
            require_text, data.description, "description", max_length=2000, required=False
        ),
    }
    for currency in values["prices"] or {}:
        checks.run(Currency.of, currency, field=f"prices.{currency}")
    if values["prices"] == {}:  # None: the prices were wrong, and that is reported already
        checks.add(InvalidValue("an extra pack needs a price", field="prices", code=ec.REQUIRED))
    if isinstance(data.amount, bool) or not isinstance(data.amount, int) or data.amount < 1:
        checks.add(InvalidValue("amount is a whole number of at least 1", field="amount"))
    else:
        checks.run(at_most, data.amount, MAX_ALLOWANCE, "amount")
    checks.raise_if_any()
    return values


def create_extra_pack(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: ExtraPackInput
) -> ExtraPack:
    values = _checked_pack(data)
    pack = ExtraPack(
        id=new_id("pack"),
        organization_id=organization_id,
        amount=data.amount,
        archived_at=None,
        created_at=clock.now(),
        **values,
    )
    with uow:
        if uow.extra_packs.by_code(organization_id, pack.code) is not None:
            raise Conflict(
                f"an extra pack {pack.code!r} exists already", field="code", code=ec.DUPLICATE_CODE
            )
        uow.extra_packs.add(pack)
        uow.commit()
    return pack


def update_extra_pack(
    uow: UnitOfWork, organization_id: str, pack_id: str, data: ExtraPackInput
) -> ExtraPack:
    with uow:
        pack = _pack(uow, organization_id, pack_id)
        values = _checked_pack(replace(data, code=pack.code))
        pack = replace(pack, amount=data.amount, **values)
        uow.extra_packs.update(pack)
        uow.commit()
    return pack


def _pack(uow: UnitOfWork, organization_id: str, pack_id: str) -> ExtraPack:
    pack = uow.extra_packs.get(organization_id, pack_id)
    if pack is None:
        raise NotFound(f"no extra pack {pack_id!r}", field="pack_id")
    return pack


def get_extra_pack(uow: UnitOfWork, organization_id: str, pack_id: str) -> ExtraPack:
    with uow:
        return _pack(uow, organization_id, pack_id)


def list_extra_packs(uow: UnitOfWork, organization_id: str) -> list[ExtraPack]:
    with uow:
        return list(uow.extra_packs.list(organization_id))


def archive_extra_pack(
    uow: UnitOfWork, clock: Clock, organization_id: str, pack_id: str
) -> ExtraPack:
    with uow:
        pack = _pack(uow, organization_id, pack_id)
        if pack.archived_at is None:
            pack = replace(pack, archived_at=clock.now())
            uow.extra_packs.update(pack)
            uow.commit()
    return pack


def quote_plan(
    uow: UnitOfWork,
    organization_id: str,
    plan_id: str,
    *,
    cycle: str,
    currency: str,
    quantity: int,
    version_id: str | None = None,
) -> tuple[PlanVersion, Quote]:
    """A quote from the current version (or the one named), as shown before a purchase."""
    view = get_plan(uow, organization_id, plan_id)
    if version_id is None:
        version = view.current
        if version is None:
            raise Conflict(
                "this plan has no published version yet", field="plan_id", code=ec.NOT_PUBLISHED
            )
    else:
        version = next((v for v in view.versions if v.id == version_id), None)
        if version is None:
            raise NotFound(f"no version {version_id!r} of this plan", field="version_id")
    checks = Checks()
    parsed_cycle = checks.run(Cycle.parse, cycle)
    parsed_currency = checks.run(Currency.of, currency)
    checks.run(at_most, quantity, MAX_QUANTITY, "quantity")
    checks.raise_if_any()
    assert parsed_cycle and parsed_currency
    return version, quote(version.terms, parsed_cycle, parsed_currency, quantity)


@dataclass(frozen=True)
class Offer:
    """A plan as one channel shows it: the current version and a quote per offered cycle."""

    view: PlanView
    version: PlanVersion
    quotes: Sequence[Quote]


def offers(
    uow: UnitOfWork,
    organization_id: str,
    channel: str,
    currency: str | None = None,
    *,
    public_only: bool = False,
) -> list[Offer]:
    """What a channel offers: current, non-archived versions visible there, with one-seat
    (or the minimum seats) quotes for each cycle, ordered by family and rank.

    ``public_only`` (a publishable key's request): the internal channel offers nothing, so no
    internal-only plan or price leaves through a key that sits in a web page; the answer is the
    same as for a channel with nothing on it, and tells nothing about what is there."""
    try:
        where = Channel(channel)
    except ValueError:
        allowed = ", ".join(c.value for c in Channel)
        raise InvalidValue(f"channel is one of {allowed}", field="channel") from None
    wanted = Currency.of(currency) if currency else None
    if public_only and where not in PUBLIC_CHANNELS:
        return []
    return offers_of(list_plans(uow, organization_id), where, wanted)


def offers_of(
    plans: Iterable[PlanView], where: Channel, wanted: Currency | None = None
) -> list[Offer]:
    """``offers`` over plans already read (e.g. from a price book, inside a unit of work)."""
    result = []
    for view in plans:
        version = view.current
        if view.plan.archived_at is not None or version is None or not version.offered_on(where):
            continue
        quotes = []
        for code in version.terms.currencies():
            if wanted is not None and code != wanted.code:
                continue
            for cycle in version.terms.cycles(code):
                seats = version.terms.min_seats
                quotes.append(quote(version.terms, cycle, Currency.of(code), seats))
        if quotes:
            result.append(Offer(view, version, quotes))
    return sorted(result, key=lambda o: (o.view.family.code, o.view.plan.rank, o.view.plan.code))
