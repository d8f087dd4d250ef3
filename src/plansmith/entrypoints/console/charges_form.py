"""The plan editor's usage charges form: a version's charges as the API writes
``terms.charges`` (a JSON list), and the refusals by the path of the part each names."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.usage.charges_data import charge_to_data


def charges_data(terms: PlanTerms) -> list[dict[str, Any]]:
    """A version's charges as the API writes them (the form's text, the table's rows)."""
    return [charge_to_data(charge) for charge in terms.charges]


@dataclass(frozen=True)
class ChargesForm:
    text: str
    errors: dict[str, str] = field(default_factory=dict)  # by path: "charges[0].meter"

    @classmethod
    def of(cls, terms: PlanTerms) -> ChargesForm:
        return cls(json.dumps(charges_data(terms), indent=2, ensure_ascii=False))
