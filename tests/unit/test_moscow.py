"""Moscow time: one zone, one parser for both gateways' forms, one way to print it."""

from __future__ import annotations

import pytest

from smstui.gateways.parse import to_time
from smstui.moscow import MSK, format_moscow, parse_moscow
from smstui.webhook.errors import MalformedPush
from smstui.webhook.times import parse_moscow as parse_push_time

UNIX = 1763722991.0  # 2025-11-21 14:03:11 MSK = 11:03:11 UTC


@pytest.mark.parametrize(
    "text",
    ["21.11.2025 14:03:11", "2025-11-21 14:03:11", "2025-11-21T14:03:11", " 21.11.2025  14:03:11 "],
)
def test_both_gateway_forms_read_the_same_moment(text: str) -> None:
    assert parse_moscow(text) == UNIX
    assert parse_push_time(text) == UNIX  # the webhook reads exactly the same forms
    assert to_time(text, "t", provider="smsc") == UNIX  # and so do the gateway replies


def test_a_bare_date_is_midnight_unless_a_time_is_required() -> None:
    assert parse_moscow("21.11.2025") == parse_moscow("2025-11-21 00:00") == 1763672400.0
    with pytest.raises(ValueError, match="no time of day"):
        parse_moscow("21.11.2025", time_required=True)
    with pytest.raises(MalformedPush):
        parse_push_time("21.11.2025")


@pytest.mark.parametrize("bad", ["30.02.2025 10:00", "2025-11-21 24:00", "21/11/2025", "", "x"])
def test_impossible_or_foreign_forms_are_value_errors(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_moscow(bad)


def test_printing_uses_the_plus_three_offset() -> None:
    assert MSK.utcoffset(None).total_seconds() == 3 * 3600
    assert format_moscow(UNIX, "%d.%m.%Y %H:%M:%S") == "21.11.2025 14:03:11"
    # 23:30 UTC is already the next day in Moscow.
    assert format_moscow(1763767800.0, "%d.%m.%Y") == "22.11.2025"
