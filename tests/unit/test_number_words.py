"""One wording for look-ups, one meaning for time zones, a word for a send's first row."""

from __future__ import annotations

import pytest

from smstui.codes import explain
from smstui.commands.lookup import lookup_lines
from smstui.config import Account
from smstui.display import number_rows, number_source, utc_zone
from smstui.errors import BadPayload
from smstui.gateways.parse import utc_offset
from smstui.gateways.webcom_parse import api_error
from smstui.model import DeliveryState, Message, NumberInfo, Provider

PLAN = NumberInfo("79031234567", country="Россия", operator="МТС", region="Москва",
                  mcc="250", mnc="01", timezone="+3")  # fmt: skip
RAW = (("hlr_id", "88123"), ("status", "20"), ("imsi", "25001"), ("err", "6"))
HLR = NumberInfo("79031234567", country="Russian Federation", operator="MTS", mcc="250",
                 mnc="01", reachable=False, extra=RAW)  # fmt: skip


@pytest.mark.parametrize(
    ("value", "from_moscow", "offset"),
    [("7", False, "+7"), ("4", True, "+7"), ("3", False, "+3"), ("0", True, "+3"),
     ("-1", False, "-1"), ("5.5", False, "+5:30"), ("+5:45", False, "+5:45"), ("", True, ""),
     (None, False, ""), (7, False, "+7"), ("UTC+4", False, "+4")],
)  # fmt: skip
def test_utc_offset_one_meaning(value: object, from_moscow: bool, offset: str) -> None:
    assert utc_offset(value, "tz", provider="x", from_moscow=from_moscow) == offset


@pytest.mark.parametrize("junk", ["east", "25", "3:xx"])
def test_utc_offset_refuses_what_no_zone_is(junk: str) -> None:
    with pytest.raises(BadPayload, match="tz"):
        utc_offset(junk, "tz", provider="smsc")


def test_number_rows_label_both_sources_alike_without_raw_ids() -> None:
    assert number_rows(PLAN) == [("Operator", "МТС"), ("Region", "Москва"), ("Country", "Россия"),
                                 ("Time zone", "UTC+3"), ("MCC/MNC", "250/01")]  # fmt: skip
    hlr = dict(number_rows(HLR))
    assert hlr["Reachable"] == "no: Subscriber offline (err 6)"
    assert "88123" not in str(number_rows(HLR)) and "25001" not in str(number_rows(HLR))
    assert number_source(PLAN).startswith("numbering plan")
    assert number_source(HLR).startswith("live HLR query")
    assert utc_zone("") == ""


def test_cli_lookup_lines_are_one_form() -> None:
    acc = Account(name="main", provider=Provider.SMSC, base_url="http://x")
    lines = lookup_lines(HLR, acc)
    labels = [label for label, _ in lines]
    assert labels[0] == "Number" and labels[-1] == "Source"
    assert not any(label in ("hlr_id", "status", "imsi") for label in labels)
    assert lines[-1][1].endswith("asked main (smsc)")
    assert lookup_lines(NumberInfo("79031234567"), acc)[1] == ("Operator", "unknown to the gateway")


def test_a_send_without_a_gateway_status_has_a_word() -> None:
    for provider in ("webcom", "smsc"):
        status, error = explain(provider, "")
        assert status.name_en == "No gateway status yet" and error is None
    assert "Unknown" in explain("webcom", "bogus")[0].name_en  # a real unknown word stays so


def test_webcom_send_errors_keep_their_catalogue_number() -> None:
    assert api_error("Номер телефона присутствует в стоп-листе.", account="wc").code == 5
    assert api_error("Неправильный логин или пароль", account="wc").code is None  # request-level
    assert explain("webcom", "refused", 5)[1].en == "Number is on the STOP list"  # type: ignore[union-attr]


def test_details_for_fills_blanks_only_for_the_same_number() -> None:
    row = Message("wc", Provider.WEBCOM, "1", "79031234567", DeliveryState.FAILED, region="Тверь")
    details = PLAN.details_for(row)
    assert details is not None and details.operator == "МТС" and details.region == ""
    assert details.state is DeliveryState.UNKNOWN and details.updated_at is None  # bare
    assert NumberInfo("+7 903 123-45-67", operator="X").details_for(row) is not None
    assert NumberInfo("79990000000", operator="X").details_for(row) is None
    assert NumberInfo("79031234567").details_for(row) is None
