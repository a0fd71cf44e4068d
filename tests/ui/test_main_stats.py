"""The panes' figures: burn rate ignores top-ups, runway text, delivery %."""

from __future__ import annotations

from decimal import Decimal

from conftest import START
from smstui.campaign import delivery_percent
from smstui.model import Balance, DeliveryState
from smstui.ui.widgets.stats import burn_rate_per_hour, runway_text


def _b(amount: str, at: float) -> Balance:
    return Balance("a", Decimal(amount), "RUB", at=at)


def test_burn_rate_ignores_top_ups_and_old_samples():
    samples = [
        _b("900", START - 7200),
        _b("500", START - 3600),
        _b("400", START - 1800),
        _b("1400", START - 900),
        _b("1350", START),
    ]
    # spent 100 + 50 over one hour; the +1000 top-up and the 2-hour-old sample do not count
    assert burn_rate_per_hour(samples, START) == Decimal(150)


def test_burn_rate_needs_two_samples():
    assert burn_rate_per_hour([_b("10", START)], START) is None


def test_runway_text():
    assert runway_text(Decimal(240), Decimal(120)) == "lasts ~2 h at this rate"
    assert runway_text(Decimal(5), None) == "rate: collecting samples"
    assert runway_text(Decimal(5), Decimal(0)) == "no spending in the last hour"


def test_delivery_percent_over_final_messages_only():
    counts = {DeliveryState.DELIVERED: 3, DeliveryState.FAILED: 1, DeliveryState.SENT: 6}
    assert delivery_percent(counts) == 75.0
    assert delivery_percent({DeliveryState.QUEUED: 4}) is None
