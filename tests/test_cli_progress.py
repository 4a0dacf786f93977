"""Progress display of the long commands, under a real pseudo-terminal.

Each command runs in a child process whose stderr is the slave side of a pty
(``pty.openpty``): it must draw a progress line there (label, count, rate). With
``--quiet``, or with stderr a pipe (not a terminal), it must draw none, and stdout
stays the one JSON document either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


def _world_module() -> ModuleType:
    name = "_cli_contract_world"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).with_name("test_cli_contract.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress-world")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("ANTIFRAUD_PASSPHRASE", "ANTIFRAUD_TRUST", "ANTIFRAUD_STATE"):
            mp.delenv(name, raising=False)
        _world_module()._build(root)
    return root


SIGN = [
    "--key", "mps.pem", "--issuer", "mps", "--list-id", "fraud-phones",
    "--list-type", "fraud_numbers", "--expires", "30d",
]  # fmt: skip
CALLS = ["--calling", "caller", "--called", "callee", "--ingress", "via"]

#: Every command that can run long, with a run of it and the label its progress shows.
LONG_COMMANDS = {
    "import-csv": (["import-csv", "fraud.csv", "--out", "new.jsonl"], "import-csv"),
    "sign": (["sign", "fraud.jsonl", *SIGN, "--list-version", "2", "--force"], "sign"),
    "apply": (["apply", "fraud.jsonl", "--trust", "trust.json", "--state", "new-st"], "apply"),
    "sync": (["sync", "--from", "drop", "--trust", "trust.json", "--state", "new-st"], "sync"),
    "index build": (["index", "build", "--from", "fraud.jsonl", "--out", "new.afi"], "index"),
    "verify": (["verify", "fraud.jsonl", "--trust", "trust.json"], "verify"),
    "validate": (["validate", "fraud.jsonl"], "validate"),
    "screen": (["screen", "clean.csv", "--index", "fraud.afi", "--column", "caller"], "screen"),
    "screen-calls": (["screen-calls", "cdr.csv", *CALLS], "screen-calls"),
    "pseudo convert": (
        ["pseudo", "convert", "fraud.jsonl", "--key", "d.key", "--out", "new.p.jsonl"],
        "pseudo convert",
    ),
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIFRAUD_")}
    env["TERM"] = "xterm"
    return env


def _run_on_pty(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run with stderr a pseudo-terminal; return (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "antifraud_common", *argv],
            cwd=cwd,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
        )
    finally:
        os.close(slave)
    seen = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                proc.kill()
                pytest.fail(f"{argv}: no output for 60 s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    stdout, _ = proc.communicate(timeout=120)
    return proc.returncode, stdout.decode(), seen.decode(errors="replace")


@pytest.fixture
def copy(world: Path, tmp_path: Path) -> Path:
    root = tmp_path / "w"
    shutil.copytree(world, root, symlinks=True)
    return root


@pytest.mark.parametrize("name", sorted(LONG_COMMANDS))
def test_progress_on_a_terminal(name: str, copy: Path) -> None:
    argv, label = LONG_COMMANDS[name]
    status, stdout, terminal = _run_on_pty([*argv, "--json"], copy)
    assert status in (0, 1), terminal
    assert json.loads(stdout)["command"] == name  # stdout is still the one document
    lines = [part for part in terminal.replace("\n", "\r").split("\r") if part.startswith(label)]
    assert lines, f"no progress line on the terminal: {terminal!r}"
    # count, and the rate once anything is through
    assert any("/s" in line for line in lines), lines


@pytest.mark.parametrize("name", sorted(LONG_COMMANDS))
def test_quiet_on_a_terminal_shows_no_progress(name: str, copy: Path) -> None:
    argv, _ = LONG_COMMANDS[name]
    status, stdout, terminal = _run_on_pty([*argv, "--json", "--quiet"], copy)
    assert status in (0, 1), terminal
    assert json.loads(stdout)["command"] == name
    assert "\r" not in terminal.replace("\r\n", "\n"), terminal
    assert "/s" not in terminal, terminal


@pytest.mark.parametrize("name", sorted(LONG_COMMANDS))
def test_no_progress_when_stderr_is_not_a_terminal(name: str, copy: Path) -> None:
    argv, _ = LONG_COMMANDS[name]
    done = subprocess.run(
        [sys.executable, "-m", "antifraud_common", *argv, "--json"],
        cwd=copy,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["command"] == name
    assert "\r" not in done.stderr and "/s" not in done.stderr, done.stderr


def test_every_long_command_is_covered() -> None:
    """The commands the documentation names as long-running all have a progress test."""
    documented = {
        "import-csv", "sign", "apply", "sync", "index build", "verify", "screen",
        "pseudo convert",
    }  # fmt: skip
    assert documented <= set(LONG_COMMANDS)
