"""What an SVG logo may hold: parsed (never searched as text), its names resolved through their
namespaces, every element and attribute on an allowlist.

A logo is shown through ``<img>`` (no script runs there) and served with a sandboxing policy;
this check is the layer below those. It refuses what a logo never needs and an attacker would
use: scripts and handlers (under any prefix: a name is its namespace and local name, so
``<s:script xmlns:s="http://www.w3.org/2000/svg">`` is ``script``), documents within it
(``foreignObject``, XHTML), animation (``<set to="javascript:…">``), links out (an ``href``
other than a fragment ``#id``), ``url()`` other than ``url(#id)``, ``@import`` and CSS escapes
in styles, and any DTD, entity or processing instruction (the "billion laughs", external
entities). Entity and character references in values are read as the parser resolves them, so
``java&#x73;cript:`` is checked as ``javascript:``.

Only the standard library's expat parser is used (no I/O): the document type declaration is
refused before any entity in it could be expanded, and external entities are never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_SEP = " "  # between a name's namespace and its local name, as the parser reports it
# What drawing editors write beside the drawing; browsers show none of it.
EDITOR_NAMESPACES = frozenset(
    {
        "http://www.inkscape.org/namespaces/inkscape",
        "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://purl.org/dc/elements/1.1/",
        "http://creativecommons.org/ns#",
        "http://ns.adobe.com/AdobeIllustrator/10.0/",
        "http://ns.adobe.com/Graphs/1.0/",
        "http://ns.adobe.com/SaveForWeb/1.0/",
        "http://ns.adobe.com/Extensibility/1.0/",
    }
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ELEMENTS = _words(
    """
    svg g defs title desc metadata symbol use switch path rect circle ellipse line polyline
    polygon text tspan textPath linearGradient radialGradient stop clipPath mask pattern marker
    style filter feBlend feColorMatrix feComponentTransfer feComposite feDropShadow feFlood
    feFuncA feFuncB feFuncG feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset
    """
)
ATTRIBUTES = _words(
    """
    id class style lang transform viewBox width height x y x1 x2 y1 y2 cx cy r rx ry fx fy fr d
    points pathLength fill fill-opacity fill-rule stroke stroke-width stroke-linecap
    stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity
    clip-path clip-rule mask filter color display visibility overflow vector-effect
    shape-rendering text-rendering image-rendering color-interpolation
    color-interpolation-filters paint-order isolation mix-blend-mode font-family font-size
    font-weight font-style font-variant font-stretch text-anchor text-decoration
    dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing
    writing-mode direction unicode-bidi textLength lengthAdjust startOffset method spacing side
    rotate dx dy preserveAspectRatio version baseProfile gradientUnits gradientTransform
    spreadMethod offset stop-color stop-opacity patternUnits patternContentUnits
    patternTransform clipPathUnits maskUnits maskContentUnits filterUnits primitiveUnits in in2
    result stdDeviation mode operator k1 k2 k3 k4 values type tableValues slope intercept
    amplitude exponent flood-color flood-opacity markerWidth markerHeight markerUnits refX refY
    orient href role aria-label aria-hidden aria-labelledby focusable enable-background
    requiredFeatures systemLanguage media
    """
)
_XML_ATTRIBUTES = frozenset({"space", "lang"})
_URL = re.compile(r"url\s*\(\s*(['\"]?)\s*(.)", re.IGNORECASE)
_NEVER_IN_VALUES = re.compile(
    r"@import|javascript:|vbscript:|data:|expression\s*\(|image-set\s*\(|src\s*\(|\\",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


class UnsafeSvg(Exception):
    """What the logo holds that it may not (``reason``: in plain words, for the operator)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _name(qualified: str) -> tuple[str, str]:
    namespace, _, local = qualified.rpartition(_SEP)
    return namespace, local


def _value(text: str, where: str) -> None:
    """A style or attribute value: no CSS escapes or imports, no script URLs, url() only to a
    fragment of the logo itself."""
    bare = _COMMENT.sub("", text)  # a CSS comment may not split a word to hide it
    if _NEVER_IN_VALUES.search(text) or _NEVER_IN_VALUES.search(bare):
        raise UnsafeSvg(f"{where} holds @import, a script or data URL or a CSS escape")
    for found in [*_URL.finditer(text), *_URL.finditer(bare)]:
        if found.group(2) != "#":
            raise UnsafeSvg(f"{where} refers to something outside the logo (url() other than #)")


class _Check:
    def __init__(self) -> None:
        self.root: tuple[str, str] | None = None
        self.style: list[str] | None = None  # the text of the <style> element being read

    def start(self, qualified: str, attributes: dict[str, str]) -> None:
        namespace, local = _name(qualified)
        if self.root is None:
            self.root = (namespace, local)
            if (namespace, local) != (SVG_NS, "svg"):
                raise UnsafeSvg("its root is not an <svg> element of the SVG namespace")
        # A drawing editor's elements are shown by no browser; their attributes are checked
        # all the same, and what is inside them is checked as anywhere else.
        if namespace not in EDITOR_NAMESPACES and (namespace != SVG_NS or local not in ELEMENTS):
            raise UnsafeSvg(f"the element <{local}> is not allowed in a logo")
        if (namespace, local) == (SVG_NS, "style"):
            self.style = []
        for qualified_attribute, value in attributes.items():
            self._attribute(qualified_attribute, value)

    def _attribute(self, qualified: str, value: str) -> None:
        namespace, local = _name(qualified)
        where = f"the attribute {local}"
        if local.lower().startswith("on"):
            raise UnsafeSvg(f"{where} is an event handler")
        if local == "href" and namespace in ("", XLINK_NS):
            if not value.strip().startswith("#"):
                raise UnsafeSvg("a link (href) points outside the logo")
        elif namespace == XML_NS:
            if local not in _XML_ATTRIBUTES:
                raise UnsafeSvg(f"{where} is not allowed in a logo")
        elif namespace in EDITOR_NAMESPACES:
            pass
        elif namespace or local not in ATTRIBUTES:
            raise UnsafeSvg(f"{where} is not allowed in a logo")
        _value(value, where)

    def end(self, qualified: str) -> None:
        # The parser may hand a text over in pieces (at each reference): checked whole.
        if _name(qualified) == (SVG_NS, "style") and self.style is not None:
            _value("".join(self.style), "a <style> element")
            self.style = None

    def text(self, data: str) -> None:
        if self.style is not None:
            self.style.append(data)


def _refuse(what: str) -> Callable[..., Any]:
    def handler(*_args: object) -> Any:
        raise UnsafeSvg(what)

    return handler


def check_svg(data: bytes) -> None:
    """Raise UnsafeSvg unless ``data`` is a well-formed SVG holding only allowed elements and
    attributes."""
    check = _Check()
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = check.start
    parser.EndElementHandler = check.end
    parser.CharacterDataHandler = check.text
    parser.StartDoctypeDeclHandler = _refuse("it declares a document type (DTD)")
    parser.EntityDeclHandler = _refuse("it declares entities")
    parser.UnparsedEntityDeclHandler = _refuse("it declares entities")
    parser.ExternalEntityRefHandler = _refuse("it refers to an external entity")
    parser.ProcessingInstructionHandler = _refuse("it holds a processing instruction")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnsafeSvg(f"it is not well-formed XML ({expat.ErrorString(exc.code)})") from exc
    if check.root is None:
        raise UnsafeSvg("it has no <svg> element")
