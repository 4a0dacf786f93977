"""Benchmark the slow paths an attacker can choose, against valid input, in the same run.

An attacker who controls a file given to ``validate`` or ``screen`` picks the input that
costs most per line. This measures, per line and interleaved (each repeat runs every
case once, in turn), valid input against:

* ``validate``: ``{}`` lines (a well-formed JSON object that is no entry) and blank lines;
* ``screen`` (CSV, one phone column): one invalid value repeated (``1``), distinct
  invalid values (``x0``, ``x1`` ...), and distinct foreign-looking values (``+`` and 8-13
  random digits, mostly invalid), the last also shown against valid foreign numbers.

Target: no hostile case costs more than 10 times its valid baseline (median of the
repeats). Exit status 1 if a target is missed.

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

from antifraud_common.exchange.entries import validate_entries_file, write_entries
from antifraud_common.index import Index, _bulk
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
        rng = random.Random(3)
        (d / "valid.csv").write_text(
            "tel\n" + "".join(f"138{rng.randrange(10**8):08d}\n" for _ in range(n))
        )
        (d / "repeated.csv").write_text("tel\n" + "1\n" * n)
        (d / "distinct.csv").write_text("tel\n" + "".join(f"x{i}\n" for i in range(n)))
        # Foreign-looking values leave the packaged +86 plan for phonenumbers, valid or
        # not; valid foreign numbers are the fair baseline for them.
        (d / "foreign.csv").write_text(
            "tel\n" + "".join(f"+{rng.randrange(10**7, 10**13)}\n" for _ in range(n))
        )
        (d / "foreign-valid.csv").write_text(
            "tel\n"
            + "".join(f"+1415{rng.randrange(2, 10)}{rng.randrange(10**6):06d}\n" for _ in range(n))
        )

        def validate(name: str) -> Callable[[], object]:
            return lambda: validate_entries_file(d / name, max_problems=100)

        def screened(name: str) -> Callable[[], object]:
            return lambda: list(screen(d / name, ["tel"], index, kinds={"tel": "phone"}))

        cases = {
            "validate valid": validate("valid.jsonl"),
            "validate {}": validate("objects.jsonl"),
            "validate blank": validate("blank.jsonl"),
            "screen valid": screened("valid.csv"),
            "screen repeated invalid": screened("repeated.csv"),
            "screen distinct invalid": screened("distinct.csv"),
            "screen valid foreign": screened("foreign-valid.csv"),
            "screen distinct foreign-looking": screened("foreign.csv"),
        }
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
    for name, us in med.items():
        base = med["validate valid"] if name.startswith("validate") else med["screen valid"]
        ratio = us / base
        judged = name not in ("validate valid", "screen valid", "screen valid foreign")
        verdict = ("ok" if ratio <= TARGET else "MISSED") if judged else "-"
        failed |= verdict == "MISSED"
        print(f"{name:26s} {us:8.2f} us/line  {ratio:5.1f}x  {verdict}")
        if name == "screen distinct foreign-looking":
            foreign = us / med["screen valid foreign"]
            print(f"{'  (vs valid foreign numbers)':26s} {'':8s}          {foreign:5.1f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
