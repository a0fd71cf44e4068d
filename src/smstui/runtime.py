"""Wiring shared by `smstui poll`, the dashboard and the demo: cache, engine, webhook receiver."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from smstui.clock import Clock, SystemClock
from smstui.config import Config
from smstui.controller import NO_WRITER, HealthSnapshot, StatusRefresh
from smstui.model import Balance, Key, Message, NumberInfo, SendResult
from smstui.poller import Engine
from smstui.store import Store

if TYPE_CHECKING:  # the receiver (aiohttp) is imported only when one is configured
    from smstui.alerts_out import Delivery
    from smstui.webhook.server import WebhookReceiver

log = logging.getLogger("smstui")


def cache_path(config: Config) -> Path:
    """The cache directory of this configuration (journal, manifest, partitions, budget)."""
    return config.cache_dir


def open_store(
    config: Config, *, clock: Clock | None = None, readonly: bool | Literal["auto"] = False
) -> Store:
    """The cache of this configuration, in the role asked for."""
    return Store.open(
        cache_path(config), clock=clock, readonly=readonly, memory_messages=config.memory_messages
    )


def only_account(config: Config, name: str | None) -> Config:
    """The configuration narrowed to one account when `--account` names one."""
    if name is None:
        return config
    return dataclasses.replace(config, accounts=(config.account(name),))


def check_alerts(config: Config) -> None:
    """ConfigError for a notify URL apprise cannot use (nothing to check, nothing imported,
    without [alerts] notify: apprise costs ~200 ms to import and reads the working dir)."""
    if config.alerts.notify:
        from smstui.alerts_out import check_notifiers

        check_notifiers(config)


@asynccontextmanager
async def alerts_for(engine: Engine, config: Config) -> AsyncIterator[Delivery | None]:
    """While inside, the cache's writer sends alerts out ([alerts] notify); None without."""
    if not config.alerts.notify:
        yield None
        return
    from smstui.alert_relay import AlertRelay
    from smstui.alerts_out import send_alerts

    async with send_alerts(engine, config, AlertRelay) as delivery:
        yield delivery


@asynccontextmanager
async def receiver_for(
    engine: Engine, config: Config, listen: str | None, clock: Clock
) -> AsyncIterator[WebhookReceiver | None]:
    """A running webhook receiver feeding the engine, or None when no address is configured."""
    if not (listen or config.webhook.listen):
        yield None
        return
    from smstui.webhook.options import options_from_config
    from smstui.webhook.server import WebhookReceiver as Receiver

    receiver = Receiver(options_from_config(config, listen), engine.ingest, clock)
    await receiver.start()
    engine.webhook_url = receiver.url
    engine.webhook_counters = lambda: receiver.counters
    try:
        yield receiver
    finally:
        await receiver.stop()


@asynccontextmanager
async def open_engine(
    config: Config, *, clock: Clock | None = None, store: Store | None = None
) -> AsyncIterator[Engine]:
    """Open the cache as its writer and an Engine over it; flush and close on the way out."""
    clock = clock or SystemClock()
    own_store = store is None
    store = store or open_store(config, clock=clock)
    for notice in store.notices:
        log.warning("%s", notice)
    engine = Engine(config, store, clock=clock)
    try:
        yield engine
    finally:
        await engine.aclose()
        if own_store:
            await store.checkpoint_async(force=True)
            store.close()


class FollowerController:
    """The Controller of a dashboard following another process's cache: it acts too.

    The request budget and the journal are shared by every smstui process on a cache, so a
    resend or a look-up here spends from the daemon's budget and lands in its cache; only the
    polling (and checkpointing) stays with the daemon.
    """

    def __init__(self, engine: Engine, writer_pid: str = "", cache: Path | None = None) -> None:
        self._engine = engine
        self._pid = writer_pid
        self._cache = cache  # where the writer records its pid: read again at each health

    def health(self) -> HealthSnapshot:
        """The follower marker (with the writer's pid, or NO_WRITER when no process that
        checkpoints is alive) plus whatever the cache tells."""
        pid = writer_pid(self._cache) if self._cache is not None else self._pid
        if self._cache is not None and not (pid and _alive(int(pid))):
            pid = NO_WRITER
        return dataclasses.replace(self._engine.health(), writer=False, writer_pid=pid)

    async def refresh_status(self, key: Key) -> Message:
        """The engine's, through the shared budget."""
        return await self._engine.refresh_status(key)

    async def refresh_statuses(self, keys: Sequence[Key]) -> list[StatusRefresh]:
        """The engine's: one mass request per account, through the shared budget."""
        return await self._engine.refresh_statuses(keys)

    async def lookup(self, account: str, phone: str, *, hlr: bool = False) -> NumberInfo:
        """The engine's, through the shared budget."""
        return await self._engine.lookup(account, phone, hlr=hlr)

    async def resend(self, key: Key, *, allow_permanent: bool = False) -> SendResult:
        """The engine's: the new message is journaled, so the daemon polls it."""
        return await self._engine.resend(key, allow_permanent=allow_permanent)

    async def refresh_balance(self, account: str) -> Balance:
        """The engine's, through the shared budget."""
        return await self._engine.refresh_balance(account)

    def prioritise(self, keys: Sequence[Key]) -> None:
        """Nothing to reorder: the daemon polls (it cannot see what this screen shows)."""

    async def export(self, path: Path, keys: list[Key], fmt: str) -> int:
        """Exports only read the cache."""
        return await self._engine.export(path, keys, fmt)

    async def load_older(self) -> int:
        """Reading older days of the cache spends no budget."""
        return await self._engine.load_older()


async def follow(store: Store, *, interval_s: float = 0.25) -> None:
    """Keep a following store in step with the journal other processes append to.

    Tailing costs one stat when nothing was appended, and only the new records otherwise.
    """
    await store.follow(interval_s)


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def writer_pid(cache: Path) -> str:
    """The pid the checkpointing process recorded in its lock file ("" when unknown)."""
    try:
        text = (cache / "writer.lock").read_text("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the demo needs its URLs before its servers start)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
