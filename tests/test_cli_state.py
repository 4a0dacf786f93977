"""Tests for ``antifraud diff | apply | sync | state show`` (in-process, JSON contract)."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common import cli


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


@pytest.fixture(autouse=True)
def _register(monkeypatch: pytest.MonkeyPatch) -> None:
    if "_state" not in cli._COMMAND_MODULES:
        monkeypatch.setattr(cli, "_COMMAND_MODULES", (*cli._COMMAND_MODULES, "_state"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = cli.main([*argv, "--json"])
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert len(lines) == 1, text
    return code, json.loads(lines[0])


@pytest.fixture(scope="module")
def pub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kit = K.Kit()
    folder = tmp_path_factory.mktemp("pub")
    kit.write_trust(folder)
    rng = random.Random(11)
    v1 = K.random_list(rng, 80)
    v2 = K.mutate(rng, v1, 12)
    s1 = kit.snapshot(folder, "l-v1", K.entries_of(v1), 1)
    s2 = kit.snapshot(folder, "l-v2", K.entries_of(v2), 2)
    kit.delta(folder, "l-v2", s1[0], s2[0], 2, 1)
    return folder


def test_diff(tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.jsonl"
    code, doc = run(
        capsys, "diff", str(pub / "l-v1.jsonl"), str(pub / "l-v2.jsonl"), "--out", str(out)
    )
    assert code == 0 and doc["ok"] is True and doc["command"] == "diff"
    assert out.read_bytes() == (pub / "l-v2.delta.jsonl").read_bytes()
    assert doc["result_sha256"] == K.sha_file(pub / "l-v2.jsonl")
    code = cli.main(["diff", str(tmp_path / "missing.jsonl"), str(out), "--out", str(out)])
    assert code == 2


def test_apply_snapshot_delta_and_show(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    st = str(tmp_path / "st")
    trust = str(pub / "trust.json")
    code, doc = run(capsys, "apply", str(pub / "l-v1.jsonl"), "--trust", trust, "--state", st)
    assert (code, doc["outcome"], doc["content"], doc["version"]) == (0, "applied", "snapshot", 1)
    code, doc = run(capsys, "apply", str(pub / "l-v2.delta.jsonl"), "--trust", trust, "--state", st)
    assert (code, doc["outcome"], doc["content"], doc["version"]) == (0, "applied", "delta", 2)
    assert doc["state_sha256"] == K.sha_file(pub / "l-v2.jsonl")
    # Rollback: exit 1 with the typed code.
    code, doc = run(capsys, "apply", str(pub / "l-v1.jsonl"), "--trust", trust, "--state", st)
    assert code == 1 and doc["ok"] is False
    assert doc["error"]["code"] == "rollback"  # type: ignore[index]
    code, doc = run(capsys, "state", "show", "--state", st, "--check")
    assert code == 0 and doc["problems"] == []
    (rec,) = doc["lists"]  # type: ignore[misc]
    assert rec["version"] == 2 and rec["entry_count"] == 80


def test_apply_bad_signature_exit_1(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "f"
    shutil.copytree(pub, folder)
    data = bytearray((folder / "l-v1.jsonl").read_bytes())
    data[-3] ^= 1
    (folder / "l-v1.jsonl").write_bytes(bytes(data))
    code, doc = run(
        capsys, "apply", str(folder / "l-v1.jsonl"), "--trust", str(folder / "trust.json"),
        "--state", str(tmp_path / "st"),
    )  # fmt: skip
    assert code == 1 and doc["error"]["code"] == "hash_mismatch"  # type: ignore[index]


def test_sync(tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    st = str(tmp_path / "st")
    trust = str(pub / "trust.json")
    code, doc = run(capsys, "sync", "--from", str(pub), "--trust", trust, "--state", st)
    assert code == 0 and doc["applied"] == 2 and doc["refused"] == 0
    (pub / "junk.jsonl").write_bytes(b"")
    try:
        code, doc = run(capsys, "sync", "--from", str(pub), "--trust", trust, "--state", st)
    finally:
        (pub / "junk.jsonl").unlink()
    assert code == 1 and doc["applied"] == 0 and doc["refused"] == 1
    assert (
        cli.main(["sync", "--from", str(tmp_path / "nope"), "--trust", trust, "--state", st]) == 2
    )


def test_show_without_state_is_a_typed_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = run(capsys, "state", "show", "--state", str(tmp_path / "none"))
    assert code == 1 and doc["error"]["code"] == "state_missing"
    assert not (tmp_path / "none").exists()


def test_apply_keeps_the_state_index_in_step(
    tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from antifraud_common.index import INDEX_FILE, Index

    st = tmp_path / "st"
    trust = str(pub / "trust.json")
    code, _ = run(capsys, "apply", str(pub / "l-v1.jsonl"), "--trust", trust, "--state", str(st))
    assert code == 0
    sidecar = json.loads((st / (INDEX_FILE + ".json")).read_text())
    assert [m[2] for m in sidecar["lists"]] == [1]
    code, _ = run(
        capsys, "apply", str(pub / "l-v2.delta.jsonl"), "--trust", trust, "--state", str(st)
    )
    assert code == 0
    sidecar = json.loads((st / (INDEX_FILE + ".json")).read_text())
    assert [m[2] for m in sidecar["lists"]] == [2]
    # The saved index holds exactly the second version.
    v2 = [json.loads(line)["value"] for line in (pub / "l-v2.jsonl").read_text().splitlines()]
    v1 = [json.loads(line)["value"] for line in (pub / "l-v1.jsonl").read_text().splitlines()]
    saved = Index.open(st / INDEX_FILE)
    assert all(saved.check_key("phone", v, now=K.NOW).listed for v in v2)
    assert not any(saved.check_key("phone", v, now=K.NOW).listed for v in set(v1) - set(v2))
    # `check --state` answers from it.
    code = cli.main(["check", "--state", str(st), "--json", v2[0]])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1  # listed
    assert doc["results"][0]["lookup"]["listed"] is True, doc


def test_apply_no_index(tmp_path: Path, pub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from antifraud_common.index import INDEX_FILE

    st = tmp_path / "st"
    trust = str(pub / "trust.json")
    args = ("--trust", trust, "--state", str(st), "--no-index")
    code, _ = run(capsys, "apply", str(pub / "l-v1.jsonl"), *args)
    assert code == 0
    code, doc = run(capsys, "sync", "--from", str(pub), *args)
    assert code == 0, doc
    assert not (st / INDEX_FILE).exists()
