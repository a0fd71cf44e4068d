"""The Textual app: wiring only — store signals in, screens and palette out."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from contextlib import asynccontextmanager
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from smstui.clock import Clock, SystemClock
from smstui.config import Config
from smstui.model import NumberInfo
from smstui.ui.messages import StoreUpdated
from smstui.ui.paths import stylesheets
from smstui.ui.screens.main import MainScreen
from smstui.ui.settings import load_ui_settings, save_ui_setting

JUMP_LIMIT = 10  # palette hits for a typed message id or phone


class MessageCommands(Provider):
    """Every main-view action by name, plus 'jump to' a message by id or phone."""

    def _actions(self) -> list[tuple[str, str, str]]:
        main = self.app.main_screen  # type: ignore[attr-defined]
        out = []
        for active in main.active_bindings.values():
            binding = active.binding
            if binding.description and binding.action not in {"clear_filter"}:
                out.append((binding.description, binding.action, active.binding.key))
        return out

    async def discover(self) -> Hits:
        """List the actions when the palette opens empty."""
        main = self.app.main_screen  # type: ignore[attr-defined]
        for name, action, key in self._actions():
            yield DiscoveryHit(name, partial(main.run_action, action), help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        """Actions that fuzzy-match, then messages whose id or phone contains the digits typed."""
        main = self.app.main_screen  # type: ignore[attr-defined]
        matcher = self.matcher(query)
        for name, action, key in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(main.run_action, action),
                    help=f"key: {key}",
                )
        needle = query.strip().lstrip("+")
        if len(needle) < 3:
            return
        found = 0
        for message in main.store.messages_sorted():
            if needle in message.message_id or needle in message.phone:
                label = f"Go to {message.phone} · id {message.message_id} · {message.state.value}"
                yield Hit(0.5, label, partial(self.app.jump_to, message.key), help=message.account)
                found += 1
                if found >= JUMP_LIMIT:
                    return


class SmstuiApp(App):
    """smstui's dashboard. Build it with `make_app`; it never does I/O itself."""

    TITLE = "smstui"
    CSS_PATH = stylesheets()
    COMMANDS = App.COMMANDS | {MessageCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        *,
        store,
        controller,
        clock: Clock,
        config: Config | None,
        tz: tzinfo | None,
        settings_dir: Path | None,
        driver_size: tuple[int, int] | None,
    ) -> None:
        super().__init__()
        self.store = store
        self.controller = controller
        self.clock = clock
        self.config = config
        self.tz = tz
        self.settings_dir = settings_dir
        self.driver_size = driver_size
        self.number_info: dict[str, NumberInfo] = {}  # looked-up numbers, for the detail view
        self._inbox: list[Any] = []
        accounts = config.accounts if config else ()
        self.main_screen = MainScreen(
            store=store,
            controller=controller,
            clock=clock,
            tz=tz,
            accounts=[a.name for a in accounts],
            low_balance={a.name: a.low_balance for a in accounts if a.low_balance is not None},
            export_dir=settings_dir / "exports" if settings_dir else None,
            secrets=config.secrets() if config else (),
        )

    def on_mount(self) -> None:
        """Apply keymap and theme, show the main view, then start listening to the store."""
        if self.config and self.config.keymap:
            self.set_keymap(self.config.keymap)
        wanted = load_ui_settings(self.settings_dir).get("theme") or (
            self.config.theme if self.config else None
        )
        if wanted in self.available_themes:
            self.theme = wanted
        self.push_screen(self.main_screen)
        self.store.add_listener(self._on_store_batch)

    def on_unmount(self) -> None:
        """Stop listening: the store outlives the app in tests, the demo and the poller."""
        remove = getattr(self.store, "remove_listener", None)
        if remove is not None:
            remove(self._on_store_batch)

    def _on_store_batch(self, changes: Iterable[Any]) -> None:
        # Called by the store after each batch: park the changes, post one replaceable signal.
        self._inbox.extend(changes)
        self.post_message(StoreUpdated(getattr(self.store, "version", 0)))

    def on_store_updated(self, _message: StoreUpdated) -> None:
        """Hand every parked change to the main view at once (older signals were dropped)."""
        batch, self._inbox = self._inbox, []
        if batch and self.main_screen.is_mounted:
            self.main_screen.apply_changes(batch)

    def watch_theme(self, theme: str) -> None:
        """Remember the chosen theme for the next run."""
        if self.is_mounted:
            save_ui_setting(self.settings_dir, "theme", theme)

    def jump_to(self, key: tuple[str, str, str]) -> None:
        """Select a message in the history (dropping the filter if it hides the message)."""
        main = self.main_screen
        if not main.history.select_key(key):
            main.set_filter("")
            main.failed_only = False
            main.refresh_rows()
            main.history.select_key(key)
        main.history.focus()

    def action_help(self) -> None:
        """Show every key binding."""
        try:
            help_screen = importlib.import_module("smstui.ui.screens.help").HelpScreen
        except (ImportError, AttributeError):
            self.notify("Help screen is not available in this build", severity="error")
            return
        bindings = [a.binding for a in self.screen.active_bindings.values()]
        self.push_screen(help_screen(bindings))

    @asynccontextmanager
    async def run_test(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        """Headless run at the size make_app was given (tests and benchmarks)."""
        if self.driver_size is not None:
            kwargs.setdefault("size", self.driver_size)
        async with super().run_test(*args, **kwargs) as pilot:
            yield pilot


def make_app(
    *,
    store,
    controller,
    clock: Clock | None = None,
    config: Config | None = None,
    title: str = "smstui",
    driver_size: tuple[int, int] | None = None,
    tz: tzinfo | None = None,
    settings_dir: Path | None = None,
) -> SmstuiApp:
    """The one factory the CLI, the demo and the tests build the dashboard with.

    `settings_dir` (exports, remembered theme) defaults to the config's cache dir.
    """
    if settings_dir is None and config is not None:
        settings_dir = config.cache_dir
    app = SmstuiApp(
        store=store,
        controller=controller,
        clock=clock or SystemClock(),
        config=config,
        tz=tz,
        settings_dir=settings_dir,
        driver_size=driver_size,
    )
    app.title = title
    return app
