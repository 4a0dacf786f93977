"""Benchmark: a bank's gateway receives a stop-payment order and answers it.

One round is what "instant" asks of the gateway (``CaseBook.respond``): verify
an incoming, signed stop order in the fixed order, build, sign and check its
STOPPED result, and record both in the case book in one transaction. The floor
is the least any implementation must do: one Ed25519 verification of the order,
one Ed25519 signature of the result, and one SQLite commit (WAL,
``synchronous=FULL``, as the book) of a row of the same size. Both are measured
in the same run, round by round interleaved, so the machine's load hits both
alike; process CPU time per round is reported beside the wall-clock time.

Targets: the median round at most 3x the median floor; a burst of 10,000 orders
(received and answered one after the other) takes at most 3x the floor's time.

    python benchmarks/bench_cases.py                 # 300 single rounds, 10,000-order burst
    python benchmarks/bench_cases.py --rounds 100 --burst 2000  # quick run

Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from antifraud_common.cases import (
    CASE_TYP,
    Account,
    CaseBook,
    CaseMessage,
    MessageType,
    Money,
    Received,
    StopPaymentOrder,
    StopPaymentResult,
    StopStatus,
)
from antifraud_common.cases._kit import federation
from antifraud_common.format import jws

NOW = datetime.now(UTC).replace(microsecond=0)
AMOUNT = Money(amount=5_000_000)


def orders(fed: object, n: int, prefix: str, first: int) -> list[bytes]:
    """``n`` signed stop orders, each for its own account (numbers from ``first``)."""
    police = fed.signers["mps"][0]  # type: ignore[attr-defined]
    out = []
    for i in range(n):
        m = CaseMessage.build(
            type=MessageType.STOP_PAYMENT_ORDER,
            message_id=f"{prefix}-{i}",
            case_id=f"mps:{prefix}-{i}",
            sender="mps",
            recipient="icbc",
            issued_at=NOW,
            body=StopPaymentOrder(
                account=Account(bank="icbc", number=f"6217{first + i:015d}", name="Bench Holder"),
                amount=AMOUNT,
                transfer_time=NOW - timedelta(minutes=10),
                sequence=1,
                term_hours=48,
                legal_basis="Anti-Telecom and Online Fraud Law, Art. 20",
            ),
        )
        out.append(jws.sign(m.to_payload(), [police], typ=CASE_TYP))
    return out


def gateway(fed: object, book: CaseBook) -> Callable[[bytes], bytes]:
    trust = fed.trust  # type: ignore[attr-defined]
    signer = fed.signers["icbc"][0]  # type: ignore[attr-defined]

    def handle(envelope: bytes) -> bytes:
        now = datetime.now(UTC).replace(microsecond=0)
        return book.respond(envelope, lambda got: answer(got, now), [signer], trust=trust, now=now)[
            1
        ]

    def answer(got: Received, now: datetime) -> CaseMessage:
        return CaseMessage.build(
            type=MessageType.STOP_PAYMENT_RESULT,
            message_id=f"icbc-{got.message.message_id}",
            case_id=got.message.case_id,
            sender="icbc",
            recipient="mps",
            issued_at=now,
            in_reply_to=got.hash,
            body=StopPaymentResult(
                status=StopStatus.STOPPED,
                amount_held=AMOUNT,
                stopped_at=now,
                stopped_until=now + timedelta(hours=48),
            ),
        )

    return handle


def floor(fed: object, directory: Path) -> Callable[[bytes], bytes]:
    """One Ed25519 verify of the order, one Ed25519 sign, one SQLite commit."""
    police_key = fed.signers["mps"][0].public_key  # type: ignore[attr-defined]
    signer = fed.signers["icbc"][0]  # type: ignore[attr-defined]
    conn = sqlite3.connect(directory / "floor.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")

    def handle(envelope: bytes) -> bytes:
        parsed = jws.parse(envelope)
        sig = parsed.signatures[0]
        if not police_key.verify(sig.signature, parsed.signing_input(sig)):
            raise SystemExit("the floor's verification failed")
        signature = signer.sign(parsed.payload)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (data) VALUES (?)", (envelope,))
        conn.execute("COMMIT")
        return signature

    return handle


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    fed = federation(NOW)
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        root = Path(tmp)
        singles = orders(fed, args.rounds, "s", 100)
        burst = orders(fed, args.burst, "b", 100 + args.rounds)
        book = CaseBook.open(root / "book", me="icbc")
        handle = gateway(fed, book)
        base = floor(fed, root)
        # Warm up both paths (imports, page cache, first WAL pages).
        for env in orders(fed, 20, "w", 0):
            handle(env)
            base(env)

        cand_t: list[float] = []
        base_t: list[float] = []
        cpu = {"cases": 0.0, "floor": 0.0}
        for i, env in enumerate(singles):
            pair = [(handle, cand_t), (base, base_t)]
            if i % 2:
                pair.reverse()
            for func, times in pair:
                c, t = time.process_time(), time.perf_counter()
                func(env)
                times.append(time.perf_counter() - t)
                cpu["cases" if func is handle else "floor"] += time.process_time() - c

        # Burst: the whole burst through each path, in halves taking turns.
        half = len(burst) // 2
        burst_time = {"cases": 0.0, "floor": 0.0}
        for part in (burst[:half], burst[half:]):
            for name, func in (("cases", handle), ("floor", base)):
                t = time.perf_counter()
                for env in part:
                    func(env)
                burst_time[name] += time.perf_counter() - t
        problems = book.check()
        recorded = len(book.messages())
        book.close()

    med_c, med_b = statistics.median(cand_t), statistics.median(base_t)
    rate_c, rate_b = args.burst / burst_time["cases"], args.burst / burst_time["floor"]
    report = {
        "rounds": args.rounds,
        "burst": args.burst,
        "load": os.getloadavg()[0],
        "round_median_ms": round(med_c * 1e3, 3),
        "round_p99_ms": round(p99(cand_t) * 1e3, 3),
        "floor_median_ms": round(med_b * 1e3, 3),
        "floor_p99_ms": round(p99(base_t) * 1e3, 3),
        "median_ratio": round(med_c / med_b, 2),
        "cpu_per_round_ms": round(cpu["cases"] / args.rounds * 1e3, 3),
        "floor_cpu_ms": round(cpu["floor"] / args.rounds * 1e3, 3),
        "p99_ratio": round(p99(cand_t) / p99(base_t), 2),
        "burst_orders_per_s": round(rate_c, 1),
        "floor_per_s": round(rate_b, 1),
        "burst_ratio": round(rate_b / rate_c, 2),
        "recorded_messages": recorded,
        "book_problems": problems,
    }
    ok = report["median_ratio"] <= 3 and report["burst_ratio"] <= 3 and not problems
    expected = 2 * (20 + args.rounds + args.burst)
    ok = ok and recorded == expected
    report["ok"] = ok
    if args.json:
        print(json.dumps(report))
    else:
        print(f"load average {report['load']:.1f}")
        print(f"round (verify+record order, sign+record result): median "
              f"{report['round_median_ms']} ms, p99 {report['round_p99_ms']} ms")  # fmt: skip
        print(f"floor (1 verify + 1 sign + 1 commit):             median "
              f"{report['floor_median_ms']} ms, p99 {report['floor_p99_ms']} ms")  # fmt: skip
        print(f"ratio: median {report['median_ratio']}x, p99 {report['p99_ratio']}x "
              "(target <= 3x)")  # fmt: skip
        print(f"CPU per round {report['cpu_per_round_ms']} ms, "
              f"floor {report['floor_cpu_ms']} ms")  # fmt: skip
        print(f"burst of {args.burst}: {report['burst_orders_per_s']} orders/s, "
              f"floor {report['floor_per_s']}/s, "
              f"ratio {report['burst_ratio']}x (target <= 3x)")  # fmt: skip
        print("target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
