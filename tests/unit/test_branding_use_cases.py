"""Branding rules and use cases on an in-memory unit of work: the accent colour's contrast, the
logo's checks by its bytes, and a refused change that leaves the settings as they were."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.application.kernel.errors import Conflict
from plansmith.application.organizations import branding as uc
from plansmith.application.organizations.organizations import create_organization
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from plansmith.domain.organizations import branding as b
from tests.fakes import FakeStore, FakeUnitOfWork

T0 = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
ADDRESS = uc.AddressInput(["Friedrichstraße 68"], "Berlin", "10117", "de")


def _org(store: FakeStore, clock: TestClock) -> str:
    return create_organization(FakeUnitOfWork(store), clock, "Demo SaaS").id


@pytest.mark.parametrize(
    ("colour", "ok"),
    [("#1d4ed8", True), ("#767676", True), ("#777777", False), ("#ffd700", False), ("#fff", False)],
)
def test_an_accent_colour_must_carry_white_text_at_aa_contrast(colour: str, ok: bool) -> None:
    if ok:
        assert b.accent_colour(colour) == colour.lower()
    else:
        with pytest.raises(InvalidValue) as refused:
            b.accent_colour(colour)
        assert refused.value.field == "accent_colour"


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/png", b"GIF89a"),  # claims PNG, is not
        ("image/svg+xml", PNG),
        ("image/svg+xml", b'<svg><a href="https://evil.example">x</a></svg>'),
        ("image/svg+xml", b"<svg><foreignObject><p>x</p></foreignObject></svg>"),
        ("image/svg+xml", b'<svg><image xlink:href="file:///etc/passwd"/></svg>'),
        ("image/jpeg", b"\xff\xd8\xff"),
        ("image/png", b""),
    ],
)
def test_a_logo_is_refused_unless_its_bytes_are_a_safe_png_or_svg(
    content_type: str, data: bytes
) -> None:
    with pytest.raises(InvalidValue) as refused:
        b.logo(content_type, data)
    assert refused.value.field == "logo"


def test_a_logo_is_named_by_its_digest() -> None:
    one, two = b.logo("image/png", PNG).ref, b.logo("image/png", PNG + b"\x01").ref
    assert one.sha256 != two.sha256 and one.size == len(PNG)
    # An SVG file shown by <img> needs its namespace (browsers draw nothing without it).
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'
    assert b.logo("image/svg+xml", svg).data


def test_a_refused_change_changes_nothing_and_names_every_field() -> None:
    store, clock = FakeStore(), TestClock(T0)
    org = _org(store, clock)
    uc.update_branding(FakeUnitOfWork(store), clock, org, uc.BrandingChanges(tax_id="DE1"))
    before = uc.get_branding(FakeUnitOfWork(store), org)
    changes = uc.BrandingChanges(
        display_name="Renamed",
        accent_colour="#eeeeee",
        seller_address=uc.AddressInput([], "", "", "XX"),
        logo=uc.LogoInput("image/png", b"nope"),
    )

    with pytest.raises(InvalidInput) as refused:
        uc.update_branding(FakeUnitOfWork(store), clock, org, changes)

    fields = {e.field for e in refused.value.errors}
    assert {
        "accent_colour",
        "seller_address.lines",
        "seller_address.city",
        "seller_address.country",
        "logo",
    } <= fields
    assert uc.get_branding(FakeUnitOfWork(store), org) == before


def test_a_change_keeps_what_it_does_not_name_and_refuses_a_stale_revision() -> None:
    store, clock = FakeStore(), TestClock(T0)
    org = _org(store, clock)
    first = uc.BrandingChanges(seller_address=ADDRESS, logo=uc.LogoInput("image/png", PNG))
    uc.update_branding(FakeUnitOfWork(store), clock, org, first)

    named = uc.update_branding(
        FakeUnitOfWork(store), clock, org, uc.BrandingChanges(display_name="Demo GmbH")
    )

    assert named.shown_name == "Demo GmbH" and named.revision == 2
    assert named.seller_address == b.SellerAddress(("Friedrichstraße 68",), "Berlin", "10117", "DE")
    assert named.logo is not None
    assert uc.get_logo(FakeUnitOfWork(store), org, named.logo.sha256).data == PNG
    with pytest.raises(Conflict):
        uc.update_branding(
            FakeUnitOfWork(store), clock, org, uc.BrandingChanges(tax_id="x"), expected_revision=1
        )
