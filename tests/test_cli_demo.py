"""Tests for ``antifraud demo``: the whole exchange, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from antifraud_common.cli import main


def test_demo_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["demo", "--entries", "300", "--json", "--dir", str(tmp_path)])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0
    assert doc["ok"] is True
    assert all(step["ok"] for step in doc["steps"])
    refused = {step["step"]: step["refused"]["code"] for step in doc["steps"] if "refused" in step}
    assert refused == {
        "stop-payment list signed by the central bank alone": "threshold_not_met",
        "one byte changed in the entries file": "hash_mismatch",
        "replay of version 1 after version 2": "rollback",
    }
    delta = next(s for s in doc["steps"] if s["step"] == "delta")
    assert "+3 -3 ~0" in delta["detail"]
    # --dir keeps the federation's files for inspection.
    for name in ("trust.json", "trust.json.sig", "mps-fraud-phones.v1.jsonl.sig"):
        assert (tmp_path / name).is_file()
    assert "6222" not in json.dumps(doc).replace("622202*", "")  # cards only masked


def test_demo_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--entries", "100"]) == 0
    text = capsys.readouterr().out
    assert "refused  one byte changed in the entries file: [hash_mismatch]" in text
    assert text.rstrip().endswith("every tampered file was refused")
