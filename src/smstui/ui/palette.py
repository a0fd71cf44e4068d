"""The command palette's provider: every main-view action, jump targets, look up any number,
and jump to a message by id or phone. Textual's own entries are cut to the theme picker."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from smstui.ui.screens.lookup import phone_digits

if TYPE_CHECKING:
    from smstui.ui.app import SmstuiApp

JUMP_LIMIT = 10  # palette hits for a typed message id or phone
_NOT_LISTED = {"clear_filter", "command_palette"}  # escape's side job; the palette itself


class MessageCommands(Provider):
    """Every main-view action by name, plus 'jump to' a message by id or phone."""

    @property
    def _smstui(self) -> SmstuiApp:
        return cast("SmstuiApp", self.app)

    def _actions(self) -> list[tuple[str, Callable[[], object], str]]:
        """(description, callback, key) for every described binding of the main view."""
        main = self._smstui.main_screen
        out: list[tuple[str, Callable[[], object], str]] = []
        keys: dict[str, list[str]] = {}  # one entry per command: q and ctrl+q both quit
        for key, active in main.active_bindings.items():
            binding = active.binding
            # Hidden keys (the history's arrows, escape) are movements, not commands.
            if binding.description and binding.show and binding.action not in _NOT_LISTED:
                shown = self.app.get_key_display(binding) or key
                if binding.description in keys:
                    keys[binding.description].append(shown)
                    continue
                keys[binding.description] = [shown]
                # Run on the node that owns the binding: app keys (quit, help) live on the app.
                run = partial(self.app.run_action, binding.action, active.node)
                out.append((binding.description, run, ""))
        out = [(name, run, "key: " + ", ".join(keys[name])) for name, run, _ in out]
        return self._targets() + out  # the palette's own entries first: no key reaches them

    def _targets(self) -> list[tuple[str, Callable[[], object], str]]:
        """What only the palette offers: look up any number, and places to jump to."""
        main = self._smstui.main_screen
        return [
            (
                "Look up any number…",
                main.actions.lookup_number,
                "operator and region of any phone (or type the number here)",
            ),
            ("Go to the newest message", self._newest, "key: g in the history"),
            ("Go to the newest failure", self._newest_failure, "the first failed row in view"),
        ]

    def _newest(self) -> None:
        history = self._smstui.main_screen.history
        history.action_jump(0)
        history.focus()

    def _newest_failure(self) -> None:
        main = self._smstui.main_screen
        rows = main.history.rows
        failed = next((m for m in rows if m.state.is_failure), None)
        if failed is None:
            failed = next((m for m in main.store.messages_sorted() if m.state.is_failure), None)
        if failed is None:
            main.notify("No failed message in the cache", timeout=3)
            return
        self._smstui.jump_to(failed.key)

    async def discover(self) -> Hits:
        """List the actions when the palette opens empty."""
        for name, run, help_text in self._actions():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        """Actions that fuzzy-match, then messages whose id or phone contains the digits typed."""
        app = self._smstui
        main = app.main_screen
        matcher = self.matcher(query)
        for name, run, help_text in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
        digits = phone_digits(query)
        if digits is not None:  # any number, cached or not
            run = partial(main.actions.lookup_number, digits)
            yield Hit(1.0, f"Look up number {digits}", run, help="operator and region, now")
        needle = query.strip().lstrip("+")
        if len(needle) < 3:
            return
        found = 0
        for message in main.store.messages_sorted():
            if needle in message.message_id or needle in message.phone:
                label = f"Go to {message.phone} · id {message.message_id} · {message.state.value}"
                yield Hit(0.5, label, partial(app.jump_to, message.key), help=message.account)
                found += 1
                if found >= JUMP_LIMIT:
                    return
