"""IPv6 addresses that carry an IPv4 address a relay delivers to are refused as that address
would be: 6to4 (2002::/16) and IPv4-mapped; a 6to4 address of a public IPv4 address is not."""

from __future__ import annotations

import pytest

from plansmith.domain.webhooks.endpoints import refused_address


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("2002:7f00:1::", "loopback"),  # 127.0.0.1
        ("2002:a00:1::", "private"),  # 10.0.0.1
        ("2002:a9fe:a9fe::", "metadata"),  # 169.254.169.254
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_an_embedded_private_ipv4_address_is_refused(address: str, why: str) -> None:
    refused = refused_address(address)
    assert refused is not None and why in refused


def test_a_6to4_address_of_a_public_ipv4_address_may_be_sent_to() -> None:
    assert refused_address("2002:5db8:d70e::") is None  # 93.184.215.14
