"""Benchmark: applying a 1% delta vs loading the full snapshot into the receiver state.

Target (docs/receiver-state.md): applying a delta that changes 1% of a
1,000,000-entry list (verify + accept) costs under a tenth of loading the full
snapshot (verify + accept), measured in the same run, medians. Also printed:
the state-only costs (``accept_delta`` vs ``accept_snapshot``), the load
average at the start and end of the run, and, for scale, what reading and
hashing the whole resulting list costs on its own (``state_hash``; a delta
does this as part of its single pass over the chunks).

Run: ``python benchmarks/bench_delta.py [--n 1000000] [--runs 3]``. Exits 1 if
the target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from antifraud_common.exchange import delta
from antifraud_common.exchange.signing import sign_manifest, verify_list
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.exchange.trust import (
    Member,
    PublishRule,
    TrustBundle,
    create_trust_bundle,
)
from antifraud_common.format.jsonl import write_atomic
from antifraud_common.format.keys import LocalSigner
from antifraud_common.models import Manifest

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(hours=1)
TS = T0.strftime("%Y-%m-%dT%H:%M:%SZ")
LINE = (
    '{{"action":"block","case_ref":"{case}","confidence":90,"kind":"phone",'
    f'"listed_at":"{TS}","reason":"telecom_fraud","source":"mps","tlp":"amber",'
    f'"valid_from":"{TS}",'
    '"value":"+86{num}"}}\n'
)
PREFIXES = ("138", "139", "150", "186")


def number(i: int) -> str:
    return f"{PREFIXES[i // 10**8 % 4]}{i % 10**8:08d}"


def write_snapshot(path: Path, items: dict[int, str]) -> None:
    # Built from a template (canonical member order) for speed; values sort
    # like their keys because every number has the same length.
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for i in sorted(items, key=number):
            f.write(LINE.format(case=items[i], num=number(i)))


def sign_snapshot(signer: LocalSigner, path: Path, version: int, count: int) -> Path:
    import hashlib

    data = path.read_bytes()
    m = Manifest(
        issuer="mps",
        list_id="bench",
        list_type="fraud_numbers",
        version=version,
        issued_at=T0,
        expires=NOW + timedelta(days=7),
        entry_count=count,
        byte_length=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    sig = Path(f"{path}.sig")
    write_atomic(sig, sign_manifest(m, [signer]))
    return sig


def bench_trust(signer: LocalSigner) -> TrustBundle:
    """A one-member trust bundle: ``mps`` may publish phone block lists."""
    return create_trust_bundle(
        bundle_id="bench",
        root_keys=[LocalSigner.generate().public_key],
        root_threshold=1,
        issued_at=T0,
        members=[
            Member(
                agency="mps",
                name="MPS",
                keys=[signer.public_key],
                publish=[
                    PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block"])
                ],
            )
        ],
    )


def delta_chain(  # noqa: PLR0917 - a benchmark helper
    work: Path,
    signer: LocalSigner,
    rng: random.Random,
    base: Path,
    items: dict[int, str],
    count: int,
    third: int,
    space: int,
) -> tuple[list[Path], list[Path], delta.DeltaInfo, dict[int, str]]:
    """Write ``count`` further versions after ``base`` (version 1), each removing,
    replacing and adding ``third`` entries, with their signed deltas.

    Returns the snapshots, the deltas, the last delta's info and the last items.
    """
    snaps: list[Path] = []
    deltas: list[Path] = []
    prev, current = base, items
    info: delta.DeltaInfo | None = None
    for v in range(2, count + 2):
        nxt = dict(current)
        for k in rng.sample(list(nxt), third):
            del nxt[k]
        for k in rng.sample(list(nxt), third):
            nxt[k] = "R-" + nxt[k]
        while len(nxt) < len(current):
            nxt.setdefault(rng.randrange(space), "N-1")
        snap = work / f"v{v}.jsonl"
        write_snapshot(snap, nxt)
        d = work / f"v{v}.delta.jsonl"
        info = delta.make_delta(prev, snap, d)
        m = delta.delta_manifest(
            info,
            issuer="mps",
            list_id="bench",
            list_type="fraud_numbers",
            version=v,
            base_version=v - 1,
            issued_at=T0,
            expires=NOW + timedelta(days=7),
        )
        write_atomic(f"{d}.sig", sign_manifest(m, [signer]))
        deltas.append(d)
        snaps.append(snap)
        prev, current = snap, nxt
    assert info is not None
    return snaps, deltas, info, current


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries in the list")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--change", type=float, default=0.01, help="fraction changed per delta")
    args = parser.parse_args(argv)
    rng = random.Random(2026)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    work = Path(tempfile.mkdtemp(prefix="bench_delta_"))
    try:
        signer = LocalSigner.generate()
        trust = bench_trust(signer)
        space = 4 * 10**8
        print(f"building {args.n:,} entries and {args.runs} deltas of {args.change:.1%} ...")
        current = {k: f"A-{rng.randrange(1000)}" for k in rng.sample(range(space), args.n)}
        snaps = [work / "v1.jsonl"]
        write_snapshot(snaps[0], current)
        sign_snapshot(signer, snaps[0], 1, len(current))
        third = max(1, int(args.n * args.change) // 3)
        chain, deltas, info, current = delta_chain(
            work, signer, rng, snaps[0], current, args.runs, third, space
        )
        snaps += chain
        print(f"delta: {info.op_count:,} operations, {info.byte_length:,} bytes")

        # Baseline: verify + load the full snapshot into a fresh state.
        snap_verify: list[float] = []
        snap_accept: list[float] = []
        # CPU seconds of this process (every thread) per verify + apply: less
        # sensitive than wall time to other jobs on a shared machine.
        snap_cpu: list[float] = []
        for r in range(args.runs):
            c = time.process_time()
            t = time.perf_counter()
            v = verify_list(snaps[0], Path(f"{snaps[0]}.sig"), trust=trust, now=NOW)
            snap_verify.append(time.perf_counter() - t)
            with ReceiverState.open(work / f"state{r}") as st:
                t = time.perf_counter()
                st.accept_snapshot(v)
                snap_accept.append(time.perf_counter() - t)
            snap_cpu.append(time.process_time() - c)
            v.close()
            if r:
                shutil.rmtree(work / f"state{r}")

        # Target: verify + apply successive 1% deltas onto the 1M-entry state.
        delta_verify: list[float] = []
        delta_accept: list[float] = []
        delta_cpu: list[float] = []
        with ReceiverState.open(work / "state0") as st:
            for d in deltas:
                c = time.process_time()
                t = time.perf_counter()
                v = verify_list(d, Path(f"{d}.sig"), trust=trust, state=st, now=NOW)
                delta_verify.append(time.perf_counter() - t)
                t = time.perf_counter()
                st.accept_delta(v)
                delta_accept.append(time.perf_counter() - t)
                delta_cpu.append(time.process_time() - c)
                v.close()
            t = time.perf_counter()
            st.state_hash("mps", "bench")
            hash_only = time.perf_counter() - t
            final = st.get("mps", "bench")
        import hashlib

        assert final is not None
        assert final.state_sha256 == hashlib.sha256(snaps[-1].read_bytes()).hexdigest()

        med = statistics.median
        snap_total = med(a + b for a, b in zip(snap_verify, snap_accept, strict=True))
        delta_total = med(a + b for a, b in zip(delta_verify, delta_accept, strict=True))
        print(f"snapshot verify   median {med(snap_verify):8.3f} s  runs {snap_verify}")
        print(f"snapshot accept   median {med(snap_accept):8.3f} s  runs {snap_accept}")
        print(f"delta verify      median {med(delta_verify):8.3f} s  runs {delta_verify}")
        print(f"delta accept      median {med(delta_accept):8.3f} s  runs {delta_accept}")
        print(f"  for scale: state_hash (read + hash all {args.n:,} entries) {hash_only:.3f} s")
        ratio = delta_total / snap_total
        state_ratio = med(delta_accept) / med(snap_accept)
        print(f"verify+apply: delta {delta_total:.3f} s vs snapshot {snap_total:.3f} s "
              f"-> ratio {ratio:.3f} (target < 0.100)")  # fmt: skip
        print(f"state only:   accept_delta / accept_snapshot ratio {state_ratio:.3f}")
        cpu_ratio = med(delta_cpu) / med(snap_cpu)
        print(f"CPU time:     delta {med(delta_cpu):.3f} s vs snapshot {med(snap_cpu):.3f} s "
              f"-> ratio {cpu_ratio:.3f} (all threads; for information)")  # fmt: skip
        print(f"load average at end: {os.getloadavg()[0]:.2f} (1 min)")
        ok = ratio < 0.1
        print("PASS" if ok else "FAIL: a 1% delta costs more than a tenth of the snapshot")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
