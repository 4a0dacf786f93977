"""Entries files: streaming JSON Lines reader and atomic writer, with limits.

An entries file is UTF-8 without a BOM, one record per line, every line ended by
a single LF (so an empty file holds zero records and a non-empty file ends with
LF). CR anywhere, empty lines and a missing final LF are refused. This module
only splits and checks lines; the caller parses each one (normally with
:func:`antifraud_common.format.canonical.check_canonical`).

:func:`iter_lines` reads in chunks and never holds more than one chunk plus one
line, so gigabyte files stream in constant memory. Pass a :class:`StreamDigest`
to get the SHA-256 and byte count of exactly the bytes read in the same pass.
:func:`write_lines` and :func:`write_atomic` replace a file atomically (temporary
file in the same directory, fsync, ``os.replace``, fsync of the directory);
an existing FIFO or character device is written directly, never renamed over.

>>> import io
>>> digest = StreamDigest()
>>> list(iter_lines(io.BytesIO(b'{"a":1}\\n{"a":2}\\n'), digest=digest))
[(1, b'{"a":1}'), (2, b'{"a":2}')]
>>> digest.byte_count, digest.line_count, digest.hexdigest()[:16]
(16, 2, 'e91bd3062f38c3f1')
>>> list(iter_lines(io.BytesIO(b'{"a":1}')))
Traceback (most recent call last):
...
antifraud_common.errors.BlacklistFormatError: line 1: the last line does not end with LF
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import attrs

from antifraud_common._files import open_input, write_output
from antifraud_common.errors import BlacklistFormatError

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "StreamDigest",
    "check_line",
    "iter_lines",
    "write_atomic",
    "write_lines",
]

_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"


@attrs.frozen(kw_only=True)
class Limits:
    """Size limits for an entries file; every one is checked while streaming.

    ``max_line_bytes`` counts the bytes of a line without its LF. The defaults fit
    a national list comfortably (an entry is a few hundred bytes) while bounding
    what a hostile file can make a reader do.
    """

    #: Longest line, in bytes, without the LF. Default 4096.
    max_line_bytes: int = attrs.field(default=4096, validator=attrs.validators.gt(0))
    #: Most lines (entries) in one file. Default 50,000,000.
    max_entries: int = attrs.field(default=50_000_000, validator=attrs.validators.ge(0))
    #: Largest file, in bytes. Default 16 GiB.
    max_total_bytes: int = attrs.field(default=16 * 1024**3, validator=attrs.validators.ge(0))


#: The limits used when none are given.
DEFAULT_LIMITS = Limits()


class StreamDigest:
    """SHA-256, byte count and line count of the bytes that went through a stream.

    Filled in by :func:`iter_lines` as it reads (complete only once the iterator
    is exhausted) and by :func:`write_lines` as it writes.
    """

    __slots__ = ("_sha256", "byte_count", "line_count")

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        #: Bytes seen so far.
        self.byte_count = 0
        #: Complete lines seen so far.
        self.line_count = 0

    def update(self, data: bytes) -> None:
        """Add ``data`` to the hash and the byte count."""
        self._sha256.update(data)
        self.byte_count += len(data)

    def digest(self) -> bytes:
        """The SHA-256 of the bytes so far (32 bytes)."""
        return self._sha256.digest()

    def hexdigest(self) -> str:
        """The SHA-256 of the bytes so far, lowercase hex."""
        return self._sha256.hexdigest()

    def __repr__(self) -> str:
        return (
            f"StreamDigest(byte_count={self.byte_count}, line_count={self.line_count}, "
            f"sha256={self.hexdigest()!r})"
        )


def check_line(line: bytes, lineno: int, limits: Limits) -> None:
    """Check one line's framing (no LF): length, not empty, no CR, no BOM, UTF-8.

    The rules the reader applies to every line, for checkers that split lines
    themselves. Raises :class:`~antifraud_common.errors.BlacklistFormatError`
    (``jsonl_*`` codes) naming ``lineno``.
    """
    if len(line) > limits.max_line_bytes:
        raise BlacklistFormatError(
            f"line longer than {limits.max_line_bytes} bytes",
            code="jsonl_line_too_long",
            line=lineno,
        )
    if not line:
        raise BlacklistFormatError("empty line", code="jsonl_empty_line", line=lineno)
    if b"\r" in line:
        raise BlacklistFormatError("CR in line (LF only)", code="jsonl_cr", line=lineno)
    if lineno == 1 and line.startswith(_BOM):
        raise BlacklistFormatError("byte order mark", code="jsonl_bom", line=1)
    if not line.isascii():
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BlacklistFormatError(
                f"invalid UTF-8 at byte {e.start} of the line",
                code="jsonl_invalid_utf8",
                line=lineno,
            ) from e


#: The former private name (kept for callers that imported it).
_check_line = check_line


def _check_count(lineno: int, limits: Limits) -> None:
    if lineno > limits.max_entries:
        raise BlacklistFormatError(
            f"more than {limits.max_entries} lines",
            code="jsonl_too_many_entries",
            line=lineno,
        )


def _block_ok(block: bytes, lines: list[bytes], lineno: int, limits: Limits) -> bool:
    """Check a run of complete lines at once (the fast path of :func:`check_line`)."""
    if lineno + len(lines) > limits.max_entries:
        return False
    if not all(lines) or b"\r" in block or max(map(len, lines)) > limits.max_line_bytes:
        return False
    if lineno == 0 and block.startswith(_BOM):
        return False
    if not block.isascii():
        # The block starts and ends on line boundaries, so on character boundaries.
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _iter_stream(
    stream: BinaryIO, limits: Limits, digest: StreamDigest | None
) -> Iterator[tuple[int, bytes]]:
    lineno = 0
    total = 0
    pending = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        untyped: object = chunk
        if not isinstance(untyped, bytes):
            raise TypeError("iter_lines needs a binary stream")
        total += len(chunk)
        if total > limits.max_total_bytes:
            raise BlacklistFormatError(
                f"file larger than {limits.max_total_bytes} bytes",
                code="jsonl_too_large",
                line=lineno + 1,
            )
        if digest is not None:
            digest.update(chunk)
        data = pending + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
        else:
            block, pending = data[:cut], data[cut + 1 :]
            lines = block.split(b"\n")
            if not _block_ok(block, lines, lineno, limits):
                # Something is wrong in this block: find the first bad line.
                for offset, line in enumerate(lines, start=lineno + 1):
                    _check_count(offset, limits)
                    check_line(line, offset, limits)
            for line in lines:
                lineno += 1
                yield lineno, line
            if digest is not None:
                digest.line_count = lineno
        if len(pending) > limits.max_line_bytes:
            raise BlacklistFormatError(
                f"line longer than {limits.max_line_bytes} bytes",
                code="jsonl_line_too_long",
                line=lineno + 1,
            )
    if pending:
        if lineno == 0 and pending.startswith(_BOM):
            raise BlacklistFormatError("byte order mark", code="jsonl_bom", line=1)
        raise BlacklistFormatError(
            "the last line does not end with LF",
            code="jsonl_missing_final_newline",
            line=lineno + 1,
        )


def iter_lines(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    limits: Limits = DEFAULT_LIMITS,
    digest: StreamDigest | None = None,
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line_bytes)`` for each line, LF removed, numbers from 1.

    ``source`` is a path (opened and closed here) or a binary stream (left open).
    Each line is checked as it is reached: not longer than
    ``limits.max_line_bytes``, not empty, no CR, no BOM on line 1, valid UTF-8.
    Raises :class:`~antifraud_common.errors.BlacklistFormatError` with ``line``
    set and one of the codes ``jsonl_line_too_long``, ``jsonl_empty_line``,
    ``jsonl_cr``, ``jsonl_bom``, ``jsonl_invalid_utf8``, ``jsonl_too_many_entries``,
    ``jsonl_too_large``, ``jsonl_missing_final_newline``. Lines are checked a
    chunk at a time, so some lines before the error may already have been yielded:
    callers must not act on them until the iterator is exhausted (and the digest
    checked).
    """
    if isinstance(source, str | os.PathLike):
        with open_input(source) as stream:
            yield from _iter_stream(stream, limits, digest)
    else:
        yield from _iter_stream(source, limits, digest)


