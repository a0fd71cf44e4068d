"""Live batches: FilteredRows patching equals re-filtering; batches become alert outcomes."""

from __future__ import annotations

import random

import pytest

from conftest import START, make_messages
from smstui.alert_relay import outcomes
from smstui.clock import FakeClock
from smstui.filtering import parse_filter
from smstui.model import DeliveryState, Source, StatusChange
from smstui.store import Store
from smstui.ui.filtered_rows import BULK_PATCH, FilteredRows

STATES = list(DeliveryState)


def random_batch(rnd: random.Random, store: Store, size: int, serial: list[int]) -> list:
    """Status changes, brand-new messages and re-timed messages (their sort position moves)."""
    rows = store.messages_sorted()
    items: list = []
    for _ in range(size):
        m = rows[rnd.randrange(len(rows))]
        roll = rnd.random()
        if roll < 0.6:
            state = rnd.choice(STATES)
            err = rnd.choice((None, 6, 20)) if state.is_failure else None
            at = START + rnd.randrange(10_000)
            items.append(StatusChange(m.account, m.message_id, state, "x", at, Source.POLL, err,
                                      m.phone))  # fmt: skip
        elif roll < 0.8:
            serial[0] += 1
            items.append(m.evolve(message_id=f"n{serial[0]}", sent_at=START + rnd.random() * 99))
        else:
            items.append(m.evolve(sent_at=(m.sent_at or START) - rnd.randrange(1, 500)))
    return items


@pytest.mark.parametrize(
    ("text", "failed_only", "size"),
    [
        ("state:failed", False, 5),
        ("op:mts", False, 40),
        ("", True, BULK_PATCH * 3),  # the merge path
        ("err:6,20 -phone:79160*", True, 20),
        ("заказ", False, BULK_PATCH * 2),
    ],
)
def test_patching_equals_refiltering(tmp_path, text, failed_only, size):
    clock = FakeClock(START)
    rnd = random.Random(f"{text}{size}")
    with Store.open(tmp_path / "cache", clock=clock) as store:
        store.apply(make_messages(600))
        flt = parse_filter(text) if text else None
        rows = FilteredRows(store.messages_sorted(), flt, failed_only=failed_only)
        serial = [0]
        for _ in range(15):
            applied = store.apply(random_batch(rnd, store, size, serial))
            rows.patch(applied)
            fresh = FilteredRows(store.messages_sorted(), flt, failed_only=failed_only)
            assert [m.key for m in rows.rows] == [m.key for m in fresh.rows]
            assert rows.rows == fresh.rows  # the current values, not stale copies


def test_unchanged_rows_report_no_change(tmp_path):
    with Store.open(tmp_path / "cache", clock=FakeClock(START)) as store:
        store.apply(make_messages(100))
        rows = FilteredRows(store.messages_sorted(), parse_filter("state:failed"))
        sent = next(m for m in store.messages_sorted() if m.state is DeliveryState.SENT)
        change = StatusChange(sent.account, sent.message_id, DeliveryState.DELIVERED, "1",
                              START, Source.POLL, None, sent.phone)  # fmt: skip
        assert rows.patch(store.apply([change])) is False  # neither before nor after matches


def test_outcomes_count_final_states_once_and_skip_late_timeline_entries(tmp_path):
    with Store.open(tmp_path / "cache", clock=FakeClock(START)) as store:
        new = make_messages(20)
        applied = store.apply(new)
        finals = [a for a in applied if a.after.state.is_final]
        assert len(outcomes(applied, START)) == len(finals)  # discovered already final
        m = next(m for m in new if m.state is DeliveryState.SENT)
        late = StatusChange(m.account, m.message_id, DeliveryState.DELIVERED, "1", START + 9,
                            Source.POLL, None, m.phone)  # fmt: skip
        [found] = outcomes(store.apply([late]), START)
        assert found.state is DeliveryState.DELIVERED and found.message_id == m.message_id


def test_history_discovered_failures_do_not_count_as_a_recent_spike(tmp_path):
    from smstui.alerts import AlertMonitor

    clock = FakeClock(START)
    with Store.open(tmp_path / "cache", clock=clock) as store:
        old = [
            m.evolve(state=DeliveryState.FAILED, error_code=6, updated_at=START - 7200 + i)
            for i, m in enumerate(make_messages(40))
        ]
        found = outcomes(store.apply(old), clock.now())
        assert len(found) == 40 and all(c.observed_at < START - 3600 for c in found)
        assert AlertMonitor(clock).observe_changes(found) == []  # two hours old: no spike now
        fresh = [m.evolve(message_id=f"f{i}", updated_at=START - 5) for i, m in enumerate(old)]
        alerts = AlertMonitor(clock).observe_changes(outcomes(store.apply(fresh), clock.now()))
        assert [a.kind for a in alerts] == ["failure_spike", "failure_spike"]  # both accounts
