"""Shared UI fixtures: the deterministic sample store, a FakeClock, and the real emulator."""

from __future__ import annotations

import itertools
from datetime import UTC
from pathlib import Path

import pytest

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider
from smstui.sample_data import (
    START,
    SampleController,
    fill_balances,
    make_messages,
    sample_config,
    sample_health,
)
from smstui.store import Store
from smstui.ui.app import SmstuiApp, make_app

_STORE_IDS = itertools.count()
FakeController = SampleController  # the names the UI tests were written with
healthy_snapshot = sample_health
ui_config = sample_config
__all__ = ["START", "FakeController", "build_app", "fill_balances", "make_messages", "ui_config"]


def build_app(
    tmp_path: Path,
    *,
    n: int = 200,
    low: float | None = None,
    smsc_end: str = "1180.00",
    down: bool = False,
) -> tuple[SmstuiApp, Store, FakeController]:
    """A fully wired app over deterministic data (UTC, FakeClock, fixed theme)."""
    clock = FakeClock(START)
    # A fresh cache file per app: a second app in one test must not meet the first one's lock.
    store = Store.open(tmp_path / f"cache-{next(_STORE_IDS)}", clock=clock)
    store.apply(make_messages(n))
    fill_balances(store, clock.now(), smsc_end=smsc_end)
    controller = FakeController(store, clock)
    if down:
        controller.snapshot = healthy_snapshot(clock.now(), down=True)
    app = make_app(
        store=store,
        controller=controller,
        clock=clock,
        config=ui_config(tmp_path, low=low),
        tz=UTC,
        settings_dir=tmp_path,
        driver_size=(120, 36),
    )
    return app, store, controller


@pytest.fixture
def ui(tmp_path):
    """(app, store, controller) over 200 deterministic messages."""
    return build_app(tmp_path)


@pytest.fixture(autouse=True)
def _stable_env(monkeypatch):
    """No NO_COLOR leaking in from the developer's shell; snapshots stay in colour.

    A truecolour terminal too: on TERM=xterm (16 colours) the app swaps colours that would
    round to red (smstui.ui.terminal_colors), and the shell's TERM must not change snapshots.
    """
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)


def larger_than_memory(tmp_path: Path, days: int, per_day: int) -> tuple[SmstuiApp, Store]:
    """An app over a cache of `days` settled days of `per_day` messages, only the newest in
    memory (older days stay on disk until the history or a filter asks for them)."""
    clock = FakeClock(START)
    settled = [
        Message("smsc-main", Provider.SMSC, f"{d}{i:04d}", f"7916{d}{i:06d}",
                DeliveryState.DELIVERED, text="old", sent_at=START - d * 86400 - i * 60,
                updated_at=START - d * 86400 - i * 60 + 5, operator="МТС")
        for d in range(days) for i in range(per_day)
    ]  # fmt: skip
    with Store.open(tmp_path / "cache", clock=clock) as writer:
        writer.apply(settled)
    store = Store.open(tmp_path / "cache", clock=clock, memory_messages=per_day)
    app = make_app(
        store=store, controller=FakeController(store, clock), clock=clock,
        config=ui_config(tmp_path), tz=UTC, settings_dir=tmp_path, driver_size=(120, 36),
    )  # fmt: skip
    return app, store
