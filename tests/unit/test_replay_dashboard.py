"""The replay dashboard: the real app over a ReplayView of a real store; the player moves it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.clock import FakeClock
from smstui.commands.replay import replay_app
from smstui.config import parse_config
from smstui.errors import UsageError
from smstui.model import DeliveryState, Message, Provider, StatusChange
from smstui.replay import Replay, ReplayView
from smstui.replay_session import SPEEDS, MomentClock, Player, ReplayController
from smstui.store import Store
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.widgets.history import HistoryTable

S = DeliveryState
T0 = 1_763_700_000.0
P = "79990000001"


def msg(mid: str, at: float) -> Message:
    return Message("acc", Provider.SMSC, mid, P, S.QUEUED, "hello", "", at, "0",
                   cost=Decimal("1.00"), updated_at=at)  # fmt: skip


def chg(mid: str, state: S, raw: str, at: float) -> StatusChange:
    return StatusChange("acc", mid, state, raw, at, phone=P)


@pytest.fixture
def session(tmp_path):
    """Three minutes of a campaign: m1 at T0, m2 at T0+60 (m1 delivered), m3 at T0+120."""
    clock = FakeClock(T0)
    with Store.open(tmp_path / "cache", clock=clock) as store:
        store.apply([msg("m1", T0)])
        clock.set(T0 + 60)
        store.apply([msg("m2", T0 + 60), chg("m1", S.DELIVERED, "1", T0 + 55)])
        clock.set(T0 + 120)
        store.apply([msg("m3", T0 + 120), chg("m2", S.FAILED, "20", T0 + 100)])
        replay = Replay.load(store, T0 + 180)
    config = parse_config({"accounts": [{"name": "acc", "provider": "smsc", "login": "demo",
                                         "password": "demo"}], "cache": {"dir": str(tmp_path)},
                           "ui": {"timezone": "UTC"}})  # fmt: skip
    view = ReplayView(replay, T0 + 30)
    return config, view, Player(view, T0, T0 + 180)


async def test_the_dashboard_shows_the_moment_and_follows_the_player(session):
    config, view, player = session
    app = replay_app(config, view, player)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert [(m.message_id, m.state) for m in table.rows] == [("m1", S.QUEUED)]
        player.step(90)  # T0 + 120: m3 sent, m2 failed, m1 delivered
        await pilot.pause()
        assert [(m.message_id, m.state) for m in table.rows] == [
            ("m3", S.QUEUED), ("m2", S.FAILED), ("m1", S.DELIVERED)
        ]  # fmt: skip
        player.step(-60)  # T0 + 60: back again
        await pilot.pause()
        assert [(m.message_id, m.state) for m in table.rows] == [
            ("m2", S.QUEUED), ("m1", S.DELIVERED)
        ]  # fmt: skip


def test_the_player_stays_within_the_replay_and_cycles_speeds(session):
    _, view, player = session
    assert player.step(-3600) == T0
    assert player.step(86400) == T0 + 180 and not player.playing
    assert player.toggle() and view.at == T0  # play at the end starts over
    assert [player.faster() for _ in SPEEDS] == [10.0, 60.0, 1.0]
    assert "▶ ×1" in player.words()
    assert player.toggle() is False and "paused" in player.words()
    assert player.to_spike() is None and view.at == T0  # no spike: the moment stays


async def test_the_controller_asks_nothing_and_its_clock_is_the_moment(session, tmp_path):
    config, view, _ = session
    controller = ReplayController(view, config)
    assert MomentClock(view).now() == view.at
    with pytest.raises(UsageError, match="replay"):
        await controller.resend(("acc", "m1", P))
    refused = await controller.refresh_statuses([("acc", "m1", P)])
    assert refused[0].refused and refused[0].asked == 0
    assert controller.health().writer is False
    view.seek(T0 + 120)
    out = tmp_path / "x.jsonl"
    assert await controller.export(out, [("acc", "m1", P), ("acc", "m3", P)], "jsonl") == 2
    assert await controller.load_older() == 0


async def test_keys_move_the_moment_and_the_health_line_names_it(session):
    config, view, player = session
    app = replay_app(config, view, player)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        line = app.screen.query_one("#health")
        assert "replay" in str(line.render()) and "paused" in str(line.render())
        assert "following" not in str(line.render())  # a replay follows nobody
        await pilot.press("right")  # +1 min: T0 + 90, m2 sent
        await pilot.pause()
        assert view.at == T0 + 90 and {m.message_id for m in table.rows} == {"m1", "m2"}
        await pilot.press("left", "left")  # −2 min, kept within the replay: T0
        await pilot.pause()
        assert view.at == T0 and [m.message_id for m in table.rows] == ["m1"]
        await pilot.press("right_square_bracket")  # +1 day: the replay's end
        await pilot.pause()
        assert view.at == T0 + 180 and len(table.rows) == 3
        await pilot.press("x", "space")
        await pilot.pause()
        assert player.playing and player.speed == SPEEDS[1]
        assert f"×{SPEEDS[1]:g}" in str(line.render())


async def test_the_breakdown_covers_the_moment(session):
    config, view, player = session
    app = replay_app(config, view, player)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        player.step(90)  # T0 + 120: three messages exist
        await pilot.pause()
        await pilot.press("s")
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, BreakdownScreen) and app.screen.scope:
                break
        assert isinstance(app.screen, BreakdownScreen)
        assert app.screen.scope.endswith("3 messages"), app.screen.scope
