"""The `/` filter language: every field, negation, globs, Cyrillic operators and clear errors."""

from __future__ import annotations

from datetime import UTC

import pytest

from smstui.display import use_zone
from smstui.filtering import FilterError, parse_filter
from smstui.model import DeliveryState, ErrorClass, Message, Provider
from smstui.moscow import MSK
from smstui.policy import failure_class

NOW = 1_763_700_000.0


def msg(**kw: object) -> Message:
    base: dict[str, object] = dict(
        account="main",
        provider=Provider.SMSC,
        message_id="1001",
        phone="79161234567",
        state=DeliveryState.DELIVERED,
        text="Ваш код 4321",
        sender="Shop",
        sent_at=NOW - 60,
        operator="МТС",
        raw_status="1",
    )
    base.update(kw)
    return Message(**base)  # type: ignore[arg-type]


def ok(text: str, message: Message, now: float | None = NOW) -> bool:
    return parse_filter(text).matches(message, now=now)


def test_empty_filter_matches_everything() -> None:
    f = parse_filter("   ")
    assert not f and str(f) == "" and f.matches(msg())


@pytest.mark.parametrize(
    ("text", "state", "expected"),
    [
        ("state:failed", DeliveryState.FAILED, True),
        ("state:failed", DeliveryState.EXPIRED, False),
        ("state:FAILED", DeliveryState.FAILED, True),
        ("state:not_found", DeliveryState.NOT_FOUND, True),
        ("state:final", DeliveryState.EXPIRED, True),
        ("state:final", DeliveryState.SENT, False),
        ("state:pending", DeliveryState.QUEUED, True),
        ("state:pending", DeliveryState.DELIVERED, False),
        ("state:failure", DeliveryState.REJECTED, True),
        ("state:failure", DeliveryState.DELIVERED, False),
        ("state:ok", DeliveryState.READ, True),
        ("state:sent,queued", DeliveryState.QUEUED, True),
        ("state:sent,queued", DeliveryState.FAILED, False),
    ],
)
def test_state_values_aliases_and_lists(text: str, state: DeliveryState, expected: bool) -> None:
    assert ok(text, msg(state=state)) is expected


@pytest.mark.parametrize(
    ("query", "operator", "expected"),
    [
        ("mts", "МТС", True),
        ("MTS", "ПАО МТС", True),
        ("мтс", "MTS", True),
        ("megafon", "МегаФон", True),
        ("мегафон", "Megafon", True),
        ("mega", "МегаФон", True),  # transliterated substring
        ("beeline", "Билайн", True),
        ("билайн", "ВымпелКом", True),
        ("tele2", "Теле2", True),
        ("Tele2", "T2 Mobile", True),
        ("mts", "МегаФон", False),
        ("beeline", "МТС", False),
        ("mts", "", False),
    ],
)
def test_operator_is_cyrillic_aware(query: str, operator: str, expected: bool) -> None:
    assert ok(f"op:{query}", msg(operator=operator)) is expected


def test_error_codes_any_none_lists_and_ranges() -> None:
    assert ok("err:6", msg(error_code=6))
    assert not ok("err:6", msg(error_code=11))
    assert not ok("err:6", msg(error_code=None))
    assert ok("err:6,11", msg(error_code=11))
    assert ok("err:240-255", msg(error_code=253))
    assert not ok("err:240-255", msg(error_code=13))
    assert ok("err:any", msg(error_code=1))
    assert not ok("err:any", msg(error_code=0))  # SMSC err 0 = "no error"
    assert not ok("err:any", msg(error_code=None))
    assert ok("err:none", msg(error_code=None))


@pytest.mark.parametrize(
    ("pattern", "phone", "expected"),
    [
        ("7916*", "79161234567", True),
        ("7916*", "79261234567", False),
        ("+7916*", "79161234567", True),
        ("+7 (916) 123-45-6?", "79161234567", True),
        ("*4567", "79161234567", True),
        ("7916[01]*", "79161234567", True),
        ("7916[!1]*", "79161234567", False),
        ("1234", "79161234567", True),  # no wildcard: contains
        ("9999", "79161234567", False),
    ],
)
def test_phone_globs(pattern: str, phone: str, expected: bool) -> None:
    assert ok(f'phone:"{pattern}"', msg(phone=phone)) is expected


def test_account_is_exact_or_glob_case_insensitive_and_sender_contains() -> None:
    assert ok("account:main", msg(account="Main"))
    assert not ok("account:main", msg(account="main2"))
    assert ok("account:main*", msg(account="main2"))
    assert ok("sender:sho", msg(sender="Shop"))
    assert not ok("sender:bank", msg(sender="Shop"))
    assert ok("sender:S*p", msg(sender="Shop"))


