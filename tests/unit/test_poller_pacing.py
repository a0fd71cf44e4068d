"""Poll pacing: who is due when, and how each gateway failure becomes a back-off."""

from __future__ import annotations

import itertools
import random

import pytest

from smstui.budget import Budget, default_limits
from smstui.clock import FakeClock
from smstui.errors import AuthError, BadPayload, GatewayTimeout, IpBlocked, RateLimited
from smstui.model import DeliveryState, Message, Provider
from smstui.poller.guard import BLOCK_S, LOGIN_BLOCK_S, PENALTY_S, FailureGuard
from smstui.poller.schedule import StatusSchedule, check_interval

NOW = 1_763_700_000.0


def msg(i: int, age_s: float, state=DeliveryState.SENT) -> Message:
    return Message("a", Provider.SMSC, str(i), f"7900000{i:04d}", state=state, sent_at=NOW - age_s)


def test_interval_grows_with_age_and_safety_net_is_slower():
    # Every request carries every open message (issue 19), so these steps are the request
    # cadence: each mass interval through a message's first hour, every other one after.
    ages = [0, 4 * 60, 10 * 60, 30 * 60, 3 * 3600, 12 * 3600]
    intervals = [check_interval(a) for a in ages]
    assert intervals == sorted(intervals) and intervals[0] == 60 and intervals[-1] == 120
    assert check_interval(59 * 60) == 60 and check_interval(61 * 60) == 120
    assert all(check_interval(a, safety_net=True) >= 600 for a in ages)


def test_due_orders_young_first_skips_final_and_too_old():
    schedule = StatusSchedule(max_age_s=26 * 3600)
    pending = [msg(1, 3600), msg(2, 10), msg(3, 600), msg(4, 5, DeliveryState.DELIVERED),
               msg(5, 27 * 3600)]  # fmt: skip
    assert [m.message_id for m in schedule.due(pending, NOW)] == ["2", "3", "1"]


def test_checked_messages_wait_for_their_interval():
    schedule = StatusSchedule()
    young, old = msg(1, 30), msg(2, 2 * 3600)
    schedule.checked([young.key, old.key], NOW)
    assert schedule.due([young, old], NOW + 30) == []
    assert schedule.due([young, old], NOW + 60) == [young]
    assert schedule.due([young, old], NOW + 900) == [young, old]
    assert schedule.next_due_at([young, old], NOW) == NOW + 60


def test_safety_net_first_asks_ten_minutes_after_sending():
    schedule = StatusSchedule()
    fresh = msg(1, 60)
    assert schedule.due([fresh], NOW, safety_net=True) == []
    assert schedule.due([fresh], NOW + 480, safety_net=True) == []
    assert schedule.due([fresh], NOW + 540, safety_net=True) == [fresh]


@pytest.fixture
def guard():
    clock = FakeClock(NOW)
    budget = Budget(clock, default_limits(Provider.SMSC))
    return clock, budget, FailureGuard(budget, rng=random.Random(1))


def test_error_9_penalises_only_that_endpoint(guard):
    clock, budget, g = guard
    g.failure(RateLimited("slow down", code=9), "status_mass", clock.now())
    assert not budget.can_spend("status_mass") and budget.can_spend("balance")
    assert budget.next_allowed_at("status_mass") == pytest.approx(NOW + PENALTY_S)
    assert g.state.limit_errors == 1 and budget.events[-1].kind == "penalised"


def test_error_4_blocks_the_whole_account_for_the_block_period(guard):
    clock, budget, g = guard
    g.failure(IpBlocked("blocked", code=4), "balance", clock.now())
    assert not budget.can_spend("balance") and not budget.can_spend("history")
    clock.advance(BLOCK_S + 1)
    assert budget.can_spend("balance")


def test_two_failed_logins_in_a_row_block_long_enough_not_to_earn_an_ip_block(guard):
    clock, budget, g = guard
    g.failure(AuthError("wrong password", code=2), "balance", clock.now())
    assert g.state.auth_failed and budget.blocked_until is None  # a fixed typo may ask again
    g.failure(AuthError("wrong password", code=2), "history", clock.now())
    assert budget.blocked_until == pytest.approx(NOW + LOGIN_BLOCK_S)
    assert budget.blocked_reason.startswith("wrong login or password: 2 failed logins")
    assert "fix the password or API key in the config" in budget.blocked_reason


def test_transport_failures_back_off_exponentially_with_jitter_and_recover(guard):
    clock, _, g = guard
    waits = []
    for _ in range(4):
        g.failure(GatewayTimeout("no answer"), "status_mass", clock.now())
        waits.append(g.paused_until(clock.now()) - clock.now())
    assert g.state.gateway_down and all(b > a for a, b in itertools.pairwise(waits))
    assert 4 <= waits[0] <= 6 and waits[-1] <= 300 * 1.2
    g.failure(BadPayload("html page"), "balance", clock.now())
    g.success()
    assert not g.state.gateway_down and g.paused_until(clock.now()) is None
