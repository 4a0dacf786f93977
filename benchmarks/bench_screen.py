"""Benchmark bulk screening against the naive loop, in the same run.

The naive loop is what one writes first: ``csv.reader``, then for each row
``phonenumbers.parse`` + ``is_valid_number`` (+ E.164 formatting) on the phone
column and ``stdnum.luhn.is_valid`` on the card column, then a lookup in a
Python ``set`` of listed values. The library runs
``antifraud_common.index.screen.screen`` over the same file with an index of the
same listed values. Target: at least 3x faster (median of the repeats); both
must find the same matches. Exit status 1 if the target is missed.

Run: ``python benchmarks/bench_screen.py [--n 1000000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
from stdnum import luhn

from antifraud_common.index import Index, IndexRecord
from antifraud_common.index.screen import screen
from antifraud_common.models import Entry

PREFIXES = [f"13{d}" for d in range(10)] + ["150", "151", "152", "153", "155", "156", "157"]
PREFIXES += ["158", "159", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_card(rnd: random.Random) -> str:
    body = "62" + "".join(rnd.choice("0123456789") for _ in range(13 if rnd.random() < 0.8 else 16))
    return body + luhn.calc_check_digit(body)


def write_records(path: Path, n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """Write ``n`` records; return (listed phones E.164, listed cards)."""
    rnd = random.Random(seed)
    listed_phones: list[str] = []
    listed_cards: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "phone", "card", "amount"])
        for i in range(n):
            national = rnd.choice(PREFIXES) + f"{rnd.randrange(10**8):08d}"
            r = rnd.random()
            if r < 0.95:
                phone = national
            elif r < 0.98:
                phone = f"{national[:3]} {national[3:7]} {national[7:]}"
            else:
                phone = str(rnd.randrange(10**6))  # not a phone number
            card = make_card(rnd) if rnd.random() < 0.5 else ""
            if rnd.random() < 0.01 and r < 0.98:
                listed_phones.append("+86" + national)
            if card and rnd.random() < 0.01:
                listed_cards.append(card)
            w.writerow([i, f"user{i}", phone, card, rnd.randrange(100000)])
    return sorted(set(listed_phones)), sorted(set(listed_cards))


def naive(path: Path, phones: set[str], cards: set[str]) -> int:
    found = 0
    e164 = phonenumbers.PhoneNumberFormat.E164
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        pi, ci = header.index("phone"), header.index("card")
        for row in reader:
            try:
                num = phonenumbers.parse(row[pi], "CN")
            except phonenumbers.NumberParseException:
                num = None
            if (
                num is not None
                and phonenumbers.is_valid_number(num)
                and phonenumbers.format_number(num, e164) in phones
            ):
                found += 1
            card = row[ci]
            if card and luhn.is_valid(card) and card in cards:
                found += 1
    return found


def ours(path: Path, index: Index) -> int:
    run = screen(path, ["phone", "card"], index, kinds={"phone": "phone", "card": "bank_card"})
    found = sum(1 for _ in run)
    assert run.summary.bad_rows == 0
    return found


def build_index(phones: list[str], cards: list[str]) -> Index:
    def records() -> object:
        for kind, values, action in (("phone", phones, "block"), ("bank_card", cards, "freeze")):
            for v in values:
                yield IndexRecord(
                    "mps",
                    kind,
                    None,
                    Entry(
                        kind=kind,
                        value=v,
                        reason="telecom_fraud",
                        action=action,
                        source="mps",
                        case_ref="B-1",
                        confidence=80,
                        tlp="amber",
                        listed_at=T0,
                        valid_from=T0,
                    ),
                )

    return Index.build(records())  # type: ignore[arg-type]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.csv"
        phones, cards = write_records(path, a.n)
        index = build_index(phones, cards)
        phone_set, card_set = set(phones), set(cards)
        times: dict[str, list[float]] = {"naive": [], "screen": []}
        counts = {}
        load_start = os.getloadavg()[0]
        for _ in range(a.repeats):
            for name, fn in (
                ("naive", lambda: naive(path, phone_set, card_set)),
                ("screen", lambda: ours(path, index)),
            ):
                t = time.perf_counter()
                counts[name] = fn()
                times[name].append(time.perf_counter() - t)
        load_end = os.getloadavg()[0]
        base = statistics.median(times["naive"])
        mine = statistics.median(times["screen"])
        size = path.stat().st_size / 1024 / 1024
        print(
            f"{a.n:,} CSV records ({size:.0f} MiB; phone + card columns), "
            f"{len(phones):,} listed phones, {len(cards):,} listed cards"
        )
        print(
            f"naive loop (csv + phonenumbers + luhn + set): {base:.2f} s median "
            f"({base / a.n * 1e6:.2f} us/record), {counts['naive']:,} matches"
        )
        print(
            f"screen(): {mine:.2f} s median ({mine / a.n * 1e6:.2f} us/record), "
            f"{counts['screen']:,} matches"
        )
        for k, (tn, ts) in enumerate(zip(times["naive"], times["screen"], strict=True), start=1):
            print(f"  repeat {k}: naive {tn:.2f} s, screen() {ts:.2f} s, {tn / ts:.2f}x")
        print(f"load average (1 min): {load_start:.2f} at the start, {load_end:.2f} at the end")
        ratio = base / mine
        print(f"speed-up: {ratio:.2f}x (target >= 3x)")
        same = counts["naive"] == counts["screen"]
        if not same:
            print("MATCH COUNTS DIFFER")
        ok = ratio >= 3 and same
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
