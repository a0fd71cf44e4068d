"""Injected clocks, so the poller, store, emulator and widgets are deterministic under test."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time in Unix seconds and can sleep by it."""

    def now(self) -> float:
        """Current time, Unix seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this many seconds of this clock's time."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        """Current wall-clock time."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Real asyncio sleep."""
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Wall time running `speed` times faster from a fixed start (emulator `--speed`)."""

    def __init__(self, start: float, speed: float = 1.0) -> None:
        self._start = start
        self._speed = speed
        self._t0 = time.monotonic()

    @property
    def speed(self) -> float:
        """How many emulated seconds pass per real second."""
        return self._speed

    def now(self) -> float:
        """Emulated time."""
        return self._start + (time.monotonic() - self._t0) * self._speed

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of emulated time."""
        await asyncio.sleep(max(0.0, seconds) / self._speed)


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it instantly."""

    def __init__(self, start: float = 1_763_700_000.0) -> None:
        self._now = start

    def now(self) -> float:
        """The frozen time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += seconds

    def set(self, when: float) -> None:
        """Jump to a moment."""
        self._now = when

    async def sleep(self, seconds: float) -> None:
        """Advance instead of waiting, then yield to the loop once."""
        self._now += max(0.0, seconds)
        await asyncio.sleep(0)
