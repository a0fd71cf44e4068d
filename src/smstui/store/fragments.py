"""The messages table as JSON text, re-encoding only the messages changed since the last flush."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from itertools import repeat
from json.encoder import encode_basestring  # the C encoder json.dumps uses for ensure_ascii=False
from operator import attrgetter
from typing import Any

from smstui.model import Message
from smstui.store.rows import encode_row
from smstui.store.schema import Key

_KEY = attrgetter("account", "message_id", "phone")
_DOC = '"{}":{{"r":{},"t":{}}}'.format  # one table entry: "<doc id>":{"r":"…","t":"…"}


class _Encoded:
    """JSON string literals by object identity, for objects it keeps alive (so ids stay valid)."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.pinned: list[Any] = []

    def lookup(self, objects: list[Any], encode: Any = None) -> tuple[list[str], int]:
        """The literal of every object, encoding only the unknown ones (through `encode` first,
        when given); returns (literals, how many were encoded)."""
        ids = list(map(id, objects))
        literals: list[Any] = list(map(self.by_id.get, ids))  # all in C: the usual flush
        fresh = 0
        if None in literals:
            missing = [i for i, lit in enumerate(literals) if lit is None]
            texts = [objects[i] for i in missing]
            if encode is not None:
                texts = list(map(encode, texts))
            for i, lit in zip(missing, map(encode_basestring, texts), strict=True):
                literals[i] = lit
            fresh = len(missing)
        # Rebuilt each time so that dropped objects (pruned, replaced) leave the cache too.
        self.by_id = dict(zip(ids, literals, strict=True))
        self.pinned = objects
        return literals, fresh


class MessageFragments:
    """Each message's row and each timeline as JSON text, cached by identity.

    Messages and timelines are immutable, so the same object means the same text: a flush
    encodes only what changed since the last one and joins the rest, with every per-message
    step a C-level map. Only the flushing thread uses it (under its own lock).
    """

    def __init__(self) -> None:
        self._rows = _Encoded()
        self._timelines = _Encoded()
        self._seed: tuple[Sequence[Message], Sequence[str]] | None = None
        self._lock = threading.Lock()
        self.reencoded = 0  # messages encoded by the last flush (for tests and benchmarks)

    def seed(self, messages: Sequence[Message], rows: Sequence[str]) -> None:
        """Remember the rows just read from disk (exact for those message objects), so that an
        unchanged message is never re-encoded; the JSON text is made by the first flush."""
        with self._lock:
            self._seed = (messages, rows)

    def clear(self) -> None:
        """Forget everything (the next flush encodes every message)."""
        with self._lock:
            self._rows, self._timelines, self._seed = _Encoded(), _Encoded(), None

    def _apply_seed(self) -> None:
        if self._seed is None:
            return
        messages, rows = self._seed
        self._seed = None
        self._rows.by_id = dict(zip(map(id, messages), map(encode_basestring, rows), strict=True))
        self._rows.pinned = list(messages)

    def table_json(self, order: Sequence[Message], timelines: Mapping[Key, str]) -> str:
        """The whole messages table, {"1": doc, "2": doc, …} in `order`, as JSON text."""
        with self._lock:
            self._apply_seed()
            messages = list(order)
            # A message without a timeline gets "" (one shared object, so one cache entry).
            tls = list(map(timelines.get, map(_KEY, messages), repeat("")))
            rows, fresh = self._rows.lookup(messages, encode_row)
            tl_lits, _ = self._timelines.lookup(tls)
            self.reencoded = fresh
        return "{" + ",".join(map(_DOC, range(1, len(rows) + 1), rows, tl_lits)) + "}"
