"""Theme colours fitted to the terminal: on 16 colours (TERM=xterm) red means trouble only.

A 16-colour terminal gets every theme colour rounded to its nearest ANSI colour, and the
themes' orange accent and warning round to bright red, the colour of failures: the focused
border and the `sent` counters looked like errors. On such terminals every colour that would
round to red, except the trouble ones, is replaced by one that rounds to bright cyan (accents)
or bright yellow (cautions). NO_COLOR is handled in the stylesheets (`:nocolor` rules).
"""

from __future__ import annotations

from rich.color import ColorSystem
from textual.color import Color, ColorParseError

SIXTEEN = frozenset({"standard", "windows"})  # rich's names for 16- and 8-colour terminals
REDS = frozenset({1, 9})  # ANSI red, bright red
TROUBLE = ("error", "state-failed", "state-rejected")  # the colours that may (must) stay red
ACCENT_16 = Color.parse("#55FFFF")  # bright cyan in every 16-colour palette
CAUTION_16 = Color.parse("#FFFF55")  # bright yellow


def rounds_to_red(value: str) -> bool:
    """Would a 16-colour terminal show this colour as red? False for what is not a colour."""
    try:
        color = Color.parse(value)
    except ColorParseError:
        return False
    rich = color.rich_color.downgrade(ColorSystem.STANDARD)
    return rich.number in REDS


def fit_to_terminal(variables: dict[str, str], color_system: str | None) -> dict[str, str]:
    """The CSS variables for this colour system: unchanged unless it has 16 colours or fewer."""
    if color_system not in SIXTEEN:
        return variables
    out = dict(variables)
    for name, value in variables.items():
        if name.startswith(TROUBLE) or not rounds_to_red(value):
            continue
        alpha = Color.parse(value).a
        replacement = ACCENT_16 if "accent" in name else CAUTION_16
        out[name] = replacement.with_alpha(alpha).hex
    return out
