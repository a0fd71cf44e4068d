"""Journal record bodies: what each store write looks like as a line of the journal."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Sequence
from typing import Any

from smstui.errors import StoreError
from smstui.model import Message, Rekey, Source, StatusChange
from smstui.store import schema as s

# Each process tags its records, so it recognises its own when it reads them back among
# other processes' (catch-up) and hands the results to the caller that wrote them.
TOKEN = f"{os.getpid()}.{secrets.token_hex(4)}"
_ids = itertools.count()


def _new_token() -> None:
    """A forked child is another process: it must not take its parent's records for its own."""
    global TOKEN
    TOKEN = f"{os.getpid()}.{secrets.token_hex(4)}"


os.register_at_fork(after_in_child=_new_token)
Item = Message | StatusChange | Rekey


def record_id() -> str:
    """A journal-wide unique id for one record of this process."""
    return f"{TOKEN}.{next(_ids)}"


def apply_body(items: Sequence[Item], source: Source, now: float) -> dict[str, Any]:
    """The record of one applied batch (inputs, not results: replaying it is idempotent)."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, StatusChange):
            out.append({"c": s.change_to_doc(item)})
        elif isinstance(item, Message):
            out.append({"m": s.message_to_doc(item)})
        elif isinstance(item, Rekey):
            out.append({"r": [list(item.old), list(item.new)]})
        else:
            raise StoreError(
                f"cannot apply a {type(item).__name__}; expected Message or StatusChange"
            )
    return {"op": "apply", "src": source.value, "now": now, "items": out, "rid": record_id()}


def apply_items(body: dict[str, Any]) -> tuple[list[Item], Source, float]:
    """Decode an apply record back into its items."""
    try:
        items: list[Item] = [_item(i) for i in body["items"]]
        return items, Source(body["src"]), float(body["now"])
    except (KeyError, TypeError, ValueError) as err:
        raise StoreError(f"bad apply record: {err!r}") from err


def _item(doc: dict[str, Any]) -> Item:
    if "c" in doc:
        return s.doc_to_change(doc["c"])
    if "r" in doc:
        old, new = doc["r"]
        return Rekey(_key(old), _key(new))
    return s.doc_to_message(doc["m"])[0]


def _key(value: Any) -> tuple[str, str, str]:
    account, message_id, phone = value
    if not all(isinstance(v, str) for v in (account, message_id, phone)):
        raise TypeError(f"a message key is three strings, not {value!r}")
    return (account, message_id, phone)


def body(op: str, **fields: Any) -> dict[str, Any]:
    """The record of one side write: "balance", "incoming", "event", "cursor" or "prune"."""
    return {"op": op, **fields, "rid": record_id()}


def is_mine(body: dict[str, Any]) -> bool:
    """True for records this process wrote."""
    return str(body.get("rid", "")).startswith(TOKEN + ".")
