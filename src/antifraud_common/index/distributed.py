"""Screen a partitioned dataset on a Dask cluster (the optional ``dask`` extra).

Each partition (one CSV, JSON Lines or Parquet file; a folder of Parquet files,
Hive-partitioned or not, gives one partition per file) is screened by exactly
the same :func:`antifraud_common.index.screen.screen` as ``antifraud screen`` on
one machine (Parquet and plain CSV through its columnar path when the ``vector``
extra is installed on the workers); this module only distributes the work and
merges the counts. Install the extra with ``pip install 'antifraud-common[dask]'``;
Dask is imported only when a function here is called, so
``import antifraud_common.index.distributed`` works without it (the call then
raises :class:`~antifraud_common.errors.ConfigurationError`, code ``missing_extra``).

* The index is serialised once: the bytes of its saved ``.afidx`` file
  (:class:`IndexPayload`, keyed by the SHA-256 of those bytes). They are sent to
  every worker once per run (``Client.scatter(..., broadcast=True)``); each worker
  process writes them to a private local cache file named after the digest and
  opens it memory-mapped with :meth:`Index.open <antifraud_common.index.Index.open>`
  once, then keeps it for later runs with the same index. Worker processes on the
  same host map the same file, so the page cache holds one copy of the index.
* The clock is read once on the client (``now``), so every partition is screened
  as of the same instant.
* Results: one :class:`PartitionResult` per partition (matches as the JSON Lines
  dicts of :meth:`ScreenMatch.to_dict <antifraud_common.index.screen.ScreenMatch.to_dict>`
  plus ``partition``; the partition's :class:`~antifraud_common.index.screen.ScreenSummary`)
  and a :class:`DistributedSummary` that adds them up. Bad rows and invalid values
  are counted, never dropped. :func:`screen_partitions_to_dir` writes the matches of
  each partition to its own JSON Lines file instead of returning them.

The totals equal those of :func:`~antifraud_common.index.screen.screen` run over
the concatenated partitions; line numbers are those of each partition file
(row numbers for Parquet).
The design, the measured throughput and the cost per billion records are in
``docs/scale-out.md``.

>>> from antifraud_common.index.screen import ScreenSummary
>>> part = ScreenSummary(format="csv", records=3, values_checked=3, listed_values=1,
...     empty={"caller": 0}, invalid={"caller": 1}, bad_rows=1,
...     matches_by_action={"freeze": 0, "hold": 0, "block": 1, "watch": 0},
...     bad_row_samples=(), invalid_samples=())
>>> total = merge_summaries([("a.csv", part), ("b.csv", part)])
>>> total.partitions, total.records, total.invalid, total.bad_rows, total.matches_by_action["block"]
(2, 6, {'caller': 2}, 2, 2)
>>> payload = IndexPayload.from_bytes(b"AFINDEX\\n...")
>>> payload.digest[:12], payload.size
('abbce72131f9', 11)
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import attrs

from antifraud_common.errors import AntifraudError, ConfigurationError
from antifraud_common.index._core import Index
from antifraud_common.index._screening import count_members
from antifraud_common.index.screen import BadRow, InvalidValue, ScreenSummary, screen
from antifraud_common.models import IdentifierKind

__all__ = [
    "DistributedScreenResult",
    "DistributedSummary",
    "IndexPayload",
    "PartitionResult",
    "create_output_dir",
    "expand_paths",
    "map_partitions",
    "merge_summaries",
    "naming_partition",
    "screen_partitions",
    "screen_partitions_to_dir",
    "write_partition_lines",
]

#: The pip command that installs what this module needs.
INSTALL_HINT: Final = "pip install 'antifraud-common[dask]'"

#: Indexes kept open per worker process (a new index version evicts the oldest).
_KEEP_OPEN: Final = 2


def require_dask() -> Any:
    """Import ``dask.distributed`` or raise ``ConfigurationError(code="missing_extra")``."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as e:
        raise ConfigurationError(
            f"distributed screening needs Dask: {INSTALL_HINT}", code="missing_extra"
        ) from e
    return distributed


