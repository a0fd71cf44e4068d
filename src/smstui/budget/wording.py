"""A refusal in words: which limit or back-off, and when to ask again (display zone, relative)."""

from __future__ import annotations

from smstui.budget.limits import Limit
from smstui.display import clock, duration

__all__ = [
    "ask_again",
    "clear_pause_command",
    "duration",
    "local_time",
    "login_pause",
    "per_window",
    "row_text",
]


def per_window(seconds: float) -> str:
    """60 → "minute", 3600 → "hour", 10 → "10 s", 62 → "62 s" (a margin's window, exactly)."""
    named = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}
    if float(seconds) in named:
        return named[float(seconds)]
    return duration(seconds) if seconds % 60 == 0 or seconds < 60 else f"{seconds:g} s"


def local_time(at: float, now: float) -> str:
    """The moment in the display zone: "05:51:12" today, dated on another day."""
    return clock(at, now, sec=True)


def ask_again(at: float, now: float) -> str:
    """ "ask again in 42 s (05:51:12)"."""
    return f"ask again in {duration(at - now)} ({local_time(at, now)})"


def row_text(row: Limit) -> str:
    """ "the balance limit (10 per minute)", margins named as smstui's own."""
    mine = ", smstui's safety margin" if row.layer == "margin" else ""
    return f"the {row.endpoint} limit ({row.max} per {per_window(row.window_s)}{mine})"


def clear_pause_command(account: str) -> str:
    """The command that lifts a failed-login pause (documented in the README and --help)."""
    return "smstui budget --clear-pause" + (f" --account {account}" if account else "")


def login_pause(failed: int, account: str) -> str:
    """Why an account is paused after failed logins, and how to lift the pause early."""
    return (
        f"wrong login or password: {failed} failed logins in a row; fix the password or API key "
        f"in the config, then run `{clear_pause_command(account)}` to ask before the pause ends"
    )
