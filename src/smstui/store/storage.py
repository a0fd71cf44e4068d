"""A TinyDB Storage that writes the whole database atomically, as compact JSON."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from smstui.errors import StoreError

_TMP_PREFIX = "."
_TMP_MARK = ".tmp-"
_counter = itertools.count()


class AtomicJSONStorage(Storage):
    """TinyDB storage: compact JSON, written to a temp file, fsynced, renamed over the cache.

    A reader (or a crash) therefore only ever sees the previous complete file or the new
    complete file, never a half-written one. TinyDB's JSONStorage rewrites the file in place
    with indentation-free but space-separated JSON and no rename, so it can tear on a crash.
    """

    def __init__(self, path: str | os.PathLike[str], **_: Any) -> None:
        super().__init__()
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole database, or None when the file is missing or empty."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read cache {self.path}: {err.strerror}") from err
        if not raw or raw.isspace():  # isspace: no 20 MB copy, unlike strip()
            return None
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise StoreError(f"cache {self.path} is not valid JSON: {err}") from err
        if not isinstance(data, dict):
            raise StoreError(f"cache {self.path} is not a JSON object")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Serialise and atomically replace the cache file."""
        write_atomic(self.path, encode(data))

    def close(self) -> None:
        """Nothing stays open between writes."""


def encode(data: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (no spaces, Cyrillic kept as is: smaller and faster to write)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def write_atomic(path: Path, payload: bytes) -> None:
    """Write payload to path so that the file is either the old one or the new one, whole."""
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}{_TMP_MARK}{os.getpid()}-{next(_counter)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write cache {path}: {err.strerror}") from err
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (the directory entry lives in the directory's data)."""
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


def remove_stale_temps(path: Path) -> int:
    """Delete temp files a killed writer left behind; returns how many were removed."""
    removed = 0
    for stale in path.parent.glob(f"{_TMP_PREFIX}{path.name}{_TMP_MARK}*"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def move_aside(path: Path, now: float) -> Path:
    """Rename a corrupt cache to `<name>.corrupt-<UTC timestamp>` and return the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    try:
        os.replace(path, target)
    except OSError as err:
        raise StoreError(f"cannot move corrupt cache {path} aside: {err.strerror}") from err
    return target


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime_ns): changes whenever the writer replaces the file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
