"""An organization's branding: the name, logo and accent colour its customers see on the portal,
and the seller's address and tax id on every invoice and PDF.

The logo is an image the operator uploads (PNG or SVG, at most ``MAX_LOGO_BYTES``), kept in the
database and served from plansmith's own origin, never a URL to somewhere else: a remote image
would tell a third party each time a customer opens the portal, could change after it was
checked, and would make the PDF renderer fetch URLs (a server-side request forgery). An SVG is
only ever shown through ``<img>`` (where no script runs) and served with a sandboxing Content
Security Policy; it is still parsed and refused unless every element and attribute is on the
allowlist of ``svg.py`` (no scripts, handlers, embedded documents, links out or entities).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.svg import UnsafeSvg, check_svg

MAX_LOGO_BYTES = 100 * 1024
PNG, SVG = "image/png", "image/svg+xml"
LOGO_TYPES = (PNG, SVG)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_CONTRAST = 4.5  # WCAG 2 AA, normal text: white text on the accent colour
MAX_ADDRESS_LINES = 3
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class SellerAddress:
    lines: tuple[str, ...]
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Seller:
    """Who an invoice is from: the name customers see, the address and tax id, as far as the
    organization set them. A finalized invoice keeps the seller it was issued by; a draft and
    an upcoming invoice show the organization's settings as they are now."""

    name: str
    address: SellerAddress | None = None
    tax_id: str = ""


@dataclass(frozen=True)
class LogoRef:
    """The logo as pages link to it: its type and digest (the digest names its URL, so a new
    logo is a new URL and a browser may keep one for ever)."""

    content_type: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Logo:
    content_type: str
    data: bytes

    @property
    def ref(self) -> LogoRef:
        return LogoRef(self.content_type, hashlib.sha256(self.data).hexdigest(), len(self.data))


@dataclass(frozen=True)
class Branding:
    """What the organization's customers see. Empty values: the organization's own name, no
    logo, the product's colours, no address or tax id."""

    organization_id: str
    name: str  # the organization's name, shown when display_name is empty
    display_name: str = ""
    accent_colour: str = ""
    seller_address: SellerAddress | None = None
    tax_id: str = ""
    logo: LogoRef | None = None
    revision: int = 0  # bumped by every change
    updated_at: datetime | None = None

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name

    @property
    def seller(self) -> Seller:
        return Seller(self.shown_name, self.seller_address, self.tax_id)


def accent_colour(value: str, *, field: str = "accent_colour") -> str:
    """A colour as #rrggbb on which white text is readable (WCAG AA, 4.5:1); "" for none."""
    text = value.strip()
    if not text:
        return ""
    if not _COLOUR.fullmatch(text):
        raise InvalidValue(f"{field} must be a colour written #RRGGBB, like #1F6FEB", field=field)
    ratio = contrast_with_white(text)
    if ratio < MIN_CONTRAST:
        raise InvalidValue(
            f"{field} {text} is too light for white text on it (contrast {ratio:.2f}:1, at "
            f"least {MIN_CONTRAST}:1 is needed); choose a darker colour",
            field=field,
        )
    return text.lower()


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of white against an #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def logo(content_type: str, data: bytes, *, field: str = "logo") -> Logo:
    """A PNG or SVG logo, checked by its bytes and not only by the type it claims."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in LOGO_TYPES:
        raise InvalidValue(
            f"{field} must be a PNG or SVG image, not {kind or 'unknown'}", field=field
        )
    if not data:
        raise InvalidValue(f"{field} is empty", field=field)
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidValue(
            f"{field} is {len(data)} bytes; at most {MAX_LOGO_BYTES} bytes (100 KB)", field=field
        )
    if kind == PNG and not data.startswith(_PNG_SIGNATURE):
        raise InvalidValue(f"{field} is not a PNG image (its bytes say otherwise)", field=field)
    if kind == SVG:
        try:
            check_svg(data)
        except UnsafeSvg as exc:
            raise InvalidValue(
                f"{field} is refused: {exc.reason}. An SVG logo holds drawing only: no scripts, "
                "event handlers, embedded documents, animation, links or styles that load "
                "anything, and no entity declarations",
                field=field,
            ) from exc
    return Logo(kind, data)
