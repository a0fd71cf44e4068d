"""The `/` filter language: `state:failed op:mts err:6 phone:7916* -account:test free text`.

Terms are ANDed; `-` negates one. Each term is compiled once into a predicate so matching a
100,000-message history stays well under 100 ms. No Textual here: the UI and the headless
commands share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache, partial

from smstui.display import zone
from smstui.errors import SmstuiError
from smstui.model import DeliveryState, ErrorClass, Message
from smstui.phones import digits, full_number
from smstui.policy import failure_class
from smstui.queries import Query
from smstui.stuck import HELD, StuckRule

Predicate = Callable[[Message, float | None], bool]


class FilterError(SmstuiError, ValueError):
    """The filter text has a term smstui cannot understand; the message names the term."""


STATE_ALIASES: dict[str, frozenset[DeliveryState]] = {
    "final": frozenset(s for s in DeliveryState if s.is_final),
    "pending": frozenset(s for s in DeliveryState if not s.is_final),
    "failure": frozenset(s for s in DeliveryState if s.is_failure),
    "failures": frozenset(s for s in DeliveryState if s.is_failure),
    "ok": frozenset({DeliveryState.DELIVERED, DeliveryState.READ}),
}

STUCK = "stuck"  # a derived state: overdue by the operator's usual delivery time (smstui.stuck)
# The states a stuck message can be in (the rule never calls a final or held message stuck).
STUCK_STATES = frozenset(s for s in DeliveryState if not s.is_final and s not in HELD)
WHOLE_NUMBER_DIGITS = 11  # a number with its country code: matched exactly, found by look-up

FIELDS = ("state", "op", "err", "phone", "account", "sender", "class", "since")

FILTER_SYNTAX: list[tuple[str, str]] = [
    ("state:failed", "delivery state; also final, pending, failure, ok; a,b for either"),
    ("state:stuck", "not final and older than its operator's usual delivery time (p95, ≥10 min)"),
    ("op:mts", "operator contains (МТС/mts, МегаФон/megafon, Билайн/beeline, Tele2)"),
    ("err:6", "SMSC error code; err:any, err:none, err:240-255, err:6,11"),
    ("phone:7916*", "phone glob (* ? [..]); without a wildcard: contains"),
    ("phone:+7 916 123-45-67", "a whole number (with country code, any format): exactly it"),
    ("account:main", "account name (glob, case-insensitive)"),
    ("sender:X", "sender contains (glob with a wildcard)"),
    ("class:temporary", "error class: permanent temporary account configuration unknown none"),
    ("since:10m", "sent in the last 30s / 10m / 2h / 1d, or since 2026-11-21 10:00"),
    ("", "(since: never matches a message whose send time is unknown)"),
    ("word", "free text: phone, id, text or sender contains it (case-insensitive)"),
    ('"two words"', 'quote text with spaces; field:"a b" works too'),
    ("-field:x  -word", "negate one term; several terms are ANDed"),
]


@dataclass(frozen=True, slots=True)
class Term:
    """One compiled filter term: `[-]field:value` or free text (field == "")."""

    field: str
    value: str
    negated: bool
    predicate: Predicate
    needs_now: bool = False

    def __str__(self) -> str:
        value = _quote(self.value)
        body = f"{self.field}:{value}" if self.field else value
        return ("-" if self.negated else "") + body

    def matches(self, message: Message, now: float | None) -> bool:
        """Does this term (with its negation) accept the message?"""
        return self.predicate(message, now) != self.negated


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: every term must match. An empty filter matches everything."""

    terms: tuple[Term, ...] = ()
    now: float | None = None  # the time `since:` counts from when matches() is given none

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def needs_now(self) -> bool:
        """True when a term (since:, state:stuck) needs the current time to decide."""
        return any(t.needs_now for t in self.terms)

    def matches(self, message: Message, now: float | None = None) -> bool:
        """Does the message pass every term? `now` (Unix seconds) is needed by since:."""
        when = self.now if now is None else now
        if when is None and self.needs_now:
            raise FilterError("since: and state:stuck need the current time; pass now=")
        return all(t.predicate(message, when) != t.negated for t in self.terms)

    def hints(self, now: float | None = None, *, accounts: Iterable[str] | None = None) -> Query:
        """The whole-history query of this filter: what it pins down exactly (so the store
        can skip partitions and use its look-ups) plus `match`, the filter itself as of `now`.

        `accounts` are every account name the cache holds: account terms (case-insensitive
        globs) narrow only against them. Negated terms narrow nothing.
        """
        when = self.now if now is None else now
        if when is None and self.needs_now:
            raise FilterError("since: and state:stuck need the current time; pass now=")
        known = None if accounts is None else tuple(accounts)
        names: frozenset[str] | None = None
        states: frozenset[DeliveryState] | None = None
        phone: str | None = None
        since: float | None = None
        for term in self.terms:
            if term.negated:
                continue
            if term.field == "account" and known is not None:
                pattern = _glob(term.value, contains=False)
                hit = frozenset(a for a in known if pattern.search(a))
                names = hit if names is None else names & hit
            elif term.field == "state":
                wanted = _state_set(term.value)
                states = wanted if states is None else states & wanted
            elif term.field == "phone" and (number := _whole_number(term.value)) is not None:
                phone = number  # two different numbers match nothing: the match says so
            elif term.field == "since" and when is not None:
                start = _since_start(term.value, when)
                since = start if since is None else max(since, start)
        match = partial(_matches, self, when) if self.terms else None
        return Query(accounts=names, states=states, phone=phone, since=since, match=match)

    def select(self, messages: Iterable[Message], now: float | None = None) -> list[Message]:
        """The messages that pass, in their original order."""
        if not self.terms:
            return list(messages)
        when = self.now if now is None else now
        if when is None and self.needs_now:
            raise FilterError("since: and state:stuck need the current time; pass now=")
        # Narrow term by term: one cheap call per survivor instead of an all() per message.
        survivors = messages if isinstance(messages, list) else list(messages)
        for term in self.terms:
            pred = term.predicate
            if term.negated:
                survivors = [m for m in survivors if not pred(m, when)]
            else:
                survivors = [m for m in survivors if pred(m, when)]
        return survivors if survivors is not messages else list(survivors)


