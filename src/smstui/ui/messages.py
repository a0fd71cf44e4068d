"""Textual messages the app posts to itself; one per store batch, stale ones may be dropped."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message as TextualMessage


@dataclass(eq=False)  # Textual initialises dataclass messages itself (__post_init__)
class StoreUpdated(TextualMessage):
    """The store applied one or more batches; the changes themselves wait in the app's inbox.

    The changes are drained from one buffer by the handler, so a newer signal may replace a
    queued one without losing anything: a slow UI simply handles several batches at once.
    """

    version: int = 0

    def can_replace(self, message: TextualMessage) -> bool:
        """A newer store signal supersedes an older one still waiting in the queue."""
        return isinstance(message, StoreUpdated)
