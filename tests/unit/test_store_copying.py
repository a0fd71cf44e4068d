"""The fast copies equal what the dataclass constructor (dataclasses.replace) makes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.store.copying import with_phone, with_status

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


def test_with_phone_equals_replace() -> None:
    c = StatusChange("acc", "42", DeliveryState.DELIVERED, "1", 5.0, Source.WEBHOOK, 3)
    new = with_phone(c, "79990000000", 6.0)
    assert new == replace(c, phone="79990000000", observed_at=6.0)
    assert c.phone == "" and c.observed_at is None
    with pytest.raises(AttributeError):  # still frozen
        new.phone = "x"  # type: ignore[misc]
