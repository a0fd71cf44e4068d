"""Issue 19: once a request is due it carries every open message, the viewed ones first; the
health screen's lag estimate in words."""

from __future__ import annotations

from smstui.lag_estimate import LagEstimate, about, lag_words
from smstui.model import DeliveryState, Message, Provider
from smstui.poller.schedule import StatusSchedule

NOW = 1_763_700_000.0


def msg(i: int, age_s: float, state=DeliveryState.SENT) -> Message:
    return Message("a", Provider.SMSC, str(i), f"7900000{i:04d}", state=state, sent_at=NOW - age_s)


def ids(messages) -> list[str]:
    return [m.message_id for m in messages]


def test_nothing_is_asked_until_one_message_is_due_then_every_open_one_rides_along():
    schedule = StatusSchedule(max_age_s=26 * 3600)
    young, old, final = msg(1, 30), msg(2, 3 * 3600), msg(3, 10, DeliveryState.DELIVERED)
    schedule.checked([young.key, old.key], NOW)
    assert schedule.batch([young, old, final], NOW + 30) == ([], 0)
    # The young one is due after one interval; the old one's own turn is later, but the
    # request costs the same with it: a status that became final meanwhile is not left out.
    carried, left = schedule.batch([young, old, final], NOW + 60)
    assert sorted(ids(carried)) == ["1", "2"] and left == 0
    assert schedule.due([young, old], NOW + 60) == [young]


def test_without_ride_along_only_due_messages_go():
    schedule = StatusSchedule()
    young, old = msg(1, 30), msg(2, 3 * 3600)
    schedule.checked([young.key, old.key], NOW)
    carried, _ = schedule.batch([young, old], NOW + 60, ride_along=False)
    assert ids(carried) == ["1"]


def test_a_full_request_takes_viewed_first_then_the_longest_unasked():
    schedule = StatusSchedule(max_ids=3)
    pending = [msg(i, 100 + i) for i in range(6)]
    schedule.checked([pending[0].key, pending[1].key], NOW - 30)
    schedule.checked([pending[2].key], NOW - 90)
    schedule.prioritise([pending[1].key])
    carried, left = schedule.batch(pending, NOW)
    # Viewed first; then never asked (3, 4, 5), youngest first among equals.
    assert ids(carried) == ["1", "3", "4"] and left == 3
    schedule.checked([m.key for m in carried], NOW)
    carried, left = schedule.batch(pending, NOW + 61)
    assert ids(carried) == ["1", "5", "2"] and left == 3  # 5 never asked, 2 asked longest ago


def test_a_viewed_message_is_asked_every_base_interval_however_old():
    schedule = StatusSchedule()
    old = msg(1, 12 * 3600)
    schedule.checked([old.key], NOW)
    assert schedule.batch([old], NOW + 60) == ([], 0)  # every other interval once past an hour
    schedule.prioritise([old.key])
    assert ids(schedule.batch([old], NOW + 60)[0]) == ["1"]
    assert schedule.next_due_at([old], NOW) == NOW + 60
    schedule.prioritise([])
    assert schedule.next_due_at([old], NOW) == NOW + 120


def test_the_cadence_is_the_youngest_open_messages_interval():
    schedule = StatusSchedule(max_age_s=26 * 3600)
    assert schedule.interval_now([], NOW) is None
    assert schedule.interval_now([msg(1, 2 * 3600), msg(2, 30 * 3600)], NOW) == 120
    assert schedule.interval_now([msg(1, 2 * 3600), msg(3, 10)], NOW) == 60
    assert schedule.interval_now([msg(1, 2 * 3600)], NOW, safety_net=True) == 600


def test_lag_words_say_how_soon_statuses_arrive():
    smsc = LagEstimate(interval_s=62.0, open=1234, discovery_s=60.0)
    assert lag_words(smsc, NOW).startswith("statuses arrive within ~1 min (1,234 open, each")
    assert "sent elsewhere are found within ~1 min" in lag_words(smsc, NOW)
    assert lag_words(LagEstimate(interval_s=120.0), NOW) == "statuses arrive within ~2 min"
    slow_discovery = LagEstimate(interval_s=62.0, discovery_s=270.0)
    assert lag_words(slow_discovery, NOW).startswith("statuses arrive within ~4 min")
    capped = LagEstimate(interval_s=62.0, open=20_000, left_out=10_000)
    assert capped.bound_s == 124.0 and "10,000 wait a turn" in lag_words(capped, NOW)
    pushed = lag_words(LagEstimate(interval_s=600.0, pushes=True), NOW)
    assert pushed.startswith("statuses arrive within seconds") and "~10 min" in pushed
    paused = lag_words(LagEstimate(interval_s=62.0, paused_until=NOW + 300), NOW)
    assert paused.startswith("statuses wait: requests paused until in 5 min")
    assert [about(s) for s in (20, 62, 150, 7200)] == ["~20 s", "~1 min", "~2 min", "~2 h"]


def test_the_health_screen_shows_each_accounts_estimate():
    from smstui.controller import AccountHealth
    from smstui.ui.screens.health import account_lines

    with_lag = AccountHealth("main", "smsc", lag=LagEstimate(interval_s=62.0, discovery_s=60.0))
    lines = account_lines(with_lag, NOW)
    assert lines[1].startswith("lag: statuses arrive within ~1 min")
    assert not any(line.startswith("lag:") for line in account_lines(AccountHealth("w", "x"), NOW))
