"""Help, shell completion and the man page are complete and generated from the parser.

Every command has a description and an example, every option a help text; the
committed man page and completion scripts (docs/man/) are what
``scripts/build_manpage.py`` makes from the parser now, and they name every
command and option.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from antifraud_common import __version__
from antifraud_common.cli import PROTOCOL_COMMANDS, build_parser, leaf_commands, main
from antifraud_common.cli._docgen import completion_script, manpage

ROOT = Path(__file__).resolve().parent.parent
LEAVES = [(n, p) for n, p in leaf_commands(build_parser()) if n not in PROTOCOL_COMMANDS]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_manpage", ROOT / "scripts" / "build_manpage.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _options(p: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in p._actions if not isinstance(a, argparse._HelpAction)]


@pytest.mark.parametrize(("name", "parser"), LEAVES, ids=[n for n, _ in LEAVES])
def test_every_command_has_a_description_an_example_and_option_help(
    name: str, parser: argparse.ArgumentParser
) -> None:
    assert parser.description, name
    assert parser.epilog and "example: " in parser.epilog and "antifraud " in parser.epilog, name
    for a in _options(parser):
        assert a.help and a.help.strip(), (name, a.option_strings or a.dest)


def test_top_level_help_lists_the_vocabularies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("kinds:", "bank_card", "reasons:", "telecom_fraud", "actions:", "freeze",
                 "list types:", "ANTIFRAUD_TRUST", "ANTIFRAUD_STATE"):  # fmt: skip
        assert word in text, word


def test_committed_files_are_the_generated_ones() -> None:
    assert _script().main(["--check"]) == 0, "run scripts/build_manpage.py"


def test_the_man_page_names_every_command_and_option() -> None:
    page = manpage(build_parser(), __version__)
    assert page == (ROOT / "docs" / "man" / "antifraud.1").read_text(encoding="utf-8")
    for name, parser in LEAVES:
        assert f".SS antifraud {name.replace('-', chr(92) + '-')}\n" in page, name
        for a in _options(parser):
            for flag in a.option_strings:
                assert flag.replace("-", "\\-") in page, (name, flag)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_the_completion_names_every_command_and_option(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    script = completion_script(build_parser(), shell)
    assert main(["completion", shell, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["script"] == script
    for name, parser in LEAVES:
        line = next(x for x in script.splitlines() if x.startswith(f"    '{name}')"))
        for a in _options(parser):
            for flag in a.option_strings:
                assert f" {flag} " in line.replace("'", " "), (name, flag)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["antifraud", "che"], "check"),
        (["antifraud", "trust", "add"], "add-member"),
        (["antifraud", "check", "--ki"], "--kind"),
        (["antifraud", "check", "--kind", "bank_"], "bank_card"),
        (["antifraud", "screen", "x.csv", "--engine", ""], "vector"),
        (["antifraud", "schema", ""], "entry"),
    ],
)
def test_bash_completes_from_the_generated_script(words: list[str], expected: str) -> None:
    script = completion_script(build_parser(), "bash")
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"{script}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        '_antifraud; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout.split(), done.stdout


def test_build_script_writes_what_it_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _script()
    monkeypatch.setattr(module, "OUT", tmp_path / "man")
    assert module.main(["--check"]) == 1  # nothing there yet
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0
    assert (tmp_path / "man" / "antifraud.1").read_text(encoding="utf-8").startswith(".TH ")
    assert sys.executable  # the script runs with the interpreter that runs the tests
