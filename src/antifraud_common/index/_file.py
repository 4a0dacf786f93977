"""The saved index file: its layout, and how it is written and checked (private).

The layout (``docs/index-and-screening.md``, "Saved file"): a 64-byte
preamble (magic ``AFINDEX\n``, format version, header length, body length,
SHA-256 of header and body, CRC-32 of the preamble so far and the header, a
reserved zero word), a JSON header padded to 8 bytes (lists, provenance,
tables: for each column its typecode, offset and length; the CRC-32 of every
4 MiB block of the body), then the body: every column's little-endian bytes,
each padded to 8 bytes, so that a memory map can be cast in place.
:class:`~antifraud_common.index.Index` hands its content over as a
:class:`SavedIndex` and gets one back; it knows nothing of the bytes.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, NamedTuple, TypeVar

from antifraud_common._files import open_input, write_output
from antifraud_common.errors import AntifraudError, BlacklistFormatError, ConfigurationError
from antifraud_common.index._keys import kind_of_table
from antifraud_common.index._table import Table, nbytes
from antifraud_common.models import TLP, Action, Reason

__all__ = [
    "INDEX_FORMAT_VERSION",
    "SavedIndex",
    "StrTable",
    "block_crcs",
    "read_index",
    "stream_block_crcs",
    "write_index",
]

#: Version of the saved index file layout.
INDEX_FORMAT_VERSION: Final = 2
_MAGIC: Final = b"AFINDEX\n"
# magic, format version, header length, body length, SHA-256 of header + body,
# CRC-32 of the preamble so far + header, a reserved zero word (64 bytes in all).
_PREAMBLE: Final = struct.Struct("<8sIIQ32sII")
_BLOCK: Final = 4 << 20  # the body is checksummed in CRC-32 blocks of 4 MiB
_CRC_AT: Final = 56  # the preamble bytes covered by the header CRC
_TYPECODES: Final = frozenset("BHIQq")

T = TypeVar("T")


class SavedIndex(NamedTuple):
    """The content of an index file: lists, provenance, case references and tables.

    ``slots`` are ``[issuer, list_id, expires (epoch seconds) or None, alive]``;
    ``provs`` are ``(slot, reason, action, source, tlp, confidence)``.
    """

    slots: list[list[Any]]
    provs: list[tuple[int, Reason, Action, str, TLP, int]]
    cases: Sequence[str]
    tables: dict[int, Table]
    rows: int


def _corrupt(message: str) -> BlacklistFormatError:
    return BlacklistFormatError(message, code="index_corrupt")


class StrTable(Sequence[str]):
    """A read-only sequence of strings stored as one UTF-8 blob plus offsets."""

    def __init__(self, blob: memoryview, offsets: Sequence[int]) -> None:
        self._blob = blob
        self._offsets = offsets
        self._cache: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def nbytes(self) -> int:
        """Bytes held: the blob and the offsets."""
        return len(self._blob) + nbytes(self._offsets)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        s = self._cache.get(i)
        if s is None:
            o = self._offsets
            s = bytes(self._blob[o[i] : o[i + 1]]).decode("utf-8")
            if len(self._cache) >= 65536:
                self._cache.clear()
            self._cache[i] = s
        return s


def write_index(path: str | os.PathLike[str], saved: SavedIndex) -> None:
    """Write ``saved`` to ``path`` atomically (temp file, fsync, rename).

    An existing FIFO or character device at ``path`` is written directly, never
    renamed over; a full disk raises
    :class:`~antifraud_common.errors.FileAccessError` ``disk_full``.
    """
    target = Path(path)
    sections: list[tuple[str, bytes | memoryview]] = []
    header_tables: dict[str, Any] = {}
    offset = 0

    def add(name: str, data: bytes | memoryview) -> list[int]:
        nonlocal offset
        start = offset
        sections.append((name, data))
        offset += len(data)
        pad = -offset % 8
        if pad:
            sections.append(("pad", b"\0" * pad))
            offset += pad
        return [start, len(data)]

    for tid, t in sorted(saved.tables.items()):
        cols = {}
        for name, col in t.columns().items():
            tc, data = _column_bytes(col)
            cols[name] = [tc, *add(f"{tid}.{name}", data)]
        entry: dict[str, Any] = {
            "shift": t.shift,
            "open": t.open,
            "settled": t.settled,
            "columns": cols,
        }
        if t.values is not None:
            blob, offs = _string_table(t.values)
            entry["values"] = [add("vb", blob), add("vo", offs)]
        header_tables[str(tid)] = entry
    blob, offs = _string_table(saved.cases)
    header = {
        "format": "antifraud-index",
        "format_version": INDEX_FORMAT_VERSION,
        "rows": saved.rows,
        "slots": saved.slots,
        "provs": [
            [s, r.value, a.value, src, tlp.value, conf] for s, r, a, src, tlp, conf in saved.provs
        ],
        "cases": [add("cb", blob), add("co", offs)],
        "tables": header_tables,
    }
    body_len = offset
    header["block_crc32"] = stream_block_crcs(d for _, d in sections)
    hdr = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hdr += b" " * (-len(hdr) % 8)
    digest = hashlib.sha256(hdr)
    for _, data in sections:
        digest.update(data)
    head = _PREAMBLE.pack(_MAGIC, INDEX_FORMAT_VERSION, len(hdr), body_len, digest.digest(), 0, 0)
    head = _PREAMBLE.pack(
        _MAGIC,
        INDEX_FORMAT_VERSION,
        len(hdr),
        body_len,
        digest.digest(),
        zlib.crc32(hdr, zlib.crc32(head[:_CRC_AT])),
        0,
    )
    # Mode 0600 as before; a FIFO or device at ``path`` is written, never renamed over.
    write_output(target, [head, hdr, *(data for _, data in sections)], mode=0o600)


def read_index(
    path: str | os.PathLike[str], *, verify: str, build: Callable[[SavedIndex], T]
) -> tuple[T, mmap.mmap]:
    """Map a saved index file, check it as ``verify`` says, and ``build`` from its content.

    ``verify`` is ``"crc32"`` (CRC-32 of the preamble, the header and every
    4 MiB block of the body, computed on all cores), ``"sha256"`` (the SHA-256
    of the whole content as well) or ``"none"``. A damaged, truncated or foreign
    file raises :class:`~antifraud_common.errors.BlacklistFormatError`
    (``index_corrupt``), also when ``build`` finds the content inconsistent
    (a ``KeyError``, ``TypeError``, ``ValueError`` or ``IndexError``). Returns
    what ``build`` made and the map, which must stay open while it is used.
    """
    if verify not in ("crc32", "sha256", "none"):
        raise ConfigurationError(f"unknown verify mode {verify!r}", code="invalid_option")
    try:
        with open_input(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size < _PREAMBLE.size:
                raise _corrupt("the index file is truncated")
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as e:
        raise ConfigurationError(f"cannot open index file: {e}", code="index_unreadable") from e
    mv = memoryview(mm)
    magic, version, hlen, body_len, digest, hcrc, reserved = _PREAMBLE.unpack_from(mv, 0)
    if magic != _MAGIC or reserved != 0:
        raise _corrupt("not an antifraud index file (bad magic)")
    if version != INDEX_FORMAT_VERSION:
        raise BlacklistFormatError(
            f"unsupported index format version {version}", code="unsupported_index_version"
        )
    base = _PREAMBLE.size
    if hlen % 8 or base + hlen + body_len != size:
        raise _corrupt("the index file is truncated or has trailing bytes")
    hdr = mv[base : base + hlen]
    body = mv[base + hlen :]
    if verify != "none" and zlib.crc32(hdr, zlib.crc32(mv[:_CRC_AT])) != hcrc:
        raise _corrupt("the index header's CRC-32 does not match")
    try:
        header = json.loads(bytes(hdr))
        blocks = header["block_crc32"]
    except (KeyError, TypeError, ValueError) as e:
        raise _corrupt(f"the index header is malformed: {type(e).__name__}") from e
    if not isinstance(blocks, list):
        raise _corrupt("the index header is malformed: block_crc32")
    if verify != "none" and block_crcs(body) != blocks:
        raise _corrupt("the index file's CRC-32 does not match its content")
    if verify == "sha256" and hashlib.sha256(mv[base:]).digest() != digest:
        raise _corrupt("the index file's SHA-256 does not match its content")
    try:
        built = build(_from_header(header, body))
    except (KeyError, TypeError, ValueError, IndexError) as e:
        if isinstance(e, AntifraudError):
            raise
        raise _corrupt(f"the index header is malformed: {type(e).__name__}") from e
    return built, mm


def _from_header(header: dict[str, Any], body: memoryview) -> SavedIndex:
    if header["format"] != "antifraud-index":
        raise _corrupt("not an antifraud index header")

    def section(spec: list[Any], typecode: str = "B") -> memoryview:
        start, length = int(spec[0]), int(spec[1])
        if start < 0 or length < 0 or start + length > len(body):
            raise _corrupt("a section lies outside the file")
        part = body[start : start + length]
        if typecode == "B":
            return part
        if length % array(typecode).itemsize:
            raise _corrupt("a section has a partial item")
        if typecode not in _TYPECODES:
            raise _corrupt("a section has an unknown item type")
        cast: memoryview = part.cast(typecode)  # type: ignore[call-overload]
        if sys.byteorder != "little":  # pragma: no cover - files are little-endian
            a = array(typecode, cast)
            a.byteswap()
            return memoryview(a)
        return cast

    def strings(spec: list[Any]) -> StrTable:
        offs = section(spec[1], "Q")
        blob = section(spec[0])
        if len(offs) < 1 or offs[-1] != len(blob):
            raise _corrupt("a string table does not match its offsets")
        return StrTable(blob, offs)

    slots = [[str(s[0]), str(s[1]), s[2], bool(s[3])] for s in header["slots"]]
    provs = [
        (int(s), Reason(r), Action(a), str(src), TLP(tlp), int(conf))
        for s, r, a, src, tlp, conf in header["provs"]
    ]
    cases = strings(header["cases"])
    tables: dict[int, Table] = {}
    for tid_text, spec in header["tables"].items():
        tid = int(tid_text)
        kind_of_table(tid)
        t = Table()
        cols = spec["columns"]
        t.keys = section(cols["keys"][1:], cols["keys"][0])
        t.dir = section(cols["dir"][1:], cols["dir"][0])
        t.prov = section(cols["prov"][1:], cols["prov"][0])
        t.case = section(cols["case"][1:], cols["case"][0])
        t.vf = section(cols["vf"][1:], cols["vf"][0])
        t.vu = section(cols["vu"][1:], cols["vu"][0])
        t.shift = int(spec["shift"])
        t.open = int(spec["open"])
        t.settled = int(spec["settled"])
        n = len(t.keys)
        if (
            not 40 <= t.shift <= 64
            or len(t.dir) != (1 << (64 - t.shift)) + 1
            or any(len(c) != n for c in (t.prov, t.case, t.vf, t.vu))
            or (n and t.dir[-1] != n)
        ):
            raise _corrupt("a table's columns do not agree")
        if "values" in spec:
            t.values = strings(spec["values"])
            if len(t.values) != n:
                raise _corrupt("a table's values do not agree")
        tables[tid] = t
    rows = sum(len(t.keys) for t in tables.values())
    return SavedIndex(slots, provs, cases, tables, rows)


def _column_bytes(col: Sequence[int]) -> tuple[str, bytes | memoryview]:
    if isinstance(col, memoryview):
        return col.format, col.cast("B")
    assert isinstance(col, array)
    if sys.byteorder != "little":  # pragma: no cover
        col = array(col.typecode, col)
        col.byteswap()
    return col.typecode, memoryview(col).cast("B")


def _string_table(items: Sequence[str]) -> tuple[bytes, bytes | memoryview]:
    offs = array("Q", [0])
    chunks: list[bytes] = []
    total = 0
    for s in items:
        b = s.encode("utf-8")
        chunks.append(b)
        total += len(b)
        offs.append(total)
    return b"".join(chunks), _column_bytes(offs)[1]


def stream_block_crcs(chunks: Iterable[bytes | memoryview]) -> list[int]:
    """The same CRC-32 list as :func:`block_crcs` over the concatenated chunks."""
    crcs: list[int] = []
    cur = filled = 0
    for data in chunks:
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            take = min(_BLOCK - filled, len(view) - pos)
            cur = zlib.crc32(view[pos : pos + take], cur)
            filled += take
            pos += take
            if filled == _BLOCK:
                crcs.append(cur)
                cur = filled = 0
    if filled:
        crcs.append(cur)
    return crcs


def block_crcs(data: bytes | memoryview) -> list[int]:
    """CRC-32 of each 4 MiB block; zlib releases the GIL, so blocks run on all cores."""
    view = memoryview(data)
    parts = [view[i : i + _BLOCK] for i in range(0, len(view), _BLOCK)]
    if len(parts) < 4:
        return [zlib.crc32(p) for p in parts]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(zlib.crc32, parts))
