"""Errors as application/problem+json (RFC 9457) with a stable code and the offending field.

Every code comes from the registry in plansmith.domain.kernel.error_codes; `problem()` refuses any
other. `problems(...)` documents the answers a route gives besides the ones every route of its
kind gives (see plansmith.entrypoints.api.openapi).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.error_codes import ErrorCode
from plansmith.domain.kernel.errors import DomainError, InvalidInput

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
}
HTTP_CODES = {401: ec.UNAUTHORIZED, 404: ec.NOT_FOUND, 405: ec.METHOD_NOT_ALLOWED}


class UnknownErrorCode(LookupError):
    """A problem with a code the registry does not declare, or with another status than its
    code's: a programming error, refused before anything reaches a client."""


def problem(
    status: int,
    code: ErrorCode,
    detail: str,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    declared = ec.REGISTRY.get(code)
    if declared is None:
        raise UnknownErrorCode(f"error code {code!r} is not in plansmith.domain.kernel.error_codes")
    if declared.status != status and declared is not ec.HTTP_ERROR:
        raise UnknownErrorCode(f"error code {code!r} is {declared.status}, not {status}")
    body: dict[str, Any] = {
        "type": f"https://plansmith.dev/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": str(code),
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body["errors"] = (
        errors
        if errors is not None
        else ([{"field": field, "code": str(code), "message": detail}] if field else [])
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def domain_problem(exc: DomainError) -> JSONResponse:
    parts = exc.errors if isinstance(exc, InvalidInput) else [exc]
    errors = [{"field": e.field, "code": str(e.code), "message": e.message} for e in parts]
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(
        exc.status, exc.code, exc.message, field=exc.field, errors=errors, headers=headers
    )


# Error types -> our codes: pydantic's, and the registry entries our own validators raise as
# PydanticCustomError types (schemas.AtMost, schemas.Patch's null, billing_schemas.Percent).
# Any other type is `invalid_value`.
_CODES: dict[str, ErrorCode] = {
    "missing": ec.REQUIRED,
    "extra_forbidden": ec.UNKNOWN_FIELD,
    **{
        code: code
        for code in (
            ec.REQUIRED,
            ec.TOO_LARGE,
            ec.DISCOUNT_RANGE,
            ec.TOO_MANY_DECIMALS,
            ec.INVALID_VALUE,
        )
    },
}


def _validation_code(error_type: str) -> ErrorCode:
    return _CODES.get(error_type, ec.INVALID_VALUE)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_of(tuple(err["loc"])),
                "code": _validation_code(err["type"]),
                "message": err["msg"],
            }
            for err in exc.errors()
        ]
        # A request the schema refuses answers with its first error's code and field, however
        # many it has (docs/api.md, "Errors"); `invalid_input` is the use cases' several.
        first = errors[0]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, first["code"], detail, field=first["field"], errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Logged by the server; the client gets a problem it can show, never a stack trace.
        return problem(500, ec.INTERNAL_ERROR, "something went wrong on our side; retry later")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        code = HTTP_CODES.get(exc.status_code, ec.HTTP_ERROR)
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code, str(exc.detail), headers=headers)
