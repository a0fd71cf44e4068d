"""Rollups: mergeable summaries that give the same breakdown as a scan of the messages."""

from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import replace
from datetime import UTC, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smstui.breakdown import (
    SLOT_S,
    Breakdown,
    _floor,
    breakdown_from_rollup,
    bucket_size,
    compute_breakdown,
    send_series,
    utc_offset,
)
from smstui.delivery_time import percentile
from smstui.model import DeliveryState as S
from smstui.model import Message, Provider, Source, StatusChange
from smstui.rollup import CHUNK, Histogram, Rollup, merge_docs, rollup_of

T0 = 1_763_683_200.0  # 2025-11-21 00:00 UTC
ZONES = [
    UTC,
    timezone(timedelta(hours=3)),
    timezone(timedelta(hours=-5)),  # the evening before in UTC is the same day here
    timezone(timedelta(hours=5, minutes=45)),
    ZoneInfo("America/New_York"),  # a clock change inside the span
]
CODES = {S.FAILED: ("20", (1, 6, 8, None)), S.EXPIRED: ("3", (None,)),
         S.REJECTED: ("22", (None,)), S.NOT_FOUND: ("", (None,))}  # fmt: skip


def varied(n: int, *, seed: int = 3, span_s: float = 5 * 86400, start: float = T0):
    """n messages of every kind, and the timelines of the read ones."""
    rng = random.Random(seed)
    timelines: dict[tuple[str, str, str], list[StatusChange]] = {}
    out = []
    for i in range(n):
        account, provider = rng.choice((("smsc-main", Provider.SMSC), ("web", Provider.WEBCOM)))
        state = rng.choice(list(S))
        sent = start + rng.random() * span_s if rng.random() > 0.05 else None
        took = math.exp(rng.uniform(0, math.log(86400)))  # 1 s … 1 day, log-uniform
        if rng.random() < 0.02:
            took = -30.0  # a gateway clock behind ours: no duration
        raw, codes = CODES.get(state, ("1", (None,)))
        m = Message(
            account, provider, str(i), f"7916{i:07d}", state, sender=rng.choice(("SHOP", "")),
            sent_at=sent, raw_status=raw, error_code=rng.choice(codes),
            cost=rng.choice((Decimal("3.45"), Decimal("1.1"), None)),
            operator=rng.choice(("МТС", "Билайн", "", "Tele2")),
            updated_at=None if sent is None else sent + took,
            seen_at=start if sent is None else None,
        )  # fmt: skip
        if state is S.READ and sent is not None and took > 2:
            timelines[m.key] = [
                StatusChange(account, m.message_id, S.DELIVERED, "1", sent + took / 2, Source.POLL),
                StatusChange(account, m.message_id, S.READ, "2", sent + took, Source.POLL),
            ]
        out.append(m)
    return out, lambda key: timelines.get(key, ())


def counts_of(b: Breakdown):
    """Everything of a breakdown but its delivery-time percentiles."""
    strip = lambda g: replace(g, p50_s=None, p95_s=None)  # noqa: E731
    return (strip(b.totals), {d: tuple(map(strip, gs)) for d, gs in b.groups.items()},
            b.series, b.unknown_cost)  # fmt: skip


def assert_times_close(got: Breakdown, want: Breakdown) -> None:
    pairs = [(got.totals, want.totals)]
    for d in want.groups:
        pairs += list(zip(got.groups[d], want.groups[d], strict=True))
    for g, w in pairs:
        for a, b in ((g.p50_s, w.p50_s), (g.p95_s, w.p95_s)):
            assert (a is None) == (b is None), (g.name, a, b)
            if b is not None:
                assert a == pytest.approx(b, rel=0.05), (g.name, a, b)


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_rollup_breakdown_equals_the_scan(tz):
    messages, timeline = varied(3000)
    want = compute_breakdown(messages, timeline=timeline, tz=tz)
    got = breakdown_from_rollup(rollup_of(messages, timeline), tz=tz)
    assert want.series.bucket_s >= SLOT_S  # five days: as fine as the send times allow
    assert counts_of(got) == counts_of(want)
    assert_times_close(got, want)
    assert {g.name for g in got.groups["error"]} >= {"err 6 · Subscriber offline", "Expired"}
    assert any(g.name == "(no time)" for g in got.groups["hour"])
    assert got.unknown_cost > 0  # messages without a price are counted as such, not as 0.00


