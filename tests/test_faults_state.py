"""Fault injection on the receiver state: missing, lost, damaged, edited and read-only states.

Every command must end with exit 0, 1 or 2 and, for a fault, a typed error
code in its JSON document -- never exit 3 -- and must leave the state either as
it was or as the accepted change made it. Read-only paths are real: permission
bits for an ordinary user, a read-only bind mount in a private mount
namespace (``unshare -m``) when the tests run as root.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common import cli
from antifraud_common.errors import StateError
from antifraud_common.exchange.state import DB_NAME, MARKER_NAME, ReceiverState
from antifraud_common.index import INDEX_FILE


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


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = cli.main([*argv, "--json"])
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert len(lines) == 1, text
    return code, json.loads(lines[0])


def code_of(doc: dict[str, object]) -> object:
    error = doc.get("error")
    assert isinstance(error, dict), doc
    return error["code"]


@pytest.fixture(scope="module")
def pub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import random

    kit = K.Kit()
    folder = tmp_path_factory.mktemp("pub")
    kit.write_trust(folder)
    rng = random.Random(7)
    v1 = K.random_list(rng, 300)
    v2 = K.mutate(rng, v1, 30)
    s1 = kit.snapshot(folder, "l-v1", K.entries_of(v1), 1)
    s2 = kit.snapshot(folder, "l-v2", K.entries_of(v2), 2)
    kit.delta(folder, "l-v2", s1[0], s2[0], 2, 1)
    return folder


@pytest.fixture
def loaded(tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A state directory holding version 1 of the list (checkpointed, closed)."""
    st = tmp_path / "st"
    code, doc = run(capsys, "apply", str(pub / "l-v1.jsonl"), *_trust(pub), "--state", str(st))
    assert code == 0, doc
    assert doc["state_created"] is True
    assert not (st / (DB_NAME + "-wal")).exists()
    return st


def _trust(pub: Path) -> tuple[str, str]:
    return ("--trust", str(pub / "trust.json"))


def _listed_value(pub: Path) -> str:
    return str(json.loads((pub / "l-v1.jsonl").read_text().splitlines()[0])["value"])


def _records(tmp_path: Path, value: str) -> Path:
    records = tmp_path / "calls.csv"
    records.write_text(f"a\n{value}\n", encoding="utf-8")
    return records


def _readers(st: Path, pub: Path, tmp_path: Path) -> list[list[str]]:
    value = _listed_value(pub)
    return [
        ["check", "--state", str(st), value],
        [
            "screen",
            str(_records(tmp_path, value)),
            "--state",
            str(st),
            "--column",
            "a:phone",
            "--out",
            str(tmp_path / "matches.jsonl"),
        ],
        ["verify", str(pub / "l-v2.jsonl"), *_trust(pub), "--state", str(st)],
        ["state", "show", "--state", str(st), "--check"],
    ]


def _writers(st: Path, pub: Path) -> list[list[str]]:
    return [
        ["apply", str(pub / "l-v2.delta.jsonl"), *_trust(pub), "--state", str(st)],
        ["sync", "--from", str(pub), *_trust(pub), "--state", str(st)],
    ]


# --------------------------------------------------------------- missing state


@pytest.mark.parametrize("exists", [False, True], ids=["no-directory", "empty-shared-directory"])
def test_readers_never_create_a_state(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str], exists: bool
) -> None:
    st = tmp_path / "typo"
    if exists:
        st.mkdir()
        st.chmod(0o1777)  # a shared scratch directory named by mistake
    for argv in _readers(st, pub, tmp_path):
        code, doc = run(capsys, *argv)
        assert code == 1, (argv, doc)
        assert code_of(doc) == "state_missing", (argv, doc)
        if exists:
            assert list(st.iterdir()) == []
            assert stat.S_IMODE(st.stat().st_mode) == 0o1777
        else:
            assert not st.exists()


