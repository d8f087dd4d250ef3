"""The plan editor's usage charges: each version's charges shown (meter, currency, included
allowance, limit, model with its prices or tiers), and the draft's charges edited as the API
takes ``terms.charges`` (a JSON list), saved by the very use case and checks of the API
(``edit_plan``): a refusal is shown beside the field with the path of the part it names, and
nothing is saved.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.catalog import plans as cat
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.console.catalog_routes import _editor
from plansmith.entrypoints.console.charges_form import ChargesForm
from plansmith.entrypoints.console.routes import PREFIX, FormOperator
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container, organization_clock
from plansmith.entrypoints.webui.messages import by_field

FIELD = "charges"
NOT_JSON = "Write the charges as a JSON list, as the API takes terms.charges"


router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.post("/plans/{plan_id}/charges")
def save_charges(
    request: Request,
    plan_id: str,
    operator: FormOperator,
    app: Container,
    charges: Annotated[str, Form()] = "",
) -> Response:
    org = operator.organization_id
    view = cat.get_plan(app.uow(), org, plan_id)
    try:
        data = json.loads(charges) if charges.strip() else []
    except ValueError:
        data = None
    try:
        if not isinstance(data, list):
            raise InvalidValue(NOT_JSON, field=f"terms.{FIELD}")
        clock = organization_clock(app, org)
        cat.edit_plan(app.uow(), clock, org, plan_id, terms={FIELD: data})
    except DomainError as error:
        if error.status != 422:
            raise
        errors: dict[str, str] = {
            name.removeprefix("terms."): message for name, message in by_field(error).items()
        }
        form = ChargesForm(charges, errors)
        return _editor(request, app, operator, view, charges=form, status=422)
    return RedirectResponse(f"{PREFIX}/plans/{plan_id}?done=saved#charges", status_code=303)
