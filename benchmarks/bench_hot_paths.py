"""Benchmark: what one more Python call would cost on the paths kept above the complexity limit.

ruff's C901 limit (15) is waived only for functions where splitting adds a call per
lookup or per value (see pyproject.toml). This measures, in one run, the per-call cost
of each such function's caller and the cost of one extra call of the same arity:

* ``Index._evaluate``: a ``check_key`` hit on an index with a pending update (every hit
  then takes the general path through ``_evaluate``);
* ``canonical._dump``: ``canonical.dumps`` of one entry's dict (one ``_dump`` per value).

    python benchmarks/bench_hot_paths.py --hits 20000 --repeat 15
"""

from __future__ import annotations

import argparse
import random
import timeit
from datetime import UTC, datetime

import attrs

from antifraud_common.format import canonical
from antifraud_common.index import Index
from antifraud_common.models import Entry


def _noop(*_args: object) -> None:
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hits", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    t = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(1)
    values = sorted({f"+86138{rng.randrange(10**8):08d}" for _ in range(2 * args.hits)})
    base = Entry(
        kind="phone", value=values[0], reason="telecom_fraud", action="block", source="mps",
        case_ref="A-1", confidence=90, tlp="amber", listed_at=t, valid_from=t,
    )  # fmt: skip
    index = Index.build(("mps", "l", None, attrs.evolve(base, value=v)) for v in values)
    index.apply_changes("mps", "l", [attrs.evolve(base, value="+8613999999999")])
    hits = values[: args.hits]
    check_key = index.check_key
    assert all(check_key("phone", v).listed for v in hits[:100])

    def best(fn: object, n: int) -> float:
        return min(timeit.repeat(fn, number=1, repeat=args.repeat)) / n * 1e9  # type: ignore[arg-type]

    evaluate = best(lambda: [check_key("phone", v) for v in hits], len(hits))
    call6 = best(lambda: [_noop(1, 2, 3, 4, 5, 6) for _ in hits], len(hits))
    print(
        f"check_key hit through Index._evaluate: {evaluate:.0f} ns; one more 6-argument "
        f"call: {call6:.0f} ns ({100 * call6 / evaluate:.1f} %)"
    )
    d = base.to_dict()
    n = 5_000
    dumps = best(lambda: [canonical.dumps(d) for _ in range(n)], n)
    call2 = best(lambda: [_noop(1, 2) for _ in range(n)], n)
    per_value = call2 * (len(d) + 1)
    print(
        f"canonical.dumps of one entry ({len(d) + 1} values): {dumps:.0f} ns; one more call "
        f"per value: {per_value:.0f} ns ({100 * per_value / dumps:.1f} %)"
    )


if __name__ == "__main__":
    main()
