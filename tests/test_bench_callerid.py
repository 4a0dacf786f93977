"""The caller-ID benchmark's short form: its generator's shape and the verdict agreement."""

from __future__ import annotations

import collections
import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"_t_{name}", BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_call_records_have_the_promised_shape(tmp_path: Path) -> None:
    data = _load("_call_data")
    path = tmp_path / "calls.csv"
    dno, listed = data.write_calls(path, 20_000, seed=3)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == data.HEADER and len(rows) == 20_001
    body = rows[1:]
    short = sum(len(r) != len(data.HEADER) for r in body)
    assert 10 < short < 60  # truncated rows
    ingress = collections.Counter(
        r[4].lower().replace("-", "_").replace(" ", "_") for r in body if len(r) > 4
    )
    assert 0.45 < ingress["interconnect"] / len(body) < 0.55
    assert 0.07 < ingress["international"] / len(body) < 0.13
    assert ingress["satellite"] + ingress["?"] + ingress["intl"] > 5
    callers = [r[2] for r in body if len(r) > 2]
    assert sum(c in ("95588", "96110", "106901234567") for c in callers) > 10
    assert sum(not c.isascii() for c in callers) > 100  # full-width and invisible forms
    assert len(set(callers)) < len(callers) * 0.8  # callers repeat
    assert dno and listed and len(dno & listed) < len(dno)


def test_short_form_agrees_with_the_naive_loop() -> None:
    bench = _load("bench_callerid")
    s = bench.bench_screen(4000, 1)
    assert s["differ"] == 0
    assert s["bad_rows"][0] == s["bad_rows"][1] > 0
    assert s["flagged_expressible"] > 50
    single = bench.bench_single(300, 1)
    assert set(single) == {"check_call", "dict lookup", "phonenumbers parse+is_valid"}
