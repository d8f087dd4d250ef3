"""The plan editor's form: what the page shows, and reading what the operator posted.

Prices are read exactly from major units ("24.99") with parse_money, never through a float.
A field that cannot be read keeps its message by form field name, and the use case's own
errors ("terms.base_prices.USD") are moved to the field that shows them ("base_price.USD").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plansmith.adapters.money_format import parse_money
from plansmith.application.catalog.plans import PlanView
from plansmith.application.kernel.errors import Conflict, Refusal
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.plans import ApplyToExisting, PlanVersion
from plansmith.domain.catalog.terms import PlanTerms, PricingModel, check_code
from plansmith.domain.catalog.terms_data import terms_from_data, terms_to_data
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, DomainError, InvalidInput, InvalidValue
from plansmith.domain.kernel.money import Currency, Money
from plansmith.entrypoints.webui.formats import INPUT_LOCALE
from plansmith.entrypoints.webui.messages import refusal

LOCALE = INPUT_LOCALE  # amounts are typed as "24.99" whatever the page's language


def _wrong(message: str, name: str) -> str:
    """The form's own refusal of a field, said by its code on a page in another language."""
    return refusal(InvalidValue(message, field=name))


DISCOUNT_CYCLES = ("quarter", "half_year", "year")


def percent_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def percent_text(value: Decimal) -> str:
    return percent_number(value) + " %"


@dataclass(frozen=True)
class EditForm:
    """The editor's form: values by field name, and each error message beside its field."""

    values: Mapping[str, str]
    currencies: Sequence[str]  # one base-price row each
    channels: frozenset[str]
    per_seat: bool
    errors: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_version(cls, version: PlanVersion) -> EditForm:
        terms = version.terms
        values = {
            "name": version.name,
            "min_seats": str(terms.min_seats),
            "max_seats": "" if terms.max_seats is None else str(terms.max_seats),
            "trial_days": str(terms.trial_days),
            "allowances": "\n".join(f"{k} = {v}" for k, v in sorted(terms.allowances.items())),
            "features": "\n".join(sorted(terms.features)),
            "description": terms.description,
            "new_currency": "",
            "new_price": "",
        }
        for code, amount in terms.base_prices.items():
            values[f"base_price.{code}"] = str(Money(amount, Currency.of(code)).to_decimal())
        for name in DISCOUNT_CYCLES:
            percent = terms.cycle_discounts.get(name)
            values[f"discount.{name}"] = "" if percent is None else percent_number(percent)
        return cls(
            values,
            sorted(terms.base_prices),
            frozenset(c.value for c in version.channels),
            terms.pricing is PricingModel.PER_SEAT,
        )

    def failed(
        self, fields: Mapping[str, str], channels: Sequence[str], errors: Mapping[str, str]
    ) -> EditForm:
        """The same form showing what was posted, with each message beside its field."""
        values = {**{name: "" for name in self.values}, **fields}
        return EditForm(values, self.currencies, frozenset(channels), self.per_seat, errors)

    @property
    def other_errors(self) -> list[str]:
        shown = {*self.values, "base_prices"}
        return [message for name, message in self.errors.items() if name not in shown]


@dataclass(frozen=True)
class Edit:
    """What a submitted form asks edit_plan for, and the mistakes found reading it."""

    name: str
    terms: dict[str, Any]
    channels: list[str]
    new_currency: str
    errors: dict[str, str]


# Digits past this many are above every bound (domain/limits.py); they are not read as a
# number (Python refuses to read thousands of digits), only refused as too large.
_DIGITS_READ = 30


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _DIGITS_READ else 10**_DIGITS_READ


def _whole(text: str, name: str, errors: dict[str, str]) -> int | None:
    if re.fullmatch(r"[0-9]+", text.strip()):
        return _number(text.strip())
    errors[name] = _wrong(f"{text.strip()!r} is not a whole number", name)
    return None


def read_edit(fields: Mapping[str, str], channels: list[str], basis: PlanTerms) -> Edit:
    """Read the posted form into edit_plan's arguments; a field that cannot be read is left
    out (the draft keeps its value) and its error is kept by field name."""
    errors: dict[str, str] = {}
    terms: dict[str, Any] = {}
    prices: dict[str, int] = {}
    for code in sorted(basis.base_prices):
        text = fields.get(f"base_price.{code}", "").strip()
        if text:  # a blank price withdraws the currency
            prices[code] = _money(text, code, f"base_price.{code}", errors, basis)
    new_code = fields.get("new_currency", "").strip().upper()
    new_text = fields.get("new_price", "").strip()
    if new_code or new_text:
        if new_code in basis.base_prices:
            errors["new_currency"] = _wrong(
                f"{new_code} is priced already; change its price above", "new_currency"
            )
        elif not new_code or not new_text:
            missing = "new_currency" if not new_code else "new_price"
            both = "give both a currency and its monthly price"
            errors[missing] = refusal(DomainError(both, field=missing, code=ec.REQUIRED))
        else:
            try:
                Currency.of(new_code, field="new_currency")
                prices[new_code] = _money(new_text, new_code, "new_price", errors, basis)
            except DomainError as exc:
                errors["new_currency"] = refusal(exc)
    terms["base_prices"] = prices
    discounts = {k: str(v) for k, v in basis.cycle_discounts.items()}
    for name in DISCOUNT_CYCLES:
        text = fields.get(f"discount.{name}", "").strip().removesuffix("%").strip()
        if text:
            discounts[name] = text
        else:  # blank: that cycle is not offered
            discounts.pop(name, None)
    terms["cycle_discounts"] = discounts
    per_seat = basis.pricing is PricingModel.PER_SEAT
    for name in ["trial_days", *(["min_seats", "max_seats"] if per_seat else [])]:
        text = fields.get(name, "").strip()
        if not text:
            terms[name] = {"trial_days": 0, "min_seats": 1, "max_seats": None}[name]
        elif (number := _whole(text, name, errors)) is not None:
            terms[name] = number
    allowances: dict[str, int] = {}
    for n, line in enumerate(fields.get("allowances", "").splitlines(), start=1):
        key, equals, amount = line.partition("=")
        if not line.strip():
            continue
        if not equals or not re.fullmatch(r"[0-9][0-9,_]*", amount.strip()):
            errors["allowances"] = _wrong(
                f"line {n}: write key = number, e.g. chatbot_sessions = 1000", "allowances"
            )
        else:
            allowances[key.strip()] = _number(amount.strip().replace(",", "").replace("_", ""))
    if "allowances" not in errors:
        terms["allowances"] = allowances
    features = re.split(r"[\n,]", fields.get("features", ""))
    terms["features"] = sorted({f.strip() for f in features if f.strip()})
    terms["description"] = fields.get("description", "").strip()
    return Edit(fields.get("name", ""), terms, channels, new_code, errors)


