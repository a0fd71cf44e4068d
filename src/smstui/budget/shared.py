"""One account's budget state in a JSON file that every smstui process on the cache shares.

Changes are read-modify-write under an flock on `<account>.lock` beside the file and land by
the cache's one atomic write (temp file + fsync + rename), so a reader without the lock still
sees a whole file. A corrupt or
unreadable file is a logged warning and a fresh state, never a crash: at worst one request more.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smstui.atomic import write_atomic
from smstui.errors import StoreError
from smstui.store.lock import flock_within, wait_limit

log = logging.getLogger("smstui.budget")

SCHEMA = 1
BUDGET_DIR = "budget"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
Signature = tuple[int, int, int]  # inode, mtime_ns, size: os.replace gives each write a new one


@dataclass
class BudgetState:
    """What a budget remembers: request times per (row, key), back-offs and failed logins."""

    # (row name, key text) → request times; key text is "" for rows counted per login.
    windows: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    penalties: dict[str, tuple[float, str]] = field(default_factory=dict)  # endpoint → until, why
    penalty_since: dict[str, float] = field(default_factory=dict)  # endpoint → when it began
    blocked_until: float = 0.0
    blocked_reason: str = ""
    blocked_since: float = 0.0
    blocked_kind: str = ""  # "login" (ours, after failed logins: a fixed config may lift it)
    failed_logins: int = 0  # in a row, on this account


MAX_PAUSE_S = 3600.0  # a pause of unknown start (an older file) lasts at most this from now


def clamp(state: BudgetState, now: float) -> bool:
    """Pauses are judged by how long they were meant to last, not by a wall clock that jumped.

    A pause that began "later than now" (the clock was ahead when it was set, or has gone back
    since) starts now and lasts its full length: a 30-minute pause set with the clock a day ahead
    is 30 minutes, not 24.5 hours, and a clock set back a year cannot make one eternal. Request
    windows get the same treatment in decode(). True when a pause was moved.
    """
    moved = False
    for endpoint, (until, why) in list(state.penalties.items()):
        since = state.penalty_since.get(endpoint, now)
        fixed = _clamped(until, since, now)
        moved |= fixed != (until, since)
        state.penalties[endpoint] = (fixed[0], why)
        state.penalty_since[endpoint] = fixed[1]
    if state.blocked_until > now:
        fixed = _clamped(state.blocked_until, state.blocked_since, now)
        moved |= fixed != (state.blocked_until, state.blocked_since)
        state.blocked_until, state.blocked_since = fixed
    return moved


def _clamped(until: float, since: float, now: float) -> tuple[float, float]:
    if since > now:  # begun in the future: the clock went back (or was ahead then)
        return now + max(0.0, until - since), now
    if until - now > MAX_PAUSE_S and since <= 0.0:  # no start recorded: bound it
        return now + MAX_PAUSE_S, now
    return until, since


def budget_path(cache_dir: Path, account_name: str) -> Path:
    """`<cache>/budget/<account>.json`, safe for any account name (a hash keeps names apart)."""
    safe = _UNSAFE.sub("_", account_name)[:64].lstrip(".")
    if safe != account_name or not safe:
        # "a/b" and "a_b" must not share a file: the hash of the real name keeps them apart.
        digest = hashlib.sha256(account_name.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe or 'account'}-{digest}"
    return cache_dir / BUDGET_DIR / f"{safe}.json"


class SharedState:
    """The BudgetState of one file: cached reads, locked atomic updates, failures only logged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_suffix(".lock")
        self._cached: tuple[Signature | None, BudgetState] = (None, BudgetState())
        # Set while the file cannot be written: this process keeps its own count meanwhile
        # (not shared, but never forgotten) and writes it back once it can.
        self._local: BudgetState | None = None
        self._warned: set[str] = set()
        self.problem = ""  # why the last write failed ("" once a write succeeds)

    def read(self, now: float) -> BudgetState:
        """The latest state without the lock (a rename never shows half a file); cached by stat."""
        if self._local is not None:  # unsaved: ours, plus whatever others managed to save
            merged = merge(self._load(now)[0], self._local)
            clamp(merged, now)
            return merged
        sig = self._signature()
        if sig is None:
            return BudgetState()
        if sig != self._cached[0]:
            self._cached = (sig, self._load(now)[0])
        if clamp(self._cached[1], now):  # the clock went back since: every process must agree
            with self.update(now):  # on the new end, or each would clamp it again from its now
                pass
        return self._cached[1]

    @contextlib.contextmanager
    def update(self, now: float) -> Iterator[BudgetState]:
        """Yield the current state under the lock; write it back when the block ends cleanly."""
        with self._locked():
            if self._local is not None:  # ours, kept while unsaved, plus what others saved
                state, raw = merge(self._load(now)[0], self._local), b""
                clamp(state, now)
            else:  # always from disk: another process may have just written
                state, raw = self._load(now)
            yield state
            data = encode(state)
            if data != raw:  # a refusal or a no-op changes nothing: no write, no fsync
                self._write(data, state)

    # ---- files --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Opened per update, not once per process: a deleted budget directory must not leave
        # this process locking a file nobody else can see.
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            self._warn(f"cannot lock {self.lock_path} ({err.strerror or err}); budget not shared")
            yield
            return
        try:
            # Bounded, never a blocking flock: a stopped process holding it (Ctrl-Z) must not
            # freeze the daemon's event loop; a timeout is a StoreError and nothing is asked.
            flock_within(fd, fcntl.LOCK_EX, wait_limit(), self.lock_path)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _signature(self) -> Signature | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self, now: float) -> tuple[BudgetState, bytes]:
        """The file's state and bytes; a missing, unreadable or corrupt file is a fresh state."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return BudgetState(), b""
        except OSError as err:
            self._warn(f"cannot read {self.path} ({err.strerror or err}); starting a fresh budget")
            return BudgetState(), b""
        try:
            return decode(raw, now), raw
        except (ValueError, TypeError, KeyError, RecursionError) as err:
            self._warn(f"budget file {self.path} is unreadable ({err}); starting a fresh budget")
            return BudgetState(), b""

    def _write(self, data: bytes, state: BudgetState) -> None:
        try:
            write_atomic(self.path, data)
        except (StoreError, OSError) as err:  # OSError: its cleanup can raise one (ENOTDIR)
            self._warn(f"{err}; budget not shared")
            self._local = state
            self.problem = str(err)
            return
        self._local = None
        self.problem = ""
        self._cached = (self._signature(), state)

    def _warn(self, text: str) -> None:
        # Once per distinct problem: a full disk must not print a line per request.
        if text not in self._warned:
            self._warned.add(text)
            log.warning("%s", text)


def merge(disk: BudgetState, mine: BudgetState) -> BudgetState:
    """The saved state with this process's unsaved one folded in: every request, the longer
    pauses, the higher failed-login count (nothing either side counted is lost)."""
    out = BudgetState(
        windows={k: deque(v) for k, v in disk.windows.items()},
        penalties=dict(disk.penalties), penalty_since=dict(disk.penalty_since),
        blocked_until=disk.blocked_until, blocked_reason=disk.blocked_reason,
        blocked_since=disk.blocked_since, blocked_kind=disk.blocked_kind,
        failed_logins=max(disk.failed_logins, mine.failed_logins),
    )  # fmt: skip
    for k, times in mine.windows.items():
        have = Counter(out.windows.get(k, ()))
        extra = Counter(times) - have  # the same request seen on both sides counts once
        out.windows[k] = deque(sorted([*out.windows.get(k, ()), *extra.elements()]))
    for endpoint, (until, why) in mine.penalties.items():
        if until > out.penalties.get(endpoint, (0.0, ""))[0]:
            out.penalties[endpoint] = (until, why)
            out.penalty_since[endpoint] = mine.penalty_since.get(endpoint, 0.0)
    if mine.blocked_until > out.blocked_until:
        out.blocked_until, out.blocked_reason = mine.blocked_until, mine.blocked_reason
        out.blocked_since, out.blocked_kind = mine.blocked_since, mine.blocked_kind
    return out


def encode(state: BudgetState) -> bytes:
    """The file's bytes: compact JSON, windows as [row, key, [times…]]."""
    doc = {
        "schema": SCHEMA,
        "windows": [[row, key, list(times)] for (row, key), times in state.windows.items()],
        "penalties": {
            ep: [until, why, state.penalty_since.get(ep, 0.0)]
            for ep, (until, why) in state.penalties.items()
        },
        "blocked": [
            state.blocked_until,
            state.blocked_reason,
            state.blocked_since,
            state.blocked_kind,
        ],
        "failed_logins": state.failed_logins,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes, now: float) -> BudgetState:
    """The state in a file; ValueError/TypeError/KeyError on anything not written by encode().

    Request times later than `now` (a clock set back) count as now, so they still leave
    their window instead of holding it shut until the clock catches up; pauses are clamped().
    """
    doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ValueError(f"not a schema-{SCHEMA} budget document")
    state = BudgetState()
    for row, key, times in _list(doc["windows"]):
        if not isinstance(row, str) or not isinstance(key, str):
            raise TypeError("window names must be strings")
        state.windows[(row, key)] = deque(min(_time(t), now) for t in _list(times))
    for endpoint, value in _dict(doc["penalties"]).items():
        until, why, *since = _list(value)  # no start: written before pauses were clamped
        state.penalties[endpoint] = (_time(until), _text(why))
        state.penalty_since[endpoint] = _time(since[0]) if since else 0.0
    until, why, *rest = _list(doc["blocked"])  # [until, why] in files from before clamping
    state.blocked_until, state.blocked_reason = _time(until), _text(why)
    state.blocked_since = _time(rest[0]) if rest else 0.0
    state.blocked_kind = _text(rest[1]) if len(rest) > 1 else ""
    clamp(state, now)
    count = doc["failed_logins"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise TypeError("failed_logins must be a count")
    state.failed_logins = count
    return state


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a time")


def _time(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{value!r} is not a time")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a reason")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value
