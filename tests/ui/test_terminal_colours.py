"""Readable without colour (NO_COLOR) and on 16 colours (TERM=xterm), from the real rendering."""

from __future__ import annotations

import re

from rich.color import ColorSystem
from textual.color import Color

from conftest import build_app
from smstui.ui.terminal_colors import fit_to_terminal, rounds_to_red

SIZE = (120, 36)
PANES = ("BalancePane", "CampaignStrip", "HistoryTable", "LiveFeed")


def rounds_red(color) -> bool:
    return color.downgrade(ColorSystem.STANDARD).number in (1, 9)


def cell(app, strips, x: int, y: int, *, filtered: bool):
    """(character, foreground, background) at one screen cell, after the app's filters."""
    segments = list(strips[y])
    if filtered:
        for line_filter in app._filters:  # what the driver applies: Monochrome under NO_COLOR
            segments = line_filter.apply(segments, Color(0, 0, 0))
    pos = 0
    for segment in segments:
        if pos <= x < pos + len(segment.text):
            style = segment.style
            fg = Color.from_rich_color(style.color) if style and style.color else None
            bg = Color.from_rich_color(style.bgcolor) if style and style.bgcolor else None
            return segment.text[x - pos], fg, bg
        pos += len(segment.text)
    raise AssertionError(f"no cell at {x},{y}")


async def test_no_color_borders_stand_out_from_the_background(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app, _store, _controller = build_app(tmp_path)
    assert app.no_color
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        shapes = {}
        for name in PANES:
            widget = app.screen.query_one(name)
            region = widget.region
            char, fg, bg = cell(app, strips, region.x, region.y, filtered=True)  # the corner
            assert fg is not None and bg is not None, name
            assert fg.r == fg.g == fg.b, (name, fg)  # monochrome: grey, as the user sees it
            # Unfocused borders were #2A2A2A on #121212 (black on black): now clearly apart.
            assert fg.brightness - bg.brightness >= 0.35, (name, fg.hex, bg.hex)
            shapes[name] = (char, widget.has_focus)
        assert shapes["HistoryTable"] == ("┏", True)  # focus differs by shape, not only shade
        assert shapes["LiveFeed"] == ("╭", False)


async def test_xterm_16_colours_keep_red_for_failures_only(tmp_path, monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM")
    app, _store, _controller = build_app(tmp_path)
    assert app.console.color_system == "standard"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        red = []
        for strip in strips:
            for segment in strip:
                color = segment.style.color if segment.style else None
                if color and segment.text.strip() and rounds_red(color):
                    red.append(segment.text.strip())
        # Before: the focused border, "sent 27", "38 stuck", the sparkline and the footer keys.
        assert red, "the sample data has failures: they must stay red"
        assert all(re.fullmatch(r"(failed|rejected)( [\d ]+)?", text) for text in red), red
        history = app.screen.query_one("HistoryTable")
        assert history.has_focus
        _char, fg, _bg = cell(app, strips, history.region.x, history.region.y, filtered=False)
        assert fg.rich_color.downgrade(ColorSystem.STANDARD).number not in (1, 9)


def test_fit_to_terminal_only_on_16_colours() -> None:
    theme = {"accent": "#FEA62B", "warning": "#FEA62B", "error": "#B93C5B",
             "state-failed": "#B93C5B", "warning-muted": "#FEA62B33", "text": "auto 87%",
             "success": "#4EBF71"}  # fmt: skip
    assert fit_to_terminal(theme, "truecolor") is theme
    assert fit_to_terminal(theme, "256") is theme
    fitted = fit_to_terminal(theme, "standard")
    assert fitted["error"] == theme["error"] and fitted["state-failed"] == theme["state-failed"]
    assert fitted["success"] == theme["success"] and fitted["text"] == "auto 87%"
    for name in ("accent", "warning", "warning-muted"):
        assert not rounds_to_red(fitted[name]), name
    assert fitted["accent"] != fitted["warning"]  # focus and caution stay apart
    assert Color.parse(fitted["warning-muted"]).a == Color.parse(theme["warning-muted"]).a
