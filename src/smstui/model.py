"""The unified delivery model every layer speaks: frozen values, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal

from smstui.phones import digits


class Provider(enum.StrEnum):
    """The gateways smstui can talk to."""

    SMSC = "smsc"
    WEBCOM = "webcom"


class DeliveryState(enum.StrEnum):
    """Where a message is on its way to the handset, the same for every provider."""

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    STOPPED = "stopped"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"
    # A send whose request left but whose reply never came (lost, cut, interrupted): it may
    # have gone out and been charged. Reconciled by asking its status; never resent blindly.
    OUTCOME_UNKNOWN = "outcome_unknown"

    @property
    def is_final(self) -> bool:
        """True when the gateway will report no further change (so polling can stop)."""
        return self in _FINAL

    @property
    def is_failure(self) -> bool:
        """True for the states an operator triages (did not reach the handset)."""
        return self in _FAILURES


_FINAL = frozenset(
    {
        DeliveryState.DELIVERED,
        DeliveryState.READ,
        DeliveryState.FAILED,
        DeliveryState.EXPIRED,
        DeliveryState.REJECTED,
        DeliveryState.NOT_FOUND,
    }
)
_FAILURES = frozenset(
    {DeliveryState.FAILED, DeliveryState.EXPIRED, DeliveryState.REJECTED, DeliveryState.NOT_FOUND}
)


class ErrorClass(enum.StrEnum):
    """What a triager can do about a delivery error."""

    NONE = "none"  # no error
    PERMANENT = "permanent"  # do not resend: the number or content will never work
    TEMPORARY = "temporary"  # resend later
    ACCOUNT = "account"  # billing / limits of our account
    CONFIGURATION = "configuration"  # sender, template, IP allow-list
    UNKNOWN = "unknown"


class Source(enum.StrEnum):
    """How smstui learnt of a status: asked (poll), told (webhook), or did it (send)."""

    POLL = "poll"
    WEBHOOK = "webhook"
    SEND = "send"
    HISTORY = "history"


@dataclass(frozen=True, slots=True)
class Message:
    """One outgoing message as smstui knows it; keyed by (account, message_id, phone).

    The phone is part of the key because SMSC gives one id to every recipient of a
    multi-phone send and asks for (id, phone) in status requests. Webcom ids are unique per
    recipient, so a Webcom change that carries no phone resolves by (account, message_id).
    """

    account: str
    provider: Provider
    message_id: str
    phone: str
    state: DeliveryState = DeliveryState.UNKNOWN
    text: str = ""
    sender: str = ""
    sent_at: float | None = None  # Unix seconds
    raw_status: str = ""  # the provider's own status value, verbatim ("1", "deliver", …)
    error_code: int | None = None  # SMSC `err`; None when the provider gives none
    cost: Decimal | None = None
    parts: int | None = None
    country: str = ""
    operator: str = ""
    region: str = ""
    updated_at: float | None = None  # Unix seconds of the last status change
    # The message_id this message resends (same account and phone); "" for a first send. Set
    # once, on the new message, in the same durable record as the send itself.
    resend_of: str = ""
    # When smstui first learnt of a message it did not send (a push for an id no history had
    # named yet): its place in history until the send time is known. None otherwise.
    seen_at: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """The identity of this message inside smstui."""
        return (self.account, self.message_id, self.phone)

    def evolve(self, **changes: object) -> Message:
        """A copy with some fields changed (frozen values are never mutated)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def placed_at(message: Message) -> float | None:
    """Where a message sits in history: its send time, else when smstui first saw it."""
    return message.sent_at if message.sent_at is not None else message.seen_at


Key = tuple[str, str, str]  # (account, message id, phone): one message in the cache
SortKey = tuple[float, int, str, str, str]
_NEVER = float("inf")


def sort_key(m: Message) -> SortKey:
    """History order: newest first by send time, else first-seen time (a message first seen
    through a push sits where it appeared until history names its send time); neither known:
    last. Ties by id (numeric-aware).

    Ends with the account so that every message has its own key: two accounts can share an
    id, a phone and a time.
    """
    at = placed_at(m)
    sent = -at if at is not None else _NEVER
    return (sent, len(m.message_id), m.message_id, m.phone, m.account)


ChangeKind = Literal["inserted", "updated", "timeline", "removed"]


