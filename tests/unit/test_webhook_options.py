"""Receiver options: validation, listen parsing, building from config, run_receiver lifecycle."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from smstui.config import parse_config
from smstui.errors import ConfigError
from smstui.model import Provider
from smstui.secrets import Secret
from smstui.webhook.counters import fresh_counters, health_line
from smstui.webhook.options import ReceiverOptions, options_from_config, parse_listen
from smstui.webhook.server import WebhookReceiver, run_receiver
from smstui.webhook.sink import MemorySink


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("8080", "host:", ":80", "h:99999", "h:x"):
        with pytest.raises(ConfigError, match="HOST:PORT"):
            parse_listen(bad)


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="smsc_algorithms"):
        ReceiverOptions(smsc_algorithms=("sha256",))
    with pytest.raises(ConfigError, match="positive"):
        ReceiverOptions(max_body=0)
    with pytest.raises(ConfigError, match="segment"):
        ReceiverOptions(path_secret=Secret("a/b"))


def test_options_from_config_and_default_accounts() -> None:
    config = parse_config(
        {
            "accounts": [
                {"name": "main", "provider": "smsc", "login": "l", "password": "p"},
                {"name": "wc", "provider": "webcom", "token": "t"},
            ],
            "webhook": {"listen": "0.0.0.0:8088", "smsc_secret": "sek", "path_secret": "seg"},
        }
    )
    opts = options_from_config(config)
    assert (opts.host, opts.port) == ("0.0.0.0", 8088)
    assert opts.smsc_secret == Secret("sek") and opts.path_secret == Secret("seg")
    assert opts.default_account(Provider.SMSC) == "main"
    assert opts.default_account(Provider.WEBCOM) == "wc"
    override = options_from_config(config, "127.0.0.1:0", body_timeout_s=1.0)
    assert override.port == 0 and override.body_timeout_s == 1.0
    assert "sek" not in repr(opts)


def test_health_line() -> None:
    counters = fresh_counters()
    assert health_line(counters) == "webhook 0 ok"
    counters.update(accepted=1204, duplicates=3, rejected_403=2, too_large_413=1)
    assert health_line(counters) == "webhook 1,204 ok · 3 dup · 2 forged · 1 too big"


async def test_url_before_start_is_an_error() -> None:
    receiver = WebhookReceiver(ReceiverOptions(), sink=MemorySink())
    with pytest.raises(RuntimeError, match="not running"):
        _ = receiver.url


async def test_run_receiver_serves_until_cancelled() -> None:
    started: asyncio.Future[WebhookReceiver] = asyncio.get_running_loop().create_future()
    opts = ReceiverOptions(accounts={"wc": Provider.WEBCOM})
    task = asyncio.create_task(run_receiver(opts, MemorySink(), ready=started.set_result))
    receiver = await asyncio.wait_for(started, 5)
    url = receiver.url
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{url}/webcom", json=[{"id_sms": 1, "time": "", "state": "send"}]
        )
        assert response.json() == [{"id_sms": 1}]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(httpx.ConnectError):
            await http.post(f"{url}/webcom", json=[])


def webhook_config(**webhook: object):
    account = {"name": "main", "provider": "smsc", "login": "l", "password": "p"}
    return parse_config({"accounts": [account], "webhook": webhook})


def test_hash_kinds_default_to_md5_and_sha1_and_crc32_only_when_listed() -> None:
    assert options_from_config(webhook_config()).smsc_algorithms == ("md5", "sha1")
    assert ReceiverOptions().smsc_algorithms == ("md5", "sha1")
    listed = webhook_config(smsc_hashes=["MD5", "crc32", "md5"])
    assert listed.webhook.smsc_hashes == ("md5", "crc32")
    assert options_from_config(listed).smsc_algorithms == ("md5", "crc32")
    assert webhook_config(smsc_hashes="crc32").webhook.smsc_hashes == ("crc32",)


@pytest.mark.parametrize("value", [[], ["sha256"], [1], "nope", {"md5": True}, ["md5", ""]])
def test_bad_hash_kinds_name_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"webhook\.smsc_hashes"):
        webhook_config(smsc_hashes=value)


def test_deadlines_and_future_tolerance_come_from_the_config() -> None:
    config = webhook_config(header_timeout_s=2, body_timeout_s=3.5, max_future_s=0)
    opts = options_from_config(config)
    assert (opts.header_timeout_s, opts.body_timeout_s, opts.max_future_s) == (2.0, 3.5, 0.0)
    defaults = options_from_config(webhook_config())
    assert (defaults.header_timeout_s, defaults.body_timeout_s) == (10.0, 10.0)
    assert defaults.max_future_s == 300.0


@pytest.mark.parametrize(
    ("key", "value"),
    [("header_timeout_s", 0), ("header_timeout_s", 1e9), ("body_timeout_s", -1),
     ("body_timeout_s", "10"), ("max_future_s", -5), ("max_future_s", float("nan")),
     ("header_timeout_s", True)],
)  # fmt: skip
def test_out_of_range_seconds_are_config_errors(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"webhook\.{key}"):
        webhook_config(**{key: value})


def test_bad_deadline_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="header_timeout_s"):
        ReceiverOptions(header_timeout_s=0)
    with pytest.raises(ConfigError, match="max_future_s"):
        ReceiverOptions(max_future_s=-1)
