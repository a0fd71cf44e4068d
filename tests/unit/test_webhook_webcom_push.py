"""Webcom webhook batches: JSON and XML (both roots), partial acceptance, the ack body."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smstui.model import DeliveryState, Source
from smstui.webhook.errors import MalformedPush
from smstui.webhook.webcom_push import ack_body, decode_webcom_push, to_status_change

JSON_TYPE = "text/json; charset=utf-8"


def test_json_batch_maps_states_and_moscow_times() -> None:
    body = json.dumps(
        [
            {"id_sms": 1179038981, "time": "2025-03-01 12:57:46", "state": "deliver"},
            {"id_sms": "1179038982", "time": "2025-03-01 12:58:02", "state": "not_deliver"},
            {"id_sms": 1179038983, "time": "", "state": "send"},
        ]
    ).encode()
    batch = decode_webcom_push(body, JSON_TYPE)
    assert batch.fmt == "json" and batch.rejected == 0
    changes = [to_status_change(e, "wc", observed_at=5.0) for e in batch.entries]
    assert [c.message_id for c in changes] == ["1179038981", "1179038982", "1179038983"]
    assert [c.state for c in changes] == [
        DeliveryState.DELIVERED,
        DeliveryState.FAILED,
        DeliveryState.SENT,
    ]
    assert changes[0].at == 1740823066.0  # 12:57:46 MSK
    assert changes[2].at == 5.0  # `send` has no time: as of now
    assert all(c.source is Source.WEBHOOK and c.phone == "" for c in changes)


def test_malformed_entries_are_left_out_and_the_rest_kept() -> None:
    body = json.dumps(
        [
            {"id_sms": 1, "time": "2025-03-01 12:57:46", "state": "deliver"},
            {"id_sms": "abc", "time": "2025-03-01 12:57:46", "state": "deliver"},
            {"id_sms": 3, "time": "yesterday", "state": "deliver"},
            {"id_sms": 4, "time": "", "state": "deliver"},  # only `send` may lack a time
            {"id_sms": 5, "state": 7},
            {"id_sms": True, "time": "", "state": "send"},
            "not an object",
            {"id_sms": 6, "time": "2025-03-01 12:57:46", "state": "READ"},
        ]
    ).encode()
    batch = decode_webcom_push(body, JSON_TYPE)
    assert [e.raw_id for e in batch.entries] == [1, 6]
    assert batch.rejected == 6
    assert batch.entries[1].state_word == "read"


def test_unknown_state_word_is_kept_as_unknown() -> None:
    batch = decode_webcom_push(b'[{"id_sms": 1, "time": "2025-03-01 12:00:00", "state": "x"}]', "")
    change = to_status_change(batch.entries[0], "wc", 0.0)
    assert change.state is DeliveryState.UNKNOWN and change.raw_status == "x"


@pytest.mark.parametrize("root", ["response", "request"])
def test_xml_batch_either_root(root: str) -> None:
    body = (
        f'<?xml version="1.0" encoding="utf-8" ?>\n<{root}>'
        '<state id_sms="1179038981" time="2025-03-01 12:57:46" sms="deliver">deliver</state>'
        '<state id_sms="1179038983" time="2025-03-01 12:58:10" viber="not_deliver" sms="deliver">'
        "deliver</state>"
        '<state id_sms="1179038984" time="" viber="send">send</state>'
        '<state time="2025-03-01 12:58:10">deliver</state>'
        f"</{root}>"
    ).encode()
    batch = decode_webcom_push(body, "text/xml; charset=utf-8")
    assert batch.fmt == "xml" and batch.rejected == 1
    assert [e.raw_id for e in batch.entries] == ["1179038981", "1179038983", "1179038984"]


def test_xml_with_another_root_is_malformed() -> None:
    with pytest.raises(MalformedPush, match="root"):
        decode_webcom_push(b"<html><body/></html>", "text/xml")


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"", JSON_TYPE),
        (b"   ", JSON_TYPE),
        (b"[{", JSON_TYPE),
        (b'"deliver"', JSON_TYPE),
        (b"id_sms=1&state=deliver", "application/x-www-form-urlencoded"),
        (b"\xff\xfe[]", JSON_TYPE),
        (b"[]", "text/json; charset=nonsense"),
    ],
)
def test_undecodable_bodies_are_malformed(body: bytes, ctype: str) -> None:
    with pytest.raises(MalformedPush):
        decode_webcom_push(body, ctype)


def test_single_object_is_read_as_a_batch_of_one() -> None:
    batch = decode_webcom_push(b'{"id_sms": 7, "time": "", "state": "send"}', JSON_TYPE)
    assert [e.message_id for e in batch.entries] == ["7"]


def test_ack_bodies_echo_ids_as_received() -> None:
    body, ctype = ack_body([1179038981, "1179038982"], "json")
    assert ctype == "application/json"
    assert json.loads(body) == [{"id_sms": 1179038981}, {"id_sms": "1179038982"}]
    body, ctype = ack_body(["1", "2"], "xml")
    assert ctype.startswith("text/xml")
    assert body.endswith(b"<response><id_sms>1</id_sms><id_sms>2</id_sms></response>")
    assert json.loads(ack_body([], "json")[0]) == []


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.integers(0, 10**20) | st.text(max_size=8), max_size=20))
def test_json_ack_is_exactly_json_dumps_of_the_ids(ids: list[int | str]) -> None:
    body, ctype = ack_body(ids, "json")
    assert body == json.dumps([{"id_sms": i} for i in ids]).encode()  # written out by hand
    assert ctype == "application/json"
