"""The operator's brand on the portal: its name, logo and accent colour in the header of every
portal page, and the logo itself at a URL of its own.

``brand()`` is a template global: base.html asks for it, so no handler has to pass it. On a
portal page it reads the organization's branding in the page's own transaction, one
primary-key read without the logo's bytes, so a change made in any process shows at the next
page (nothing is kept between requests that could go stale). Other pages (the console, sign-in)
get None and keep the product's own name and colours.

The logo is served from this origin at ``/brand/{organization}/logo/{sha256}``: the digest
names the content, so the answer may be kept for a year, and a new logo is a new URL. It is
sent with its checked type, ``nosniff`` and a Content Security Policy that sandboxes it and
allows no script, so even an SVG opened on its own runs nothing; pages only ever show it
through ``<img>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import Response

from plansmith.application.kernel.errors import NotFound
from plansmith.application.organizations.branding import get_logo
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.routers import app_router

PORTAL = "/portal"
ORGANIZATION = "brand_organization_id"  # request.state: whose portal this page is
LOGO_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Content-Disposition": "inline",
}

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

router = app_router(include_in_schema=False)


@dataclass(frozen=True)
class Brand:
    name: str
    accent: str  # #rrggbb, or "" for the product's colours
    logo_url: str  # "" for none


LOGO_ROUTE = "/brand/{organization_id}/logo/{sha256}"


def logo_url(organization_id: str, sha256: str) -> str:
    """Where the logo is served (the one home of that URL: pages, the console and the API's
    settings link to it): a new logo is a new URL."""
    return LOGO_ROUTE.format(organization_id=organization_id, sha256=sha256)


def remember_organization(request: Request, organization_id: str) -> None:
    """Called when a portal session is read: the organization whose brand the page shows."""
    setattr(request.state, ORGANIZATION, organization_id)


def brand_of(request: Request | None) -> Brand | None:
    if request is None or not request.url.path.startswith(PORTAL):
        return None
    organization_id = getattr(request.state, ORGANIZATION, None)
    if not organization_id:
        return None
    container: Plansmith = request.app.state.plansmith
    with container.uow() as uow:
        branding = uow.branding.get(organization_id)
    if branding is None:
        return None
    logo = branding.logo
    # Checked when saved; checked again here, since it goes into a style sheet.
    accent = branding.accent_colour if _COLOUR.fullmatch(branding.accent_colour) else ""
    return Brand(
        branding.shown_name,
        accent,
        logo_url(organization_id, logo.sha256) if logo else "",
    )


@pass_context
def template_brand(context: Context) -> Brand | None:
    request: Any = context.get("request")
    return brand_of(request if isinstance(request, Request) else None)


def logo(request: Request) -> Response:
    container: Plansmith = request.app.state.plansmith
    organization_id = str(request.path_params["organization_id"])
    digest = str(request.path_params["sha256"])
    try:
        found = get_logo(container.uow(), organization_id, digest)
    except NotFound:
        return Response("no such logo", status_code=404, media_type="text/plain")
    return Response(found.data, media_type=found.content_type, headers=LOGO_HEADERS)


# A plain route, not an API one: an image, outside the API's schema and its route walks.
router.add_route(LOGO_ROUTE, logo, methods=["GET"])
