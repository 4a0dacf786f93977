"""Benchmark: verifying signed lists (signature + hash, full verification, streaming memory).

Targets (docs/spec/format.md, "Speed"), each against a baseline measured in the
same run:

1. signature + length + hash of an N-entry list through the API (in process)
   takes at most 1.5x ``sha256sum`` on the same file (subprocess);
2. full verification (every line parsed, canonical, validated, ordered, in
   scope, not protected) is at least 4x faster per line than the naive loop
   ``json.loads`` + ``phonenumbers.parse`` + ``is_valid_number``;
3. verifying an ``--rss-n``-entry list streams: peak RSS (VmHWM of a child
   process) at most 150 MB.

    python benchmarks/bench_verify.py                  # 1,000,000 entries, RSS check on 10M
    python benchmarks/bench_verify.py --n 100000 --rss-n 1000000   # quick run

Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from antifraud_common.exchange import (
    EntriesSummary,
    Member,
    PublishRule,
    create_trust_bundle,
    make_manifest,
    sign_manifest,
    sign_trust_bundle,
    verify_list,
)
from antifraud_common.format.jsonl import StreamDigest
from antifraud_common.format.keys import LocalSigner

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PREFIXES = ("135", "138", "139", "150", "186")
SOURCES = ("cac", "miit", "mps")
HASH_RATIO_TARGET = 1.5
FULL_SPEEDUP_TARGET = 4.0
RSS_TARGET_MB = 150.0


def write_list(path: Path, n: int) -> None:
    """Write ``n`` canonical, sorted phone entries (about 230 bytes each)."""
    per = -(-n // len(PREFIXES))
    step = max(1, 99_999_999 // per)
    written = 0
    with path.open("wb", buffering=1 << 20) as f:
        for prefix in PREFIXES:
            lines = []
            for j in range(min(per, n - written)):
                i = written + j
                lines.append(
                    f'{{"action":"block","case_ref":"CASE-2026-{i % 5000:05d}",'
                    f'"confidence":{50 + i % 50},"kind":"phone",'
                    f'"listed_at":"2026-01-{1 + i % 28:02d}T00:00:00Z","reason":"telecom_fraud",'
                    f'"source":"{SOURCES[i % 3]}","tlp":"amber",'
                    f'"valid_from":"2026-01-01T00:00:00Z","value":"+86{prefix}{j * step:08d}"}}\n'
                )
                if len(lines) >= 100_000:
                    f.write("".join(lines).encode())
                    lines = []
            f.write("".join(lines).encode())
            written += min(per, n - written)


def prepare(directory: Path, n: int) -> tuple[Path, Path, Path, Path]:
    """Write a signed list of ``n`` entries and a trust bundle; return their paths."""
    root, mps = LocalSigner.generate(), LocalSigner.generate()
    bundle = create_trust_bundle(
        bundle_id="bench",
        root_keys=[root.public_key],
        root_threshold=1,
        issued_at=T0,
        expires=T0 + timedelta(days=365),
        members=[
            Member(
                agency="mps",
                name="MPS",
                keys=[mps.public_key],
                publish=[
                    PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block"])
                ],
            )
        ],
    )
    trust, trust_sig = directory / "trust.json", directory / "trust.json.sig"
    trust.write_bytes(bundle.to_bytes())
    trust_sig.write_bytes(sign_trust_bundle(bundle.to_bytes(), [root]))
    entries = directory / "list.jsonl"
    write_list(entries, n)
    # Hash only (the generator writes valid lines; verification checks them all).
    digest = StreamDigest()
    with entries.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            digest.line_count += chunk.count(b"\n")
    summary = EntriesSummary(
        entry_count=digest.line_count, byte_length=digest.byte_count, sha256=digest.hexdigest()
    )
    manifest = make_manifest(
        summary,
        issuer="mps",
        list_id="bench",
        list_type="fraud_numbers",
        version=1,
        issued_at=T0,
        expires=T0 + timedelta(days=7),
    )
    sig = directory / "list.jsonl.sig"
    sig.write_bytes(sign_manifest(manifest, [mps]))
    return entries, sig, trust, trust_sig


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_per_line(entries: Path, sample: int) -> float:
    """Seconds per line of json.loads + phonenumbers.parse + is_valid_number."""
    import phonenumbers

    lines = []
    with entries.open("rb") as f:
        for _ in range(sample):
            line = f.readline()
            if not line:
                break
            lines.append(line)

    def run() -> None:
        for line in lines:
            d = json.loads(line)
            phonenumbers.is_valid_number(phonenumbers.parse(d["value"]))

    return median_time(run, 3) / len(lines)


_CHILD = """
import sys
from datetime import datetime, timedelta, UTC
from antifraud_common.exchange import load_trust, verify_list
now = datetime(2026, 1, 1, 1, tzinfo=UTC)
entries, sig, trust, trust_sig = sys.argv[1:5]
t = load_trust(trust, trust_sig, now=now)
with verify_list(entries, sig, trust=t, now=now, tmp_dir=sys.argv[5]) as v:
    n = sum(1 for _ in v.iter_entries())
assert n == v.manifest.entry_count
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) / 1024)
"""


def peak_rss_mb(paths: tuple[Path, Path, Path, Path], tmp: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, paths), str(tmp)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries (default 1,000,000)")
    parser.add_argument("--rss-n", type=int, default=10_000_000, help="0 to skip the RSS check")
    parser.add_argument("--naive-sample", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    now = T0 + timedelta(hours=1)
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        entries, sig, trust_path, trust_sig = prepare(tmp, args.n)
        size = entries.stat().st_size
        print(f"list: {args.n:,} entries, {size / 1e6:.1f} MB")
        from antifraud_common.exchange import load_trust

        trust = load_trust(trust_path, trust_sig, now=now)
        sha256sum = shutil.which("sha256sum")
        if sha256sum is None:
            print("sha256sum not found: hash target skipped")
        else:
            base = median_time(
                lambda: subprocess.run([sha256sum, str(entries)], check=True, capture_output=True),
                args.repeat,
            )
            ours = median_time(
                lambda: verify_list(entries, sig, trust=trust, now=now, check_lines=False),
                args.repeat,
            )
            ratio = ours / base
            met = ratio <= HASH_RATIO_TARGET
            ok = ok and met
            print(
                f"signature+length+hash: {ours:.3f} s vs sha256sum {base:.3f} s "
                f"-> ratio {ratio:.2f} (target <= {HASH_RATIO_TARGET}) {'OK' if met else 'MISSED'}"
            )

        def full() -> None:
            verify_list(entries, sig, trust=trust, now=now, tmp_dir=tmp).close()

        full_s = median_time(full, args.repeat)
        per_line = full_s / args.n
        naive = naive_per_line(entries, min(args.n, args.naive_sample))
        speedup = naive / per_line
        met = speedup >= FULL_SPEEDUP_TARGET
        ok = ok and met
        print(
            f"full verification: {full_s:.2f} s = {per_line * 1e6:.2f} us/line; naive loop "
            f"{naive * 1e6:.2f} us/line -> {speedup:.1f}x faster "
            f"(target >= {FULL_SPEEDUP_TARGET}x) {'OK' if met else 'MISSED'}"
        )
        entries.unlink()
    if args.rss_n:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            paths = prepare(tmp, args.rss_n)
            rss = peak_rss_mb(paths, tmp)
            met = rss <= RSS_TARGET_MB
            ok = ok and met
            print(
                f"streaming {args.rss_n:,} entries (verify + iterate): peak RSS {rss:.0f} MB "
                f"(target <= {RSS_TARGET_MB:.0f} MB) {'OK' if met else 'MISSED'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
