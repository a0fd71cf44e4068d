"""Cache v3 acceptance: an acknowledged push survives SIGKILL, a verified push for an unknown id
is a message, and `smstui send` next to a running `smstui poll` is in the cache at once."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from cli_run import Cli, receiver_url
from smstui.commands._cache import open_cache
from smstui.config import load_config
from smstui.webhook.signature import smsc_hash

pytestmark = pytest.mark.slow

SECRET = "hook-secret-for-tests"
CLI = Cli(SMSTUI_TEST_PW="demo", SMSTUI_TEST_HOOK=SECRET)
ENV = CLI.env
smstui, run = CLI.start, CLI.run
KILLS = 20
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{url}"\n'
        f'login = "demo"\npassword_env = "SMSTUI_TEST_PW"\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\n[poll]\nflush_interval_s = 0.2\n'
        f'[webhook]\nsmsc_secret_env = "SMSTUI_TEST_HOOK"\n',
        encoding="utf-8",
    )
    return path


def push_body(mid: str, phone: str, status: str, err: str = "0") -> bytes:
    """A status push exactly as SMSC sends one: form fields, md5 of id:phone:status:secret."""
    fields = {"id": mid, "phone": phone, "status": status, "err": err,
              "time": "01.12.2026 07:00:00", "ts": str(int(time.time())), "cnt": "1",
              "type": "0", "cost": "1.90", "sender": "MyShop", "charset": "utf-8",
              "md5": smsc_hash("md5", [mid, phone, status], SECRET)}  # fmt: skip
    return urlencode(fields).encode()


def pusher(
    url: str, first: int, acked: list[tuple[str, str]], stop: threading.Event, phones: int = 1
) -> None:
    """Push new ids one after another (each to `phones` numbers: one SMSC send to several
    phones shares its id); remember each push the receiver acknowledged."""
    with httpx.Client(timeout=5) as client:
        n = first
        while not stop.is_set():
            mid = str(n)
            for k in range(phones):
                phone = f"79{k + 16:02d}{n:07d}"
                try:
                    r = client.post(f"{url}/smsc", content=push_body(mid, phone, "1"),
                                    headers=FORM)  # fmt: skip
                except httpx.HTTPError:
                    return  # the receiver died: what was acknowledged is in `acked`
                if r.status_code == 200:
                    acked.append((mid, phone))
            n += 1


def stop_under_pushes(
    tmp_path, monkeypatch, sig: signal.Signals, rounds: int, seed: int, phones: int = 1
):
    """Start `smstui poll --listen`, push new ids at it, send `sig` at a random moment after the
    first acknowledgement; after each round every acknowledged push must be a cached message."""
    config_path = write_config(tmp_path, "http://127.0.0.1:9")  # no gateway: pushes only
    for name in ("SMSTUI_TEST_PW", "SMSTUI_TEST_HOOK"):
        monkeypatch.setenv(name, ENV[name])
    config = load_config(config_path)
    rng = random.Random(seed)
    acked: list[tuple[str, str]] = []
    for kill in range(rounds):
        daemon = smstui("poll", "--config", str(config_path), "--listen", "127.0.0.1:0")
        try:
            url = receiver_url(daemon)
            stop = threading.Event()
            mine: list[tuple[str, str]] = []
            thread = threading.Thread(target=pusher, args=(url, kill * 10_000, mine, stop, phones))
            thread.start()
            deadline = time.monotonic() + 10
            while not mine and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, 0.5))
            daemon.send_signal(sig)
            code = daemon.wait(timeout=10)
            stop.set()
            thread.join(timeout=10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        if sig == signal.SIGTERM:
            assert code == 0, daemon.stderr.read()
        assert mine, f"round {kill}: no push was acknowledged"
        acked += mine
        store = open_cache(config)  # what `smstui status ID --cached` opens
        try:
            missing = [(m, p) for m, p in mine if not store.get(("main", m, p))]
        finally:
            store.close()
        assert not missing, f"round {kill}: {len(missing)} acknowledged pushes lost: {missing[:3]}"
    return config_path, rng, acked


def test_acknowledged_pushes_survive_sigkill(tmp_path, monkeypatch):
    """SIGKILL `smstui poll --listen` at random moments right after acknowledgements: every
    acknowledged push (for ids nobody had seen) is a cached message after the restart."""
    config_path, rng, acked = stop_under_pushes(tmp_path, monkeypatch, signal.SIGKILL, KILLS, 11)
    # The command itself for a sample (the check above reads the cache the way it does).
    for mid, phone in rng.sample(acked, 3):
        done = run("status", mid, "--phone", phone, "--cached", "--json", "--config",
                   str(config_path))  # fmt: skip
        assert done.returncode == 0, done.stderr
        (found,) = json.loads(done.stdout)
        assert found["message"]["state"] == "delivered" and found["message"]["phone"] == phone


def test_acknowledged_pushes_for_one_id_and_several_phones_survive_sigkill(tmp_path, monkeypatch):
    """One SMSC send to three phones shares its id: every acknowledged push is that phone's
    own cached message after a SIGKILL, not only the first phone's."""
    _, _, acked = stop_under_pushes(tmp_path, monkeypatch, signal.SIGKILL, 4, 13, phones=3)
    assert len({phone for _, phone in acked}) > len({mid for mid, _ in acked})


