"""No password, API key or token in any exception, repr or log line — even when the gateway
or the network echoes them back."""

from __future__ import annotations

import logging

import httpx
import pytest

from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import SmstuiError
from smstui.gateways.base import make_gateway
from smstui.model import Provider
from smstui.secrets import Secret

SECRETS = {"password": "S3cr3t-Pass-0001", "apikey": "S3cr3t-Key-0002", "token": "S3cr3t-Tok-0003"}
ACCOUNTS = [
    Account(
        name="s1",
        provider=Provider.SMSC,
        base_url="https://smsc.test",
        login="u",
        password=Secret(SECRETS["password"]),
        backup_urls=("https://www2.smsc.test",),
    ),
    Account(
        name="s2",
        provider=Provider.SMSC,
        base_url="https://smsc.test",
        apikey=Secret(SECRETS["apikey"]),
    ),
    Account(
        name="w1",
        provider=Provider.WEBCOM,
        base_url="https://wc.test",
        login="u",
        password=Secret(SECRETS["password"]),
    ),
    Account(
        name="w2",
        provider=Provider.WEBCOM,
        base_url="https://wc.test",
        token=Secret(SECRETS["token"]),
    ),
]


def echo_everything(request: httpx.Request) -> str:
    """What a hostile or buggy server might say: our own request, secrets included."""
    return f"{request.url} {request.content.decode('utf-8', 'replace')}"


def auth_failure(request: httpx.Request) -> httpx.Response:
    echoed = echo_everything(request)
    if request.url.path.startswith("/xml"):
        return httpx.Response(400, content=f"<response><error>{echoed}</error></response>".encode())
    return httpx.Response(200, json={"error": f"bad credentials: {echoed}", "error_code": 2})


def html_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(502, content=f"<html>{echo_everything(request)}</html>".encode())


def connect_refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout(f"timed out reading {request.url}", request=request)


def garbage(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=f"{{truncated {echo_everything(request)}".encode())


OPERATIONS = [
    lambda g: g.balance(),
    lambda g: g.statuses([("1", "79990000001"), ("2", "79990000002")]),
    lambda g: g.status("1", "79990000001"),
    lambda g: g.send("79990000001", "hello"),
    lambda g: g.lookup("79990000001"),
    lambda g: g.incoming(),
]


@pytest.mark.parametrize("handler", [auth_failure, html_page, connect_refused, timeout, garbage])
@pytest.mark.parametrize("account", ACCOUNTS, ids=lambda a: a.name)
async def test_no_secret_in_errors_reprs_or_debug_logs(account, handler, caplog):
    caplog.set_level(logging.DEBUG)
    gw = make_gateway(account, clock=FakeClock(), transport=httpx.MockTransport(handler))
    texts = [repr(gw), str(gw), repr(account)]
    for op in OPERATIONS:
        with pytest.raises(SmstuiError) as info:
            await op(gw)
        err = info.value
        texts += [str(err), repr(err), *map(str, err.args), getattr(err, "text", "")]
        texts.append(getattr(err, "explanation", ""))
    await gw.aclose()
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records, "debug logging should show the (masked) requests"
    blob = "\n".join(texts)
    for secret in SECRETS.values():
        assert secret not in blob
    assert "***" in blob  # the masked credential is visible as such


async def test_logged_urls_are_masked_but_useful(caplog):
    caplog.set_level(logging.DEBUG, logger="smstui.gateways")

    def ok(request):
        return httpx.Response(200, json={"balance": "1.00"})

    gw = make_gateway(ACCOUNTS[0], clock=FakeClock(), transport=httpx.MockTransport(ok))
    await gw.balance()
    await gw.aclose()
    [line] = [r.getMessage() for r in caplog.records]
    assert "/sys/balance.php" in line and "login=u" in line and "psw=***" in line
    assert "HTTP 200" in line
