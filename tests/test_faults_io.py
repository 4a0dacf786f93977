"""Fault injection for file input and output: FIFOs and devices, full disks, endless and
unopenable inputs, hostile names. Every command must end with exit 0, 1 or 2 and a typed
error code (never 3, never a hang), leave outputs it did not create alone, and keep the
receiver state old or new.

The FIFOs and device nodes are made inside ``tmp_path`` (a device node copying the
major/minor of the null or zero device), never taken from ``/dev``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from antifraud_common.cli import main

GOLDEN = Path(__file__).parent / "golden"


# ----------------------------------------------------------------- helpers


class Hang(BaseException):
    """Raised in the main thread when a command runs past its deadline.

    A ``BaseException``, so no ``except Exception`` (or ``except OSError``, as a
    ``TimeoutError`` would be) in the code under test can swallow it.
    """


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging the run) when the body takes longer than ``seconds``."""

    def expired(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    """Run the CLI in-process with ``--json``; return the exit status and the document.

    A usage error (exit 2) prints its message on stderr and no document: it is
    returned as ``{"usage_error": message}``.
    """
    with deadline(60):
        code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code in (0, 1, 2), (code, captured.err)
    assert "internal error" not in captured.err
    if code == 2 and not captured.out.strip():
        return code, {"usage_error": captured.err}
    doc = json.loads(captured.out)
    return code, doc


def error_code(doc: dict[str, object]) -> str:
    error = doc.get("error")
    assert isinstance(error, dict), doc
    code = error["code"]
    assert isinstance(code, str)
    return code


def null_device(path: Path) -> Path:
    """A character device node at ``path`` with the null device's numbers (1, 3)."""
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


def zero_device(path: Path) -> Path:
    """A character device node at ``path`` with the zero device's numbers (1, 5)."""
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    return path


class FifoReader:
    """A FIFO at ``path`` with a thread reading everything written to it."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with self.path.open("rb") as f:  # blocks until a writer opens it
            self.data = f.read()

    def join(self) -> bytes:
        self._thread.join(10)
        assert not self._thread.is_alive(), "nothing was written to the FIFO"
        return self.data

    def release(self) -> None:
        """Unblock the reader when nothing will write (open and close a writer)."""
        if self._thread.is_alive():
            with contextlib.suppress(OSError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
            self._thread.join(10)


@pytest.fixture(autouse=True)
def _needs_root() -> None:
    if os.geteuid() != 0:  # pragma: no cover - CI and development run as root
        pytest.skip("device nodes need root")


@pytest.fixture
def work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """Keys, a signed trust bundle with one member (mps), a signed list and its CSV."""
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE", raising=False)
    monkeypatch.chdir(tmp_path)
    for name in ("root", "mps", "bank"):
        code, _ = cli(
            capsys, "keygen", "--unencrypted", "--out", f"{name}.pem", "--public-out", f"{name}.jwk"
        )
        assert code == 0
    assert (
        cli(
            capsys,
            "trust",
            "init",
            "--bundle-id",
            "t",
            "--root-key",
            "root.jwk",
            "--threshold",
            "1",
        )[0]
        == 0
    )
    assert (
        cli(
            capsys,
            "trust",
            "add-member",
            "trust.json",
            "--agency",
            "mps",
            "--name",
            "MPS",
            "--key",
            "mps.jwk",
            "--publish",
            "fraud_numbers:phone:block,watch",
        )[0]
        == 0
    )
    assert cli(capsys, "trust", "sign", "trust.json", "--key", "root.pem")[0] == 0
    shutil.copy(GOLDEN / "fraud-phones.jsonl", "l.jsonl")
    assert cli(capsys, *SIGN, "l.jsonl")[0] == 0
    assert cli(capsys, "export-csv", "l.jsonl", "--out", "l.csv")[0] == 0
    Path("empty.jsonl").write_bytes(b"")
    return tmp_path


SIGN = (
    "sign",
    "--key",
    "mps.pem",
    "--issuer",
    "mps",
    "--list-id",
    "fraud-phones",
    "--list-type",
    "fraud_numbers",
    "--version",
    "1",
    "--expires",
    "30d",
)

#: Every command that writes a file named by an option, with that option last.
WRITERS = {
    "import-csv": ("import-csv", "l.csv", "--out"),
    "export-csv": ("export-csv", "l.jsonl", "--out"),
    "diff": ("diff", "empty.jsonl", "l.jsonl", "--out"),
    "index build": ("index", "build", "--from", "l.jsonl", "--out"),
    "sign": (*SIGN, "l.jsonl", "--out"),
    "trust init": (
        "trust",
        "init",
        "--bundle-id",
        "u",
        "--root-key",
        "root.jwk",
        "--threshold",
        "1",
        "--out",
    ),
    "trust add-member": (
        "trust",
        "add-member",
        "trust.json",
        "--agency",
        "bank",
        "--name",
        "B",
        "--key",
        "bank.jwk",
        "--out",
    ),
    "keygen --public-out": ("keygen", "--unencrypted", "--out", "new.pem", "--public-out"),
}

#: Writers of secrets: a key never goes to a FIFO or a device.
SECRET_WRITERS = {
    "keygen": ("keygen", "--unencrypted", "--force", "--out"),
    "pseudo keygen": ("pseudo", "keygen", "--domain", "d", "--force", "--out"),
}


# ------------------------------------------------- outputs that are not regular files


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writer_to_a_device_writes_it_and_keeps_it_a_device(
    work: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    target = null_device(work / "null")
    code, doc = cli(capsys, *WRITERS[name], str(target))
    assert code == 0, doc
    assert stat.S_ISCHR(target.stat().st_mode)
    assert target.stat().st_rdev == os.makedev(1, 3)
    assert not [p.name for p in work.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writer_to_a_fifo_streams_into_it_and_keeps_it_a_fifo(
    work: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    reader = FifoReader(work / "pipe")
    try:
        code, doc = cli(capsys, *WRITERS[name], str(reader.path))
    finally:
        reader.release()
    assert code == 0, doc
    assert reader.join(), "the FIFO received no bytes"
    assert stat.S_ISFIFO(reader.path.stat().st_mode)


@pytest.mark.parametrize("name", sorted(SECRET_WRITERS))
def test_secret_writer_refuses_a_device(
    work: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    target = null_device(work / "null")
    code, doc = cli(capsys, *SECRET_WRITERS[name], str(target))
    assert code in (1, 2)
    assert error_code(doc) in ("not_a_regular_file", "key_file_exists")
    assert stat.S_ISCHR(target.stat().st_mode)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writer_to_a_directory_is_a_typed_error(
    work: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    target = work / "adir"
    target.mkdir()
    (target / "keep").write_bytes(b"x")
    code, doc = cli(capsys, *WRITERS[name], str(target))
    assert code == 1
    assert error_code(doc) == "not_a_regular_file"
    assert (target / "keep").read_bytes() == b"x"


def test_write_output_symlink_to_a_device_is_written_through(tmp_path: Path) -> None:
    from antifraud_common.format.jsonl import write_atomic

    dev = null_device(tmp_path / "null")
    link = tmp_path / "stdout-like"
    link.symlink_to(dev)
    write_atomic(link, b"data\n")
    assert link.is_symlink()
    assert stat.S_ISCHR(dev.stat().st_mode)


# ------------------------------------------------------- inputs that are not regular files

#: Commands reading a file named by their last argument.
READERS = {
    "verify": ("verify", "--trust", "trust.json", "l.jsonl", "--sig"),
    "verify entries": ("verify", "--trust", "trust.json", "--sig", "l.jsonl.sig"),
    "validate": ("validate",),
    "inspect": ("inspect",),
    "import-csv": ("import-csv", "--out", "x.jsonl"),
    "export-csv": ("export-csv", "--out", "x.csv"),
    "diff": ("diff", "l.jsonl", "--out", "d.jsonl"),
    "trust show": ("trust", "show"),
    "sign --key": (
        "sign",
        "l.jsonl",
        "--issuer",
        "mps",
        "--list-id",
        "x",
        "--list-type",
        "fraud_numbers",
        "--version",
        "1",
        "--expires",
        "1d",
        "--out",
        "s.sig",
        "--key",
    ),
    "verify --trust": ("verify", "l.jsonl", "--trust"),
    "index build": ("index", "build", "--out", "i.afi", "--from"),
    "screen": ("screen", "--index", "i.afi", "--column", "value:phone", "--out", "m.jsonl"),
}


def _reader_argv(name: str, path: Path) -> list[str]:
    argv = [*READERS[name]]
    if name == "verify entries":  # the entries file comes first, its signature is fixed
        return [argv[0], str(path), *argv[1:]]
    return [*argv, str(path)]


@pytest.mark.parametrize("name", sorted(READERS))
@pytest.mark.parametrize("kind", ["fifo", "zero_device"])
def test_reader_refuses_a_fifo_or_device_without_blocking(
    work: Path, capsys: pytest.CaptureFixture[str], name: str, kind: str
) -> None:
    if name == "screen":
        assert cli(capsys, "index", "build", "--from", "l.jsonl", "--out", "i.afi")[0] == 0
    path = work / "input"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: a blocking open would hang here
    else:
        zero_device(path)  # endless zeros: reading it whole would exhaust memory
    code, doc = cli(capsys, *_reader_argv(name, path))
    assert code in (1, 2), doc
    text = json.dumps(doc)
    assert "not_a_regular_file" in text or "not a regular file" in text, doc
