"""Tests for the receiver state: accepting snapshots and deltas; refusals keep the old state."""

from __future__ import annotations

import importlib.util
import random
import sqlite3
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.errors import (
    DeltaBaseMismatchError,
    DeltaMismatchError,
    ForkError,
    ProtectedIdentifierError,
    RollbackError,
    StateError,
)
from antifraud_common.exchange import state as state_mod
from antifraud_common.exchange.signing import verify_list
from antifraud_common.exchange.state import ReceiverState


def _kit() -> ModuleType:
    name = "_exchange_kit"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).with_name("_exchange_kit.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


K = _kit()


@pytest.fixture(scope="module")
def kit() -> object:
    return K.Kit()


def accept(state: ReceiverState, kit: object, paths: tuple[Path, Path]) -> object:
    with verify_list(paths[0], paths[1], trust=kit.trust, state=state) as v:  # type: ignore[attr-defined]
        return state.accept(v)


def rows(state: ReceiverState) -> list[bytes]:
    return list(state.iter_lines(K.ISSUER, K.LIST_ID))


def snapshot_bytes(state: ReceiverState) -> bytes:
    return b"".join(rows(state))


def assert_state_is(state: ReceiverState, path: Path, version: int) -> None:
    rec = state.get(K.ISSUER, K.LIST_ID)
    assert rec is not None and rec.version == version
    data = path.read_bytes()
    assert snapshot_bytes(state) == data
    assert rec.state_sha256 == K.sha_file(path)
    assert rec.entry_count == data.count(b"\n")
    assert state.check() == []


def test_open_creates_private_files(tmp_path: Path) -> None:
    d = tmp_path / "state"
    with ReceiverState.open(d) as s:
        assert s.lists() == []
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE((d / state_mod.DB_NAME).stat().st_mode) == 0o600
    with ReceiverState.open(d) as s:  # reopening keeps the schema
        assert s.get("a", "b") is None


def test_wrong_schema_version_refused(tmp_path: Path) -> None:
    ReceiverState.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / state_mod.DB_NAME)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(StateError) as e:
        ReceiverState.open(tmp_path)
    assert e.value.code == "state_schema"


def _downgrade_to_schema_2(db: Path) -> None:
    """Rewrite a current state into the schema 2 layout (chunks in a ``WITHOUT ROWID`` table)."""
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "CREATE TABLE chunks_v2 (issuer TEXT NOT NULL, list_id TEXT NOT NULL, "
            "first_key BLOB NOT NULL, line_count INTEGER NOT NULL, data BLOB NOT NULL, "
            "PRIMARY KEY (issuer, list_id, first_key)) WITHOUT ROWID"
        )
        conn.execute(
            "INSERT INTO chunks_v2 SELECT issuer, list_id, first_key, line_count, data FROM chunks"
        )
        conn.execute("DROP TABLE chunks")
        conn.execute("ALTER TABLE chunks_v2 RENAME TO chunks")
    conn.execute("PRAGMA user_version=2")
    conn.close()


