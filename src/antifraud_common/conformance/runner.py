"""Load conformance cases and run them against an implementation.

An implementation is any program that speaks the protocol of
``docs/conformance.md``: it is started once per case with a sub-command and
file paths (``verify --entries F --sig F ...``), prints one JSON line
(``{"ok": true}`` or ``{"ok": false, "code": "..."}``) and exits 0 for a verdict
or non-zero when it does not support the command. :func:`run_suite` compares
every verdict and error code with the case's expectation and returns a
:class:`SuiteResult` whose :meth:`~SuiteResult.table` is the summary per family.

An implementation may also be a Python callable ``argv -> (exit status, stdout)``,
which is how the test suite runs this library's own adapter in-process.

>>> case = load_cases(families=["jcs"])[0]
>>> argv = build_argv(case, {"in": "/tmp/x"})
>>> argv[0], argv[1]
('canonicalize', '--in')
>>> result = run_suite(lambda argv: (3, ""), cases=[case])
>>> result.results[0].outcome
<Outcome.UNSUPPORTED: 'unsupported'>
>>> result.ok
True
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import attrs

from antifraud_common.errors import ConfigurationError

__all__ = [
    "CASES_DIR",
    "COMMANDS",
    "SUITE_FORMAT",
    "Case",
    "CaseResult",
    "Implementation",
    "Outcome",
    "SuiteResult",
    "build_argv",
    "load_cases",
    "load_xfails",
    "run_suite",
    "subprocess_implementation",
]

#: Where the cases shipped with the package live (one JSON file per family).
CASES_DIR = Path(__file__).resolve().parent / "cases"
#: The ``format`` member of every case file.
SUITE_FORMAT = "antifraud-conformance"
#: The protocol's sub-commands.
COMMANDS = (
    "verify",
    "apply-delta",
    "trust-walk",
    "canonicalize",
    "validate-identifier",
    "thumbprint",
    "jws-verify",
    "minisign-verify",
    "case-receive",
    "verify-reference",
    "validate-call",
)
#: An implementation called in-process: ``argv -> (exit status, stdout text)``.
Implementation: TypeAlias = Callable[[Sequence[str]], tuple[int, str]]

_MAX_FILE_BYTES = 64 * 1024 * 1024


class Outcome(enum.Enum):
    """What running one case gave."""

    PASSED = "passed"
    FAILED = "failed"
    #: Failed, and listed in the expected-failures file.
    XFAILED = "xfailed"
    #: Listed as an expected failure, but passed (the list is out of date).
    XPASSED = "xpassed"
    #: The implementation exited non-zero: it does not support this command.
    UNSUPPORTED = "unsupported"


def _decode_file(spec: object, where: str) -> bytes:
    if not isinstance(spec, Mapping):
        raise ConfigurationError(f"{where}: a file is an object", code="conformance_case_invalid")
    try:
        if "base64" in spec:
            return base64.b64decode(str(spec["base64"]), validate=True)
        if "hex" in spec:
            return bytes.fromhex(str(spec["hex"]))
        if "parts" in spec:
            out = bytearray()
            for part in spec["parts"]:
                chunk = base64.b64decode(str(part["base64"]), validate=True)
                out += chunk * int(part["repeat"])
                if len(out) > _MAX_FILE_BYTES:
                    raise ConfigurationError(
                        f"{where}: file too large", code="conformance_case_invalid"
                    )
            return bytes(out)
    except (binascii.Error, ValueError, KeyError, TypeError) as e:
        raise ConfigurationError(
            f"{where}: bad file encoding", code="conformance_case_invalid"
        ) from e
    raise ConfigurationError(f"{where}: unknown file encoding", code="conformance_case_invalid")


@attrs.frozen(kw_only=True)
class Case:
    """One conformance case (see ``docs/conformance.md`` for the JSON shape)."""

    id: str
    family: str
    description: str
    command: str
    #: The case exactly as it appears in its file.
    data: Mapping[str, Any] = attrs.field(repr=False, eq=False)

    @property
    def expect(self) -> Mapping[str, Any]:
        """The expected output: ``{"ok": ...}`` plus ``code`` or output members."""
        value: Mapping[str, Any] = self.data["expect"]
        return value

    def file_bytes(self) -> dict[str, bytes]:
        """Return the case's input files by logical name."""
        files = self.data.get("files", {})
        return {name: _decode_file(spec, f"{self.id}: {name}") for name, spec in files.items()}

    def materialise(self, directory: Path) -> dict[str, str]:
        """Write the input files into ``directory``; return logical name -> path."""
        out = {}
        for name, data in self.file_bytes().items():
            path = directory / name
            path.write_bytes(data)
            out[name] = str(path)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        """Build a case from its JSON shape (checks the members the runner needs)."""
        try:
            case = cls(
                id=str(data["id"]),
                family=str(data["family"]),
                description=str(data.get("description", "")),
                command=str(data["command"]),
                data=data,
            )
        except (KeyError, TypeError) as e:
            raise ConfigurationError(
                f"bad conformance case {data.get('id')!r}: {e}", code="conformance_case_invalid"
            ) from e
        expect = data.get("expect")
        if not isinstance(expect, Mapping) or not isinstance(expect.get("ok"), bool):
            raise ConfigurationError(
                f"{case.id}: expect.ok must be a boolean", code="conformance_case_invalid"
            )
        if case.command not in COMMANDS:
            raise ConfigurationError(
                f"{case.id}: unknown command {case.command!r}", code="conformance_case_invalid"
            )
        return case


