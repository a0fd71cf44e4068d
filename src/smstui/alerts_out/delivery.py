"""Sending notices through apprise, off the event loop: a dead notifier never stalls the poller.

Each notifier (one URL) has its own queue, worker task and thread, so a hung Slack does not
delay the JSON webhook, and notices reach each one in order (an alert before its "resolved").
Every attempt runs in that thread under a timeout; a failure is retried twice, then counted,
logged (masked) and dropped: a notifier never raises into the poller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import apprise

from smstui.alerts_out.outbox import Notice
from smstui.errors import ConfigError
from smstui.secrets import Secret, mask_text, mask_values

log = logging.getLogger("smstui.alerts")
RETRY_AFTER_S = (5.0, 30.0)  # pauses before the second and third attempt
QUEUE_SIZE = 100  # notices waiting per notifier; beyond it the oldest is dropped (counted)
STOP_GRACE_S = 5.0  # at shutdown, queued notices get this long to go out


class _Reasons(logging.Handler):
    """Apprise's own log lines, kept per thread: a failed send's reason, for our masked log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(record.getMessage())


_REASONS = _Reasons()
_apprise_log = logging.getLogger("apprise")
_apprise_log.addHandler(_REASONS)
# Apprise logs on its own (hosts, sometimes URL parts): only our masked lines reach stderr.
_apprise_log.propagate = False


class Notifier:
    """One apprise URL; prints as "notifier 1 (json://127.0.0.1:8080)", never with secrets."""

    def __init__(self, url: Secret, index: int, path: str | None = None) -> None:
        self._url = url
        self.index = index
        # The service's own object, not an Apprise set: its send runs in the calling thread,
        # so the reason it logs is this thread's (an Apprise set may use a pool of its own).
        self._plugin = _instantiate(url.reveal())
        if not self._plugin:
            scheme = url.reveal().partition("://")[0]
            raise ConfigError(
                f"apprise cannot use this URL (scheme {scheme!r}; see apprise's list of services)",
                path=path,
                key=f"alerts.notify[{index}]",
            )
        self.label = f"notifier {index + 1} ({_label(url.reveal())})"
        self.secrets = _fragments(url.reveal())
        self.sent = self.failed = self.dropped = 0
        self.problem = ""  # the last failure while failing; "" once a notice went through
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"smstui-notify-{index + 1}")

    def __repr__(self) -> str:
        return f"Notifier({self.label!r})"

    def send(self, notice: Notice, source: str) -> str:
        """Deliver now (blocking: call in self.executor); "" when sent, else apprise's reason."""
        _REASONS.local.lines = []
        try:
            body = f"{notice.body}\n— {source}" if source else notice.body
            title = f"smstui: {notice.title}"  # one channel may carry many programs' alerts
            ok = self._plugin.notify(body=body, title=title, notify_type=notice.level)
            lines = list(_REASONS.local.lines)
        finally:
            _REASONS.local.lines = None
        if ok:
            return ""
        return "; ".join(dict.fromkeys(lines)) or "apprise reported a failure"


