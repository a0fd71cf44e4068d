"""The campaign at a glance: counts by state, delivery %, send rate, oldest pending, stuck.

The strip names its scope (the filter, else all cached messages); its rate is averaged over a
few minutes so that a poll bringing a minute's sends at once does not make it swing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from smstui.display import group, short_duration
from smstui.model import DeliveryState
from smstui.ui.state_style import state_markup
from smstui.ui.widgets.stats import RATE_WINDOW_S, delivery_percent

ALL_CACHED = "all cached"
SPARK_MINUTES = 30  # the sparkline's span: one bar per minute

# The order an operator reads a campaign in: waiting, on its way, arrived, failed.
STATE_ORDER = (
    DeliveryState.QUEUED,
    DeliveryState.SCHEDULED,
    DeliveryState.SENT,
    DeliveryState.DELIVERED,
    DeliveryState.READ,
    DeliveryState.FAILED,
    DeliveryState.EXPIRED,
    DeliveryState.REJECTED,
    DeliveryState.NOT_FOUND,
    DeliveryState.STOPPED,
    DeliveryState.UNKNOWN,
)


@dataclass(frozen=True)
class CampaignFigures:
    """Everything the strip shows, computed by the screen from the store."""

    counts: tuple[tuple[DeliveryState, int], ...]
    per_minute: tuple[int, ...]
    oldest_pending_s: float | None
    scope: str = ALL_CACHED  # what the figures cover: the filter, else every cached message
    rate_per_min: float = 0.0  # sends per minute over the last RATE_WINDOW_S
    stuck: int | None = None  # pending past their operator's usual delivery time

    @classmethod
    def build(
        cls,
        counts: Mapping[DeliveryState, int],
        per_minute: Sequence[int],
        oldest: float | None,
        *,
        scope: str = ALL_CACHED,
        rate_per_min: float = 0.0,
        stuck: int | None = None,
    ) -> CampaignFigures:
        """Normalise the figures (ordered, zero counts dropped) so equal data compares equal."""
        ordered = tuple((s, counts[s]) for s in STATE_ORDER if counts.get(s))
        rate = round(rate_per_min, 1)
        return cls(ordered, tuple(per_minute), oldest, scope, rate, stuck)


def _count(state: DeliveryState, n: int) -> str:
    return f"[{state_markup(state)}]{state.value} {n}[/]"


def figures_text(fig: CampaignFigures) -> str:
    """Four lines, most telling first (80 columns show two and ~30 characters of each):
    delivery and stuck, rate and age, then the failures, then the other states."""
    counts = dict(fig.counts)
    pct = delivery_percent(counts)
    head = [f"[b]{pct:.1f}%[/b] delivered" if pct is not None else "delivered —"]
    if fig.oldest_pending_s is None:
        head.append("nothing pending")
    elif fig.stuck:
        head.append(f"[b $warning]{group(fig.stuck)} stuck[/]")
    elif fig.stuck == 0:
        head.append("none stuck")
    head.append(f"[b]{group(sum(counts.values()))}[/b] msgs")  # the history title counts too
    pace = [f"{fig.rate_per_min:g}/min, {RATE_WINDOW_S / 60:g} min avg"]
    if fig.oldest_pending_s is not None:
        pace.append(f"oldest pending {short_duration(fig.oldest_pending_s)}")
    failed = [_count(s, n) for s, n in fig.counts if s.is_failure] or ["no failures"]
    rest = [_count(s, n) for s, n in fig.counts if not s.is_failure]
    return "\n".join(" · ".join(p) for p in (head, pace, failed, rest) if p)


class CampaignStrip(Horizontal):
    """Counts and delivery rate on the left, a labelled sends-per-minute sparkline on the right."""

    ALLOW_MAXIMIZE = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Campaign"
        self._shown: CampaignFigures | None = None

    def compose(self) -> ComposeResult:
        """Text and the labelled sparkline side by side."""
        yield Static("", id="campaign-text")
        with Vertical(id="campaign-spark-box"):
            yield Static(f"sent/min · last {SPARK_MINUTES} min", id="campaign-spark-label")
            yield Sparkline([], id="campaign-spark")

    def show(self, fig: CampaignFigures) -> None:
        """Display new figures (a no-op when unchanged)."""
        if fig == self._shown:
            return
        old, self._shown = self._shown, fig
        self.border_title = f"Campaign · {fig.scope}"
        text = figures_text(fig)
        # nowrap text: only a different number of lines can change the strip's height, and a
        # layout pass over the whole screen is the costliest part of a live batch.
        lines_changed = old is None or figures_text(old).count("\n") != text.count("\n")
        self.query_one("#campaign-text", Static).update(text, layout=lines_changed)
        if old is None or old.per_minute != fig.per_minute:
            self.query_one("#campaign-spark", Sparkline).data = list(fig.per_minute)
