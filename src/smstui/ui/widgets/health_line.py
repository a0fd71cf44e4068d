"""The health line: per account a labelled budget meter, the webhook's counts, and real trouble.

One line, never wrapped: when the parts do not fit they first take their short forms, then the
least important go (lookups and balance budgets, then the webhook's rejections, …); problems
are never dropped. Colour is
kept for real trouble only: a gateway down, a block, a limit spent for long, a cache problem.
Its countdowns would repaint it every second: paused or in low bandwidth it moves only every
few seconds (a new problem still shows at once), and low bandwidth shows times coarsely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from smstui.controller import NO_WRITER, AccountHealth, HealthSnapshot, LimitLeft
from smstui.display import clock, duration, group, relative, short_duration
from smstui.push_counters import received, rejected
from smstui.ui.bandwidth import Pace, coarse_wait

# What each endpoint's budget is called on the line (the mass status call is "status").
ENDPOINT_WORDS = {"status_mass": "status", "operator": "lookups", "get": "status"}
# Rank on the line, lower first; also the order parts are dropped in (highest rank first).
ENDPOINT_RANK = {"status_mass": 3, "history": 3, "get": 3, "balance": 6, "operator": 7}
LONG_WAIT_S = 120.0  # a spent limit that holds requests back longer than a poll cycle is trouble


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of the line: its markup, a shorter form, and how readily it goes (0: never)."""

    markup: str
    rank: int
    short: str = ""  # the same in fewer cells ("" when there is none)

    @property
    def cells(self) -> int:
        """Its width on screen."""
        return Content.from_markup(self.markup).cell_length

    def shortened(self) -> Part | None:
        """The short form as a part of its own (None when there is none)."""
        return Part(self.short, self.rank) if self.short else None


def per_window(window_s: float) -> str:
    """60 → "per min", 3600 → "per h", 86400 → "per day", 10 → "per 10 s" ("" if unknown)."""
    if window_s <= 0:
        return ""
    named = {60.0: "per min", 3600.0: "per h", 86400.0: "per day"}
    return named.get(float(window_s)) or f"per {duration(window_s)}"


def limit_word(limit: LimitLeft) -> str:
    """The budget's name on the line: "status", "history", "balance", "lookups"."""
    endpoint = limit.endpoint or limit.name.rsplit(".", 1)[-1]
    return ENDPOINT_WORDS.get(endpoint, endpoint.replace("_", " "))


def limit_trouble(limit: LimitLeft, now: float) -> bool:
    """Requests to this endpoint are held back longer than a poll cycle (this row or a margin)."""
    return (limit.next_allowed_at or now) - now > LONG_WAIT_S


def when(at: float, now: float, coarse: bool = False) -> str:
    """A moment on the line: "in 4 min (05:51)"; coarse: "until 05:51" (no countdown)."""
    return f"until {clock(at, now)}" if coarse else relative(at, now)


def limit_part(limit: LimitLeft, now: float, coarse: bool = False) -> Part:
    """ "history 12/30 per h" (requests left of the window's maximum)."""
    count = f"{limit_word(limit)} {limit.remaining}/{limit.limit}"
    window = per_window(limit.window_s)
    text = f"{count} {window}".strip()
    short = f"{count}/{window.removeprefix('per ')}" if window else count
    endpoint = limit.endpoint or limit.name.rsplit(".", 1)[-1]
    if limit_trouble(limit, now):
        until = when(limit.next_allowed_at or now, now, coarse)
        return Part(f"[$warning b]{escape(text)} · next {escape(until)}[/]", 1)
    return Part(escape(text), ENDPOINT_RANK.get(endpoint, 7), escape(short))


def account_parts(acc: AccountHealth, now: float, coarse: bool = False) -> list[Part]:
    """One account's segment: its name, trouble, next poll, then its budgets."""
    parts = [Part(f"[b]{escape(acc.account)}[/b]", 0)]
    if acc.gateway_down:
        parts.append(Part("[$error b]gateway down[/]", 0))
    if acc.blocked_until and acc.blocked_until > now:
        ends = when(acc.blocked_until, now, coarse)
        parts.append(Part(f"[$error b]blocked, ends {ends}[/]", 0))
    elif acc.backoff_until and acc.backoff_until > now:
        parts.append(Part(f"[$warning]backing off {when(acc.backoff_until, now, coarse)}[/]", 1))
    if acc.last_error and acc.gateway_down:
        parts.append(Part(f"[$error]{escape(acc.last_error)}[/]", 4))
    if acc.next_poll_at is not None:
        left = max(0.0, acc.next_poll_at - now)
        wait = coarse_wait(left) if coarse else short_duration(left)
        parts.append(Part(f"next poll {wait}", 2, f"poll {wait}"))
    parts += [limit_part(limit, now, coarse) for limit in acc.limits]
    return parts


def webhook_parts(snap: HealthSnapshot) -> list[Part]:
    """ "webhook ✓ 1 234 received · 3 rejected" (the health screen has every counter)."""
    counts = snap.webhook_counters
    got = group(received(counts))
    parts = [Part(f"webhook ✓ {got} received", 4, f"webhook ✓ {got}")]
    turned_away = rejected(counts)
    if turned_away:
        parts.append(Part(f"{group(turned_away)} rejected", 5, f"{group(turned_away)} rej."))
    return parts


