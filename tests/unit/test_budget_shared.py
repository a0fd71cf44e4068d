"""The budget shared through a file: two Budgets on one file act as one, a restart keeps it all."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import subprocess
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from smstui.budget import SMSC_LIMITS, Budget, budget_for, budget_path, default_limits
from smstui.budget.wording import ask_again, duration
from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import ApiError, AuthError, BadPayload, IpBlocked, RateLimited
from smstui.gateways.base import make_gateway
from smstui.gateways.http import retry_after_s
from smstui.model import Provider
from smstui.poller.guard import LOGIN_BLOCK_S, FailureGuard

NOW = 1_763_700_000.0
STATUS_KEY = ("main", "42", "79990000001")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def path(tmp_path):
    return budget_path(tmp_path, "main")


def pair(clock, path, rows=SMSC_LIMITS) -> tuple[Budget, Budget]:
    """Two processes' budgets on one account: the same file, separate memories."""
    return Budget(clock, rows, path=path, name="main"), Budget(clock, rows, path=path, name="main")


def test_two_budgets_on_one_file_never_together_exceed_a_row(clock, path) -> None:
    a, b = pair(clock, path)
    granted = 0
    for i in range(40):  # balance: 10 a minute, asked alternately by both
        granted += (a if i % 2 else b).try_spend("balance")
        clock.advance(0.5)
    assert granted == 10
    assert not a.can_spend("balance") and not b.can_spend("balance")
    assert a.blocking_row("balance") == b.blocking_row("balance") == "smsc.balance"
    clock.set(NOW + 60)  # the first request leaves the window for both of them
    assert b.try_spend("balance") and not a.try_spend("balance")


def test_a_restart_keeps_every_window_including_per_key_rows(clock, path) -> None:
    first = Budget(clock, default_limits(Provider.SMSC), path=path)
    assert first.try_spend("status_mass") and first.try_spend("history", ("history", None))
    for _ in range(4):
        assert first.try_spend("status", STATUS_KEY)
    clock.advance(5)
    again = Budget(clock, default_limits(Provider.SMSC), path=path)  # a new process
    assert not again.can_spend("status_mass")
    assert again.next_allowed_at("status_mass") == pytest.approx(NOW + 62)
    assert not again.can_spend("status", STATUS_KEY)  # the margin's 4 a minute, per message
    assert again.can_spend("status", ("main", "43", "79990000001"))
    assert again.remaining("history") == 1  # two a minute in a burst: one left
    assert again.limits_left() == first.limits_left()


def test_penalties_blocks_and_failed_logins_are_shared(clock, path) -> None:
    a, b = pair(clock, path)
    seen = []
    a._on_event = seen.append
    a.penalise("status_mass", NOW + 65, "error 9 from the gateway")
    assert not b.can_spend("status_mass") and b.can_spend("balance")
    assert b.backoff_until() == NOW + 65
    assert "status_mass requests are paused (error 9 from the gateway)" in str(
        b.refusal("status_mass")
    )
    b.block_account(NOW + 1800, "error 4: IP blocked by the gateway")
    assert a.blocked_until == NOW + 1800 and a.blocked_reason.startswith("error 4")
    assert not a.try_spend("balance")
    assert [e.kind for e in seen] == ["penalised"]  # events are the acting process's own
    assert a.login_failed() == 1 and b.login_failed() == 2 and a.failed_logins == 2
    b.login_succeeded()
    assert a.failed_logins == 0


def test_only_live_windows_are_written_and_refusals_write_nothing(clock, path) -> None:
    a = Budget(clock, SMSC_LIMITS, path=path)
    for i in range(50):
        a.spend("status", ("main", str(i), "7999"))
    clock.advance(61)
    a.spend("balance")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [w[:2] for w in doc["windows"]] == [["smsc.balance", ""]]
    for _ in range(9):
        a.spend("balance")
    before = path.stat()
    assert not a.try_spend("balance")
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"\xff\xfe garbage",
        b'{"schema": 1, "windows": "x", "penalties": {}, "blocked": [0, ""], "failed_logins": 0}',
        b'{"schema": 1, "windows": [], "penalties": {}, "blocked": [NaN, ""], "failed_logins": 0}',
        b'{"schema": 99}',
        b"[" * 100_000,
    ],
    ids=["truncated", "empty", "binary", "wrong-type", "nan", "newer-schema", "deep"],
)
def test_a_corrupt_file_is_a_warning_and_a_fresh_budget(clock, path, caplog, content) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    budget = Budget(clock, SMSC_LIMITS, path=path)
    with caplog.at_level(logging.WARNING, logger="smstui.budget"):
        assert budget.remaining("balance") == 10
        assert budget.try_spend("balance")
    assert f"budget file {path} is unreadable" in caplog.text
    assert "starting a fresh budget" in caplog.text
    assert caplog.text.count("unreadable") == 1  # once, not per question
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == 1  # rewritten whole
    assert Budget(clock, SMSC_LIMITS, path=path).remaining("balance") == 9


