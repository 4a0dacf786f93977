"""Tests for ``antifraud screen`` and ``antifraud index build`` (cli/_screen.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from antifraud_common import cli
from antifraud_common.format.canonical import dumps as canonical_json
from antifraud_common.models import Entry

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CARD = "6222021123456789014"


@pytest.fixture(autouse=True)
def _registered(monkeypatch: pytest.MonkeyPatch) -> None:
    if "_screen" not in cli._COMMAND_MODULES:
        monkeypatch.setattr(cli, "_COMMAND_MODULES", (*cli._COMMAND_MODULES, "_screen"))


def entry(kind: str, value: str, action: str) -> Entry:
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


@pytest.fixture
def index_file(tmp_path: Path) -> Path:
    entries = sorted(
        [entry("phone", "+8613800138000", "block"), entry("bank_card", CARD, "freeze")],
        key=lambda e: (e.kind.value, e.value),
    )
    src = tmp_path / "fraud.jsonl"
    src.write_bytes(b"".join(canonical_json(e.to_dict()) + b"\n" for e in entries))
    out = tmp_path / "fraud.afidx"
    assert (
        cli.main(["index", "build", "--from", str(src), "--issuer", "mps", "--out", str(out)]) == 0
    )
    return out


def test_index_build_json(
    tmp_path: Path, index_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    src = tmp_path / "fraud.jsonl"
    out = tmp_path / "again.afidx"
    status = cli.main(["index", "build", "--from", str(src), "--out", str(out), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["ok"] and doc["stats"]["rows"] == 2
    assert out.is_file()


def test_index_build_refuses_bad_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind":"phone"}\n', encoding="utf-8")
    status = cli.main(
        ["index", "build", "--from", str(bad), "--out", str(tmp_path / "x"), "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert status == 1 and not doc["ok"] and doc["error"]["line"] == 1
    assert cli.main(["index", "build", "--from", str(tmp_path / "nope.jsonl"), "--out", "x"]) == 2


def test_screen_to_stdout(
    tmp_path: Path, index_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "calls.csv"
    records.write_text(
        "id,caller,card\n1,138 0013 8000,\n2,13900139000,6222 0211 2345 6789 014\n3,x\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    status = cli.main(
        [
            "screen",
            str(records),
            "--index",
            str(index_file),
            "--column",
            "caller:phone",
            "--column",
            "card:card",
            "--now",
            "2026-06-01T00:00:00Z",
        ]
    )
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines()]
    assert status == 1
    assert [(x["line"], x["column"], x["action"]) for x in lines] == [
        (2, "caller", "block"),
        (3, "card", "freeze"),
    ]
    assert CARD not in captured.out and CARD not in captured.err
    assert "1 bad rows" in captured.err and "line 4: wrong_cell_count" in captured.err


def test_screen_json_summary_with_out(
    tmp_path: Path, index_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "calls.jsonl"
    records.write_text('{"caller": "13900139000"}\n', encoding="utf-8")
    out = tmp_path / "matches.jsonl"
    capsys.readouterr()
    status = cli.main(
        [
            "screen",
            str(records),
            "--index",
            str(index_file),
            "--column",
            "caller:phone",
            "--out",
            str(out),
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["ok"] and doc["command"] == "screen"
    assert doc["summary"]["records"] == 1 and doc["summary"]["format"] == "jsonl"
    assert out.read_text(encoding="utf-8") == ""


def test_screen_usage_errors(
    tmp_path: Path, index_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "calls.csv"
    records.write_text("a\n1\n", encoding="utf-8")
    base = ["screen", str(records), "--index", str(index_file)]
    assert cli.main([*base, "--column", "missing"]) == 2
    assert cli.main([*base, "--column", "a:nonsense"]) == 2
    # --json without --out: the matches are in the one JSON document.
    assert cli.main([*base, "--column", "a", "--json"]) in (0, 1)
    assert "matches" in json.loads(capsys.readouterr().out)
    assert cli.main([*base, "--column", "a", "--now", "yesterday"]) == 2
    assert cli.main(["screen", str(records), "--column", "a"]) == 2


def test_screen_corrupt_index_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.afidx"
    bad.write_bytes(
        b"AFINDEX\n" + (1).to_bytes(4, "little") + (8).to_bytes(4, "little") + b"\0" * 40
    )
    records = tmp_path / "calls.csv"
    records.write_text("a\n1\n", encoding="utf-8")
    status = cli.main(
        [
            "screen",
            str(records),
            "--index",
            str(bad),
            "--column",
            "a",
            "--out",
            str(tmp_path / "o"),
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert status == 1 and doc["error"]["code"] == "index_corrupt"


def test_screen_refuses_a_directory_without_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "calls.csv"
    records.write_text("a\n13800138000\n", encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    status = cli.main(["screen", str(records), "--state", str(state), "--column", "a:phone"])
    assert status == 1
    assert "state_missing" in capsys.readouterr().err
    # Nothing created, the directory's mode untouched.
    assert list(state.iterdir()) == [] and (state.stat().st_mode & 0o777) == 0o755
    assert cli.main(["screen", str(records), "--state", str(tmp_path / "no"), "--column", "a"]) == 1
    assert not (tmp_path / "no").exists()