def _money(text: str, code: str, name: str, errors: dict[str, str], basis: PlanTerms) -> int:
    try:
        return parse_money(text, Currency.of(code), LOCALE).amount
    except DomainError as exc:
        errors[name] = refusal(exc)
        return basis.base_prices.get(code, 0)  # only to check the other fields


def form_errors(error: DomainError, edit: Edit) -> dict[str, str]:
    """The use case's errors by form field; unknown fields go to the top of the form."""
    errors: dict[str, list[str]] = {}
    for part in error.errors if isinstance(error, InvalidInput) else [error]:
        path = (part.field or "").removeprefix("terms.")
        head, _, rest = path.partition(".")
        message: str = refusal(part)
        if head == "base_prices":
            name = "new_price" if rest and rest == edit.new_currency else f"base_price.{rest}"
        elif head == "cycle_discounts":
            name = f"discount.{rest}"
        elif head == "prices":
            name = "base_prices"
        elif head == "allowances":
            name = "allowances"
            message = message if rest in message else Refusal(f"{rest}: {message}", part)
        elif head in ("name", "min_seats", "max_seats", "trial_days", "features", "description"):
            name = head
        else:
            name = ""
        errors.setdefault(name, []).append(message)
    return {name: "; ".join(dict.fromkeys(messages)) for name, messages in errors.items()}


def all_errors(edit: Edit, basis: PlanVersion) -> dict[str, str]:
    """With some fields unreadable, the others are checked as the use case would, so the
    operator sees every mistake at once; the reading errors win where both name a field."""
    checks = Checks()
    checks.run(require_text, edit.name, "name")
    checks.run(terms_from_data, {**terms_to_data(basis.terms), **edit.terms}, "terms")
    checked = form_errors(InvalidInput(checks.errors), edit) if checks.errors else {}
    return {**checked, **edit.errors}


@dataclass(frozen=True)
class PublishForm:
    apply_to_existing: str = ""
    legacy_name: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CopyForm:
    """Copy asks for the new plan's name (the one customers see) and its code."""

    name: str = ""
    code: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenameForm:
    name: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)


def by_field(error: DomainError) -> dict[str, str]:
    """A use case's errors by the field they name ("" for none)."""
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    found: dict[str, str] = {}
    for part in parts:
        found.setdefault(part.field or "", refusal(part))
    return found


def check_copy(name: str, code: str) -> None:
    """Both fields at once, before the use case (which would make up "Copy of ..." for blanks);
    whether the code is free is the use case's to say."""
    checks = Checks()
    checks.run(require_text, name, "name")
    if not code.strip():
        checks.errors.append(InvalidValue("give the new plan a code, e.g. gold-2027", field="code"))
    else:
        checks.run(check_code, code, "code")
    checks.raise_if_any()


def check_publish(view: PlanView, apply_to_existing: str, legacy_name: str) -> None:
    """What publish_plan would refuse, checked before the confirmation step is shown."""
    if view.plan.archived_at is not None:
        raise Conflict(
            f"plan {view.plan.code!r} is archived", field="plan_id", code=ec.PLAN_ARCHIVED
        )
    if view.draft is None:
        raise Conflict(
            "there is no draft to publish; edit the plan first", field="plan_id", code=ec.NO_DRAFT
        )
    if apply_to_existing not in {a.value for a in ApplyToExisting}:
        raise InvalidValue(
            "apply_to_existing is never, at_renewal or now", field="apply_to_existing"
        )
    if legacy_name.strip():
        require_text(legacy_name, "legacy_name")


def check_discard(view: PlanView) -> None:
    """What discard_draft would refuse, checked before the confirmation step is shown."""
    if view.draft is None:
        raise Conflict(
            f"plan {view.plan.code!r} has no draft to discard", field="plan_id", code=ec.NO_DRAFT
        )
    if len(view.versions) == 1:
        raise Conflict(
            f"version {view.draft.number} is the only version of plan {view.plan.code!r}, never "
            "published: archive the plan instead",
            field="plan_id",
        )