def test_a_budget_that_cannot_be_written_refuses_and_says_why(clock, tmp_path, caplog) -> None:
    """Fail closed: a request no other process could count is not made (nor a send paid for)."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    budget = Budget(clock, SMSC_LIMITS, path=blocker / "budget" / "main.json")
    with caplog.at_level(logging.WARNING, logger="smstui.budget"):
        for endpoint, key in [("balance", None), ("send", ("send", "1")), ("balance", None)]:
            assert not budget.try_spend(endpoint, key)
    assert caplog.text.count("cannot lock") == 1  # once, not a line per request
    refusal = str(budget.refusal("send", ("send", "1")))
    assert refusal.startswith("nothing asked: the shared request budget cannot be saved (")
    assert f"free space in {blocker / 'budget'}" in refusal


def test_an_unreadable_budget_file_is_a_warning_then_refusals_until_repaired(
    clock, path, caplog
) -> None:
    path.mkdir(parents=True)  # a directory where the file should be: unreadable, unwritable
    budget = Budget(clock, SMSC_LIMITS, path=path)
    with caplog.at_level(logging.WARNING, logger="smstui.budget"):
        assert not budget.try_spend("balance")
    assert f"cannot read {path}" in caplog.text and f"cannot write {path}" in caplog.text
    left = sorted(p.name for p in path.parent.iterdir())
    assert left == ["main.json", "main.lock"]  # no temp file left behind
    path.rmdir()  # repaired: the next request is counted for everyone
    budget.spend("balance")
    assert Budget(clock, SMSC_LIMITS, path=path).remaining("balance") == 9


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KiB tmpfs (we are root in CI); skipped where mounting is not allowed."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _fill(folder) -> Path:
    """Fill the disk under `folder`; the filler file's path (delete it to free the space)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):  # ENOSPC: full
            while True:
                os.write(fd, b"\0" * 512)
    finally:
        os.close(fd)
    return filler


def test_failed_logins_on_a_full_disk_stop_every_request_until_it_can_be_saved(
    clock, small_disk
) -> None:
    """Two processes, a full disk, a wrong password: one failure reaches the gateway, not five."""
    path = budget_path(small_disk / "cache", "main")
    daemon, cli = (Budget(clock, SMSC_LIMITS, path=path, name="main") for _ in range(2))
    guard = FailureGuard(daemon, rng=random.Random(1))
    assert daemon.try_spend("balance")  # the file exists while there is room
    filler = _fill(small_disk)
    assert daemon.take("history", ("history", None)) is None  # cannot be counted: not asked
    guard.failure(AuthError("wrong password", code=2), "balance", clock.now())
    assert daemon.failed_logins == 1  # kept in memory
    for budget in (daemon, cli):  # the other process cannot see it, so it must not ask either
        assert not budget.try_spend("status", STATUS_KEY)
        assert not budget.try_spend("send", ("send", "1"))
        assert "cannot be saved" in str(budget.refusal("status", STATUS_KEY))
    filler.unlink()  # space again: the failure is written back for every process
    assert daemon.try_spend("status", STATUS_KEY)
    assert cli.failed_logins == 1 and cli.can_spend("history", ("history", None))


def test_a_clock_set_back_does_not_hold_a_window_shut(clock, path) -> None:
    a = Budget(clock, SMSC_LIMITS, path=path)
    for _ in range(10):
        a.spend("balance")
    clock.set(NOW - 3600)  # the clock was an hour fast and has been corrected
    b = Budget(clock, SMSC_LIMITS, path=path)
    assert b.next_allowed_at("balance") == pytest.approx(NOW - 3600 + 60)


@pytest.mark.parametrize("name", ["main", "../escape", "a/b", "a_b", "", ".hidden", "смс кабинет"])
def test_budget_files_are_safe_for_any_account_name(tmp_path, name) -> None:
    path = budget_path(tmp_path, name)
    assert path.parent == tmp_path / "budget" and not path.name.startswith(".")
    assert path.suffix == ".json" and "/" not in path.name


def test_similar_names_get_different_files(tmp_path) -> None:
    names = ["a/b", "a_b", "a b", "A_b", "../a_b"]
    assert len({budget_path(tmp_path, n) for n in names}) == len(names)