def _matches(flt: Filter, now: float | None, message: Message) -> bool:
    """Filter.matches with `now` fixed (a Query's match takes the message alone)."""
    return flt.matches(message, now)


def parse_filter(text: str, now: float | None = None, *, stuck: StuckRule | None = None) -> Filter:
    """Parse filter text into a Filter, or raise FilterError naming the bad term.

    `stuck` is the rule `state:stuck` asks (the dashboard's, with observed delivery times);
    without one the rule's fallback thresholds apply.
    """
    rule = stuck if stuck is not None else StuckRule()
    terms = tuple(_compile(token, rule) for token in _joined_numbers(_tokens(text)))
    return Filter(terms, now)


_TOKEN_RE = re.compile(r'\s*(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"|(\S+))')


def _tokens(text: str) -> Iterable[tuple[bool, str, str, bool]]:
    """(negated, field, value, quoted) for every term; quotes group words."""
    pos, text = 0, text.strip()
    while pos < len(text):
        if text[pos:].lstrip() == "":
            return
        match = _TOKEN_RE.match(text, pos)
        if not match or (match.group(4) and match.group(4).count('"')):
            bad = text[pos:].split()[0] if text[pos:].split() else text[pos:]
            raise FilterError(f"unterminated quote in {bad!r}")
        negated, field, quoted, bare = match.groups()
        pos = match.end()
        value = quoted if quoted is not None else bare
        if not field and quoted is None and re.fullmatch(r"-?[A-Za-z]+:", bare):
            field, value = bare.lstrip("-")[:-1].lower(), ""  # "state:" — reported below
        if quoted is None and bare == "-" and not field:
            raise FilterError("a lone '-' negates nothing; write -field:value or -word")
        yield bool(negated), (field or "").lower(), value, quoted is not None


