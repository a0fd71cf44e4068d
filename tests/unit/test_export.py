"""CSV/JSONL export: columns, UTF-8, formula-injection safety, atomic writes, no secrets."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest

from smstui.display import use_zone
from smstui.export import (
    COLUMNS,
    ExportError,
    export_messages,
    iso_time,
    read_jsonl,
    safe_cell,
    write_csv,
    write_jsonl,
)
from smstui.model import DeliveryState, Message, Provider
from smstui.moscow import MSK
from smstui.secrets import Secret

T0 = 1_763_700_000.0  # 2025-11-21 04:40:00 UTC = 07:40:00 MSK


def sample() -> list[Message]:
    return [
        Message(
            account="main",
            provider=Provider.SMSC,
            message_id="501",
            phone="79161234567",
            state=DeliveryState.FAILED,
            text="Привет, ваш код 4321",
            sender="Shop",
            sent_at=T0,
            raw_status="20",
            error_code=6,
            cost=Decimal("3.50"),
            parts=1,
            country="Россия",
            operator="МТС",
            region="Москва",
            updated_at=T0 + 30,
        ),
        Message(
            account="webcom",
            provider=Provider.WEBCOM,
            message_id="w-9",
            phone="79031112233",
            state=DeliveryState.DELIVERED,
            text='=HYPERLINK("http://evil")',
            sender="-cmd",
            raw_status="deliver",
        ),
    ]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_has_the_documented_columns_and_utf8(tmp_path: Path, msk_display: None) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, sample()) == 2
    rows = read_csv(path)
    assert tuple(rows[0]) == COLUMNS
    first = rows[0]
    assert first["time"] == "2025-11-21T07:40:00+03:00"
    assert first["text"] == "Привет, ваш код 4321"
    assert first["operator"] == "МТС" and first["region"] == "Москва"
    assert first["cost"] == "3.50" and first["parts"] == "1" and first["error_code"] == "6"
    assert first["state"] == "failed" and first["raw_status"] == "20"
    assert "Subscriber offline" in first["error_explanation"]
    assert "temporary" in first["error_explanation"]
    assert rows[1]["time"] == "" and rows[1]["error_explanation"] == ""
    assert path.read_bytes().startswith(b"time,account,")  # no BOM, plain UTF-8


def test_csv_cells_cannot_become_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, sample())
    second = read_csv(path)[1]
    assert second["text"] == '\'=HYPERLINK("http://evil")'
    assert second["sender"] == "'-cmd"
    for cell in ("=1+1", "+7916", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(cell).startswith("'")
    assert safe_cell("79161234567") == "79161234567" and safe_cell(None) == ""


def test_jsonl_round_trips_every_field(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    assert write_jsonl(path, iter(sample())) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "Привет" in lines[0]  # not \\u-escaped
    record = json.loads(lines[0])
    assert set(COLUMNS) <= set(record)
    assert record["cost"] == "3.50" and record["error_code"] == 6 and record["parts"] == 1
    assert read_jsonl(path) == sample()  # JSONL keeps formulas verbatim: it is not a spreadsheet


def test_export_messages_chooses_by_format(tmp_path: Path) -> None:
    assert export_messages(tmp_path / "a.csv", sample(), "csv") == 2
    assert export_messages(tmp_path / "a.jsonl", sample(), "JSONL") == 2
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").startswith("time,")
    with pytest.raises(ExportError, match="xlsx"):
        export_messages(tmp_path / "a.xlsx", sample(), "xlsx")
    assert not (tmp_path / "a.xlsx").exists()


def test_empty_export_writes_just_the_header(tmp_path: Path) -> None:
    assert write_csv(tmp_path / "e.csv", []) == 0
    assert read_csv(tmp_path / "e.csv") == []
    assert write_jsonl(tmp_path / "e.jsonl", []) == 0
    assert (tmp_path / "e.jsonl").read_text() == ""


def test_failure_midway_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old content", encoding="utf-8")

    def exploding():
        yield sample()[0]
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        write_csv(path, exploding())
    assert path.read_text(encoding="utf-8") == "old content"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_unwritable_targets_raise_export_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="directory"):
        write_csv(tmp_path, sample())
    with pytest.raises(ExportError, match="cannot write"):
        write_csv(tmp_path / "missing" / "out.csv", sample())


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    token = Secret("s3cr3t-token-value")
    leaky = sample()[0].evolve(
        raw_status="20 psw=hunter22&login=x", text="debug s3cr3t-token-value here"
    )
    for fmt in ("csv", "jsonl"):
        path = tmp_path / f"leak.{fmt}"
        export_messages(path, [leaky], fmt, secrets=[token])
        content = path.read_text(encoding="utf-8")
        assert "hunter22" not in content and "s3cr3t-token-value" not in content
        assert "psw=***" in content


def test_iso_time_is_in_the_display_zone_with_offset() -> None:
    assert iso_time(None) == ""
    use_zone(MSK)
    assert iso_time(0) == "1970-01-01T03:00:00+03:00"
    use_zone(UTC)
    assert iso_time(0) == "1970-01-01T00:00:00+00:00"
    use_zone(None)


@pytest.fixture
def msk_display():
    """Times shown in Moscow time ([ui] timezone = "MSK") for the duration of one test."""
    use_zone(MSK)
    yield
    use_zone(None)
