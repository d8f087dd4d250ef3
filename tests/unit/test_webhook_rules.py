"""The rules of webhook endpoints: the retry schedule over about three days with its jitter,
the addresses the sender refuses, and URL checks, each refusal naming `url`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.webhooks.endpoints import (
    JITTER,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    check_url,
    next_attempt_at,
    refused_address,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_schedule_spans_about_three_days_with_bounded_jitter() -> None:
    assert RETRY_DELAYS[:5] == (
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
    )
    assert timedelta(hours=66) < sum(RETRY_DELAYS, timedelta()) <= timedelta(hours=72)
    for made in range(1, MAX_ATTEMPTS):
        delay = RETRY_DELAYS[made - 1]
        low, high = next_attempt_at(NOW, made, 0.0), next_attempt_at(NOW, made, 0.999999)
        assert low is not None and high is not None
        assert low - NOW == delay * (1 - JITTER)
        assert delay < high - NOW < delay * (1 + JITTER)
    assert next_attempt_at(NOW, MAX_ATTEMPTS, 0.5) is None  # every attempt used


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_private_and_special_addresses_are_refused(address: str, kind: str) -> None:
    why = refused_address(address)
    assert why is not None and kind in why


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refused_address(address) is None


def test_urls_are_checked_and_a_refusal_names_url() -> None:
    target = check_url("https://hooks.example.com:8443/in?x=1", allow_private=False)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )
    for url in ("http://hooks.example.com/", "https://127.0.0.1/", "file:///etc/passwd", ""):
        with pytest.raises(InvalidValue) as refused:
            check_url(url, allow_private=False)
        assert refused.value.field == "url"
    assert check_url("http://127.0.0.1:9/", allow_private=True).port == 9