_NUMBER_PIECE = re.compile(r"\(?\d[\d()\-.]*")
_NUMBER_CHARS = frozenset("0123456789+-(). ")
_BARE_PIECE = re.compile(r"\+?\(?\d[\d()\-.]*")  # a group of a pasted number: +7, (903), 922-76-96


def _joined_numbers(
    tokens: Iterable[tuple[bool, str, str, bool]],
) -> Iterator[tuple[bool, str, str, bool]]:
    """`phone:+7 916 123-45-67` is one number: a phone term takes the digit groups after it
    until it has enough digits to be a whole number (people paste numbers with spaces). A bare
    pasted number (`+7 903 922-76-96`, `89039227696`) is a phone term too, when its groups
    make one whole number; otherwise they stay words of the text."""
    pending: tuple[bool, str, str, bool] | None = None
    bare: list[tuple[bool, str, str, bool]] = []  # bare number groups that may be a number

    def flush_bare() -> Iterator[tuple[bool, str, str, bool]]:
        joined = " ".join(t[2] for t in bare)
        if full_number(joined) is not None:
            yield (False, "phone", joined, False)
        else:
            yield from bare
        bare.clear()

    for token in tokens:
        negated, field, value, quoted = token
        plain = not (negated or field or quoted)
        short = pending is not None and len(digits(pending[2])) < 10
        if pending is not None and short and plain and _NUMBER_PIECE.fullmatch(value):
            pending = (pending[0], pending[1], f"{pending[2]} {value}", False)
            continue
        if pending is not None:
            yield pending
            pending = None
        if plain and _BARE_PIECE.fullmatch(value):
            bare.append(token)
            continue
        yield from flush_bare()
        if field == "phone" and not quoted and set(value) <= _NUMBER_CHARS:
            pending = token
        else:
            yield token
    yield from flush_bare()
    if pending is not None:
        yield pending


def _quote(value: str) -> str:
    return f'"{value}"' if (not value or re.search(r'[\s"]', value)) else value


def _compile(token: tuple[bool, str, str, bool], stuck: StuckRule) -> Term:
    negated, field, value, quoted = token
    shown = ("-" if negated else "") + (f"{field}:" if field else "") + _quote(value)
    if field and field not in FIELDS:
        raise FilterError(
            f"unknown field {field!r} in {shown!r}; fields: {', '.join(FIELDS)}"
            " (quote the term to search for it as text)"
        )
    if not field and not quoted and value.startswith("-"):
        raise FilterError(f"double negation in {shown!r}")
    if field and value == "":
        raise FilterError(f"{shown!r} needs a value after the colon")
    try:
        predicate = _state(value, stuck) if field == "state" else _BUILDERS[field](value)
    except FilterError as err:
        raise FilterError(f"{shown!r}: {err}") from None
    needs_now = field == "since" or (field == "state" and STUCK in value.lower().split(","))
    return Term(field, value, negated, predicate, needs_now=needs_now)


def _free_text(value: str) -> Predicate:
    needle = value.lower()
    return lambda m, _now: (
        needle in m.phone
        or needle in m.text.lower()
        or needle in m.message_id.lower()
        or needle in m.sender.lower()
    )


def _state_set(value: str) -> frozenset[DeliveryState]:
    """Every state a `state:` value can match (`stuck` counts as the states it can be in)."""
    out: set[DeliveryState] = set()
    for part in value.lower().split(","):
        if part == STUCK:
            out |= STUCK_STATES
        elif part in STATE_ALIASES:
            out |= STATE_ALIASES[part]
        else:
            out.add(DeliveryState(part))
    return frozenset(out)


