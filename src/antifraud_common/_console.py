"""The command-line output contract shared by every command-line front end (private).

Exit statuses, the ``--json`` document's envelope and the rule that every line
written is valid UTF-8 (docs/cli.md, "Contract"). The ``antifraud`` CLI
(:mod:`antifraud_common.cli`) and ``python -m antifraud_common.conformance`` both
run their commands through :func:`run`, so no front end can drift from it:

* exit status :data:`EXIT_OK` 0, :data:`EXIT_FAILED` 1 (a check failed, a value is
  listed, a file could not be read or written), :data:`EXIT_USAGE` 2 (how the command
  was called: a bad or missing option, a missing input file, an output that exists
  without ``--force``, an unusable key or passphrase), :data:`EXIT_INTERNAL` 3 (a bug);
* with ``--json`` exactly one JSON document on stdout, the *envelope*
  ``{"output_version", "command", "ok", "exit_code", "error", ...payload}``, where
  ``error`` is ``null`` on success and ``{"code", "message", ...}`` on every failure,
  usage errors included. Commands hand their payload to :func:`emit_json`; the
  document is written once, by :func:`finish`, when the exit status is known.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from antifraud_common._files import file_error, printable_name
from antifraud_common.errors import AntifraudError, ConfigurationError

__all__ = [
    "ENVELOPE_KEYS",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "OUTPUT_VERSION",
    "CliParser",
    "UsageError",
    "command_name",
    "emit_json",
    "envelope",
    "err",
    "exit_status",
    "fail",
    "finish",
    "leaf_commands",
    "out",
    "printable",
    "report_error",
    "reset",
    "run",
    "warn_deprecated",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: Version of the CLI's JSON output; bumped on any incompatible change.
OUTPUT_VERSION = 2

#: Keys of the envelope; a payload never uses them for anything else.
ENVELOPE_KEYS = ("output_version", "command", "ok", "exit_code", "error")

#: ``error.code`` when a command fails without a more specific code.
DEFAULT_CODES = {
    EXIT_FAILED: "check_failed",
    EXIT_USAGE: "usage_error",
    EXIT_INTERNAL: "internal_error",
}

#: Error codes that are about how the command was called (exit 2), whatever their class.
USAGE_CODES = frozenset({"file_not_found", "file_exists", "usage_error"})


class UsageError(Exception):
    """Bad command-line usage (exit status 2), with a stable ``code``."""

    def __init__(self, message: str, *, code: str = "usage_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def to_dict(self) -> dict[str, object]:
        """The ``error`` object of the envelope."""
        return {"code": self.code, "message": self.message}


class CliParser(argparse.ArgumentParser):
    """``ArgumentParser`` for the CLI: no abbreviated options; errors raise :class:`UsageError`.

    Raising instead of exiting lets :func:`main` report a usage error in the same
    envelope as every other failure.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


class _Run:
    """What the running command reported; written by :func:`finish`."""

    def __init__(self) -> None:
        self.command: str | None = None
        self.payload: dict[str, Any] | None = None
        #: :func:`run` writes the document; a command run by other code writes its own.
        self.managed = False
        #: Whether anything was said on stderr (a failure is always named there too).
        self.said = False


_RUN = _Run()


def reset(*, managed: bool = False) -> None:
    """Forget the previous run (:func:`run` may be called many times in one process)."""
    _RUN.command = None
    _RUN.payload = None
    _RUN.managed = managed
    _RUN.said = False


