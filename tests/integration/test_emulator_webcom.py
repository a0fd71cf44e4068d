"""Webcom conformance over loopback HTTP: JSON, GET and XML interfaces, Russian error texts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import httpx

CREDS = {"login": "demo", "password": "demo"}
JSON_CT = {"Content-Type": "text/json; charset=utf-8"}
XML_CT = {"Content-Type": "text/xml; charset=utf-8;"}
SEC = '<security><login value="demo"/><password value="demo"/></security>'
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


async def post(emu, path: str, body: object, headers=JSON_CT) -> httpx.Response:
    """POST a JSON (or raw text) body."""
    content = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
    async with httpx.AsyncClient(base_url=emu.base_url) as client:
        return await client.post(path, content=content, headers=headers)


async def send(emu, *phones: dict, text: str = "Ваш код 1234", sender: str = "MyShop") -> list:
    """POST /json with these recipient objects; the `information` list."""
    body = {
        **CREDS,
        "message": {"type_send_1": "sms", "sender": sender, "text": text, "phones": list(phones)},
    }
    r = await post(emu, "/json", body)
    assert r.status_code == 200, r.text
    return r.json()["information"]


async def test_send_ids_and_per_recipient_russian_errors(emulator):
    info = await send(
        emulator,
        {"phone": 79001234567},
        {"phone": 79990000000},
        {"phone": 380501234567},
        {"phone": ""},
    )
    assert info[0]["state"] == "send" and isinstance(info[0]["id_sms"], int)
    assert info[1] == {"error": "Номер телефона присутствует в стоп-листе."}
    assert info[2] == {"error": "Данное направление закрыто для вас."}
    assert info[3] == {"error": "Укажите номер телефона."}
    again = await send(emulator, {"phone": 79001234568})
    assert again[0]["id_sms"] == info[0]["id_sms"] + 1  # a monotonically increasing counter
    assert emulator.stats()["content_types"]["webcom.send"] == {"text/json; charset=utf-8": 2}


async def test_client_id_sms_is_idempotent(emulator):
    first = await send(emulator, {"phone": 79001234567, "client_id_sms": 100501})
    n = len(emulator.campaign.webcom)
    second = await send(emulator, {"phone": 79001234567, "client_id_sms": 100501})
    assert second[0]["id_sms"] == first[0]["id_sms"] and len(emulator.campaign.webcom) == n


async def test_state_array_detail_and_unknown_ids_left_out(make_emulator):
    async with make_emulator(seed=1, messages=20, rate=0) as emu:
        await check_state_array(emu)


async def check_state_array(emulator) -> None:
    """Send, ask twice (at once, then after three days)."""
    sent = (await send(emulator, {"phone": 79161234567}, text="x" * 200))[0]["id_sms"]
    body = {**CREDS, "id_sms": [sent, 1, str(sent)], "detail": 1}
    r = await post(emulator, "/json/state.php", [body])  # one-element array form too
    rows = r.json()
    assert isinstance(rows, list) and len(rows) == 2
    assert rows[0] == {
        "id_sms": sent,
        "time_change_state": "",
        "state": "send",
        "num_parts": 2,
        "price": 2.45,
    }
    assert re.search(r'"price": 2\.4500000', r.text)
    emulator.clock.advance(86400 * 3)
    later = (await post(emulator, "/json/state.php", {**CREDS, "id_sms": sent})).json()
    assert later[0]["state"] in {"deliver", "not_deliver", "expired", "partly_deliver"}
    assert TIME_RE.match(later[0]["time_change_state"]) and "num_parts" not in later[0]


async def test_request_errors_russian_and_http_400(emulator):
    bad_auth = await post(emulator, "/json/balance.php", {"login": "demo", "password": "x"})
    assert bad_auth.status_code == 400
    assert bad_auth.json() == {"error": "Неправильный логин или пароль"}
    empty = await post(emulator, "/json/balance.php", "")
    assert empty.json() == {"error": "POST данные отсутствуют"}
    broken = await post(emulator, "/json/", "{not json")
    assert broken.json() == {"error": "Неправильный формат JSON документа"}
    assert emulator.stats()["errors"] == {"webcom.E3": 1, "webcom.E4": 1, "webcom.E1": 1}


async def test_error_status_switchable_to_200(make_emulator):
    async with make_emulator(seed=1, messages=5, webcom_error_status=200) as emu:
        r = await post(emu, "/json/balance.php", {"token": "nope"})
        assert r.status_code == 200 and "error" in r.json()


async def test_balance_json_and_token(emulator):
    r = await post(emulator, "/json/balance.php", {"token": "demo-token"})
    body = r.json()
    assert isinstance(body["money"], str) and body["currency"] == "RUR"
    assert body["information"][0]["type_sms"] == "sms"
    assert all(isinstance(i["num_sms"], str) for i in body["information"])


async def test_get_send_status_and_empty_for_unknown(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        auth = {"user": "demo", "pwd": "demo"}
        r = await client.get(
            "/sendsms.php",
            params={**auth, "sadr": "MyShop", "dadr": "79001234567,79001234568", "text": "Код: 1"},
        )
        ids = r.text.split(",")
        assert len(ids) == 2 and all(i.isdigit() for i in ids)
        st = await client.get("/sendsms.php", params={"token": "demo-token", "smsid": ids[0]})
        assert st.text == "send" and st.headers["content-type"].startswith("text/plain")
        none = await client.get("/sendsms.php", params={**auth, "smsid": "1"})
        assert none.status_code == 200 and none.text == ""


async def test_get_identical_limit_optional(make_emulator):
    async with make_emulator(seed=1, messages=5, webcom_get_limit=True) as emu:
        async with httpx.AsyncClient(base_url=emu.base_url) as client:
            q = {"user": "demo", "pwd": "demo", "smsid": "1"}
            await client.get("/sendsms.php", params=q)
            again = await client.get("/sendsms.php", params=q)
        assert again.text.startswith("error: Попытка отправки")


async def test_xml_state_balance_def(emulator):
    ids = [
        i["id_sms"] for i in await send(emulator, {"phone": 79001234567}, {"phone": 79251234567})
    ]
    emulator.clock.advance(600)
    body = (
        f'<?xml version="1.0" encoding="utf-8" ?><request>{SEC}<get_state>'
        + "".join(f"<id_sms>{i}</id_sms>" for i in [*ids, 5])
        + "</get_state></request>"
    )
    r = await post(emulator, "/xml/state.php/", body, XML_CT)
    states = ET.fromstring(r.content).findall("state")
    assert [int(s.get("id_sms")) for s in states] == ids
    assert all(s.text == s.get("sms") for s in states)
    bal = ET.fromstring(
        (await post(emulator, "/xml/balance.php", f"<request>{SEC}</request>", XML_CT)).content
    )
    assert bal.find("money").get("currency") == "RUR" and bal.findall("sms")
    info = ET.fromstring(
        (
            await post(
                emulator,
                "/xml/def.php",
                f"<request>{SEC}<phones><phone>79161234567</phone></phones></request>",
                XML_CT,
            )
        ).content
    )
    assert info.find("phone").get("operator") == "МТС"
    assert emulator.stats()["content_types"]["webcom.state_xml"] == {"text/xml; charset=utf-8;": 1}


async def test_xml_errors_and_send(emulator):
    bad = await post(emulator, "/xml/state.php", "<request><oops", XML_CT)
    assert bad.status_code == 400
    assert ET.fromstring(bad.content).findtext("error") == "Неправильный формат XML документа"
    body = (
        f'<request>{SEC}<message type_send_1="sms"><sender>MyShop</sender>'
        '<text>Hi</text><abonent phone="79001234567" number_sms="1"/>'
        '<abonent phone="79990000000" number_sms="2"/></message></request>'
    )
    res = ET.fromstring((await post(emulator, "/xml/", body, XML_CT)).content)
    first, second = res.findall("information")
    assert first.text == "send" and first.get("id_sms").isdigit() and first.get("parts") == "1"
    assert second.get("number_sms") == "2" and "стоп-листе" in second.text
