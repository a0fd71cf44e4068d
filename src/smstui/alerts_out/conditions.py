"""When an alert's condition is over: the monitor's own spike rule, the health snapshot, balance."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from smstui.alerts import AlertMonitor
from smstui.controller import AccountHealth, HealthSnapshot
from smstui.display import group, money, plural
from smstui.store_view import StoreView

# Rate limiting is over when the back-off has ended and no new limit error came for this long:
# a gateway that refuses one request a minute is still limiting.
LIMIT_QUIET_S = 60.0


class ClearingMonitor(AlertMonitor):
    """The alert monitor that can also say whether an account's failure rate still spikes.

    A subclass, so the spike rule is judged by the monitor's own code and data (one place).
    """

    def spiking(self, account: str) -> bool:
        """True while the spike rule holds for the account's recent final outcomes."""
        now = self._clock.now()
        self._prune(now)
        return self._spike(account, now) is not None

    def recent(self, account: str) -> tuple[int, int]:
        """(failed, final outcomes) of the account in the rule's recent window."""
        since = self._clock.now() - self.rule.window_s
        window = [failed for when, failed in self._outcomes.get(account, ()) if when >= since]
        return sum(window), len(window)


class Clearing:
    """Judges each open (kind, account): the words saying it is over, or None while it lasts."""

    def __init__(self, monitor: ClearingMonitor, low_balance: Mapping[str, Decimal]) -> None:
        self._monitor = monitor
        self._low = dict(low_balance)
        self._limits: dict[str, tuple[int, float]] = {}  # account → (limit errors, since)

    def observe(self, health: HealthSnapshot) -> None:
        """Note when each account's count of limit errors last grew."""
        for acc in health.accounts:
            count, _since = self._limits.get(acc.account, (-1, health.at))
            if acc.limit_errors != count:
                self._limits[acc.account] = (acc.limit_errors, health.at)

    def over(self, kind: str, account: str, store: StoreView, health: HealthSnapshot) -> str | None:
        """Why the condition is over ("Balance is 5 000.00 RUB again, …"), or None."""
        acc = next((a for a in health.accounts if a.account == account), None)
        if kind == "failure_spike":
            return self._spike_over(account)
        if kind == "low_balance":
            return self._balance_over(account, store)
        if acc is None:
            return None
        return _health_over(kind, acc, health.at, self._limits.get(account))

    def _spike_over(self, account: str) -> str | None:
        """Over when the rule no longer holds and the rate is not high in itself: a campaign
        failing at 100% for an hour makes 100% its "normal", yet nothing is resolved."""
        rule, (failed, total) = self._monitor.rule, self._monitor.recent(account)
        minutes = round(rule.window_s / 60)
        if total < rule.min_finals:
            return None if self._monitor.spiking(account) else (
                f"Fewer than {rule.min_finals} final outcomes in the last {minutes} min."
            )  # fmt: skip
        if self._monitor.spiking(account) or failed / total >= rule.no_baseline_rate:
            return None
        return (
            f"{group(failed)} of {plural(total, 'message')} failed in the last {minutes} min: "
            f"{failed / total:.0%}."
        )

    def _balance_over(self, account: str, store: StoreView) -> str | None:
        threshold, latest = self._low.get(account), store.latest_balance(account)
        if threshold is None or latest is None or latest.amount <= threshold:
            return None
        return (
            f"Balance is {money(latest.amount, latest.currency)}, above the "
            f"{money(threshold)} threshold again."
        )


def _health_over(
    kind: str, acc: AccountHealth, at: float, limits: tuple[int, float] | None
) -> str | None:
    blocked = acc.blocked_until is not None and acc.blocked_until > at
    if kind == "gateway_down":
        return None if acc.gateway_down else f"{acc.provider} answers again; polling resumed."
    if kind in ("ip_blocked", "login_failed"):
        return None if blocked else "The pause is over; smstui polls this account again."
    if kind == "rate_limited":
        backing_off = acc.backoff_until is not None and acc.backoff_until > at
        quiet = limits is not None and at - limits[1] >= LIMIT_QUIET_S
        if backing_off or not quiet:
            return None
        return "No limit errors for a minute and the back-off is over."
    return None