def test_readers_refuse_a_state_without_lists(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st = tmp_path / "st"
    ReceiverState.open(st).close()  # what a writer leaves when it refused every file
    for argv in _readers(st, pub, tmp_path)[:2]:
        code, doc = run(capsys, *argv)
        assert code == 1 and code_of(doc) == "state_empty", (argv, doc)
    # Without --json the code is named too.
    assert cli.main(["check", "--state", str(st), _listed_value(pub)]) == 1
    assert "state_empty" in capsys.readouterr().err
    # verify and state show read an empty state: nothing to compare with is not an error.
    code, doc = run(capsys, "state", "show", "--state", str(st))
    assert code == 0 and doc["lists"] == []


def test_writers_say_they_created_the_state(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st = tmp_path / "new"
    code = cli.main(["sync", "--from", str(pub), *_trust(pub), "--state", str(st)])
    assert code == 0
    assert f"created a new receiver state in {st}" in capsys.readouterr().err
    assert stat.S_IMODE(st.stat().st_mode) == 0o700
    code, doc = run(capsys, "sync", "--from", str(pub), *_trust(pub), "--state", str(st))
    assert code == 0 and doc["state_created"] is False


def test_writers_never_chmod_a_shared_directory(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st = tmp_path / "shared"
    st.mkdir()
    st.chmod(0o1777)
    for argv in _writers(st, pub):
        code, doc = run(capsys, *argv)
        assert code == 1 and code_of(doc) == "state_permissions", (argv, doc)
    assert stat.S_IMODE(st.stat().st_mode) == 0o1777 and list(st.iterdir()) == []


# ------------------------------------------------------------------ lost state


@pytest.mark.parametrize("how", ["deleted", "zero-length"])
def test_a_lost_database_is_not_recreated_empty(
    loaded: Path, pub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    assert (loaded / MARKER_NAME).is_file()
    db = loaded / DB_NAME
    if how == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")
    for argv in _readers(loaded, pub, tmp_path) + _writers(loaded, pub):
        code, doc = run(capsys, *argv)
        assert code == 1, (argv, doc)
        assert code_of(doc) == "state_lost", (argv, doc)
    assert db.exists() == (how == "zero-length")
    assert not db.exists() or db.stat().st_size == 0
    with pytest.raises(StateError) as e:
        ReceiverState.open(loaded)
    assert e.value.code == "state_lost"
    # The documented deliberate reset: remove the marker as well.
    (loaded / MARKER_NAME).unlink()
    code, doc = run(capsys, "apply", str(pub / "l-v1.jsonl"), *_trust(pub), "--state", str(loaded))
    assert code == 0 and doc["outcome"] == "applied" and doc["content"] == "snapshot", doc


def test_the_marker_is_written_for_a_state_from_before_it(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (loaded / MARKER_NAME).unlink()
    ReceiverState.open(loaded, create=False).close()  # a reader writes nothing
    assert not (loaded / MARKER_NAME).exists()
    ReceiverState.open(loaded).close()  # a writer adds it: the state holds a list
    assert (loaded / MARKER_NAME).is_file()


# -------------------------------------------------------------- damaged pages


def _root_page(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
        )
    finally:
        conn.close()


def _garble_page(db: Path, page: int) -> None:
    size = 4096
    with db.open("r+b") as f:
        f.seek((page - 1) * size + 8)
        f.write(bytes((i * 37 + 11) % 256 for i in range(size - 8)))


@pytest.mark.parametrize("table", ["lists", "chunks"])
def test_a_damaged_btree_page_is_a_typed_error(
    loaded: Path, pub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(loaded, copy)
    (copy / INDEX_FILE).unlink()  # readers must rebuild the index from the damaged state
    _garble_page(copy / DB_NAME, _root_page(copy / DB_NAME, table))
    before = (copy / DB_NAME).read_bytes()
    argvs = _readers(copy, pub, tmp_path) + _writers(copy, pub)
    for argv in argvs:
        code, doc = run(capsys, *argv)
        if argv[0] == "verify" and table == "chunks":
            # verify reads only the list's record (rollback, fork): that page is sound.
            assert code == 0, doc
            continue
        assert code == 1, (argv, doc)
        if argv[0] == "sync":
            items = doc.get("items") or []
            codes = {code_of(doc)} if "error" in doc else {i["error"]["code"] for i in items}
            assert codes <= {"state_damaged"} and codes, doc
        else:
            assert code_of(doc) == "state_damaged", (argv, doc)
    # Nothing was written over the damage (a refused apply rolls back).
    assert (copy / DB_NAME).read_bytes() == before


def test_a_torn_checkpoint_with_the_wal_lost_is_refused(
    loaded: Path, pub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL while the delta's pages are copied into the database, then the WAL lost.

    The delta is applied with automatic checkpoints off and the state copied
    while its connection is still open (the files a SIGKILL would leave); in
    the copy every committed page but the list record's is written into the
    database file, as an interrupted checkpoint leaves it, and the WAL and
    shared-memory files are deleted.
    """
    from antifraud_common.exchange.signing import verify_list
    from antifraud_common.exchange.trust import load_trust

    trust = load_trust(pub / "trust.json", pub / "trust.json.sig", now=K.NOW)
    state = ReceiverState.open(loaded)
    state._conn.execute("PRAGMA wal_autocheckpoint=0")
    delta = pub / "l-v2.delta.jsonl"
    with verify_list(delta, Path(f"{delta}.sig"), trust=trust, state=state, now=K.NOW) as v:
        assert state.accept(v, now=K.NOW).action == "delta"
    lists_page = int(
        state._conn.execute("SELECT rootpage FROM sqlite_master WHERE name='lists'").fetchone()[0]
    )
    copy = tmp_path / "torn"
    shutil.copytree(loaded, copy)
    state.close()
    wal = (copy / (DB_NAME + "-wal")).read_bytes()
    page_size = int.from_bytes(wal[8:12], "big")
    copied = 0
    with (copy / DB_NAME).open("r+b") as f:
        pos = 32
        while pos + 24 + page_size <= len(wal):
            page = int.from_bytes(wal[pos : pos + 4], "big")
            if page != lists_page:
                f.seek((page - 1) * page_size)
                f.write(wal[pos + 24 : pos + 24 + page_size])
                copied += 1
            pos += 24 + page_size
    assert copied > 0
    (copy / (DB_NAME + "-wal")).unlink()
    (copy / (DB_NAME + "-shm")).unlink(missing_ok=True)
    (copy / INDEX_FILE).unlink()

    code, doc = run(capsys, "state", "show", "--state", str(copy), "--check")
    assert code == 1 and code_of(doc) == "state_damaged", doc
    value = _listed_value(pub)
    code, doc = run(capsys, "check", "--state", str(copy), value)
    assert code == 1 and code_of(doc) == "state_damaged", doc
    code, doc = run(capsys, "apply", str(delta), *_trust(pub), "--state", str(copy))
    assert code == 1 and code_of(doc) == "state_damaged", doc
    code, doc = run(capsys, "sync", "--from", str(pub), *_trust(pub), "--state", str(copy))
    assert code == 1 and code_of(doc) == "state_damaged", doc


# --------------------------------------------------- damaged or edited entries


def _edit(db: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def test_a_damaged_stored_entry_fails_apply_and_sync(
    loaded: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(
        loaded / DB_NAME,
        "UPDATE chunks SET data = CAST('{\"kind\":' AS BLOB) || x'0a' "
        "WHERE id = (SELECT min(id) FROM chunks)",
    )
    (loaded / INDEX_FILE).unlink()
    for argv in _writers(loaded, pub):
        code, doc = run(capsys, *argv)
        assert code == 1 and code_of(doc) == "state_damaged", (argv, doc)
    code, doc = run(capsys, "state", "show", "--state", str(loaded), "--check")
    assert code == 1 and code_of(doc) == "state_damaged" and doc["problems"], doc


@pytest.mark.parametrize("keep_index", [False, True], ids=["index-removed", "record-edited"])
def test_a_direct_edit_of_the_state_is_refused_not_answered(
    loaded: Path, pub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], keep_index: bool
) -> None:
    value = _listed_value(pub)
    code, doc = run(capsys, "check", "--state", str(loaded), value)
    # A listed value fails the check (exit 1, error.code "listed").
    assert code == 1 and doc["results"][0]["lookup"]["action"] == "block", doc
    assert code_of(doc) == "listed", doc
    # BLOCK turned into WATCH by editing the stored bytes (same length, valid JSON).
    _edit(
        loaded / DB_NAME,
        "UPDATE chunks SET data = CAST(replace(CAST(data AS TEXT), "
        '\'"action":"block"\', \'"action":"watch"\') AS BLOB)',
    )
    if keep_index:
        # The index stays, but a changed record (here its expiry) forces a reload.
        _edit(loaded / DB_NAME, "UPDATE lists SET expires = '2098-01-01T00:00:00Z'")
    else:
        (loaded / INDEX_FILE).unlink()
    code, doc = run(capsys, "check", "--state", str(loaded), value)
    assert code == 1 and code_of(doc) == "state_damaged", doc
    argv = _readers(loaded, pub, tmp_path)[1]
    code, doc = run(capsys, *argv)
    assert code == 1 and code_of(doc) == "state_damaged", doc


def test_refresh_keeps_the_verified_list_when_the_state_was_edited(loaded: Path) -> None:
    from antifraud_common.index import StateIndex

    with ReceiverState.open(loaded) as state, StateIndex.follow(state, persist=False) as si:
        value = state.lists()[0]
        listed = next(iter(state.iter_entries()))
        _edit(
            loaded / DB_NAME,
            "UPDATE chunks SET data = CAST(replace(CAST(data AS TEXT), "
            '\'"action":"block"\', \'"action":"watch"\') AS BLOB)',
        )
        _edit(loaded / DB_NAME, "UPDATE lists SET expires = '2098-01-01T00:00:00Z'")
        with pytest.raises(StateError) as e:
            si.refresh()
        assert e.value.code == "state_damaged"
        assert value.issuer == "mps"
        hit = si.check_key("phone", listed.value, now=K.NOW)
        assert hit.listed and hit.action is not None and hit.action.value == "block"


# ---------------------------------------------------------- read-only paths


def _cli(argv: list[str], read_only: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a child process with ``read_only`` paths made read-only."""
    cmd = [sys.executable, "-m", "antifraud_common", *argv, "--json"]
    if os.geteuid() != 0:
        modes = {p: stat.S_IMODE(p.stat().st_mode) for p in read_only}
        for p in read_only:
            p.chmod(modes[p] & ~0o222)
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        finally:
            for p, m in modes.items():
                p.chmod(m)
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: cannot make a path read-only")
    mounts = " && ".join(
        f"mount --bind '{p}' '{p}' && mount -o remount,bind,ro '{p}' '{p}'" for p in read_only
    )
    full = ["unshare", "-m", "sh", "-c", f'{{ {mounts}; }} || exit 97; exec "$@"', "sh", *cmd]
    done = subprocess.run(full, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode == 97:
        pytest.skip(f"cannot bind-mount read-only here: {done.stderr.strip()}")
    return done


@pytest.mark.parametrize("what", ["directory", "database"])
def test_a_read_only_state(loaded: Path, pub: Path, tmp_path: Path, what: str) -> None:
    paths = [loaded] if what == "directory" else [loaded / DB_NAME]
    before = (loaded / DB_NAME).read_bytes()
    for argv in _writers(loaded, pub):
        done = _cli(argv, paths)
        assert done.returncode == 1, (argv, done.stdout, done.stderr)
        assert json.loads(done.stdout)["error"]["code"] == "state_read_only", done.stdout
    # Readers still work on a read-only state.
    value = _listed_value(pub)
    (loaded / INDEX_FILE).unlink()  # and rebuild their index in memory
    done = _cli(["check", "--state", str(loaded), value], paths)
    assert done.returncode == 1, (done.stdout, done.stderr)  # 1: the value is listed
    assert json.loads(done.stdout)["results"][0]["lookup"]["listed"] is True
    done = _cli(["state", "show", "--state", str(loaded), "--check"], paths)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert (loaded / DB_NAME).read_bytes() == before
