"""Only a theme the user picks is remembered; the config's theme stays the config's."""

from __future__ import annotations

from dataclasses import replace

from conftest import build_app
from smstui.ui.settings import load_ui_settings


async def test_the_config_theme_is_not_saved_as_a_user_choice(tmp_path) -> None:
    app, _, _ = build_app(tmp_path)
    app.config = replace(app.config, theme="nord")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "nord"
    # Saved, it would outrank the config forever: a later `theme = …` there would be ignored.
    assert "theme" not in load_ui_settings(tmp_path)
    again, _, _ = build_app(tmp_path)
    again.config = replace(again.config, theme="gruvbox")
    async with again.run_test() as pilot:
        await pilot.pause()
        assert again.theme == "gruvbox"
        again.theme = "dracula"  # the user's own pick is remembered
        await pilot.pause()
    assert load_ui_settings(tmp_path)["theme"] == "dracula"
