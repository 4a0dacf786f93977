"""Tests for StateIndex: the lookup index follows every accept of the receiver state."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.exchange.signing import verify_list
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.index import INDEX_FILE, Index, StateIndex


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


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, kit: object) -> dict[str, object]:
    """Three versions of one list (snapshots and deltas) and a second list."""
    rng = random.Random(7)
    v1 = K.random_list(rng, 200)
    v2 = K.mutate(rng, v1, 45)
    v3 = K.mutate(rng, v2, 60)
    other = K.random_list(rng, 50)
    pub = tmp_path_factory.mktemp("pub")
    s1 = kit.snapshot(pub, "v1", K.entries_of(v1), 1)  # type: ignore[attr-defined]
    s2 = kit.snapshot(pub, "v2", K.entries_of(v2), 2)  # type: ignore[attr-defined]
    s3 = kit.snapshot(pub, "v3", K.entries_of(v3), 3)  # type: ignore[attr-defined]
    o1 = kit.snapshot(pub, "o1", K.entries_of(other), 1, list_id="other")  # type: ignore[attr-defined]
    return {
        "versions": (v1, v2, v3),
        "other": other,
        "s1": s1,
        "s3": s3,
        "o1": o1,
        "d2": kit.delta(pub, "v2", s1[0], s2[0], 2, 1),  # type: ignore[attr-defined]
        "d3": kit.delta(pub, "v3", s2[0], s3[0], 3, 2),  # type: ignore[attr-defined]
    }


def accept(state: ReceiverState, kit: object, paths: object) -> object:
    entries, sig = paths  # type: ignore[misc]
    with verify_list(entries, sig, trust=kit.trust, state=state) as v:  # type: ignore[attr-defined]
        return state.accept(v)


def universe(chain: dict[str, object]) -> list[str]:
    nums: set[int] = set(chain["other"])  # type: ignore[arg-type]
    for v in chain["versions"]:  # type: ignore[attr-defined]
        nums |= set(v)
    return sorted(f"+86138{n:08d}" for n in nums)


def answers(ix: StateIndex | Index, values: list[str]) -> list[dict[str, object]]:
    return [ix.check_key("phone", v, now=K.NOW).to_dict() for v in values]


def rebuilt(state: ReceiverState) -> Index:
    return Index.build(state.iter_records())


def test_follows_snapshot_deltas_and_forget(tmp_path: Path, kit: object, chain: dict) -> None:
    values = universe(chain)
    with ReceiverState.open(tmp_path / "st") as state, StateIndex.follow(state) as si:
        assert si.path == tmp_path / "st" / INDEX_FILE
        for step in ("s1", "o1", "d2", "d3"):
            accept(state, kit, chain[step])
            # After every accept the followed index answers exactly like a fresh build.
            assert answers(si, values) == answers(rebuilt(state), values)
        v3 = chain["versions"][2]
        listed = [v for v in values if int(v[6:]) in v3]
        assert listed and all(si.check_key("phone", v, now=K.NOW).listed for v in listed)
        state.forget(K.ISSUER, "other")
        assert [(i, li) for i, li, _ in si.lists] == [(K.ISSUER, K.LIST_ID)]
        assert answers(si, values) == answers(rebuilt(state), values)
        # Raw input goes through the validators first.
        first = listed[0]
        spaced = f"{first[3:6]} {first[6:10]} {first[10:]}"
        assert si.check(spaced, now=K.NOW).listed


def test_unchanged_and_refused_accepts_leave_the_index(
    tmp_path: Path, kit: object, chain: dict
) -> None:
    with ReceiverState.open(tmp_path / "st") as state, StateIndex.follow(state) as si:
        accept(state, kit, chain["s3"])
        saved = (tmp_path / "st" / INDEX_FILE).stat().st_ino
        assert accept(state, kit, chain["s3"]).action == "unchanged"  # type: ignore[attr-defined]
        from antifraud_common.errors import AntifraudError

        with pytest.raises(AntifraudError):  # an older snapshot is a rollback
            accept(state, kit, chain["s1"])
        # Nothing was rewritten.
        assert (tmp_path / "st" / INDEX_FILE).stat().st_ino == saved
        values = universe(chain)
        assert answers(si, values) == answers(rebuilt(state), values)


def test_saved_index_is_reused_and_stale_one_rebuilt(
    tmp_path: Path, kit: object, chain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "st"
    values = universe(chain)
    with ReceiverState.open(d) as state:
        accept(state, kit, chain["s1"])
        StateIndex.follow(state).close()  # builds and saves
    sidecar = json.loads((d / (INDEX_FILE + ".json")).read_text())
    assert sidecar["lists"][0][:3] == [K.ISSUER, K.LIST_ID, 1]

    built: list[int] = []
    real_build = Index.build

    def counting_build(records: object) -> Index:
        built.append(1)
        return real_build(records)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "build", staticmethod(counting_build))
    with ReceiverState.open(d) as state:
        with StateIndex.follow(state) as si:
            assert built == []  # memory-mapped, not rebuilt
            assert answers(si, values) == answers(real_build(state.iter_records()), values)
        # Another process applies a delta without following: the saved index is stale.
        accept(state, kit, chain["d2"])
        with StateIndex.follow(state) as si:
            assert built == [1]
            assert answers(si, values) == answers(real_build(state.iter_records()), values)
        # A damaged index file is rebuilt, never used.
        path = d / INDEX_FILE
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        # Writing in place keeps the inode and size: only the index's own checks notice.
        with StateIndex.follow(state) as si:
            assert built == [1, 1]
            assert answers(si, values) == answers(real_build(state.iter_records()), values)


def test_refresh_catches_changes_made_elsewhere(tmp_path: Path, kit: object, chain: dict) -> None:
    d = tmp_path / "st"
    values = universe(chain)
    with ReceiverState.open(d) as reader, ReceiverState.open(d) as writer:
        accept(writer, kit, chain["s1"])
        with StateIndex.follow(reader, persist=False) as si:
            assert si.path is None
            assert not si.refresh()
            accept(writer, kit, chain["d2"])
            accept(writer, kit, chain["o1"])
            assert si.refresh()
            assert answers(si, values) == answers(rebuilt(reader), values)
            writer.forget(K.ISSUER, "other")
            assert si.refresh()
            assert answers(si, values) == answers(rebuilt(reader), values)
        assert not (d / INDEX_FILE).exists()


def test_read_only_directory_keeps_index_in_memory(
    tmp_path: Path, kit: object, chain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "st"
    with ReceiverState.open(d) as state:
        accept(state, kit, chain["s1"])

        def refuse(self: Index, path: object) -> None:
            raise PermissionError("read-only")

        monkeypatch.setattr(Index, "save", refuse)
        with StateIndex.follow(state) as si:
            v1 = chain["versions"][0]
            assert si.check_key("phone", f"+86138{next(iter(v1)):08d}", now=K.NOW).listed
    assert not (d / INDEX_FILE).exists()
