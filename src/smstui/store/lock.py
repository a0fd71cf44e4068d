"""The checkpointer's rule: an exclusive, non-blocking flock on `writer.lock`."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from smstui.errors import StoreError


class WriterLock:
    """Holds `<path>.lock` exclusively while open; the kernel releases it if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = Path(str(path) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise StoreError naming the process that holds it."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise StoreError(f"cannot create lock file {self.path}: {err.strerror}") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            why = "is already being written by another smstui process" + who
            if not isinstance(err, BlockingIOError):
                why = f"cannot be locked: {err.strerror}"
            raise StoreError(f"cache {self.path.parent} {why}; open it read-only instead") from err
        os.ftruncate(fd, 0)  # our pid, so the next process's error message can name us
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing releases the flock
