"""The seeded campaign: history at start, a live stream, API sends, balances, inbound SMS."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from smstui.emulator import numbering
from smstui.emulator.ground_truth import TruthRow, state_counts, truth_rows
from smstui.emulator.hlr import hlr_path
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.paths import (
    SmscMessage,
    WebcomMessage,
    smsc_path,
    webcom_path,
)
from smstui.emulator.scenario import (
    ID_BASE,
    INBOUND_ID_BASE,
    INBOUND_TEXTS,
    INT_ID_BASE,
    OUR_NUMBERS,
    SENDERS,
    SMSC_VALID,
    TEXTS,
    WEBCOM_ID_BASE,
    WEBCOM_VALID,
    Inbound,
    random_phone,
)

__all__ = ["SENDERS", "Campaign", "Inbound"]  # SENDERS and Inbound: kept importable from here
RUNNING_S = 10 * 60.0  # the seeded history's last minutes are sent at the live rate


class Campaign:
    """All messages of both gateways; state at time t is a pure function of each timeline."""

    def __init__(self, opts: EmulatorOptions, start: float) -> None:
        self.opts, self.start = opts, start
        self.smsc: list[SmscMessage] = []  # ordered by int_id (= by send time)
        self.webcom: list[WebcomMessage] = []
        self.inbound: list[Inbound] = []
        self.by_key: dict[tuple[str, str, str], SmscMessage] = {}
        self.webcom_by_id: dict[int, WebcomMessage] = {}
        self.webcom_by_client: dict[tuple[str, str], WebcomMessage] = {}  # client_id_sms index
        self.balance: dict[str, Decimal] = {}
        self.money: dict[str, Decimal] = {}
        self.listeners: list[Callable[[SmscMessage | WebcomMessage | Inbound], None]] = []
        self._next_id, self._next_int, self._next_sms = ID_BASE, INT_ID_BASE, WEBCOM_ID_BASE
        self._next_in = INBOUND_ID_BASE
        self.live_smsc = self.live_webcom = self.live_inbound = 0
        for login in opts.parsed_accounts():
            self.balance[login] = Decimal(opts.smsc_balance)
            self.money[login] = Decimal(opts.webcom_balance)
        self._seed_history()

    # --- generation -----------------------------------------------------------------------
    def _seed_history(self) -> None:
        rng = random.Random(self.opts.seed)
        span = self.opts.history_hours * 3600
        # Planned newest first, so the history ends at `start` like a campaign still sending
        # (the count cuts off the oldest end of the span, never the last minutes); each send
        # gets its own generator so it can then be made oldest first (ids grow with time).
        plan: list[tuple[float, int, int]] = []
        left = self.opts.messages
        for t in sorted(self._history_times(rng, span), reverse=True):
            if left <= 0:
                break
            n = min(left, 1 if rng.random() < 0.92 else rng.choice((2, 3)))
            plan.append((t, n, rng.getrandbits(64)))
            left -= n
        for t, n, seed in reversed(plan):
            self._campaign_send(random.Random(seed), t, n, phones=n)
        for t in sorted(self.start - span * rng.random() for _ in range(self.opts.webcom_history)):
            self._campaign_webcom(rng, t)
        week = 7 * 24 * 3600
        for t in sorted(self.start - week * rng.random() for _ in range(max(10, len(plan) // 20))):
            self._add_inbound(rng, t)

    def _history_times(self, rng: random.Random, span: float) -> list[float]:
        """Send times: the last RUNNING_S at the live rate (already running), the rest spread."""
        rate, total = self.opts.rate, self.opts.messages
        running = min(total // 4, int(RUNNING_S * rate / 60)) if rate > 0 else 0
        recent = [self.start - k * 60 / rate for k in range(1, running + 1)]
        older = min(RUNNING_S, span) if running else 0.0
        spread = [self.start - older - (span - older) * rng.random() for _ in range(total)]
        return recent + spread[: total - running]

    def _campaign_send(
        self, rng: random.Random, t: float, room: int, *, phones: int | None = None
    ) -> list[SmscMessage]:
        """One campaign send (usually one phone, sometimes two or three sharing the id)."""
        n = phones if phones is not None else (1 if rng.random() < 0.92 else rng.choice((2, 3)))
        sender = SENDERS[rng.randrange(len(SENDERS))]
        text = TEXTS[rng.randrange(len(TEXTS))].format(code=rng.randrange(1000, 9999))
        valid = SMSC_VALID[rng.randrange(len(SMSC_VALID))]
        via_api = rng.random() >= 0.05
        numbers = [random_phone(rng) for _ in range(min(n, room))]
        return self.add_smsc("demo", numbers, text, sender, t, valid, rng, via_api=via_api)

    def _campaign_webcom(self, rng: random.Random, t: float) -> WebcomMessage:
        text = TEXTS[rng.randrange(len(TEXTS))].format(code=rng.randrange(1000, 9999))
        sender = SENDERS[rng.randrange(len(SENDERS))]
        return self.add_webcom("demo", random_phone(rng), text, sender, t, WEBCOM_VALID, rng)

    def _add_inbound(self, rng: random.Random, t: float) -> None:
        provider = "smsc" if rng.random() < 0.8 else "webcom"
        phone, text = random_phone(rng), INBOUND_TEXTS[rng.randrange(len(INBOUND_TEXTS))]
        to = OUR_NUMBERS[rng.randrange(len(OUR_NUMBERS))]
        sent = t - rng.uniform(1, 20)
        sms = Inbound(provider, self._next_in, "demo", phone, text, to, sent, t)
        self.inbound.append(sms)
        self._next_in += 1
        self._notify(sms)

    def advance(self, now: float) -> None:
        """Materialize every live message and inbound SMS due by `now` (in time order)."""
        rate, cap = self.opts.rate, self.opts.live_messages
        if rate <= 0:
            return
        due_smsc = int((now - self.start) * rate / 60)
        due_webcom = int((now - self.start) * rate / 300)
        due_in = int((now - self.start) * rate / 1200)
        if cap is not None:
            due_smsc, due_webcom, due_in = min(due_smsc, cap), min(due_webcom, cap // 5), 0
        while self.live_smsc < due_smsc:
            k = self.live_smsc = self.live_smsc + 1
            rng = random.Random(f"{self.opts.seed}:smsc:{k}")
            self._campaign_send(rng, self.start + k * 60 / rate, 1)
        while self.live_webcom < due_webcom:
            k = self.live_webcom = self.live_webcom + 1
            self._campaign_webcom(
                random.Random(f"{self.opts.seed}:webcom:{k}"), self.start + k * 300 / rate
            )
        while self.live_inbound < due_in:
            k = self.live_inbound = self.live_inbound + 1
            self._add_inbound(
                random.Random(f"{self.opts.seed}:in:{k}"), self.start + k * 1200 / rate
            )

    # --- adding messages ------------------------------------------------------------------
    def add_smsc(
        self,
        login: str,
        phones: list[str],
        text: str,
        sender: str,
        t: float,
        valid_s: float,
        rng: random.Random,
        *,
        via_api: bool = True,
        client_id: str | None = None,
        begin: float | None = None,
        hlr: bool = False,
        reject: tuple[int, int] | None = None,
    ) -> list[SmscMessage]:
        """One send: a shared id, one message per phone, money taken per part."""
        msg_id = client_id if client_id is not None else str(self._next_id)
        if client_id is None:
            self._next_id += 1
        parts = 1 if hlr else numbering.count_parts(text)
        added = []
        for phone in phones:
            plan = numbering.lookup(phone)
            price = numbering.HLR_PRICE if hlr else (plan.operator.price if plan else Decimal(0))
            cost = price * parts
            fields: dict[str, str] = {}
            if hlr and plan is not None:  # a network query: no sender, no SMS failure paths
                path, fields = hlr_path(rng, t if begin is None else begin, plan)
            else:
                path = smsc_path(
                    rng, t if begin is None else begin, plan, valid_s, self.opts.link_clicks
                )
            if reject is not None:  # refused by SMSC itself (e.g. unregistered sender)
                path, cost = [path[0], (path[0][0] + 1.0, *reject)], Decimal(0)
            elif cost > self.balance.get(login, Decimal(0)):
                path, cost = [path[0], (path[0][0] + 1.0, 24, 0)], Decimal(0)
            elif path[-1][1] in (22, 25):
                cost = Decimal(0)  # never left SMSC: not billed
            self.balance[login] = self.balance.get(login, Decimal(0)) - cost
            msg = SmscMessage(
                self._next_int,
                msg_id,
                login,
                phone,
                "HLR" if hlr else sender,
                text,
                parts,
                cost.quantize(Decimal("0.01")),
                t,
                path,
                plan,
                via_api,
                4 if hlr else 0,
            )
            msg.hlr = fields
            self._next_int += 1
            self.smsc.append(msg)
            self.by_key[(login, msg_id, phone)] = msg
            added.append(msg)
            self._notify(msg)
        return added

    def add_webcom(
        self,
        login: str,
        phone: str,
        text: str,
        sender: str,
        t: float,
        valid_s: float,
        rng: random.Random,
        client_id_sms: str | None = None,
        *,
        queued_at: float | None = None,
        name_delivery: str = "",
    ) -> WebcomMessage:
        """One Webcom recipient sent at `t`: a fresh id_sms, money taken per part.

        `queued_at` (< t) marks a scheduled send: listed and deletable until `t`.
        """
        plan = numbering.lookup(phone)
        price = (plan.operator.price if plan else Decimal("2.45")) + Decimal("0.35")
        parts = numbering.count_parts(text)
        msg = WebcomMessage(
            self._next_sms,
            login,
            phone,
            sender,
            text,
            parts,
            price,
            t,
            webcom_path(rng, t, valid_s),
            client_id_sms,
            queued_at,
            t + valid_s,
            name_delivery,
        )
        self.money[login] = self.money.get(login, Decimal(0)) - price * parts
        self._next_sms += 1
        self.webcom.append(msg)
        self.webcom_by_id[msg.id_sms] = msg
        if client_id_sms is not None:
            self.webcom_by_client.setdefault((login, client_id_sms), msg)
        self._notify(msg)
        return msg

    def cancel_webcom(self, msg: WebcomMessage) -> None:
        """Delete a scheduled send before its time: it is never sent and its money comes back."""
        msg.cancelled = True
        self.money[msg.login] = self.money.get(msg.login, Decimal(0)) + msg.price * msg.parts
        self.webcom.remove(msg)
        del self.webcom_by_id[msg.id_sms]
        if msg.client_id_sms is not None:
            self.webcom_by_client.pop((msg.login, msg.client_id_sms), None)

    def scheduled(self, login: str, now: float) -> list[WebcomMessage]:
        """`login`'s scheduled Webcom sends still waiting at `now`, soonest first."""
        waiting = [
            w for w in self.webcom if w.login == login and w.queued_at is not None and w.sent > now
        ]
        return sorted(waiting, key=lambda w: (w.sent, w.id_sms))

    def _notify(self, msg: SmscMessage | WebcomMessage | Inbound) -> None:
        for listener in self.listeners:
            listener(msg)

    # --- views ----------------------------------------------------------------------------
    def truth(self, now: float) -> list[TruthRow]:
        """Ground truth at `now`: one dict per message of both gateways."""
        return truth_rows(self, now)

    def states(self, now: float) -> dict[str, dict[str, int]]:
        """Message counts by provider and raw state at `now`."""
        return state_counts(self, now)
