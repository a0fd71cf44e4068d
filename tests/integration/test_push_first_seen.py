"""A message first seen through a push stays findable, and sits in history by when it was seen,
after `smstui poll` restarts with more dated messages than `[cache] memory_messages`."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from cli_run import Cli, receiver_url
from smstui.clock import FakeClock
from smstui.commands._cache import open_cache
from smstui.config import load_config
from smstui.model import DeliveryState, Message, Provider
from smstui.store import Store
from smstui.webhook.signature import smsc_hash

pytestmark = pytest.mark.slow

SECRET = "hook-secret-for-tests"
CLI = Cli(SMSTUI_TEST_PW="demo", SMSTUI_TEST_HOOK=SECRET)
ENV = CLI.env
smstui, run = CLI.start, CLI.run
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MEMORY = 1000
OLDER, NEWER = 300, 1200  # dated messages before the push, and after it (two days on)
DAY = 86_400.0
PUSHED_ID, PUSHED_PHONE = "424242", "79161112233"


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "http://127.0.0.1:9"\n'
        'login = "demo"\npassword_env = "SMSTUI_TEST_PW"\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\nmemory_messages = {MEMORY}\n'
        '[poll]\nflush_interval_s = 0.2\n[webhook]\nsmsc_secret_env = "SMSTUI_TEST_HOOK"\n',
        encoding="utf-8",
    )
    return path


def dated(n: int, start: float, first_id: int, step: float) -> list[Message]:
    """`n` final messages sent `step` seconds apart from `start` (no open message: none of
    their partitions is loaded for being open)."""
    return [
        Message(account="main", provider=Provider.SMSC, message_id=str(first_id + i),
                phone=f"7903{first_id + i:07d}", state=DeliveryState.DELIVERED, raw_status="1",
                text="code", sender="MyShop", sent_at=start + step * i, cost=Decimal("1.90"),
                parts=1, updated_at=start + step * i + 20)
        for i in range(n)
    ]  # fmt: skip


def push(url: str, mid: str, phone: str, status: str) -> None:
    fields = {"id": mid, "phone": phone, "status": status, "err": "0",
              "time": datetime.now().strftime("%d.%m.%Y %H:%M:%S"), "ts": str(int(time.time())),
              "cnt": "1", "type": "0", "sender": "MyShop", "charset": "utf-8",
              "md5": smsc_hash("md5", [mid, phone, status], SECRET)}  # fmt: skip
    r = httpx.post(f"{url}/smsc", content=urlencode(fields).encode(), headers=FORM, timeout=10)
    assert r.status_code == 200, r.text


def stop(daemon: subprocess.Popen) -> None:
    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(timeout=20)
    err = daemon.stderr.read() if daemon.stderr else ""
    assert code == 0 and "Traceback" not in err, err


def placed(row: dict) -> float:
    """A history row's place: its send time, else when smstui first saw it."""
    return datetime.fromisoformat(row["sent_at"] or row["seen_at"]).timestamp()


def kill(daemon: subprocess.Popen) -> None:
    """SIGKILL right after the acknowledgement: no checkpoint, no clean exit."""
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=20)


@pytest.mark.parametrize("end", [stop, kill], ids=["sigterm", "sigkill"])
def test_a_pushed_message_survives_a_restart_past_the_memory_window(tmp_path, monkeypatch, end):
    monkeypatch.setenv("SMSTUI_TEST_PW", ENV["SMSTUI_TEST_PW"])  # for the reader opened here
    monkeypatch.setenv("SMSTUI_TEST_HOOK", SECRET)
    config = write_config(tmp_path)
    now = time.time()
    today = now // DAY * DAY  # each group within one UTC day: one partition each
    messages = dated(OLDER, today - 3 * DAY + 60, 1_000_000, 60)
    messages += dated(NEWER, today + 2 * DAY + 60, 2_000_000, 30)  # fills the window alone
    with Store.open(tmp_path / "cache", clock=FakeClock(now)) as writer:
        writer.apply(messages)

    daemon = smstui("poll", "--config", str(config), "--listen", "127.0.0.1:0")
    try:
        url = receiver_url(daemon)
        before = time.time()
        push(url, PUSHED_ID, PUSHED_PHONE, "1")  # an id no history has named
        after = time.time()
    finally:
        end(daemon)  # acknowledged (200) means durable: a SIGKILL now loses nothing

    daemon = smstui("poll", "--config", str(config), "--listen", "127.0.0.1:0")  # the restart
    try:
        receiver_url(daemon)
        store = open_cache(load_config(config))  # what a --cached reader opens
        try:  # the precondition: the pushed message is outside what is loaded
            assert store.total() == OLDER + NEWER + 1 > MEMORY
            if end is stop:  # checkpointed into its day; after a SIGKILL the journal has it
                assert store.get(("main", PUSHED_ID, PUSHED_PHONE)) is None
        finally:
            store.close()

        status = run("status", PUSHED_ID, "--cached", "--json", "--config", str(config))
        assert status.returncode == 0, status.stderr
        (found,) = json.loads(status.stdout)
        message = found["message"]
        assert (message["phone"], message["state"]) == (PUSHED_PHONE, "delivered")
        assert message["sent_at"] is None
        seen = datetime.fromisoformat(message["seen_at"]).timestamp()
        assert int(before) <= seen <= after

        history = run("history", "--cached", "--json", "--config", str(config))
        assert history.returncode == 0, history.stderr
        rows = json.loads(history.stdout)
        assert len(rows) == OLDER + NEWER + 1
        at = [(r["message_id"], r["phone"]) for r in rows].index((PUSHED_ID, PUSHED_PHONE))
        assert at == NEWER  # below every later-sent message, above every earlier one
        assert [placed(r) for r in rows] == sorted((placed(r) for r in rows), reverse=True)
    finally:
        stop(daemon)