def test_error_class_from_err_code_and_from_status() -> None:
    assert failure_class(msg(state=DeliveryState.FAILED, error_code=6)) is ErrorClass.TEMPORARY
    assert failure_class(msg(state=DeliveryState.FAILED, error_code=1)) is ErrorClass.PERMANENT
    assert failure_class(msg(state=DeliveryState.REJECTED, raw_status="22")) is (
        ErrorClass.PERMANENT
    )
    assert failure_class(msg(state=DeliveryState.DELIVERED)) is ErrorClass.NONE
    webcom = msg(provider=Provider.WEBCOM, state=DeliveryState.EXPIRED, raw_status="expired")
    assert failure_class(webcom) is ErrorClass.TEMPORARY
    assert ok("class:temporary", msg(state=DeliveryState.FAILED, error_code=6))
    assert not ok("class:permanent", msg(state=DeliveryState.FAILED, error_code=6))
    assert ok("-class:permanent", msg(state=DeliveryState.FAILED, error_code=6))


def test_since_relative_and_absolute() -> None:
    m = msg(sent_at=NOW - 600)
    assert ok("since:11m", m) and not ok("since:9m", m)
    assert ok("since:1h30m", m) and ok("since:1d", m)
    assert not ok("since:30s", m)
    # No send time (a Webcom push for a message sent elsewhere): the row shows no time, and
    # since: never matches it, however recent its last status change.
    assert not ok("since:10m", msg(sent_at=None, updated_at=NOW - 60))
    assert not ok("since:10m", msg(sent_at=None, updated_at=None))
    assert ok("-since:10m", msg(sent_at=None, updated_at=NOW - 60))
    # Naive dates are in the display zone ([ui] timezone): 07:00 MSK is 04:00 UTC.
    at_msk_7 = 1_763_697_600.0
    use_zone(MSK)
    try:
        assert ok("since:2025-11-21T07:00", msg(sent_at=at_msk_7))
        assert not ok("since:2025-11-21T07:00", msg(sent_at=at_msk_7 - 1))
    finally:
        use_zone(UTC)
    assert ok("since:2025-11-21T04:00", msg(sent_at=at_msk_7))
    assert not ok("since:2025-11-21T04:00:01", msg(sent_at=at_msk_7))
    use_zone(None)
    assert ok('since:"2025-11-21 07:00+03:00"', msg(sent_at=at_msk_7))


def test_since_needs_a_now_from_parse_or_matches() -> None:
    with pytest.raises(FilterError, match="current time"):
        parse_filter("since:10m").matches(msg())
    assert parse_filter("since:10m", now=NOW).matches(msg())
    assert parse_filter("since:10m", now=0).matches(msg(), now=NOW)  # matches' now wins


def test_free_text_searches_phone_id_text_sender_case_insensitive() -> None:
    m = msg()
    assert ok("1234567", m) and ok("1001", m) and ok("shop", m)
    assert ok("ВАШ КОД", m)  # two terms, each found in the text whatever the case
    assert ok('"ваш код 4321"', m)
    assert not ok('"код ваш"', m)
    assert not ok("nothing", m)


def test_negation_and_terms_are_anded() -> None:
    failed = msg(state=DeliveryState.FAILED, error_code=6)
    assert ok("state:failed op:mts err:6 phone:7916*", failed)
    assert not ok("state:failed op:megafon", failed)
    assert not ok("-state:failed", failed)
    assert ok("-op:beeline -account:test", failed)
    assert not ok("-4321", failed)


@pytest.mark.parametrize(
    "text",
    [
        "state:failed",
        "-op:mts err:6 phone:7916*",
        'phone:"+7 916*" "two words" -word',
        "class:temporary since:10m account:main sender:X",
        'op:"Мега Фон" привет',
    ],
)
def test_str_round_trips(text: str) -> None:
    first = parse_filter(text)
    assert str(first) == text
    assert str(parse_filter(str(first))) == str(first)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("foo:bar", "'foo:bar'"),
        ("state:nope", "'state:nope'"),
        ("err:six", "'err:six'"),
        ("class:bad", "'class:bad'"),
        ("since:soon", "'since:soon'"),
        ("phone:[12", "'phone:[12'"),
        ('"unterminated', "unterminated"),
        ("state:", "'state:"),
        ("--x", "'--x'"),
        ("phone:abc", "'phone:abc'"),
    ],
)
def test_errors_name_the_bad_term(text: str, named: str) -> None:
    with pytest.raises(FilterError) as err:
        parse_filter(f"state:failed {text}")
    assert named in str(err.value)
    assert isinstance(err.value, ValueError)  # callers may treat it as bad input


def test_select_keeps_order_and_equals_matches() -> None:
    messages = [
        msg(
            message_id=str(i),
            account="other" if i == 4 else "main",
            state=DeliveryState.FAILED if i % 3 else DeliveryState.SENT,
        )
        for i in range(30)
    ]
    f = parse_filter("state:failed -account:other")
    picked = f.select(iter(messages), now=NOW)
    assert picked == [m for m in messages if f.matches(m)]
    assert [m.message_id for m in picked][:3] == ["1", "2", "5"]
    assert parse_filter("").select(messages) == messages
