"""The campaign at a glance: the last 5 and 15 minutes, the current send-out, failures, totals.

Every figure carries its own label ("sent 1 173/min", "98.8% delivered", "ETA 12 min") and
the rows are fitted to the strip's size: a row drops its least telling figures or takes a
shorter form of them, never cuts a word; when rows must go, they go least telling first
(the failures and the 5-minute rate stay longest), and the sparkline goes before any text.
The figures themselves come from smstui.campaign.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Sparkline, Static

from smstui.campaign import (
    ALL_CACHED,
    SPARK_MINUTES,
    CampaignFigures,
    SendOut,
    Window,
)
from smstui.display import clock, group, plural, short_duration
from smstui.model import DeliveryState
from smstui.ui.state_style import state_markup

__all__ = ["ALL_CACHED", "CampaignStrip", "fit_row", "strip_lines"]

Segment = tuple[str, ...]  # one figure's forms (Rich markup), longest first
SEP = " · "
MAX_ROWS = 5  # rows shown when the strip may grow (its height is auto)
SPARK_MIN_W = 100  # below this inner width the sparkline leaves its room to the text
SPARK_W = 31  # the sparkline box and its margin


def _len(markup: str) -> int:
    return Content.from_markup(markup).cell_length


def _join(parts: Sequence[str]) -> str:
    """Figures joined by " · "; a label ("last 5 min:") is followed by a space only."""
    out = ""
    for i, part in enumerate(parts):
        if i:
            out += " " if parts[i - 1].endswith(":") else SEP
        out += part
    return out


def fit_row(segments: Sequence[Segment], width: int) -> str:
    """The row's figures fitted to `width` cells, most telling first: each figure in turn
    takes its longest form that still fits beside the ones already placed, else is left out.
    The first figure always stays; a label ("last 5 min:") is placed last, in its longest
    form that fits, so that it never costs a figure. Words are never cut."""
    if not segments:
        return ""
    chosen: list[int | None] = [None] * len(segments)
    chosen[0] = len(segments[0]) - 1  # the first figure, in its shortest form at least

    def fits() -> bool:
        parts = [seg[c] for seg, c in zip(segments, chosen, strict=True) if c is not None]
        return _len(_join(parts)) <= width

    labelled = segments[0][-1].endswith(":")
    order = [*range(1, len(segments)), 0] if labelled else range(len(segments))
    for i in order:
        shortest = chosen[i]
        for form in range(len(segments[i])):
            chosen[i] = form
            if fits():
                break
        else:
            chosen[i] = shortest
    return _join([seg[c] for seg, c in zip(segments, chosen, strict=True) if c is not None])


def _rate(per_min: float) -> str:
    if per_min >= 10 or per_min == int(per_min):
        return group(per_min)
    return f"{per_min:.1f}"


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _window_row(w: Window) -> list[Segment]:
    minutes = f"{w.minutes:g} min"
    label: Segment = (f"last {minutes}:", f"{minutes}:")
    settled = w.delivered + w.failed
    if not w.sent and not settled:
        return [(f"{label[0]} nothing sent or settled", f"{label[1]} quiet")]
    row: list[Segment] = [label, (f"[b]sent {_rate(w.per_minute(w.sent))}/min[/b]",)]
    pct = w.delivery_pct
    if pct is None:
        row.append(("none settled",))
    else:
        row.append((f"[b]{_pct(pct)}[/b] delivered", f"[b]{_pct(pct)}[/b] deliv."))
    if settled:
        row.append((f"failed {_rate(w.per_minute(w.failed))}/min",))
        row.append((f"delivered {_rate(w.per_minute(w.delivered))}/min",))
    return row


def _eta(s: SendOut) -> str:
    eta = s.eta_s
    return "ETA —" if eta is None else f"[b]ETA {short_duration(eta)}[/b]"


def _sendout_row(s: SendOut | None, now: float) -> list[Segment]:
    if s is None:
        return [("no send-out yet",)]
    start = clock(s.first_at, now)
    since = f"before {start}" if s.capped else start
    if s.sending:
        label: Segment = (f"send-out since {since}:", f"send-out {since}:", f"since {since}:")
    else:
        end = clock(s.last_at, now)
        label = (f"send-out {since}–{end}:", f"{since}–{end}:")
    if not s.pending:
        return [label, (f"{plural(s.total, 'msg')}, all settled", "all settled")]
    row: list[Segment] = [label]
    row.append((f"{group(s.settled)} of {group(s.total)} settled",
                f"{group(s.settled)}/{group(s.total)} settled"))  # fmt: skip
    row.append((f"{group(s.pending)} pending",))
    row.append((_eta(s),))
    if s.at_gateway:
        row.append((f"{group(s.at_gateway)} still queued",))
    return row


def _count(state: DeliveryState, n: int) -> str:
    return f"[{state_markup(state)}]{state.value.replace('_', ' ')} {group(n)}[/]"


def _failures_row(fig: CampaignFigures) -> list[Segment]:
    failed = [(s, n) for s, n in fig.counts if s.is_failure]
    if failed:
        every = SEP.join(_count(s, n) for s, n in failed)
        total = f"[b $error]failures {group(fig.failures)}[/]"
        row: list[Segment] = [(every, total) if len(failed) > 1 else (every,)]
    else:
        row = [("no failures",)]
    if fig.oldest_pending_s is None:
        row.append(("nothing pending",))
        return row
    if fig.stuck:
        row.append((f"[b $warning]{group(fig.stuck)} stuck[/]",))
    elif fig.stuck == 0:
        row.append(("none stuck",))
    age = short_duration(fig.oldest_pending_s)
    row.append((f"oldest pending {age}", f"oldest {age}"))
    return row


def _totals_row(fig: CampaignFigures) -> list[Segment]:
    pct = fig.delivery_pct
    head = f"total {plural(fig.total, 'msg')}"
    row: list[Segment] = [(head,)]
    if pct is not None:
        row.append((f"{_pct(pct)} delivered",))
    row.extend((_count(s, n),) for s, n in fig.counts if not s.is_failure)
    return row


def strip_lines(fig: CampaignFigures, width: int, rows: int) -> list[str]:
    """The strip's lines for a text area of `width` × `rows` cells (markup)."""
    five, fifteen = fig.activity.windows[:2] if len(fig.activity.windows) >= 2 else (None, None)
    candidates: list[tuple[int, list[Segment]]] = []  # (priority, row), in display order
    if five is not None:
        candidates.append((1, _window_row(five)))
    if fifteen is not None:
        candidates.append((3, _window_row(fifteen)))
    candidates.append((2, _sendout_row(fig.activity.sendout, fig.at)))
    candidates.append((0, _failures_row(fig)))
    candidates.append((4, _totals_row(fig)))
    keep = sorted(p for p, _ in candidates)[: max(1, rows)]
    return [fit_row(row, width) for p, row in candidates if p in keep]


