"""The demo's own emulator and webhook receiver agree on every push (issue 17: "sender too
slow", ~7 of 470 on loopback).

Kept-alive connections that sat idle between pushes were closed by the header deadline and
counted as slow senders; a push the emulator sent on a connection the receiver was closing
failed. Here the pair runs as `smstui demo` wires it, with a header deadline of 0.3 s so idle
gaps between pushes are the rule, until a few hundred pushes arrived: none is rejected, none
fails.
"""

from __future__ import annotations

import asyncio
import logging
import time

from smstui.clock import ScaledClock
from smstui.commands.demo import demo_config
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.server import run_emulator
from smstui.push_counters import rejected
from smstui.runtime import free_port
from smstui.webhook.options import options_from_config
from smstui.webhook.server import WebhookReceiver
from smstui.webhook.sink import MemorySink

PUSHES = 300


async def test_the_demo_pair_rejects_no_push(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="smstui.emulator")
    clock = ScaledClock(time.time(), 30.0)
    port, listen = free_port(), f"127.0.0.1:{free_port()}"
    config = demo_config(f"http://127.0.0.1:{port}", tmp_path, listen, "hook_Secret_1")
    options = options_from_config(config, header_timeout_s=0.3)
    async with WebhookReceiver(options, MemorySink(), clock) as receiver:
        emulator_options = EmulatorOptions(
            seed=7, messages=50, rate=120.0, port=port, clock=clock,
            smsc_webhook=f"{receiver.url}/smsc/demo-smsc?md5=hook_Secret_1",
            webcom_webhook=f"{receiver.url}/webcom/demo-webcom",
        )  # fmt: skip
        async with run_emulator(emulator_options) as emu:
            for _ in range(1200):  # at most 60 s
                if receiver.counters["accepted"] >= PUSHES:
                    break
                await asyncio.sleep(0.05)
            pushes = dict(emu.stats_counters.pushes)
    counters = receiver.counters
    assert counters["accepted"] >= PUSHES, counters
    assert rejected(counters) == 0 and counters["timeouts"] == 0, counters
    # Not one post failed on the sender's side either (not even one retried later).
    failures = [r.getMessage() for r in caplog.records if "push to" in r.getMessage()]
    assert failures == [] and pushes.get("failed", 0) == 0, (failures, pushes)
