"""The aiohttp push receiver: routes, limits, verification, and answers after the sink accepted."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable

from aiohttp import web

from smstui.clock import Clock, SystemClock
from smstui.model import Provider
from smstui.secrets import mask_text
from smstui.webhook import smsc_push, webcom_push
from smstui.webhook.counters import fresh_counters
from smstui.webhook.errors import ForgedPush, MalformedPush
from smstui.webhook.options import ReceiverOptions
from smstui.webhook.sink import PushSink

__all__ = ["ReceiverOptions", "WebhookReceiver", "run_receiver"]

log = logging.getLogger("smstui.webhook")
_ALLOWED_METHODS = {Provider.SMSC: ("POST", "GET"), Provider.WEBCOM: ("POST",)}


class _NotFound(Exception):
    """The path names no receiver endpoint (or the wrong secret segment)."""


class _BodyTooLarge(Exception):
    """The body exceeds max_body."""


class WebhookReceiver:
    """Listens for SMSC and Webcom pushes and hands verified ones to a sink."""

    def __init__(self, options: ReceiverOptions, sink: PushSink, clock: Clock | None = None):
        self.options = options
        self.sink = sink
        self.clock = clock or SystemClock()
        self.counters: dict[str, int] = fresh_counters()
        self._seen: OrderedDict[Hashable, None] = OrderedDict()
        self._runner: web.AppRunner | None = None
        self._url = ""
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    @property
    def url(self) -> str:
        """Base URL of the running receiver, e.g. `http://127.0.0.1:8080` (no secret segment)."""
        if not self._url:
            raise RuntimeError("receiver is not running")
        return self._url

    def endpoint(self, provider: Provider | str, account: str | None = None) -> str:
        """The full URL a gateway should push to (secret segment and account included)."""
        parts = [self.url]
        if self.options.path_secret:
            parts.append(self.options.path_secret.reveal())
        parts.append(Provider(provider).value)
        if account:
            parts.append(account)
        return "/".join(parts)

    async def start(self) -> None:
        """Bind and serve (no access log: paths may carry the secret segment)."""
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        if self.options.smsc_secret is None and not self.options.allow_unsigned:
            log.warning("no [webhook] smsc_secret configured: SMSC pushes will be refused (403)")
        exposed = self.options.host not in ("127.0.0.1", "::1", "localhost")
        if exposed and self.options.path_secret is None:
            # Webcom signs nothing (webcom.md Q7): the path is the only thing keeping forgers out.
            log.warning("listening on %s without [webhook] path_secret: anyone who reaches it "
                        "can post Webcom statuses", self.options.host)  # fmt: skip

    async def stop(self) -> None:
        """Stop listening; pushes in flight are finished first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._url = ""

    async def __aenter__(self) -> WebhookReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- request handling -------------------------------------------------------------------

    def _masked(self, text: str) -> str:
        return mask_text(text, [self.options.path_secret, self.options.smsc_secret])

    def _refuse(self, status: int, counter: str, reason: str, request: web.Request) -> web.Response:
        """Count, log (throttled under a flood) and answer a refused request."""
        self.counters[counter] += 1
        seen = self.counters[counter]
        if seen <= 20 or seen % 100 == 0:  # the first 20, then every 100th: the log stays readable
            level = logging.WARNING if status == 403 else logging.INFO
            log.log(level, "%s %s from %s: %s (%d so far)", status,
                    self._masked(request.path_qs), request.remote, self._masked(reason),
                    seen)  # fmt: skip
        return web.Response(status=status, text=reason.split(":")[0] + "\n")

    def _route(self, path: str) -> tuple[Provider, str]:
        segments = [s for s in path.split("/") if s]
        secret = self.options.path_secret
        if secret is not None:
            if not segments or not hmac.compare_digest(
                segments[0].encode(), secret.reveal().encode()
            ):
                raise _NotFound("unknown path")
            segments = segments[1:]
        if not 1 <= len(segments) <= 2 or segments[0] not in ("smsc", "webcom"):
            raise _NotFound("unknown path")
        provider = Provider(segments[0])
        account = segments[1] if len(segments) == 2 else self.options.default_account(provider)
        if account is None:
            raise _NotFound(f"no single {provider} account configured: push to /{provider}/<name>")
        if self.options.accounts.get(account) is not provider:
            raise _NotFound(f"no {provider} account named {account!r}")
        return provider, account

    async def _read_body(self, request: web.Request) -> bytes:
        limit = self.options.max_body
        if request.content_length is not None and request.content_length > limit:
            raise _BodyTooLarge
        chunks, size = [], 0
        async with asyncio.timeout(self.options.body_timeout_s):
            async for chunk in request.content.iter_chunked(65536):
                size += len(chunk)
                if size > limit:
                    raise _BodyTooLarge
                chunks.append(chunk)
        return b"".join(chunks)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            provider, account = self._route(request.path)
        except _NotFound as err:
            return self._refuse(404, "not_found_404", f"not found: {err}", request)
        if request.method not in _ALLOWED_METHODS[provider]:
            response = self._refuse(405, "method_405", "method not allowed", request)
            response.headers["Allow"] = ", ".join(_ALLOWED_METHODS[provider])
            return response
        try:
            body = await self._read_body(request)
        except _BodyTooLarge:
            response = self._refuse(413, "too_large_413", "body too large", request)
            response.force_close()  # the rest of the body is not worth reading
            return response
        except TimeoutError:
            response = self._refuse(408, "timeouts", "body not received in time", request)
            response.force_close()
            return response
        ctype = request.headers.get("Content-Type", "")
        try:
            if provider is Provider.SMSC:
                query = request.rel_url.raw_query_string
                return await self._smsc(account, body, ctype, query, request)
            return await self._webcom(account, body, ctype, request)
        except MalformedPush as err:
            return self._refuse(400, "bad_400", f"malformed push: {err}", request)
        except ForgedPush as err:
            return self._refuse(403, "rejected_403", f"forbidden: {err}", request)

    async def _deliver(self, call: Callable[[], object], request: web.Request) -> bool:
        """Await the sink; False (and a 503 for the gateway to retry) when it refuses."""
        try:
            await call()  # type: ignore[misc]
        except Exception as err:  # any sink failure must become a retry, never a lost push
            self.counters["sink_errors"] += 1
            log.error("sink refused a push from %s: %s", request.remote, self._masked(repr(err)))
            return False
        return True

    def _is_seen(self, ident: Hashable) -> bool:
        return ident in self._seen

    def _remember(self, ident: Hashable) -> None:
        self._seen[ident] = None
        if len(self._seen) > self.options.dedup_capacity:
            self._seen.popitem(last=False)

    async def _smsc(
        self, account: str, body: bytes, ctype: str, query: str, request: web.Request
    ) -> web.Response:
        push = smsc_push.decode_smsc_push(body, ctype, query)
        opts = self.options
        verdict = smsc_push.check_signature(
            push, opts.smsc_secret, algorithms=opts.smsc_algorithms,
            allow_unsigned=opts.allow_unsigned,
        )  # fmt: skip
        if verdict is smsc_push.Verdict.MISMATCH_TOLERATED:
            self.counters["hash_mismatch"] += 1
            log.warning("SMSC %s push with a wrong control hash accepted (open question 5)",
                        push.kind)  # fmt: skip
        now = self.clock.now()
        if push.kind is smsc_push.SmscEvent.STATUS:
            change = smsc_push.to_status_change(push, account, now)
            ident: Hashable = ("s", account, change.message_id, change.phone,
                               change.raw_status, change.at)  # fmt: skip
            item_counter, call = "statuses", lambda: self.sink.push_changes([change])
        elif push.kind is smsc_push.SmscEvent.INCOMING:
            message = smsc_push.to_incoming(push, account, now)
            ident = ("i", account, message.incoming_id)
            item_counter, call = "incoming", lambda: self.sink.push_incoming([message])
        else:
            confirmation = smsc_push.to_call(push, account, now)
            ident = ("w", account, confirmation.phone, confirmation.at)
            push_calls = getattr(self.sink, "push_calls", None)
            item_counter = "waitcall"
            call = (lambda: push_calls([confirmation])) if push_calls else _nothing
        if self._is_seen(ident):
            self.counters["duplicates"] += 1
        else:
            if not await self._deliver(call, request):
                return web.Response(status=503, text="try again\n")
            self._remember(ident)
            self.counters[item_counter] += 1
        self.counters["accepted"] += 1
        return web.Response(text="OK")

    async def _webcom(
        self, account: str, body: bytes, ctype: str, request: web.Request
    ) -> web.Response:
        batch = webcom_push.decode_webcom_push(body, ctype)
        now = self.clock.now()
        fresh, idents, acked = [], [], []
        for entry in batch.entries:
            ident = ("c", account, entry.message_id, entry.state_word, entry.time_text)
            acked.append(entry.raw_id)
            if self._is_seen(ident) or ident in idents:
                self.counters["duplicates"] += 1
                continue
            idents.append(ident)
            fresh.append(webcom_push.to_status_change(entry, account, now))
        if fresh and not await self._deliver(lambda: self.sink.push_changes(fresh), request):
            return web.Response(status=503, text="try again\n")
        for ident in idents:
            self._remember(ident)
        self.counters["statuses"] += len(fresh)
        self.counters["unacked"] += batch.rejected
        self.counters["accepted"] += 1
        ack, content_type = webcom_push.ack_body(list(dict.fromkeys(acked)), batch.fmt)
        return web.Response(body=ack, headers={"Content-Type": content_type})


async def _nothing() -> None:
    """Stands in for a sink method the sink does not have."""


async def run_receiver(
    options: ReceiverOptions,
    sink: PushSink,
    clock: Clock | None = None,
    *,
    ready: Callable[[WebhookReceiver], None] | None = None,
) -> None:
    """Serve pushes until cancelled (the `--listen` mode of `smstui`, `poll` and `demo`)."""
    receiver = WebhookReceiver(options, sink, clock)
    await receiver.start()
    log.info("webhook receiver listening on %s", receiver.url)
    if ready is not None:
        ready(receiver)
    try:
        await asyncio.Event().wait()
    finally:
        await receiver.stop()
