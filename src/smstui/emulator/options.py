"""Every knob of the emulator in one frozen value; defaults follow the protocol notes' choices."""

from __future__ import annotations

from dataclasses import dataclass

from smstui.clock import Clock
from smstui.errors import ConfigError


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator runs: campaign size and pace, network binding, faults, pushes, limits."""

    seed: int = 7
    messages: int = 200  # SMSC history already sent when the emulator starts
    rate: float = 60.0  # live SMSC messages per emulated minute (Webcom gets a fifth of it)
    speed: float = 1.0  # emulated seconds per real second (ignored when `clock` is given)
    webcom_messages: int | None = None  # Webcom history; None → messages // 5
    host: str = "127.0.0.1"
    port: int = 0
    faults: str = ""  # "timeout=0.02,http500=0.02,…" per-request probabilities
    clock: Clock | None = None  # used as is (a FakeClock lets tests move time)
    smsc_webhook: str | None = None
    webcom_webhook: str | None = None
    start: float | None = None  # emulated Unix time at start; None → clock.now() / wall time
    accounts: tuple[str, ...] = ()  # extra "LOGIN:PASSWORD" pairs for both gateways
    live_messages: int | None = None  # stop the live campaign after this many; None = endless
    history_hours: float = 6.0  # the seeded history spreads over this many past hours
    smsc_balance: str = "50000.00"
    webcom_balance: str = "19023.90"
    # --- SMSC choices (smsc.md §12) ---
    archive: bool = True  # the 03:00 MSK archive job
    archived_as_error: bool = False  # archived message → error 3 instead of status -3
    # A single status request for an unknown (or archived) id → error 3, as the real gateway
    # answers; False → a status −3 object (the older reading).
    status_not_found_error: bool = True
    # get_messages with nothing to return → error 3 "messages not found", as the real gateway
    # answers (smsc.md §6.3); True → an empty list `[]` (the other reading).
    history_empty_list: bool = False
    history_hour_rule_identical: bool = False  # 30/hour counts identical requests only
    incoming_limit: bool = True  # 3 identical get_answers per minute (older docs)
    status_concurrency: int = 5
    concurrency: int = 15
    mass_status_max: int | None = None  # cap on ids per mass status request
    link_clicks: bool = False  # allow status 1 → 4
    # --- Webcom choices (webcom.md §9) ---
    webcom_error_status: int = 400  # HTTP status of request-level errors (200 also seen)
    webcom_get_limit: bool = False  # sibling rule: identical GET at most once a minute
    webcom_get_time: bool = False  # GET status body carries the time after the word
    webcom_blocked: tuple[str, ...] = ()  # Webcom logins whose account is blocked (E2)
    webcom_page_size: int = 100  # rows per page of /xml/list_scheduled.php
    # --- pushes ---
    smsc_push_attempts: int = 3
    webcom_push_attempts: int = 5
    push_retry_interval: float = 60.0  # emulated seconds between attempts
    push_timeout: float = 10.0  # real seconds per push request
    push_tick: float = 0.05  # real seconds between scans for due status changes
    crc32_hex: bool = False  # crc32 control value as 8-digit hex instead of unsigned decimal
    smsc_push_form_only: bool = False  # ignore fmt=2/3 in the handler URL
    webcom_push_format: str = "json"  # "json" array or "xml" <state> list (webcom.md §3.3, §5.3)
    webcom_push_root: str = "response"  # XML push root: Webcom's "response" or sibling "request"
    # --- faults ---
    fault_timeout_s: float = 30.0  # how long a "timeout" fault holds the request (real seconds)

    def __post_init__(self) -> None:
        if self.webcom_push_format not in ("json", "xml"):
            raise ConfigError(
                f"webcom_push_format must be json or xml, not {self.webcom_push_format!r}"
            )
        if self.webcom_push_root not in ("response", "request"):
            raise ConfigError(
                f"webcom_push_root must be response or request, not {self.webcom_push_root!r}"
            )

    @property
    def webcom_history(self) -> int:
        """How many Webcom messages the seeded history holds."""
        return self.messages // 5 if self.webcom_messages is None else self.webcom_messages

    def parsed_accounts(self) -> dict[str, str]:
        """Built-in and extra credentials as login → password."""
        creds = {"demo": "demo"}
        for item in self.accounts:
            login, sep, password = item.partition(":")
            if not sep or not login:
                raise ConfigError(f"account must be LOGIN:PASSWORD, got {login or item!r}")
            creds[login] = password
        return creds
