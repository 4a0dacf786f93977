"""Benchmark the slow paths an attacker can choose, against valid input, in the same run.

An attacker who controls a file given to ``validate`` or ``screen`` picks the input that
costs most per line. This measures, per line and interleaved (each repeat runs every
case once, in turn), valid input against:

* ``validate``: ``{}`` lines (a well-formed JSON object that is no entry) and blank lines;
* ``screen`` (CSV, one phone column), on each engine (the columnar one when the
  ``vector`` extra is installed, and the record-by-record one, which also screens any
  CSV file with quotes): every shape of ``_hostile_data.shapes`` -- one invalid value
  repeated, distinct junk, digits of impossible lengths, unallocated +86 blocks, random
  foreign numbers, Chinese text, printable garbage -- against valid values on the same
  engine. Valid foreign numbers are shown for scale (phonenumbers decides them).

Each screening run starts cold for the per-value verdict cache; the per-block tables
(``_vector``'s, phone's) stay warm across repeats, as they do across the batches of one
long file. Target: no hostile case costs more than 10 times its valid baseline (median
of the repeats). Exit status 1 if a target is missed.

Run: ``python benchmarks/bench_hostile.py [--n 200000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _hostile_data import shapes
from antifraud_common.exchange.entries import validate_entries_file, write_entries
from antifraud_common.index import Index, _bulk, _vector
from antifraud_common.index.screen import screen
from antifraud_common.models import Entry

TARGET = 10.0


def _entries(n: int) -> list[Entry]:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    values = sorted({f"+86138{rng.randrange(10**8):08d}" for _ in range(n * 2)})[:n]
    return [
        Entry(
            kind="phone",
            value=v,
            reason="telecom_fraud",
            action="block",
            source="mps",
            case_ref=f"C-{i}",
            confidence=90,
            tlp="amber",
            listed_at=t + timedelta(seconds=i),
            valid_from=t,
        )
        for i, v in enumerate(values)
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        entries = _entries(n)
        write_entries(d / "valid.jsonl", entries)
        (d / "objects.jsonl").write_bytes(b"{}\n" * n)
        (d / "blank.jsonl").write_bytes(b"\n" * n)
        index = Index.build([("mps", "l", None, e) for e in entries[: n // 10]])
        columns = shapes(n)
        for shape, values in columns.items():
            (d / f"{shape}.csv").write_text("tel\n" + "".join(v + "\n" for v in values), "utf-8")
        engines = ["vector", "python"] if _vector.available() else ["python"]

        def validate(name: str) -> Callable[[], object]:
            return lambda: validate_entries_file(d / name, max_problems=100)

        def screened(shape: str, engine: str) -> Callable[[], object]:
            path = d / f"{shape}.csv"
            return lambda: list(screen(path, ["tel"], index, kinds={"tel": "phone"}, engine=engine))

        cases: dict[str, Callable[[], object]] = {
            "validate valid": validate("valid.jsonl"),
            "validate {}": validate("objects.jsonl"),
            "validate blank": validate("blank.jsonl"),
        }
        for engine in engines:
            for shape in columns:
                cases[f"screen/{engine} {shape}"] = screened(shape, engine)
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.repeats):
            for name, run in cases.items():
                _bulk._SLOW_VERDICTS.clear()  # each run starts cold: no verdicts kept from the last
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) / n * 1e6)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"n={n} repeats={args.repeats} load={os.getloadavg()[0]:.1f}")
    failed = False
    worst: dict[str, float] = {}
    for name, us in med.items():
        if name.startswith("validate"):
            base_name = "validate valid"
        else:
            base_name = name.split(" ", 1)[0] + " valid"
        ratio = us / med[base_name]
        judged = name != base_name and not name.endswith("valid foreign")
        verdict = ("ok" if ratio <= TARGET else "MISSED") if judged else "-"
        failed |= verdict == "MISSED"
        if judged:
            group = base_name.split(" ", 1)[0]
            worst[group] = max(worst.get(group, 0.0), ratio)
        print(f"{name:42s} {us:8.2f} us/line  {ratio:5.1f}x  {verdict}")
    for group, ratio in worst.items():
        print(f"worst {group}: {ratio:.1f}x its valid baseline")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
