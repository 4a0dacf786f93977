"""The quick start's command-line walk-through, end to end (keys to lookups, with a delta)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from antifraud_common.cli import main

CSV = (
    "kind,value,reason,action,source,case_ref,confidence,tlp,listed_at,valid_from\n"
    "phone,138 0013 8000,telecom_fraud,block,mps,MPS-2026-0001,90,amber,2026-01-01,2026-01-01\n"
    "phone,+86 139 1234 5678,impersonation,watch,mps,MPS-2026-0002,70,amber,2026-01-01,2026-01-01\n"
)


def cli(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 0) -> dict[str, object]:
    got = main([*argv, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert got == status, doc
    assert doc["ok"] is (status == 0)
    return doc


def test_quickstart_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", "test passphrase, not a secret")
    for who in ("root", "mps"):
        cli(capsys, "keygen", "--out", f"{who}.pem", "--public-out", f"{who}.jwk")
    assert (Path("mps.pem").stat().st_mode & 0o777) == 0o600
    assert b'"format":"antifraud-encrypted-key"' in Path("mps.pem").read_bytes()
    cli(capsys, "trust", "init", "--bundle-id", "my-federation", "--root-key", "root.jwk",
        "--threshold", "1", "--out", "trust.json")  # fmt: skip
    cli(capsys, "trust", "add-member", "trust.json", "--agency", "mps", "--name", "MPS",
        "--key", "mps.jwk", "--publish", "fraud_numbers:phone:block,watch")  # fmt: skip
    cli(capsys, "trust", "sign", "trust.json", "--key", "root.pem")
    Path("fraud.csv").write_text(CSV, encoding="utf-8")
    cli(capsys, "import-csv", "fraud.csv", "--out", "v1.jsonl")
    cli(capsys, "validate", "v1.jsonl")
    common = ["--key", "mps.pem", "--issuer", "mps", "--list-id", "fraud-phones",
              "--list-type", "fraud_numbers", "--expires", "7d"]  # fmt: skip
    cli(capsys, "sign", "v1.jsonl", *common, "--list-version", "1", "--trust", "trust.json")
    cli(capsys, "verify", "v1.jsonl", "--trust", "trust.json")
    cli(capsys, "apply", "v1.jsonl", "--trust", "trust.json", "--state", "state")

    # Version 2 drops one entry and is published as a signed delta.
    Path("v2.jsonl").write_bytes(Path("v1.jsonl").read_bytes().splitlines(keepends=True)[0])
    doc = cli(capsys, "sign", "v2.jsonl", *common, "--list-version", "2",
              "--delta-from", "v1.jsonl", "--base-version", "1")  # fmt: skip
    assert (doc["adds"], doc["replaces"], doc["removes"]) == (0, 0, 1)
    cli(capsys, "apply", "v2.delta.jsonl", "--trust", "trust.json", "--state", "state")

    # A listed value fails the check: exit 1, error.code "listed".
    doc = cli(capsys, "check", "--state", "state", "+86 138-0013-8000", "139 1234 5678", status=1)
    hit, gone = (r["lookup"] for r in doc["results"])  # type: ignore[attr-defined]
    assert hit["listed"] and hit["action"] == "block"
    assert not gone["listed"]

    # Replaying version 1 is refused and leaves the state alone.
    status = main(["apply", "v1.jsonl", "--trust", "trust.json", "--state", "state", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1
    assert doc["error"]["code"] == "rollback"
    assert main(["sign", "v2.jsonl", *common, "--version", "3", "--base-version", "2"]) == 2
    assert main(["sign", "v2.jsonl", *common, "--version", "3", "--delta-from", "v1.jsonl"]) == 2
