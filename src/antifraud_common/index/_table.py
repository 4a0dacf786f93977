"""The index's sorted key tables and the one bucket search over them (private).

A :class:`Table` holds the rows of one table id (one identifier kind and
encoding, see :mod:`._keys`): sorted 64-bit keys, a directory of bucket starts
on the keys' top bits, and parallel provenance columns. :meth:`Table.find`
(one key) and :meth:`Table.find_many` (a numpy array of keys) are the only
searches of these keys; every lookup path of :class:`~antifraud_common.index.Index`
and screening's bulk probe goes through them. :class:`TableBuilder` sorts rows
into tables without holding a list of all keys.
"""

from __future__ import annotations

import math
import time
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from typing import Any, Final

from antifraud_common.index._keys import is_hashed_table

__all__ = [
    "OPEN_I",
    "OPEN_Q",
    "PARTS_SHIFT",
    "Part",
    "Table",
    "TableBuilder",
    "directory",
    "narrow",
    "nbytes",
]

#: "No end of validity" in a 64-bit time column, and in a 32-bit one.
OPEN_Q: Final = 2**63 - 1
OPEN_I: Final = 2**32 - 1
TO_OPEN_I: Final = {OPEN_Q: OPEN_I}
#: The build sorts rows in 256 partitions on the top 8 key bits.
PARTS_SHIFT: Final = 56


def narrow(maximum: int) -> str:
    """The smallest array typecode (B, H, I, else Q) that holds ``maximum``."""
    for tc in ("B", "H", "I"):
        if maximum < 1 << (8 * array(tc).itemsize):
            return tc
    return "Q"


def nbytes(col: Sequence[int]) -> int:
    """Bytes held by an integer column."""
    if isinstance(col, (array, memoryview)):
        return col.itemsize * len(col)
    return 8 * len(col)  # pragma: no cover


class Table:
    """Sorted rows of one (kind, encoding): keys plus parallel provenance columns.

    ``prov[i]`` is ``2 * provenance id + settled``: the low bit is set when row
    ``i`` has no end of validity and began at or before ``settled`` (the
    build's clock), so a lookup at or after ``settled`` knows the row is in
    force without reading its ``vf`` and ``vu``.
    """

    __slots__ = (
        "case",
        "dir",
        "keys",
        "np",
        "open",
        "prov",
        "settled",
        "shift",
        "values",
        "vf",
        "vu",
    )

    def __init__(self) -> None:
        self.keys: Sequence[int] = array("Q")
        self.prov: Sequence[int] = array("B")
        self.case: Sequence[int] = array("B")
        self.vf: Sequence[int] = array("q")
        self.vu: Sequence[int] = array("q")
        self.values: Sequence[str] | None = None
        self.dir: Sequence[int] = array("I", [0, 0])
        self.shift = 64
        self.open = OPEN_Q
        self.settled = OPEN_Q
        self.np: Any = None  # numpy views of keys and dir, made by the columnar path

    def columns(self) -> dict[str, Sequence[int]]:
        return {
            "keys": self.keys,
            "dir": self.dir,
            "prov": self.prov,
            "case": self.case,
            "vf": self.vf,
            "vu": self.vu,
        }

    def find(self, h: int) -> int:
        """Index of the first row with key ``h``, or -1: the bucket search of every lookup.

        The directory gives the bucket of rows whose keys share ``h``'s top
        bits; buckets hold about one key, so most searches decide on the first
        key read, and only a bucket of two or more keys is bisected.
        """
        d = self.dir
        b = h >> self.shift
        lo = d[b]
        hi = d[b + 1]
        if lo < hi:
            keys = self.keys
            if keys[lo] == h:
                return lo
            if hi - lo > 1:
                i = bisect_left(keys, h, lo + 1, hi)
                if i < hi and keys[i] == h:
                    return i
        return -1

    def find_many(self, h: Any) -> Any:
        """:meth:`find` for a numpy array of keys (uint64): an int64 array of rows or -1.

        The same bucket search, vectorised: each pass reads the next key of
        every bucket not yet decided, so a few passes decide every key (no sort
        of the queries).
        """
        import numpy as np

        keys, directory = self._arrays()
        out = np.full(len(h), -1, dtype=np.int64)
        if not len(keys) or not len(h):
            return out
        if self.shift < 64:
            b = (h >> np.uint64(self.shift)).astype(np.int64)
        else:
            b = np.zeros(len(h), np.int64)
        pos = directory[b]
        hi = directory[b + 1]
        todo = np.flatnonzero(pos < hi)
        while todo.size:
            p = pos[todo]
            k = keys[p]
            want = h[todo]
            eq = k == want
            out[todo[eq]] = p[eq]
            # Keys are sorted: go on only while the bucket's key is still below ours.
            more = (k < want) & (p + 1 < hi[todo])
            todo = todo[more]
            pos[todo] += 1
        return out

    def _arrays(self) -> tuple[Any, Any]:
        """numpy views of the keys and the directory, made once per table (``np``)."""
        import numpy as np

        cached: tuple[Any, Any] | None = self.np
        if cached is None:
            raw: Any = self.keys
            keys = np.frombuffer(raw, dtype="<u8") if len(raw) else np.zeros(0, "<u8")
            d: Any = self.dir
            fmt = d.format if isinstance(d, memoryview) else d.typecode
            directory = np.frombuffer(d, dtype=np.dtype(fmt).newbyteorder("<"))
            cached = self.np = (keys, directory.astype(np.int64))
        return cached


