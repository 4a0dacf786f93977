"""The examples in README.md and docs/ run as written, each page in a fresh temporary folder.

Every fenced ``python`` block and every shell block (``sh``, ``console``, ``shell``,
``bash``) holding an ``antifraud`` command is run, in page order, in one temporary
directory per page; the Python blocks of a page share one namespace, so a later block may
use what an earlier one defined (files as well as names). Python blocks written as ``>>>``
sessions are checked like doctests; other Python blocks must run without an exception.
Shell commands must exit with status 0, or with the status their trailing comment
documents (``# exits 1 ...``); under a ``$ command`` line of a ``console`` block, the lines
that follow are its expected output (stdout, then stderr), where ``...`` matches anything.

Two HTML comments, invisible in the rendered docs, steer this:

* ``<!-- doc-test: skip REASON -->`` right before a block: the block is not run, for the
  reason given (a reason is required);
* ``<!-- doc-test: setup`` ... ``-->`` holding fenced blocks: they run at that point of
  the page like visible ones, to create what the visible examples assume (keys, files,
  names), so the examples stay short;
* ``<!-- doc-test: setup federation -->``: the federation most pages assume, made with the
  documented commands (see ``FEDERATION``): keys ``root.pem`` and ``mps.pem`` (with their
  ``.jwk``), ``trust.json`` in which mps may publish ``fraud_numbers``, the entries file
  ``fraud-phones.jsonl`` (``138 0013 8000`` to block, ``137 0000 1111`` to watch) signed as
  version 1, the receiver state ``state/`` holding it, and ``calls.csv`` to screen; in
  Python, ``trusted`` (the loaded bundle), ``signer`` (mps's key), ``entries`` (the
  list's entries) and ``now``; and ``$ANTIFRAUD_PASSPHRASE`` set.

``antifraud`` commands run in-process (``antifraud_common.cli.main``), which keeps the
whole suite to a few seconds; other commands run with ``bash -c``.
"""

from __future__ import annotations

import doctest
import getpass
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from antifraud_common.cli import main
from antifraud_common.format import keys

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = [p for p in PAGES if "_build" not in p.parts]

