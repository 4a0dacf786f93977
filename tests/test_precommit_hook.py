"""The pre-commit hook definition runs `antifraud validate` the way pre-commit would."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"


def hooks() -> list[dict[str, object]]:
    doc = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, list)
    return doc


def test_hook_definition() -> None:
    (hook,) = hooks()
    assert hook["id"] == "antifraud-validate"
    assert hook["language"] == "python"
    assert hook["entry"] == "antifraud validate"
    files = re.compile(str(hook["files"]))
    exclude = re.compile(str(hook["exclude"]))
    assert files.search("lists/mps/fraud-phones.jsonl")
    assert not files.search("README.md")
    assert exclude.search("lists/mps/v2.delta.jsonl")


def run_hook(*files: Path) -> subprocess.CompletedProcess[str]:
    (hook,) = hooks()
    argv = shlex.split(str(hook["entry"]))
    assert argv[0] == "antifraud"
    # pre-commit runs the console script from the hook's environment with the staged
    # file names appended; run the same command through this interpreter.
    cmd = [sys.executable, "-m", "antifraud_common", *argv[1:], *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def test_hook_passes_good_files() -> None:
    proc = run_hook(GOLDEN / "fraud-phones.jsonl", GOLDEN / "stop-payment.jsonl")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hook_fails_bad_files(tmp_path: Path) -> None:
    lines = (GOLDEN / "fraud-phones.jsonl").read_bytes().splitlines(keepends=True)
    unsorted = tmp_path / "unsorted.jsonl"
    unsorted.write_bytes(lines[1] + lines[0] + b"".join(lines[2:]))
    proc = run_hook(GOLDEN / "fraud-phones.jsonl", unsorted)
    assert proc.returncode == 1
    assert "not_sorted" in proc.stdout + proc.stderr
    assert "unsorted.jsonl" in proc.stdout + proc.stderr
