"""A full disk under a running receiver: acknowledged pushes survive failed checkpoints, a push
that cannot be journaled gets 503 (the gateway retries), the health line says so, and all
recovers when space returns."""

from __future__ import annotations

import errno
import time
from urllib.parse import urlencode

import httpx

from smstui.clock import SystemClock
from smstui.config import Account, Config
from smstui.errors import StoreError
from smstui.model import Provider
from smstui.poller import Engine
from smstui.secrets import Secret
from smstui.store import Store, journal, partitions
from smstui.ui.widgets.health_line import health_text
from smstui.webhook.options import ReceiverOptions
from smstui.webhook.server import WebhookReceiver
from smstui.webhook.signature import smsc_hash

SECRET = "disk-full-secret"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def push(mid: str) -> bytes:
    phone = f"7916{int(mid):07d}"
    fields = {"id": mid, "phone": phone, "status": "1", "err": "0", "ts": str(int(time.time())),
              "md5": smsc_hash("md5", [mid, phone, "1"], SECRET)}  # fmt: skip
    return urlencode(fields).encode()


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


async def test_full_disk_loses_nothing_says_so_and_recovers(tmp_path, monkeypatch):
    account = Account(name="main", provider=Provider.SMSC, base_url="http://127.0.0.1:9",
                      login="demo", password=Secret("pw"))  # fmt: skip
    config = Config(accounts=(account,), cache_dir=tmp_path / "cache")
    store = Store.open(config.cache_dir, clock=SystemClock())
    engine = Engine(config, store)
    options = ReceiverOptions(smsc_secret=Secret(SECRET), accounts={"main": Provider.SMSC})
    receiver = WebhookReceiver(options, engine.ingest)
    await receiver.start()
    url = f"{receiver.url}/smsc"
    acked: list[str] = []
    try:
        async with httpx.AsyncClient() as http:
            # Checkpoints hit a full disk: pushes are still acknowledged (the journal has room).
            real_write = partitions.write_atomic

            def full(path, payload, **kw):
                raise StoreError(f"cannot write {path}: No space left on device")

            monkeypatch.setattr(partitions, "write_atomic", full)
            for i in range(20):
                r = await http.post(url, content=push(str(1000 + i)), headers=FORM)
                assert r.status_code == 200
                acked.append(str(1000 + i))
            assert not await store.checkpoint_async(force=True)
            problem = engine.health().cache_problem
            assert "checkpoint failed" in problem and "No space left" in problem
            assert "CACHE: cache checkpoint failed" in health_text(engine.health(), time.time())

            # Now the journal cannot grow either: no acknowledgement, a 503 to retry later.
            monkeypatch.setattr(journal, "_write_all", no_space)
            r = await http.post(url, content=push("2000"), headers=FORM)
            assert r.status_code == 503
            assert "journal" in engine.health().cache_problem
            assert store.get(("main", "2000", "79160002000")) is None  # nothing half-applied

            # Space returns: the retried push is taken, the next checkpoint clears the line.
            monkeypatch.undo()
            assert partitions.write_atomic is real_write
            r = await http.post(url, content=push("2000"), headers=FORM)
            assert r.status_code == 200
            acked.append("2000")
            assert await store.checkpoint_async(force=True)
            assert engine.health().cache_problem == ""
    finally:
        await receiver.stop()
        await engine.aclose()
        store.close()
    with Store.open(config.cache_dir, readonly=True) as again:
        for mid in acked:
            m = again.get(("main", mid, f"7916{int(mid):07d}"))
            assert m is not None and m.state.value == "delivered", mid
