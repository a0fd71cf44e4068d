"""`smstui poll --metrics`: scraped during an emulated campaign (real poll, real emulator) and
parsed as Prometheus parses it; limit errors by endpoint from a real error 9; bad addresses."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cli_run import Cli
from smstui.gateways.base import make_gateway
from smstui.metrics import Events, render, take
from smstui.webhook.signature import smsc_hash

pytestmark = pytest.mark.slow

PASSWORD = "demo"  # the emulator's login; the label check below uses the hook secret
SECRET = "metrics-hook-secret"
CLI = Cli(SMSTUI_TEST_PW=PASSWORD, SMSTUI_TEST_HOOK=SECRET)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    accounts = "".join(
        f'[[accounts]]\nname = "{name}"\nprovider = "{provider}"\nbase_url = "{url}"\n'
        f'login = "demo"\npassword_env = "SMSTUI_TEST_PW"\n'
        for name, provider in (("main", "smsc"), ("wc", "webcom"))
    )
    path.write_text(
        f'{accounts}[cache]\ndir = "{tmp_path / "cache"}"\n'
        "[poll]\nflush_interval_s = 0.5\nstatus_interval_s = 2\n"
        '[webhook]\nsmsc_secret_env = "SMSTUI_TEST_HOOK"\n',
        encoding="utf-8",
    )
    return path


def announced(daemon: subprocess.Popen[str], *markers: str) -> dict[str, str]:
    """The URLs `smstui poll` prints on stderr after each marker."""
    assert daemon.stderr is not None
    found: dict[str, str] = {}
    while len(found) < len(markers):
        line = daemon.stderr.readline()
        assert line, f"poll ended early ({daemon.poll()}); found {found}"
        for marker in markers:
            if marker in line:
                found[marker] = line.strip().rsplit(" ", 1)[-1]
    return found


def scrape(url: str) -> tuple[str, Samples]:
    reply = httpx.get(url, timeout=10)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }
    return reply.text, samples


def state_counts(samples: Samples) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for (name, labels), v in samples.items():
        if name == "smstui_messages" and v:
            tags = dict(labels)
            out[(tags["account"], tags["state"])] = int(v)
    return out


def history_counts(config: Path) -> Counter[tuple[str, str]]:
    done = CLI.run("history", "--cached", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    return Counter((row["account"], row["state"]) for row in json.loads(done.stdout))


def smsc_push(url: str, mid: str, md5: str) -> int:
    fields = {"id": mid, "phone": "79161112233", "status": "1", "err": "0",
              "time": datetime.now().strftime("%d.%m.%Y %H:%M:%S"), "ts": str(int(time.time())),
              "cnt": "1", "type": "0", "sender": "MyShop", "charset": "utf-8",
              "md5": md5}  # fmt: skip
    return httpx.post(f"{url}/smsc", content=urlencode(fields).encode(), headers=FORM).status_code


def test_a_scrape_during_a_campaign_counts_what_history_cached_counts(tmp_path):
    with CLI.emulator("--messages", "300", "--rate", "120", "--speed", "30") as (url, _):
        config = write_config(tmp_path, url)
        daemon = CLI.start("poll", "--config", str(config), "--listen", "127.0.0.1:0",
                           "--metrics", "127.0.0.1:0")  # fmt: skip
        try:
            urls = announced(daemon, "webhook receiver on", "metrics on")
            hook, metrics = urls["webhook receiver on"], urls["metrics on"]
            assert metrics.startswith("http://127.0.0.1:") and metrics.endswith("/metrics")
            for _ in range(300):  # until the first history page is in the cache
                if sum(state_counts(scrape(metrics)[1]).values()):
                    break
                time.sleep(0.1)
            # The webhook's figures: one push taken, one forged push turned away.
            assert smsc_push(hook, "424242", smsc_hash("md5", ["424242", "79161112233", "1"],
                                                       SECRET)) == 200  # fmt: skip
            assert smsc_push(hook, "424243", "0" * 32) == 403

            # Statuses keep arriving: compare history with a scrape taken before and after it
            # that agree (nothing changed in between), as often as it takes.
            for _ in range(40):
                before = state_counts(scrape(metrics)[1])
                history = history_counts(config)
                text, samples = scrape(metrics)
                if state_counts(samples) == before:
                    break
            else:
                pytest.fail("the cache never held still for one history read")
            assert history == before and sum(history.values()) > 300
            assert SECRET not in text

            def v(name: str, **labels: str) -> float | None:
                return samples.get((name, frozenset(labels.items())))

            assert v("smstui_webhook_received_total") == 1
            assert v("smstui_webhook_rejected_total", reason="forbidden") == 1
            assert v("smstui_webhook_rejected_total", reason="too_large") == 0
            assert (v("smstui_requests_total", account="main", endpoint="smsc.history") or 0) >= 1
            assert (v("smstui_requests_total", account="wc", endpoint="webcom.balance") or 0) >= 1
            assert (v("smstui_spend", account="main", currency="RUR") or 0) > 0
            assert v("smstui_gateway_down", account="main") == 0
            for window in ("5m", "15m"):
                ratio = v("smstui_delivery_ratio", account="main", window=window)
                assert ratio is None or 0 <= ratio <= 1
            assert v("smstui_limit_errors_total", account="main", endpoint="smsc.status_mass") == 0
            assert (v("smstui_cache_checkpoint_duration_seconds_count") or 0) >= 1
            assert v("smstui_cache_checkpoint_failures_total") == 0
            types = {f.name: f.type for f in text_string_to_metric_families(text)}
            assert types["smstui_requests"] == "counter" and types["smstui_spend"] == "gauge"
            assert types["smstui_status_lag_seconds"] == "histogram"
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
        err = daemon.stderr.read() if daemon.stderr else ""
        assert code == 0 and "Traceback" not in err, err


async def test_an_error_9_counts_against_its_endpoint(make_engine):
    async with make_engine(messages=6) as (engine, emu):
        events = Events()
        events.watch(engine)
        try:
            poller = engine.pollers["main"]
            keys = [("main", "1", "79990000001"), ("main", "2", "79990000002")]
            # Another program on the same login spends the minute's one mass status request.
            other = make_gateway(poller.account, clock=emu.clock, retries=0)
            try:
                await other.statuses([(k[1], k[2]) for k in keys])
            finally:
                await other.aclose()
            (report,) = await engine.refresh_statuses(keys)
            assert report.refused  # the gateway said error 9
            text = render(take(engine), events).decode()
        finally:
            events.unwatch()
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    errors = {dict(labels)["endpoint"]: v for (name, labels), v in samples.items()
              if name == "smstui_limit_errors_total"}  # fmt: skip
    assert errors["smsc.status_mass"] == 1
    assert sum(errors.values()) == 1 == engine.health().accounts[0].limit_errors


def test_a_taken_metrics_port_is_one_line_and_exit_2(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = CLI.run("poll", "--config", str(config), "--metrics", f"127.0.0.1:{port}")
    assert done.returncode == 2, done.stderr
    assert f"cannot serve metrics on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_metrics_with_once_is_refused(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9")
    done = CLI.run("poll", "--once", "--metrics", "0", "--config", str(config))
    assert done.returncode == 2 and "--metrics needs a running poller" in done.stderr
