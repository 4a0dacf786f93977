"""Tests for the receiver state's change listeners (what an in-memory index follows)."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.errors import DeltaMismatchError, ForkError, RollbackError, SignatureError
from antifraud_common.exchange import state as state_mod
from antifraud_common.exchange.signing import verify_list
from antifraud_common.exchange.state import ReceiverState, StateChange
from antifraud_common.models import Entry


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


class Recorder:
    """A listener that keeps every change and what the state held when it was called."""

    def __init__(self, state: ReceiverState) -> None:
        self.state = state
        self.changes: list[StateChange] = []
        self.seen: list[list[Entry]] = []

    def __call__(self, change: StateChange) -> None:
        self.changes.append(change)
        # Listeners run after the commit: the state they read is the new one.
        self.seen.append(list(self.state.iter_entries(change.issuer, change.list_id)))


def _accept(state: ReceiverState, kit: object, paths: tuple[Path, Path]) -> object:
    with verify_list(paths[0], paths[1], trust=kit.trust) as v:  # type: ignore[attr-defined]
        return state.accept(v)


def _entries(d: dict[int, str]) -> dict[tuple[str, str], Entry]:
    return {e.key: e for e in K.entries_of(d)}


@pytest.fixture
def chain(tmp_path: Path, kit: object) -> dict[str, object]:
    rng = random.Random(11)
    v1 = K.random_list(rng, 150)
    v2 = K.mutate(rng, v1, 45)
    pub = tmp_path / "pub"
    pub.mkdir()
    s1 = kit.snapshot(pub, "v1", K.entries_of(v1), 1)  # type: ignore[attr-defined]
    s2 = kit.snapshot(pub, "v2", K.entries_of(v2), 2)  # type: ignore[attr-defined]
    d2 = kit.delta(pub, "v2", s1[0], s2[0], 2, 1)  # type: ignore[attr-defined]
    return {"v1": v1, "v2": v2, "s1": s1, "s2": s2, "d2": d2}


def test_snapshot_delta_forget_are_reported(tmp_path: Path, kit: object, chain: dict) -> None:
    with ReceiverState.open(tmp_path / "st") as state:
        rec = Recorder(state)
        state.add_listener(rec)

        _accept(state, kit, chain["s1"])
        assert len(rec.changes) == 1
        snap = rec.changes[0]
        assert (snap.op, snap.issuer, snap.list_id) == ("snapshot", K.ISSUER, K.LIST_ID)
        assert snap.record == state.get(K.ISSUER, K.LIST_ID)
        assert snap.record is not None and snap.record.version == 1
        assert (snap.added, snap.removed) == ((), ())
        assert rec.seen[0] == sorted(_entries(chain["v1"]).values(), key=lambda e: e.key)

        _accept(state, kit, chain["d2"])
        assert len(rec.changes) == 2
        change = rec.changes[1]
        assert change.op == "delta"
        assert change.record == state.get(K.ISSUER, K.LIST_ID)
        assert change.record is not None and change.record.version == 2
        old, new = _entries(chain["v1"]), _entries(chain["v2"])
        # Added or replaced entries (a replacement only in ``added``), in key order.
        want_added = [new[k] for k in sorted(new) if old.get(k) != new[k]]
        want_removed = [k for k in sorted(old) if k not in new]
        assert list(change.added) == want_added
        assert list(change.removed) == want_removed
        assert any(k in old for k in (e.key for e in change.added))  # replacements seen
        assert any(k not in old for k in (e.key for e in change.added))  # additions seen
        assert want_removed
        # Applying the change to the old entries gives the new state.
        follower = dict(old)
        for k in change.removed:
            del follower[k]
        follower.update((e.key, e) for e in change.added)
        assert follower == new
        assert rec.seen[1] == [new[k] for k in sorted(new)]

        assert state.forget(K.ISSUER, K.LIST_ID)
        assert len(rec.changes) == 3
        gone = rec.changes[2]
        assert (gone.op, gone.issuer, gone.list_id, gone.record) == (
            "forget",
            K.ISSUER,
            K.LIST_ID,
            None,
        )
        assert rec.seen[2] == []
        # Forgetting a list that is not there changes nothing.
        assert not state.forget(K.ISSUER, K.LIST_ID)
        assert len(rec.changes) == 3


def test_not_called_for_unchanged_or_refused(
    tmp_path: Path, kit: object, chain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[StateChange] = []
    with ReceiverState.open(tmp_path / "st") as state:
        _accept(state, kit, chain["s1"])
        _accept(state, kit, chain["d2"])
        state.add_listener(calls.append)
        # Idempotent accepts (snapshot and delta of the accepted version).
        assert _accept(state, kit, chain["s2"]).action == "unchanged"  # type: ignore[attr-defined]
        assert _accept(state, kit, chain["d2"]).action == "unchanged"  # type: ignore[attr-defined]
        # Rollback: an older version (refused inside the transaction).
        with pytest.raises(RollbackError):
            _accept(state, kit, chain["s1"])
        # Bad signature: refused before the state is touched.
        sig = tmp_path / "bad.sig"
        doc = json.loads(chain["s2"][1].read_bytes())
        text = doc["signatures"][0]["signature"]
        # Change one character in the middle of the signature (still base64url).
        mid = len(text) // 2
        doc["signatures"][0]["signature"] = (
            text[:mid] + ("B" if text[mid] == "A" else "A") + text[mid + 1 :]
        )
        sig.write_text(json.dumps(doc))
        with pytest.raises(SignatureError):
            _accept(state, kit, (chain["s2"][0], sig))
        assert calls == []

    # A delta whose result does not match: rolled back after the ops were applied.
    real_apply = state_mod._apply_delta

    def wrong_hash(*args: object) -> tuple[object, str, int]:
        counts, _sha, count = real_apply(*args)  # type: ignore[arg-type]
        return counts, "0" * 64, count

    with ReceiverState.open(tmp_path / "st2") as state:
        _accept(state, kit, chain["s1"])
        state.add_listener(calls.append)
        monkeypatch.setattr(state_mod, "_apply_delta", wrong_hash)
        with pytest.raises(DeltaMismatchError):
            _accept(state, kit, chain["d2"])
        monkeypatch.undo()
        assert calls == []
        rec = state.get(K.ISSUER, K.LIST_ID)
        assert rec is not None and rec.version == 1


def test_fork_not_reported(tmp_path: Path, kit: object, chain: dict) -> None:
    calls: list[StateChange] = []
    fork = dict(chain["v2"])
    fork[4242] = "FORK"
    s2fork = kit.snapshot(tmp_path / "pub", "v2fork", K.entries_of(fork), 2)  # type: ignore[attr-defined]
    with ReceiverState.open(tmp_path / "st") as state:
        _accept(state, kit, chain["s2"])
        state.add_listener(calls.append)
        with pytest.raises(ForkError):
            _accept(state, kit, s2fork)
    assert calls == []


def test_listener_error_propagates_after_commit(tmp_path: Path, kit: object, chain: dict) -> None:
    calls: list[str] = []

    def broken(change: StateChange) -> None:
        calls.append("broken")
        raise RuntimeError("follower failed")

    with ReceiverState.open(tmp_path / "st") as state:
        state.add_listener(broken)
        state.add_listener(lambda c: calls.append(c.op))
        with pytest.raises(RuntimeError, match="follower failed"):
            _accept(state, kit, chain["s1"])
        # The state is committed; every listener ran.
        rec = state.get(K.ISSUER, K.LIST_ID)
        assert rec is not None and rec.version == 1
        assert calls == ["broken", "snapshot"]
        state.remove_listener(broken)
        state.remove_listener(broken)  # not registered any more: nothing happens
        _accept(state, kit, chain["d2"])
        assert calls == ["broken", "snapshot", "delta"]


def test_no_listener_builds_nothing(
    tmp_path: Path, kit: object, chain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    real_apply = state_mod._apply_delta

    def spy_apply(*args: object, **kwargs: object) -> object:
        seen.append(args[3] if len(args) > 3 else kwargs.get("changes"))
        return real_apply(*args, **kwargs)  # type: ignore[arg-type]

    def no_parser() -> object:
        raise AssertionError("entries built without a listener")

    with ReceiverState.open(tmp_path / "st") as state:
        _accept(state, kit, chain["s1"])
        monkeypatch.setattr(state_mod, "_apply_delta", spy_apply)
        monkeypatch.setattr(state_mod, "_EntryParser", no_parser)
        r = _accept(state, kit, chain["d2"])
        assert r.action == "delta"  # type: ignore[attr-defined]
        assert seen == [None]
        rec = state.get(K.ISSUER, K.LIST_ID)
        assert rec is not None and rec.state_sha256 == K.sha_file(chain["s2"][0])
