"""`smstui serve` in a real browser: headless Chromium loads the page while `smstui poll` writes
the cache, and the browser's terminal holds the history pane; a click reaches the app; Ctrl-C
ends every session and exits 130. Without a browser: the bind rules (loopback unless --public),
the guard against other sites driving the dashboard, and the page behind a reverse proxy.

What is asserted of the browser, truthfully: textual-serve's page draws with xterm.js on a
canvas (WebGL or 2D), so the DOM holds no row text and no OCR is at hand. A script installed
before the page's own catches the page's xterm Terminal as it is made; the test reads its
screen buffer (the rows the renderer draws) over the DevTools protocol. The PNG screenshot
is saved beside the test's files for a human to look at; it is checked to be a PNG only.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cli_run import Cli, read_line

pytestmark = pytest.mark.slow

CLI = Cli(SMSTUI_TEST_PW="demo")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WAIT_S = 30  # how long a step may take on a slow machine before the test gives up

# textual.js assigns `this.terminal = new Terminal(...)`: a setter on Object.prototype sees it,
# keeps it on window, and puts a plain property back so the page never notices.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal",
      {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.buffer.active) { window.__smstuiTerminal = value; }
  },
});
"""
SCREEN_ROWS = """(() => {
  const term = window.__smstuiTerminal;
  if (!term) { return null; }
  const buffer = term.buffer.active, rows = [];
  for (let i = 0; i < term.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows;
})()"""


def write_config(tmp_path: Path, url: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{url}"\n'
        f'login = "demo"\npassword_env = "SMSTUI_TEST_PW"\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\n[poll]\nflush_interval_s = 0.5\n',
        encoding="utf-8",
    )
    return str(path)


