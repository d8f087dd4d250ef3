"""The OpenAPI document, complete: every answer each /v1 operation gives, as problem+json.

Routes declare only what is particular to them, with `responses=problems(...)`: a status, or
error codes (their status, named in the answer's description), e.g. a 404 for an id sent in the
body or the 409s of a state change. Everything a route gives by its kind is added here, from the
route itself, so a new route is documented the same way without anyone remembering to:

- 401 `unauthorized` and 500 `internal_error`: every /v1 operation;
- 422 (a wrong parameter or body): every operation that takes a parameter or a body;
- 404 `not_found`: every operation with an id in its path;
- 400 `http_error` (a body that cannot be read): every operation that takes a body;
- POST and PATCH: the `Idempotency-Key` header, 400 `invalid_idempotency_key`,
  409 `idempotency_key_in_use` / `concurrent_change`, 422 `idempotency_key_reused`.

Operation ids are the routes' `operation_id` (their function name when none is given): short,
snake_case and stable, since generated clients name their functions after them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.error_codes import ErrorCode
from plansmith.entrypoints.api.problems import PROBLEM, TITLES

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
IDEMPOTENT_METHODS = ("post", "patch")
MAX_IDEMPOTENCY_KEY = 255

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": "FieldError",
    "type": "object",
    "description": "One wrong field of the request and why.",
    "properties": {
        "field": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": 'Dotted path of the field, e.g. "terms.prices[0].amount"',
        },
        "code": {"type": "string", "description": "Stable machine code (see the error table)"},
        "message": {"type": "string"},
    },
    "required": ["field", "code", "message"],
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "description": "An error, as application/problem+json (RFC 9457). `code` is stable; "
    "`errors` lists every wrong field at once.",
    "properties": {
        "type": {"type": "string", "examples": ["https://plansmith.dev/problems/not_found"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable machine code (see the error table)"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "The field at fault, when there is one"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
    "required": ["type", "title", "status", "code", "detail", "errors"],
}
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A new random value (a UUID) per operation, sent again on each retry of it: "
    "the retry gets the stored answer instead of running twice. Kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
}


def problems(*answers: int | ErrorCode) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: answers it gives besides those of every route of its kind.

    An int is a status; an ErrorCode documents its status and is named in the description."""
    statuses: dict[int, list[str]] = {}
    for answer in answers:
        if isinstance(answer, ErrorCode):
            statuses.setdefault(ec.lookup(answer).status, []).append(str(answer))
        else:
            statuses.setdefault(answer, [])
    return {status: _answer(status, codes) for status, codes in statuses.items()}


def _answer(status: int, codes: list[str]) -> dict[str, Any]:
    title = TITLES.get(status, "Error")
    named = ", ".join(f"`{c}`" for c in codes)
    return {
        "description": f"{title}: {named}" if named else title,
        "content": {PROBLEM: {"schema": PROBLEM_REF}},
    }


def _add(op: dict[str, Any], status: int, *codes: ErrorCode) -> None:
    """Add an answer to an operation, or name more codes in the one it declares."""
    key = str(status)
    names = [str(c) for c in codes]
    if key not in op["responses"] or "content" not in op["responses"][key]:
        op["responses"][key] = _answer(status, names)
        return
    answer = op["responses"][key]
    answer["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
    missing = [n for n in names if f"`{n}`" not in answer["description"]]
    if missing:
        listed = ", ".join(f"`{n}`" for n in missing)
        joiner = ", " if ":" in answer["description"] else ": "
        answer["description"] += joiner + listed


def _complete(op: dict[str, Any], method: str) -> None:
    params = op.setdefault("parameters", [])
    in_path = [p["name"] for p in params if p["in"] == "path"]
    if method in IDEMPOTENT_METHODS:
        params.append(dict(IDEMPOTENCY_KEY_PARAMETER))
    # FastAPI's own 422 (HTTPValidationError) is not what the API answers: replace it.
    op["responses"].pop("422", None)
    for status, answer in list(op["responses"].items()):
        if status.startswith(("4", "5")) and "content" not in answer:
            answer["content"] = {PROBLEM: {"schema": PROBLEM_REF}}
    _add(op, 401, ec.UNAUTHORIZED)
    if params or "requestBody" in op:
        _add(
            op,
            422,
            ec.INVALID_INPUT,
            ec.REQUIRED,
            ec.UNKNOWN_FIELD,
            ec.INVALID_VALUE,
            ec.INVALID_TEXT,
            ec.TOO_LARGE,
        )
    if in_path:
        _add(op, 404, ec.NOT_FOUND)
    if "requestBody" in op:
        _add(op, 400, ec.HTTP_ERROR)
    if method in IDEMPOTENT_METHODS:
        _add(op, 400, ec.INVALID_IDEMPOTENCY_KEY)
        _add(
            op,
            409,
            ec.IDEMPOTENCY_KEY_IN_USE,
            ec.IDEMPOTENCY_KEY_LOST,
            ec.IDEMPOTENCY_RESPONSE_LOST,
            ec.IDEMPOTENCY_RESPONSE_WITHHELD,
            ec.CONCURRENT_CHANGE,
        )
        _add(op, 422, ec.IDEMPOTENCY_KEY_REUSED)
    _add(op, 500, ec.INTERNAL_ERROR)
    op["responses"] = dict(sorted(op["responses"].items()))
    if not params:
        op.pop("parameters")


def install(app: FastAPI) -> None:
    """Make `app.openapi()` answer the complete document (built once, then kept)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        for operations in document["paths"].values():
            for method, op in operations.items():
                _complete(op, method)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        schemas["ProblemDetails"] = PROBLEM_SCHEMA
        schemas["FieldError"] = FIELD_ERROR_SCHEMA
        document["components"]["schemas"] = dict(sorted(schemas.items()))
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
