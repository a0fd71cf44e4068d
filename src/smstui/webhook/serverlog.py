"""aiohttp's own server log, made fit for an exposed receiver.

aiohttp logs every malformed request at ERROR with a traceback whose message quotes the raw
request bytes — the secret path segment and `?md5=` secret included — so one scanner could fill
the log and leak the secret into it. Here a malformed request is one throttled INFO line counted
as a 400, and every message is masked; real handler errors keep their ERROR and traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError


class ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Passed to aiohttp as its server logger (`logger=`); masks and quiets client errors."""

    def __init__(
        self,
        logger: logging.Logger,
        mask: Callable[[str], str],
        malformed: Callable[[], bool],
    ) -> None:
        super().__init__(logger, {})
        self._mask = mask
        self._malformed = malformed  # counts one; True when this one should be logged

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        """Leave messages alone here; `log` does the work."""
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Mask every message; a client's malformed HTTP becomes one short INFO line."""
        exc = kwargs.get("exc_info")
        if exc is True:
            exc = sys.exc_info()[1]
        text = self._mask(str(msg) % args if args else str(msg))
        if isinstance(exc, HttpProcessingError):
            if self._malformed():
                first = str(exc.message or "").strip().splitlines()[:1]
                why = self._mask(first[0][:80].rstrip(": ")) if first else type(exc).__name__
                self.logger.info("400 malformed HTTP (%s): %s", why, text)
            return
        if self.isEnabledFor(level):
            kwargs.setdefault("stacklevel", 2)
            self.logger.log(level, "%s", text, **kwargs)