def load_cases(
    directory: str | Path | None = None, *, families: Iterable[str] | None = None
) -> list[Case]:
    """Load every case from the ``*.json`` files of ``directory`` (default :data:`CASES_DIR`).

    ``families`` keeps only those families. Case ids must be unique.
    """
    root = Path(directory) if directory is not None else CASES_DIR
    wanted = None if families is None else frozenset(families)
    cases: list[Case] = []
    seen: set[str] = set()
    paths = sorted(root.glob("*.json"))
    if not paths:
        raise ConfigurationError(f"no case files in {root}", code="conformance_no_cases")
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != SUITE_FORMAT:
            raise ConfigurationError(
                f"{path.name} is not a conformance case file", code="conformance_case_invalid"
            )
        for raw in doc["cases"]:
            case = Case.from_dict(raw)
            if case.id in seen:
                raise ConfigurationError(
                    f"duplicate case id {case.id}", code="conformance_case_invalid"
                )
            seen.add(case.id)
            if wanted is None or case.family in wanted:
                cases.append(case)
    return cases


def load_xfails(path: str | Path) -> frozenset[str]:
    """Read an expected-failures file: one case id per line, ``#`` starts a comment.

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.xfails"
    >>> _ = p.write_text("# why\\njcs/float  # not yet\\n\\n")
    >>> sorted(load_xfails(p))
    ['jcs/float']
    """
    out = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            out.add(text)
    return frozenset(out)


def _state_and_grace(d: Mapping[str, Any]) -> list[str]:
    """The optional receiver-state and grace arguments of ``verify`` and ``verify-reference``."""
    argv: list[str] = []
    state = d.get("state")
    if state is not None:
        argv += ["--state-version", str(state["version"]), "--state-sha256", state["sha256"]]
    if d.get("grace_seconds") is not None:
        argv += ["--grace-seconds", str(d["grace_seconds"])]
    return argv


