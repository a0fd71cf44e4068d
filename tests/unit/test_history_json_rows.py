"""The streamed JSON rows of `history --cached` are exactly the records `--json` always printed."""

from __future__ import annotations

import json
import random
from datetime import UTC
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from smstui.commands._common import iso_encoder, message_encoder, to_jsonable
from smstui.display import iso, use_zone
from smstui.model import DeliveryState, Message, Provider
from smstui.moscow import MSK

ZONES = [UTC, MSK, ZoneInfo("Europe/Berlin"), ZoneInfo("America/St_Johns"),
         ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kathmandu"),
         ZoneInfo("Europe/Amsterdam")]  # fmt: skip


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_iso_by_arithmetic_equals_iso(tz) -> None:
    rng = random.Random(str(tz))
    moments = [rng.uniform(-2e9, 4e9) for _ in range(20_000)]
    moments += [rng.randrange(2**31) + 0.9999999 for _ in range(500)]  # rounds up a second
    moments += [1_711_846_800 + i * 7 for i in range(-2000, 2000)]  # around a DST change
    at = iso_encoder(tz)
    assert [at(t) for t in moments] == [iso(t, tz) for t in moments]
    assert at(None) is None


def test_a_row_is_the_json_record_of_the_message() -> None:
    use_zone(ZoneInfo("Europe/Moscow"))
    try:
        rng = random.Random(5)
        messages = [
            Message(
                account=rng.choice(["smsc-main", 'we"ird\\acct']),
                provider=rng.choice(list(Provider)),
                message_id=str(rng.randrange(10**9)), phone=f"79{rng.randrange(10**9):09d}",
                state=rng.choice(list(DeliveryState)),
                text=rng.choice(["", "Ваш код 1234", "tab\there\nnew line \u2028 \x00", "😀"]),
                sender=rng.choice(["", "MyShop"]),
                sent_at=rng.choice([None, rng.uniform(1.6e9, 1.8e9)]),
                raw_status=rng.choice(["", "1", "deliver"]),
                error_code=rng.choice([None, 0, 20, 255]),
                cost=rng.choice([None, Decimal("2.35"), Decimal("0"), Decimal("1E+1")]),
                parts=rng.choice([None, 1, 3]), country="Russia", operator="MTS",
                region=rng.choice(["", "Москва"]),
                updated_at=rng.choice([None, rng.uniform(1.6e9, 1.8e9)]),
                resend_of=rng.choice(["", "42"]),
                seen_at=rng.choice([None, rng.uniform(1.6e9, 1.8e9)]),
            )
            for _ in range(3000)
        ]  # fmt: skip
        encode = message_encoder()
        for m in messages:
            assert json.loads(encode(m)) == to_jsonable(m)
    finally:
        use_zone(None)
