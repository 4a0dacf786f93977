"""Benchmark: how fast the mainland mobile number space can be hashed (why hashing is not privacy).

An unkeyed hash of a phone number is no pseudonym: whoever sees the hash can hash
every possible number and compare. This measures, on this machine and in one run,
how many E.164 mainland mobile numbers (``+861[3-9]XXXXXXXXX``, 14 bytes) one core
hashes per second, and extrapolates the time to enumerate

* the whole ``13x``-``19x`` prefix space: 7 * 10^9 numbers, and
* the numbers the numbering plan allows (estimated by validating a random sample
  with :func:`antifraud_common.phone.validate_many`).

Measured (median of ``--repeat`` passes over ``--n`` consecutive numbers, the way
an enumerator walks the space):

* baseline: building the 14-byte message only (the loop's own cost);
* ``hashlib.sha256`` per number (Python);
* ``hmac.digest(key, msg, "sha256")`` per number (Python's one-shot C HMAC), and
  HMAC with the key's pad states computed once (RFC 2104 section 4) -- what anyone
  *holding the domain key* pays to enumerate a pseudonymised list;
* ``openssl speed`` for SHA-256 and HMAC(SHA-256) on 14-byte messages (native
  code, the per-call EVP interface; skipped if ``openssl`` is missing).

Target (exit 1 if missed): the fastest measured unkeyed SHA-256 enumerates the
numbering plan's mobile numbers in under one hour on one core. Dedicated tools
(hand-written SIMD loops, GPUs) are faster still, so the real figure is lower.

Run: ``python benchmarks/bench_pseudonym.py [--n 500000] [--repeat 3] [--sample 20000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

FULL_SPACE = 7 * 10**9  # 1[3-9] followed by nine digits
START = 13_800_000_000


def rate(loop: Callable[[int], None], n: int, repeat: int) -> float:
    """Median numbers per CPU second over ``repeat`` passes of ``loop(n)``.

    CPU time, not wall time: the machine may be shared, and the question is what
    one core does when it is given to the enumeration.
    """
    samples = []
    for _ in range(repeat):
        t0 = time.process_time()
        loop(n)
        samples.append(n / (time.process_time() - t0))
    return statistics.median(samples)


def loop_baseline(n: int) -> None:
    for number in range(START, START + n):
        b"+86%d" % number


def loop_sha256(n: int) -> None:
    sha256 = hashlib.sha256
    for number in range(START, START + n):
        sha256(b"+86%d" % number).digest()


def loop_hmac(n: int) -> None:
    key = bytes(range(32))
    digest = hmac.digest
    for number in range(START, START + n):
        digest(key, b"+86%d" % number, "sha256")


def loop_hmac_precomputed(n: int) -> None:
    # RFC 2104 section 4: the key's inner and outer pad states are computed once; each
    # message then costs two SHA-256 runs -- what a key holder enumerating would do.
    key = bytes(range(32)).ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    for number in range(START, START + n):
        i = inner.copy()
        i.update(b"+86%d" % number)
        o = outer.copy()
        o.update(i.digest())
        o.digest()


def openssl_rate(args: list[str], seconds: int) -> float | None:
    """Messages per second from ``openssl speed -mr`` on 14-byte inputs, or None."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    cmd = [exe, "speed", "-mr", "-seconds", str(seconds), "-bytes", "14", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    for line in run.stdout.splitlines():
        if line.startswith("+F:"):
            per_wall_second = float(line.rsplit(":", 1)[1]) / 14  # bytes/s -> messages/s
            # openssl counts against the wall clock; rescale to one busy core.
            return per_wall_second * (wall / cpu) if 0 < cpu < wall else per_wall_second
    return None


def valid_fraction(sample: int) -> float:
    """Share of random ``+861[3-9]`` 11-digit numbers the numbering plan accepts."""
    from antifraud_common import phone

    rng = random.Random(2026)
    values = [f"+861{rng.randint(3, 9)}{rng.randrange(10**9):09d}" for _ in range(sample)]
    ok = sum(1 for canonical, _ in phone.validate_many(values) if canonical is not None)
    return ok / sample


def human(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--n", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=20_000)
    ap.add_argument("--openssl-seconds", type=int, default=2)
    args = ap.parse_args(argv)

    fraction = valid_fraction(args.sample)
    valid_space = FULL_SPACE * fraction
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) at start: {load:.2f} on {os.cpu_count()} cores")
    print(
        f"numbering plan: {fraction:.1%} of a {args.sample}-number sample of +861[3-9]XXXXXXXXX "
        f"is valid -> about {valid_space / 1e9:.2f} billion mobile numbers "
        f"(whole 13x-19x space: {FULL_SPACE / 1e9:.0f} billion)"
    )

    base = rate(loop_baseline, args.n, args.repeat)
    rows: list[tuple[str, float | None, bool]] = [
        ("message construction only (baseline)", base, False),
        ("Python hashlib.sha256", rate(loop_sha256, args.n, args.repeat), True),
        ("Python hmac.digest (HMAC-SHA-256)", rate(loop_hmac, args.n, args.repeat), False),
        (
            "Python HMAC, precomputed pads",
            rate(loop_hmac_precomputed, args.n, args.repeat),
            False,
        ),
        (
            "openssl speed sha256 (native)",
            openssl_rate(["-evp", "sha256"], args.openssl_seconds),
            True,
        ),
        (
            "openssl speed hmac(sha256) (native)",
            openssl_rate(["-hmac", "sha256"], args.openssl_seconds),
            False,
        ),
    ]
    print(f"{args.n} consecutive numbers per pass, median of {args.repeat} passes; one core")
    print(f"{'method':<40}{'numbers/s':>14}{'all valid':>12}{'whole space':>13}")
    best_unkeyed = 0.0
    for name, r, unkeyed in rows:
        if r is None:
            print(f"{name:<40}{'(unavailable)':>14}")
            continue
        if unkeyed:
            best_unkeyed = max(best_unkeyed, r)
        if name.endswith("(baseline)"):
            print(f"{name:<40}{r:>14,.0f}")
            continue
        print(f"{name:<40}{r:>14,.0f}{human(valid_space / r):>12}{human(FULL_SPACE / r):>13}")
    hours = valid_space / best_unkeyed / 3600 if best_unkeyed else float("inf")
    ok = hours < 1.0
    print(
        f"target: unkeyed SHA-256 enumerates the valid mobile numbers in < 1 h on one core: "
        f"{hours * 60:.1f} min -> {'met' if ok else 'MISSED'}"
    )
    print(
        "with the domain key, HMAC enumeration costs about 2x SHA-256: the key, not the "
        "hash, is what protects a pseudonymised list"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
