"""Tests for antifraud_common.index.screen and the bulk validation shortcuts."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common import card, phone
from antifraud_common.errors import ConfigurationError
from antifraud_common.index import Index
from antifraud_common.index._bulk import card_luhn_ok, validate_many
from antifraud_common.index.screen import screen
from antifraud_common.models import Entry, IdentifierKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
PHONE = "+8613800138000"
CARD = "6222021123456789014"


def entry(value: str, kind: str, action: str) -> Entry:
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=T0,
    )


@pytest.fixture(scope="module")
def index() -> Index:
    return Index.build(
        [
            ("mps", "phones", None, entry(PHONE, "phone", "block")),
            ("pboc", "cards", None, entry(CARD, "bank_card", "freeze")),
            ("pboc", "cards", None, entry("4111111111111111", "bank_card", "hold")),
        ]
    )


KINDS = {"phone": "phone", "card": "bank_card"}

CSV = (
    "\ufeffid,phone,card\n"
    "1,138 0013 8000,\n"  # line 2: phone hit
    "2,13900139000,6222 0211 2345 6789 014\n"  # line 3: card hit (masked)
    '3,"13800138000","4111111111111111"\n'  # line 4: both
    "4,12,4111111111111112\n"  # line 5: both invalid
    "5\n"  # line 6: one cell, the header has three
    '6,"unterminated\n'  # line 7: unparseable (strict quoting)
)


def test_csv_screening_reports_everything(index: Index) -> None:
    run = screen(io.StringIO(CSV), ["phone", "card"], index, kinds=KINDS, now=NOW)
    found = [m.to_dict() for m in run]
    assert [(m["line"], m["column"], m["action"]) for m in found] == [
        (2, "phone", "block"),
        (3, "card", "freeze"),
        (4, "phone", "block"),
        (4, "card", "hold"),
    ]
    assert found[1]["value"] == "622202*********9014"
    assert CARD not in json.dumps(found)
    s = run.summary
    assert s.format == "csv"
    assert s.records == 6
    assert s.bad_rows == 2
    assert [(b.line, b.reason) for b in s.bad_row_samples] == [
        (6, "wrong_cell_count"),
        (7, "unparseable"),
    ]
    assert s.invalid == {"phone": 1, "card": 1}
    assert s.empty == {"phone": 0, "card": 1}
    assert s.values_checked == 7
    assert s.matches_by_action == {"freeze": 1, "hold": 1, "block": 2, "watch": 0}
    assert {(i.line, i.column, i.code) for i in s.invalid_samples} == {
        (5, "phone", phone_error("12")),
        (5, "card", "invalid_checksum"),
    }
    assert json.loads(json.dumps(s.to_dict()))["bad_rows"] == 2


def phone_error(raw: str) -> str:
    with pytest.raises(Exception) as e:
        phone.validate(raw)
    return e.value.code  # type: ignore[attr-defined,no-any-return]


def test_jsonl_screening_and_auto_format(tmp_path: Path, index: Index) -> None:
    path = tmp_path / "records.jsonl"
    lines = [
        json.dumps({"phone": "+86 138 0013 8000", "card": ""}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"card": CARD}),
        "",
        json.dumps({"phone": 13800138000, "card": None}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = screen(path, ["phone", "card"], index, kinds=KINDS, now=NOW)
    assert [(m.line, m.column) for m in run] == [(1, "phone")]
    s = run.summary
    assert s.format == "jsonl"
    assert [(b.line, b.reason) for b in s.bad_row_samples] == [
        (2, "unparseable"),
        (3, "unparseable"),
        (4, "missing_column"),
    ]
    assert s.invalid["phone"] == 1  # a JSON number is not a phone number string
    assert s.empty == {"phone": 0, "card": 2}


def test_auto_detected_kind_column(index: Index) -> None:
    data = io.StringIO("who\n138 0013 8000\n6222021123456789014\n")
    assert [(m.line, m.kind) for m in screen(data, ["who"], index, now=NOW)] == [
        (2, IdentifierKind.PHONE),
        (3, IdentifierKind.BANK_CARD),
    ]


def test_usage_errors(index: Index, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as e:
        screen(io.StringIO("a,b\n1,2\n"), ["phone"], index)
    assert e.value.code == "no_such_column"
    with pytest.raises(ConfigurationError):
        screen(io.StringIO("a\n"), [], index)
    with pytest.raises(ConfigurationError):
        screen(io.StringIO("a\n"), ["a"], index, format="xml")
    with pytest.raises(ConfigurationError):
        screen(io.StringIO("a\n"), ["a"], index, kinds={"a": "nonsense"})
    with pytest.raises(ConfigurationError) as e:
        screen(tmp_path / "missing.csv", ["a"], index)
    assert e.value.code == "unreadable"


def test_empty_input(index: Index) -> None:
    run = screen(io.StringIO(""), ["phone"], index, format="csv")
    assert list(run) == []
    assert run.summary.records == 0


def test_many_rows_cross_chunks(index: Index) -> None:
    rows = "".join(f"{13800138000 + (i % 3)}\n" for i in range(5000))
    run = screen(io.StringIO("phone\n" + rows), ["phone"], index, kinds=KINDS, now=NOW)
    lines = [m.line for m in run]
    assert lines == [i + 2 for i in range(0, 5000, 3)]
    assert run.summary.records == 5000


# ------------------------------------------------ bulk shortcuts = validators

mobile_st = st.from_regex(r"1[0-9]{10}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(mobile_st | st.text(max_size=14), max_size=20))
def test_bulk_phone_verdicts_equal_the_validator(raws: list[str]) -> None:
    got = validate_many(IdentifierKind.PHONE, raws, region="CN")
    for raw, (value, error) in zip(raws, got, strict=True):
        try:
            expected = phone.validate(raw, region="CN")
        except Exception as e:
            assert value is None and error is not None and error.code == e.code, raw  # type: ignore[attr-defined]
        else:
            assert value == expected and error is None, raw


card_st = st.from_regex(r"[1-9][0-9]{11,18}", fullmatch=True).map(
    lambda d: d[:-1] + str((10 - card_luhn_sum(d[:-1] + "0")) % 10)
)


def card_luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10


@settings(max_examples=200, deadline=None)
@given(card_st | st.from_regex(r"[0-9 -]{10,22}", fullmatch=True))
def test_bulk_card_verdicts_equal_the_validator(raw: str) -> None:
    [(value, error)] = validate_many(IdentifierKind.BANK_CARD, [raw])
    [(value2, error2)] = validate_many(IdentifierKind.BANK_CARD, [raw])  # cached path
    try:
        expected = card.validate(raw)
    except Exception as e:
        assert value is None and error is not None and error.code == e.code  # type: ignore[attr-defined]
        assert value2 is None
    else:
        assert value == expected == value2 and error is None and error2 is None


@given(st.from_regex(r"[0-9]{1,19}", fullmatch=True))
def test_luhn_agrees_with_stdnum(digits: str) -> None:
    from stdnum import luhn

    assert card_luhn_ok(digits) == luhn.is_valid(digits)


def test_undecodable_bytes_are_invalid_values(tmp_path: Path, index: Index) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"phone\n138\xff00138000\n13800138000\n")
    run = screen(path, ["phone"], index, kinds=KINDS, now=NOW)
    assert [m.line for m in run] == [3]
    assert run.summary.invalid == {"phone": 1}


def test_screening_sees_pending_updates() -> None:
    index = Index.build([("mps", "phones", None, entry(PHONE, "phone", "block"))])
    index.apply_changes("mps", "phones", added=[entry("+8613900139000", "phone", "hold")])
    index.apply_changes("mps", "phones", removed=[("phone", PHONE)])
    data = io.StringIO("phone\n13800138000\n13900139000\n")
    assert [(m.line, m.action.value) for m in screen(data, ["phone"], index, kinds=KINDS)] == [
        (3, "hold")
    ]