class Delivery:
    """Notices in (submit, from the loop), sent by one worker per notifier; counters for health."""

    def __init__(
        self,
        notifiers: Sequence[Notifier],
        *,
        timeout_s: float,
        secrets: Iterable[Secret] = (),
        source: str = "",
        retry_after_s: Sequence[float] = RETRY_AFTER_S,
    ) -> None:
        self.notifiers = tuple(notifiers)
        self._timeout = timeout_s
        self._source = source
        self._retry = tuple(retry_after_s)
        self._secrets: list[Secret | str] = list(secrets)
        for notifier in self.notifiers:  # any notifier's reason may name another's parts
            self._secrets += notifier.secrets
        self._queues = [asyncio.Queue[Notice](QUEUE_SIZE) for _ in self.notifiers]
        self._workers: list[asyncio.Task[None]] = []

    @classmethod
    def from_urls(
        cls,
        urls: Sequence[Secret],
        *,
        timeout_s: float,
        secrets: Iterable[Secret],
        source: str,
        path: str | None = None,
    ) -> Delivery:
        """One notifier per URL; ConfigError (naming alerts.notify[i]) when apprise cannot."""
        notifiers = [Notifier(url, i, path) for i, url in enumerate(urls)]
        return cls(notifiers, timeout_s=timeout_s, secrets=secrets, source=source)

    def start(self) -> None:
        """Start one worker per notifier on the running loop."""
        self._workers = [
            asyncio.create_task(self._work(n, q), name=n.label)
            for n, q in zip(self.notifiers, self._queues, strict=True)
        ]

    def submit(self, notices: Iterable[Notice]) -> None:
        """Queue notices for every notifier (never blocks; a full queue drops its oldest)."""
        for notice in notices:
            log.warning("alert out: %s", self.mask(notice.title))  # the journal keeps them
            for notifier, queue in zip(self.notifiers, self._queues, strict=True):
                if queue.full():
                    queue.get_nowait()
                    queue.task_done()
                    notifier.dropped += 1
                queue.put_nowait(notice)

    def counters(self) -> dict[str, dict[str, int]]:
        """Per notifier label: notices sent, failed (after every retry) and dropped (queue full)."""
        return {
            n.label: {"sent": n.sent, "failed": n.failed, "dropped": n.dropped}
            for n in self.notifiers
        }

    @property
    def problem(self) -> str:
        """One line for the health view: which notifiers are failing and why ("" when none)."""
        return "; ".join(f"{n.label}: {n.problem}" for n in self.notifiers if n.problem)

    def mask(self, text: str) -> str:
        """Text with every configured secret and notifier URL part masked."""
        return mask_values(mask_text(text, self._secrets), self._secrets)

    async def aclose(self, grace_s: float = STOP_GRACE_S) -> None:
        """Give queued notices a short grace to go out, then stop the workers and threads.

        A notifier that is failing gets none: a dead Slack must not hold up a service stop."""
        working = [q for n, q in zip(self.notifiers, self._queues, strict=True) if not n.problem]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in working)), grace_s)
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for notifier in self.notifiers:  # a thread stuck in a send must not hold the exit
            notifier.executor.shutdown(wait=False, cancel_futures=True)

    async def _work(self, notifier: Notifier, queue: asyncio.Queue[Notice]) -> None:
        while True:
            notice = await queue.get()
            try:
                await self._deliver(notifier, notice)
            finally:
                queue.task_done()

    async def _deliver(self, notifier: Notifier, notice: Notice) -> None:
        for pause in (*self._retry, None):
            reason = await self._attempt(notifier, notice)
            if not reason:
                notifier.sent += 1
                if notifier.problem:
                    log.warning("%s works again", notifier.label)
                notifier.problem = ""
                return
            if not notifier.problem:  # the first failure of a streak; the rest are counted
                log.warning("%s failed: %s", notifier.label, reason)
            notifier.problem = reason
            if pause is None:
                break
            await asyncio.sleep(pause)
        notifier.failed += 1
        log.error(
            "%s: gave up on %r after %d attempts",
            notifier.label, self.mask(notice.title), len(self._retry) + 1,
        )  # fmt: skip

    async def _attempt(self, notifier: Notifier, notice: Notice) -> str:
        """One send in the notifier's thread under the timeout; the masked reason, or ""."""
        loop = asyncio.get_running_loop()
        try:
            reason = await asyncio.wait_for(
                loop.run_in_executor(notifier.executor, notifier.send, notice, self._source),
                self._timeout,
            )
        except TimeoutError:
            reason = f"no answer within {self._timeout:g} s"
        except Exception as err:  # a notifier's bug is its failure, never the poller's crash
            reason = f"{type(err).__name__}: {err}"
        return self.mask(reason)


def _instantiate(url: str) -> Any:
    """Apprise's object for one URL (None when it cannot); apprise itself is untyped."""
    with warnings.catch_warnings():  # its first use loads plugins that import imghdr (3.13)
        warnings.simplefilter("ignore", DeprecationWarning)
        return apprise.Apprise.instantiate(url)


def _label(url: str) -> str:
    """The service and host only, secrets starred by apprise: "tgram://1...z", "json://h:80"."""
    plugin = _instantiate(url)
    shown = plugin.url(privacy=True) if plugin else url.partition("://")[0] + "://"
    scheme, _, rest = shown.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    return f"{scheme}://{host}"


def _fragments(url: str) -> list[str]:
    """The parts of a URL that may be secret: the whole, its password, long path segments and
    query values (tokens), and the host of services whose "host" is a token (tgram://TOKEN/…)."""
    parts = urlsplit(url)
    out = [url, parts.password or ""]
    if parts.scheme not in ("json", "jsons", "xml", "xmls", "form", "forms"):
        netloc = parts.netloc.rpartition("@")[2]
        out += [netloc, *(piece for piece in netloc.split(":") if len(piece) >= 8)]
    out += [seg for seg in parts.path.split("/") if len(seg) >= 8]
    out += [v for pair in parts.query.split("&") if len(v := pair.partition("=")[2]) >= 8]
    return [f for f in out if f]
