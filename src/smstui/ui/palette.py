"""The command palette's provider: every main-view action, jump targets, look up any number,
and jump to a message by id or phone. Textual's own entries are cut to the theme picker.

The failure and number searches cover the whole cache: the loaded messages first, then a
store query in a thread (a whole number or an id: the store's look-ups), never the UI thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from smstui.model import Message
from smstui.phones import full_number
from smstui.queries import Query
from smstui.store.query import Answer
from smstui.ui.screens.lookup import phone_digits
from smstui.ui.search import FAILURES, first_of, partial_words

if TYPE_CHECKING:
    from smstui.ui.app import SmstuiApp

JUMP_LIMIT = 10  # palette hits for a typed message id or phone
MIN_ID_CHARS = 4  # shorter text is not worth reading every partition for an id
FAILURE_FILTER = "state:failure"  # shows a failure that is only on disk (its day not loaded)
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
            (
                "Go to the newest failure",
                self._newest_failure,
                "the first failed row in view, else the newest in the whole cache",
            ),
        ]

    def _newest(self) -> None:
        history = self._smstui.main_screen.history
        history.action_jump(0)
        history.focus()

    def _newest_failure(self) -> None:
        main = self._smstui.main_screen
        # The view's rows are its history's newest part, in order: its first failure is the
        # view's newest one. Only without one there is the whole cache searched, off the loop.
        failed = next((m for m in main.history.rows if m.state.is_failure), None)
        if failed is not None:
            self._smstui.jump_to(failed.key)
            return
        answer = main.store.query(Query(states=FAILURES))
        main.run_worker(self._go_to_newest_failure(answer), name="newest failure",
                        group="palette", exclusive=True, exit_on_error=False)  # fmt: skip

    async def _go_to_newest_failure(self, answer: Answer) -> None:
        main = self._smstui.main_screen
        found = await asyncio.to_thread(first_of, answer, 1)
        if not found:
            lacks = partial_words(answer)
            text = "No failed message in the cache" + (f" ({lacks})" if lacks else "")
            main.notify(text, timeout=5)
            return
        main.actions.go_to(found[0], FAILURE_FILTER)

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
        shown: set[tuple[str, str, str]] = set()
        for message in main.store.messages_sorted():
            if needle in message.message_id or needle in message.phone:
                yield self._go_hit(message)
                shown.add(message.key)
                if len(shown) >= JUMP_LIMIT:
                    return
        # Then the days on disk, for what names one message or number exactly.
        wanted = _whole_cache_query(query)
        if wanted is None:
            return
        stop = threading.Event()
        try:
            answer = main.store.query(wanted)
            found = await asyncio.to_thread(first_of, answer, JUMP_LIMIT, stop)
        finally:
            stop.set()  # the palette moved on (another key): stop reading partitions
        for message in found:
            if message.key not in shown and len(shown) < JUMP_LIMIT:
                shown.add(message.key)
                yield self._go_hit(message)

    def _go_hit(self, message: Message) -> Hit:
        """A 'Go to' hit for a message, loaded or only on disk."""
        main = self._smstui.main_screen
        label = f"Go to {message.phone} · id {message.message_id} · {message.state.value}"
        reveal = f"phone:{message.phone}" if message.phone else f'"{message.message_id}"'
        run = partial(main.actions.go_to, message, reveal)
        return Hit(0.5, label, run, help=message.account)


def _whole_cache_query(text: str) -> Query | None:
    """The store query for palette text that names a whole number or a message id."""
    number = full_number(text)
    if number is not None and len(number) >= 11:
        return Query(phone=number)
    needle = text.strip()
    if len(needle) >= MIN_ID_CHARS and " " not in needle:
        return Query(message_id=needle)
    return None
