"""Tests for the receiver state's storage layout (schema 3): chunks that fit one page.

A chunk is a row of a rowid table holding at most ``CHUNK_LINES`` lines whose
bytes fit in one b-tree cell of one page, so a delta rewrites one page per
touched chunk; a chunk that outgrows its page is split.
"""

from __future__ import annotations

import importlib.util
import random
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.exchange import state as state_mod
from antifraud_common.exchange.delta import entry_key
from antifraud_common.exchange.entries import entry_line
from antifraud_common.exchange.signing import verify_list
from antifraud_common.exchange.state import CHUNK_LINES, ReceiverState
from antifraud_common.format import canonical


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
# A case reference of 128 three-byte characters: lines of about 600 bytes.
WIDE = "中" * 128


@pytest.fixture(scope="module")
def kit() -> object:
    return K.Kit()


def accept(state: ReceiverState, kit: object, paths: tuple[Path, Path]) -> object:
    with verify_list(paths[0], paths[1], trust=kit.trust, state=state) as v:  # type: ignore[attr-defined]
        return state.accept(v)


def chunk_rows(
    state: ReceiverState, list_id: str = K.LIST_ID
) -> list[tuple[int, bytes, int, bytes]]:
    """``(id, first_key, line_count, data)`` of a list's chunks, in key order."""
    conn = sqlite3.connect(state.directory / state_mod.DB_NAME)
    try:
        return [
            (int(r[0]), bytes(r[1]), int(r[2]), bytes(r[3]))
            for r in conn.execute(
                "SELECT id, first_key, line_count, data FROM chunks "
                "WHERE issuer=? AND list_id=? ORDER BY first_key",
                (K.ISSUER, list_id),
            )
        ]
    finally:
        conn.close()


def room(list_id: str = K.LIST_ID) -> int:
    return 4096 - 35 - 17 - len(K.ISSUER) - len(list_id)


def assert_layout(state: ReceiverState, path: Path, list_id: str = K.LIST_ID) -> None:
    """The chunks hold the snapshot file, each consistent and within one page."""
    chunks = chunk_rows(state, list_id)
    assert b"".join(c[3] for c in chunks) == path.read_bytes()
    for _id, first, n, data in chunks:
        lines = data.splitlines(keepends=True)
        assert n == len(lines) >= 1
        assert first == state_mod._key_blob(entry_key(lines[0]))
        assert n <= 2 * CHUNK_LINES
        assert n == 1 or len(first) + len(data) <= room(list_id)
    rec = state.get(K.ISSUER, list_id)
    assert rec is not None and rec.state_sha256 == K.sha_file(path)
    assert state.check() == []


def test_new_state_layout(tmp_path: Path) -> None:
    with ReceiverState.open(tmp_path / "st"):
        pass
    conn = sqlite3.connect(tmp_path / "st" / state_mod.DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == state_mod.SCHEMA_VERSION == 3
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    columns = [r[1] for r in conn.execute("PRAGMA table_info(chunks)")]
    assert columns == ["id", "issuer", "list_id", "first_key", "line_count", "data"]
    sql = conn.execute("SELECT sql FROM sqlite_schema WHERE name='chunks'").fetchone()[0]
    assert "WITHOUT ROWID" not in sql
    plan = conn.execute("EXPLAIN QUERY PLAN " + state_mod._SCAN_SQL, ("a", "b", b"", 1)).fetchall()
    assert "USING INDEX chunks_by_key" in plan[0][3]  # key order without a sort
    conn.close()


def test_snapshot_chunks_fit_one_page(tmp_path: Path, kit: object) -> None:
    narrow = kit.snapshot(tmp_path, "n", [K.phone_entry(i) for i in range(5 * CHUNK_LINES + 3)], 1)  # type: ignore[attr-defined]
    wide = kit.snapshot(  # type: ignore[attr-defined]
        tmp_path, "w", [K.phone_entry(i, WIDE) for i in range(100)], 1, list_id="wide"
    )
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, narrow)
        accept(state, kit, wide)
        assert_layout(state, narrow[0])
        assert_layout(state, wide[0], "wide")
        # Short lines: CHUNK_LINES per chunk; long lines: as many as fit a page.
        assert [c[2] for c in chunk_rows(state)] == [CHUNK_LINES] * 5 + [3]
        counts = [c[2] for c in chunk_rows(state, "wide")]
        line = len(wide[0].read_bytes()) // 100
        assert max(counts) == (room("wide") - state_mod._KEY_ROOM) // line < CHUNK_LINES
        assert sum(counts) == 100


