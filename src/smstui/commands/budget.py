"""`smstui budget [--clear-pause]`: an account's shared request budget, and lifting a login pause.

After two failed logins every smstui process pauses the account for 30 minutes (SMSC blocks the
IP after five). Once the password or API key in the config is fixed, `--clear-pause` lifts that
pause (and forgets the failed logins) for every process at once. Pauses the gateway imposed
(error 4, a locked account, error 9) are not lifted: asking would only earn them again.
"""

from __future__ import annotations

import argparse
import sys
import time

from smstui.budget import budget_for
from smstui.budget.wording import ask_again
from smstui.clock import SystemClock
from smstui.commands._common import add_config_args, add_json_arg, load, print_json, print_table


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `budget` subcommand."""
    parser = sub.add_parser(
        "budget", help="show an account's request budget; --clear-pause after fixing a password"
    )
    parser.add_argument(
        "--clear-pause",
        action="store_true",
        help="lift the pause after failed logins (fix the password or API key first)",
    )
    add_config_args(parser)
    add_json_arg(parser)
    parser.set_defaults(func=run)


async def run(args: argparse.Namespace) -> int:
    """Print the rows and pauses (after lifting a login pause with --clear-pause)."""
    config = load(args)
    account = config.account(args.account)
    budget = budget_for(account, SystemClock(), config.cache_dir)
    if args.clear_pause:
        lifted = budget.clear_login_pause()
        print(
            f"smstui: {account.name}: "
            + ("failed logins forgotten; requests allowed again" if lifted else "no login pause"),
            file=sys.stderr,  # stdout stays the table (or the one JSON document)
        )
    now = time.time()
    pauses = [(b.endpoint, b.until, b.reason) for b in budget.backoffs()]
    rows = budget.rows_left()
    if args.json:
        print_json({"account": account.name, "rows": rows,
                    "pauses": [{"endpoint": e, "until_at": u, "reason": r} for e, u, r in pauses],
                    "failed_logins": budget.failed_logins})  # fmt: skip
        return 0
    print_table(["ROW", "LEFT", "MAX", "WINDOW S", "LAYER"],
                [[r.name, str(r.remaining), str(r.limit), f"{r.window_s:g}", r.layer]
                 for r in rows])  # fmt: skip
    for endpoint, until, reason in pauses:
        what = "every request" if endpoint == "*" else f"{endpoint} requests"
        print(f"paused: {what} ({reason}); {ask_again(until, now)}")
    return 0
