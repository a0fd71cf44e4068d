"""Arbitrary bytes and arbitrary JSON through every client operation: only typed errors escape."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import GatewayError, SmstuiError
from smstui.gateways.base import ENDPOINTS, UnsupportedOperation, make_gateway
from smstui.model import Provider
from smstui.secrets import Secret

ACCOUNTS = {
    "smsc": Account(
        name="s",
        provider=Provider.SMSC,
        base_url="https://smsc.test",
        login="u",
        password=Secret("fuzz-secret-1"),
        timeout_s=1.0,
    ),
    "webcom": Account(
        name="w",
        provider=Provider.WEBCOM,
        base_url="https://wc.test",
        login="u",
        password=Secret("fuzz-secret-2"),
        timeout_s=1.0,
    ),
}
OPERATIONS = {
    "balance": lambda g: g.balance(),
    "history": lambda g: g.history(limit=10),
    "statuses": lambda g: g.statuses([("101", "79990000001"), ("102", "79990000002")]),
    "status": lambda g: g.status("101", "79990000001"),
    "send": lambda g: g.send("79990000001", "text"),
    "lookup": lambda g: g.lookup("79990000001"),
    "hlr": lambda g: g.lookup("79990000001", hlr=True),
    "incoming": lambda g: g.incoming(hours=1),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "id_sms",
                    "status",
                    "state",
                    "phone",
                    "balance",
                    "money",
                    "cost",
                    "error",
                    "error_code",
                    "information",
                    "err",
                    "last_date",
                    "int_id",
                    "send_timestamp",
                    "received",
                    "num_parts",
                    "price",
                    "cnt",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=12,
)


def run_all(body: bytes, status: int) -> None:
    """Every operation of both providers against a server that always answers `body`."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    async def go() -> None:
        for provider, account in ACCOUNTS.items():
            gw = make_gateway(
                account, clock=FakeClock(), transport=httpx.MockTransport(handler), retries=0
            )
            try:
                for name, op in OPERATIONS.items():
                    try:
                        await op(gw)
                    except UnsupportedOperation:
                        assert provider == "webcom" and name in ("history", "hlr")
                    except SmstuiError as err:
                        assert isinstance(err, GatewayError), (provider, name, err)
                        assert "fuzz-secret" not in str(err)
            finally:
                await gw.aclose()
            assert set(gw.requests_made) <= set(ENDPOINTS)

    asyncio.run(go())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.sampled_from([200, 400, 500]))
def test_arbitrary_bytes_only_typed_errors(body, status):
    run_all(body, status)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.sampled_from([200, 400]))
def test_arbitrary_json_only_typed_errors(value, status):
    run_all(json.dumps(value, ensure_ascii=False).encode(), status)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["state", "sms", "phone", "error", "information"]),
            st.text(max_size=8),
            st.text(max_size=8),
        ),
        max_size=4,
    )
)
def test_arbitrary_xml_only_typed_errors(elements):
    from xml.sax.saxutils import escape, quoteattr

    inner = "".join(
        f"<{tag} id_sms={quoteattr(attr)} time={quoteattr(attr)}>{escape(text)}</{tag}>"
        for tag, attr, text in elements
    )
    run_all(f"<response>{inner}</response>".encode(), 200)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_xml_and_state_word_parsers_on_arbitrary_bytes(body):
    from smstui.gateways import webcom_parse as wp

    try:
        root = wp.load_xml(body, account="w")
    except GatewayError:
        return
    for parse in (wp.states_from_xml, wp.numbers_from_xml):
        with contextlib.suppress(GatewayError):
            parse(root)
    with contextlib.suppress(GatewayError):
        wp.incoming_from_xml(root, account="w")
    word = wp.parse_state_word(body)
    assert word is None or word in {
        "send",
        "deliver",
        "read",
        "not_deliver",
        "expired",
        "partly_deliver",
    }