SHELL = {"sh", "console", "shell", "bash"}
FENCE = re.compile(
    r"^(?P<ticks>`{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=ticks)[ \t]*$", re.S | re.M
)
SETUP = re.compile(r"<!--[ \t]*doc-test:[ \t]*setup[ \t]*\n(?P<body>.*?)-->", re.S)
NAMED_SETUP = re.compile(r"<!--[ \t]*doc-test:[ \t]*setup (?P<name>[a-z]+)[ \t]*-->")
SKIP = re.compile(r"<!--[ \t]*doc-test:[ \t]*skip\b(?P<reason>[^>]*)-->\s*\Z")
EXITS = re.compile(r"\bexits (\d+)\b")
OPERATORS = {"&&", "||", "|", ";", ">", ">>", "<", "&", "(", ")"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
#: An absolute path in a block that is run: it would reach outside the temporary folder.
ABSOLUTE = re.compile(
    r"""(?:^|[\s"'(=])(/(?:var|srv|data|etc|home|opt|usr|tmp|root|mnt)/[^\s"')]*)"""
)

FEDERATION_FILES = """
from pathlib import Path
Path("fraud.csv").write_text(
    "kind,value,reason,action,source,case_ref,confidence,tlp,listed_at,valid_from\\n"
    "phone,138 0013 8000,telecom_fraud,block,mps,MPS-2026-0001,90,amber,2026-01-01,2026-01-01\\n"
    "phone,+86 137 0000 1111,impersonation,watch,mps,MPS-2026-0002,70,amber,"
    "2026-01-01,2026-01-01\\n",
    encoding="utf-8")
Path("calls.csv").write_text(
    "caller,card\\n138 0013 8000,6222 0212 3456 7890 128\\n+86 139 1234 5679,\\n", encoding="utf-8")
"""
FEDERATION_SH = """
export ANTIFRAUD_PASSPHRASE='test passphrase, not a secret'
antifraud keygen --out root.pem --public-out root.jwk
antifraud keygen --out mps.pem --public-out mps.jwk
antifraud trust init --bundle-id my-federation --root-key root.jwk --threshold 1 --out trust.json
antifraud trust add-member trust.json --agency mps --name MPS --key mps.jwk \\
    --publish fraud_numbers:phone:block,watch
antifraud trust sign trust.json --key root.pem
antifraud import-csv fraud.csv --out fraud-phones.jsonl
antifraud sign fraud-phones.jsonl --key mps.pem --issuer mps --list-id fraud-phones \\
    --list-type fraud_numbers --version 1 --expires 7d --trust trust.json
antifraud apply fraud-phones.jsonl --trust trust.json --state state
"""
FEDERATION_PY = """
from datetime import UTC, datetime
from antifraud_common.exchange import ReceiverState, load_trust
from antifraud_common.format.keys import LocalSigner, passphrase_from_env
now = datetime.now(UTC)
trusted = load_trust("trust.json", "trust.json.sig")
signer = LocalSigner.from_file("mps.pem", passphrase=passphrase_from_env())
with ReceiverState.open("state") as _state:
    entries = list(_state.iter_entries("mps", "fraud-phones"))
"""
#: Named setups: what ``<!-- doc-test: setup NAME -->`` runs.
FEDERATION = (("python", FEDERATION_FILES), ("sh", FEDERATION_SH), ("python", FEDERATION_PY))
NAMED = {"federation": FEDERATION}


@attrs.frozen
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    body: str
    hidden: bool
    skip: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found: list[Block] = []
    for setup in SETUP.finditer(text):
        offset = text.count("\n", 0, setup.start("body"))
        for fence in FENCE.finditer(setup["body"]):
            line = offset + setup["body"].count("\n", 0, fence.start()) + 1
            found.append(_block(page, line, fence, hidden=True, skip=None))
    for named in NAMED_SETUP.finditer(text):
        line = text.count("\n", 0, named.start()) + 1
        assert named["name"] in NAMED, f"{page.name}:{line}: no setup named {named['name']!r}"
        found.extend(
            Block(page, line, lang, body, True, None) for lang, body in NAMED[named["name"]]
        )
    # Blank out the setup comments (keeping line numbers) before reading the visible blocks.
    visible = SETUP.sub(lambda m: "\n" * m.group().count("\n"), text)
    for fence in FENCE.finditer(visible):
        marker = SKIP.search(visible, 0, fence.start())
        skip = None
        if marker is not None:
            skip = marker["reason"].strip()
            assert skip, f"{page.name}: a doc-test skip marker needs a reason"
        line = visible.count("\n", 0, fence.start()) + 1
        found.append(_block(page, line, fence, hidden=False, skip=skip))
    return sorted(found, key=lambda b: b.line)


def _block(page: Path, line: int, fence: re.Match[str], *, hidden: bool, skip: str | None) -> Block:
    lang = fence["info"].strip().split(" ")[0]
    return Block(page, line, lang, fence["body"], hidden, skip)


def runnable(block: Block) -> bool:
    if block.lang == "python":
        return True
    if block.lang in SHELL:
        return block.hidden or any(c.argv[:1] == ["antifraud"] for c in commands(block))
    return False


@attrs.frozen
class Command:
    line: int
    source: str  # the command without its trailing comment
    comment: str
    expected: str | None  # console output under the command, if any

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.source)

    @property
    def status(self) -> int:
        found = EXITS.search(self.comment)
        return int(found[1]) if found else 0


