"""Delivery-state colours, defined once as theme variables: `$state-<state>` and its style.

The app adds the variables from the current theme's own colours (so every theme, and NO_COLOR,
decides the real colour; a theme may set `state-expired` itself). The history table and the
live feed use them from styles/widgets.tcss; the detail view, the timeline and the campaign
strip through `state_markup()`.
"""

from __future__ import annotations

from collections.abc import Mapping

from smstui.model import DeliveryState as S

# The theme colour each state takes: arrived, on its way, waiting, failed for good, not arrived.
STATE_TONE: dict[S, str] = {
    S.DELIVERED: "success",
    S.READ: "success",
    S.SENT: "accent",
    S.QUEUED: "foreground-muted",
    S.SCHEDULED: "foreground-muted",
    S.STOPPED: "foreground-muted",
    S.UNKNOWN: "foreground-muted",
    S.FAILED: "error",
    S.REJECTED: "error",
    S.EXPIRED: "warning",
    S.NOT_FOUND: "warning",
    S.OUTCOME_UNKNOWN: "warning",  # maybe sent and charged: look before resending
}
# Failed for good, or maybe sent and charged: the rows a triager acts on.
BOLD = frozenset({S.FAILED, S.REJECTED, S.OUTCOME_UNKNOWN})


def variable(state: S) -> str:
    """The theme variable's name for a state's colour (`state-not-found`)."""
    return "state-" + state.value.replace("_", "-")


def state_variables(theme: Mapping[str, str]) -> dict[str, str]:
    """`state-<state>` (a colour from the theme) and `state-<state>-style` for every state."""
    out: dict[str, str] = {}
    for state, tone in STATE_TONE.items():
        out[variable(state)] = theme[tone]
        out[variable(state) + "-style"] = "bold" if state in BOLD else "none"
    return out


def with_state_variables(theme: Mapping[str, str]) -> dict[str, str]:
    """An App's CSS variables with the state colours added (what the theme sets itself wins)."""
    return {**state_variables(theme), **theme}


def state_markup(state: S) -> str:
    """The Textual markup style of a state (`b $state-failed`), for Static text."""
    return ("b " if state in BOLD else "") + "$" + variable(state)
