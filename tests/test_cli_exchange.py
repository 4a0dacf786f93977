"""End-to-end tests of the exchange commands: keygen, trust, sign, co-sign, verify, validate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from antifraud_common.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


@pytest.fixture
def setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", "correct horse")
    monkeypatch.chdir(tmp_path)
    for name, alg in (
        ("root", "ed25519"),
        ("mps", "ed25519"),
        ("pbc", "es256"),
        ("bank", "ed25519"),
    ):
        code, doc = run(
            capsys, "keygen", "--alg", alg, "--out", f"{name}.pem", "--public-out", f"{name}.jwk"
        )
        assert code == 0 and doc["encrypted"] is True
    assert (
        run(
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
        run(
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
    assert (
        run(
            capsys,
            "trust",
            "add-member",
            "trust.json",
            "--agency",
            "bank1",
            "--name",
            "Bank",
            "--key",
            "bank.jwk",
        )[0]
        == 0
    )
    code, doc = run(
        capsys,
        "trust",
        "add-member",
        "trust.json",
        "--agency",
        "pbc",
        "--name",
        "PBC",
        "--key",
        "pbc.jwk",
        "--publish",
        "stop_payment:bank_card,bank_account:hold:2:bank1,pbc",
    )
    assert code == 0 and doc["version"] == 4
    code, doc = run(capsys, "trust", "sign", "trust.json", "--key", "root.pem")
    assert code == 0 and doc["signatures"] == 1
    code, doc = run(capsys, "trust", "show", "trust.json")
    assert code == 0 and doc["signature"]["self_signed"] is True
    shutil.copy(GOLDEN / "fraud-phones.jsonl", "l.jsonl")
    shutil.copy(GOLDEN / "stop-payment.jsonl", "sp.jsonl")
    return tmp_path


def test_sign_verify_round_trip(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(
        capsys,
        "sign",
        "l.jsonl",
        "--key",
        "mps.pem",
        "--issuer",
        "mps",
        "--list-id",
        "l",
        "--list-type",
        "fraud_numbers",
        "--version",
        "1",
        "--expires",
        "7d",
        "--trust",
        "trust.json",
        "--minisign",
        "mps.pem",
    )
    assert code == 0 and doc["manifest"]["entry_count"] == 5
    assert (setup / "l.jsonl.minisig").exists()
    code, doc = run(capsys, "verify", "l.jsonl", "--trust", "trust.json")
    assert code == 0 and doc["ok"] is True and doc["signers"] == ["mps"]
    code, doc = run(capsys, "inspect", "l.jsonl.sig")
    assert code == 0 and doc["verified"] is False
    code, doc = run(
        capsys, "verify", "l.jsonl", "--trust", "trust.json", "--now", "2099-01-01T00:00:00Z"
    )
    assert code == 1 and "trust_expired" in json.dumps(doc)
    (setup / "l.jsonl").write_bytes((GOLDEN / "stop-payment.jsonl").read_bytes())
    code, doc = run(capsys, "verify", "l.jsonl", "--trust", "trust.json")
    assert code == 1 and doc["problems"][0]["code"] == "length_mismatch"


def test_co_sign_threshold(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "sign",
        "sp.jsonl",
        "--key",
        "pbc.pem",
        "--issuer",
        "pbc",
        "--list-id",
        "sp",
        "--list-type",
        "stop_payment",
        "--version",
        "1",
        "--expires",
        "12h",
    ]
    assert run(capsys, *args)[0] == 0
    code, doc = run(capsys, "verify", "sp.jsonl", "--trust", "trust.json")
    assert code == 1 and [p["code"] for p in doc["problems"]] == ["threshold_not_met"]
    code, doc = run(capsys, "co-sign", "sp.jsonl.sig", "--key", "bank.pem")
    assert code == 0 and doc["signatures"] == 2
    code, doc = run(capsys, "verify", "sp.jsonl", "--trust", "trust.json")
    assert code == 0 and doc["signers"] == ["bank1", "pbc"]
    code, doc = run(capsys, "co-sign", "sp.jsonl.sig", "--key", "bank.pem")
    assert code == 1 and doc["error"]["code"] == "jws_duplicate_kid"


def test_sign_refuses_bad_list(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(
        capsys,
        "sign",
        "sp.jsonl",
        "--key",
        "mps.pem",
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
        "--trust",
        "trust.json",
    )
    assert code == 1 and doc["error"]["code"] == "out_of_scope" and doc["error"]["line"] == 1
    assert "6222021123456789014" not in json.dumps(doc)
    assert (
        main(
            [
                "sign",
                "sp.jsonl",
                "--key",
                "mps.pem",
                "--issuer",
                "mps",
                "--list-id",
                "x",
                "--list-type",
                "t",
                "--version",
                "1",
                "--expires",
                "soon",
            ]
        )
        == 2
    )


def test_validate_and_usage(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (setup / "bad.jsonl").write_bytes(b"{}\n")
    code, doc = run(capsys, "validate", "l.jsonl", "bad.jsonl")
    assert code == 1
    files = doc["files"]
    assert (
        isinstance(files, list)
        and files[0]["ok"] is True
        and files[1]["problems"][0]["code"] == "invalid_entry"
    )
    assert main(["verify", "l.jsonl", "--trust", "trust.json", "--grace", "x"]) == 2
    capsys.readouterr()
    assert main(["keygen", "--out", "root.pem"]) == 2  # exists: never overwritten silently


def test_text_output_and_trust_changes(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "sign",
                "l.jsonl",
                "--key",
                "mps.pem",
                "--issuer",
                "mps",
                "--list-id",
                "l",
                "--list-type",
                "fraud_numbers",
                "--version",
                "2",
                "--expires",
                "2099-01-01T00:00:00Z",
                "--issued-at",
                "2026-01-01T00:00:00Z",
            ]
        )
        == 0
    )
    assert "version 2, 5 entries" in capsys.readouterr().out
    # verify is a reader: a state directory that does not exist is an error, not created.
    verify = ["verify", "l.jsonl", "--trust", "trust.json", "--now", "2026-01-01T01:00:00Z"]
    assert main([*verify, "--state", "state"]) == 1
    assert "state_missing" in capsys.readouterr().err
    assert not Path("state").exists()
    assert main(verify) == 0
    assert capsys.readouterr().out.startswith("OK mps/l version 2")
    assert (
        main(
            [
                "verify",
                "l.jsonl",
                "--trust",
                "trust.json",
                "--now",
                "2099-01-01T01:00:00Z",
                "--grace",
                "1d",
            ]
        )
        == 1
    )
    assert main(["inspect", "l.jsonl.sig"]) == 0
    assert "NOT VERIFIED" in capsys.readouterr().out
    assert main(["validate", "l.jsonl"]) == 0
    assert main(["co-sign", "l.jsonl.sig", "--key", "bank.pem"]) == 0
    assert "2 signatures" in capsys.readouterr().out
    assert main(["trust", "show", "trust.json"]) == 0
    shown = capsys.readouterr().out
    assert "may publish stop_payment" in shown and "own root threshold met" in shown
    # A new version invalidates the old signature until it is signed again.
    assert main(["trust", "remove-member", "trust.json", "--agency", "mps"]) == 0
    assert main(["trust", "show", "trust.json"]) == 1
    assert main(["trust", "remove-member", "trust.json", "--agency", "mps", "--json"]) == 1
    assert (
        main(
            [
                "trust",
                "add-member",
                "trust.json",
                "--agency",
                "x",
                "--name",
                "X",
                "--key",
                "mps.jwk",
                "--publish",
                "bad",
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "trust",
                "add-member",
                "trust.json",
                "--agency",
                "x",
                "--name",
                "X",
                "--key",
                "root.jwk",
            ]
        )
        == 1
    )
    capsys.readouterr()
    assert main(["trust", "sign", "trust.json", "--key", "root.pem"]) == 0
    capsys.readouterr()
    assert main(["trust", "show", "trust.json", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["bundle"]["version"] == 5 and doc["signature"]["self_signed"] is True
    # A corrupted signature file is reported, not a crash.
    (setup / "l.jsonl.sig").write_bytes(b"{}")
    assert main(["inspect", "l.jsonl.sig"]) == 1
    assert main(["verify", "l.jsonl", "--trust", "trust.json"]) == 1