def _state(value: str, stuck: StuckRule) -> Predicate:
    wanted: set[DeliveryState] = set()
    with_stuck = False
    for part in value.lower().split(","):
        if part == STUCK:
            with_stuck = True
        elif part in STATE_ALIASES:
            wanted |= STATE_ALIASES[part]
        elif part in DeliveryState._value2member_map_:
            wanted.add(DeliveryState(part))
        else:
            names = ", ".join([*(s.value for s in DeliveryState), *STATE_ALIASES, STUCK])
            raise FilterError(f"unknown state {part!r}; states: {names}")
    states = frozenset(wanted)
    if with_stuck:  # `now` is given: the term needs_now, so Filter supplies it
        return lambda m, now: m.state in states or stuck(m, now)  # type: ignore[arg-type]
    return lambda m, _now: m.state in states


def _error_code(value: str) -> Predicate:
    low = value.lower()
    if low == "any":
        return lambda m, _now: bool(m.error_code)  # err 0 means "no error"
    if low == "none":
        return lambda m, _now: not m.error_code
    codes: set[int] = set()
    ranges: list[tuple[int, int]] = []
    for part in low.split(","):
        bounds = re.fullmatch(r"(-?\d+)(?:-(-?\d+))?", part.strip())
        if not bounds:
            raise FilterError(f"{part!r} is not an error code (a number, a-b, any or none)")
        lo, hi = int(bounds.group(1)), bounds.group(2)
        if hi is None:
            codes.add(lo)
        else:
            ranges.append((lo, int(hi)))
    frozen = frozenset(codes)
    return lambda m, _now: (
        m.error_code is not None
        and (m.error_code in frozen or any(a <= m.error_code <= b for a, b in ranges))
    )


def _glob(value: str, *, contains: bool) -> re.Pattern[str]:
    """A case-insensitive regex for a glob; without wildcards: exact, or contains."""
    if not re.search(r"[*?\[]", value):
        body = re.escape(value)
        return re.compile(body if contains else rf"\A{body}\Z", re.IGNORECASE)
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = value.find("]", i + 1)
            if end < 0:
                raise FilterError(f"unclosed '[' in {value!r}")
            inner = value[i + 1 : end]
            out.append(
                "[" + ("^" + re.escape(inner[1:]) if inner[:1] == "!" else re.escape(inner)) + "]"
            )
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile(r"\A" + "".join(out) + r"\Z", re.IGNORECASE | re.DOTALL)


def _whole_number(value: str) -> str | None:
    """The digits of a phone term that names one whole number with its country code."""
    number = full_number(value)
    return number if number is not None and len(number) >= WHOLE_NUMBER_DIGITS else None


def _phone(value: str) -> Predicate:
    # A whole number is that number (8 916… is 7 916…), the same as the store's look-up.
    number = _whole_number(value)
    if number is not None:
        return lambda m, _now: digits(m.phone) == number
    # People type +7 916 123-45-67; smstui stores digits only, so compare digits and wildcards.
    cleaned = re.sub(r"[^0-9*?\[\]!]", "", value)
    if not cleaned:
        raise FilterError("a phone pattern needs digits or wildcards")
    search = _glob(cleaned, contains=True).search
    return lambda m, _now: search(m.phone.lstrip("+")) is not None


def _account(value: str) -> Predicate:
    match = _glob(value, contains=False).search
    return lambda m, _now: match(m.account) is not None


def _sender(value: str) -> Predicate:
    search = _glob(value, contains=True).search
    return lambda m, _now: search(m.sender) is not None


def _class(value: str) -> Predicate:
    try:
        wanted = ErrorClass(value.lower())
    except ValueError:
        names = ", ".join(c.value for c in ErrorClass)
        raise FilterError(f"unknown error class {value!r}; classes: {names}") from None
    return lambda m, _now: failure_class(m) is wanted


