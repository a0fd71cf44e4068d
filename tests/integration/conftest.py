"""Shared fixtures: a real emulator on loopback HTTP, on a FakeClock the test can move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest

from smstui.clock import FakeClock
from smstui.config import parse_config
from smstui.emulator.core import Emulator
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.server import run_emulator
from smstui.poller import Engine
from smstui.store import Store

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


MakeEngine = Callable[..., AbstractAsyncContextManager[tuple[Engine, Emulator]]]


@pytest.fixture
def make_engine(make_emulator: MakeEmulator, tmp_path) -> MakeEngine:
    """Factory: `async with make_engine(provider="smsc", name="main", seed=1, messages=6) as
    (engine, emu):` — a real Engine and cache over one account of a frozen emulator."""

    @asynccontextmanager
    async def factory(
        *, provider: str = "smsc", name: str = "main", **emulator: object
    ) -> AsyncIterator[tuple[Engine, Emulator]]:
        emulator.setdefault("rate", 0)
        async with make_emulator(**emulator) as emu:
            config = parse_config(
                {"accounts": [{"name": name, "provider": provider, "base_url": emu.base_url,
                               "login": "demo", "password": "demo", "timeout": 5}],
                 "cache": {"dir": str(tmp_path)}}
            )  # fmt: skip
            store = Store.open(tmp_path / "cache", clock=emu.clock)
            engine = Engine(config, store, clock=emu.clock)
            try:
                yield engine, emu
            finally:
                await engine.aclose()
                store.close()

    return factory
