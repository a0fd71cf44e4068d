"""`smstui poll` with [alerts] notify: each alert reaches a JSON webhook once, then its resolved
message; dead and hanging notifiers change nothing in what the poller does and leak no secret.

Everything is real: the emulator and the poller are `smstui` processes, the receiver is aiohttp
on loopback; a failure spike is 20 sends from a sender name SMSC does not know, a gateway outage the
emulator's injected HTTP 500s.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web

from cli_run import Cli, read_until
from smstui.model import DeliveryState

pytestmark = pytest.mark.slow

SECRET = "hunter2-notify-secret"  # the dead notifier's password: must never be printed
CLI = Cli(SMSTUI_TEST_PW="demo", SMSTUI_TEST_HOOK="hook-secret-1")
REFUSED = [f"7916{n:07d}" for n in range(1_000_001, 1_000_021)]  # from an unregistered sender
MOBILES = [f"7910{n:07d}" for n in range(2_000_001, 2_000_101)]  # MTS: delivered in seconds


class Receiver:
    """An aiohttp JSON webhook on loopback, in its own thread; keeps every body it gets."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self.port = 0

    def titles(self) -> list[str]:
        with self._lock:
            return [b["title"] for b in self.bodies]

    def wait_for(self, title: str, deadline_s: float = 60) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if title in self.titles():
                return
            time.sleep(0.1)
        raise AssertionError(f"{title!r} never arrived; got {self.titles()}")

    async def _serve(self, stop: asyncio.Event) -> None:
        async def hook(request: web.Request) -> web.Response:
            body = await request.json()
            with self._lock:
                self.bodies.append(body)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hooks/smstui", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await stop.wait()
        await runner.cleanup()

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        stop = asyncio.Event()
        thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(stop),))
        thread.start()
        try:
            assert self._ready.wait(10)
            yield self
        finally:
            self._loop.call_soon_threadsafe(stop.set)
            thread.join(10)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(url: str, path: str, method: str = "GET", **params: str) -> object:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    request = urllib.request.Request(f"{url}{path}?{query}", method=method)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def send(url: str, phones: list[str], sender: str = "Promo") -> None:
    """A campaign program's sends (not smstui's), one per phone; their statuses are pushed."""
    for phone in phones:
        reply = call(url, "/sys/send.php", login="demo", psw="demo", fmt="3", mes="Sale",
                     sender=sender, phones=phone)  # fmt: skip
        assert isinstance(reply, dict) and "error" not in reply, reply


def write_config(tmp_path: Path, url: str, listen: str, notify: list[str]) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{url}"\n'
        'login = "demo"\npassword_env = "SMSTUI_TEST_PW"\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\n'
        "[poll]\nstatus_interval_s = 1\nhistory_interval_s = 1\nbalance_interval_s = 1\n"
        "flush_interval_s = 0.5\n"
        f'[webhook]\nlisten = "{listen}"\nsmsc_secret_env = "SMSTUI_TEST_HOOK"\n'
        f"[alerts]\nnotify = {json.dumps(notify)}\nmin_interval_s = 600\ntimeout_s = 1\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def cached_states(config: Path) -> dict[str, str]:
    done = CLI.run("history", "--cached", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    return {r["phone"]: r["state"] for r in json.loads(done.stdout)}


def test_spike_and_outage_reach_the_webhook_once_with_resolved_and_dead_notifiers_change_nothing(
    tmp_path: Path,
) -> None:
    hanging = socket.socket()  # accepts connections (the kernel does) and never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    listen = f"127.0.0.1:{closed_port()}"  # the poller's push receiver: statuses come at once
    with (
        Receiver().running() as receiver,
        CLI.emulator(
            "--messages",
            "5",
            "--rate",
            "0",
            "--speed",
            "20",
            "--smsc-webhook",
            f"http://{listen}/smsc/main?md5=hook-secret-1",
        ) as (url, _),
        hanging,
    ):
        live = f"json://127.0.0.1:{receiver.port}/hooks/smstui"
        dead = f"json://ops:{SECRET}@127.0.0.1:{closed_port()}/hooks"
        stuck = f"json://127.0.0.1:{hanging.getsockname()[1]}/hooks"
        config = write_config(tmp_path, url, listen, [live, dead, stuck])
        poll = CLI.start("poll", "--config", str(config))
        try:
            read_until(poll, "requests")  # the first cycle is done
            send(url, REFUSED, sender="NotRegistered")  # SMSC refuses each: status 23
            receiver.wait_for("smstui: main: failure spike")
            send(url, MOBILES)  # a healthy batch brings the rate back under the rule
            receiver.wait_for("smstui: main: failure spike: resolved")

            call(url, "/_emulator/faults", "POST", spec="http500=1.0")
            receiver.wait_for("smstui: main: gateway down")
            call(url, "/_emulator/faults", "POST", spec="")
            receiver.wait_for("smstui: main: gateway down: resolved")
            read_until(poll, "requests")  # the poller goes on cycling

            # The poller's figures: every message the gateway has is in the cache, each final
            # one final there too, as if no notifier had failed.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                truth = {r["phone"]: r["final"] for r in call(url, "/_emulator/truth")
                         if r["provider"] == "smsc"}  # type: ignore[attr-defined]  # fmt: skip
                states = cached_states(config)
                finals = {p for p, s in states.items() if DeliveryState(s).is_final}
                if set(states) == set(truth) and finals == {p for p, f in truth.items() if f}:
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"the cache never caught up: {states}")
            assert {states[p] for p in REFUSED} == {"rejected"}
        finally:
            poll.terminate()
            stopped = poll.wait(timeout=30)
            stderr = poll.stderr.read() if poll.stderr else ""
            print(stderr)  # shown when the test fails
    assert stopped == 0

    assert receiver.titles() == [
        "smstui: main: failure spike",
        "smstui: main: failure spike: resolved",
        "smstui: main: gateway down",
        "smstui: main: gateway down: resolved",
    ]
    spike = receiver.bodies[0]
    assert spike["type"] == "failure" and "20 of" in spike["message"]
    assert receiver.bodies[1]["type"] == "success"
    assert SECRET not in stderr and "Traceback" not in stderr
    assert "json://ops:****@127.0.0.1" in stderr and "failed" in stderr
