"""Screen partitioned call records on a Dask cluster (the optional ``dask`` extra).

Each partition (one CSV or JSON Lines file) is screened on a worker by exactly
the same :func:`~antifraud_common.callerid.screen.screen_calls` as on one
machine; this module only ships the data, distributes the files and adds up the
counts. The data a verdict depends on travels once per run: the DNO list, the
presenters, the ranges and the protected table as plain values, the blacklist
index as the bytes of its saved file
(:class:`~antifraud_common.index.distributed.IndexPayload`, scattered to every
worker and opened memory-mapped once per worker process). The clock is read
once on the client, so every partition is checked as of the same instant. Only
the packaged number plan is used on workers.

Dask is imported only when :func:`screen_call_partitions` is called; without it
the call raises :class:`~antifraud_common.errors.ConfigurationError`
(``missing_extra``). The totals equal those of one
:func:`~antifraud_common.callerid.screen.screen_calls` over the concatenated
partitions; line numbers are those of each partition file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Collection, Container, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import attrs

from antifraud_common._clock import now_utc
from antifraud_common.callerid._check import CallChecker, CallerRanges
from antifraud_common.callerid.screen import CallSummary, screen_calls
from antifraud_common.errors import ConfigurationError
from antifraud_common.index import Index
from antifraud_common.index.distributed import (
    INSTALL_HINT,
    IndexPayload,
    create_output_dir,
    expand_paths,
    map_partitions,
    naming_partition,
    require_dask,
    write_partition_lines,
)
from antifraud_common.protected import ProtectedList

__all__ = [
    "INSTALL_HINT",
    "CallPartition",
    "DistributedCallResult",
    "screen_call_partitions",
]

_LOCK = threading.Lock()
_OPEN: dict[str, Index] = {}
_KEEP_OPEN: Final = 2


def _worker_index(payload: IndexPayload) -> Index:
    """The index of ``payload`` in this worker process, written and opened once."""
    with _LOCK:
        index = _OPEN.get(payload.digest)
        if index is None:
            # A private directory (mkdtemp: mode 0700) per process: nobody plants a file.
            directory = tempfile.mkdtemp(prefix="antifraud-calls-")
            path = Path(directory) / f"{payload.digest}.afidx"
            path.write_bytes(payload.data)
            index = Index.open(path)
            path.unlink()  # the mapping outlives the name (POSIX)
            Path(directory).rmdir()
            while len(_OPEN) >= _KEEP_OPEN:
                del _OPEN[next(iter(_OPEN))]
            _OPEN[payload.digest] = index
        return index


@attrs.frozen(kw_only=True)
class _Job:
    calling: str
    called: str
    ingress: str
    trunk: str | None
    fmt: str
    now: datetime
    dno: Container[str] | None
    presenters: Mapping[str, Collection[str]] | None
    protected: ProtectedList | None
    ranges: Mapping[str, CallerRanges] | None
    out_dir: str | None


@attrs.frozen(kw_only=True)
class CallPartition:
    """One partition's result: its path, its summary, its findings or their file."""

    partition: str
    summary: CallSummary
    findings: tuple[dict[str, Any], ...] = ()
    output: str | None = None


@attrs.frozen(kw_only=True)
class DistributedCallResult:
    """Every partition's result and the totals."""

    partitions: tuple[CallPartition, ...]
    summary: CallSummary


def _screen_partition(number: int, path: str, payload: IndexPayload | None, job: _Job) -> Any:
    """Check one partition on a worker with the single-machine screen_calls."""
    checker = CallChecker(
        protected=job.protected,
        presenters=job.presenters,
        dno=job.dno,
        index=None if payload is None else _worker_index(payload),
        now=job.now,
    )
    with naming_partition(path):
        run = screen_calls(
            path,
            calling=job.calling,
            called=job.called,
            ingress=job.ingress,
            trunk=job.trunk,
            ranges=job.ranges,
            checker=checker,
            format=job.fmt,
        )
        try:
            if job.out_dir is None:
                findings = tuple({**f.to_dict(), "partition": path} for f in run)
                output = None
            else:
                findings = ()
                output = str(write_partition_lines(Path(job.out_dir), number, path, run))
        finally:
            run.close()
    return CallPartition(partition=path, summary=run.summary, findings=findings, output=output)


def screen_call_partitions(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    calling: str,
    called: str,
    ingress: str,
    trunk: str | None = None,
    ranges: Mapping[str, CallerRanges] | None = None,
    dno: Container[str] | None = None,
    presenters: Mapping[str, Collection[str]] | None = None,
    protected: ProtectedList | None = None,
    index: Index | IndexPayload | str | os.PathLike[str] | None = None,
    now: datetime | None = None,
    fmt: str = "auto",
    out_dir: str | os.PathLike[str] | None = None,
    client: Any = None,
) -> DistributedCallResult:
    """Check every partition on a Dask cluster; return the findings (or files) and totals.

    ``paths`` is a glob pattern or a sequence of CSV / JSON Lines files every
    worker can read. ``calling`` ... ``ranges`` and ``fmt`` mean what they mean
    for :func:`~antifraud_common.callerid.screen.screen_calls`; ``dno``,
    ``presenters``, ``protected``, ``index`` (an :class:`Index`, the path of a
    saved one, or an ``IndexPayload``) and ``now`` what they mean for
    :class:`~antifraud_common.callerid.CallChecker`. With ``out_dir`` each
    worker writes partition ``i``'s findings to ``out_dir/{i:05d}-{stem}.jsonl``
    and no finding travels back. ``client`` is a ``distributed.Client``
    (default: the current one, else a temporary local cluster).
    """
    require_dask()
    parts = expand_paths(paths)
    now = now_utc(now)
    # Check every option on the client, with the same code, before anything is sent.
    CallChecker(protected=protected, presenters=presenters, dno=dno, now=now)
    screen_calls(
        iter(()),
        calling=calling,
        called=called,
        ingress=ingress,
        trunk=trunk,
        ranges=ranges,
        format="auto" if fmt == "auto" else fmt,
    )
    if out_dir is not None:
        create_output_dir(out_dir)
    payload = None if index is None else IndexPayload.of(index)
    job = _Job(
        calling=calling,
        called=called,
        ingress=ingress,
        trunk=trunk,
        fmt=fmt,
        now=now,
        dno=None if dno is None else frozenset(x for x in _members(dno)),
        presenters=None if presenters is None else {k: frozenset(v) for k, v in presenters.items()},
        protected=protected,
        ranges=None if ranges is None else dict(ranges),
        out_dir=None if out_dir is None else os.fspath(out_dir),
    )
    results: list[CallPartition] = map_partitions(
        _screen_partition, parts, payload, job, client=client
    )
    return DistributedCallResult(
        partitions=tuple(results), summary=CallSummary.merge(r.summary for r in results)
    )


def _members(dno: Container[str]) -> Sequence[str]:
    # A DNO list travels as a frozenset: a lookup object that is not iterable cannot.
    if isinstance(dno, (set, frozenset, list, tuple, dict)):
        return list(dno)
    raise ConfigurationError(
        "a DNO list sent to workers is a set of numbers", code="invalid_option"
    )
