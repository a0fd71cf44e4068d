"""Confirmations before spending money: resend one message, or many temporary failures at once.

Cancel has the focus by default; `y` confirms, `n`, `q` and `escape` cancel. What smstui.policy
refuses (a permanent failure, a resend before the advised wait) can only be sent after the user
ticks an override (`y` does not tick it). A message already resent says so, and a bulk resend
leaves it out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from smstui.display import group, money, plural
from smstui.model import Message
from smstui.policy import Advice, in_bulk, resend_advice, wait_text

# GSM 03.38 basic alphabet; everything else forces UCS-2 (70 characters a part, 67 when split).
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = frozenset("^{}\\[~]|€")  # two septets each
BULK_PREVIEW = 5
Key = tuple[str, str, str]
CONFIRM_BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    Binding("y", "confirm", "Yes"),
    Binding("n", "cancel", "No"),
    Binding("escape", "cancel", "Cancel"),
    Binding("q", "cancel", "Cancel", show=False),
]


@dataclass(frozen=True, slots=True)
class ResendDecision:
    """The user confirmed a resend; allow_permanent is True only after the explicit override
    of the policy's refusal (a permanent failure, or a resend before the advised wait)."""

    allow_permanent: bool = False


def sms_parts(text: str) -> int:
    """How many SMS parts a text takes (GSM-7: 160/153 per part, otherwise UCS-2: 70/67)."""
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in text):
        length = len(text) + sum(ch in _GSM7_EXT for ch in text)
        single, multi = 160, 153
    else:
        length = len(text.encode("utf-16-le")) // 2  # astral characters take two units
        single, multi = 70, 67
    return 1 if length <= single else -(-length // multi)


class ResendScreen(ModalScreen[ResendDecision | None]):
    """Confirm resending one message: phone, text, parts and what it will cost."""

    AUTO_FOCUS = "#cancel"
    BINDINGS = CONFIRM_BINDINGS

    def __init__(
        self,
        message: Message,
        *,
        estimate_cost: Decimal | None,
        now: float | None = None,
        resent_as: tuple[str, ...] = (),
    ) -> None:
        super().__init__(classes="resend-screen")
        self.message = message
        self.resent_as = resent_as  # the ids this message was already resent as
        self.estimate_cost = estimate_cost
        self.now = time.time() if now is None else now
        self.advice = resend_advice(message)
        self.refusal = self.advice.refusal(self.now)  # None: no override needed
        self.permanent = self.advice.advice is Advice.PERMANENT

    def compose(self) -> ComposeResult:
        """The dialog: details, the override when needed, Cancel and Resend."""
        m = self.message
        parts = m.parts if m.parts is not None else sms_parts(m.text)
        parts_note = "" if m.parts is not None else " (estimated from the text)"
        cost = "unknown" if self.estimate_cost is None else f"≈ {money(self.estimate_cost)}"
        text = m.text if len(m.text) <= 300 else m.text[:300] + "…"
        with Vertical(id="resend-dialog", classes="dialog"):
            yield Static("Resend this message?", classes="dialog-title")
            rows = (
                ("Phone", escape(m.phone)),
                ("Account", f"{escape(m.account)} ({m.provider.value})"),
                ("Parts", f"{parts}{parts_note}"),
                ("Cost", cost),
                # a delivered message is no failure: its row says its state
                ("Failed" if m.state.is_failure else "State",
                 f"{m.state.value}: {escape(self.advice.reason)}"),
                ("Advice", escape(self.advice.summary(self.now))),
            )  # fmt: skip
            yield Static(
                "\n".join(f"[b]{label}[/]{' ' * (9 - len(label))}{v}" for label, v in rows),
                id="resend-details",
            )
            yield Static(escape(text) or "[dim](empty text)[/]", id="resend-text")
            if self.resent_as:
                yield Static(
                    f"[b $warning]Already resent → {escape(self.resent_as[-1])}:[/] "
                    "this sends one more copy.",
                    id="resend-lineage",
                )
            if self.advice.advice is Advice.NOT_FAILED:
                yield Static(
                    f"[b $warning]Not a failure ({m.state.value}):[/] resending sends another "
                    "copy and costs money again.",
                    id="resend-warning",
                )
            if self.permanent:
                yield Static(
                    "[b $error]Permanent failure:[/] this number or text will not work; "
                    "resending costs money and will most likely fail again.",
                    id="resend-warning",
                )
            elif self.refusal is not None:
                yield Static(
                    f"[b $warning]Too early:[/] {escape(self.refusal)}", id="resend-warning"
                )
            if self.refusal is not None:
                yield Checkbox("Resend anyway (override)", id="override")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(
                    _CONFIRM_OVERRIDE[self.permanent] if self.refusal is not None else "Resend (y)",
                    id="confirm",
                    variant="error" if self.refusal is not None else "primary",
                    disabled=self.refusal is not None,
                )

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """The override unlocks the confirm button; unticking locks it again."""
        if event.checkbox.id == "override":
            self.query_one("#confirm", Button).disabled = not event.value

    def action_confirm(self) -> None:
        """`y`: the same as pressing the confirm button (locked until the override is ticked)."""
        if self.query_one("#confirm", Button).disabled:
            self.notify("Tick “Resend anyway” first (space on the checkbox)", timeout=3)
            return
        self.dismiss(ResendDecision(allow_permanent=self.refusal is not None))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cancel → None; Resend → the decision."""
        event.stop()
        if event.button.id == "confirm" and not event.button.disabled:
            self.dismiss(ResendDecision(allow_permanent=self.refusal is not None))
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape: nothing is sent."""
        self.dismiss(None)


_CONFIRM_OVERRIDE = {
    True: "Resend despite permanent failure (y)",
    False: "Resend before the wait (y)",
}


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """Which messages a bulk resend sends, and which it leaves out and why."""

    resend: list[Message] = field(default_factory=list)
    resent: list[Message] = field(default_factory=list)  # already resent: would be a copy
    permanent: list[Message] = field(default_factory=list)  # would fail again
    waiting: list[Message] = field(default_factory=list)  # too early: would fail again now
    not_failed: list[Message] = field(default_factory=list)  # delivered or still pending
    unconfirmed: list[Message] = field(default_factory=list)  # outcome unknown: maybe sent

    @property
    def wait_until(self) -> float | None:
        """When the first waiting message may be resent (None: none is waiting)."""
        times = [a.wait_until for a in map(resend_advice, self.waiting) if a.wait_until]
        return min(times, default=None)

    @property
    def total_cost(self) -> Decimal:
        """The summed known costs of the messages to resend."""
        return sum((m.cost for m in self.resend if m.cost is not None), Decimal(0))

    @property
    def unpriced(self) -> int:
        """How many messages to resend have no known cost."""
        return sum(m.cost is None for m in self.resend)


def bulk_plan(
    messages: list[Message],
    now: float | None = None,
    *,
    was_resent: Callable[[Key], bool] = lambda _key: False,
) -> BulkPlan:
    """Split messages into those a bulk resend sends and those it leaves out (the app uses it).

    A message already resent is left out whatever its advice: its resend is the live copy.
    """
    plan, when = BulkPlan(), time.time() if now is None else now
    for m in messages:
        if was_resent(m.key):
            plan.resent.append(m)
            continue
        if in_bulk(m, when):
            plan.resend.append(m)
            continue
        advice = resend_advice(m).advice
        if advice is Advice.NOT_FAILED:
            plan.not_failed.append(m)
        elif advice is Advice.UNCONFIRMED:
            plan.unconfirmed.append(m)
        elif advice is Advice.PERMANENT:
            plan.permanent.append(m)
        else:
            plan.waiting.append(m)
    return plan


class BulkResendScreen(ModalScreen[bool]):
    """Confirm resending every non-permanent failure among the given messages."""

    AUTO_FOCUS = "#cancel"
    BINDINGS = CONFIRM_BINDINGS

    def __init__(
        self,
        messages: list[Message],
        *,
        now: float | None = None,
        was_resent: Callable[[Key], bool] = lambda _key: False,
    ) -> None:
        super().__init__(classes="resend-screen")
        self.now = time.time() if now is None else now
        self.plan = bulk_plan(messages, self.now, was_resent=was_resent)

    def compose(self) -> ComposeResult:
        """Count, total cost, the first few messages, what was left out."""
        plan, count = self.plan, len(self.plan.resend)
        cost = f"≈ {money(plan.total_cost)}" if plan.unpriced < count else "unknown"
        if plan.unpriced and plan.unpriced < count:
            cost += f" (+ {group(plan.unpriced)} without a known price)"
        lines = [f"[b]{plural(count, 'message')}[/] to resend · total cost [b]{cost}[/]"]
        for m in plan.resend[:BULK_PREVIEW]:
            price = "" if m.cost is None else f"  {money(m.cost)}"
            lines.append(
                f"  {escape(m.phone)}  {escape(m.account)}  "
                f"{escape(resend_advice(m).reason)}{price}"
            )
        if count > BULK_PREVIEW:
            lines.append(f"  … and {group(count - BULK_PREVIEW)} more")
        until = plan.wait_until
        first = f"; the first may go {wait_text(until, self.now)}" if until else ""
        lines.append(
            f"Left out: [b]{group(len(plan.resent))}[/] already resent · "
            f"[b]{group(len(plan.waiting))}[/] advised to wait{escape(first)}"
        )
        if plan.permanent:
            lines.append(
                f"[b $warning]{plural(len(plan.permanent), 'permanent failure')} left out[/] "
                "(they would fail again; resend them one by one with the override)."
            )
        if plan.unconfirmed:
            lines.append(
                f"[b $warning]{plural(len(plan.unconfirmed), 'send')} with an unknown outcome "
                "left out[/] "
                "(they may have gone out and been charged; their status is asked first)."
            )
        if plan.not_failed:
            not_failed = plural(len(plan.not_failed), "message")
            lines.append(f"[dim]{not_failed} not failed, left out.[/]")
        with Vertical(id="bulk-dialog", classes="dialog"):
            yield Static("Resend temporary failures?", classes="dialog-title")
            yield Static("\n".join(lines), id="bulk-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (n)", id="cancel")
                yield Button(
                    f"Resend {plural(count, 'message')} (y)" if count else "Nothing to resend",
                    id="confirm",
                    variant="primary",
                    disabled=count == 0,
                )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cancel → False; Resend → True."""
        event.stop()
        self.dismiss(event.button.id == "confirm" and bool(self.plan.resend))

    def action_confirm(self) -> None:
        """`y`: resend what the dialog lists (nothing happens when it lists nothing)."""
        if self.plan.resend:
            self.dismiss(True)

    def action_cancel(self) -> None:
        """Escape: nothing is sent."""
        self.dismiss(False)
