"""Typed reasons a push is refused; the server maps each to one HTTP status."""

from __future__ import annotations

from smstui.errors import SmstuiError


class PushError(SmstuiError):
    """A push the receiver will not accept."""


class MalformedPush(PushError):
    """The body cannot be decoded or lacks what the gateway always sends (HTTP 400)."""


class ForgedPush(PushError):
    """The control hash is missing or wrong, or no secret is configured (HTTP 403)."""


class ReceiverError(SmstuiError):
    """The receiver cannot run, e.g. its address is taken; the message says where and why."""
