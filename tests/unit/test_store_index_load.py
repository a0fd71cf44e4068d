"""The index built on open (from decoded columns) equals one built from the messages alone."""

from __future__ import annotations

from decimal import Decimal

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.store import Store
from smstui.store.index import MessageIndex
from smstui.store.rows import decode_table, encode_row

T0 = 1_763_700_000.0


def _messages() -> list[Message]:
    """Three accounts, an id shared by two phones, an id reused across accounts, open states."""
    out = []
    for i in range(30):
        account = ("smsc-main", "webcom", "smsc-2")[i % 3]
        provider = Provider.WEBCOM if account == "webcom" else Provider.SMSC
        state = (DeliveryState.DELIVERED, DeliveryState.QUEUED, DeliveryState.SENT)[i % 4 % 3]
        out.append(Message(account, provider, str(100 + i // 2), f"7999{i:07d}", state,
                           text="т|~\\x", sent_at=T0 - i * 10, cost=Decimal("1.5"),
                           updated_at=None if i % 5 else T0))  # fmt: skip
    out.append(Message("smsc-main", Provider.SMSC, "100", "79990000099", DeliveryState.FAILED))
    return out


def _state(index: MessageIndex) -> tuple:
    ids = {k[:2]: sorted(index.ids(*k[:2])) for k in index.by_key}
    return (
        {a: dict(c) for a, c in index.counts.items() if c},
        {a: list(nf) for a, nf in index.non_final.items() if nf},
        ids,
        list(index.frozen()[0]),
        dict(index.by_key),
    )


def test_columns_path_matches_message_path() -> None:
    messages = _messages()
    decoded, columns = decode_table([encode_row(m) for m in messages])
    assert decoded == messages
    from_columns, plain = MessageIndex(), MessageIndex()
    from_columns.load(decoded, [m.key for m in decoded], columns)
    plain.load(messages)
    assert _state(from_columns) == _state(plain)
    assert sorted(from_columns.ids("smsc-main", "100")) == [
        ("smsc-main", "100", "79990000000"),
        ("smsc-main", "100", "79990000099"),
    ]
    assert from_columns.counts["webcom"][DeliveryState.QUEUED] >= 1


def test_reopened_store_answers_like_the_one_that_wrote(tmp_path) -> None:
    path = tmp_path / "cache.json"
    with Store.open(path, clock=FakeClock(T0)) as store:
        store.apply(_messages(), source=Source.HISTORY)
        before = _state(store.index)
    with Store.open(path, clock=FakeClock(T0 + 5)) as store:
        assert _state(store.index) == before
        # A phone-less change resolves through the per-account id map built at open.
        changed = store.apply([StatusChange("webcom", "105", DeliveryState.DELIVERED, "4", T0 + 1)])
        assert [c.key for c in changed] == [("webcom", "105", "79990000010")]
        assert changed[0].after.state is DeliveryState.DELIVERED
        assert changed[0].change.observed_at == T0 + 5
        assert (
            store.index.counts["webcom"][DeliveryState.DELIVERED]
            == before[0]["webcom"].get(DeliveryState.DELIVERED, 0) + 1
        )
