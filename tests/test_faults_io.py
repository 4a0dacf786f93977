"""Fault injection for file input and output: FIFOs and devices, full disks, endless and
unopenable inputs, hostile names. Every command must end with exit 0, 1 or 2 and a typed
error code (never 3, never a hang), leave outputs it did not create alone, and keep the
receiver state old or new.

The FIFOs and device nodes are made inside ``tmp_path`` (a device node copying the
major/minor of the null or zero device), never taken from ``/dev``.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import importlib.util
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common.cli import main
from antifraud_common.exchange.signing import sign_list
from antifraud_common.format.keys import LocalSigner, save_private_key

GOLDEN = Path(__file__).parent / "golden"


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


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module: keys, a signed trust bundle (member mps), a signed list, its CSV."""
    from antifraud_common.exchange.trust import sign_trust_bundle

    root = tmp_path_factory.mktemp("template")
    kit = K.Kit()  # mps signs, root signs the bundle
    keys = {"root": kit.root, "mps": kit.signer, "bank": LocalSigner.generate()}
    for name, signer in keys.items():
        save_private_key(root / f"{name}.pem", signer.private_key, passphrase=None,
                         allow_unencrypted=True)  # fmt: skip
        (root / f"{name}.jwk").write_text(json.dumps(signer.public_key.to_jwk()))
    data = kit.trust.to_bytes()
    (root / "trust.json").write_bytes(data)
    (root / "trust.json.sig").write_bytes(sign_trust_bundle(data, [kit.root]))
    shutil.copy(GOLDEN / "fraud-phones.jsonl", root / "l.jsonl")
    sign_list(root / "l.jsonl", signers=[kit.signer], issuer=K.ISSUER, list_id=K.LIST_ID,
              list_type=K.LIST_TYPE, version=1, expires=K.EXPIRES)  # fmt: skip
    assert main(["export-csv", str(root / "l.jsonl"), "--out", str(root / "l.csv")]) == 0
    (root / "empty.jsonl").write_bytes(b"")
    return root


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _template: Path) -> Path:
    """A private copy of the template, as the current directory."""
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE", raising=False)
    for p in _template.iterdir():
        shutil.copy2(p, tmp_path / p.name)
    monkeypatch.chdir(tmp_path)
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
    "trust add-member --key": (
        "trust",
        "add-member",
        "trust.json",
        "--agency",
        "x",
        "--name",
        "X",
        "--out",
        "t2.json",
        "--key",
    ),
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


# ------------------------------------------------------------------ sync and the drop folder


def _sync(
    capsys: pytest.CaptureFixture[str], folder: Path, trust: Path, state: Path
) -> tuple[int, dict[str, object]]:
    return cli(capsys, "sync", "--from", str(folder), "--trust", str(trust), "--state",
               str(state), "--no-index")  # fmt: skip


def _items(doc: dict[str, object]) -> list[dict[str, object]]:
    items = doc["items"]
    assert isinstance(items, list)
    return items


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[tuple[object, Path]]:
    k = K.Kit()
    trust = k.write_trust(tmp_path)
    yield k, trust


def _lists(k: object, folder: Path, names: list[str], n: int = 3) -> None:
    for i, name in enumerate(names):
        entries = [K.phone_entry(i * 100 + j) for j in range(n)]
        k.snapshot(folder, name, entries, 1, list_id=name[:64])  # type: ignore[attr-defined]


