"""The dashboard's Textual messages: store signals, what the user asked for, what actions did.

Widgets and the palette post *requests* (they never reach into a screen or the app); screens
turn them into dialogs or actions; `ui/actions.py` runs what costs money or time as workers and
posts *results*, which the app hands to every screen that shows the subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.message import Message as TextualMessage
from textual.notifications import SeverityLevel

from smstui.controller import StatusRefresh
from smstui.model import AppliedChange, Message, NumberInfo

Severity = SeverityLevel  # "information", "warning" or "error"


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


@dataclass(eq=False)
class StoreChanged(TextualMessage):
    """Every change since the last one, handed to each screen (they react themselves)."""

    changes: Sequence[AppliedChange] = ()


# ----- requests (widgets and the palette ask; a screen decides) -----------------------------
@dataclass(eq=False)
class ShowDetail(TextualMessage):
    """Open this message's detail view."""

    message: Message


@dataclass(eq=False)
class ResendRequested(TextualMessage):
    """Resend this message (after the confirmation dialog: it costs money)."""

    message: Message


@dataclass(eq=False)
class BulkResendRequested(TextualMessage):
    """Resend the failures among these rows that the policy allows (after one dialog)."""

    rows: Sequence[Message]


@dataclass(eq=False)
class LookupRequested(TextualMessage):
    """Ask now for this message's status and its number's operator."""

    message: Message


@dataclass(eq=False)
class NumberLookupRequested(TextualMessage):
    """Look up any number (None: ask the user which)."""

    phone: str | None = None


@dataclass(eq=False)
class GoTo(TextualMessage):
    """Select a message wherever it is; `reveal` is a filter that holds it if only on disk."""

    message: Message
    reveal: str


@dataclass(eq=False)
class ShowFilter(TextualMessage):
    """Filter the history by `text` over the whole cache (the palette's "show every …")."""

    text: str


@dataclass(eq=False)
class LowBandwidthToggle(TextualMessage):
    """Switch low-bandwidth mode (the palette's command; the main view owns the pace)."""


@dataclass(eq=False)
class GoToNewestFailure(TextualMessage):
    """Select the newest failure: in view, else anywhere in the cache."""


# ----- results (ui/actions.py posts them to the app) -----------------------------------------
class ForScreens(TextualMessage):
    """A result the app hands to every screen as it is; each screen reacts to what it shows."""


@dataclass(eq=False)
class ActionDone(TextualMessage):
    """An action finished: a toast, and the health line's last-error slot (`error`, '' clears
    it; None leaves it alone)."""

    title: str
    text: str
    severity: Severity = "information"
    timeout: float = 6.0
    error: str | None = ""


@dataclass(eq=False)
class Resent(ForScreens):
    """A resend went out as `new_id` (the lineage links it before the store's batch)."""

    original: Message
    new_id: str


@dataclass(eq=False)
class LookedUp(TextualMessage):
    """Fresh status (and number info, when the message has a phone) for one message."""

    message: Message
    info: NumberInfo | None


@dataclass(eq=False)
class NumberLookedUp(TextualMessage):
    """Operator and region of a number."""

    phone: str
    info: NumberInfo
    account: str


@dataclass(eq=False)
class Exported(ForScreens):
    """An export was written (`lacks`: what the file is missing, '' when whole)."""

    path: Path
    rows: int
    fmt: str
    lacks: str = ""


@dataclass(eq=False)
class StatusesRefreshed(ForScreens):
    """A re-query of many messages' statuses (stuck ones) came back."""

    reports: Sequence[StatusRefresh]


@dataclass(eq=False)
class BalanceRefreshed(ForScreens):
    """A balance was fetched (the store holds the sample; panes redraw from it)."""

    account: str
