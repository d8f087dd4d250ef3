"""What a subscription can add to its plan: add-ons and extra packs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from plansmith.domain.catalog.terms import Price


@dataclass(frozen=True)
class AddOn:
    """A package bought on top of a plan (AI assistant, Telegram, webhooks...)."""

    id: str
    organization_id: str
    code: str
    name: str
    prices: tuple[Price, ...]
    quantity_allowed: bool  # e.g. extra team-chat seats; otherwise exactly one
    fits_families: frozenset[str]  # family codes; empty means every family
    fits_plans: frozenset[str]  # plan codes; empty means every plan of those families
    features: frozenset[str]
    allowances: Mapping[str, int]
    description: str
    archived_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ExtraPack:
    """A one-off purchase that adds allowance at once (e.g. 1,000 chatbot extra sessions)."""

    id: str
    organization_id: str
    code: str
    name: str
    prices: Mapping[str, int]  # currency -> amount
    allowance: str
    amount: int
    description: str
    archived_at: datetime | None
    created_at: datetime
