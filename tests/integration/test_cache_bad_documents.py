"""A cache with one undecodable message document still serves the CLI, and poll still runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_run import run_in_process as run
from smstui.store.rejects import REJECTS_NAME, read_rejects


@pytest.fixture
async def emu(make_emulator):
    async with make_emulator(seed=1, messages=30, rate=0) as emulator:
        yield emulator


def write_config(path: Path, base_url: str) -> str:
    path.write_text(
        f'[cache]\ndir = "{path.parent / "cache"}"\n\n[[accounts]]\nname = "smsc"\n'
        f'provider = "smsc"\nbase_url = "{base_url}"\nlogin = "demo"\npassword = "demo"\n'
        f"timeout = 3\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


def corrupt_one(cache: Path) -> tuple[str, str, dict]:
    """Flip one character of one message's state; the partition file stays valid JSON."""
    path = sorted((cache / "partitions").rglob("*.json"))[0]
    data = json.loads(path.read_bytes())
    doc = next(iter(data["messages"].values()))
    doc["state"] = doc.get("state", "unknown")[:-1] + "#"
    path.write_text(json.dumps(data), encoding="utf-8")
    part = f"{path.parent.name}/{path.stem}"
    return part, doc["message_id"], doc


async def test_history_and_poll_go_on_and_the_document_is_kept(
    capsys, caplog, tmp_path, emu
) -> None:
    config = write_config(tmp_path / "config.toml", emu.base_url)
    for i in range(3):  # each send is journaled and cached before it prints "sent"
        code, _, err = await run(capsys, "send", f"7916123456{i}", f"hi {i}", "--yes",
                                 "--config", config)  # fmt: skip
        assert code == 0, err
    code, _, err = await run(capsys, "poll", "--once", "--config", config)  # checkpoints
    assert code == 0, err
    code, out, _ = await run(capsys, "history", "--cached", "--json", "--config", config)
    before = {(r["message_id"], r["phone"]) for r in json.loads(out)}
    assert len(before) == 3

    part, mid, bad = corrupt_one(tmp_path / "cache")
    code, out, err = await run(capsys, "history", "--cached", "--json", "--config", config)
    assert code == 0, err
    rows = {(r["message_id"], r["phone"]) for r in json.loads(out)}
    assert rows == before - {(mid, bad["phone"])}  # every other message is served
    assert not (tmp_path / "cache" / REJECTS_NAME).exists()  # a reader only reports

    code, _, err = await run(capsys, "poll", "--once", "--config", config)
    assert code == 0, err  # the writer opens the cache and polls on
    said = f"1 message document of partition {part} set aside in {REJECTS_NAME}"
    assert said in caplog.text and "is no delivery state" in caplog.text
    (kept,) = read_rejects(tmp_path / "cache" / REJECTS_NAME)
    assert kept["partition"] == part and kept["doc"] == bad and "#" in str(kept["reason"])
    code, out, _ = await run(capsys, "history", "--cached", "--json", "--config", config)
    assert code == 0 and {(r["message_id"], r["phone"]) for r in json.loads(out)} >= rows
