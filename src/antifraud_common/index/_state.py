"""A lookup index that follows a receiver state.

:class:`StateIndex` holds one :class:`~antifraud_common.index.Index` built from
every list a :class:`~antifraud_common.exchange.state.ReceiverState` accepted
(every issuer, every list) and keeps it in step with the state:

* while it is attached, each accepted snapshot replaces that list in the index
  (:meth:`Index.replace_list`), each accepted delta is applied to it
  (:meth:`Index.apply_changes`, only the changed keys are touched) and a
  forgotten list is removed, as soon as the state's transaction committed;
* changes made by other processes (another ``antifraud sync``) are picked up by
  :meth:`StateIndex.refresh`, which compares the lists' versions and state hashes
  with what the index holds and reloads only the lists that differ;
* the index can be saved next to the state (``index.afi`` in the state
  directory, with an ``index.afi.json`` sidecar naming the list versions it
  holds), so the next process memory-maps it instead of rebuilding it. A saved
  index whose sidecar does not match the state, or that fails its checks, is
  rebuilt: a stale or damaged file is never used.

The saved index is a cache derived from the state, whose entries were verified
when they were accepted; it is checked against accidental damage (CRC-32 blocks)
but anyone who can write the state directory can change it, exactly as they could
change the state database itself (see docs/security.md).

>>> import tempfile
>>> from antifraud_common.exchange.state import ReceiverState
>>> with tempfile.TemporaryDirectory() as d, ReceiverState.open(d) as state:
...     with StateIndex.follow(state) as si:
...         (si.check_key("phone", "+8613800138000").listed, si.lists)
(False, [])
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

from antifraud_common.errors import AntifraudError, StateError
from antifraud_common.index._core import Index
from antifraud_common.index._results import CheckResult
from antifraud_common.models import IdentifierKind, format_timestamp

if TYPE_CHECKING:
    from antifraud_common.exchange.state import ReceiverState, StateChange, StateRecord

__all__ = ["INDEX_FILE", "StateIndex"]

#: The saved index's file name inside the state directory.
INDEX_FILE: Final = "index.afi"
_SIDECAR_FORMAT: Final = "antifraud-state-index"
_SIDECAR_VERSION: Final = 1

#: What identifies the content of one list: issuer, list id, version, state hash, expiry.
_ListMark = tuple[str, str, int, str, str]


def _mark(rec: StateRecord) -> _ListMark:
    return (rec.issuer, rec.list_id, rec.version, rec.state_sha256, format_timestamp(rec.expires))


def _marks(state: ReceiverState) -> dict[tuple[str, str], _ListMark]:
    return {(r.issuer, r.list_id): _mark(r) for r in state.lists()}


class StateIndex:
    """An :class:`Index` over every list of a receiver state, kept up to date.

    Create it with :meth:`follow`. Lookups (:meth:`check`, :meth:`check_many`,
    :meth:`check_key`) go to :attr:`index`. Use one object per state object and
    thread, like the state itself; :meth:`close` (or the ``with`` block) stops
    following.
    """

    def __init__(
        self,
        state: ReceiverState,
        index: Index,
        marks: dict[tuple[str, str], _ListMark],
        path: Path | None,
        *,
        autosave: bool,
    ) -> None:
        self._state = state
        self._index = index
        self._marks = marks
        self._path = path
        self._autosave = autosave
        self._unsaved = False
        self._listener: Callable[[StateChange], None] | None = None

    # ------------------------------------------------------------------ creating

    @classmethod
    def follow(
        cls,
        state: ReceiverState,
        *,
        path: str | os.PathLike[str] | None = None,
        persist: bool = True,
        autosave: bool = True,
    ) -> StateIndex:
        """Return an index of every list in ``state`` that follows its changes.

        With ``persist`` (the default) the index is kept in ``path`` (default:
        ``index.afi`` in the state directory): a saved index that matches the
        state is memory-mapped, otherwise the index is built from the state and
        saved; a build checks each list's stored bytes against its state hash
        first and raises :class:`~antifraud_common.errors.StateError`
        (``state_damaged``) on a mismatch. With ``autosave`` every change is
        saved at once; without it call :meth:`save` (for example after
        applying a batch of files). A state directory that cannot be written
        to is not an error: the index is then kept in memory only. With
        ``persist=False`` nothing is read or written.
        """
        target: Path | None = None
        if persist:
            target = Path(path) if path is not None else Path(state.directory) / INDEX_FILE
        marks = _marks(state)
        index = _open_saved(target, marks) if target is not None else None
        fresh = index is None
        if index is None:
            # Each list's state hash is checked before its entries are indexed:
            # a state damaged or edited outside the library is refused.
            index = Index.build(state.iter_records(verify=True))
        si = cls(state, index, marks, target, autosave=autosave)
        if fresh and target is not None:
            si._save_quietly()
        si._attach()
        return si

    def _attach(self) -> None:
        listener = self._on_change
        self._state.add_listener(listener)
        self._listener = listener

    def close(self) -> None:
        """Stop following the state (saving pending changes first when persisting)."""
        if self._listener is not None:
            self._state.remove_listener(self._listener)
            self._listener = None
        if self._unsaved:
            self._save_quietly()

    def __enter__(self) -> StateIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ following

    def _on_change(self, change: StateChange) -> None:
        key = (change.issuer, change.list_id)
        ix = self._index
        if change.op == "forget" or change.record is None:
            ix.remove_list(change.issuer, change.list_id)
            self._marks.pop(key, None)
        elif change.op == "delta" and key in self._marks:
            ix.set_list_expiry(change.issuer, change.list_id, change.record.expires)
            ix.apply_changes(change.issuer, change.list_id, change.added, change.removed)
            self._marks[key] = _mark(change.record)
        else:
            self._reload(change.record)
        self._changed()

    def _reload(self, rec: StateRecord, *, verify: bool = False) -> None:
        if verify:
            # Before the list's old rows are retired: a refused list keeps
            # answering from what was verified before.
            problem = self._state.check_list(rec.issuer, rec.list_id)
            if problem is not None:
                raise StateError(problem, code="state_damaged")
        entries = self._state.iter_entries(rec.issuer, rec.list_id)
        self._index.replace_list(rec.issuer, rec.list_id, entries, list_expires=rec.expires)
        self._marks[(rec.issuer, rec.list_id)] = _mark(rec)

    def _changed(self) -> None:
        self._unsaved = True
        if self._autosave:
            self._save_quietly()

    def refresh(self) -> bool:
        """Catch up with changes other processes made to the state; return whether any.

        Only the lists whose version, state hash or expiry differ from what the
        index holds are reloaded, each after its stored bytes were checked
        against its state hash (``StateError``, ``state_damaged``, otherwise);
        lists that disappeared are removed.
        """
        records = {(r.issuer, r.list_id): r for r in self._state.lists()}
        if {key: _mark(rec) for key, rec in records.items()} == self._marks:
            return False
        for key in set(self._marks) - set(records):
            self._index.remove_list(*key)
            del self._marks[key]
        for key, rec in records.items():
            if self._marks.get(key) != _mark(rec):
                self._reload(rec, verify=True)
        self._changed()
        return True

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        """Write the index and its sidecar (no-op when not persisting).

        Raises :class:`OSError` when the directory cannot be written.
        """
        if self._path is None:
            self._unsaved = False
            return
        with _locked(self._path):
            self._index.save(self._path)
            st = self._path.stat()
            doc = {
                "format": _SIDECAR_FORMAT,
                "format_version": _SIDECAR_VERSION,
                "index_inode": st.st_ino,
                "index_size": st.st_size,
                "lists": sorted(list(m) for m in self._marks.values()),
            }
            _write_atomic(_sidecar(self._path), json.dumps(doc, sort_keys=True).encode())
        self._unsaved = False

    def _save_quietly(self) -> None:
        # A directory that cannot be written keeps the index in memory; the
        # next process finds no matching saved index and rebuilds it.
        with contextlib.suppress(OSError):
            self.save()

    # ------------------------------------------------------------------ lookups

    @property
    def index(self) -> Index:
        """The index (do not update it directly: it follows the state)."""
        return self._index

    @property
    def path(self) -> Path | None:
        """Where the index is saved, or ``None`` when it lives in memory only."""
        return self._path

    @property
    def lists(self) -> list[tuple[str, str, datetime | None]]:
        """The lists the index holds: ``(issuer, list_id, expires)``."""
        return self._index.lists

    def check(
        self,
        raw: object,
        *,
        kind: IdentifierKind | str | None = None,
        region: str = "CN",
        now: datetime | None = None,
    ) -> CheckResult:
        """Validate ``raw`` and look it up (see :meth:`Index.check`)."""
        return self._index.check(raw, kind=kind, region=region, now=now)

    def check_many(
        self,
        values: Iterable[object],
        *,
        kind: IdentifierKind | str | None = None,
        region: str = "CN",
        now: datetime | None = None,
    ) -> Iterator[CheckResult]:
        """Look up many raw values, in order (see :meth:`Index.check_many`)."""
        return self._index.check_many(values, kind=kind, region=region, now=now)

    def check_key(
        self, kind: IdentifierKind | str, value: str, *, now: datetime | None = None
    ) -> CheckResult:
        """Look up a canonical value (see :meth:`Index.check_key`)."""
        return self._index.check_key(kind, value, now=now)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _open_saved(path: Path, marks: dict[tuple[str, str], _ListMark]) -> Index | None:
    """Return the saved index if its sidecar matches ``marks`` and it opens cleanly."""
    try:
        with _locked(path, shared=True):
            doc = json.loads(_sidecar(path).read_bytes())
            st = path.stat()
            if (
                not isinstance(doc, dict)
                or doc.get("format") != _SIDECAR_FORMAT
                or doc.get("format_version") != _SIDECAR_VERSION
                or doc.get("index_inode") != st.st_ino
                or doc.get("index_size") != st.st_size
                or doc.get("lists") != sorted(list(m) for m in marks.values())
            ):
                return None
            return Index.open(path)
    except (OSError, ValueError, AntifraudError):
        return None


@contextlib.contextmanager
def _locked(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on ``PATH.lock`` (index and sidecar change together)."""
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
