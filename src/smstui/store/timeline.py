"""A message's status timeline as one string: entries joined by `~`, fields by `|`.

The store keeps timelines in this form in memory too, not only on disk: appending an
observation is a string concatenation, the duplicate check a substring search, and a flush
writes the string as it is. Only reading a timeline (the UI's detail view) decodes it.
Entry fields: state, raw status, at, source, error code, observed at. Text is escaped with
rows.escape (which also escapes `~`), so separators never occur inside a field.
"""

from __future__ import annotations

from bisect import insort
from typing import Any

from smstui.errors import StoreError
from smstui.store.rows import SEP, escape, unescape

ENTRY_SEP = "~"
ENTRY_FIELDS = 6
Entry = tuple[Any, ...]  # (state, raw, at, source, error_code, observed_at)


def _opt(value: float | int | None, kind: type) -> str:
    return "" if value is None else repr(kind(value))


def encode_entry(
    state: str, raw: str, at: float, source: str, error_code: int | None, observed: float | None
) -> str:
    """One entry's text (`at` is written as a float, so 5 and 5.0 are the same observation)."""
    return (
        f"{state}|{escape(raw)}|{float(at)!r}|{source}|{_opt(error_code, int)}|"
        f"{_opt(observed, float)}"
    )


def encode(entries: list[Entry] | tuple[Entry, ...]) -> str:
    """A whole timeline's text."""
    return ENTRY_SEP.join(encode_entry(*e) for e in entries)


def append(timeline: str, entry: Entry) -> str | None:
    """The timeline with `entry` added in time order; None when the same (state, raw, at) is
    already there (a webhook retry, a repeated poll answer)."""
    state, raw, at, source, err, observed = entry
    at = float(at)
    # Built once and used twice: as the duplicate probe and as the start of the new entry.
    head = f"{state}|{escape(raw)}|{at!r}|"
    return insert(timeline, head, f"{head}{source}|{_opt(err, int)}|{_opt(observed, float)}", at)


def insert(timeline: str, head: str, text: str, at: float) -> str | None:
    """`append` for an entry already encoded: `text` is the whole entry, `head` its first three
    fields (state|raw|at|) and `at` its time; None when an entry with that head is there."""
    if not timeline:
        return text
    # Entries start at the string's start or right after `~`, which no field contains, so
    # this search only ever matches a whole entry's first three fields.
    if timeline.startswith(head) or ENTRY_SEP + head in timeline:
        return None
    last = timeline[timeline.rfind(ENTRY_SEP) + 1 :].split(SEP, 3)
    try:
        last_at = float(last[2])
    except (IndexError, ValueError) as err:
        raise StoreError(f"bad timeline entry {last!r}") from err
    if last_at <= at:
        return timeline + ENTRY_SEP + text
    entries = list(decode(timeline))  # out of order (a late webhook): keep it chronological
    insort(entries, decode(text)[0], key=lambda e: e[2])
    return encode(entries)


def decode(timeline: str) -> tuple[Entry, ...]:
    """The entries of a timeline string; StoreError when it is not one."""
    if not timeline:
        return ()
    out = []
    try:
        for chunk in timeline.split(ENTRY_SEP):
            fields: list[Any] = chunk.split(SEP)
            if len(fields) != ENTRY_FIELDS:
                raise ValueError(f"{len(fields)} fields, expected {ENTRY_FIELDS}")
            if "\\" in chunk:
                fields = [unescape(f) for f in fields]
            state, raw, at, source, err, observed = fields
            out.append((
                state, raw, float(at), source, int(err) if err else None,
                float(observed) if observed else None,
            ))  # fmt: skip
    except (ValueError, TypeError) as err:
        raise StoreError(f"bad timeline {timeline[:80]!r}: {err}") from err
    return tuple(out)


def well_formed(field_seps: int, entry_seps: int) -> bool:
    """The cheap structural check done at open, from the two separator counts of a timeline."""
    return field_seps == (ENTRY_FIELDS - 1) * (entry_seps + 1)