# ---------------------------------------------------------------- the shipped index


def _restore_payload(data: bytes, digest: str) -> IndexPayload:
    # Runs where a payload is unpickled, i.e. once per worker process that receives it.
    with _LOCK:
        _STATS["payload_loads"] += 1
    return IndexPayload(data=data, digest=digest)


@attrs.frozen(kw_only=True, repr=False)
class IndexPayload:
    """The bytes of a saved index file and their SHA-256 (hex), shipped to workers."""

    data: bytes
    digest: str

    @classmethod
    def from_bytes(cls, data: bytes) -> IndexPayload:
        """Wrap the bytes of a saved index file (checked when a worker opens it)."""
        return cls(data=bytes(data), digest=hashlib.sha256(data).hexdigest())

    @classmethod
    def from_index(cls, index: Index | str | os.PathLike[str]) -> IndexPayload:
        """Serialise ``index`` (an :class:`Index`, or the path of a saved one).

        A path is opened once here (CRC-32 checked) so a damaged file fails on the
        client, before anything is sent.
        """
        if isinstance(index, Index):
            with tempfile.TemporaryDirectory(prefix="antifraud-ship-") as tmp:
                path = Path(tmp) / "index.afidx"
                index.save(path)
                return cls.from_bytes(path.read_bytes())
        Index.open(index)
        try:
            data = Path(index).read_bytes()
        except OSError as e:
            raise ConfigurationError(
                f"cannot read index file: {e.strerror}", code="index_unreadable"
            ) from e
        return cls.from_bytes(data)

    @classmethod
    def of(cls, index: Index | IndexPayload | str | os.PathLike[str]) -> IndexPayload:
        """``index`` itself if it is a payload, else :meth:`from_index` of it."""
        return index if isinstance(index, IndexPayload) else cls.from_index(index)

    @property
    def size(self) -> int:
        """Size of the serialised index in bytes."""
        return len(self.data)

    def __repr__(self) -> str:
        return f"IndexPayload(size={self.size}, digest={self.digest[:16]}...)"

    def __reduce__(self) -> tuple[Any, tuple[bytes, str]]:
        return _restore_payload, (self.data, self.digest)


_LOCK = threading.Lock()
_OPEN: dict[str, Index] = {}
_STATS: dict[str, int] = {"payload_loads": 0, "index_opens": 0, "partitions": 0}


def _worker_stats() -> dict[str, Any]:
    """Per-process counters (for tests and monitoring): loads, opens, partitions."""
    with _LOCK:
        return {**_STATS, "open_digests": sorted(_OPEN)}