def test_acknowledged_pushes_survive_sigterm_during_checkpoints(tmp_path, monkeypatch):
    """`systemctl restart` of a busy receiver: SIGTERM lands during checkpoints (one every
    0.2 s under a stream of pushes); the cancelled checkpoint and the shutdown one never
    interleave, and every acknowledged push is in the cache after the restart."""
    stop_under_pushes(tmp_path, monkeypatch, signal.SIGTERM, 10, 12)


@pytest.fixture
def emulator_url():
    with CLI.emulator("--messages", "50", "--rate", "10", "--speed", "10") as (url, _):
        yield url


def test_send_next_to_a_running_poll_is_cached_at_once(emulator_url, tmp_path):
    config = str(write_config(tmp_path, emulator_url))
    daemon = smstui("poll", "--config", config, "--listen", "127.0.0.1:0")
    try:
        receiver_url(daemon)
        sent = run("send", "79161234567", "Ваш код 4321", "--yes", "--json", "--config", config)
        assert sent.returncode == 0, sent.stderr
        mid = json.loads(sent.stdout)["message_id"]
        started = time.monotonic()
        while True:
            history = run("history", "--cached", "--json", "--config", config)
            assert history.returncode == 0, history.stderr
            rows = {r["message_id"]: r for r in json.loads(history.stdout)}
            if mid in rows or time.monotonic() - started > 2.0:
                break
        assert mid in rows, "the sent message is not in the cache within 2 s"
        assert rows[mid]["text"] == "Ваш код 4321" and rows[mid]["phone"] == "79161234567"
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=20) == 0
    assert "Traceback" not in daemon.stderr.read()


def test_signed_push_for_an_unseen_id_is_a_message_and_a_forged_one_is_not(tmp_path):
    config = str(write_config(tmp_path, "http://127.0.0.1:9"))
    daemon = smstui("poll", "--config", config, "--listen", "127.0.0.1:0")
    try:
        url = receiver_url(daemon)
        headers = FORM
        ok = httpx.post(f"{url}/smsc", content=push_body("777001", "79160000001", "20", "6"),
                        headers=headers)  # fmt: skip
        assert ok.status_code == 200
        forged = push_body("777002", "79160000002", "1").replace(b"md5=", b"md5=0")
        assert httpx.post(f"{url}/smsc", content=forged, headers=headers).status_code == 403
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=20) == 0
    done = run("status", "777001", "--phone", "79160000001", "--cached", "--json",
               "--config", config)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (found,) = json.loads(done.stdout)
    assert found["message"]["state"] == "failed" and found["message"]["error_code"] == 6
    assert [c["source"] for c in found["timeline"]] == ["webhook"]
    gone = run("status", "777002", "--phone", "79160000002", "--cached", "--json",
               "--config", config)  # fmt: skip
    assert gone.returncode != 0 or json.loads(gone.stdout) == []