def served_url(line: str) -> str:
    """The page's address from `smstui serve`'s first stdout line."""
    found = re.search(r"http://\S+/", line)
    assert found, line
    return found.group(0)


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (Linux /proc): the sessions' shells and dashboards."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Tab:
    """One Chromium tab, driven over the DevTools protocol (JSON messages on a WebSocket)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: str) -> None:
        self.ws, self.session, self.last_id = ws, session, 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One command's result (the events that arrive meanwhile are not needed here)."""
        self.last_id += 1
        await self.ws.send_json(
            {"id": self.last_id, "method": method, "params": params, "sessionId": self.session}
        )
        while True:
            reply = await self.ws.receive_json()
            if reply.get("id") == self.last_id:
                assert "error" not in reply, reply
                result: dict[str, Any] = reply["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression: str, done: Any) -> Any:
        """The expression's value once `done(value)` holds (WAIT_S at most)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            value = await self.evaluate(expression)
            if done(value) or time.monotonic() > deadline:
                return value
            await asyncio.sleep(0.2)


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Tab]:
    """Headless Chromium with a throw-away profile, no network of its own: its first tab."""
    assert CHROMIUM is not None
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "--window-size=1280,800", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"  # port, then the browser's path, once it listens
        deadline = time.monotonic() + WAIT_S
        while len(lines := (active.read_text() if active.exists() else "").split()) < 2:
            assert browser.poll() is None and time.monotonic() < deadline, "Chromium never listened"
            await asyncio.sleep(0.1)
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"ws://127.0.0.1:{lines[0]}{lines[1]}", max_msg_size=0) as ws,
        ):
            targets = await _browser_call(ws, "Target.getTargets")
            page = next(t for t in targets["targetInfos"] if t["type"] == "page")
            attached = await _browser_call(
                ws, "Target.attachToTarget", targetId=page["targetId"], flatten=True
            )
            yield Tab(ws, attached["sessionId"])
    finally:
        browser.terminate()
        browser.wait(timeout=WAIT_S)


async def _browser_call(ws: aiohttp.ClientWebSocketResponse, method: str, **params: Any) -> Any:
    """A browser-level command (no tab session yet): its result."""
    await ws.send_json({"id": 0, "method": method, "params": params})
    while True:
        reply = await ws.receive_json()
        if reply.get("id") == 0:
            return reply["result"]


@pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)
async def test_a_browser_shows_the_history_pane_and_ctrl_c_ends_every_session(tmp_path):
    with CLI.emulator("--messages", "60", "--rate", "0") as (url, _emulator):
        config = write_config(tmp_path, url)
        poll = CLI.start("poll", "--config", config)
        serve = None
        try:
            assert "changes applied" in read_line(poll)  # the first cycle is in the cache
            listed = CLI.run("history", "--cached", "--json", "--config", config)
            assert listed.returncode == 0, listed.stderr
            cached = json.loads(listed.stdout)
            serve = CLI.start("serve", "--port", "0", "--config", config)
            first = read_line(serve)
            assert "loopback" in first
            assert f"smstui poll (pid {poll.pid}) writes it" in read_line(serve)

            async with chromium(tmp_path / "profile") as tab:
                await tab.call("Page.enable")
                await tab.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
                await tab.call("Page.navigate", url=served_url(first))
                title = f"History · {len(cached)} rows"
                rows = await tab.wait_for(SCREEN_ROWS, lambda r: bool(r) and title in "".join(r))
                assert rows and title in "".join(rows), rows
                screen = "\n".join(rows)
                # The pane's header and its newest rows, newest first, as the cache lists them.
                assert re.search(r"time\s+account\s+phone\s+state", screen), screen
                newest = [m["phone"] for m in cached[:5]]
                where = [next(i for i, r in enumerate(rows) if p in r) for p in newest]
                assert where == sorted(where), screen
                assert await tab.evaluate("document.body.classList.contains('-first-byte')")
                # A click reaches the app through the page (it was never focused, headless):
                # the footer's keys appear, help and quit first.
                for kind in ("mousePressed", "mouseReleased"):
                    await tab.call("Input.dispatchMouseEvent", type=kind, x=300, y=300,
                                   button="left", clickCount=1)  # fmt: skip
                rows = await tab.wait_for(SCREEN_ROWS, lambda r: bool(r) and "? Help" in r[-1])
                assert re.match(r"\s*\? Help\s+q Quit", rows[-1]), rows[-1]
                shot = await tab.call("Page.captureScreenshot", format="png")
                png = base64.b64decode(shot["data"])
                assert png.startswith(b"\x89PNG\r\n\x1a\n")
                (tmp_path / "serve.png").write_bytes(png)

                sessions = descendants(serve.pid)
                assert sessions  # the tab's dashboard runs below serve
                serve.send_signal(signal.SIGINT)
                assert serve.wait(timeout=WAIT_S) == 130
                ended = "document.body.classList.contains('-closed')"  # "Session ended."
                assert await tab.wait_for(ended, bool)
            assert not [pid for pid in sessions if alive(pid)]
            assert "Traceback" not in serve.stderr.read() + serve.stdout.read()
        finally:
            for proc in (serve, poll):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=WAIT_S)


async def test_loopback_by_default_and_other_sites_are_refused(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")  # serve itself never calls a gateway
    serve = CLI.start("serve", "--port", "0", "--config", config)
    try:
        url = served_url(read_line(serve))
        host = url.split("/")[2]
        assert host.startswith("127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as page:
                assert page.status == 200
                assert f'data-session-websocket-url="ws://{host}/ws"' in await page.text()
            # DNS rebinding: a site's name pointed at 127.0.0.1 arrives with its own Host.
            async with http.get(url, headers={"Host": "evil.example"}) as rebound:
                assert rebound.status == 403
            # A page of another site opening the session (a WebSocket has no CORS).
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(url + "ws", headers={"Origin": "http://evil.example"})
            assert refused.value.status == 403
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=WAIT_S) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


async def test_behind_a_reverse_proxy_the_page_names_its_address(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    proxy = "https://ops.example.com"
    serve = CLI.start("serve", "--port", "0", "--url", proxy, "--config", config)
    try:
        url = served_url(read_line(serve))
        async with aiohttp.ClientSession() as http:
            async with http.get(url, headers={"Host": "ops.example.com"}) as page:
                assert page.status == 200
                text = await page.text()
                assert 'data-session-websocket-url="wss://ops.example.com/ws"' in text
                assert f'src="{proxy}/static/js/textual.js"' in text
            async with http.ws_connect(url + "ws", headers={"Origin": proxy}) as session:
                assert not session.closed  # the proxy's own page may open a session
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=WAIT_S) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


async def test_any_other_address_needs_public_and_is_warned_about(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    refused = CLI.run("serve", "--host", "0.0.0.0", "--port", "0", "--config", config)
    assert refused.returncode == 2
    assert "--public" in refused.stderr and "Traceback" not in refused.stderr
    assert refused.stdout == ""
    bad_port = CLI.run("serve", "--port", "70000", "--config", config)
    assert bad_port.returncode == 2 and "not a port number" in bad_port.stderr

    serve = CLI.start("serve", "--host", "0.0.0.0", "--port", "0", "--public", "--config", config)
    try:
        line = read_line(serve)
        assert "public" in line and served_url(line).startswith("http://0.0.0.0:")
        here = served_url(line).replace("0.0.0.0", "127.0.0.1")
        async with aiohttp.ClientSession() as http:
            async with http.get(here) as page:  # an address: any browser on the network
                assert page.status == 200
            async with http.get(here, headers={"Host": "evil.example"}) as rebound:
                assert rebound.status == 403  # a name this machine does not go by
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=WAIT_S) == 130
        warning = serve.stderr.read()
        assert "warning" in warning and "without a password" in warning
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
