"""SMSC conformance over loopback HTTP: key names, JSON types, fmt envelopes, charsets, paging."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

import httpx

AUTH = {"login": "demo", "psw": "demo"}
DATE_RE = re.compile(r"^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$")


async def get(emu, path: str, *, keep_charset: bool = False, **params: object) -> httpx.Response:
    """One GET against the emulator; UTF-8 unless the test wants the server default."""
    extra = {} if keep_charset else {"charset": "utf-8"}
    async with httpx.AsyncClient(base_url=emu.base_url) as client:
        return await client.get(path, params={**AUTH, **extra, **params})


def first_live(emu) -> dict:
    """A seeded SMSC message sent through the API (has an int id)."""
    return next(r for r in emu.truth() if r["provider"] == "smsc")


async def test_balance_json_strings_and_currency(emulator):
    r = await get(emulator, "/sys/balance.php", fmt=3, cur=1, keep_charset=True)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=windows-1251"
    body = r.json()
    assert isinstance(body["balance"], str) and re.fullmatch(r"\d+\.\d\d", body["balance"])
    assert body["currency"] == "RUR"


async def test_balance_text_default_fmt(emulator):
    r = await get(emulator, "/sys/balance.php")
    assert re.fullmatch(r"\d+\.\d\d", r.text)


async def test_error_envelopes_per_fmt(emulator):
    bad = {"login": "demo", "psw": "wrong"}
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r0 = await client.get("/sys/balance.php", params={**bad, "fmt": 0})
        r1 = await client.get("/sys/balance.php", params={**bad, "fmt": 1})
        r2 = await client.get("/sys/balance.php", params={**bad, "fmt": 2})
        r3 = await client.get("/sys/balance.php", params={**bad, "fmt": 3})
    assert {r.status_code for r in (r0, r1, r2, r3)} == {200}
    assert r0.text.startswith("ERROR = 2 (")
    assert r1.text == "0,-2"
    assert "<error_code>2</error_code>" in r2.text
    assert r3.json()["error_code"] == 2 and isinstance(r3.json()["error"], str)
    assert emulator.stats()["errors"]["smsc.2"] == 4


async def test_md5_password_and_apikey_accepted(emulator):
    md5 = hashlib.md5(b"demo").hexdigest()
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        a = await client.get("/sys/balance.php", params={"login": "demo", "psw": md5, "fmt": 3})
        b = await client.get("/sys/balance.php", params={"apikey": "demo-apikey", "fmt": 3})
    assert "balance" in a.json() and "balance" in b.json()


async def test_send_counts_parts_and_charges(emulator):
    before = emulator.campaign.balance["demo"]
    long_cyr = "Ж" * 71  # 71 UCS-2 characters → 2 parts of 67
    r = await get(
        emulator,
        "/sys/send.php",
        phones="79161234567;79251234567",
        mes=long_cyr,
        fmt=3,
        cost=3,
        op=1,
        charset="utf-8",
    )
    body = r.json()
    assert isinstance(body["id"], int) and body["cnt"] == 4  # 2 parts × 2 recipients
    assert body["cost"] == "8.10" and isinstance(body["balance"], str)
    assert [p["mccmnc"] for p in body["phones"]] == ["25001", "25002"]
    assert emulator.campaign.balance["demo"] == before - Decimal("8.10")
    latin = await get(emulator, "/sys/send.php", phones="79031234567", mes="a" * 161, fmt=1)
    assert latin.text.split(",")[1] == "2"  # 161 GSM-7 characters → 2 parts of 153


async def test_send_cost_1_prices_without_sending(emulator):
    n = len(emulator.campaign.smsc)
    r = await get(emulator, "/sys/send.php", phones="79161234567", mes="hi", cost=1, fmt=3)
    assert r.json() == {"cost": "2.10", "cnt": 1}
    assert len(emulator.campaign.smsc) == n


async def test_send_errors_carry_id(emulator):
    r7 = await get(emulator, "/sys/send.php", phones="abc", mes="hi", id=77, fmt=3)
    assert r7.json() == {"error": r7.json()["error"], "error_code": 7, "id": 77}
    r8 = await get(emulator, "/sys/send.php", phones="74951234567", mes="hi", fmt=0, id="x-1")
    assert r8.text.startswith("ERROR = 8 (") and r8.text.endswith(", ID - x-1")
    r1 = await get(emulator, "/sys/send.php", phones="79161234567", mes="x" * 1001, fmt=1)
    assert r1.text == "0,-1"
    r5 = await get(emulator, "/sys/send.php", phones="79161234567", mes="hi", time="bad", fmt=3)
    assert r5.json()["error_code"] == 5 and "id" not in r5.json()


async def test_send_string_id_echoed_and_status_by_it(emulator):
    r = await get(
        emulator,
        "/sys/send.php",
        phones="+79161234567",
        mes="Код 1",
        id="ord-7",
        fmt=3,
        charset="utf-8",
    )
    assert r.json()["id"] == "ord-7"
    s = await get(
        emulator, "/sys/status.php", id="ord-7", phone="79161234567", fmt=3, all=1, charset="utf-8"
    )
    body = s.json()
    assert body["status"] == -1 and body["message"] == "Код 1" and body["sms_cnt"] == 1


async def test_status_single_object_and_types(emulator):
    row = first_live(emulator)
    r = await get(emulator, "/sys/status.php", id=row["id"], phone=row["phone"], fmt=3, all=2)
    body = r.json()
    assert isinstance(body, dict)
    for key in ("status", "err", "last_timestamp", "send_timestamp", "flag", "type", "sms_cnt"):
        assert isinstance(body[key], int), key
    for key in ("cost", "sender_id", "status_name", "message", "mccmnc", "operator", "region"):
        assert isinstance(body[key], str), key
    assert DATE_RE.match(body["last_date"]) and DATE_RE.match(body["send_date"])
    assert body["status"] == row["status"] and body["err"] == row["err"]


async def test_status_mass_and_trailing_comma_give_arrays(emulator):
    rows = [r for r in emulator.truth() if r["provider"] == "smsc"][:2]
    ids = ",".join(str(r["id"]) for r in rows)
    phones = ",".join(r["phone"] for r in rows)
    r = await get(
        emulator, "/sys/status.php", id=ids + ",999999", phone=phones + ",79990000000", fmt=3
    )
    body = r.json()
    assert [b["id"] for b in body] == [rows[0]["id"], rows[1]["id"], 999999]
    assert body[2]["status"] == -3 and body[0]["phone"] == rows[0]["phone"]
    emulator.clock.advance(61)
    one = await get(
        emulator, "/sys/status.php", id=f"{rows[0]['id']},", phone=f"{rows[0]['phone']},", fmt=3
    )
    assert isinstance(one.json(), list) and len(one.json()) == 1


async def test_status_unknown_single_is_error_3_and_text_forms(emulator):
    r = await get(emulator, "/sys/status.php", id=1, phone="79161234567", fmt=3)
    assert r.json() == {"error": "message not found", "error_code": 3}
    row = first_live(emulator)
    t0 = await get(emulator, "/sys/status.php", id=row["id"], phone=row["phone"])
    assert t0.text.startswith(f"Status = {row['status']}, check_time = ")
    t1 = await get(emulator, "/sys/status.php", id=row["id"], phone=row["phone"], fmt=1)
    assert t1.text.split(",")[0] == str(row["status"])


async def test_status_delete(emulator):
    sent = (await get(emulator, "/sys/send.php", phones="79161234567", mes="del me", fmt=3)).json()
    ok = await get(
        emulator, "/sys/status.php", id=sent["id"], phone="79161234567", fmt=3, **{"del": 1}
    )
    assert ok.text == "OK"
    again = await get(
        emulator, "/sys/status.php", id=sent["id"], phone="79161234567", fmt=3, **{"del": 1}
    )
    assert again.json()["error_code"] == 5


async def test_windows_1251_default_both_ways(emulator):
    text = "Привет, мир"
    body = "login=demo&psw=demo&phones=79161234567&fmt=3&mes=" + "".join(
        f"%{b:02X}" for b in text.encode("cp1251")
    )
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r = await client.post(
            "/sys/send.php",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        sent = r.json()
        s = await client.get(
            "/sys/status.php",
            params={**AUTH, "id": sent["id"], "phone": "79161234567", "all": 1, "fmt": 3},
        )
    assert s.headers["content-type"].endswith("charset=windows-1251")
    assert json.loads(s.content.decode("cp1251"))["message"] == text


async def test_koi8r_honoured(emulator):
    r = await get(
        emulator, "/sys/info.php", get_operator="", phone="79161234567", fmt=3, charset="koi8-r"
    )
    assert json.loads(r.content.decode("koi8_r"))["country"] == "Россия"


async def test_history_paging_newest_first(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        p1 = (
            await client.get(
                "/sys/get.php",
                params={**AUTH, "charset": "utf-8", "get_messages": 1, "cnt": 20, "fmt": 3},
            )
        ).json()
        last = p1[-1]["int_id"]
        p2 = (
            await client.get(
                "/sys/get.php",
                params={
                    **AUTH,
                    "charset": "utf-8",
                    "get_messages": 1,
                    "cnt": 20,
                    "fmt": 3,
                    "prev_id": last,
                },
            )
        ).json()
    ids = [r["int_id"] for r in p1 + p2]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 40
    assert all(isinstance(r["int_id"], int) and isinstance(r["cost"], str) for r in p1)
    assert {"sender_id", "sms_cnt", "mccmnc", "send_timestamp", "crc", "format"} <= set(p1[0])


async def test_history_window_and_cnt_validated(emulator):
    too_long = await get(
        emulator, "/sys/get.php", get_messages=1, start="01.01.2025", end="21.11.2025", fmt=3
    )
    assert too_long.json()["error_code"] == 1
    emulator.clock.advance(61)
    too_many = await get(emulator, "/sys/get.php", get_messages=1, cnt=1001, fmt=3)
    assert too_many.json()["error_code"] == 1


async def test_answers_and_operator(emulator):
    r = await get(emulator, "/sys/get.php", get_answers=1, hour=168, fmt=3)
    rows = r.json()
    assert rows and all(isinstance(x["received"], int) and isinstance(x["id"], int) for x in rows)
    after = await get(
        emulator, "/sys/get.php", get_answers=1, hour=168, fmt=3, after_id=rows[-1]["id"]
    )
    assert after.json() == []
    op = await get(emulator, "/sys/info.php", get_operator=1, phone="79251234567", fmt=3)
    assert op.json()["operator"] == "МегаФон" and op.json()["mnc"] == "02"
    unknown = await get(emulator, "/sys/info.php", get_operator=1, phone="74951234567", fmt=3)
    assert unknown.json()["error_code"] == 3


async def test_rest_send_json_body(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r = await client.post("/rest/send/", json={**AUTH, "phones": "79161234567", "mes": "Тест"})
    assert isinstance(r.json()["id"], int) and r.json()["cnt"] == 1
