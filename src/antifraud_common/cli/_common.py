"""Helpers shared by the CLI sub-commands (private).

The output contract itself (exit statuses, the ``--json`` envelope, the runner)
is :mod:`antifraud_common._console`, shared with ``python -m
antifraud_common.conformance``; its names are re-exported here. What is only the
CLI's lives here: the kind names, the options every command shares (``--json``,
``--quiet``, outputs under the overwrite rule, ``--trust`` / ``--state`` with
their environment defaults) and the progress line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from antifraud_common._console import (
    ENVELOPE_KEYS,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    OUTPUT_VERSION,
    CliParser,
    UsageError,
    command_name,
    emit_json,
    envelope,
    err,
    exit_status,
    fail,
    finish,
    leaf_commands,
    out,
    printable,
    report_error,
    reset,
    warn_deprecated,
)
from antifraud_common._files import read_input
from antifraud_common.errors import AntifraudError

if TYPE_CHECKING:
    from antifraud_common.exchange.trust import TrustBundle

__all__ = [
    "ENVELOPE_KEYS",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "KINDS",
    "KIND_ALIASES",
    "OUTPUT_VERSION",
    "CliParser",
    "CountingReader",
    "Progress",
    "UsageError",
    "add_command",
    "add_json",
    "add_output",
    "add_quiet",
    "check_output",
    "check_outputs",
    "command_name",
    "emit_json",
    "envelope",
    "err",
    "exit_status",
    "fail",
    "failed",
    "file_size",
    "finish",
    "kind_type",
    "leaf_commands",
    "list_types_help",
    "load_trust_of",
    "need_input",
    "out",
    "parse_kind",
    "printable",
    "progress_for",
    "read_sig",
    "read_trust",
    "report_error",
    "reset",
    "sig_file",
    "state_option",
    "trust_option",
    "trust_sig_option",
    "usage_error",
    "vocabularies_epilog",
    "warn_deprecated",
]

#: Identifier kinds as every command names them (the values of entries files), with the
#: spellings accepted for compatibility. Output always uses the first form.
KINDS = ("phone", "bank_card", "bank_account", "payment_account", "iccid", "imei")
KIND_ALIASES = {"card": "bank_card", "account": "bank_account"}


def parse_kind(text: str, *, allowed: Sequence[str] = KINDS, option: str = "--kind") -> str:
    """Return the canonical kind name for ``text`` (an alias such as ``card`` accepted).

    >>> parse_kind("card")
    'bank_card'
    >>> parse_kind("fax", allowed=("phone", "bank_card")).upper()
    Traceback (most recent call last):
    ...
    antifraud_common.cli._common.UsageError: unknown kind 'fax' in --kind; one of: ...
    """
    name = KIND_ALIASES.get(text, text)
    if name not in allowed:
        aliases = ", ".join(f"{a} = {k}" for a, k in KIND_ALIASES.items() if k in allowed)
        raise UsageError(
            f"unknown kind {text!r} in {option}; one of: {', '.join(allowed)}"
            + (f" (aliases: {aliases})" if aliases else ""),
            code="unknown_kind",
        )
    return name


def read_sig(path: str | os.PathLike[str]) -> bytes:
    """Read a signature file: a regular file of at most 1 MiB (the library's limit)."""
    from antifraud_common.exchange.signing import MAX_SIGNATURE_FILE_BYTES

    return read_input(path, limit=MAX_SIGNATURE_FILE_BYTES, what="signature file")


def sig_file(of: Path, given: Path | None = None) -> Path:
    """``given``, else the signature file of ``of``: ``NAME.sig`` beside it."""
    return given if given is not None else Path(f"{of}.sig")


def read_trust(path: str | os.PathLike[str]) -> bytes:
    """Read a trust bundle: a regular file of at most 4 MiB (the library's limit)."""
    from antifraud_common.exchange.trust import MAX_BUNDLE_BYTES

    return read_input(path, limit=MAX_BUNDLE_BYTES, what="trust bundle")


def add_command(
    sub: Any, name: str, run: Callable[[argparse.Namespace], int], **kwargs: Any
) -> argparse.ArgumentParser:
    """Add the sub-command ``name``, run by ``run(args)``; return its parser.

    ``sub`` is the ``add_subparsers()`` action; ``kwargs`` (``help``,
    ``description``, ``epilog`` ...) go to its ``add_parser``.
    """
    p: argparse.ArgumentParser = sub.add_parser(name, **kwargs)
    p.set_defaults(func=run)
    return p


def add_json(p: argparse.ArgumentParser) -> None:
    """The ``--json`` flag, with the same help everywhere."""
    p.add_argument(
        "--json",
        action="store_true",
        help="write exactly one JSON document (the envelope of docs/cli.md) to stdout",
    )


def add_output(
    p: argparse.ArgumentParser, *flags: str, help: str, folder: bool = False, **kwargs: Any
) -> argparse.Action:
    """An option naming a file (or ``folder``) the command writes, under the overwrite rule.

    The first call on a parser also adds ``--force``. :func:`check_outputs` (run by
    ``main`` before the command) refuses an existing regular file (a non-empty
    folder) without it.
    """
    kwargs.setdefault("type", Path)
    action = p.add_argument(*flags, help=help, **kwargs)
    outputs = list(p.get_default("_outputs") or [])
    if not outputs:
        p.add_argument(
            "--force", action="store_true", help="replace output files that already exist"
        )
    outputs.append((action.dest, folder))
    p.set_defaults(_outputs=outputs)
    return action


def check_output(path: Path | None, args: argparse.Namespace, *, folder: bool = False) -> None:
    """Refuse to replace the existing regular file ``path`` unless ``--force`` was given.

    FIFOs and devices (``/dev/stdout``, a pipe) are written to, never replaced, so
    they pass, as does a directory where a file is expected (the writer refuses it,
    typed ``not_a_regular_file``). A ``folder`` output is refused when it holds files.
    """
    if path is None or getattr(args, "force", False):
        return
    try:
        if folder:
            if not path.is_dir() or not any(path.iterdir()):
                return
        elif not path.is_file():
            return
    except OSError:
        return  # the writer reports it, typed
    raise UsageError(
        f"{printable(str(path))} already exists; use --force to replace it", code="file_exists"
    )


def check_outputs(args: argparse.Namespace) -> None:
    """Apply the overwrite rule to every registered output option of ``args``."""
    for dest, folder in getattr(args, "_outputs", None) or ():
        value = getattr(args, dest, None)
        check_output(value if isinstance(value, Path) else None, args, folder=folder)


def failed(args: argparse.Namespace, e: AntifraudError) -> int:
    """Report ``e`` as a failed check of the running command: exit 1, whatever its type."""
    return fail(args, e, status=EXIT_FAILED)


def usage_error(e: AntifraudError) -> UsageError:
    """The usage error (exit 2, same code) for an option the library refused.

    For a :class:`~antifraud_common.errors.ConfigurationError` (an unusable
    option, table or file); raise it ``from e``.
    """
    return UsageError(f"{e.code}: {e}", code=e.code)


def need_input(path: Path, what: str = "file") -> None:
    """Refuse a missing input file up front (``file_not_found``, exit 2), naming it."""
    if not os.path.lexists(path):
        raise UsageError(f"no such {what}: {printable(str(path))}", code="file_not_found")


def kind_type(allowed: Sequence[str]) -> Any:
    """An argparse ``type`` for a kind option: canonical name out, aliases accepted."""

    def convert(text: str) -> str:
        try:
            return parse_kind(text, allowed=allowed)
        except UsageError as e:
            raise argparse.ArgumentTypeError(e.message) from None

    convert.__name__ = "kind"
    return convert


def vocabulary(values: Sequence[str]) -> str:
    """``a, b, c`` for help texts that list a closed vocabulary."""
    return ", ".join(values)


#: Environment variables giving defaults for the options every operator types.
TRUST_ENV = "ANTIFRAUD_TRUST"
STATE_ENV = "ANTIFRAUD_STATE"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "")
    return Path(value) if value else None


