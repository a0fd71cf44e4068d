"""XML pushes are decoded before they are judged: DTDs and entities are refused in any encoding."""

from __future__ import annotations

import codecs

import pytest

from smstui.webhook.charsets import UnsupportedCharset
from smstui.webhook.errors import MalformedPush
from smstui.webhook.smsc_push import decode_smsc_push
from smstui.webhook.webcom_push import decode_webcom_push
from smstui.webhook.xml_safe import parse_xml

ENTITY_DOC = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<!DOCTYPE response [<!ENTITY d "deliver">]>\n'
    '<response><state id_sms="7" time="2025-03-01 12:57:46">&d;</state></response>'
)
CLEAN_DOC = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<response><state id_sms="7" time="2025-03-01 12:57:46">deliver</state></response>'
)


def utf16(text: str, codec: str = "utf-16") -> bytes:
    return text.format(enc="UTF-16").encode(codec)  # "utf-16" writes a BOM, -le/-be do not


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("ctype", ["text/xml", "application/xml", ""])
def test_utf16_entity_documents_are_refused(codec: str, ctype: str) -> None:
    # The raw-bytes DOCTYPE check missed these, and the entity's "deliver" was stored.
    with pytest.raises(MalformedPush):
        decode_webcom_push(utf16(ENTITY_DOC, codec), ctype)
    with pytest.raises(MalformedPush):
        decode_smsc_push(utf16(ENTITY_DOC, codec), ctype or "text/xml", "fmt=2")


def test_utf8_bom_does_not_hide_a_doctype() -> None:
    body = codecs.BOM_UTF8 + ENTITY_DOC.format(enc="utf-8").encode()
    with pytest.raises(MalformedPush, match="DOCTYPE"):
        decode_webcom_push(body, "text/xml")
    with pytest.raises(MalformedPush, match="DOCTYPE"):
        decode_smsc_push(body, "text/xml; charset=utf-8", "")


def test_a_bom_marked_clean_document_is_read() -> None:
    body = codecs.BOM_UTF8 + CLEAN_DOC.format(enc="utf-8").encode()
    [entry] = decode_webcom_push(body, "text/xml").entries
    assert entry.message_id == "7" and entry.state_word == "deliver"


@pytest.mark.parametrize(
    "doc",
    [
        '<!DOCTYPE r SYSTEM "file:///etc/passwd"><response/>',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1/x"> %p;]><response/>',
        '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><response>&b;</response>',
        "<response>&undeclared;</response>",
        "<!DOCTYPE response><response/>",
    ],
)
def test_dtds_external_entities_and_undeclared_entities_are_refused(doc: str) -> None:
    for encoding in ("utf-8", "cp1251", "koi8-r"):
        with pytest.raises(MalformedPush):
            parse_xml(doc.encode(encoding), encoding, "utf-8")


def test_declared_encoding_must_be_accepted_and_is_honoured_without_a_header() -> None:
    with pytest.raises(UnsupportedCharset):
        decode_webcom_push(CLEAN_DOC.format(enc="ISO-8859-5").encode("ascii"), "text/xml")
    cyrillic = CLEAN_DOC.replace('id_sms="7"', 'id_sms="7" note="Привет"')
    root = parse_xml(cyrillic.format(enc="windows-1251").encode("cp1251"), None, "utf-8")
    assert root.find("state").get("note") == "Привет"  # read as the declaration says
    header_wins = parse_xml(cyrillic.format(enc="koi8-r").encode("cp1251"), "cp1251", "utf-8")
    assert header_wins.find("state").get("note") == "Привет"  # the header outranks it


def test_namespaces_and_text_survive_like_elementtree() -> None:
    root = parse_xml(b'<r xmlns="urn:x"><a k="v"> t </a></r>', "utf-8", "utf-8")
    assert root.tag == "{urn:x}r"
    [child] = list(root)
    assert child.tag == "{urn:x}a" and child.get("k") == "v" and child.text == " t "
