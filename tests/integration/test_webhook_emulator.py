"""End to end: the emulator pushes a live campaign to the receiver; the sink ends equal to truth."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from smstui.clock import FakeClock
from smstui.model import Provider
from smstui.secrets import Secret
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.sink import MemorySink

pytest.importorskip("smstui.emulator.pushes", reason="the emulator's push sender is not built yet")

SECRET = "campaign-secret_1"
ACCOUNTS = {"main": Provider.SMSC, "wc": Provider.WEBCOM}
DEMO_START = datetime(2025, 11, 21, 12, 0, tzinfo=timezone(timedelta(hours=3))).timestamp()


def expected_final_states(emu) -> dict[tuple[str, str, str], str]:
    """Truth for every message the emulator pushes for: API sends, final by now."""
    out = {}
    for row in emu.truth():
        if row["provider"] == "smsc" and row["via_api"] and row["final"]:
            out[("main", str(row["id"]), row["phone"])] = str(row["status"])
        elif row["provider"] == "webcom" and row["final"]:
            out[("wc", str(row["id"]), "")] = str(row["status"])
    return out


def received_states(sink: MemorySink, keys) -> dict[tuple[str, str, str], str]:
    states = sink.states()
    return {key: states[key] for key in keys if key in states}


async def run_campaign(
    make_emulator,
    *,
    query: str,
    messages: int,
    settle_s: float = 20.0,
    hashes: tuple[str, ...] = ("md5", "sha1"),
    **emulator_kwargs,
):
    """Push a live campaign of `messages` SMSC sends (+1/5 Webcom) and settle; return results."""
    clock = FakeClock(DEMO_START)
    sink = MemorySink()
    opts = ReceiverOptions(smsc_secret=Secret(SECRET), accounts=ACCOUNTS, smsc_algorithms=hashes)
    async with WebhookReceiver(opts, sink=sink, clock=clock) as receiver, make_emulator(
        seed=11, messages=0, rate=600.0, live_messages=messages, clock=clock,
        start=DEMO_START, push_retry_interval=1.0,
        smsc_webhook=receiver.endpoint(Provider.SMSC, "main") + query,
        webcom_webhook=receiver.endpoint(Provider.WEBCOM, "wc"),
        **emulator_kwargs,
    ) as emu:  # fmt: skip
        for _ in range(40):  # 40 × 45 min: past every validity period (24 h max)
            clock.advance(45 * 60)
            await asyncio.sleep(0.03)
        expected = expected_final_states(emu)
        deadline = time.monotonic() + settle_s
        got = received_states(sink, expected)
        while got != expected and time.monotonic() < deadline:
            clock.advance(60)
            await asyncio.sleep(0.1)
            got = received_states(sink, expected)
        return expected, got, receiver.counters, emu.stats()


@pytest.mark.parametrize("messages", [300, pytest.param(2000, marks=pytest.mark.slow)])
async def test_campaign_pushed_to_the_receiver_matches_truth(make_emulator, messages) -> None:
    expected, got, counters, stats = await run_campaign(
        make_emulator, query=f"?charset=utf-8&md5={SECRET}", messages=messages
    )
    assert len(expected) >= messages  # every SMSC send + a fifth as many Webcom, all final
    assert got == expected
    assert stats["pushes"]["failed"] == 0
    assert counters["rejected_403"] == counters["bad_400"] == counters["sink_errors"] == 0
    assert counters["statuses"] >= len(expected)


@pytest.mark.parametrize(
    ("query", "hashes"),
    [
        ("?md5={s}", ("md5", "sha1")),
        ("?charset=utf-8&sha1={s}&fmt=3", ("md5", "sha1")),
        ("?crc32={s}&fmt=2", ("crc32",)),  # crc32 only because the config asks for it
        ("?charset=koi8-r&md5={s}", ("md5",)),
    ],
)
async def test_charset_fmt_and_algorithm_variants(make_emulator, query: str, hashes) -> None:
    """windows-1251 default, koi8-r, JSON and XML bodies, sha1 and crc32 verify end to end."""
    expected, got, counters, _ = await run_campaign(
        make_emulator, query=query.format(s=SECRET), messages=40, hashes=hashes
    )
    assert expected and got == expected
    assert counters["rejected_403"] == 0 and counters["bad_400"] == 0


async def test_crc32_signed_pushes_are_refused_unless_configured(make_emulator) -> None:
    _expected, got, counters, _ = await run_campaign(
        make_emulator, query=f"?crc32={SECRET}", messages=20, settle_s=0.5, smsc_push_attempts=1
    )
    assert {k: v for k, v in got.items() if k[0] == "main"} == {}
    assert counters["rejected_403"] > 0


async def test_wrong_secret_in_the_handler_url_stores_nothing(make_emulator) -> None:
    _expected, got, counters, _ = await run_campaign(
        make_emulator,
        query="?md5=not-our-secret",
        messages=20,
        settle_s=0.5,
        smsc_push_attempts=1,
    )
    smsc_got = {k: v for k, v in got.items() if k[0] == "main"}
    assert smsc_got == {} and counters["rejected_403"] > 0
