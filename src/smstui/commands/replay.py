"""`smstui replay --at T`: the cache's summary as it was at a moment, from the stored timelines;
`smstui replay [--from T] [--to T]`: the dashboard on the cache as it was, moment by moment.

Read-only (works while `smstui poll` runs). The moment is the one smstui knew things: what the
live dashboard showed at T, not what the gateway knew a poll later (smstui.replay).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from smstui.commands._cache import open_cache
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.commands._tui import add_low_bandwidth_arg, ends_on_hangup, report_log
from smstui.config import Config
from smstui.display import group, money, stamp, zone_name
from smstui.errors import UsageError
from smstui.exit_codes import EXIT_PARTIAL
from smstui.logfile import log_candidates, logs_to_file
from smstui.replay import Replay, ReplayView, Summary, parse_moment, summaries_at
from smstui.replay_session import SPEEDS, MomentClock, Player, ReplayController
from smstui.runtime import only_account

if TYPE_CHECKING:  # the app module imports Textual: only the replay dashboard needs it
    from smstui.ui.app import SmstuiApp

EPILOG = """\
Without --at: the dashboard as it was at --from (default: the first message), replayable up to
--to (default: now); --play starts it playing at that speed (replayed seconds per second).

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
        metavar="T",
        help="print the summary at this moment (several: one each, one read of the cache)",
    )
    parser.add_argument("--from", dest="start", metavar="T", help="the dashboard opens here")
    parser.add_argument("--to", dest="end", metavar="T", help="the replay ends here (default: now)")
    parser.add_argument(
        "--play", type=float, choices=SPEEDS, default=None, help="start playing at ×1, ×10 or ×60"
    )
    add_low_bandwidth_arg(parser)
    add_config_args(parser, account_help="only this account (default: every account)")
    add_json_arg(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The summary at each --at moment, else the dashboard on the replay."""
    if not args.at:
        if args.json:
            raise UsageError("--json prints summaries: give the moments with --at T")
        return _dashboard(args)
    if args.start or args.end or args.play:
        raise UsageError("--from, --to and --play open the replay dashboard: leave out --at")
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


def _dashboard(args: argparse.Namespace) -> int:
    """Load the replay (one read of the cache, then it is closed) and open the dashboard."""
    config = only_account(load(args), args.account)
    now = time.time()
    end = now if args.end is None else parse_moment(args.end, now)
    accounts = None if args.account is None else frozenset(a.name for a in config.accounts)
    if args.low_bandwidth:
        config = dataclasses.replace(config, low_bandwidth=True)
    store = open_cache(config)
    try:
        replay = Replay.load(store, end, accounts)
    finally:
        store.close()
    first = replay.first
    if first is None:
        raise UsageError(f"the cache holds no message sent by {stamp(end)} {zone_name(at=end)}")
    start = first if args.start is None else parse_moment(args.start, now)
    view = ReplayView(replay, min(max(start, first), end))
    player = Player(view, first, end)
    if args.play:
        player.speed, player.playing = args.play, True
    if replay.partial:
        print(f"smstui: partial replay: {replay.partial}", file=sys.stderr)
    with logs_to_file(log_candidates(config.cache_dir), config.secrets()) as logged:
        app = replay_app(config, view, player, log_file=logged.path)
        with ends_on_hangup(app):
            app.run()
    report_log(logged, "replay")
    return EXIT_PARTIAL if replay.partial else 0


def replay_app(
    config: Config, view: ReplayView, player: Player, *, log_file: Path | None = None
) -> SmstuiApp:
    """The dashboard over a replay: the moment as its clock, no polling, the player running."""
    from smstui.ui.app import make_app

    controller = ReplayController(view, config)
    controller.words = player.words  # the health line names the moment and the speed
    return make_app(store=view, controller=controller, clock=MomentClock(view), config=config,
                    title="smstui replay", services=[player.run], log_file=log_file,
                    replay=player)  # fmt: skip


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
