"""The budget/health line: requests left, next poll, last error, gateway state, webhook counts."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from smstui.controller import AccountHealth, HealthSnapshot
from smstui.ui.widgets.stats import duration_text


def account_text(acc: AccountHealth, now: float) -> str:
    """One account's part of the line, as markup."""
    parts = [f"[b]{escape(acc.account)}[/b]"]
    if acc.gateway_down:
        parts.append("[$error b]GATEWAY DOWN[/]")
    if acc.blocked_until and acc.blocked_until > now:
        parts.append(f"[$error b]IP BLOCKED {duration_text(acc.blocked_until - now)}[/]")
    elif acc.backoff_until and acc.backoff_until > now:
        parts.append(f"[$warning]backoff {duration_text(acc.backoff_until - now)}[/]")
    for limit in acc.limits:
        short = limit.name.split(".", 1)[-1]
        tone = "$warning" if limit.remaining == 0 else "$foreground-muted"
        parts.append(f"[{tone}]{escape(short)} {limit.remaining}/{limit.limit}[/]")
    if acc.next_poll_at is not None:
        parts.append(f"next poll {duration_text(max(0.0, acc.next_poll_at - now))}")
    if acc.last_error:
        parts.append(f"[$error]last error: {escape(acc.last_error)}[/]")
    return " ".join(parts)


def health_text(
    snap: HealthSnapshot, now: float, action_error: str = "", writer_pid: str = ""
) -> str:
    """The whole line as markup (accounts, webhook, writer state, last failed action)."""
    sections = [account_text(a, now) for a in snap.accounts] or ["[dim]no accounts polled[/dim]"]
    if snap.webhook_url:
        counts = " ".join(f"{k} {v}" for k, v in sorted(snap.webhook_counters.items()))
        sections.append(f"webhook {counts or 'idle'}")
    if not snap.writer:
        who = f"pid {escape(writer_pid)}" if writer_pid and writer_pid != "?" else "another smstui"
        sections.insert(0, f"[$warning b]following {who}: it polls[/]")  # never cut off
    if snap.webhook_problem:
        sections.append(f"[$error b]webhook down: {escape(snap.webhook_problem)}[/]")
    if snap.cache_problem:  # first: a cache that cannot write is the operator's first problem
        sections.insert(0, f"[$error b]CACHE: {escape(snap.cache_problem)}[/]")
    if action_error:
        sections.append(f"[$error]action failed: {escape(action_error)}[/]")
    return " │ ".join(sections)


class HealthLine(Static):
    """Reads a HealthSnapshot each second (cheap) and only repaints when the text changed."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._text: str | None = None
        self.action_error = ""
        self.writer_pid = ""  # set by the screen when another process writes the cache

    def show(self, snap: HealthSnapshot, now: float) -> None:
        """Display the snapshot; flags the line as -down when any gateway is unreachable."""
        text = health_text(snap, now, self.action_error, self.writer_pid)
        if text == self._text:
            return
        self._text = text
        bad = bool(snap.cache_problem) or any(
            a.gateway_down or (a.blocked_until or 0) > now for a in snap.accounts
        )
        self.set_class(bad, "-down")
        self.update(text)
