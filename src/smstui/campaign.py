"""The campaign manager's figures for the dashboard's view: no Textual, no I/O.

What the campaign strip shows, computed from a store reader and a description of the view:

- counts by state (the whole cache's, or the view's rows), stuck and oldest pending messages;
- the last 5 and 15 minutes (`Window`): messages sent, and messages that settled (reached a
  final state) in the window, split into delivered and failed; the window's delivery % is
  delivered / settled, so it says how messages are faring *now*, not over all cached history;
- the current send-out (`SendOut`): see `walk` for how it is told apart; its progress (settled
  of all, pending) and an ETA for the pending ones at the send-out's settle rate of the last
  5 minutes.

`Campaign` keeps what is costly to take (the pending messages' walk, the recent rows' walk)
until the next full refresh, so that a live batch only recounts states.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from smstui.display import group
from smstui.model import Balance, DeliveryState, Message, StatusChange, placed_at
from smstui.stuck import StuckRule, usual_delivery

if TYPE_CHECKING:
    from smstui.controller import StatusRefresh

ALL_CACHED = "all cached"
WINDOWS_S = (300.0, 900.0)  # the recent windows the strip shows: 5 and 15 minutes
ETA_WINDOW_S = WINDOWS_S[0]  # the settle rate an ETA assumes: the last 5 minutes'
SENDOUT_GAP_S = 600.0  # a pause in sending longer than this ends a send-out
SENDOUT_MAX = 100_000  # a send-out's walk stops here (~40 ms; its start is then "before")
# Messages settling now were mostly sent recently: the walk for settlements looks this far
# back before the widest window; an older message settling now is not counted (rare, cheap).
SETTLE_HORIZON_S = 6 * 3600.0
SPARK_MINUTES = 30  # the sparkline's span: one bar per minute
USUAL_REFRESH_S = 60.0  # operators' delivery times move slowly; re-measuring costs ~20 ms
AT_GATEWAY = frozenset({DeliveryState.QUEUED, DeliveryState.SCHEDULED})  # not sent out yet

# The order an operator reads a campaign in: waiting, on its way, arrived, failed.
STATE_ORDER = (
    DeliveryState.QUEUED,
    DeliveryState.SCHEDULED,
    DeliveryState.OUTCOME_UNKNOWN,
    DeliveryState.SENT,
    DeliveryState.DELIVERED,
    DeliveryState.READ,
    DeliveryState.FAILED,
    DeliveryState.EXPIRED,
    DeliveryState.REJECTED,
    DeliveryState.NOT_FOUND,
    DeliveryState.STOPPED,
    DeliveryState.UNKNOWN,
)


class CampaignStore(Protocol):
    """The store reads the campaign figures make (a subset of smstui.store_view.StoreView)."""

    def __len__(self) -> int: ...
    def total(self) -> int: ...
    def messages_sorted(self) -> Sequence[Message]: ...
    def non_final(self, account: str) -> list[Message]: ...
    def timeline(self, key: tuple[str, str, str]) -> list[StatusChange]: ...
    def counts_by_state(self, account: str | None = None) -> dict[DeliveryState, int]: ...
    def latest_balance(self, account: str) -> Balance | None: ...


@dataclass(frozen=True, slots=True)
class View:
    """The dashboard's current view, as the campaign figures need it."""

    rows: Sequence[Message]  # the rows in view, newest first
    accepts: Callable[[Message, float], bool] | None = None  # None: the whole cache
    words: str = ""  # the view in words ("filter: op:mts · failed only"); '' for none
    token: object = None  # a new object for every new view: figures of the old one are stale


def delivery_percent(counts: Mapping[DeliveryState, int]) -> float | None:
    """Delivered (or read) share of the messages whose fate is known; None before any is."""
    final = sum(n for state, n in counts.items() if state.is_final)
    if not final:
        return None
    ok = counts.get(DeliveryState.DELIVERED, 0) + counts.get(DeliveryState.READ, 0)
    return 100.0 * ok / final


@dataclass(frozen=True, slots=True)
class Window:
    """The last `seconds`: messages sent in it, and messages that settled in it."""

    seconds: float
    sent: int = 0
    delivered: int = 0  # became delivered (or read) inside the window
    failed: int = 0  # became failed, expired, rejected or not found inside the window

    @property
    def minutes(self) -> float:
        """The window's length in minutes."""
        return self.seconds / 60.0

    def per_minute(self, n: int) -> float:
        """A count of this window as a rate per minute."""
        return n / self.minutes

    @property
    def delivery_pct(self) -> float | None:
        """Delivered share of the messages that settled in the window; None when none did."""
        settled = self.delivered + self.failed
        return 100.0 * self.delivered / settled if settled else None