def test_read_messages_take_their_delivery_from_the_timeline():
    read = Message("a", Provider.SMSC, "1", "79160000001", S.READ, sent_at=T0,
                   updated_at=T0 + 1000, cost=Decimal(1))  # fmt: skip
    changes = [StatusChange("a", "1", S.DELIVERED, "1", T0 + 40, Source.POLL)]
    b = breakdown_from_rollup(rollup_of([read], lambda key: changes))
    assert b.totals.p50_s == 40.0  # one time only: the histogram's min and max give it exactly
    assert breakdown_from_rollup(rollup_of([read])).totals.p50_s == 1000.0


def test_a_short_span_is_told_in_five_minute_slots_and_says_so():
    messages, timeline = varied(500, span_s=3 * 3600)
    for tz in ZONES:
        got = breakdown_from_rollup(rollup_of(messages, timeline), tz=tz)
        want = compute_breakdown(messages, timeline=timeline, tz=tz)
        assert want.series.bucket_s == 60
        assert (got.series.bucket_s, got.series.coarsened_from) == (SLOT_S, 60)
        timed = [m.sent_at for m in messages if m.sent_at is not None]
        fits = math.ceil((max(timed) - min(timed)) / SLOT_S) + 1
        assert bucket_size(max(timed) - min(timed), fits) == SLOT_S
        exact = send_series(messages, tz, fits)  # the same counts in 5 min buckets, exactly
        assert replace(got.series, coarsened_from=0) == exact
        assert counts_of(got)[:2] == counts_of(want)[:2]


def test_hours_follow_the_zone_across_midnight_in_time_order_with_dates():
    # 23:00–00:50 UTC
    late = [Message("a", Provider.SMSC, str(i), "7916", S.SENT, sent_at=T0 - 3600 + i * 600)
            for i in range(12)]  # fmt: skip
    rollup = rollup_of(late)
    for tz, hours in ((UTC, ["11-20 23:00", "11-21 00:00"]),
                      (timezone(timedelta(hours=-5)), ["11-20 18:00", "11-20 19:00"]),
                      (timezone(timedelta(hours=3)), ["11-21 02:00", "11-21 03:00"])):  # fmt: skip
        got = breakdown_from_rollup(rollup, tz=tz)
        assert [g.name for g in got.groups["hour"]] == hours
        assert got.groups == compute_breakdown(late, tz=tz).groups


def test_more_than_a_chunk_is_summed_in_bounded_pieces():
    messages, timeline = varied(CHUNK + 2500, seed=5)
    want = compute_breakdown(messages, timeline=timeline, tz=UTC)
    got = breakdown_from_rollup(rollup_of(iter(messages), timeline), tz=UTC)
    assert counts_of(got) == counts_of(want)


def test_merge_is_associative_and_equals_the_rollup_of_the_union():
    messages, timeline = varied(2000, seed=11)
    rng = random.Random(1)
    parts: list[list[Message]] = [[], [], []]
    for m in messages:
        rng.choice(parts).append(m)
    a, b = ([rollup_of(p, timeline) for p in parts] for _ in range(2))
    left = Rollup().merge(a[0]).merge(a[1]).merge(a[2])  # (a + b) + c
    right = Rollup().merge(b[0]).merge(Rollup().merge(b[1]).merge(b[2]))  # a + (b + c)
    whole = rollup_of(messages, timeline)
    assert left.to_doc() == right.to_doc() == whole.to_doc()
    assert counts_of(breakdown_from_rollup(left)) == counts_of(breakdown_from_rollup(whole))
    # Merging never changes the rollup merged in.
    assert a[1].to_doc() == rollup_of(parts[1], timeline).to_doc()