class CampaignStrip(Horizontal):
    """Recent rates, the send-out and failures on the left; sends per minute on the right."""

    ALLOW_MAXIMIZE = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = "Campaign"
        self._shown: CampaignFigures | None = None
        self._lines: list[str] = []
        self.lines: list[str] = []  # the plain text last shown (tests read it)

    def compose(self) -> ComposeResult:
        """Text and the labelled sparkline side by side."""
        yield Static("", id="campaign-text")
        with Vertical(id="campaign-spark-box"):
            yield Static(f"sent per minute · last {SPARK_MINUTES} min", id="campaign-spark-label")
            yield Sparkline([], id="campaign-spark")

    def show(self, fig: CampaignFigures) -> None:
        """Display new figures (a no-op when unchanged)."""
        if fig == self._shown:
            return
        old, self._shown = self._shown, fig
        self.border_title = f"Campaign · {fig.scope}"
        if old is None or old.activity.per_minute != fig.activity.per_minute:
            self.query_one("#campaign-spark", Sparkline).data = list(fig.activity.per_minute)
        self._draw()

    def on_resize(self) -> None:
        """Fit the rows (and the sparkline) to the new size."""
        self._draw()

    def _room(self) -> tuple[int, int]:
        """(text width, rows) the strip has now; the sparkline shown only when it leaves
        the text SPARK_MIN_W - SPARK_W cells."""
        inner = self.content_size.width
        spark = inner >= SPARK_MIN_W
        self.set_class(not spark, "-no-spark")
        width = inner - SPARK_W if spark else inner
        height = self.styles.height
        rows = MAX_ROWS if height is None or height.is_auto else self.content_size.height
        return max(1, width), max(1, rows)

    def _draw(self) -> None:
        fig = self._shown
        if fig is None or not self.content_size.width:
            return
        width, rows = self._room()
        lines = strip_lines(fig, width, rows)
        if lines == self._lines:
            return
        # nowrap text: only a different number of lines can change the strip's height, and a
        # layout pass over the whole screen is the costliest part of a live batch.
        relayout = len(lines) != len(self._lines)
        self._lines = lines
        self.lines = [Content.from_markup(line).plain for line in lines]
        self.query_one("#campaign-text", Static).update("\n".join(lines), layout=relayout)
