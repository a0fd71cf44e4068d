"""While the TUI runs, log lines go to a rotating file (secrets masked), never to the terminal.

A stderr handler writes straight through to the terminal under Textual's screen: a gateway that
went down drew `WARNING smstui.poller: …` across the campaign pane. For the app's lifetime the
root logger's handlers are swapped for one rotating file in the cache dir, and `warnings` are
routed to it too; the CLI's handlers come back afterwards, so headless commands keep their
one-line stderr.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

from smstui.secrets import Secret, mask_text

LOG_NAME = "smstui.log"
DEMO_LOG_NAME = "demo.log"  # the demo's own: a demo never mixes into the real dashboard's log
MAX_BYTES = 4 * 1024 * 1024  # a few MB of lines is days of warnings; three of them at most
BACKUPS = 2  # smstui.log, .1 and .2
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFormatter(logging.Formatter):
    """The usual line, then every secret and credential parameter in it masked (tracebacks too)."""

    def __init__(self, secrets: Iterable[Secret]) -> None:
        super().__init__(FORMAT)
        self.secrets = list(secrets)  # grows when a secret is made after the log opened

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record with secrets replaced by ***."""
        return mask_text(super().format(record), self.secrets)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files are created 0600: log lines carry phone numbers and URLs."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # closed by close()


def log_candidates(cache_dir: Path) -> list[Path]:
    """The dashboard's log: in its cache dir, else (a cache it may not write) the user log dir."""
    return [cache_dir / LOG_NAME, platformdirs.user_log_path("smstui") / LOG_NAME]


def demo_log_candidates(kept_cache_dir: Path | None) -> list[Path]:
    """The demo's log: beside a cache it keeps; else in the data dir beside its kept exports,
    because its temporary cache is deleted on quit and the log is read after that."""
    if kept_cache_dir is not None:
        return log_candidates(kept_cache_dir)
    return [
        platformdirs.user_data_path("smstui") / DEMO_LOG_NAME,
        platformdirs.user_log_path("smstui") / DEMO_LOG_NAME,
    ]


@dataclass
class LogCapture:
    """Where this run's log lines went (None: nowhere writable, so they were dropped)."""

    path: Path | None
    formatter: MaskingFormatter
    warnings: int = 0  # records at WARNING or above written during the run

    def mask_also(self, secrets: Iterable[Secret | None]) -> None:
        """Mask these too from now on (the demo's webhook secret is made after the log opens)."""
        self.formatter.secrets.extend(s for s in secrets if s)


class _Counter(logging.Handler):
    def __init__(self, capture: LogCapture) -> None:
        super().__init__(logging.WARNING)
        self._capture = capture

    def emit(self, record: logging.LogRecord) -> None:
        self._capture.warnings += 1


def open_log(
    candidates: Sequence[Path], formatter: MaskingFormatter
) -> tuple[logging.Handler, Path | None]:
    """A handler on the first candidate file that can be opened for appending (else a null one)."""
    for path in candidates:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = PrivateRotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
            )
        except OSError:
            continue  # a read-only cache dir (following someone else's cache): the next place
        handler.setFormatter(formatter)
        return handler, path
    return logging.NullHandler(), None


@contextmanager
def logs_to_file(
    candidates: Sequence[Path], secrets: Iterable[Secret] = ()
) -> Iterator[LogCapture]:
    """For the block's lifetime every log line and warning goes to the file, none to stderr."""
    formatter = MaskingFormatter(secrets)
    handler, path = open_log(candidates, formatter)
    capture = LogCapture(path, formatter)
    counter = _Counter(capture)
    root = logging.getLogger()
    saved = root.handlers[:]
    for old in saved:
        root.removeHandler(old)
    root.addHandler(handler)
    root.addHandler(counter)
    logging.captureWarnings(True)  # `warnings.warn` → the "py.warnings" logger → the file
    try:
        yield capture
    finally:
        logging.captureWarnings(False)
        root.removeHandler(counter)
        root.removeHandler(handler)
        handler.close()
        for old in saved:
            root.addHandler(old)


def after_run_line(capture: LogCapture, what: str) -> str | None:
    """The one stderr line after the TUI exits when it logged warnings, naming the file."""
    if not capture.warnings:
        return None
    count = capture.warnings
    if capture.path is None:
        return f"smstui: warnings while the {what} ran: {count}, not kept (no writable log file)"
    return f"smstui: warnings logged while the {what} ran: {count} (see {capture.path})"
