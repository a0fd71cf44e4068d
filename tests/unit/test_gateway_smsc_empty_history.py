"""SMSC get_messages error 3 ("messages not found") is an empty history page, not a failure."""

from __future__ import annotations

import httpx
import pytest

from smstui.config import Account
from smstui.errors import ApiError, AuthError
from smstui.gateways.base import make_gateway
from smstui.model import Provider
from smstui.secrets import Secret


def account() -> Account:
    return Account(
        name="main",
        provider=Provider.SMSC,
        base_url="https://smsc.test",
        login="user",
        password=Secret("Pa55-hist-SECRET"),
        timeout_s=1.0,
    )


def gateway_answering(body: dict):
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, json=body)

    return make_gateway(account(), transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"phone": "+7 999 999-99-99"}, {"before": "5566778899"}, {"since": 1_763_700_000.0}],
    ids=["no messages", "phone without match", "past the oldest", "since"],
)
async def test_error_3_on_get_messages_is_an_empty_last_page(kwargs):
    gateway, seen = gateway_answering({"error": "messages not found", "error_code": 3})
    page = await gateway.history(**kwargs)
    assert page.messages == [] and page.next_before is None
    assert len(seen) == 1 and "get_messages" in seen[0]  # one request, no retry
    await gateway.aclose()


async def test_other_history_errors_still_raise():
    gateway, _ = gateway_answering({"error": "authorise error", "error_code": 2})
    with pytest.raises(AuthError):
        await gateway.history()
    gateway, _ = gateway_answering({"error": "parameters error", "error_code": 1})
    with pytest.raises(ApiError) as caught:
        await gateway.history()
    assert caught.value.code == 1
    await gateway.aclose()


async def test_error_3_elsewhere_keeps_its_own_meaning():
    gateway, _ = gateway_answering({"error": "no money", "error_code": 3})
    with pytest.raises(ApiError) as caught:  # on send, 3 is "not enough money"
        await gateway.send("79161234567", "hi")
    assert caught.value.code == 3
    await gateway.aclose()
