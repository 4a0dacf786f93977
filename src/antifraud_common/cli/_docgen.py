"""Shell completion and the man page, generated from the argparse parser (private).

Both are derived from :func:`antifraud_common.cli.build_parser`, so a new command
or option is in them as soon as it is in the parser. ``antifraud completion
bash|zsh`` prints a completion script; ``scripts/build_manpage.py`` writes
``docs/man/antifraud.1`` (roff, man(7) macros), and a test checks that the
committed page is the generated one.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from antifraud_common.cli._common import EXIT_OK, add_command, emit_json, leaf_commands, out

__all__ = ["completion_script", "manpage", "register"]

SHELLS = ("bash", "zsh")


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "completion",
        run,
        help="print a shell completion script (bash or zsh)",
        description=(
            "Print a completion script for SHELL, generated from the parser: every command, "
            "option and choice. zsh uses it through bashcompinit."
        ),
        epilog='example: eval "$(antifraud completion bash)"   # or put it in ~/.bashrc',
    )
    p.add_argument("shell", choices=SHELLS, help="bash or zsh")


def run(args: argparse.Namespace) -> int:
    from antifraud_common.cli import build_parser

    script = completion_script(build_parser(), args.shell)
    if args.json:
        emit_json("completion", True, {"shell": args.shell, "script": script})
    else:
        out(script.rstrip("\n"))
    return EXIT_OK


def _options(p: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for a in p._actions:
        if a.option_strings and a.help is not argparse.SUPPRESS:
            yield a


def _children(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def _walk(
    p: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, p
    for name, child in _children(p).items():
        yield from _walk(child, f"{path} {name}".strip())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A bash (or zsh, through ``bashcompinit``) completion script for ``parser``."""
    words: list[str] = []
    values: list[str] = []
    for path, p in _walk(parser):
        items = list(_children(p)) + [s for a in _options(p) for s in a.option_strings]
        words.append(f"    {_quote(path)}) echo {_quote(' '.join(items))} ;;")
        for a in _options(p):
            if a.choices:
                for s in a.option_strings:
                    choice = " ".join(str(c) for c in a.choices)
                    values.append(f"    {_quote(f'{path}|{s}')}) echo {_quote(choice)} ;;")
        for a in p._actions:
            if not a.option_strings and a.choices and not isinstance(a, argparse._SubParsersAction):
                choice = " ".join(str(c) for c in a.choices)
                values.append(f"    {_quote(f'{path}|')}) echo {_quote(choice)} ;;")
    prog = parser.prog
    lines = [
        f"# {shell} completion for {prog}, generated from its parser ({prog} completion {shell})",
    ]
    if shell == "zsh":
        lines += ["autoload -U +X bashcompinit && bashcompinit"]
    lines += [
        "_antifraud_words() {",
        '  case "$1" in',
        *words,
        "  esac",
        "}",
        "_antifraud_values() {",
        '  case "$1" in',
        *values,
        "  esac",
        "}",
        "_antifraud() {",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '  local path="" i w words',
        "  for ((i = 1; i < COMP_CWORD; i++)); do",
        '    w="${COMP_WORDS[i]}"',
        '    words="$(_antifraud_words "$path")"',
        '    if [[ "$w" != -* && " $words " == *" $w "* ]]; then path="${path:+$path }$w"; fi',
        "  done",
        '  words="$(_antifraud_values "$path|$prev")"',
        '  if [[ -z "$words" && "$cur" != -* ]]; then words="$(_antifraud_values "$path|")"; fi',
        '  if [[ -z "$words" ]]; then words="$(_antifraud_words "$path")"; fi',
        '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "}",
        f"complete -o default -F _antifraud {prog}",
    ]
    return "\n".join(lines) + "\n"


def _roff(text: str) -> str:
    """Escape text for roff: backslashes, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + ln) if ln[:1] in ".'" else ln for ln in text.split("\n"))


def _usage_of(a: argparse.Action) -> str:
    names = ", ".join(a.option_strings) or str(a.metavar or a.dest)
    if a.option_strings and a.nargs != 0:
        meta = a.metavar or (
            "{" + ",".join(str(c) for c in a.choices) + "}" if a.choices else a.dest.upper()
        )
        names += f" {meta}"
    return names


def manpage(parser: argparse.ArgumentParser, version: str) -> str:
    """The man page of ``parser``: every command with its description, options and example."""
    prog = parser.prog
    lines = [
        f'.TH {prog.upper()} 1 "" "{prog} {version}" "User Commands"',
        ".SH NAME",
        f"{prog} \\- {_roff(parser.description or '')}",
        ".SH SYNOPSIS",
        f".B {prog}",
        "[\\-\\-json] COMMAND [OPTIONS]",
        ".SH DESCRIPTION",
        ".nf",
        _roff(parser.epilog or ""),
        ".fi",
        ".SH GLOBAL OPTIONS",
    ]
    for a in _options(parser):
        lines += [".TP", f".B {_roff(_usage_of(a))}", _roff(a.help or "")]
    lines.append(".SH COMMANDS")
    for path, p in leaf_commands(parser):
        lines += [f".SS {prog} {_roff(path)}", _roff(p.description or "")]
        positionals = [a for a in p._actions if not a.option_strings]
        for a in positionals + list(_options(p)):
            if isinstance(a, argparse._HelpAction):
                continue
            lines += [".TP", f".B {_roff(_usage_of(a))}", _roff(a.help or "")]
        if p.epilog:
            lines += [".PP", ".nf", _roff(p.epilog), ".fi"]
    lines += [
        ".SH ENVIRONMENT",
        ".TP",
        ".B ANTIFRAUD_TRUST",
        "default of \\-\\-trust",
        ".TP",
        ".B ANTIFRAUD_STATE",
        "default of \\-\\-state",
        ".TP",
        ".B ANTIFRAUD_PASSPHRASE",
        "passphrase of key files (else asked on the terminal)",
        ".SH EXIT STATUS",
        "0 ok; 1 a check failed or a value is listed; 2 usage error; 3 internal error.",
        ".SH SEE ALSO",
        "docs/cli.md (the contract: one JSON document with \\-\\-json, exit codes, files).",
    ]
    return "\n".join(lines) + "\n"
