"""The console's e-mail notice pages: a customer's "Sent mail" (every notice sent to the
account: subject, date, kind, status, recipients; one opened to read as it was sent with
``?message=<Message-ID>``), and the notice settings (the copy address, cc or bcc)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.accounts.accounts import get_account
from plansmith.application.kernel.errors import NotFound
from plansmith.application.notices.settings import notice_settings, update_notice_settings
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.entrypoints.console.billing_routes import NO_STORE
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
from plansmith.entrypoints.webui.mail.reading import KINDS, STATUSES, message_key, text_of
from plansmith.entrypoints.webui.messages import refusal
from plansmith.entrypoints.webui.templating import make_templates

SHOWN = 200  # the newest notices listed
templates = make_templates(Path(__file__).with_name("templates"))
templates.env.globals.update(notice_kinds=KINDS, notice_statuses=STATUSES, message_key=message_key)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/customers/{account_id}/mail")
def customer_mail_page(
    request: Request, account_id: str, operator: CurrentOperator, app: Container, message: str = ""
) -> Response:
    org = operator.organization_id
    account = get_account(app.uow(), org, account_id)
    store = app.notice_store
    opened = None
    if message:
        found = store.one(org, account.id, f"<{message}>")
        if found is None:
            raise NotFound(f"no notice {message!r}", field="message")
        text, files = text_of(found)
        opened = {"notice": found, "text": text, "files": files}
    context = {
        "account": account,
        "notices": [] if opened else store.sent_to(org, account.id, SHOWN),
        "opened": opened,
        **_chrome(operator, "customers"),
    }
    return templates.TemplateResponse(
        request, "console/customer_mail.html", context, headers=NO_STORE
    )


SETTINGS_SAVED = N_("Saved: every notice from now on is copied this way.")
COPY_MODES = {"cc": N_("Cc: the customer sees the copy address"), "bcc": N_("Bcc: hidden")}


def _settings_page(
    request: Request,
    operator: Operator,
    form: dict[str, str],
    *,
    errors: Mapping[str, object] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    language = request_language(request)
    context = {
        "form": form,
        "errors": errors or {},
        "saved": translate(language, SETTINGS_SAVED) if saved else None,
        "modes": [(mode, translate(language, label)) for mode, label in COPY_MODES.items()],
        **_chrome(operator, "settings"),
    }
    return templates.TemplateResponse(
        request, "console/notice_settings.html", context, status_code=status, headers=NO_STORE
    )


@router.get("/settings/notices")
def notice_settings_page(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    found = notice_settings(app.notice_store, operator.organization_id)
    form = {
        "copy_address": found.copy_address,
        "copy_mode": found.copy_mode,
        "trial_days_before": str(found.trial_days_before),
        "renewal_days_before": str(found.renewal_days_before),
    }
    return _settings_page(request, operator, form, saved=done == "saved")


@router.post("/settings/notices")
def save_notice_settings(
    request: Request,
    operator: FormOperator,
    app: Container,
    copy_address: Annotated[str, Form()] = "",
    copy_mode: Annotated[str, Form()] = "",
    trial_days_before: Annotated[str, Form()] = "",
    renewal_days_before: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "copy_address": copy_address,
        "copy_mode": copy_mode,
        "trial_days_before": trial_days_before,
        "renewal_days_before": renewal_days_before,
    }
    try:
        update_notice_settings(
            app.notice_store,
            app.clock,
            operator.organization_id,
            copy_address,
            copy_mode,
            trial_days_before=_days(trial_days_before, "trial_days_before"),
            renewal_days_before=_days(renewal_days_before, "renewal_days_before"),
        )
    except DomainError as error:
        if error.status != 422:
            raise
        errors = {error.field or "copy_address": refusal(error)}
        return _settings_page(request, operator, form, errors=errors, status=422)
    return RedirectResponse(f"{PREFIX}/settings/notices?done=saved", status_code=303)


def _days(text: str, field: str) -> int | None:
    """A whole number of days as typed; empty: as it is."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise InvalidValue(f"{field} is a whole number of days", field=field)
    return int(text)
