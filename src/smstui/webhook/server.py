"""The aiohttp push receiver: routes, limits, verification, and answers after the sink accepted."""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import logging
from collections.abc import Callable, Hashable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from smstui.clock import Clock, SystemClock
from smstui.model import Provider, StatusChange
from smstui.secrets import mask_text
from smstui.webhook import smsc_push, webcom_push
from smstui.webhook.charsets import check_request_charsets
from smstui.webhook.counters import fresh_counters
from smstui.webhook.deadline import GuardedSite, HeaderDeadline
from smstui.webhook.dedupe import PushMemory
from smstui.webhook.errors import ForgedPush, MalformedPush, ReceiverError
from smstui.webhook.options import ReceiverOptions
from smstui.webhook.serverlog import ServerLog
from smstui.webhook.sink import PushSink
from smstui.webhook.smsc_decode import split_form
from smstui.webhook.times import is_ahead

__all__ = ["ReceiverError", "ReceiverOptions", "WebhookReceiver", "run_receiver"]

log = logging.getLogger("smstui.webhook")
_ALLOWED_METHODS = {Provider.SMSC: ("POST", "GET"), Provider.WEBCOM: ("POST",)}


class _NotFound(Exception):
    """The path names no receiver endpoint (or the wrong secret segment)."""


class _BodyTooLarge(Exception):
    """The body exceeds max_body."""


class _BadBody(Exception):
    """The body's framing is broken (bad chunking, cut short): HTTP 400."""


