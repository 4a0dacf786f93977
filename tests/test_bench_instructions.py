"""Short form of benchmarks/bench_instructions.py: its list and every workload run here
(the instruction counts need valgrind and are the benchmark's job, not the suite's)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_instructions as bench  # noqa: E402


def test_the_list_is_mixed_and_every_workload_runs_on_it(tmp_path: Path) -> None:
    bench.make_list(tmp_path, 200)
    lines = (tmp_path / "l.jsonl").read_bytes().splitlines()
    assert len(lines) == 200
    records = [json.loads(line) for line in lines]
    kinds = Counter(r["kind"] for r in records)
    assert set(kinds) == {"phone", "bank_card", "bank_account"}
    assert len({r["listed_at"] for r in records}) > 190  # distinct timestamps
    assert any(not r["case_ref"].isascii() for r in records)  # some case references in Chinese
    assert 0 < sum("valid_until" in r for r in records) < 200
    script = tmp_path / "run.py"
    script.write_text(bench.RUN, encoding="utf-8")
    for workload in bench.WORKLOADS:
        done = subprocess.run(
            [sys.executable, str(script), str(tmp_path), workload],
            check=False,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (workload, done.stderr[-2000:])


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_one_count_under_callgrind(tmp_path: Path) -> None:
    bench.make_list(tmp_path, 20)
    script = tmp_path / "run.py"
    script.write_text(bench.RUN, encoding="utf-8")
    n = bench.count(sys.executable, script, tmp_path, "check", tmp_path / "cg.out")
    assert n > 1_000_000
