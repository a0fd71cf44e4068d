"""The live gate: store changes reach the screen at once, in 2 s batches, or held; never lost."""

from __future__ import annotations

from smstui.clock import FakeClock
from smstui.ui.bandwidth import LOW_BANDWIDTH_BATCH_S, LiveGate, Pace, coarse_wait


def test_normally_every_batch_passes_at_once() -> None:
    gate: LiveGate[int] = LiveGate(FakeClock(0.0))
    gate.put([1, 2])
    assert gate.ready() and gate.take() == [1, 2]
    gate.put([3])
    assert gate.ready() and gate.take() == [3]
    assert not gate.ready()  # nothing parked


def test_low_bandwidth_batches_wait_out_the_interval_and_come_together() -> None:
    clock = FakeClock(0.0)
    gate: LiveGate[int] = LiveGate(clock, Pace(low_bandwidth=True))
    gate.put([1])
    assert gate.take() == [1]  # the first batch: nothing to wait for
    gate.put([2])
    clock.advance(1.0)
    gate.put([3])
    assert not gate.ready() and gate.waiting == 2
    clock.advance(LOW_BANDWIDTH_BATCH_S - 1.0)
    assert gate.ready() and gate.take() == [2, 3]


def test_paused_holds_everything_and_resuming_releases_it_at_once() -> None:
    clock = FakeClock(0.0)
    gate: LiveGate[int] = LiveGate(clock, Pace(low_bandwidth=True))
    gate.take()  # a batch was just shown: the interval runs
    gate.pace = Pace(low_bandwidth=True, paused=True)
    gate.put([1, 2, 3])
    clock.advance(60.0)
    assert not gate.ready() and gate.waiting == 3
    gate.take()  # (the screen never takes while paused; the count restarts anyway)
    gate.put([4])
    gate.pace = Pace(low_bandwidth=True, paused=False)
    assert gate.ready() and gate.take() == [4]  # no interval to wait out after a resume


def test_pace_sets_the_health_line_s_rhythm() -> None:
    assert Pace().summary_s == 0 and not Pace().coarse
    assert Pace(paused=True).summary_s >= 5 and not Pace(paused=True).coarse
    assert Pace(low_bandwidth=True).coarse and Pace(low_bandwidth=True).batch_s == 2.0


def test_coarse_waits_have_no_seconds_countdown() -> None:
    assert coarse_wait(0) == coarse_wait(59) == "<1 min"
    assert coarse_wait(240) == "4 min"
