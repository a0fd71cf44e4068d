"""HLR requests (`send.php?hlr=1`): how a number answers the network query (smsc.md §5.1)."""

from __future__ import annotations

import random

from smstui.emulator.numbering import NumberPlan

# (share, err) of numbers the HLR reports unreachable: status 20 with the reason in err (§3.6).
UNREACHABLE = (
    (0.06, 6),  # subscriber offline
    (0.03, 1),  # subscriber does not exist
    (0.02, 13),  # subscriber blocked
    (0.01, 11),  # no SMS service
)
ROAMING = (("Turkey", "Turkcell"), ("Kazakhstan", "Beeline KZ"), ("Georgia", "Magti"))
ROAMING_SHARE = 0.05
COUNTRY = "Russian Federation"


def hlr_path(
    rng: random.Random, start: float, plan: NumberPlan
) -> tuple[list[tuple[float, int, int]], dict[str, str]]:
    """(−1 → 0 → 1 or 20+err timeline, HLR fields) of one query; a fixed number of draws.

    An HLR query needs no sender and no text, so none of the SMS failure paths (spam filter,
    unregistered sender, no route…) apply; the answer comes back within seconds.
    """
    queue = rng.uniform(0.3, 2.0)
    answer = rng.uniform(1.0, 8.0)
    roll, roam, imsi = rng.random(), rng.random(), rng.randrange(10**10)
    op = plan.operator
    fields = {
        "imsi": "250" + op.mnc + f"{imsi:010d}",
        "msc": "7" + op.codes[0] + "0000000",
        "mcc": "250",
        "mnc": op.mnc,
        "cn": COUNTRY,
        "net": op.name_en,
        "rcn": "",
        "rnet": "",
    }
    path = [(start, -1, 0), (start + queue, 0, 0)]
    done = start + queue + answer
    acc = 0.0
    for share, err in UNREACHABLE:
        acc += share
        if roll < acc:
            fields["msc"] = ""  # no switching centre serves an unreachable subscriber
            if err == 1:
                fields["imsi"] = ""  # a number without a subscriber has no SIM behind it
            return [*path, (done, 20, err)], fields
    if roam < ROAMING_SHARE:
        country, network = ROAMING[int(roam / ROAMING_SHARE * len(ROAMING))]
        fields["rcn"], fields["rnet"] = country, network
    return [*path, (done, 1, 0)], fields