def _cache_dir(base: str | None) -> Path:
    """A directory only this user can write, so nobody can plant an index file in it."""
    root = Path(base) if base else Path(tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else 0
    d = root / f"antifraud-index-{uid}"
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st = d.stat()
        if hasattr(os, "getuid") and (st.st_uid != uid or st.st_mode & 0o077):
            return Path(tempfile.mkdtemp(prefix="antifraud-index-", dir=root))
    except OSError as e:
        raise ConfigurationError(
            f"cannot create the index cache directory: {e.strerror}", code="index_unreadable"
        ) from e
    return d


def _local_index(payload: IndexPayload, cache_dir: str | None) -> Index:
    """The open index for ``payload`` in this process: written and opened at most once."""
    with _LOCK:
        index = _OPEN.get(payload.digest)
        if index is not None:
            return index
        path = _cache_dir(cache_dir) / f"{payload.digest}.afidx"
        if not _same_content(path, payload.data):
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".afidx", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(payload.data)
                Path(tmp).replace(path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        index = Index.open(path)
        _STATS["index_opens"] += 1
        while len(_OPEN) >= _KEEP_OPEN:
            old = next(iter(_OPEN))
            del _OPEN[old]
            # The mapping of a process still using it survives the unlink (POSIX).
            (path.parent / f"{old}.afidx").unlink(missing_ok=True)
        _OPEN[payload.digest] = index
        return index


def _same_content(path: Path, data: bytes) -> bool:
    # Another worker process on this host may have written the file already: reuse it
    # (one copy in the page cache) if its bytes are exactly the payload's.
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


# ---------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class PartitionResult:
    """What screening one partition produced.

    ``matches`` holds the JSON Lines dicts of the matches (cards masked) with the
    key ``partition`` added; it is empty when they were written to ``output``.
    """

    partition: str
    summary: ScreenSummary
    matches: tuple[dict[str, Any], ...] = ()
    output: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (without the matches)."""
        return {
            "partition": self.partition,
            "output": self.output,
            "summary": self.summary.to_dict(),
        }


@attrs.frozen(kw_only=True)
class DistributedSummary:
    """The counts of every partition added up (see :class:`ScreenSummary`)."""

    partitions: int
    records: int
    values_checked: int
    listed_values: int
    empty: Mapping[str, int]
    invalid: Mapping[str, int]
    bad_rows: int
    matches_by_action: Mapping[str, int]
    bad_row_samples: tuple[tuple[str, BadRow], ...]
    invalid_samples: tuple[tuple[str, InvalidValue], ...]

    @property
    def ok(self) -> bool:
        """True when nothing is listed and every row could be screened."""
        return self.listed_values == 0 and self.bad_rows == 0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape; each sample names its partition."""
        return {
            "partitions": self.partitions,
            **count_members(self),
            "bad_row_samples": [{"partition": p, **b.to_dict()} for p, b in self.bad_row_samples],
            "invalid_samples": [{"partition": p, **i.to_dict()} for p, i in self.invalid_samples],
        }


def merge_summaries(parts: Sequence[tuple[str, ScreenSummary]]) -> DistributedSummary:
    """Add up the summaries of ``(partition, summary)`` pairs (samples keep their partition)."""
    from antifraud_common.index._screening import SAMPLE_LIMIT

    def add(into: dict[str, int], more: Mapping[str, int]) -> None:
        for k, v in more.items():
            into[k] = into.get(k, 0) + v

    empty: dict[str, int] = {}
    invalid: dict[str, int] = {}
    by_action: dict[str, int] = {}
    bad: list[tuple[str, BadRow]] = []
    inv: list[tuple[str, InvalidValue]] = []
    for name, s in parts:
        add(empty, s.empty)
        add(invalid, s.invalid)
        add(by_action, s.matches_by_action)
        bad += [(name, b) for b in s.bad_row_samples[: max(0, SAMPLE_LIMIT - len(bad))]]
        inv += [(name, i) for i in s.invalid_samples[: max(0, SAMPLE_LIMIT - len(inv))]]
    return DistributedSummary(
        partitions=len(parts),
        records=sum(s.records for _, s in parts),
        values_checked=sum(s.values_checked for _, s in parts),
        listed_values=sum(s.listed_values for _, s in parts),
        empty=empty,
        invalid=invalid,
        bad_rows=sum(s.bad_rows for _, s in parts),
        matches_by_action=by_action,
        bad_row_samples=tuple(bad),
        invalid_samples=tuple(inv),
    )


@attrs.frozen(kw_only=True)
class DistributedScreenResult:
    """The outcome of a distributed run: per-partition results and their totals."""

    partitions: tuple[PartitionResult, ...]
    summary: DistributedSummary
    index_digest: str
    index_bytes: int

    @property
    def matches(self) -> Iterator[dict[str, Any]]:
        """Every match dict, in partition order, then line and column order."""
        for p in self.partitions:
            yield from p.matches


# ---------------------------------------------------------------- the work


@attrs.frozen(kw_only=True)
class _Job:
    columns: tuple[str, ...]
    kinds: Mapping[str, IdentifierKind | str | None] | None
    region: str
    now: datetime
    fmt: str
    out_dir: str | None
    cache_dir: str | None


def _screen_partition(number: int, path: str, payload: IndexPayload, job: _Job) -> PartitionResult:
    """Screen one partition on a worker with the single-machine :func:`screen`."""
    index = _local_index(payload, job.cache_dir)
    with naming_partition(path):
        run = screen(
            path,
            job.columns,
            index,
            format=job.fmt,
            kinds=job.kinds,
            region=job.region,
            now=job.now,
        )
        if job.out_dir is None:
            try:
                matches = tuple({**m.to_dict(), "partition": path} for m in run)
            finally:
                run.close()
            output = None
        else:
            output = str(write_partition_lines(Path(job.out_dir), number, path, run))
            matches = ()
    with _LOCK:
        _STATS["partitions"] += 1
    return PartitionResult(partition=path, summary=run.summary, matches=matches, output=output)


@contextlib.contextmanager
def naming_partition(path: str) -> Iterator[None]:
    """Prefix the message of a library error raised inside with the partition ``path``.

    The error keeps its type and its stable code.
    """
    try:
        yield
    except AntifraudError as e:
        e.message = f"{path}: {e.message}"
        e.args = (e.message,)
        raise


def write_partition_lines(out_dir: Path, number: int, path: str, run: Any) -> Path:
    """Write the ``to_dict()`` of every item of ``run`` to partition ``number``'s file.

    The file is ``out_dir/{number:05d}-{stem of path}.jsonl``, one JSON line per
    item; ``run`` is closed once read. Written under a temporary name and renamed:
    a retried task leaves no half file.
    """
    target = out_dir / f"{number:05d}-{Path(path).stem}.jsonl"
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".jsonl", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            try:
                for item in run:
                    f.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            finally:
                run.close()
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def expand_paths(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """Return the partition paths: a glob pattern expanded (sorted), or the given paths.

    >>> expand_paths(["b.csv", "a.csv"])
    ['b.csv', 'a.csv']
    """
    if isinstance(paths, (str, os.PathLike)):
        text = os.fspath(paths)
        magic = any(c in text for c in "*?[")
        if not magic and Path(text).is_dir():
            # A Parquet folder (Hive-partitioned or not): each file is a partition.
            found = sorted(str(p) for p in Path(text).rglob("*.parquet") if p.is_file())
        else:
            # glob.glob: the pattern may be absolute, which Path.glob does not take.
            found = sorted(glob.glob(text, recursive=True)) if magic else [text]  # noqa: PTH207
    else:
        found = [os.fspath(p) for p in paths]
    if not found:
        raise ConfigurationError(f"no partition matches {paths!s}", code="no_partitions")
    if len(set(found)) != len(found):
        raise ConfigurationError("a partition is named twice", code="duplicate_partition")
    return found


def create_output_dir(out_dir: str | os.PathLike[str]) -> None:
    """Create ``out_dir`` and its parents (``ConfigurationError`` ``output_unwritable`` if not)."""
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigurationError(
            f"cannot create {out_dir}: {e.strerror}", code="output_unwritable"
        ) from e


def map_partitions(
    function: Callable[..., Any],
    parts: Sequence[str],
    payload: IndexPayload | None,
    job: object,
    *,
    client: Any,
    keys: Sequence[str] | None = None,
) -> list[Any]:
    """Run ``function(i, parts[i], payload=..., job=job)`` for every partition on a cluster.

    ``payload`` (if any) is scattered to every worker once and released afterwards.
    ``client`` is a ``distributed.Client``; ``None`` means the current one, else a
    temporary local cluster closed before returning. ``keys`` names the tasks.
    Returns the results in the order of ``parts``.
    """
    distributed = require_dask()
    own = None
    if client is None:
        try:
            client = distributed.default_client()
        except ValueError:
            own = client = distributed.Client(
                distributed.LocalCluster(dashboard_address=":0", processes=True)
            )
    named = {} if keys is None else {"key": list(keys)}
    try:
        shipped = None if payload is None else client.scatter(payload, broadcast=True, hash=False)
        try:
            futures = client.map(
                function,
                range(len(parts)),
                parts,
                payload=shipped,
                job=job,
                pure=False,
                **named,
            )
            results: list[Any] = client.gather(futures)
        finally:
            if shipped is not None:
                client.cancel([shipped], force=True)
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()
    return results


def _run(
    index: Index | IndexPayload | str | os.PathLike[str],
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Sequence[str],
    kinds: Mapping[str, IdentifierKind | str | None] | None,
    region: str,
    now: datetime | None,
    fmt: str,
    client: Any,
    out_dir: str | os.PathLike[str] | None,
    cache_dir: str | None,
) -> DistributedScreenResult:
    require_dask()
    parts = expand_paths(paths)
    if now is None:
        now = datetime.now(UTC)
    # Check the options here, with the same code, before anything is sent.
    screen(
        iter(()),
        columns,
        Index.build(()),
        format="auto" if fmt == "parquet" else fmt,
        kinds=kinds,
        region=region,
        now=now,
    )
    payload = IndexPayload.of(index)
    job = _Job(
        columns=tuple(columns),
        kinds=None if kinds is None else dict(kinds),
        region=region,
        now=now,
        fmt=fmt,
        out_dir=None if out_dir is None else os.fspath(out_dir),
        cache_dir=cache_dir,
    )
    results: list[PartitionResult] = map_partitions(
        _screen_partition,
        parts,
        payload,
        job,
        client=client,
        keys=[f"antifraud-screen-{payload.digest[:12]}-{i}" for i in range(len(parts))],
    )
    summary = merge_summaries([(r.partition, r.summary) for r in results])
    return DistributedScreenResult(
        partitions=tuple(results),
        summary=summary,
        index_digest=payload.digest,
        index_bytes=payload.size,
    )


def screen_partitions(
    index: Index | IndexPayload | str | os.PathLike[str],
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    columns: Sequence[str],
    kinds: Mapping[str, IdentifierKind | str | None] | None = None,
    region: str = "CN",
    now: datetime | None = None,
    fmt: str = "auto",
    client: Any = None,
    cache_dir: str | None = None,
) -> DistributedScreenResult:
    """Screen every partition on a Dask cluster and return the matches and totals.

    ``index`` is an :class:`Index`, the path of a saved one, or an
    :class:`IndexPayload`; ``paths`` a glob pattern or a sequence of CSV / JSON
    Lines files readable by every worker (shared storage). ``columns``, ``kinds``,
    ``region`` and ``fmt`` mean what they mean for :func:`screen` (``format``).
    ``now`` (default: the client's clock, read once) applies to every partition.
    ``client`` is a ``distributed.Client``; by default the current one, else a
    temporary local cluster for this call. ``cache_dir`` is where workers keep
    the index file (default: a private directory under the system temp dir).

    Every match is returned to the client; for large runs use
    :func:`screen_partitions_to_dir`. An error in a partition (unreadable file,
    missing column) fails the run with the library's error, naming the partition.
    """
    return _run(
        index,
        paths,
        columns=columns,
        kinds=kinds,
        region=region,
        now=now,
        fmt=fmt,
        client=client,
        out_dir=None,
        cache_dir=cache_dir,
    )


def screen_partitions_to_dir(
    index: Index | IndexPayload | str | os.PathLike[str],
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    columns: Sequence[str],
    kinds: Mapping[str, IdentifierKind | str | None] | None = None,
    region: str = "CN",
    now: datetime | None = None,
    fmt: str = "auto",
    client: Any = None,
    cache_dir: str | None = None,
) -> DistributedScreenResult:
    """Like :func:`screen_partitions`, but each worker writes its matches to ``out_dir``.

    Partition ``i`` (0-based, in the order of ``paths``) goes to
    ``out_dir/{i:05d}-{file stem}.jsonl`` (one JSON line per match, as
    ``antifraud screen`` writes them; written under a temporary name, then
    renamed). ``out_dir`` must be on storage every worker can write; it is
    created if missing. ``summary.json`` with the totals and each partition's
    summary is written there by the client. The result carries no matches.
    """
    target = Path(out_dir)
    create_output_dir(target)
    result = _run(
        index,
        paths,
        columns=columns,
        kinds=kinds,
        region=region,
        now=now,
        fmt=fmt,
        client=client,
        out_dir=target,
        cache_dir=cache_dir,
    )
    doc = {
        "index_sha256": result.index_digest,
        "summary": result.summary.to_dict(),
        "partitions": [p.to_dict() for p in result.partitions],
    }
    (target / "summary.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return result
