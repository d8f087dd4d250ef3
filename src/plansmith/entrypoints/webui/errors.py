"""Errors under the browser areas (/portal, /console) become HTML pages; /v1 keeps problem+json.

The handlers the API installed stay in place as the fallback for every other path, so this
module only decides, by path prefix, which area renders an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plansmith.application.kernel.errors import Refusal
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.webui.i18n import DEFAULT, N_, translate
from plansmith.entrypoints.webui.messages import BY_STATUS, refusal, shown
from plansmith.entrypoints.webui.messages import SOMETHING_WRONG as SOMETHING_WENT_WRONG

# Renders one area's error page: (request, status, message) -> response.
ErrorPage = Callable[[Request, int, str], Response]

TITLES = {
    400: N_("Incomplete form"),
    401: N_("Sign in needed"),
    403: N_("Form expired"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    422: N_("Cannot do that"),
}
SOMETHING_WRONG = N_("Something went wrong")
MESSAGES = {
    400: N_("The form was incomplete. Go back, fill it in and try again."),
    # Never the use case's own words ("no invoice 'inv_…'"): they name internal ids.
    404: N_("There is nothing here: the page or what it shows does not exist, or is not yours."),
    405: N_("This page cannot be used that way."),
    500: N_("Something went wrong on our side. Please try again in a moment."),
}


def title_for(status: int, language: str = DEFAULT) -> str:
    return translate(language, TITLES.get(status, SOMETHING_WRONG))


def message_for(status: int, message: str, language: str = DEFAULT) -> str:
    """What an error page says: its fixed sentence where it has one (a 404 always: a missing
    object's message names internal ids), else the use case's refusal in ``language`` (by its
    code, see messages.explain); any other English text only on an English page."""
    fixed = MESSAGES.get(status)
    if fixed is not None:
        return translate(language, fixed)
    if language == DEFAULT or isinstance(message, Refusal):
        return shown(message, language)
    return translate(language, BY_STATUS.get(status, SOMETHING_WENT_WRONG))


def error_code(request: Request) -> str | None:
    """The stable code of the error being rendered, when a use case raised it."""
    code: str | None = getattr(request.state, "error_code", None)
    return code


def install(app: FastAPI, pages: Mapping[str, ErrorPage]) -> None:
    """Route errors under each prefix in ``pages`` to its page; call after the API's install."""
    fallbacks: dict[type[Exception], Callable[..., Any]] = {
        kind: app.exception_handlers[kind]
        for kind in (StarletteHTTPException, DomainError, RequestValidationError, Exception)
    }

    def page_for(request: Request) -> ErrorPage | None:
        path = request.url.path
        for prefix, page in pages.items():
            if path == prefix or path.startswith(prefix + "/"):
                return page
        return None

    async def fallback(kind: type[Exception], request: Request, exc: Exception) -> Any:
        result = fallbacks[kind](request, exc)
        return await result if inspect.isawaitable(result) else result

    async def on_http(request: Request, exc: Exception) -> Any:
        page = page_for(request)
        if page is None or not isinstance(exc, StarletteHTTPException):
            return await fallback(StarletteHTTPException, request, exc)
        return page(request, exc.status_code, MESSAGES.get(exc.status_code, str(exc.detail)))

    async def on_domain(request: Request, exc: Exception) -> Any:
        page = page_for(request)
        if page is None or not isinstance(exc, DomainError):
            return await fallback(DomainError, request, exc)
        request.state.error_code = exc.code
        return page(request, exc.status, refusal(exc))

    async def on_validation(request: Request, exc: Exception) -> Any:
        page = page_for(request)
        if page is None:
            return await fallback(RequestValidationError, request, exc)
        return page(request, 400, MESSAGES[400])

    async def on_unexpected(request: Request, exc: Exception) -> Any:
        page = page_for(request)
        if page is None:
            return await fallback(Exception, request, exc)
        return page(request, 500, MESSAGES[500])

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
