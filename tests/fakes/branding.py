"""The fake of the branding repository: a row per organization, the logo's bytes beside it."""

from __future__ import annotations

from plansmith.domain.organizations.branding import Branding, Logo
from tests.fakes.store import Repo


class FakeBranding(Repo):
    def get(self, organization_id: str) -> Branding | None:
        organization = self._rows.organizations.get(organization_id)
        if organization is None:
            return None
        stored = self._rows.branding.get(organization_id)
        return Branding(organization_id, organization.name) if stored is None else stored[0]

    def logo(self, organization_id: str, sha256: str) -> Logo | None:
        stored = self._rows.branding.get(organization_id)
        if stored is None or stored[0].logo is None or stored[1] is None:
            return None
        ref = stored[0].logo
        return Logo(ref.content_type, stored[1]) if ref.sha256 == sha256 else None

    def save(self, branding: Branding, logo: Logo | None, *, expected_revision: int) -> bool:
        stored = self._rows.branding.get(branding.organization_id)
        if (stored[0].revision if stored else 0) != expected_revision:
            return False
        data = logo.data if logo is not None else (stored[1] if stored else None)
        self._rows.branding[branding.organization_id] = (
            branding,
            data if branding.logo is not None else None,
        )
        return True
