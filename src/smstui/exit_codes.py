"""The CLI's exit codes, one table: the commands, the TUI's Ctrl-C and --help read it."""

from __future__ import annotations

EXIT_OK, EXIT_GATEWAY, EXIT_USAGE, EXIT_NETWORK, EXIT_LOCAL = 0, 1, 2, 3, 4
EXIT_OUTCOME_UNKNOWN, EXIT_PARTIAL = 5, 6
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141  # 128 + SIGINT, 128 + SIGPIPE: what a shell reports
EXIT_CODES = (
    (EXIT_OK, "ok"),
    (EXIT_GATEWAY, "the gateway refused, the message is unknown, or the request budget is spent"),
    (EXIT_USAGE, "usage or config error (also a resend the policy refuses without --force)"),
    (EXIT_NETWORK, "network error"),
    (EXIT_LOCAL, "local state: the cache is locked, busy, unreadable or unwritable"),
    (EXIT_OUTCOME_UNKNOWN, "a send's outcome is unknown: it may have gone out (id printed)"),
    (EXIT_PARTIAL, "a --cached answer is partial: a damaged partition (stderr names the days)"),
    (EXIT_INTERRUPTED, "interrupted"),
    (EXIT_PIPE, "stdout closed early (smstui history | head)"),
)


def exit_codes_help() -> str:
    """The exit-code table for --help (the README's table says the same)."""
    return "exit codes:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES)
