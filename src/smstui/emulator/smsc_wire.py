"""SMSC wire format: charset-aware parameter parsing and replies per `fmt` (smsc.md §1)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

CHARSETS = {"windows-1251": "cp1251", "cp1251": "cp1251", "utf-8": "utf-8", "utf8": "utf-8"}
CHARSETS["koi8-r"] = "koi8_r"
# The `error` texts as the real server writes them where known (2, 3 on send, 4, 8: the vendor
# libraries' tests and captured replies, smsc.md §11); clients must never match on them.
ERROR_TEXT = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",  # send.php; other endpoints pass their own "… not found" text
    4: "ip is blocked",
    5: "date format error",
    6: "message is denied",
    7: "invalid number",
    8: "can't to deliver",
    9: "duplicate request, wait a minute",
}
SEND_ID_ERRORS = frozenset({3, 6, 7, 8})
MAX_MULTIPART_BYTES = 1024 * 1024  # aiohttp's own limit for form bodies
BAD_BODY = "__bad_body__"  # marks a body that could not be parsed: answered with error 1


def _json_escape(err: UnicodeError) -> tuple[str, int]:
    """Characters the reply charset lacks travel as JSON \\u escapes (surrogate pairs too)."""
    if not isinstance(err, UnicodeEncodeError):  # registered for encoding only
        raise err
    out: list[str] = []
    for ch in err.object[err.start : err.end]:
        data = ch.encode("utf-16-be")
        out.extend(f"\\u{data[i]:02x}{data[i + 1]:02x}" for i in range(0, len(data), 2))
    return "".join(out), err.end


codecs.register_error("smstui_json", _json_escape)


def _form_unquote(raw: bytes) -> bytes:
    """One form-encoded key or value: "+" is a space, then %XX escapes."""
    return unquote_to_bytes(raw.replace(b"+", b" "))


def split_pairs(raw: bytes) -> list[tuple[str, bytes]]:
    """a=b&c=d (raw bytes) → [(key, value bytes)], percent- and plus-decoded."""
    pairs = []
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        key, _, value = chunk.partition(b"=")
        pairs.append((_form_unquote(key).decode("latin-1"), _form_unquote(value)))
    return pairs


async def read_params(request: web.Request) -> tuple[dict[str, str], str]:
    """Query + form parameters decoded in the request's `charset` (windows-1251 by default)."""
    pairs = split_pairs(request.rel_url.raw_query_string.encode("latin-1", "replace"))
    if request.method == "POST":
        if request.content_type.startswith("multipart/"):
            parts = await multipart_pairs(request)
            pairs += [(BAD_BODY, b"1")] if parts is None else parts
        else:
            pairs += split_pairs(await request.read())
    charset_name = "windows-1251"
    for key, value in pairs:
        if key == "charset":
            charset_name = value.decode("latin-1").strip().lower() or charset_name
    codec = CHARSETS.get(charset_name, "cp1251")
    params: dict[str, str] = {}
    for key, value in pairs:
        params[key] = value.decode(codec, errors="replace")
    return params, charset_name if charset_name in CHARSETS else "windows-1251"


async def multipart_pairs(request: web.Request) -> list[tuple[str, bytes]] | None:
    """multipart/form-data fields as raw bytes (None when malformed).

    The official Node library posts every field as multipart, in the request's `charset`
    (windows-1251 bytes included) and without a per-part charset, so the bytes are kept and
    decoded later like form fields, never as UTF-8 here.
    """
    pairs: list[tuple[str, bytes]] = []
    left = MAX_MULTIPART_BYTES
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue  # nested multipart or a nameless part: nothing SMSC reads
            data = bytearray()
            while chunk := await part.read_chunk():
                left -= len(chunk)
                if left < 0:
                    return None  # read in chunks so a huge part is refused, not buffered
                data += chunk
            pairs.append((part.name, bytes(part.decode(bytes(data)))))
    except (HttpProcessingError, ValueError, AssertionError, RuntimeError, LookupError):
        return None  # what aiohttp raises on a broken part: the request gets error 1, not a 500
    return pairs


async def rest_params(request: web.Request) -> tuple[dict[str, str], str]:
    """POST /rest/send/: the same parameters as one JSON object (UTF-8)."""
    try:
        body = json.loads((await request.read()).decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        body = None
    if not isinstance(body, dict):
        return {BAD_BODY: "1"}, "utf-8"
    params = {
        str(k): (",".join(map(str, v)) if isinstance(v, list) else str(v)) for k, v in body.items()
    }
    params.setdefault("fmt", "3")
    return params, "utf-8"


# Parsed parameters, kept on the request so the body is decoded once (the counting middleware
# needs them to name the endpoint, the handler to answer).
SMSC_PARAMS: web.RequestKey[tuple[dict[str, str], str]] = web.RequestKey("smsc_params", tuple)


async def smsc_params(request: web.Request) -> tuple[dict[str, str], str]:
    """The request's SMSC parameters and charset (/rest/send/ takes JSON), cached on the request."""
    cached = request.get(SMSC_PARAMS)
    if cached is None:
        if request.path.startswith("/rest/"):
            cached = await rest_params(request)
        else:
            cached = await read_params(request)
        request[SMSC_PARAMS] = cached
    return cached


def fmt_of(params: dict[str, str], default: int = 0) -> int:
    """The reply format 0–3 (unknown values fall back to the default)."""
    raw = params.get("fmt", "").strip()
    return int(raw) if raw in ("0", "1", "2", "3") else default


def reply(body: object, fmt: int, charset: str) -> web.Response:
    """Encode a reply: fmt=3 JSON, fmt=2 XML string, otherwise a text string."""
    codec = CHARSETS.get(charset, "cp1251")
    if fmt == 3:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        data = text.encode(codec, errors="smstui_json")
        ctype = "application/json"
    else:
        data = str(body).encode(codec, errors="replace")
        ctype = "text/xml" if fmt == 2 else "text/plain"
    return web.Response(body=data, headers={"Content-Type": f"{ctype}; charset={charset}"})


def error_reply(
    code: int, fmt: int, charset: str, msg_id: object = None, text: str | None = None
) -> web.Response:
    """The error envelope per fmt (§1.4), HTTP 200; send errors 3/6/7/8 carry the id."""
    text = text or ERROR_TEXT.get(code, "error")
    with_id = msg_id is not None and code in SEND_ID_ERRORS
    if fmt == 3:
        body: object = {"error": text, "error_code": code}
        if with_id:
            body["id"] = msg_id  # type: ignore[index]
    elif fmt == 2:
        extra = f"<id>{escape(str(msg_id))}</id>" if with_id else ""
        body = f"<result><error>{text}</error><error_code>{code}</error_code>{extra}</result>"
    elif fmt == 1:
        body = f"{msg_id if with_id else 0},-{code}"
    else:
        body = f"ERROR = {code} ({text})" + (f", ID - {msg_id}" if with_id else "")
    return reply(body, fmt, charset)


def xml_fields(tag: str, fields: Mapping[str, object]) -> str:
    """<tag><k>v</k>…</tag> with escaped values (None, an unknown date, as an empty element)."""
    inner = "".join(f"<{k}>{'' if v is None else escape(str(v))}</{k}>" for k, v in fields.items())
    return f"<{tag}>{inner}</{tag}>"


def flag(params: dict[str, str], name: str) -> bool:
    """A flag key counts when present with any value except an explicit 0."""
    return name in params and params[name].strip() != "0"