# -------------------------------------------------------------------- writing


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Replace the file at ``path`` with ``data`` atomically and durably.

    Readers see either the old file or the new one, never a mix, even after a
    crash. The file gets permission bits ``mode``. An existing FIFO or character
    device is written directly, never renamed over; any other non-regular path
    is refused (:class:`~antifraud_common.errors.FileAccessError`
    ``not_a_regular_file``), as is a full disk (``disk_full``).
    """
    write_output(path, [bytes(data)], mode=mode)


def write_lines(
    path: str | os.PathLike[str],
    lines: Iterable[bytes],
    *,
    limits: Limits = DEFAULT_LIMITS,
    mode: int = 0o644,
) -> StreamDigest:
    """Write ``lines`` (bytes without LF) as an entries file, atomically.

    Each line gets an LF. Lines are checked with the reader's rules and
    ``limits``, so whatever is written can be read back; on any error nothing is
    replaced. Returns the :class:`StreamDigest` of the file written.
    """
    digest = StreamDigest()

    def chunks() -> Iterator[bytes]:
        buf: list[bytes] = []
        size = 0
        for lineno, line in enumerate(lines, start=1):
            untyped: object = line
            if not isinstance(untyped, bytes):
                raise TypeError("write_lines needs bytes lines")
            _check_count(lineno, limits)
            check_line(line, lineno, limits)
            if b"\n" in line:
                raise BlacklistFormatError("LF inside a line", code="jsonl_lf", line=lineno)
            data = line + b"\n"
            if digest.byte_count + len(data) > limits.max_total_bytes:
                raise BlacklistFormatError(
                    f"file larger than {limits.max_total_bytes} bytes",
                    code="jsonl_too_large",
                    line=lineno,
                )
            digest.update(data)
            digest.line_count = lineno
            buf.append(data)
            size += len(data)
            if size >= _CHUNK:
                yield b"".join(buf)
                buf, size = [], 0
        if buf:
            yield b"".join(buf)

    write_output(path, chunks(), mode=mode)
    return digest