def _assert_current_schema(db: Path) -> None:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == state_mod.SCHEMA_VERSION == 3
    columns = [r[1] for r in conn.execute("PRAGMA table_info(entries)")]
    assert columns == ["issuer", "list_id", "kind", "value"]
    columns = [r[1] for r in conn.execute("PRAGMA table_info(chunks)")]
    assert columns == ["id", "issuer", "list_id", "first_key", "line_count", "data"]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert "chunk_keys" not in names and "chunks_v2" not in names
    assert "chunks_by_key" in names
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_schema_1_state_is_migrated(tmp_path: Path, kit: object, chain: dict) -> None:
    """A state written with schema 1 (lines stored in ``entries`` too) opens and keeps working."""
    with ReceiverState.open(tmp_path / "st") as state:
        _raw_accept(state, kit, chain["s1"])
    db = tmp_path / "st" / state_mod.DB_NAME
    _downgrade_to_schema_2(db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("ALTER TABLE entries RENAME TO keys_only")
        conn.execute(
            "CREATE TABLE entries (issuer TEXT NOT NULL, list_id TEXT NOT NULL, "
            "kind TEXT NOT NULL, value TEXT NOT NULL, line BLOB NOT NULL, "
            "PRIMARY KEY (issuer, list_id, kind, value)) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO entries SELECT *, x'7b7d0a' FROM keys_only")
        conn.execute("DROP TABLE keys_only")
        conn.execute("CREATE INDEX chunk_keys ON chunks (issuer, list_id, first_key)")
    conn.execute("PRAGMA user_version=1")
    conn.close()
    with ReceiverState.open(tmp_path / "st") as state:
        assert_state_is(state, chain["s1"][0], 1)
        _raw_accept(state, kit, chain["d2"])
        assert_state_is(state, chain["s2"][0], 2)
    _assert_current_schema(db)


def test_schema_2_state_is_migrated(tmp_path: Path, kit: object, chain: dict) -> None:
    """A schema 2 state (chunks in a ``WITHOUT ROWID`` table) opens and keeps working."""
    with ReceiverState.open(tmp_path / "st") as state:
        _raw_accept(state, kit, chain["s1"])
        before = rows(state)
    db = tmp_path / "st" / state_mod.DB_NAME
    _downgrade_to_schema_2(db)
    conn = sqlite3.connect(db)
    assert next(r[1] for r in conn.execute("PRAGMA table_info(chunks)")) == "issuer"
    conn.close()
    with ReceiverState.open(tmp_path / "st") as state:
        assert rows(state) == before
        assert_state_is(state, chain["s1"][0], 1)
        _raw_accept(state, kit, chain["d2"])
        assert_state_is(state, chain["s2"][0], 2)
        _raw_accept(state, kit, chain["d3"])
        assert_state_is(state, chain["s3"][0], 3)
    _assert_current_schema(db)
    with ReceiverState.open(tmp_path / "st") as state:  # opening again changes nothing
        assert_state_is(state, chain["s3"][0], 3)


def test_lookup_finds_every_key_and_nothing_else(tmp_path: Path, kit: object) -> None:
    n = state_mod.CHUNK_LINES
    items = [K.phone_entry(i * 10) for i in range(3 * n + 5)]
    s1 = kit.snapshot(tmp_path, "v1", items, 1)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        assert state.lookup("phone", items[0].value) == []
        accept(state, kit, s1)
        for e in items:
            assert state.lookup("phone", e.value) == [(K.ISSUER, K.LIST_ID, e)]
        for i in (-1, 5, 10 * len(items)):  # below, between and above the stored keys
            assert state.lookup("phone", f"+86138{i:08d}") == []
        assert state.lookup("bank_card", items[0].value) == []
        assert state.lookup("phone", "\ud800") == []


def test_snapshot_then_deltas(tmp_path: Path, kit: object) -> None:
    rng = random.Random(1)
    v1 = K.random_list(rng, 300)
    v2 = K.mutate(rng, v1, 60)
    v3 = K.mutate(rng, v2, 90)
    pub = tmp_path / "pub"
    pub.mkdir()
    s1 = kit.snapshot(pub, "v1", K.entries_of(v1), 1)  # type: ignore[attr-defined]
    s2 = kit.snapshot(pub, "v2", K.entries_of(v2), 2)  # type: ignore[attr-defined]
    s3 = kit.snapshot(pub, "v3", K.entries_of(v3), 3)  # type: ignore[attr-defined]
    d2 = kit.delta(pub, "v2", s1[0], s2[0], 2, 1)  # type: ignore[attr-defined]
    d3 = kit.delta(pub, "v3", s2[0], s3[0], 3, 2)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        r = accept(state, kit, s1)
        assert r.action == "snapshot" and r.entry_count == 300  # type: ignore[attr-defined]
        assert_state_is(state, s1[0], 1)
        r = accept(state, kit, d2)
        assert r.action == "delta" and r.old_version == 1  # type: ignore[attr-defined]
        assert r.adds + r.replaces + r.removes > 0  # type: ignore[attr-defined]
        assert_state_is(state, s2[0], 2)
        accept(state, kit, d3)
        assert_state_is(state, s3[0], 3)
        # Re-applying what is already there changes nothing.
        assert accept(state, kit, s3).action == "unchanged"  # type: ignore[attr-defined]
        # Export reproduces the snapshot file byte for byte.
        out = tmp_path / "export.jsonl"
        assert state.export_snapshot(K.ISSUER, K.LIST_ID, out) == K.sha_file(s3[0])
        assert out.read_bytes() == s3[0].read_bytes()
        # Entries and index records.
        entries = list(state.iter_entries())
        assert [e.value for e in entries] == sorted(f"+86138{k:08d}" for k in v3)
        recs = list(state.iter_records(issuer=K.ISSUER))
        assert recs[0][:3] == (K.ISSUER, K.LIST_ID, K.EXPIRES)
        hit = state.lookup("phone", entries[0].value)
        assert hit == [(K.ISSUER, K.LIST_ID, entries[0])]


def test_snapshot_into_other_list_keeps_lists_apart(tmp_path: Path, kit: object) -> None:
    a = kit.snapshot(tmp_path, "a", [K.phone_entry(1)], 1, list_id="list-a")  # type: ignore[attr-defined]
    b = kit.snapshot(tmp_path, "b", [K.phone_entry(1), K.phone_entry(2)], 1, list_id="list-b")  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, a)
        accept(state, kit, b)
        assert [r.list_id for r in state.lists()] == ["list-a", "list-b"]
        assert len(state.lookup("phone", K.phone_entry(1).value)) == 2
        assert state.forget(K.ISSUER, "list-a")
        assert [r.list_id for r in state.lists()] == ["list-b"]
        assert state.check() == []