def test_sync_skips_a_name_too_long_to_open_and_applies_the_others(
    tmp_path: Path, kit: tuple[object, Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    k, trust = kit
    # A folder whose path is so long that a 200-byte name in it exceeds PATH_MAX
    # (ENAMETOOLONG), while the folder itself and short names in it still open.
    deep = tmp_path
    while len(str(deep)) < 4096 - 120:
        deep = deep / ("d" * min(200, 4096 - 120 - len(str(deep))))
        deep.mkdir()
    short = tmp_path / "short"
    short.mkdir()
    _lists(k, short, ["a-list", "z-list"])
    long_name = "l" * 200
    _lists(k, tmp_path / "short", [long_name])
    monkeypatch.chdir(deep)
    for p in sorted(short.iterdir()):
        target = p.name if long_name in p.name else str(deep / p.name)
        p.rename(target)
    with pytest.raises(OSError) as e:
        (deep / f"{long_name}.jsonl").stat()
    assert e.value.errno == errno.ENAMETOOLONG
    code, doc = _sync(capsys, deep, trust, tmp_path / "state")
    assert code == 1
    applied = sorted(i["list_id"] for i in _items(doc) if i["outcome"] == "snapshot")
    assert applied == ["a-list", "z-list"]
    refused = [i for i in _items(doc) if i["outcome"] == "error"]
    assert len(refused) == 1 and long_name in str(refused[0]["path"])
    assert refused[0]["error"]["code"] in ("sig_unreadable", "name_too_long")  # type: ignore[index]


@pytest.mark.parametrize("which", ["entries", "sig"])
def test_sync_skips_a_file_it_may_not_open_and_applies_the_others(
    tmp_path: Path, kit: tuple[object, Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, which: str,
) -> None:  # fmt: skip
    k, trust = kit
    folder = tmp_path / "drop"
    folder.mkdir()
    _lists(k, folder, ["a-list", "locked", "z-list"])
    locked = folder / ("locked.jsonl" if which == "entries" else "locked.jsonl.sig")
    real_open = os.open

    def deny(path: object, flags: int, *args: object, **kw: object) -> int:
        # Running as root, EACCES cannot come from the mode bits: inject it.
        if os.fspath(path) == str(locked):  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    code, doc = _sync(capsys, folder, trust, tmp_path / "state")
    assert code == 1
    applied = sorted(i["list_id"] for i in _items(doc) if i["outcome"] == "snapshot")
    assert applied == ["a-list", "z-list"]
    refused = [i for i in _items(doc) if i["outcome"] == "error"]
    assert len(refused) == 1 and "locked" in str(refused[0]["path"])


def test_sync_is_not_blocked_by_a_file_swapped_for_a_fifo(
    tmp_path: Path, kit: tuple[object, Path], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sync_mod = importlib.import_module("antifraud_common.exchange.sync")

    k, trust = kit
    folder = tmp_path / "drop"
    folder.mkdir()
    _lists(k, folder, ["a-list", "swapped", "z-list"])
    real_find = sync_mod._find_pairs

    def find_then_swap(where: Path) -> object:
        found = real_find(where)
        # After the folder was listed, the entries file becomes a FIFO nobody writes.
        victim = folder / "swapped.jsonl"
        victim.unlink()
        os.mkfifo(victim)
        return found

    monkeypatch.setattr(sync_mod, "_find_pairs", find_then_swap)
    code, doc = _sync(capsys, folder, trust, tmp_path / "state")
    assert code == 1
    applied = sorted(i["list_id"] for i in _items(doc) if i["outcome"] == "snapshot")
    assert applied == ["a-list", "z-list"]
    assert [i["list_id"] for i in _items(doc) if i["outcome"] == "error"] == ["swapped"]


def test_sync_checks_the_bytes_beside_a_copy_of_an_accepted_signature(
    tmp_path: Path, kit: tuple[object, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    k, trust = kit
    folder = tmp_path / "drop"
    folder.mkdir()
    _lists(k, folder, ["a-list"])
    state = tmp_path / "state"
    assert _sync(capsys, folder, trust, state)[0] == 0
    # The same signature file, now beside arbitrary bytes of the same length.
    entries = folder / "a-list.jsonl"
    size = entries.stat().st_size
    shutil.copy(folder / "a-list.jsonl.sig", folder / "other.jsonl.sig")
    (folder / "other.jsonl").write_bytes(b"x" * size)
    code, doc = _sync(capsys, folder, trust, state)
    assert code == 1 and doc["ok"] is False
    by_path = {Path(str(i["path"])).name: i for i in _items(doc)}
    assert by_path["a-list.jsonl"]["outcome"] == "unchanged"
    assert by_path["other.jsonl"]["outcome"] == "error"
    assert by_path["other.jsonl"]["error"]["code"] == "hash_mismatch"  # type: ignore[index]
    (folder / "other.jsonl").write_bytes(b"x" * (size + 1))
    code, doc = _sync(capsys, folder, trust, state)
    by_path = {Path(str(i["path"])).name: i for i in _items(doc)}
    assert by_path["other.jsonl"]["error"]["code"] == "length_mismatch"  # type: ignore[index]


def test_sync_json_with_a_non_utf8_name_is_valid_utf8_under_a_strict_stdout(
    tmp_path: Path, kit: tuple[object, Path]
) -> None:
    k, trust = kit
    folder = tmp_path / "drop"
    folder.mkdir()
    _lists(k, folder, ["a-list"])
    bad = os.fsencode(folder) + b"/caf\xe9.jsonl"
    # An entries file without signature, named in Latin-1 (not UTF-8).
    os.close(os.open(bad, os.O_CREAT | os.O_WRONLY, 0o644))
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    for extra in (["--json"], []):
        proc = subprocess.run(
            [sys.executable, "-m", "antifraud_common", "sync", "--from", str(folder), "--trust",
             str(trust), "--state", str(tmp_path / "state"), "--no-index", *extra],
            capture_output=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        text = proc.stdout.decode("utf-8")  # strict: raises on invalid UTF-8
        if extra:
            doc = json.loads(text)
            names = [i["path"] for i in doc["items"]]
            assert any(n.endswith("caf\\xe9.jsonl") for n in names), names
            assert doc["refused"] == 1


# -------------------------------------------------------------------------- full disk


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (skips the test where mounting is not allowed)."""
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(where)], capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> None:
    """Fill ``disk`` to the last byte."""
    for name, block in (("filler", b"\0" * 65536), ("filler-tail", b"\0")):
        fd = os.open(disk / name, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, block)
        finally:
            os.close(fd)


#: Writers, each with the file it writes last.
DISK_WRITERS = {
    **WRITERS,
    "keygen": ("keygen", "--unencrypted", "--force", "--out"),
    "pseudo keygen": ("pseudo", "keygen", "--domain", "d", "--force", "--out"),
    "trust sign": ("trust", "sign", "trust.json", "--key", "root.pem", "--sig"),
}


def _replace(name: str) -> tuple[str, ...]:
    """Replacing an existing output takes --force (trust sign edits its .sig in place)."""
    return () if name == "trust sign" else ("--force",)


@pytest.mark.parametrize("name", sorted(DISK_WRITERS))
def test_writer_on_a_full_disk_is_a_typed_error_and_keeps_the_old_file(
    work: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    with small_tmpfs(work / "disk", "64k") as disk:
        target = disk / "out"
        target.write_bytes(b"old contents\n")
        _fill(disk)
        code, doc = cli(capsys, *DISK_WRITERS[name], str(target), *_replace(name))
        assert code == 1, doc
        assert error_code(doc) == "disk_full"
        assert target.read_bytes() == b"old contents\n"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "filler-tail", "out"]


@pytest.mark.parametrize("name", sorted(DISK_WRITERS))
def test_writer_when_fsync_reports_enospc_is_a_typed_error_and_keeps_the_old_file(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # Delayed allocation: the writes succeed and the disk is found full at fsync.
    target = work / "out"
    target.write_bytes(b"old contents\n")
    before = sorted(p.name for p in work.iterdir())

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, doc = cli(capsys, *DISK_WRITERS[name], str(target), *_replace(name))
    assert code == 1, doc
    assert error_code(doc) == "disk_full"
    assert target.read_bytes() == b"old contents\n"
    assert sorted(p.name for p in work.iterdir()) == before


def test_sync_on_a_full_disk_skips_the_list_that_does_not_fit_and_applies_the_next(
    tmp_path: Path, kit: tuple[object, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    k, trust = kit
    folder = tmp_path / "drop"
    folder.mkdir()
    # Sorted first, too big for the disk; then one that fits.
    k.snapshot(folder, "a-big", [K.phone_entry(j) for j in range(20000)], 1, list_id="a-big")  # type: ignore[attr-defined]
    k.snapshot(folder, "b-small", [K.phone_entry(j) for j in range(3)], 1, list_id="b-small")  # type: ignore[attr-defined]
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        state = disk / "state"
        code, doc = _sync(capsys, folder, trust, state)
        assert code == 1, doc
        outcome = {i["list_id"]: i for i in _items(doc)}
        assert outcome["b-small"]["outcome"] == "snapshot"
        assert outcome["a-big"]["outcome"] == "error"
        assert outcome["a-big"]["error"]["code"] == "disk_full"  # type: ignore[index]
        code, doc = cli(capsys, "state", "show", "--state", str(state), "--check")
        assert code == 0, doc
        assert [r["list_id"] for r in doc["lists"]] == ["b-small"]  # type: ignore[union-attr]


def test_apply_on_a_full_disk_keeps_the_old_state(
    tmp_path: Path, kit: tuple[object, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    k, trust = kit
    small = tmp_path / "small"
    big = tmp_path / "big"
    small.mkdir()
    big.mkdir()
    old = k.snapshot(small, "l", [K.phone_entry(j) for j in range(3)], 1)  # type: ignore[attr-defined]
    new = k.snapshot(big, "l", [K.phone_entry(j) for j in range(20000)], 2)  # type: ignore[attr-defined]
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        state = disk / "state"
        apply = ("apply", "--trust", str(trust), "--state", str(state), "--no-index")
        assert cli(capsys, *apply, str(old[0]))[0] == 0
        code, doc = cli(capsys, *apply, str(new[0]))
        assert code == 1, doc
        assert error_code(doc) == "disk_full"
        code, doc = cli(capsys, "state", "show", "--state", str(state), "--check")
        assert code == 0, doc
        assert [r["version"] for r in doc["lists"]] == [1]  # type: ignore[union-attr]


# ---------------------------------------------------------- ordinary user errors: not exit 3


@pytest.mark.parametrize(
    "argv",
    [
        ("inspect", "missing.sig"),
        ("export-csv", "missing.jsonl", "--out", "x.csv"),
        ("import-csv", "missing.csv", "--out", "x.jsonl"),
        ("validate", "missing.jsonl"),
        ("trust", "show", "missing.json"),
        ("co-sign", "missing.sig", "--key", "mps.pem"),
    ],
)
def test_a_missing_input_file_is_a_usage_error(
    work: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, doc = cli(capsys, *argv)
    assert code == 2, doc
    if "error" in doc:
        assert error_code(doc) in ("file_not_found", "cannot_read_file")


@pytest.mark.parametrize(
    "argv",
    [
        ("verify", "l.jsonl", "--trust", "trust.json", "--grace", "99999999999d"),
        ("verify", "l.jsonl", "--trust", "trust.json", "--grace", "9" * 400 + "s"),
        ("apply", "l.jsonl", "--trust", "trust.json", "--state", "st", "--grace", "99999999999d"),
        ("sync", "--from", ".", "--trust", "trust.json", "--state", "st", "--grace", "9999999999w"),
        (*SIGN[:-2], "--expires", "99999999d", "l.jsonl", "--out", "x.sig"),
        ("trust", "init", "--bundle-id", "u", "--root-key", "root.jwk", "--threshold", "1",
         "--valid-days", "3000000", "--out", "u.json"),
    ],
)  # fmt: skip
def test_out_of_range_durations_are_usage_errors(
    work: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, doc = cli(capsys, *argv)
    assert code == 2, doc
    assert not (work / "st").exists()


def test_a_bundle_expiring_in_the_year_9999_works_with_any_grace(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from antifraud_common.exchange.trust import TrustBundle, create_trust_bundle, sign_trust_bundle
    from antifraud_common.format.keys import LocalSigner, load_private_key

    old = TrustBundle.from_bytes((work / "trust.json").read_bytes())
    root = LocalSigner(load_private_key(work / "root.pem", passphrase=None))
    far = create_trust_bundle(
        bundle_id="far",
        root_keys=list(old.root.keys),
        root_threshold=1,
        members=list(old.members),
        expires=datetime(9999, 12, 30, tzinfo=UTC),
    )
    (work / "far.json").write_bytes(far.to_bytes())
    (work / "far.json.sig").write_bytes(sign_trust_bundle(far.to_bytes(), [root]))
    for grace in ("1s", "6h", "3650d", "520000w"):
        code, doc = cli(capsys, "verify", "l.jsonl", "--trust", "far.json", "--grace", grace)
        assert code == 0, doc
    code, doc = cli(capsys, "verify", "l.jsonl", "--trust", "far.json", "--grace", "1d",
                    "--now", "9999-12-31T00:00:00Z")  # fmt: skip
    assert code == 1, doc  # the list itself expired long before; no overflow on the way


HOSTILE_BUNDLES = {
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "array": b"[]",
    "number": b"1" * 5000,
    "not utf-8": b'{"bundle_id": "\xff"}',
    "lone surrogate": b'{"bundle_id": "\\ud800"}',
    "duplicate keys": b'{"version": 1, "version": 2}',
    "wrong types": b'{"format_version": 1, "bundle_id": 5, "version": "x", "root": [], '
    b'"members": {}, "issued_at": 1, "expires": null}',
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BUNDLES))
def test_trust_show_of_a_hostile_bundle_is_a_typed_error(
    work: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (work / "bad.json").write_bytes(HOSTILE_BUNDLES[name])
    code, doc = cli(capsys, "trust", "show", "bad.json")
    assert code in (1, 2), doc
    assert isinstance(error_code(doc), str)
    code, doc = cli(capsys, "verify", "l.jsonl", "--trust", "bad.json")
    assert code in (1, 2), doc


# ------------------------------------------------------------------- screen of JSON Lines


def _screen_jsonl(
    work: Path, capsys: pytest.CaptureFixture[str], records: bytes
) -> tuple[int, dict[str, object], list[dict[str, object]]]:
    assert cli(capsys, "index", "build", "--from", "l.jsonl", "--out", "i.afi")[0] == 0
    (work / "r.jsonl").write_bytes(records)
    code, doc = cli(capsys, "screen", "r.jsonl", "--index", "i.afi", "--column", "tel:phone",
                    "--out", "m.jsonl")  # fmt: skip
    matches = [json.loads(line) for line in (work / "m.jsonl").read_text().splitlines()]
    return code, doc, matches


def _listed(work: Path) -> str:
    first = json.loads((work / "l.jsonl").read_text().splitlines()[0])
    assert first["kind"] == "phone"
    return str(first["value"])


def test_screen_reports_a_deeply_nested_record_as_a_bad_row_and_goes_on(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = _listed(work).encode()
    deep = b'{"tel": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    records = b'{"tel": "' + listed + b'"}\n' + deep + b'\n{"tel": "' + listed + b'"}\n'
    code, doc, matches = _screen_jsonl(work, capsys, records)
    assert code == 1, doc  # listed values found
    assert [m["line"] for m in matches] == [1, 3]
    summary = doc["summary"]
    assert summary["bad_rows"] == 1  # type: ignore[index]
    assert summary["bad_row_samples"][0]["line"] == 2  # type: ignore[index]


def test_screen_skips_an_over_long_line_in_bounded_memory_and_goes_on(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import resource

    listed = _listed(work).encode()
    line = b'{"tel": "' + b"1" * (40 << 20) + b'"}'  # 40 MiB on one line (the limit is 1 MiB)
    records = line + b'\n{"tel": "' + listed + b'"}\n'
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code, doc, matches = _screen_jsonl(work, capsys, records)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert code == 1, doc
    assert [m["line"] for m in matches] == [2]
    assert doc["summary"]["bad_row_samples"][0]["line"] == 1  # type: ignore[index]
    assert grown_mib < 40 + 20  # the records file itself was built in memory, once


def test_screen_hands_a_stream_of_bad_rows_over_a_chunk_at_a_time(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from antifraud_common.index import screen as screen_mod

    taken: list[int] = []
    real = screen_mod._ItemSource.take

    def spy(self: object) -> object:
        chunk = real(self)  # type: ignore[arg-type]
        taken.append(chunk[0] - len(chunk[3]))  # bad rows handed over in this chunk
        return chunk

    monkeypatch.setattr(screen_mod._ItemSource, "take", spy)
    listed = _listed(work).encode()
    code, doc, matches = _screen_jsonl(
        work, capsys, b"{}\n" * 10_000 + b'{"tel": "' + listed + b'"}\n'
    )
    assert code == 1
    assert doc["summary"]["bad_rows"] == 10_000  # type: ignore[index]
    assert max(taken) <= screen_mod._CHUNK
    assert [m["line"] for m in matches] == [10_001]


# --------------------------------------------------------------- endless inputs, bounded memory

_ENDLESS_RUNNER = """
import json, resource, sys, time
from antifraud_common.cli import main
from antifraud_common.exchange.signing import sign_list
from antifraud_common.format.keys import LocalSigner, save_private_key
results = []
for argv in json.loads(sys.argv[1]):
    start = time.monotonic()
    code = main(argv)
    results.append((argv[0], code, round(time.monotonic() - start, 2)))
# VmHWM: the peak of this program's memory since exec. ru_maxrss is no good here: the
# kernel starts it from the memory of the process forked before exec (pytest's).
with open("/proc/self/status") as status:
    peak_kib = int(next(l for l in status if l.startswith("VmHWM:")).split()[1])
print(json.dumps({"results": results, "peak_kib": peak_kib}))
"""


def test_endless_inputs_are_refused_in_bounded_memory_and_time(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import resource
    import time

    assert cli(capsys, "index", "build", "--from", "l.jsonl", "--out", "i.afi")[0] == 0
    # Regular files that read as zeros for 4 GiB (sparse: no disk space used), the
    # closest a regular file comes to /dev/zero.
    for name, size in (
        ("zero.jsonl", 4 << 30),
        ("zero.sig", 4 << 30),
        ("zero.pem", 4 << 30),
        ("zero.csv", 4 << 30),
        ("zero.json", 4 << 30),
        ("line.jsonl", 512 << 20),
        ("mid.jsonl", 64 << 20),
    ):
        with (work / name).open("wb") as f:
            f.truncate(size)
    runs = [
        ["inspect", "zero.sig"],
        ["co-sign", "zero.sig", "--key", "mps.pem"],
        [*SIGN, "l.jsonl", "--out", "x.sig", "--key", "zero.pem"],
        ["validate", "zero.jsonl"],
        ["verify", "mid.jsonl", "--sig", "l.jsonl.sig", "--trust", "trust.json"],
        ["verify", "l.jsonl", "--sig", "zero.sig", "--trust", "trust.json"],
        ["verify", "l.jsonl", "--trust", "zero.json"],
        ["trust", "show", "zero.json"],
        ["import-csv", "zero.csv", "--out", "x.jsonl"],
        ["export-csv", "zero.jsonl", "--out", "x.csv"],
        ["diff", "zero.jsonl", "l.jsonl", "--out", "d.jsonl"],
        ["index", "build", "--from", "zero.jsonl", "--out", "z.afi"],
        ["screen", "zero.csv", "--index", "i.afi", "--column", "tel:phone", "--out", "m1"],
        # JSON Lines reads on past an over-long line (the next may be listed): 512 MiB.
        ["screen", "line.jsonl", "--index", "i.afi", "--column", "tel:phone", "--out", "m2"],
    ]

    def limit() -> None:  # also under an address-space limit, as `ulimit -v` would set
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", _ENDLESS_RUNNER, json.dumps(runs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work,
        preexec_fn=limit,  # noqa: PLW1509 - the test starts no threads before this
    )  # fmt: skip
    try:
        out, errs = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, errs.decode(errors="replace")[-3000:]
    # The child reports its own peak: RUSAGE_CHILDREN would be the largest of every
    # child this test process ever reaped, earlier tests' children included.
    report = json.loads(out.decode().splitlines()[-1])
    results, peak_mib = report["results"], report["peak_kib"] / 1024
    for (_, code, seconds), argv in zip(results, runs, strict=True):
        assert code in (1, 2), (argv, code, errs.decode(errors="replace")[-2000:])
        assert seconds < 60, (argv, seconds)  # generous: the machine may be loaded
    assert b"internal error" not in errs
    assert peak_mib < 400, f"peak RSS {peak_mib:.0f} MiB"
    assert time.monotonic() - start < 300


# ------------------------------------------------------------- attacker-chosen slow paths


def test_screen_validates_a_repeated_invalid_value_once(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The full validator costs many times the fast path; a file repeating one bad
    # value must not pay it per row (a million rows of "1" took 95 s).
    from antifraud_common import phone

    calls = 0
    real = phone.validate_many

    def counting(raws: object, **kw: object) -> object:
        nonlocal calls
        values = list(raws)  # type: ignore[call-overload]
        calls += len(values)
        return real(values, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(phone, "validate_many", counting)
    assert cli(capsys, "index", "build", "--from", "l.jsonl", "--out", "i.afi")[0] == 0
    (work / "r.csv").write_text("tel\n" + "1\n" * 20_000 + "N/A\n" * 20_000)
    code, doc = cli(capsys, "screen", "r.csv", "--index", "i.afi", "--column", "tel:phone",
                    "--out", "m.jsonl")  # fmt: skip
    assert code == 0, doc
    summary = doc["summary"]
    assert summary["invalid"] == {"tel": 40_000}  # type: ignore[index]
    assert summary["invalid_samples"][0]["code"] == "too_short"  # type: ignore[index]
    assert calls <= 2
