"""The CLI contract (docs/cli.md, "Contract"), checked for every command the parser has.

Every leaf command of ``build_parser()`` must have a case in :data:`CASES`: a new
command without one fails :func:`test_every_command_has_a_contract_case`. Each case
runs the command's success and failure paths with ``--json`` and checks that stdout
is exactly one JSON document, the envelope, with the payload keys docs/cli.md lists
for the command, and that the exit status is the documented one.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from antifraud_common.cli import PROTOCOL_COMMANDS, build_parser, leaf_commands, main
from antifraud_common.cli._common import ENVELOPE_KEYS, OUTPUT_VERSION

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
NOW = datetime.now(UTC).replace(microsecond=0)
STAMP = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
TOMORROW = (NOW + timedelta(days=1)).strftime("%Y-%m-%d")  # a bare date: midnight UTC
CARD = "6222021234567890128"
LISTED = "+8613800138000"
CSV_TEXT = (
    "kind,value,reason,action,source,case_ref,confidence,tlp,listed_at,valid_from\n"
    f"phone,{LISTED},telecom_fraud,block,mps,MPS-1,90,amber,2026-01-01,2026-01-01\n"
    "phone,+8613912345678,impersonation,watch,mps,MPS-2,70,amber,2026-01-01,2026-01-01\n"
)


@dataclass
class Run:
    """One run of the CLI: exit status, the parsed document, stderr."""

    status: int
    doc: dict[str, Any]
    err: str


@dataclass
class Case:
    """A command's success and failure runs (argv after the command words)."""

    ok: list[str]
    fail: list[str]
    fail_status: int
    fail_code: str | None = None
    ok_status: int = 0
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)


def cli(capsys: pytest.CaptureFixture[str] | None, argv: list[str]) -> Run:
    if capsys is None:  # building the module's world, outside any test's capture
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([*argv, "--json"])
        text, stderr = out.getvalue(), err.getvalue()
    else:
        status = main([*argv, "--json"])
        captured = capsys.readouterr()
        text, stderr = captured.out, captured.err
    assert text.endswith("\n") and text.count("\n") == 1, (argv, text[:500])
    doc = json.loads(text)  # exactly one document: a second one would not parse
    return Run(status, doc, stderr)


def check_envelope(run: Run, command: str) -> None:
    doc = run.doc
    assert list(doc)[: len(ENVELOPE_KEYS)] == list(ENVELOPE_KEYS), list(doc)
    assert doc["output_version"] == OUTPUT_VERSION
    assert doc["command"] == command, doc
    assert doc["exit_code"] == run.status
    assert doc["ok"] is (run.status == 0)
    if run.status == 0:
        assert doc["error"] is None, doc
    else:
        error = doc["error"]
        assert isinstance(error, dict), doc
        assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
        assert isinstance(error["message"], str) and error["message"], error
    assert run.status in (0, 1, 2, 3)
    assert run.status != 3, run.err  # a typed error is never an internal error


