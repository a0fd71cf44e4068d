"""SMSC push bodies → one flat dict of text fields, in the charset the handler URL names.

SMSC posts form fields by default; with `fmt=3` / `fmt=2` in the handler URL the body may be a
JSON object or an XML document instead (smsc.md §10.3, open question 2), so the decoder
dispatches on Content-Type and falls back to sniffing. Query parameters of the request (the
handler URL's own parameters) are merged in, the body winning (open question 3).
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from smstui.webhook.charsets import content_type_charset, normalise_charset
from smstui.webhook.errors import MalformedPush
from smstui.webhook.xml_safe import parse_xml

DEFAULT_CHARSET = "windows-1251"  # SMSC's default when the handler URL names none
_FORM, _JSON, _XML = "form", "json", "xml"


def split_form(raw: bytes) -> list[tuple[bytes, bytes]]:
    """`a=1&b=%D0` → [(b"a", b"1"), (b"b", b"\\xd0")] without choosing a charset yet."""
    pairs = []
    for chunk in raw.split(b"&"):
        if not chunk.strip():
            continue
        key, _, value = chunk.partition(b"=")
        pairs.append(
            (unquote_to_bytes(key.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" ")))
        )
    return pairs


def pick_charset(
    query: list[tuple[bytes, bytes]], form: list[tuple[bytes, bytes]], ctype: str
) -> str:
    """The handler URL's `charset` (query, else the copy SMSC posts back in a form body), else
    the header's."""
    for key, value in (*query, *form):
        if key == b"charset" and value:
            return normalise_charset(value.decode("ascii", "replace"))
    header = content_type_charset(ctype)
    return normalise_charset(header or DEFAULT_CHARSET)


def body_kind(content_type: str, body: bytes) -> str:
    """form / json / xml from the Content-Type, or from the first byte when the type is vague."""
    mime = content_type.split(";")[0].strip().lower()
    if mime.endswith("json"):
        return _JSON
    if mime.endswith("xml"):
        return _XML
    if mime == "application/x-www-form-urlencoded":
        return _FORM
    head = body.lstrip()[:1]
    return _JSON if head in (b"{", b"[") else _XML if head == b"<" else _FORM


def _text(raw: bytes, charset: str, what: str) -> str:
    try:
        return raw.decode(charset)
    except UnicodeDecodeError:
        raise MalformedPush(f"{what} is not valid {charset}") from None


def decode_form(pairs: list[tuple[bytes, bytes]], charset: str) -> dict[str, str]:
    """Form fields (split once by the caller); a repeated key keeps its last value."""
    return {_text(k, charset, "field name"): _text(v, charset, "field") for k, v in pairs}


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedPush("push fields must be scalars, got a nested value")


def decode_json(body: bytes, charset: str) -> dict[str, str]:
    """A JSON object (or a one-object array) of scalar fields."""
    try:
        data = json.loads(_text(body, charset, "JSON body"))
    except (json.JSONDecodeError, RecursionError):
        raise MalformedPush("body is not valid JSON") from None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise MalformedPush("JSON push must be an object")
    return {str(k): _scalar(v) for k, v in data.items()}


def decode_xml(body: bytes, charset: str) -> dict[str, str]:
    """Every leaf element (first occurrence wins) and attribute of the document, flattened."""
    root = parse_xml(body, charset, charset)
    fields: dict[str, str] = {}
    for element in root.iter():
        for key, value in element.attrib.items():
            fields.setdefault(key, value)
        if element is not root and len(element) == 0:
            fields.setdefault(element.tag, (element.text or "").strip())
    return fields


def decode_smsc_body(body: bytes, content_type: str, raw_query: str) -> tuple[dict[str, str], str]:
    """(fields, charset) of one SMSC push: query parameters merged under the body's fields."""
    query = split_form(raw_query.encode("utf-8", "replace"))
    kind = body_kind(content_type, body)
    form = split_form(body) if kind == _FORM else []  # split once: charset and fields
    charset = pick_charset(query, form, content_type)
    fields = {_text(k, charset, "query name"): _text(v, charset, "query") for k, v in query}
    if kind == _FORM:
        fields.update(decode_form(form, charset))
    elif body.strip():
        fields.update((decode_json if kind == _JSON else decode_xml)(body, charset))
    return fields, charset
