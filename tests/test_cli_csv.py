"""Tests for ``antifraud import-csv`` and ``antifraud export-csv``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from antifraud_common.cli import main

CARD = "6222021234567890128"
HEADER = "kind,value,reason,action,source,case_ref,confidence,tlp,listed_at,valid_from\n"
GOOD = (
    "phone,138 0013 8000,telecom_fraud,block,mps,A-1,90,amber,2026-01-01,2026-01-01\n"
    f"bank_card,{CARD},card_trafficking,freeze,pboc,B-2,80,red,2026-01-01,2026-01-01\n"
)
BAD = (
    "phone,138O0138OOO,telecom_fraud,block,mps,A-1,90,amber,2026-01-01,2026-01-01\n"
    'phone,"=HYPERLINK(""http://x"")",telecom_fraud,block,mps,A-1,90,amber,2026-01-01,2026-01-01\n'
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    c = capsys.readouterr()
    return status, c.out, c.err


def test_import_good_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(HEADER + GOOD, encoding="utf-8")
    out_path = tmp_path / "e.jsonl"
    status, out, _ = run(capsys, "import-csv", str(src), "--out", str(out_path), "--json")
    doc = json.loads(out)
    assert status == 0 and doc["ok"]
    assert doc["imported"] == 2 and doc["written"]["entry_count"] == 2
    lines = out_path.read_bytes().splitlines()
    assert b'"value":"6222021234567890128"' in lines[0]  # bank_card sorts before phone
    assert b'"value":"+8613800138000"' in lines[1]
    assert CARD not in out


def test_import_reports_every_bad_row_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.csv"
    src.write_text(HEADER + GOOD + BAD, encoding="utf-8")
    out_path = tmp_path / "e.jsonl"
    status, out, _ = run(capsys, "import-csv", str(src), "--out", str(out_path), "--json")
    doc = json.loads(out)
    assert status == 1 and not doc["ok"]
    assert [(e["line"], e["code"]) for e in doc["problems"]] == [
        (4, "letters_not_allowed"),
        (5, "formula_injection"),
    ]
    assert doc["written"] is None
    assert not out_path.exists()
    status, _, err = run(capsys, "import-csv", str(src), "--out", str(out_path))
    assert status == 1
    assert "line 4" in err and "line 5" in err


def test_import_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("kind,value\nphone,13800138000\n", encoding="utf-8")
    defaults = [
        "reason=telecom_fraud",
        "action=block",
        "source=mps",
        "case_ref=C",
        "confidence=50",
        "tlp=green",
        "listed_at=2026-01-01",
        "valid_from=2026-01-01",
    ]
    argv = ["import-csv", str(src), "--out", str(tmp_path / "e.jsonl")]
    for d in defaults:
        argv += ["--default", d]
    assert run(capsys, *argv)[0] == 0
    assert run(capsys, "import-csv", str(src), "--out", "x", "--default", "novalue")[0] == 2


def test_import_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"kind,value\x00\n")
    status, out, _ = run(capsys, "import-csv", str(src), "--out", str(tmp_path / "e"), "--json")
    assert status == 1
    assert json.loads(out)["error"]["code"] == "csv_nul_byte"


def test_export_round_trip_and_masking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(HEADER + GOOD, encoding="utf-8")
    entries = tmp_path / "e.jsonl"
    assert run(capsys, "import-csv", str(src), "--out", str(entries))[0] == 0
    exported = tmp_path / "out.csv"
    status, out, _ = run(capsys, "export-csv", str(entries), "--out", str(exported), "--json")
    assert status == 0 and json.loads(out)["masked_cards"] is False
    text = exported.read_text(encoding="utf-8-sig")
    assert CARD in text
    assert "'+8613800138000" in text  # formula trigger neutralised
    again = tmp_path / "again.jsonl"
    assert run(capsys, "import-csv", str(exported), "--out", str(again))[0] == 0
    assert again.read_bytes() == entries.read_bytes()
    # To the terminal, cards are always masked.
    status, out, _ = run(capsys, "export-csv", str(entries))
    assert status == 0
    assert CARD not in out and "622202*********0128" in out
    # With --json and no --out the (masked) CSV is in the one JSON document.
    status, out, _ = run(capsys, "export-csv", str(entries), "--json")
    doc = json.loads(out)
    assert status == 0 and doc["masked_cards"] and "622202*********0128" in doc["csv"]
    assert CARD not in out


def test_export_refuses_bad_entries_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"kind":"phone"}\n')
    status, _, err = run(capsys, "export-csv", str(bad), "--out", str(tmp_path / "o.csv"))
    assert status == 1
    assert "line 1" in err
