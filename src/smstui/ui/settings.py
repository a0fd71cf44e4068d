"""UI preferences remembered between runs (the theme), kept as JSON in the cache directory."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from smstui.atomic import write_atomic
from smstui.errors import StoreError

SETTINGS_FILE = "ui-settings.json"
log = logging.getLogger("smstui.ui")


def load_ui_settings(folder: Path | None) -> dict[str, str]:
    """The saved preferences; an unreadable, malformed or absurdly nested file counts as none."""
    if folder is None:
        return {}
    try:
        data = json.loads((folder / SETTINGS_FILE).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_ui_setting(folder: Path | None, name: str, value: str) -> None:
    """Remember one preference through the cache's one atomic write (a crash keeps the old one).

    A preference that cannot be saved is logged, never an error: the UI keeps working.
    """
    if folder is None:
        return
    data = load_ui_settings(folder)
    data[name] = value
    payload = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / SETTINGS_FILE, payload)
    except (OSError, StoreError) as err:
        log.warning("cannot remember the %s setting: %s", name, err)
