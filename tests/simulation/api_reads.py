"""Reading the plansmith API the way any client would: JSON over HTTP with the key's headers,
and every cursor-paginated list followed to its end (docs/api.md, "Pagination").

No plansmith import here: the simulation's checks see only what the public API shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

PAGE = 100  # the API's largest page


class ApiError(AssertionError):
    """A read the API answered with an error: the checks cannot go on without it."""


def get(http: httpx.Client, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = http.get(path, headers=headers, params=params or None)
    if response.status_code != 200:
        raise ApiError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def every(
    http: httpx.Client, headers: dict[str, str], path: str, **params: Any
) -> Iterator[dict[str, Any]]:
    """Every object of a list, page after page, passing next_cursor back unchanged."""
    cursor: str | None = None
    seen_cursors: set[str] = set()
    while True:
        query = {**params, "limit": PAGE} if _paged(path) else dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        page = get(http, headers, path, **query)
        yield from page["data"]
        cursor = page.get("next_cursor")
        if cursor is None:
            return
        if cursor in seen_cursors:  # a server bug must not hang the checker
            raise ApiError(f"GET {path} gave the cursor {cursor!r} twice")
        seen_cursors.add(cursor)


# Lists the API answers whole, without a limit parameter (it would be refused as unknown).
_UNPAGED_SUFFIXES = ("/ledger", "/credit_notes", "/payment_methods")
_UNPAGED = {"/v1/webhook_endpoints"}


def _paged(path: str) -> bool:
    return path not in _UNPAGED and not path.endswith(_UNPAGED_SUFFIXES)
