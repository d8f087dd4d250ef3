"""The console's packs sold (Payments → Packs sold): every extra pack the organization's
customers bought, newest first, filtered by pack and by the month their period starts in,
"more" by cursor. Rendered with payment_routes.py's templates."""

from __future__ import annotations

from datetime import date

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.kernel.pagination import decode_cursor, encode_cursor
from plansmith.application.screens.console_packs import packs_sold
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.usage.packs import PackStatus
from plansmith.entrypoints.console.billing_routes import NO_STORE
from plansmith.entrypoints.console.payment_routes import PAGE_SIZE, templates
from plansmith.entrypoints.console.routes import PREFIX, CurrentOperator, _chrome
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.i18n import N_

router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)

# A purchase's status as the console says it.
PACK_STATES = {
    PackStatus.PENDING.value: N_("Pending"),
    PackStatus.PAID.value: N_("Paid"),
    PackStatus.FAILED.value: N_("Failed"),
}


def _month(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise InvalidValue(
            f"{value!r} is not a month; write it as YYYY-MM (2026-03)", field="period"
        ) from None


@router.get("/payments/packs")
def packs(
    request: Request,
    operator: CurrentOperator,
    app: Container,
    pack: str = "",
    period: str = "",
    cursor: str = "",
) -> Response:
    month = _month(period)
    page = packs_sold(
        app.uow(),
        operator.organization_id,
        pack_code=pack or None,
        month=month,
        before=decode_cursor(cursor or None),
        limit=PAGE_SIZE,
    )
    more = encode_cursor(*page.next_before) if page.next_before else None
    context = {
        "rows": page.rows,
        "packs": page.packs,
        "pack": pack,
        "period": period,
        "states": PACK_STATES,
        "more": more,
        **_chrome(operator, "payments"),
    }
    return templates.TemplateResponse(request, "console/packs_sold.html", context, headers=NO_STORE)
