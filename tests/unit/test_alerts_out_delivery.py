"""Alerts out, the sending half, against real loopback servers: a live JSON webhook gets every
notice in order while a refused port and a server that never answers fail, are counted, shown
masked, and neither block the live one nor raise."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from json_hook import json_hook
from smstui.alerts_out import Delivery, Notice, Notifier
from smstui.alerts_out.delivery import QUEUE_SIZE
from smstui.errors import ConfigError
from smstui.secrets import Secret

PASSWORD = "pa55-notify-SECRET"
TOKEN = "123456789:ABCdefGHIjklMNOpqrsTUVwxyz"


def notice(title: str, resolved: bool = False) -> Notice:
    return Notice(title, "body", "success" if resolved else "failure", "gateway_down", "main",
                  resolved)  # fmt: skip


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    async with json_hook() as hook:
        yield hook


def test_labels_and_reprs_never_show_a_secret() -> None:
    tgram = Notifier(Secret(f"tgram://{TOKEN}/4242"), 0)
    json_ = Notifier(Secret(f"json://ops:{PASSWORD}@127.0.0.1:9/hook"), 1)
    for shown in (tgram.label, repr(tgram), json_.label, repr(json_)):
        assert TOKEN not in shown and PASSWORD not in shown and "4242" not in shown
    assert json_.label == "notifier 2 (json://ops:****@127.0.0.1:9)"
    assert tgram.label.startswith("notifier 1 (tgram://")


def test_a_url_apprise_cannot_use_is_a_config_error_naming_its_key() -> None:
    with pytest.raises(ConfigError) as caught:
        Notifier(Secret(f"tgramm://{TOKEN}/1"), 2, "/etc/smstui.toml")
    assert caught.value.key == "alerts.notify[2]" and "tgramm" in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_dead_and_hanging_notifiers_neither_block_the_live_one_nor_raise(
    webhook: tuple[str, list[dict[str, str]]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="smstui.alerts")
    live, got = webhook
    with socket.socket() as closed, socket.socket() as hanging:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(4)  # the kernel accepts; nobody ever answers
        urls = [live, f"json://ops:{PASSWORD}@127.0.0.1:{closed.getsockname()[1]}/x",
                f"json://127.0.0.1:{hanging.getsockname()[1]}/x"]  # fmt: skip
        delivery = Delivery(
            [Notifier(Secret(u), i) for i, u in enumerate(urls)],
            timeout_s=0.5,
            source="smstui on test",
            retry_after_s=(0.05,),
        )
        delivery.start()
        delivery.submit(
            [notice("main: gateway down"), notice("main: gateway down: resolved", True)]
        )
        for _ in range(200):
            counts = delivery.counters()
            if sum(c["failed"] for c in counts.values()) == 4 and len(got) == 2:
                break
            await asyncio.sleep(0.05)
        await delivery.aclose()
    assert [g["title"] for g in got] == [
        "smstui: main: gateway down", "smstui: main: gateway down: resolved"
    ]  # fmt: skip
    assert [g["type"] for g in got] == ["failure", "success"]
    assert got[0]["message"] == "body\n— smstui on test"
    sent, refused, silent = delivery.counters().values()
    assert sent == {"sent": 2, "failed": 0, "dropped": 0}
    assert refused["failed"] == silent["failed"] == 2
    assert "no answer within 0.5 s" in delivery.problem and "ops:****@" in delivery.problem
    text = caplog.text + delivery.problem
    assert PASSWORD not in text and "gave up on 'main: gateway down'" in text


async def test_a_full_queue_drops_its_oldest_and_counts_it() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        notifier = Notifier(Secret(f"json://127.0.0.1:{closed.getsockname()[1]}/x"), 0)
        delivery = Delivery([notifier], timeout_s=1, retry_after_s=())
        delivery.start()
        delivery.submit(notice(f"main: alert {n}") for n in range(QUEUE_SIZE + 3))
        assert delivery.counters()[notifier.label]["dropped"] == 3
        await delivery.aclose()
