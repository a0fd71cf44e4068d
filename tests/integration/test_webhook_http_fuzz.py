"""Hypothesis over HTTP: random bodies, types and paths never crash the receiver (no 5xx)."""

from __future__ import annotations

import asyncio

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smstui.model import Provider
from smstui.secrets import Secret
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.sink import MemorySink

PATHS = st.sampled_from(["/smsc", "/webcom", "/smsc/main", "/webcom/wc", "/smsc?charset=koi8-r",
                         "/smsc?fmt=3&charset=utf-8", "/x"])  # fmt: skip
CTYPES = st.sampled_from(["", "application/json", "text/xml", "application/x-www-form-urlencoded",
                          "text/json; charset=cp1251", "text/xml; charset=nope"])  # fmt: skip
BODIES = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(str.encode),
    st.lists(
        st.fixed_dictionaries(
            {"id_sms": st.one_of(st.integers(), st.text(max_size=8)),
             "time": st.sampled_from(["", "2025-03-01 12:57:46", "bad"]),
             "state": st.sampled_from(["send", "deliver", "read", "", "?"])}
        ),
        max_size=5,
    ).map(lambda items: str(items).replace("'", '"').encode()),
)  # fmt: skip


def test_random_pushes_get_only_client_error_or_success() -> None:
    loop = asyncio.new_event_loop()
    opts = ReceiverOptions(smsc_secret=Secret("k"), accounts={"main": Provider.SMSC,
                           "wc": Provider.WEBCOM})  # fmt: skip
    receiver = WebhookReceiver(opts, sink=MemorySink())
    loop.run_until_complete(receiver.start())
    client = httpx.AsyncClient(timeout=5)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(path=PATHS, body=BODIES, ctype=CTYPES)
    def push(path: str, body: bytes, ctype: str) -> None:
        headers = {"Content-Type": ctype} if ctype else {}
        request = client.post(receiver.url + path, content=body, headers=headers)
        status = loop.run_until_complete(request).status_code
        assert status in (200, 400, 403, 404), status

    try:
        push()
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(receiver.stop())
        loop.close()
    assert receiver.counters["sink_errors"] == 0
