"""Call records for the caller-ID benchmark and its test (shared module, not a benchmark).

:func:`write_calls` writes ``n`` CSV call records shaped like a carrier's CDR export,
deterministically from a seed: ``id,start,caller,callee,ingress,trunk,duration``.

* **ingress**: 50 % interconnect, 25 % subscriber, 10 % international, 8 % private
  line, 7 % VoIP; a few cells written as users do (``International``, ``VOIP``,
  ``private-line``);
* **numbers**: callers and callees drawn from pools of realistic canonical numbers
  (:mod:`_realistic`: every allocated mobile prefix, fixed lines, MVNO and data-card
  ranges; a caller pool a fifth the size of the file, so callers repeat as in real
  traffic); international calls mostly present foreign numbers; about a third of
  the cells written the way exports mangle them (:func:`_realistic.messy`:
  separators, ``+86``/``0086``, trunk ``0``, full-width digits, invisible
  characters);
* **spoofed or listed** (about 4 %): a +86 mobile on international ingress, a bank
  or anti-fraud short code from any trunk, 400/800 numbers, 106 SMS ports, reserved
  or unallocated blocks, letters, the callee's own number, numbers on the DNO list
  or on a blacklist; about 0.3 % of calls go to 110/119/120/122;
* **bad rows** (about 0.5 %): a missing cell, a truncated row, an ingress value
  that is not one (``satellite``, ``?``).

Returns the canonical values put on the DNO list and on the blacklist.

    python benchmarks/_call_data.py OUT.csv [--n 1000000] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realistic import messy, realistic_values

__all__ = ["HEADER", "write_calls"]

HEADER = ["id", "start", "caller", "callee", "ingress", "trunk", "duration"]
_INGRESS = [
    ("interconnect", 50),
    ("subscriber", 25),
    ("international", 10),
    ("private_line", 8),
    ("voip", 7),
]
_INGRESS_FORMS = {
    "international": ["International", "INTERNATIONAL"],
    "private_line": ["private-line", "Private Line"],
    "voip": ["VOIP", "VoIP"],
    "interconnect": ["Interconnect"],
    "subscriber": ["Subscriber"],
}
_FOREIGN = [
    "+85251234567",
    "+85291234567",
    "+886912345678",
    "+6591234567",
    "+14155550123",
    "+447911123456",
    "+819012345678",
    "+821012345678",
    "+60123456789",
    "+66812345678",
]
_SPOOF = [
    "95588",
    "95533",
    "96110",
    "12345",
    "+86 95566",
    "10086",
    "110",
    "400-810-8888",
    "4001234567",
    "8008101234",
    "106901234567",
    "10690123456789",
    "+8615400138000",
    "+8614000088285",
    "138O0138OOO",
    "+99912345678",
    "12",
    "+861440123456789",
]
_EMERGENCY = ["110", "119", "120", "122"]


def _weighted(rnd: random.Random, pairs: list[tuple[str, int]]) -> str:
    total = sum(w for _, w in pairs)
    x = rnd.randrange(total)
    for value, w in pairs:
        if x < w:
            return value
        x -= w
    return pairs[-1][0]  # pragma: no cover


def write_calls(path: Path, n: int, *, seed: int = 5) -> tuple[set[str], set[str]]:
    """Write ``n`` call records to ``path``; return (DNO values, blacklisted values)."""
    rnd = random.Random(seed)
    pool = list(realistic_values("phone", max(1000, n // 5), seed=seed))
    rnd.shuffle(pool)
    callees = pool[: max(500, len(pool) // 2)]
    dno = set(rnd.sample(pool, max(5, len(pool) // 400)))
    listed = set(rnd.sample(pool, max(5, len(pool) // 200)))
    start = 1_780_000_000
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for i in range(n):
            ingress = _weighted(rnd, _INGRESS)
            r = rnd.random()
            if r < 0.012:
                caller = rnd.choice(_SPOOF)
            elif ingress == "international" and r < 0.8:
                caller = rnd.choice(_FOREIGN)
            else:
                # Zipf-like reuse: a few callers make many calls.
                caller = pool[int(len(pool) * rnd.random() ** 2)]
            callee = rnd.choice(callees) if rnd.random() > 0.003 else rnd.choice(_EMERGENCY)
            if rnd.random() < 0.002:
                caller = callee  # a caller ID equal to the called number
            if caller[:3] == "+86" and rnd.random() < 0.33:
                caller = messy("phone", caller, rnd)
            if rnd.random() < 0.2:
                callee = messy("phone", callee, rnd)
            ingress_cell = ingress
            if rnd.random() < 0.05:
                ingress_cell = rnd.choice(_INGRESS_FORMS[ingress])
            row = [
                str(i),
                str(start + i * 3),
                caller,
                callee,
                ingress_cell,
                f"tr{rnd.randrange(40)}",
                str(rnd.randrange(1, 900)),
            ]
            bad = rnd.random()
            if bad < 0.002:
                row[rnd.choice((2, 3, 4))] = ""
            elif bad < 0.0035:
                row = row[:4]
            elif bad < 0.005:
                row[4] = rnd.choice(["satellite", "?", "intl"])
            w.writerow(row)
    return dno, listed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    dno, listed = write_calls(a.out, a.n, seed=a.seed)
    print(f"wrote {a.n:,} calls to {a.out}; {len(dno)} DNO, {len(listed)} listed numbers")


if __name__ == "__main__":
    main()
