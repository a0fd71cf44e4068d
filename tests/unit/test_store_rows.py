"""Schema 2 codecs: message rows and timelines as strings round-trip any text exactly."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smstui.errors import StoreError
from smstui.model import DeliveryState, Message, Provider, Source
from smstui.store import rows, timeline
from smstui.store.fragments import MessageFragments

# Any Unicode, surrogates included (a gateway's JSON can carry a lone "\ud800"), plus the
# characters the codec treats specially, so that hypothesis hits them often.
nasty = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(["|", "~", "\\", "N", "p", "w", "\n", "\ud800", "\udfff", '"']),
    ),
    max_size=30,
)
times = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-(2**40), 2**40))
ints = st.one_of(st.none(), st.integers(-(2**63), 2**63))
costs = st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False))

messages = st.builds(
    Message,
    account=nasty, provider=st.sampled_from(list(Provider)), message_id=nasty, phone=nasty,
    state=st.sampled_from(list(DeliveryState)), text=nasty, sender=nasty, sent_at=times,
    raw_status=nasty, error_code=ints, cost=costs, parts=ints, country=nasty, operator=nasty,
    region=nasty, updated_at=times,
)  # fmt: skip


def _through_json(text: str) -> str:
    """What reading the file back gives for a string written into it."""
    payload = json.dumps({"r": text}, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.loads(payload)["r"]


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, min_size=1, max_size=8))
def test_message_rows_round_trip_exactly(batch: list[Message]) -> None:
    encoded = [_through_json(rows.encode_row(m)) for m in batch]
    decoded = rows.decode_rows(encoded)
    assert decoded == batch
    for got, want in zip(decoded, batch, strict=True):
        assert type(got) is Message and got.key == want.key
        assert (got.sent_at is None) == (want.sent_at is None)


@settings(max_examples=150, deadline=None)
@given(nasty)
def test_escape_round_trips_and_never_leaves_a_separator(text: str) -> None:
    escaped = rows.escape(text)
    assert "|" not in escaped and "~" not in escaped
    assert rows.unescape(escaped) == text


entries = st.tuples(
    st.sampled_from(list(DeliveryState)),
    nasty,
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.sampled_from(list(Source)),
    st.one_of(st.none(), st.integers(-(2**31), 2**31)),
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries, max_size=8))
def test_timeline_append_keeps_order_dedupes_and_round_trips(items: list[tuple]) -> None:
    text = ""
    kept: dict[tuple, tuple] = {}
    for e in items:
        new = timeline.append(text, e)
        sig = (e[0], e[1], e[2])
        assert (new is None) == (sig in kept)  # a duplicate is exactly a seen (state, raw, at)
        if new is not None:
            kept[sig] = e
            text = new
    got = timeline.decode(_through_json(text))
    assert [g[2] for g in got] == sorted(g[2] for g in got)
    assert sorted(got, key=repr) == sorted(kept.values(), key=repr)
    for a, b in zip(got, sorted(kept.values(), key=lambda e: e[2]), strict=False):
        assert len(a) == len(b) == 6


def test_equal_times_written_as_int_or_float_are_one_observation() -> None:
    first = timeline.append("", ("delivered", "1", 5, "poll", None, None))
    assert first is not None
    assert timeline.append(first, ("delivered", "1", 5.0, "webhook", None, 9.0)) is None


@pytest.mark.parametrize(
    "row, match",
    [
        ("a|smsc|1", "expected 16 fields"),
        ("a|sms|1|7|queued|||||||||||", "bad message row"),  # unknown provider
        ("a|smsc|1|7|late|||||||||||", "bad message row"),  # unknown state
        ("a|smsc|1|7|queued||||||x|||||", "bad message row"),  # cost is not a number
        ("a|smsc|1|7|queued||||\\q|||||||", "unknown escape"),
        ("\\N|smsc|1|7|queued|||||||||||", "key field"),
    ],
)
def test_bad_rows_raise_store_error(row: str, match: str) -> None:
    with pytest.raises(StoreError, match=match):
        rows.decode_rows([row])


def test_bad_timelines_raise_store_error() -> None:
    with pytest.raises(StoreError):
        timeline.decode("delivered|1|notafloat|poll||")
    with pytest.raises(StoreError):
        timeline.decode("delivered|1|5.0")


def _full(order, by_key, tls) -> dict:
    """The messages table encoded from scratch, as the reference."""
    return {str(i): {"r": rows.encode_row(by_key[k]), "t": tls.get(k, "")}
            for i, k in enumerate(order, 1)}  # fmt: skip


def test_flush_reencodes_only_marked_messages() -> None:
    base = [Message("a", Provider.SMSC, str(i), "7", cost=Decimal("1.5")) for i in range(50)]
    order = [m.key for m in base]
    by_key = {m.key: m for m in base}
    tls = {order[0]: timeline.append("", ("queued", "0", 1.0, "poll", None, None)) or ""}
    frags = MessageFragments()
    frags.seed(order, [rows.encode_row(m) for m in base], [tls.get(k, "") for k in order])
    assert json.loads(frags.table_json(order, by_key, tls, gen=1)) == _full(order, by_key, tls)
    assert frags.reencoded == 0  # every document came from the file
    by_key2 = dict(by_key)
    by_key2[order[10]] = by_key[order[10]].evolve(state=DeliveryState.DELIVERED)
    frags.mark({order[10]}, 2)
    doc = json.loads(frags.table_json(order, by_key2, tls, gen=2))
    assert frags.reencoded == 1 and doc == _full(order, by_key2, tls)
    assert rows.decode_rows([d["r"] for d in doc.values()]) == [by_key2[k] for k in order]


def test_overlapping_flushes_never_write_a_stale_document() -> None:
    m = Message("a", Provider.SMSC, "1", "7")
    k = m.key
    frags = MessageFragments()
    frags.seed([k], [rows.encode_row(m)], [""])
    a_state = {k: m.evolve(state=DeliveryState.SENT)}  # snapshot A (generation 2)
    frags.mark({k}, 2)
    b_state = {k: m.evolve(state=DeliveryState.DELIVERED)}  # snapshot B (generation 3)
    frags.mark({k}, 3)
    # B's thread may run first, or A's: each file must hold its own snapshot's state.
    a_doc = json.loads(frags.table_json([k], a_state, {}, gen=2))
    assert a_doc["1"]["r"].split("|")[4] == "sent"
    b_doc = json.loads(frags.table_json([k], b_state, {}, gen=3))
    assert b_doc["1"]["r"].split("|")[4] == "delivered"
    assert frags.reencoded == 1
    again = json.loads(frags.table_json([k], b_state, {}, gen=4))
    assert again == b_doc and frags.reencoded == 0  # B's write cleared the mark