class WebhookReceiver:
    """Listens for SMSC and Webcom pushes and hands verified ones to a sink."""

    def __init__(self, options: ReceiverOptions, sink: PushSink, clock: Clock | None = None):
        self.options = options
        self.sink = sink
        self.clock = clock or SystemClock()
        self.counters: dict[str, int] = fresh_counters()
        self._memory = PushMemory(options.dedup_capacity)
        self._deadline = HeaderDeadline(options.header_timeout_s, self._header_timeout)
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
        """Bind and serve (no access log: paths may carry the secret segment).

        ReceiverError (one line, e.g. "cannot listen on 127.0.0.1:8080: address already in
        use") when the address cannot be bound; nothing is left running then.
        """
        server_log = ServerLog(logging.getLogger("aiohttp.server"), self._masked,
                               lambda: self._count("bad_400"))  # fmt: skip
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, logger=server_log
        )
        await self._runner.setup()
        site = GuardedSite(self._runner, self.options.host, self.options.port, self._deadline)
        try:
            await site.start()
        except ReceiverError:
            await self.stop()
            raise
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
            self._deadline.close()
            self._runner = None
            self._url = ""

    async def __aenter__(self) -> WebhookReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- request handling -------------------------------------------------------------------

    def _masked(self, text: str) -> str:
        """Text fit for the log: secrets masked, undecodable request bytes shown as escapes."""
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # no lone surrogates
        return mask_text(text, [self.options.path_secret, self.options.smsc_secret])

    def _count(self, counter: str) -> bool:
        """Count one event; True when it should be logged (the first 20, then every 100th)."""
        self.counters[counter] += 1
        seen = self.counters[counter]
        return seen <= 20 or seen % 100 == 0  # the log stays readable under a flood

    def _refuse(self, status: int, counter: str, reason: str, request: web.Request) -> web.Response:
        """Count, log (throttled under a flood) and answer a refused request."""
        if self._count(counter):
            level = logging.WARNING if status == 403 else logging.INFO
            log.log(level, "%s %s from %s: %s (%d so far)", status,
                    self._masked(request.path_qs), request.remote, self._masked(reason),
                    self.counters[counter])  # fmt: skip
        return web.Response(status=status, text=reason.split(":")[0] + "\n")

    def _header_timeout(self, peer: str) -> None:
        if self._count("timeouts"):
            log.info("closed a connection from %s: no complete request headers within %g s",
                     peer, self.options.header_timeout_s)  # fmt: skip

    def _route(self, path: str) -> tuple[Provider, str]:
        segments = [s for s in path.split("/") if s]
        secret = self.options.path_secret
        if secret is not None:
            # aiohttp's pure-Python parser hands over undecodable path bytes as surrogates.
            given = segments[0].encode("utf-8", "surrogatepass") if segments else b""
            if not hmac.compare_digest(given, secret.reveal().encode()):
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
        try:
            async with asyncio.timeout(self.options.body_timeout_s):
                async for chunk in request.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > limit:
                        raise _BodyTooLarge
                    chunks.append(chunk)
        except (HttpProcessingError, ConnectionError) as err:
            raise _BadBody(type(err).__name__) from None
        return b"".join(chunks)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        protocol = request.protocol
        self._deadline.started(protocol)  # headers are in: the body has its own deadline
        response = None
        try:
            response = await self._answer(request)
            return response
        finally:
            closing = response is not None and response.keep_alive is False
            self._deadline.finished(protocol, closing=closing)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        try:
            provider, account = self._route(request.path)
        except _NotFound as err:
            return self._refuse(404, "not_found_404", f"not found: {err}", request)
        if request.method not in _ALLOWED_METHODS[provider]:
            response = self._refuse(405, "method_405", "method not allowed", request)
            response.headers["Allow"] = ", ".join(_ALLOWED_METHODS[provider])
            return response
        ctype = request.headers.get("Content-Type", "")
        query = request.rel_url.raw_query_string if provider is Provider.SMSC else ""
        try:
            # Before the body is even read: only utf-8, windows-1251 and koi8-r are spoken.
            pairs = split_form(query.encode("utf-8", "replace"))
            check_request_charsets([v for k, v in pairs if k == b"charset"], ctype)
        except MalformedPush as err:
            return self._refuse(400, "bad_400", f"malformed push: {err}", request)
        try:
            body = await self._read_body(request)
        except _BodyTooLarge:
            return _closing(self._refuse(413, "too_large_413", "body too large", request))
        except TimeoutError:
            return _closing(self._refuse(408, "timeouts", "body not received in time", request))
        except _BadBody as err:
            return _closing(self._refuse(400, "bad_400", f"broken body: {err}", request))
        try:
            if provider is Provider.SMSC:
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

    def _received(self, change: StatusChange) -> StatusChange:
        """The change, its time clamped to receipt when it claims to be from the future."""
        now = change.observed_at
        if now is None or not is_ahead(change.at, now, self.options.max_future_s):
            return change
        self._note_future(change.at, now)
        return dataclasses.replace(change, at=now, claimed_at=change.at)

    def _not_ahead(self, at: float, now: float) -> float:
        """A pushed time, or the receipt time when it lies too far in the future."""
        if not is_ahead(at, now, self.options.max_future_s):
            return at
        self._note_future(at, now)
        return now

    def _note_future(self, at: float, now: float) -> None:
        if self._count("future_clamped"):
            log.info("push dated %.0f s ahead of receipt: its time is taken as the receipt time "
                     "(%d so far)", at - now, self.counters["future_clamped"])  # fmt: skip

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
            change = self._received(smsc_push.to_status_change(push, account, now))
            ident: Hashable = ("s", account, change.message_id, change.phone,
                               change.raw_status, change.claimed_at or change.at)  # fmt: skip
            item_counter, call = "statuses", lambda: self.sink.push_changes([change])
        elif push.kind is smsc_push.SmscEvent.INCOMING:
            message = smsc_push.to_incoming(push, account, now)
            if message.received_at is not None:
                at = self._not_ahead(message.received_at, now)
                message = dataclasses.replace(message, received_at=at)
            ident = ("i", account, message.incoming_id)
            item_counter, call = "incoming", lambda: self.sink.push_incoming([message])
        else:
            confirmation = smsc_push.to_call(push, account, now)
            ident = ("w", account, confirmation.phone, confirmation.at)
            confirmation = dataclasses.replace(
                confirmation, at=self._not_ahead(confirmation.at, now)
            )
            push_calls = getattr(self.sink, "push_calls", None)
            item_counter = "waitcall"
            call = (lambda: push_calls([confirmation])) if push_calls else _nothing
        if ident in self._memory:
            self.counters["duplicates"] += 1
        else:
            if not await self._deliver(call, request):
                return web.Response(status=503, text="try again\n")
            self._memory.remember([ident])
            self.counters[item_counter] += 1
        self.counters["accepted"] += 1
        return web.Response(text="OK")

    async def _webcom(
        self, account: str, body: bytes, ctype: str, request: web.Request
    ) -> web.Response:
        batch = webcom_push.decode_webcom_push(body, ctype)
        now = self.clock.now()
        entries = batch.entries
        idents = [("c", account, e.message_id, e.state_word, e.time_text) for e in entries]
        positions = self._memory.fresh(idents)
        fresh = [
            self._received(webcom_push.to_status_change(entries[i], account, now))
            for i in positions
        ]
        self.counters["duplicates"] += len(entries) - len(positions)
        if fresh and not await self._deliver(lambda: self.sink.push_changes(fresh), request):
            return web.Response(status=503, text="try again\n")
        self._memory.remember(idents[i] for i in positions)
        self.counters["statuses"] += len(fresh)
        self.counters["unacked"] += batch.rejected
        self.counters["accepted"] += 1
        acked = dict.fromkeys(e.raw_id for e in entries)  # each id once, in arrival order
        ack, content_type = webcom_push.ack_body(list(acked), batch.fmt)
        return web.Response(body=ack, headers={"Content-Type": content_type})


async def _nothing() -> None:
    """Stands in for a sink method the sink does not have."""


def _closing(response: web.Response) -> web.Response:
    """The response, with the connection closed after it (the rest of the body is not wanted)."""
    response.force_close()
    return response


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
