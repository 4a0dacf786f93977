"""Benchmark: verifying signed lists (hash only, full verification, streaming memory).

Targets (docs/spec/format.md, "Speed"), each against a baseline measured in the
same run, with the two sides interleaved repeat by repeat:

1. signature + length + hash (``verify_list(check_lines=False)``, in process) takes
   at most 1.2x hashlib's SHA-256 of the same file (``hashlib.file_digest``, in
   process); ``openssl dgst -sha256`` (subprocess) is reported beside it;
2. full verification (every line parsed, canonical, validated, ordered, in scope,
   not protected) is at least 4x faster per line than the naive loop a user would
   write (``json.loads`` + ``phonenumbers.parse`` + ``is_valid_number`` per line),
   on a *realistic* list (benchmarks/_realistic.py: distinct listing seconds and
   case references, a third of them in Chinese, ``valid_until`` on 30 %) and, for
   comparison, on the old uniform file (5 prefixes, 28 listing times);
3. verify + iterate (``for e in v.iter_entries(): pass``) of a realistic list in a
   child process: peak RSS (``ru_maxrss``) at most 150 MB at ``--rss-n`` entries,
   and flat (reported beside the same at 1,000,000).

    python benchmarks/bench_verify.py                       # 1M entries; RSS at 1M and 10M
    python benchmarks/bench_verify.py --n 100000 --rss-n 0  # quick run
    python benchmarks/bench_verify.py --cache-dir /tmp/lists   # keep generated lists

Generating the 10,000,000-entry list takes several minutes; it is written once per
run into a temporary directory (or once for good into ``--cache-dir``).

Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realistic import ACTIONS
from antifraud_common.exchange import (
    EntriesSummary,
    Member,
    PublishRule,
    create_trust_bundle,
    load_trust,
    make_manifest,
    sign_manifest,
    sign_trust_bundle,
    verify_list,
)
from antifraud_common.format.keys import LocalSigner

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PREFIXES = ("135", "138", "139", "150", "186")
SOURCES = ("cac", "miit", "mps")
HASH_RATIO_TARGET = 1.2
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


def _sha256_file(path: Path) -> tuple[str, int, int]:
    h = hashlib.sha256()
    size = lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return h.hexdigest(), size, lines


def sign_list(directory: Path, entries: Path, name: str) -> tuple[Path, Path, Path, Path]:
    """Sign ``entries`` (already written) under a fresh trust bundle; return the four paths."""
    root, mps = LocalSigner.generate(), LocalSigner.generate()
    kinds = sorted(ACTIONS)
    actions = sorted({a for acts in ACTIONS.values() for a in acts})
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
                publish=[PublishRule(list_type="fraud_numbers", kinds=kinds, actions=actions)],
            )
        ],
    )
    trust, trust_sig = directory / f"{name}.trust.json", directory / f"{name}.trust.json.sig"
    trust.write_bytes(bundle.to_bytes())
    trust_sig.write_bytes(sign_trust_bundle(bundle.to_bytes(), [root]))
    # Hash only (the generators write valid lines; verification checks them all).
    sha, size, lines = _sha256_file(entries)
    summary = EntriesSummary(entry_count=lines, byte_length=size, sha256=sha)
    manifest = make_manifest(
        summary,
        issuer="mps",
        list_id="bench",
        list_type="fraud_numbers",
        version=1,
        issued_at=T0,
        expires=T0 + timedelta(days=7),
    )
    sig = directory / f"{name}.jsonl.sig"
    sig.write_bytes(sign_manifest(manifest, [mps]))
    return entries, sig, trust, trust_sig


def _generate(path: Path, n: int, mix: str) -> None:
    # In a child process: the generator's working set stays out of this process, whose
    # size at fork time a child's ru_maxrss would inherit on Linux.
    subprocess.run(
        [sys.executable, str(HERE / "_realistic.py"), str(path), "--n", str(n), "--mix", mix],
        check=True,
        capture_output=True,
    )


def realistic_list(n: int, mix: str, directory: Path, cache: Path | None) -> Path:
    """The realistic list of ``n`` entries: from ``cache`` if there, else written once."""
    name = f"realistic-{mix}-{n}.jsonl"
    if cache is not None:
        cached = cache / name
        if not cached.exists():
            cache.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            _generate(cached.with_suffix(".part"), n, mix)
            cached.with_suffix(".part").rename(cached)
            print(f"  (wrote {cached} in {time.perf_counter() - t0:.0f} s)", flush=True)
        return cached
    path = directory / name
    t0 = time.perf_counter()
    _generate(path, n, mix)
    print(f"  (wrote {n:,} realistic entries in {time.perf_counter() - t0:.0f} s)", flush=True)
    return path


def interleaved(sides: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Run each side once per repeat, in turn; return every side's times."""
    times: dict[str, list[float]] = {k: [] for k in sides}
    for _ in range(repeat):
        for name, fn in sides.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def naive_loop(entries: Path, every: int) -> Callable[[], int]:
    """The loop a user would write, over every ``every``-th phone line of the file."""
    import phonenumbers

    lines = []
    with entries.open("rb") as f:
        for i, line in enumerate(f):
            if i % every == 0 and b'"kind":"phone"' in line:
                lines.append(line)

    def run() -> int:
        ok = 0
        for line in lines:
            d = json.loads(line)
            ok += phonenumbers.is_valid_number(phonenumbers.parse(d["value"]))
        return ok

    run.count = len(lines)  # type: ignore[attr-defined]
    return run


