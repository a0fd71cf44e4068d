"""The emulator answers the request shapes the vendor's own libraries send, as the real SMSC does.

Shapes written from the official SMSC client libraries (Python 2.0, PHP 3.x, C# 3.1, Node 1.2)
and from published third-party clients; none of their code is used here. Each test sends the exact
parameter set, encoding and field order such a library sends, and checks the answer the way that
library reads it (for the text formats: its split limits and indexes).
"""

from __future__ import annotations

import json

import httpx
import pytest

LOGIN = "login=demo&psw=demo"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def post(emu, script: str, body: str | bytes, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=emu.base_url) as client:
        return await client.post(f"/sys/{script}.php", content=body, headers=headers or FORM)


def official(arg: str, fmt: int = 1) -> str:
    """The official Python/PHP/C# request body: credentials, fmt, charset, then the call's args."""
    return f"{LOGIN}&fmt={fmt}&charset=utf-8&{arg}"


async def send_text(emu, text: str, phone: str = "79161234567") -> str:
    """Send through the official Python library's parameter set; returns the message id."""
    quoted = str(httpx.QueryParams({"mes": text}))
    body = official(f"cost=3&phones={phone}&{quoted}&translit=0&id=0")
    reply = (await post(emu, "send", body)).text
    message_id, cnt = reply.split(",")[:2]
    assert int(cnt) > 0, reply
    return message_id


# ---- send.php ----------------------------------------------------------------------------


async def test_official_send_with_default_id_0_gets_a_server_id(emulator):
    body = official("cost=3&phones=79999999999&mes=test&translit=0&id=0")
    reply = (await post(emulator, "send", body)).text
    message_id, cnt, cost, balance = reply.split(",")  # (id, cnt, cost, balance)
    assert int(message_id) > 0 and cnt == "1" and float(cost) > 0 and float(balance) > 0
    assert any(r["id"] == int(message_id) and r["phone"] == "79999999999" for r in emulator.truth())


async def test_csharp_library_posts_values_unencoded(emulator):
    # The C# library skips URL-encoding on POST: raw UTF-8 bytes, spaces and colons as they are.
    text = "Ваш пароль: 123"
    body = official(f"cost=3&phones=79999999999&mes={text}&id=0&translit=0").encode("utf-8")
    message_id = (await post(emulator, "send", body)).text.split(",")[0]
    status = official(f"phone=79999999999&id={message_id}&all=1")
    assert (await post(emulator, "status", status)).text.split(",", 8)[8] == text


async def test_official_php_hlr_example_with_id_0(emulator):
    # `send_sms("79999999999", "", 0, 0, 0, 3)`: an HLR query, empty text, id=0.
    body = official("cost=3&phones=79999999999&mes=&translit=0&id=0&hlr=1")
    message_id, cnt = (await post(emulator, "send", body)).text.split(",")[:2]
    assert int(message_id) > 0 and cnt == "1"


async def test_a_real_client_id_is_still_echoed_and_a_bad_one_refused(emulator):
    ok = await post(emulator, "send", official("cost=3&phones=79161234567&mes=x&id=42", fmt=3))
    assert ok.json()["id"] == 42
    bad = await post(
        emulator, "send", official("cost=3&phones=79161234567&mes=y&id=not+an+id!", fmt=3)
    )
    assert bad.json()["error_code"] == 1


def multipart(fields: list[tuple[str, bytes]], boundary: str) -> bytes:
    """A body as the npm form-data package writes it: no per-part Content-Type for strings."""
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize("charset", ["windows-1251", "utf-8", "koi8-r"])
async def test_node_library_multipart_post_in_its_charset(emulator, charset):
    text = "Привет, мир! Код 1234"
    codec = {"windows-1251": "cp1251", "utf-8": "utf-8", "koi8-r": "koi8_r"}[charset]
    boundary = "--------------------------123456789012345678901234"
    # The Node library's order: fmt, login, psw, charset, then the call's data.
    fields = [(b"fmt", b"3"), (b"login", b"demo"), (b"psw", b"demo"),
              (b"charset", charset.encode()), (b"phones", b"79161234567"),
              (b"mes", text.encode(codec))]  # fmt: skip
    body = multipart([(k.decode(), v) for k, v in fields], boundary)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = await post(emulator, "send", body, headers)
    assert r.status_code == 200
    sent = json.loads(r.content.decode(codec))
    assert sent["cnt"] == 1 and sent["id"] > 0
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        status = await client.get(
            "/sys/status.php",
            params={"login": "demo", "psw": "demo", "fmt": 3, "charset": "utf-8", "all": 1,
                    "id": sent["id"], "phone": "79161234567"},
        )  # fmt: skip
    assert status.json()["message"] == text


