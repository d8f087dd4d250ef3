"""The rules of webhook endpoints: what URL is acceptable, which addresses are refused, the
secret's form, and the retry schedule (Standard Webhooks' suggestion, stretched to ~3 days).

Pure: resolving a host name is the adapter's work; it hands the addresses to
``refused_address``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
SECRET_BYTES = 32  # the spec asks for 24 to 64
MAX_URL = 2000
MAX_DESCRIPTION = 500
# After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h four times, 12 h twice;
# twelve attempts over ~71.6 h (about three days).
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=12),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # each delay moved by up to +-10 %, so retries of many deliveries spread out
# An endpoint is disabled once this many events in a row used up every attempt, or once it
# failed continuously (no success in between) for this long.
DISABLE_AFTER_EVENTS = 5
DISABLE_AFTER = timedelta(days=3)

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not the public Internet


def next_attempt_at(now: datetime, attempts_made: int, draw: float) -> datetime | None:
    """When to try again after ``attempts_made`` failed ones (None: no attempt left);
    ``draw`` in [0, 1) picks the jitter."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[attempts_made - 1]
    return now + delay * (1 + JITTER * (2 * draw - 1))


def refused_address(address: str) -> str | None:
    """Why an endpoint may not be sent to at ``address`` (an IP), or None if it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        # 2002:7f00:1:: reaches 127.0.0.1 through a 6to4 relay: refused as that address would be
        carried = refused_address(str(ip.sixtofour))
        if carried is not None:
            return f"{address} carries {carried}"
    if ip in _METADATA:
        return f"{address} is a cloud metadata address"
    for kind, test in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private or ip in _SHARED if ip.version == 4 else ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if test:
            return f"{address} is a {kind} address"
    return None


def literal_address(host: str) -> str | None:
    """The IP a host is written as (``[::1]`` included), or None for a name."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


@dataclass(frozen=True)
class Target:
    """An endpoint URL taken apart: what the sender resolves and connects to."""

    scheme: str
    host: str
    port: int
    path: str  # with its query


def check_url(url: str, *, allow_private: bool) -> Target:
    """The URL's parts; InvalidValue naming ``url`` if it may not be an endpoint. Addresses a
    name resolves to are checked by the caller (and again at every delivery)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise InvalidValue(f"url is 1 to {MAX_URL} characters", field="url", code=ec.INVALID_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidValue(f"url is not a URL: {exc}", field="url", code=ec.INVALID_URL) from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidValue("url is http or https", field="url", code=ec.INVALID_URL)
    if parts.scheme != "https" and not allow_private:
        raise InvalidValue("url must be https", field="url", code=ec.INVALID_URL)
    host = parts.hostname
    if not host:
        raise InvalidValue("url has no host", field="url", code=ec.INVALID_URL)
    if parts.username or parts.password:
        raise InvalidValue("url carries no user or password", field="url", code=ec.INVALID_URL)
    literal = literal_address(host)
    if literal is not None and not allow_private:
        why = refused_address(literal)
        if why is not None:
            raise InvalidValue(
                f"url points into a private network: {why}", field="url", code=ec.URL_REFUSED
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, host, port or default, path)


def check_addresses(addresses: Iterable[str], *, field: str = "url") -> None:
    """Every address a name resolved to must be acceptable (one bad one refuses them all)."""
    for address in addresses:
        why = refused_address(address)
        if why is not None:
            raise InvalidValue(
                f"url points into a private network: {why}", field=field, code=ec.URL_REFUSED
            )


def check_event_types(types: Sequence[str] | None, known: Iterable[str]) -> tuple[str, ...] | None:
    """The event types wanted (None: every type), each a known one, each once."""
    if types is None:
        return None
    names = set(known)
    if not isinstance(types, list | tuple) or not types:
        raise InvalidValue(
            "event_types is a non-empty list, or null for every type", field="event_types"
        )
    for i, name in enumerate(types):
        if name not in names:
            raise InvalidValue(
                f"event_types[{i}]: {name!r} is not an event type", field=f"event_types[{i}]"
            )
    return tuple(sorted(set(types)))


def check_description(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise InvalidValue(
            f"description is at most {MAX_DESCRIPTION} characters", field="description"
        )
    return text.strip()
