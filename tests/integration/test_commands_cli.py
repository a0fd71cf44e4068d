"""The headless commands end to end: `smstui.cli.main([...])` against the real emulator."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import socket
from pathlib import Path

import pytest

from smstui.cli import main

SECRET = "Sup3r-Secret-99"


def write_config(path: Path, base_url: str, *, password: str = SECRET) -> Path:
    """A config whose cache (and so request budget) lives in a `cache` folder beside it."""
    path.write_text(
        f"""
[cache]
dir = "{path.parent / "cache"}"

[[accounts]]
name = "smsc"
provider = "smsc"
base_url = "{base_url}"
login = "demo"
password = "{password}"
timeout = 3

[[accounts]]
name = "wc"
provider = "webcom"
base_url = "{base_url}"
login = "demo"
password = "{password}"
timeout = 3
""",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


@pytest.fixture
async def emu(make_emulator):
    async with make_emulator(seed=1, messages=60, accounts=(f"demo:{SECRET}",)) as emulator:
        yield emulator


@pytest.fixture
def cli(capsys, caplog):
    """Run smstui in a worker thread (it calls asyncio.run) → (exit code, stdout, stderr)."""
    caplog.set_level(logging.DEBUG)

    async def run(*argv: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, list(argv))
        out, err = capsys.readouterr()
        # Nothing a command prints or logs may carry the password, whatever happened.
        assert SECRET not in out and SECRET not in err and SECRET not in caplog.text
        assert "Traceback" not in err
        return code, out, err

    return run


@pytest.fixture
def config(tmp_path, emu) -> str:
    return str(write_config(tmp_path / "config.toml", emu.base_url))


def smsc_rows(emu) -> list[dict]:
    return [r for r in emu.truth() if r["provider"] == "smsc" and r["login"] == "demo"]


async def test_balance_json_and_table(cli, config, tmp_path, emu):
    code, out, _ = await cli("balance", "--config", config, "--json")
    smsc, wc = json.loads(out)  # every account, in config order
    assert code == 0 and smsc["account"] == "smsc" and smsc["currency"] == "RUR"
    assert float(smsc["amount"]) > 0 and wc["account"] == "wc" and float(wc["amount"]) > 0
    # A second SMSC balance within 10 s is refused by the shared budget (test_budget_processes):
    # the table form is asked through a config with a budget of its own.
    (tmp_path / "table").mkdir()
    table = str(write_config(tmp_path / "table" / "config.toml", emu.base_url))
    code, out, _ = await cli("balance", "--config", table)
    assert code == 0 and out.splitlines()[0].split() == ["ACCOUNT", "BALANCE", "CURRENCY", "CREDIT"]
    code, out, _ = await cli("balance", "--config", config, "--account", "wc")
    assert code == 0 and "DIRECTION" in out


async def test_wrong_password_exits_1_with_one_line(cli, tmp_path, emu):
    bad = write_config(tmp_path / "bad.toml", emu.base_url, password="wrong-pass")
    code, out, err = await cli("-v", "balance", "--account", "smsc", "--config", str(bad))
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1].startswith("smstui: smsc error 2: Wrong login")
    assert "wrong-pass" not in err


async def test_closed_port_exits_3(cli, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = write_config(tmp_path / "closed.toml", f"http://127.0.0.1:{port}")
    code, _, err = await cli("balance", "--account", "smsc", "--config", str(closed))
    assert code == 3 and err.startswith("smstui: network error")


async def test_usage_errors_exit_2(cli, tmp_path, config):
    code, _, err = await cli("balance", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "file not found" in err
    code, _, err = await cli("balance", "--config", config, "--account", "nope")
    assert code == 2 and "no account named 'nope'" in err
    code, _, err = await cli("history", "--config", config, "--account", "wc")
    assert code == 2 and "no history endpoint" in err


async def test_status_with_and_without_phone(cli, config, emu):
    row = smsc_rows(emu)[0]
    code, out, _ = await cli(
        "status", str(row["id"]), "--phone", row["phone"], "--config", config, "--json"
    )
    [message] = json.loads(out)
    assert code == 0 and message["raw_status"] == str(row["status"]) and message["text"]
    # Not in the cache and no phone: SMSC cannot find it by id alone. Nothing is asked (history
    # is the poller's discovery budget, not a search engine for one id).
    code, out, err = await cli("status", str(row["id"]), "--config", config)
    assert code == 2 and "not in the cache" in err and "give --phone" in err
    code, out, err = await cli("status", "424242", "--phone", "79990000000", "--config", config)
    assert code == 1 and "not found" in err
    assert "smsc.history" not in emu.stats()["requests"]


async def test_a_cached_message_is_found_without_phone_or_history(cli, config, emu):
    """status and resend of a message the cache knows: its phone (and text) from the cache."""
    code, out, _ = await cli("send", "79161234567", "hello", "--yes", "--json", "--config", config)
    sent = json.loads(out)["message_id"]
    before = dict(emu.stats()["requests"])
    code, out, _ = await cli("status", sent, "--config", config, "--json")
    [message] = json.loads(out)
    assert code == 0 and message["phone"] == "79161234567" and message["text"] == "hello"
    after_status = dict(emu.stats()["requests"])
    assert after_status.get("smsc.status", 0) == before.get("smsc.status", 0) + 1
    code, out, _ = await cli("resend", sent, "--yes", "--json", "--config", config, "--force")
    assert code == 0 and json.loads(out)["original"]["text"] == "hello"
    requests = emu.stats()["requests"]
    assert "smsc.history" not in requests  # neither looked the id up in history
    assert requests["smsc.status"] == after_status["smsc.status"]  # the cache knew the text
    assert requests["smsc.send"] == after_status["smsc.send"] + 1


async def test_history_json_csv_and_state_filter(cli, config, tmp_path, emu):
    code, out, _ = await cli("history", "--limit", "5", "--config", config, "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5
    assert [r["sent_at"] for r in rows] == sorted((r["sent_at"] for r in rows), reverse=True)
    code, out, _ = await cli("history", "--limit", "5", "--config", config, "--csv")
    table = list(csv.reader(io.StringIO(out)))
    assert code == 0 and table[0][:3] == ["time", "account", "provider"] and len(table) == 6
    # Two history pages a minute is the shared budget's burst: the third asks on its own budget.
    (tmp_path / "third").mkdir()
    third = str(write_config(tmp_path / "third" / "config.toml", emu.base_url))
    code, out, _ = await cli(
        "history", "--state", "delivered", "--limit", "3", "--config", third, "--json"
    )
    assert code == 0 and {r["state"] for r in json.loads(out)} == {"delivered"}


async def test_lookup_and_hlr_needs_yes(cli, config, emu):
    code, out, _ = await cli("lookup", "79161234567", "--config", config, "--json")
    assert code == 0 and json.loads(out)["mcc"] == "250"
    before = emu.stats()["requests"].get("smsc.send", 0)
    code, _, err = await cli("lookup", "79161234567", "--hlr", "--config", config)
    assert code == 2 and "--yes" in err
    assert emu.stats()["requests"].get("smsc.send", 0) == before


async def test_send_needs_yes_and_prints_the_new_id(cli, config, emu):
    code, _, err = await cli("send", "79161234567", "hello", "--config", config)
    assert code == 2 and "--yes" in err and "smsc.send" not in emu.stats()["requests"]
    code, out, _ = await cli(
        "send", "79161234567", "hello", "--sender", "Promo", "--yes", "--config", config
    )
    assert code == 0 and out.startswith("sent ") and "79161234567" in out
    code, _, err = await cli(
        "send", "79161234567", "привет", "--yes", "--account", "wc", "--config", config
    )
    assert code == 1 and err.startswith("smstui: webcom error 10: Sender missing")  # M10
    code, out, _ = await cli(
        "send",
        "79161234567",
        "привет",
        "--yes",
        "--json",
        "--sender",
        "Promo",
        "--account",
        "wc",
        "--config",
        config,
    )
    assert code == 0 and json.loads(out)["message_id"].isdigit()


async def test_resend_same_text_same_phone_new_id(cli, config, emu):
    # A delivered message: the policy lets it go (a permanent failure would need --force).
    row = next(r for r in smsc_rows(emu) if r["status"] == 1)
    code, _, err = await cli("resend", str(row["id"]), "--phone", row["phone"], "--config", config)
    assert code == 2 and "--yes" in err
    code, out, _ = await cli(
        "resend", str(row["id"]), "--phone", row["phone"], "--yes", "--json", "--config", config
    )
    result = json.loads(out)
    assert code == 0 and result["sent"]["message_id"] != str(row["id"])
    assert result["sent"]["phone"] == row["phone"]
    code, out, _ = await cli(
        "status",
        result["sent"]["message_id"],
        "--phone",
        row["phone"],
        "--json",
        "--config",
        config,
    )
    assert code == 0 and json.loads(out)[0]["text"] == result["original"]["text"]


async def test_webcom_status_via_cli(cli, config, emu):
    row = next(r for r in emu.truth() if r["provider"] == "webcom" and r["login"] == "demo")
    code, out, _ = await cli(
        "status", str(row["id"]), "--account", "wc", "--config", config, "--json"
    )
    assert code == 0 and json.loads(out)[0]["raw_status"] == row["status"]
    code, _, err = await cli("status", "abc", "--account", "wc", "--config", config)
    assert code == 2 and "numbers" in err


@pytest.mark.parametrize(("fault", "code", "start"), [
    ("reset", 3, "smstui: network error: smsc: network error"),
    ("html", 1, "smstui: gateway error: smsc: HTML/XML page instead of JSON"),
    ("truncated", None, "smstui: "),
])  # fmt: skip
async def test_faults_map_to_exit_codes_without_tracebacks(cli, make_emulator, tmp_path, fault,
                                                           code, start):  # fmt: skip
    async with make_emulator(seed=1, messages=5, faults=f"{fault}=1.0",
                             accounts=(f"demo:{SECRET}",)) as emu:  # fmt: skip
        config = write_config(tmp_path / "f.toml", emu.base_url)
        got, out, err = await cli("balance", "--account", "smsc", "--config", str(config))
    assert out == "" and err.startswith(start) and len(err.strip().splitlines()) == 1
    assert got == code if code is not None else got in (1, 3)