async def test_malformed_multipart_is_error_1_not_a_server_error(emulator):
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    broken = [b"--xyz\r\ngarbage without headers end", b"--xyz\r\nX: y\r\n\r\n", b"--xyz--"]
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        for body in broken:  # credentials in the query: the body is what is wrong
            r = await client.post(
                "/sys/send.php?login=demo&psw=demo", content=body, headers=headers
            )
            assert r.status_code == 200 and r.text == "ERROR = 1 (parameters error)", body
            emulator.clock.advance(61)  # the same (bad) request again is a duplicate otherwise


# ---- status.php --------------------------------------------------------------------------


async def test_single_unknown_is_error_3_only_lists_get_minus_3_rows(emulator):
    single = await post(emulator, "status", official("phone=79161234567&id=1&all=0", fmt=3))
    assert single.json() == {"error": "message not found", "error_code": 3}
    text = await post(emulator, "status", official("phone=79161234567&id=1&all=0"))
    assert text.text == "0,-3"  # what the official libraries read as (0, -error)


async def test_published_python_client_status_shape_with_trailing_commas(emulator):
    """phone=X,&id=N,&all=2 (a published client always sends the list form) → rows it can read.

    That client deletes `status` and `status_name`, parses `last_date`/`send_date` unless null,
    and deletes `send_timestamp`/`last_timestamp`: a −3 row missing any of them crashes it.
    """
    row = next(r for r in emulator.truth() if r["provider"] == "smsc")
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r = await client.get(
            "/sys/status.php",
            params={"login": "demo", "psw": "demo", "fmt": 3, "charset": "utf-8", "all": 2,
                    "phone": f"{row['phone']},79161234567,", "id": f"{row['id']},1,"},
        )  # fmt: skip
    known, unknown = r.json()
    for item in (known, unknown):
        for key in ("status", "status_name", "send_timestamp", "last_timestamp", "id"):
            assert key in item
        for key in ("last_date", "send_date"):
            assert item[key] is None or len(item[key]) == 19
    assert known["id"] == row["id"] and known["status"] == row["status"]
    assert unknown == {**unknown, "id": 1, "phone": "79161234567", "status": -3,
                       "status_name": "Сообщение не найдено", "last_date": None}  # fmt: skip


@pytest.mark.parametrize(
    ("ids", "phones"),
    [("{a},1,", "{p},79161234567,"), ("{a},1,", "{p},79161234567"), ("{a},1", "{p},79161234567,")],
)
async def test_mass_status_accepts_a_trailing_comma_on_either_list(emulator, ids, phones):
    row = next(r for r in emulator.truth() if r["provider"] == "smsc")
    arg = f"phone={phones.format(p=row['phone'])}&id={ids.format(a=row['id'])}&all=0"
    rows = (await post(emulator, "status", official(arg, fmt=3))).json()
    assert [r["status"] for r in rows] == [row["status"], -3]


async def test_mass_text_rows_end_with_id_and_phone(emulator):
    row = next(r for r in emulator.truth() if r["provider"] == "smsc")
    arg = f"phone=%2B{row['phone']},79161234567&id={row['id']},1&all=0"
    lines = (await post(emulator, "status", official(arg))).text.split("\n")
    first, second = (line.split(",") for line in lines)  # C#: split by lines, then by commas
    assert first[0] == str(row["status"]) and first[3:] == [str(row["id"]), row["phone"]]
    assert second == ["-3", "0", "0", "1", "79161234567"]
    emulator.clock.advance(61)  # one mass request a minute
    arg = f"phone={row['phone']},79161234567&id={row['id']},1&all=1"
    lines = (await post(emulator, "status", official(arg))).text.split("\n")
    assert [line.split(",")[-1] for line in lines] == [str(row["id"]), "1"]  # id added last


async def test_all_1_and_all_2_text_keep_the_message_last(emulator):
    text = "Hello, world, with commas"
    message_id = await send_text(emulator, text)
    arg = f"phone=79161234567&id={message_id}"
    one = (await post(emulator, "status", official(arg + "&all=1"))).text.split(",", 8)
    assert len(one) == 9 and one[8] == text and one[4] == "79161234567"
    two = (await post(emulator, "status", official(arg + "&all=2"))).text.split(",", 11)
    assert len(two) == 12 and two[11] == text and two[7] == "79161234567"
    assert two[3:6] == ["Россия", "МТС", two[5]] and two[5]  # country, operator, region


