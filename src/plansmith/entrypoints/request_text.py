"""One check at the edge, before any route: no request string may hold a character that cannot
be stored (a NUL, or a lone surrogate such as JSON's "\\ud800").

It runs as an app-wide dependency, first, over the path parameters, the query parameters the
route reads, and a JSON body (every string and every key, at any depth). A refusal is a
DomainError naming each field, so /v1 answers problem+json 422 ``invalid_text`` and the portal
and console their 422 page. Form bodies are left to the forms' own checks (the use cases' text
checks, domain/text.py), which place the message beside the field.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from plansmith.domain.kernel.errors import DomainError, InvalidInput
from plansmith.domain.kernel.text import InvalidText, unstorable

# Enough to show what is wrong; a body of a thousand bad strings is not listed in full.
MOST_REPORTED = 20
# JSON text holds a NUL or a lone surrogate only as an escape (\u0000, \ud800 to \udfff; a raw
# NUL is no valid JSON, UTF-8 cannot carry a surrogate, and UTF-16 or UTF-32 JSON is full of
# zero bytes). A body with none of these is clean and is not walked string by string: a
# batch of 1,000 usage events holds ~8,000 strings.
_MAYBE_UNSTORABLE = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|\x00")


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("", "application/json") or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def _check(text: str, field: str, found: list[DomainError]) -> None:
    reason = unstorable(text)
    if reason is not None:
        found.append(InvalidText(f"{field} {reason}", field=field))


def walk(value: Any, path: str, found: list[DomainError]) -> None:
    """Every string and key of decoded JSON, named by its path ("terms.prices[0].currency")."""
    if len(found) >= MOST_REPORTED:
        return
    if isinstance(value, str):
        _check(value, path or "body", found)
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = unstorable(key)
            if reason is not None:  # the key itself cannot be shown: name where it is
                where = path or "body"
                found.append(InvalidText(f"a name in {where} {reason}", field=where))
                continue
            walk(item, f"{path}.{key}" if path else key, found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            walk(item, f"{path}[{i}]", found)


def refused(found: list[DomainError]) -> DomainError:
    if len(found) == 1:
        return found[0]
    error = InvalidInput(found)
    error.code = InvalidText.code  # every one is
    error.message = "; ".join(e.message for e in found)  # each names its field already
    return error


async def refuse_unstorable_text(request: Request) -> None:
    found: list[DomainError] = []
    for name, value in request.path_params.items():
        _check(str(value), name, found)
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        for name in sorted(_query_names(route.dependant)):
            for value in request.query_params.getlist(name):
                _check(value, name, found)
        if (
            route.body_field is not None
            and _is_json(request)
            and _MAYBE_UNSTORABLE.search(await request.body()) is not None  # cached bytes
        ):
            try:
                body = await request.json()  # parsed once already by FastAPI: cached
            except ValueError:
                body = None  # not JSON: FastAPI answers for that
            walk(body, "", found)
    if found:
        raise refused(found)
