"""XML text escaping shared by the emulator's XML replies and pushes."""

from __future__ import annotations

from xml.sax.saxutils import escape


def escape_text(text: str) -> str:
    """Escape &, <, > for element text."""
    return escape(text)
