"""The main view's whole-history search: the filter answered from every partition, in a worker.

The screen filters the loaded messages at once (they are in memory); a thread then iterates
the store's answer for the partitions on disk and drops what it finds into a queue, and a
timer on the UI thread merges at most MERGE_ROWS of them per tick into the view's rows. No
file is read on the UI thread and no merge is long, so keys stay responsive meanwhile; live
batches keep patching the rows (FilteredRows.patch) throughout. No widget does any of this.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from smstui.model import Message
from smstui.queries import AnswerStopped, Query
from smstui.store_view import AnswerView, StoreView
from smstui.ui.filtered_rows import FilteredRows

if TYPE_CHECKING:
    from textual.timer import Timer

MERGE_ROWS = 1000  # per UI tick: ~1 ms of list appends, so a key never waits on a merge
DRAIN_S = 0.05  # how often the UI takes what the worker found (first rows within 50 ms)
SHOWN_DAYS = 3  # a partial answer names this many missing days, then "+N more"


def first_of(answer: AnswerView, limit: int, stop: threading.Event | None = None) -> list[Message]:
    """The newest `limit` answers (in a worker thread: this reads partition files)."""
    if stop is not None:
        answer.stop_when(stop)
    try:
        return list(islice(answer, limit))
    except AnswerStopped:
        return []


def partial_words(answer: AnswerView) -> str:
    """'' when the answer is whole; else what it lacks, short enough for a title."""
    days = answer.missing_days
    if not answer.missing:
        return ""
    if not days:
        return f"partial · {len(answer.missing)} partition(s) unreadable"
    named = ", ".join(f"{a} {d}" for a, d in days[:SHOWN_DAYS])
    more = f" +{len(days) - SHOWN_DAYS} more" if len(days) > SHOWN_DAYS else ""
    return f"partial · missing {named}{more}"


@dataclass
class SearchRun:
    """One search: the store's answer, the rows it fills, and what the worker found so far."""

    answer: AnswerView
    rows: FilteredRows
    found: deque[Message] = field(default_factory=deque)
    stop: threading.Event = field(default_factory=threading.Event)
    finished: bool = False  # the worker has put everything it will ever find in `found`
    error: str = ""

    def stream(self) -> None:
        """The worker: every answer the screen does not already have (read from disk)."""
        answer = self.answer
        answer.stop_when(self.stop)
        in_memory = answer.loaded
        found = self.found
        try:
            stop = self.stop.is_set
            for message in answer:
                if stop():
                    break
                if in_memory(message.key) is None:  # loaded ones were filtered on screen
                    found.append(message)  # deque.append is atomic: no lock needed
        except AnswerStopped:
            pass
        except Exception as err:  # a failed read must say so on screen, not kill the app
            self.error = f"search failed: {err}"
        finally:
            self.finished = True

    @property
    def complete(self) -> bool:
        """Every row found is on screen and the worker has stopped."""
        return self.finished and not self.found

    def status(self) -> str:
        """'searching · 12 of 40 days', then 'whole history' or what the answer lacks."""
        if self.error:
            return f"partial · {self.error}"
        if not self.complete:
            return f"searching · {self.answer.days_done} of {self.answer.days_total} days"
        return partial_words(self.answer) or "whole history"


class HistorySearch:
    """The screen's search helper: start, cancel, merge found rows, and say how far it got."""

    def __init__(
        self,
        run_worker: Callable[..., object],
        set_interval: Callable[..., Timer],
        on_rows: Callable[[int, bool], None],
    ) -> None:
        self._run_worker = run_worker
        self._set_interval = set_interval
        self._on_rows = on_rows  # (rows added, search now complete) on the UI thread
        self.run: SearchRun | None = None
        self._timer: Timer | None = None
        self.select_when_found: tuple[str, str, str] | None = None  # a jump waiting on disk

    @property
    def searching(self) -> bool:
        """A worker is still reading, or found rows still wait to be merged."""
        return self.run is not None and not self.run.complete

    @property
    def complete(self) -> bool:
        """The view holds every match of the whole history (or says what it lacks)."""
        return self.run is None or self.run.complete

    def status(self) -> str:
        """The search's words for the history title ('' without a filter)."""
        return "" if self.run is None else self.run.status()

    def start(self, store: StoreView, rows: FilteredRows, query: Query) -> None:
        """Search the partitions on disk for `query`, adding to `rows` (on the UI thread)."""
        self.stop()
        answer = store.query(query)  # the snapshot: on the UI thread, O(1) in messages
        run = SearchRun(answer, rows)
        self.run = run
        if not answer.days_total:  # everything that can match is loaded: nothing to read
            run.finished = True
            return
        rows.begin_search()
        self._run_worker(
            run.stream, name="history search", group="history-search", thread=True,
            exclusive=True, exit_on_error=False,
        )  # fmt: skip
        self._timer = self._set_interval(DRAIN_S, self._drain)

    def stop(self) -> None:
        """Cancel the running search (its rows stay as they are; it adds nothing more)."""
        run, self.run = self.run, None
        self.select_when_found = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if run is not None:
            run.stop.set()
            run.rows.end_search()

    def _drain(self) -> None:
        """The timer: merge what the worker found since the last tick, a bounded amount."""
        run = self.run
        if run is None:
            return
        found = run.found
        batch = [found.popleft() for _ in range(min(MERGE_ROWS, len(found)))]
        added = run.rows.add_found(batch) if batch else 0
        done = run.complete
        if done:
            run.rows.end_search()
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
        self._on_rows(added, done)
