"""Short form of benchmarks/bench_hostile.py: the shapes it times, screened on both
engines, give the same verdicts (timing is the benchmark's job, not the suite's)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from _hostile_data import shapes  # noqa: E402
from antifraud_common.index import Index, _vector  # noqa: E402
from antifraud_common.index.screen import screen  # noqa: E402


@pytest.mark.skipif(not _vector.available(), reason="needs the vector extra")
@pytest.mark.parametrize("shape", sorted(shapes(1)))
def test_each_shape_gets_the_same_verdicts_on_both_engines(tmp_path: Path, shape: str) -> None:
    values = shapes(400, seed=9)[shape]
    path = tmp_path / "column.csv"
    path.write_text("tel\n" + "".join(v + "\n" for v in values), encoding="utf-8")
    index = Index.build([])
    summaries = []
    for engine in ("vector", "python"):
        s = screen(path, ["tel"], index, kinds={"tel": "phone"}, engine=engine)
        list(s)
        summaries.append(s.summary)
    vector, python = summaries
    assert vector.records == python.records == len(values)
    assert vector.invalid == python.invalid
    assert [(i.line, i.code) for i in vector.invalid_samples] == [
        (i.line, i.code) for i in python.invalid_samples
    ]
    if shape not in ("valid", "valid foreign"):
        assert python.invalid["tel"] > 0


def test_the_benchmark_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_hostile.py"), "--n", "300", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: a ratio missed at this tiny size
    for shape in shapes(1):
        assert f" {shape} " in done.stdout
    assert "worst screen/python" in done.stdout
