"""Feeds smstui.alerts.AlertMonitor from the app's signals and shows what it decides.

Store batches give final outcomes (failure spikes), the 1 s tick gives health snapshots
(gateway down, error 4 / 9) and balance samples (low balance). The monitor debounces; this
module only translates values in and alerts out, so it needs no Textual.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from smstui.alerts import Alert, AlertMonitor
from smstui.controller import HealthSnapshot
from smstui.model import AppliedChange, Message, Source, StatusChange
from smstui.store_view import StoreView


def outcomes(
    changes: Iterable[AppliedChange | StatusChange | Message], now: float
) -> list[StatusChange]:
    """The status changes in a store batch (AppliedChange, StatusChange or Message items).

    A message discovered already final (history) carries no StatusChange; it still counts as an
    outcome, so one is made from the message itself.
    """
    out: list[StatusChange] = []
    for item in changes:
        if isinstance(item, StatusChange):
            out.append(item)
            continue
        before: Message | None = None
        if isinstance(item, AppliedChange):
            if item.kind == "timeline":
                continue  # an older status recorded late: not a new outcome
            if item.change is not None:
                out.append(item.change)
                continue
            after, before = item.after, item.before
        else:
            after = item
        if not after.state.is_final:
            continue
        if before is not None and before.state is after.state:
            continue
        # Dated by the gateway's own time: a failure discovered hours late (the first history
        # poll) belongs to the spike rule's baseline, not to "the last five minutes".
        at = after.updated_at or after.sent_at or now
        out.append(
            StatusChange(
                after.account, after.message_id, after.state, after.raw_status,
                at, Source.HISTORY, after.error_code, after.phone, min(at, now),
            )
        )  # fmt: skip
    return out


ALERT_LOG_SIZE = 200  # alerts kept for the alert log screen (newest last)


class AlertRelay:
    """Observations in, debounced alerts out through `show` (the app: toast + bell) and a log."""

    def __init__(
        self,
        monitor: AlertMonitor,
        show: Callable[[Alert], None],
        low_balance: Mapping[str, float] | None = None,
    ) -> None:
        self.monitor = monitor
        self._show = show
        self._low = {a: Decimal(str(v)) for a, v in (low_balance or {}).items()}
        self._balance_seen: dict[str, float | None] = {}
        self.log: deque[tuple[float, Alert]] = deque(maxlen=ALERT_LOG_SIZE)

    @property
    def low_balance(self) -> dict[str, Decimal]:
        """The low-balance threshold of each account that has one."""
        return dict(self._low)

    def _emit(self, alerts: list[Alert], now: float) -> None:
        for alert in alerts:
            self.log.append((now, alert))
            self._show(alert)

    def changes(self, batch: Iterable[AppliedChange | StatusChange | Message], now: float) -> None:
        """A store batch: count its final outcomes."""
        found = outcomes(batch, now)
        if found:
            self._emit(self.monitor.observe_changes(found), now)

    def tick(self, store: StoreView, health: HealthSnapshot) -> None:
        """Once a second: the health snapshot, and each new balance sample against its limit."""
        self._emit(self.monitor.observe_health(health), health.at)
        for account, threshold in self._low.items():
            latest = store.latest_balance(account)
            if latest is None or self._balance_seen.get(account, -1.0) == latest.at:
                continue  # judge each sample once; the monitor debounces repeats
            self._balance_seen[account] = latest.at
            self._emit(self.monitor.observe_balance(account, latest, threshold), health.at)
