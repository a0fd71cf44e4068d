"""The Webcom Mobi client: JSON for send/state/balance, XML for batches, GET as a fallback."""

from __future__ import annotations

import json
from collections.abc import Sequence

from smstui.errors import BadPayload, ConfigError
from smstui.gateways import webcom_parse as wp
from smstui.gateways.base import HistoryPage, UnsupportedOperation, fresh_client_id
from smstui.gateways.parse import (
    format_webcom_time,
    require_dict,
    require_list,
    to_decimal,
    to_int,
    to_str,
)
from smstui.gateways.webcom_wire import JSON_HEADERS, P, WebcomWire, client_id_sms, id_int
from smstui.model import Balance, IncomingMessage, Message, NumberInfo, SendResult


class WebcomGateway(WebcomWire):
    """Gateway for one Webcom Mobi account (login+password or token)."""

    supports_history = False  # Webcom has no history endpoint (webcom.md Q18)
    # Neither the send reply, the XML states nor a push carry a price: only the JSON state
    # detail (one id per request) does; the poller asks it once per final message.
    prices_by_detail = True

    async def balance(self) -> Balance:
        """/json/balance.php → money, currency and SMS left per direction."""
        payload = require_dict(
            await self._json("webcom.balance", "/json/balance.php", {}, read=True),
            "the balance reply",
            provider=P,
        )
        amount = to_decimal(payload.get("money"), "money", provider=P)
        if amount is None:
            raise BadPayload("webcom: balance reply without money", provider=P)
        details = []
        directions = payload.get("information")
        for item in (
            [] if directions is None else require_list(directions, "information", provider=P)
        ):
            item = require_dict(item, "a balance direction", provider=P)
            left = item.get("num_sms", item.get("sms"))  # the table says `sms`, examples `num_sms`
            details.append(
                (to_str(item.get("area"), "area", provider=P), to_str(left, "num_sms", provider=P))
            )
        return Balance(
            account=self.account.name,
            amount=amount,
            currency=to_str(payload.get("currency"), "currency", provider=P),
            at=self._http.clock.now(),
            details=tuple(details),
        )

    async def history(
        self,
        *,
        limit: int = 1000,
        before: str | None = None,
        phone: str | None = None,
        since: float | None = None,
    ) -> HistoryPage:
        """Webcom has no history of sent messages: smstui keeps its own ledger instead."""
        raise UnsupportedOperation(
            "webcom has no history endpoint; use the dashboard's cache of sent messages"
        )

    async def statuses(self, refs: Sequence[tuple[str, str]]) -> list[Message]:
        """All ids in one POST /xml/state.php (or /json/state.php per id without XML)."""
        refs = [(str(i), str(p)) for i, p in refs]
        if not refs:
            return []
        ids = [id_int(i) for i, _ in refs]
        if len(refs) == 1 or not self._xml_state:
            return [await self.status(i, p) for i, p in refs]
        inner = "<get_state>" + "".join(f"<id_sms>{i}</id_sms>" for i in ids) + "</get_state>"
        reply = await self._xml_reply("webcom.state_xml", "/xml/state.php", inner)
        if reply.status == 404:  # XML interface switched off for this account: JSON per id
            self._xml_state = False
            return [await self.status(i, p) for i, p in refs]
        root = self._decode_xml(reply)
        states = wp.states_from_xml(root)
        name = self.account.name
        return [
            wp.message_from_state(name, i, p, *states[str(int(i))])
            if str(int(i)) in states
            else wp.not_found(name, i, p)
            for i, p in refs
        ]

    async def status(self, message_id: str, phone: str = "") -> Message:
        """/json/state.php with detail=1 (parts and price); GET /sendsms.php if JSON is absent."""
        id_sms = id_int(message_id)
        if not self._json_state:
            return await self._status_get(message_id, phone)
        body = {"id_sms": id_sms, "detail": 1}
        content = json.dumps({**self._auth(), **body}).encode("utf-8")
        reply = await self._http.request(
            "webcom.state",
            "POST",
            "/json/state.php",
            content=content,
            headers=JSON_HEADERS,
            read=True,
        )
        if reply.status in (404, 405):
            self._json_state = False
            return await self._status_get(message_id, phone)
        payload = self._decode_json(reply)
        items = payload if isinstance(payload, list) else [payload]
        for item in items:
            message = wp.message_from_json(item, account=self.account.name, phone=phone)
            if message.message_id == str(id_sms):
                return message.evolve(message_id=message_id)
        return wp.not_found(self.account.name, message_id, phone)

    async def _status_get(self, message_id: str, phone: str) -> Message:
        """GET /sendsms.php?smsid= → a bare state word (empty body while queued)."""
        reply = await self._http.request(
            "webcom.state_get",
            "GET",
            "/sendsms.php",
            params={**self._get_auth(), "smsid": message_id},
            read=True,
        )
        word = wp.parse_state_word(reply.body) if reply.status < 400 else None
        if word is None:
            text = reply.body.decode("utf-8", "replace").strip()
            raise wp.api_error(text, account=self.account.name, secrets=self.account.secrets())
        return wp.message_from_state(self.account.name, message_id, phone, word, None)

    async def send(
        self,
        phone: str,
        text: str,
        *,
        sender: str | None = None,
        client_id: str | None = None,
    ) -> SendResult:
        """POST /json with a client_id_sms (fresh unless given: Webcom de-duplicates on it)."""
        digits = wp.phone_digits(phone)
        if not digits:
            raise ConfigError(f"not a phone number: {phone!r}")
        cid = client_id_sms(client_id or fresh_client_id())
        message = {
            "type_send_1": "sms",
            "sender": sender or "",
            "text": text,
            "phones": [{"phone": int(digits), "client_id_sms": cid}],
        }
        payload = require_dict(
            await self._json("webcom.send", "/json", {"message": message}, read=False),
            "the send reply",
            provider=P,
        )
        info = require_list(payload.get("information"), "information", provider=P)
        if not info:
            raise BadPayload("webcom: send reply with an empty information list", provider=P)
        entry = require_dict(info[0], "a send result", provider=P)
        id_sms = to_int(entry.get("id_sms"), "id_sms", provider=P)
        if id_sms is None:  # success ⇔ id_sms present (webcom.md Q2)
            error = to_str(entry.get("error"), "error", provider=P) or "no id_sms in the reply"
            raise wp.api_error(error, account=self.account.name, secrets=self.account.secrets())
        return SendResult(account=self.account.name, message_id=str(id_sms), phone=digits)

    async def lookup(self, phone: str, *, hlr: bool = False) -> NumberInfo:
        """/xml/def.php: operator, region and time zone from the numbering plan."""
        if hlr:
            raise UnsupportedOperation("webcom offers no HLR lookup; drop --hlr")
        digits = wp.phone_digits(phone)
        root = await self._xml(
            "webcom.def_xml",
            "/xml/def.php",
            f"<phones><phone>{wp.xml_text(digits)}</phone></phones>",
        )
        numbers = wp.numbers_from_xml(root)
        for info in numbers:
            if info.phone == digits or len(numbers) == 1:
                return NumberInfo(
                    phone=digits, operator=info.operator, region=info.region, timezone=info.timezone
                )
        return NumberInfo(phone=digits)

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None
    ) -> list[IncomingMessage]:
        """/xml/incoming.php for the last `hours`; ids ≤ after_id are dropped here."""
        start = format_webcom_time(self._http.clock.now() - max(1, hours) * 3600)
        root = await self._xml(
            "webcom.incoming_xml", "/xml/incoming.php", f'<time start="{start}"/>'
        )
        items = wp.incoming_from_xml(root, account=self.account.name)
        if after_id and after_id.isdigit():
            items = [
                m for m in items if m.incoming_id.isdigit() and int(m.incoming_id) > int(after_id)
            ]
        return items

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
