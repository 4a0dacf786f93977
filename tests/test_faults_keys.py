"""Fault injection on key files: the wrong kind of file given as ``--key``, and non-root signers.

Every case ends with a typed refusal (exit 1 or 2 naming its code), never
exit 3 or a hang, and writes nothing. No test touches a system device: the
FIFO, directory and device node are made in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from antifraud_common import cli
from antifraud_common.errors import ConfigurationError
from antifraud_common.format.keys import (
    LocalSigner,
    load_private_key,
    save_private_key,
)

PASSPHRASE = "test passphrase, not a secret"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A trust bundle with one root key (``root.pem``) and one member key (``mps.pem``)."""
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", PASSPHRASE)
    monkeypatch.chdir(tmp_path)
    for name in ("root", "mps"):
        code, _, err = run(capsys, "keygen", "--out", f"{name}.pem", "--public-out", f"{name}.jwk")
        assert code == 0, err
    code, _, err = run(
        capsys, "trust", "init", "--bundle-id", "t", "--root-key", "root.jwk", "--threshold", "1"
    )
    assert code == 0, err
    code, _, err = run(
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
        "fraud_numbers:phone:block",
    )
    assert code == 0, err
    public_pem = LocalSigner(
        load_private_key("mps.pem", passphrase=PASSPHRASE.encode())
    ).public_key.to_pem()
    (tmp_path / "mps.pub.pem").write_bytes(public_pem)
    return tmp_path / "trust.json"


def _trust_sign(capsys: pytest.CaptureFixture[str], key: Path | str) -> tuple[int, str, str]:
    return run(capsys, "trust", "sign", "trust.json", "--key", str(key), "--json")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("mps.jwk", "key_is_public"),
        ("mps.pub.pem", "key_is_public"),
        ("a-directory", "key_file_invalid"),
    ],
)
def test_the_wrong_kind_of_key_file_is_a_typed_error(
    bundle: Path, capsys: pytest.CaptureFixture[str], name: str, code: str
) -> None:
    (bundle.parent / "a-directory").mkdir()
    status, out, err = _trust_sign(capsys, bundle.parent / name)
    assert status == 2, (out, err)
    assert code in err
    assert not (bundle.parent / "trust.json.sig").exists()


def test_a_fifo_as_key_is_refused_without_hanging(bundle: Path) -> None:
    fifo = bundle.parent / "key.fifo"
    os.mkfifo(fifo)
    argv = ["trust", "sign", str(bundle), "--key", str(fifo), "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "antifraud_common", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ANTIFRAUD_PASSPHRASE": PASSPHRASE},
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "key_file_invalid" in done.stderr


def test_a_device_node_as_key_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = tmp_path / "null-like"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # our own node for "null"
    except PermissionError:
        pytest.skip("device nodes cannot be made here")
    with pytest.raises(ConfigurationError) as e:
        load_private_key(node, passphrase=PASSPHRASE.encode())
    assert e.value.code == "key_file_invalid"


def test_an_oversized_key_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    big.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * 100_000)
    with pytest.raises(ConfigurationError) as e:
        load_private_key(big, passphrase=None)
    assert e.value.code == "key_file_invalid"


def test_an_unencrypted_key_is_refused_while_a_passphrase_is_set(
    bundle: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = LocalSigner(load_private_key("root.pem", passphrase=PASSPHRASE.encode()))
    clear = bundle.parent / "root-clear.pem"
    save_private_key(clear, root.private_key, passphrase=None, allow_unencrypted=True)
    status, out, err = _trust_sign(capsys, clear)
    assert status == 2 and "key_not_encrypted" in err and "ANTIFRAUD_PASSPHRASE" in err
    assert not (bundle.parent / "trust.json.sig").exists()
    # Deliberately, without the passphrase variable, the clear key is used.
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE")
    status, out, err = _trust_sign(capsys, clear)
    assert status == 0, err
    assert json.loads(out)["signatures"] == 1


def test_trust_sign_refuses_a_key_that_is_not_a_root_key(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _trust_sign(capsys, bundle.parent / "mps.pem")
    assert status == 1
    assert json.loads(out)["error"]["code"] == "trust_signer_not_root"
    assert not (bundle.parent / "trust.json.sig").exists()
    status, out, _ = _trust_sign(capsys, bundle.parent / "root.pem")
    assert status == 0 and json.loads(out)["signatures"] == 1
