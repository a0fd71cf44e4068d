"""`history --cached` and `status --cached` answer from the whole cache, not the memory window.

The cache (tests/whole_cache.py) holds more messages than `[cache] memory_messages`; the truth
is every partition file read directly. Each command runs in-process through `smstui.cli.main`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import whole_cache
from smstui.cli import main
from smstui.exit_codes import EXIT_PARTIAL
from smstui.model import DeliveryState, Message
from smstui.store import Store
from smstui.store.partitions import PARTITIONS_DIR, day_of, read_tables
from smstui.store.schema import doc_to_message

Key = tuple[str, str, str]


def write_config(path: Path, cache: Path, memory: int) -> str:
    path.write_text(
        f'[cache]\ndir = "{cache}"\nmemory_messages = {memory}\n\n[ui]\ntimezone = "UTC"\n\n'
        '[[accounts]]\nname = "smsc-main"\nprovider = "smsc"\nbase_url = "http://127.0.0.1:9"\n'
        'login = "demo"\npassword = "demo-pass"\n\n'
        '[[accounts]]\nname = "webcom"\nprovider = "webcom"\nbase_url = "http://127.0.0.1:9"\n'
        'login = "demo"\npassword = "demo-pass"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[whole_cache.WholeCache, str]:
    base = tmp_path_factory.mktemp("whole")
    cache = whole_cache.build(base / "cache")
    return cache, write_config(base / "config.toml", cache.root, cache.memory)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def keys(messages: list[Message]) -> list[Key]:
    return [m.key for m in messages]


def row_keys(rows: list[dict]) -> list[Key]:
    return [(r["account"], r["message_id"], r["phone"]) for r in rows]


def newest_first(rows: list[dict]) -> bool:
    times = [datetime.fromisoformat(r["sent_at"]).timestamp() for r in rows]
    return times == sorted(times, reverse=True)


def same_answer(rows: list[dict], truth: list[Message]) -> None:
    """The same messages (each once), newest first, with the truth's state and send time."""
    assert sorted(row_keys(rows)) == sorted(keys(truth))
    assert len(set(row_keys(rows))) == len(rows)
    assert newest_first(rows)
    by_key = {m.key: m for m in truth}
    for row in rows:
        m = by_key[(row["account"], row["message_id"], row["phone"])]
        assert row["state"] == m.state.value
        assert datetime.fromisoformat(row["sent_at"]).timestamp() == int(m.sent_at or 0)  # ISO: s


def test_the_cache_is_larger_than_the_memory_window(built) -> None:
    cache, _ = built
    with Store.open(cache.root, clock=cache.clock, readonly=True, memory_messages=1000) as store:
        assert store.total() == len(cache.truth) > cache.memory
        assert store.unloaded_partitions()  # some of the answer must come from disk


def test_failed_as_jsonl_is_every_failure_of_every_account(built, capsys) -> None:
    cache, config = built
    code, out, err = run(capsys, "history", "--cached", "--state", "failed", "--jsonl",
                         "--config", config)  # fmt: skip
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    truth = cache.where(state=DeliveryState.FAILED)
    assert {m.account for m in truth} == {"smsc-main", "webcom"}
    same_answer(rows, truth)


def test_one_account_as_a_json_array(built, capsys) -> None:
    cache, config = built
    code, out, err = run(capsys, "history", "--cached", "--json", "--account", "smsc-main",
                         "--config", config)  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    truth = cache.where(account="smsc-main")
    assert len(rows) == len(truth) > cache.memory
    same_answer(rows, truth)


def test_status_of_the_oldest_id_finds_it_in_every_account(built, capsys) -> None:
    cache, config = built
    mid = cache.oldest.message_id
    code, out, err = run(capsys, "status", mid, "--cached", "--json", "--config", config)
    assert code == 0, err
    found = json.loads(out)
    truth = cache.where(message_id=mid)  # both accounts number their ids from the same start
    assert len(truth) == 2
    assert sorted((f["message"]["account"], f["message"]["phone"]) for f in found) == sorted(
        (m.account, m.phone) for m in truth
    )
    assert all(f["timeline"] for f in found)
    code, out, err = run(capsys, "status", mid, "--cached", "--account", "smsc-main", "--json",
                         "--config", config)  # fmt: skip
    assert code == 0, err
    [only] = json.loads(out)
    assert only["message"]["phone"] == cache.oldest.phone
    code, out, err = run(capsys, "status", mid, "--cached", "--account", "smsc-main",
                         "--config", config)  # fmt: skip
    assert code == 0 and out.startswith("ID") and mid in out and cache.oldest.phone in out


def test_status_of_an_id_nowhere_in_the_cache_exits_1(built, capsys) -> None:
    _, config = built
    code, _, err = run(capsys, "status", "999999999", "--cached", "--config", config)
    assert code == 1 and "not in the cache" in err


@pytest.mark.parametrize("phone", ["+7 999 000-00-01", "89990000001", "79990000001"])
def test_a_phone_only_in_the_oldest_day_in_any_format(built, capsys, phone) -> None:
    cache, config = built
    code, out, err = run(capsys, "history", "--cached", "--phone", phone, "--json",
                         "--config", config)  # fmt: skip
    assert code == 0, err
    truth = cache.where(phone=cache.old_phone)
    assert len(truth) == 1 and day_of(truth[0].sent_at) == day_of(cache.oldest.sent_at)
    same_answer(json.loads(out), truth)