def test_budget_for_shares_through_the_cache_dir_and_none_stays_in_memory(clock, tmp_path):
    account = Account("main", Provider.SMSC, "http://127.0.0.1:1", login="demo")
    budget_for(account, clock, tmp_path).spend("balance")
    assert not budget_for(account, clock, tmp_path).can_spend("balance")
    memory = budget_for(account, clock, None)
    assert memory.path is None and memory.can_spend("balance")
    assert (tmp_path / "budget" / "main.json").exists()
    assert (tmp_path / "budget" / "main.lock").exists()  # the flock's file, beside it


# ---- the refusal in words ---------------------------------------------------------------


def test_refusal_names_the_limit_and_the_time_in_words_never_an_epoch(clock, path) -> None:
    documented = Budget(clock, SMSC_LIMITS, path=path, name="main")
    for _ in range(10):
        documented.spend("balance")
        clock.advance(1)
    clock.set(NOW + 40)
    err = documented.refusal("balance")
    at = datetime.fromtimestamp(NOW + 60).strftime("%H:%M:%S")
    assert str(err) == f"the balance limit (10 per minute) is spent; ask again in 20 s ({at})"
    assert err.limit == "smsc.balance" and err.next_allowed_at == NOW + 60
    budget = Budget(clock, default_limits(Provider.SMSC), name="main")
    budget.spend("balance")
    clock.advance(3)
    margin = str(budget.refusal("balance"))
    assert margin.startswith("the balance limit (1 per 10 s, smstui's safety margin) is spent")
    assert "ask again in 7 s (" in margin
    budget.block_account(clock.now() + 1800, "error 4: IP blocked by the gateway")
    blocked = str(budget.refusal("history"))
    assert blocked.startswith("requests to account 'main' are paused (error 4")
    assert "ask again in 30 min (" in blocked
    assert not re.search(r"\d{9,}", blocked + margin + str(err))


def test_wait_words() -> None:
    assert [duration(s) for s in (0, 0.2, 42, 60, 65, 1799.5, 3600, 7500)] == [
        "0 s", "1 s", "42 s", "1 min", "1 min 5 s", "30 min", "1 h", "2 h 5 min",
    ]  # fmt: skip
    tomorrow = ask_again(NOW + 86400, NOW)
    assert tomorrow.startswith("ask again in 24 h (") and "-" in tomorrow  # the date is shown


# ---- the failure guard on a shared budget -----------------------------------------------


def guards(clock, path) -> tuple[FailureGuard, FailureGuard]:
    a, b = pair(clock, path, default_limits(Provider.SMSC))
    return FailureGuard(a, rng=random.Random(1)), FailureGuard(b, rng=random.Random(2))


def test_two_failed_logins_in_a_row_stop_every_process_for_30_minutes(clock, path) -> None:
    daemon, cli = guards(clock, path)
    daemon.failure(AuthError("wrong password", code=2), "balance", clock.now())
    assert cli.budget.can_spend("balance")  # one typo: the fixed config may ask again
    cli.failure(AuthError("wrong password", code=2), "balance", clock.now())
    assert daemon.budget.blocked_until == NOW + LOGIN_BLOCK_S
    refusal = str(daemon.budget.refusal("history"))
    assert "wrong login or password: 2 failed logins in a row" in refusal
    assert "`smstui budget --clear-pause --account main`" in refusal and "delete" not in refusal
    assert "IP" not in refusal and daemon.budget.blocked_by_login
    assert cli.budget.clear_login_pause()  # the config was fixed: every process may ask again
    assert daemon.budget.can_spend("history") and daemon.budget.failed_logins == 0


def test_clearing_a_login_pause_leaves_the_gateways_own_block(clock, path) -> None:
    daemon, _ = guards(clock, path)
    daemon.failure(IpBlocked("ip is blocked", code=4), "balance", clock.now())
    assert not daemon.budget.clear_login_pause() and not daemon.budget.can_spend("balance")


def test_a_success_resets_the_failed_login_count(clock, path) -> None:
    daemon, cli = guards(clock, path)
    daemon.failure(AuthError("wrong password", code=2), "balance", clock.now())
    cli.success()
    daemon.failure(AuthError("wrong password", code=2), "balance", clock.now())
    assert daemon.budget.failed_logins == 1 and daemon.budget.blocked_until is None


