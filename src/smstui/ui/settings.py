"""UI preferences remembered between runs (the theme), kept as JSON in the cache directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

SETTINGS_FILE = "ui-settings.json"


def load_ui_settings(folder: Path | None) -> dict[str, str]:
    """The saved preferences; an unreadable or malformed file counts as none saved."""
    if folder is None:
        return {}
    try:
        data = json.loads((folder / SETTINGS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_ui_setting(folder: Path | None, name: str, value: str) -> None:
    """Remember one preference (atomically: temp file + rename, so a crash keeps the old one)."""
    if folder is None:
        return
    data = load_ui_settings(folder)
    data[name] = value
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / (SETTINGS_FILE + ".tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=True), "utf-8")
    os.replace(temp, folder / SETTINGS_FILE)
