"""A message's status timeline: when (in the dashboard's zone), what, provider value, source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from textual.markup import escape
from textual.widgets import Static

from smstui.codes import explain
from smstui.model import Provider, StatusChange
from smstui.moscow import MSK
from smstui.ui.state_style import state_markup


def format_time(ts: float | None, tz: tzinfo | None = MSK) -> str:
    """Unix seconds as "2025-11-21 07:40:05" in `tz` (None: the machine's local zone)."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")


def zone_label(ts: float, tz: tzinfo | None) -> str:
    """The name of the zone times are shown in ("MSK", "UTC", "+05"), for labels."""
    moment = (
        datetime.fromtimestamp(ts, tz)
        if tz is not None
        else datetime.fromtimestamp(ts).astimezone()
    )
    return moment.tzname() or moment.strftime("%z")


def age_text(seconds: float) -> str:
    """A short human age: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(s // 3600, 24)
    return f"{d} d {h} h" if h else f"{d} d"


class Timeline(Static):
    """Every observed status of one message, oldest first, with gaps and sources."""

    DEFAULT_CSS = """
    Timeline { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(
        self,
        changes: Sequence[StatusChange],
        provider: Provider,
        *,
        tz: tzinfo | None = MSK,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        self._changes = list(changes)
        self._provider = provider
        self._tz = tz
        super().__init__(self._markup(), id=id, classes=classes)

    @property
    def changes(self) -> list[StatusChange]:
        """The status changes shown, oldest first."""
        return list(self._changes)

    def set_changes(self, changes: Sequence[StatusChange]) -> None:
        """Show a new timeline (e.g. after a look-up added a status)."""
        self._changes = list(changes)
        self.update(self._markup())

    def _markup(self) -> str:
        if not self._changes:
            return "[dim]No status observed yet.[/]"
        ordered = sorted(self._changes, key=lambda c: (c.at, c.observed_at or c.at))
        first = ordered[0].at
        rows = []
        for change in ordered:
            status, _err = explain(self._provider.value, change.raw_status, change.error_code)
            lag = (change.observed_at - change.at) if change.observed_at is not None else 0.0
            provider_status = f"{change.raw_status} {status.name_en}".strip()
            if change.claimed_at is not None:  # a push dated in the future was clamped
                claimed = format_time(change.claimed_at, self._tz)
                provider_status += f" (gateway dated it {claimed}; taken as received)"
            elif lag >= 60:  # worth knowing: the status reached us late (slow poll, late push)
                provider_status += f" (learnt {age_text(lag)} later)"
            rows.append(
                (
                    format_time(change.at, self._tz),
                    "" if change.at == first else "+" + age_text(change.at - first),
                    change.state.value,
                    "" if change.error_code is None else str(change.error_code),
                    change.source.value,
                    provider_status,
                    state_markup(change.state),
                )
            )
        header = ("Time", "+", "State", "Err", "Source", "Provider status", "")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
        lines = [_line(header, widths, header=True)]
        lines += [_line(row, widths) for row in rows]
        return "\n".join(lines)


def _line(row: tuple[str, ...], widths: list[int], *, header: bool = False) -> str:
    """One aligned timeline line as Textual markup (colours from the theme)."""
    when, delta, state, err, source, provider_status, style = row
    cells = [
        escape(when.ljust(widths[0])),
        escape(delta.rjust(widths[1])),
        escape(state.ljust(widths[2])),
        escape(err.rjust(widths[3])),
        escape(source.ljust(widths[4])),
        escape(provider_status),
    ]
    if style:
        cells[2] = f"[{style}]{cells[2]}[/]"
    text = "  ".join(cells).rstrip()
    return f"[b]{text}[/]" if header else text