def documented_payloads() -> dict[str, set[str]]:
    """The payload table of docs/cli.md: ``| `command` | `key`, `key` ... |``."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("<!-- payload-table -->")
    rows: dict[str, set[str]] = {}
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].startswith("`") and cells[0] != "`command`":
            # Keys always present: before any ";", outside parentheses.
            always = re.sub(r"\([^)]*\)", "", cells[1].split(";")[0])
            rows[cells[0].strip("`")] = set(re.findall(r"`([a-z_]+)`", always))
    return rows


# ------------------------------------------------------------------ the world


def _build(root: Path) -> dict[str, str]:
    """Keys, a signed trust bundle, a signed list, a receiver state, an index ..."""
    from antifraud_common.cases._kit import federation
    from antifraud_common.exchange.trust import sign_trust_bundle
    from antifraud_common.format.keys import save_private_key

    def ok(*argv: str) -> dict[str, Any]:
        run = cli(None, list(argv))
        assert run.status == 0, (argv, run.doc, run.err)
        return run.doc

    for who in ("root", "mps", "bank"):
        ok(
            "keygen",
            "--unencrypted",
            "--out",
            f"{root}/{who}.pem",
            "--public-out",
            f"{root}/{who}.jwk",
        )
    ok(
        "trust",
        "init",
        "--bundle-id",
        "t",
        "--root-key",
        f"{root}/root.jwk",
        "--threshold",
        "1",
        "--out",
        f"{root}/trust.json",
    )
    ok(
        "trust",
        "add-member",
        f"{root}/trust.json",
        "--agency",
        "mps",
        "--name",
        "MPS",
        "--key",
        f"{root}/mps.jwk",
        "--publish",
        "fraud_numbers:phone,bank_card:block,watch",
    )
    ok("trust", "sign", f"{root}/trust.json", "--key", f"{root}/root.pem")
    (root / "fraud.csv").write_text(CSV_TEXT, encoding="utf-8")
    ok("import-csv", f"{root}/fraud.csv", "--out", f"{root}/fraud.jsonl")
    lines = (root / "fraud.jsonl").read_bytes().splitlines(keepends=True)
    (root / "v2.jsonl").write_bytes(lines[0])
    (root / "bad.jsonl").write_bytes(b'{"kind":"phone"}\n')
    sign = [
        "--key",
        f"{root}/mps.pem",
        "--issuer",
        "mps",
        "--list-id",
        "fraud-phones",
        "--list-type",
        "fraud_numbers",
        "--expires",
        "30d",
    ]
    ok("sign", f"{root}/fraud.jsonl", *sign, "--list-version", "1")
    ok("apply", f"{root}/fraud.jsonl", "--trust", f"{root}/trust.json", "--state", f"{root}/st")
    ok("index", "build", "--from", f"{root}/fraud.jsonl", "--out", f"{root}/fraud.afi")
    (root / "calls.csv").write_text(f"caller,card\n{LISTED},\n+8613700000000,\n", "utf-8")
    (root / "clean.csv").write_text("caller\n+8613700000000\n", "utf-8")
    cdr = "id,caller,callee,via\n1,+8613800138000,+8613900139000,interconnect\n"
    (root / "cdr.csv").write_text(cdr, "utf-8")
    (root / "cdr-bad.csv").write_text(cdr + "2,+8613800138000,+8613900139000,international\n")
    ok("pseudo", "keygen", "--domain", "d", "--out", f"{root}/d.key")
    ok(
        "pseudo",
        "convert",
        f"{root}/fraud.jsonl",
        "--key",
        f"{root}/d.key",
        "--out",
        f"{root}/p.jsonl",
    )
    ok("export-stix", f"{root}/fraud.jsonl", "--out", f"{root}/bundle.json")
    ok("export-misp", f"{root}/fraud.jsonl", "--out", f"{root}/feed")
    ok("export-xlsx", f"{root}/fraud.jsonl", "--out", f"{root}/fraud.xlsx")
    (root / "drop").mkdir()
    for name in ("fraud.jsonl", "fraud.jsonl.sig"):
        shutil.copy(root / name, root / "drop" / name)
    (root / "drop-bad").mkdir()
    shutil.copy(root / "fraud.jsonl", root / "drop-bad" / "fraud.jsonl")
    (root / "drop-bad" / "fraud.jsonl.sig").write_bytes(b"not a signature")
    (root / "notpem").write_text("hello\n", "utf-8")
    (root / "existing").write_text("keep\n", "utf-8")
    (root / "full").mkdir()
    (root / "full" / "keep").write_text("x", "utf-8")

    # Case messages: a federation of police (mps) and a bank (icbc).
    fed = federation(NOW)
    (root / "ctrust.json").write_bytes(fed.trust.to_bytes())
    (root / "ctrust.json.sig").write_bytes(sign_trust_bundle(fed.trust.to_bytes(), [fed.root]))
    for member, signers in fed.signers.items():
        save_private_key(
            root / f"{member}-0.pem",
            signers[0].private_key,
            passphrase=None,
            allow_unencrypted=True,
        )
    order = {
        "account": {"bank": "icbc", "number": "6217000010001234567", "name": "x"},
        "amount": {"amount": 100, "currency": "CNY"},
        "transfer_time": STAMP,
        "sequence": 1,
        "term_hours": 48,
        "legal_basis": "x",
    }
    (root / "order.json").write_text(json.dumps(order), "utf-8")
    stopped = {
        "status": "stopped",
        "amount_held": {"amount": 100, "currency": "CNY"},
        "stopped_at": STAMP,
        "stopped_until": (NOW + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    (root / "result.json").write_text(json.dumps(stopped), "utf-8")
    doc = ok(
        "case",
        "new",
        "stop_payment_order",
        "--case-id",
        "mps:1",
        "--to",
        "icbc",
        "--body",
        f"{root}/order.json",
        "--key",
        f"{root}/mps-0.pem",
        "--out",
        f"{root}/order.jws",
        *police(root),
    )
    ok("case", "receive", f"{root}/order.jws", *bank(root))
    return {"order_hash": doc["message"]["hash"]}


def police(root: Path, book: str = "p") -> list[str]:
    return ["--book", f"{root}/{book}", "--me", "mps", "--trust", f"{root}/ctrust.json"]


def bank(root: Path, book: str = "k") -> list[str]:
    return ["--book", f"{root}/{book}", "--me", "icbc", "--trust", f"{root}/ctrust.json"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("world")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANTIFRAUD_PASSPHRASE", raising=False)
        mp.delenv("ANTIFRAUD_TRUST", raising=False)
        mp.delenv("ANTIFRAUD_STATE", raising=False)
        info = _build(root)
    return root, info


def cases(r: Path, info: dict[str, str]) -> dict[str, Case]:
    """Every command's success and failure runs. ``r`` is the command's own copy of the world."""
    t = ["--trust", f"{r}/trust.json"]
    sign = [
        "--key",
        f"{r}/mps.pem",
        "--issuer",
        "mps",
        "--list-id",
        "fraud-phones",
        "--list-type",
        "fraud_numbers",
        "--expires",
        "30d",
    ]
    accept_all = f'{sys.executable} -S -c "print(\'{{\\"ok\\": true}}\')"'
    ours = f"{sys.executable} -m antifraud_common.conformance.impl"
    return {
        "check": Case([LISTED], ["138O0138OOO"], 1, "invalid_value"),
        "keygen": Case(
            ["--unencrypted", "--out", f"{r}/k.pem", "--public-out", f"{r}/k.jwk"],
            ["--unencrypted", "--out", f"{r}/existing"],
            2,
            "file_exists",
        ),
        "trust init": Case(
            [
                "--bundle-id",
                "x",
                "--root-key",
                f"{r}/root.jwk",
                "--threshold",
                "1",
                "--out",
                f"{r}/t2.json",
            ],
            [
                "--bundle-id",
                "x",
                "--root-key",
                f"{r}/root.jwk",
                "--threshold",
                "1",
                "--out",
                f"{r}/trust.json",
            ],
            2,
            "file_exists",
        ),
        "trust add-member": Case(
            [f"{r}/trust.json", "--agency", "bank1", "--name", "B", "--key", f"{r}/bank.jwk"],
            [f"{r}/trust.json", "--agency", "mps", "--name", "M", "--key", f"{r}/mps.jwk"],
            1,
        ),
        "trust remove-member": Case(
            [f"{r}/trust.json", "--agency", "mps"], [f"{r}/trust.json", "--agency", "nobody"], 1
        ),
        "trust sign": Case(
            [f"{r}/trust.json", "--key", f"{r}/root.pem", "--sig", f"{r}/t.sig"],
            [f"{r}/trust.json", "--key", f"{r}/mps.pem"],
            1,
            "trust_signer_not_root",
        ),
        "trust show": Case([f"{r}/trust.json"], [f"{r}/nope.json"], 2, "file_not_found"),
        "sign": Case(
            [f"{r}/fraud.jsonl", *sign, "--list-version", "1", "--force"],
            [f"{r}/fraud.jsonl", *sign, "--list-version", "1"],
            2,
            "file_exists",
        ),
        "co-sign": Case(
            [f"{r}/fraud.jsonl.sig", "--key", f"{r}/root.pem"],
            [f"{r}/nope.sig", "--key", f"{r}/root.pem"],
            2,
            "file_not_found",
        ),
        "verify": Case(
            [f"{r}/fraud.jsonl", *t, "--now", TOMORROW],
            [f"{r}/nope.jsonl", *t],
            2,
            "file_not_found",
        ),
        "validate": Case([f"{r}/fraud.jsonl"], [f"{r}/bad.jsonl"], 1),
        "inspect": Case([f"{r}/fraud.jsonl.sig"], [f"{r}/nope.sig"], 2, "file_not_found"),
        "diff": Case(
            [f"{r}/fraud.jsonl", f"{r}/v2.jsonl", "--out", f"{r}/d.jsonl"],
            [f"{r}/fraud.jsonl", f"{r}/v2.jsonl", "--out", f"{r}/existing"],
            2,
            "file_exists",
        ),
        "apply": Case(
            [f"{r}/fraud.jsonl", *t, "--state", f"{r}/st"],
            [f"{r}/bad.jsonl", "--sig", f"{r}/fraud.jsonl.sig", *t, "--state", f"{r}/st"],
            1,
        ),
        "sync": Case(
            ["--from", f"{r}/drop", *t, "--state", f"{r}/st2"],
            ["--from", f"{r}/drop-bad", *t, "--state", f"{r}/st3"],
            1,
        ),
        "state show": Case(["--state", f"{r}/st"], ["--state", f"{r}/nostate"], 1, "state_missing"),
        "screen": Case(
            [f"{r}/clean.csv", "--index", f"{r}/fraud.afi", "--column", "caller"],
            [f"{r}/calls.csv", "--state", f"{r}/st", "--column", "caller:phone"],
            1,
            "listed",
        ),
        "screen-calls": Case(
            [f"{r}/cdr.csv", "--calling", "caller", "--called", "callee", "--ingress", "via"],
            [f"{r}/cdr-bad.csv", "--calling", "caller", "--called", "callee", "--ingress", "via"],
            1,
            "call_not_allowed",
        ),
        "index build": Case(
            ["--from", f"{r}/fraud.jsonl", "--out", f"{r}/i2.afi"],
            ["--from", f"{r}/bad.jsonl", "--out", f"{r}/i3.afi"],
            1,
        ),
        "screen-dist": Case(
            [
                f"{r}/clean.csv",
                "--index",
                f"{r}/fraud.afi",
                "--column",
                "caller",
                "--out",
                f"{r}/dist",
                "--workers",
                "1",
            ],
            [
                f"{r}/clean.csv",
                "--index",
                f"{r}/fraud.afi",
                "--column",
                "caller:fax",
                "--out",
                f"{r}/dist2",
            ],
            2,
            "unknown_kind",
        ),
        "pseudo keygen": Case(
            ["--domain", "d", "--out", f"{r}/d2.key"],
            ["--domain", "d", "--out", f"{r}/d.key"],
            2,
            "file_exists",
        ),
        "pseudo convert": Case(
            [f"{r}/fraud.jsonl", "--key", f"{r}/d.key", "--out", f"{r}/p2.jsonl"],
            [f"{r}/bad.jsonl", "--key", f"{r}/d.key", "--out", f"{r}/p3.jsonl"],
            1,
        ),
        "pseudo sign": Case(
            [f"{r}/p.jsonl", "--domain-key", f"{r}/d.key", *sign, "--list-version", "1"],
            [f"{r}/p.jsonl", "--domain-key", f"{r}/nope.key", *sign, "--list-version", "1"],
            2,
            "file_not_found",
        ),
        "pseudo check": Case(
            ["--key", f"{r}/d.key", "--list", f"{r}/p.jsonl", "+8613700000000"],
            ["--key", f"{r}/d.key", "--list", f"{r}/p.jsonl", LISTED],
            1,
            "listed",
        ),
        "import-csv": Case(
            [f"{r}/fraud.csv", "--out", f"{r}/i.jsonl"],
            [f"{r}/calls.csv", "--out", f"{r}/i2.jsonl"],
            1,
        ),
        "export-csv": Case([f"{r}/fraud.jsonl"], [f"{r}/bad.jsonl"], 1),
        "export-stix": Case(
            [f"{r}/fraud.jsonl", "--out", f"{r}/b2.json"],
            [f"{r}/bad.jsonl", "--out", f"{r}/b3.json"],
            1,
        ),
        "import-stix": Case(
            [f"{r}/bundle.json", "--out", f"{r}/s.jsonl"],
            [f"{r}/fraud.csv", "--out", f"{r}/s2.jsonl"],
            1,
        ),
        "export-misp": Case(
            [f"{r}/fraud.jsonl", "--out", f"{r}/feed2"],
            [f"{r}/fraud.jsonl", "--out", f"{r}/full"],
            2,
            "file_exists",
        ),
        "import-misp": Case(
            [f"{r}/feed", "--out", f"{r}/m.jsonl"],
            [f"{r}/nofeed", "--out", f"{r}/m2.jsonl"],
            2,
            "file_not_found",
        ),
        "export-warninglist": Case(
            ["--out", f"{r}/w.json"], ["--out", f"{r}/existing"], 2, "file_exists"
        ),
        "export-xlsx": Case(
            [f"{r}/fraud.jsonl", "--out", f"{r}/x.xlsx"],
            [f"{r}/bad.jsonl", "--out", f"{r}/x2.xlsx"],
            1,
        ),
        "import-xlsx": Case(
            [f"{r}/fraud.xlsx", "--out", f"{r}/x.jsonl"],
            [f"{r}/fraud.csv", "--out", f"{r}/x2.jsonl"],
            1,
        ),
        "report": Case(
            ["--state", f"{r}/st", "--out", f"{r}/r.html"],
            ["--state", f"{r}/nostate", "--out", f"{r}/r2.html"],
            1,
        ),
        "schema": Case(["entry"], ["nope"], 2, "usage_error"),
        "conformance run": Case(
            ["--implementation", ours, "--family", "rfc8037"],
            ["--implementation", accept_all, "--family", "rfc8037"],
            1,
        ),
        "demo": Case(["--entries", "100"], ["--dir", f"{r}/full"], 2, "file_exists"),
        "case new": Case(
            [
                "stop_payment_order",
                "--case-id",
                "mps:2",
                "--to",
                "icbc",
                "--body",
                f"{r}/order.json",
                "--key",
                f"{r}/mps-0.pem",
                "--out",
                f"{r}/o2.jws",
                *police(r),
            ],
            [
                "recall",
                "--case-id",
                "mps:2",
                "--to",
                "icbc",
                "--body",
                f"{r}/order.json",
                "--key",
                f"{r}/mps-0.pem",
                "--out",
                f"{r}/o3.jws",
                *police(r),
            ],
            2,
            "usage_error",
        ),
        "case reply": Case(
            [
                info["order_hash"],
                "stop_payment_result",
                "--body",
                f"{r}/result.json",
                "--key",
                f"{r}/icbc-0.pem",
                "--out",
                f"{r}/res.jws",
                *bank(r),
            ],
            [
                "ab" * 32,
                "stop_payment_result",
                "--body",
                f"{r}/result.json",
                "--key",
                f"{r}/icbc-0.pem",
                "--out",
                f"{r}/res2.jws",
                *bank(r),
            ],
            2,
            "usage_error",
        ),
        "case receive": Case(
            [f"{r}/order.jws", *bank(r, "k2")], [f"{r}/order.jws", *bank(r)], 1, "case_replay"
        ),
        "case show": Case(
            ["mps:1", "--book", f"{r}/p"], ["nope", "--book", f"{r}/p"], 2, "usage_error"
        ),
        "case due": Case(
            ["--book", f"{r}/empty-book"],
            ["--book", f"{r}/k", "--now", (NOW + timedelta(days=3)).strftime("%Y-%m-%d")],
            1,
            "case_overdue",
        ),
        "case export": Case(
            ["--book", f"{r}/p", "--out", f"{r}/audit.jsonl"],
            ["--book", f"{r}/p", "--out", f"{r}/existing"],
            2,
            "file_exists",
        ),
        "case enc-keygen": Case(
            ["--out", f"{r}/e.pem", "--public-out", f"{r}/e.jwk", "--unencrypted"],
            ["--out", f"{r}/existing", "--public-out", f"{r}/e.jwk", "--unencrypted"],
            2,
            "file_exists",
        ),
        "case demo": Case([], ["--no-such-option"], 2, "usage_error"),
        "completion": Case(["bash"], ["fish"], 2, "usage_error"),
    }


def _commands() -> list[str]:
    return [name for name, _ in leaf_commands(build_parser()) if name not in PROTOCOL_COMMANDS]


COMMANDS = _commands()


def test_every_command_has_a_contract_case(world: tuple[Path, dict[str, str]]) -> None:
    root, info = world
    defined = set(cases(root, info))
    assert set(COMMANDS) - defined == set(), "commands without a contract case"
    assert defined - set(COMMANDS) == set(), "contract cases for commands that do not exist"


def test_every_command_has_documented_payload_keys() -> None:
    documented = documented_payloads()
    assert set(COMMANDS) - set(documented) == set(), "commands missing from docs/cli.md"
    for command, keys in documented.items():
        assert not keys & set(ENVELOPE_KEYS), (command, keys)


@pytest.mark.parametrize("command", COMMANDS)
def test_contract(
    command: str,
    world: tuple[Path, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, info = world
    root = tmp_path / "w"
    shutil.copytree(source, root, symlinks=True)
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE", raising=False)
    monkeypatch.delenv("ANTIFRAUD_TRUST", raising=False)
    monkeypatch.delenv("ANTIFRAUD_STATE", raising=False)
    monkeypatch.chdir(root)
    case = cases(root, info)[command]
    words = command.split()
    if command == "screen-dist":
        pytest.importorskip("distributed")

    good = cli(capsys, [*words, *case.ok])
    assert good.status == case.ok_status, (good.doc, good.err)
    check_envelope(good, command)
    missing = documented_payloads()[command] - set(good.doc)
    assert not missing, f"documented payload keys missing: {missing}"

    bad = cli(capsys, [*words, *case.fail])
    assert bad.status == case.fail_status, (bad.doc, bad.err)
    check_envelope(bad, command)
    if case.fail_code is not None:
        assert bad.doc["error"]["code"] == case.fail_code, bad.doc
    # The message is on stderr too, for people.
    assert bad.err.strip(), bad


@pytest.mark.parametrize("command", COMMANDS)
def test_usage_errors_are_one_document_and_exit_2(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    words = command.split()
    for argv in ([*words, "--no-such-option"], ["--json", *words, "--no-such-option"]):
        status = main([*argv, "--json"] if argv[0] != "--json" else argv)
        captured = capsys.readouterr()
        doc = json.loads(captured.out)
        assert status == 2 and doc["exit_code"] == 2 and doc["ok"] is False, doc
        assert doc["command"] == command
        assert doc["error"]["code"] == "usage_error"
        assert doc["error"]["message"] and "error" in captured.err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_one_document_with_json(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main([*command.split(), "--help", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["ok"] and doc["command"] == command
    assert "usage: antifraud" in doc["help"]


def test_abbreviated_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # `--stat` is not `--state`, `--jso` is not `--json`.
    assert main(["check", "--stat", "x", "1", "--json"]) == 2
    assert "--stat" in json.loads(capsys.readouterr().out)["error"]["message"]
    assert main(["check", "1", "--jso"]) == 2
    for name, parser in leaf_commands(build_parser()):
        assert parser.allow_abbrev is False, name


def test_global_json_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "check", "13800138000"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "check" and doc["ok"] and doc["results"][0]["valid"]
    assert main(["--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "usage_error"


def test_program_version_is_unambiguous(capsys: pytest.CaptureFixture[str]) -> None:
    from antifraud_common import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"antifraud {__version__}"


def test_kind_names_are_one_set(capsys: pytest.CaptureFixture[str]) -> None:
    for spelling in ("card", "bank_card"):
        assert main(["check", "--kind", spelling, CARD, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["results"][0]["kind"] == "bank_card"
    assert main(["check", "--kind", "fax", "1", "--json"]) == 2
    message = json.loads(capsys.readouterr().out)["error"]["message"]
    for kind in ("phone", "bank_card", "bank_account", "iccid", "imei", "idcard"):
        assert kind in message


def test_unknown_column_lists_the_columns(
    world: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = world
    status = main(
        [
            "screen",
            f"{root}/calls.csv",
            "--index",
            f"{root}/fraud.afi",
            "--column",
            "phone",
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert status == 2 and doc["error"]["code"] == "no_such_column"
    assert "'caller'" in doc["error"]["message"] and "'card'" in doc["error"]["message"]


def test_date_cell_error_names_the_accepted_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "c.csv"
    csv.write_text(CSV_TEXT.replace("2026-01-01,2026-01-01\n", "01/02/2026,2026-01-01\n", 1))
    assert main(["import-csv", str(csv), "--out", str(tmp_path / "o.jsonl"), "--json"]) == 1
    problem = json.loads(capsys.readouterr().out)["problems"][0]
    assert problem["code"] == "invalid_timestamp" and "YYYY-MM-DD" in problem["message"]


def test_sign_version_is_deprecated_not_gone(
    world: tuple[Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = world
    entries = tmp_path / "l.jsonl"
    shutil.copy(root / "fraud.jsonl", entries)
    argv = [
        "sign",
        str(entries),
        "--key",
        f"{root}/mps.pem",
        "--issuer",
        "mps",
        "--list-id",
        "fraud-phones",
        "--list-type",
        "fraud_numbers",
        "--expires",
        "1d",
        "--json",
    ]
    assert main([*argv, "--version", "3"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["manifest"]["version"] == 3
    assert "deprecated" in captured.err and "--list-version" in captured.err
    # The one overwrite rule: the .sig exists now.
    assert main([*argv, "--list-version", "4"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "file_exists"
    assert main([*argv, "--list-version", "4", "--version", "4"]) == 2
    capsys.readouterr()


def test_validate_allows_protected_numbers_named_on_purpose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from antifraud_common.exchange.entries import write_entries
    from antifraud_common.models import Entry

    entries = tmp_path / "e.jsonl"
    write_entries(
        entries,
        [
            Entry.from_dict(
                {
                    "kind": "phone",
                    "value": "tel:110;phone-context=+86",
                    "reason": "impersonation",
                    "action": "watch",
                    "source": "mps",
                    "case_ref": "X-1",
                    "confidence": 50,
                    "tlp": "amber",
                    "listed_at": "2026-01-01T00:00:00Z",
                    "valid_from": "2026-01-01T00:00:00Z",
                }
            )
        ],
    )
    assert main(["validate", str(entries), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["code"] == "protected_identifier", doc
    allow = ["--allow-protected", "phone:tel:110;phone-context=+86"]
    assert main(["validate", str(entries), *allow, "--json"]) == 0, capsys.readouterr()
    capsys.readouterr()


def test_env_defaults_for_trust_and_state(
    world: tuple[Path, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = world
    monkeypatch.setenv("ANTIFRAUD_TRUST", str(root / "trust.json"))
    monkeypatch.setenv("ANTIFRAUD_STATE", str(root / "st"))
    assert main(["verify", str(root / "fraud.jsonl"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signers"] == ["mps"]
    assert main(["state", "show", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["lists"]) == 1
    assert main(["check", "+8613700000000", "--json"]) == 0  # --state from the environment
    assert json.loads(capsys.readouterr().out)["results"][0]["lookup"]["listed"] is False
    # An explicit option wins over the environment.
    assert main(["state", "show", "--state", str(root / "nostate"), "--json"]) == 1
    capsys.readouterr()


def test_a_wrong_passphrase_typed_at_the_prompt_is_a_usage_error(
    world: tuple[Path, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = world
    key = tmp_path / "k.pem"
    monkeypatch.setenv("ANTIFRAUD_PASSPHRASE", "the right one")
    assert main(["keygen", "--out", str(key), "--json"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("ANTIFRAUD_PASSPHRASE")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("antifraud_common.cli._keys.prompt_passphrase", lambda *_a, **_k: b"not it")
    entries = tmp_path / "l.jsonl"
    shutil.copy(root / "fraud.jsonl", entries)
    argv = [
        "sign",
        str(entries),
        "--key",
        str(key),
        "--issuer",
        "mps",
        "--list-id",
        "x",
        "--list-type",
        "fraud_numbers",
        "--list-version",
        "1",
        "--expires",
        "1d",
        "--json",
    ]
    assert main(argv) == 2  # before: an internal error (exit 3)
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "key_wrong_passphrase"

    def gone(*_a: object, **_k: object) -> bytes:
        raise EOFError

    monkeypatch.setattr("antifraud_common.cli._keys.prompt_passphrase", gone)
    assert main(argv) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "key_passphrase_required"