@dataclass(frozen=True, slots=True)
class SendOut:
    """The newest run of sends with no pause longer than SENDOUT_GAP_S (see `walk`)."""

    first_at: float  # the run's first send time (the oldest walked when `capped`)
    last_at: float  # its newest send time
    total: int  # messages in it
    at_gateway: int  # not sent out yet (queued or scheduled at the gateway)
    settled: int  # final: delivered or failed
    settled_recent: int  # of those, settled within the last ETA_WINDOW_S
    sending: bool  # the last send is within SENDOUT_GAP_S of now
    capped: bool = False  # the walk stopped at SENDOUT_MAX: the run started earlier

    @property
    def pending(self) -> int:
        """Messages of the run not settled yet."""
        return self.total - self.settled

    @property
    def sent_out(self) -> int:
        """Messages of the run that left the gateway."""
        return self.total - self.at_gateway

    @property
    def eta_s(self) -> float | None:
        """Seconds until the pending settle at the last 5 minutes' settle rate: 0 when none
        is pending, None when nothing settled in those 5 minutes (no rate to go by)."""
        if not self.pending:
            return 0.0
        if not self.settled_recent:
            return None
        return self.pending * ETA_WINDOW_S / self.settled_recent


@dataclass(frozen=True, slots=True)
class Activity:
    """What one walk of the recent rows found: the windows, the sparkline, the send-out."""

    windows: tuple[Window, ...] = ()
    per_minute: tuple[int, ...] = ()  # sends per minute, oldest minute first
    sendout: SendOut | None = None


