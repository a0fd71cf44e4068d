"""The append-only journal: every change is a line here, fsync'd, before anyone is told.

File `journal.log`: a fixed-size header naming `base` (the absolute position of the first
record, so positions stay valid across trims), then one record per line:
`<crc32 as 8 hex digits> <JSON>\\n`. Every process appends under an flock of `journal.log`
itself (see lock.py: a separate lock file could be deleted while held) with one write() per
batch; a crash can therefore only tear the tail, which the next append or open cuts back to
the last whole record. A damaged record further in is kept in `journal.damaged` and skipped.
The checkpointer trims what the partitions hold. No lock wait is unbounded (lock.py).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from smstui.atomic import fsync_dir, write_atomic
from smstui.errors import StoreError
from smstui.store import damaged
from smstui.store.lock import LockWaits, locked_file

log = logging.getLogger("smstui.store")
JOURNAL_NAME = "journal.log"
_WRITE = os.O_RDWR | os.O_CREAT | os.O_APPEND
_HEADER = b"SMSTUI-JOURNAL 3 base=%020d\n"
HEADER_LEN = len(_HEADER % 0)


@dataclass(frozen=True, slots=True)
class Record:
    """One journal record as read back: where it lies and what it says."""

    start: int
    end: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Damaged:
    """A record that failed its checksum: where it lies, its size, and where it was kept."""

    start: int
    size: int
    kept: str  # "" when it is in journal.damaged, else why it could not be kept


class Tail(NamedTuple):
    """What one read of the journal found from a position on."""

    records: list[Record]
    end: int  # the position after the last whole line read
    damaged: list[Damaged]


def encode(body: dict[str, Any]) -> bytes:
    """One record line (lone surrogates a gateway sent are kept, not refused)."""
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    raw = data.encode("utf-8", "backslashreplace")  # a lone surrogate stays a JSON escape
    return b"%08x %s\n" % (zlib.crc32(raw), raw)


def _decode(line: bytes) -> dict[str, Any] | None:
    """A record line's body, or None when the line is damaged."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    raw = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(raw):
            return None
        body = json.loads(raw.decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


class Journal:
    """The journal file of one cache directory."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / JOURNAL_NAME
        self._waits = LockWaits()

    @contextmanager
    def _locked(self, mode: int = fcntl.LOCK_EX, flags: int = _WRITE) -> Iterator[int]:
        """The journal's fd, flocked (a bounded wait: LockTimeout, a StoreError, after it).

        FileNotFoundError passes (a reader finds no journal yet); other open errors are
        StoreErrors naming the file."""
        with ExitStack() as stack:
            try:
                fd = stack.enter_context(locked_file(self.path, mode, flags, self._waits))
            except FileNotFoundError:
                raise
            except OSError as err:
                raise StoreError(f"cannot open {self.path}: {err.strerror or err}") from err
            yield fd

    def _header(self, fd: int, base_if_new: int) -> int:
        """The journal's base, writing the header with `base_if_new` when it has none yet."""
        if os.fstat(fd).st_size < HEADER_LEN:
            os.ftruncate(fd, 0)
            os.write(fd, _HEADER % base_if_new)
            os.fsync(fd)
            fsync_dir(self.path.parent)
            return base_if_new
        return _base(os.pread(fd, HEADER_LEN, 0), self.path)

    def append(self, lines: Sequence[bytes], *, base_if_new: int = 0) -> list[tuple[int, int]]:
        """Append encoded records durably (one write, one fsync); their (start, end) positions.

        Raises StoreError when the disk refuses (full, read-only) or the lock stays held
        (lock.py's bounds): then nothing may be acknowledged, and the caller says so.
        """
        try:
            with self._locked() as fd:
                base = self._header(fd, base_if_new)
                offset = _cut_torn_tail(fd, self.path)
                try:
                    _write_all(fd, b"".join(lines))
                    os.fsync(fd)
                except OSError:
                    os.ftruncate(fd, offset)  # no half batch may stay behind
                    raise
        except OSError as err:
            raise StoreError(f"cannot append to {self.path}: {err.strerror or err}") from err
        out, pos = [], base + offset - HEADER_LEN
        for line in lines:
            out.append((pos, pos + len(line)))
            pos += len(line)
        return out

    def base(self) -> int | None:
        """The absolute position of the journal's first record (None: no journal yet)."""
        try:
            with open(self.path, "rb") as f:
                header = f.read(HEADER_LEN)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read {self.path}: {err.strerror}") from err
        return _base(header, self.path) if header else None

    def signature(self) -> tuple[int, int] | None:
        """(inode, size): a follower reads nothing when this did not change."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size)

    def read_from(self, pos: int) -> tuple[list[Record], int] | None:
        """read_tail() without the damaged records' report."""
        tail = self.read_tail(pos)
        return None if tail is None else (tail.records, tail.end)

    def read_tail(self, pos: int) -> Tail | None:
        """Whole records from absolute position `pos` on, the position after them, and the
        damaged ones skipped (kept in journal.damaged).

        None when `pos` lies before the file's base: a checkpoint trimmed records this reader
        never saw, so it must reload the partitions instead.
        """
        try:
            # Shared lock: never read a batch another process is still writing (it may yet be
            # cut back if its fsync fails).
            with self._locked(fcntl.LOCK_SH, os.O_RDONLY) as fd, open(fd, "rb", closefd=False) as f:
                header = f.read(HEADER_LEN)
                if len(header) < HEADER_LEN:
                    return Tail([], pos, [])  # being created (or left empty by a crash)
                base = _base(header, self.path)
                if pos < base:
                    return None
                f.seek(HEADER_LEN + pos - base)
                data = f.read()
        except FileNotFoundError:
            return Tail([], pos, [])
        except OSError as err:
            raise StoreError(f"cannot read {self.path}: {err.strerror}") from err
        records, bad = [], []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break  # a record still being written, or a torn tail: not ours to judge yet
            body = _decode(data[start:nl])
            if body is None:
                bad.append((pos + start, data[start:nl]))
            else:
                records.append(Record(pos + start, pos + nl + 1, body))
            start = nl + 1
        return Tail(records, pos + start, self._set_aside(bad))

    def _set_aside(self, bad: list[tuple[int, bytes]]) -> list[Damaged]:
        if not bad:
            return []
        why = damaged.keep(self.path.parent, bad)
        return [Damaged(at, len(line) + 1, why) for at, line in bad]

    def repair(self, *, base_if_new: int = 0) -> int:
        """Cut a torn tail back to the last whole record (at open); returns bytes cut."""
        with self._locked() as fd:
            self._header(fd, base_if_new)
            size = os.fstat(fd).st_size
            return size - _cut_torn_tail(fd, self.path, check_records=True)

    def trim(self, upto: int) -> None:
        """Drop the records before absolute position `upto` (the partitions hold them now)."""
        with self._locked() as fd:
            base = self._header(fd, upto)
            if upto <= base:
                return
            at = HEADER_LEN + upto - base
            tail = os.pread(fd, max(0, os.fstat(fd).st_size - at), at)
            # Renamed over the file we hold: a waiter then finds another file at the path,
            # and locks that one (lock.locked_file), so nobody appends to the old one.
            write_atomic(self.path, (_HEADER % upto) + tail)


def _base(header: bytes, path: Path) -> int:
    if len(header) != HEADER_LEN or not header.startswith(b"SMSTUI-JOURNAL 3 base="):
        raise StoreError(f"{path} is not a version 3 smstui journal")
    return int(header[22:42])


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def _cut_torn_tail(fd: int, path: Path, *, check_records: bool = False) -> int:
    """Truncate after the last whole record; returns the file's (new) size.

    A crash mid-write leaves a line without its newline; `check_records` (at open) also
    walks back over whole lines that fail their checksum (a block the disk never wrote).
    """
    size = os.fstat(fd).st_size
    end, data = size, b""
    if check_records:
        data = os.pread(fd, size, 0)
        end = _last_good_end(data)
    elif size > HEADER_LEN and os.pread(fd, 1, size - 1) != b"\n":
        data = os.pread(fd, size, 0)
        end = max(HEADER_LEN, data.rfind(b"\n") + 1)
    if end < size:
        os.ftruncate(fd, end)
        os.fsync(fd)
        tail = data[end:]
        records = tail.count(b"\n") + (not tail.endswith(b"\n"))
        log.warning("%s: cut %d torn or damaged record(s) (%d bytes) back to the last whole "
                    "one", path, records, size - end)  # fmt: skip
    return end


def _last_good_end(data: bytes) -> int:
    """The end of the last record after which everything is damaged (or the header's end)."""
    end = start = HEADER_LEN
    while True:
        nl = data.find(b"\n", start)
        if nl < 0:
            return end
        if _decode(data[start:nl]) is not None:
            end = nl + 1
        start = nl + 1
