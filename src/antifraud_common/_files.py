"""Opening input files and writing output files: the one owner of both rules (private).

Reading: :func:`open_input` opens a path without blocking (``O_NONBLOCK``, so a
FIFO with no writer cannot hang the open), then refuses anything that is not a
regular file (FIFO, device, socket, directory) with
:class:`~antifraud_common.errors.FileAccessError` ``not_a_regular_file``.
:func:`read_input` also enforces a size limit while reading (it never reads
more than ``limit + 1`` bytes), so an endless input costs bounded memory.

Writing: :func:`write_output` replaces a regular file atomically (a new
temporary file in the same directory, fsync, ``rename``, fsync of the
directory). A path that already exists and is not a regular file is never
renamed over: a FIFO or a character device (a pipe, ``/dev/null``, a
terminal) is written directly, anything else (directory, socket, block
device) is refused. Secret files pass ``streams=False`` and refuse every
non-regular path.

Every :class:`OSError` becomes a :class:`~antifraud_common.errors.FileAccessError`
with a stable code (``file_not_found``, ``permission_denied``,
``name_too_long``, ``not_a_regular_file``, ``file_too_large``, ``disk_full``,
``read_only_file_system``, ``file_exists``, ``io_error``); it is also an
``OSError``, so callers that catch ``OSError`` keep working.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from antifraud_common.errors import FileAccessError

__all__ = [
    "file_error",
    "make_private_dir",
    "open_input",
    "printable_name",
    "read_input",
    "write_output",
]

_CHUNK = 1 << 20
_Chunk = bytes | bytearray | memoryview

_CODES = {
    errno.ENOENT: "file_not_found",
    errno.ENOTDIR: "file_not_found",
    errno.EACCES: "permission_denied",
    errno.EPERM: "permission_denied",
    errno.ENAMETOOLONG: "name_too_long",
    errno.ELOOP: "name_too_long",
    errno.EISDIR: "not_a_regular_file",
    errno.ENXIO: "not_a_regular_file",
    errno.EFBIG: "file_too_large",
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EROFS: "read_only_file_system",
    errno.EEXIST: "file_exists",
}


def _typed(message: str, code: str, reason: str) -> FileAccessError:
    # ``strerror`` too, for callers that report an OSError by its reason.
    err = FileAccessError(message, code=code)
    err.strerror = reason
    return err


def printable_name(path: str | os.PathLike[str]) -> str:
    """``path`` as text that encodes as strict UTF-8: undecodable bytes shown as ``\\xNN``."""
    text = os.fspath(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def file_error(
    e: OSError, path: str | os.PathLike[str], *, writing: bool = False
) -> FileAccessError:
    """Return the typed error for ``e`` raised while reading (or writing) ``path``."""
    if isinstance(e, FileAccessError):
        return e
    code = _CODES.get(e.errno or 0, "io_error")
    verb = "write" if writing else "read"
    reason = e.strerror or type(e).__name__
    err = FileAccessError(f"cannot {verb} {printable_name(path)}: {reason}", code=code)
    err.errno = e.errno
    err.strerror = e.strerror
    return err


def _not_regular(path: str | os.PathLike[str], mode: int) -> FileAccessError:
    kind = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a directory"
        if stat.S_ISDIR(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return _typed(
        f"{printable_name(path)} is {kind}, not a regular file",
        "not_a_regular_file",
        f"{kind}, not a regular file",
    )


def _require_regular(path: str | os.PathLike[str], mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)


def open_input(
    path: str | os.PathLike[str], *, buffering: int = -1
) -> io.BufferedReader | io.FileIO:
    """Open the regular file ``path`` for reading; refuse anything else, never block."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise file_error(e, path) from e
    try:
        _require_regular(path, os.fstat(fd).st_mode)
        os.set_blocking(fd, True)
        return cast("io.BufferedReader | io.FileIO", os.fdopen(fd, "rb", buffering=buffering))
    except BaseException:
        os.close(fd)
        raise


def read_input(path: str | os.PathLike[str], *, limit: int, what: str = "file") -> bytes:
    """Return the bytes of the regular file ``path``, refusing more than ``limit`` bytes.

    At most ``limit + 1`` bytes are ever read, whatever the file claims to hold.
    """
    with open_input(path) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise file_error(e, path) from e
    if len(data) > limit:
        raise _typed(
            f"{what} {printable_name(path)} is larger than {limit} bytes",
            "file_too_large",
            f"larger than {limit} bytes",
        )
    return data


def make_private_dir(directory: Path) -> bool:
    """Create ``directory`` (mode 0700, and its parents) if it is missing; return whether
    this call created it. A directory it did not create keeps its mode: never chmod it."""
    if directory.exists():
        return False
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700, parents=True)
        return True
    return False


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_direct(target: Path, chunks: Iterable[_Chunk]) -> None:
    # No O_CREAT, no O_TRUNC: the path exists and is a FIFO or a character device.
    fd = os.open(target, os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "wb", buffering=_CHUNK) as f:
        for chunk in chunks:
            f.write(chunk)


def _write_via_temp(target: Path, chunks: Iterable[_Chunk], mode: int, exclusive: bool) -> None:
    directory = target.parent
    tmp = directory / f".{target.name}.{secrets.token_hex(8)}.tmp"
    # O_EXCL: never open a file someone else placed there; 0600 until complete.
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=_CHUNK) as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        if exclusive:
            try:
                # link() refuses to replace an existing path, atomically.
                os.link(tmp, target)
            except FileExistsError:
                raise _typed(
                    f"{printable_name(target)} already exists", "file_exists", "already exists"
                ) from None
            except OSError:
                # A file system without hard links: check, then rename.
                if os.path.lexists(target):
                    raise _typed(
                        f"{printable_name(target)} already exists", "file_exists", "already exists"
                    ) from None
                tmp.replace(target)
            else:
                tmp.unlink()
        else:
            tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def write_output(
    path: str | os.PathLike[str],
    chunks: Iterable[_Chunk],
    *,
    mode: int = 0o644,
    streams: bool = True,
    exclusive: bool = False,
) -> None:
    """Write ``chunks`` to ``path``: atomically for a regular file, never renaming over others.

    A missing path or a regular file is replaced atomically (the new file gets
    ``mode``); on any error nothing is replaced. An existing FIFO or character
    device is written directly when ``streams`` (its type and mode are kept),
    else refused; any other non-regular path is refused (``not_a_regular_file``).
    ``exclusive`` refuses an existing path (``file_exists``) instead of replacing
    it. OS errors become :class:`~antifraud_common.errors.FileAccessError`.
    """
    target = Path(path)
    try:
        if _is_stream(target, streams=streams, exclusive=exclusive):
            _write_direct(target, chunks)
        else:
            _write_via_temp(target, chunks, mode, exclusive)
    except FileAccessError:
        raise
    except OSError as e:
        raise file_error(e, target, writing=True) from e


def _is_stream(target: Path, *, streams: bool, exclusive: bool) -> bool:
    """Whether ``target`` is an existing FIFO or character device to write directly.

    Raises for an existing non-regular path that may not be written; follows
    symbolic links, so ``/dev/stdout`` is the stream it points to.
    """
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISREG(mode):
        return False
    if exclusive:
        raise _typed(f"{printable_name(target)} already exists", "file_exists", "already exists")
    if streams and (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        return True
    raise _not_regular(target, mode)
