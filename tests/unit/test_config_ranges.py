"""Config values outside sane ranges are refused by name, and hostile files are clear errors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from smstui.budget.shared import SharedState
from smstui.config import POLL_RANGES, load_config, parse_config
from smstui.errors import ConfigError
from smstui.export import ExportError, read_jsonl
from smstui.model import DeliveryState, Message, Provider
from smstui.poller import Engine
from smstui.store import Store
from smstui.ui.settings import SETTINGS_FILE, load_ui_settings, save_ui_setting

ACCOUNT = {"name": "main", "provider": "smsc", "login": "demo", "password": "demo"}
DEEP = 100_000  # far past Python's recursion limit


def config_with(**poll: object) -> None:
    parse_config({"accounts": [ACCOUNT], "poll": poll})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("flush_interval_s", 0.000001),  # accepted before: the checkpointer burnt 99.7% of a core
        ("flush_interval_s", 7200),
        ("status_interval_s", 0.01),
        ("history_interval_s", 0.5),
        ("balance_interval_s", 10**9),
        ("max_age_h", 0.001),
        ("retention_days", 0.01),
        ("retention_days", 100_000),
        ("status_interval_s", float("nan")),
        ("status_interval_s", float("inf")),
    ],
)
def test_poll_values_outside_their_range_are_refused_by_name(name: str, value: float) -> None:
    low, high = POLL_RANGES[name]
    with pytest.raises(ConfigError, match=rf"poll\.{name}: must be (between {low:g} and "
                       rf"{high:g}|a positive number)"):  # fmt: skip
        config_with(**{name: value})


def test_the_range_edges_and_the_defaults_are_accepted() -> None:
    for name, (low, high) in POLL_RANGES.items():
        config_with(**{name: low})
        config_with(**{name: high})
    config_with()


@pytest.mark.parametrize("timeout", [0.001, 0, 3600])
def test_account_timeout_outside_its_range_is_refused(timeout: float) -> None:
    with pytest.raises(ConfigError, match=r"accounts\[0\] \(main\)\.timeout: must be"):
        parse_config({"accounts": [{**ACCOUNT, "timeout": timeout}]})


def test_a_deeply_nested_config_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n", encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(path)


def test_a_deeply_nested_ui_settings_file_counts_as_none_saved(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    assert load_ui_settings(tmp_path) == {}
    save_ui_setting(tmp_path, "theme", "nord")  # and the next save replaces it whole
    assert json.loads((tmp_path / SETTINGS_FILE).read_text("utf-8")) == {"theme": "nord"}
    assert [p.name for p in tmp_path.iterdir()] == [SETTINGS_FILE]  # no temp file left


def test_a_deeply_nested_budget_file_is_a_fresh_budget(tmp_path: Path) -> None:
    path = tmp_path / "main.json"
    path.write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    assert SharedState(path).read(0.0).failed_logins == 0


def test_a_deeply_nested_jsonl_export_is_an_export_error(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text("[" * DEEP + "]" * DEEP + "\n", encoding="utf-8")
    with pytest.raises(ExportError, match="not an smstui JSONL export"):
        read_jsonl(path)


async def test_ui_export_masks_configured_secrets_like_history_csv(tmp_path: Path) -> None:
    secret = "Very-Secret-Token-77"
    config = parse_config(
        {"accounts": [{**ACCOUNT, "password": secret, "base_url": "http://127.0.0.1:9"}],
         "cache": {"dir": str(tmp_path)}}
    )  # fmt: skip
    store = Store.open(tmp_path / "cache")
    leaked = Message(
        account="main", provider=Provider.SMSC, message_id="1", phone="79161234567",
        state=DeliveryState.DELIVERED, text=f"your login is demo/{secret}", sender=secret,
        sent_at=1_763_722_800.0, cost=Decimal("1.20"),
    )  # fmt: skip
    store.apply([leaked])
    engine = Engine(config, store)
    try:
        for fmt in ("csv", "jsonl"):
            path = tmp_path / f"export.{fmt}"
            assert await engine.export(path, [leaked.key], fmt) == 1
            body = path.read_text("utf-8")
            assert secret not in body and "your login is demo/***" in body
    finally:
        await engine.aclose()
        store.close()
