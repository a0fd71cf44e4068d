"""One way to write money and counted words (smstui.display)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.display import MINUS, money, money_rate, money_value, plural


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("43781.9"), "", "43 781.90"),
        (Decimal("42831.35"), "", "42 831.35"),
        (50000.0, "", "50 000.00"),
        (2.3, "", "2.30"),
        (Decimal("-11073.6"), "RUB", f"{MINUS}11 073.60 RUB"),
        (1234567, "", "1 234 567.00"),
        (Decimal("0.005"), "", "0.01"),  # half up, not banker's rounding
        (Decimal("-0.004"), "", "0.00"),  # never a minus zero
        (None, "RUB", "—"),
    ],
)
def test_money_one_format(amount: Decimal | float | None, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_money_rate_shows_spending_as_a_fall_per_hour() -> None:
    assert money_rate(Decimal("11073.6")) == f"{MINUS}11 073.60/h"
    assert money_rate(Decimal("12.5"), "RUB") == f"{MINUS}12.50 RUB/h"
    assert money_rate(0) == "0.00/h"


def test_money_value_is_for_machines() -> None:
    assert money_value(Decimal("42831.35")) == "42831.35"
    assert money_value(2.3) == "2.30"
    assert money_value(Decimal("-11073.6")) == "-11073.60"  # ASCII minus: machines parse it
    assert money_value(Decimal("1.245")) == "1.245"  # never rounded away: the books add up
    assert money_value(Decimal("-0.00")) == "0.00"
    assert money_value(None) is None


@pytest.mark.parametrize(
    ("n", "shown"), [(0, "0 rows"), (1, "1 row"), (2, "2 rows"), (2066, "2 066 rows")]
)
def test_plural(n: int, shown: str) -> None:
    assert plural(n, "row") == shown


def test_plural_irregular() -> None:
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"
