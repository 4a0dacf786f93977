"""Tests for syncing a drop folder into the receiver state."""

from __future__ import annotations

import importlib.util
import random
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.exchange.state import ReceiverState
from antifraud_common.exchange.sync import sync


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
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """Snapshots v1..v3 and deltas v2, v3 of one list, in a publisher folder."""
    kit = K.Kit()
    pub = tmp_path_factory.mktemp("pub")
    rng = random.Random(3)
    v1 = K.random_list(rng, 150)
    v2 = K.mutate(rng, v1, 30)
    v3 = K.mutate(rng, v2, 30)
    s1 = kit.snapshot(pub, "l-v1", K.entries_of(v1), 1)
    s2 = kit.snapshot(pub, "l-v2", K.entries_of(v2), 2)
    s3 = kit.snapshot(pub, "l-v3", K.entries_of(v3), 3)
    kit.delta(pub, "l-v2", s1[0], s2[0], 2, 1)
    kit.delta(pub, "l-v3", s2[0], s3[0], 3, 2)
    return kit, pub


def drop(tmp_path: Path, pub: Path, *names: str) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir(exist_ok=True)
    for name in names:
        for suffix in ("", ".sig"):
            shutil.copy(pub / f"{name}{suffix}", folder / f"{name}{suffix}")
    return folder


def current(state: ReceiverState) -> tuple[int, str] | None:
    rec = state.get(K.ISSUER, K.LIST_ID)
    return None if rec is None else (rec.version, rec.state_sha256)


def test_applies_in_version_order(tmp_path: Path, published: tuple[object, Path]) -> None:
    kit, pub = published
    folder = drop(tmp_path, pub, "l-v3.delta.jsonl", "l-v1.jsonl", "l-v2.delta.jsonl", "l-v3.jsonl")
    with ReceiverState.open(tmp_path / "st") as state:
        report = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        assert report.ok, report.to_dict()
        outcomes = [(i.version, i.content, i.outcome) for i in report.items]
        assert outcomes == [
            (1, "snapshot", "snapshot"),
            (2, "delta", "delta"),
            (3, "delta", "delta"),
            (3, "snapshot", "unchanged"),
        ]
        assert current(state) == (3, K.sha_file(pub / "l-v3.jsonl"))
        assert state.check() == []
        again = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        assert again.ok and not again.applied
        assert {i.outcome for i in again.items} == {"old", "unchanged"}


def test_bad_file_is_reported_and_skipped(tmp_path: Path, published: tuple[object, Path]) -> None:
    kit, pub = published
    folder = drop(tmp_path, pub, "l-v1.jsonl", "l-v2.delta.jsonl", "l-v3.delta.jsonl")
    target = folder / "l-v3.delta.jsonl"
    data = bytearray(target.read_bytes())
    data[40] ^= 0x01
    target.write_bytes(bytes(data))
    with ReceiverState.open(tmp_path / "st") as state:
        report = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        assert [i.outcome for i in report.items] == ["snapshot", "delta", "error"]
        err = report.errors[0]
        assert err.error is not None and err.error.code == "hash_mismatch"
        assert err.version == 3
        assert current(state) == (2, K.sha_file(pub / "l-v2.jsonl"))
        assert report.to_dict()["errors"] == 1


def test_gap_is_reported_and_snapshot_repairs(
    tmp_path: Path, published: tuple[object, Path]
) -> None:
    kit, pub = published
    folder = drop(tmp_path, pub, "l-v1.jsonl", "l-v3.delta.jsonl")
    with ReceiverState.open(tmp_path / "st") as state:
        report = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        assert report.errors[0].error.code == "delta_base_mismatch"  # type: ignore[union-attr]
        assert current(state) == (1, K.sha_file(pub / "l-v1.jsonl"))
        drop(tmp_path, pub, "l-v3.jsonl")
        report = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        assert [i.outcome for i in report.applied] == ["snapshot"]
        assert current(state) == (3, K.sha_file(pub / "l-v3.jsonl"))


def test_untrusted_expired_and_unpaired_files(
    tmp_path: Path, published: tuple[object, Path]
) -> None:
    kit, pub = published
    folder = drop(tmp_path, pub, "l-v1.jsonl", "l-v2.delta.jsonl")
    # A list signed by a key the trust bundle does not know.
    other = K.Kit()
    other.snapshot(folder, "intruder", [K.phone_entry(5)], 9)
    (folder / "lonely.jsonl").write_bytes(b"")
    (folder / "orphan.jsonl.sig").write_bytes(b"{}")
    with ReceiverState.open(tmp_path / "st") as state:
        report = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        codes = sorted(i.error.code for i in report.errors if i.error is not None)
        assert codes == ["missing_entries", "missing_signature", "signature_invalid"]
        assert [i.outcome for i in report.applied] == ["snapshot", "delta"]
        assert current(state) == (2, K.sha_file(pub / "l-v2.jsonl"))
    # Much later, everything has expired: nothing is applied.
    with ReceiverState.open(tmp_path / "st2") as state:
        late = K.EXPIRES + timedelta(days=1)
        report = sync(folder, state, kit.trust, now=late)  # type: ignore[attr-defined]
        assert not report.applied
        assert "expired" in {i.error.code for i in report.errors if i.error is not None}
        # An explicit grace period accepts them (reported by verification).
        report = sync(folder, state, kit.trust, now=late, grace=timedelta(days=2))  # type: ignore[attr-defined]
        assert [i.outcome for i in report.applied] == ["snapshot", "delta"]


def test_fork_in_folder_reported(tmp_path: Path, published: tuple[object, Path]) -> None:
    kit, pub = published
    folder = drop(tmp_path, pub, "l-v1.jsonl")
    with ReceiverState.open(tmp_path / "st") as state:
        assert sync(folder, state, kit.trust).ok  # type: ignore[attr-defined]
        kit.snapshot(folder, "l-v1b", [K.phone_entry(1)], 1)  # type: ignore[attr-defined]
        report = sync(folder, state, kit.trust)  # type: ignore[attr-defined]
        assert [i.error.code for i in report.errors if i.error] == ["fork"]
        assert current(state) == (1, K.sha_file(pub / "l-v1.jsonl"))
