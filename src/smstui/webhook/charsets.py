"""The charsets a push may name: SMSC's three (utf-8, windows-1251, koi8-r) and their aliases.

Python's codec registry also knows `undefined`, `punycode`, `rot13`, `base64` and friends, which
raise on decoding or are not text codecs at all; so a push names a label from this allow-list or
is refused (HTTP 400) before anything else is done with it (smsc.md §1.3, §10.2).
"""

from __future__ import annotations

from smstui.webhook.errors import MalformedPush

# label (lowercase, as sent) → Python codec name; WHATWG and IANA spellings seen in the wild.
_LABELS = {
    **dict.fromkeys(
        ("utf-8", "utf8", "utf_8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8",
         "x-unicode20utf8"),
        "utf-8",
    ),
    **dict.fromkeys(
        ("windows-1251", "windows1251", "windows_1251", "cp1251", "cp-1251", "win-1251",
         "win1251", "x-cp1251"),
        "cp1251",
    ),
    **dict.fromkeys(("koi8-r", "koi8r", "koi8_r", "koi8", "koi", "cskoi8r"), "koi8-r"),
}  # fmt: skip
ACCEPTED = ("utf-8", "windows-1251", "koi8-r")  # for messages: what a push may name


class UnsupportedCharset(MalformedPush):
    """A push names a charset outside the allow-list (HTTP 400)."""


def normalise_charset(label: str) -> str:
    """A charset label → its Python codec name; UnsupportedCharset when not on the allow-list."""
    key = label.strip().strip("\"'").strip().lower()
    codec = _LABELS.get(key)
    if codec is None:
        shown = key[:30].encode("ascii", "backslashreplace").decode("ascii")
        raise UnsupportedCharset(f"charset {shown!r} not accepted (use {', '.join(ACCEPTED)})")
    return codec


def content_type_charset(content_type: str) -> str | None:
    """The `charset=` parameter of a Content-Type header as sent, if any."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value
    return None


def check_request_charsets(query_charsets: list[bytes], content_type: str) -> None:
    """Refuse a request whose query or Content-Type names a charset off the list (before I/O)."""
    for raw in query_charsets:
        if raw:  # an empty `charset=` falls back to the default, as SMSC's own does
            normalise_charset(raw.decode("ascii", "replace"))
    header = content_type_charset(content_type)
    if header is not None:
        normalise_charset(header)
