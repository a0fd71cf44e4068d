"""`smstui demo`: complete Webcom rows (the demo's ledger) and exports that outlive the demo."""

from __future__ import annotations

import asyncio

import pytest

from smstui.cli import build_parser
from smstui.commands.demo import build_demo, demo_export_dir
from smstui.model import Provider

pytestmark = pytest.mark.slow


def demo_args(*extra: str):
    return build_parser().parse_args(
        ["demo", "--messages", "100", "--rate", "600", "--speed", "5", *extra]
    )


async def test_demo_webcom_rows_have_phone_text_and_send_time(tmp_path):
    args = demo_args("--cache-dir", str(tmp_path / "cache"))
    app, store, _ = build_demo(args)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(300):
                webcom = [m for m in store.messages_sorted() if m.provider is Provider.WEBCOM]
                if len(webcom) >= 10:
                    break
                await asyncio.sleep(0.05)
            assert len(webcom) >= 10
            # Every Webcom row says who it went to, what it said and when: none is a bare
            # push (id and state only), and no two rows share one id (a push found its row).
            assert all(m.phone and m.text and m.sent_at for m in webcom), webcom[:3]
            ids = [m.message_id for m in webcom]
            assert len(ids) == len(set(ids))
            await pilot.press("q")
    finally:
        store.close()


def test_demo_exports_never_go_into_the_temporary_cache(tmp_path, monkeypatch):
    monkeypatch.setattr("platformdirs.user_data_path", lambda name: tmp_path / "data" / name)
    assert demo_export_dir(demo_args()) == tmp_path / "data" / "smstui" / "demo-exports"
    assert demo_export_dir(demo_args("--cache-dir", str(tmp_path))) == tmp_path / "exports"
    assert demo_export_dir(demo_args("--export-dir", str(tmp_path / "out"))) == tmp_path / "out"


async def test_demo_export_is_kept_after_quit_and_the_toast_says_where(tmp_path, monkeypatch):
    out = tmp_path / "exports"
    args = demo_args("--export-dir", str(out))
    app, store, cache_dir = build_demo(args)
    toasts: list[str] = []
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            monkeypatch.setattr(app, "notify", lambda text, **kw: toasts.append(str(text)))
            for _ in range(300):
                if len(store) >= 20:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause()
            await pilot.press("e")
            for _ in range(200):  # the export runs as a worker; the toast follows the file
                if any("Exported" in t for t in toasts):
                    break
                await asyncio.sleep(0.05)
            await pilot.press("q")
    finally:
        store.close()
    files = list(out.glob("export-*.csv"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert not files[0].is_relative_to(cache_dir)
    assert any(str(files[0]) in t for t in toasts), toasts