def test_a_phone_that_is_not_a_number_is_a_usage_error(built, capsys) -> None:
    _, config = built
    code, _, err = run(capsys, "history", "--cached", "--phone", "999", "--config", config)
    assert code == 2 and "not a whole phone number" in err


def test_limit_is_the_newest_n_of_the_whole_answer(built, capsys) -> None:
    cache, config = built
    code, out, err = run(capsys, "history", "--cached", "--limit", "5", "--account", "smsc-main",
                         "--json", "--config", config)  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert row_keys(rows) == keys(cache.where(account="smsc-main")[:5])
    code, out, err = run(capsys, "history", "--cached", "--limit", "5", "--state", "failed",
                         "--jsonl", "--config", config)  # fmt: skip
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    failed = cache.where(state=DeliveryState.FAILED)
    assert [datetime.fromisoformat(r["sent_at"]).timestamp() for r in rows] == [
        int(m.sent_at or 0) for m in failed[:5]
    ]
    assert set(row_keys(rows)) <= set(keys(failed))


def test_csv_and_table_stream_every_row(built, capsys) -> None:
    cache, config = built
    code, out, err = run(capsys, "history", "--cached", "--csv", "--account", "webcom",
                         "--config", config)  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("time,account") and len(lines) == 1 + len(
        cache.where(account="webcom")
    )
    code, out, err = run(capsys, "history", "--cached", "--config", config)
    assert code == 0, err
    assert len(out.splitlines()) == 1 + len(cache.truth)


def damage(root: Path, name: str) -> None:
    (root / PARTITIONS_DIR / f"{name}.json").write_bytes(b"\x00not json{{{")


def unloaded_old(cache: whole_cache.WholeCache) -> str:
    """An smsc-main partition the follower does not load at open (read by the query itself)."""
    with Store.open(cache.root, clock=cache.clock, readonly=True, memory_messages=1000) as store:
        names = sorted(i.name for i in store.unloaded_partitions() if i.account == "smsc-main")
    return names[0]


def oldest_part(cache: whole_cache.WholeCache) -> str:
    day = sorted((cache.root / PARTITIONS_DIR / "smsc-main").glob("*.json"))[0].stem
    return f"smsc-main/{day}"


@pytest.mark.parametrize(
    "which",
    [
        pytest.param(unloaded_old, id="not-loaded-at-open"),
        pytest.param(oldest_part, id="oldest"),
    ],
)
def test_a_damaged_partition_makes_the_answer_say_partial(tmp_path, capsys, which) -> None:
    cache = whole_cache.build(tmp_path / "cache")
    config = write_config(tmp_path / "config.toml", cache.root, cache.memory)
    name = which(cache)
    account, day = name.split("/")[0], name.split("/")[1][:10]
    tables = read_tables(cache.root / PARTITIONS_DIR / f"{name}.json", ("messages",))
    assert tables is not None
    lost = {doc_to_message(doc)[0].key for doc in tables["messages"]}
    assert lost
    damage(cache.root, name)
    rest = [m for m in cache.truth if m.key not in lost]

    code, out, err = run(capsys, "history", "--cached", "--jsonl", "--config", config)
    assert code == EXIT_PARTIAL
    assert "partial answer" in err and f"{account} {day}" in err
    *lines, last = out.splitlines()
    trailer = json.loads(last)
    assert "message_id" not in trailer and trailer["partial"]
    assert trailer["missing_days"] == [{"account": account, "day": day}]
    same_answer([json.loads(line) for line in lines], rest)

    # Failures are also kept in the partition's summary (summaries/<name>.sets.json): the
    # damaged partition's failures are still answered, and the answer is whole.
    code, out, err = run(capsys, "history", "--cached", "--json", "--state", "failed",
                         "--config", config)  # fmt: skip
    assert code == 0 and "partial" not in err
    same_answer(json.loads(out), cache.where(state=DeliveryState.FAILED))
    # With the summary damaged too, that day's failures are missing, and the answer says so.
    (cache.root / "summaries" / f"{name}.sets.json").write_bytes(b"\x00garbage")
    code, out, err = run(capsys, "history", "--cached", "--json", "--state", "failed",
                         "--config", config)  # fmt: skip
    assert code == EXIT_PARTIAL and f"{account} {day}" in err
    *rows, trailer = json.loads(out)
    assert trailer["missing_days"] == [{"account": account, "day": day}]
    same_answer(rows, [m for m in rest if m.state is DeliveryState.FAILED])

    gone = next(m for m in cache.truth if m.key in lost)
    code, out, err = run(capsys, "status", gone.message_id, "--cached", "--account", account,
                         "--json", "--config", config)  # fmt: skip
    assert code == EXIT_PARTIAL and "not found in the readable cache" in err
    [only] = json.loads(out)
    assert only["missing_days"] == [{"account": account, "day": day}] and only["partial"]
