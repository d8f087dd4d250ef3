"""The console's Settings page: how the organization brands its portal (display name, logo,
accent colour) and what its invoices say about the seller (address, tax id).

One form, one use case: every field is checked before anything is saved, each wrong field is
shown beside it, and a refused form changes nothing. The form carries the revision it was
opened at, so a save on top of someone else's change (or a form without it) is refused rather
than undoing it: 409, the form showing the settings as they are now.
Sessions, CSRF and error pages are routes.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import File, Form, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.application.organizations import branding as uc
from plansmith.domain.kernel.errors import DomainError, InvalidInput
from plansmith.domain.organizations.branding import MAX_LOGO_BYTES, MIN_CONTRAST, Branding
from plansmith.entrypoints.console.routes import (
    PREFIX,
    CurrentOperator,
    FormOperator,
    Operator,
    _chrome,
)
from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui.branding import logo_url
from plansmith.entrypoints.webui.deps import Container
from plansmith.entrypoints.webui.formats import locale_for
from plansmith.entrypoints.webui.i18n import N_, request_language
from plansmith.entrypoints.webui.messages import refusal
from plansmith.entrypoints.webui.templating import countries, make_templates

PAGE = f"{PREFIX}/settings"
NO_STORE = {"Cache-Control": "no-store"}
SAVED = N_("Saved: the portal, invoices and PDFs show the new settings.")
CHANGED_MEANWHILE = N_(
    "Someone saved these settings after you opened this page. Nothing of yours was saved: the "
    "form now shows the settings as they are; make your changes again and save."
)
ADDRESS_FIELDS = ("line1", "line2", "line3", "city", "postal_code", "country")

templates = make_templates(Path(__file__).with_name("templates"))
router = app_router(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)


def _form_of(branding: Branding) -> dict[str, str]:
    address = branding.seller_address
    lines = list(address.lines) if address else []
    lines += [""] * (3 - len(lines))
    return {
        "display_name": branding.display_name,
        "accent_colour": branding.accent_colour,
        "tax_id": branding.tax_id,
        "line1": lines[0],
        "line2": lines[1],
        "line3": lines[2],
        "city": address.city if address else "",
        "postal_code": address.postal_code if address else "",
        "country": address.country if address else "",
    }


def _page(
    request: Request,
    operator: Operator,
    branding: Branding,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    changed_meanwhile: bool = False,
    status: int = 200,
) -> Response:
    logo = branding.logo
    context = {
        "branding": branding,
        "form": form or _form_of(branding),
        "errors": errors or {},
        "flash_message": SAVED if saved else None,
        "changed_meanwhile": CHANGED_MEANWHILE if changed_meanwhile else None,
        "logo_url": logo_url(branding.organization_id, logo.sha256) if logo else None,
        "countries": countries(locale_for(request_language(request))),
        "max_logo_kb": MAX_LOGO_BYTES // 1024,
        "min_contrast": MIN_CONTRAST,
        **_chrome(operator, "settings"),
    }
    return templates.TemplateResponse(
        request, "console/settings.html", context, status_code=status, headers=NO_STORE
    )


@router.get("/settings")
def settings_page(
    request: Request, operator: CurrentOperator, app: Container, done: str = ""
) -> Response:
    branding = uc.get_branding(app.uow(), operator.organization_id)
    return _page(request, operator, branding, saved=done == "saved")


def _errors(error: DomainError) -> dict[str, str]:
    """Each wrong field's message, under the form's own field names."""
    parts = error.errors if isinstance(error, InvalidInput) else [error]
    found: dict[str, str] = {}
    for part in parts:
        field = (part.field or "").removeprefix("seller_address.")
        if field.startswith("lines"):
            index = field[len("lines[") : -1] if field.startswith("lines[") else "0"
            field = f"line{int(index) + 1}" if index.isdigit() else "line1"
        if field.startswith("logo"):
            field = "logo"
        found.setdefault(field, refusal(part))
    return found


@router.post("/settings")
async def save_settings(
    request: Request,
    operator: FormOperator,
    app: Container,
    display_name: Annotated[str, Form()] = "",
    accent_colour: Annotated[str, Form()] = "",
    tax_id: Annotated[str, Form()] = "",
    line1: Annotated[str, Form()] = "",
    line2: Annotated[str, Form()] = "",
    line3: Annotated[str, Form()] = "",
    city: Annotated[str, Form()] = "",
    postal_code: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    revision: Annotated[str, Form()] = "",
    remove_logo: Annotated[str, Form()] = "",
    logo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = {
        "display_name": display_name,
        "accent_colour": accent_colour,
        "tax_id": tax_id,
        "line1": line1,
        "line2": line2,
        "line3": line3,
        "city": city,
        "postal_code": postal_code,
        "country": country,
    }
    address: uc.AddressInput | None = None
    if any(form[name].strip() for name in ADDRESS_FIELDS):
        address = uc.AddressInput([line1, line2, line3], city, postal_code, country)
    new_logo: uc.LogoInput | uc.Keep | None = None if remove_logo else uc.KEEP
    if logo is not None and logo.filename:
        data = await logo.read(MAX_LOGO_BYTES + 1)
        new_logo = uc.LogoInput(logo.content_type or "", data)
    changes = uc.BrandingChanges(
        display_name=display_name,
        accent_colour=accent_colour,
        tax_id=tax_id,
        seller_address=address,
        logo=new_logo,
    )
    org = operator.organization_id
    if not revision.strip().isdigit():  # not a form this page made: never saved unchecked
        return _page(
            request, operator, uc.get_branding(app.uow(), org), changed_meanwhile=True, status=409
        )
    try:
        uc.update_branding(app.uow(), app.clock, org, changes, expected_revision=int(revision))
    except DomainError as error:
        if error.status not in (409, 422):
            raise
        current = uc.get_branding(app.uow(), org)
        if error.status == 409:  # saved by someone else since: show what they saved
            return _page(request, operator, current, changed_meanwhile=True, status=409)
        return _page(
            request, operator, current, form=form, errors=_errors(error), status=error.status
        )
    return RedirectResponse(f"{PAGE}?done=saved", status_code=303)
