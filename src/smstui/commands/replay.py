"""`smstui replay --at T`: the cache's summary as it was at a moment, from the stored timelines.

Read-only (works while `smstui poll` runs). The moment is the one smstui knew things: what the
live dashboard showed at T, not what the gateway knew a poll later (smstui.replay).
"""

from __future__ import annotations

import argparse
import sys
import time

from smstui.commands._cache import open_cache
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.display import group, money, stamp, zone_name
from smstui.exit_codes import EXIT_PARTIAL
from smstui.replay import Summary, parse_moment, summaries_at

EPILOG = """\
T: 10m, 2h, 1d (that long ago), 10:15 (its latest occurrence), 2026-11-21 10:15 (the display
zone), ISO 8601 with an offset (2026-11-21T10:15:00+03:00), or now. --at may be given several
times: the cache is read once; --json then prints one array, one object per moment, in order.
A message exists at T once it was sent (or first seen) and smstui had learnt of it; its state is
the last status smstui had learnt by T. Spend counts the prices known now of the messages that
existed at T. A partial answer (a damaged partition) still prints, says so and exits 6.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `replay` subcommand."""
    parser = sub.add_parser(
        "replay",
        help="the cache's summary as it was at a moment (counts, delivered %%, spend, failures)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--at",
        action="append",
        required=True,
        metavar="T",
        help="the moment (several: one summary each, one read of the cache)",
    )
    add_config_args(parser, account_help="only this account (default: every account)")
    add_json_arg(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the summary at each moment: a table, or JSON."""
    config = load(args)
    now = time.time()
    moments = [parse_moment(text, now) for text in args.at]
    accounts = None if args.account is None else frozenset({config.account(args.account).name})
    store = open_cache(config)
    try:
        summaries = summaries_at(store, moments, accounts)
    finally:
        store.close()
    if args.json:
        records = [s.record() for s in summaries]
        print_json(records[0] if len(records) == 1 else records)
    else:
        for n, summary in enumerate(summaries):
            if n:
                print()
            _print(summary)
    partial = summaries[0].partial if summaries else ""
    if partial:
        print(f"smstui: partial answer: {partial}", file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def _print(s: Summary) -> None:
    """One moment as a few lines an operator reads top to bottom."""
    print(f"at {stamp(s.at)} {zone_name(at=s.at)}: {group(s.total)} messages")
    if s.counts:
        print("  " + "  ".join(f"{state.value} {group(n)}" for state, n in s.counts))
    pct = "—" if s.delivered_pct is None else f"{s.delivered_pct:.1f} %"
    print(f"  delivered {pct} of the final ones")
    on_failures = money(s.spent_on_failures, s.currency)
    spent = f"  spent {money(s.spent, s.currency)} (on failures {on_failures})"
    if s.unknown_cost:
        spent += f" · {group(s.unknown_cost)} without a price"
    print(spent)
    if s.failures:
        print("  failures by error:")
        width = max(len(group(f.count)) for f in s.failures)
        for f in s.failures:
            print(f"    {group(f.count).rjust(width)}  {f.error} ({f.error_class})")
