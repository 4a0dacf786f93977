"""Benchmark: card validation and issuer lookup against bare python-stdnum Luhn.

Baseline (same run): ``stdnum.luhn.is_valid`` on already-clean ASCII digits, the
cheapest check anyone would write. Measured: ``card.validate`` (cleaning, length,
dummy, IIN scheme, Luhn), ``card.is_valid``, ``card.issuer`` (packaged table,
longest prefix for the card's length) and ``card.info``, on a fixed mix of
generated UnionPay, Visa, Mastercard and legacy domestic numbers.

Targets: ``card.validate`` costs at most 4x the baseline, and ``card.info`` at most
10x (both per call, medians of repeated timings). Cold load of the packaged BIN
table is printed once.

Run: ``python benchmarks/bench_card.py [--n 20000] [--repeat 5]``. Exits 1 if a
target is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from stdnum import luhn

from antifraud_common import card

PREFIXES = ("622202", "622848", "621700", "4", "51", "2221", "9558", "622309", "621260")


def make_numbers(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        prefix = rng.choice(PREFIXES)
        length = 16 if prefix in ("4", "51", "2221") else rng.choice((16, 19))
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        out.append(body + luhn.calc_check_digit(body))
    return out


def per_call(fn: Callable[[str], object], items: list[str], repeat: int) -> float:
    """Median over ``repeat`` passes of the mean seconds per call."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for x in items:
            fn(x)
        samples.append((time.perf_counter() - t0) / len(items))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    table = card.packaged_bin_table()
    cold = time.perf_counter() - t0
    card.is_legacy_domestic("9558123456789012345")  # builds the legacy set once
    print(f"packaged BIN table load: {cold * 1e3:.1f} ms ({len(table)} rows)")

    numbers = make_numbers(args.n)
    base = per_call(luhn.is_valid, numbers, args.repeat)
    rows = [
        ("stdnum.luhn.is_valid (baseline)", base),
        ("card.validate", per_call(card.validate, numbers, args.repeat)),
        ("card.is_valid", per_call(card.is_valid, numbers, args.repeat)),
        ("card.issuer", per_call(card.issuer, numbers, args.repeat)),
        ("card.info", per_call(card.info, numbers, args.repeat)),
    ]
    print(f"{args.n} generated card numbers, median of {args.repeat} passes")
    print(f"{'function':<34}{'µs/call':>10}{'x baseline':>12}")
    for name, sec in rows:
        print(f"{name:<34}{sec * 1e6:>10.2f}{sec / base:>12.2f}")

    results = dict(rows)
    ok = True
    for name, limit in (("card.validate", 4.0), ("card.info", 10.0)):
        ratio = results[name] / base
        verdict = "ok" if ratio <= limit else "MISSED"
        ok = ok and ratio <= limit
        print(f"target {name} <= {limit:g}x baseline: {ratio:.2f}x {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
