"""The command line: --help, --version, usage errors exit 2, subprocess entry points work."""

import subprocess
import sys

import pytest

from smstui import __version__
from smstui.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"smstui {__version__}"


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "usage: smstui" in out


@pytest.mark.parametrize("argv", [["no-such-command"], ["--no-such-option"], ["demo", "--bogus"]])
def test_unknown_command_or_option_is_a_usage_error(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_console_script_and_module_entry_agree():
    by_module = subprocess.run(
        [sys.executable, "-m", "smstui", "--version"], capture_output=True, text=True, timeout=60
    )
    assert by_module.returncode == 0 and by_module.stdout.strip() == f"smstui {__version__}"
