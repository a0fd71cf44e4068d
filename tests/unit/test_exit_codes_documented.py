"""The exit codes are an interface: the README's list, `--help` and the code say the same."""

from __future__ import annotations

import re
from pathlib import Path

from smstui.cli import build_parser
from smstui.exit_codes import EXIT_CODES, exit_codes_help

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_and_help_name_every_exit_code():
    text = README.read_text(encoding="utf-8")
    start = text.index("Exit codes:")
    paragraph = text[start : text.index("\n\n", start)]
    documented = {int(n) for n in re.findall(r"(?:^|[:;] |\n)(\d+) ", paragraph)}
    assert documented == {code for code, _ in EXIT_CODES}
    for help_text in (build_parser().format_help(), exit_codes_help()):
        listed = {int(n) for n in re.findall(r"^\s+(\d+)  ", help_text, re.MULTILINE)}
        assert listed == {code for code, _ in EXIT_CODES}
