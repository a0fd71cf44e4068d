"""The gateways' documented request limits as data, each row naming its source.

Sources are sections of /work/shared/protocols/smsc.md and webcom.md. Our own stricter rows
(safety margins) are a separate, clearly named layer.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from smstui.display import clock
from smstui.errors import SmstuiError
from smstui.model import Provider

UNLIMITED = 2**31 - 1  # remaining() when no row limits an endpoint (e.g. Webcom by default)


@dataclass(frozen=True, slots=True)
class Limit:
    """One request limit: at most `max` requests per `window_s` seconds, per `per` scope.

    `per` says what counts as "the same": "login" (any request to the endpoint), "message"
    (the same message id + phone), "phone", or "request" (identical parameters).
    """

    name: str
    provider: Provider
    endpoint: str
    per: str
    window_s: float
    max: int
    source: str
    layer: str = "documented"  # or "sibling" (optional, from a related platform) / "margin"
    base: str = ""  # a margin: the name of the documented row it tightens

    @property
    def per_key(self) -> bool:
        """True when each key (message, phone, request) has its own window."""
        return self.per != "login"


def _smsc(name: str, endpoint: str, per: str, window: float, n: int, src: str) -> Limit:
    return Limit(f"smsc.{name}", Provider.SMSC, endpoint, per, window, n, src)


SMSC_LIMITS: tuple[Limit, ...] = (
    _smsc("status_same", "status", "message", 60, 5, "smsc.md §3.8, §9 (P-codes, P-st-ans)"),
    _smsc("status_mass", "status_mass", "login", 60, 1, "smsc.md §3.8, §9, Q11"),
    _smsc("history_same", "history", "request", 60, 3, "smsc.md §6.3, §9 (P-out)"),
    _smsc("history_any", "history", "login", 3600, 30, "smsc.md §6.3, §9, Q7 (P-out)"),
    _smsc("balance", "balance", "login", 60, 10, "smsc.md §4, §9 (P-bal-ans, P-soap-bal)"),
    _smsc("operator_same", "operator", "phone", 60, 3, "smsc.md §5.2, §9 (P-op)"),
    _smsc("operator_any", "operator", "login", 60, 100, "smsc.md §5.2, §9 (P-op)"),
    _smsc("incoming_same", "incoming", "request", 60, 3, "smsc.md §7, §9, Q25 (C-erl, 🟡)"),
    _smsc("send_same", "send", "request", 60, 1, "smsc.md §9 (P-send-ans-ru)"),
    _smsc("cost_same", "cost", "request", 60, 5, "smsc.md §9 (P-send-ans-ru)"),
)

# Webcom documents no rate limit (webcom.md §1.2, Q13). A sibling platform's rule is kept as an
# optional row; the client honours it because repeating an identical GET within a minute is
# never useful anyway.
WEBCOM_LIMITS: tuple[Limit, ...] = ()
WEBCOM_SIBLING_LIMITS: tuple[Limit, ...] = (
    Limit("webcom.get_same", Provider.WEBCOM, "get", "request", 60, 1,
          "webcom.md §1.2, Q13 (HGD, 🟡 sibling)", layer="sibling"),
)  # fmt: skip


def window_words(row: Limit) -> str:
    """ "minute", "hour", or the seconds for another window."""
    return {60.0: "minute", 3600.0: "hour"}.get(float(row.window_s), f"{row.window_s:g} s")


def _margin(name: str, base: str, endpoint: str, per: str, window: float, n: int) -> Limit:
    provider = Provider(base.split(".", 1)[0])
    # In words (the health screen shows it); `base` names the documented row it tightens.
    documented = next(r for r in SMSC_LIMITS if r.name == base)
    per_what = {"message": " for each message", "request": " identical requests",
                "phone": " for each number"}.get(documented.per, "")  # fmt: skip
    why = (
        f"stricter than the gateway's limit of {documented.max}{per_what} per "
        f"{window_words(documented)}: smsc.md §9 'client budget'"
    )
    return Limit(
        f"{provider.value}.margin.{name}", provider, endpoint, per, window, n, why, "margin", base
    )


# Stricter rows of our own, one for every documented row. The server counts by arrival time and
# we count by sending time, so a request slow on its way could land inside the gateway's window:
# each margin's window is MARGIN_S longer than the documented one (a request up to 2 s late still
# arrives after the window's oldest has left), and the busier rows keep a request or more spare.
MARGIN_S = 2.0
_MIN = 60 + MARGIN_S
SMSC_MARGINS: tuple[Limit, ...] = (
    _margin("balance", "smsc.balance", "balance", "login", 10, 1),  # ≤ 7 in any 62 s
    # 30 an hour may come in bursts (3 identical a minute): paging back through a backlog
    # right away beats one page every two minutes, as long as the hour stays under 30 (27 plus
    # a late burst of 2 is still 29 in any 3602 s).
    _margin("history_hour", "smsc.history_any", "history", "login", 3600, 27),
    _margin("history_burst", "smsc.history_same", "history", "login", _MIN, 2),
    _margin("status_mass", "smsc.status_mass", "status_mass", "login", _MIN, 1),
    _margin("status_same", "smsc.status_same", "status", "message", _MIN, 4),
    _margin("operator_same", "smsc.operator_same", "operator", "phone", _MIN, 3),
    _margin("operator_any", "smsc.operator_any", "operator", "login", _MIN, 90),
    _margin("incoming_same", "smsc.incoming_same", "incoming", "request", _MIN, 3),
    _margin("send_same", "smsc.send_same", "send", "request", _MIN, 1),
    _margin("cost_same", "smsc.cost_same", "cost", "request", _MIN, 4),
)


@dataclass(frozen=True, slots=True)
class Concurrency:
    """How many requests may be in flight per login."""

    provider: Provider
    max_in_flight: int
    source: str


CONCURRENCY = {
    Provider.SMSC: Concurrency(Provider.SMSC, 4, "smsc.md §9, Q12: 5+ on status.php → error 9"),
    Provider.WEBCOM: Concurrency(Provider.WEBCOM, 5, "webcom.md §1.2, Q13 (🟡 sibling)"),
}


def default_limits(provider: Provider, *, margins: bool = True) -> tuple[Limit, ...]:
    """The rows a client of this provider should obey (documented + sibling, plus margins)."""
    if provider is Provider.SMSC:
        return SMSC_LIMITS + (SMSC_MARGINS if margins else ())
    return WEBCOM_LIMITS + WEBCOM_SIBLING_LIMITS


@dataclass(frozen=True, slots=True)
class BudgetEvent:
    """A back-off the UI should show: an endpoint penalised (error 9) or the account blocked (4)."""

    kind: str  # "penalised" | "blocked"
    endpoint: str  # "*" for the whole account
    until: float
    at: float
    reason: str = ""


class BudgetExceeded(SmstuiError):
    """A request was refused locally because it would break a limit; retry at `next_allowed_at`."""

    def __init__(
        self,
        endpoint: str,
        key: Hashable,
        next_allowed_at: float,
        limit: str,
        *,
        text: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.key = key
        self.next_allowed_at = next_allowed_at
        self.limit = limit
        # Budget.refusal() gives the full sentence; the fallback still names a local time,
        # never a raw epoch.
        when = clock(next_allowed_at, sec=True)
        super().__init__(text or f"{endpoint} refused by {limit}; next allowed at {when}")
