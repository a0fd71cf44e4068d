"""Exports mask secret values only: account names, phones and ids that contain one stay whole."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from smstui.export import export_messages
from smstui.model import DeliveryState, Message, Provider
from smstui.secrets import Secret

T0 = 1_763_700_000.0


def demo_like() -> Message:
    """A message of the demo's account: login and password "demo", account "demo-webcom"."""
    return Message(
        account="demo-webcom",
        provider=Provider.WEBCOM,
        message_id="demo-17",
        phone="79031234567",
        state=DeliveryState.DELIVERED,
        text="your demo code 5521",
        sender="demo",
        sent_at=T0,
        raw_status="deliver psw=demo",
        cost=Decimal("2.3"),
        parts=1,
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_account_names_survive_a_secret_inside_them(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    export_messages(path, [demo_like()], fmt, secrets=[Secret("demo"), Secret("1234")])
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            row = next(csv.DictReader(fh))
    else:
        row = json.loads(path.read_text(encoding="utf-8"))
    assert row["account"] == "demo-webcom"  # was "***-webcom"
    assert row["phone"] == "79031234567"  # a numeric password is no reason to hide a number
    assert row["message_id"] == "demo-17"
    # The secret's value is still masked where a person or a gateway wrote free text: the
    # text, and the sender name the sending program chose (a password pasted there leaks).
    assert row["text"] == "your *** code 5521" and row["sender"] == "***"
    assert row["raw_status"] == "deliver psw=***"


def test_cost_is_a_machine_value_with_two_places(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    export_messages(path, [demo_like()], "jsonl")
    assert json.loads(path.read_text(encoding="utf-8"))["cost"] == "2.30"  # was "2.3"