class Part:
    __slots__ = ("case", "keys", "prov", "values", "vf", "vu")

    def __init__(self, hashed: bool) -> None:
        self.keys = array("Q")
        self.prov = array("I")
        self.case = array("I")
        self.vf = array("q")
        self.vu = array("q")
        self.values: list[str] | None = [] if hashed else None


class TableBuilder:
    """Sorts rows without a list of all keys: 256 partitions on the top key bits.

    Each partition is sorted and copied into the final arrays, then freed, so the
    peak is about one copy of the rows plus the largest partition.
    """

    def __init__(self) -> None:
        self.parts: dict[tuple[int, int], Part] = {}
        # Rows open-ended and begun by now get the "settled" bit (see Table).
        self.clock = math.floor(time.time())
        self.tmin = 0
        self.tmax = 0
        self.pmax = 0
        self.cmax = 0

    def add(  # noqa: PLR0917 - called once per row: positional is measurably faster
        self, tid: int, h: int, prov: int, case: int, vf: int, vu: int, value: str
    ) -> None:
        pk = (tid, h >> PARTS_SHIFT)
        part = self.parts.get(pk)
        if part is None:
            part = self.parts[pk] = Part(is_hashed_table(tid))
        part.keys.append(h)
        part.prov.append(prov)
        part.case.append(case)
        part.vf.append(vf)
        part.vu.append(vu)
        if part.values is not None:
            part.values.append(value)

    def finish(self) -> dict[int, Table]:
        for each in self.parts.values():
            if each.keys:
                bounds = (
                    min(each.vf),
                    max(each.vf),
                    max(filter(OPEN_Q.__ne__, each.vu), default=0),
                )
                self.tmin = min(self.tmin, bounds[0])
                self.tmax = max(self.tmax, bounds[1], bounds[2])
                self.pmax = max(self.pmax, max(each.prov))  # noqa: PLW3301 - an array
                self.cmax = max(self.cmax, max(each.case))  # noqa: PLW3301 - an array
        small_times = self.tmin >= 0 and self.tmax < OPEN_I
        ttc = "I" if small_times else "q"
        open_value = OPEN_I if small_times else OPEN_Q
        ptc, ctc = narrow(2 * self.pmax + 1), narrow(self.cmax)
        clock = self.clock
        tables: dict[int, Table] = {}
        for tid in sorted({t for t, _ in self.parts}):
            t = Table()
            keys, prov, case = array("Q"), array(ptc), array(ctc)
            vf, vu = array(ttc), array(ttc)
            values: list[str] | None = [] if is_hashed_table(tid) else None
            for p in range(256):
                part = self.parts.pop((tid, p), None)
                if part is None:
                    continue
                order = sorted(range(len(part.keys)), key=part.keys.__getitem__)
                keys.extend(map(part.keys.__getitem__, order))
                pv, fv, uv = part.prov, part.vf, part.vu
                prov.extend([2 * pv[j] + (uv[j] == OPEN_Q and fv[j] <= clock) for j in order])
                case.extend(map(part.case.__getitem__, order))
                vf.extend(map(part.vf.__getitem__, order))
                if small_times:
                    got = map(part.vu.__getitem__, order)
                    vu.extend(map(TO_OPEN_I.get, got, map(part.vu.__getitem__, order)))
                else:
                    vu.extend(map(part.vu.__getitem__, order))
                if values is not None and part.values is not None:
                    values.extend(map(part.values.__getitem__, order))
                del part, order
            t.keys, t.prov, t.case, t.vf, t.vu, t.values = keys, prov, case, vf, vu, values
            t.open = open_value
            t.settled = clock
            t.dir, t.shift = directory(keys)
            tables[tid] = t
        release_free_memory()
        return tables


def release_free_memory() -> None:
    """Give the freed build partitions back to the OS (glibc ``malloc_trim``; else no-op).

    The partitions are many mid-sized arrays; glibc keeps their freed pages in
    the heap, which would leave the process about twice as large as the index.
    """
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    trim(0)


def directory(keys: Sequence[int]) -> tuple[array[int], int]:
    """Bucket start offsets on the top key bits: about one key per bucket.

    ``dir[b]:dir[b+1]`` are the rows whose key has top bits ``b``; since keys
    are mixed (or hashed), buckets are evenly filled, so most lookups decide
    after one or two array reads, without a binary search.
    """
    n = len(keys)
    bits = min(26, max(0, n.bit_length() - 1))
    shift = 64 - bits
    counts = array(narrow(n), bytes(array(narrow(n)).itemsize * ((1 << bits) + 1)))
    for h in keys:
        counts[(h >> shift) + 1] += 1
    return array(counts.typecode, accumulate(counts)), shift
