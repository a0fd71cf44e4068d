"""Messages and timelines as compact `|`-separated strings (schema 2); no I/O here.

A 100k-message cache opens fast when each message is ONE JSON string: the JSON parser then
makes one string per message instead of sixteen values, and `str.split` plus column-wise
conversion does the rest in C. `|` is the separator (not a tab) because a string without JSON
escapes takes the parser's fast path. Escapes: `\\` → `\\\\`, `|` → `\\p`, and a whole field
`\\N` is None in a text field (numeric fields write None as the empty string).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from operator import methodcaller
from typing import Any

from smstui.errors import StoreError
from smstui.model import DeliveryState, Message, Provider

SEP = "|"
ROW_FIELDS = 16
ENTRY_FIELDS = 6
_NONE = "\\N"
_ESCAPE = re.compile(r"\\(.)", re.S)
_UNESCAPED = {"\\": "\\", "p": "|"}
_STATES = {s.value: s for s in DeliveryState}
_PROVIDERS = {p.value: p for p in Provider}
_COUNT_SEP = methodcaller("count", SEP)


def escape(value: str | None) -> str:
    """One text field, safe to join with SEP."""
    if value is None:
        return _NONE
    if "\\" in value or SEP in value:
        return value.replace("\\", "\\\\").replace(SEP, "\\p")
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


def _num(value: float | int | None) -> str:
    return "" if value is None else repr(value)


def encode_row(m: Message) -> str:
    """One message as a row string (the fields of Message, in order)."""
    cost = m.cost
    return SEP.join((
        escape(m.account), m.provider.value, escape(m.message_id), escape(m.phone), m.state.value,
        escape(m.text), escape(m.sender), _num(m.sent_at), escape(m.raw_status),
        _num(m.error_code), "" if cost is None else str(cost), _num(m.parts), escape(m.country),
        escape(m.operator), escape(m.region), _num(m.updated_at),
    ))  # fmt: skip


def encode_timeline(entries: Sequence[Sequence[Any]]) -> str:
    """Timeline entries (state, raw, at, source, error_code, observed_at) as one flat string."""
    out: list[str] = []
    for state, raw, at, source, err, observed in entries:
        out += (state, escape(raw), repr(at), source, _num(err), _num(observed))
    return SEP.join(out)


def timeline_is_well_formed(text: str) -> bool:
    """A cheap structural check (field count) done at open; full decoding happens on demand."""
    return text.count(SEP) % ENTRY_FIELDS == ENTRY_FIELDS - 1


def decode_timeline(text: str) -> tuple[tuple[Any, ...], ...]:
    """The entries of a timeline string; StoreError when it is not one."""
    if not text:
        return ()
    parts: list[Any] = text.split(SEP)
    try:
        if len(parts) % ENTRY_FIELDS:
            raise ValueError(f"{len(parts)} fields is not a multiple of {ENTRY_FIELDS}")
        if "\\" in text:
            parts = [unescape(p) for p in parts]
        out = []
        for i in range(0, len(parts), ENTRY_FIELDS):
            state, raw, at, source, err, observed = parts[i : i + ENTRY_FIELDS]
            out.append((
                state, raw, float(at), source, int(err) if err else None,
                float(observed) if observed else None,
            ))  # fmt: skip
    except (ValueError, TypeError) as err:
        raise StoreError(f"bad timeline {text[:80]!r}: {err}") from err
    return tuple(out)


def _message_maker() -> Any:
    """A Message constructor that skips the frozen dataclass's per-field `object.__setattr__`.

    Frozen dataclasses assign each field through `object.__setattr__`, which is most of the cost
    of building 100k messages at open; writing the slots directly gives equal objects at about
    half the cost. Falls back to the class itself should it ever grow a `__post_init__`.
    """
    if hasattr(Message, "__post_init__"):
        return Message
    names = [f.name for f in fields(Message)]
    args = ", ".join(f"a{i}" for i in range(len(names)))
    body = "".join(f"    s{i}(m, a{i})\n" for i in range(len(names)))
    src = f"def make({args}):\n    m = new(M)\n{body}    return m\n"
    scope: dict[str, Any] = {"new": object.__new__, "M": Message}
    scope.update({f"s{i}": getattr(Message, n).__set__ for i, n in enumerate(names)})
    exec(src, scope)  # the source is built from Message's own field names
    return scope["make"]


make_message = _message_maker()


def _floats(column: Sequence[str]) -> list[float | None]:
    if "" not in column and None not in column:
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
    """Decode many row strings at once, column by column; StoreError on any bad row.

    All rows are joined and split once, and each column is a slice of the flat field list:
    no per-row Python work except for the rare row that holds an escape.
    """
    n = len(rows)
    if not n:
        return []
    seps = set(map(_COUNT_SEP, rows))
    if seps != {ROW_FIELDS - 1}:
        bad = next(r for r in rows if r.count(SEP) != ROW_FIELDS - 1)
        raise StoreError(f"bad message row (expected {ROW_FIELDS} fields): {bad[:120]!r}")
    flat: list[Any] = SEP.join(rows).split(SEP)
    try:
        for i in [i for i, r in enumerate(rows) if "\\" in r]:
            at = i * ROW_FIELDS
            flat[at : at + ROW_FIELDS] = [unescape(f) for f in flat[at : at + ROW_FIELDS]]
        (acc, prov, mid, phone, state, text, sender, sent, raw, err, cost, parts, country, op,
         region, updated) = [flat[i::ROW_FIELDS] for i in range(ROW_FIELDS)]  # fmt: skip
        if None in acc or None in mid or None in phone:
            raise ValueError("a key field (account, message_id, phone) is missing")
        return list(
            map(
                make_message, acc, map(_PROVIDERS.__getitem__, prov), mid, phone,
                map(_STATES.__getitem__, state), text, sender, _floats(sent), raw, _ints(err),
                _decimals(cost), _ints(parts), country, op, region, _floats(updated),
            )
        )  # fmt: skip
    except (KeyError, ValueError, TypeError, InvalidOperation) as err:
        raise StoreError(f"bad message row: {err!r}") from err
