"""Instructions per entry of verification, reading and accepting a list: a load-proof compare.

Wall-clock medians on a shared machine move by several per cent between runs;
instruction counts under ``valgrind --tool=callgrind`` do not (the same binary,
input and environment give the same count whatever else the machine does). This
benchmark counts them for two installations of the library side by side, for
example the code before and after a refactoring, each in its own virtual
environment:

    python benchmarks/bench_instructions.py --python OLD/.venv/bin/python \\
        --python NEW/.venv/bin/python --n 20000

For each workload it runs every interpreter on a list of ``n`` and of ``2n``
entries and reports the difference divided by ``n``: the instructions one more
entry costs, free of start-up, imports and lazily loaded tables. Workloads:

* ``check``: :func:`~antifraud_common.exchange.check_entries` of the file;
* ``verify``: :func:`~antifraud_common.exchange.verify_list` and reading every
  entry of the verified list;
* ``accept``: ``verify_list`` and ``ReceiverState.accept`` into a new state;
* ``rebuild``: ``accept``, then ``Index.build(state.iter_records())``.

The list (written once, by the interpreter running this script) mixes phone
numbers, bank cards and bank accounts, with distinct timestamps, case references
partly in Chinese, and an end of validity on about a third of the entries.
Needs valgrind (Debian package ``valgrind``).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WORKLOADS = ("check", "verify", "accept", "rebuild")

# What one workload runs (argv: folder, workload); the same text for every interpreter.
RUN = """
import sys, tempfile
from datetime import UTC, datetime
from pathlib import Path
from antifraud_common.exchange import NO_PROTECTED, check_entries, load_trust, verify_list
from antifraud_common.exchange.state import ReceiverState
d, what = Path(sys.argv[1]), sys.argv[2]
now = datetime(2026, 1, 2, tzinfo=UTC)
trust = load_trust(d / "trust.json", d / "trust.json.sig", now=now)
entries, sig = d / "l.jsonl", d / "l.jsonl.sig"
if what == "check":
    assert check_entries(entries, protected=NO_PROTECTED).entry_count
elif what == "verify":
    with verify_list(entries, sig, trust=trust, now=now, protected=NO_PROTECTED) as v:
        assert sum(1 for _ in v.iter_entries())
else:
    with tempfile.TemporaryDirectory() as tmp:
        state = ReceiverState.open(Path(tmp) / "s")
        with verify_list(entries, sig, trust=trust, now=now, protected=NO_PROTECTED) as v:
            state.accept(v, now=now)
        if what == "rebuild":
            from antifraud_common.index import Index
            assert len(Index.build(state.iter_records()))
        state.close()
"""


def _card(rng: random.Random) -> str:
    from stdnum import luhn

    body = "622202" + "".join(rng.choice("0123456789") for _ in range(12))
    return body + luhn.calc_check_digit(body)


def make_list(folder: Path, n: int, seed: int = 7) -> None:
    """Write a signed list of ``n`` mixed entries and its trust bundle into ``folder``."""
    from antifraud_common import phone
    from antifraud_common.exchange import sign_list, write_entries
    from antifraud_common.exchange.trust import (
        Member,
        PublishRule,
        create_trust_bundle,
        sign_trust_bundle,
    )
    from antifraud_common.format.jsonl import write_atomic
    from antifraud_common.format.keys import LocalSigner
    from antifraud_common.models import Entry

    rng = random.Random(seed)
    signer, root = LocalSigner.generate(), LocalSigner.generate()
    rule = PublishRule(
        list_type="fraud_numbers",
        kinds=["phone", "bank_card", "bank_account"],
        actions=["block", "watch", "hold"],
    )
    trust = create_trust_bundle(
        bundle_id="bench",
        root_keys=[root.public_key],
        root_threshold=1,
        issued_at=T0,
        expires=T0 + timedelta(days=3650),
        members=[Member(agency="mps", name="MPS", keys=[signer.public_key], publish=[rule])],
    )
    write_atomic(folder / "trust.json", trust.to_bytes())
    write_atomic(folder / "trust.json.sig", sign_trust_bundle(trust.to_bytes(), [root]))
    seen: set[tuple[str, str]] = set()
    entries = []
    while len(entries) < n:
        pick = rng.random()
        if pick < 0.7:
            kind, value = (
                "phone",
                f"+861{rng.choice(['38', '39', '58', '86'])}{rng.randrange(10**8):08d}",
            )
            if not phone.is_valid(value):
                continue
        elif pick < 0.85:
            kind, value = "bank_card", _card(rng)
        else:
            kind, value = "bank_account", str(rng.randrange(10**15, 10**19))
        if (kind, value) in seen:
            continue
        seen.add((kind, value))
        listed = T0 - timedelta(seconds=rng.randrange(10**7))
        case = rng.choice(["案件", "MPS-", "公安-", "ICBC-"]) + str(rng.randrange(10**6))
        until = None if rng.random() < 0.7 else listed + timedelta(days=rng.randrange(30, 400))
        entries.append(
            Entry.from_raw(
                kind=kind,
                value=value,
                reason="telecom_fraud",
                action=rng.choice(["block", "watch", "hold"]),
                source="mps",
                case_ref=case,
                confidence=rng.randrange(50, 100),
                tlp=rng.choice(["amber", "red", "green"]),
                listed_at=listed,
                valid_from=listed,
                valid_until=until,
            )
        )
    write_entries(folder / "l.jsonl", entries)
    sign_list(
        folder / "l.jsonl",
        signers=[signer],
        issuer="mps",
        list_id="bench",
        list_type="fraud_numbers",
        version=1,
        issued_at=T0,
        expires=T0 + timedelta(days=3000),
        protected=None,
    )


def count(python: str, script: Path, folder: Path, workload: str, out: Path) -> int:
    """Instructions ``python`` executes running ``workload`` on ``folder``, under callgrind."""
    # One plain run first, so byte code is compiled and cached before counting.
    subprocess.run([python, str(script), str(folder), workload], check=True)
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            python,
            str(script),
            str(folder),
            workload,
        ],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"},
    )
    m = re.search(r"Collected : (\d+)", done.stderr)
    if m is None:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(m.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        action="append",
        required=True,
        help="an interpreter with antifraud_common installed (repeat)",
    )
    parser.add_argument("--n", type=int, default=20_000, help="entries of the smaller list")
    parser.add_argument(
        "--workload", action="append", choices=WORKLOADS, help="workloads to count (default: all)"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    workloads = args.workload or list(WORKLOADS)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        script = root / "run.py"
        script.write_text(RUN, encoding="utf-8")
        sizes = (args.n, 2 * args.n)
        for size in sizes:
            (root / str(size)).mkdir()
            make_list(root / str(size), size)
        small, big = sizes
        print(f"instructions per entry (count at {big:,} minus at {small:,}, / {args.n:,})")
        print(f"{'workload':<10}" + "".join(f"{p[-40:]:>44}" for p in args.python))
        for workload in workloads:
            cells = []
            for i, python in enumerate(args.python):
                small, large = (
                    count(python, script, root / str(s), workload, root / f"cg.{i}.{s}.out")
                    for s in sizes
                )
                cells.append(f"{(large - small) / args.n:>44,.0f}")
            print(f"{workload:<10}" + "".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
