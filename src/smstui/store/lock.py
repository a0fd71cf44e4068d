"""The cache's locks: bounded waits, and locks that a deleted file cannot double.

Two rules live here. A lock is only a lock while its file is the one at its path: a
`journal.lock` removed as "stale" while held let a second process lock a fresh file beside
the first, so the journal is locked through `journal.log` itself (nobody deletes the data as
a stale lock; a trim's rename is caught by the identity check after locking) and the writer
role through the cache directory (which cannot be removed while it holds files). And no lock
is waited for without a bound: a process frozen while holding one (Ctrl-Z, a hung disk) turns
into a StoreError within seconds — on an event loop within a fraction of one — never a hang.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smstui.errors import StoreError

LOCK_WAIT_S = 2.0  # off the loop (a thread, a CLI): then the append fails and a push gets 503
LOOP_LOCK_WAIT_S = 0.5  # on an event loop thread: the longest a sync caller may stall the loop
STALLED_LOCK_WAIT_S = 0.1  # after a timeout, until a lock is next taken: the holder is stuck
_FIRST_NAP_S, _LONGEST_NAP_S = 0.001, 0.02
WRITER_PID_NAME = "writer.lock"


class LockTimeout(StoreError):
    """A lock stayed held by another process for longer than this caller may wait."""


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def wait_limit(*, stalled: bool = False) -> float:
    """How long this caller may wait for a lock: shorter on an event loop, and once stalled."""
    limit = LOOP_LOCK_WAIT_S if _on_event_loop() else LOCK_WAIT_S
    return min(limit, STALLED_LOCK_WAIT_S) if stalled else limit


class LockWaits:
    """One file's waits: after one timed out, the next are short until a lock is taken again.

    A holder that kept the lock past one full wait is most likely stopped; every later
    append (and the checkpoint at shutdown) would otherwise wait the full bound again.
    """

    def __init__(self) -> None:
        self.stalled = False

    def limit(self) -> float:
        """This caller's bound now."""
        return wait_limit(stalled=self.stalled)


def flock_within(fd: int, mode: int, wait_s: float, what: Path) -> None:
    """flock(fd, mode), trying until `wait_s` has passed; LockTimeout then.

    Non-blocking tries with short naps rather than a blocking flock: a thread stuck in flock
    can be neither cancelled nor joined, and the process could not exit.
    """
    deadline = time.monotonic() + wait_s
    nap = _FIRST_NAP_S
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                # No duration in the text: the same problem reads the same (logged once).
                raise LockTimeout(
                    f"{what} stayed locked by another smstui process (is one stopped or hung?)"
                ) from None
            time.sleep(min(nap, left))
            nap = min(nap * 2, _LONGEST_NAP_S)


def _same_file(fd: int, path: Path) -> bool:
    try:
        at_path = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (at_path.st_dev, at_path.st_ino)


@contextmanager
def locked_file(path: Path, mode: int, flags: int, waits: LockWaits) -> Iterator[int]:
    """An fd of `path` opened with `flags`, flocked, and still the file at `path`.

    A file that was replaced (a trim's rename) or deleted while we waited is not the lock
    any more: close it and lock what is at the path now. OSError from open propagates
    (FileNotFoundError: nothing to lock without O_CREAT).
    """
    wait_s = waits.limit()
    deadline = time.monotonic() + wait_s
    while True:
        fd = os.open(path, flags, 0o600)
        try:
            flock_within(fd, mode, max(0.0, deadline - time.monotonic()), path)
            if _same_file(fd, path):
                break
        except LockTimeout:
            os.close(fd)
            waits.stalled = True
            raise
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # closing releases the flock on the file that is gone
        if time.monotonic() >= deadline:
            raise LockTimeout(f"{path} kept being replaced while waiting for its lock")
    waits.stalled = False
    try:
        yield fd
    finally:
        os.close(fd)  # closing releases the flock


class WriterLock:
    """The checkpointer's role: an exclusive flock on the cache directory, for life.

    The directory, not a file in it: a lock file deleted while held (a tmp cleaner) let a
    second process lock a new one and checkpoint too. `writer.lock` still names the holder's
    pid for messages and the follower's health line, and is flocked as well, so an older
    smstui (which locks only that file) is refused, and refuses us.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / WRITER_PID_NAME
        self._fds: list[int] = []

    def acquire(self) -> None:
        """Take the role, or raise StoreError naming the process that holds it."""
        if self._fds:
            return
        try:
            for target, flags in ((self.directory, os.O_RDONLY | os.O_DIRECTORY),
                                  (self.path, os.O_RDWR | os.O_CREAT)):  # fmt: skip
                fd = os.open(target, flags, 0o600)
                self._fds.append(fd)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fd = self._fds[-1]
            os.ftruncate(fd, 0)  # our pid, so the next process's error message can name us
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as err:
            self.release()
            raise StoreError(self._refusal(err)) from err

    def _refusal(self, err: OSError) -> str:
        if not isinstance(err, BlockingIOError):
            return f"cache {self.directory} cannot be locked: {err.strerror}; open it read-only"
        try:
            holder = self.path.read_text("ascii", "replace").strip()
        except OSError:
            holder = ""
        who = f" (pid {holder})" if holder.isdigit() else ""
        return (f"cache {self.directory} is already being written by another smstui "
                f"process{who}; open it read-only instead")  # fmt: skip

    def release(self) -> None:
        """Give the role up (idempotent)."""
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)  # closing releases the flock
