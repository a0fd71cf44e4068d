"""The index's bulk load from whole columns (C-level passes), and the history order.

A cache holds a handful of accounts, so one pass per account over the account column (a
mask, then `compress` of each other column) beats a Python loop over 100k keys by far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import compress, islice
from operator import eq, le, neg

from smstui.model import DeliveryState, Message
from smstui.store.schema import Key

_OPEN_VALUES = frozenset(s.value for s in DeliveryState if not s.is_final)
_BY_VALUE = {s.value: s for s in DeliveryState}
FEW_ACCOUNTS = 8  # more accounts than this: the per-account passes would cost more than a loop

_INF = float("inf")
SortKey = tuple[float, int, str, str, str]
PhoneMap = dict[str, dict[str, str]]
Counts = dict[str, Counter[DeliveryState]]
OpenKeys = dict[str, dict[Key, None]]


def per_account(
    accounts: Sequence[str],
    mids: Sequence[str],
    phones: Sequence[str],
    values: Sequence[str],
    keys: Sequence[Key],
) -> tuple[PhoneMap | None, Counts, OpenKeys]:
    """(account → id → phone, state counts, open keys in file order) per account.

    The phone map is None when an id was sent to several phones (the caller then indexes key
    by key). Accounts, and states within an account, come in order of first appearance, as
    a key-by-key pass would make them.
    """
    names = list(dict.fromkeys(accounts))
    if len(names) > FEW_ACCOUNTS:
        return _loop(keys, values)
    is_open = list(map(_OPEN_VALUES.__contains__, values))
    phone_map: PhoneMap = {}
    counts: Counts = {}
    open_keys: OpenKeys = {}
    for name in names:
        if len(names) == 1:
            a_mids, a_phones, a_values, a_keys, a_open = mids, phones, values, keys, is_open
        else:
            mine = list(map(name.__eq__, accounts))
            a_mids, a_phones = compress(mids, mine), compress(phones, mine)
            a_values, a_keys = list(compress(values, mine)), list(compress(keys, mine))
            a_open = compress(is_open, mine)
        phone_map[name] = dict(zip(a_mids, a_phones, strict=True))
        counts[name] = Counter({_BY_VALUE[v]: n for v, n in Counter(a_values).items()})
        opened = dict.fromkeys(compress(a_keys, a_open))
        if opened:
            open_keys[name] = opened
    if sum(map(len, phone_map.values())) != len(keys):
        return None, counts, open_keys
    return phone_map, counts, open_keys


def _loop(keys: Sequence[Key], values: Sequence[str]) -> tuple[None, Counts, OpenKeys]:
    """Counts and open keys for many accounts, key by key (the phone map is the caller's)."""
    counts: Counts = {}
    open_keys: OpenKeys = {}
    for key, value in zip(keys, values, strict=True):
        account = key[0]
        per = counts.get(account)
        if per is None:
            per = counts[account] = Counter()
        state = _BY_VALUE[value]
        per[state] += 1
        if value in _OPEN_VALUES:
            open_keys.setdefault(account, {})[key] = None
    return None, counts, open_keys


def _neg_or_inf(sent: float | None) -> float:
    return -sent if sent is not None else _INF


def sort_key(m: Message) -> SortKey:
    """History order: newest sent_at first (unknown times last), ties by id (numeric-aware).

    Ends with the account so that every message has its own key: `put` finds a message's place
    by bisecting for its key, and two accounts can share an id, a phone and a time.
    """
    sent = -m.sent_at if m.sent_at is not None else _INF
    return (sent, len(m.message_id), m.message_id, m.phone, m.account)


def history_order(
    messages: Sequence[Message], keys: list[Key], sents: Sequence[float | None]
) -> tuple[list[Key], list[float]]:
    """(keys in history order, their −sent_at): `keys` itself when already in order (as the
    store writes its file, so an open sorts nothing)."""
    negs = list(map(neg, sents)) if None not in sents else [_neg_or_inf(x) for x in sents]
    if _in_order(messages, negs):
        return keys, negs
    ranked = sorted(range(len(keys)), key=lambda i: sort_key(messages[i]))
    return [keys[i] for i in ranked], [negs[i] for i in ranked]


def _in_order(messages: Sequence[Message], negs: list[float]) -> bool:
    """True when the messages already are in history order."""
    if not all(map(le, negs, islice(negs, 1, None))):
        return False
    ties = compress(range(len(negs) - 1), map(eq, negs, islice(negs, 1, None)))
    return all(sort_key(messages[i]) <= sort_key(messages[i + 1]) for i in ties)
