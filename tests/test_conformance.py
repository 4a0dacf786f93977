"""The conformance suite: case files, runner, this library's adapter, the Node.js verifier."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from antifraud_common.conformance import (
    CASES_DIR,
    Case,
    Outcome,
    build_argv,
    load_cases,
    load_xfails,
    run_suite,
)
from antifraud_common.conformance import impl as our_impl
from antifraud_common.conformance.runner import COMMANDS
from antifraud_common.errors import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "interop" / "node"
ALL_CASES = load_cases()
FAMILIES = sorted({c.family for c in ALL_CASES})
#: Families the Node.js verifier implements (signature, trust and hash parts).
NODE_FAMILIES = (
    "list",
    "integrity",
    "signature",
    "scope",
    "threshold",
    "freshness",
    "rollback",
    "manifest",
    "pseudonymised",
    "trust-rotation",
    "trust-bundle",
    "weak-keys",
    "jws-header",
    "jwk",
    "rfc8037",
    "jcs",
    "cases",
    "number-plan",
)


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "make_conformance", ROOT / "scripts" / "make_conformance.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ case files


def test_suite_size_and_families():
    assert len(ALL_CASES) >= 150
    # every threat class of the design has its family
    for fam in (
        "integrity",
        "signature",
        "scope",
        "threshold",
        "rollback",
        "freshness",
        "manifest",
        "entries",
        "delta",
        "trust-rotation",
        "trust-bundle",
        "weak-keys",
        "jcs",
        "rfc8037",
        "minisign",
        "identifier",
        "pseudonymised",
        "protected",
        "cases",
        "number-plan",
        "reference",
    ):
        assert fam in FAMILIES, fam
    assert sum(c.family == "trust-rotation" for c in ALL_CASES) >= 25


def test_case_shape():
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids))
    for case in ALL_CASES:
        assert case.id.startswith(case.family + "/")
        assert case.description
        expect = case.expect
        assert isinstance(expect["ok"], bool)
        if not expect["ok"]:
            assert isinstance(expect["code"], str) and expect["code"]
        if case.command in ("verify", "apply-delta", "trust-walk", "case-receive"):
            assert case.data["now"].endswith("Z")
        case.file_bytes()  # every file decodes


def test_both_verdicts_in_each_signed_family():
    for fam in ("threshold", "freshness", "rollback", "delta", "trust-rotation", "trust-bundle"):
        verdicts = {c.expect["ok"] for c in ALL_CASES if c.family == fam}
        assert verdicts == {True, False}, fam


def test_vectors_path_is_the_packaged_cases():
    # tests/vectors/conformance is the same directory as the package data: one source
    assert (ROOT / "tests" / "vectors" / "conformance").resolve() == CASES_DIR


@pytest.mark.slow
def test_committed_cases_match_the_generator():
    generator = _load_generator()
    files, skipped = generator.build()
    assert skipped == []
    committed = {p.name: p.read_bytes() for p in CASES_DIR.glob("*.json")}
    assert sorted(committed) == sorted(files)
    stale = [name for name, data in files.items() if committed[name] != data]
    assert stale == [], "run: python scripts/make_conformance.py"


# ---------------------------------------------------------------------- runner


def _case(expect: dict[str, object], command: str = "canonicalize") -> Case:
    return Case.from_dict(
        {
            "id": "x/one",
            "family": "x",
            "description": "d",
            "command": command,
            "files": {"in": {"base64": "e30="}},
            "expect": expect,
        }
    )


def _fixed(line: str, status: int = 0):
    return lambda argv: (status, line + "\n")


def test_runner_compares_verdicts_codes_and_outputs():
    case = _case({"ok": False, "code": "json_float", "alt_codes": ["json_syntax"]})
    assert run_suite(_fixed('{"ok":false,"code":"json_float"}'), cases=[case]).ok
    assert run_suite(_fixed('{"ok":false,"code":"json_syntax"}'), cases=[case]).ok
    r = run_suite(_fixed('{"ok":false,"code":"json_bom"}'), cases=[case])
    assert not r.ok
    assert "json_float" in r.failures()[0].detail
    assert not run_suite(_fixed('{"ok":true}'), cases=[case]).ok
    case = _case({"ok": True, "output": "e30="})
    assert run_suite(_fixed('{"ok":true,"output":"e30="}'), cases=[case]).ok
    assert not run_suite(_fixed('{"ok":true,"output":"e31="}'), cases=[case]).ok
    assert not run_suite(_fixed("not json"), cases=[case]).ok
    assert not run_suite(_fixed('{"ok":"yes"}'), cases=[case]).ok
    case = _case({"ok": False, "code": "jws_duplicate_kid", "alt_accept": True})
    assert run_suite(_fixed('{"ok":true}'), cases=[case]).ok


def test_runner_xfail_xpass_unsupported():
    case = _case({"ok": True})
    r = run_suite(_fixed('{"ok":false,"code":"x"}'), cases=[case], xfails=["x/one"])
    assert r.results[0].outcome is Outcome.XFAILED and r.ok
    r = run_suite(_fixed('{"ok":true}'), cases=[case], xfails=["x/one"])
    assert r.results[0].outcome is Outcome.XPASSED and r.ok
    r = run_suite(_fixed("", status=2), cases=[case])
    assert r.results[0].outcome is Outcome.UNSUPPORTED and r.ok
    table = r.table()
    assert "unsupported" in table and "total" in table


def test_load_xfails_and_bad_cases(tmp_path):
    p = tmp_path / "impl.xfails"
    p.write_text("# comment\njcs/float   # why\n\n  trust-rotation/no-update\n", encoding="utf-8")
    assert load_xfails(p) == {"jcs/float", "trust-rotation/no-update"}
    with pytest.raises(ConfigurationError):
        Case.from_dict({"id": "a", "family": "b", "command": "nope", "expect": {"ok": True}})
    with pytest.raises(ConfigurationError):
        Case.from_dict({"id": "a", "family": "b", "command": "verify", "expect": {}})
    with pytest.raises(ConfigurationError):
        load_cases(tmp_path)
    (tmp_path / "x.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(ConfigurationError):
        load_cases(tmp_path)


def test_build_argv_for_every_command():
    seen = set()
    for case in ALL_CASES:
        if case.command in seen:
            continue
        seen.add(case.command)
        paths = {name: f"/c/{name}" for name in case.data.get("files", {})}
        argv = build_argv(case, paths)
        assert argv[0] == case.command
        assert all(isinstance(a, str) for a in argv)
    assert len(seen) == len(COMMANDS) >= 10  # every command has cases
    assert "verify-reference" in seen
    assert "validate-call" in seen


def test_parts_files_expand():
    case = next(c for c in ALL_CASES if c.id == "integrity/endless-input")
    assert len(case.file_bytes()["entries"]) > 2 * 1024 * 1024


# ------------------------------------------------------------ our implementation


@pytest.mark.parametrize("family", FAMILIES)
def test_library_passes_every_case(family):
    result = run_suite(our_impl.run, cases=[c for c in ALL_CASES if c.family == family])
    assert [f"{f.case_id}: {f.detail}" for f in result.failures()] == []
    assert result.count(Outcome.UNSUPPORTED) == 0
    assert result.count(Outcome.PASSED) == len(result.results)


def test_library_summary_table(capsys):
    """The whole suite against this library, with the runner's summary table in CI output."""
    result = run_suite(our_impl.run, cases=ALL_CASES)
    with capsys.disabled():
        print("\nconformance suite, this library (all families):\n" + result.table())
    assert result.ok
    assert result.count(Outcome.PASSED) == len(ALL_CASES) >= 150