_CHILD = """
import resource, sys
from datetime import datetime, UTC
from antifraud_common.exchange import load_trust, verify_list
now = datetime(2026, 1, 1, 1, tzinfo=UTC)
entries, sig, trust, trust_sig = sys.argv[1:5]
t = load_trust(trust, trust_sig, now=now)
with verify_list(entries, sig, trust=t, now=now, tmp_dir=sys.argv[5]) as v:
    n = 0
    for e in v.iter_entries():
        n += 1
assert n == v.manifest.entry_count
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, hwm / 1024)
"""


def peak_rss_mb(paths: tuple[Path, Path, Path, Path], tmp: Path) -> tuple[float, float]:
    """Peak RSS (MB) of a child that verifies the list and iterates every entry:
    its ``ru_maxrss`` and its ``VmHWM``.

    On Linux a child's ``ru_maxrss`` starts from the parent's resident size at fork
    time, so this runs before the parent holds anything large; ``VmHWM`` counts the
    child's own address space only.
    """
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, paths), str(tmp)],
        check=True,
        capture_output=True,
        text=True,
    )
    maxrss, hwm = map(float, out.stdout.split())
    return maxrss, hwm


def _self_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def bench_hash(paths: tuple[Path, Path, Path, Path], now: datetime, repeat: int) -> bool:
    entries, sig, trust_path, trust_sig = paths
    trust = load_trust(trust_path, trust_sig, now=now)

    def file_digest() -> str:
        with entries.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    sides: dict[str, Callable[[], object]] = {
        "hashlib": file_digest,
        "ours": lambda: verify_list(entries, sig, trust=trust, now=now, check_lines=False),
    }
    openssl = shutil.which("openssl")
    if openssl:
        sides["openssl"] = lambda: subprocess.run(
            [openssl, "dgst", "-sha256", str(entries)], check=True, capture_output=True
        )
    file_digest()  # the file into the page cache for every side
    t = interleaved(sides, max(repeat, 7))  # cheap: more repeats, steadier medians
    ratio = _med(t["ours"]) / _med(t["hashlib"])
    met = ratio <= HASH_RATIO_TARGET
    extra = f", openssl dgst {_med(t['openssl']):.3f} s" if "openssl" in t else ""
    mb = entries.stat().st_size / 1e6
    print(
        f"signature+length+hash ({mb:.0f} MB): {_med(t['ours']):.3f} s vs hashlib "
        f"{_med(t['hashlib']):.3f} s{extra} -> ratio {ratio:.2f} "
        f"(target <= {HASH_RATIO_TARGET}) {'OK' if met else 'MISSED'}"
    )
    return met