def trust_option(p: argparse.ArgumentParser, *, required: bool = True, help: str = "") -> None:
    """``--trust trust.json``, defaulting to ``$ANTIFRAUD_TRUST``."""
    default = _env_path(TRUST_ENV)
    p.add_argument(
        "--trust",
        type=Path,
        metavar="trust.json",
        default=default,
        required=required and default is None,
        help=(help or "the trust bundle (its signature is TRUST.sig)")
        + f" (default: ${TRUST_ENV})",
    )


def state_option(
    p: argparse._ActionsContainer, *, required: bool = True, help: str = ""
) -> argparse.Action:
    """``--state DIR`` (on a parser or group), default ``$ANTIFRAUD_STATE``; returns the action."""
    default = _env_path(STATE_ENV)
    return p.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        default=default,
        required=required and default is None,
        help=(help or "the receiver state directory") + f" (default: ${STATE_ENV})",
    )


def trust_sig_option(p: argparse.ArgumentParser) -> None:
    """``--trust-sig FILE.sig``, the signature of ``--trust`` (default ``TRUST.sig``)."""
    p.add_argument("--trust-sig", type=Path, metavar="FILE.sig", help="default: TRUST.sig")


def load_trust_of(
    args: argparse.Namespace, now: datetime, *, grace: timedelta | None = None
) -> TrustBundle:
    """The verified trust bundle of ``--trust`` / ``--trust-sig`` (default ``TRUST.sig``)."""
    from antifraud_common.exchange.trust import load_trust

    return load_trust(args.trust, sig_file(args.trust, args.trust_sig), now=now, grace=grace)


#: List types in use; a list type is any identifier the trust bundle's publish rules name.
LIST_TYPE_EXAMPLES = ("fraud_numbers", "stop_payment", "mule_accounts", "case-measures")


