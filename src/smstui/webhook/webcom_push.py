"""Webcom status webhooks: JSON array or XML `<state>` list → StatusChange, and the ack body.

An entry that cannot be read is left out of the ack so Webcom retries it (5 attempts in total,
webcom.md §3.3); the rest of the batch is still accepted.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.sax.saxutils import escape

from smstui import codes
from smstui.model import Source, StatusChange
from smstui.webhook.charsets import content_type_charset, normalise_charset
from smstui.webhook.errors import MalformedPush
from smstui.webhook.smsc_decode import body_kind
from smstui.webhook.times import parse_moscow
from smstui.webhook.xml_safe import parse_xml

_STATE_WORD = re.compile(r"^[a-z_]{1,40}$")
_ID = re.compile(r"^\d{1,20}$")
XML_ROOTS = ("response", "request")  # Webcom documents <response>, its siblings <request> (Q8)


class WebcomEntry(NamedTuple):
    """One readable status in a batch, with the id exactly as it arrived (echoed in the ack).

    A tuple, not a frozen dataclass: an 18,000-entry batch builds one per entry, at a quarter
    of the cost.
    """

    raw_id: int | str
    message_id: str
    state_word: str
    time_text: str
    at: float | None  # time_text read as Moscow time; None when empty (state `send`)


@dataclass(slots=True)
class WebcomBatch:
    """A decoded batch: the entries we can accept, how many we cannot, and the body's format."""

    entries: list[WebcomEntry] = field(default_factory=list)
    rejected: int = 0
    fmt: str = "json"


def _entry(raw_id: object, state: object, time_text: object) -> WebcomEntry | None:
    """A valid entry, or None when any part is malformed (then it is simply not acked)."""
    if type(raw_id) is int:  # what Webcom sends; bool (an int subclass) is refused below
        message_id = str(raw_id) if 0 <= raw_id < 10**20 else ""
    elif isinstance(raw_id, str):
        message_id = raw_id.strip()
        message_id = message_id if _ID.match(message_id) else ""
    else:
        return None
    word = _state_word(state) if isinstance(state, str) else None
    if not message_id or word is None:
        return None
    if time_text is None:
        time_text = ""
    if not isinstance(time_text, str):
        return None
    at = None
    time_text = time_text.strip()
    if time_text:
        try:
            at = parse_moscow(time_text)
        except MalformedPush:
            return None
    elif word != "send":
        return None  # only `send` comes without a time (webcom.md §2)
    return WebcomEntry(raw_id, message_id, word, time_text, at)


@functools.lru_cache(maxsize=256)  # a batch repeats a handful of words thousands of times
def _state_word(state: str) -> str | None:
    """The state as a lower-case word, or None when it cannot be one."""
    word = state.strip().lower()
    return word if _STATE_WORD.match(word) else None


def _json_batch(body: bytes, charset: str) -> WebcomBatch:
    try:
        data = json.loads(body.decode(charset))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise MalformedPush("Webcom push is not valid JSON") from None
    if isinstance(data, dict):
        data = [data]  # lenient: a single status without the array around it
    if not isinstance(data, list):
        raise MalformedPush("Webcom push must be a JSON array of statuses")
    batch = WebcomBatch(fmt="json")
    for item in data:
        entry = None
        if isinstance(item, dict):
            entry = _entry(item.get("id_sms"), item.get("state"), item.get("time"))
        if entry is None:
            batch.rejected += 1
        else:
            batch.entries.append(entry)
    return batch


def _xml_batch(body: bytes, charset: str | None) -> WebcomBatch:
    root = parse_xml(body, charset, "utf-8")
    if root.tag not in XML_ROOTS:
        raise MalformedPush(
            f"Webcom XML push root must be <response> or <request>, not <{root.tag}>"
        )
    batch = WebcomBatch(fmt="xml")
    for element in root:
        entry = None
        if element.tag == "state":
            word = (element.text or "").strip()
            entry = _entry(element.get("id_sms", ""), word, element.get("time", ""))
        if entry is None:
            batch.rejected += 1
        else:
            batch.entries.append(entry)
    return batch


def decode_webcom_push(body: bytes, content_type: str) -> WebcomBatch:
    """A Webcom push body (JSON array or XML list; UTF-8 unless the header says otherwise)."""
    if not body.strip():
        raise MalformedPush("empty Webcom push")
    header = content_type_charset(content_type)
    charset = normalise_charset(header) if header else None
    kind = body_kind(content_type, body)
    if kind == "form":
        raise MalformedPush("Webcom pushes are JSON or XML")
    if kind == "xml":
        return _xml_batch(body, charset)  # no header charset: the XML declaration's, else UTF-8
    return _json_batch(body, charset or "utf-8")


def to_status_change(entry: WebcomEntry, account: str, observed_at: float) -> StatusChange:
    """One entry → StatusChange; an empty time (state `send`) means "as of now"."""
    at = observed_at if entry.at is None else entry.at
    return StatusChange(
        account=account,
        message_id=entry.message_id,
        state=codes.webcom_state(entry.state_word).state,
        raw_status=entry.state_word,
        at=at,
        source=Source.WEBHOOK,
        observed_at=observed_at,
    )


def ack_body(ids: list[int | str], fmt: str) -> tuple[bytes, str]:
    """(body, content type) acknowledging these ids, in the batch's own format."""
    if fmt == "xml":
        items = "".join(f"<id_sms>{escape(str(i))}</id_sms>" for i in ids)
        text = f'<?xml version="1.0" encoding="utf-8" ?>\n<response>{items}</response>'
        return text.encode("utf-8"), "text/xml; charset=utf-8"
    # Written out rather than json.dumps of a dict per id: no 18,000 throwaway dicts for the GC.
    items = ", ".join(f'{{"id_sms": {i if type(i) is int else json.dumps(i)}}}' for i in ids)
    return f"[{items}]".encode(), "application/json"
