"""The command palette's provider: every main-view action, and jump to a message id or phone."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from smstui.ui.app import SmstuiApp

JUMP_LIMIT = 10  # palette hits for a typed message id or phone


class MessageCommands(Provider):
    """Every main-view action by name, plus 'jump to' a message by id or phone."""

    @property
    def _smstui(self) -> SmstuiApp:
        return cast("SmstuiApp", self.app)

    def _actions(self) -> list[tuple[str, Callable[[], object], str]]:
        """(description, callback, key) for every described binding of the main view."""
        main = self._smstui.main_screen
        out: list[tuple[str, Callable[[], object], str]] = []
        for key, active in main.active_bindings.items():
            binding = active.binding
            if binding.description and binding.action not in {"clear_filter"}:
                # Run on the node that owns the binding: app keys (quit, help) live on the app.
                run = partial(self.app.run_action, binding.action, active.node)
                out.append((binding.description, run, self.app.get_key_display(binding) or key))
        return out

    async def discover(self) -> Hits:
        """List the actions when the palette opens empty."""
        for name, run, key in self._actions():
            yield DiscoveryHit(name, run, help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        """Actions that fuzzy-match, then messages whose id or phone contains the digits typed."""
        app = self._smstui
        main = app.main_screen
        matcher = self.matcher(query)
        for name, run, key in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=f"key: {key}")
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
