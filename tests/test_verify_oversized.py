"""Report-mode verification of an entries file larger than its manifest says.

The length mismatch is known from the file's size before any byte is read; the report
still lists the problems of the lines, but reads no further than the declared length.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from antifraud_common.exchange import load_trust, verify_list_report
from antifraud_common.exchange.signing import _HASH_CHUNK

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name in ("fraud-phones.jsonl", "fraud-phones.jsonl.sig", "trust.json", "trust.json.sig"):
        shutil.copy(GOLDEN / name, tmp_path / name)
    return tmp_path


def _now() -> object:
    import importlib.util
    import sys

    generator = ROOT / "scripts" / "make_golden.py"
    spec = importlib.util.spec_from_file_location("make_golden", generator)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_golden", module)
    spec.loader.exec_module(module)
    return module.T0 + timedelta(hours=1)


NOW = _now()


def _report(work: Path) -> tuple[object, list[int]]:
    trust = load_trust(work / "trust.json", work / "trust.json.sig", now=NOW)  # type: ignore[arg-type]
    seen: list[int] = []

    def progress(stage: str, done: int, total: int) -> None:
        seen.append(done)

    report = verify_list_report(
        work / "fraud-phones.jsonl",
        work / "fraud-phones.jsonl.sig",
        trust=trust,
        now=NOW,  # type: ignore[arg-type]
        progress=progress,
    )
    return report, seen


def test_an_oversized_file_is_read_up_to_the_declared_length_only(work: Path) -> None:
    entries = work / "fraud-phones.jsonl"
    declared = entries.stat().st_size
    lines = entries.read_bytes().splitlines(keepends=True)
    # The first line broken (same length), the rest as signed, then a long tail past
    # the declared length whose first line is cut by it.
    broken = b"x" * (len(lines[0]) - 1) + b"\n"
    tail = b"{}\n" * (_HASH_CHUNK + 1000)
    entries.write_bytes(broken + b"".join(lines[1:]) + tail)
    report, seen = _report(work)
    assert not report.ok  # type: ignore[attr-defined]
    codes = report.codes  # type: ignore[attr-defined]
    assert "length_mismatch" in codes
    assert "bad_line" in codes  # a line within the declared length is still reported on
    assert seen and max(seen) <= declared
    # The tail past the length is not reported on: no problem names a line beyond it.
    problem_lines = [p.line for p in report.problems if getattr(p, "line", None)]  # type: ignore[attr-defined]
    assert problem_lines == [1]


def test_an_undersized_file_is_read_whole(work: Path) -> None:
    entries = work / "fraud-phones.jsonl"
    lines = entries.read_bytes().splitlines(keepends=True)
    entries.write_bytes(b"".join(lines[:-1]))
    report, seen = _report(work)
    assert "length_mismatch" in report.codes  # type: ignore[attr-defined]
    assert max(seen) == entries.stat().st_size


def test_an_intact_file_still_verifies(work: Path) -> None:
    report, seen = _report(work)
    assert report.ok, report.codes  # type: ignore[attr-defined]
    assert max(seen) == (work / "fraud-phones.jsonl").stat().st_size
