"""Index.probe_columns (columnar screening's bulk probe) gives check_key's results.

Its common hits -- one row, in force, the list not expired, no pending updates -- are
decided for a whole batch at once; every other row takes the general evaluation. Both
must give the result a single lookup gives, whatever the row's state.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from antifraud_common.index import Index  # noqa: E402
from antifraud_common.models import Entry, IdentifierKind  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from _entry_kit import T0, listed  # noqa: E402

NOW = T0 + timedelta(days=30)


def _entry(value: str, action: str = "block", **times: datetime) -> Entry:
    return listed("phone", value, action, case_ref=f"案-{value[-4:]}", **times)


def _summary(r: object) -> tuple[object, ...]:
    return (
        r.value,  # type: ignore[attr-defined]
        r.listed,  # type: ignore[attr-defined]
        r.action,  # type: ignore[attr-defined]
        [(m.issuer, m.list_id, m.case_ref, m.action) for m in r.matches],  # type: ignore[attr-defined]
        [(m.issuer, m.list_id, reason) for m, reason in r.ignored],  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("pending", [False, True])
def test_bulk_results_equal_single_lookups(pending: bool) -> None:
    records = [
        ("mps", "a", None, _entry("+8613800000001")),  # plain hit
        ("mps", "a", None, _entry("+8613800000002", "watch")),
        ("mps", "a", None, _entry("+8613800000003", valid_from=NOW + timedelta(days=1))),
        ("mps", "a", None, _entry("+8613800000004", valid_until=NOW - timedelta(days=1))),
        ("mps", "a", None, _entry("+8613800000005", valid_until=NOW + timedelta(days=1))),
        ("mps", "old", NOW - timedelta(hours=1), _entry("+8613800000006")),  # list expired
        ("mps", "a", None, _entry("+8613800000007")),  # two rows for one key
        ("bank", "b", None, _entry("+8613800000007", "freeze")),
        ("mps", "a", None, _entry("+8613800000008", listed_at=NOW + timedelta(days=2))),
    ]
    index = Index.build(records)
    if pending:
        index.apply_changes(
            "mps",
            "a",
            added=[_entry("+8613800000009", "hold")],
            removed=[(IdentifierKind.PHONE, "+8613800000005")],
        )
    keys = np.array([8613800000000 + i for i in range(12)], dtype=np.uint64)
    now_ts = int(NOW.timestamp())
    positions, results = index.probe_columns(IdentifierKind.PHONE, keys, now_ts)
    assert positions == sorted(positions)
    for j, r in zip(positions, results, strict=True):
        single = index.check_key(IdentifierKind.PHONE, f"+{int(keys[j])}", now=NOW)
        assert _summary(r) == _summary(single)
    found = {int(keys[j]) for j in positions}
    assert 8613800000001 in found and 8613800000007 in found
    assert (8613800000009 in found) is pending
    pairs = index.probe_array(IdentifierKind.PHONE, keys, now_ts)
    assert [(j, _summary(r)) for j, r in pairs] == [
        (j, _summary(r)) for j, r in zip(positions, results, strict=True)
    ]
