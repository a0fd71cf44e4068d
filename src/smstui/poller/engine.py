"""The engine: every account's poller on one loop, the store's single writer, and the Controller."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

from smstui.budget import budget_for
from smstui.clock import Clock, SystemClock
from smstui.config import Config
from smstui.controller import HealthSnapshot, StatusRefresh
from smstui.errors import SmstuiError, StoreError
from smstui.gateways.base import Gateway, make_gateway
from smstui.ingest import Ingest, Origin
from smstui.model import (
    AppliedChange,
    Balance,
    Message,
    NumberInfo,
    SendResult,
)
from smstui.poller.account import AccountPoller, CycleReport
from smstui.poller.resend import resend
from smstui.store import Store

log = logging.getLogger("smstui.poller")
T = TypeVar("T")
Key = tuple[str, str, str]


class Engine:
    """Runs the pollers, owns the store's writes, and serves the UI's and webhook's requests."""

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        clock: Clock | None = None,
        gateways: dict[str, Gateway] | None = None,
        on_cycle: Callable[[CycleReport, str], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or SystemClock()
        self.on_cycle = on_cycle
        self.webhook_url: str | None = None
        self.webhook_counters: Callable[[], dict[str, int]] | None = None
        self.webhook_problem = ""  # set when the receiver could not start; polling goes on
        # Which alert notifiers are failing, and why ('' when none; set by alerts out).
        self.notify_problem: Callable[[], str] = lambda: ""
        self.pollers: dict[str, AccountPoller] = {}
        for account in config.accounts:
            gateway = (gateways or {}).get(account.name) or make_gateway(
                account,
                clock=self.clock,
                retries=0,  # the cycle is the retry: budget-aware
            )
            budget = budget_for(account, self.clock, config.cache_dir)
            self.pollers[account.name] = AccountPoller(
                account, gateway, store, budget, self.clock, config.poll
            )
        # The webhook receiver's sink: pushes enter the store through it, not through here.
        origins = {name: Origin(p.account.provider, p.gateway.supports_history)
                   for name, p in self.pollers.items()}  # fmt: skip
        self.ingest = Ingest(store, self.clock, origins)
        self.ingest.on_applied(self._book)
        for poller in self.pollers.values():
            poller.ingest = self.ingest
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # ---- running ------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll every account until stop(); flush on a cadence and once more at the end."""
        if self.store.readonly:
            raise StoreError(f"{self.store.path} is held by another writer; cannot poll")
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._loop(p)) for p in self.pollers.values()]
        self._tasks.append(asyncio.create_task(self._checkpointer()))
        self._tasks.append(asyncio.create_task(self.store.follow()))
        try:
            await self._stop.wait()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.store.checkpoint_async(force=True)

    async def run_once(self) -> list[CycleReport]:
        """One cycle of every account, then a checkpoint (`smstui poll --once`)."""
        reports = [await p.cycle() for p in self.pollers.values()]
        for report, poller in zip(reports, self.pollers.values(), strict=True):
            self._report(report, poller)
        await self.store.checkpoint_async(force=True)
        return reports

    def stop(self) -> None:
        """Ask run() to finish (it flushes before returning)."""
        self._stop.set()

    async def _loop(self, poller: AccountPoller) -> None:
        # The next cycle is scheduled after the previous one finished: never overlapping I/O.
        while not self._stop.is_set():
            try:
                report = await poller.cycle()
                self._report(report, poller)
            except SmstuiError as err:  # a store problem must be visible, not kill the loop
                log.error("%s: cycle failed: %s", poller.account.name, err)
            delay = max(0.0, (poller.next_poll_at or self.clock.now() + 1) - self.clock.now())
            await self.clock.sleep(delay)

    async def _checkpointer(self) -> None:
        """Checkpoint on a cadence (the journal is durable already: this bounds its length)."""
        interval = self.config.poll.flush_interval_s
        keep_s = self.config.prune_days * 86400  # 0: history is never deleted
        next_prune = 0.0
        while True:
            await asyncio.sleep(interval)  # real time: the journal's length is about wall time
            try:
                if keep_s and self.clock.now() >= next_prune:
                    self.store.prune(keep_s)
                    next_prune = self.clock.now() + 3600
                await self.store.checkpoint_async()
            except StoreError as err:  # shown on the health line; the next turn retries
                log.error("cache: %s", err)
            except Exception:  # a bug here must not end checkpointing for the process's life
                log.exception("cache checkpointer")

    def _report(self, report: CycleReport, poller: AccountPoller) -> None:
        if self.on_cycle is not None:
            self.on_cycle(report, poller.budget_left())

    async def aclose(self) -> None:
        """Close every gateway's connection pool."""
        for poller in self.pollers.values():
            await poller.gateway.aclose()

    # ---- what the ingest door applied ----------------------------------------------------

    def _book(self, applied: Sequence[AppliedChange]) -> None:
        """After every batch through the ingest door: a pushed final state's price is still
        unknown (asked once), and an account that is pushing is polled far less often."""
        for name, at in self.ingest.pushes_seen_at.items():
            if (poller := self.pollers.get(name)) is not None:
                poller.pushes_seen_at = at
        for poller in self.pollers.values():
            poller.note_unpriced(c for c in applied if c.key[0] == poller.account.name)

    # ---- Controller ---------------------------------------------------------------------

    def health(self) -> HealthSnapshot:
        """Every account's polling state and the webhook counters (no I/O)."""
        return HealthSnapshot(
            at=self.clock.now(),
            accounts=tuple(p.health() for p in self.pollers.values()),
            webhook_url=self.webhook_url,
            webhook_counters=dict(self.webhook_counters()) if self.webhook_counters else {},
            webhook_problem=self.webhook_problem,
            notify_problem=self.notify_problem(),
            writer=not self.store.readonly,
            cache_problem=self.store.health().problem,
        )

    def prioritise(self, keys: Iterable[Key]) -> None:
        """The messages the user is looking at (the detail view, a `state:stuck` filter, the
        newest page in follow mode), most important first: asked first when a request has to
        choose, and every mass interval however old. Replaces the previous set; no I/O, so the
        UI may call it on every refresh."""
        by_account: dict[str, list[Key]] = {name: [] for name in self.pollers}
        for key in keys:
            if key[0] in by_account:
                by_account[key[0]].append(key)
        for name, poller in self.pollers.items():
            poller.schedule.prioritise(by_account[name])

    def _poller(self, account: str) -> AccountPoller:
        try:
            return self.pollers[account]
        except KeyError:
            raise SmstuiError(f"no account named {account!r}") from None

    async def _act(
        self,
        poller: AccountPoller,
        endpoint: str,
        key: Hashable,
        action: Callable[[], Awaitable[T]],
    ) -> T:
        """A user action through the poller's gate: refusals and failures are raised."""
        return await poller.gate.ask(endpoint, key, action)

    async def refresh_status(self, key: Key) -> Message:
        """Ask for one message's status now (single status request, 5 per message per minute)."""
        account, message_id, phone = key
        poller = self._poller(account)
        message = await self._act(
            poller, "status", key, lambda: poller.gateway.status(message_id, phone)
        )
        await poller.apply_polled([message])
        return self.store.get(key) or message

    async def refresh_statuses(self, keys: Sequence[Key]) -> list[StatusRefresh]:
        """Re-ask many statuses now: per account one request carrying all of its ids.

        Spends what the poller's own status requests spend (one mass request a minute at SMSC,
        or a single status for one id); a refusal or a failed request is reported per account.
        """
        by_account: dict[str, list[Key]] = {}
        for key in dict.fromkeys(keys):  # once each, in the order given
            by_account.setdefault(key[0], []).append(key)
        reports = []
        for account, wanted in by_account.items():
            refs = [(message_id, phone) for _, message_id, phone in wanted]
            endpoint, budget_key = (
                ("status", wanted[0]) if len(refs) == 1 else ("status_mass", None)
            )
            try:
                poller = self._poller(account)
                asked = partial(poller.gateway.statuses, refs)
                results = await self._act(poller, endpoint, budget_key, asked)
            except SmstuiError as err:  # budget refusals and gateway errors alike
                reports.append(StatusRefresh(account, len(refs), refused=str(err)))
                continue
            poller.schedule.checked(wanted, self.clock.now())
            changed = await poller.apply_polled(results)
            final = sum(1 for k in wanted if (m := self.store.get(k)) and m.state.is_final)
            reports.append(StatusRefresh(account, len(refs), changed, final))
        return reports

    async def lookup(self, account: str, phone: str, *, hlr: bool = False) -> NumberInfo:
        """Operator information (or a paid HLR query) for a phone."""
        poller = self._poller(account)
        endpoint = "send" if hlr else "operator"
        key = ("hlr", phone) if hlr else phone
        info = await self._act(poller, endpoint, key, lambda: poller.gateway.lookup(phone, hlr=hlr))
        # The number's operator reaches its messages (Webcom's statuses never name one).
        found = [d for m in self.store.messages_sorted() if (d := info.details_for(m))]
        if found:
            await self.store.apply_async(found)
        return info

    async def resend(self, key: Key, *, allow_permanent: bool = False) -> SendResult:
        """Send the same text to the same phone with a new client id; record the new message.

        The new message carries `resend_of` (the original's id): the lineage both show.

        The policy's refusal (a permanent failure, or before an advised wait is over) raises
        ResendRefused unless `allow_permanent` says the user ticked the override.
        """
        message = self.store.get(key)
        if message is None:
            raise SmstuiError(f"message {key[1]} to {key[2]} is not in the cache")
        poller = self._poller(message.account)
        result, _ = await resend(
            poller.gate, self.store, message, self.clock, override=allow_permanent
        )
        return result

    async def refresh_balance(self, account: str) -> Balance:
        """The balance now (10 per minute at most, shared with the poller)."""
        poller = self._poller(account)
        balance = await self._act(poller, "balance", None, poller.gateway.balance)
        self.store.record_balance(balance)
        return balance

    async def load_older(self) -> int:
        """The next older partition of the cache, read in a thread (the history scrolled)."""
        return await self.store.load_older()

    async def export(self, path: Path, keys: list[Key], fmt: str) -> int:
        """Write these messages to CSV/JSONL in a thread (the loop never waits on disk).

        Configured secrets are masked inside every field, exactly as `history --csv` does.
        """
        from smstui.export import export_messages

        messages = [m for m in (self.store.get(k) for k in keys) if m is not None]
        secrets = self.config.secrets()
        return await asyncio.to_thread(export_messages, path, messages, fmt, secrets=secrets)