def _split_comment(line: str) -> tuple[str, str]:
    """``cmd args  # comment`` -> (``cmd args``, ``comment``), respecting quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def commands(block: Block) -> list[Command]:
    console = block.lang == "console"
    result: list[Command] = []
    lines = block.body.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        number = block.line + 1 + i
        i += 1
        if console and not raw.startswith("$ "):
            continue  # output of the previous command, read below
        text = raw[2:] if console else raw
        parts = []
        while True:
            source, comment = _split_comment(text)
            if source.endswith("\\") and i < len(lines):
                parts.append(source[:-1])
                text = lines[i]
                i += 1
                continue
            parts.append(source)
            break
        source = " ".join(p.strip() for p in parts).strip()
        expected = None
        if console:
            out = []
            while i < len(lines) and not lines[i].startswith("$ "):
                out.append(lines[i])
                i += 1
            expected = "\n".join(out).strip("\n") or None
        if source:
            result.append(Command(number, source, comment, expected))
    return result


def _operators(source: str) -> bool:
    lexer = shlex.shlex(source, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return any(token in OPERATORS for token in lexer)


class Session:
    """One page's run: its folder, its Python namespace, its environment."""

    def __init__(
        self, folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        self.namespace: dict[str, Any] = {"__name__": "__doc_example__"}

    def run(self, block: Block) -> None:
        outside = ABSOLUTE.search(block.body)
        if outside:
            pytest.fail(
                f"{block.where}: {outside[1]} is outside the page's temporary folder; "
                "use a relative path, or mark the block '<!-- doc-test: skip REASON -->'",
                pytrace=False,
            )
        if block.lang == "python":
            self.python(block)
        else:
            for command in commands(block):
                self.shell(block, command)

    def python(self, block: Block) -> None:
        if block.body.lstrip().startswith(">>>"):
            test = doctest.DocTestParser().get_doctest(
                block.body, self.namespace, block.where, str(block.page), block.line
            )
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            report: list[str] = []
            runner.run(test, out=report.append, clear_globs=False)
            if runner.failures:
                pytest.fail(f"{block.where}: doctest failed\n" + "".join(report), pytrace=False)
            return
        code = compile("\n" * block.line + block.body, str(block.page), "exec")
        try:
            exec(code, self.namespace)  # the documented example is the test
        except Exception as e:
            pytest.fail(f"{block.where}: {type(e).__name__}: {e}", pytrace=False)
        finally:
            self.capsys.readouterr()

    def shell(self, block: Block, command: Command) -> None:
        where = f"{block.page.relative_to(ROOT)}:{command.line}"
        argv = command.argv
        if argv[:1] == ["export"] and len(argv) == 2 and "=" in argv[1]:
            name, value = argv[1].split("=", 1)
            self.monkeypatch.setenv(name, value)
            return
        if argv[:1] == ["antifraud"] and not _operators(command.source):
            status = main([a for arg in argv[1:] for a in self._glob(arg)])
            captured = self.capsys.readouterr()
            out, err = captured.out, captured.err
        else:
            done = subprocess.run(  # the documented command
                ["bash", "-c", command.source],
                cwd=Path.cwd(),
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            status, out, err = done.returncode, done.stdout, done.stderr
        shown = textwrap.indent(out + err, "    ")
        assert status == command.status, (
            f"{where}: `{command.source}` exited {status}, documented {command.status}\n{shown}"
        )
        if command.expected is not None:
            checker = doctest.OutputChecker()
            assert checker.check_output(command.expected + "\n", out + err, FLAGS), (
                f"{where}: `{command.source}` printed\n{shown}\n"
                f"not what the page shows:\n{textwrap.indent(command.expected, '    ')}"
            )

    def _glob(self, arg: str) -> list[str]:
        if not any(ch in arg for ch in "*?["):
            return [arg]
        here = Path.cwd()
        return sorted(str(p.relative_to(here)) for p in here.glob(arg)) or [arg]


def _no_prompt(*args: object, **kwargs: object) -> str:
    raise OSError("a documented command asked for a passphrase; export it in the example")


def _pages() -> Iterator[Any]:
    for page in PAGES:
        found = [b for b in blocks(page) if runnable(b)]
        if any(not b.skip and not b.hidden for b in found):
            yield pytest.param(page, id=str(page.relative_to(ROOT)))


@pytest.mark.parametrize("page", list(_pages()))
def test_page_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(getpass, "getpass", _no_prompt)
    # The examples check commands, not key stretching: keys written here use the lowest
    # scrypt cost a reader accepts, which makes each key operation 8 times cheaper.
    monkeypatch.setattr(keys, "SCRYPT_N", keys._SCRYPT_MIN_N)
    # `antifraud` on PATH is this checkout's, for commands that start it themselves.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    session = Session(tmp_path, monkeypatch, capsys)
    for block in blocks(page):
        if runnable(block) and not block.skip:
            session.run(block)


def test_every_skipped_example_says_why() -> None:
    skipped = [b for p in PAGES for b in blocks(p) if b.skip is not None]
    assert all(len(b.skip or "") >= 10 for b in skipped), [b.where for b in skipped]


def test_the_pages_that_must_be_tested_have_runnable_examples() -> None:
    for name in ("README.md", "docs/quickstart.md", "docs/exchange.md"):
        found = [b for b in blocks(ROOT / name) if runnable(b) and not b.hidden]
        shell = [b for b in found if b.lang in SHELL and not b.skip]
        python = [b for b in found if b.lang == "python" and not b.skip]
        assert shell, f"{name}: no shell example is run"
        assert python, f"{name}: no Python example is run"


def test_absolute_paths_are_refused_before_anything_runs() -> None:
    assert ABSOLUTE.search('ReceiverState.open("/var/lib/antifraud")')
    assert ABSOLUTE.search("antifraud sync --from /srv/drop --state state/")
    assert not ABSOLUTE.search('ReceiverState.open("state/")  # 1/2 of a/b')


def test_the_block_reader(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n<!-- doc-test: setup\n```sh\nexport A=1\n```\n-->\n\n"
        "```console\n$ antifraud check 95588 \\\n    110   # exits 1 if one fails\nvalid ...\n"
        "$ antifraud check 95588\n```\n\n<!-- doc-test: skip it needs a network -->\n"
        "```python\nimport nothing\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.line, b.lang, b.hidden, b.skip) for b in found] == [
        (4, "sh", True, None),
        (9, "console", False, None),
        (17, "python", False, "it needs a network"),
    ]
    first, second = commands(found[1])
    assert first.argv == ["antifraud", "check", "95588", "110"]
    assert (first.status, first.expected, first.line) == (1, "valid ...", 10)
    assert (second.status, second.expected) == (0, None)
