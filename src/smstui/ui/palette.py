"""The command palette's provider: every action of the screen, go-to targets, look up any
number, and go to a message by id or phone. Textual's own entries are cut to the theme picker.

A pasted number in any format (`+7 903 922-76-96`, `89039227696`) offers "Go to" its messages
from the whole cache and "Look up" the number; searches read disk in a thread, never the UI's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message as TextualMessage

from smstui.model import Key, Message
from smstui.phones import full_number
from smstui.queries import Query
from smstui.store_view import StoreView
from smstui.ui.messages import (
    GoTo,
    GoToNewestFailure,
    LowBandwidthToggle,
    NumberLookupRequested,
    ShowFilter,
)
from smstui.ui.search import first_of
from smstui.ui.widgets.history import HistoryTable

JUMP_LIMIT = 10  # palette hits for a typed message id or phone
MIN_ID_CHARS = 4  # shorter text is not worth reading every partition for an id
_NOT_LISTED = {"clear_filter", "command_palette"}  # escape's side job; the palette itself


class MessageCommands(Provider):
    """Every action of the screen by name, plus 'go to' a message by id or phone.

    It posts requests to the screen the palette was opened on (GoTo, NumberLookupRequested,
    GoToNewestFailure) and runs key actions where their bindings live: it reaches into nothing.
    """

    def _actions(self) -> list[tuple[str, Callable[[], object], str]]:
        """(description, callback, key) for every described binding active on the screen."""
        out: list[tuple[str, Callable[[], object], str]] = []
        keys: dict[str, list[str]] = {}  # one entry per command: q and ctrl+q both quit
        for key, active in self.screen.active_bindings.items():
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

    def _post(self, message: TextualMessage) -> Callable[[], object]:
        return partial(self.screen.post_message, message)

    def _targets(self) -> list[tuple[str, Callable[[], object], str]]:
        """What only the palette offers: look up any number, and places to go to."""
        return [
            (
                "Look up any number…",
                self._post(NumberLookupRequested()),
                "operator and region of any phone (or type the number here)",
            ),
            ("Go to the newest message", self._newest, "key: g in the history"),
            (
                "Go to the newest failure",
                self._post(GoToNewestFailure()),
                "the first failed row in view, else the newest in the whole cache",
            ),
            (
                "Low-bandwidth mode on/off",
                self._post(LowBandwidthToggle()),
                "a slow link: live news every 2 s, coarse times ([ui] low_bandwidth)",
            ),
        ]

    def _newest(self) -> None:
        for table in self.screen.query(HistoryTable):
            table.action_jump(0)
            table.focus()

    async def discover(self) -> Hits:
        """List the actions when the palette opens empty."""
        for name, run, help_text in self._actions():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        """Actions that fuzzy-match; for a number, go to its messages and look it up; for an
        id, go to its message (the loaded ones first, then the whole cache off the loop)."""
        matcher = self.matcher(query)
        for name, run, help_text in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
        number = full_number(query)
        store: StoreView = self.app.store  # type: ignore[attr-defined]  # SmstuiApp's
        shown: set[Key] = set()
        if number is not None:
            # A whole number in any format (+7 903 …, 8903…): go to its messages first.
            found = await self._find(store, Query(phone=number))
            for message in found:
                shown.add(message.key)
                yield self._go_hit(message, score=0.9)
            if len(found) >= JUMP_LIMIT:  # the hits are the newest few: say so, offer them all
                yield Hit(0.85, f"Show every message to {number} (the newest {JUMP_LIMIT} are "
                          "above)", self._post(ShowFilter(f"phone:{number}")),
                          help="filter the history by this number: the whole cache")  # fmt: skip
            yield Hit(0.8, f"Look up number {number}", self._post(NumberLookupRequested(number)),
                      help="operator and region, asked now")  # fmt: skip
            return
        needle = query.strip().lstrip("+")
        if len(needle) < 3:
            return
        for message in store.messages_sorted():
            if needle in message.message_id or needle in message.phone:
                yield self._go_hit(message)
                shown.add(message.key)
                if len(shown) >= JUMP_LIMIT:
                    return
        if len(needle) >= MIN_ID_CHARS and " " not in needle:  # an id: the days on disk too
            for message in await self._find(store, Query(message_id=needle)):
                if message.key not in shown and len(shown) < JUMP_LIMIT:
                    shown.add(message.key)
                    yield self._go_hit(message)

    async def _find(self, store: StoreView, query: Query) -> list[Message]:
        """The newest JUMP_LIMIT answers of a whole-cache query, read off the event loop."""
        stop = threading.Event()
        try:
            answer = store.query(query)
            return await asyncio.to_thread(first_of, answer, JUMP_LIMIT, stop)
        finally:
            stop.set()  # the palette moved on (another key): stop reading partitions

    def _go_hit(self, message: Message, score: float = 0.5) -> Hit:
        """A 'Go to' hit for a message, loaded or only on disk."""
        label = f"Go to {message.phone} · id {message.message_id} · {message.state.value}"
        reveal = f"phone:{message.phone}" if message.phone else f'"{message.message_id}"'
        return Hit(score, label, self._post(GoTo(message, reveal)), help=message.account)