@pytest.fixture
def chain(tmp_path: Path, kit: object) -> dict[str, tuple[Path, Path]]:
    rng = random.Random(7)
    v1 = K.random_list(rng, 200)
    v2 = K.mutate(rng, v1, 30)
    v3 = K.mutate(rng, v2, 30)
    pub = tmp_path / "pub"
    pub.mkdir()
    out = {
        "s1": kit.snapshot(pub, "v1", K.entries_of(v1), 1),  # type: ignore[attr-defined]
        "s2": kit.snapshot(pub, "v2", K.entries_of(v2), 2),  # type: ignore[attr-defined]
        "s3": kit.snapshot(pub, "v3", K.entries_of(v3), 3),  # type: ignore[attr-defined]
    }
    out["d2"] = kit.delta(pub, "v2", out["s1"][0], out["s2"][0], 2, 1)  # type: ignore[attr-defined]
    out["d3"] = kit.delta(pub, "v3", out["s2"][0], out["s3"][0], 3, 2)  # type: ignore[attr-defined]
    fork = dict(v2)
    fork[12345] = "FORK"
    out["s2fork"] = kit.snapshot(pub, "v2fork", K.entries_of(fork), 2)  # type: ignore[attr-defined]
    return out


def _raw_accept(state: ReceiverState, kit: object, paths: tuple[Path, Path]) -> object:
    # Verify without the state (as another process might have), then accept:
    # the state must repeat its checks inside the transaction.
    with verify_list(paths[0], paths[1], trust=kit.trust) as v:  # type: ignore[attr-defined]
        return state.accept(v)


def test_rollback_refused_keeps_state(tmp_path: Path, kit: object, chain: dict) -> None:
    with ReceiverState.open(tmp_path / "st") as state:
        _raw_accept(state, kit, chain["s2"])
        with pytest.raises(RollbackError):
            _raw_accept(state, kit, chain["s1"])
        with pytest.raises(RollbackError):
            accept(state, kit, chain["s1"])  # also refused by verification
        assert_state_is(state, chain["s2"][0], 2)


def test_fork_refused_keeps_state(tmp_path: Path, kit: object, chain: dict) -> None:
    with ReceiverState.open(tmp_path / "st") as state:
        _raw_accept(state, kit, chain["s2"])
        with pytest.raises(ForkError):
            _raw_accept(state, kit, chain["s2fork"])
        assert_state_is(state, chain["s2"][0], 2)


def test_delta_gap_refused_keeps_state(tmp_path: Path, kit: object, chain: dict) -> None:
    with ReceiverState.open(tmp_path / "st") as state:
        with pytest.raises(DeltaBaseMismatchError):
            _raw_accept(state, kit, chain["d2"])  # nothing to apply it to
        _raw_accept(state, kit, chain["s1"])
        with pytest.raises(DeltaBaseMismatchError):
            _raw_accept(state, kit, chain["d3"])  # base is v2, state has v1
        assert_state_is(state, chain["s1"][0], 1)
        _raw_accept(state, kit, chain["d2"])
        assert _raw_accept(state, kit, chain["d2"]).action == "unchanged"  # type: ignore[attr-defined]
        with pytest.raises(ForkError):
            # A delta to v2 with another result than the accepted v2.
            _raw_accept(state, kit, chain["s2fork"])
        assert_state_is(state, chain["s2"][0], 2)


