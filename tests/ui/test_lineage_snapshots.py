"""Snapshots of what the resend lineage, the advice and 'look up any number' change on screen.

Deterministic: fixed data, FakeClock, fixed sizes, textual-dark theme. Regenerate with
`pytest tests/ui/test_lineage_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_screens_support import BINDINGS, FAILED, NUMBER, TIMELINE, Host, bulk_messages

from conftest import START, build_app
from smstui.clock import FakeClock
from smstui.model import DeliveryState
from smstui.policy import Advice, resend_advice
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.lookup import LookupScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendScreen

SIZES = {"wide": (120, 36), "small": (80, 24)}
# Error 219 (SIM card replaced) failed 5 min ago: the policy says wait 24 h.
WAITING = FAILED.evolve(message_id="100250", error_code=219, updated_at=START - 300)
RESENT_AS = {FAILED.key: ("100900",)}


def lineage_of(key):
    return RESENT_AS.get(key, ())


@pytest.mark.parametrize("size", SIZES)
def test_resend_wait_advice_already_resent(snap_compare, size) -> None:
    """`r` on a wait-advice failure that was resent before: Advice "wait until … (in 23 h)",
    the yellow "Too early" line, "Already resent → 100900: this sends one more copy", the
    unticked override, "Cancel (n)" and a disabled "Resend before the wait (y)"."""
    assert resend_advice(WAITING).advice is Advice.WAIT
    app = Host(lambda: ResendScreen(WAITING, estimate_cost=Decimal("3.45"), now=START,
                                    resent_as=("100900",)))  # fmt: skip
    assert snap_compare(app, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_bulk_resend_leaves_out_resent_and_waiting(snap_compare, size) -> None:
    """R over failures of which one was resent and one must wait: "Left out: 1 already
    resent · 1 advised to wait; the first may go 11-22 … (in 23 h 55 min)", 6 to resend,
    "Cancel (n)" and "Resend 6 messages (y)"."""
    messages = [FAILED, *bulk_messages()[1:], WAITING]  # FAILED is the one already resent
    app = Host(lambda: BulkResendScreen(messages, now=START,
                                        was_resent=lambda key: key == FAILED.key))  # fmt: skip
    assert snap_compare(app, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_detail_of_a_resent_message(snap_compare, size) -> None:
    """The detail of a failure resent as 100900: a bold "Resend  resent → 100900" line under
    the id, the rest as before; footer "esc Back"."""
    app = Host(lambda: DetailScreen(FAILED, TIMELINE, NUMBER, FakeClock(START),
                                    resent_as=lineage_of))  # fmt: skip
    assert snap_compare(app, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_detail_of_a_resend(snap_compare, size) -> None:
    """The new message: queued, "Resend  resend of 100245", "Status  none reported by the
    gateway yet" (no raw status, not "Unknown status"), "No error."."""
    resend = FAILED.evolve(message_id="100900", state=DeliveryState.QUEUED, raw_status="",
                           error_code=None, sent_at=START - 60, updated_at=START - 60,
                           resend_of="100245")  # fmt: skip
    app = Host(lambda: DetailScreen(resend, [], None, FakeClock(START), resent_as=lineage_of))
    assert snap_compare(app, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_look_up_any_number(snap_compare, size) -> None:
    """The palette's "Look up any number…": a centred dialog naming the account asked
    (smsc-main, its budget) and an empty phone input with a +7 916 … placeholder."""
    app = Host(lambda: LookupScreen("smsc-main"))
    assert snap_compare(app, terminal_size=SIZES[size])


def test_help_small(snap_compare) -> None:
    """Help at 80×24: keys, filter syntax (with the since: note), scrollable conventions."""
    assert snap_compare(Host(lambda: HelpScreen(BINDINGS)), terminal_size=SIZES["small"])


@pytest.mark.parametrize("size", SIZES)
def test_main_view_with_lineage_marks(snap_compare, size, tmp_path) -> None:
    """The history after a resend: the newest row (queued) starts its text with ↻←<id>,
    the original failure further down with ↻→<new id>."""
    app, store, _controller = build_app(tmp_path)
    original = next(m for m in store.messages_sorted()[:8] if m.state.is_failure)
    copy = original.evolve(message_id="r1", state=DeliveryState.QUEUED, raw_status="",
                           error_code=None, sent_at=START - 1, updated_at=START - 1,
                           resend_of=original.message_id)  # fmt: skip
    store.apply([copy])
    assert snap_compare(app, terminal_size=SIZES[size])