def test_a_locked_webcom_account_is_asked_once_per_block_not_once_a_second(clock, path, caplog):
    guard = FailureGuard(Budget(clock, default_limits(Provider.WEBCOM), path=path))
    locked = ApiError("webcom error: Account locked", provider="webcom",
                      text="Ваш аккаунт заблокирован")  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="smstui.poller"):
        guard.failure(locked, "status", clock.now())
        asked = 1
        for _ in range(600):
            clock.advance(1)
            if guard.budget.try_spend("status"):
                asked += 1
                guard.failure(locked, "status", clock.now())
    assert asked == 1 and caplog.text.count("Account locked") == 1
    assert "account locked (E2)" in guard.budget.blocked_reason
    other = ApiError("webcom error: Sender missing", provider="webcom", text="Нет отправителя.")
    guard.failure(other, "send", clock.now())
    assert guard.budget.blocked_until == NOW + 1800  # an ordinary refusal blocks nothing more


def test_retry_after_penalises_exactly_that_endpoint_for_that_long(clock, path) -> None:
    guard, _ = guards(clock, path)
    err = RateLimited("HTTP 429", provider="smsc")
    err.retry_after = 120.0
    guard.failure(err, "history", clock.now())
    assert guard.budget.next_allowed_at("history") == NOW + 120
    assert guard.budget.can_spend("balance")
    hostile = BadPayload("HTTP 503", provider="smsc")
    hostile.retry_after = 10**9
    guard.failure(hostile, "balance", clock.now())
    assert guard.budget.next_allowed_at("balance") == NOW + 3600  # capped at an hour


# ---- Retry-After from the HTTP layer ----------------------------------------------------


@pytest.mark.parametrize(
    ("header", "wait"),
    [("30", 30.0), ("Sat, 22 Nov 2025 04:40:30 GMT", 30.0), ("soon", None), (None, None),
     ("Sat, 22 Nov 2025 04:00:00 GMT", 0.0)],
)  # fmt: skip
def test_retry_after_forms(header, wait) -> None:
    now = datetime.fromisoformat("2025-11-22T04:40:00+00:00").timestamp()
    assert retry_after_s(header, now) == wait


@pytest.mark.parametrize(("status", "kind"), [(429, RateLimited), (503, BadPayload)])
async def test_429_and_503_carry_retry_after_and_are_not_retried(clock, status, kind) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(status, headers={"Retry-After": "90"}, content=b"slow down")

    account = Account("main", Provider.SMSC, "http://smsc.test", login="demo")
    gateway = make_gateway(account, clock=clock, transport=httpx.MockTransport(handler))
    with pytest.raises(kind) as caught:
        await gateway.balance()
    await gateway.aclose()
    assert caught.value.retry_after == 90.0 and len(calls) == 1
    assert "asks to wait 90 s" in str(caught.value)


@pytest.mark.parametrize("shared", [True, False], ids=["file", "memory"])
def test_a_login_pause_set_with_the_clock_a_day_ahead_lasts_30_minutes(clock, path, shared):
    """The wall clock was a day fast while logins failed, then corrected: 30 min, not 24.5 h."""
    budget = Budget(clock, SMSC_LIMITS, path=path if shared else None, name="main")
    guard = FailureGuard(budget, rng=random.Random(1))
    clock.set(NOW + 86400)
    for _ in range(2):
        guard.failure(AuthError("wrong password", code=2), "balance", clock.now())
    guard.failure(RateLimited("too many", code=9), "status", clock.now())
    clock.set(NOW)  # NTP puts it right
    reader = Budget(clock, SMSC_LIMITS, path=path, name="main") if shared else budget
    assert reader.blocked_until == pytest.approx(NOW + LOGIN_BLOCK_S)
    assert reader.backoff_until() == pytest.approx(NOW + 65)
    clock.advance(LOGIN_BLOCK_S + 1)
    assert reader.can_spend("balance") and reader.can_spend("status", STATUS_KEY)


def test_a_clock_set_back_a_year_does_not_make_a_pause_eternal(clock, path) -> None:
    budget = Budget(clock, SMSC_LIMITS, path=path, name="main")
    budget.block_account(NOW + 1800, "error 4: IP blocked by the gateway")
    clock.set(NOW - 365 * 86400)
    assert budget.blocked_until == pytest.approx(clock.now() + 1800)
    clock.advance(1801)
    assert Budget(clock, SMSC_LIMITS, path=path).can_spend("balance")


def test_a_pause_from_an_older_file_without_its_start_is_bounded(clock, path) -> None:
    path.parent.mkdir(parents=True)
    doc = {"schema": 1, "windows": [], "penalties": {"status": [NOW + 86400, "old"]},
           "blocked": [NOW + 86400, "old"], "failed_logins": 0}  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    budget = Budget(clock, SMSC_LIMITS, path=path)
    assert budget.blocked_until == pytest.approx(NOW + 3600)
    assert budget.backoff_until() == pytest.approx(NOW + 3600)
