"""Shared httpx plumbing: timeouts, read-only retries with jittered backoff, host failover,
masked logging and the mapping of every httpx failure onto smstui's typed errors."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from smstui.clock import Clock, SystemClock
from smstui.config import Account
from smstui.errors import (
    BadPayload,
    GatewayError,
    GatewayTimeout,
    NotSent,
    RateLimited,
    TransportError,
)
from smstui.secrets import mask_text

log = logging.getLogger("smstui.gateways")


class _MaskCredentials(logging.Filter):
    """httpx logs every request URL at INFO, and SMSC GET URLs carry psw/apikey: mask them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


for _name in ("httpx", "httpcore"):
    if not any(isinstance(f, _MaskCredentials) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_MaskCredentials())

OnRequest = Callable[[str], None]
RETRIES = 2  # a read is tried at most 1 + RETRIES times
BACKOFF_S = 0.5  # first retry waits ~0.5 s (jittered), then ~1 s
MAX_CONNECTIONS = 4  # SMSC: stay under its 5 concurrent status requests per login
# The largest reply ever read: a full 1000-message history page is well under 1 MB, so 16 MB is
# generous; anything bigger is a broken or hostile server and must not be held in memory.
MAX_REPLY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer reduced to what the parsers need."""

    status: int
    body: bytes
    content_type: str
    url: str  # masked, for messages


class HttpCore:
    """One httpx.AsyncClient per account, with the request accounting the poller reads."""

    def __init__(
        self,
        account: Account,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: OnRequest | None = None,
        retries: int = RETRIES,
        rng: random.Random | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.account = account
        self.max_reply_bytes = max_reply_bytes
        self.provider = account.provider.value
        self.clock = clock or SystemClock()
        self.requests_made: Counter[str] = Counter()
        self.on_request = on_request
        self.retries = retries
        self._rng = rng or random.Random()
        self._secrets = account.secrets()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(account.timeout_s),
            transport=transport,
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
            headers={"User-Agent": "smstui"},
            follow_redirects=False,
        )

    @property
    def hosts(self) -> tuple[str, ...]:
        """The primary base URL followed by the configured backups (SMSC www2…)."""
        return (self.account.base_url, *self.account.backup_urls)

    def mask(self, text: str) -> str:
        """Text with this account's secrets and credential parameters masked."""
        return mask_text(text, self._secrets)

    async def request(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        read: bool,
        retries: int | None = None,
    ) -> Reply:
        """Send one logical request; reads are retried (with failover) on transport errors.

        A send is never retried once it may have reached the gateway: a second copy would cost
        money. Only a refused connection (nothing was sent) moves a send to the backup host.
        """
        attempts = 1 + (self.retries if retries is None else retries) if read else 1
        hosts = self.hosts
        host = 0
        attempt = 0
        reached = False  # whether any attempt may have reached a gateway (then it is spent)
        while True:
            try:
                reply = await self._once(
                    endpoint, method, hosts[host] + path, params, data, content, headers
                )
            except _NotSent as err:
                last: GatewayError = err.error
                if not read and host + 1 < len(hosts):
                    host += 1  # nothing left this machine: the backup host is safe even for a send
                    continue
            except TransportError as err:
                last, reached = err, True
            else:
                reached = True
                if not read or reply.status < 500 or attempt + 1 >= attempts:
                    return reply  # the parser says what a final 5xx body was
                last = BadPayload(
                    f"{self.provider}: HTTP {reply.status} from {reply.url}",
                    provider=self.provider,
                    account=self.account.name,
                )
            attempt += 1
            if attempt >= attempts:
                if reached and isinstance(last, NotSent):  # an earlier attempt got through
                    raise TransportError(
                        str(last), provider=last.provider, account=last.account
                    ) from last
                raise last
            host = min(host + 1, len(hosts) - 1)  # reads fail over to the next backup host
            delay = BACKOFF_S * (2 ** (attempt - 1)) * (0.5 + self._rng.random())
            log.debug(
                "%s: retry %d of %s in %.2fs after: %s",
                self.provider,
                attempt,
                endpoint,
                delay,
                last,
            )
            await self.clock.sleep(delay)

    async def _once(
        self,
        endpoint: str,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> Reply:
        """One HTTP exchange, counted and logged, with httpx errors mapped at the boundary."""
        if self.on_request is not None:
            self.on_request(endpoint)  # the poller's budget hook may raise to refuse
        self.requests_made[endpoint] += 1
        request_url = httpx.URL(url, params=dict(params) if params else None)
        shown = self.mask(str(request_url))
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.account.timeout_s * 1.5):
                outgoing = self._client.build_request(
                    method,
                    request_url,
                    data=dict(data) if data else None,
                    content=content,
                    headers=headers,
                )
                response = await self._client.send(outgoing, stream=True)
                try:
                    body = await self._read_capped(response, endpoint)
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as err:
            log.debug("%s %s → timeout after %.2fs", method, shown, time.monotonic() - started)
            raise GatewayTimeout(
                f"{self.provider}: no answer within {self.account.timeout_s:g} s ({endpoint})",
                provider=self.provider,
                account=self.account.name,
            ) from err
        except httpx.ConnectError as err:
            error = self._transport_error(endpoint, err, NotSent)
            error.__cause__ = err  # keep the chain when request() re-raises it later
            raise _NotSent(error) from err
        except httpx.DecodingError as err:
            raise BadPayload(
                f"{self.provider}: undecodable reply ({endpoint}): {self.mask(str(err))}",
                provider=self.provider,
                account=self.account.name,
            ) from err
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as err:
            raise self._transport_error(endpoint, err) from err
        log.debug(
            "%s %s → HTTP %d, %d bytes in %.2fs",
            method,
            shown,
            response.status_code,
            len(body),
            time.monotonic() - started,
        )
        if response.status_code in (429, 503):
            wait = retry_after_s(response.headers.get("retry-after"), self.clock.now())
            if wait is not None:  # the gateway said when: honoured through the budget, no retry
                raise _asked_to_wait(self, endpoint, response.status_code, wait)
        return Reply(response.status_code, body, response.headers.get("content-type", ""), shown)

    async def _read_capped(self, response: httpx.Response, endpoint: str) -> bytes:
        """The (decoded) body, refused with BadPayload as soon as it passes max_reply_bytes."""
        cap = self.max_reply_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(endpoint, f"{int(declared)} bytes announced")
        chunks: list[bytes] = []
        size = 0
        # Counted after decompression, so a small gzip bomb is stopped as early as a big body.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(endpoint, f"more than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, endpoint: str, seen: str) -> BadPayload:
        return BadPayload(
            f"{self.provider}: reply too large ({seen}, limit {self.max_reply_bytes} bytes) "
            f"from {endpoint}; not read",
            provider=self.provider,
            account=self.account.name,
        )

    def _transport_error(
        self, endpoint: str, err: BaseException, kind: type[TransportError] = TransportError
    ) -> TransportError:
        detail = self.mask(str(err)) or type(err).__name__
        return kind(
            f"{self.provider}: network error ({endpoint}): {detail}",
            provider=self.provider,
            account=self.account.name,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


class _NotSent(Exception):
    """The connection was refused: the request never left, so even a send may fail over."""

    def __init__(self, error: TransportError) -> None:
        self.error = error
        super().__init__(str(error))


class AccountClient:
    """What both providers' clients share: the account, its HttpCore and the request counts."""

    def __init__(
        self,
        account: Account,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_request: OnRequest | None = None,
        retries: int = RETRIES,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.account = account
        self._http = HttpCore(
            account,
            clock=clock,
            transport=transport,
            on_request=on_request,
            retries=retries,
            max_reply_bytes=max_reply_bytes,
        )
        self.requests_made = self._http.requests_made

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(account={self.account.name!r}, base_url={self.account.base_url!r})"


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None if absent
    or unreadable."""
    text = (value or "").strip()
    if text.isdigit() and text.isascii():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now) if text else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _asked_to_wait(core: HttpCore, endpoint: str, status: int, wait: float) -> GatewayError:
    """HTTP 429 is a rate limit, 503 an unavailable gateway; both carry the wait asked for."""
    text = f"{core.provider}: HTTP {status} ({endpoint}); the gateway asks to wait {wait:.0f} s"
    cls = RateLimited if status == 429 else BadPayload
    err = cls(text, provider=core.provider, account=core.account.name)
    err.retry_after = wait
    return err
