"""Shared fixtures: a real emulator on loopback HTTP, on a FakeClock the test can move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest

from smstui.clock import FakeClock
from smstui.emulator.core import Emulator
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.server import run_emulator

MSK = timezone(timedelta(hours=3))
# 2025-11-21 12:00 MSK: a Friday noon, far from the 03:00 archive job.
DEMO_START = datetime(2025, 11, 21, 12, 0, tzinfo=MSK).timestamp()

MakeEmulator = Callable[..., AbstractAsyncContextManager[Emulator]]


@pytest.fixture
def make_emulator() -> MakeEmulator:
    """Factory: `async with make_emulator(seed=1, messages=50, ...) as emu:`.

    Keyword arguments are EmulatorOptions fields. Without `clock`, a FakeClock at DEMO_START
    (or `start`) is used so the test controls time.
    """

    @asynccontextmanager
    async def factory(**kwargs: object) -> AsyncIterator[Emulator]:
        if kwargs.get("clock") is None:
            start = kwargs.get("start")
            kwargs["clock"] = FakeClock(float(start) if start is not None else DEMO_START)  # type: ignore[arg-type]
        kwargs.setdefault("start", kwargs["clock"].now())  # type: ignore[union-attr]
        kwargs.setdefault("push_retry_interval", 0.02)
        async with run_emulator(EmulatorOptions(**kwargs)) as emu:  # type: ignore[arg-type]
            yield emu

    return factory


@pytest.fixture
async def emulator(make_emulator: MakeEmulator) -> AsyncIterator[Emulator]:
    """A running emulator: seed 1, 50 SMSC messages, FakeClock at 2025-11-21 12:00 MSK.

    The live campaign sends 6 SMSC (and 1.2 Webcom) messages per emulated minute, so a test can
    advance the clock by hours cheaply; use `make_emulator(rate=0)` for a frozen campaign.
    """
    async with make_emulator(seed=1, messages=50, rate=6.0) as emu:
        yield emu
