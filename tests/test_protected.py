"""Tests for antifraud_common.protected: the packaged table, matching, loading, merging."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antifraud_common import phone
from antifraud_common.errors import ConfigurationError, ProtectedIdentifierError
from antifraud_common.models import Entry, IdentifierKind
from antifraud_common.protected import (
    COLUMNS,
    ProtectedCategory,
    ProtectedList,
    ProtectedNumber,
)

DEFAULT = ProtectedList.load_default()
HEADER = ",".join(COLUMNS) + "\n"


def _tel(code: str) -> str:
    return f"tel:{code};phone-context=+86"


def _default_rows() -> list[dict[str, str]]:
    text = (resources.files("antifraud_common") / "data" / "protected_numbers.csv").read_text(
        encoding="utf-8"
    )
    body = [line for line in text.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(body))


# -- the packaged table --------------------------------------------------------------------

REQUIRED = {
    "emergency": ["110", "119", "120", "122", "12110", "12395"],
    "anti_fraud": ["96110", "12321", "12381"],
    "government": ["12345", "12315", "12306", "12366", "12333"],
    "carrier": ["10086", "10010", "10000", "10099"],
    "bank": [
        "95588",
        "95599",
        "95533",
        "95566",
        "95559",
        "95580",
        "95555",
        "95558",
        "95568",
        "95595",
        "95528",
        "95561",
        "95577",
        "95508",
        "95511",
    ],
    "payment": ["95516", "95188", "95017"],
}


@pytest.mark.parametrize(
    ("category", "code"), [(c, code) for c, codes in REQUIRED.items() for code in codes]
)
def test_default_table_has_required_numbers(category: str, code: str) -> None:
    hit = DEFAULT.match("phone", _tel(code))
    assert hit is not None, code
    assert hit.category is ProtectedCategory(category)
    assert hit.name


def test_default_table_is_dated_and_stored_canonical() -> None:
    assert DEFAULT.compiled == date(2026, 11, 27)
    rows = _default_rows()
    assert len(rows) == len(DEFAULT) >= 60
    for row in rows:
        assert row["kind"] == "phone"
        # Stored exactly as the phone validator writes it, so the file is greppable.
        assert phone.validate(row["value"]) == row["value"]
        assert row["value"].startswith("tel:")
        assert row["source_note"]


def test_default_table_is_loaded_once() -> None:
    assert ProtectedList.load_default() is ProtectedList.load_default()


def test_raw_short_codes_canonicalise_to_protected_values() -> None:
    for raw in ("95588", " 955 88", "１１０", "12345"):
        assert phone.validate(raw) in {n.value for n in DEFAULT}


# -- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("010-95588", "95588"),
        ("+86 10 95588", "95588"),
        ("021 95533", "95533"),
        ("0571-96110", "96110"),
        ("0755 95555", "95555"),
        ("020 12345", "12345"),
    ],
)
def test_area_code_forms_match(raw: str, code: str) -> None:
    value = phone.validate(raw)
    assert value.startswith("+86")
    assert DEFAULT.match("phone", value) == DEFAULT.match("phone", _tel(code))
    assert DEFAULT.match(IdentifierKind.PHONE, value) is not None


@pytest.mark.parametrize(
    "value",
    [
        "+8613800138000",  # a mobile
        "+861062345678",  # an ordinary Beijing fixed line
        "+8610955880",  # 95588 followed by another digit
        "+86109558",  # a prefix of it
        "+8610110",  # a 3-digit emergency code is not area-dialable
        "+861195588",  # 11 is no area code
        "+8619595588",  # 195 is no area code (mobile range)
        "+85295588000",  # not +86
        "tel:9558;phone-context=+86",
        "tel:95588;phone-context=+852",
    ],
)
def test_non_protected_values(value: str) -> None:
    assert DEFAULT.match("phone", value) is None
    assert ("phone", value) not in DEFAULT


def test_other_kinds_are_not_matched_by_phone_rules() -> None:
    assert DEFAULT.match("bank_account", "95588") is None
    assert DEFAULT.match("bank_account", _tel("95588")) is None


def test_contains_accepts_tuples_and_entries() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    e = Entry(
        kind="phone",
        value="+861095588",
        reason="impersonation",
        action="block",
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=t,
        valid_from=t,
    )
    assert e in DEFAULT
    assert (IdentifierKind.PHONE, _tel("110")) in DEFAULT
    assert "110" not in DEFAULT
    assert ("phone",) not in DEFAULT
    assert ("phone", 110) not in DEFAULT


@given(st.from_regex(r"\+86(1[3-9][0-9]{9}|[2-9][0-9]{9})", fullmatch=True))
def test_match_is_total_on_e164(value: str) -> None:
    hit = DEFAULT.match("phone", value)
    assert hit is None or value.endswith(hit.value.split(";")[0][4:])


# -- check ---------------------------------------------------------------------------------


def test_check_raises_unless_allowed() -> None:
    with pytest.raises(ProtectedIdentifierError) as exc:
        DEFAULT.check("phone", _tel("95588"), line=7)
    assert exc.value.code == "protected_identifier"
    assert exc.value.line == 7
    assert "Industrial and Commercial Bank of China" in str(exc.value)
    DEFAULT.check("phone", _tel("95588"), allow=[("phone", _tel("95588"))])
    DEFAULT.check("phone", "+861095588", allow={("phone", "+861095588")})
    # The allowance names the listed value exactly: the short code does not allow 010-95588.
    with pytest.raises(ProtectedIdentifierError):
        DEFAULT.check("phone", "+861095588", allow=[("phone", _tel("95588"))])
    DEFAULT.check("phone", "+8613800138000")


def test_check_masks_card_numbers(tmp_path: Path) -> None:
    card = "6222021234567890128"
    table = ProtectedList(
        numbers=[
            ProtectedNumber(kind="bank_card", value=card, category="other", name="Test refund card")
        ]
    )
    with pytest.raises(ProtectedIdentifierError) as exc:
        table.check("bank_card", card)
    assert card not in str(exc.value)
    assert card not in repr(table.numbers[0])
    assert "622202" in str(exc.value)


# -- loading and merging -------------------------------------------------------------------


def test_load_user_file_canonicalises(tmp_path: Path) -> None:
    f = tmp_path / "mine.csv"
    f.write_text(
        "# compiled: 2026-10-01\n"
        + HEADER
        + "phone,010-6234 5678,other,Head office,our switchboard\n"
        + "phone,95588,bank,ICBC (again),duplicate of the packaged row\n"
        + "\n",
        encoding="utf-8-sig",
    )
    mine = ProtectedList.load(f)
    assert mine.compiled == date(2026, 10, 1)
    assert [n.value for n in mine] == ["+861062345678", _tel("95588")]
    merged = DEFAULT.merge(mine)
    assert len(merged) == len(DEFAULT) + 1
    assert merged.compiled == date(2026, 11, 27)
    assert merged.match("phone", "+861062345678") is not None
    # The first table's record wins for a shared key.
    assert merged.match("phone", _tel("95588")) == DEFAULT.match("phone", _tel("95588"))
    assert mine.merge(DEFAULT).match("phone", _tel("95588")).name == "ICBC (again)"  # type: ignore[union-attr]
    assert ProtectedList(numbers=[]).merge(ProtectedList(numbers=[])).compiled is None


@pytest.mark.parametrize(
    ("body", "code", "line"),
    [
        ("kind,value\n", "invalid_protected_table", 1),
        ("", "invalid_protected_table", 1),
        (HEADER + "phone,95588,bank\n", "invalid_protected_table", 2),
        (HEADER + "fax,95588,bank,x,y\n", "invalid_protected_table", 2),
        (HEADER + "phone,95588,bonk,x,y\n", "invalid_protected_table", 2),
        (HEADER + "phone,95588,bank,,y\n", "invalid_protected_table", 2),
        (HEADER + "phone,95588,bank,x\x07,y\n", "invalid_protected_table", 2),
        (HEADER + "phone,9558,bank,x,y\n", "invalid_protected_table", 2),
        (HEADER + "phone,95588,bank,x,y\nphone,955 88,bank,x,y\n", "duplicate_protected_number", 3),
        (HEADER + 'phone,"95588,bank,x,y\n', "invalid_protected_table", 2),
        ("# compiled: 2026-02-30\n" + HEADER, "invalid_protected_table", 1),
    ],
)
def test_bad_tables(body: str, code: str, line: int) -> None:
    with pytest.raises(ConfigurationError) as exc:
        ProtectedList.from_csv_text(body)
    assert exc.value.code == code
    assert exc.value.line == line


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        ProtectedList.load(tmp_path / "missing.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(HEADER.encode() + b"phone,95588,bank,Caf\xe9,x\n")
    with pytest.raises(ConfigurationError):
        ProtectedList.load(bad)
    big = tmp_path / "big.csv"
    big.write_bytes(b"#" * (8 * 1024 * 1024 + 10))
    with pytest.raises(ConfigurationError):
        ProtectedList.load(big)


def test_records_are_frozen_and_sorted() -> None:
    keys = [n.key for n in DEFAULT]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    with pytest.raises(AttributeError):
        DEFAULT.numbers[0].name = "x"  # type: ignore[misc]
