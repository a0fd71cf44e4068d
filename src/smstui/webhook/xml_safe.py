"""XML push bodies → an element tree: decoded first, then parsed with DTDs refused outright.

A byte search for `<!DOCTYPE` misses the same text in UTF-16 (or behind a BOM), and an internal
entity's value then reached the store. Here the body becomes text in an allow-listed charset
first and expat refuses any DOCTYPE or entity declaration it meets, whatever the encoding.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

from smstui.webhook.charsets import UnsupportedCharset, normalise_charset
from smstui.webhook.errors import MalformedPush

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DECLARED = re.compile(rb"^<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']{0,40})[\"']")


def _refuse_dtd(*_args: object) -> None:
    raise MalformedPush("XML with a DOCTYPE or entity declaration is refused")


def xml_charset(body: bytes, given: str | None, default: str) -> tuple[str, bytes]:
    """(codec, bytes to decode): a BOM wins, then the charset given outside, then the declaration.

    The declaration must name an accepted charset even when it is not the one used, so a
    document that says UTF-16 is refused rather than misread.
    """
    if body.startswith(_WIDE_BOMS):
        raise UnsupportedCharset("UTF-16/UTF-32 XML is not accepted (use utf-8)")
    if body.startswith(codecs.BOM_UTF8):
        body, given = body[len(codecs.BOM_UTF8) :], "utf-8"
    found = _DECLARED.match(body.lstrip()[:200])
    declared = normalise_charset(found.group(1).decode("ascii", "replace")) if found else None
    return normalise_charset(given or declared or default), body


def parse_xml_text(text: str) -> ET.Element:
    """Decoded XML → its root element; MalformedPush for DTDs, entities and malformed text."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    for handler in ("StartDoctypeDeclHandler", "EntityDeclHandler", "UnparsedEntityDeclHandler",
                    "ExternalEntityRefHandler", "NotationDeclHandler"):  # fmt: skip
        setattr(parser, handler, _refuse_dtd)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = lambda name, attrs: builder.start(
        _tag(name), {_tag(k): v for k, v in attrs.items()}
    )
    parser.EndElementHandler = lambda name: builder.end(_tag(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)  # a str is parsed as the text it is: the declaration is moot
    except expat.ExpatError as err:
        raise MalformedPush(f"body is not well-formed XML ({err})") from None
    return builder.close()


def parse_xml(body: bytes, given: str | None, default: str) -> ET.Element:
    """XML bytes → root element, in the charset `xml_charset` picks (see there)."""
    codec, data = xml_charset(body, given, default)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        raise MalformedPush(f"XML body is not valid {codec}") from None
    return parse_xml_text(text)


def _tag(name: str) -> str:
    """expat's `uri}local` → ElementTree's `{uri}local`."""
    return "{" + name if "}" in name else name