def build_argv(case: Case, paths: Mapping[str, str]) -> list[str]:
    """Return the protocol arguments (after the implementation's own command) for ``case``."""
    d = case.data
    now = str(d.get("now", ""))
    if case.command == "verify":
        argv = ["verify", "--entries", paths["entries"], "--sig", paths["sig"]]
        argv += ["--trust", paths["trust"], "--trust-sig", paths["trust_sig"], "--now", now]
        return argv + _state_and_grace(d)
    if case.command == "apply-delta":
        state = d["state"]
        return [
            "apply-delta",
            "--base",
            paths["base"],
            "--delta",
            paths["delta"],
            "--sig",
            paths["sig"],
            "--trust",
            paths["trust"],
            "--trust-sig",
            paths["trust_sig"],
            "--now",
            now,
            "--state-version",
            str(state["version"]),
            "--state-sha256",
            state["sha256"],
        ]
    if case.command == "trust-walk":
        argv = ["trust-walk", "--trusted", paths["trusted"], "--trusted-sig", paths["trusted_sig"]]
        argv += ["--now", now]
        for bundle, sig in d.get("chain", []):
            argv += ["--bundle", paths[bundle], "--bundle-sig", paths[sig]]
        return argv
    if case.command == "canonicalize":
        return ["canonicalize", "--in", paths["in"]]
    if case.command == "validate-identifier":
        return ["validate-identifier", "--kind", str(d["kind"]), f"--value={d['value']}"]
    if case.command == "thumbprint":
        return ["thumbprint", "--jwk", paths["jwk"]]
    if case.command == "jws-verify":
        return ["jws-verify", "--jws", paths["jws"], "--jwk", paths["jwk"]]
    if case.command == "verify-reference":
        argv = ["verify-reference", "--type", str(d["list_type"])]
        argv += ["--entries", paths["entries"], "--sig", paths["sig"]]
        argv += ["--trust", paths["trust"], "--trust-sig", paths["trust_sig"], "--now", now]
        argv += ["--base", paths["base"]] if "base" in paths else []
        return argv + _state_and_grace(d)
    if case.command == "case-receive":
        argv = ["case-receive", "--trust", paths["trust"], "--trust-sig", paths["trust_sig"]]
        argv += ["--me", str(d["me"]), "--now", now]
        for direction, at, name in d.get("history", []):
            argv += ["--history", f"{direction},{at},{paths[name]}"]
        return [*argv, "--message", paths["message"]]
    if case.command == "validate-call":
        return _validate_call_argv(d, now)
    argv = ["minisign-verify", "--file", paths["file"], "--sig", paths["sig"]]
    argv += ["--pub", paths["pub"]]
    if d.get("allow_legacy"):
        argv.append("--allow-legacy")
    return argv


def _validate_call_argv(d: Mapping[str, Any], now: str) -> list[str]:
    argv = ["validate-call", f"--calling={d['calling']}", f"--called={d['called']}"]
    argv += [f"--ingress={d['ingress']}", "--now", now]
    if d.get("trunk_id") is not None:
        argv.append(f"--trunk={d['trunk_id']}")
    if d.get("authenticated") is not None:
        argv += ["--authenticated", "true" if d["authenticated"] else "false"]
    if d.get("roaming"):
        argv.append("--roaming")
    if "ranges" in d:
        argv += ["--with-ranges", *(f"--range={r}" for r in d["ranges"])]
    if "dno" in d:
        argv += ["--with-dno", *(f"--dno={v}" for v in d["dno"])]
    if "presenters" in d:
        argv.append("--with-presenters")
        for value, trunks in d["presenters"].items():
            for trunk in trunks:
                argv += ["--presenter", value, trunk]
    if "listed" in d:
        argv.append("--with-index")
        for value, action, issuer in d["listed"]:
            argv += ["--listed", value, action, issuer]
    return argv


@attrs.frozen(kw_only=True)
class CaseResult:
    """The outcome of one case."""

    case_id: str
    family: str
    outcome: Outcome
    expected: Mapping[str, Any]
    got: Mapping[str, Any] | None
    detail: str = ""


def _compare(expect: Mapping[str, Any], got: Mapping[str, Any]) -> str:
    """Return "" when ``got`` satisfies ``expect``, else what differs."""
    if got.get("ok") is True and expect.get("alt_accept") is True:
        return ""
    if got.get("ok") is not expect["ok"]:
        return f"expected ok={expect['ok']}, got ok={got.get('ok')} (code {got.get('code')})"
    if not expect["ok"]:
        allowed = [expect.get("code"), *expect.get("alt_codes", ())]
        if got.get("code") not in allowed:
            return f"code: expected {' or '.join(map(str, allowed))}, got {got.get('code')!r}"
        return ""
    for name, value in expect.items():
        if name != "ok" and got.get(name) != value:
            return f"{name}: expected {value!r}, got {got.get(name)!r}"
    return ""


def _parse_output(stdout: str) -> Mapping[str, Any] | None:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("ok"), bool):
        return None
    return value


