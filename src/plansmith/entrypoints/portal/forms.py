"""The invoice address form of the portal: submitted values, and errors placed by field."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from plansmith.application.accounts.accounts import AddressChanges, AddressInput
from plansmith.application.kernel.errors import Refusal
from plansmith.domain.accounts.account import InvoiceAddress
from plansmith.domain.kernel.errors import DomainError, InvalidInput
from plansmith.entrypoints.webui.i18n import N_, translate

LABELS = {
    "name": N_("Name"),
    "line1": N_("Address line 1"),
    "line2": N_("Address line 2"),
    "city": N_("City"),
    "region": N_("State / region"),
    "postal_code": N_("Postal code"),
    "country": N_("Country"),
}
EMPTY = N_("%(field)s must not be empty")
OPTIONAL = frozenset({"line2", "region", "postal_code"})


class AddressFields(BaseModel):
    """The fields as a browser posts them; every one may be missing or blank."""

    name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    def to_input(self) -> AddressInput:
        return AddressInput(**self.model_dump())

    def to_changes(self) -> AddressChanges:
        # The form always shows every field, so each one is sent; blank clears an optional one.
        return AddressChanges(**self.model_dump())


@dataclass(frozen=True)
class AddressForm:
    """One address form on the page: "new" or an address id keeps element ids unique."""

    key: str
    action: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> AddressForm:
        return cls("new", "/portal/addresses", {name: "" for name in LABELS})

    @classmethod
    def of_address(cls, address: InvoiceAddress) -> AddressForm:
        values = {name: str(getattr(address, name)) for name in LABELS}
        return cls(address.id, f"/portal/addresses/{address.id}", values)

    def failed(self, fields: AddressFields, error: DomainError) -> AddressForm:
        """The same form showing what was submitted, with each message beside its field."""
        values = fields.model_dump()
        errors = field_errors(error)
        for name in list(errors):
            # A blank field can only be wrong by being required; say so plainly (the country
            # check would otherwise answer "'' is not an ISO 3166-1 alpha-2 country code").
            if name in LABELS and not values[name].strip():
                errors[name] = EMPTY % {"field": LABELS[name]}
        return AddressForm(self.key, self.action, values, errors)

    @property
    def other_errors(self) -> list[str]:
        return [message for name, message in self.errors.items() if name not in LABELS]


def shown_error(message: str, name: str, language: str) -> str:
    """A field's message in the page's language when it is the form's own "must not be
    empty"; the rules' other messages are shown as they are worded."""
    label = LABELS.get(name)
    if label is not None and message == EMPTY % {"field": label}:
        return translate(language, EMPTY) % {"field": translate(language, label)}
    return message


def is_form_error(error: DomainError) -> bool:
    """A wrong value the person can fix on the form (422), not a missing object or a denial."""
    return error.status == 422


def field_errors(error: DomainError) -> dict[str, str]:
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    errors: dict[str, str] = {}
    for part in parts:
        name = part.field or ""
        errors.setdefault(name, Refusal(_readable(name, part.message), part))
    return errors


def _readable(name: str, message: str) -> str:
    # Domain messages start with the field's key ("line1 must not be empty"); show its label.
    label = LABELS.get(name)
    if label and message.startswith(name + " "):
        return label + message[len(name) :]
    return message
