"""The state machine under hostile pushes: finals are never undone, timelines stay bounded."""

from __future__ import annotations

import sys
from urllib.parse import urlencode

import httpx
import pytest
from store_support import DAY, T0, P, key, msg, snapshot

from smstui.clock import FakeClock
from smstui.model import DeliveryState as S
from smstui.model import IncomingMessage, Provider, Source, StatusChange
from smstui.secrets import Secret
from smstui.store import Store
from smstui.store.schema import FOLDED, Decoded
from smstui.store.state import State
from smstui.store.timelines import TIMELINE_CAP, TIMELINE_HEAD, folded_count, seen
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.signature import smsc_hash

SECRET = Secret("s3cr3t-smsc")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def change(
    state: S, at: float, raw: str = "", err: int | None = None, **kw: object
) -> StatusChange:
    return StatusChange(
        "acc",
        "1",
        state,
        raw or state.value,
        at,
        Source.WEBHOOK,
        err,
        P,
        **kw,  # type: ignore[arg-type]
    )


class StoreSink:
    """The receiver's sink over a real Store: acknowledged once the journal has it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def push_changes(self, changes: list[StatusChange]) -> None:
        await self.store.apply_async(changes, source=Source.WEBHOOK)

    async def push_incoming(self, items: list[IncomingMessage]) -> None:
        """Not used here."""


def push(status: str, ts: float, err: str = "0") -> str:
    fields = {"id": "1", "phone": P, "status": status, "err": err, "ts": str(int(ts))}
    fields["md5"] = smsc_hash("md5", ["1", P, status], SECRET)
    return urlencode(fields)


async def test_a_clamped_push_does_not_outrank_the_delivery_report_after_it(tmp_path) -> None:
    """Over real loopback HTTP into a real Store: "sent" dated a day ahead is clamped to its
    receipt; the true "delivered" (dated a little earlier) then wins, and both stay in the
    timeline, in every process that reads the journal."""
    now = T0 + 600
    clock = FakeClock(now)
    store = Store.open(tmp_path / "c", clock=clock)
    store.apply([msg("1", state=S.QUEUED, updated_at=T0)])
    opts = ReceiverOptions(smsc_secret=SECRET, accounts={"acc": Provider.SMSC})
    async with (
        WebhookReceiver(opts, sink=StoreSink(store), clock=clock) as receiver,
        httpx.AsyncClient(timeout=5) as http,
    ):
        ahead = await http.post(f"{receiver.url}/smsc", content=push("0", now + DAY), headers=FORM)
        assert ahead.status_code == 200
        assert store.get(key("1")).state is S.SENT  # type: ignore[union-attr]
        clock.advance(5)
        truth = await http.post(f"{receiver.url}/smsc", content=push("1", now - 30), headers=FORM)
        assert truth.status_code == 200
    m = store.get(key("1"))
    assert m is not None and m.state is S.DELIVERED and m.updated_at == now - 30
    timeline = store.timeline(key("1"))
    assert [(c.state, c.claimed_at) for c in timeline] == [
        (S.QUEUED, None), (S.DELIVERED, None), (S.SENT, now + DAY),
    ]  # fmt: skip
    with Store.open(tmp_path / "c", clock=clock, readonly=True) as reader:  # journal replay
        assert snapshot(reader) == snapshot(store)
    store.close()
    with Store.open(tmp_path / "c", clock=clock) as again:  # from the checkpoint
        assert snapshot(again)[0][0].state is S.DELIVERED


@pytest.mark.parametrize("final", [S.DELIVERED, S.FAILED, S.EXPIRED, S.REJECTED, S.NOT_FOUND])
@pytest.mark.parametrize("later", [S.QUEUED, S.SENT, S.SCHEDULED, S.UNKNOWN])
def test_a_final_state_is_never_replaced_by_a_non_final_one(tmp_path, final, later) -> None:
    with Store.open(tmp_path / "c", clock=FakeClock(T0 + DAY)) as s:
        s.apply([msg("1")])
        # Non-final first, dated after the final one: the final one still wins.
        s.apply([change(later, T0 + 500), change(final, T0 + 100)])
        assert s.get(key("1")).state is final  # type: ignore[union-attr]
        # Non-final after a final one, as a change and as a whole Message: kept in the timeline
        s.apply([change(later, T0 + 900, raw="x")])
        s.apply([msg("1", state=later, updated_at=T0 + 1000)])
        m = s.get(key("1"))
        assert m is not None and m.state is final and m.updated_at == T0 + 100
        assert (later, T0 + 900) in [(c.state, c.at) for c in s.timeline(key("1"))]


def test_between_finals_and_between_non_finals_the_newer_wins(tmp_path) -> None:
    with Store.open(tmp_path / "c", clock=FakeClock(T0 + DAY)) as s:
        s.apply([msg("1"), change(S.SENT, T0 + 20), change(S.QUEUED, T0 + 10)])
        assert s.get(key("1")).state is S.SENT  # type: ignore[union-attr]
        s.apply([change(S.DELIVERED, T0 + 30), change(S.FAILED, T0 + 25)])
        assert s.get(key("1")).state is S.DELIVERED  # type: ignore[union-attr]
        s.apply([change(S.READ, T0 + 40)])
        assert s.get(key("1")).state is S.READ  # type: ignore[union-attr]
        s.apply([change(S.EXPIRED, T0 + 40)])  # a tie between finals: the new one
        assert s.get(key("1")).state is S.EXPIRED  # type: ignore[union-attr]


# ---- bounded timelines ------------------------------------------------------------------


def fresh_state() -> State:
    state = State(lambda info: Decoded([], []))
    state.apply([msg("1")], Source.SEND, T0)
    return state


def line_events(fn) -> int:
    """How many Python lines `fn()` executes (a count of operations, not a time)."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def test_40000_replays_of_one_push_keep_the_timeline_bounded_and_inserts_flat() -> None:
    """SMSC's hash does not cover ts: one captured "delivered" replayed with 40,000 past
    times is one timeline entry, and the 40,000th insert costs what the first did."""
    state = fresh_state()
    state.apply([change(S.SENT, T0 + 5, raw="0")], Source.WEBHOOK, T0 + 5)
    replays = [change(S.DELIVERED, T0 + 10 - i, raw="1", err=0) for i in range(40_000)]
    costs = []
    for i, c in enumerate(replays):
        if i < 1000 or i >= 39_000:
            costs.append(line_events(lambda c=c: state.apply([c], Source.WEBHOOK, T0 + 20)))
        else:
            state.apply([c], Source.WEBHOOK, T0 + 20)
    first, last = sum(costs[:1000]), sum(costs[1000:])
    assert last <= first * 1.2, (first, last)
    timeline = state.timelines[key("1")]
    assert len(timeline) == 3  # queued (the send), the folded "delivered", sent
    delivered = [e for e in timeline if e[0] == S.DELIVERED]
    assert len(delivered) == 1 and seen(delivered[0]) == 40_000
    assert delivered[0][2] == T0 + 10 - 39_999 and delivered[0][8] == T0 + 10  # first, last
    assert state.index.by_key[key("1")].state is S.DELIVERED
    # A retry of any time already seen at either end adds nothing.
    assert state.apply([replays[0], replays[-1]], Source.WEBHOOK, T0 + 30) == []


