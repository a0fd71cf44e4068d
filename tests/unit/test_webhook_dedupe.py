"""The push memory: retries and in-batch repeats are found by hashing, so a batch costs O(n)."""

from __future__ import annotations

from smstui.webhook.dedupe import PushMemory


class CountingId(str):
    """A message id that counts how often it is compared for equality (hash stays str's)."""

    calls = 0
    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        CountingId.calls += 1
        return str.__eq__(self, other)


def batch(n: int, account: str = "wc") -> list[tuple[str, str, CountingId, str]]:
    """n entries, each id sent twice (the second a distinct but equal object), as Webcom may."""
    return [("c", account, CountingId(str(i)), "deliver") for i in range(n) for _ in range(2)]


def comparisons(memory: PushMemory, idents: list) -> int:
    CountingId.calls = 0
    positions = memory.fresh(idents)
    memory.remember(idents[i] for i in positions)
    assert memory.fresh(idents) == []  # the retry of the whole batch: all known now
    return CountingId.calls


def test_fresh_positions_skip_repeats_and_remembered() -> None:
    memory = PushMemory(capacity=100)
    memory.remember([("c", "wc", "2", "deliver")])
    idents = [("c", "wc", str(i), "deliver") for i in (1, 2, 1, 3, 3)]
    assert memory.fresh(idents) == [0, 3]
    assert ("c", "wc", "2", "deliver") in memory


def test_comparisons_grow_linearly_with_the_batch() -> None:
    small, large = (
        comparisons(PushMemory(10**6), batch(2_000)),
        comparisons(PushMemory(10**6), batch(18_000)),
    )
    # One equality test per repeat found (plus rare hash collisions); the list scan it
    # replaces made ~n²/2 = 160 million for 18,000 ids.
    assert small <= 3 * 4_000 and large <= 3 * 36_000
    assert large <= 12 * max(small, 1)  # 9x the ids, ~9x the work: not 81x


def test_capacity_forgets_the_oldest_first() -> None:
    memory = PushMemory(capacity=3)
    memory.remember(["a", "b", "c", "d"])
    assert "a" not in memory and all(k in memory for k in "bcd") and len(memory) == 3
