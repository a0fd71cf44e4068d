"""What costs money or time, run as workers: resend, look-ups, balances, exports, re-queries.

One place for every action that reaches a gateway (through the controller's budget) or writes a
file. Each runs as a worker on the app, so the app's one worker-error handler shows failures,
and each ends by posting a result message (ui/messages.py) instead of touching a screen: the
screens that show the subject react to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from textual.message import Message as TextualMessage
from textual.worker import Worker

from smstui.campaign import requery_text
from smstui.controller import Controller
from smstui.display import money, plural
from smstui.errors import SmstuiError
from smstui.export import export_messages
from smstui.model import Key, Message, NumberInfo
from smstui.secrets import Secret, mask_text
from smstui.store_view import AnswerView
from smstui.ui.messages import (
    ActionDone,
    BalanceRefreshed,
    Exported,
    LookedUp,
    NumberLookedUp,
    Resent,
    StatusesRefreshed,
)

EXPORT_FORMATS = ("csv", "jsonl")
RunWorker = Callable[..., Worker[None]]


def lookup_text(m: Message, info: NumberInfo) -> str:
    """`79161234567: delivered · МТС Москва`; a message without a phone is named by its id."""
    who = m.phone or info.phone or f"id {m.message_id}"
    number = " ".join(p for p in (info.operator, info.region) if p)
    if not number:
        number = "no number to look up" if not (m.phone or info.phone) else "operator unknown"
    return f"{who}: {m.state.value} · {number}"


def number_text(phone: str, info: NumberInfo, account: str) -> str:
    """`79161234567: MTS Moscow · UTC+3 (asked main)`."""
    number = " ".join(p for p in (info.operator, info.region, info.country) if p)
    zone = f" · UTC{info.timezone}" if info.timezone and info.timezone[0] in "+-" else ""
    return f"{phone}: {number or 'operator unknown'}{zone} (asked {account})"


class Actions:
    """Runs the dashboard's actions as workers and posts what they did."""

    def __init__(
        self,
        controller: Controller,
        *,
        post: Callable[[TextualMessage], object],
        run_worker: RunWorker,
        secrets: Sequence[Secret | str] = (),
    ) -> None:
        self.controller = controller
        self._post = post
        self._run_worker = run_worker
        self.secrets = tuple(secrets)

    def _work(self, name: str, coro: Coroutine[Any, Any, None]) -> Worker[None]:
        # exit_on_error=False: a failure is shown by the app's worker handler, never fatal.
        return self._run_worker(coro, name=name, group="actions", exit_on_error=False)

    def _done(self, title: str, text: str, **kw: Any) -> None:
        self._post(ActionDone(title, text, **kw))

    def _masked(self, text: str) -> str:
        # Only what a gateway wrote is masked: a whole-text mask would turn a path or an
        # account named like a short password ("demo-exports", "demo-smsc") into "***-…".
        return mask_text(text, self.secrets)

    # ----- resend ---------------------------------------------------------------------------
    def resend(self, m: Message, *, allow_permanent: bool = False) -> Worker[None]:
        """Resend one message (the user confirmed it)."""
        return self._work("resend", self._resend(m, allow_permanent))

    async def _resend(self, m: Message, allow: bool) -> None:
        result = await self.controller.resend(m.key, allow_permanent=allow)
        self._post(Resent(m, result.message_id))
        self._done("Resend", f"Resent to {m.phone}: new id {result.message_id}")

    def resend_many(self, messages: Sequence[Message]) -> Worker[None]:
        """Resend these failures one by one; a refusal does not drop the rest."""
        return self._work("bulk resend", self._resend_many(list(messages)))

    async def _resend_many(self, messages: list[Message]) -> None:
        sent, refused = 0, []
        for m in messages:
            try:
                result = await self.controller.resend(m.key)
            except SmstuiError as err:  # one refusal (budget, error 9) must not drop the rest
                refused.append(f"{m.phone}: {self._masked(str(err))}")
            else:
                self._post(Resent(m, result.message_id))
                sent += 1
        if refused:
            text = f"Resent {sent} of {len(messages)}; {len(refused)} refused ({refused[0]})"
            self._done("Bulk resend", text, severity="warning", timeout=10,
                       error=f"bulk resend: {len(refused)} refused")  # fmt: skip
        else:
            self._done("Bulk resend", f"Resent {plural(sent, 'message')}")

    # ----- look-ups -------------------------------------------------------------------------
    def lookup(self, m: Message) -> Worker[None]:
        """Ask now for the message's status and its number's operator."""
        return self._work("look up", self._lookup(m))

    async def _lookup(self, m: Message) -> None:
        fresh = await self.controller.refresh_status(m.key)
        if not m.phone:  # a Webcom push names no phone: there is no number to ask about
            self._post(LookedUp(fresh, None))
            self._done("Look up", self._masked(lookup_text(fresh, NumberInfo(phone=""))))
            return
        info = await self.controller.lookup(m.account, m.phone)
        self._post(LookedUp(fresh, info))
        self._done("Look up", self._masked(lookup_text(fresh, info)))

    def lookup_number(self, account: str, phone: str) -> Worker[None]:
        """Operator and region of any number, asked of `account` (its request budget)."""
        return self._work("look up number", self._lookup_number(account, phone))

    async def _lookup_number(self, account: str, phone: str) -> None:
        info = await self.controller.lookup(account, phone)
        self._post(NumberLookedUp(phone, info, account))
        self._done("Look up", self._masked(number_text(phone, info, account)), timeout=10)

    # ----- balances, re-queries -------------------------------------------------------------
    def balance(self, accounts: Sequence[str]) -> None:
        """Fetch every account's balance now (one worker each: one slow gateway waits alone)."""
        for account in accounts:
            self._work("balance", self._balance(account))

    async def _balance(self, account: str) -> None:
        balance = await self.controller.refresh_balance(account)
        self._post(BalanceRefreshed(account))
        self._done("Balance", f"{account}: {money(balance.amount, balance.currency)}", timeout=3)

    def requery(self, keys: Sequence[Key]) -> Worker[None]:
        """Ask again for these messages' statuses (one mass request per account)."""
        return self._work("re-query stuck", self._requery(list(keys)))

    async def _requery(self, keys: list[Key]) -> None:
        reports = await self.controller.refresh_statuses(keys)
        self._post(StatusesRefreshed(reports))
        text, refused = requery_text(reports)
        self._done("Stuck messages", self._masked(text),
                   severity="warning" if refused else "information",
                   timeout=10 if refused else 6,
                   error=f"re-query stuck: {refused} refused" if refused else "")  # fmt: skip

    # ----- export ---------------------------------------------------------------------------
    def export(self, path: Path, answer: AnswerView, fmt: str) -> Worker[None]:
        """Write the answer's whole stream to `path` (off the event loop)."""
        return self._work("export", self._export(path, answer, fmt))

    async def _export(self, path: Path, answer: AnswerView, fmt: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        count = await asyncio.to_thread(export_messages, path, answer, fmt, secrets=self.secrets)
        lacks = answer.partial_reason()
        self._post(Exported(path, count, fmt, lacks))
        rows = plural(count, "row")
        if lacks:  # the rows that could be read are in the file; the toast says what is not
            self._done(f"Export {fmt.upper()}", f"Exported {rows} to {path} — partial: {lacks}",
                       severity="warning", timeout=15, error=None)  # fmt: skip
            return
        self._done(f"Export {fmt.upper()}", f"Exported {rows} to {path} (whole history)",
                   timeout=8, error=None)  # fmt: skip
