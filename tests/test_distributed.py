"""Tests for antifraud_common.index.distributed on a local Dask cluster.

The cluster has two worker processes (one thread each), so the index really is
pickled, shipped and opened in other processes. Dask is part of the ``test``
extra: when it is missing these tests fail, unless ANTIFRAUD_ALLOW_NO_DASK=1.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from stdnum import luhn

from antifraud_common.errors import BlacklistFormatError, ConfigurationError
from antifraud_common.index import Index
from antifraud_common.index import distributed as dist
from antifraud_common.index.screen import screen
from antifraud_common.models import Entry

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
KINDS = {"phone": "phone", "card": "bank_card"}
COLUMNS = ["phone", "card"]
PARTS = 5
ROWS = 400


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


def entry(value: str, kind: str, action: str, until: datetime | None = None) -> Entry:
    return Entry(
        kind=kind,
        value=value,
        reason="telecom_fraud",
        action=action,
        source="mps",
        case_ref="D-1",
        confidence=90,
        tlp="amber",
        listed_at=T0,
        valid_from=T0 if until is None else until - timedelta(days=30),
        valid_until=until,
    )


def make_card(rnd: random.Random) -> str:
    body = "62" + "".join(rnd.choice("0123456789") for _ in range(14))
    return body + luhn.calc_check_digit(body)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Index, list[Path]]:
    """Five CSV partitions with hits, invalid values, empty cells and bad rows."""
    rnd = random.Random(11)
    root = tmp_path_factory.mktemp("parts")
    records: list[tuple[str, str, str, datetime | None, Entry]] = []
    paths = []
    for p in range(PARTS):
        lines = ["id,phone,card"]
        for i in range(ROWS):
            national = f"13{rnd.randrange(10)}{rnd.randrange(10**8):08d}"
            card = make_card(rnd) if rnd.random() < 0.5 else ""
            r = rnd.random()
            if r < 0.03:
                records.append(("mps", "phones", None, entry("+86" + national, "phone", "block")))
            elif r < 0.05 and card:
                records.append(("pboc", "cards", None, entry(card, "bank_card", "freeze")))
            elif r < 0.06:  # an entry no longer in force: ignored, not a match
                records.append(
                    ("mps", "old", None, entry("+86" + national, "phone", "hold", until=T0))
                )
            shape = rnd.random()
            if shape < 0.02:
                lines.append(f"{p}-{i}")  # missing columns
            elif shape < 0.04:
                lines.append(f'{p}-{i},"{national}"x,{card}')  # unparseable (strict CSV)
            elif shape < 0.08:
                lines.append(f"{p}-{i},{national[:5]},{card[:-1]}")  # invalid values
            else:
                spaced = f"{national[:3]} {national[3:7]} {national[7:]}"
                lines.append(f"{p}-{i},{spaced if shape < 0.2 else national},{card}")
        path = root / f"part-{p}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    index = Index.build(records)
    saved = root / "lists.afidx"
    index.save(saved)
    return saved, index, paths


def local_concatenated(paths: list[Path], index: Index, tmp: Path) -> tuple[list[Any], Any]:
    """Screen the partitions joined into one file (one header) on this process."""
    body: list[str] = []
    offsets = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        # Line n > 1 of the partition is line n + offset of the joined file.
        offsets.append(len(body) - 1 if body else 0)
        body += lines if not body else lines[1:]
    whole = tmp / "whole.csv"
    whole.write_text("\n".join(body) + "\n", encoding="utf-8")
    run = screen(whole, COLUMNS, index, kinds=KINDS, now=NOW)
    found = [m.to_dict() for m in run]
    # Map each match back to (partition, line in the partition).
    for m in found:
        p = max(i for i, o in enumerate(offsets) if o + 2 <= m["line"])
        m["line"] -= offsets[p]
        m["partition"] = str(paths[p])
    return found, run.summary


def stats(client: Any) -> dict[str, dict[str, Any]]:
    return client.run(dist._worker_stats)  # type: ignore[no-any-return]


def test_same_results_as_local_screening_and_index_shipped_once(
    client: Any, data: tuple[Path, Index, list[Path]], tmp_path: Path
) -> None:
    saved, index, paths = data
    before = stats(client)
    runs = [
        dist.screen_partitions(
            saved,
            str(paths[0].parent / "part-*.csv"),
            columns=COLUMNS,
            kinds=KINDS,
            now=NOW,
            client=client,
            cache_dir=str(tmp_path),
        )
        for _ in range(2)
    ]
    after = stats(client)
    expected, whole = local_concatenated(paths, index, tmp_path)
    assert len(expected) > 20
    assert whole.bad_rows > 0
    assert sum(whole.invalid.values()) > 0
    for result in runs:
        assert list(result.matches) == expected
        s = result.summary
        assert s.partitions == PARTS
        assert [p.partition for p in result.partitions] == [str(p) for p in paths]
        for name in (
            "records",
            "values_checked",
            "listed_values",
            "empty",
            "invalid",
            "bad_rows",
            "matches_by_action",
        ):
            assert getattr(s, name) == getattr(whole, name), name
        assert s.records == PARTS * ROWS
        assert not s.ok
        # Every bad row is reported with its partition and its line in that partition.
        assert len(s.bad_row_samples) == whole.bad_rows
        for part, bad in s.bad_row_samples:
            line = Path(part).read_text(encoding="utf-8").splitlines()[bad.line - 1]
            assert line.count(",") < 2 or '"x' in line
    # The index was deserialised about once per worker and run, not once per partition,
    # and opened once per worker process for both runs (the second run found it in the
    # worker's cache). On a loaded machine the scheduler may move a copy between workers
    # once more, so the bound is "fewer than one load per partition": with 2 * PARTS
    # tasks over two workers, shipping per partition gives some worker PARTS loads or more.
    assert set(after) == set(before)
    for worker in after:
        loads = after[worker]["payload_loads"] - before[worker]["payload_loads"]
        opens = after[worker]["index_opens"] - before[worker]["index_opens"]
        assert 2 <= loads < PARTS, (worker, loads)
        assert opens <= 1, worker
        assert runs[0].index_digest in after[worker]["open_digests"] or opens == 0
    done = sum(after[w]["partitions"] - before[w]["partitions"] for w in after)
    assert done == 2 * PARTS
    assert sum(after[w]["index_opens"] - before[w]["index_opens"] for w in after) >= 1
    assert runs[0].index_bytes == saved.stat().st_size
    # Worker processes on one host share one cache file, named after the content.
    assert (tmp_path / f"antifraud-index-{os.getuid()}" / f"{runs[0].index_digest}.afidx").exists()


def test_index_object_and_output_directory(
    client: Any, data: tuple[Path, Index, list[Path]], tmp_path: Path
) -> None:
    _, index, paths = data
    out = tmp_path / "out"
    result = dist.screen_partitions_to_dir(
        index, paths, out, columns=COLUMNS, kinds=KINDS, now=NOW, client=client
    )
    assert list(result.matches) == []
    files = sorted(out.glob("*.jsonl"))
    assert [f.name for f in files] == [f"{i:05d}-part-{i}.jsonl" for i in range(PARTS)]
    written = [json.loads(line) for f in files for line in f.read_text("utf-8").splitlines()]
    for f, p in zip(files, result.partitions, strict=True):
        assert p.output == str(f)
    expected, whole = local_concatenated(paths, index, tmp_path)
    assert written == [{k: v for k, v in m.items() if k != "partition"} for m in expected]
    doc = json.loads((out / "summary.json").read_text("utf-8"))
    assert doc["summary"]["records"] == whole.records
    assert doc["summary"]["bad_rows"] == whole.bad_rows
    assert doc["summary"]["listed_values"] == len(expected)
    assert doc["index_sha256"] == result.index_digest
    assert len(doc["partitions"]) == PARTS
    assert not list(out.glob(".tmp-*"))
    # Cards are masked in every output.
    text = "".join(f.read_text("utf-8") for f in files)
    assert any("*" in m["value"] for m in written)
    for m in written:
        if m["kind"] == "bank_card":
            assert m["value"][6:-4].strip("*") == ""
    assert "freeze" in text


def test_jsonl_partitions_and_auto_kind(client: Any, tmp_path: Path) -> None:
    index = Index.build([("mps", "phones", None, entry("+8613800138000", "phone", "watch"))])
    a = tmp_path / "a.jsonl"
    a.write_text('{"who": "138 0013 8000"}\n{oops\n{"x": 1}\n', encoding="utf-8")
    b = tmp_path / "b.jsonl"
    b.write_text('{"who": "+86 138 0013 8000"}\n', encoding="utf-8")
    result = dist.screen_partitions(index, [a, b], columns=["who"], now=NOW, client=client)
    assert [(m["partition"], m["line"], m["kind"]) for m in result.matches] == [
        (str(a), 1, "phone"),
        (str(b), 1, "phone"),
    ]
    s = result.summary
    assert (s.records, s.bad_rows, s.listed_values) == (4, 2, 2)
    assert [(p, b.line, b.reason) for p, b in s.bad_row_samples] == [
        (str(a), 2, "unparseable"),
        (str(a), 3, "missing_column"),
    ]
    assert s.to_dict()["bad_row_samples"][0] == {
        "partition": str(a),
        "line": 2,
        "reason": "unparseable",
        "detail": s.bad_row_samples[0][1].detail,
    }


def test_errors_name_the_partition(client: Any, tmp_path: Path) -> None:
    index = Index.build(())
    good = tmp_path / "good.csv"
    good.write_text("phone\n13800138000\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("caller\n13800138000\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as e:
        dist.screen_partitions(index, [good, bad], columns=["phone"], now=NOW, client=client)
    assert e.value.code == "no_such_column"
    assert str(bad) in str(e.value)
    # Options are checked on the client before anything is sent.
    with pytest.raises(ConfigurationError) as e:
        dist.screen_partitions(
            index, [good], columns=["phone"], kinds={"phone": "fax"}, client=client
        )
    assert e.value.code == "invalid_kind"
    with pytest.raises(ConfigurationError) as e:
        dist.screen_partitions(index, str(tmp_path / "none-*.csv"), columns=["x"], client=client)
    assert e.value.code == "no_partitions"
    with pytest.raises(ConfigurationError) as e:
        dist.screen_partitions(index, [good, good], columns=["phone"], client=client)
    assert e.value.code == "duplicate_partition"


def test_damaged_index_file_fails_on_the_client(tmp_path: Path) -> None:
    path = tmp_path / "x.afidx"
    Index.build([("mps", "p", None, entry("+8613800138000", "phone", "block"))]).save(path)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(BlacklistFormatError) as e:
        dist.IndexPayload.from_index(path)
    assert e.value.code == "index_corrupt"
    with pytest.raises(ConfigurationError) as e2:
        dist.IndexPayload.from_index(tmp_path / "missing.afidx")
    assert e2.value.code == "index_unreadable"


def test_worker_cache_reuses_and_rewrites_files(tmp_path: Path) -> None:
    index = Index.build([("mps", "p", None, entry("+8613800138000", "phone", "block"))])
    payload = dist.IndexPayload.from_index(index)
    assert "digest=" in repr(payload) and str(payload.size) in repr(payload)
    cache = tmp_path / f"antifraud-index-{os.getuid()}"
    cache.mkdir(mode=0o700)
    # A damaged leftover with the right name is replaced, not trusted.
    (cache / f"{payload.digest}.afidx").write_bytes(b"\0" * payload.size)
    opened = dist._local_index(payload, str(tmp_path))
    assert opened.check_key("phone", "+8613800138000").listed
    assert (cache / f"{payload.digest}.afidx").read_bytes() == payload.data
    assert dist._local_index(payload, str(tmp_path)) is opened


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    path = tmp_path / "r.csv"
    path.write_text("phone\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as e:
        dist.screen_partitions(Index.build(()), [path], columns=["phone"])
    assert e.value.code == "missing_extra"
    assert "pip install 'antifraud-common[dask]'" in str(e.value)


def run_cli(argv: list[str]) -> int:
    import argparse

    from antifraud_common.cli import _dist

    parser = argparse.ArgumentParser(prog="antifraud")
    _dist.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)  # type: ignore[no-any-return]


def test_cli_screen_dist(
    client: Any,
    data: tuple[Path, Index, list[Path]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    saved, index, paths = data
    out = tmp_path / "cli"
    argv = [
        "screen-dist",
        str(paths[0].parent / "part-[0-2].csv"),
        str(paths[3]),
        "--index",
        str(saved),
        "--column",
        "phone:phone",
        "--column",
        "card:card",
        "--now",
        "2026-06-01T00:00:00Z",
        "--out",
        str(out),
        "--scheduler",
        client.scheduler.address,
        "--json",
    ]
    assert run_cli(argv) == 1  # listed values and bad rows
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "screen-dist"
    assert doc["ok"] is False
    assert doc["partitions"] == 4
    expected, whole = local_concatenated(paths[:4], index, tmp_path)
    assert doc["records"] == whole.records == 4 * ROWS
    assert doc["bad_rows"] == whole.bad_rows
    assert doc["listed_values"] == len(expected)
    assert len(list(out.glob("*.jsonl"))) == 4
    # Human output on stderr; a usage problem is exit status 2.
    assert run_cli(argv[:-1]) == 1
    assert "listed" in capsys.readouterr().err
    with pytest.raises(Exception) as e:
        run_cli([*argv[:2], "--index", str(saved), "--column", "phone:fax", "--out", str(out)])
    assert type(e.value).__name__ == "UsageError"


def test_cli_local_cluster(client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # ``client`` only for its dask check: the command starts its own local cluster.
    index = Index.build([("mps", "p", None, entry("+8613800138000", "phone", "block"))])
    index.save(tmp_path / "i.afidx")
    (tmp_path / "r.csv").write_text("phone\n13900139000\n", encoding="utf-8")
    argv = ["screen-dist", str(tmp_path / "r.csv"), "--index", str(tmp_path / "i.afidx")]
    argv += ["--column", "phone:phone", "--out", str(tmp_path / "o"), "--workers", "1"]
    assert run_cli(argv) == 0
    assert "1 records in 1 partitions" in capsys.readouterr().err
    assert (tmp_path / "o" / "00000-r.jsonl").read_text("utf-8") == ""


def test_default_client_is_used(client: Any, tmp_path: Path) -> None:
    index = Index.build([("mps", "p", None, entry("+8613800138000", "phone", "freeze"))])
    (tmp_path / "r.csv").write_text("phone\n13800138000\n", encoding="utf-8")
    result = dist.screen_partitions(index, [tmp_path / "r.csv"], columns=["phone"], now=NOW)
    assert result.summary.matches_by_action["freeze"] == 1
    assert result.summary.ok is False


def test_cache_directory_open_to_others_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / f"antifraud-index-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    private = dist._cache_dir(str(tmp_path))
    assert private != shared
    assert private.stat().st_mode & 0o077 == 0
    shared.chmod(0o700)
    assert dist._cache_dir(str(tmp_path)) == shared


def test_merged_samples_are_capped_counts_exact() -> None:
    from antifraud_common.index.screen import BadRow, ScreenSummary

    bad = tuple(BadRow(line=i, reason="unparseable") for i in range(1, 701))
    part = ScreenSummary(
        format="csv",
        records=700,
        values_checked=0,
        listed_values=0,
        empty={"c": 0},
        invalid={"c": 0},
        bad_rows=700,
        matches_by_action={"block": 0},
        bad_row_samples=bad,
        invalid_samples=(),
    )
    total = dist.merge_summaries([("a", part), ("b", part)])
    assert total.bad_rows == 1400
    assert len(total.bad_row_samples) == 1000
    assert total.bad_row_samples[-1] == ("b", BadRow(line=300, reason="unparseable"))
    assert not total.ok


def test_partition_task_in_process_and_cache_eviction(tmp_path: Path) -> None:
    """The worker-side code, run here so its branches are visible to coverage."""
    import pickle

    payloads = [
        dist.IndexPayload.from_index(
            Index.build([("mps", "p", None, entry(f"+861380013800{i}", "phone", "hold"))])
        )
        for i in range(3)
    ]
    # Unpickling is what a worker does once per run: it is counted.
    loads = dist._worker_stats()["payload_loads"]
    copy = pickle.loads(pickle.dumps(payloads[0]))
    assert copy == payloads[0]
    assert dist._worker_stats()["payload_loads"] == loads + 1
    path = tmp_path / "r.csv"
    path.write_text("phone\n13800138000\n13800138001\nx\n", encoding="utf-8")
    job = dist._Job(
        columns=("phone",),
        kinds={"phone": "phone"},
        region="CN",
        now=NOW,
        fmt="auto",
        out_dir=None,
        cache_dir=str(tmp_path),
    )
    got = dist._screen_partition(0, str(path), payloads[0], job)
    assert [(m["line"], m["partition"]) for m in got.matches] == [(2, str(path))]
    assert got.summary.invalid == {"phone": 1}
    out = tmp_path / "out"
    out.mkdir()
    job = attrs.evolve(job, out_dir=str(out))
    got = dist._screen_partition(7, str(path), payloads[1], job)
    assert got.output == str(out / "00007-r.jsonl")
    lines = (out / "00007-r.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(x)["line"] for x in lines] == [3]
    # A third index evicts the oldest: its cache file goes, the newest two stay open.
    dist._screen_partition(1, str(path), payloads[2], job)
    cache = tmp_path / f"antifraud-index-{os.getuid()}"
    assert not (cache / f"{payloads[0].digest}.afidx").exists()
    assert set(dist._worker_stats()["open_digests"]) >= {p.digest for p in payloads[1:]}
    assert payloads[0].digest not in dist._worker_stats()["open_digests"]
    # An error names the partition and keeps its code.
    with pytest.raises(ConfigurationError) as e:
        dist._screen_partition(2, str(tmp_path / "nope.csv"), payloads[2], job)
    assert e.value.code == "unreadable"
    assert str(tmp_path / "nope.csv") in str(e.value)


def test_parquet_partitions_use_the_same_code(
    client: Any, tmp_path: Path, data: tuple[Path, Index, list[Path]]
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pacsv = pytest.importorskip("pyarrow.csv")
    _, index, paths = data
    # The quoted rows of the CSV partitions are left out: Parquet has no such thing.
    root = tmp_path / "calls"
    expected = []
    for p, path in enumerate(paths):
        kept = [x for x in path.read_text(encoding="utf-8").splitlines() if '"' not in x]
        plain = tmp_path / f"plain-{p}.csv"
        plain.write_text("\n".join(kept) + "\n", encoding="utf-8")
        run = screen(plain, COLUMNS, index, kinds=KINDS, now=NOW)
        expected += [(m.column, m.masked_value, m.action.value) for m in run]
        table = pacsv.read_csv(
            plain,
            convert_options=pacsv.ConvertOptions(
                column_types={"id": pa.string(), "phone": pa.string(), "card": pa.string()}
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        )
        (root / f"day=2026-01-0{p + 1}").mkdir(parents=True)
        pq.write_table(table, root / f"day=2026-01-0{p + 1}" / "part-0.parquet")
    result = dist.screen_partitions(
        index, root, columns=COLUMNS, kinds=KINDS, now=NOW, client=client
    )
    assert result.summary.partitions == PARTS
    got = [(m["column"], m["value"], m["action"]) for m in result.matches]
    assert sorted(got) == sorted(expected) and got
    assert all(part.summary.format == "parquet" for part in result.partitions)
