"""The check of an endpoint URL, at creation and before every delivery: its form, and every
address its host is or resolves to (none private unless the deployment allows it)."""

from __future__ import annotations

from functools import lru_cache

from plansmith.application.webhooks.ports import Resolver
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.webhooks.endpoints import (
    Target,
    check_addresses,
    check_url,
    literal_address,
)


def checked_target(url: str, *, allow_private: bool, resolve: Resolver) -> tuple[Target, str]:
    """The URL's parts and the one address to connect to (checked); InvalidValue naming
    ``url`` otherwise. The caller connects to that address, not to the name again, so a name
    that resolves otherwise a moment later (DNS rebinding) changes nothing."""
    target = _target(url, allow_private)
    literal = _literal(target.host)
    if literal is not None:
        return target, literal
    try:
        addresses = resolve(target.host, target.port)
    except OSError as exc:
        raise InvalidValue(
            f"url: {target.host} does not resolve ({exc})", field="url", code=ec.INVALID_URL
        ) from exc
    if not addresses:
        raise InvalidValue(f"url: {target.host} does not resolve", field="url", code=ec.INVALID_URL)
    if not allow_private:
        check_addresses(addresses)
    return target, addresses[0]


# Pure functions of the URL, asked at every attempt: worked out once per process instead (a
# tenth of an attempt's CPU). Resolving and checking the addresses is still done every time.
@lru_cache(maxsize=4096)
def _target(url: str, allow_private: bool) -> Target:
    return check_url(url, allow_private=allow_private)


@lru_cache(maxsize=4096)
def _literal(host: str) -> str | None:
    return literal_address(host)
