"""Request and response bodies for credit notes in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from plansmith.domain.invoicing.invoice import CreditNote
from plansmith.domain.kernel.limits import MAX_INVOICE_AMOUNT
from plansmith.entrypoints.api.invoicing.schemas import money
from plansmith.entrypoints.api.schemas import AtMost, Strict


class CreditNoteCreate(Strict):
    amount: Annotated[StrictInt, AtMost(MAX_INVOICE_AMOUNT, 1)] = Field(
        description="Minor units, tax included; at most what is uncredited"
    )
    reason: str = Field(examples=["Service outage on Feb 3"])


class CreditNoteOut(BaseModel):
    object: str = "credit_note"
    id: str
    number: str = Field(description="CN-000001...")
    invoice_id: str
    reason: str
    amount: int = Field(description="Tax included")
    amount_formatted: str
    tax: int
    tax_formatted: str
    created_at: datetime

    @classmethod
    def of(cls, note: CreditNote, currency: str, locale: str) -> CreditNoteOut:
        return cls.model_validate(
            {
                **note.__dict__,
                "amount_formatted": money(note.amount, currency, locale),
                "tax_formatted": money(note.tax, currency, locale),
            }
        )
