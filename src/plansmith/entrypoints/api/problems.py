"""Errors as application/problem+json (RFC 9457) with a stable code and the offending field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from plansmith.domain.errors import DomainError, InvalidInput

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid request",
    500: "Internal error",
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://plansmith.dev/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body["errors"] = (
        errors
        if errors is not None
        else ([{"field": field, "code": code, "message": detail}] if field else [])
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# Error types -> our codes: pydantic's, and those of our own validators (schemas.Patch's null
# "required", schemas.bounded's "too_large").
_CODES = {
    "missing": "required",
    "required": "required",
    "extra_forbidden": "unknown_field",
    "too_large": "too_large",
}


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def domain_problem(exc: DomainError) -> JSONResponse:
    parts = exc.errors if isinstance(exc, InvalidInput) else [exc]
    errors = [{"field": e.field, "code": e.code, "message": e.message} for e in parts]
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(
        exc.status, exc.code, exc.message, field=exc.field, errors=errors, headers=headers
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            code = _CODES.get(err["type"], "invalid_value")
            errors.append(
                {"field": _field_of(tuple(err["loc"])), "code": code, "message": err["msg"]}
            )
        first = errors[0]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, first["code"], detail, field=first["field"], errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Logged by the server; the client gets a problem it can show, never a stack trace.
        return problem(500, "internal_error", "something went wrong on our side; retry later")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code, str(exc.detail), headers=headers)