def test_doc_round_trip_through_json():
    messages, timeline = varied(1500, seed=2)
    rollup = rollup_of(messages, timeline)
    doc = rollup.to_doc()
    text = json.dumps(doc)
    back = Rollup.from_doc(json.loads(text))
    assert back.to_doc() == doc
    assert breakdown_from_rollup(back, tz=UTC) == breakdown_from_rollup(rollup, tz=UTC)
    # Docs merge straight into one rollup: the same as merging their rollups.
    more = rollup_of(varied(700, seed=9, start=T0 + 86400 * 40)[0])
    assert merge_docs([doc, more.to_doc()]).to_doc() == rollup.merge(more).to_doc()
    assert len(text) < 30_000  # 1,500 messages over five days, every kind: small


def test_an_empty_rollup_is_an_empty_breakdown():
    assert breakdown_from_rollup(Rollup()) == compute_breakdown([])
    assert Rollup.from_doc(Rollup().to_doc()).to_doc() == Rollup().to_doc()


def _bad(doc: dict, path: tuple, value: object) -> dict:
    out = copy.deepcopy(doc)
    at = out
    for k in path[:-1]:
        at = at[k]
    if value is KeyError:
        del at[path[-1]]
    else:
        at[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("v",), 99),
        (("g",), KeyError),
        (("g", "operator", 0, 1), -1),
        (("g", "operator", 0, 2), 10**6),  # counts that do not add up
        (("g", "operator", 0, 1), "3"),
        (("g", "operator", 0, 5), "a lot"),
        (("g", "operator", 0, 5), 3.45),
        (("g", "operator", 0, 5), "NaN"),
        (("g", "operator", 0, 8), "1!!!"),
        (("g", "operator", 0, 8), "7AAAA"),
        (("g", "operator", 0, 7), 10**9),
        (("g", "operator", 0, 0), 5),
        (("g", "slot", 0, 0), "noon"),
        (("g", "error", 0, 7), "very bad"),
        (("g", "operator", 0), "row"),
        (("u",), None),
        (("t",), [T0 + 10**6, T0]),
        (("t", 1), "later"),
        (("s", 0), 0),  # slots long before the first send
        (("s", 2), "1%%"),
    ],
)
def test_a_bad_doc_is_refused(path, value):
    doc = rollup_of(varied(300)[0]).to_doc()
    Rollup.from_doc(copy.deepcopy(doc))  # the good one is read
    with pytest.raises((ValueError, TypeError, KeyError)):
        Rollup.from_doc(_bad(doc, path, value))


@pytest.mark.parametrize("shape", ["log-uniform", "exponential", "bimodal"])
def test_percentiles_within_five_percent_on_10k_durations(shape):
    rng = random.Random(shape)
    draw = {
        "log-uniform": lambda: math.exp(rng.uniform(0, math.log(30 * 86400))),
        "exponential": lambda: rng.expovariate(1 / 45),
        "bimodal": lambda: rng.gauss(8, 1) if rng.random() < 0.7 else rng.gauss(900, 120),
    }[shape]
    values = [max(0.02, draw()) for _ in range(10_000)]
    hist = Histogram.of(values[:4000])
    hist.merge(Histogram.of(values[4000:]))
    p50, p95 = hist.percentiles()
    values.sort()
    assert p50 == pytest.approx(percentile(values, 50), rel=0.05)
    assert p95 == pytest.approx(percentile(values, 95), rel=0.05)


def test_series_buckets_align_to_the_zone_like_the_scan():
    nepal = timezone(timedelta(hours=5, minutes=45))
    messages = [Message("a", Provider.SMSC, str(i), "7916", S.DELIVERED, sent_at=T0 + i * 977,
                        updated_at=T0 + i * 977 + 20) for i in range(400)]  # fmt: skip
    want = compute_breakdown(messages, tz=nepal).series
    got = breakdown_from_rollup(rollup_of(messages), tz=nepal).series
    assert got == want
    assert want.buckets[0].start == _floor(T0, want.bucket_s, utc_offset(T0, nepal))
