"""The one resend policy: failure class and advice, as the engine, the UI and the CLI see them."""

from __future__ import annotations

import pytest

from smstui import display
from smstui.filtering import parse_filter
from smstui.model import DeliveryState, ErrorClass, Message, Provider
from smstui.moscow import MSK
from smstui.policy import Advice, ResendRefused, failure_class, in_bulk, resend_advice

NOW = 1_763_722_800.0  # 2025-11-21 14:00 MSK


def msg(state: DeliveryState, raw: str = "", err: int | None = None, **kw: object) -> Message:
    fields: dict[str, object] = {"provider": Provider.SMSC, "updated_at": NOW - 3600, **kw}
    return Message(account="main", message_id="42", phone="79161234567", state=state,
                   raw_status=raw, error_code=err, text="hello", **fields)  # type: ignore[arg-type]  # fmt: skip


WRONG_NUMBER = msg(DeliveryState.REJECTED, "22")  # no `err`: the status alone says permanent


def test_status_22_without_err_is_permanent_and_refused() -> None:
    advice = resend_advice(WRONG_NUMBER)
    assert failure_class(WRONG_NUMBER) is ErrorClass.PERMANENT
    assert advice.advice is Advice.PERMANENT
    assert advice.refusal(NOW) == "Wrong number: a permanent failure; resending will fail again"
    with pytest.raises(ResendRefused, match="permanent"):
        advice.check(NOW)
    advice.check(NOW, override=True)  # the explicit override lets it through
    assert not in_bulk(WRONG_NUMBER, NOW)
    # The `class:` filter reads the same decision.
    assert parse_filter("class:permanent").matches(WRONG_NUMBER)


@pytest.mark.parametrize(
    ("message", "advice", "klass"),
    [
        (msg(DeliveryState.FAILED, "20", 6), Advice.RESEND, ErrorClass.TEMPORARY),
        (msg(DeliveryState.FAILED, "25", 248), Advice.PERMANENT, ErrorClass.PERMANENT),
        (msg(DeliveryState.REJECTED, "24"), Advice.ACCOUNT, ErrorClass.ACCOUNT),
        (msg(DeliveryState.REJECTED, "23", 254), Advice.ACCOUNT, ErrorClass.CONFIGURATION),
        (msg(DeliveryState.EXPIRED, "3"), Advice.RESEND, ErrorClass.TEMPORARY),
        (msg(DeliveryState.FAILED, "20"), Advice.CHECK, ErrorClass.UNKNOWN),
        (msg(DeliveryState.DELIVERED, "1"), Advice.NOT_FAILED, ErrorClass.NONE),
        (msg(DeliveryState.EXPIRED, "expired", provider=Provider.WEBCOM), Advice.RESEND,
         ErrorClass.TEMPORARY),
        (msg(DeliveryState.FAILED, "not_deliver", provider=Provider.WEBCOM), Advice.CHECK,
         ErrorClass.UNKNOWN),
    ],
)  # fmt: skip
def test_advice_by_class(message: Message, advice: Advice, klass: ErrorClass) -> None:
    got = resend_advice(message)
    assert (got.advice, got.failure_class) == (advice, klass)
    assert (got.refusal(NOW) is None) == (advice is not Advice.PERMANENT)


def test_sim_swap_waits_24_hours_from_the_failure(monkeypatch) -> None:
    monkeypatch.setattr(display, "_zone", MSK)  # times are shown in the [ui] timezone
    swapped = msg(DeliveryState.FAILED, "20", 219, updated_at=NOW)
    advice = resend_advice(swapped)
    assert advice.advice is Advice.WAIT and advice.wait_until == NOW + 24 * 3600
    early = advice.refusal(NOW + 3600)
    assert early is not None and "Not before 11-22 14:00 MSK (in 23 h)" in early
    assert advice.summary(NOW + 3600) == "wait until 11-22 14:00 MSK (in 23 h)"
    assert not in_bulk(swapped, NOW + 3600)
    assert advice.refusal(NOW + 24 * 3600) is None  # the hold is over: an ordinary resend
    assert in_bulk(swapped, NOW + 24 * 3600)


def test_bulk_takes_temporary_account_and_unknown_failures() -> None:
    included = [msg(DeliveryState.FAILED, "20", 6), msg(DeliveryState.REJECTED, "24"),
                msg(DeliveryState.FAILED, "20")]  # fmt: skip
    assert all(in_bulk(m, NOW) for m in included)
    assert not in_bulk(msg(DeliveryState.DELIVERED, "1"), NOW)