def test_delta_on_forked_base_refused(tmp_path: Path, kit: object, chain: dict) -> None:
    with ReceiverState.open(tmp_path / "st") as state:
        _raw_accept(state, kit, chain["s2fork"])
        with pytest.raises(DeltaBaseMismatchError):  # same version, other hash
            _raw_accept(state, kit, chain["d3"])
        assert_state_is(state, chain["s2fork"][0], 2)


def test_divergent_delta_refused_keeps_state(tmp_path: Path, kit: object) -> None:
    """A delta whose signed result hash differs from what its ops produce."""
    from antifraud_common.exchange import delta as delta_mod
    from antifraud_common.exchange.signing import sign_manifest
    from antifraud_common.format.jsonl import write_atomic

    pub = tmp_path / "pub"
    pub.mkdir()
    s1 = kit.snapshot(pub, "v1", [K.phone_entry(i) for i in range(50)], 1)  # type: ignore[attr-defined]
    s2 = kit.snapshot(pub, "v2", [K.phone_entry(i) for i in range(1, 60)], 2)  # type: ignore[attr-defined]
    d = pub / "v2.delta.jsonl"
    info = delta_mod.make_delta(s1[0], s2[0], d)
    for bad_hash, bad_count in ((("f" * 64), info.result_count), (info.result_sha256, 7)):
        bad = delta_mod.delta_manifest(
            info, issuer=K.ISSUER, list_id=K.LIST_ID, list_type=K.LIST_TYPE, version=2,
            base_version=1, issued_at=K.ISSUED, expires=K.EXPIRES,
        )  # fmt: skip
        bad = type(bad)(**{**_fields(bad), "result_sha256": bad_hash, "result_count": bad_count})
        write_atomic(f"{d}.sig", sign_manifest(bad, [kit.signer]))  # type: ignore[attr-defined]
        with ReceiverState.open(tmp_path / "st") as state:
            if state.get(K.ISSUER, K.LIST_ID) is None:
                accept(state, kit, s1)
            with pytest.raises(DeltaMismatchError) as e:
                accept(state, kit, (d, Path(f"{d}.sig")))
            assert e.value.code == "delta_result_mismatch"
            assert_state_is(state, s1[0], 1)


def test_strict_delta_op_refused_keeps_state(tmp_path: Path, kit: object) -> None:
    """A signed delta that adds a key the base already has: refused, old state kept."""
    from antifraud_common.exchange import delta as delta_mod
    from antifraud_common.exchange.entries import entry_line
    from antifraud_common.exchange.signing import sign_manifest
    from antifraud_common.format.jsonl import write_atomic

    pub = tmp_path / "pub"
    pub.mkdir()
    s1 = kit.snapshot(pub, "v1", [K.phone_entry(i) for i in range(100)], 1)  # type: ignore[attr-defined]
    d = pub / "v2.delta.jsonl"
    d.write_bytes(
        delta_mod.op_line("add", entry_line(K.phone_entry(40, "Z"))) + b"\n"
        + delta_mod.op_line("add", entry_line(K.phone_entry(500))) + b"\n"
    )  # fmt: skip
    info = delta_mod.DeltaInfo(
        adds=2, replaces=0, removes=0, byte_length=d.stat().st_size, sha256=K.sha_file(d),
        base_sha256=K.sha_file(s1[0]), base_count=100, result_sha256="0" * 64, result_count=101,
    )  # fmt: skip
    m = delta_mod.delta_manifest(
        info, issuer=K.ISSUER, list_id=K.LIST_ID, list_type=K.LIST_TYPE, version=2,
        base_version=1, issued_at=K.ISSUED, expires=K.EXPIRES,
    )  # fmt: skip
    write_atomic(f"{d}.sig", sign_manifest(m, [kit.signer]))  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        with pytest.raises(DeltaMismatchError) as e:
            accept(state, kit, (d, Path(f"{d}.sig")))
        assert (e.value.code, e.value.line) == ("delta_add_existing", 1)
        assert_state_is(state, s1[0], 1)


