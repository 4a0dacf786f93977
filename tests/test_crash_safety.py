"""Crash safety of the receiver state: SIGKILL at random points, and concurrent writers.

A child process verifies and applies a snapshot, a delta, or a whole drop
folder; the parent kills it (SIGKILL) after a random delay spread over the
whole run, then checks that the state is exactly one of the states a
sequence of complete updates could produce -- by version, state hash, the
stored snapshot bytes and the entries table -- never a mix, never lost.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.exchange.signing import verify_list
from antifraud_common.exchange.state import DB_NAME, ReceiverState
from antifraud_common.exchange.sync import sync

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork"),
]


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
N_ENTRIES = 2000
KILLS = {"snapshot": 40, "delta": 40, "sync": 30}


class World:
    """Published files v1..v3 (snapshots and deltas) and a state template at v1."""

    def __init__(self, root: Path) -> None:
        self.kit = K.Kit()
        self.pub = root / "pub"
        self.pub.mkdir()
        rng = random.Random(42)
        v1 = K.random_list(rng, N_ENTRIES)
        v2 = K.mutate(rng, v1, N_ENTRIES // 10)
        v3 = K.mutate(rng, v2, N_ENTRIES // 10)
        self.s = {}
        self.d = {}
        for v, items in ((1, v1), (2, v2), (3, v3)):
            self.s[v] = self.kit.snapshot(self.pub, f"l-v{v}", K.entries_of(items), v)
        for v in (2, 3):
            self.d[v] = self.kit.delta(
                self.pub, f"l-v{v}", self.s[v - 1][0], self.s[v][0], v, v - 1
            )
        self.bytes = {v: self.s[v][0].read_bytes() for v in (1, 2, 3)}
        self.template = root / "template-v1"
        with ReceiverState.open(self.template) as st:
            self.apply(st, self.s[1])
        self._checkpoint(self.template)

    @staticmethod
    def _checkpoint(directory: Path) -> None:
        conn = sqlite3.connect(directory / DB_NAME)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()

    def apply(self, st: ReceiverState, paths: tuple[Path, Path]) -> str:
        with verify_list(
            paths[0], paths[1], trust=self.kit.trust, state=st, tmp_dir=st.directory
        ) as v:
            return st.accept(v).action

    def fresh_state(self, target: Path, at_v1: bool) -> Path:
        if at_v1:
            shutil.copytree(self.template, target)
        return target

    def observed(self, directory: Path) -> int | None:
        """The version the state holds, after checking it is whole; None = empty."""
        with ReceiverState.open(directory) as st:
            rec = st.get(K.ISSUER, K.LIST_ID)
            if rec is None:
                assert list(st.iter_lines(K.ISSUER, K.LIST_ID)) == []
                assert list(st.iter_entries()) == []
                return None
            assert rec.version in self.bytes, rec
            data = b"".join(st.iter_lines(K.ISSUER, K.LIST_ID))
            assert data == self.bytes[rec.version], f"mixed state at version {rec.version}"
            assert rec.state_sha256 == K.sha_file(self.s[rec.version][0])
            assert rec.entry_count == data.count(b"\n")
            assert st.check() == []
            return rec.version


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("crash"))


def _fork(task: Callable[[], object]) -> int:
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            task()
            code = 0
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def _timed_run(task: Callable[[], object]) -> float:
    t = time.perf_counter()
    pid = _fork(task)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return time.perf_counter() - t


def _kill_loop(
    world: World,
    tmp_path: Path,
    kind: str,
    at_v1: bool,
    task_for: Callable[[Path], Callable[[], object]],
) -> dict[str | int | None, int]:
    rng = random.Random(kind)
    # Calibrate: how long one complete run takes on this machine right now.
    calib = world.fresh_state(tmp_path / f"{kind}-calib", at_v1)
    duration = _timed_run(task_for(calib))
    seen: dict[str | int | None, int] = {}
    for i in range(KILLS[kind]):
        directory = world.fresh_state(tmp_path / f"{kind}-{i}", at_v1)
        pid = _fork(task_for(directory))
        time.sleep(rng.uniform(0, duration * 1.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        version = world.observed(directory)
        seen[version] = seen.get(version, 0) + 1
        shutil.rmtree(directory)
    seen["runs"] = KILLS[kind]
    return seen


def _report(kind: str, seen: dict[str | int | None, int]) -> None:
    # Shown with -rA / -s: how often the kill left the old and the new state.
    sys.stderr.write(f"\ncrash test {kind}: {json.dumps({str(k): v for k, v in seen.items()})}\n")


def test_kill_during_snapshot_apply(world: World, tmp_path: Path) -> None:
    def task_for(directory: Path) -> Callable[[], object]:
        def task() -> object:
            with ReceiverState.open(directory) as st:
                return world.apply(st, world.s[2])

        return task

    seen = _kill_loop(world, tmp_path, "snapshot", True, task_for)
    _report("snapshot", seen)
    assert set(seen) - {"runs"} <= {1, 2}
    assert seen.get(1, 0) >= 1  # some kills landed before the commit


def test_kill_during_delta_apply(world: World, tmp_path: Path) -> None:
    def task_for(directory: Path) -> Callable[[], object]:
        def task() -> object:
            with ReceiverState.open(directory) as st:
                return world.apply(st, world.d[2])

        return task

    seen = _kill_loop(world, tmp_path, "delta", True, task_for)
    _report("delta", seen)
    assert set(seen) - {"runs"} <= {1, 2}
    assert seen.get(1, 0) >= 1


def test_kill_during_sync(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for paths in (world.s[1], world.d[2], world.d[3]):
        for p in paths:
            shutil.copy(p, folder / p.name)

    def task_for(directory: Path) -> Callable[[], object]:
        def task() -> object:
            with ReceiverState.open(directory) as st:
                report = sync(folder, st, world.kit.trust)
                assert report.ok
                return report

        return task

    seen = _kill_loop(world, tmp_path, "sync", False, task_for)
    _report("sync", seen)
    assert set(seen) - {"runs"} <= {None, 1, 2, 3}
    # A killed sync resumes: running it again reaches the newest version.
    directory = tmp_path / "resume"
    pid = _fork(task_for(directory))
    time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with ReceiverState.open(directory) as st:
        assert sync(folder, st, world.kit.trust).ok
    assert world.observed(directory) == 3


def test_total_kills_at_least_100() -> None:
    assert sum(KILLS.values()) >= 100


def test_concurrent_writers_are_serialised(world: World, tmp_path: Path) -> None:
    """Two processes apply at once (delta v2 and snapshot v3, or the same delta twice)."""
    for round_, (first, second) in enumerate(
        [(world.d[2], world.s[3]), (world.d[2], world.d[2]), (world.s[2], world.d[2])] * 2
    ):
        directory = world.fresh_state(tmp_path / f"conc-{round_}", True)
        out = tmp_path / f"conc-{round_}.json"

        def task(
            paths: tuple[Path, Path], slot: str, d: Path = directory, o: Path = out
        ) -> Callable[[], object]:
            def run() -> object:
                with ReceiverState.open(d) as st:
                    try:
                        result = world.apply(st, paths)
                    except Exception as e:
                        result = getattr(e, "code", type(e).__name__)
                Path(f"{o}.{slot}").write_text(json.dumps(result))
                return result

            return run

        pids = [_fork(task(first, "a")), _fork(task(second, "b"))]
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        results = sorted(json.loads(Path(f"{out}.{s}").read_text()) for s in "ab")
        version = world.observed(directory)
        if second is world.s[3]:
            # Either order is fine; a late delta v2 after v3 is a refused rollback.
            assert version == 3
            assert results in (["delta", "snapshot"], ["rollback", "snapshot"])
        else:
            assert version == 2
            # One applies; the other finds the work done (unchanged) -- or, if it
            # verified against v1 and was refused at accept time, a typed error.
            assert results[0] in ("delta", "snapshot") or results[1] in ("delta", "snapshot")
            assert set(results) <= {"delta", "snapshot", "unchanged", "delta_base_mismatch"}