async def test_hlr_text_status_carries_the_hlr_fields_where_the_libraries_index_them(emulator):
    body = official("cost=3&phones=79999999999&mes=&translit=0&id=0&hlr=1")
    hlr_id = (await post(emulator, "send", body)).text.split(",")[0]
    emulator.clock.advance(60)  # the HLR answers within seconds
    arg = f"phone=79999999999&id={hlr_id}"
    base = (await post(emulator, "status", official(arg + "&all=0"))).text.split(",")
    # (status, time, err, imsi, msc, mcc, mnc, cn, net, rcn, rnet)
    assert len(base) == 11 and base[0] in ("1", "20") and base[5:7] == ["250", "02"]
    assert base[7] == "Russian Federation" and base[8] == "MegaFon"
    one = (await post(emulator, "status", official(arg + "&all=1"))).text.split(",")
    assert one[14] == "HLR" and one[:11] == base  # PHP/C#/Python: m[14] == "HLR" (all=1)
    two = (await post(emulator, "status", official(arg + "&all=2"))).text.split(",")
    assert two[17] == "HLR" and two[:11] == base  # PHP/C#: m[17] == "HLR" (all=2)
    keyed = (await post(emulator, "status", official(arg + "&all=0", fmt=0))).text
    assert ", imsi = 25002" in keyed and ", net = MegaFon, rcn = " in keyed
    json_row = (await post(emulator, "status", official(arg + "&all=0", fmt=3))).json()
    assert {k: str(json_row[k]) for k in ("mcc", "mnc", "net")} == {
        "mcc": "250",
        "mnc": "02",
        "net": "MegaFon",
    }


# ---- error texts, numbering ----------------------------------------------------------------


async def test_error_texts_as_the_real_server_writes_them(make_emulator):
    async with make_emulator(seed=1, messages=5, rate=0, smsc_balance="0.50") as emu:
        auth = await post(emu, "balance", "login=demo&psw=wrong&fmt=3")
        assert auth.json() == {"error": "authorise error", "error_code": 2}
        money = await post(emu, "send", official("phones=79161234567&mes=hi&id=7", fmt=3))
        assert money.json() == {"error": "no money", "error_code": 3, "id": 7}
        landline = await post(emu, "send", official("phones=74951234567&mes=hi&id=8", fmt=3))
        assert landline.json() == {"error": "can't to deliver", "error_code": 8, "id": 8}
        text = await post(emu, "send", official("phones=74951234567&mes=hi&id=9", fmt=0))
        assert text.text == "ERROR = 8 (can't to deliver), ID - 9"


async def test_the_whole_russian_mobile_plan_routes(emulator):
    phones = ",".join(f"7{code}1234567" for code in range(900, 1000))
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r = await client.get(
            "/sys/info.php",
            params={"login": "demo", "psw": "demo", "fmt": 3, "charset": "utf-8",
                    "get_operator": 1, "phone": phones},
        )  # fmt: skip
    rows = r.json()
    assert len(rows) == 100 and {row["operator"] for row in rows} == {
        "МТС", "МегаФон", "Билайн", "Tele2"}  # fmt: skip
    by_code = {900 + i: row["operator"] for i, row in enumerate(rows)}
    assert by_code[999] == "МегаФон" and by_code[910] == "МТС" and by_code[903] == "Билайн"
    assert by_code[977] == "Tele2"


async def test_vendor_example_number_gets_a_message(emulator):
    r = await post(emulator, "send", official("phones=79999999999&mes=test&id=0", fmt=3))
    assert r.json()["cnt"] == 1


# ---- get_messages ------------------------------------------------------------------------


async def test_history_with_nothing_to_return_is_error_3(make_emulator):
    async with make_emulator(seed=1, messages=20, rate=0, accounts=("empty:pw",)) as emu:
        quiet = await post(emu, "get", "login=empty&psw=pw&fmt=3&get_messages=1&cnt=10")
        assert quiet.json() == {"error": "messages not found", "error_code": 3}
        nobody = await post(emu, "get", official("get_messages=1&phone=79999999999", fmt=3))
        assert nobody.json()["error_code"] == 3
        past = await post(emu, "get", official("get_messages=1&prev_id=1", fmt=3))
        assert past.json()["error_code"] == 3
        some = await post(emu, "get", official("get_messages=1&cnt=5", fmt=3))
        assert len(some.json()) == 5


async def test_history_empty_list_switch(make_emulator):
    async with make_emulator(seed=1, messages=5, rate=0, history_empty_list=True) as emu:
        r = await post(emu, "get", official("get_messages=1&phone=79999999999", fmt=3))
        assert r.json() == []
