"""Messages as compact `|`-separated row strings (schema 2); no I/O here.

A 100k-message cache opens fast when each message is ONE JSON string: the JSON parser then
makes one string per message instead of sixteen values, and `str.split` plus column-wise
conversion does the rest in C. `|` is the separator (not a tab) because a string without JSON
escapes takes the parser's fast path. Escapes: `\\` → `\\\\`, `|` → `\\p`, `~` (timeline.py's
entry separator) → `\\w`, and a whole field `\\N` is None in a text field (numeric fields write
None as the empty string).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from itertools import repeat
from typing import Any

from smstui.errors import StoreError
from smstui.model import DeliveryState, Message, Provider

SEP = "|"
ROW_FIELDS = 16
_NONE = "\\N"
_ESCAPE = re.compile(r"\\(.)", re.S)
_UNESCAPED = {"\\": "\\", "p": "|", "w": "~"}
_STATES = {s.value: s for s in DeliveryState}
# (accounts, message ids, phones, state values, send times): one list per field, row-aligned.
Columns = tuple[list[str], list[str], list[str], list[str], list[float | None]]
_PROVIDERS = {p.value: p for p in Provider}


def escape(value: str | None) -> str:
    """One text field, safe to join with SEP."""
    if value is None:
        return _NONE
    if "\\" in value or SEP in value or "~" in value:
        return value.replace("\\", "\\\\").replace(SEP, "\\p").replace("~", "\\w")
    return value


def _unescape_one(match: re.Match[str]) -> str:
    try:
        return _UNESCAPED[match.group(1)]
    except KeyError:
        raise ValueError(f"unknown escape \\{match.group(1)}") from None


def unescape(field: str) -> str | None:
    """The text a field stands for (the inverse of `escape`); ValueError on a bad escape."""
    if field == _NONE:
        return None
    if "\\" not in field:
        return field
    return _ESCAPE.sub(_unescape_one, field)


def _float(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _int(value: int | None) -> str:
    return "" if value is None else str(int(value))


def encode_row(m: Message) -> str:
    """One message as a row string (the fields of Message, in order)."""
    cost = m.cost
    fields_ = (
        m.account, m.provider.value, m.message_id, m.phone, m.state.value, m.text, m.sender,
        _float(m.sent_at), m.raw_status, _int(m.error_code), "" if cost is None else str(cost),
        _int(m.parts), m.country, m.operator, m.region, _float(m.updated_at),
    )  # fmt: skip
    try:
        row = SEP.join(fields_)
    except TypeError:  # a None text field: escape field by field
        row = None
    # The usual case: no field held a separator or a backslash, so nothing needs escaping.
    if row is not None and row.count(SEP) == ROW_FIELDS - 1 and "\\" not in row and "~" not in row:
        return row
    return SEP.join(map(escape, fields_))


_SLOT_SETTERS = [getattr(Message, f.name).__set__ for f in fields(Message)]
_BLOCK = 2048  # messages built per block (their slots fit in the CPU cache)


def build_messages(columns: Sequence[Sequence[Any]]) -> list[Message]:
    """Messages from one sequence per field (in Message's field order), built column-wise.

    A frozen dataclass's __init__ assigns each field through `object.__setattr__`; writing
    the slots one column at a time, through the slot descriptors and C-level `map`, makes
    equal objects at half the cost, which matters for the 100k messages of an open. Falls
    back to the constructor should Message ever grow a `__post_init__`.
    """
    if hasattr(Message, "__post_init__"):
        return list(map(Message, *columns))
    n = len(columns[0])
    if any(len(column) != n for column in columns) or len(columns) != len(_SLOT_SETTERS):
        raise ValueError(f"expected {len(_SLOT_SETTERS)} columns of one length")
    out: list[Message] = []
    # In blocks: sixteen passes over 100k objects (16 MB) miss the CPU cache on every write;
    # over a block they stay in cache, which makes the whole build ~30% faster.
    for lo in range(0, n, _BLOCK):
        block = list(map(object.__new__, repeat(Message, min(_BLOCK, n - lo))))
        for set_slot, column in zip(_SLOT_SETTERS, columns, strict=True):
            deque(map(set_slot, block, column[lo : lo + _BLOCK]), maxlen=0)  # keep nothing
        out += block
    return out


def _floats(column: Sequence[str]) -> list[float | None]:
    if "" not in column:
        return list(map(float, column))  # the usual case, entirely in C
    return [float(x) if x else None for x in column]


def _ints(column: Sequence[str]) -> list[int | None]:
    # Error codes and part counts take a handful of values: parse each distinct one once.
    memo = {x: int(x) if x else None for x in set(column)}
    return list(map(memo.__getitem__, column))


def _decimals(column: Sequence[str]) -> list[Decimal | None]:
    # Costs repeat too (a campaign has a handful of prices).
    memo = {x: Decimal(x) if x else None for x in set(column)}
    return list(map(memo.__getitem__, column))


def decode_rows(rows: Sequence[str]) -> list[Message]:
    """Decode many row strings at once, column by column; StoreError on any bad row."""
    return decode_table(rows)[0]


def decode_table(rows: Sequence[str]) -> tuple[list[Message], Columns]:
    """`decode_rows`, plus the columns the index is built from (so it need not read them back
    out of 100k messages): accounts, ids, phones, state values (strings) and send times.

    All rows are joined and split once, and each column is a slice of the flat field list:
    no per-row Python work except for the rare row that holds an escape.
    """
    n = len(rows)
    if not n:
        return [], ([], [], [], [], [])
    try:
        seps = set(map(str.count, rows, repeat(SEP)))  # also a type check, in C
    except TypeError as err:  # a row that is not a string
        raise StoreError(f"bad message row: {err}") from err
    if seps != {ROW_FIELDS - 1}:
        bad = next(r for r in rows if r.count(SEP) != ROW_FIELDS - 1)
        raise StoreError(f"bad message row (expected {ROW_FIELDS} fields): {bad[:120]!r}")
    joined = SEP.join(rows)
    flat: list[Any] = joined.split(SEP)
    try:
        escaped = [i for i, r in enumerate(rows) if "\\" in r] if "\\" in joined else ()
        for i in escaped:  # only an escaped field can stand for None (`\\N`)
            at = i * ROW_FIELDS
            row = [unescape(f) for f in flat[at : at + ROW_FIELDS]]
            if row[0] is None or row[2] is None or row[3] is None:
                raise ValueError("a key field (account, message_id, phone) is missing")
            flat[at : at + ROW_FIELDS] = row
        (acc, prov, mid, phone, state, text, sender, sent, raw, err, cost, parts, country, op,
         region, updated) = [flat[i::ROW_FIELDS] for i in range(ROW_FIELDS)]  # fmt: skip
        sents = _floats(sent)
        messages = build_messages((
            acc, list(map(_PROVIDERS.__getitem__, prov)), mid, phone,
            list(map(_STATES.__getitem__, state)), text, sender, sents, raw, _ints(err),
            _decimals(cost), _ints(parts), country, op, region, _floats(updated),
        ))  # fmt: skip
        return messages, (acc, mid, phone, state, sents)
    except (KeyError, ValueError, TypeError, InvalidOperation) as err:
        raise StoreError(f"bad message row: {err!r}") from err
