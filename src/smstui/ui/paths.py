"""Where the stylesheets live: inside the installed package, or the repo's styles/ when editable."""

from __future__ import annotations

from pathlib import Path

import smstui


def styles_dir() -> Path:
    """The directory of smstui's .tcss files (the wheel's copy first, then the source tree's)."""
    packaged = Path(smstui.__file__).parent / "styles"
    if packaged.is_dir():
        return packaged
    # Editable install: src/smstui/__init__.py → repo root is two levels above the package.
    return Path(smstui.__file__).resolve().parents[2] / "styles"


def stylesheets() -> list[Path]:
    """Every stylesheet the app loads, in a stable order (app.tcss first so others can refine)."""
    folder = styles_dir()
    sheets = sorted(folder.glob("*.tcss"), key=lambda p: (p.name != "app.tcss", p.name))
    return sheets
