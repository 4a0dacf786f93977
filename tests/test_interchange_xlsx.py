"""XLSX import and export with text-typed cells, and CSV exports read as a spreadsheet would."""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.format.csvio import export_csv, import_csv
from antifraud_common.interchange import xlsx

openpyxl = pytest.importorskip("openpyxl")


def _kit() -> ModuleType:
    name = "_interchange_kit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


K = _kit()

# How a spreadsheet reads a CSV cell typed into a General cell: a leading apostrophe
# makes it text (and is not part of the text), "=" makes a formula, and anything
# that parses as a number becomes a floating-point number with 15 significant digits.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _as_typed(cell: str) -> object:
    if cell.startswith("'"):
        return cell[1:]
    if cell.startswith("="):
        return cell  # a formula: what injection protection must prevent
    if _NUMBER.fullmatch(cell.strip()):
        return float(f"{float(cell):.15g}")
    return cell


def _csv_through_a_workbook(text: str, tmp_path: Path) -> list[list[object]]:
    """Load CSV text into a workbook the way a spreadsheet's Open does, save, read back."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in csv.reader(io.StringIO(text)):
        sheet.append([_as_typed(c) for c in row])
    path = tmp_path / "opened.xlsx"
    workbook.save(path)
    loaded = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in loaded.active.iter_rows()]


def test_csv_export_keeps_every_identifier_as_text_in_a_spreadsheet(tmp_path: Path) -> None:
    entries = K.sample_entries()
    buffer = io.StringIO()
    export_csv(entries, buffer)
    rows = _csv_through_a_workbook(buffer.getvalue(), tmp_path)
    header, body = rows[0], rows[1:]
    values = [r[header.index("value")] for r in body]
    assert values == [e.value for e in entries]
    assert all(isinstance(v, str) for v in values)
    assert K.CARD in values
    assert [r[header.index("case_ref")] for r in body] == [e.case_ref for e in entries]
    assert not any(isinstance(c, str) and c.startswith("=") for r in rows for c in r)


def test_the_spreadsheet_model_does_mangle_bare_digits(tmp_path: Path) -> None:
    # The control: without the text prefix a 19-digit card loses its last digits.
    rows = _csv_through_a_workbook(f"value\r\n{K.CARD}\r\n", tmp_path)
    assert rows[1][0] != K.CARD and isinstance(rows[1][0], float)
    assert f"{rows[1][0]:.6g}".upper() == "6.22202E+18"


def test_csv_export_still_round_trips_and_neutralises_formulas(tmp_path: Path) -> None:
    entries = K.sample_entries()
    buffer = io.StringIO()
    export_csv(entries, buffer)
    assert f",'{K.CARD}," in buffer.getvalue()
    assert import_csv(io.StringIO(buffer.getvalue())).entries == tuple(entries)


def test_xlsx_round_trip_with_text_cells(tmp_path: Path) -> None:
    entries = K.sample_entries()
    path = tmp_path / "e.xlsx"
    assert xlsx.export_xlsx(entries, path) == len(entries)
    assert path.stat().st_mode & 0o777 == 0o600
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        value = row[header.index("value")]
        assert value.data_type == "s" and value.number_format == "@"
        assert isinstance(row[header.index("confidence")].value, int)
    cards = [r[header.index("value")].value for r in sheet.iter_rows(min_row=2)]
    assert K.CARD in cards
    result = xlsx.import_xlsx(path)
    assert result.ok and result.entries == tuple(entries)


def test_xlsx_import_reports_every_bad_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    cols = [
        "kind",
        "value",
        "reason",
        "action",
        "source",
        "case_ref",
        "confidence",
        "tlp",
        "listed_at",
        "valid_from",
    ]
    sheet.append(cols)
    good = [
        "phone",
        "13800138000",
        "telecom_fraud",
        "block",
        "mps",
        "A-1",
        90,
        "amber",
        "2026-01-01",
        "2026-01-01",
    ]
    sheet.append(good)
    sheet.append(["bank_card", 6222021234567890128, *good[2:]])  # a number cell
    sheet.append([*good[:5], '=HYPERLINK("http://x")', *good[6:]])  # a formula cell
    sheet.append([*good[:5], "@SUM(A1)", *good[6:]])  # text that runs as a formula
    sheet.append(["phone", "13900139000", *good[2:8], "2026-02-30", "2026-01-01"])
    sheet.append([None] * len(cols))  # blank: skipped
    sheet.append(good)  # duplicate of row 2
    sheet.append(["phone", "13700137000", *good[2:], "extra"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    result = xlsx.import_xlsx(path)
    got = [(e.record, e.code, e.field) for e in result.errors]
    assert got == [
        (3, "not_text", "value"),
        (4, "formula_injection", "case_ref"),
        (5, "formula_injection", "case_ref"),
        (6, "invalid_timestamp", "listed_at"),
        (8, "duplicate_key", "value"),
        (9, "wrong_cell_count", None),
    ]
    assert len(result.entries) == 1 and result.records == 7


def test_xlsx_import_refuses_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(xlsx.InterchangeFormatError) as info:
        xlsx.import_xlsx(path)
    assert info.value.code == "not_a_workbook"
