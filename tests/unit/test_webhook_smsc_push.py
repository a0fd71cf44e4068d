"""SMSC push decoding (form / JSON / XML, charsets, query merge) and the signature verdicts."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from smstui.model import DeliveryState, Source
from smstui.secrets import Secret
from smstui.webhook.errors import ForgedPush, MalformedPush
from smstui.webhook.signature import smsc_hash
from smstui.webhook.smsc_push import (
    SmscEvent,
    Verdict,
    check_signature,
    decode_smsc_push,
    to_call,
    to_incoming,
    to_status_change,
)

FORM = "application/x-www-form-urlencoded"
SECRET = Secret("s3cr3t")
WORKED_BODY = (
    b"id=1001&phone=79991234567&status=1&err=0&time=21.11.2025+14%3A03%3A11&ts=1763722991"
    b"&cnt=1&type=0&cost=1.90&sender=MyShop&charset=utf-8&md5=3fb6be5000eec2ba600a3135d1792786"
)


def form(fields: dict[str, str], charset: str = "windows-1251") -> bytes:
    return urlencode(fields, encoding=charset).encode("ascii")


def test_worked_example_body_is_a_verified_delivery() -> None:
    push = decode_smsc_push(WORKED_BODY, FORM)
    assert push.kind is SmscEvent.STATUS
    assert push.charset == "utf-8"
    assert check_signature(push, SECRET) is Verdict.VERIFIED
    change = to_status_change(push, "main", observed_at=1_763_723_000.0)
    assert change.message_id == "1001" and change.phone == "79991234567"
    assert change.state is DeliveryState.DELIVERED and change.raw_status == "1"
    assert change.error_code == 0 and change.at == 1763722991.0
    assert change.source is Source.WEBHOOK and change.observed_at == 1_763_723_000.0


def test_time_string_is_moscow_when_ts_is_missing() -> None:
    push = decode_smsc_push(b"id=5&phone=7999&status=20&err=1&time=21.11.2025+14%3A03%3A11", FORM)
    change = to_status_change(push, "a", observed_at=0.0)
    assert change.at == 1763722991.0  # 14:03:11 MSK == 11:03:11 UTC
    assert change.state is DeliveryState.FAILED and change.error_code == 1


def test_windows_1251_is_the_default_charset() -> None:
    fields = {"phone": "+79991234567", "mes": "Стоп рассылка", "to": "79000000000"}
    fields["md5"] = smsc_hash("md5", ["+79991234567", "Стоп рассылка", "79000000000"], SECRET,
                              encoding="windows-1251")  # fmt: skip
    push = decode_smsc_push(form(fields), FORM)
    assert push.kind is SmscEvent.INCOMING and push.charset == "cp1251"
    assert check_signature(push, SECRET) is Verdict.VERIFIED
    message = to_incoming(push, "main", observed_at=100.0)
    assert message.text == "Стоп рассылка" and message.phone == "79991234567"
    assert message.to_phone == "79000000000" and message.received_at == 100.0
    assert message.incoming_id.startswith("h")  # no id sent: a stable digest instead
    assert to_incoming(push, "main", 200.0).incoming_id == message.incoming_id


@pytest.mark.parametrize("charset", ["utf-8", "koi8-r"])
def test_charset_named_in_the_query_decodes_the_body(charset: str) -> None:
    fields = {"phone": "79991234567", "mes": "Привет", "to": "7900", "id": "777"}
    push = decode_smsc_push(form(fields, charset), FORM, f"charset={charset}")
    assert push.fields["mes"] == "Привет"
    assert to_incoming(push, "m", 0.0).incoming_id == "777"


def test_query_parameters_merge_under_the_body() -> None:
    body = b"id=1001&phone=79991234567&status=1&md5=3fb6be5000eec2ba600a3135d1792786"
    push = decode_smsc_push(body, FORM, "charset=utf-8&md5=s3cr3t&src=prod")
    assert push.fields["src"] == "prod"
    assert push.fields["md5"] == "3fb6be5000eec2ba600a3135d1792786"  # body wins over the URL
    assert check_signature(push, SECRET) is Verdict.VERIFIED


def test_query_only_push_is_read() -> None:
    push = decode_smsc_push(b"", "", "id=1&phone=7999&status=0")
    assert to_status_change(push, "a", 0.0).state is DeliveryState.SENT


def test_json_body_fmt3() -> None:
    body = (
        '{"id": 1001, "phone": "79991234567", "status": 1, "err": 0, "ts": 1763722991,'
        ' "md5": "3fb6be5000eec2ba600a3135d1792786", "sender": "Магазин"}'
    ).encode()
    push = decode_smsc_push(body, "application/json; charset=utf-8", "fmt=3")
    assert push.fields["id"] == "1001" and push.fields["sender"] == "Магазин"
    assert check_signature(push, SECRET) is Verdict.VERIFIED


def test_xml_body_fmt2_in_windows_1251() -> None:
    body = (
        '<?xml version="1.0" encoding="windows-1251"?><data><id>1001</id>'
        "<phone>79991234567</phone><status>1</status><err>0</err><sender>Магазин</sender>"
        "<md5>3fb6be5000eec2ba600a3135d1792786</md5></data>"
    ).encode("cp1251")
    push = decode_smsc_push(body, "text/xml", "fmt=2")
    assert push.fields["sender"] == "Магазин"
    assert check_signature(push, SECRET) is Verdict.VERIFIED


def test_sniffs_json_when_content_type_is_vague() -> None:
    push = decode_smsc_push(b'{"id": "9", "phone": "7", "status": "3"}', "text/plain")
    assert to_status_change(push, "a", 0.0).state is DeliveryState.EXPIRED


@pytest.mark.parametrize(
    ("body", "ctype", "query", "match"),
    [
        (b"phone=7999&status=1", FORM, "", "'id'"),
        (b"id=1&status=1", FORM, "", "'phone'"),
        (b"{not json", "application/json", "", "JSON"),
        (b"<a><b>", "text/xml", "", "XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "text/xml", "", "DOCTYPE"),
        (b"id=1&phone=%FF&status=1", FORM, "charset=utf-8", "utf-8"),
        (b"id=1&phone=7&status=1", FORM, "charset=klingon", "charset"),
        (b'{"id": [1], "phone": "7", "status": 1}', "application/json", "", "nested"),
        (b'"just a string"', "application/json", "", "object"),
    ],
)
def test_malformed_pushes(body: bytes, ctype: str, query: str, match: str) -> None:
    with pytest.raises(MalformedPush, match=match):
        decode_smsc_push(body, ctype, query)


def test_non_integer_status_is_malformed() -> None:
    push = decode_smsc_push(b"id=1&phone=7&status=ok", FORM)
    with pytest.raises(MalformedPush, match="integer"):
        to_status_change(push, "a", 0.0)


def test_missing_or_wrong_hash_on_a_status_is_forged() -> None:
    unsigned = decode_smsc_push(b"id=1001&phone=79991234567&status=1", FORM)
    with pytest.raises(ForgedPush, match="without a control hash"):
        check_signature(unsigned, SECRET)
    wrong = decode_smsc_push(WORKED_BODY, FORM)
    with pytest.raises(ForgedPush, match="wrong md5"):
        check_signature(wrong, Secret("guess"))


def test_no_secret_configured_refuses_unless_allowed() -> None:
    push = decode_smsc_push(WORKED_BODY, FORM)
    with pytest.raises(ForgedPush, match="no SMSC secret"):
        check_signature(push, None)
    assert check_signature(push, None, allow_unsigned=True) is Verdict.UNSIGNED_ALLOWED


def test_crc32_counts_only_when_configured() -> None:
    crc = smsc_hash("crc32", ["1001", "79991234567", "1"], SECRET)
    push = decode_smsc_push(f"id=1001&phone=79991234567&status=1&crc32={crc}".encode(), FORM)
    # By default a (correct) crc32 is not enough: 32 bits are brute-forceable online.
    with pytest.raises(ForgedPush, match=r"signed with crc32, which is not accepted.*md5/sha1"):
        check_signature(push, SECRET)
    assert check_signature(push, SECRET, algorithms=("md5", "crc32")) is Verdict.VERIFIED
    # A wrong crc32 next to a right md5 is ignored when crc32 is not accepted.
    both = decode_smsc_push(WORKED_BODY + b"&crc32=1", FORM)
    assert check_signature(both, SECRET) is Verdict.VERIFIED
    with pytest.raises(ForgedPush, match="wrong md5/crc32"):
        check_signature(both, SECRET, algorithms=("md5", "sha1", "crc32"))
    unsigned = decode_smsc_push(b"id=1001&phone=79991234567&status=1", FORM)
    with pytest.raises(ForgedPush, match="without a control hash"):
        check_signature(unsigned, SECRET, algorithms=("crc32",))


def test_every_present_hash_must_match() -> None:
    body = WORKED_BODY + b"&sha1=" + b"0" * 40
    with pytest.raises(ForgedPush, match="md5/sha1"):
        check_signature(decode_smsc_push(body, FORM), SECRET)


def test_incoming_with_wrong_hash_is_tolerated_but_missing_hash_is_not() -> None:
    wrong = decode_smsc_push(b"phone=7999&mes=hi&to=7900&md5=" + b"0" * 32, FORM)
    assert check_signature(wrong, SECRET) is Verdict.MISMATCH_TOLERATED
    missing = decode_smsc_push(b"phone=7999&mes=hi&to=7900", FORM)
    with pytest.raises(ForgedPush):
        check_signature(missing, SECRET)


def test_waitcall_event() -> None:
    sha = smsc_hash("sha1", ["79991234567", "1763722991"], SECRET)
    push = decode_smsc_push(f"phone=79991234567&ts=1763722991&waitcall=1&sha1={sha}".encode(), FORM)
    assert push.kind is SmscEvent.WAITCALL
    assert check_signature(push, SECRET) is Verdict.VERIFIED
    call = to_call(push, "main", 0.0)
    assert call.phone == "79991234567" and call.at == 1763722991.0
