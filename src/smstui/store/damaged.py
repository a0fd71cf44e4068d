"""`journal.damaged`: journal records that failed their checksum, kept with their bytes.

One line per record, `<absolute position, 20 digits> <the record's bytes as read>\\n` (a
record line holds no newline, so the bytes are kept exactly). Each record is kept once,
whichever process reads it first and however often it is read again.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from pathlib import Path

from smstui.errors import StoreError
from smstui.store.lock import LockWaits, locked_file

DAMAGED_NAME = "journal.damaged"
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_APPEND


def entry(pos: int, line: bytes) -> bytes:
    """One damaged record's line in the file."""
    return b"%020d %s\n" % (pos, line)


def keep(directory: Path, found: Sequence[tuple[int, bytes]]) -> str:
    """Append the records not kept yet (durably); '' when done, else why not (never raises:
    a record that cannot be set aside must not stop the journal from being read)."""
    path = directory / DAMAGED_NAME
    try:
        with locked_file(path, fcntl.LOCK_EX, _FLAGS, LockWaits()) as fd:
            with open(fd, "rb", closefd=False) as f:
                old = f.read()
            known = set(old.splitlines(keepends=True))
            new = b"".join(e for e in (entry(p, line) for p, line in found) if e not in known)
            if new and old and not old.endswith(b"\n"):
                new = b"\n" + new  # a write cut short before: start on a line of our own
            if new:
                view = memoryview(new)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
    except (OSError, StoreError) as err:
        return f"{path}: {getattr(err, 'strerror', None) or err}"
    return ""