def printable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a file name) shown as ``\\xNN``.

    The result encodes as strict UTF-8, so no output can fail on a file name.

    >>> printable("list-\\udcff.jsonl")
    'list-\\\\xff.jsonl'
    """
    return printable_name(text)


def err(message: str) -> None:
    """Write one line to stderr."""
    _RUN.said = True
    print(printable(message), file=sys.stderr, flush=True)


def warn_deprecated(old: str, new: str) -> None:
    """Say on stderr that ``old`` still works but ``new`` is its name now."""
    err(f"warning: {old} is deprecated; use {new}")


def emit_json(command: str, ok: bool, payload: dict[str, Any]) -> None:
    """Hand the payload of a ``--json`` run to the envelope (written once, by :func:`finish`).

    ``ok`` is kept for the callers' readability: the envelope's ``ok`` is always
    the exit status being 0. A payload key ``error`` becomes the envelope's
    ``error``. A second call replaces the first (one document per run).
    """
    if not _RUN.managed:
        # Called outside ``main`` (a command function run directly): write it now.
        write_document(envelope(command, EXIT_OK if ok else EXIT_FAILED, payload, None))
        return
    _RUN.command = command
    _RUN.payload = dict(payload)


def envelope(
    command: str, status: int, payload: dict[str, Any] | None, error: dict[str, Any] | None
) -> dict[str, Any]:
    """The JSON document of a run that ended with exit ``status``."""
    body = dict(payload or {})
    error = body.pop("error", None) or error
    if status != EXIT_OK and not error:
        error = {"code": DEFAULT_CODES.get(status, "check_failed"), "message": "see the output"}
    if status == EXIT_OK:
        error = None
    for key in ENVELOPE_KEYS:
        body.pop(key, None)
    return {
        "output_version": OUTPUT_VERSION,
        "command": command,
        "ok": status == EXIT_OK,
        "exit_code": status,
        "error": error,
        **body,
    }


def write_document(doc: dict[str, Any]) -> None:
    """Write ``doc`` as one line of valid UTF-8 (lone surrogates escaped)."""
    text = json.dumps(doc, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, ensure_ascii=True)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def finish(command: str, status: int, error: dict[str, Any] | None = None) -> None:
    """Write the run's single JSON document (``--json``), whatever happened."""
    doc = envelope(_RUN.command or command, status, _RUN.payload, error)
    _RUN.command = _RUN.payload = None
    if doc["error"] is not None and not _RUN.said:
        err(f"antifraud {doc['command']}: {doc['error']['code']}: {doc['error']['message']}")
    # stdout itself may be gone or full: the message on stderr remains.
    with contextlib.suppress(OSError, ValueError):
        write_document(doc)


def out(line: str) -> None:
    """Write one line of human-readable output to stdout."""
    sys.stdout.write(printable(line) + "\n")


def command_name(args: argparse.Namespace) -> str:
    """``check``, ``trust sign``, ``case new`` ... for ``args``."""
    command = getattr(args, "command", None) or "antifraud"
    for dest in (f"{command}_command", "verb"):
        sub = getattr(args, dest, None)
        if isinstance(sub, str):
            return f"{command} {sub}"
    return str(command)


def fail(args: argparse.Namespace, e: AntifraudError, *, status: int | None = None) -> int:
    """Report the typed error ``e`` of the running command; return its exit status."""
    command = command_name(args)
    if getattr(args, "json", False):
        # Keep what the command already reported (check's results ...), add the error.
        payload = dict(_RUN.payload or {}) if _RUN.command == command else {}
        payload["error"] = e.to_dict()
        emit_json(command, False, payload)
    err(f"antifraud {command}: {e.code}: {e}")
    return exit_status(e) if status is None else status


def report_error(args: argparse.Namespace, e: AntifraudError | OSError) -> int:
    """Report a typed error (or an :class:`OSError`, typed here) that reached ``main``."""
    if not isinstance(e, AntifraudError):
        e = file_error(e, e.filename if e.filename is not None else "a file")
    return fail(args, e)


def exit_status(e: AntifraudError | UsageError) -> int:
    """The one mapping: 2 for how the command was called, else 1.

    Usage: :class:`UsageError`, a :class:`ConfigurationError` (an unusable option,
    key or passphrase), a missing input file, an output that exists.
    """
    if isinstance(e, UsageError | ConfigurationError) or e.code in USAGE_CODES:
        return EXIT_USAGE
    return EXIT_FAILED


