"""The SMSC client: /sys/*.php with fmt=3 and charset=utf-8, one request per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from smstui.errors import ApiError, BadPayload, ConfigError
from smstui.gateways import smsc_parse as sp
from smstui.gateways.base import HistoryPage, fresh_client_id
from smstui.gateways.http import AccountClient
from smstui.gateways.parse import (
    format_smsc_date,
    load_json,
    require_dict,
    require_list,
    snippet,
    to_decimal,
    to_str,
)
from smstui.model import Balance, IncomingMessage, Message, NumberInfo, SendResult

P = "smsc"
MAX_QUERY = 2000  # the official library switches to POST above this (smsc.md §1.1)
HISTORY_MAX = 1000  # cnt ≤ 1000 (§6.1)
INCOMING_MAX_HOURS = 168
INCOMING_CNT = 1000  # ≤ 10000 allowed; the server default is undocumented (and small)
HISTORY_WINDOW_S = 180 * 86400  # the requested period may span at most 6 months (§6.1)
MAX_TEXT = 1000  # `mes` ≤ 1000 characters (§2.1)
# HLR results arrive as a status a few seconds later; these waits keep us at ≤ 5 status
# requests for the one message per minute (§3.8).
HLR_WAITS_S = (2.0, 3.0, 5.0, 8.0, 12.0)
NOTHING_TO_RETURN = 3  # get_messages error 3: "messages not found" (smsc.md §6.3)


class SmscGateway(AccountClient):
    """Gateway for one SMSC account (login+psw or apikey)."""

    supports_history = True

    def _auth(self) -> dict[str, str]:
        if self.account.apikey:
            return {"apikey": self.account.apikey.reveal()}
        password = self.account.password.reveal() if self.account.password else ""
        return {"login": self.account.login, "psw": password}

    async def _call(
        self,
        endpoint: str,
        script: str,
        params: dict[str, Any],
        *,
        read: bool = True,
        post: bool = False,
        retries: int | None = None,
    ) -> Any:
        """One API call → decoded JSON; the error envelope raises, whatever the HTTP status."""
        query = {**self._auth(), **{k: str(v) for k, v in params.items()}}
        query.update(fmt="3", charset="utf-8")
        post = post or len(str(httpx.QueryParams(query))) > MAX_QUERY
        secrets = self.account.secrets()
        reply = await self._http.request(
            endpoint,
            "POST" if post else "GET",
            f"/sys/{script}",
            params=None if post else query,
            data=query if post else None,
            read=read,
            retries=retries,
        )
        payload = load_json(reply.body, provider=P, status=reply.status, secrets=secrets)
        if sp.is_error_envelope(payload):
            raise sp.api_error(payload, account=self.account.name, secrets=secrets)
        if reply.status >= 400:
            raise BadPayload(
                f"smsc: HTTP {reply.status}: {snippet(reply.body, secrets)}",
                provider=P,
                account=self.account.name,
            )
        return payload

    async def balance(self) -> Balance:
        """balance.php?cur=1 → amount, currency and credit line (money arrives as strings)."""
        payload = await self._call("smsc.balance", "balance.php", {"cur": 1})
        payload = require_dict(payload, "the balance reply", provider=P)
        amount = to_decimal(payload.get("balance"), "balance", provider=P)
        if amount is None:
            raise BadPayload("smsc: balance reply without a balance", provider=P)
        return Balance(
            account=self.account.name,
            amount=amount,
            currency=to_str(payload.get("currency"), "currency", provider=P),
            credit=to_decimal(payload.get("credit"), "credit", provider=P),
            at=self._http.clock.now(),
        )

    async def history(
        self,
        *,
        limit: int = HISTORY_MAX,
        before: str | None = None,
        phone: str | None = None,
        since: float | None = None,
    ) -> HistoryPage:
        """get.php?get_messages: newest first, paged backwards by int_id via prev_id."""
        cnt = max(1, min(limit, HISTORY_MAX))
        params: dict[str, Any] = {"get_messages": 1, "cnt": cnt}
        if before:
            params["prev_id"] = before
        if phone:
            params["phone"] = sp.normalize_phone(phone)
        if since is not None:
            oldest = self._http.clock.now() - HISTORY_WINDOW_S
            # Day granularity and the 6-month window: the exact cut is made below.
            params["start"] = format_smsc_date(max(since, oldest))
        try:
            payload = await self._call("smsc.history", "get.php", params)
        except ApiError as err:
            if err.code != NOTHING_TO_RETURN:
                raise
            # get_messages answers error 3 when nothing matches (no messages, a phone with no
            # match, a page past the oldest): an empty page, not a failure (smsc.md §6.3).
            return HistoryPage(messages=[], next_before=None)
        items = require_list(payload, "the history reply", provider=P)
        messages = [sp.message_from(item, account=self.account.name) for item in items]
        if since is not None:
            messages = [m for m in messages if m.sent_at is None or m.sent_at >= since]
        next_before = None
        reached_since = since is not None and len(messages) < len(items)
        if len(items) >= cnt and not reached_since:
            last = require_dict(items[-1], "a history record", provider=P)
            next_before = to_str(last.get("int_id"), "int_id", provider=P) or None
        return HistoryPage(messages=messages, next_before=next_before)

    async def statuses(self, refs: Sequence[tuple[str, str]]) -> list[Message]:
        """All refs in ONE request: single status.php for one ref, a mass request otherwise."""
        refs = [(str(i), str(p)) for i, p in refs]
        if not refs:
            return []
        if len(refs) == 1:
            return [await self.status(*refs[0])]
        params = {
            "id": ",".join(i for i, _ in refs),
            "phone": ",".join(p for _, p in refs),
            "all": 2,
        }
        # No retries: SMSC allows one mass request per minute, so a retry after a timeout that
        # did reach the server would earn error 9 (the poller asks again next cycle).
        payload = await self._call("smsc.status_mass", "status.php", params, retries=0)
        items = payload if isinstance(payload, list) else [payload]
        found: dict[tuple[str, str], Any] = {}
        for item in items:
            item = require_dict(item, "a status record", provider=P)
            message_id = to_str(item.get("id"), "id", provider=P)
            phone = sp.normalize_phone(to_str(item.get("phone"), "phone", provider=P))
            found[(message_id, phone)] = item  # phone "" when a reply leaves it out (lenient)
        out = []
        for message_id, phone in refs:
            item = found.get((message_id, sp.normalize_phone(phone))) or found.get((message_id, ""))
            if item is None:
                out.append(sp.not_found(self.account.name, message_id, phone))
            else:
                out.append(
                    sp.message_from(
                        item, account=self.account.name, message_id=message_id, phone=phone
                    )
                )
        return out

    async def status(self, message_id: str, phone: str) -> Message:
        """status.php?all=2 for one message: text, sender, cost, operator and region too."""
        params = {"id": message_id, "phone": phone, "all": 2}
        try:
            payload = await self._call("smsc.status", "status.php", params)
        except ApiError as err:
            if err.code == 3:  # older docs: "message not found" as error 3
                return sp.not_found(self.account.name, message_id, phone)
            raise
        if isinstance(payload, list):  # a list-shaped reply (trailing-comma form): be lenient
            if not payload:
                return sp.not_found(self.account.name, message_id, phone)
            payload = payload[0]
        item = payload
        return sp.message_from(item, account=self.account.name, message_id=message_id, phone=phone)

    async def send(
        self,
        phone: str,
        text: str,
        *,
        sender: str | None = None,
        client_id: str | None = None,
    ) -> SendResult:
        """send.php with cost=3 (price and new balance in the reply); POST, never retried."""
        phone = sp.normalize_phone(phone)
        if not text or len(text) > MAX_TEXT:
            raise ConfigError(f"smsc: the text must have 1–{MAX_TEXT} characters, not {len(text)}")
        params: dict[str, Any] = {"phones": phone, "mes": text, "cost": 3}
        if sender:
            params["sender"] = sender
        if client_id:
            params["id"] = client_id
        payload = await self._call("smsc.send", "send.php", params, read=False, post=True)
        return sp.send_result(payload, account=self.account.name, phone=phone)

    async def lookup(self, phone: str, *, hlr: bool = False) -> NumberInfo:
        """Operator by number range (free), or a live HLR query (paid) when hlr=True."""
        phone = sp.normalize_phone(phone)
        if not hlr:
            try:
                payload = await self._call(
                    "smsc.operator", "info.php", {"get_operator": 1, "phone": phone}
                )
            except ApiError as err:
                if err.code != 3:
                    raise
                # On info.php error 3 means "operator not found" (smsc.md §5.2), not money.
                raise ApiError(
                    f"smsc: no operator known for {phone}", provider="smsc",
                    account=self.account.name, code=3, text=err.text,
                    explanation=f"SMSC knows no operator for {phone} (landline or unknown range)",
                ) from err  # fmt: skip
            return sp.operator_info(payload, phone=phone)
        params = {"phones": phone, "hlr": 1, "id": fresh_client_id()}
        sent = await self._call("smsc.send", "send.php", params, read=False, post=True)
        hlr_id = sp.send_result(sent, account=self.account.name, phone=phone).message_id
        info = NumberInfo(phone=phone, extra=(("hlr_id", hlr_id), ("status", "pending")))
        for wait in HLR_WAITS_S:
            await self._http.clock.sleep(wait)
            # No retries: this loop is the retry, and SMSC allows 5 status asks a minute.
            payload = await self._call(
                "smsc.status", "status.php", {"id": hlr_id, "phone": phone, "all": 0}, retries=0
            )
            info = sp.hlr_info(payload, phone=phone, hlr_id=hlr_id)
            if info.reachable is not None:
                break
        return info

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None
    ) -> list[IncomingMessage]:
        """get.php?get_answers for the last `hours` (≤ 168), optionally after an incoming id."""
        hour = max(1, min(hours, INCOMING_MAX_HOURS))
        params: dict[str, Any] = {"get_answers": 1, "hour": hour, "cnt": INCOMING_CNT}
        if after_id:
            params["after_id"] = after_id
        payload = await self._call("smsc.answers", "get.php", params)
        items = require_list(payload, "the incoming reply", provider=P)
        return [sp.incoming_from(item, account=self.account.name) for item in items]

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
