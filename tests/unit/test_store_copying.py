"""The fast status copy equals what dataclasses.replace makes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from smstui.model import DeliveryState, Message, Provider
from smstui.store.copying import with_status

M = Message("acc", Provider.SMSC, "42", "79990000000", DeliveryState.QUEUED, "текст", "SHOP",
            1.5, "0", None, Decimal("2.35"), 2, "RU", "MTS", "Moscow", 2.5)  # fmt: skip


@pytest.mark.parametrize("err", [None, 7])
def test_with_status_equals_replace(err: int | None) -> None:
    new = with_status(M, DeliveryState.FAILED, "20", err, 9.0)
    expected = replace(M, state=DeliveryState.FAILED, raw_status="20", error_code=err,
                       updated_at=9.0)  # fmt: skip
    assert new == expected and type(new) is Message
    assert hash(new) == hash(expected) and repr(new) == repr(expected)
    assert M.state is DeliveryState.QUEUED  # the original is untouched
    with pytest.raises(AttributeError):  # still frozen
        new.state = DeliveryState.QUEUED  # type: ignore[misc]
