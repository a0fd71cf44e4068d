"""The campaign strip: every figure labelled, rows fitted to the strip, nothing cut mid-word."""

from __future__ import annotations

import re

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from conftest import build_app
from smstui.campaign import Activity, CampaignFigures, SendOut, Window
from smstui.model import DeliveryState as S
from smstui.ui.paths import stylesheets
from smstui.ui.state_style import with_state_variables
from smstui.ui.widgets.campaign_strip import CampaignStrip, fit_row, strip_lines

T = 1_763_700_000.0
FIG = CampaignFigures.build(
    {S.DELIVERED: 40_000, S.SENT: 8_000, S.QUEUED: 1_049, S.FAILED: 643, S.EXPIRED: 28,
     S.REJECTED: 217},
    300.0,
    stuck=33,
    activity=Activity(
        (Window(300.0, 5_865, 4_750, 60), Window(900.0, 16_500, 13_200, 225)),
        (1,) * 30,
        SendOut(T - 3000, T - 2, 50_000, 1_049, 41_200, 4_800, sending=True),
    ),
    at=T,
)  # fmt: skip


def plain(line: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", line)


def test_each_figure_has_its_own_label_when_there_is_room():
    lines = [plain(x) for x in strip_lines(FIG, 120, 5)]
    assert lines == [
        "last 5 min: sent 1 173/min · 98.8% delivered · failed 12/min · delivered 950/min",
        "last 15 min: sent 1 100/min · 98.3% delivered · failed 15/min · delivered 880/min",
        "send-out since 03:50: 41 200 of 50 000 settled · 8 800 pending · ETA 9 min"
        " · 1 049 still queued",
        "failed 643 · expired 28 · rejected 217 · 33 stuck · oldest pending 5 min",
        "total 49 937 msgs · 97.8% delivered · queued 1 049 · sent 8 000 · delivered 40 000",
    ]


def test_two_narrow_rows_keep_the_failures_and_the_rate():
    lines = [plain(x) for x in strip_lines(FIG, 28, 2)]
    assert lines == ["last 5 min: sent 1 173/min", "failures 888 · 33 stuck"]


SHORT_FORMS = {"failures 888", "98.8% deliv.", "98.3% deliv.", "oldest 5 min", "5 min:",
               "15 min:", "since 03:50:", "send-out 03:50:",
               "41 200/50 000 settled"}  # fmt: skip


def parts(line: str) -> list[str]:
    """A row's figures: split at " · " and after a label ("last 5 min:")."""
    out = []
    for part in plain(line).split(" · "):
        label, colon, rest = part.partition(": ")
        out.extend([label + ":", rest] if colon else [part])
    return out


@pytest.mark.parametrize("width", range(20, 90, 3))
def test_rows_are_never_cut_mid_word(width):
    whole = {p for line in strip_lines(FIG, 200, 5) for p in parts(line)}
    for line in strip_lines(FIG, width, 5):
        got = parts(line)
        assert len(plain(line)) <= width or len(got) <= 2  # only a lone figure may overflow
        assert set(got) <= whole | SHORT_FORMS, line


def test_oldest_pending_takes_its_short_form_rather_than_being_cut():
    row = [("failures 888",), ("33 stuck",), ("oldest pending 5 min", "oldest 5 min")]
    assert fit_row(row, 40) == "failures 888 · 33 stuck · oldest 5 min"
    assert fit_row(row, 46) == "failures 888 · 33 stuck · oldest pending 5 min"
    assert fit_row(row, 30) == "failures 888 · 33 stuck"


def test_an_ended_send_out_says_when_it_ran_and_a_settled_one_says_so():
    ended = SendOut(T - 7200, T - 3600, 500, 0, 450, 0, sending=False)
    fig = CampaignFigures.build({S.SENT: 50}, 60.0, activity=Activity((), (), ended), at=T)
    [line] = [plain(x) for x in strip_lines(fig, 100, 5) if "send-out" in x]
    assert line == "send-out 02:40–03:40: 450 of 500 settled · 50 pending · ETA —"
    done = SendOut(T - 7200, T - 3600, 500, 0, 500, 0, sending=False)
    fig = CampaignFigures.build({S.DELIVERED: 500}, None, activity=Activity((), (), done), at=T)
    assert "send-out 02:40–03:40: 500 msgs, all settled" in [
        plain(x) for x in strip_lines(fig, 100, 5)
    ]


async def test_strip_at_80x24_shows_the_failed_count_and_the_rate(tmp_path):
    app = build_app(tmp_path)[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        strip = app.screen.query_one(CampaignStrip)
        text = "\n".join(strip.lines)
        assert "failures 38" in text  # 18 failed + 10 expired + 8 rejected + 2 not found
        assert "last 5 min: sent 1.6/min" in text  # 8 sends in the last 5 minutes
        assert not strip.query_one("#campaign-spark-box").display
        assert all(len(line) <= strip.content_size.width for line in strip.lines)


async def test_strip_at_120x36_labels_every_recent_figure(tmp_path):
    app = build_app(tmp_path)[0]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        strip = app.screen.query_one(CampaignStrip)
        assert strip.lines[0] == "last 5 min: sent 1.6/min · 87.5% delivered · failed 0.2/min"
        assert strip.lines[2].startswith("send-out since 02:40: 160 of 200 settled · 40 pending")
        assert "ETA 25 min" in strip.lines[2]
        assert strip.lines[3].startswith("failed 18 · expired 10 · rejected 8 · not found 2")


class StripApp(App[None]):
    """The top band of the main view: a 46-column stand-in for the balance, then the strip."""

    CSS_PATH = [*stylesheets()]
    CSS = "#balance-standin { width: 46; }"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def get_css_variables(self) -> dict[str, str]:
        return with_state_variables(super().get_css_variables())  # the $state-… colours

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static("", id="balance-standin")
            yield CampaignStrip(id="campaign")

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.query_one(CampaignStrip).show(FIG)


def test_strip_snapshot_120(snap_compare):
    """The strip as it sits beside the balance at 120 columns: five labelled rows ("last
    5 min: sent 1 173/min · 98.8% delivered · failed 12/min", the 15 minutes' row, "send-out
    03:50: 41 200 of 50 000 settled · 8 800 pending · ETA 9 min", the failures by state with
    "33 stuck · oldest 5 min", the totals), no sparkline, no word cut."""
    assert snap_compare(StripApp(), terminal_size=(120, 7))


def test_strip_snapshot_80(snap_compare):
    """At 80 columns the strip has two rows of 28 cells: "last 5 min: sent 1 173/min" and
    "failures 888 · 33 stuck"."""
    assert snap_compare(StripApp(), terminal_size=(80, 4))
