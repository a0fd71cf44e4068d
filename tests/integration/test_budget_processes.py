"""One budget for the machine, end to end: real smstui processes on one cache, the real emulator.

Each test would fail on a per-process budget: a second `poll --once` earns error 9, a sixth
wrong password earns error 4, and two processes each spend a whole row.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from cli_run import Cli
from smstui.budget import SMSC_LIMITS, Budget, budget_path
from smstui.clock import SystemClock

pytestmark = pytest.mark.slow

CLI = Cli()
ENV = CLI.env
RIGHT = "Right-Pass-1"
WHEN = r"ask again in [0-9][0-9 a-z]* \(\d\d:\d\d:\d\d\)"  # relative, then local wall time


def write_config(folder: Path, url: str, password: str = RIGHT, *, webcom: bool = False) -> str:
    """SMSC account "smsc" (and Webcom "wc") with the cache, so the budget, in `cache/`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = f'[cache]\ndir = "{folder.parent / "cache"}"\n'
    text += (
        f'[[accounts]]\nname = "smsc"\nprovider = "smsc"\nbase_url = "{url}"\n'
        f'login = "demo"\npassword = "{password}"\ntimeout = 3\n'
    )
    if webcom:
        text += (
            f'[[accounts]]\nname = "wc"\nprovider = "webcom"\nbase_url = "{url}"\n'
            f'login = "demo"\npassword = "{password}"\ntimeout = 3\n'
        )
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return str(path)


smstui = CLI.run_async  # the emulator keeps serving on this loop meanwhile


# ---- the poller, restarted ---------------------------------------------------------------


@pytest.fixture
def emulator_url():
    """`smstui emulate` as its own process, on real time (speed 1): its windows are real minutes."""
    with CLI.emulator("--messages", "300") as (url, _):
        yield url


def test_ten_poll_once_runs_in_a_row_break_no_limit(emulator_url, tmp_path) -> None:
    config = write_config(tmp_path / "conf", emulator_url, "demo")
    for run in range(10):
        done = CLI.run("poll", "--once", "--config", config)
        assert done.returncode == 0, (run, done.stderr)
        assert "budget left" in done.stdout
    stats = httpx.get(f"{emulator_url}/_emulator/stats", timeout=5).json()
    assert stats["limit_errors"] == {}, stats
    assert not any(code in stats["errors"] for code in ("smsc.4", "smsc.9")), stats["errors"]
    # The runs did ask: the first one everything, the later ones what the shared budget left.
    assert stats["requests"]["smsc.balance"] >= 1 and stats["requests"]["smsc.history"] >= 1
    saved = json.loads((tmp_path / "cache" / "budget" / "smsc.json").read_text(encoding="utf-8"))
    assert {"smsc.balance", "smsc.history_any"} <= {row for row, _, _ in saved["windows"]}


# ---- failed logins -----------------------------------------------------------------------


async def test_wrong_passwords_stop_after_two_and_a_fixed_config_is_not_ip_blocked(
    make_emulator, tmp_path
) -> None:
    async with make_emulator(seed=1, messages=5, accounts=(f"demo:{RIGHT}",)) as emu:
        wrong = write_config(tmp_path / "wrong", emu.base_url, "Wrong-Pass-1")
        # Different commands, so that the balance margin (1 per 10 s) is not what stops them.
        commands = [("balance",), ("history", "--limit", "1"), ("balance",),
                    ("lookup", "79161234567"), ("balance",)]  # fmt: skip
        runs = [await smstui(*command, "--config", wrong) for command in commands]
        assert [code for code, _, _ in runs] == [1] * 5
        assert all("Wrong login" in err for _, _, err in runs[:2]), runs
        for _, out, err in runs[2:]:  # not asked: one line saying why and until when
            [line] = err.splitlines()
            assert out == "" and line.startswith("smstui: requests to account 'smsc' are paused")
            assert "(wrong login or password: 2 failed logins in a row" in line
            assert "run `smstui budget --clear-pause --account smsc`" in line
            assert "IP blocked" not in line and "delete" not in line
            assert re.search(WHEN + "$", line) and not re.search(r"\d{9,}", line)
        asked = emu.stats()["requests"]
        assert asked == {"smsc.balance": 1, "smsc.history": 1}  # the gateway saw two of five

        # The operator fixes the password. The pause holds (every process shares it) until the
        # command it names lifts it.
        fixed = write_config(tmp_path / "fixed", emu.base_url, RIGHT)
        code, _, err = await smstui("balance", "--config", fixed)
        assert code == 1 and "--clear-pause" in err
        assert emu.stats()["requests"] == asked
        code, out, err = await smstui("budget", "--clear-pause", "--config", fixed)
        assert code == 0 and "failed logins forgotten" in err and "smsc.balance" in out
        # (not the balance: its margin, 1 per 10 s, still counts the first run's request)
        code, out, err = await smstui("lookup", "79161234567", "--config", fixed, "--json")
        assert code == 0 and json.loads(out)["operator"], (out, err)
        stats = emu.stats()
    assert stats["errors"] == {"smsc.2": 2} and stats["limit_errors"] == {}  # never error 4


