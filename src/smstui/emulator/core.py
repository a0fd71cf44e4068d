"""The running emulator's shared state: clock, campaign, limits, stats, credentials."""

from __future__ import annotations

import hashlib
import time

from smstui.clock import Clock, ScaledClock
from smstui.emulator.campaign import Campaign
from smstui.emulator.ground_truth import TruthRow
from smstui.emulator.limits import AuthGuard, Concurrency, IpBlocks, Limiter, SendErrorGuard
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.stats import Stats, StatsSnapshot


class Emulator:
    """What `run_emulator` yields: the state both gateways serve, and inspection helpers."""

    def __init__(self, opts: EmulatorOptions) -> None:
        self.opts = opts
        if opts.clock is not None:
            self.clock: Clock = opts.clock
            start = opts.start if opts.start is not None else opts.clock.now()
        else:
            start = opts.start if opts.start is not None else float(int(time.time()))
            self.clock = ScaledClock(start, opts.speed)
        self.credentials = opts.parsed_accounts()
        self.apikeys = {f"{login}-apikey": login for login in self.credentials}
        self.tokens = {f"{login}-token": login for login in self.credentials}
        self.campaign = Campaign(opts, start)
        self.limiter = Limiter()
        self.ip_blocks = IpBlocks()
        self.auth_guard = AuthGuard(self.ip_blocks)
        self.send_guard = SendErrorGuard(self.ip_blocks)
        self.concurrency = Concurrency(opts.concurrency, opts.status_concurrency)
        self.stats_counters = Stats()
        self.base_url = ""
        self.api_sends = 0  # seeds the RNG of each API send, so replays are deterministic

    def now(self) -> float:
        """Emulated time, with every live message due by then materialized."""
        now = self.clock.now()
        self.campaign.advance(now)
        return now

    def check_password(self, login: str, password: str) -> bool:
        """Plain password, or (SMSC habit) its lowercase hex MD5."""
        expected = self.credentials.get(login)
        if expected is None or not password:
            return False
        md5 = hashlib.md5(expected.encode("utf-8")).hexdigest()
        return password == expected or password.lower() == md5

    def stats(self) -> StatsSnapshot:
        """The dict GET /_emulator/stats returns."""
        now = self.now()
        return self.stats_counters.snapshot(now, self.campaign.states(now))

    def truth(self) -> list[TruthRow]:
        """Ground truth of every message at the emulator's current time."""
        return self.campaign.truth(self.now())
