"""What the dashboard runs on in a replay, besides the ReplayView: its clock, a controller that
asks nothing of the gateways, and the player that moves the moment (no Textual).

The keys the dashboard binds in a replay call the Player: `step` (±1 min, ±1 h, ±1 day),
`toggle` (space: play/pause), `faster` (×1 → ×10 → ×60 → ×1) and `to_spike` (the next failure
spike the alert monitor raised). `run` is the service that plays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from smstui.config import Config
from smstui.controller import AccountHealth, HealthSnapshot, StatusRefresh
from smstui.display import clock, stamp, zone_name
from smstui.errors import UsageError
from smstui.model import Balance, Key, Message, NumberInfo, SendResult
from smstui.replay import ReplayView

SPEEDS = (1.0, 10.0, 60.0)  # replayed seconds per real second
TICK_S = 0.5  # how often a playing replay moves (real seconds)
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


class MomentClock:
    """The dashboard's clock in a replay: `now` is the replayed moment (windows, ages and
    relative times are told from it); `sleep` waits real time (the screen's own ticks)."""

    def __init__(self, view: ReplayView) -> None:
        self.view = view

    def now(self) -> float:
        """The replayed moment."""
        return self.view.at

    async def sleep(self, seconds: float) -> None:
        """Real time: the replay moves only when the player moves it."""
        await asyncio.sleep(max(0.0, seconds))


class ReplayController:
    """The Controller of a replay: the past is only read. Every action that would ask a
    gateway, send or load is refused with one sentence; exports write what the moment shows."""

    def __init__(self, view: ReplayView, config: Config) -> None:
        self.view = view
        self.config = config
        self.words: Callable[[], str] = lambda: f"replay {stamp(view.at)}"  # the player's

    def _refuse(self, what: str) -> UsageError:
        at = stamp(self.view.at)
        return UsageError(f"a replay shows the cache at {at} {zone_name(at=self.view.at)}: "
                          f"{what} is not asked from a replay (run the dashboard)")  # fmt: skip

    def health(self) -> HealthSnapshot:
        """No polling: every account idle, the cache read-only; what the replay lacks."""
        accounts = tuple(AccountHealth(a.name, a.provider.value) for a in self.config.accounts)
        return HealthSnapshot(at=self.view.at, accounts=accounts, writer=False,
                              cache_problem=self.view.replay.partial,
                              replay=self.words())  # fmt: skip

    async def refresh_status(self, key: Key) -> Message:
        """Refused: the gateway's answer now is not the past."""
        raise self._refuse("a status")

    async def refresh_statuses(self, keys: Sequence[Key]) -> list[StatusRefresh]:
        """Refused for every account, never raised (the Controller's contract)."""
        why = f"a replay at {clock(self.view.at)} asks no gateway"
        accounts = sorted({k[0] for k in keys})
        return [StatusRefresh(a, 0, refused=why) for a in accounts]

    async def lookup(self, account: str, phone: str, *, hlr: bool = False) -> NumberInfo:
        """Refused: a look-up spends budget (and money, for HLR)."""
        raise self._refuse("a number look-up")

    async def resend(self, key: Key, *, allow_permanent: bool = False) -> SendResult:
        """Refused: a replay never sends."""
        raise self._refuse("a resend")

    async def refresh_balance(self, account: str) -> Balance:
        """Refused: the balance now is not the past's."""
        raise self._refuse("a balance")

    def prioritise(self, keys: Sequence[Key]) -> None:
        """Nothing to reorder: a replay asks no gateway."""

    async def export(self, path: Path, keys: list[Key], fmt: str) -> int:
        """These messages as the moment shows them, to CSV or JSONL (secrets masked)."""
        from smstui.export import export_messages

        messages = [m for m in (self.view.get(k) for k in keys) if m is not None]
        secrets = self.config.secrets()
        return await asyncio.to_thread(export_messages, path, messages, fmt, secrets=secrets)

    async def load_older(self) -> int:
        """Nothing waits on disk: the replay holds every message up to its end."""
        return 0


class Player:
    """Moves a replay's moment between `start` and `end`: steps, play at ×1/×10/×60, spikes."""

    def __init__(self, view: ReplayView, start: float, end: float) -> None:
        self.view = view
        self.start = min(start, end)
        self.end = end
        self.playing = False
        self.speed = SPEEDS[0]

    def seek(self, t: float) -> float:
        """Go to t, kept within the replay's span; returns the moment."""
        self.view.seek(min(max(t, self.start), self.end))
        if self.view.at >= self.end:
            self.playing = False
        return self.view.at

    def step(self, seconds: float) -> float:
        """Move by `seconds` (negative: back): ±MINUTE, ±HOUR, ±DAY on the keys."""
        return self.seek(self.view.at + seconds)

    def toggle(self) -> bool:
        """Play or pause (at the end, play starts over from the start); True when playing."""
        if not self.playing and self.view.at >= self.end:
            self.seek(self.start)
        self.playing = not self.playing
        return self.playing

    def faster(self) -> float:
        """The next speed: ×1 → ×10 → ×60 → ×1."""
        self.speed = SPEEDS[(SPEEDS.index(self.speed) + 1) % len(SPEEDS)]
        return self.speed

    def to_spike(self) -> float | None:
        """Jump to the next failure spike after the moment (None, staying put: there is none)."""
        spike = self.view.replay.first_spike(after=self.view.at)
        if spike is None or spike > self.end:
            return None
        return self.seek(spike)

    def words(self) -> str:
        """The replay's state for a title or the health line: "replay 10:15 ▶ ×10"."""
        mark = ("▶ " + f"×{self.speed:g}") if self.playing else "paused"
        return f"replay {stamp(self.view.at)} {zone_name(at=self.view.at)} {mark}"

    async def run(self) -> None:
        """The service that plays: every TICK_S, while playing, move speed × TICK_S on."""
        while True:
            await asyncio.sleep(TICK_S)
            if self.playing:
                self.step(self.speed * TICK_S)