def _subparsers(p: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def leaf_commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every runnable command (``check``, ``trust sign`` ...) with its parser."""
    sub = _subparsers(parser)
    if sub is None:
        yield prefix, parser
        return
    for name, child in sub.choices.items():
        yield from leaf_commands(child, f"{prefix} {name}".strip())


def _command_of(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str:
    """The command named by ``argv`` as far as it can be told (for a usage error)."""
    words: list[str] = []
    current = parser
    for word in argv:
        if word == "--":
            break
        sub = _subparsers(current)
        if sub is None:
            break
        if word in sub.choices:
            words.append(word)
            current = sub.choices[word]
    return " ".join(words)


def _wants_json(argv: Sequence[str]) -> bool:
    for word in argv:
        if word == "--":
            return False
        if word == "--json":
            return True
    return False


@contextlib.contextmanager
def _captured(active: bool) -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    if not active:
        yield buffer
        return
    with contextlib.redirect_stdout(buffer):
        yield buffer


def _parse(parser: argparse.ArgumentParser, argv: list[str], prog: str) -> argparse.Namespace | int:
    """Parse ``argv``; after a usage error, ``--help`` or ``--version`` return the status."""
    json_mode = _wants_json(argv)
    try:
        with _captured(json_mode) as printed:
            args = parser.parse_args(argv)
    except UsageError as e:
        command = _command_of(parser, argv)
        err(f"{prog} {command}: error: {e}" if command else f"{prog}: error: {e}")
        if json_mode:
            finish(command or prog, EXIT_USAGE, e.to_dict())
        return EXIT_USAGE
    except SystemExit as e:  # --help, --version
        status = int(e.code) if isinstance(e.code, int) else EXIT_USAGE
        if json_mode:
            command = _command_of(parser, argv) or prog
            emit_json(command, status == EXIT_OK, {"help": printed.getvalue()})
            finish(command, status)
        return status
    return args


def run(
    parser: argparse.ArgumentParser,
    argv: Sequence[str],
    *,
    prog: str = "antifraud",
    prepare: Callable[[argparse.Namespace], None] | None = None,
) -> int:
    """Parse ``argv`` with ``parser``, run the command, write its one document; the status.

    ``prepare(args)`` runs before the command (the CLI's overwrite rule). A
    ``--json`` given before the command (dest ``global_json``) counts as the
    command's.
    """
    reset(managed=True)
    try:
        parsed = _parse(parser, list(argv), prog)
        if isinstance(parsed, int):
            return parsed
        args = parsed
        args.json = bool(getattr(args, "json", False) or getattr(args, "global_json", False))
        status = _call(args, prog, prepare)
        if args.json:
            finish(command_name(args), status)
        return status
    finally:
        reset()


def _call(
    args: argparse.Namespace, prog: str, prepare: Callable[[argparse.Namespace], None] | None
) -> int:
    command = command_name(args)
    try:
        if prepare is not None:
            prepare(args)
        status: int = args.func(args)
    except UsageError as e:
        err(f"{prog} {command}: error: {e}")
        if args.json:
            emit_json(command, False, {"error": e.to_dict()})
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`antifraud ... | head`): not an error of ours. Point stdout
        # at /dev/null so the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        args.json = False
        return EXIT_OK
    except (AntifraudError, OSError) as e:
        return report_error(args, e)
    except KeyboardInterrupt:
        err("interrupted")
        if args.json:
            emit_json(command, False, {"error": {"code": "interrupted", "message": "interrupted"}})
        return 130
    except Exception as e:  # noqa: BLE001 - the documented contract: a bug is exit 3, not 1
        err(f"{prog} {command}: internal error: {type(e).__name__}: {e}")
        if args.json:
            error = {"code": "internal_error", "message": f"{type(e).__name__}: {e}"}
            emit_json(command, False, {"error": error})
        return EXIT_INTERNAL
    return status
