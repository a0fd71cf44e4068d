"""Documented SMSC limits: the (N+1)-th request in the window is refused, windows slide."""

from __future__ import annotations

import httpx

AUTH = {"login": "demo", "psw": "demo", "fmt": 3, "charset": "utf-8"}


async def codes(client: httpx.AsyncClient, path: str, n: int, **params: object) -> list[int]:
    """error_code of n identical requests (0 = success)."""
    out = []
    for _ in range(n):
        body = (await client.get(path, params={**AUTH, **params})).json()
        out.append(body.get("error_code", 0) if isinstance(body, dict) else 0)
    return out


async def test_status_same_message_5_per_minute_and_window_slides(emulator):
    row = next(r for r in emulator.truth() if r["provider"] == "smsc")
    q = {"id": row["id"], "phone": row["phone"]}
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        assert await codes(client, "/sys/status.php", 6, **q) == [0, 0, 0, 0, 0, 9]
        emulator.clock.advance(30)
        assert await codes(client, "/sys/status.php", 1, **q) == [9]
        emulator.clock.advance(31)  # 61 s after the first: the window slid past it
        assert await codes(client, "/sys/status.php", 1, **q) == [0]
        other = {"id": 1, "phone": "79161234567"}  # another message has its own window
        assert await codes(client, "/sys/status.php", 1, **other) == [3]  # unknown, not limited
    assert emulator.stats()["limit_errors"] == {"smsc.9": 2}


async def test_mass_status_once_per_minute(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        assert await codes(
            client, "/sys/status.php", 2, id="1,2", phone="79161234567,79161234567"
        ) == [0, 9]
        emulator.clock.advance(60)
        assert await codes(client, "/sys/status.php", 1, id="3,", phone="79161234567,") == [0]


async def test_balance_10_per_minute(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        assert await codes(client, "/sys/balance.php", 11) == [0] * 10 + [9]
        emulator.clock.advance(60)
        assert await codes(client, "/sys/balance.php", 1) == [0]


async def test_history_3_identical_per_minute_and_30_per_hour(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        assert await codes(client, "/sys/get.php", 4, get_messages=1) == [0, 0, 0, 9]
        got = []
        for i in range(27):  # different requests: only the hourly rule applies
            got += await codes(client, "/sys/get.php", 1, get_messages=1, cnt=i + 1)
        assert got == [0] * 27  # 3 + 27 = 30 accepted this hour
        assert await codes(client, "/sys/get.php", 1, get_messages=1, cnt=500) == [9]
        emulator.clock.advance(3600)
        assert await codes(client, "/sys/get.php", 1, get_messages=1, cnt=500) == [0]


async def test_operator_3_identical_and_answers_3_identical(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        op = {"get_operator": 1, "phone": "79161234567"}
        assert await codes(client, "/sys/info.php", 4, **op) == [0, 0, 0, 9]
        assert await codes(client, "/sys/get.php", 4, get_answers=1) == [0, 0, 0, 9]


async def test_operator_100_any_per_minute(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        got = []
        for i in range(101):
            got += await codes(client, "/sys/info.php", 1, get_operator=1, phone=f"7916{i:07d}")
    assert got == [0] * 100 + [9]


async def test_duplicate_send_and_cost_1_limit(emulator):
    send = {"phones": "79161234567", "mes": "Hello"}
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        assert await codes(client, "/sys/send.php", 2, **send) == [0, 9]
        assert await codes(client, "/sys/send.php", 1, **send, id=2) == [0]  # a resend differs
        assert await codes(client, "/sys/send.php", 6, **send, cost=1) == [0] * 5 + [9]
        emulator.clock.advance(60)
        assert await codes(client, "/sys/send.php", 1, **send) == [0]


async def test_five_auth_failures_block_ip_for_30_minutes(emulator):
    bad = {"login": "demo", "psw": "nope", "fmt": 3}
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        for _ in range(5):
            r = await client.get("/sys/balance.php", params=bad)
            assert r.json()["error_code"] == 2
        assert await codes(client, "/sys/balance.php", 1) == [4]  # right password, blocked IP
        emulator.clock.advance(29 * 60)
        assert await codes(client, "/sys/balance.php", 1) == [4]
        emulator.clock.advance(61)
        assert await codes(client, "/sys/balance.php", 1) == [0]


async def test_auth_failures_outside_30_minutes_do_not_block(emulator):
    bad = {"login": "demo", "psw": "nope", "fmt": 3}
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        for _ in range(4):
            await client.get("/sys/balance.php", params=bad)
        emulator.clock.advance(31 * 60)
        await client.get("/sys/balance.php", params=bad)
        assert await codes(client, "/sys/balance.php", 1) == [0]


async def test_archive_job_hides_old_final_statuses(make_emulator):
    async with make_emulator(seed=3, messages=40, rate=0) as emu:
        row = next(r for r in emu.truth() if r["provider"] == "smsc" and r["final"])
        q = {**AUTH, "id": row["id"], "phone": row["phone"]}
        async with httpx.AsyncClient(base_url=emu.base_url) as client:
            assert (await client.get("/sys/status.php", params=q)).json()["status"] >= 0
            emu.clock.advance(16 * 3600)  # 2025-11-22 04:00 MSK: the 03:00 job has run
            # Archived = unknown to status.php: error 3 for a single request, −3 in a list.
            assert (await client.get("/sys/status.php", params=q)).json()["error_code"] == 3
            listed = {**q, "id": f"{row['id']},", "phone": f"{row['phone']},"}
            assert (await client.get("/sys/status.php", params=listed)).json()[0]["status"] == -3
            hist = (
                await client.get("/sys/get.php", params={**AUTH, "get_messages": 1, "cnt": 1000})
            ).json()
        assert any(h["int_id"] == row["int_id"] and h["status"] >= 0 for h in hist)


async def bad_sends(client: httpx.AsyncClient, n: int, tag: str) -> list[int]:
    """n send requests with unparseable numbers, each one different (no duplicate rule)."""
    got = []
    for i in range(n):
        got += await codes(client, "/sys/send.php", 1, phones=f"x{tag}{i}", mes="Hi")
    return got


async def test_100_erroneous_sends_in_a_row_block_ip_for_10_minutes(make_emulator):
    async with (
        make_emulator(seed=1, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        assert await bad_sends(client, 100, "a") == [7] * 100  # the 100th is still answered
        assert await codes(client, "/sys/balance.php", 1) == [4]  # every endpoint, this IP
        assert await codes(client, "/sys/send.php", 1, phones="79161234567", mes="ok") == [4]
        emu.clock.advance(9 * 60)
        assert await codes(client, "/sys/balance.php", 1) == [4]
        emu.clock.advance(61)
        assert await codes(client, "/sys/balance.php", 1) == [0]
        assert await bad_sends(client, 1, "b") == [7]  # the streak started afresh
        assert await codes(client, "/sys/balance.php", 1) == [0]
    assert emu.stats()["limit_errors"]["smsc.4"] == 3


async def test_a_good_send_or_ten_minutes_break_the_error_streak(make_emulator):
    async with (
        make_emulator(seed=1, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        await bad_sends(client, 99, "a")
        assert await codes(client, "/sys/send.php", 1, phones="79161234567", mes="ok") == [0]
        await bad_sends(client, 99, "b")
        assert await codes(client, "/sys/balance.php", 1) == [0]  # 99 + 99, not 100 in a row
        emu.clock.advance(10 * 60)  # the 99 errors of the second streak fall out of the window
        await bad_sends(client, 1, "c")
        assert await codes(client, "/sys/balance.php", 1) == [0]
