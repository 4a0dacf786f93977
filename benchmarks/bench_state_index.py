"""Benchmark: keeping the lookup index in step with the receiver state.

A receiver holds one list of ``--n`` entries (default 1,000,000) and applies
successive deltas that each change 1% of it. Measured in the same run, medians:

* rebuilding the whole index from the state (``Index.build(state.iter_records())``),
  the baseline a follower avoids;
* updating the followed index (:class:`antifraud_common.index.StateIndex`) for one
  delta: the listener's time (the entries the delta added or replaced and the
  keys it removed go to the index's overlay);
* what following adds to ``accept_delta`` (the delta's entries are materialised
  only when a listener is registered): accept with and without a follower;
* saving the followed index beside the state (compacts, then writes atomically),
  and opening it again.

Target: updating the index for a 1% delta costs under a tenth of a rebuild.

Run: ``python benchmarks/bench_state_index.py [--n 1000000] [--runs 3]``. Exits 1
if the target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from antifraud_common.exchange.signing import verify_list
from antifraud_common.exchange.state import ReceiverState, StateChange
from antifraud_common.format.keys import LocalSigner
from antifraud_common.index import Index, StateIndex
from bench_delta import (
    NOW,
    bench_trust,
    delta_chain,
    number,
    sign_snapshot,
    write_snapshot,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries in the list")
    parser.add_argument("--runs", type=int, default=3, help="deltas per measurement (median)")
    args = parser.parse_args(argv)
    rng = random.Random(2027)
    work = Path(tempfile.mkdtemp(prefix="bench_state_index_"))
    try:
        signer = LocalSigner.generate()
        trust = bench_trust(signer)
        space = 4 * 10**8
        current = {k: f"A-{rng.randrange(1000)}" for k in rng.sample(range(space), args.n)}
        snap = work / "v1.jsonl"
        write_snapshot(snap, current)
        sign_snapshot(signer, snap, 1, len(current))
        # One chain of 2 x runs deltas: the first half is applied without a
        # follower, the second half with one.
        third = max(1, args.n // 100 // 3)
        snaps, deltas, info, current = delta_chain(
            work, signer, rng, snap, current, 2 * args.runs, third, space
        )
        prev = snaps[-1]
        print(f"{args.n:,} entries; deltas of {info.op_count:,} operations")

        st_dir = work / "state"
        with (
            ReceiverState.open(st_dir) as st,
            verify_list(snap, Path(f"{snap}.sig"), trust=trust, now=NOW) as v,
        ):
            st.accept_snapshot(v)

        def apply(st: ReceiverState, d: Path) -> float:
            with verify_list(d, Path(f"{d}.sig"), trust=trust, state=st, now=NOW) as v:
                t = time.perf_counter()
                st.accept_delta(v)
                return time.perf_counter() - t

        # Baseline: a full rebuild from the state.
        rebuild: list[float] = []
        with ReceiverState.open(st_dir) as st:
            for _ in range(args.runs):
                t = time.perf_counter()
                Index.build(st.iter_records())
                rebuild.append(time.perf_counter() - t)

        # Without a follower: the first half of the deltas.
        plain: list[float] = []
        with ReceiverState.open(st_dir) as st:
            plain.extend(apply(st, d) for d in deltas[: args.runs])

        # With a follower: the second half; the listener is timed from inside.
        followed: list[float] = []
        update: list[float] = []
        with ReceiverState.open(st_dir) as st:
            si = StateIndex.follow(st, persist=False)
            inner = si._on_change  # the follower's own listener

            def timed(change: StateChange) -> None:
                t = time.perf_counter()
                inner(change)
                update.append(time.perf_counter() - t)

            st.remove_listener(inner)
            st.add_listener(timed)
            followed.extend(apply(st, d) for d in deltas[args.runs :])
            st.remove_listener(timed)
            # The followed index answers exactly like a rebuild of the final state.
            fresh = Index.build(st.iter_records())
            probe = [f"+86{number(i)}" for i in rng.sample(list(current), 2000)]
            probe += [f"+86{number(i)}" for i in rng.sample(range(space), 2000)]
            for p in probe:
                got = si.check_key("phone", p, now=NOW).to_dict()
                assert got == fresh.check_key("phone", p, now=NOW).to_dict()
            final = st.get("mps", "bench")
            assert final is not None
            assert final.state_sha256 == hashlib.sha256(prev.read_bytes()).hexdigest()
            t = time.perf_counter()
            si.index.save(work / "index.afi")
            save = time.perf_counter() - t
            t = time.perf_counter()
            Index.open(work / "index.afi").check_key("phone", probe[0], now=NOW)
            reopen = time.perf_counter() - t

        med = statistics.median
        ratio = med(update) / med(rebuild)
        print(f"rebuild from state        median {med(rebuild):8.3f} s  runs {rebuild}")
        print(f"index update per delta    median {med(update):8.3f} s  runs {update}")
        print(f"accept_delta, no follower median {med(plain):8.3f} s  runs {plain}")
        print(f"accept_delta + follower   median {med(followed):8.3f} s  runs {followed}")
        print(f"save {save:.3f} s ({(work / 'index.afi').stat().st_size:,} bytes), "
              f"open + first query {reopen * 1000:.1f} ms")  # fmt: skip
        print(f"update / rebuild ratio {ratio:.4f} (target < 0.100)")
        ok = ratio < 0.1
        print("PASS" if ok else "FAIL: updating costs more than a tenth of a rebuild")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
