"""The campaign at a glance: counts by state, delivery %, sends per minute, oldest pending age."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Sparkline, Static

from smstui.model import DeliveryState
from smstui.ui.state_style import state_markup
from smstui.ui.widgets.stats import delivery_percent, duration_text

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

    @classmethod
    def build(
        cls, counts: Mapping[DeliveryState, int], per_minute: Sequence[int], oldest: float | None
    ) -> CampaignFigures:
        """Normalise the figures (ordered, zero counts dropped) so equal data compares equal."""
        ordered = tuple((s, counts[s]) for s in STATE_ORDER if counts.get(s))
        return cls(ordered, tuple(per_minute), oldest)


def _count(state: DeliveryState, n: int) -> str:
    return f"[{state_markup(state)}]{state.value} {n}[/]"


def figures_text(fig: CampaignFigures) -> str:
    """Three lines: the summary, the failures, then the rest (so 80 columns keep what matters)."""
    counts = dict(fig.counts)
    pct = delivery_percent(counts)
    summary = [f"[b]{sum(counts.values())}[/b] msgs"]
    summary.append(f"delivered [b]{pct:.1f}%[/b]" if pct is not None else "delivered —")
    summary.append(f"{fig.per_minute[-1] if fig.per_minute else 0}/min")
    if fig.oldest_pending_s is None:
        summary.append("nothing pending")
    else:
        summary.append(f"oldest pending {duration_text(fig.oldest_pending_s)}")
    failed = [_count(s, n) for s, n in fig.counts if s.is_failure] or ["no failures"]
    rest = [_count(s, n) for s, n in fig.counts if not s.is_failure]
    return "\n".join(" · ".join(p) for p in (summary, failed, rest) if p)


class CampaignStrip(Horizontal):
    """Counts and delivery rate on the left, a sends-per-minute sparkline on the right."""

    ALLOW_MAXIMIZE = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "Campaign"
        self._shown: CampaignFigures | None = None

    def compose(self) -> ComposeResult:
        """Text and sparkline side by side."""
        yield Static("", id="campaign-text")
        yield Sparkline([], id="campaign-spark")

    def show(self, fig: CampaignFigures) -> None:
        """Display new figures (a no-op when unchanged)."""
        if fig == self._shown:
            return
        old, self._shown = self._shown, fig
        text = figures_text(fig)
        # nowrap text: only a different number of lines can change the strip's height, and a
        # layout pass over the whole screen is the costliest part of a live batch.
        lines_changed = old is None or figures_text(old).count("\n") != text.count("\n")
        self.query_one("#campaign-text", Static).update(text, layout=lines_changed)
        if old is None or old.per_minute != fig.per_minute:
            self.query_one("#campaign-spark", Sparkline).data = list(fig.per_minute)
