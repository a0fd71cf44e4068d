"""SMSC control hash: the worked example of smsc.md §10.6, both crc32 forms, refusals."""

from __future__ import annotations

import pytest

from smstui.secrets import Secret
from smstui.webhook.signature import hash_input, smsc_hash, verify_smsc_hash

PARTS = ["1001", "79991234567", "1"]
WORKED = {
    "md5": "3fb6be5000eec2ba600a3135d1792786",
    "sha1": "b48b683314cc92dc32f4f88bb04572570fe5b82d",
    "crc32": "2343645342",
}


def test_hash_input_is_colon_joined_with_secret_last() -> None:
    assert hash_input(PARTS, Secret("s3cr3t")) == "1001:79991234567:1:s3cr3t"


@pytest.mark.parametrize("algo", sorted(WORKED))
def test_worked_example(algo: str) -> None:
    assert smsc_hash(algo, PARTS, "s3cr3t") == WORKED[algo]
    assert smsc_hash(algo, PARTS, Secret("s3cr3t")) == WORKED[algo]
    assert verify_smsc_hash(algo, PARTS, Secret("s3cr3t"), WORKED[algo])


def test_crc32_hex_form_is_produced_and_accepted() -> None:
    assert smsc_hash("crc32", PARTS, "s3cr3t", crc32_hex=True) == "8bb1309e"
    for given in ("8bb1309e", "8BB1309E", " 2343645342 "):
        assert verify_smsc_hash("crc32", PARTS, "s3cr3t", given)


def test_crc32_all_digit_hex_value_is_tried_both_ways() -> None:
    # Find parts whose crc32 in hex happens to be all digits: both readings must be accepted.
    for n in range(100_000):
        parts = [str(n), "79990000000", "1"]
        hex_form = smsc_hash("crc32", parts, "k", crc32_hex=True)
        if hex_form.isdigit():
            assert verify_smsc_hash("crc32", parts, "k", hex_form)
            assert verify_smsc_hash("crc32", parts, "k", smsc_hash("crc32", parts, "k"))
            return
    pytest.fail("no all-digit crc32 found")


@pytest.mark.parametrize("algo", sorted(WORKED))
def test_wrong_secret_or_changed_field_fails(algo: str) -> None:
    assert not verify_smsc_hash(algo, PARTS, "other", WORKED[algo])
    assert not verify_smsc_hash(algo, ["1001", "79991234567", "20"], "s3cr3t", WORKED[algo])
    assert not verify_smsc_hash(algo, PARTS, "s3cr3t", "")
    assert not verify_smsc_hash(algo, PARTS, "s3cr3t", "zz" * 20)


def test_md5_upper_case_is_accepted() -> None:
    assert verify_smsc_hash("md5", PARTS, "s3cr3t", WORKED["md5"].upper())


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="sha256"):
        smsc_hash("sha256", PARTS, "s3cr3t")
    assert not verify_smsc_hash("sha256", PARTS, "s3cr3t", WORKED["md5"])


def test_charset_decides_the_hashed_bytes() -> None:
    parts = ["79991234567", "Привет", "79000000000"]
    utf8 = smsc_hash("md5", parts, "k", encoding="utf-8")
    cp1251 = smsc_hash("md5", parts, "k", encoding="windows-1251")
    assert utf8 != cp1251
    assert verify_smsc_hash("md5", parts, "k", cp1251, encoding="windows-1251")
    assert not verify_smsc_hash("md5", parts, "k", cp1251, encoding="utf-8")


def test_text_the_charset_cannot_carry_never_verifies() -> None:
    assert not verify_smsc_hash("md5", ["1", "7999", "☃"], "k", "0" * 32, encoding="koi8-r")
