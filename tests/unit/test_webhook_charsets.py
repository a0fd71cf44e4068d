"""The charset allow-list: SMSC's three charsets and their aliases; every other label is a 400."""

from __future__ import annotations

import codecs
from encodings.aliases import aliases

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smstui.webhook.charsets import UnsupportedCharset, check_request_charsets, normalise_charset
from smstui.webhook.errors import MalformedPush
from smstui.webhook.smsc_push import decode_smsc_push
from smstui.webhook.webcom_push import decode_webcom_push

FORM = "application/x-www-form-urlencoded"
STATUS = b"id=1&phone=79991234567&status=1"
# Labels Python's codec registry knows but that are no charset SMSC speaks: before the
# allow-list each of these was a 500 (ValueError, UnicodeError, LookupError) or a silent misread.
HOSTILE = ["\x00", "a\x00", "undefined", "punycode", "rot13", "rot-13", "base64", "hex", "zlib",
           "bz2", "uu", "quopri", "idna", "utf-16", "utf-32", "utf-7", "latin-1", "ascii",
           "mbcs", "raw_unicode_escape", "unicode_escape", "", " ", "utf-8\x00"]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "codec"),
    [("utf-8", "utf-8"), ("UTF8", "utf-8"), (' "utf-8" ', "utf-8"), ("windows-1251", "cp1251"),
     ("CP1251", "cp1251"), ("win-1251", "cp1251"), ("x-cp1251", "cp1251"), ("koi8-r", "koi8-r"),
     ("KOI8R", "koi8-r"), ("cskoi8r", "koi8-r")],
)  # fmt: skip
def test_accepted_labels_map_to_codecs(label: str, codec: str) -> None:
    assert normalise_charset(label) == codec
    assert codecs.lookup(codec).name == codec  # a name Python decodes with


@pytest.mark.parametrize("label", HOSTILE)
def test_every_other_label_is_refused(label: str) -> None:
    with pytest.raises(UnsupportedCharset, match="not accepted"):
        normalise_charset(label)


@pytest.mark.parametrize("label", ["%00", "undefined", "punycode", "rot13", "base64", "utf-16"])
def test_smsc_push_naming_a_hostile_charset_is_malformed(label: str) -> None:
    for body, query, ctype in (
        (STATUS + b"&charset=" + label.encode(), "", FORM),  # the copy SMSC posts back
        (STATUS, f"charset={label}", FORM),  # the handler URL's own parameter
        (STATUS, "", f"{FORM}; charset={label}"),  # the header
        (b"<status><id>1</id></status>", "", f"text/xml; charset={label}"),
    ):
        with pytest.raises(UnsupportedCharset):
            decode_smsc_push(body, ctype, query)


def test_webcom_header_charset_is_allow_listed_too() -> None:
    with pytest.raises(UnsupportedCharset):
        decode_webcom_push(b"[]", "application/json; charset=rot13")
    assert decode_webcom_push(b"[]", "application/json; charset=cp1251").entries == []


def test_request_check_looks_at_query_and_header_only() -> None:
    check_request_charsets([b"utf-8", b""], "text/xml; charset=koi8-r")  # fine: no error
    with pytest.raises(UnsupportedCharset):
        check_request_charsets([b"utf-8", b"\x00"], "")
    with pytest.raises(UnsupportedCharset):
        check_request_charsets([], "text/plain; charset=undefined")


@settings(max_examples=300, deadline=None)
@given(label=st.text(max_size=12) | st.sampled_from(sorted(aliases)))
def test_any_label_is_a_codec_we_accept_or_a_typed_refusal(label: str) -> None:
    try:
        codec = normalise_charset(label)
    except MalformedPush:
        return
    assert codec in ("utf-8", "cp1251", "koi8-r")
    assert b"id=1".decode(codec) == "id=1"
