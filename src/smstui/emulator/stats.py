"""Counters behind GET /_emulator/stats, plus a short log of what each request looked like."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TypedDict


class RequestShape(TypedDict):
    """What one gateway request looked like (no parameters, so no credentials)."""

    endpoint: str
    method: str
    path: str
    content_type: str


class StatsSnapshot(TypedDict):
    """The JSON document GET /_emulator/stats serves."""

    requests: dict[str, int]
    limit_errors: dict[str, int]
    errors: dict[str, int]
    messages_by_state: dict[str, dict[str, int]]
    pushes: dict[str, int]
    faults: dict[str, int]
    content_types: dict[str, dict[str, int]]
    now: float


@dataclass
class Stats:
    """Request, error, limit, push and fault counters (no credentials are ever recorded).

    - `requests[endpoint]`: every HTTP request whose path is a gateway route (/sys/*.php,
      /rest/send/, the Webcom /json, /xml and /sendsms.php paths), counted once on arrival,
      before authentication, limits or fault injection, so requests answered by an API error,
      a limit error or an injected fault are all included. Not counted: /_emulator/* and
      paths no route serves (404). Endpoint names: smsc.send, smsc.status, smsc.status_mass,
      smsc.balance, smsc.history, smsc.answers, smsc.stat, smsc.operator, smsc.get, smsc.info,
      webcom.send, webcom.state, webcom.balance, webcom.get, webcom.*_xml.
    - `faults[kind]`: one per gateway request that drew an injected fault (timeout, http500,
      html, truncated, reset, slow); such a request is also in `requests`.
    - `errors[code]`: API errors returned ("smsc.9", "webcom.E3"…); `limit_errors` the subset
      caused by a documented limit (rate windows, concurrency, IP blocks).
    - `pushes`: webhook POST attempts (`sent`), changes acknowledged (`acked`), given up (`failed`).
    """

    requests: Counter[str] = field(default_factory=Counter)
    limit_errors: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    pushes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    content_types: dict[str, Counter[str]] = field(default_factory=dict)
    recent: deque[RequestShape] = field(default_factory=lambda: deque(maxlen=2000))

    def request(self, endpoint: str, method: str, path: str, content_type: str) -> None:
        """Count one gateway request and remember its shape (method, path, Content-Type)."""
        self.requests[endpoint] += 1
        self.content_types.setdefault(endpoint, Counter())[content_type] += 1
        self.recent.append(
            {"endpoint": endpoint, "method": method, "path": path, "content_type": content_type}
        )

    def error(self, code: str, *, limit: bool = False) -> None:
        """Count one API error such as "smsc.9"; `limit` marks those caused by a limit."""
        self.errors[code] += 1
        if limit:
            self.limit_errors[code] += 1

    def snapshot(self, now: float, by_state: dict[str, dict[str, int]]) -> StatsSnapshot:
        """The JSON-ready dict GET /_emulator/stats returns."""
        return {
            "requests": dict(self.requests),
            "limit_errors": dict(self.limit_errors),
            "errors": dict(self.errors),
            "messages_by_state": by_state,
            "pushes": {k: self.pushes.get(k, 0) for k in ("sent", "acked", "failed")},
            "faults": dict(self.faults),
            "content_types": {k: dict(v) for k, v in self.content_types.items()},
            "now": now,
        }
