"""The language switch: a browser preference kept in a cookie, shared by portal and console."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form
from fastapi.responses import HTMLResponse, RedirectResponse

from plansmith.entrypoints.routers import app_router
from plansmith.entrypoints.webui import i18n

router = app_router(include_in_schema=False, default_response_class=HTMLResponse)


def local_path(target: str) -> str:
    """Where to go back to: a path of this site only, never another host (open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.post("/language")
def choose_language(
    language: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> RedirectResponse:
    response = RedirectResponse(local_path(next), status_code=303)
    if language in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            language,
            max_age=i18n.COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            path="/",
        )
    else:
        # No such language: back to what the account's locale and the browser say.
        response.delete_cookie(i18n.COOKIE, path="/")
    return response
