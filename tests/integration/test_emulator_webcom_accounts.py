"""Webcom blocked accounts (E2) and scheduled sends (time_send, list_scheduled, scheduled.php)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import httpx

MSK = timezone(timedelta(hours=3))
JSON_CT = {"Content-Type": "text/json; charset=utf-8"}
XML_CT = {"Content-Type": "text/xml; charset=utf-8;"}
SEC = '<security><login value="demo"/><password value="demo"/></security>'
E2 = "Ваш аккаунт заблокирован"


def msk(ts: float, seconds: bool = False) -> str:
    return datetime.fromtimestamp(ts, MSK).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


async def post(client: httpx.AsyncClient, path: str, body: object) -> httpx.Response:
    if isinstance(body, str):
        return await client.post(path, content=body.encode(), headers=XML_CT)
    return await client.post(path, content=json.dumps(body, ensure_ascii=False), headers=JSON_CT)


def xml_request(inner: str, sec: str = SEC) -> str:
    return f'<?xml version="1.0" encoding="utf-8" ?><request>{inner}{sec}</request>'


async def test_blocked_account_gets_e2_on_every_interface(make_emulator):
    async with (
        make_emulator(
            seed=1, messages=5, rate=0, accounts=("shop:pw",), webcom_blocked=("shop",)
        ) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        creds = {"login": "shop", "password": "pw"}
        bal = await post(client, "/json/balance.php", creds)
        by_token = await post(client, "/json/state.php", {"token": "shop-token", "id_sms": 1})
        sec = '<security><login value="shop"/><password value="pw"/></security>'
        xml = await post(client, "/xml/state.php", xml_request("<get_state/>", sec))
        get = await client.get("/sendsms.php", params={"user": "shop", "pwd": "pw", "balance": 1})
        wrong = await post(client, "/json/balance.php", {"login": "shop", "password": "nope"})
        demo = await post(client, "/json/balance.php", {"login": "demo", "password": "demo"})
    assert bal.status_code == 400 and bal.json() == {"error": E2}
    assert by_token.json() == {"error": E2}
    assert ET.fromstring(xml.content).findtext("error") == E2 and xml.status_code == 400
    assert get.text == E2
    assert wrong.json()["error"] == "Неправильный логин или пароль"  # auth is checked first
    assert demo.status_code == 200 and "money" in demo.json()
    assert emu.stats()["errors"]["webcom.E2"] == 4


async def test_json_time_send_schedules_then_sends(make_emulator):
    async with (
        make_emulator(seed=2, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        later = emu.clock.now() + 3600
        body = {
            "login": "demo",
            "password": "demo",
            "message": {
                "sender": "MyShop",
                "text": "Скидка 20%",
                "name_delivery": "Осень",
                "phones": [
                    {"phone": 79161234567, "time_send": msk(later)},
                    {"phone": 79161234568},
                ],
            },
        }
        info = (await post(client, "/json", body)).json()["information"]
        scheduled, now_id = info[0]["id_sms"], info[1]["id_sms"]
        creds = {"login": "demo", "password": "demo", "detail": 0}
        state = await post(client, "/json/state.php", {**creds, "id_sms": [scheduled, now_id]})
        assert [row["id_sms"] for row in state.json()] == [now_id]  # not sent yet
        listing = await post(
            client, "/xml/list_scheduled.php", xml_request('<scheduled page="1"/>')
        )
        phones = ET.fromstring(listing.content).find("phones")
        rows = phones.findall("scheduled")
        assert phones.get("page") == "1" and phones.get("num_pages") == "1" and len(rows) == 1
        row = rows[0].attrib
        assert row["id_sms"] == str(scheduled) and row["time_send"] == msk(later)
        assert row["phone"] == "79161234567" and row["originator"] == "MyShop"
        assert row["text_sms"] == "Скидка 20%" and row["name_delivery"] == "Осень"
        assert row["time_put_turn"] == msk(emu.clock.now(), seconds=True)
        assert row["validity_period"] == msk(later + 2 * 86400, seconds=True)
        emu.clock.advance(3601)
        state = await post(client, "/json/state.php", {**creds, "id_sms": [scheduled]})
        assert [r["id_sms"] for r in state.json()] == [scheduled]  # sent at its time
        listing = await post(
            client, "/xml/list_scheduled.php", xml_request('<scheduled page="1"/>')
        )
        assert ET.fromstring(listing.content).find("phones").findall("scheduled") == []
    truth = {r["id"]: r for r in emu.truth() if r["provider"] == "webcom"}
    assert truth[scheduled]["sent_at"] == later


async def test_xml_scheduled_delete_paging_and_refund(make_emulator):
    async with (
        make_emulator(seed=3, messages=5, rate=0, webcom_page_size=2) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        before = emu.campaign.money["demo"]
        at = msk(emu.clock.now() + 7200)
        abonents = "".join(
            f'<abonent phone="7916123456{i}" number_sms="{i}" time_send="{at}"/>' for i in range(3)
        )
        msg = f"<message><sender>MyShop</sender><text>Hi</text>{abonents}</message>"
        sent = ET.fromstring((await post(client, "/xml", xml_request(msg))).content)
        ids = [el.get("id_sms") for el in sent.findall("information")]
        assert all(ids) and emu.campaign.money["demo"] < before
        page2 = await post(client, "/xml/list_scheduled.php", xml_request('<scheduled page="2"/>'))
        phones = ET.fromstring(page2.content).find("phones")
        assert phones.get("num_pages") == "2" and len(phones.findall("scheduled")) == 1
        delete = "".join(f'<schedule id_sms="{i}"/>' for i in (ids[0], "999", ids[0]))
        answer = await post(
            client,
            "/xml/scheduled.php",
            xml_request(f"<delete_schedule>{delete}</delete_schedule>"),
        )
        words = [(el.get("id_sms"), el.text) for el in ET.fromstring(answer.content)]
        assert words == [(ids[0], "delete"), ("999", "not_found"), (ids[0], "not_found")]
        bad = await post(client, "/xml/list_scheduled.php", xml_request("<scheduled/>"))
        assert bad.status_code == 400 and ET.fromstring(bad.content).findtext("error")
        emu.clock.advance(3 * 86400)
        emu.now()
    assert emu.campaign.money["demo"] == before - 2 * (emu.campaign.webcom_by_id[int(ids[1])].price)
    sent_ids = {r["id"] for r in emu.truth() if r["provider"] == "webcom"}
    assert int(ids[0]) not in sent_ids and {int(ids[1]), int(ids[2])} <= sent_ids


async def test_malformed_time_send_refuses_the_request_and_sends_nothing(make_emulator):
    async with (
        make_emulator(seed=4, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        before, count = emu.campaign.money["demo"], len(emu.campaign.webcom)
        body = {
            "login": "demo",
            "password": "demo",
            "message": {
                "sender": "MyShop",
                "text": "Hi",
                "phones": [{"phone": 79161234567}, {"phone": 79161234568, "time_send": "soon"}],
            },
        }
        r = await post(client, "/json", body)
        bad_xml = (
            "<message><sender>MyShop</sender><text>Hi</text>"
            '<abonent phone="79161234567" time_send="31.12.2025"/></message>'
        )
        x = await post(client, "/xml", xml_request(bad_xml))
    assert r.status_code == 400 and r.json() == {"error": "Неправильный формат JSON документа"}
    assert x.status_code == 400 and "XML" in ET.fromstring(x.content).findtext("error")
    assert emu.campaign.money["demo"] == before and len(emu.campaign.webcom) == count
