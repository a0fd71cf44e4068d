"""Pilot: exporting from the demo (password "demo", accounts "demo-…") keeps the account names."""

from __future__ import annotations

import asyncio
import csv

import pytest

from smstui.cli import build_parser
from smstui.commands.demo import build_demo

pytestmark = pytest.mark.slow


async def test_export_from_the_dashboard_keeps_account_names(tmp_path):
    out = tmp_path / "exports"
    args = build_parser().parse_args(
        ["demo", "--messages", "100", "--rate", "600", "--speed", "5", "--export-dir", str(out)]
    )
    app, store, _ = build_demo(args)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(300):
                if len({m.account for m in store.messages_sorted()}) >= 2:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause()
            await pilot.press("e")
            for _ in range(200):  # the export runs as a worker
                if list(out.glob("export-*.csv")):
                    break
                await asyncio.sleep(0.05)
            await pilot.press("q")
    finally:
        store.close()
    (path,) = out.glob("export-*.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        accounts = {row["account"] for row in csv.DictReader(fh)}
    assert accounts == {"demo-smsc", "demo-webcom"}  # not "***-webcom": "demo" is the password
