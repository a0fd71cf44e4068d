"""The demo's Webcom ledger: the emulated campaign's Webcom sends, recorded as smstui's own.

Webcom has no history call, and its status replies and pushes carry only id, state and time:
phone, text, sender and send time are known only to whoever sent the message. A real user
sends through smstui (`smstui send`, a resend), which records each message as it goes out. In
the demo the emulator's campaign does the sending, so this ledger records its Webcom sends the
same way — before any push about them can arrive, so a push always finds the message.
"""

from __future__ import annotations

from smstui.codes import webcom_state
from smstui.emulator.core import Emulator
from smstui.emulator.paths import WebcomMessage
from smstui.model import DeliveryState, Message, Provider, Source
from smstui.store import Store


class DemoLedger:
    """Records the campaign's Webcom messages of one emulator login under one account."""

    def __init__(self, store: Store, account: str, login: str = "demo") -> None:
        self.store = store
        self.account = account
        self.login = login

    def attach(self, emu: Emulator, now: float) -> int:
        """Record what was sent before `now` (as smstui had learnt it), then every new send."""
        earlier = [
            self.record(w, now) for w in emu.campaign.webcom if self._ours(w) and w.sent <= now
        ]
        if earlier:
            self.store.apply(earlier, source=Source.SEND)
        emu.campaign.listeners.append(self._on_message)
        return len(earlier)

    def _ours(self, w: object) -> bool:
        return isinstance(w, WebcomMessage) and w.login == self.login and not w.cancelled

    def _on_message(self, w: object) -> None:
        # Synchronous, inside the emulator's send: recorded before its first push is due.
        if isinstance(w, WebcomMessage) and self._ours(w):
            self.store.apply([self.record(w, None)], source=Source.SEND)

    def record(self, w: WebcomMessage, now: float | None) -> Message:
        """The ledger's message: as sent (queued), or with the state learnt by `now`."""
        state, raw, at = DeliveryState.QUEUED, "", w.sent
        if now is not None and w.sent < now:  # a running smstui had polled it meanwhile
            at, raw = w.at(now)
            state = webcom_state(raw).state
            at = at or w.sent
        return Message(
            account=self.account, provider=Provider.WEBCOM, message_id=str(w.id_sms),
            phone=w.phone, state=state, text=w.text, sender=w.sender, sent_at=w.sent,
            raw_status=raw, updated_at=at,
        )  # fmt: skip
