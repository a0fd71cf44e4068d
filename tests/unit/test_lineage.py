"""Resend lineage: the `resend_of` link survives the cache, and the index reads it both ways."""

from __future__ import annotations

from decimal import Decimal

from smstui.clock import FakeClock
from smstui.lineage import Lineage, lineage_mark, lineage_text, original_key
from smstui.model import (
    DeliveryState,
    Message,
    Provider,
    SendResult,
    Source,
    StatusChange,
    sent_message,
)
from smstui.store import Store

NOW = 1_763_700_000.0
ORIGINAL = Message(
    "main", Provider.SMSC, "500", "79161234567", DeliveryState.FAILED, "code 1", "SHOP",
    NOW - 600, "20", 6, Decimal("3.45"), 1, updated_at=NOW - 500,
)  # fmt: skip


def resend(new_id: str, of: Message = ORIGINAL) -> Message:
    result = SendResult(of.account, new_id, of.phone)
    return sent_message(result, of.provider, of.text, of.sender, of.phone, NOW,
                        resend_of=of.message_id)  # fmt: skip


def test_index_links_both_ways_and_words_them() -> None:
    first, second = resend("501"), resend("502")
    lineage = Lineage([ORIGINAL, first])
    assert original_key(first) == ORIGINAL.key and original_key(ORIGINAL) is None
    assert lineage.resent_as(ORIGINAL.key) == ("501",) and lineage.was_resent(ORIGINAL.key)
    assert not lineage.was_resent(first.key)
    assert lineage.add(second) and not lineage.add(second)  # idempotent
    assert lineage_text(ORIGINAL, lineage.resent_as(ORIGINAL.key)) == "resent → 502 (+1 earlier)"
    assert lineage_text(first, lineage.resent_as(first.key)) == "resend of 500"
    again = resend("503", of=first)  # a resend that failed and was resent itself
    lineage.add(again)
    assert lineage_text(first, lineage.resent_as(first.key)) == "resend of 500 · resent → 503"
    assert lineage_text(ORIGINAL.evolve(message_id="x"), ()) == ""


def test_resend_of_survives_status_changes_journal_and_partitions(tmp_path) -> None:
    clock = FakeClock(NOW)
    new = resend("501")
    with Store.open(tmp_path, clock=clock) as store:
        store.apply([ORIGINAL, new], source=Source.SEND)
        # A status change rebuilds the message (merge.apply_status): the link must stay.
        store.apply([StatusChange("main", "501", DeliveryState.DELIVERED, "1", NOW + 30,
                                  phone=new.phone)])  # fmt: skip
        # A later observation without the link (history, a poll) must not blank it out.
        store.apply([new.evolve(resend_of="", state=DeliveryState.DELIVERED, raw_status="1",
                                updated_at=NOW + 40)], source=Source.HISTORY)  # fmt: skip
        got = store.get(new.key)
        assert got is not None and got.resend_of == "500" and got.state is DeliveryState.DELIVERED
    with Store.open(tmp_path, clock=clock) as store:  # replayed from the journal
        assert store.get(new.key).resend_of == "500"
        assert store.checkpoint()
    with Store.open(tmp_path, clock=clock) as store:  # read back from the day partitions
        assert store.get(new.key).resend_of == "500"
        assert store.get(ORIGINAL.key).resend_of == ""


def test_a_push_first_then_the_send_record_still_links(tmp_path) -> None:
    # A push may name the new id before the resend's own record lands: the link fills in.
    with Store.open(tmp_path, clock=FakeClock(NOW)) as store:
        bare = Message("main", Provider.SMSC, "501", ORIGINAL.phone, DeliveryState.SENT,
                       raw_status="0", updated_at=NOW + 1)  # fmt: skip
        store.apply([bare], source=Source.WEBHOOK)
        store.apply([resend("501")], source=Source.SEND)
        assert store.get(bare.key).resend_of == "500"


def test_history_mark_is_short() -> None:
    first = resend("501")
    assert lineage_mark(ORIGINAL, ("501",)) == "↻→501"
    assert lineage_mark(first, ("777",)) == "↻←500 ↻→777"
    assert lineage_mark(ORIGINAL, ()) == ""


def test_link_holds_when_the_gateway_echoes_the_phone_in_another_form() -> None:
    plus = ORIGINAL.evolve(phone="+7 916 123-45-67")
    lineage = Lineage([resend("501")])  # the resend stored the digits the gateway answered
    assert lineage.resent_as(plus.key) == ("501",) and lineage.was_resent(plus.key)
    assert not lineage.was_resent(plus.evolve(phone="79990000000").key)  # another recipient


def test_jsonl_export_keeps_the_link_and_csv_keeps_its_columns(tmp_path) -> None:
    from smstui.export import COLUMNS, read_jsonl, write_csv, write_jsonl

    new = resend("501")
    assert write_jsonl(tmp_path / "x.jsonl", [ORIGINAL, new]) == 2
    assert read_jsonl(tmp_path / "x.jsonl") == [ORIGINAL, new]
    write_csv(tmp_path / "x.csv", [new])
    header = (tmp_path / "x.csv").read_text("utf-8").splitlines()[0]
    assert header == ",".join(COLUMNS) and "resend_of" not in header


def test_the_latest_resend_is_last_whatever_order_the_cache_is_read_in() -> None:
    older, newer = resend("501").evolve(sent_at=NOW), resend("502").evolve(sent_at=NOW + 60)
    for order in ([older, newer], [newer, older]):  # batches oldest first, the cache newest first
        lineage = Lineage(order)
        assert lineage.resent_as(ORIGINAL.key) == ("501", "502")
        assert lineage_mark(ORIGINAL, lineage.resent_as(ORIGINAL.key)) == "↻→502"
