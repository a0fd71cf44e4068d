"""The campaign model: deterministic per seed, realistic paths, runs to completion."""

from __future__ import annotations

from smstui.emulator.campaign import Campaign
from smstui.emulator.numbering import archive_time, count_parts, parse_msk_iso
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.paths import SMSC_FINAL

START = 1_763_715_600.0  # 2025-11-21 12:00 MSK


def test_same_seed_same_history_and_live_stream():
    a = Campaign(EmulatorOptions(seed=5, messages=300), START)
    b = Campaign(EmulatorOptions(seed=5, messages=300), START)
    a.advance(START + 600)
    b.advance(START + 300)
    b.advance(START + 600)  # materializing in steps changes nothing
    assert a.truth(START + 900) == b.truth(START + 900)
    c = Campaign(EmulatorOptions(seed=6, messages=300), START)
    assert c.truth(START) != a.truth(START)


def test_history_mix_has_finals_in_flight_failures_and_operators():
    camp = Campaign(EmulatorOptions(seed=2, messages=2000), START)
    rows = [r for r in camp.truth(START) if r["provider"] == "smsc"]
    statuses = {r["status"] for r in rows}
    assert {1, 20, 0} <= statuses and statuses & {-1, 22, 23, 25}
    assert {r["err"] for r in rows} >= {0, 248}
    assert sum(r["final"] for r in rows) > len(rows) // 2
    assert len({m.plan.operator.name for m in camp.smsc if m.plan}) == 4
    assert any(m.parts > 1 for m in camp.smsc)
    assert any(not m.via_api for m in camp.smsc)
    webcom = {r["status"] for r in camp.truth(START) if r["provider"] == "webcom"}
    assert {"deliver", "not_deliver"} <= webcom


def test_live_stream_stops_and_everything_becomes_final():
    camp = Campaign(EmulatorOptions(seed=4, messages=50, rate=120, live_messages=30), START)
    camp.advance(START + 3600)
    assert camp.live_smsc == 30
    late = START + 3 * 86400
    camp.advance(late)
    assert camp.live_smsc == 30
    assert all(r["final"] for r in camp.truth(late))


def test_part_counting_rules():
    assert count_parts("a" * 160) == 1 and count_parts("a" * 161) == 2
    assert count_parts("a" * 306) == 2 and count_parts("a" * 307) == 3
    assert count_parts("я" * 70) == 1 and count_parts("я" * 71) == 2
    assert count_parts("я" * 134) == 2 and count_parts("я" * 135) == 3
    assert count_parts("{" * 80) == 1 and count_parts("{" * 81) == 2  # extension chars count 2


def test_archive_time_rule():
    sent = parse_msk_iso("2025-11-21 17:59:00")
    assert archive_time(sent, sent + 5) == parse_msk_iso("2025-11-22 03:00:00")
    late = parse_msk_iso("2025-11-21 18:01:00")
    assert archive_time(late, late + 5) == parse_msk_iso("2025-11-23 03:00:00")
    assert archive_time(sent, None) is None


def test_final_statuses_are_last():
    camp = Campaign(EmulatorOptions(seed=9, messages=500), START)
    for m in camp.smsc:
        finals = [s for _, s, _ in m.timeline if s in SMSC_FINAL]
        assert len(finals) <= 1 or finals[:2] == [1, 4]
        assert [t for t, _, _ in m.timeline] == sorted(t for t, _, _ in m.timeline)
