"""Tax rates in SQL, and the rate each account is taxed at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.invoicing.invoice import TaxRate


def rate_of_row(row: Row[Any]) -> TaxRate:
    r = row._mapping
    return TaxRate(
        r["id"], r["name"], Decimal(r["percent"]), r["inclusive"], r["country"], r["region"]
    )


class SqlTaxRates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_tax_rate(self, rate: TaxRate, organization_id: str, at: datetime) -> None:
        self.session.execute(
            insert(t.tax_rates).values(
                id=rate.id,
                organization_id=organization_id,
                name=rate.name,
                percent=str(rate.percent),
                inclusive=rate.inclusive,
                country=rate.country,
                region=rate.region,
                created_at=at,
            )
        )

    def tax_rates(self, organization_id: str) -> Sequence[TaxRate]:
        c = t.tax_rates.c
        q = select(t.tax_rates).where(c.organization_id == organization_id).order_by(c.created_at)
        return [rate_of_row(row) for row in self.session.execute(q)]

    def set_account_tax_rate(
        self, organization_id: str, account_id: str, rate_id: str | None
    ) -> None:
        c = t.account_tax_rates.c
        self.session.execute(delete(t.account_tax_rates).where(c.account_id == account_id))
        if rate_id is not None:
            self.session.execute(
                insert(t.account_tax_rates).values(
                    account_id=account_id, organization_id=organization_id, tax_rate_id=rate_id
                )
            )

    def account_tax_rate(self, account_id: str) -> str | None:
        c = t.account_tax_rates.c
        q = select(c.tax_rate_id).where(c.account_id == account_id)
        rate_id: str | None = self.session.execute(q).scalar()
        return rate_id
