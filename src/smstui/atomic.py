"""Atomic file replacement: the one place smstui writes a file that must never be seen torn."""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

from smstui.errors import StoreError

_TMP_MARK = ".tmp-"
_counter = itertools.count()


def write_atomic(path: Path, payload: bytes, *, mode: int = 0o600) -> None:
    """Write payload so that path is either the old file or the new one, whole and durable.

    Temp file in the same directory, fsync, rename over the target, fsync the directory (the
    rename lives in the directory's data). StoreError names the file on any failure, and the
    temp file is removed (a full disk must not leave half a copy behind).
    """
    tmp = path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}-{next(_counter)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):  # e.g. the parent is not a directory at all
            tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {err.strerror or err}") from err
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make renames and creations in `directory` durable."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)


def remove_stale_temps(directory: Path) -> int:
    """Delete temp files a killed writer left in `directory`; returns how many."""
    removed = 0
    for stale in directory.rglob(f".*{_TMP_MARK}*"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed
