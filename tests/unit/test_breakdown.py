"""The breakdown's numbers, exactly: groups, delivery %, money, delivery times, the series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smstui.breakdown import (
    HOUR_ROWS_MAX,
    Bucket,
    Series,
    bucket_size,
    compute_breakdown,
    send_series,
)
from smstui.campaign import delivery_percent
from smstui.delivery_time import delivery_seconds, percentile
from smstui.model import DeliveryState as S
from smstui.model import ErrorClass, Message, Provider, Source, StatusChange
from smstui.sample_data import START, make_messages

T0 = 1_763_683_200.0  # 2025-11-21 00:00 UTC


def msg(i: int, state: S, *, op="МТС", sent=T0, took: float | None = 60.0, **kw) -> Message:
    defaults = dict(
        account="smsc-main", provider=Provider.SMSC, message_id=str(i), phone=f"7916000{i:04d}",
        state=state, sender="SHOP", sent_at=sent, cost=Decimal("3.45"), operator=op,
        updated_at=None if took is None or sent is None else sent + took,
    )  # fmt: skip
    defaults.update(kw)
    return Message(**defaults)  # type: ignore[arg-type]


ROWS = [
    msg(1, S.DELIVERED, took=30),
    msg(2, S.DELIVERED, took=90),
    msg(3, S.FAILED, raw_status="20", error_code=6),
    msg(4, S.SENT),
    msg(5, S.DELIVERED, op="Билайн", took=300, sent=T0 + 3600),
    msg(6, S.EXPIRED, op="Билайн", raw_status="3", sent=T0 + 3600, cost=Decimal("1.10")),
    msg(7, S.REJECTED, op="", raw_status="22", account="other", cost=None, sender=""),
    msg(8, S.QUEUED, op="Билайн", sent=None, took=None),
]


def test_totals_money_and_delivery_times():
    b = compute_breakdown(ROWS, tz=UTC)
    t = b.totals
    assert (t.total, t.delivered, t.failed, t.pending) == (8, 3, 3, 2)
    assert t.delivery_pct == pytest.approx(50.0)
    assert t.spent == Decimal("3.45") * 6 + Decimal("1.10")
    assert t.spent_on_failures == Decimal("3.45") + Decimal("1.10")
    assert b.unknown_cost == 1
    assert (t.p50_s, t.p95_s) == (90.0, 300.0)  # nearest rank over 30, 90, 300


def test_operator_groups_biggest_first_with_their_own_figures():
    ops = {g.name: g for g in compute_breakdown(ROWS, tz=UTC).groups["operator"]}
    assert [g.name for g in compute_breakdown(ROWS, tz=UTC).groups["operator"]] == [
        "МТС", "Билайн", "(unknown)",
    ]  # fmt: skip
    assert (ops["МТС"].total, ops["МТС"].delivered, ops["МТС"].failed) == (4, 2, 1)
    assert ops["МТС"].delivery_pct == pytest.approx(200 / 3)
    assert (ops["МТС"].p50_s, ops["МТС"].p95_s) == (30.0, 90.0)
    assert ops["Билайн"].delivery_pct == pytest.approx(50.0)
    assert ops["Билайн"].spent_on_failures == Decimal("1.10")
    assert ops["(unknown)"].delivery_pct == 0.0 and ops["(unknown)"].spent == 0


def test_error_groups_name_code_and_class():
    errors = {g.name: g for g in compute_breakdown(ROWS, tz=UTC).groups["error"]}
    assert set(errors) == {"err 6 · Subscriber offline", "Expired", "Wrong number"}
    assert errors["err 6 · Subscriber offline"].error_class is ErrorClass.TEMPORARY
    assert errors["Wrong number"].error_class is ErrorClass.PERMANENT
    assert all(g.total == 1 and g.failed == 1 for g in errors.values())


def test_sender_account_and_hour_groups():
    b = compute_breakdown(ROWS, tz=UTC)
    assert {g.name: g.total for g in b.groups["sender"]} == {"SHOP": 7, "(none)": 1}
    assert {g.name: g.total for g in b.groups["account"]} == {"smsc-main": 7, "other": 1}
    hours = [(g.name, g.total) for g in b.groups["hour"]]
    assert hours == [("11-21 00:00", 5), ("11-21 01:00", 2), ("(no time)", 1)]
    assert b.time_unit == "hour"


def test_send_hours_follow_the_display_zone():
    msk = timezone(timedelta(hours=3))
    hours = [g.name for g in compute_breakdown(ROWS, tz=msk).groups["hour"]]
    assert hours[:2] == ["11-21 03:00", "11-21 04:00"]


def test_send_hours_run_in_time_order_across_midnight_with_dates():
    # 22:00 on the 20th to 01:00 on the 21st (UTC): the clock strings alone would sort 00:00 first.
    rows = [msg(i, S.DELIVERED, sent=T0 - 7200 + i * 3600) for i in range(4)]
    hours = compute_breakdown(rows, tz=UTC).groups["hour"]
    assert [g.name for g in hours] == ["11-20 22:00", "11-20 23:00", "11-21 00:00", "11-21 01:00"]
    assert [g.order for g in hours] == sorted(g.order for g in hours)


def test_an_hour_told_twice_when_the_clock_goes_back_names_its_zone():
    berlin = ZoneInfo("Europe/Berlin")  # 2025-10-26 03:00 CEST → 02:00 CET
    at = datetime(2025, 10, 26, 0, 30, tzinfo=UTC).timestamp()  # 02:30 CEST
    rows = [msg(i, S.DELIVERED, sent=at + i * 3600) for i in range(2)]  # and 02:30 CET
    hours = [g.name for g in compute_breakdown(rows, tz=berlin).groups["hour"]]
    assert hours == ["10-26 02:00 CEST", "10-26 02:00 CET"]


def test_more_than_a_week_of_send_hours_is_told_by_day():
    rows = [msg(i, S.DELIVERED, sent=T0 - i * 3600) for i in range(HOUR_ROWS_MAX + 1)]
    b = compute_breakdown(rows, tz=UTC)
    assert b.time_unit == "day"
    days = [(g.name, g.total) for g in b.groups["hour"]]
    assert days[0] == ("2025-11-14", 24) and days[-1] == ("2025-11-21", 1)
    assert [d for d, _ in days] == sorted(d for d, _ in days) and len(days) == 8


def test_delivery_percent_is_the_campaign_strips_rule():
    rows = make_messages(500)
    counts: dict[S, int] = {}
    for m in rows:
        counts[m.state] = counts.get(m.state, 0) + 1
    assert compute_breakdown(rows, tz=UTC).totals.delivery_pct == pytest.approx(
        delivery_percent(counts)
    )


def test_read_message_delivery_time_comes_from_its_timeline():
    read = msg(9, S.READ, took=900)
    timeline = [
        StatusChange("smsc-main", "9", S.SENT, "0", T0 + 5, Source.POLL),
        StatusChange("smsc-main", "9", S.DELIVERED, "1", T0 + 40, Source.POLL),
        StatusChange("smsc-main", "9", S.READ, "2", T0 + 900, Source.POLL),
    ]
    assert delivery_seconds(read) == 900.0
    assert delivery_seconds(read, lambda key: timeline) == 40.0
    assert delivery_seconds(msg(10, S.DELIVERED, took=-5)) is None  # clock skew: no duration
    assert delivery_seconds(msg(11, S.FAILED)) is None


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 21)], 95) == 19.0
    assert percentile([7.0], 95) == 7.0


def test_bucket_size_is_the_smallest_nice_size_that_fits():
    assert bucket_size(0) == 60
    assert bucket_size(7200, 240) == 60
    assert bucket_size(7200, 60) == 300
    assert bucket_size(86400, 60) == 1800
    assert bucket_size(86400 * 29, 60) == 43200  # 58 half days + 1
    assert bucket_size(86400 * 30, 60) == 86400


def test_series_counts_per_bucket_with_empty_buckets_kept():
    rows = [
        msg(1, S.DELIVERED, sent=T0 + 10),
        msg(2, S.FAILED, sent=T0 + 50),
        msg(3, S.SENT, sent=T0 + 70),
        msg(4, S.DELIVERED, sent=T0 + 200),
        msg(5, S.QUEUED, sent=None),
    ]
    series = send_series(rows, UTC)
    assert series.bucket_s == 60
    assert series.buckets == (
        Bucket(T0, 2, 1, 1), Bucket(T0 + 60, 1, 0, 0), Bucket(T0 + 120, 0, 0, 0),
        Bucket(T0 + 180, 1, 1, 0),
    )  # fmt: skip
    assert [b.delivery_pct for b in series.buckets] == [50.0, None, None, 100.0]


def test_coarsen_merges_into_a_larger_nice_bucket():
    series = Series(60, tuple(Bucket(T0 + i * 60, 1, 1, 0) for i in range(12)))
    five = series.coarsen(4)
    assert five.bucket_s == 300
    assert five.buckets == (Bucket(T0, 5, 5, 0), Bucket(T0 + 300, 5, 5, 0),
                            Bucket(T0 + 600, 2, 2, 0))  # fmt: skip
    assert series.coarsen(12) is series


def test_buckets_align_to_the_display_zone():
    india = timezone(timedelta(hours=5, minutes=30))
    series = send_series([msg(1, S.SENT, sent=T0 + 100)], india, max_buckets=2)
    # One hour buckets start on the zone's full hours: 05:30 UTC is 11:00 there.
    assert series.bucket_s == 60
    big = send_series([msg(1, S.SENT, sent=T0), msg(2, S.SENT, sent=T0 + 7000)], india, 3)
    assert big.bucket_s == 3600
    assert big.buckets[0].start == T0 - 1800


def test_sample_data_has_operators_and_errors():
    b = compute_breakdown(make_messages(200, now=START), tz=UTC)
    assert {g.name for g in b.groups["operator"]} == {"МТС", "Билайн", "МегаФон", "Tele2"}
    assert any(name.startswith("err 6") for name in (g.name for g in b.groups["error"]))
