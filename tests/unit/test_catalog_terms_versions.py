"""Plan versions: only drafts are edited, and what is offered on which channel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from plansmith.domain.catalog.plans import (
    PUBLIC_CHANNELS,
    Channel,
    PlanVersion,
    PublishedVersionImmutable,
    VersionStatus,
)
from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.kernel.errors import DomainError, InvalidValue

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# -- versions ----------------------------------------------------------------------------


def version(status: VersionStatus, channels: frozenset[Channel] = PUBLIC_CHANNELS) -> PlanVersion:
    return PlanVersion(
        id="pver_1",
        plan_id="plan_1",
        number=1,
        status=status,
        name="Bronze",
        terms=PlanTerms(base_prices={"USD": 1999}),
        channels=channels,
        created_at=T0,
        published_at=None if status is VersionStatus.DRAFT else T0,
    )


@pytest.mark.parametrize("status", [VersionStatus.CURRENT, VersionStatus.LEGACY])
def test_published_version_cannot_be_edited(status: VersionStatus) -> None:
    published = version(status)

    with pytest.raises(PublishedVersionImmutable) as caught:
        published.edited(PlanTerms(base_prices={"USD": 2499}), name="Bronze Plus")

    assert caught.value.status == 409
    assert caught.value.code == "version_immutable"
    assert caught.value.field == "version"
    assert isinstance(caught.value, DomainError)
    assert published.terms.base_prices == {"USD": 1999}


def test_draft_edit_replaces_terms_and_name() -> None:
    draft = version(VersionStatus.DRAFT)
    new_terms = PlanTerms(base_prices={"USD": 2499})

    edited = draft.edited(new_terms, name="Bronze 2026")

    assert edited.terms == new_terms
    assert edited.name == "Bronze 2026"
    assert edited == replace(draft, terms=new_terms, name="Bronze 2026")
    assert draft.terms.base_prices == {"USD": 1999}


def test_draft_edit_without_a_name_keeps_the_name() -> None:
    edited = version(VersionStatus.DRAFT).edited(PlanTerms(base_prices={"USD": 2499}))

    assert edited.name == "Bronze"


def test_draft_edit_validates_the_terms() -> None:
    with pytest.raises(InvalidValue) as caught:
        version(VersionStatus.DRAFT).edited(PlanTerms(base_prices={"USD": -1}))

    assert (caught.value.code, caught.value.field) == ("negative", "base_prices.USD")


@pytest.mark.parametrize(
    ("status", "channel", "offered"),
    [
        *[(VersionStatus.CURRENT, c, True) for c in (Channel.SIGNUP, Channel.WEBSITE)],
        (VersionStatus.CURRENT, Channel.PORTAL, True),
        (VersionStatus.CURRENT, Channel.INTERNAL, False),  # not among this version's channels
        *[(VersionStatus.DRAFT, c, False) for c in Channel],
        *[(VersionStatus.LEGACY, c, False) for c in Channel],
    ],
)
def test_offered_only_when_current_and_on_the_channel(
    status: VersionStatus, channel: Channel, offered: bool
) -> None:
    assert version(status).offered_on(channel) is offered


def test_internal_only_current_version_is_offered_internally_only() -> None:
    internal = version(VersionStatus.CURRENT, frozenset({Channel.INTERNAL}))

    assert internal.offered_on(Channel.INTERNAL) is True
    assert not any(internal.offered_on(c) for c in PUBLIC_CHANNELS)


def test_legacy_version_with_every_channel_is_still_not_offered() -> None:
    legacy = version(VersionStatus.LEGACY, frozenset(Channel))

    assert not any(legacy.offered_on(c) for c in Channel)
