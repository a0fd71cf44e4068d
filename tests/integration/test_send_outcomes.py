"""A send is an intent first: whatever happens after the request left — a cut reply, Ctrl-C, a
lost connection — the message is in the cache exactly once, in the right state, the CLI printed
an id, and nothing is resent blindly. Real CLI, real emulator, real cache."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from cli_run import run_in_process
from smstui.clock import FakeClock
from smstui.errors import OutcomeUnknown, StoreError
from smstui.model import DeliveryState as S
from smstui.model import Message, Provider, Rekey, Source, StatusChange
from smstui.poller.send import SETTLE_AFTER_S, Attempt, intent_message, send
from smstui.store import Store

SECRET = "Intent-Secret-77"
PHONE = "79161234567"


def write_config(path: Path, base_url: str) -> str:
    path.write_text(
        f'[cache]\ndir = "{path.parent / "cache"}"\n'
        f'[[accounts]]\nname = "smsc"\nprovider = "smsc"\nbase_url = "{base_url}"\n'
        f'login = "demo"\npassword = "{SECRET}"\ntimeout = 3\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


@pytest.fixture
async def emu(make_emulator):
    async with make_emulator(seed=3, messages=5, rate=0, accounts=(f"demo:{SECRET}",)) as e:
        yield e


@pytest.fixture
def cli(capsys):
    async def run(*argv: str) -> tuple[int, str, str]:
        return await run_in_process(capsys, *argv, hidden=(SECRET,))

    return run


async def set_faults(emu, spec: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{emu.base_url}/_emulator/faults", params={"spec": spec})
        r.raise_for_status()


async def cached(cli, config: str, phone: str = PHONE) -> list[dict]:
    code, out, err = await cli("history", "--cached", "--json", "--config", config)
    assert code == 0, err
    return [r for r in json.loads(out) if r["phone"] == phone]


def sends_to(emu, phone: str = PHONE) -> list[dict]:
    return [r for r in emu.truth() if r["provider"] == "smsc" and r["phone"] == phone]


async def test_a_cut_reply_is_outcome_unknown_then_reconciled_never_resent(cli, emu, tmp_path):
    config = write_config(tmp_path / "c.toml", emu.base_url)
    await set_faults(emu, "truncated=1.0")  # the gateway takes the send; its reply is cut
    code, _, err = await cli("send", PHONE, "код 1234", "--yes", "--config", config)
    assert code == 5, err
    (row,) = await cached(cli, config)
    assert row["state"] == "outcome_unknown" and row["text"] == "код 1234"
    assert f"client id {row['message_id']}" in err and "may have gone out" in err
    assert len(sends_to(emu)) == 1  # it did go out, and was charged
    await set_faults(emu, "")
    code, _, err = await cli("poll", "--once", "--config", config)
    assert code == 0, err
    (row,) = await cached(cli, config)  # reconciled by its status, under the same id
    assert row["state"] not in ("outcome_unknown", "not_found")
    assert len(sends_to(emu)) == 1  # and never sent again


async def test_json_reports_the_unknown_outcome_with_the_id(cli, emu, tmp_path):
    config = write_config(tmp_path / "c.toml", emu.base_url)
    await set_faults(emu, "truncated=1.0")
    code, out, _ = await cli("send", PHONE, "hi", "--yes", "--json", "--config", config)
    assert code == 5
    (row,) = await cached(cli, config)
    error = json.loads(out)["error"]
    assert error["provider"] == "smsc" and row["message_id"] in error["message"]


async def test_a_refused_send_is_recorded_as_refused_once(cli, emu, tmp_path):
    config = write_config(tmp_path / "c.toml", emu.base_url)
    code, _, err = await cli("send", "12", "hi", "--yes", "--config", config)  # not a number
    assert code == 1, err
    (row,) = await cached(cli, config, "12")
    assert row["state"] == "rejected" and row["raw_status"] == "refused"


async def test_a_send_whose_intent_cannot_be_journaled_is_never_made(emu, tmp_path):
    """Fail closed: the intent is journaled before the request; if that fails, no request."""
    from smstui.budget import budget_for
    from smstui.config import parse_config
    from smstui.gateways.base import make_gateway
    from smstui.poller.gate import Gate

    config = parse_config({"accounts": [{"name": "smsc", "provider": "smsc", "login": "demo",
                                         "base_url": emu.base_url, "password": SECRET}],
                           "cache": {"dir": str(tmp_path)}})  # fmt: skip
    account = config.accounts[0]
    gateway = make_gateway(account, clock=emu.clock)

    async def full_disk(items: Sequence[Message | Rekey]) -> None:
        raise StoreError("cannot append to journal.log: No space left on device")

    try:
        gate = Gate(gateway, budget_for(account, emu.clock, config.cache_dir), emu.clock)
        with pytest.raises(StoreError, match="No space left"):
            await send(gate, full_disk, PHONE, "hi", emu.clock)
    finally:
        await gateway.aclose()
    assert "smsc.send" not in emu.stats()["requests"] and not sends_to(emu)


async def test_an_unknown_outcome_the_gateway_never_got_settles_as_not_found(make_engine):
    """A process died after journaling its intent (or the request never arrived): the poller
    asks; a 'not found' is trusted only once the send is old enough, then it is final."""
    async with make_engine(seed=1, messages=3) as (engine, emu):
        clock: FakeClock = emu.clock
        intent = intent_message("main", Provider.SMSC, "1987654321", PHONE, "hi", "", clock.now())
        await engine.store.apply_async([intent], source=Source.SEND)
        poller = engine.pollers["main"]
        await poller.cycle()
        assert engine.store.get(intent.key).state is S.OUTCOME_UNKNOWN  # type: ignore[union-attr]
        clock.advance(SETTLE_AFTER_S + 60)
        await poller.cycle()
        settled = engine.store.get(intent.key)
        assert settled is not None and settled.state is S.NOT_FOUND
        assert not sends_to(emu)


async def test_a_webcom_push_racing_the_sends_record_files_the_message_once(make_engine):
    """Webcom names a send only in its reply, and its pushes carry no phone: a push that lands
    between the reply and the send's record must not leave a phone-less twin."""
    async with make_engine(provider="webcom", name="wc", seed=1, messages=3) as (engine, emu):
        store = engine.store
        poller = engine.pollers["wc"]

        async def journal(items: Sequence[Message | Rekey]) -> None:
            settle = next((i for i in items if isinstance(i, Message)
                           and not i.message_id.startswith("cid-")), None)  # fmt: skip
            if settle is not None:  # the push arrives first, for the id the reply named
                push = StatusChange("wc", settle.message_id, S.DELIVERED, "deliver",
                                    emu.clock.now() + 5, Source.WEBHOOK)  # fmt: skip
                await engine.ingest.push_changes([push])
            await store.apply_async(items, source=Source.SEND)

        result, sent = await send(poller.gate, journal, PHONE, "привет", emu.clock,
                                  sender="Promo")  # fmt: skip
        mine = [m for m in store.messages_sorted() if m.message_id == result.message_id]
        assert [(m.phone, m.state, m.text) for m in mine] == [(PHONE, S.DELIVERED, "привет")]
        assert not [m for m in store.messages_sorted() if m.message_id.startswith("cid-")]
        assert [c.state for c in store.timeline(sent.key)] == [S.DELIVERED]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_send_stopped_while_waiting_for_the_reply_stays_in_the_cache(tmp_path, sig):
    """Ctrl-C: exit 5 with the id. SIGKILL: no word at all, but the intent is on disk."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    emulator = subprocess.Popen(
        [sys.executable, "-m", "smstui", "emulate", "--port", "0", "--messages", "5",
         "--faults", "slow=1.0", "--account", f"demo:{SECRET}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        line = emulator.stdout.readline().strip()  # type: ignore[union-attr]
        assert line.startswith("smstui emulator listening on http://"), line
        config = write_config(tmp_path / "c.toml", line.rsplit(" ", 1)[-1])
        sender = subprocess.Popen(
            [sys.executable, "-m", "smstui", "send", PHONE, "hi", "--yes", "--config", config],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        journal = tmp_path / "cache" / "journal.log"
        while b"outcome_unknown" not in (journal.read_bytes() if journal.exists() else b""):
            assert time.monotonic() < deadline, "the intent was never journaled"
            time.sleep(0.02)
        sender.send_signal(sig)  # the request is out; the 0.5–2 s reply is not
        _, err = sender.communicate(timeout=10)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    if sig == signal.SIGINT:
        assert sender.returncode == 5, err
    history = subprocess.run(
        [sys.executable, "-m", "smstui", "history", "--cached", "--json", "--config", config],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    (row,) = [r for r in json.loads(history.stdout) if r["phone"] == PHONE]
    assert row["state"] == "outcome_unknown"
    if sig == signal.SIGINT:
        assert f"client id {row['message_id']}" in err


async def test_the_cli_send_does_not_open_the_cache(cli, emu, tmp_path, monkeypatch):
    """Recording a send appends to the journal; it never loads the cache."""
    config = write_config(tmp_path / "c.toml", emu.base_url)

    def no_open(*args, **kwargs):
        raise AssertionError("smstui send opened the cache")

    monkeypatch.setattr(Store, "open", no_open)
    code, out, err = await cli("send", PHONE, "hi", "--yes", "--config", config)
    assert code == 0 and out.startswith("sent "), err
    monkeypatch.undo()
    (row,) = await cached(cli, config)
    assert row["state"] == "queued" and out.split()[1] == row["message_id"]


def test_outcome_unknown_is_an_error_with_the_message():
    m = intent_message("a", Provider.WEBCOM, "123", "+7 916 123-45-67", "t", "", 0.0)
    err = OutcomeUnknown(m, "timed out")
    assert m.message_id == "cid-123" and m.phone == PHONE and "client id 123" in str(err)
    assert Attempt("5").intent is None