def test_delta_adding_protected_number_refused(tmp_path: Path, kit: object) -> None:
    from antifraud_common.exchange import delta as delta_mod
    from antifraud_common.exchange.entries import entry_line
    from antifraud_common.exchange.signing import sign_manifest
    from antifraud_common.format.jsonl import write_atomic
    from antifraud_common.models import Entry

    pub = tmp_path / "pub"
    pub.mkdir()
    s1 = kit.snapshot(pub, "v1", [K.phone_entry(1)], 1)  # type: ignore[attr-defined]
    hotline = Entry(**{**_fields(K.phone_entry(1)), "value": "tel:110;phone-context=+86"})
    d = pub / "v2.delta.jsonl"
    d.write_bytes(delta_mod.op_line("add", entry_line(hotline)) + b"\n")
    info = delta_mod.DeltaInfo(
        adds=1, replaces=0, removes=0, byte_length=d.stat().st_size, sha256=K.sha_file(d),
        base_sha256=K.sha_file(s1[0]), base_count=1, result_sha256="0" * 64, result_count=2,
    )  # fmt: skip
    m = delta_mod.delta_manifest(
        info, issuer=K.ISSUER, list_id=K.LIST_ID, list_type=K.LIST_TYPE, version=2,
        base_version=1, issued_at=K.ISSUED, expires=K.EXPIRES,
    )  # fmt: skip
    write_atomic(f"{d}.sig", sign_manifest(m, [kit.signer]))  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        with pytest.raises(ProtectedIdentifierError):
            accept(state, kit, (d, Path(f"{d}.sig")))
        assert_state_is(state, s1[0], 1)


def test_chunks_split_and_empty(tmp_path: Path, kit: object) -> None:
    """Deltas that grow one chunk far beyond its size, then empty the list."""
    pub = tmp_path / "pub"
    pub.mkdir()
    n = state_mod.CHUNK_LINES
    v1 = [K.phone_entry(i * 1000) for i in range(3 * n)]
    v2 = sorted(v1 + [K.phone_entry(i) for i in range(1, 5 * n)], key=lambda e: e.value)
    s1 = kit.snapshot(pub, "v1", v1, 1)  # type: ignore[attr-defined]
    s2 = kit.snapshot(pub, "v2", v2, 2)  # type: ignore[attr-defined]
    s3 = kit.snapshot(pub, "v3", [], 3)  # type: ignore[attr-defined]
    s4 = kit.snapshot(pub, "v4", [K.phone_entry(7)], 4)  # type: ignore[attr-defined]
    d2 = kit.delta(pub, "v2", s1[0], s2[0], 2, 1)  # type: ignore[attr-defined]
    d3 = kit.delta(pub, "v3", s2[0], s3[0], 3, 2)  # type: ignore[attr-defined]
    d4 = kit.delta(pub, "v4", s3[0], s4[0], 4, 3)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        accept(state, kit, d2)
        assert_state_is(state, s2[0], 2)
        accept(state, kit, d3)
        assert_state_is(state, s3[0], 3)
        assert state.state_hash(K.ISSUER, K.LIST_ID) == (K.sha_file(s3[0]), 0)
        accept(state, kit, d4)
        assert_state_is(state, s4[0], 4)


def _fields(obj: object) -> dict[str, object]:
    import attrs

    return {a.name: getattr(obj, a.name) for a in attrs.fields(type(obj))}


def test_unusable_directory_is_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StateError):
        ReceiverState.open(blocker)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / state_mod.DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError):
        ReceiverState.open(tmp_path / "bad")


def test_naive_time_and_wrong_content_refused(tmp_path: Path, kit: object) -> None:
    from datetime import datetime

    s1 = kit.snapshot(tmp_path, "v1", [K.phone_entry(1)], 1)  # type: ignore[attr-defined]
    with (
        ReceiverState.open(tmp_path / "st") as state,
        verify_list(s1[0], s1[1], trust=kit.trust) as v,  # type: ignore[attr-defined]
    ):
        with pytest.raises(StateError) as e:
            state.accept_snapshot(v, now=datetime(2026, 1, 1))
        assert e.value.code == "naive_datetime"
        with pytest.raises(StateError) as e:
            state.accept_delta(v)
        assert e.value.code == "not_a_delta"
        with pytest.raises(StateError) as e:
            state.export_snapshot("mps", "nothing", tmp_path / "x.jsonl")
        assert e.value.code == "state_no_list"
        assert state.get(K.ISSUER, K.LIST_ID) is None


