"""Request and response bodies of the usage API: meters, usage events, an account's usage
and the organization's grace window for late events.

Sums and maxima are exact decimals written as JSON strings ("12.5"), as the aggregates keep
them (integer millionths, never floats); counts are integers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt, StrictStr

from plansmith.application.usage.ingest import ACCEPTED, Answer
from plansmith.application.usage.queries import AccountUsage, MeterUsage
from plansmith.domain.usage.events import MAX_BATCH, MAX_GRACE, MAX_ID_LENGTH
from plansmith.domain.usage.meters import Aggregation, Meter
from plansmith.entrypoints.api.schemas import OneOf, Strict


class MeterCreate(Strict):
    code: StrictStr = Field(description="Unique in the organization: 1-63 of a-z 0-9 _ . -")
    name: StrictStr
    event_code: StrictStr = Field(description="The code of the usage events it reads")
    aggregation: Annotated[str, OneOf(Aggregation)] = Field(
        description="count the events, sum or max a numeric property, or unique_count the "
        "distinct values of a property"
    )
    property: StrictStr | None = Field(
        default=None, description="The property read; required for sum, max and unique_count"
    )
    filters: dict[str, list[StrictStr]] | None = Field(
        default=None,
        description="Only events whose property has one of the values listed, per property",
    )


class MeterOut(BaseModel):
    object: str = "meter"
    id: str
    code: str
    name: str
    event_code: str
    aggregation: str
    property: str | None
    filters: dict[str, list[str]]
    created_at: datetime

    @classmethod
    def of(cls, meter: Meter) -> MeterOut:
        return cls(
            id=meter.id,
            code=meter.code,
            name=meter.name,
            event_code=meter.event_code,
            aggregation=str(meter.aggregation),
            property=meter.property,
            filters={k: list(v) for k, v in meter.filters.items()},
            created_at=meter.created_at,
        )


class UsageEventIn(Strict):
    id: StrictStr = Field(
        max_length=MAX_ID_LENGTH,
        description="Your id of the event: the first accepted with an id counts, once",
    )
    account_id: StrictStr | None = Field(default=None, description="This or external_id")
    external_id: StrictStr | None = Field(default=None, description="Your id of the account")
    code: StrictStr = Field(description="The event code meters read")
    timestamp: StrictStr = Field(
        description="ISO 8601 with its UTC offset: 2026-02-01T09:30:00+09:00",
    )
    properties: dict[str, Any] | None = Field(
        default=None,
        description="Text (up to 200 characters) or numbers; sum and max meters read a number "
        "of at most six decimals, 0 or more and below 10^12",
    )


class UsageBatchIn(Strict):
    events: list[dict[str, Any]] = Field(
        description=f"Up to {MAX_BATCH:,} events, each as the body of POST /v1/events; each is "
        "answered on its own",
    )


class EventAnswerOut(BaseModel):
    object: str = "usage_event_answer"
    id: str | None
    status: str = Field(description="accepted, or rejected (then code, message and field)")
    code: str | None = None
    message: str | None = None
    field: str | None = None
    account_id: str | None = None
    local_date: date | None = Field(
        default=None, description="The local date it counts on, in the account's time zone"
    )

    @classmethod
    def of(cls, answer: Answer, index: int | None = None) -> EventAnswerOut:
        field = answer.field
        if index is not None and answer.status != ACCEPTED:
            field = f"events[{index}]" + (f".{field}" if field else "")
        # Built without validation: every value comes typed from the use case's Answer, and a
        # batch makes 1,000 of these.
        return cls.model_construct(
            id=answer.id,
            status=answer.status,
            code=answer.code,
            message=answer.message,
            field=field,
            account_id=answer.account_id,
            local_date=answer.local_date,
        )


class BatchOut(BaseModel):
    object: str = "list"
    data: list[EventAnswerOut]
    accepted: int
    rejected: int


def batch_json(answers: Sequence[Answer]) -> bytes:
    """BatchOut's JSON, written from plain dicts in one json.dumps: the same keys in the
    same order as the models give. A model per answer cost more CPU than the rest of the
    answer; test_usage_batch_answer_json holds the two equal."""
    data = []
    accepted = 0
    for index, a in enumerate(answers):
        field = a.field
        if a.status == ACCEPTED:
            accepted += 1
        else:
            field = f"events[{index}]" + (f".{field}" if field else "")
        data.append(
            {
                "object": "usage_event_answer",
                "id": a.id,
                "status": a.status,
                "code": a.code,
                "message": a.message,
                "field": field,
                "account_id": a.account_id,
                "local_date": None if a.local_date is None else a.local_date.isoformat(),
            }
        )
    out = {"object": "list", "data": data, "accepted": accepted, "rejected": len(data) - accepted}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


def _value(usage: MeterUsage) -> int | str:
    if usage.meter.aggregation in (Aggregation.COUNT, Aggregation.UNIQUE_COUNT):
        return int(usage.value)
    return format(usage.value, "f") if usage.value != Decimal(0) else "0"


class MeterUsageOut(BaseModel):
    meter: str = Field(description="The meter's code")
    aggregation: str
    value: int | str = Field(
        description="An integer for count and unique_count; an exact decimal string for sum and max"
    )


class UsageOut(BaseModel):
    object: str = "usage"
    account_id: str
    period_start: date = Field(description="First local date of the billing period")
    period_end: date = Field(description="The local date after its last (excluded)")
    time_zone: str
    meters: list[MeterUsageOut]

    @classmethod
    def of(cls, usage: AccountUsage) -> UsageOut:
        return cls(
            account_id=usage.account_id,
            period_start=usage.period.start,
            period_end=usage.period.end,
            time_zone=usage.period.tz.key,
            meters=[
                MeterUsageOut(
                    meter=u.meter.code, aggregation=str(u.meter.aggregation), value=_value(u)
                )
                for u in usage.meters
            ],
        )


GRACE_SECONDS = int(MAX_GRACE.total_seconds())


class UsageSettingsIn(Strict):
    event_grace_seconds: StrictInt = Field(
        ge=0,
        le=GRACE_SECONDS,
        description="How long after a billing period ends its late events are still accepted",
    )


class UsageSettingsOut(BaseModel):
    object: str = "usage_settings"
    event_grace_seconds: int
