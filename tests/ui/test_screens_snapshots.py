"""Snapshots of the detail view, the resend confirmations and the help screen.

Deterministic: fixed data, FakeClock, Moscow time zone, textual-dark theme, fixed sizes.
Regenerate with `pytest tests/ui/test_screens_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from decimal import Decimal

from test_screens_support import (
    BINDINGS,
    FAILED,
    NUMBER,
    PERMANENT,
    TIMELINE,
    Host,
    bulk_messages,
)

from smstui.clock import FakeClock
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendScreen

WIDE = (120, 36)
SMALL = (80, 24)


def detail_app() -> Host:
    return Host(lambda: DetailScreen(FAILED, TIMELINE, NUMBER, FakeClock(1_763_700_000.0)))


def test_detail_failed_message_wide(snap_compare) -> None:
    """A failed SMSC message at 120×36: title with the red `failed` state; fields with MSK
    times and "30 min ago"; the error "Subscriber offline (err 6)", class temporary in the
    warning colour and the resend-later advice; a three-row timeline (send, poll, webhook with
    "learnt 2 min later"); number info with MCC/MNC 250/01; raw values with psw=*** masked;
    the footer lists Back (esc; q too), Copy id, Copy phone, Resend…, Look up now."""
    assert snap_compare(detail_app(), terminal_size=WIDE)


def test_detail_failed_message_small(snap_compare) -> None:
    """The same detail view at 80×24: nothing is cut sideways, the body scrolls, the footer
    still shows the keys."""
    assert snap_compare(detail_app(), terminal_size=SMALL)


def test_resend_temporary_failure(snap_compare) -> None:
    """The resend modal for a temporary failure: phone, account, 1 part, cost ≈ 3.45, why it
    failed, the text; Cancel (focused) and an enabled primary Resend button."""
    app = Host(lambda: ResendScreen(FAILED, estimate_cost=Decimal("3.45")))
    assert snap_compare(app, terminal_size=WIDE)


def test_resend_permanent_failure_requires_override(snap_compare) -> None:
    """A permanent failure (subscriber does not exist): the red warning, an unticked
    "Resend anyway (override)" checkbox and a disabled "Resend despite permanent failure"."""
    app = Host(lambda: ResendScreen(PERMANENT, estimate_cost=Decimal("3.45")))
    assert snap_compare(app, terminal_size=WIDE)


def test_resend_permanent_failure_small(snap_compare) -> None:
    """The permanent-failure modal fits 80×24 with its buttons visible."""
    app = Host(lambda: ResendScreen(PERMANENT, estimate_cost=Decimal("3.45")))
    assert snap_compare(app, terminal_size=SMALL)


def test_bulk_resend_confirm(snap_compare) -> None:
    """Bulk resend: "7 messages to resend · total cost ≈ 20.70 (+ 1 without a known price)",
    the first five phones, "… and 2 more", "Left out: 0 already resent · 0 advised to wait",
    "2 permanent failures left out", one not-failed message left out; "Cancel (n)" focused,
    "Resend 7 messages (y)"."""
    app = Host(lambda: BulkResendScreen(bulk_messages()))
    assert snap_compare(app, terminal_size=WIDE)


def test_help_screen(snap_compare) -> None:
    """Help: every key with its description, then the filter syntax table and an example."""
    app = Host(lambda: HelpScreen(BINDINGS))
    assert snap_compare(app, terminal_size=WIDE)
