"""The index built on open (from decoded columns) equals one built from the messages alone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.store import Store
from smstui.store.index import MessageIndex
from smstui.store.rows import decode_table, encode_row

T0 = 1_763_700_000.0


def _messages(n_accounts: int = 3) -> list[Message]:
    """Several accounts, an id shared by two phones, an id reused across accounts, open states."""
    names = ["smsc-main", "webcom", *(f"smsc-{i}" for i in range(2, n_accounts))]
    out = []
    for i in range(30):
        account = names[i % n_accounts]
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


@pytest.mark.parametrize("n_accounts", [1, 3, 12])
@pytest.mark.parametrize("shared_id", [True, False])
def test_bulk_load_matches_one_by_one_puts(n_accounts: int, shared_id: bool) -> None:
    messages = _messages(n_accounts)[: None if shared_id else -1]
    decoded, columns = decode_table([encode_row(m) for m in messages])
    assert decoded == messages
    from_columns, from_messages, one_by_one = MessageIndex(), MessageIndex(), MessageIndex()
    from_columns.load(decoded, [m.key for m in decoded], columns)
    from_messages.load(messages)
    for m in messages:
        one_by_one.put(m)
    assert _state(from_columns) == _state(one_by_one)
    assert _state(from_messages) == _state(one_by_one)
    if shared_id:
        assert ("smsc-main", "100", "79990000099") in from_columns.ids("smsc-main", "100")
        assert len(from_columns.ids("smsc-main", "100")) == (2 if n_accounts > 1 else 3)


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