def list_types_help() -> str:
    """The list types, for help texts."""
    return "one the trust bundle lets the issuer publish, e.g. " + ", ".join(LIST_TYPE_EXAMPLES)


def vocabularies_epilog() -> str:
    """The closed vocabularies (kinds, list types, reasons, actions), for the top-level help."""
    from antifraud_common.models import Action, Reason

    return (
        f"kinds: {', '.join(KINDS)} (check also: idcard; aliases: "
        + ", ".join(f"{a} = {k}" for a, k in KIND_ALIASES.items())
        + f")\nlist types: {list_types_help()}"
        + f"\nreasons: {', '.join(r.value for r in Reason)}"
        + f"\nactions: {', '.join(a.value for a in Action)}"
    )


# ------------------------------------------------------------------ progress


def add_quiet(p: argparse.ArgumentParser) -> None:
    """The ``--quiet`` flag, with the same help everywhere."""
    p.add_argument(
        "--quiet", action="store_true", help="no progress display on stderr (a terminal shows it)"
    )


def _amount(n: float, unit: str) -> str:
    if unit == "B":
        for size, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if n >= size:
                return f"{n / size:.1f} {name}"
        return f"{int(n)} B"
    return f"{int(n):,} {unit}"


def _duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class Progress:
    """One progress line on stderr: count, total where known, rate and time left.

    Drawn only when stderr is a terminal and ``--quiet`` was not given, at most
    ten times a second; :meth:`close` ends the line. ``unit`` is ``"B"`` (shown
    as KiB, MiB ...) or a noun such as ``"records"``.

    >>> p = Progress("verify", total=100, unit="B", enabled=False)
    >>> p.update(50); p.close()
    >>> p.line(50, elapsed=2.0)
    'verify: 50 B of 100 B (50%), 25 B/s, 2s left'
    """

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        unit: str = "B",
        enabled: bool | None = None,
    ) -> None:
        import time

        self.label = label
        self.total = total if total else None
        self.unit = unit
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._clock = time.monotonic
        self._start = self._clock()
        self._last = -1.0
        self._drawn = False
        self.done = 0

    def line(self, done: int, *, elapsed: float) -> str:
        """The text shown for ``done`` after ``elapsed`` seconds."""
        text = f"{self.label}: {_amount(done, self.unit)}"
        if self.total:
            text += f" of {_amount(self.total, self.unit)} ({min(100, done * 100 // self.total)}%)"
        if elapsed > 0 and done > 0:
            rate = done / elapsed
            text += f", {_amount(rate, self.unit)}/s"
            if self.total and done < self.total:
                text += f", {_duration((self.total - done) / rate)} left"
        return text

    def update(self, done: int, total: int | None = None) -> None:
        """Record that ``done`` units of ``total`` (if known) are through."""
        self.done = done
        if total:
            self.total = total
        if not self.enabled:
            return
        now = self._clock()
        finished = self.total is not None and done >= self.total
        if now - self._last < 0.1 and not finished:
            return
        self._last = now
        sys.stderr.write("\r" + self.line(done, elapsed=now - self._start) + "\x1b[K")
        sys.stderr.flush()
        self._drawn = True

    def advance(self, n: int = 1) -> None:
        """Add ``n`` to the count."""
        self.update(self.done + n)

    def phase(self, name: str, done: int, total: int) -> None:
        """The ``progress(phase, done, total)`` callback of the exchange functions."""
        self.label = f"{self.label.split(' (')[0]} ({name})"
        self.update(done, total)

    @contextlib.contextmanager
    def watch(self, count: Callable[[], int]) -> Iterator[Progress]:
        """Redraw from ``count()`` five times a second while the block runs.

        For loops inside the library that take no callback (screening): the
        count is read from another thread, the work itself is not touched.
        """
        if not self.enabled:
            yield self
            return
        import threading

        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(0.2):
                self.update(count())

        thread = threading.Thread(target=tick, name="antifraud-progress", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            self.update(count())

    def close(self) -> None:
        """End the line (the last state stays visible)."""
        if self.enabled and self._drawn:
            self._last = -1.0
            self.update(self.done)
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._drawn = False


def progress_for(
    args: argparse.Namespace, label: str, *, total: int | None = None, unit: str = "B"
) -> Progress:
    """A :class:`Progress` for the running command, off with ``--quiet``."""
    enabled = sys.stderr.isatty() and not getattr(args, "quiet", False)
    return Progress(label, total=total, unit=unit, enabled=enabled)


def file_size(path: Path) -> int | None:
    """The size of a regular file, else ``None`` (a FIFO has no total)."""
    try:
        st = path.stat()
    except OSError:
        return None
    import stat as stat_

    return st.st_size if stat_.S_ISREG(st.st_mode) else None


class CountingReader(io.RawIOBase):
    """A binary reader that reports the bytes read so far to a :class:`Progress`."""

    def __init__(self, raw: Any, progress: Progress) -> None:
        super().__init__()
        self._raw = raw
        self._progress = progress
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._count += n
        self._progress.update(self._count)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()
