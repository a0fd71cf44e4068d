"""The Textual app: wiring only — store signals in, screens and palette out."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import tzinfo
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from smstui.alerts import Alert, AlertMonitor
from smstui.clock import Clock, SystemClock
from smstui.config import Config
from smstui.display import resolve_zone, use_zone, zone_name
from smstui.model import NumberInfo
from smstui.secrets import mask_text
from smstui.ui.alerting import AlertRelay
from smstui.ui.messages import StoreUpdated
from smstui.ui.palette import MessageCommands
from smstui.ui.paths import stylesheets
from smstui.ui.screens.detail import DetailAction, DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.main import MainScreen
from smstui.ui.settings import load_ui_settings, save_ui_setting
from smstui.ui.state_style import with_state_variables
from smstui.ui.terminal_colors import fit_to_terminal

Service = Callable[[], Awaitable[object]]
SERVICE_STOP_S = 10.0  # how long quitting waits for a cancelled service (the engine's flush)


class SmstuiApp(App):
    """smstui's dashboard. Build it with `make_app`; it never does I/O itself."""

    TITLE = "smstui"
    CSS_PATH: ClassVar[list[str | PurePath]] = [*stylesheets()]
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
        services: Sequence[Service] = (),
        export_dir: Path | None = None,
        log_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.log_file = log_file  # where log lines go while the TUI runs (the health screen)
        self.store = store
        self.controller = controller
        self.clock = clock
        self.config = config
        self.tz = tz
        self.settings_dir = settings_dir
        self.driver_size = driver_size
        self.services = tuple(services)
        self._remember_theme = False
        self.number_info: dict[str, NumberInfo] = {}  # looked-up numbers, for the detail view
        # The store may call back from a follower thread: the inbox is guarded by a lock and
        # post_message is thread-safe (Textual hops to the loop with call_soon_threadsafe).
        self._inbox: list[Any] = []
        self._inbox_lock = threading.Lock()
        self._service_workers: list[Worker] = []
        accounts = config.accounts if config else ()
        low = {a.name: a.low_balance for a in accounts if a.low_balance is not None}
        self.secrets = config.secrets() if config else ()
        self.alerts = AlertRelay(AlertMonitor(clock), self.show_alert, low)
        self.main_screen = MainScreen(
            store=store,
            controller=controller,
            clock=clock,
            tz=tz,
            accounts=[a.name for a in accounts],
            low_balance=low,
            export_dir=export_dir or (settings_dir / "exports" if settings_dir else None),
            secrets=self.secrets,
        )

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables plus the state colours ($state-<state>), which a theme may set;
        on a 16-colour terminal only trouble stays red (smstui.ui.terminal_colors)."""
        variables = with_state_variables(super().get_css_variables())
        console = getattr(self, "console", None)  # None until App.__init__ has made it
        return fit_to_terminal(variables, console.color_system if console else None)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Of Textual's own palette entries only the theme picker: ours come first and alone
        (quit, keys and help are smstui's own commands; a screenshot is the terminal's job)."""
        for command in super().get_system_commands(screen):
            if command.title == "Theme":
                yield command

    def on_mount(self) -> None:
        """Keymap and theme, the main view, the store listener, the services, the 1 s tick."""
        if self.config and self.config.keymap:
            self.set_keymap(self.config.keymap)
        wanted = load_ui_settings(self.settings_dir).get("theme") or (
            self.config.theme if self.config else None
        )
        if wanted in self.available_themes:
            self.theme = wanted
        self._remember_theme = True  # from now on a theme change is the user's choice
        self.push_screen(self.main_screen)
        # The cache's 100k+ long-lived messages would otherwise be walked by every full garbage
        # collection, a pause of tens of ms in the middle of a key press: exempt what exists now.
        gc.freeze()  # (no gc.collect() first: it costs ~0.4 s of first paint at 100k rows)
        self.store.add_listener(self._on_store_batch)
        for index, service in enumerate(self.services):
            name = getattr(service, "__qualname__", None) or f"service {index + 1}"
            worker = self.run_worker(service(), name=name, group="services", exit_on_error=False)
            self._service_workers.append(worker)
        self.set_interval(1.0, self.tick)

    async def on_unmount(self) -> None:
        """Stop listening, then let cancelled services finish (the engine flushes the cache)."""
        remove = getattr(self.store, "remove_listener", None)
        if remove is not None:
            remove(self._on_store_batch)
        gc.unfreeze()  # the process may go on (tests, the demo's shutdown): collect normally
        tasks = [w._task for w in self._service_workers if w._task is not None]
        for worker in self._service_workers:
            worker.cancel()
        if tasks:  # Textual cancels workers on exit but does not wait for their finally blocks
            await asyncio.wait(tasks, timeout=SERVICE_STOP_S)

    def _on_store_batch(self, changes: Iterable[Any]) -> None:
        # Called by the store after each batch (maybe from a follower thread): park the
        # changes, post one replaceable signal.
        with self._inbox_lock:
            self._inbox.extend(changes)
        self.post_message(StoreUpdated(getattr(self.store, "version", 0)))

    def on_store_updated(self, _message: StoreUpdated) -> None:
        """Hand every parked change to the main view at once (older signals were dropped)."""
        with self._inbox_lock:
            batch, self._inbox = self._inbox, []
        if not batch:
            return
        self.alerts.changes([c for c in batch if getattr(c, "kind", "") != "removed"],
                            self.clock.now())  # fmt: skip
        if self.main_screen.is_mounted:
            self.main_screen.apply_changes(batch)
        if isinstance(self.screen, DetailScreen):  # keep an open detail view current
            key = self.screen.message.key
            fresh = self.store.get(key)
            if fresh is not None and fresh is not self.screen.message:
                self.screen.show(fresh, self.store.timeline(key))

    def tick(self) -> None:
        """Once a second: health line, slow figures, and the alerts they may raise."""
        if not self.is_running or not self.main_screen.is_mounted:
            return
        try:
            health = self.main_screen.tick()
        except NoMatches:  # shutting down: the panes are already gone
            return
        self.alerts.tick(self.store, health)

    def show_alert(self, alert: Alert) -> None:
        """An alert the monitor let through: a toast and the terminal bell."""
        self.notify(alert.text, title=alert.title, severity=alert.severity, timeout=10)
        self.bell()

    def on_detail_action(self, event: DetailAction) -> None:
        """`r` / `l` in the detail view: the same flows as the main view's keys."""
        detail = self.screen if isinstance(self.screen, DetailScreen) else None
        if event.action == "resend":
            self.main_screen.actions.request_resend(event.message, detail)
        elif event.action == "lookup":
            self.main_screen.actions.request_lookup(event.message, detail)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The ONE place worker failures become visible: a toast plus the health line."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.group not in {"actions", "services"}:
            return
        what = "Service stopped" if worker.group == "services" else "Action failed"
        text = mask_text(f"{worker.name}: {worker.error}", self.secrets)
        self.notify(text, title=what, severity="error", timeout=10)
        if self.main_screen.is_mounted:
            self.main_screen.set_action_error(text)

    def watch_theme(self, theme: str) -> None:
        """Remember the chosen theme for the next run."""
        if self._remember_theme:  # not the start-up theme: a config theme stays the config's
            save_ui_setting(self.settings_dir, "theme", theme)

    def jump_to(self, key: tuple[str, str, str]) -> None:
        """Select a message in the history; a filter hiding it is cleared (a toast says so)."""
        main = self.main_screen
        if not main.history.select_key(key):
            hidden_by = [f"filter {main.filter_text!r}"] if main.filter_text else []
            hidden_by += ["failed only"] if main.failed_only else []
            main.set_filter("")
            main.failed_only = False
            main.refresh_rows()
            if main.history.select_key(key) and hidden_by:
                self.notify(f"Cleared {' and '.join(hidden_by)} to show message {key[1]}",
                            title="Filter cleared", timeout=6)  # fmt: skip
        main.history.focus()

    def action_help(self) -> None:
        """Show every key binding."""
        bindings = [a.binding for a in self.screen.active_bindings.values()]
        self.push_screen(HelpScreen(bindings))

    @asynccontextmanager
    async def run_test(self, *args: Any, **kwargs: Any) -> AsyncIterator[Pilot[None]]:
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
    services: Sequence[Service] = (),
    export_dir: Path | None = None,
    log_file: Path | None = None,
) -> SmstuiApp:
    """The one factory the CLI, the demo and the tests build the dashboard with.

    `settings_dir` (exports, remembered theme) defaults to the config's cache dir; `export_dir`
    puts exports elsewhere (the demo's cache is temporary, its exports are not). `services`
    are zero-argument callables returning awaitables (e.g. `engine.run`), run as workers from
    mount until exit; one that fails is shown (toast + health line) and never stops the UI.
    """
    if settings_dir is None and config is not None:
        settings_dir = config.cache_dir
    if tz is None:  # one display zone for the whole process: [ui] timezone, else the machine's
        tz = resolve_zone(config.timezone if config else None)
    use_zone(tz)
    app = SmstuiApp(
        store=store,
        controller=controller,
        clock=clock or SystemClock(),
        config=config,
        tz=tz,
        settings_dir=settings_dir,
        driver_size=driver_size,
        services=services,
        export_dir=export_dir,
        log_file=log_file,
    )
    app.title = title
    app.sub_title = f"times in {zone_name(tz)}"  # the header names the zone every time is in
    return app
