"""Counts by state cover the whole cache, not the loaded window (the campaign strip reads them)."""

from __future__ import annotations

from collections import Counter

import whole_cache
from smstui.queries import Query
from smstui.store import Store


def test_counts_by_state_and_accounts_cover_every_partition(tmp_path):
    cache = whole_cache.build(tmp_path / "cache", days=6, per_day=200)
    with Store.open(cache.root, clock=cache.clock, memory_messages=400, readonly=True) as s:
        assert len(s) < s.total() == len(cache.truth)  # most of it on disk only
        assert s.counts_by_state() == dict(Counter(m.state for m in cache.truth))
        for account in ("smsc-main", "webcom"):
            want = Counter(m.state for m in cache.truth if m.account == account)
            assert s.counts_by_state(account) == dict(want)
        assert s.accounts() == ["smsc-main", "webcom"]
        failed = frozenset({m.state for m in cache.truth if m.state.is_failure})
        assert s.count(Query(states=failed)) == sum(m.state in failed for m in cache.truth)
