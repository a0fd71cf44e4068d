"""The messages table as JSON text, re-encoding only the messages changed since the last flush."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from itertools import chain, repeat
from json.encoder import encode_basestring  # the C encoder json.dumps uses for ensure_ascii=False
from typing import Any

from smstui.model import Message
from smstui.store.rows import encode_row
from smstui.store.schema import Key

_DOC = '{{"r":{},"t":{}}}'.format  # one document: {"r":"<row>","t":"<timeline>"}
_PREFIXES: list[str] = ['{"1":']  # '{"1":', ',"2":', ',"3":', …: made once, reused by every flush
_PREFIXES_LOCK = threading.Lock()  # several stores may flush at once


def _prefixes(n: int) -> list[str]:
    """The table's '"<doc id>":' separators for n documents."""
    with _PREFIXES_LOCK:
        if len(_PREFIXES) < n:
            _PREFIXES.extend(f',"{i}":' for i in range(len(_PREFIXES) + 1, n + 1))
        return _PREFIXES[:n]


def doc_json(row: str, timeline: str) -> str:
    """One message document as compact JSON text."""
    return _DOC(encode_basestring(row), encode_basestring(timeline))


class MessageFragments:
    """Each message's document as JSON text, kept between flushes; a flush re-encodes only the
    keys marked changed and joins the rest (every per-message step of the join is in C).

    Marks carry the generation of the snapshot that took them, so that flushes may overlap
    in any order: a write encodes every marked key from its own snapshot, but clears only the
    marks its snapshot covers; a later snapshot's marks stay for the later write.
    """

    def __init__(self) -> None:
        self._frag: dict[Key, str] = {}
        self._stale: dict[Key, int] = {}  # key → generation of the snapshot that marked it
        self._seed: tuple[Sequence[Key], Sequence[str], Sequence[str]] | None = None
        self._lock = threading.Lock()  # held by the writing thread for a whole encode
        self._marks_lock = threading.Lock()  # held briefly, by the loop and by the writer
        self.reencoded = 0  # messages encoded by the last flush (for tests and benchmarks)

    def seed(self, keys: Sequence[Key], rows: Sequence[str], timelines: Sequence[str]) -> None:
        """Remember the rows and timelines just read from disk (aligned with `keys`), so an
        unchanged message is never re-encoded; the JSON text is made by the first flush."""
        with self._lock, self._marks_lock:
            self._frag, self._stale, self._seed = {}, {}, (keys, rows, timelines)

    def clear(self) -> None:
        """Forget everything (the next flush encodes every message)."""
        with self._lock, self._marks_lock:
            self._frag, self._stale, self._seed = {}, {}, None

    def mark(self, keys: set[Key], gen: int) -> None:
        """Note keys changed up to generation `gen` (called when a snapshot is taken)."""
        if keys:
            with self._marks_lock:
                self._stale.update(zip(keys, repeat(gen)))

    def _apply_seed(self) -> None:
        if self._seed is None:
            return
        keys, rows, timelines = self._seed
        self._seed = None
        docs = map(_DOC, map(encode_basestring, rows), map(encode_basestring, timelines))
        self._frag = dict(zip(keys, docs, strict=True))

    def table_json(
        self,
        order: Sequence[Key],
        by_key: Mapping[Key, Message],
        timelines: Mapping[Key, str],
        gen: int,
    ) -> str:
        """The messages table, {"1": doc, …} in `order`, for the snapshot of generation `gen`."""
        with self._lock:
            self._apply_seed()
            with self._marks_lock:
                stale = dict(self._stale)
            frag = self._frag
            encoded = 0
            for key in stale:
                m = by_key.get(key)
                if m is not None:
                    frag[key] = doc_json(encode_row(m), timelines.get(key, ""))
                    encoded += 1
                elif stale[key] <= gen:  # gone from the cache (retention)
                    frag.pop(key, None)
            docs: list[Any] = list(map(frag.get, order))
            if None in docs:  # after clear(): nothing cached yet for these
                for i, key in enumerate(order):
                    if docs[i] is None:
                        row = encode_row(by_key[key])
                        docs[i] = frag[key] = doc_json(row, timelines.get(key, ""))
                        encoded += 1
            with self._marks_lock:  # clear what this snapshot covers and nobody re-marked
                for key, g in stale.items():
                    if g <= gen and self._stale.get(key) == g:
                        del self._stale[key]
            self.reencoded = encoded
        if not docs:
            return "{}"
        # Interleaved with the cached id prefixes: one copy of each document, no temporaries.
        return "".join(chain.from_iterable(zip(_prefixes(len(docs)), docs, strict=True))) + "}"