# Operators arrive in Cyrillic or Latin depending on the gateway; people type either.
_OPERATOR_GROUPS: tuple[tuple[str, ...], ...] = (
    ("mts", "мтс", "мобильные телесистемы", "mobile telesystems"),
    ("megafon", "мегафон"),
    ("beeline", "билайн", "вымпелком", "vimpelcom", "вымпел-коммуникации"),
    ("tele2", "теле2", "t2", "т2"),
    ("yota", "йота", "скартел", "scartel"),
)
_TRANSLIT = str.maketrans(
    dict(
        zip(
            "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
            "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),  # noqa: SIM905
            strict=True,
        )
    )
    | {"ъ": "", "ь": ""}
)


@lru_cache(maxsize=4096)
def _operator_forms(name: str) -> tuple[str, ...]:
    """Every spelling an operator name can be searched by: as given, transliterated, aliases."""
    low = name.casefold()
    forms = {low, low.translate(_TRANSLIT)}
    for group in _OPERATOR_GROUPS:
        if any(spelling in low for spelling in group):
            forms.update(group)
    return tuple(forms)


def _operator(value: str) -> Predicate:
    low = value.casefold()
    needles = {low, low.translate(_TRANSLIT)}
    for group in _OPERATOR_GROUPS:
        if low in group:
            needles.update(group)
    frozen = tuple(needles)
    seen: dict[str, bool] = {}  # few distinct operator names: decide each once

    def predicate(m: Message, _now: float | None) -> bool:
        hit = seen.get(m.operator)
        if hit is None:
            hit = seen[m.operator] = any(
                n in f for f in _operator_forms(m.operator) for n in frozen
            )
        return hit

    return predicate


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _since_start(value: str, now: float) -> float:
    """The moment a (valid) since: value names, as of `now`."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", value.lower())
    if parts and "".join(n + u for n, u in parts) == value.lower():
        return now - sum(float(n) * _UNITS[u] for n, u in parts)
    moment = datetime.fromisoformat(value.replace(" ", "T"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone())).timestamp()


def _since(value: str) -> Predicate:
    """since:10m / 1h30m (relative to now) or since:2026-11-21[T]10:00 (display zone if naive)."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", value.lower())
    if parts and "".join(n + u for n, u in parts) == value.lower():
        span = sum(float(n) * _UNITS[u] for n, u in parts)
        return lambda m, now: _time_of(m) >= now - span  # type: ignore[operator]
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise FilterError(
            "use a duration like 30s, 10m, 2h, 1d or a date like 2026-11-21"
        ) from None
    start = (moment if moment.tzinfo else moment.replace(tzinfo=zone())).timestamp()
    return lambda m, _now: _time_of(m) >= start


def _time_of(message: Message) -> float:
    """When a message was sent; -inf when unknown, so since: never matches it.

    Only the send time: it is what the history's time column shows, and a row with a blank
    time (a Webcom push for a message sent outside smstui) must not pass `since:30m` because
    its last status change happened to be recent.
    """
    return message.sent_at if message.sent_at is not None else float("-inf")


_BUILDERS: dict[str, Callable[[str], Predicate]] = {
    "": _free_text,
    "op": _operator,
    "err": _error_code,
    "phone": _phone,
    "account": _account,
    "sender": _sender,
    "class": _class,
    "since": _since,
}


FAILURES = frozenset(s for s in DeliveryState if s.is_failure)


def view_query(
    flt: Filter | None, *, failed_only: bool = False, now: float, accounts: Iterable[str] = ()
) -> Query:
    """The whole-history query of a dashboard view: its filter as of `now`, and failed-only.

    `accounts` are the cache's account names (account globs narrow against them). The history
    search, the breakdown and the export all ask this one query.
    """
    query = flt.hints(now, accounts=accounts or None) if flt else Query()
    if failed_only:
        states = FAILURES if query.states is None else query.states & FAILURES
        query = replace(query, states=states)
    return query
