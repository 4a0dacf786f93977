"""Benchmark the caller-ID checks against what a user would write, in the same run.

Two parts, each side interleaved with its baselines (the order rotates every
repeat) because the shared machine's load moves every number:

* **single**: one ``check_call`` on already-clean E.164 input (distinct realistic
  +86 numbers), timed call by call: median and p99, beside one Python ``dict``
  lookup and ``phonenumbers.parse`` + ``is_valid_number`` of the same calling
  number. Target: ``check_call``'s median below the phonenumbers call's.
* **screen**: ``--n`` call records from ``benchmarks/_call_data.py`` (mixed
  ingress, a few percent spoofed or listed, messy cells, some bad rows) screened
  by :func:`~antifraud_common.callerid.screen.screen_calls` with a DNO set and a
  blacklist index, and by the naive loop: ``csv.reader``, ``phonenumbers.parse`` +
  ``is_valid_number`` + ``number_type`` on both numbers, ``set`` lookups.
  Target: the library at least 5x faster (median wall time), and the same
  verdicts on the rules the naive loop can express (invalid caller ID, +86 on
  international ingress, 400/800, DNO, blacklist, caller equal to called) on every
  row where both sides agree whether the caller ID is a valid number; the rows
  where they do not (short codes and SMS ports phonenumbers refuses, reserved
  ranges it accepts, invisible characters) are counted and reported. Bad-row
  counts must agree too.

Exit status 1 when a target is missed (``--no-targets``: report only, for the
test suite's short form).

Run: ``python benchmarks/bench_callerid.py [--n 1000000] [--repeats 3]
[--single 20000] [--no-targets]``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _call_data
from _realistic import realistic_values
from antifraud_common.callerid import CallChecker, Ingress, check_call
from antifraud_common.callerid.screen import screen_calls
from antifraud_common.index import Index
from antifraud_common.models import Entry

NOW = datetime(2026, 6, 1, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
EXPRESSIBLE = frozenset(
    {
        "international_domestic_cli",
        "cli_inbound_only",
        "dno_listed",
        "blacklisted",
        "cli_equals_called",
    }
)
INVALID = frozenset({"cli_malformed", "cli_unallocated", "cli_reserved_range"})
INGRESS = frozenset(i.value for i in Ingress)
_PNT = phonenumbers.PhoneNumberType
_INBOUND = frozenset({_PNT.TOLL_FREE, _PNT.SHARED_COST})
_E164 = phonenumbers.PhoneNumberFormat.E164


# ------------------------------------------------------------------------- single


def _percentiles(samples: list[int]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2] / 1000, s[min(len(s) - 1, int(len(s) * 0.99))] / 1000


def bench_single(n: int, repeats: int) -> dict[str, tuple[float, float]]:
    numbers = list(realistic_values("phone", n, seed=9))
    called = "+8613900139000"
    table = dict.fromkeys(numbers, True)
    ns = time.perf_counter_ns
    ingress = Ingress.INTERCONNECT

    def run_check() -> list[int]:
        out = []
        for x in numbers:
            t = ns()
            check_call(x, called, ingress=ingress)
            out.append(ns() - t)
        return out

    def run_dict() -> list[int]:
        out = []
        get = table.get
        for x in numbers:
            t = ns()
            get(x)
            out.append(ns() - t)
        return out

    def run_pn() -> list[int]:
        out = []
        parse, valid = phonenumbers.parse, phonenumbers.is_valid_number
        for x in numbers:
            t = ns()
            valid(parse(x, None))
            out.append(ns() - t)
        return out

    sides: list[tuple[str, Callable[[], list[int]]]] = [
        ("check_call", run_check),
        ("dict lookup", run_dict),
        ("phonenumbers parse+is_valid", run_pn),
    ]
    samples: dict[str, list[int]] = {name: [] for name, _ in sides}
    for r in range(repeats):
        for name, fn in sides[r % len(sides) :] + sides[: r % len(sides)]:
            samples[name] += fn()
    return {name: _percentiles(s) for name, s in samples.items()}


# ------------------------------------------------------------------------- screen


def _index(listed: set[str]) -> Index:
    def entries() -> Any:
        for value in sorted(listed):
            e = Entry(
                kind="phone",
                value=value,
                reason="telecom_fraud",
                action="block",
                source="mps",
                case_ref="B-1",
                confidence=90,
                tlp="amber",
                listed_at=T0,
                valid_from=T0,
            )
            yield "mps", "fraud-phones", None, e

    return Index.build(entries())


def library(path: Path, dno: set[str], index: Index) -> tuple[dict[int, tuple[bool, set]], int]:
    checker = CallChecker(dno=dno, index=index, now=NOW)
    run = screen_calls(path, calling="caller", called="callee", ingress="ingress", checker=checker)
    out = {}
    for f in run:
        v = f.verdict
        ids = set(v.rule_ids)
        invalid = bool(ids & INVALID)
        out[f.line] = (invalid, {"invalid"} if invalid else ids & EXPRESSIBLE)
    return out, run.summary.bad_rows


def naive(
    path: Path, dno: set[str], listed: set[str], callee_invalid: set[int] | None = None
) -> tuple[dict[int, tuple[bool, set]], int]:
    """The loop a user writes first (``callee_invalid`` collects lines whose callee
    phonenumbers refused, for the comparison only)."""
    parse, valid, ntype = phonenumbers.parse, phonenumbers.is_valid_number, phonenumbers.number_type
    fmt, err = phonenumbers.format_number, phonenumbers.NumberParseException
    out: dict[int, tuple[bool, set]] = {}
    bad = 0
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        ci, di, ii = header.index("caller"), header.index("callee"), header.index("ingress")
        width = len(header)
        line = 1
        for row in reader:
            line += 1
            if len(row) != width:
                bad += 1
                continue
            caller, callee = row[ci], row[di]
            ingress = row[ii]
            if ingress not in INGRESS:
                ingress = ingress.strip().lower().replace("-", "_").replace(" ", "_")
            if not caller or not callee or ingress not in INGRESS:
                bad += 1
                continue
            try:
                num = parse(caller, "CN")
                ok = valid(num)
                kind = ntype(num)
            except err:
                ok = False
            try:
                cnum = parse(callee, "CN")
                c_e164 = fmt(cnum, _E164) if valid(cnum) else None
                ntype(cnum)
            except err:
                c_e164 = None
            if c_e164 is None and callee_invalid is not None:
                callee_invalid.add(line)
            if not ok:
                out[line] = (True, {"invalid"})
                continue
            rules = set()
            e164 = fmt(num, _E164)
            if ingress == "international" and num.country_code == 86:
                rules.add("international_domestic_cli")
            if kind in _INBOUND:
                rules.add("cli_inbound_only")
            if e164 in dno:
                rules.add("dno_listed")
            if e164 in listed:
                rules.add("blacklisted")
            if ingress != "subscriber" and e164 == c_e164:
                rules.add("cli_equals_called")
            if rules:
                out[line] = (False, rules)
    return out, bad


def compare(
    lib: dict[int, tuple[bool, set]], ref: dict[int, tuple[bool, set]], callee_invalid: set[int]
) -> tuple[int, int]:
    """(rows compared that differ, rows excluded because the sides disagree on validity).

    Excluded: the caller ID is valid for one side only, or the rules differ only in
    cli_equals_called on a row whose callee phonenumbers refused.
    """
    differ = excluded = 0
    for line in lib.keys() | ref.keys():
        a_invalid, a = lib.get(line, (False, set()))
        b_invalid, b = ref.get(line, (False, set()))
        if a_invalid != b_invalid or (a ^ b == {"cli_equals_called"} and line in callee_invalid):
            excluded += 1
        elif a != b:
            differ += 1
    return differ, excluded


def bench_screen(n: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-callerid-") as tmp:
        path = Path(tmp) / "calls.csv"
        dno, listed = _call_data.write_calls(path, n)
        index = _index(listed)
        callee_invalid: set[int] = set()
        sides: list[tuple[str, Callable[[], Any]]] = [
            ("library", lambda: library(path, dno, index)),
            ("naive", lambda: naive(path, dno, listed, callee_invalid)),
        ]
        times: dict[str, list[float]] = {"library": [], "naive": []}
        cpu: dict[str, list[float]] = {"library": [], "naive": []}
        results: dict[str, Any] = {}
        for r in range(repeats):
            for name, fn in sides[r % 2 :] + sides[: r % 2]:
                gc.collect()
                t, c = time.perf_counter(), time.process_time()
                results[name] = fn()
                times[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
        (lib, lib_bad), (ref, ref_bad) = results["library"], results["naive"]
        differ, excluded = compare(lib, ref, callee_invalid)
        return {
            "n": n,
            "library_s": statistics.median(times["library"]),
            "naive_s": statistics.median(times["naive"]),
            "library_cpu": statistics.median(cpu["library"]),
            "naive_cpu": statistics.median(cpu["naive"]),
            "differ": differ,
            "excluded": excluded,
            "bad_rows": (lib_bad, ref_bad),
            "flagged_expressible": sum(1 for v in lib.values() if v[1]),
        }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="call records to screen")
    p.add_argument("--single", type=int, default=20_000, help="numbers for the single part")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-targets", action="store_true", help="report only")
    a = p.parse_args(argv)
    ok = True
    single = bench_single(a.single, a.repeats)
    print(f"single call on clean E.164 input ({a.single:,} numbers x {a.repeats}):")
    for name, (med, p99) in single.items():
        print(f"  {name:<30} median {med:7.2f} us   p99 {med if p99 < med else p99:7.2f} us")
    ratio = single["phonenumbers parse+is_valid"][0] / single["check_call"][0]
    print(f"  phonenumbers / check_call (medians): {ratio:.2f}x (target > 1)")
    ok &= ratio > 1
    s = bench_screen(a.n, a.repeats)
    speed = s["naive_s"] / s["library_s"]
    print(f"screening {s['n']:,} call records (median of {a.repeats}):")
    for side in ("library", "naive"):
        wall, proc = s[f"{side}_s"], s[f"{side}_cpu"]
        print(f"  {side:<8} {wall:8.2f} s wall ({s['n'] / wall:,.0f}/s), {proc:8.2f} s CPU")
    print(
        f"  speed-up {speed:.2f}x wall (target >= 5), {s['naive_cpu'] / s['library_cpu']:.2f}x CPU"
    )
    print(
        f"  verdicts: {s['differ']} rows differ on the expressible rules, "
        f"{s['excluded']} rows excluded (validity differs), "
        f"{s['flagged_expressible']:,} rows with an expressible rule; bad rows "
        f"library {s['bad_rows'][0]:,}, naive {s['bad_rows'][1]:,}"
    )
    agree = s["differ"] == 0 and s["bad_rows"][0] == s["bad_rows"][1]
    ok &= speed >= 5
    if not agree:
        print("  VERDICTS DIFFER")
    if a.no_targets:
        return 0 if agree else 1
    return 0 if ok and agree else 1


if __name__ == "__main__":
    sys.exit(main())
