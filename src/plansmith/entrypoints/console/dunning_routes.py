"""The console's dunning policy form in Settings: the policy as the form shows it, and saving
it with each refusal shown under the form's own field, nothing changed. Rendered with
payment_routes.py's templates.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.payments.queries import dunning_policy
from plansmith.application.payments.settings import set_dunning_policy
from plansmith.domain.kernel.errors import DomainError, InvalidInput
from plansmith.domain.payments.dunning import MAX_STAGES, DunningPolicy
from plansmith.domain.payments.dunning_data import policy_to_dict
from plansmith.entrypoints.console.billing_routes import NO_STORE
from plansmith.entrypoints.console.payment_routes import templates
from plansmith.entrypoints.console.payment_words import (
    AFTER_LAST,
    INVOICE_AFTER_LAST,
    SPACINGS,
    STAGE_ACTIONS,
    choices,
)
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_, request_language, translate
from plansmith.entrypoints.webui.messages import refusal

POLICY_SAVED = N_("Saved: invoices that fail from now on follow this policy.")

router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


# -- the dunning policy ---------------------------------------------------------------------


STAGE_ROWS_FREE = 2  # empty stage rows the form offers beyond those set
_STAGE_FIELD = re.compile(r"^stages\[([0-9]+)\]\.(after_days|action)$")
_RETRY_FIELD = re.compile(r"^retry_days(\[[0-9]+\])?$")


def _policy_form(policy: DunningPolicy) -> dict[str, object]:
    data = policy_to_dict(policy)
    return {
        "retry_days": ", ".join(str(d) for d in data["retry_days"]),
        "spacing": data["spacing"],
        "stages": [(str(s["after_days"]), s["action"]) for s in data["stages"]],
        "after_last": data["after_last"],
        "invoice_after_last": data["invoice_after_last"],
    }


def _dunning_page(
    request: Request,
    operator: Operator,
    form: dict[str, object],
    *,
    errors: dict[str, object] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    language = request_language(request)
    stages = list(form["stages"])  # type: ignore[call-overload]
    rows = min(MAX_STAGES, max(len(stages) + STAGE_ROWS_FREE, STAGE_ROWS_FREE))
    stages += [("", "")] * (rows - len(stages))
    context = {
        "form": {**form, "stages": stages},
        "errors": errors or {},
        "saved": translate(language, POLICY_SAVED) if saved else None,
        "spacings": choices(SPACINGS, language),
        "actions": choices(STAGE_ACTIONS, language),
        "after_last_choices": choices(AFTER_LAST, language),
        "invoice_after_last_choices": choices(INVOICE_AFTER_LAST, language),
        **_chrome(operator, "settings"),
    }
    return templates.TemplateResponse(
        request, "console/dunning.html", context, status_code=status, headers=NO_STORE
    )


@router.get("/settings/dunning")
def dunning_page(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    policy = dunning_policy(app.uow(), operator.organization_id)
    return _dunning_page(request, operator, _policy_form(policy), saved=done == "saved")


def _number(text: str) -> object:
    """A whole number as typed ("3", "-1"); anything else as typed, for the rule to name."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else text


def _policy_errors(error: DomainError, rows: list[int]) -> dict[str, object]:
    """Each refusal under the form's own field: ``retry_days``, ``stage_days-<row>``,
    ``stage_action-<row>``, ``spacing``... (``rows``: the form row of each stage sent)."""
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    found: dict[str, object] = {}
    for part in parts:
        name = part.field or "retry_days"
        stage = _STAGE_FIELD.match(name)
        if stage is not None:
            index = int(stage.group(1))
            row = rows[index] if index < len(rows) else index
            name = f"stage_{'days' if stage.group(2) == 'after_days' else 'action'}-{row}"
        elif _RETRY_FIELD.match(name):
            name = "retry_days"
        found.setdefault(name, refusal(part))
    return found


@router.post("/settings/dunning")
def save_dunning(
    request: Request,
    operator: FormOperator,
    app: Container,
    retry_days: Annotated[str, Form()] = "",
    spacing: Annotated[str, Form()] = "",
    stage_days: Annotated[list[str] | None, Form()] = None,
    stage_action: Annotated[list[str] | None, Form()] = None,
    after_last: Annotated[str, Form()] = "",
    invoice_after_last: Annotated[str, Form()] = "",
) -> Response:
    days_in, actions_in = list(stage_days or []), list(stage_action or [])
    width = max(len(days_in), len(actions_in))
    days_in += [""] * (width - len(days_in))
    actions_in += [""] * (width - len(actions_in))
    rows = [i for i in range(width) if days_in[i].strip() or actions_in[i].strip()]
    data = {
        "retry_days": [_number(d) for d in re.split(r"[\s,]+", retry_days.strip()) if d],
        "spacing": spacing,
        "stages": [
            {
                "after_days": _number(days_in[i]) if days_in[i].strip() else None,
                "action": actions_in[i] or None,
            }
            for i in rows
        ],
        "after_last": after_last,
        "invoice_after_last": invoice_after_last,
    }
    try:
        set_dunning_policy(app.uow(), app.clock, operator.organization_id, data)
    except DomainError as error:
        if error.status != 422:
            raise
        form: dict[str, object] = {
            "retry_days": retry_days,
            "spacing": spacing,
            "stages": [(days_in[i], actions_in[i]) for i in range(width)],
            "after_last": after_last,
            "invoice_after_last": invoice_after_last,
        }
        return _dunning_page(
            request, operator, form, errors=_policy_errors(error, rows), status=422
        )
    return RedirectResponse(f"{PREFIX}/settings/dunning?done=saved", status_code=303)