def bench_full(
    label: str,
    paths: tuple[Path, Path, Path, Path],
    *,
    now: datetime,
    tmp: Path,
    repeat: int,
    sample: int,
    target: bool,
) -> bool:
    entries, sig, trust_path, trust_sig = paths
    trust = load_trust(trust_path, trust_sig, now=now)
    with verify_list(entries, sig, trust=trust, now=now, check_lines=False) as v:
        n = v.manifest.entry_count

    def full() -> None:
        verify_list(entries, sig, trust=trust, now=now, tmp_dir=tmp).close()

    naive = naive_loop(entries, max(1, n // sample))
    count = naive.count  # type: ignore[attr-defined]
    naive()  # phonenumbers' metadata loaded outside the timings
    t = interleaved({"naive": naive, "full": full}, repeat)
    per_line = _med(t["full"]) / n
    naive_line = _med(t["naive"]) / count
    speedup = naive_line / per_line
    met = speedup >= FULL_SPEEDUP_TARGET
    verdict = ("OK" if met else "MISSED") if target else "(reported)"
    print(
        f"full verification, {label}: {_med(t['full']):.2f} s = {per_line * 1e6:.2f} us/line; "
        f"naive loop {naive_line * 1e6:.2f} us/line ({count:,} lines) -> {speedup:.1f}x "
        f"(target >= {FULL_SPEEDUP_TARGET}x) {verdict}"
    )
    return met or not target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries (default 1,000,000)")
    parser.add_argument(
        "--rss-n", type=int, default=10_000_000, help="largest RSS check (0 to skip)"
    )
    parser.add_argument("--naive-sample", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, help="keep generated realistic lists here")
    args = parser.parse_args(argv)
    now = T0 + timedelta(hours=1)
    ok = True
    print(f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.rss_n:
            # First, while this process is small (see peak_rss_mb).
            print(f"parent RSS before the children: {_self_rss_mb():.0f} MB", flush=True)
            sizes = sorted({min(1_000_000, args.rss_n), args.rss_n})
            for n in sizes:
                path = realistic_list(n, "phone", tmp, args.cache_dir)
                maxrss, hwm = peak_rss_mb(sign_list(tmp, path, f"rss{n}"), tmp)
                met = max(maxrss, hwm) <= RSS_TARGET_MB
                ok &= met
                print(
                    f"verify + iterate {n:,} realistic entries: peak RSS {maxrss:.0f} MB "
                    f"(ru_maxrss; VmHWM {hwm:.0f} MB) (target <= {RSS_TARGET_MB:.0f} MB) "
                    f"{'OK' if met else 'MISSED'}",
                    flush=True,
                )
                if args.cache_dir is None:
                    path.unlink()
        real = sign_list(tmp, realistic_list(args.n, "phone", tmp, args.cache_dir), "real")
        old_entries = tmp / "old.jsonl"
        write_list(old_entries, args.n)
        old = sign_list(tmp, old_entries, "old")
        mixed = sign_list(tmp, realistic_list(args.n, "mixed", tmp, args.cache_dir), "mixed")
        print(
            f"lists: {args.n:,} entries; realistic {real[0].stat().st_size / 1e6:.0f} MB, "
            f"old {old[0].stat().st_size / 1e6:.0f} MB"
        )
        ok &= bench_hash(real, now, args.repeat)
        for label, paths, target in (
            ("realistic list", real, True),
            ("old list", old, True),
            ("realistic mixed list (naive loop: its phone lines)", mixed, False),
        ):
            met = bench_full(
                label,
                paths,
                now=now,
                tmp=tmp,
                repeat=args.repeat,
                sample=args.naive_sample,
                target=target,
            )
            ok &= met
        for p in (real[0], old[0], mixed[0]):
            if args.cache_dir is None or not p.is_relative_to(args.cache_dir):
                p.unlink()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
