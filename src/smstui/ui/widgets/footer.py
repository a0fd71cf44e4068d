"""The footer: `?` (help) and `q` (quit) first, always visible; then the keys in focus order.

Textual's footer lists the focused widget's keys first and the app's last, so at 80-200
columns the two keys a newcomer needs most fell off the right edge.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST = ("help", "quit")  # actions shown before all others, in this order


class KeyFooter(Footer):
    """A footer that always starts with help and quit (whatever keys they are mapped to)."""

    def compose(self) -> ComposeResult:
        """One key per action: help and quit first, then the focused widget's, the screen's."""
        if not self._bindings_ready:
            return
        seen: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen[binding.action] = (binding, enabled, tooltip)
        ordered = [a for a in FIRST if a in seen] + [a for a in seen if a not in FIRST]
        self.styles.grid_size_columns = len(ordered)
        for action in ordered:
            binding, enabled, tooltip = seen[action]
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