def test_snapshot_chunks_continue_across_insert_batches(
    tmp_path: Path, kit: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines are inserted in batches; a chunk cut by a batch boundary continues in the next."""
    monkeypatch.setattr(state_mod, "_BATCH", 5)
    s1 = kit.snapshot(tmp_path, "v1", [K.phone_entry(i) for i in range(3 * CHUNK_LINES + 1)], 1)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        assert [c[2] for c in chunk_rows(state)] == [CHUNK_LINES] * 3 + [1]
        assert_layout(state, s1[0])


def test_chunk_outgrowing_its_page_is_split(tmp_path: Path, kit: object) -> None:
    """Additions inside one chunk's range: it is split into chunks that fit again."""
    base = [K.phone_entry(i * 100, WIDE) for i in range(12)]
    grown = sorted(base + [K.phone_entry(i, WIDE) for i in range(1, 40)], key=lambda e: e.value)
    s1 = kit.snapshot(tmp_path, "v1", base, 1)  # type: ignore[attr-defined]
    s2 = kit.snapshot(tmp_path, "v2", grown, 2)  # type: ignore[attr-defined]
    d2 = kit.delta(tmp_path, "v2", s1[0], s2[0], 2, 1)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        before = len(chunk_rows(state))
        accept(state, kit, d2)
        assert_layout(state, s2[0])
        assert len(chunk_rows(state)) > before


def test_rewritten_chunk_keeps_its_row(tmp_path: Path, kit: object) -> None:
    """A touched chunk is rewritten in place (same row, so the same page), also when
    its first line is removed (the row takes the next line's key)."""
    items = [K.phone_entry(i) for i in range(4 * CHUNK_LINES)]
    s1 = kit.snapshot(tmp_path, "v1", items, 1)  # type: ignore[attr-defined]
    changed = list(items)
    changed[3] = K.phone_entry(3, "B-7")  # replace inside chunk 0
    del changed[CHUNK_LINES]  # remove the first line of chunk 1
    s2 = kit.snapshot(tmp_path, "v2", changed, 2)  # type: ignore[attr-defined]
    d2 = kit.delta(tmp_path, "v2", s1[0], s2[0], 2, 1)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        old = chunk_rows(state)
        accept(state, kit, d2)
        new = chunk_rows(state)
        assert_layout(state, s2[0])
    assert [c[0] for c in new] == [c[0] for c in old]
    assert new[0][3] != old[0][3] and new[0][1] == old[0][1]
    assert new[1][1] == state_mod._key_blob(entry_key(entry_line(items[CHUNK_LINES + 1])))
    assert new[2:] == old[2:]


def test_long_list_ids_leave_less_room(tmp_path: Path, kit: object) -> None:
    list_id = "l" * 64
    s1 = kit.snapshot(
        tmp_path, "v1", [K.phone_entry(i, WIDE) for i in range(40)], 1, list_id=list_id
    )  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, s1)
        assert_layout(state, s1[0], list_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_deltas_keep_the_layout(tmp_path: Path, kit: object, seed: int) -> None:
    """Random deltas over lines of mixed length: every version's chunks fit and hash right."""
    rng = random.Random(seed)

    def case() -> str:
        return rng.choice(["A", "B-1", WIDE[: rng.randrange(1, 129)]])

    versions = [{k: case() for k in rng.sample(range(3000), 150)}]
    for _ in range(4):
        nxt = dict(versions[-1])
        for k in rng.sample(list(nxt), rng.randrange(0, 20)):
            del nxt[k]
        for k in rng.sample(list(nxt), rng.randrange(0, 20)):
            nxt[k] = case()
        for _ in range(rng.choice([3, 30, 120])):
            nxt.setdefault(rng.randrange(3000), case())
        versions.append(nxt)
    snaps = [
        kit.snapshot(tmp_path, f"v{v}", [K.phone_entry(k, c) for k, c in items.items()], v + 1)  # type: ignore[attr-defined]
        for v, items in enumerate(versions)
    ]
    with ReceiverState.open(tmp_path / "st") as state:
        accept(state, kit, snaps[0])
        for v in range(1, len(snaps)):
            d = kit.delta(tmp_path, f"v{v}", snaps[v - 1][0], snaps[v][0], v + 1, v)  # type: ignore[attr-defined]
            assert accept(state, kit, d).action == "delta"  # type: ignore[attr-defined]
            assert_layout(state, snaps[v][0])


def _line(value: str, case: str) -> bytes:
    return canonical.dumps({"case_ref": case, "kind": "phone", "value": value}) + b"\n"


def test_split_halves_until_each_run_fits() -> None:
    lines = [_line(f"+86138{i:08d}", "x" * (i * 37 % 300)) for i in range(100)]
    runs = state_mod._split(lines, 1500)
    assert [line for run in runs for line in run] == lines
    for run in runs:
        assert len(run) <= CHUNK_LINES
        assert sum(map(len, run)) <= 1500 - state_mod._KEY_ROOM
    assert len(runs) <= 2 * len(b"".join(lines)) // (1500 - state_mod._KEY_ROOM) + 2


def test_a_line_longer_than_a_page_stays_alone() -> None:
    """A line larger than a page cannot be split: it becomes a chunk of its own."""
    small = [_line(f"+8613800000{i:03d}", "a") for i in range(3)]
    huge = _line("+8613800000500", "h" * 5000)
    run = [*small, huge, *small[:0]]
    pieces = state_mod._pieces(b"".join(run), state_mod._DEFAULT_ROOM, run)
    assert b"".join(p[2] for p in pieces) == b"".join([*small, huge])
    assert [p[1] for p in pieces][-1] == 1 and pieces[-1][2] == huge
    merged = state_mod._merge_chunk(
        b"".join(small), [("add", (b"phone", b"+8613800000500"), huge[:-1], 1)]
    )
    assert merged == pieces


def test_merge_keeps_one_chunk_while_it_fits() -> None:
    lines = [_line(f"+86138{i:08d}", "c") for i in range(2 * CHUNK_LINES)]
    data = b"".join(lines[:-1])
    got = state_mod._merge_chunk(
        data, [("add", (b"phone", b"+86138%08d" % (2 * CHUNK_LINES - 1)), lines[-1][:-1], 1)]
    )
    assert got == [(state_mod._key_blob(entry_key(lines[0])), 2 * CHUNK_LINES, b"".join(lines))]
    # One line more than twice CHUNK_LINES: split, though the bytes would fit.
    extra = _line("+8613899999999", "c")
    got = state_mod._merge_chunk(
        b"".join(lines), [("add", (b"phone", b"+8613899999999"), extra[:-1], 1)]
    )
    assert [n for _k, n, _d in got] == [16, 8, 9]  # halved until each has at most 16