def test_line_key_matches_entry_key_with_escapes() -> None:
    from antifraud_common.exchange.delta import entry_key
    from antifraud_common.format import canonical

    lines = [
        canonical.dumps({"case_ref": ',"kind":"x', "kind": "bank_account", "value": v}) + b"\n"
        for v in ("1", 'a"b', "z")
    ]
    assert [state_mod._line_key(x) for x in lines] == [entry_key(x) for x in lines]


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_delta_across_scan_batches(
    tmp_path: Path, kit: object, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deltas read the chunks in batches; operations at batch edges land in the right chunk."""
    monkeypatch.setattr(state_mod, "_SCAN_BATCH", batch)
    rng = random.Random(batch)
    pub = tmp_path / "pub"
    pub.mkdir()
    versions = [K.random_list(rng, 120, space=2000)]
    for _ in range(4):
        versions.append(K.mutate(rng, versions[-1], rng.choice([3, 12, 60]), space=2000))
    snaps = [
        kit.snapshot(pub, f"v{v}", K.entries_of(items), v + 1)  # type: ignore[attr-defined]
        for v, items in enumerate(versions)
    ]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, snaps[0])
        for v in range(1, len(snaps)):
            d = kit.delta(pub, f"v{v}", snaps[v - 1][0], snaps[v][0], v + 1, v)  # type: ignore[attr-defined]
            assert accept(state, kit, d).action == "delta"  # type: ignore[attr-defined]
            assert_state_is(state, snaps[v][0], v + 1)


def test_merge_chunk_matches_a_reference_merge() -> None:
    """Byte-search rewrites and binary-search merges agree with a plain sorted merge."""
    from antifraud_common.errors import DeltaMismatchError
    from antifraud_common.exchange.delta import entry_key
    from antifraud_common.format import canonical

    def line(kind: str, value: str, case: str) -> bytes:
        return canonical.dumps({"case_ref": case, "kind": kind, "value": value}) + b"\n"

    rng = random.Random(5)
    values = ["1", "2", 'q"x', "b\\s", "t\tb", "9", "99", "ü"]
    kinds = ["bank_account", "phone"]
    for _ in range(400):
        keys = rng.sample([(k, v) for k in kinds for v in values], rng.randrange(0, 10))
        base = {(k.encode(), v.encode()): line(k, v, ',"kind":"phone') for k, v in keys}
        data = b"".join(base[k] for k in sorted(base))
        ops = []
        want = dict(base)
        for k, v in sorted(rng.sample([(k, v) for k in kinds for v in values], 4)):
            key = (k.encode(), v.encode())
            op = rng.choice(
                ["add", "replace", "remove"] if key not in base else ["replace", "remove"]
            )
            if rng.random() < 0.1:  # sometimes a strictly wrong operation
                op = "add" if key in base else rng.choice(["replace", "remove"])
            body = None if op == "remove" else line(k, v, "new")[:-1]
            ops.append((op, key, body, len(ops) + 1))
        bad = next(
            (o for o in ops if (o[0] == "add") == (o[1] in base)),
            None,
        )
        if bad is not None:
            with pytest.raises(DeltaMismatchError) as e:
                state_mod._merge_chunk(data, ops)
            assert e.value.line == bad[3]
            continue
        for op, key, body, _n in ops:
            if op == "remove":
                del want[key]
            else:
                want[key] = body + b"\n"
        expected = b"".join(want[k] for k in sorted(want))
        got = state_mod._merge_chunk(data, ops)
        assert b"".join(blob for _k, _n, blob in got) == expected
        assert sum(n for _k, n, _b in got) == len(want)
        for first, _n, blob in got:
            assert first == state_mod._key_blob(entry_key(blob.split(b"\n")[0]))


def test_a_stored_line_with_a_naive_timestamp_is_a_damaged_state(
    tmp_path: Path, kit: object
) -> None:
    s1 = kit.snapshot(tmp_path, "v1", [K.phone_entry(i) for i in range(3)], 1)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
    conn = sqlite3.connect(tmp_path / "st" / "state.sqlite3")
    with conn:
        (data,) = conn.execute("SELECT data FROM chunks").fetchone()
        edited = bytes(data).replace(b'Z"', b'"', 1)  # one timestamp loses its offset
        assert edited != bytes(data)
        conn.execute("UPDATE chunks SET data=?", (edited,))
    conn.close()
    with ReceiverState.open(tmp_path / "st") as state, pytest.raises(StateError) as e:
        list(state.iter_records())
    assert e.value.code == "state_damaged" and str(e.value) == "a stored entry is damaged"