def test_distinct_observations_are_capped_keeping_the_first_and_the_newest() -> None:
    """Varying the (unsigned) error code makes every push distinct: the cap holds."""
    state = fresh_state()
    n = 5_000
    costs = []
    for i in range(n):
        c = change(S.FAILED, T0 + 10 + i, raw="20", err=i)
        costs.append(line_events(lambda c=c: state.apply([c], Source.WEBHOOK, T0 + 20)))
    assert sum(costs[-500:]) <= sum(costs[TIMELINE_CAP : TIMELINE_CAP + 500]) * 1.2
    timeline = state.timelines[key("1")]
    assert len(timeline) == TIMELINE_CAP + 1  # and one marker
    real = [e for e in timeline if e[3] != FOLDED]
    assert [e[2] for e in real[:TIMELINE_HEAD]] == [T0, *(T0 + 10 + i for i in range(7))]
    assert real[-1][2] == T0 + 10 + n - 1  # the newest is there
    assert folded_count(timeline) == n + 1 - TIMELINE_CAP
    assert [e[2] for e in timeline] == sorted(e[2] for e in timeline)
    assert state.index.by_key[key("1")].error_code == n - 1  # the message is not folded


def test_a_folded_timeline_survives_a_checkpoint_and_renders(tmp_path) -> None:
    """Folded entries and the cap's marker are written, read back, and shown as changes."""
    root = tmp_path / "c"
    with Store.open(root, clock=FakeClock(T0 + DAY)) as s:
        s.apply([msg("1")])
        s.apply([change(S.DELIVERED, T0 + 10 + i, raw="1", err=0) for i in range(3)])
        s.apply([change(S.FAILED, T0 + 100 + i, raw="20", err=i) for i in range(TIMELINE_CAP)])
        before = snapshot(s)
    with Store.open(root, clock=FakeClock(T0 + DAY), readonly=True) as r:
        assert snapshot(r) == before
        timeline = r.timeline(key("1"))
    marker = [c for c in timeline if c.raw_status.endswith("observations folded)")]
    assert len(marker) == 1 and marker[0].state is S.UNKNOWN
    assert len(timeline) == TIMELINE_CAP + 1


def test_determinism_across_processes_with_folds(tmp_path) -> None:
    """Every process reaches the same timelines from the journal as the writer in memory."""
    root = tmp_path / "c"
    writer = Store.open(root, clock=FakeClock(T0 + DAY))
    writer.apply([msg("1"), msg("2")])
    for i in range(200):
        writer.apply([change(S.SENT, T0 + 300 - i, raw="0"), change(S.DELIVERED, T0 + i, raw="1")])
    with Store.open(root, clock=FakeClock(T0 + DAY), readonly=True) as reader:
        assert snapshot(reader) == snapshot(writer)
    writer.close()
