"""One account's polling cycle: discover, ask statuses, sample the balance — inside the budget."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TypeVar

from smstui.budget import Budget
from smstui.clock import Clock
from smstui.config import Account, PollSettings
from smstui.controller import AccountHealth
from smstui.gateways.base import Gateway
from smstui.ingest import Ingest
from smstui.lag_estimate import LagEstimate
from smstui.model import AppliedChange, Balance, DeliveryState, Message, Source, askable
from smstui.poller.discovery import HistoryDiscovery
from smstui.poller.gate import NOT_NOW, Gate
from smstui.poller.guard import FailureGuard
from smstui.poller.schedule import StatusSchedule, check_interval
from smstui.poller.send import settles_as_not_sent
from smstui.store import Store

log = logging.getLogger("smstui.poller")
T = TypeVar("T")
MIN_SLEEP_S, MAX_SLEEP_S = 1.0, 60.0
PUSH_TRUST_S = 15 * 60.0  # pushes seen this recently make status polling a safety net
SAFETY_NET_CYCLE_S = 300.0  # and its mass requests gather due ids for five minutes
PRICE_ASKS_PER_CYCLE = 20  # Webcom state-detail requests per cycle for costs (one id each)
PRICE_CYCLE_S = 5.0  # while prices are missing, the next cycle comes this soon
QUIET_HISTORY_SHARE = 2.0  # a quiet account's newest pages spend at most 1/2 of the hour's
Key = tuple[str, str, str]
_STATUS_PAUSES = ("*", "status_mass", "status")  # back-offs that hold status requests


@dataclass
class CycleReport:
    """One cycle's work, for the daemon's log line."""

    account: str
    requests: int = 0
    changes: int = 0
    discovered: int = 0
    asked: int = 0
    errors: int = 0

    def line(self, budget_left: str) -> str:
        """The one line `smstui poll` prints per cycle."""
        return (
            f"{self.account}: {self.requests} requests, {self.changes} changes applied, "
            f"{self.discovered} new, {self.asked} statuses asked, {self.errors} errors; "
            f"budget left {budget_left}"
        )


class AccountPoller:
    """Decides each cycle what to ask one gateway account, and applies the answers."""

    def __init__(
        self,
        account: Account,
        gateway: Gateway,
        store: Store,
        budget: Budget,
        clock: Clock,
        settings: PollSettings,
    ) -> None:
        self.account = account
        self.gateway = gateway
        self.store = store
        self.budget = budget
        self.clock = clock
        self.settings = settings
        self.gate = Gate(gateway, budget, clock, on_failure=self._record_failure)
        self.schedule = StatusSchedule(max_age_s=settings.max_age_h * 3600)
        self.discovery = (
            HistoryDiscovery(
                gateway, store, account.name, since=clock.now() - settings.retention_days * 86400
            )
            if gateway.supports_history
            else None
        )
        self.last_poll_at: float | None = None
        self.next_poll_at: float | None = None
        self._next_balance_at = 0.0
        self._next_history_at = 0.0
        self._history_step_s = settings.history_interval_s
        self._balance_seen: Decimal | None = None
        self.left_out = 0  # open messages the last status request could not carry
        self._last_turn_was_gap = True
        self._gone: set[tuple[str, str, str]] = set()  # archived at SMSC: history has the rest
        self.pushes_seen_at: float | None = None
        self.ingest: Ingest | None = None  # the engine's door for everything gateways tell
        self._next_status_at = 0.0
        # Final messages whose cost only a per-id state detail tells (Webcom), oldest first;
        # None until the loaded cache was looked through once.
        self.prices_by_detail = bool(getattr(gateway, "prices_by_detail", False))
        self._unpriced: dict[Key, None] | None = None

    async def _ingest(self, items: list[Message], source: Source) -> list[AppliedChange]:
        """Polled news goes through the same door as pushes (smstui/ingest.py) when the
        engine gave one; a poller on its own (tests, tools) applies to the store itself."""
        if self.ingest is not None:
            return await self.ingest.messages(items, source)
        return await self.store.apply_async(items, source=source)

    def _record_failure(self, text: str) -> None:
        self.store.record_event("gateway", text, account=self.account.name)

    @property
    def safety_net(self) -> bool:
        """True while the gateway's webhook is delivering: poll far less often."""
        seen = self.pushes_seen_at
        return seen is not None and self.clock.now() - seen < PUSH_TRUST_S

    # ---- one request, through the gate ---------------------------------------------------

    @property
    def guard(self) -> FailureGuard:
        """The account's failure guard (the gate's)."""
        return self.gate.guard

    @property
    def requests(self) -> int:
        """Requests that may have reached the gateway, the cycle's and the user's alike."""
        return self.gate.requests

    @property
    def errors(self) -> int:
        """Requests that failed."""
        return self.gate.errors

    async def call(
        self, endpoint: str, key: Hashable, action: Callable[[], Awaitable[T]]
    ) -> T | None:
        """The gate's try_ask: None when refused, paused or failed (the next cycle retries)."""
        got = await self.gate.try_ask(endpoint, key, action)
        return None if got is NOT_NOW else got

    # ---- the cycle ----------------------------------------------------------------------

    async def cycle(self) -> CycleReport:
        """Do whatever is due now; never more than the budget allows."""
        report = CycleReport(self.account.name)
        before, errors_before = self.requests, self.errors
        now = self.clock.now()
        if self.discovery is not None and now >= self._next_history_at:
            await self._discover(report)
        await self._statuses(report)
        if self.prices_by_detail:
            await self._prices(report)
        if self.clock.now() >= self._next_balance_at:
            await self.refresh_balance()
        report.requests = self.requests - before
        report.errors = self.errors - errors_before
        self.last_poll_at = self.clock.now()
        self.next_poll_at = self.next_wakeup()
        return report

    async def _discover(self, report: CycleReport) -> None:
        assert self.discovery is not None
        before = self.discovery.next_before(newest_due=self._last_turn_was_gap)
        key = ("history", before)
        discovery = self.discovery
        got = await self.call("history", key, lambda: discovery.turn(before))
        if got is None:
            return
        messages, result = got
        self._last_turn_was_gap = before is not None
        if before is None:
            # While the newest page brings new messages, look again at the status cadence: a
            # message sent elsewhere is then found within one interval, the wait a status has.
            # A quiet account looks rarely enough to keep half the hour's pages for that (a
            # changed balance says a campaign started: see refresh_balance).
            busy = min(self.settings.status_interval_s, self.settings.history_interval_s)
            self._history_step_s = busy if result.new else self._quiet_history_step_s()
        self._next_history_at = self.clock.now() + (
            1.0 if self.discovery.gaps else self._history_step_s
        )
        report.discovered += result.new
        report.changes += len(await self._ingest(messages, Source.HISTORY))

    def _open(self) -> list[Message]:
        """Open messages worth asking (not the ones SMSC archived: history has the rest)."""
        return [m for m in self.store.non_final(self.account.name) if m.key not in self._gone]

    @property
    def _one_request_for_many(self) -> bool:
        """False when the gateway would ask many ids one request each (Webcom with its XML
        interface off): then only the due ones are asked, as each costs a request."""
        return getattr(self.gateway, "_xml_state", True) is not False

    async def _statuses(self, report: CycleReport) -> None:
        now = self.clock.now()
        safety_net = self.safety_net
        if safety_net and now < self._next_status_at:
            return
        carried, self.left_out = self.schedule.batch(
            self._open(), now, safety_net=safety_net, ride_along=self._one_request_for_many
        )
        if not carried:
            return
        refs = [(m.message_id, m.phone) for m in carried]
        # A single ref is a single status request (5 per message per minute); more is one mass
        # request carrying every open id (1 per minute): the gateway client does the same split.
        endpoint, key = ("status", carried[0].key) if len(carried) == 1 else ("status_mass", None)
        results = await self.call(endpoint, key, lambda: self.gateway.statuses(refs))
        if results is None:
            return
        self.schedule.checked((m.key for m in carried), now)
        self._next_status_at = now + (SAFETY_NET_CYCLE_S if safety_net else 0.0)
        report.asked += len(refs)
        report.changes += await self.apply_polled(results)

    def note_unpriced(self, applied: Iterable[AppliedChange]) -> None:
        """Remember final messages without a cost: their price is asked for, once each."""
        if not self.prices_by_detail or self._unpriced is None:
            return  # the first price round looks through the whole cache anyway
        for change in applied:
            if _unpriced(change.after):
                self._unpriced[change.key] = None

    async def _prices(self, report: CycleReport) -> None:
        if self._unpriced is None:  # first round: what the cache held already
            mine = (m for m in self.store.messages_sorted() if m.account == self.account.name)
            self._unpriced = {m.key: None for m in mine if _unpriced(m)}
        for key in list(self._unpriced)[:PRICE_ASKS_PER_CYCLE]:
            message = self.store.get(key)
            if message is None or not _unpriced(message):
                del self._unpriced[key]
                continue
            ask = partial(self.gateway.status, message.message_id, message.phone)
            got = await self.call("status", key, ask)
            if got is None:  # refused by the budget or failed: the next cycle tries again
                return
            del self._unpriced[key]  # asked once: a reply without a price is the answer
            report.asked += 1
            report.changes += await self.apply_polled([got])

    async def apply_polled(self, results: list[Message]) -> int:
        """Apply polled statuses; a known message the gateway no longer finds is left alone."""
        keep = []
        for m in results:
            stored = self.store.get(m.key)
            if m.state is DeliveryState.NOT_FOUND and stored is not None:
                if settles_as_not_sent(stored, m, self.clock.now()):
                    keep.append(m)  # a send whose reply was lost never arrived: not sent
                elif stored.state is not DeliveryState.OUTCOME_UNKNOWN:
                    # Archived after a day (smsc.md §3.8): stop asking; history still has it.
                    self._gone.add(m.key)
                continue  # an unknown outcome too young to tell is asked again later
            keep.append(m)
        applied = await self._ingest(keep, Source.POLL)
        self.schedule.forget(c.key for c in applied if c.after.state.is_final)
        self.note_unpriced(applied)
        return len(applied)

    def _quiet_history_step_s(self) -> float:
        """Newest pages of a quiet account: the setting, but at most half the hourly budget."""
        rows = [r for r in self.budget.rows if r.endpoint == "history" and r.per == "login"]
        spacing = max((r.window_s / r.max for r in rows), default=0.0)
        return max(self.settings.history_interval_s, QUIET_HISTORY_SHARE * spacing)

    async def refresh_balance(self) -> Balance | None:
        """Sample the balance (also the `b` key); None when the budget or gateway refused."""
        balance = await self.call("balance", None, self.gateway.balance)
        if balance is not None and self.discovery is not None:
            # SMSC charges at sending: a changed balance means messages went out, maybe from
            # elsewhere, so the newest history page is worth a look now (the budget allowing).
            if self._balance_seen is not None and balance.amount != self._balance_seen:
                self._next_history_at = min(self._next_history_at, self.clock.now())
            self._balance_seen = balance.amount
        if balance is not None:
            self.store.record_balance(balance)
            self._next_balance_at = self.clock.now() + self.settings.balance_interval_s
        return balance

    # ---- pacing and health --------------------------------------------------------------

    def next_wakeup(self) -> float:
        """When the next cycle has something to do (bounded so a new send is seen soon)."""
        now = self.clock.now()
        times = [self._next_balance_at]
        if self.discovery is not None:
            times.append(max(self._next_history_at, self.budget.next_allowed_at("history")))
        due_at = self.schedule.next_due_at(self._open(), now, safety_net=self.safety_net)
        if due_at is not None:
            allowed = self.budget.next_allowed_at("status_mass")
            times.append(max(due_at, allowed, self._next_status_at if self.safety_net else 0.0))
        if self.prices_by_detail and (self._unpriced is None or self._unpriced):
            times.append(now + PRICE_CYCLE_S)
        paused = self.guard.paused_until(now)
        if paused:
            times = [paused]
        longest = max(MAX_SLEEP_S, self.settings.status_interval_s)
        return min(max(min(times), now + MIN_SLEEP_S), now + longest)

    def budget_left(self) -> str:
        """Compact "row=left/max" text of the per-login rows."""
        return " ".join(f"{r.name.split('.', 1)[-1]}={r.remaining}/{r.limit}"
                        for r in self.budget.limits_left()) or "unlimited"  # fmt: skip

    def health(self) -> AccountHealth:
        """This account's state for the health line."""
        s = self.guard.state
        now = self.clock.now()
        return AccountHealth(
            account=self.account.name,
            provider=self.account.provider.value,
            gateway_down=s.gateway_down,
            blocked_until=self.budget.blocked_until,
            blocked_by_login=self.budget.blocked_by_login,
            blocked_reason=self.budget.blocked_reason,
            backoff_until=self.budget.backoff_until() or self.guard.paused_until(now),
            last_error=s.last_error,
            last_error_at=s.last_error_at,
            last_poll_at=self.last_poll_at,
            next_poll_at=self.next_poll_at,
            requests_made=self.requests,
            limit_errors=s.limit_errors,
            limits=self.budget.limits_left(),
            rows=self.budget.rows_left(),
            backoffs=self.budget.backoffs(),
            lag=self.lag_estimate(),
        )

    def lag_estimate(self) -> LagEstimate:
        """How soon a status that changes at the gateway will be stored, as things run now."""
        now = self.clock.now()
        pending = self._open()
        safety_net = self.safety_net
        spacing = self._mass_spacing_s()
        step = self.schedule.interval_now(pending, now, safety_net=safety_net)
        if step is None:  # nothing open: what a new message would get
            step = check_interval(0.0, safety_net=safety_net)
        if safety_net:
            step = max(step, SAFETY_NET_CYCLE_S)
        discovery = None
        if self.discovery is not None:
            # A quiet account notices a campaign by its balance, then pages at once if it may.
            step = min(self._history_step_s, self.settings.balance_interval_s)
            discovery = max(step, self.budget.next_allowed_at("history") - now)
        paused = [b.until for b in self.budget.backoffs() if b.endpoint in _STATUS_PAUSES]
        paused += [t for t in (self.guard.paused_until(now),) if t is not None]
        opened = sum(1 for m in pending if not m.state.is_final and askable(m))
        return LagEstimate(
            interval_s=max(step, spacing), open=opened, left_out=self.left_out,
            discovery_s=discovery, pushes=safety_net, paused_until=max(paused, default=None),
        )  # fmt: skip

    def _mass_spacing_s(self) -> float:
        """The shortest gap the budget leaves between mass status requests (62 s at SMSC)."""
        rows = [r for r in self.budget.rows if r.endpoint == "status_mass" and r.per == "login"]
        return max((r.window_s / r.max for r in rows), default=0.0)


def _unpriced(message: Message) -> bool:
    """Final, delivered or not, and still without a cost (a not-found id has none to ask)."""
    state = message.state
    return state.is_final and state is not DeliveryState.NOT_FOUND and message.cost is None
