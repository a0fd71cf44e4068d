"""The breakdown of a query over the whole cache: stored rollups merged, or a stream summed.

Two steps, because the store is snapshotted on the event loop and read anywhere:
`plan = prepare(store, query)` on the loop (O(1): the loaded messages' view, the rollup docs
of the partitions on disk, or a query answer), then `plan.run()` in a worker thread.

A query by accounts alone (or none) is answered from the per-partition rollups the checkpoint
stores plus a rollup of the loaded messages: no message on disk is read. Any other filter, or
a partition without a readable rollup, streams `store.query()` through `rollup_of` (memory
bounded: the rollup is built as the stream goes, never a list of all messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from smstui.breakdown import MAX_BUCKETS, Breakdown, breakdown_from_rollup
from smstui.delivery_time import Timeline
from smstui.display import group
from smstui.model import Key, Message, StatusChange
from smstui.queries import Query
from smstui.rollup import Rollup, merge_docs, rollup_of
from smstui.store_view import AnswerView, StoreView

WHOLE = "whole cache"


@dataclass
class Plan:
    """What `prepare` took on the loop; `run()` (any thread) gives (breakdown, scope, partial)."""

    label: str  # what the query is, in words ("whole cache", the filter's text)
    tz: tzinfo | None
    max_buckets: int
    answer: AnswerView  # partial_reason; streamed when `docs` is None
    docs: list[dict[str, Any]] | None = None  # the unloaded partitions' rollups
    loaded: Iterable[Message] = ()  # with `docs`: the loaded messages (a view: immutable)
    timeline: Timeline | None = None  # the loaded messages' timelines
    source: str = "stream"  # "rollups" or "stream": how run() answers (bench and tests read it)

    def run(self) -> tuple[Breakdown, str, str]:
        """(the breakdown, its scope in words, '' or what it lacks)."""
        rollup = self._rollup()
        result = breakdown_from_rollup(rollup, tz=self.tz, max_buckets=self.max_buckets)
        scope = f"{self.label} · {group(result.totals.total)} messages"
        return result, scope, self.answer.partial_reason()

    def progress(self) -> str:
        """How far a streaming run has read, in words ('' for rollups)."""
        a = self.answer
        if self.docs is not None or not a.parts_total:
            return ""
        return f"reading {group(a.parts_done)} of {group(a.parts_total)} partitions"

    def _rollup(self) -> Rollup:
        if self.docs is not None:
            query = self.answer.query
            mine = rollup_of((m for m in self.loaded if query.accepts(m)), self.timeline)
            return merge_docs(self.docs).merge(mine)
        return rollup_of(self.answer, _answer_timeline(self.answer))


def _answer_timeline(answer: AnswerView) -> Timeline:
    """A streamed message's timeline as status changes (what delivery_seconds reads)."""

    def timeline(key: Key) -> Sequence[StatusChange]:
        return answer.changes(key)

    return timeline


def by_accounts_only(query: Query) -> bool:
    """Whether rollups can answer the query: no filter but the accounts."""
    return (query.states, query.phone, query.message_id, query.since, query.until,
            query.match) == (None,) * 6  # fmt: skip


def prepare(
    store: StoreView,
    query: Query,
    *,
    tz: tzinfo | None = None,
    label: str = "",
    max_buckets: int = MAX_BUCKETS,
    rollup_docs: bool = True,
) -> Plan:
    """Snapshot what the breakdown of `query` needs (call on the store's loop/thread).

    `label` names the query on screen (default: "whole cache"); `rollup_docs=False` always
    streams (an exact scan, what the bench compares the rollups with).
    """
    answer = store.query(query)
    plan = Plan(label or WHOLE, tz, max_buckets, answer)
    if rollup_docs and by_accounts_only(query):  # the store's per-partition summaries
        docs, lacking = store.partition_rollups(query.accounts)
        if not lacking:  # else those partitions must be read: stream everything instead
            plan.docs, plan.source = docs, "rollups"
            plan.loaded, plan.timeline = store.messages_sorted(), store.timeline
    return plan


def breakdown_of(
    store: StoreView,
    query: Query,
    *,
    tz: tzinfo | None = None,
    label: str = "",
    rollup_docs: bool = True,
) -> tuple[Breakdown, str, str]:
    """prepare() and run() in one go (for callers already on the store's thread)."""
    return prepare(store, query, tz=tz, label=label, rollup_docs=rollup_docs).run()