@dataclass(frozen=True, slots=True)
class AppliedChange:
    """What one item of a batch the store applied actually changed: the one change contract
    between the store and everything that listens to it (UI, alerts, the poller's books).

    kind is "inserted" (a new message), "updated" (the message's values changed),
    "timeline" (an older status was recorded in the timeline; the message stayed as it was) or
    "removed" (the message moved to another key: `before` is what left, `after` the same).
    """

    kind: ChangeKind
    key: Key
    before: Message | None
    after: Message
    change: StatusChange | None = None


INTENT_PREFIX = "cid-"  # a Webcom send's id until the gateway names it (its ids are integers)


def client_id_of(message: Message) -> str:
    """The client id a send of smstui's carried (SMSC: its id; Webcom: its intent's id)."""
    return message.message_id.removeprefix(INTENT_PREFIX)


def askable(message: Message) -> bool:
    """Can the gateway be asked this message's status? (Not a Webcom send it never named.)"""
    return not message.message_id.startswith(INTENT_PREFIX)


@dataclass(frozen=True, slots=True)
class Rekey:
    """What the cache filed under `old` is the message `new` from now on: a send recorded under
    its client id before the gateway named it, or a push that named no phone meeting the send
    that does. Its status, details and timeline move; the old key is gone."""

    old: tuple[str, str, str]
    new: tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One observed status of one message; the store appends it to the message's timeline."""

    account: str
    message_id: str
    state: DeliveryState
    raw_status: str
    at: float  # when the gateway says the status changed (Unix seconds)
    source: Source = Source.POLL
    error_code: int | None = None
    phone: str = ""
    observed_at: float | None = None  # when smstui learnt of it (Unix seconds)
    # The time the gateway claimed when it lay too far in the future and `at` was clamped to
    # `observed_at` (a push dated 2099 must not outrank every true status); None otherwise.
    claimed_at: float | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's money at a moment."""

    account: str
    amount: Decimal
    currency: str = ""
    credit: Decimal | None = None
    at: float | None = None
    details: tuple[tuple[str, str], ...] = ()  # Webcom: (area, sms left) pairs


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """What a gateway knows about a phone number (operator lookup or HLR)."""

    phone: str
    country: str = ""
    operator: str = ""
    region: str = ""
    mcc: str = ""
    mnc: str = ""
    # The number's UTC offset, signed ("+7", "-1", "+5:30"; "" unknown): the parsers turn
    # each gateway's own meaning (SMSC: from UTC, Webcom: from Moscow) into this one.
    timezone: str = ""
    reachable: bool | None = None  # HLR only
    roaming: str = ""  # HLR: roaming network, empty at home
    extra: tuple[tuple[str, str], ...] = field(default=())

    def details_for(self, message: Message) -> Message | None:
        """A bare record adding this number's operator, region and country to a message of
        it that lacks them (the store's merge only fills blanks); None when nothing is new.

        Webcom's statuses and pushes never name an operator: a look-up is the only source.
        """
        if not message.phone or digits(message.phone) != digits(self.phone):
            return None
        operator = "" if message.operator else self.operator
        region = "" if message.region else self.region
        country = "" if message.country else self.country
        if not (operator or region or country):
            return None
        return Message(message.account, message.provider, message.message_id, message.phone,
                       country=country, operator=operator, region=region)  # fmt: skip


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message a subscriber sent to one of our numbers."""

    account: str
    incoming_id: str
    phone: str
    text: str
    to_phone: str = ""
    received_at: float | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a gateway answered to a send: the new message id, parts and money."""

    account: str
    message_id: str
    phone: str
    parts: int | None = None
    cost: Decimal | None = None
    balance: Decimal | None = None


def sent_message(
    result: SendResult,
    provider: Provider,
    text: str,
    sender: str,
    phone: str,
    now: float,
    *,
    resend_of: str = "",
) -> Message:
    """The message a successful send created, as the cache records it (queued, now).

    `resend_of` names the message this send repeats (a resend), linking the two for good.
    """
    return Message(
        account=result.account, provider=provider, message_id=result.message_id,
        phone=result.phone or phone, state=DeliveryState.QUEUED, text=text, sender=sender,
        sent_at=now, cost=result.cost, parts=result.parts, updated_at=now, resend_of=resend_of,
    )  # fmt: skip
