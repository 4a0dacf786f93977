"""``antifraud case``: every verb, end to end, through the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from antifraud_common.cases._kit import federation
from antifraud_common.cli import main
from antifraud_common.exchange.trust import sign_trust_bundle
from antifraud_common.format.keys import save_private_key

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = "2026-03-01T08:00:00Z"
NUMBER = "6217000010001234567"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE", raising=False)
    # Valid for a year from the real clock (`check` reads it); messages use --now.
    fed = federation(datetime.now(UTC).replace(microsecond=0))
    paths: dict[str, Path] = {"dir": tmp_path}
    (tmp_path / "trust.json").write_bytes(fed.trust.to_bytes())
    (tmp_path / "trust.json.sig").write_bytes(sign_trust_bundle(fed.trust.to_bytes(), [fed.root]))
    paths["trust"] = tmp_path / "trust.json"
    for member, signers in fed.signers.items():
        for i, s in enumerate(signers):
            p = tmp_path / f"{member}-{i}.pem"
            save_private_key(p, s.private_key, passphrase=None, allow_unencrypted=True)
            paths[f"{member}-{i}"] = p
        p = tmp_path / f"{member}-enc.pem"
        p.write_bytes(fed.decryption[member].to_pem())
        paths[f"{member}-enc"] = p
    return paths


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status = main([*argv, "--json"])
    text = capsys.readouterr().out
    doc = json.loads(text)
    assert doc["output_version"] == 2 and doc["ok"] is (status == 0)
    return status, doc


def body(w: dict[str, Path], name: str, data: dict[str, Any]) -> str:
    p = w["dir"] / f"{name}.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(p)


def test_stop_flow_through_the_cli(
    world: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    w = world
    police = ["--book", str(w["dir"] / "mps-book"), "--me", "mps", "--trust", str(w["trust"])]
    bank = ["--book", str(w["dir"] / "icbc-book"), "--me", "icbc", "--trust", str(w["trust"])]
    order_body = body(w, "order", {
        "account": {"bank": "icbc", "number": NUMBER, "name": "张三"},
        "amount": {"amount": 5000000, "currency": "CNY"},
        "transfer_time": "2026-03-01T07:40:00Z", "sequence": 1, "term_hours": 48,
        "legal_basis": "Art. 20",
    })  # fmt: skip
    order = w["dir"] / "order.jwe"
    status, doc = run(capsys, "case", "new", "stop_payment_order", "--case-id", "mps:1",
                      "--to", "icbc", "--body", order_body, "--key", str(w["mps-0"]),
                      "--out", str(order), "--encrypt", "--now", NOW, *police)  # fmt: skip
    assert status == 0 and doc["encrypted"] is True
    assert doc["case"]["state"] == "stop_pending"
    assert NUMBER not in json.dumps(doc) and "张三" not in json.dumps(doc)
    order_hash = doc["message"]["hash"]
    assert NUMBER.encode() not in order.read_bytes()

    state = w["dir"] / "state"
    status, doc = run(capsys, "case", "receive", str(order), "--decryption-key",
                      str(w["icbc-enc"]), "--state", str(state), "--now", NOW,
                      "--require-encryption", *bank)  # fmt: skip
    assert status == 0 and doc["message"]["hash"] == order_hash
    assert doc["case"]["state"] == "stop_pending" and doc["measures"]["entry_count"] == 0

    # The same file again: a replay, exit 1, the code in the JSON error.
    status, doc = run(capsys, "case", "receive", str(order), "--decryption-key",
                      str(w["icbc-enc"]), "--now", NOW, *bank)  # fmt: skip
    assert status == 1 and doc["error"]["code"] == "case_replay"

    # Overdue after 30 minutes: `due` exits 1 for cron.
    status, doc = run(capsys, "case", "due", "--book", str(w["dir"] / "icbc-book"),
                      "--now", "2026-03-01T08:31:00Z")  # fmt: skip
    assert status == 1 and doc["overdue"] == 1
    assert doc["items"][0]["request_type"] == "stop_payment_order"

    result_body = body(w, "result", {
        "status": "stopped", "amount_held": {"amount": 5000000, "currency": "CNY"},
        "stopped_at": "2026-03-01T08:05:00Z", "stopped_until": "2026-03-03T08:05:00Z",
    })  # fmt: skip
    result = w["dir"] / "result.jwe"
    status, doc = run(capsys, "case", "reply", order_hash, "stop_payment_result", "--body",
                      result_body, "--key", str(w["icbc-0"]), "--out", str(result),
                      "--encrypt", "--now", "2026-03-01T08:05:00Z", *bank)  # fmt: skip
    assert status == 0 and doc["message"]["in_reply_to"] == order_hash
    assert doc["message"]["recipient"] == "mps" and doc["case"]["state"] == "stopped"
    status, doc = run(capsys, "case", "due", "--book", str(w["dir"] / "icbc-book"),
                      "--now", "2026-03-01T08:31:00Z", "--within", "3d")  # fmt: skip
    assert status == 0 and [i["what"] for i in doc["items"]] == ["stop_ends"]

    status, doc = run(capsys, "case", "receive", str(result), "--decryption-key",
                      str(w["mps-enc"]), "--now", "2026-03-01T08:06:00Z", *police)  # fmt: skip
    assert status == 0 and doc["case"]["stop_until"] == "2026-03-03T08:05:00Z"

    status, doc = run(capsys, "case", "show", "mps:1", "--book", str(w["dir"] / "mps-book"),
                      "--now", "2026-03-01T09:00:00Z")  # fmt: skip
    assert status == 0 and doc["case"]["state"] == "stopped"
    assert [m["type"] for m in doc["messages"]] == ["stop_payment_order", "stop_payment_result"]

    out = w["dir"] / "audit.jsonl"
    status, doc = run(capsys, "case", "export", "mps:1", "--book", str(w["dir"] / "mps-book"),
                      "--out", str(out))  # fmt: skip
    assert status == 0 and doc["messages"] == 2 and doc["problems"] == []
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[1]["in_reply_to"] == lines[0]["hash"] == order_hash


def test_usage_errors(world: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    w = world
    args = ["--book", str(w["dir"] / "b"), "--me", "mps", "--trust", str(w["trust"])]
    b = body(w, "ack", {})
    assert main(["case", "new", "recall", "--case-id", "c", "--to", "icbc", "--body", b,
                 "--key", str(w["mps-0"]), "--out", str(w["dir"] / "x"), *args]) == 2  # fmt: skip
    assert "unknown message type" in capsys.readouterr().err
    assert main(["case", "show", "nope", "--book", str(w["dir"] / "b")]) == 2
    capsys.readouterr()
    # A body that does not fit its type is a refused message (exit 1), nothing written.
    bad = body(w, "bad", {"legal_basis": 7})
    status, doc = run(capsys, "case", "new", "freeze_renewal", "--case-id", "c", "--to",
                      "icbc", "--reply-to", "ab" * 32, "--body", bad, "--key", str(w["mps-0"]),
                      "--out", str(w["dir"] / "y"), *args)  # fmt: skip
    assert status == 1 and doc["error"]["code"] == "case_format"
    assert not (w["dir"] / "y").exists()


def test_hold_is_seen_by_check(world: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A STOPPED result received now puts the account on the local HOLD list at once."""
    w = world
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    police = ["--book", str(w["dir"] / "p"), "--me", "mps", "--trust", str(w["trust"])]
    bank = ["--book", str(w["dir"] / "k"), "--me", "icbc", "--trust", str(w["trust"])]
    order_body = body(w, "o", {
        "account": {"bank": "icbc", "number": NUMBER, "name": "张三"},
        "amount": {"amount": 100, "currency": "CNY"}, "transfer_time": stamp,
        "sequence": 1, "term_hours": 48, "legal_basis": "x"})  # fmt: skip
    status, doc = run(capsys, "case", "new", "stop_payment_order", "--case-id", "mps:9",
                      "--to", "icbc", "--body", order_body, "--key", str(w["mps-0"]),
                      "--out", str(w["dir"] / "o.jws"), *police)  # fmt: skip
    assert status == 0
    assert run(capsys, "case", "receive", str(w["dir"] / "o.jws"), *bank)[0] == 0
    until = (now + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rb = body(w, "r", {"status": "stopped", "amount_held": {"amount": 100, "currency": "CNY"},
                       "stopped_at": stamp, "stopped_until": until})  # fmt: skip
    status, doc = run(capsys, "case", "reply", doc["message"]["hash"], "stop_payment_result",
                      "--body", rb, "--key", str(w["icbc-0"]), "--out", str(w["dir"] / "r.jws"),
                      *bank)  # fmt: skip
    assert status == 0
    state = w["dir"] / "state"
    other = ["--book", str(w["dir"] / "p2"), "--me", "mps", "--trust", str(w["trust"])]
    status, doc = run(capsys, "case", "receive", str(w["dir"] / "r.jws"), "--state", str(state),
                      *other)  # fmt: skip
    assert status == 1  # the police's second book never sent the order: unknown request
    assert doc["error"]["code"] == "case_unknown_request"
    status, doc = run(capsys, "case", "receive", str(w["dir"] / "r.jws"), "--state", str(state),
                      *police)  # fmt: skip
    assert status == 0 and doc["measures"]["entry_count"] == 1
    main(["check", NUMBER, "--state", str(state), "--json"])
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert result.get("lookup", {}).get("listed") is True, result
    assert result["lookup"]["action"] == "hold"


def test_enc_keygen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(capsys, "case", "enc-keygen", "--out", str(tmp_path / "k.pem"),
                      "--public-out", str(tmp_path / "k.jwk"), "--unencrypted")  # fmt: skip
    assert status == 0
    jwk = json.loads((tmp_path / "k.jwk").read_text())
    assert jwk["crv"] == "X25519" and jwk["use"] == "enc" and "d" not in jwk
    assert (tmp_path / "k.pem").stat().st_mode & 0o077 == 0


def test_case_demo_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, doc = run(capsys, "case", "demo")
    assert status == 0
    names = [s["step"] for s in doc["steps"]]
    assert names == ["victim report", "instant query", "stop-payment", "forged message",
                     "replayed message", "freeze", "renewal", "release", "books"]  # fmt: skip
    refused = {s["step"]: s["refused"]["code"] for s in doc["steps"] if "refused" in s}
    assert refused == {"forged message": "case_signature_invalid",
                       "replayed message": "case_replay"}  # fmt: skip
    lookups = [s.get("lookup") for s in doc["steps"] if "lookup" in s]
    assert lookups == ["hold", "freeze", "not listed"]
    assert "6217000010001234567" not in json.dumps(doc)
