"""The breakdown of the whole cache, not only of what is loaded: rollups or a stream, both equal
to the truth read from every partition file; a damaged partition makes it say what it lacks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from smstui.breakdown import Breakdown, compute_breakdown
from smstui.filtering import parse_filter, view_query
from smstui.model import Message
from smstui.queries import Query
from smstui.rollup import rollup_of
from smstui.store import Store
from smstui.store.partitions import PARTITIONS_DIR
from smstui.store.query import partition_reader
from smstui.whole_breakdown import breakdown_of, prepare
from whole_cache import ACCOUNTS, WholeCache, build


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> WholeCache:
    return build(tmp_path_factory.mktemp("whole") / "cache")


@pytest.fixture
def store(cache):
    opened = Store.open(cache.root, clock=cache.clock, readonly=True, memory_messages=200)
    assert len(opened) < opened.total() == len(cache.truth)  # most of it is on disk only
    yield opened
    opened.close()


def figures(b: Breakdown) -> tuple:
    """The counts and money of a breakdown (totals and every group), not its times."""

    def row(g):
        return (g.name, g.total, g.delivered, g.failed, g.pending, g.spent, g.spent_on_failures)

    return (row(b.totals), b.unknown_cost,
            {d: sorted(map(row, gs)) for d, gs in b.groups.items()})  # fmt: skip


def truth_of(messages: list[Message]) -> Breakdown:
    return compute_breakdown(messages, tz=UTC)


@pytest.mark.parametrize("rollups", [True, False], ids=["rollups", "streamed"])
def test_the_whole_cache_is_the_truth(cache, store, rollups):
    plan = prepare(store, Query(), tz=UTC, rollup_docs=rollups)
    # The checkpoint wrote every partition's rollup (summaries/<name>.keys.json): merged, they
    # answer without reading one message; without them every partition is read.
    assert plan.source == ("rollups" if rollups else "stream")
    got, scope, partial = plan.run()
    assert figures(got) == figures(truth_of(cache.truth))
    assert got.totals.total == len(cache.truth) == 6000
    assert scope == "whole cache · 6 000 messages" and partial == ""
    assert got.unknown_cost == sum(1 for m in cache.truth if m.cost is None) > 0
    assert got.series == truth_of(cache.truth).series  # twelve days: hour buckets, exact


def test_a_filter_covers_its_whole_history(cache, store):
    flt = parse_filter("state:failed account:smsc-main")
    query = view_query(flt, now=cache.clock.now())
    got, scope, _ = prepare(store, query, tz=UTC, label="filter: state:failed …").run()
    want = [m for m in cache.truth if flt.matches(m)]
    assert len(want) > 100  # failures on every day, most of them on disk only
    assert figures(got) == figures(truth_of(want))
    assert scope == f"filter: state:failed … · {len(want)} messages"
    failed_only = view_query(None, failed_only=True, now=cache.clock.now())
    got = breakdown_of(store, failed_only, tz=UTC)[0]
    assert got.totals.total == got.totals.failed == sum(m.state.is_failure for m in cache.truth)


class WithRollups:
    """The real store plus partition_rollups() as store/summaries.py is to provide it (the
    rollup of each unloaded partition, read here from its file), until that lands."""

    def __init__(self, store: Store, lacking: int = 0) -> None:
        self.store, self.lacking, self.asked = store, lacking, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def partition_rollups(self, accounts) -> tuple[list[dict], list[str]]:
        self.asked += 1
        read = partition_reader(self.store.root)
        docs, lacking = [], []
        for info in self.store.unloaded_partitions():
            if accounts is not None and info.account not in accounts:
                continue
            if len(lacking) < self.lacking:
                lacking.append(info.name)
                continue
            docs.append(rollup_of(m for m, _ in read(info).items).to_doc())
        return docs, lacking


def test_rollups_and_the_loaded_messages_merge_into_the_truth(cache, store):
    for accounts in (None, frozenset({ACCOUNTS[1][0]})):
        with_rollups = WithRollups(store)
        plan = prepare(with_rollups, Query(accounts=accounts), tz=UTC)  # type: ignore[arg-type]
        assert plan.source == "rollups" and with_rollups.asked == 1
        got, scope, partial = plan.run()
        want = truth_of([m for m in cache.truth if accounts is None or m.account in accounts])
        assert figures(got) == figures(want)
        assert got.series == want.series
        assert got.totals.p50_s == pytest.approx(want.totals.p50_s, rel=0.05)
        assert got.totals.p95_s == pytest.approx(want.totals.p95_s, rel=0.05)
        assert partial == "" and scope.startswith("whole cache · ")


def test_a_partition_without_a_rollup_or_any_other_filter_streams(cache, store):
    plan = prepare(WithRollups(store, lacking=1), Query(), tz=UTC)  # type: ignore[arg-type]
    assert plan.source == "stream"
    assert figures(plan.run()[0]) == figures(truth_of(cache.truth))
    with_rollups = WithRollups(store)
    query = Query(match=lambda m: m.operator == "MTS")
    plan = prepare(with_rollups, query, tz=UTC)  # type: ignore[arg-type]
    assert plan.source == "stream" and with_rollups.asked == 0


def test_a_damaged_partition_makes_it_partial_and_names_the_day(tmp_path):
    cache = build(tmp_path / "cache", days=4, per_day=100)
    files = sorted((cache.root / PARTITIONS_DIR).glob("*/*.json"))
    victim = files[0]  # the oldest day of the first account
    victim.write_bytes(b'{"messages": {"1": {"broken')
    account, day = victim.parent.name, victim.stem.rsplit("-", 1)[0]
    with Store.open(cache.root, clock=cache.clock, memory_messages=50) as store:
        # The day's rollup (summaries/…keys.json) still answers for it: whole.
        whole, _, partial = breakdown_of(store, Query(), tz=UTC)
        assert partial == "" and whole.totals.total == len(cache.truth)
        # Read message by message, the damaged day is missing, and the answer says which.
        got, scope, partial = breakdown_of(store, Query(), tz=UTC, rollup_docs=False)
    lost = [m for m in cache.truth if m.account == account
            and datetime.fromtimestamp(m.sent_at or 0, UTC).date().isoformat() == day]  # fmt: skip
    assert partial and account in partial and day in partial
    assert len(lost) > 0 and got.totals.total == len(cache.truth) - len(lost)
    assert figures(got) == figures(truth_of([m for m in cache.truth if m not in lost]))
    assert scope == f"whole cache · {got.totals.total:,} messages".replace(",", " ")


def test_breakdown_counts_match_the_store_counts(cache, store):
    got = breakdown_of(store, Query(), tz=UTC)[0]
    by_state = Counter(m.state for m in cache.truth)
    assert store.count(Query()) == got.totals.total
    assert got.totals.failed == by_state["failed"] and got.totals.pending == by_state["sent"]
    assert got.totals.spent == sum((m.cost for m in cache.truth if m.cost), Decimal(0))
