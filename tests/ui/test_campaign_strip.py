"""The campaign strip's figures: a smoothed rate, its scope, the stuck count (no app needed)."""

from __future__ import annotations

from pytest import approx

from smstui.model import DeliveryState as S
from smstui.sample_data import START, make_messages
from smstui.ui.widgets.campaign_strip import CampaignFigures, figures_text
from smstui.ui.widgets.stats import sends_per_minute, sent_rate_per_minute


def test_rate_is_the_last_five_minutes_averaged_not_the_current_minute():
    rows = make_messages(200)  # one send every 36 s over two hours
    assert sent_rate_per_minute(rows, START) == sum(1 for m in rows if m.sent_at > START - 300) / 5
    # A poll that brought a burst of late-discovered sends into the last minute moves the
    # per-minute count a lot and the 5-minute average a fifth as much.
    burst = [rows[0].evolve(message_id=f"b{i}", sent_at=START - 1) for i in range(20)]
    newest = burst + rows
    assert sends_per_minute(newest, START)[-1] - sends_per_minute(rows, START)[-1] == 20
    assert sent_rate_per_minute(newest, START) - sent_rate_per_minute(rows, START) == approx(4.0)


def test_rate_ignores_future_and_untimed_sends():
    rows = make_messages(10, span_s=200)
    odd = [rows[0].evolve(message_id="f", sent_at=START + 60), rows[0].evolve(message_id="u",
           sent_at=None)]  # fmt: skip
    assert sent_rate_per_minute(odd + rows, START) == 10 / 5


def test_text_leads_with_delivery_and_stuck_then_pace():
    fig = CampaignFigures.build(
        {S.DELIVERED: 3, S.FAILED: 1, S.SENT: 2}, [1, 2], 3600.0, rate_per_min=1.64, stuck=2
    )
    lines = figures_text(fig).splitlines()
    assert lines[0] == "[b]75.0%[/b] delivered · [b $warning]2 stuck[/] · [b]6[/b] msgs"
    assert lines[1] == "1.6/min, 5 min avg · oldest pending 1 h"
    assert "failed 1" in lines[2] and "sent 2" in lines[3]
    calm = CampaignFigures.build({S.SENT: 1}, [], 60.0, stuck=0)
    assert "none stuck" in figures_text(calm).splitlines()[0]
    done = CampaignFigures.build({S.DELIVERED: 1}, [], None, stuck=0)
    assert "nothing pending" in figures_text(done).splitlines()[0]