@attrs.frozen(kw_only=True)
class SuiteResult:
    """Every case's result, with a per-family summary."""

    results: tuple[CaseResult, ...]

    @property
    def ok(self) -> bool:
        """Whether no case failed unexpectedly."""
        return not any(r.outcome is Outcome.FAILED for r in self.results)

    def count(self, outcome: Outcome, family: str | None = None) -> int:
        """How many cases (of ``family``) had ``outcome``."""
        return sum(
            1
            for r in self.results
            if r.outcome is outcome and (family is None or r.family == family)
        )

    def summary(self) -> list[dict[str, Any]]:
        """One row per family (sorted) plus a ``total`` row."""
        families = sorted({r.family for r in self.results})
        rows = []
        for fam in [*families, None]:
            row: dict[str, Any] = {"family": fam or "total"}
            for outcome in Outcome:
                row[outcome.value] = self.count(outcome, fam)
            rows.append(row)
        return rows

    def table(self) -> str:
        """The summary as a fixed-width text table."""
        cols = ["family", *(o.value for o in Outcome)]
        rows = self.summary()
        width = max(len("family"), *(len(r["family"]) for r in rows))
        lines = [f"{'family':<{width}}" + "".join(f" {c:>11}" for c in cols[1:])]
        lines.append("-" * len(lines[0]))
        for row in rows:
            if row["family"] == "total":
                lines.append("-" * len(lines[0]))
            lines.append(f"{row['family']:<{width}}" + "".join(f" {row[c]:>11}" for c in cols[1:]))
        return "\n".join(lines)

    def failures(self) -> list[CaseResult]:
        """The unexpected failures, in case order."""
        return [r for r in self.results if r.outcome is Outcome.FAILED]


def subprocess_implementation(command: str, *, timeout: float = 120.0) -> Implementation:
    """Return an :data:`Implementation` that runs ``command`` (split like a shell) per case."""
    prefix = shlex.split(command)
    if not prefix:
        raise ConfigurationError("the implementation command is empty", code="conformance_usage")

    def run(argv: Sequence[str]) -> tuple[int, str]:
        try:
            proc = subprocess.run(  # noqa: S603 - the operator names the program to test
                [*prefix, *argv],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return 124, ""
        return proc.returncode, proc.stdout

    return run


def run_suite(
    implementation: str | Implementation,
    *,
    cases: Sequence[Case] | None = None,
    cases_dir: str | Path | None = None,
    families: Iterable[str] | None = None,
    xfails: Iterable[str] = (),
    progress: Callable[[CaseResult], None] | None = None,
) -> SuiteResult:
    """Run ``cases`` (default: all cases of ``cases_dir``) against ``implementation``.

    ``implementation`` is a command line (run once per case) or an in-process
    :data:`Implementation`. ``xfails`` are case ids expected to fail.
    """
    impl = (
        subprocess_implementation(implementation)
        if isinstance(implementation, str)
        else implementation
    )
    selected = list(cases) if cases is not None else load_cases(cases_dir, families=families)
    if cases is not None and families is not None:
        wanted = frozenset(families)
        selected = [c for c in selected if c.family in wanted]
    expected_failures = frozenset(xfails)
    results = []
    with tempfile.TemporaryDirectory(prefix="antifraud-conformance-") as tmp:
        for index, case in enumerate(selected):
            directory = Path(tmp) / str(index)
            directory.mkdir()
            paths = case.materialise(directory)
            status, stdout = impl(build_argv(case, paths))
            got = _parse_output(stdout) if status == 0 else None
            if status != 0:
                outcome, detail = Outcome.UNSUPPORTED, f"exit status {status}"
            elif got is None:
                outcome, detail = Outcome.FAILED, "no JSON verdict line on stdout"
            else:
                detail = _compare(case.expect, got)
                outcome = Outcome.FAILED if detail else Outcome.PASSED
            if case.id in expected_failures:
                if outcome is Outcome.FAILED:
                    outcome = Outcome.XFAILED
                elif outcome is Outcome.PASSED:
                    outcome = Outcome.XPASSED
            result = CaseResult(
                case_id=case.id,
                family=case.family,
                outcome=outcome,
                expected=case.expect,
                got=got,
                detail=detail,
            )
            results.append(result)
            if progress is not None:
                progress(result)
    return SuiteResult(results=tuple(results))
