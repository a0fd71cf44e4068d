"""The Textual app: wiring only — store signals in, screens and palette out."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import tzinfo
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message as TextualMessage
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from smstui.alert_relay import AlertRelay
from smstui.alerts import Alert, AlertMonitor
from smstui.clock import Clock, SystemClock
from smstui.config import Config
from smstui.controller import Controller
from smstui.display import resolve_zone, use_zone, zone_name
from smstui.exit_codes import EXIT_INTERRUPTED
from smstui.model import AppliedChange, Key, NumberInfo
from smstui.policy import RESENDABLE
from smstui.secrets import mask_text
from smstui.store_view import StoreView
from smstui.ui.actions import Actions
from smstui.ui.messages import (
    ActionDone,
    BulkResendRequested,
    ForScreens,
    LookedUp,
    LookupRequested,
    NumberLookedUp,
    NumberLookupRequested,
    ResendRequested,
    ShowDetail,
    StoreChanged,
    StoreUpdated,
)
from smstui.ui.palette import MessageCommands
from smstui.ui.paths import stylesheets
from smstui.ui.screens.detail import DetailAction, DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.main import MainScreen
from smstui.ui.screens.replay_main import Replayer, ReplayMainScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendDecision, ResendScreen
from smstui.ui.settings import load_ui_settings, save_ui_setting
from smstui.ui.state_style import with_state_variables
from smstui.ui.terminal_colors import fit_to_terminal

Service = Callable[[], Awaitable[object]]
SERVICE_STOP_S = 10.0  # how long quitting waits for a cancelled service (the engine's flush)
INTERRUPT_S = 3.0  # a second ctrl+c within this long quits


class SmstuiApp(App[None]):
    """smstui's dashboard. Build it with `make_app`; it never does I/O itself."""

    TITLE = "smstui"
    CSS_PATH: ClassVar[list[str | PurePath]] = [*stylesheets()]
    COMMANDS = App.COMMANDS | {MessageCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        store: StoreView,
        controller: Controller,
        clock: Clock,
        config: Config | None,
        tz: tzinfo | None,
        settings_dir: Path | None,
        driver_size: tuple[int, int] | None,
        services: Sequence[Service] = (),
        export_dir: Path | None = None,
        log_file: Path | None = None,
        low_bandwidth: bool = False,
        replay: Replayer | None = None,
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
        self._interrupted_at: float | None = None  # the first ctrl+c (a second one quits)
        self.number_info: dict[str, NumberInfo] = {}  # looked-up numbers, for the detail view
        # The store may call back from a follower thread: the inbox is guarded by a lock and
        # post_message is thread-safe (Textual hops to the loop with call_soon_threadsafe).
        self._inbox: list[AppliedChange] = []
        self._inbox_lock = threading.Lock()
        self._service_workers: list[Worker[object]] = []
        accounts = config.accounts if config else ()
        low = {a.name: a.low_balance for a in accounts if a.low_balance is not None}
        self.secrets = config.secrets() if config else ()
        self.alerts = AlertRelay(AlertMonitor(clock), self.show_alert, low)
        self.actions = Actions(
            controller, post=self.post_message, run_worker=self.run_worker, secrets=self.secrets
        )
        screen_kw: dict[str, Any] = {"replay": replay} if replay is not None else {}
        self.main_screen = (ReplayMainScreen if replay is not None else MainScreen)(
            **screen_kw,
            store=store,
            controller=controller,
            actions=self.actions,
            alerts=self.alerts,
            clock=clock,
            tz=tz,
            accounts=[a.name for a in accounts],
            low_balance=low,
            export_dir=export_dir or (settings_dir / "exports" if settings_dir else None),
            log_file=log_file,
            low_bandwidth=low_bandwidth,
        )

    def get_default_screen(self) -> Screen[Any]:
        """The main view is the screen under every other one."""
        return self.main_screen

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables plus the state colours ($state-<state>), which a theme may set;
        on a 16-colour terminal only trouble stays red (smstui.ui.terminal_colors)."""
        variables = with_state_variables(super().get_css_variables())
        console = self.__dict__.get("console")  # not there until App.__init__ has made it
        return fit_to_terminal(variables, console.color_system if console else None)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Of Textual's own palette entries only the theme picker: ours come first and alone
        (quit, keys and help are smstui's own commands; a screenshot is the terminal's job)."""
        for command in super().get_system_commands(screen):
            if command.title == "Theme":
                yield command

    def on_mount(self) -> None:
        """Keymap and theme, the store listener, the services, the 1 s tick."""
        if self.config and self.config.keymap:
            self.set_keymap(self.config.keymap)
        wanted = load_ui_settings(self.settings_dir).get("theme") or (
            self.config.theme if self.config else None
        )
        if wanted in self.available_themes:
            self.theme = wanted
        self._remember_theme = True  # from now on a theme change is the user's choice
        self.store.add_listener(self._on_store_batch)
        for index, service in enumerate(self.services):
            name = getattr(service, "__qualname__", None) or f"service {index + 1}"
            worker = self.run_worker(service(), name=name, group="services", exit_on_error=False)
            self._service_workers.append(worker)
        self.set_interval(1.0, self.tick)
        # The first tick (health + alerts) right after the first paint, not a second later:
        # a low balance or a dead gateway is announced at once (and snapshots are stable).
        self.call_after_refresh(self.tick)

    async def on_unmount(self) -> None:
        """Stop listening, then let cancelled services finish (the engine flushes the cache)."""
        self.store.remove_listener(self._on_store_batch)
        tasks = [w._task for w in self._service_workers if w._task is not None]
        for worker in self._service_workers:
            worker.cancel()
        if tasks:  # Textual cancels workers on exit but does not wait for their finally blocks
            await asyncio.wait(tasks, timeout=SERVICE_STOP_S)

    # ----- the store ------------------------------------------------------------------------
    def _on_store_batch(self, changes: Sequence[AppliedChange]) -> None:
        # Called by the store after each batch (maybe from a follower thread): park the
        # changes, post one replaceable signal.
        with self._inbox_lock:
            self._inbox.extend(changes)
        self.post_message(StoreUpdated(self.store.version))

    def on_store_updated(self, _message: StoreUpdated) -> None:
        """Every parked change at once (older signals were dropped) to alerts and screens."""
        with self._inbox_lock:
            batch, self._inbox = self._inbox, []
        if not batch:
            return
        self.alerts.changes([c for c in batch if c.kind != "removed"], self.clock.now())
        self._to_screens(StoreChanged(batch))

    def _to_screens(self, message: TextualMessage) -> None:
        """Hand a message to every screen in the stack (each reacts to what it shows)."""
        for screen in self.screen_stack:
            copy = replace(message)  # type: ignore[type-var]  # dataclass messages
            copy.stop()  # handled by the screen, not bubbled back here (it would loop)
            screen.post_message(copy)

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

    # ----- requests (from the history, the detail view, the palette) ---------------------------
    def on_show_detail(self, event: ShowDetail) -> None:
        """Open a message's detail view; the poller asks it first while it is open."""
        m = event.message
        self._look_at([m.key])
        self.push_screen(
            DetailScreen(
                m, self.store.timeline(m.key), self.number_info.get(m.phone), self.clock,
                resent_as=self.main_screen.lineage.resent_as, store=self.store,
            ),
            lambda _result: self._look_at([]),
        )  # fmt: skip

    def _look_at(self, keys: list[Key]) -> None:
        """Tell the poller which messages the user is looking at (asked first when a request
        must choose)."""
        self.controller.prioritise(keys)

    def on_resend_requested(self, event: ResendRequested) -> None:
        """Confirm, then resend one message (it costs money)."""
        m = event.message

        def decided(decision: ResendDecision | None) -> None:
            if decision is not None:
                self.actions.resend(m, allow_permanent=decision.allow_permanent)

        resent_as = self.main_screen.lineage.resent_as(m.key)
        dialog = ResendScreen(m, estimate_cost=m.cost, now=self.clock.now(), resent_as=resent_as)
        self.push_screen(dialog, decided)

    def on_bulk_resend_requested(self, event: BulkResendRequested) -> None:
        """Resend the failures in view that the policy allows, after one confirmation."""
        failures = [m for m in event.rows if m.state in RESENDABLE]
        if not failures:
            self.notify("No failures in the current view", timeout=3)
            return
        was_resent = self.main_screen.lineage.was_resent
        bulk = BulkResendScreen(failures, now=self.clock.now(), was_resent=was_resent)

        def decided(confirmed: bool | None) -> None:
            # Exactly what the dialog listed: its plan, not a recomputation over newer rows.
            if confirmed and bulk.plan.resend:
                self.actions.resend_many(list(bulk.plan.resend))

        self.push_screen(bulk, decided)

    def on_lookup_requested(self, event: LookupRequested) -> None:
        """Refresh the message's status and its number's info now (through the budget)."""
        self.actions.lookup(event.message)

    def on_detail_action(self, event: DetailAction) -> None:
        """`r` / `l` in the detail view: the same flows as the history's keys."""
        if event.action == "resend":
            self.post_message(ResendRequested(event.message))
        elif event.action == "lookup":
            self.post_message(LookupRequested(event.message))

    def on_number_lookup_requested(self, event: NumberLookupRequested) -> None:
        """From a screen that does not handle it (a detail view): the main view decides."""
        self.main_screen.post_message(NumberLookupRequested(event.phone))

    # ----- results (ui/actions.py) -----------------------------------------------------------
    def on_action_done(self, event: ActionDone) -> None:
        """A toast; the screens update their own parts (the health line's error slot)."""
        # Actions masked what a gateway wrote (ui/actions.py): paths and names stay readable.
        self.notify(event.text, title=event.title, severity=event.severity,
                    timeout=event.timeout)  # fmt: skip
        self._to_screens(event)

    def on_looked_up(self, event: LookedUp) -> None:
        """Remember the number's info (the detail view shows it) and tell the screens."""
        if event.info is not None and event.message.phone:
            self.number_info[event.message.phone] = event.info
        self._to_screens(event)

    def on_number_looked_up(self, event: NumberLookedUp) -> None:
        """Remember the number's info for the detail views."""
        self.number_info[event.phone] = event.info

    @on(ForScreens)
    def forward(self, event: ForScreens) -> None:
        """Resent (lineage, an open detail), Exported (the last export), StatusesRefreshed
        (stuck figures), BalanceRefreshed (the balance pane): every screen catches up itself."""
        self._to_screens(event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The ONE place worker failures become visible: a toast plus the health line."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.group not in {"actions", "services"}:
            return
        what = "Service stopped" if worker.group == "services" else "Action failed"
        text = mask_text(f"{worker.name}: {worker.error}", self.secrets)
        self.notify(text, title=what, severity="error", timeout=10)
        self.main_screen.set_action_error(text)

    def watch_theme(self, theme: str) -> None:
        """Remember the chosen theme for the next run."""
        if self._remember_theme:  # not the start-up theme: a config theme stays the config's
            save_ui_setting(self.settings_dir, "theme", theme)

    def action_help(self) -> None:
        """Show every key binding."""
        bindings = [a.binding for a in self.screen.active_bindings.values()]
        self.push_screen(HelpScreen(bindings))

    def action_interrupt(self) -> None:
        """ctrl+c: a second press within 3 s quits (the first one says so, and names q)."""
        now = time.monotonic()
        if self._interrupted_at is not None and now - self._interrupted_at < INTERRUPT_S:
            self.exit(return_code=EXIT_INTERRUPTED)
            return
        self._interrupted_at = now
        bindings = self.screen.active_bindings.values()
        quit_keys = [self.get_key_display(b) for _n, b, _e, _t in bindings if b.action == "quit"]
        also = f" (or {quit_keys[0]})" if quit_keys else ""
        self.notify(f"Press ctrl+c again to quit{also}", title="Quit?", timeout=INTERRUPT_S)

    @asynccontextmanager
    async def run_test(self, *args: Any, **kwargs: Any) -> AsyncIterator[Pilot[None]]:
        """Headless run at the size make_app was given (tests and benchmarks)."""
        if self.driver_size is not None:
            kwargs.setdefault("size", self.driver_size)
        async with super().run_test(*args, **kwargs) as pilot:
            yield pilot


def make_app(
    *,
    store: StoreView,
    controller: Controller,
    clock: Clock | None = None,
    config: Config | None = None,
    title: str = "smstui",
    driver_size: tuple[int, int] | None = None,
    tz: tzinfo | None = None,
    settings_dir: Path | None = None,
    services: Sequence[Service] = (),
    export_dir: Path | None = None,
    log_file: Path | None = None,
    low_bandwidth: bool | None = None,
    replay: Replayer | None = None,
) -> SmstuiApp:
    """The one factory the CLI, the demo and the tests build the dashboard with.

    `settings_dir` (exports, remembered theme) defaults to the config's cache dir; `export_dir`
    puts exports elsewhere (the demo's cache is temporary, its exports are not). `services`
    are zero-argument callables returning awaitables (e.g. `engine.run`), run as workers from
    mount until exit; one that fails is shown (toast + health line) and never stops the UI.
    `low_bandwidth` (None: the config's [ui] low_bandwidth) batches live news every 2 s;
    `replay` (smstui replay) adds the keys that move a replay's moment.
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
        low_bandwidth=bool(config and config.low_bandwidth)
        if low_bandwidth is None
        else low_bandwidth,
        replay=replay,
    )
    app.title = title
    app.sub_title = f"times in {zone_name(tz)}"  # the header names the zone every time is in
    return app
