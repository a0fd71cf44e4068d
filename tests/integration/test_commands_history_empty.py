"""`smstui history --json` against an SMSC that answers get_messages with error 3: exit 0, `[]`."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from cli_run import run_in_process

SECRET = "Emp7y-Hist0ry-Pw"


def config(tmp_path, base_url: str, login: str) -> str:
    path = tmp_path / f"{login}.toml"
    path.write_text(
        f'[cache]\ndir = "{tmp_path}"\n\n'
        f'[[accounts]]\nname = "{login}"\nprovider = "smsc"\nbase_url = "{base_url}"\n'
        f'login = "{login}"\npassword = "{SECRET}"\ntimeout = 3\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def cli(capsys):
    async def run(*argv: str) -> tuple[int, str, str]:
        return await run_in_process(capsys, *argv, hidden=(SECRET,))

    return run


async def test_fake_smsc_error_3_prints_an_empty_json_list(cli, tmp_path):
    asked: list[dict] = []

    async def get_php(request: web.Request) -> web.Response:
        asked.append(dict(request.query))
        return web.json_response({"error": "messages not found", "error_code": 3})

    app = web.Application()
    app.router.add_get("/sys/get.php", get_php)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}"
        code, out, err = await cli("history", "--json", "--config", config(tmp_path, url, "u"))
    finally:
        await runner.cleanup()
    assert (code, json.loads(out), err) == (0, [], "")
    assert len(asked) == 1 and "get_messages" in asked[0]


@pytest.mark.parametrize("empty_list", [False, True], ids=["error 3 (real)", "[] switch"])
async def test_emulator_account_without_messages(cli, tmp_path, make_emulator, empty_list):
    async with make_emulator(
        seed=1, messages=20, accounts=(f"quiet:{SECRET}", f"demo:{SECRET}"),
        history_empty_list=empty_list,
    ) as emu:  # fmt: skip
        code, out, _ = await cli(
            "history", "--json", "--config", config(tmp_path, emu.base_url, "quiet")
        )
        assert (code, json.loads(out)) == (0, [])
        code, out, _ = await cli(
            "history", "--json", "--phone", "79999999999",
            "--config", config(tmp_path, emu.base_url, "demo"),
        )  # fmt: skip
        assert (code, json.loads(out)) == (0, [])
        code, out, _ = await cli(
            "history", "--json", "--limit", "3", "--config", config(tmp_path, emu.base_url, "demo")
        )
        assert code == 0 and len(json.loads(out)) == 3
        errors = emu.stats()["errors"]
        assert errors.get("smsc.3", 0) == (0 if empty_list else 2)
