"""Benchmark: the format layer against the plain standard library, in the same run.

Targets (exit status 1 if missed), each a ratio of medians against a baseline
measured in the same process on the same data:

* ``canonical.dumps`` of entry-like records at most 2.5x the time of
  ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
  (the baseline is not canonical in general and checks nothing), same bytes;
* ``canonical.check_canonical`` of the same lines at most 3x a naive check that
  round-trips through ``json.loads`` and the ``json.dumps`` above (which refuses
  nothing: no duplicate-key, float, range, surrogate or depth checks);
* ``jsonl.iter_lines`` with SHA-256 at most 2x a plain ``for line in file`` loop
  that also hashes every line, on the same file;
* ``jws.verify`` of a one-signature Ed25519 envelope at most 3x a bare
  ``Ed25519PublicKey.verify`` of the same signing input.

Usage: ``python benchmarks/bench_format.py [--n 200000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from antifraud_common.format import canonical, jsonl, jws
from antifraud_common.format.keys import Algorithm, LocalSigner


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def medians(
    ours: Callable[[], object], base: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median times of ``ours`` and ``base``, run alternately so load drift hits both."""
    a, b = [], []
    for _ in range(repeat):
        a.append(_once(ours))
        b.append(_once(base))
    return statistics.median(a), statistics.median(b)


def records(n: int) -> list[dict[str, object]]:
    return [
        {
            "kind": "phone",
            "value": f"+86138{i:08d}",
            "reason": "fraud_call",
            "action": "block",
            "listed_at": "2026-01-01T00:00:00Z",
            "source": "issuer-01",
            "confidence": 90,
            "tlp": "amber",
            "case_ref": f"案-2026-{i:06d}",
        }
        for i in range(n)
    ]


def report(name: str, times: tuple[float, float], per: int, limit: float) -> bool:
    ours, base = times
    ratio = ours / base
    ok = ratio <= limit
    print(
        f"{name:<28} ours {ours * 1e6 / per:8.2f} us/op   baseline {base * 1e6 / per:8.2f} us/op"
        f"   ratio {ratio:5.2f} (target <= {limit})  {'ok' if ok else 'MISSED'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200_000, help="records per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    args = parser.parse_args(argv)
    n, repeat = args.n, args.repeat
    ok = True

    items = records(n)

    def ours_dumps() -> list[bytes]:
        return [canonical.dumps(x) for x in items]

    def base_dumps() -> list[bytes]:
        enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return [enc.encode(x).encode("utf-8") for x in items]

    lines = ours_dumps()
    if lines != base_dumps():
        print("canonical.dumps and the baseline disagree", file=sys.stderr)
        return 1
    ok &= report("canonical.dumps", medians(ours_dumps, base_dumps, repeat), n, 2.5)
    enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def naive_check() -> None:
        for x in lines:
            if enc.encode(json.loads(x)).encode("utf-8") != x:
                raise AssertionError("baseline disagrees")

    ok &= report(
        "canonical.check_canonical",
        medians(lambda: [canonical.check_canonical(x) for x in lines], naive_check, repeat),
        n,
        3.0,
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.jsonl"
        digest = jsonl.write_lines(path, lines)

        def ours_iter() -> str:
            d = jsonl.StreamDigest()
            for _ in jsonl.iter_lines(path, digest=d):
                pass
            return d.hexdigest()

        def base_iter() -> str:
            h = hashlib.sha256()
            with path.open("rb") as f:
                for line in f:
                    h.update(line)
            return h.hexdigest()

        if not ours_iter() == base_iter() == digest.hexdigest():
            print("jsonl digests disagree", file=sys.stderr)
            return 1
        ok &= report("jsonl.iter_lines + sha256", medians(ours_iter, base_iter, repeat), n, 2.0)

    signer = LocalSigner.generate(Algorithm.ED25519)
    payload = canonical.dumps({"list_id": "demo", "sha256": "0" * 64, "version": 1})
    envelope = jws.sign(payload, [signer])
    keys = {signer.key_id: signer.public_key}
    parsed = jws.parse(envelope)
    sig = parsed.signatures[0]
    raw_key = signer.public_key.to_cryptography()
    signing_input = parsed.signing_input(sig)
    rounds = max(1, n // 100)

    def ours_verify() -> None:
        for _ in range(rounds):
            jws.verify(envelope, keys)

    def base_verify() -> None:
        for _ in range(rounds):
            raw_key.verify(sig.signature, signing_input)  # type: ignore[call-arg]  # Ed25519 key

    ok &= report("jws.verify (Ed25519)", medians(ours_verify, base_verify, repeat), rounds, 3.0)
    print("all targets met" if ok else "some targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
