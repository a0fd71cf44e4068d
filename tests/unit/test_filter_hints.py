"""Filter.hints(): what a filter pins down exactly, for the store's whole-history query."""

from __future__ import annotations

import random

import pytest

from smstui.filtering import STUCK_STATES, parse_filter
from smstui.model import DeliveryState, Message, Provider
from smstui.stuck import StuckRule

NOW = 1_764_590_400.0
S = DeliveryState
ACCOUNTS = ("main", "Main2", "webcom")


def msg(i: int, **kw: object) -> Message:
    fields: dict[str, object] = {
        "account": "main",
        "provider": Provider.SMSC,
        "message_id": str(1000 + i),
        "phone": "79161234567",
        "state": S.DELIVERED,
        "text": "code",
        "sent_at": NOW - 60 * i,
        "operator": "MTS",
    }
    fields.update(kw)
    return Message(**fields)  # type: ignore[arg-type]


def corpus() -> list[Message]:
    """Messages over every account, state, a few phones and a day of send times."""
    rng = random.Random(3)
    phones = ("79161234567", "79990000001", "379990000001", "89990000001", "7999000000")
    states = list(S)
    return [
        msg(i, account=rng.choice(ACCOUNTS), state=rng.choice(states),
            phone=rng.choice(phones), sent_at=NOW - rng.randrange(2 * 86_400))
        for i in range(600)
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "state:failed",
        "state:failure,stuck",
        "state:stuck",
        "state:pending op:mts",
        "-state:failed",
        "account:main",
        "account:MAIN state:ok",
        "account:main* -account:main2",
        "phone:+7 999 000-00-01",
        "phone:8 999 000 00 01",
        "phone:79990000001 state:failed",
        "phone:9990000001",
        "since:2h",
        "since:1d state:delivered",
        "code",
    ],
)
def test_hints_never_drop_a_match(text: str) -> None:
    """Whatever the hints narrow to, the query accepts exactly what the filter matches."""
    flt = parse_filter(text, now=NOW, stuck=StuckRule())
    query = flt.hints(accounts=ACCOUNTS)
    for m in corpus():
        assert query.accepts(m) == flt.matches(m), (text, m)


def test_state_terms_narrow_to_their_states_and_stuck_to_what_can_be_stuck() -> None:
    assert parse_filter("state:failed").hints().states == {S.FAILED}
    both = parse_filter("state:failed,delivered state:failed").hints().states
    assert both == {S.FAILED}
    stuck = parse_filter("state:stuck", now=NOW).hints().states
    assert stuck == STUCK_STATES
    assert S.DELIVERED not in stuck and S.SCHEDULED not in stuck


def test_negated_and_free_terms_give_no_hints() -> None:
    query = parse_filter("-state:failed -account:main -phone:79990000001 code").hints(
        accounts=ACCOUNTS
    )
    assert (query.accounts, query.states, query.phone, query.since) == (None, None, None, None)
    assert query.match is not None


def test_accounts_resolve_case_insensitively_against_the_cache_only() -> None:
    flt = parse_filter("account:MAIN")
    assert flt.hints(accounts=ACCOUNTS).accounts == {"main"}
    assert flt.hints().accounts is None  # no names known: it cannot pin the spelling
    assert parse_filter("account:main*").hints(accounts=ACCOUNTS).accounts == {"main", "Main2"}


def test_a_whole_number_in_any_format_is_the_phone_hint() -> None:
    flt = parse_filter("phone:+7 999 000-00-01 state:failed")
    assert [t.field for t in flt.terms] == ["phone", "state"]  # one phone term, not three
    assert flt.hints().phone == "79990000001"
    assert parse_filter("phone:8 (999) 000-00-01").hints().phone == "79990000001"
    assert parse_filter("phone:7999*").hints().phone is None  # a glob
    assert parse_filter("phone:9990000001").hints().phone is None  # no country code: contains


def test_a_whole_number_matches_that_number_only() -> None:
    flt = parse_filter("phone:+7 999 000-00-01")
    assert flt.matches(msg(1, phone="79990000001"))
    assert not flt.matches(msg(1, phone="379990000001"))  # contains it, but another number
    assert parse_filter("phone:9990000001").matches(msg(1, phone="79990000001"))


@pytest.mark.parametrize(
    "pasted", ["+7 903 922-76-96", "+79039227696", "89039227696", "8 (903) 922 76 96"]
)
def test_a_bare_pasted_number_is_a_phone_term(pasted: str) -> None:
    flt = parse_filter(f"{pasted} state:failed")
    assert [t.field for t in flt.terms] == ["phone", "state"]
    assert flt.hints().phone == "79039227696"
    assert flt.matches(msg(1, phone="79039227696", state=DeliveryState.FAILED))


def test_digit_groups_that_are_no_whole_number_stay_words_of_the_text() -> None:
    flt = parse_filter("Заказ 2341")
    assert [t.field for t in flt.terms] == ["", ""]  # two words, no phone term
    assert flt.hints().phone is None


def test_since_narrows_by_time_as_of_the_given_now() -> None:
    assert parse_filter("since:2h", now=NOW).hints().since == NOW - 7200
    assert parse_filter("since:2h since:1h").hints(NOW).since == NOW - 3600


def test_the_match_is_the_whole_filter_with_now_fixed() -> None:
    flt = parse_filter("since:10m op:mts", now=NOW)
    match = flt.hints().match
    assert match is not None
    assert match(msg(1, sent_at=NOW - 300))
    assert not match(msg(1, sent_at=NOW - 900))
    later = flt.hints(NOW + 600).match
    assert later is not None and not later(msg(1, sent_at=NOW - 300))
    assert parse_filter("").hints().match is None