async def test_a_locked_webcom_account_is_asked_once_then_paused(make_emulator, tmp_path):
    async with make_emulator(seed=1, messages=5, accounts=(f"demo:{RIGHT}",),
                             webcom_blocked=("demo",)) as emu:  # fmt: skip
        config = write_config(tmp_path / "conf", emu.base_url, webcom=True)
        first = await smstui("balance", "--account", "wc", "--config", config)
        second = await smstui("balance", "--account", "wc", "--config", config)
        requests = emu.stats()["requests"]
    assert first[0] == 1 and "Account locked" in first[2]
    assert second[0] == 1 and "paused (webcom: account locked (E2)" in second[2]
    assert re.search(WHEN, second[2]) and requests["webcom.balance"] == 1


# ---- a spent budget ----------------------------------------------------------------------


async def test_a_spent_budget_exits_1_with_the_time_in_words_and_asks_nothing(
    make_emulator, tmp_path
) -> None:
    async with make_emulator(seed=1, messages=5, accounts=(f"demo:{RIGHT}",)) as emu:
        config = write_config(tmp_path / "conf", emu.base_url)
        other = Budget(SystemClock(), SMSC_LIMITS, path=budget_path(tmp_path / "cache", "smsc"))
        for _ in range(10):  # another process has asked for the balance 10 times this minute
            other.spend("balance")
        code, out, err = await smstui("balance", "--config", config)
        other.block_account(time.time() + 90, "error 4: IP blocked by the gateway")
        sent = await smstui("send", "79161234567", "hello", "--yes", "--config", config)
        requests = emu.stats()["requests"]
    assert code == 1 and out == ""
    assert re.fullmatch(
        r"smstui: the balance limit \(10 per minute\) is spent; " + WHEN + r"\n", err
    )
    assert not re.search(r"\d{9,}", err)  # never a raw epoch
    assert sent[0] == 1 and "paused (error 4: IP blocked by the gateway); ask again in" in sent[2]
    assert "smsc.balance" not in requests and "smsc.send" not in requests


async def test_history_stops_paging_when_the_budget_does_and_keeps_what_it_has(
    make_emulator, tmp_path
) -> None:
    async with make_emulator(seed=1, messages=2100, accounts=(f"demo:{RIGHT}",)) as emu:
        config = write_config(tmp_path / "conf", emu.base_url)
        code, out, err = await smstui("history", "--limit", "2100", "--json", "--config", config)
        requests = emu.stats()["requests"]
    assert code == 0 and len(json.loads(out)) == 2000  # two pages: the burst margin's two
    assert requests["smsc.history"] == 2
    assert re.fullmatch(
        r"smstui: stopped after 2 page\(s\): the history limit \(2 per 62 s, smstui's safety "
        r"margin\) is spent; " + WHEN + r"\n",
        err,
    )


# ---- two processes, one row --------------------------------------------------------------

HAMMER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from smstui.budget import Budget, Limit
    from smstui.clock import SystemClock
    from smstui.model import Provider

    row = Limit("smsc.test", Provider.SMSC, "balance", "login", 3600, 7, "test")
    budget = Budget(SystemClock(), [row], path=Path(sys.argv[1]))
    print(sum(budget.try_spend("balance") for _ in range(60)))
    """
)


def test_processes_on_one_file_never_together_exceed_a_row(tmp_path) -> None:
    path = str(tmp_path / "budget" / "main.json")
    procs = [
        subprocess.Popen([sys.executable, "-c", HAMMER, path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=ENV)
        for _ in range(4)
    ]  # fmt: skip
    granted = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        granted.append(int(out))
    assert sum(granted) == 7, granted
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    assert [len(times) for _, _, times in saved["windows"]] == [7]
