"""Pilot tests: the palette lists smstui's commands and jump targets, and looks up any number."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from smstui.phones import full_number
from smstui.ui.screens.lookup import LookupScreen
from smstui.ui.screens.main import MainScreen

SIZE = (120, 36)


async def palette_prompts(pilot, app) -> list[str]:
    """The palette's entries once they stop changing."""
    await pilot.press("ctrl+p")
    seen: list[str] = []
    for _ in range(60):
        await pilot.pause(0.05)
        if not isinstance(app.screen, CommandPalette):
            continue
        options = app.screen.query_one(CommandList)
        now = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        if now and now == seen:
            return now
        seen = now
    return seen


async def test_palette_lists_our_commands_not_the_framework_s(ui):
    app, _store, _controller = ui
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        prompts = await palette_prompts(pilot, app)
        text = "\n".join(prompts)
        for ours in ("Look up any number…", "Go to the newest failure", "Go to the newest message",
                     "Resend", "Filter", "Health", "Export CSV", "Quit"):  # fmt: skip
            assert ours in text, ours
        for framework in ("Screenshot", "Keys", "Maximize", "Minimize"):
            assert framework not in text, framework
        framework = [p for p in prompts if p.startswith("Theme")]
        assert len(framework) <= 1 and len(prompts) >= 10  # mostly ours: the theme picker stays


async def test_look_up_any_number_opens_an_input_and_asks_the_controller(ui):
    app, _store, controller = ui
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await palette_prompts(pilot, app)
        await pilot.press(*"look up any")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)
        box = app.screen.query_one("#lookup-phone", Input)
        assert app.focused is box
        await pilot.press(*"12ab")  # not a number: says so, stays open, asks nobody
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen) and box.has_class("-error")
        box.value = "+7 (903) 555-01-02"
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause()
            if "lookup 79035550102" in controller.calls:
                break
        assert "lookup 79035550102" in controller.calls
        assert isinstance(app.screen, MainScreen)
        assert app.number_info["79035550102"].operator == "МТС"


async def test_typing_a_number_in_the_palette_offers_its_look_up(ui):
    app, _store, controller = ui
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await palette_prompts(pilot, app)
        await pilot.press(*"+79035550102")
        for _ in range(40):
            await pilot.pause(0.05)
            options = app.screen.query_one(CommandList)
            if options.option_count:
                first = str(options.get_option_at_index(0).prompt)
                if "Look up number" in first:
                    break
        assert "Look up number 79035550102" in first
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause()
            if "lookup 79035550102" in controller.calls:
                break
        assert "lookup 79035550102" in controller.calls


def test_full_number() -> None:
    assert full_number("+7 (916) 123-45-67") == "79161234567"
    assert full_number("79161234567") == "79161234567"
    assert full_number("916") is None and full_number("7916abc4567") is None
    assert full_number("1" * 16) is None and full_number("") is None
