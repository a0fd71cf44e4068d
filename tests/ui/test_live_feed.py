"""The live feed: event order, one line per change across sources, phones not ids, a summary."""

from __future__ import annotations

from conftest import START
from smstui.model import AppliedChange, DeliveryState, Message, Provider, Source, StatusChange
from smstui.ui.widgets.live_feed import FEED_COLUMNS, LiveFeed, feed_layout


def _change(m: Message, state, at, source=Source.POLL, phone=None, **kw) -> StatusChange:
    phone = m.phone if phone is None else phone
    return StatusChange(m.account, m.message_id, state, "x", at, source, phone=phone, **kw)


def _screen_text(app) -> str:
    return "\n".join(
        "".join(seg.text for seg in line) for line in app.screen._compositor.render_strips()
    )


async def test_feed_lines_are_in_event_order_whatever_the_arrival_order(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        rows = store.messages_sorted()
        late, early, middle = rows[0], rows[1], rows[2]
        store.apply([_change(late, DeliveryState.DELIVERED, START + 30)])
        store.apply([_change(early, DeliveryState.FAILED, START + 10, error_code=6)])
        store.apply([_change(middle, DeliveryState.DELIVERED, START + 20)])
        await pilot.pause()
        feed = app.screen.query_one(LiveFeed)
        assert [e.message_id for e in feed.entries] == [
            late.message_id,
            middle.message_id,
            early.message_id,
        ]


async def test_the_same_change_from_poll_and_webhook_is_one_line(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        target = store.messages_sorted()[3]
        store.apply([_change(target, DeliveryState.DELIVERED, START + 5, Source.WEBHOOK)])
        await pilot.pause()
        feed = app.screen.query_one(LiveFeed)
        feed.add([_change(target, DeliveryState.DELIVERED, START + 5, Source.POLL)])
        other = _change(target, DeliveryState.DELIVERED, START + 6, Source.POLL)  # another time
        feed.add([other])
        assert [(e.at, e.source) for e in feed.entries] == [
            (START + 6, "poll"),
            (START + 5, "webhook+poll"),
        ]


async def test_a_webcom_push_shows_the_cached_phone_never_the_id(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        webcom = next(m for m in store.messages_sorted() if m.provider is Provider.WEBCOM)
        push = _change(webcom, DeliveryState.DELIVERED, START + 4, Source.WEBHOOK, phone="")
        unknown = StatusChange(webcom.account, "99999999", DeliveryState.SENT, "x", START + 3,
                               Source.WEBHOOK)  # fmt: skip
        feed = app.screen.query_one(LiveFeed)
        feed.add([push, unknown])
        assert [e.phone for e in feed.entries] == [webcom.phone, ""]
        await pilot.pause()
        text = _screen_text(app)
        assert "99999999" not in text and webcom.phone[:11] in text


async def test_changes_before_launch_are_one_summary_line(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        feed = app.screen.query_one(LiveFeed)
        old = store.messages_sorted()[5]
        caught = Message("acc-new", Provider.SMSC, "old-1", "79990000001", DeliveryState.DELIVERED,
                         sent_at=START - 7200, updated_at=START - 7000)  # fmt: skip
        store.apply([caught, _change(old, DeliveryState.FAILED, START - 3600)])
        store.apply([_change(old, DeliveryState.DELIVERED, START + 1)])
        await pilot.pause()
        assert [e.message_id for e in feed.entries] == [old.message_id]
        assert feed.caught_up == 2
        summary = feed.summary()
        assert "cache held 200" in summary and "+2 earlier changes" in summary
        text = _screen_text(app)
        assert "launched 04:40 · cache held 200" in text
        assert "time" in text and "state" in text  # the header


def test_columns_fit_the_pane_and_none_is_a_sliver():
    for width in range(20, 80):
        layout = feed_layout(width)
        assert sum(w for _, w in layout) + len(layout) - 1 <= width
        for column, w in layout:
            assert column.min <= w <= column.max
    assert [c.name for c, _ in feed_layout(31)] == ["time", "state", "phone"]  # at 120 columns
    assert len(feed_layout(200)) == len(FEED_COLUMNS)


def test_feed_rejects_what_is_not_a_store_change():
    feed = LiveFeed()
    m = Message("a", Provider.SMSC, "1", "7999", DeliveryState.SENT, sent_at=START)
    try:
        feed.add([AppliedChange("inserted", m.key, None, m), object()])
    except TypeError:
        pass
    else:
        raise AssertionError("an object that is no change was taken")
    assert feed.entries == []