def health_sections(
    snap: HealthSnapshot,
    now: float,
    action_error: str = "",
    writer_pid: str = "",
    pace: Pace = Pace(),
) -> list[list[Part]]:
    """Every section of the line, in display order, before any is dropped."""
    sections = [account_parts(a, now, pace.coarse) for a in snap.accounts]
    if not sections:
        sections = [[Part("[dim]no accounts polled[/dim]", 0)]]
    if snap.webhook_url:
        sections.append(webhook_parts(snap))
    if pace.low_bandwidth:  # the operator must know why the screen moves only every 2 s
        sections.append([Part("low bandwidth", 1, "low-bw")])
    if snap.replay:  # the past: nothing polls, the moment and the player's speed say where
        sections.insert(0, [Part(f"[$accent b]{escape(snap.replay)}[/]", 0)])
    elif not snap.writer and writer_pid == NO_WRITER:  # read-only, and nobody polls
        full = "[$warning b]read-only: nothing polls this cache (run smstui poll)[/]"
        sections.insert(0, [Part(full, 0, "[$warning b]read-only: not polled[/]")])
    elif not snap.writer:
        who = f"pid {escape(writer_pid)}" if writer_pid and writer_pid != "?" else "another smstui"
        sections.insert(0, [Part(f"[$warning b]following {who}: it polls[/]", 0)])
    if snap.notify_problem:  # alerts are not reaching people: the screen is the last resort
        failing = f"[$warning b]alerts out failing: {escape(snap.notify_problem)}[/]"
        sections.insert(0, [Part(failing, 0, "[$warning b]alerts out failing[/]")])
    if snap.webhook_problem:  # the receiver could not start: pushes are lost, polling carries on
        sections.insert(0, [Part(f"[$error b]webhook down: {escape(snap.webhook_problem)}[/]", 0)])
    if snap.cache_problem:  # first: a cache that cannot write is the operator's first problem
        sections.insert(0, [Part(f"[$error b]CACHE: {escape(snap.cache_problem)}[/]", 0)])
    if action_error:  # the user just did something that failed: next to the problems, kept
        at = 1 if snap.cache_problem else 0
        sections.insert(at, [Part(f"[$error]action failed: {escape(action_error)}[/]", 0)])
    return sections


def fit_sections(sections: list[list[Part]], width: int | None) -> str:
    """One line of the sections: the least important parts shortened, else dropped, first."""
    kept = [list(parts) for parts in sections]

    def cells() -> int:
        live = [[p for p in s if p.markup] for s in kept]
        live = [s for s in live if s]
        inner = sum(p.cells for s in live for p in s) + sum(3 * (len(s) - 1) for s in live)
        return inner + 3 * (len(live) - 1)

    everything = [(p.rank, i, j) for i, s in enumerate(kept) for j, p in enumerate(s) if p.rank]
    for _, i, j in sorted(everything, reverse=True):  # least important (and later) first
        if width is None or cells() <= width:
            break
        short = kept[i][j].shortened()
        if short is not None:
            kept[i][j] = short
        if cells() > width:  # indices stay valid: a dropped part is blanked, not removed
            kept[i][j] = Part("", 0)
    kept = [[p for p in s if p.markup] for s in kept]
    return " │ ".join(" · ".join(p.markup for p in s) for s in kept if s)


def health_text(
    snap: HealthSnapshot,
    now: float,
    action_error: str = "",
    writer_pid: str = "",
    width: int | None = None,
    pace: Pace = Pace(),
) -> str:
    """The whole line as markup, fitted to `width` cells (None: everything)."""
    return fit_sections(health_sections(snap, now, action_error, writer_pid, pace), width)


def trouble(snap: HealthSnapshot, now: float) -> bool:
    """Something to act on: a gateway down or blocked, the webhook down, the cache failing."""
    return bool(snap.cache_problem or snap.webhook_problem) or any(
        a.gateway_down or (a.blocked_until or 0) > now for a in snap.accounts
    )


def problems(sections: list[list[Part]]) -> tuple[str, ...]:
    """The parts that are never dropped (names, troubles): when they change, nothing waits."""
    return tuple(p.markup for s in sections for p in s if p.rank == 0)


class HealthLine(Static):
    """Reads a HealthSnapshot each second (cheap) and only repaints when the text changed,
    and then at most every `pace.summary_s` seconds unless a problem came or went."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._text: str | None = None
        self._problems: tuple[str, ...] = ()
        self._shown_at: float | None = None  # when the text last changed on screen
        self._last: tuple[HealthSnapshot, float] | None = None
        self.pace = Pace()
        self.action_error = ""
        self.writer_pid = ""  # set by the screen when another process writes the cache

    def set_pace(self, pace: Pace) -> None:
        """Paused or low bandwidth: repaint less often (and coarsely); shown again at once."""
        if pace != self.pace:
            self.pace = pace
            self._shown_at = None
            if self._last is not None:
                self.show(*self._last)

    def show(self, snap: HealthSnapshot, now: float) -> None:
        """Display the snapshot in one line; flags the line as -down on real trouble."""
        self._last = (snap, now)
        width = self.content_region.width or max(20, self.app.size.width - 2)
        sections = health_sections(snap, now, self.action_error, self.writer_pid, self.pace)
        text = fit_sections(sections, width)
        if text == self._text:
            return
        urgent = problems(sections) != self._problems
        recent = self._shown_at is not None and now - self._shown_at < self.pace.summary_s
        if recent and not urgent:  # a countdown moved: it waits for the next summary
            return
        self._text, self._problems, self._shown_at = text, problems(sections), now
        self.set_class(trouble(snap, now), "-down")
        self.update(text)

    def on_resize(self) -> None:
        """Fit the line again to the new width."""
        if self._last is not None:
            self._shown_at = None  # a new width is not a countdown: fit it at once
            self.show(*self._last)
