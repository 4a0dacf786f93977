"""The cross-environment verdict dump (scripts/identifier_verdicts.py).

CI dumps the verdicts in every environment it runs the identifier tests in
(declared minimum dependency versions, Python 3.11, 3.12 and 3.13) and fails
unless ``compare`` finds them identical. These tests check the tool itself.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "identifier_verdicts", ROOT / "scripts" / "identifier_verdicts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


def test_corpus_covers_the_hard_cases() -> None:
    corpus = SCRIPT.corpus()
    inputs = {raw for _, raw in corpus}
    assert any("\U00013439" in raw for raw in inputs)
    assert any("\U00011f50" in raw for raw in inputs)
    assert {"+8614000088285", "1064812345678", "+85251234567", "95588"} <= inputs
    assert {kind for kind, _ in corpus} >= {"phone", "bank_card", "idcard", "iccid", "imei"}
    assert len(corpus) == len(set(corpus)) > 15000


def test_dump_holds_the_verdicts(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    assert SCRIPT.main(["dump", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    v = doc["verdicts"]
    assert doc["count"] == len(v)
    assert v["phone 138\\U000134390013\\U000134398000"] == ["error", "control_characters"]
    assert v["phone 1064812345678"] == ["ok", "+861064812345678", "iot", [], None, 1]
    assert v["phone +8614000088285"] == ["error", "invalid_number"]
    assert v["phone 14912345678"][:3] == ["ok", "+8614912345678", "mobile"]
    assert set(doc["environment"]) >= {"python", "phonenumbers", "attrs"}
    # The same environment always dumps the same verdicts.
    assert SCRIPT.dump()["sha256"] == doc["sha256"]


def test_compare_reports_a_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = {"environment": {}, "count": 2, "sha256": "x", "verdicts": {"k": ["ok", "1"], "j": 1}}
    b = {"environment": {}, "count": 2, "sha256": "y", "verdicts": {"k": ["ok", "2"], "j": 1}}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    assert SCRIPT.differences(a, b) == ["k: ['ok', '1'] != ['ok', '2']"]
    assert SCRIPT.main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 1
    assert "k: ['ok', '1'] != ['ok', '2']" in capsys.readouterr().out
    assert SCRIPT.main(["compare", str(tmp_path / "a.json"), str(tmp_path / "a.json")]) == 0
    with pytest.raises(SystemExit):
        SCRIPT.main(["compare", str(tmp_path / "a.json")])
