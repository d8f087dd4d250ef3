"""Shared by the plan terms tests (test_catalog_terms_*.py): terms and their errors.

Every wrong value must come back with its error class, its machine code and the full path of
the field ("plans[0].terms.prices[1].amount"), and every wrong field of one input together."""

from __future__ import annotations

from typing import Any

import pytest

from plansmith.domain.catalog.terms_data import (
    terms_from_data,
)
from plansmith.domain.kernel.errors import DomainError, InvalidInput

PATH = "plans[0].terms"


def usd_month(amount: int = 1999) -> dict[str, Any]:
    return {"currency": "USD", "cycle": "month", "amount": amount}


def one_error(data: object, path: str = PATH) -> DomainError:
    """The single error reading `data` raises (fails the test if it is not exactly one)."""
    with pytest.raises(DomainError) as caught:
        terms_from_data(data, path)
    assert not isinstance(caught.value, InvalidInput), caught.value.message
    return caught.value


def every_error(data: object, path: str = PATH) -> list[tuple[str, str | None]]:
    with pytest.raises(InvalidInput) as caught:
        terms_from_data(data, path)
    assert caught.value.code == "invalid_input"
    return [(e.code, e.field) for e in caught.value.errors]


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, bool)
