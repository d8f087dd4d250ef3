"""The portal's Notices page: every e-mail notice sent to the customer (subject, date, kind),
and one of them opened to read as it was sent (``?message=<Message-ID>``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from plansmith.application.accounts.accounts import get_account
from plansmith.application.kernel.errors import NotFound
from plansmith.entrypoints.portal.routes import NO_STORE, PREFIX, CurrentVisit
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.mail.reading import KINDS, message_key, text_of
from plansmith.entrypoints.webui.sessions import CSRF_FIELD
from plansmith.entrypoints.webui.templating import make_templates

SHOWN = 100  # the newest notices listed
templates = make_templates(Path(__file__).with_name("templates"))
templates.env.globals.update(notice_kinds=KINDS, message_key=message_key)
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/notices")
def notices_page(
    request: Request, visit: CurrentVisit, app: Container, message: str = ""
) -> Response:
    org, account_id = visit.organization_id, visit.account_id
    account = get_account(app.uow(), org, account_id)
    store = app.notice_store
    opened = None
    if message:
        found = store.one(org, account_id, f"<{message}>")
        if found is None:  # another account's notice is as absent as none
            raise NotFound(f"no notice {message!r}", field="message")
        text, files = text_of(found)
        opened = {"notice": found, "text": text, "files": files}
    context = {
        "account": account,
        "locale": account.locale,
        "zone": account.time_zone,
        "notices": [] if opened else store.sent_to(org, account_id, SHOWN),
        "opened": opened,
        "csrf_token": visit.session.csrf_token,
        "csrf_field": CSRF_FIELD,
        "nav": "notices",
    }
    return templates.TemplateResponse(request, "portal/notices.html", context, headers=NO_STORE)