def walk(newest_first: Iterable[Message], now: float) -> Activity:
    """One pass over the newest rows for the recent windows, the sparkline and the send-out.

    A message counts as sent at its history place (send time, else when first seen) and as
    settled at `updated_at` once final. The send-out is the newest run of messages whose
    consecutive send times are never more than SENDOUT_GAP_S apart; it is `sending` while its
    last send is within SENDOUT_GAP_S of now (else it ended and may still be settling).
    Stops once past both the send-out and SETTLE_HORIZON_S before the widest window, or after
    SENDOUT_MAX messages of one send-out: the cost is the recent rows', not the history's.
    """
    widest = max(WINDOWS_S)
    floor = now - widest - SETTLE_HORIZON_S
    starts = [now - w for w in WINDOWS_S]
    oldest_start = now - widest
    spark_start = now - SPARK_MINUTES * 60
    sent = [0] * len(WINDOWS_S)
    delivered = [0] * len(WINDOWS_S)
    failed = [0] * len(WINDOWS_S)
    spark = [0] * SPARK_MINUTES
    run = 0  # 0: before the send-out, 1: inside it, 2: past it
    first = last = prev = 0.0
    total = at_gateway = settled = settled_recent = 0
    capped = False
    for m in newest_first:
        at = placed_at(m)
        if at is None:  # neither sent nor seen: sorted last, nothing more to find
            break
        at = min(at, now)  # a gateway clock ahead of ours: sent "now"
        if run == 0:
            run, first, last, prev = 1, at, at, at
        elif run == 1:
            if prev - at > SENDOUT_GAP_S:
                run = 2
            elif total >= SENDOUT_MAX:
                run, capped = 2, True
        if run == 2 and at < floor:
            break
        state = m.state
        final = state.is_final
        done = m.updated_at if final and m.updated_at is not None else None
        if run == 1:
            first = prev = at
            total += 1
            if state in AT_GATEWAY:
                at_gateway += 1
            elif final:
                settled += 1
                if done is not None and now - ETA_WINDOW_S < done <= now:
                    settled_recent += 1
        if at > spark_start:
            index = int((at - spark_start) // 60)
            spark[min(index, SPARK_MINUTES - 1)] += 1
        if at <= oldest_start and (done is None or done <= oldest_start):
            continue  # before every window: most of a long send-out, skipped cheaply
        for i, start in enumerate(starts):
            if at > start:
                sent[i] += 1
            if done is not None and start < done <= now:
                if state.is_failure:
                    failed[i] += 1
                else:
                    delivered[i] += 1
    windows = tuple(Window(w, sent[i], delivered[i], failed[i]) for i, w in enumerate(WINDOWS_S))
    sendout = None
    if total:
        sending = now - last <= SENDOUT_GAP_S
        sendout = SendOut(first, last, total, at_gateway, settled, settled_recent, sending,
                          capped)  # fmt: skip
    return Activity(windows, tuple(spark), sendout)


@dataclass(frozen=True, slots=True)
class CampaignFigures:
    """Everything the strip shows for one view (equal data compares equal)."""

    counts: tuple[tuple[DeliveryState, int], ...]
    oldest_pending_s: float | None = None
    scope: str = ALL_CACHED  # what the counts cover: the filter, else every cached message
    stuck: int | None = None  # pending past their operator's usual delivery time
    activity: Activity = field(default_factory=Activity)
    at: float = 0.0  # when the figures were taken (the send-out's times are told from it)

    @classmethod
    def build(
        cls,
        counts: Mapping[DeliveryState, int],
        oldest: float | None = None,
        *,
        scope: str = ALL_CACHED,
        stuck: int | None = None,
        activity: Activity | None = None,
        at: float = 0.0,
    ) -> CampaignFigures:
        """Normalise the figures (states in reading order, zero counts dropped)."""
        ordered = tuple((s, counts[s]) for s in STATE_ORDER if counts.get(s))
        return cls(ordered, oldest, scope, stuck, activity or Activity(), at)

    @property
    def total(self) -> int:
        """Messages the counts cover."""
        return sum(n for _, n in self.counts)

    @property
    def failures(self) -> int:
        """Messages that did not reach the handset (failed, expired, rejected, not found)."""
        return sum(n for s, n in self.counts if s.is_failure)

    @property
    def delivery_pct(self) -> float | None:
        """Delivered share of the final messages the counts cover."""
        return delivery_percent(dict(self.counts))

    def window(self, seconds: float) -> Window | None:
        """The recent window of this length, if taken."""
        return next((w for w in self.activity.windows if w.seconds == seconds), None)


class Campaign:
    """The campaign figures of whatever the dashboard shows, and the stuck messages in it.

    `accounts()` names the accounts whose pending messages are walked (the configured ones,
    else the polled ones). Call `figures(view, now, full=True)` on the slow tick and
    `full=False` on live batches and view changes.
    """

    def __init__(self, store: CampaignStore, accounts: Callable[[], Sequence[str]]) -> None:
        self.store = store
        self.accounts = accounts
        self.stuck_rule = StuckRule()  # filters hold this object: refreshed thresholds apply
        self._usual_at: float | None = None
        self._pending: list[Message] = []  # every pending message, as of the last full walk
        self._stuck: list[Message] = []  # the stuck ones among them
        self._view: object = self  # the view token the figures below are of (self: none yet)
        self._oldest_sent: float | None = None  # the oldest pending message in view: sent at
        self._stuck_in_view = 0
        self._activity = Activity()

    def scope(self, view: View) -> str:
        """What the figures cover, in words: the view's, else all cached; and how much of the
        cache is loaded when older days still wait on disk."""
        parts = [view.words] if view.words else []
        loaded, total = len(self.store), self.store.total()
        if total > loaded:  # older days load as the history scrolls: the figures skip them
            parts.append(f"{group(loaded)} of {group(total)} loaded")
        return " · ".join(parts) or ALL_CACHED

    def refresh_usual(self, now: float, *, force: bool = False) -> None:
        """Re-measure operators' usual delivery times (at most once a minute)."""
        if not force and self._usual_at is not None and now - self._usual_at < USUAL_REFRESH_S:
            return
        store = self.store
        self.stuck_rule.update(usual_delivery(store.messages_sorted(), store.timeline))
        self._usual_at = now

    def find_stuck(self, view: View, now: float) -> list[Message]:
        """Stuck messages in the view: walks the pending ones only, not the history."""
        self.refresh_usual(now)
        self._pending = [m for a in self.accounts() for m in self.store.non_final(a)]
        self._stuck = self.stuck_rule.select(self._pending, now)
        self._view = self  # the in-view figures must be taken again
        return [m for m in self._stuck if _in_view(view, m, now)]

    def figures(self, view: View, now: float, *, full: bool) -> CampaignFigures:
        """The strip's figures for the view.

        Pending messages and the recent rows are walked on full refreshes (O(pending) and
        O(recent rows)); a live batch reuses those walks, a new view walks its recent rows
        and re-tests the pending ones against itself.
        """
        if view.accepts is None:
            counts = self.store.counts_by_state()
        else:
            counts = dict(Counter(m.state for m in view.rows))
        if full:
            self.find_stuck(view, now)
        if full or view.token is not self._view:
            self._take_view(view, now)
        oldest = None if self._oldest_sent is None else max(0.0, now - self._oldest_sent)
        return CampaignFigures.build(counts, oldest, scope=self.scope(view),
                                     stuck=self._stuck_in_view, activity=self._activity,
                                     at=now)  # fmt: skip

    def _take_view(self, view: View, now: float) -> None:
        """Oldest pending, stuck count and recent activity inside the view."""
        self._view = view.token
        sent = [m.sent_at for m in self._pending if m.sent_at is not None
                and _in_view(view, m, now)]  # fmt: skip
        self._oldest_sent = min(sent) if sent else None
        self._stuck_in_view = sum(1 for m in self._stuck if _in_view(view, m, now))
        self._activity = walk(view.rows, now)

    def currency(self) -> str:
        """The accounts' currency when they agree on one ('' otherwise)."""
        store = self.store
        found = {b.currency for a in self.accounts() if (b := store.latest_balance(a))}
        return found.pop() if len(found) == 1 else ""


def _in_view(view: View, message: Message, now: float) -> bool:
    return view.accepts is None or view.accepts(message, now)


def requery_text(reports: Sequence[StatusRefresh]) -> tuple[str, int]:
    """The toast for a re-query: what was asked, what changed, what was refused and why."""
    lines, refused = [], 0
    for r in reports:
        if r.refused:
            refused += 1
            lines.append(f"{r.account}: {group(r.asked)} not asked — {r.refused}")
        else:
            lines.append(
                f"{r.account}: asked {group(r.asked)} in one request · {group(r.changed)} changed"
                f" · {group(r.final)} now final"
            )
    return "\n".join(lines), refused
