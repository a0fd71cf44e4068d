"""A process stopped while it holds an account's budget lock never freezes another: the wait is
bounded, and then nothing is asked (a StoreError, never an unbudgeted request)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from smstui.budget import budget_for
from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import StoreError
from smstui.model import Provider
from smstui.secrets import Secret

HOLD = "import fcntl,os,sys,time; fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT); " \
       "fcntl.flock(fd,fcntl.LOCK_EX); print('held',flush=True); time.sleep(60)"  # fmt: skip


async def test_a_stopped_holder_of_the_budget_lock_is_a_bounded_refusal(tmp_path):
    account = Account("main", Provider.SMSC, "http://127.0.0.1:9", "demo", Secret("pw"))
    clock = FakeClock()
    budget = budget_for(account, clock, tmp_path)
    assert budget.take("balance") is not None  # creates the files
    lock = next((tmp_path / "budget").glob("*.lock"))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"  # type: ignore[union-attr]
        holder.send_signal(signal.SIGSTOP)  # Ctrl-Z with the lock held
        started = time.monotonic()
        with pytest.raises(StoreError, match="stayed locked"):
            budget.take("balance")  # on the event loop: the shorter bound
        assert time.monotonic() - started < 1.5
    finally:
        holder.send_signal(signal.SIGCONT)
        holder.kill()
        holder.wait()
    clock.advance(60)  # past the balance row's window
    assert budget.take("balance") is not None  # released: spending works again
