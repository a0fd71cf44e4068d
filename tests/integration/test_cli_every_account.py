"""`balance` and network `history` ask every configured account unless --account narrows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_run import run_in_process

SECRET = "Every-Acc0unt-Secret"
MONEY = r"\d{1,3}(?: \d{3})*\.\d\d"  # 49 721.30


def write_config(path: Path, base_url: str, *, wc_password: str = SECRET) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[cache]\ndir = "{path.parent / "cache"}"\n'
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{base_url}"\n'
        f'login = "demo"\npassword = "{SECRET}"\n'
        f'[[accounts]]\nname = "wc"\nprovider = "webcom"\nbase_url = "{base_url}"\n'
        f'login = "demo"\npassword = "{wc_password}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


@pytest.fixture
async def emu(make_emulator):
    async with make_emulator(seed=2, messages=80, rate=0, accounts=(f"demo:{SECRET}",)) as e:
        yield e


@pytest.fixture
def cli(capsys):
    async def run(*argv: str) -> tuple[int, str, str]:
        return await run_in_process(capsys, *argv, hidden=(SECRET, "wrong-Pass"))

    return run


async def test_balance_lists_every_account_with_money_grouped(cli, emu, tmp_path):
    code, out, err = await cli("balance", "--config", write_config(tmp_path / "c.toml",
                                                                   emu.base_url))  # fmt: skip
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["ACCOUNT", "BALANCE", "CURRENCY", "CREDIT"]
    assert re.match(rf"main +{MONEY} +RUR", lines[1]), lines  # display.money's format
    assert re.match(rf"wc +{MONEY} ", lines[2]), lines
    assert "ACCOUNT  DIRECTION" in out  # Webcom's SMS left per direction, named by account


async def test_account_narrows_to_one(cli, emu, tmp_path):
    config = write_config(tmp_path / "c.toml", emu.base_url)
    code, out, _ = await cli("balance", "--config", config, "--account", "main", "--json")
    assert code == 0 and [b["account"] for b in json.loads(out)] == ["main"]


async def test_one_account_failing_still_shows_the_others(cli, emu, tmp_path):
    config = write_config(tmp_path / "t" / "c.toml", emu.base_url, wc_password="wrong-Pass")
    code, out, err = await cli("balance", "--config", config)
    assert code == 1  # the failure's own exit code
    assert re.search(rf"main +{MONEY} +RUR", out) and re.search(r"wc +— +failed \(see below\)", out)
    assert err.startswith("smstui: wc: webcom error") and len(err.splitlines()) == 1
    config = write_config(tmp_path / "j" / "c.toml", emu.base_url, wc_password="wrong-Pass")
    code, out, err = await cli("balance", "--config", config, "--json")
    main_row, wc_row = json.loads(out)
    assert code == 1 and re.fullmatch(r"\d+\.\d\d", main_row["amount"])
    assert wc_row["account"] == "wc" and wc_row["error"]["provider"] == "webcom"
    assert wc_row["error"]["class"] == "configuration"


async def test_history_phone_searches_every_account_with_a_history(cli, emu, tmp_path):
    row = next(r for r in emu.truth() if r["provider"] == "smsc" and r["login"] == "demo")
    phone = row["phone"]
    typed = f"+{phone[0]} {phone[1:4]} {phone[4:7]}-{phone[7:9]}-{phone[9:]}"
    config = write_config(tmp_path / "c.toml", emu.base_url)
    code, out, err = await cli("history", "--phone", typed, "--json", "--config", config)
    rows = json.loads(out)
    assert code == 0 and rows and {r["phone"] for r in rows} == {phone}
    assert {r["account"] for r in rows} == {"main"}
    assert "smstui: wc: not searched (webcom keeps no history" in err
