"""Money in the panes reads one way: grouped, two decimals, a real minus (smstui.display.money)."""

from __future__ import annotations

from decimal import Decimal

from smstui.display import MINUS
from smstui.model import Balance, DeliveryState, Message, Provider
from smstui.ui.widgets.balance_pane import AccountBalance, balance_line
from smstui.ui.widgets.history_cells import cell_text

T0 = 1_763_700_000.0


def test_balance_line_amount_rate_and_threshold_share_one_format() -> None:
    latest = Balance("main", Decimal("43781.9"), "RUB", at=T0)
    item = AccountBalance("main", latest, Decimal("11073.6"), low_threshold=50000.0)
    line = balance_line(item)
    assert "43 781.90 RUB" in line
    assert f"{MINUS}11 073.60/h" in line  # was "−11073.60/h"
    assert "(< 50 000.00)" in line  # was "(< 50000)"


def test_history_cost_cell_has_two_decimals() -> None:
    m = Message("w", Provider.WEBCOM, "1", "79031234567", DeliveryState.DELIVERED)
    m = m.evolve(cost=Decimal("2.3"))  # as Webcom's price × parts arrives
    assert cell_text(m, "cost", T0, None) == "2.30"
    assert cell_text(m.evolve(cost=Decimal("1234.5")), "cost", T0, None) == "1 234.50"
