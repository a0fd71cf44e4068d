"""Why a message failed and whether to resend it: decided here once, for engine, UI and CLI.

The facts (what each status and error code means) live in smstui.codes; this module only reads
them. Every resend path asks `resend_advice()` and refuses what `ResendAdvice.refusal()` names
unless the user explicitly overrides it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

from smstui.codes import ACTIONS, explain
from smstui.display import clock, duration, zone_name
from smstui.errors import SmstuiError
from smstui.model import DeliveryState, ErrorClass, Message, Provider

RESENDABLE = frozenset({DeliveryState.FAILED, DeliveryState.EXPIRED, DeliveryState.REJECTED})
"""The states a resend is offered for (NOT_FOUND is not a failure of delivery we can repeat)."""


class Advice(enum.StrEnum):
    """What to do about a message before sending its text again."""

    RESEND = "resend"  # a temporary failure: another attempt may get through
    WAIT = "wait"  # temporary, but an attempt before the wait is over fails again
    ACCOUNT = "account"  # fix the account or configuration first, then resend
    PERMANENT = "permanent"  # the number or the content will not work: do not resend
    CHECK = "check"  # the reason is unknown: look the status up again first
    NOT_FAILED = "not_failed"  # delivered or still on its way: a resend is a second copy
    UNCONFIRMED = "unconfirmed"  # the send's outcome is unknown: it may have gone out


class ResendRefused(SmstuiError):
    """The policy advises against this resend and the user did not override it."""

    def __init__(self, reason: str, failure_class: ErrorClass) -> None:
        super().__init__(reason)
        self.failure_class = failure_class


@dataclass(frozen=True, slots=True)
class ResendAdvice:
    """The failure class of one message and the resend advice that follows from it."""

    advice: Advice
    failure_class: ErrorClass
    reason: str  # the error's or the status's English name
    action: str  # what a triager should do, from the code tables
    wait_until: float | None = None  # Unix seconds; only for Advice.WAIT

    def refusal(self, now: float) -> str | None:
        """Why a resend now is refused without an override, or None when it may go."""
        if self.advice is Advice.PERMANENT:
            return f"{self.reason}: a permanent failure; resending will fail again"
        if self.advice is Advice.UNCONFIRMED:
            return f"{self.reason}: it may have gone out and been charged; {self.action}"
        if self.advice is Advice.WAIT and self.wait_until is not None and now < self.wait_until:
            return f"{self.reason}: {self.action} Not before {wait_text(self.wait_until, now)}"
        return None

    def check(self, now: float, *, override: bool = False) -> None:
        """Raise ResendRefused with the reason unless the resend may go (or is overridden)."""
        reason = self.refusal(now)
        if reason is not None and not override:
            raise ResendRefused(reason, self.failure_class)

    def summary(self, now: float) -> str:
        """One line for screens and the CLI: the advice and, for a wait, until when."""
        if self.advice is Advice.WAIT and self.wait_until is not None and now < self.wait_until:
            return f"wait until {wait_text(self.wait_until, now)}"
        return _SUMMARY[self.advice]


_SUMMARY = {
    Advice.RESEND: "resend: the failure is temporary",
    Advice.WAIT: "resend: the advised wait is over",
    Advice.ACCOUNT: "fix the account or configuration, then resend",
    Advice.PERMANENT: "do not resend",
    Advice.CHECK: "look the status up again before resending",
    Advice.NOT_FAILED: "not failed: a resend sends a second copy",
}


def wait_text(until: float, now: float) -> str:
    """`12-02 14:00 MSK (in 23 h)`: the moment in the display zone, named, and how far off."""
    return f"{clock(until, now)} {zone_name(at=until)} (in {duration(until - now)})"


def failure_class(message: Message) -> ErrorClass:
    """The triage class of a message: from its SMSC `err`, else implied by its failed status."""
    return _failure_class(message.provider, message.state, message.raw_status, message.error_code)


@lru_cache(maxsize=1024)  # the `class:` filter asks this for every row of a large history
def _failure_class(
    provider: Provider, state: DeliveryState, raw_status: str, error_code: int | None
) -> ErrorClass:
    status, error = explain(provider.value, raw_status, error_code)
    if error is not None:
        return error.error_class
    if not state.is_failure:
        return ErrorClass.NONE
    return status.failure_class or ErrorClass.UNKNOWN


def resend_advice(message: Message) -> ResendAdvice:
    """What to do about this message before resending it (no I/O, no clock)."""
    status, error = explain(message.provider.value, message.raw_status, message.error_code)
    klass = failure_class(message)
    reason = error.en if error is not None else status.name_en
    action = error.action if error is not None else ACTIONS[klass]
    if message.state is DeliveryState.OUTCOME_UNKNOWN:
        # Never resent blindly: a copy may already be on the handset, and charged.
        wait = "smstui asks its status; resend once it is settled"
        return ResendAdvice(Advice.UNCONFIRMED, ErrorClass.UNKNOWN, reason, wait)
    if message.state not in RESENDABLE:
        return ResendAdvice(Advice.NOT_FAILED, klass, reason, action)
    if klass is ErrorClass.PERMANENT:
        return ResendAdvice(Advice.PERMANENT, klass, reason, action)
    if klass in (ErrorClass.ACCOUNT, ErrorClass.CONFIGURATION):
        return ResendAdvice(Advice.ACCOUNT, klass, reason, action)
    if error is not None and error.wait_hours:
        failed_at = message.updated_at if message.updated_at is not None else message.sent_at
        until = None if failed_at is None else failed_at + error.wait_hours * 3600
        return ResendAdvice(Advice.WAIT, klass, reason, action, until)
    if klass is ErrorClass.TEMPORARY:
        return ResendAdvice(Advice.RESEND, klass, reason, action)
    return ResendAdvice(Advice.CHECK, klass, reason, action)


def in_bulk(message: Message, now: float) -> bool:
    """Does a bulk resend ("resend the temporary failures") include this message?"""
    advice = resend_advice(message)
    return advice.advice is not Advice.NOT_FAILED and advice.refusal(now) is None
