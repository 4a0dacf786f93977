"""screen_call_partitions: the Dask extra gives the totals of one screen_calls run."""

from __future__ import annotations

import io
import json
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from antifraud_common.callerid import CallChecker, CallerRanges
from antifraud_common.callerid.distributed import screen_call_partitions
from antifraud_common.callerid.screen import screen_calls
from antifraud_common.errors import ConfigurationError
from antifraud_common.index import Index
from antifraud_common.models import Entry

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
INGRESS = ["international", "interconnect", "subscriber", "private_line", "voip", "bogus"]
CALLERS = [
    "+8613800138000",
    "138 0013 8001",
    "95588",
    "4001234567",
    "+8615400138000",
    "106901234567",
    "+85251234567",
    "x",
    "",
    "+861062345678",
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    try:
        import distributed
    except ImportError:
        if os.environ.get("ANTIFRAUD_ALLOW_NO_DASK") == "1":
            pytest.skip("dask is not installed and ANTIFRAUD_ALLOW_NO_DASK=1")
        pytest.fail("dask[distributed] is not installed: pip install -e '.[test]'")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def _index() -> Index:
    e = Entry(
        kind="phone",
        value="+8613800138001",
        reason="telecom_fraud",
        action="block",
        source="mps",
        case_ref="A-1",
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=T0,
    )
    return Index.build([("mps", "fraud-phones", None, e)])


def _parts(tmp_path: Path) -> list[Path]:
    rnd = random.Random(7)
    paths = []
    for p in range(3):
        rows = ["caller,callee,via,trunk"]
        for _ in range(200):
            rows.append(
                ",".join(
                    [
                        rnd.choice(CALLERS),
                        rnd.choice(["+8613900139000", "110"]),
                        rnd.choice(INGRESS),
                        rnd.choice(["t1", "t2", ""]),
                    ]
                )
            )
        rows.append("short,row")
        path = tmp_path / f"calls-{p}.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_partitions_equal_one_run(tmp_path: Path, client: Any) -> None:
    paths = _parts(tmp_path)
    options = {
        "calling": "caller",
        "called": "callee",
        "ingress": "via",
        "trunk": "trunk",
        "ranges": {"t1": CallerRanges.of(["+86106"])},
    }
    data = {
        "dno": frozenset({"+861062345678"}),
        "presenters": {"tel:95588;phone-context=+86": frozenset({"t2"})},
    }
    result = screen_call_partitions(
        [str(p) for p in paths], index=_index(), now=NOW, client=client, **options, **data
    )
    whole = "".join(
        p.read_text(encoding="utf-8").split("\n", 1)[1] if i else p.read_text(encoding="utf-8")
        for i, p in enumerate(paths)
    )
    checker = CallChecker(index=_index(), now=NOW, **data)
    run = screen_calls(io.StringIO(whole), checker=checker, **options)
    single = [(f.verdict.action, f.verdict.rule_ids) for f in run]
    got = [
        (f["action"], tuple(r["id"] for r in f["rules"]))
        for part in result.partitions
        for f in part.findings
    ]
    assert [(a.value, r) for a, r in single] == got
    total, one = result.summary, run.summary
    assert total.records == one.records and total.by_rule == one.by_rule
    assert total.by_action == one.by_action and total.bad_rows == one.bad_rows
    assert total.bad_rows_by_reason == one.bad_rows_by_reason
    assert total.bad_rows_by_reason["wrong_cell_count"] == 3
    assert total.by_rule["blacklisted"] > 0 and total.by_rule["dno_listed"] > 0
    assert result.partitions[1].findings[0]["partition"] == str(paths[1])


def test_findings_to_files(tmp_path: Path, client: Any) -> None:
    paths = _parts(tmp_path)
    out = tmp_path / "out"
    result = screen_call_partitions(
        str(tmp_path / "calls-*.csv"),
        calling="caller",
        called="callee",
        ingress="via",
        out_dir=out,
        client=client,
    )
    files = sorted(out.glob("*.jsonl"))
    assert [f.name for f in files] == [f"{i:05d}-calls-{i}.jsonl" for i in range(3)]
    lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
    assert lines == result.summary.flagged and all(not p.findings for p in result.partitions)
    json.loads(files[0].read_text(encoding="utf-8").splitlines()[0])
    assert len(paths) == 3


def test_errors_name_the_partition(tmp_path: Path, client: Any) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as e:
        screen_call_partitions(
            [str(bad)], calling="caller", called="callee", ingress="via", client=client
        )
    assert e.value.code == "no_such_column" and "bad.csv" in str(e.value)
    with pytest.raises(ConfigurationError):
        screen_call_partitions(
            [str(bad)], calling="a", called="b", ingress="c", dno=CallChecker(), client=client
        )  # type: ignore[arg-type]
