"""Lenient value coercion: what the gateways send in the wild, and junk becoming BadPayload."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smstui.errors import BadPayload
from smstui.gateways.parse import (
    format_smsc_date,
    format_webcom_time,
    load_json,
    snippet,
    to_decimal,
    to_int,
    to_str,
    to_time,
)

P = "smsc"
# 21.11.2025 14:03:11 MSK == 11:03:11 UTC
UNIX = 1763722991.0


@pytest.mark.parametrize("raw", [5, "5", " 5 ", 5.0, "+5"])
def test_int_accepts_numbers_and_numeric_strings(raw):
    assert to_int(raw, "f", provider=P) == 5


def test_int_keeps_negative_status_codes():
    assert to_int("-3", "status", provider=P) == -3


@pytest.mark.parametrize("raw", [None, ""])
def test_int_missing_gives_default(raw):
    assert to_int(raw, "f", provider=P, default=7) == 7


@pytest.mark.parametrize("raw", [True, "abc", 1.5, [], {}, "٣", float("nan")])
def test_int_rejects_wrong_types(raw):
    with pytest.raises(BadPayload, match="'f' should be an integer"):
        to_int(raw, "f", provider=P)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.20", "1.20"), (1.44, "1.44"), (10.6000000, "10.6"), ("100,01", "100.01"), (3, "3")],
)
def test_decimal_from_strings_and_numbers(raw, expected):
    assert to_decimal(raw, "cost", provider=P) == Decimal(expected)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1.2.3", True, [], "Безлимит"])
def test_decimal_rejects_junk(raw):
    with pytest.raises(BadPayload, match="cost"):
        to_decimal(raw, "cost", provider=P)


def test_decimal_missing_is_none():
    assert to_decimal("", "cost", provider=P) is None
    assert to_decimal(None, "cost", provider=P) is None


@pytest.mark.parametrize(
    "raw",
    [
        "21.11.2025 14:03:11",  # SMSC
        "2025-11-21 14:03:11",  # Webcom
        "2025-11-21T14:03:11",
        UNIX,
        int(UNIX),
        str(int(UNIX)),
    ],
)
def test_time_both_formats_are_moscow(raw):
    assert to_time(raw, "t", provider=P) == UNIX


def test_time_minutes_only_format():
    assert to_time("2025-11-21 14:03", "t", provider=P) == UNIX - 11


@pytest.mark.parametrize("raw", ["", None, 0, "0"])
def test_time_empty_while_pending(raw):
    assert to_time(raw, "t", provider=P) is None


@pytest.mark.parametrize("raw", ["31.02.2025 10:00:00", "yesterday", True, [1]])
def test_time_rejects_junk(raw):
    with pytest.raises(BadPayload, match="'t' should be a date"):
        to_time(raw, "t", provider=P)


def test_request_dates_are_formatted_in_moscow_time():
    # 23:30 UTC is already the next day in Moscow.
    assert format_smsc_date(1763767800.0) == "22.11.2025"
    assert format_webcom_time(UNIX) == "2025-11-21 14:03:11"


def test_str_accepts_numbers_and_rejects_structures():
    assert to_str(25001, "mccmnc", provider=P) == "25001"
    assert to_str(None, "x", provider=P) == ""
    with pytest.raises(BadPayload):
        to_str({"a": 1}, "x", provider=P)


def test_load_json_html_page_is_named():
    with pytest.raises(BadPayload, match=r"HTML/XML page instead of JSON \(HTTP 502\)"):
        load_json(b"<html><body>502 Bad Gateway</body></html>", provider=P, status=502)


def test_load_json_truncated():
    with pytest.raises(BadPayload, match="invalid or truncated JSON"):
        load_json(b'{"balance": "1.2', provider=P)


def test_load_json_windows_1251_bytes():
    body = '{"error": "неверный пароль", "error_code": 2}'.encode("cp1251")
    with pytest.raises(BadPayload, match="not UTF-8"):
        load_json(body, provider=P)


def test_load_json_empty_body():
    with pytest.raises(BadPayload, match="empty reply"):
        load_json(b"  \n", provider=P)


def test_load_json_rejects_nan_constants():
    with pytest.raises(BadPayload):
        load_json(b'{"balance": NaN}', provider=P)


def test_snippet_is_short_and_masks_credentials():
    text = "x" * 200 + "psw=hunter22"
    assert len(snippet(text)) <= 81
    assert "hunter22" not in snippet("oops psw=hunter22&x=1")


@given(st.binary(max_size=300))
def test_load_json_arbitrary_bytes_only_typed_errors(body):
    with contextlib.suppress(BadPayload):
        load_json(body, provider=P)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(json_values)
def test_coercers_on_arbitrary_json_only_typed_errors(value):
    for fn in (to_int, to_decimal, to_str, to_time):
        with contextlib.suppress(BadPayload):
            fn(value, "f", provider=P)


@given(json_values)
def test_load_json_reads_every_valid_document(value):
    try:
        body = json.dumps(value, allow_nan=False).encode()
    except ValueError:
        return  # NaN/Infinity are not JSON
    assert load_json(body, provider=P) == value


@pytest.mark.parametrize("raw", [10**20, -5, "01.01.1970 03:00:01", float("inf"), "99999999999"])
def test_time_outside_2000_to_2100_is_junk(raw):
    with pytest.raises(BadPayload, match="between 2000 and 2100"):
        to_time(raw, "t", provider=P)
