"""How a failed command reports itself: exit code, one line on stderr, or JSON with --json.

Exit codes are part of the interface (scripts depend on them): 0 ok, 1 the gateway refused or
the shared request budget is spent, 2 usage/config (or a resend the policy refuses without
--force), 3 network, 4 local state (the cache or its directory is locked, busy, unreadable or
unwritable), 5 a send's outcome is unknown (the request left, no usable reply came: it may have
gone out; the client id is printed), 6 a `--cached` answer is partial (a damaged partition: every
readable match is printed, stderr and the JSON's last record name the missing days), 130
interrupted, 141 stdout closed early.

With --json the error is the one JSON document on stdout, so `smstui … --json | jq` always reads
JSON: `{"error": {"provider", "code", "message", "class"}}`, `class` in smstui.policy's
vocabulary (permanent, temporary, account, configuration, unknown).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from smstui.budget import BudgetExceeded
from smstui.display import duration
from smstui.errors import (
    ApiError,
    ConfigError,
    GatewayError,
    GatewayTimeout,
    NotFound,
    OutcomeUnknown,
    SmstuiError,
    StoreError,
    TransportError,
    UsageError,
)
from smstui.exit_codes import (
    EXIT_GATEWAY,
    EXIT_LOCAL,
    EXIT_NETWORK,
    EXIT_OUTCOME_UNKNOWN,
    EXIT_USAGE,
)
from smstui.model import ErrorClass
from smstui.policy import ResendRefused


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed command, described once for both the text and the JSON report."""

    exit_code: int
    line: str  # the stderr line after "smstui: "
    message: str
    error_class: ErrorClass
    provider: str | None = None
    code: int | str | None = None

    def as_json(self) -> dict[str, dict[str, object]]:
        """The --json error document."""
        return {
            "error": {
                "provider": self.provider,
                "code": self.code,
                "message": self.message,
                "class": self.error_class.value,
            }
        }


def describe(err: SmstuiError, *, elapsed_s: float | None = None) -> Failure:
    """The exit code, wording and class of an error smstui raised on purpose.

    `elapsed_s`: how long the command ran; a timeout names it, because "no answer within 10 s"
    is per try and reads wrong printed after 33 s of retries.
    """
    if isinstance(err, OutcomeUnknown):
        line, which = str(err), err.message.provider.value
        return Failure(EXIT_OUTCOME_UNKNOWN, line, line, ErrorClass.UNKNOWN, which)
    if isinstance(err, ResendRefused):
        return Failure(EXIT_USAGE, str(err), str(err), err.failure_class)
    if isinstance(err, ConfigError):
        return Failure(EXIT_USAGE, f"config error: {err}", str(err), ErrorClass.CONFIGURATION)
    if isinstance(err, UsageError):
        return Failure(EXIT_USAGE, str(err), str(err), ErrorClass.CONFIGURATION)
    if isinstance(err, StoreError):
        return Failure(EXIT_LOCAL, str(err), str(err), _store_class(err))
    if isinstance(err, NotFound):
        provider = err.provider or None
        return Failure(EXIT_GATEWAY, str(err), str(err), ErrorClass.UNKNOWN, provider)
    if isinstance(err, BudgetExceeded):
        return Failure(EXIT_GATEWAY, str(err), str(err), ErrorClass.TEMPORARY)
    if isinstance(err, GatewayError):
        return _gateway(err, elapsed_s)
    return Failure(EXIT_GATEWAY, str(err), str(err), ErrorClass.UNKNOWN)


def _gateway(err: GatewayError, elapsed_s: float | None) -> Failure:
    provider = err.provider or None
    if isinstance(err, TransportError):
        text = str(err)
        if isinstance(err, GatewayTimeout) and elapsed_s is not None:
            text += f"; gave up after {duration(elapsed_s)}"
        line = f"network error: {text}"
        return Failure(EXIT_NETWORK, line, text, ErrorClass.TEMPORARY, provider)
    if isinstance(err, ApiError):
        line = describe_api_error(err)
        return Failure(EXIT_GATEWAY, line, line, err.error_class, provider, err.code)
    line = f"gateway error: {err}"
    return Failure(EXIT_GATEWAY, line, str(err), ErrorClass.UNKNOWN, provider)


def _store_class(err: StoreError) -> ErrorClass:
    # Locked or busy clears by itself; permissions, a full disk or a file in the way do not.
    cause = err.__cause__
    if isinstance(cause, OSError) and not isinstance(cause, BlockingIOError):
        return ErrorClass.CONFIGURATION
    return ErrorClass.TEMPORARY


def describe_api_error(err: ApiError) -> str:
    """One line: provider, code, explanation."""
    parts = [err.provider or "gateway", f"error {err.code}" if err.code is not None else "error"]
    detail = err.explanation or err.text or str(err)
    return f"{' '.join(parts)}: {detail}"


def report(failure: Failure, *, as_json: bool) -> int:
    """Print the failure where it belongs; return its exit code."""
    if as_json:
        json.dump(failure.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"smstui: {failure.line}", file=sys.stderr)
    return failure.exit_code
