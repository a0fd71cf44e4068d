"""The single-writer rule: an exclusive, non-blocking flock on `<cache>.lock`."""

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

    @property
    def held(self) -> bool:
        """True while this object owns the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise StoreError naming the process that holds it."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise StoreError(f"cannot create lock file {self.path}: {err.strerror}") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreError(
                f"cache {self.path.with_suffix('')} is already being written by another smstui "
                f"process{holder}; open it read-only instead"
            ) from err
        except OSError as err:
            os.close(fd)
            raise StoreError(f"cannot lock {self.path}: {err.strerror}") from err
        # Record our pid so the next process's error message can name us.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_holder(fd: int) -> str:
    """' (pid N)' from the lock file, or '' when it says nothing useful."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""
