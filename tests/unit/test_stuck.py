"""Stuck messages: the per-operator usual delivery time, its floor and fallbacks, the filter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.filtering import FilterError, parse_filter
from smstui.model import DeliveryState as S
from smstui.model import Message, Provider
from smstui.stuck import (
    FALLBACK_USUAL_S,
    MIN_USUAL_S,
    StuckRule,
    UsualDelivery,
    is_stuck,
    usual_delivery,
)

NOW = 1_763_700_000.0


def msg(i: int, state: S, *, op="МТС", age: float = 60.0, took: float | None = None) -> Message:
    sent = NOW - age
    return Message(
        account="smsc-main", provider=Provider.SMSC, message_id=str(i), phone=f"7916{i:07d}",
        state=state, sent_at=sent, operator=op, cost=Decimal("1"),
        updated_at=sent + took if took is not None else sent,
    )  # fmt: skip


def delivered(op: str, seconds: list[float]) -> list[Message]:
    return [msg(i, S.DELIVERED, op=op, age=7200, took=t) for i, t in enumerate(seconds)]


def test_usual_delivery_is_the_operator_p95_with_a_10_minute_floor():
    rows = delivered("slow", [60.0 * k for k in range(1, 21)]) + delivered("fast", [5.0] * 10)
    usual = usual_delivery(rows)
    assert usual.by_operator["slow"] == 19 * 60.0  # p95 of 1..20 minutes, nearest rank
    assert usual.by_operator["fast"] == MIN_USUAL_S  # 5 s raised to the 10 min floor
    assert usual.overall == 19 * 60.0  # rank 29 of all 30: ten 5 s, then 1..19 minutes
    assert usual.samples == 30


def test_operators_with_few_deliveries_borrow_the_overall_figure():
    rows = delivered("big", [1200.0] * 10) + delivered("rare", [30.0] * 2)
    usual = usual_delivery(rows)
    assert "rare" not in usual.by_operator
    assert usual.limit_for("rare") == usual.overall == 1200.0


def test_no_observed_deliveries_fall_back():
    usual = usual_delivery([msg(1, S.SENT)])
    assert usual.samples == 0
    assert usual.limit_for("МТС") == FALLBACK_USUAL_S


def test_stuck_means_pending_and_older_than_its_operators_limit():
    usual = UsualDelivery({"МТС": 900.0}, overall=1800.0, samples=50)
    assert is_stuck(msg(1, S.SENT, age=901), usual, NOW)
    assert not is_stuck(msg(2, S.SENT, age=899), usual, NOW)
    assert is_stuck(msg(3, S.QUEUED, op="Tele2", age=1801), usual, NOW)
    assert not is_stuck(msg(4, S.QUEUED, op="Tele2", age=1700), usual, NOW)
    assert not is_stuck(msg(5, S.FAILED, age=99_999), usual, NOW)  # final
    assert not is_stuck(msg(6, S.SCHEDULED, age=99_999), usual, NOW)  # held on purpose
    assert not is_stuck(msg(7, S.STOPPED, age=99_999), usual, NOW)


def test_state_stuck_filter_uses_the_rule_and_needs_now():
    rule = StuckRule(UsualDelivery({"МТС": 900.0}, overall=1800.0, samples=50))
    flt = parse_filter("state:stuck", now=NOW, stuck=rule)
    assert flt.needs_now
    rows = [msg(1, S.SENT, age=1000), msg(2, S.SENT, age=100), msg(3, S.DELIVERED, age=5000)]
    assert [m.message_id for m in flt.select(rows)] == ["1"]
    assert [m.message_id for m in flt.select(rows, NOW - 950)] == []  # time decides
    rule.update(UsualDelivery({"МТС": 3600.0}, overall=3600.0, samples=50))
    assert flt.select(rows) == []  # the filter follows the rule's refreshed thresholds


def test_state_stuck_combines_with_other_states_and_negation():
    rule = StuckRule(UsualDelivery({}, overall=600.0, samples=50))
    rows = [msg(1, S.SENT, age=700), msg(2, S.FAILED), msg(3, S.SENT, age=10)]
    either = parse_filter("state:stuck,failed", now=NOW, stuck=rule)
    assert [m.message_id for m in either.select(rows)] == ["1", "2"]
    assert [m.message_id for m in parse_filter("-state:stuck", NOW, stuck=rule).select(rows)] == [
        "2", "3",
    ]  # fmt: skip
    assert not parse_filter("state:sent").needs_now


def test_state_stuck_without_a_time_is_a_clear_error():
    with pytest.raises(FilterError, match="need the current time"):
        parse_filter("state:stuck").matches(msg(1, S.SENT))
    with pytest.raises(FilterError, match="stuck"):  # the state list names it
        parse_filter("state:stuk")