def test_impl_usage_errors_are_unsupported():
    assert our_impl.run(["no-such-command"])[0] != 0
    assert our_impl.run(["validate-identifier", "--kind", "email", "--value=x"])[0] == 2


def test_cli_run_prints_summary(capsys):
    from antifraud_common.cli import _conformance

    # a stand-in implementation that accepts everything: fast, and wrong on rejections
    accept_all = f'{sys.executable} -S -c "print(\'{{\\"ok\\": true}}\')"'
    status = _conformance.main(["run", "--implementation", accept_all, "--family", "rfc8037"])
    text = capsys.readouterr().out
    assert status == 1
    assert "rfc8037" in text and "total" in text and "FAILED rfc8037/a1-private-jwk-refused" in text
    status = _conformance.main(
        ["run", "--implementation", accept_all, "--family", "rfc8037", "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert status == 1 and doc["ok"] is False and doc["summary"][-1]["family"] == "total"
    assert _conformance.main(["run", "--implementation", "x", "--family", "rfc8037", "--list"]) == 0
    assert "rfc8037/a3-thumbprint" in capsys.readouterr().out
    assert _conformance.main(["run", "--implementation", "x", "--family", "nope"]) == 2


@pytest.mark.slow
def test_subprocess_run_shows_summary_table(capsys):
    """One real subprocess run through the documented command line (table printed in CI)."""
    impl = f"{sys.executable} -m antifraud_common.conformance impl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "antifraud_common.conformance",
            "run",
            "--implementation",
            impl,
            "--family",
            "rfc8037",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    with capsys.disabled():
        print("\nconformance suite, this library as a subprocess:\n" + proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAILED" not in proc.stdout


# ------------------------------------------------------------- Node.js verifier


def _node() -> str | None:
    node = shutil.which("node")
    if node is None and os.environ.get("ANTIFRAUD_REQUIRE_INTEROP") == "1":
        pytest.fail("node is required (ANTIFRAUD_REQUIRE_INTEROP=1)")
    return node


@pytest.mark.slow
@pytest.mark.interop
def test_node_verifier_passes_its_families(capsys):
    node = _node()
    if node is None:
        pytest.skip("node not installed")
    cases = [c for c in ALL_CASES if c.family in NODE_FAMILIES]
    xfails = load_xfails(NODE_DIR / "verifier.xfails")
    result = run_suite(f"{node} {NODE_DIR / 'verifier.mjs'}", cases=cases, xfails=xfails)
    with capsys.disabled():
        print("\nconformance suite, interop/node/verifier.mjs:\n" + result.table())
    assert [f"{f.case_id}: {f.detail}" for f in result.failures()] == []
    assert [r.case_id for r in result.results if r.outcome is Outcome.XPASSED] == []
    assert result.count(Outcome.UNSUPPORTED) == 0
    assert result.count(Outcome.PASSED) >= 0.9 * len(cases)


@pytest.mark.interop
def test_node_verifier_reports_unsupported_commands():
    node = _node()
    if node is None:
        pytest.skip("node not installed")
    cases = [c for c in ALL_CASES if c.family in ("identifier", "delta")][:2]
    result = run_suite(f"{node} {NODE_DIR / 'verifier.mjs'}", cases=cases)
    assert result.count(Outcome.UNSUPPORTED) == 2


def test_xfail_file_names_real_cases():
    path = NODE_DIR / "verifier.xfails"
    if not path.exists():
        pytest.skip("no Node.js verifier xfails file")
    ids = {c.id for c in ALL_CASES}
    assert load_xfails(path) <= ids
    json.dumps(sorted(load_xfails(path)))
