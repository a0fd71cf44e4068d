"""The main view over a replay: the same panes, plus keys that move the moment.

←/→ ±1 min, shift+←/→ ±1 h, [ / ] ±1 day, space plays or pauses, x changes the speed, n goes to
the next failure spike. The player is a protocol: the UI never imports smstui.replay.
"""

from __future__ import annotations

from typing import Any, Protocol

from textual.binding import Binding

from smstui.ui.screens.main import MainScreen

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


class Replayer(Protocol):
    """What the replay keys ask of the player (smstui.replay_session.Player)."""

    def step(self, seconds: float) -> float:
        """Move the moment by `seconds` (negative: back); returns the moment."""
        ...

    def toggle(self) -> bool:
        """Play or pause; True when playing."""
        ...

    def faster(self) -> float:
        """The next speed (×1 → ×10 → ×60 → ×1)."""
        ...

    def to_spike(self) -> float | None:
        """Go to the next failure spike (None: there is none)."""
        ...

    def words(self) -> str:
        """The moment and the speed in words."""
        ...


class ReplayMainScreen(MainScreen):
    """The dashboard as it was: every pane reads the moment; keys move it."""

    BINDINGS = [
        Binding("left", "step(-60)", "−1 min"),
        Binding("right", "step(60)", "+1 min"),
        Binding("shift+left", "step(-3600)", "−1 h", show=False),
        Binding("shift+right", "step(3600)", "+1 h", show=False),
        Binding("left_square_bracket", "step(-86400)", "−1 day", show=False),
        Binding("right_square_bracket", "step(86400)", "+1 day", show=False),
        Binding("space", "pause", "Play/pause", id="pause"),
        Binding("x", "faster", "Speed"),
        Binding("n", "spike", "Next spike"),
    ]

    def __init__(self, *, replay: Replayer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.replay = replay

    def action_step(self, seconds: float) -> None:
        """Move the moment; the panes follow through the store's changes."""
        self.replay.step(seconds)
        self.refresh_health()

    def action_pause(self) -> None:
        """Space: play or pause the replay (the feed's own pause is for live news)."""
        self.replay.toggle()
        self.refresh_health()

    def action_faster(self) -> None:
        """×1 → ×10 → ×60."""
        self.replay.faster()
        self.refresh_health()

    def action_spike(self) -> None:
        """The next failure spike after the moment, as the alert monitor would raise it."""
        if self.replay.to_spike() is None:
            self.notify("No later failure spike", title="Replay", timeout=4)
        self.refresh_health()
