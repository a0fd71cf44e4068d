"""While the TUI runs, log lines and warnings go to a private rotating file (masked), not stderr."""

from __future__ import annotations

import io
import logging
import stat
import warnings

import pytest

from smstui import logfile
from smstui.logfile import after_run_line, logs_to_file
from smstui.secrets import Secret


@pytest.fixture
def stderr_handler():
    """The CLI's set-up: a root handler on a stream standing in for the terminal."""
    terminal = io.StringIO()
    handler = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.WARNING)
    yield terminal, handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_lines_and_warnings_go_to_the_file_not_the_terminal(tmp_path, stderr_handler):
    terminal, handler = stderr_handler
    path = tmp_path / "cache" / "smstui.log"
    with logs_to_file([path]) as logged:
        assert handler not in logging.getLogger().handlers
        logging.getLogger("smstui.poller").warning("status_mass: gateway down")
        logging.getLogger("aiohttp.server").error("Error handling request")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("a deprecated thing", DeprecationWarning, stacklevel=1)
        logging.getLogger("smstui").info("below the level: not written")
    assert terminal.getvalue() == ""
    assert logged.path == path and logged.warnings == 3
    text = path.read_text(encoding="utf-8")
    assert "WARNING smstui.poller: status_mass: gateway down" in text
    assert "ERROR aiohttp.server: Error handling request" in text
    assert "a deprecated thing" in text and "below the level" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Afterwards the CLI's handler is back: headless commands keep their one-line stderr.
    assert handler in logging.getLogger().handlers
    logging.getLogger("smstui").warning("after")
    assert terminal.getvalue() == "after\n"


def test_secrets_are_masked_in_lines_and_tracebacks(tmp_path, stderr_handler):
    path = tmp_path / "smstui.log"
    with logs_to_file([path], [Secret("hunter2-SECRET")]) as logged:
        log = logging.getLogger("smstui.gateways")
        log.warning("GET https://smsc.ru/sys/send.php?login=me&psw=pw-in-url&phones=1")
        try:
            raise ValueError("token hunter2-SECRET refused")
        except ValueError:
            log.exception("failed")
        logged.mask_also([Secret("made-later-SECRET"), None])
        log.warning("hook made-later-SECRET")
    text = path.read_text(encoding="utf-8")
    assert "hunter2-SECRET" not in text and "pw-in-url" not in text
    assert "made-later-SECRET" not in text
    assert "psw=***" in text and "token *** refused" in text and "hook ***" in text


def test_the_file_rotates_and_keeps_two_old_ones(tmp_path, stderr_handler, monkeypatch):
    monkeypatch.setattr(logfile, "MAX_BYTES", 2_000)
    path = tmp_path / "smstui.log"
    with logs_to_file([path]):
        for n in range(200):
            logging.getLogger("smstui").warning("line %d %s", n, "x" * 40)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["smstui.log", "smstui.log.1", "smstui.log.2"]
    assert all(p.stat().st_size <= 2_000 for p in tmp_path.iterdir())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in tmp_path.iterdir())
    assert "line 199 " in path.read_text(encoding="utf-8")


def test_an_unwritable_place_falls_back_to_the_next(tmp_path, stderr_handler):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    second = tmp_path / "logs" / "smstui.log"
    with logs_to_file([blocker / "smstui.log", second]) as logged:
        logging.getLogger("smstui").warning("kept")
    assert logged.path == second and "kept" in second.read_text(encoding="utf-8")


def test_nowhere_writable_drops_lines_but_never_prints_them(tmp_path, stderr_handler):
    terminal, _ = stderr_handler
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with logs_to_file([blocker / "smstui.log"]) as logged:
        logging.getLogger("smstui").warning("dropped")
    assert logged.path is None and terminal.getvalue() == ""
    assert after_run_line(logged, "dashboard") == (
        "smstui: warnings while the dashboard ran: 1, not kept (no writable log file)"
    )


def test_after_run_line_only_when_something_was_logged(tmp_path, stderr_handler):
    path = tmp_path / "smstui.log"
    with logs_to_file([path]) as logged:
        pass
    assert after_run_line(logged, "demo") is None
    with logs_to_file([path]) as logged:
        logging.getLogger("smstui").error("boom")
    assert after_run_line(logged, "demo") == (
        f"smstui: warnings logged while the demo ran: 1 (see {path})"
    )
