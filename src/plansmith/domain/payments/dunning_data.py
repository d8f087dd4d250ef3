"""A dunning policy as plain data (JSON, a form, a database column): ``policy_to_dict`` and
``policy_from_dict``, which reads every field strictly and names each wrong one
(``retry_days[2]``, ``stages[1].action``) before the policy's own rules (dunning.py) judge it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.payments.dunning import (
    DEFAULT_POLICY,
    AfterLast,
    DunningPolicy,
    InvoiceAfterLast,
    Spacing,
    Stage,
    StageAction,
    _choices,
    _listed,
    _whole,
)

POLICY_FIELDS = ("retry_days", "spacing", "stages", "after_last", "invoice_after_last")
STAGE_FIELDS = ("after_days", "action")

E = TypeVar("E", bound=StrEnum)


def policy_to_dict(policy: DunningPolicy) -> dict[str, Any]:
    """The policy as JSON-ready data; ``policy_from_dict`` reads it back."""
    return {
        "retry_days": list(policy.retry_days),
        "spacing": policy.spacing.value,
        "stages": [
            {"after_days": stage.after_days, "action": stage.action.value}
            for stage in policy.stages
        ],
        "after_last": policy.after_last.value,
        "invoice_after_last": policy.invoice_after_last.value,
    }


def policy_from_dict(data: Mapping[str, object]) -> DunningPolicy:
    """A validated policy from plain data; fields left out take the default policy's values.
    Raises InvalidValue naming the field (``retry_days[2]``, ``stages[1].action``), or
    InvalidInput with every wrong field when there are several."""
    if not isinstance(data, Mapping):
        raise InvalidValue(f"expected a mapping of field names to values, got {data!r}")
    checks = Checks()
    for key in data:
        if key not in POLICY_FIELDS:
            checks.add(
                InvalidValue(
                    f"unknown field; a dunning policy has {_listed(POLICY_FIELDS)}",
                    field=str(key),
                    code=ec.UNKNOWN_FIELD,
                )
            )
    default = DEFAULT_POLICY
    spacing = _read(data, "spacing", checks, lambda v: _enum(Spacing, v, "spacing"))
    retry_days = _read(data, "retry_days", checks, _retry_days)
    stages = _read(data, "stages", checks, _stages)
    after_last = _read(data, "after_last", checks, lambda v: _enum(AfterLast, v, "after_last"))
    invoice_after_last = _read(
        data,
        "invoice_after_last",
        checks,
        lambda v: _enum(InvoiceAfterLast, v, "invoice_after_last"),
    )
    if "spacing" in data and spacing is None and retry_days is not None:
        retry_days = None  # the days' rules depend on the spacing: judge them once it is right
    policy = DunningPolicy(
        retry_days=default.retry_days if retry_days is None else retry_days,
        spacing=default.spacing if spacing is None else spacing,
        stages=default.stages if stages is None else stages,
        after_last=default.after_last if after_last is None else after_last,
        invoice_after_last=(
            default.invoice_after_last if invoice_after_last is None else invoice_after_last
        ),
    )
    checks.run(policy.validated)  # the rules, on the fields that could be read
    checks.raise_if_any()
    return policy


def _read(data: Mapping[str, object], key: str, checks: Checks, convert: Any) -> Any:
    """The field converted, or None when it is left out or wrong (the error is kept)."""
    if key not in data:
        return None
    if data[key] is None:
        checks.add(
            InvalidValue(
                f"{key} cannot be null; give a value or leave the field out for the default",
                field=key,
                code=ec.REQUIRED,
            )
        )
        return None
    return checks.run(convert, data[key])


def _list(value: object, where: str) -> Sequence[object]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise InvalidValue(f"expected a list, got {value!r}", field=where)
    return value


def _retry_days(value: object) -> tuple[int, ...]:
    items = _list(value, "retry_days")
    checks = Checks()
    days: list[int] = []
    for i, item in enumerate(items):
        if isinstance(item, int) and not isinstance(item, bool):
            days.append(item)
        else:
            checks.add(
                InvalidValue(
                    f"expected a whole number of days, got {item!r}", field=f"retry_days[{i}]"
                )
            )
    checks.raise_if_any()
    return tuple(days)


def _stages(value: object) -> tuple[Stage, ...]:
    items = _list(value, "stages")
    checks = Checks()
    stages: list[Stage] = []
    for i, item in enumerate(items):
        stage = checks.run(_stage, item, f"stages[{i}]")
        if stage is not None:
            stages.append(stage)
    checks.raise_if_any()
    return tuple(stages)


def _stage(value: object, where: str) -> Stage:
    if not isinstance(value, Mapping):
        raise InvalidValue(
            f"expected a stage, {{after_days: a number, action: one of "
            f"{_choices(StageAction)}}}, got {value!r}",
            field=where,
        )
    checks = Checks()
    for key in value:
        if key not in STAGE_FIELDS:
            checks.add(
                InvalidValue(
                    f"unknown field; a stage has {_listed(STAGE_FIELDS)}",
                    field=f"{where}.{key}",
                    code=ec.UNKNOWN_FIELD,
                )
            )
    for key in STAGE_FIELDS:
        if value.get(key) is None:
            checks.add(
                InvalidValue(f"a stage needs its {key}", field=f"{where}.{key}", code=ec.REQUIRED)
            )
    after_days = value.get("after_days")
    if after_days is not None and not _whole(after_days):
        checks.add(
            InvalidValue(
                f"expected a whole number of days, got {after_days!r}",
                field=f"{where}.after_days",
            )
        )
    action = None
    if value.get("action") is not None:
        action = checks.run(_enum, StageAction, value["action"], f"{where}.action")
    checks.raise_if_any()
    assert isinstance(after_days, int) and isinstance(action, StageAction)
    return Stage(after_days, action)


def _enum(kind: type[E], value: object, where: str) -> E:
    if isinstance(value, str):
        for member in kind:
            if member.value == value:
                return member
    raise InvalidValue(f"unknown value {value!r}; use {_choices(kind)}", field=where)
