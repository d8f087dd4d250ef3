"""An SVG logo is parsed and checked against an allowlist (review item SHOULD 8): the ways
round the old text search (a namespace prefix before ``script``, ``@import`` in a style, a
character reference inside ``javascript:``) are refused, as are handlers, entities, documents
within it and links out; what drawing tools write is accepted."""

from __future__ import annotations

import pytest

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.organizations.branding import SVG, logo
from plansmith.domain.organizations.svg import UnsafeSvg, check_svg

NS = 'xmlns="http://www.w3.org/2000/svg"'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'


def _svg(inner: str, attributes: str = "") -> bytes:
    return f'<svg {NS} {XLINK} viewBox="0 0 10 10"{attributes}>{inner}</svg>'.encode()


ACCEPTED = [
    _svg('<rect width="10" height="10" fill="#1f6feb"/>'),
    _svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#000"/></linearGradient>'
        '</defs><path d="M0 0h10v10z" fill="url(#g)" style="stroke: url( #g ); opacity: .5"/>'
    ),
    _svg('<defs><path id="p" d="M0 0"/></defs><use xlink:href="#p"/><use href="#p"/>'),
    _svg(
        "<style>/* brand */ .a { fill: #123456 } path { fill: url('#g') }</style><title>A</title>"
    ),
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n'
    + _svg('<text x="1" y="5" font-family="sans-serif">K&amp;K &#x41;</text>'),
    # What Inkscape writes beside the drawing
    _svg(
        '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"'
        ' xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:zoom="1"/>'
        '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>'
    ),
]

REFUSED = {
    "script": _svg("<script>alert(1)</script>"),
    "script behind a prefix": _svg(
        '<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>'
    ),
    "script as the default namespace of a child": _svg(
        '<g><script xmlns="http://www.w3.org/2000/svg">alert(1)</script></g>'
    ),
    "XHTML script": _svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">x()</h:script>'),
    "script in no namespace": b"<svg " + NS.encode() + b'><g xmlns=""><script/></g></svg>',
    "script inside an editor element": _svg(
        '<i:e xmlns:i="http://www.inkscape.org/namespaces/inkscape"><script>x()</script></i:e>'
    ),
    "handler": _svg('<rect onload="x()" width="1"/>'),
    "handler on the root": _svg("", ' onclick="x()"'),
    "handler behind a prefix": _svg(
        '<rect xmlns:s="http://www.w3.org/2000/svg" s:onload="x()" width="1"/>'
    ),
    "foreignObject": _svg("<foreignObject><div/></foreignObject>"),
    "animation to a script URL": _svg(
        '<a><set attributeName="href" to="java&#x73;cript:alert(1)"/></a>'
    ),
    "set alone": _svg('<set attributeName="fill" to="red"/>'),
    "link element": _svg('<a href="https://example.com"><rect width="1"/></a>'),
    "use of an outside file": _svg('<use href="https://example.com/x.svg#a"/>'),
    "xlink to outside": _svg('<use xlink:href="data:image/svg+xml,&lt;svg/&gt;"/>'),
    "image": _svg('<image href="#a"/>'),
    "style @import": _svg("<style>@import url(https://example.com/x.css);</style>"),
    "style @import split by a reference": _svg("<style>@&#105;mport 'https://e.example';</style>"),
    "style url out": _svg("<style>rect { fill: url(https://example.com/p.svg#a) }</style>"),
    "style attribute url out": _svg('<rect style="fill:url(&quot;https://e.example&quot;)"/>'),
    "attribute url out": _svg('<rect fill="url(https://e.example/#a)"/>'),
    "CSS escape": _svg("<style>rect { fill: \\75 rl(https://e.example) }</style>"),
    "CSS comment inside url": _svg("<style>rect { fill: url(/**/https://e.example) }</style>"),
    "doctype": b"<!DOCTYPE svg>" + _svg(""),
    "entities": b'<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>' + _svg("&b;"),
    "external entity": b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _svg("&x;"),
    "undeclared entity": _svg("&nbsp;"),
    "processing instruction": b'<?xml-stylesheet href="https://e.example/x.css"?>' + _svg(""),
    "unknown attribute": _svg('<rect formaction="x"/>'),
    "attribute of another namespace": _svg('<rect xmlns:q="urn:q" q:href="https://e.example"/>'),
    "root not svg": b'<html xmlns="http://www.w3.org/1999/xhtml"><svg/></html>',
    "svg without its namespace": b'<svg viewBox="0 0 1 1"><rect/></svg>',
    "not XML": b"<svg " + NS.encode() + b"><rect></svg>",
}


@pytest.mark.parametrize("data", ACCEPTED)
def test_a_drawing_is_accepted(data: bytes) -> None:
    check_svg(data)
    assert logo(SVG, data).data == data


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_a_logo_never_needs_is_refused(case: str) -> None:
    data = REFUSED[case]
    with pytest.raises(UnsafeSvg):
        check_svg(data)
    with pytest.raises(InvalidValue) as refused:
        logo(SVG, data)
    assert refused.value.field == "logo"
    assert "logo is refused" in refused.value.message
