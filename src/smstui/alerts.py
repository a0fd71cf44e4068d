"""Decide when the operator must be told: failure spikes, low balance, limits, blocks, outages.

Pure logic over the injected clock (no Textual, no I/O); the app turns each Alert into a toast
and a bell. Every alert kind is debounced per account so a flapping gateway does not spam.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from smstui.clock import Clock
from smstui.controller import AccountHealth, HealthSnapshot
from smstui.display import clock, group, money, plural, zone_name
from smstui.model import Balance, StatusChange

Severity = Literal["information", "warning", "error"]
_RANK = {"information": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class Alert:
    """Something the operator should see now (Textual's notify severities)."""

    severity: Severity
    subject: str  # "low balance": what happened, without the account (the log has a column)
    text: str
    kind: str  # failure_spike, low_balance, rate_limited, ip_blocked, gateway_down, gateway_up
    account: str

    @property
    def title(self) -> str:
        """The toast's title, naming the account: "main: low balance"."""
        return f"{self.account}: {self.subject}" if self.account else self.subject


@dataclass(frozen=True, slots=True)
class SpikeRule:
    """When a failure rate counts as a spike."""

    window_s: float = 300.0  # the recent window whose failure rate is judged
    baseline_s: float = 3600.0  # the window before it, the "normal" rate
    min_finals: int = 20  # fewer final outcomes than this in the window prove nothing
    ratio: float = 2.0  # recent rate at least this many times the baseline …
    min_rate: float = 0.2  # … and at least this high in absolute terms
    no_baseline_rate: float = 0.5  # without a baseline yet, alert above this rate


class AlertMonitor:
    """Turns observations into debounced Alerts; one per (kind, account) per debounce_s."""

    def __init__(
        self, clock: Clock, *, debounce_s: float = 300.0, failure_spike: SpikeRule | None = None
    ) -> None:
        self._clock = clock
        self._debounce_s = debounce_s
        self._rule = failure_spike or SpikeRule()
        self._last: dict[tuple[str, str], tuple[float, Severity]] = {}
        self._outcomes: dict[str, deque[tuple[float, bool]]] = {}
        self._seen: dict[tuple[str, str, str], float] = {}  # final outcomes already counted
        self._down: set[str] = set()
        self._limit_errors: dict[str, int] = {}

    @property
    def rule(self) -> SpikeRule:
        """The failure-spike thresholds in use."""
        return self._rule

    @property
    def debounce_s(self) -> float:
        """How long a repeat of the same alert (kind, account) stays quiet."""
        return self._debounce_s

    def observe_changes(self, changes: list[StatusChange]) -> list[Alert]:
        """Count final outcomes per account; alert when the recent failure rate spikes."""
        now = self._clock.now()
        touched: set[str] = set()
        for change in changes:
            if not change.state.is_final:
                continue
            key = (change.account, change.message_id, change.phone)
            if key in self._seen:  # the same outcome from poll and webhook counts once
                continue
            self._seen[key] = now
            when = change.observed_at if change.observed_at is not None else now
            self._outcomes.setdefault(change.account, deque()).append(
                (when, change.state.is_failure)
            )
            touched.add(change.account)
        self._prune(now)
        alerts = []
        for account in sorted(touched):
            alert = self._spike(account, now)
            if alert and self._allow(alert, now):
                alerts.append(alert)
        return alerts

    def observe_balance(
        self, account: str, balance: Balance | Decimal, low_threshold: Decimal | None
    ) -> list[Alert]:
        """Alert when the balance is at or below the threshold (error at zero or below)."""
        amount = balance.amount if isinstance(balance, Balance) else Decimal(balance)
        currency = balance.currency if isinstance(balance, Balance) else ""
        if low_threshold is None or amount > low_threshold:
            self._last.pop(("low_balance", account), None)  # topped up: the next drop alerts
            return []
        shown = money(amount, currency)
        if amount <= 0:
            alert = Alert(
                "error",
                "balance exhausted",
                f"Balance is {shown}; sends will fail until the account is topped up.",
                "low_balance",
                account,
            )
        else:
            alert = Alert(
                "warning",
                "low balance",
                f"Balance {shown} is at or below the {money(low_threshold)} threshold.",
                "low_balance",
                account,
            )
        return [alert] if self._allow(alert, self._clock.now()) else []

    def observe_health(self, health: HealthSnapshot) -> list[Alert]:
        """Alert on gateway down / back up, IP blocked (error 4) and rate limiting (error 9)."""
        now = self._clock.now()
        alerts: list[Alert] = []
        for acc in health.accounts:
            for alert in self._health_alerts(acc, health.at):
                if self._allow(alert, now):
                    alerts.append(alert)
        return alerts

    def _health_alerts(self, acc: AccountHealth, at: float) -> list[Alert]:
        name, found = acc.account, []
        detail = f" Last error: {acc.last_error}" if acc.last_error else ""
        if acc.gateway_down and name not in self._down:
            self._down.add(name)
            found.append(
                Alert(
                    "error",
                    "gateway down",
                    f"{acc.provider} is not answering; polling backs off.{detail}",
                    "gateway_down",
                    name,
                )
            )
        elif not acc.gateway_down and name in self._down:
            self._down.discard(name)
            self._last.pop(("gateway_down", name), None)
            found.append(
                Alert(
                    "information",
                    "gateway back",
                    f"{acc.provider} answers again; polling resumed.",
                    "gateway_up",
                    name,
                )
            )
        if acc.blocked_until is not None and acc.blocked_until > at and acc.blocked_by_login:
            until = _clock_time(acc.blocked_until)
            found.append(
                Alert("error", "wrong login or password",
                      f"smstui pauses this account until {until}: {acc.blocked_reason}.",
                      "login_failed", name)
            )  # fmt: skip
        elif acc.blocked_until is not None and acc.blocked_until > at:
            found.append(
                Alert(
                    "error",
                    "IP blocked (error 4)",
                    "The gateway blocked "
                    f"this IP until {_clock_time(acc.blocked_until)}; smstui pauses "
                    "this account.",
                    "ip_blocked",
                    name,
                )
            )
        previous = self._limit_errors.get(name, 0)
        self._limit_errors[name] = acc.limit_errors
        if acc.limit_errors > previous:
            until = (
                f" until {_clock_time(acc.backoff_until)}"
                if acc.backoff_until and acc.backoff_until > at
                else ""
            )
            found.append(
                Alert(
                    "warning",
                    "rate limited (error 9)",
                    f"The gateway "
                    f"refused {plural(acc.limit_errors - previous, 'request')} as too many; "
                    f"smstui backs off{until}.",
                    "rate_limited",
                    name,
                )
            )
        return found

    def _spike(self, account: str, now: float) -> Alert | None:
        rule = self._rule
        recent = base = recent_fail = base_fail = 0
        for when, failed in self._outcomes.get(account, ()):
            if when >= now - rule.window_s:
                recent, recent_fail = recent + 1, recent_fail + failed
            else:
                base, base_fail = base + 1, base_fail + failed
        if recent < rule.min_finals:
            return None
        rate = recent_fail / recent
        if base >= rule.min_finals:
            normal = base_fail / base
            if rate < rule.min_rate or rate < normal * rule.ratio:
                return None
            versus = f" (normally {normal:.0%})"
        elif rate >= rule.no_baseline_rate:
            versus = ""
        else:
            return None
        minutes = round(rule.window_s / 60)
        return Alert(
            "error",
            "failure spike",
            f"{group(recent_fail)} of {plural(recent, 'message')} "
            f"failed in the last {minutes} min: {rate:.0%}{versus}.",
            "failure_spike",
            account,
        )

    def _allow(self, alert: Alert, now: float) -> bool:
        """Debounce per (kind, account); a rise in severity gets through at once."""
        key = (alert.kind, alert.account)
        last = self._last.get(key)
        if last and now - last[0] < self._debounce_s and _RANK[alert.severity] <= _RANK[last[1]]:
            return False
        self._last[key] = (now, alert.severity)
        return True

    def _prune(self, now: float) -> None:
        horizon = now - self._rule.window_s - self._rule.baseline_s
        for outcomes in self._outcomes.values():
            while outcomes and outcomes[0][0] < horizon:
                outcomes.popleft()
        if len(self._seen) > 50_000:  # bounded memory; old keys cannot recur within the window
            self._seen = {k: t for k, t in self._seen.items() if t >= horizon}


def _clock_time(ts: float) -> str:
    """HH:MM in the display zone, named ("08:00 MSK"), as the dashboard labels every time."""
    return f"{clock(ts)} {zone_name(at=ts)}"
