"""The receiver's state: every accepted list, persisted atomically in embedded SQLite.

A receiver keeps, per ``(issuer, list_id)``, the last accepted version, its
state hash (SHA-256 of the snapshot file, see ``docs/spec/format.md``), entry
count, list type, expiry and signed manifest -- what rollback, fork and
delta-base checks need (TUF's "trusted metadata", a delta CRL's base) -- and
the entries themselves, so lists can be screened, exported and updated by
delta. See ``docs/receiver-state.md``.

Storage: one SQLite database (``state.sqlite3``, Python's stdlib ``sqlite3``)
in a private directory (mode 0700, file 0600), in WAL mode. Every change is one
``BEGIN IMMEDIATE`` transaction with a busy timeout, so two processes applying
updates at the same time are serialised, and every check that depends on the
current state (rollback, fork, delta base) is repeated *inside* the
transaction. A crash at any point leaves either the old state or the new one.

Two tables hold the entries:

* ``chunks``: the canonical lines in key order, concatenated in runs of at
  most :data:`CHUNK_LINES` lines whose bytes fit in one database page, keyed
  by their first key (a rowid table with a unique index on the key, so each
  run is stored inline in one page) -- the snapshot file cut into pieces.
  Reading the chunks in order gives the snapshot file byte for byte, and a
  delta rewrites only the chunks it touches, one page each: it streams every
  chunk once in key order, merges its operations into the chunks they fall
  in and hashes the result as it goes, so the digest it compares with the
  signed ``result_sha256`` (Safe Browsing's divergence check) is that of the
  resulting snapshot file; on a mismatch the transaction is rolled back
  (:class:`DeltaMismatchError`);
* ``entries``: the identifier keys alone, ``(issuer, list_id, kind, value)``
  (``WITHOUT ROWID``), for SQL and consistency checks.

Schema version 3 (``PRAGMA user_version``); a state written with schema 1
(which also stored every line in ``entries``) or schema 2 (chunks in a
``WITHOUT ROWID`` table, where a chunk needs an overflow page) is migrated
when opened.

>>> import tempfile
>>> state = ReceiverState.open(tempfile.mkdtemp())
>>> state.get("mps", "fraud-phones") is None
True
>>> state.lists()
[]
>>> state.close()
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import json
import os
import queue
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Concatenate, Final, ParamSpec, Protocol, TypeVar

import attrs

from antifraud_common._clock import now_utc
from antifraud_common._files import make_private_dir
from antifraud_common.errors import (
    AntifraudError,
    DeltaMismatchError,
    HashMismatchError,
    NaiveDatetimeError,
    StateError,
)
from antifraud_common.exchange.delta import (
    OP_ADD,
    OP_REMOVE,
    OP_REPLACE,
    check_delta,
    iter_ops,
    op_limits,
    shown_key,
)
from antifraud_common.exchange.entries import EntriesScope, ProtectedMatcher
from antifraud_common.exchange.layout import (
    Key,
    entry_key,
    find_line,
    needs_escape,
    stored_line_key,
    verified_entries,
)
from antifraud_common.exchange.policy import delta_verdict, snapshot_verdict
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import DEFAULT_LIMITS, Limits, iter_lines, write_lines
from antifraud_common.models import (
    ContentType,
    Entry,
    IdentifierKind,
    Manifest,
    format_timestamp,
    parse_timestamp,
)

__all__ = [
    "CHUNK_LINES",
    "DB_NAME",
    "MARKER_NAME",
    "SCHEMA_VERSION",
    "AcceptResult",
    "AppliedVersion",
    "ReceiverState",
    "StateChange",
    "StateListener",
    "StateRecord",
    "VerifiedSource",
]

#: File name of the database inside the state directory.
DB_NAME: Final = "state.sqlite3"
#: File name of the marker written beside the database when the state first
#: holds a list: a state whose marker is present but whose database is missing,
#: empty or without a schema was lost, and is refused (``state_lost``) instead
#: of being recreated empty.
MARKER_NAME: Final = "state-marker.json"
_MARKER_FORMAT: Final = "antifraud-receiver-state"
#: Version of the database layout (``PRAGMA user_version``).
SCHEMA_VERSION: Final = 3
#: Most lines a stored chunk is cut with (fewer when they do not fit in one
#: page); a chunk grown by deltas is split past twice this, or when it no
#: longer fits in its page.
CHUNK_LINES: Final = 16
_MMAP_SIZE: Final = 1 << 30
#: Page size of a new state database (SQLite's default).
_PAGE_SIZE: Final = 4096
#: Default time to wait for another process's transaction, in seconds.
DEFAULT_BUSY_TIMEOUT: Final = 60.0

_SCHEMA: Final = (
    """CREATE TABLE lists (
        issuer TEXT NOT NULL,
        list_id TEXT NOT NULL,
        list_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        state_sha256 TEXT NOT NULL,
        entry_count INTEGER NOT NULL,
        expires TEXT NOT NULL,
        manifest TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        PRIMARY KEY (issuer, list_id)
    ) WITHOUT ROWID""",
    # The keys alone (the lines are in the chunks): which lists hold a key,
    # in plain SQL, a few dozen bytes per entry.
    """CREATE TABLE entries (
        issuer TEXT NOT NULL,
        list_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (issuer, list_id, kind, value)
    ) WITHOUT ROWID""",
    # The snapshot bytes: a rowid table, so that a chunk (at most one page of
    # bytes, see ``_room``) is stored inline in one b-tree cell and rewriting
    # it writes one page; the unique index keeps the chunks in key order.
    """CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        issuer TEXT NOT NULL,
        list_id TEXT NOT NULL,
        first_key BLOB NOT NULL,
        line_count INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    "CREATE UNIQUE INDEX chunks_by_key ON chunks (issuer, list_id, first_key)",
)
# One row per accepted version: what the report draws additions and removals
# from. Created on first use (an additive table: older readers ignore it).
_HISTORY_TABLE: Final = """CREATE TABLE IF NOT EXISTS history (
    issuer TEXT NOT NULL,
    list_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    op TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    entry_count INTEGER NOT NULL,
    adds INTEGER NOT NULL,
    replaces INTEGER NOT NULL,
    removes INTEGER NOT NULL,
    PRIMARY KEY (issuer, list_id, version)
) WITHOUT ROWID"""
# Schema 1 stored each line twice (in ``entries`` too) and indexed the chunk
# keys; schema 2 keeps the lines only in the chunks.
_MIGRATE_1_TO_2: Final = (
    """CREATE TABLE entries_v2 (
        issuer TEXT NOT NULL,
        list_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (issuer, list_id, kind, value)
    ) WITHOUT ROWID""",
    "INSERT INTO entries_v2 SELECT issuer, list_id, kind, value FROM entries ORDER BY 1, 2, 3, 4",
    "DROP TABLE entries",
    "ALTER TABLE entries_v2 RENAME TO entries",
    "DROP INDEX IF EXISTS chunk_keys",
)
# Schema 2 kept the chunks in a ``WITHOUT ROWID`` table, where a chunk larger
# than about a quarter of a page spills into an overflow page (two or more
# pages written per rewritten chunk); schema 3 keeps them in a rowid table.
_MIGRATE_2_TO_3: Final = (
    "ALTER TABLE chunks RENAME TO chunks_v2",
    *_SCHEMA[2:],
    (
        "INSERT INTO chunks (issuer, list_id, first_key, line_count, data) "
        "SELECT issuer, list_id, first_key, line_count, data FROM chunks_v2 ORDER BY 1, 2, 3"
    ),
    "DROP TABLE chunks_v2",
)


class VerifiedSource(Protocol):
    """What the state needs from a verified list (``exchange.signing.VerifiedList``)."""

    @property
    def manifest(self) -> Manifest:
        """The verified manifest."""
        ...

    def open_verified(self) -> BinaryIO:
        """The verified bytes (a private copy), rewound."""
        ...


@attrs.frozen(kw_only=True)
class StateRecord:
    """What the receiver accepted last for one ``(issuer, list_id)``."""

    issuer: str
    list_id: str
    list_type: str
    version: int
    #: SHA-256 of the current snapshot file (lowercase hex).
    state_sha256: str
    entry_count: int
    expires: datetime
    #: The canonical JSON text of the last accepted manifest (snapshot or delta).
    manifest_json: str
    accepted_at: datetime

    @property
    def manifest(self) -> Manifest:
        """The last accepted manifest."""
        return Manifest.from_dict(json.loads(self.manifest_json))

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether the list's ``expires`` has passed (``now``: aware, default the clock)."""
        return now_utc(now) >= self.expires

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI."""
        return {
            "issuer": self.issuer,
            "list_id": self.list_id,
            "list_type": self.list_type,
            "version": self.version,
            "state_sha256": self.state_sha256,
            "entry_count": self.entry_count,
            "expires": format_timestamp(self.expires),
            "accepted_at": format_timestamp(self.accepted_at),
        }


@attrs.frozen(kw_only=True)
class AcceptResult:
    """What one accept did: ``snapshot``, ``delta`` or ``unchanged``."""

    issuer: str
    list_id: str
    action: str
    old_version: int | None
    version: int
    state_sha256: str
    entry_count: int
    adds: int = 0
    replaces: int = 0
    removes: int = 0

    @property
    def changed(self) -> bool:
        """Whether the state changed."""
        return self.action != "unchanged"

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class AppliedVersion:
    """One accepted version of a list, as :meth:`ReceiverState.history` returns it.

    For a delta ``adds``, ``replaces`` and ``removes`` are its operations; for
    a snapshot they are the net change of the entry count (a snapshot that
    swaps one entry for another shows neither).
    """

    issuer: str
    list_id: str
    version: int
    op: str
    accepted_at: datetime
    entry_count: int
    adds: int
    replaces: int
    removes: int


@attrs.frozen(kw_only=True)
class StateChange:
    """One committed change of the state, as passed to the listeners.

    ``op`` is ``"snapshot"`` (the list was replaced: read its entries with
    :meth:`ReceiverState.iter_entries`), ``"delta"`` (``added`` holds the
    entries added or replaced, ``removed`` the identifier keys removed, in the
    shape of :attr:`Entry.key <antifraud_common.models.Entry.key>`; a replaced
    entry appears only in ``added``) or ``"forget"`` (the list is gone;
    ``record`` is ``None``). ``record`` is the list's record after the change.

    >>> change = StateChange(op="forget", issuer="mps", list_id="fraud-phones", record=None)
    >>> change.added, change.removed
    ((), ())
    """

    op: str
    issuer: str
    list_id: str
    record: StateRecord | None
    added: tuple[Entry, ...] = ()
    removed: tuple[tuple[str, str], ...] = ()


#: A change listener (see :meth:`ReceiverState.add_listener`).
StateListener = Callable[[StateChange], None]


def _key_blob(key: Key) -> bytes:
    # No kind is a prefix of another and kinds hold no NUL, so memcmp order of
    # kind + NUL + value equals the (kind, value) order.
    return key[0] + b"\x00" + key[1]


def _row_to_record(row: Sequence[object]) -> StateRecord:
    issuer, list_id, list_type, version, sha, count, expires, manifest, accepted = row
    try:
        return StateRecord(
            issuer=str(issuer),
            list_id=str(list_id),
            list_type=str(list_type),
            version=int(str(version)),
            state_sha256=str(sha),
            entry_count=int(str(count)),
            expires=parse_timestamp(expires, field="expires"),
            manifest_json=str(manifest),
            accepted_at=parse_timestamp(accepted, field="accepted_at"),
        )
    except (ValueError, TypeError, AntifraudError) as e:
        raise StateError(
            f"the stored record of {issuer}/{list_id} is damaged", code="state_damaged"
        ) from e


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_CODES: Final = {
    5: "state_locked",  # SQLITE_BUSY
    6: "state_locked",  # SQLITE_LOCKED
    8: "state_read_only",  # SQLITE_READONLY
    10: "state_io_error",  # SQLITE_IOERR
    11: "state_damaged",  # SQLITE_CORRUPT
    13: "disk_full",  # SQLITE_FULL
    14: "state_unreadable",  # SQLITE_CANTOPEN
    23: "state_unreadable",  # SQLITE_AUTH
    26: "state_damaged",  # SQLITE_NOTADB
}


def _state_error(e: sqlite3.Error, directory: Path) -> StateError:
    """The typed error for a SQLite failure on the state in ``directory``."""
    number = getattr(e, "sqlite_errorcode", None)
    code = _SQLITE_CODES.get(number & 0xFF, "state_error") if isinstance(number, int) else None
    if code is None:  # an error raised by the module itself, not by the SQLite library
        code = "state_damaged" if isinstance(e, sqlite3.DatabaseError) else "state_error"
    what = {
        "state_damaged": "the state database is damaged",
        "state_read_only": "the state is read-only",
        "state_locked": "the state is locked by another process",
        "disk_full": "the disk holding the state is full",
    }.get(code, "the state database is unusable")
    return StateError(f"{what} ({directory}: {e})", code=code)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _guarded(
    method: Callable[Concatenate[ReceiverState, _P], _R],
) -> Callable[Concatenate[ReceiverState, _P], _R]:
    """Turn SQLite errors raised by a method into typed :class:`StateError`."""

    def wrapper(self: ReceiverState, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise _state_error(e, self.directory) from e

    functools.update_wrapper(wrapper, method)
    return wrapper


@contextlib.contextmanager
def _translated(directory: Path) -> Iterator[None]:
    """The same as :func:`_guarded`, for the body of a generator."""
    try:
        yield
    except sqlite3.Error as e:
        raise _state_error(e, directory) from e


_SELECT_RECORDS: Final = (
    "SELECT issuer, list_id, list_type, version, state_sha256, entry_count, expires, "
    "manifest, accepted_at FROM lists"
)
_UPSERT_RECORD: Final = (
    "INSERT OR REPLACE INTO lists (issuer, list_id, list_type, version, state_sha256, "
    "entry_count, expires, manifest, accepted_at) VALUES (?,?,?,?,?,?,?,?,?)"
)


class ReceiverState:
    """The receiver's accepted lists and their entries (one SQLite database).

    Open with :meth:`open`; close with :meth:`close` or use as a context
    manager. One object per thread; several processes may share a directory.
    """

    def __init__(self, conn: sqlite3.Connection, directory: Path) -> None:
        self._conn = conn
        #: The state directory.
        self.directory = directory
        self._listeners: list[StateListener] = []

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        create: bool = True,
    ) -> ReceiverState:
        """Open the state in ``directory``; with ``create`` (the default), create it if needed.

        Writers (``apply``, ``sync``) open with ``create=True``: a missing
        directory is made with mode 0700; an existing directory is never
        chmod'ed, and one that other users may access (mode bits in 0o077) is
        refused (``state_permissions``). Readers (``check``, ``screen``,
        ``verify``) open with ``create=False``: nothing is created or chmod'ed,
        a directory without a state raises ``state_missing``, and a read-only
        state is opened read-only.

        A state whose marker (:data:`MARKER_NAME`) says it held lists but whose
        database is missing, empty or has no schema raises ``state_lost``, for
        writers and readers alike: the state is never silently recreated empty.
        Reset such a state deliberately by removing the marker too.

        Raises :class:`~antifraud_common.errors.StateError` (``state_error``,
        ``state_missing``, ``state_lost``, ``state_damaged``, ``state_schema``,
        ``state_permissions``, ``state_read_only``, ``state_unreadable``) when
        it cannot be used.
        """
        d = Path(directory)
        conn = _connect_writer(d, busy_timeout) if create else _connect_reader(d, busy_timeout)
        try:
            if create:
                # Takes effect only while the database is empty (a new state):
                # a chunk is cut to fit one page of this size.
                conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
            # Read pages through a memory map (writes still go through the
            # journal): the full pass of every delta reads the whole list.
            conn.execute(f"PRAGMA mmap_size={_MMAP_SIZE}")
            state = cls(conn, d)
            state._ensure_schema(create=create)
            if create:
                for suffix in ("-wal", "-shm"):
                    side = d / (DB_NAME + suffix)
                    with contextlib.suppress(OSError):
                        if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
                            side.chmod(0o600)
                # A state written before the marker existed gets one now.
                if not (d / MARKER_NAME).exists() and state._has_lists():
                    _write_marker(d)
        except sqlite3.Error as e:
            conn.close()
            raise _state_error(e, d) from e
        except OSError as e:
            conn.close()
            raise StateError(f"cannot write the state marker in {d}: {e}") from e
        except BaseException:
            conn.close()
            raise
        return state

    def _has_lists(self) -> bool:
        return self._conn.execute("SELECT 1 FROM lists LIMIT 1").fetchone() is not None

    def _ensure_schema(self, *, create: bool = True) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version == 0 and (self.directory / MARKER_NAME).exists():
            raise _lost(self.directory)
        if version == 0 and not create:
            raise _missing_state(self.directory)
        if version not in {0, 1, 2}:
            raise StateError(
                f"state schema version {version}; this library reads {SCHEMA_VERSION}"
                + (" (written by a newer version of the library)" if version > 3 else ""),
                code="state_schema",
            )
        with self._transaction():
            # Checked again under the write lock: another process may have
            # created or migrated the schema meanwhile.
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            steps: list[str] = []
            if version == 0:
                steps += _SCHEMA
            if version == 1:
                steps += _MIGRATE_1_TO_2
            if version in {1, 2}:
                steps += _MIGRATE_2_TO_3
            for stmt in steps:
                self._conn.execute(stmt)
            if steps:
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> ReceiverState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise _state_error(e, self.directory) from e
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:  # pragma: no cover - disk full, I/O error
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _state_error(e, self.directory) from e

    @contextlib.contextmanager
    def _read_transaction(self) -> Iterator[None]:
        # One consistent view for a multi-statement read (WAL readers never
        # block writers); nested use inside another transaction reuses it.
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    # -------------------------------------------------------------- listeners

    def add_listener(self, callback: StateListener) -> None:
        """Call ``callback(change)`` after every committed change made through this object.

        ``change`` is a :class:`StateChange`. Listeners run only after the
        transaction committed and only when something changed (never for an
        ``unchanged`` accept or a refused one), in the order they were added,
        in the thread that made the change; they may read the state (for a
        snapshot: ``state.iter_entries(change.issuer, change.list_id)``).
        Changes made by other processes sharing the directory are not seen.

        If a listener raises, the remaining listeners still run, then the first
        exception propagates to the caller of ``accept_*`` / ``forget``: the
        state is committed and correct, the failed follower is stale (rebuild
        it from :meth:`iter_records`).
        """
        self._listeners.append(callback)

    def remove_listener(self, callback: StateListener) -> None:
        """Stop calling ``callback`` (nothing happens if it is not registered)."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    def _notify(self, change: StateChange) -> None:
        first: BaseException | None = None
        for callback in list(self._listeners):
            try:
                callback(change)
            except Exception as e:  # noqa: BLE001 - re-raised below, after every listener ran
                if first is None:
                    first = e
        if first is not None:
            raise first

    # ---------------------------------------------------------------- reading

    @_guarded
    def get(self, issuer: str, list_id: str) -> StateRecord | None:
        """Return the accepted record of ``(issuer, list_id)``, or ``None``."""
        row = self._conn.execute(
            _SELECT_RECORDS + " WHERE issuer=? AND list_id=?",
            (issuer, list_id),
        ).fetchone()
        return None if row is None else _row_to_record(row)

    @_guarded
    def lists(self) -> list[StateRecord]:
        """Return every accepted list, ordered by ``(issuer, list_id)``."""
        rows = self._conn.execute(_SELECT_RECORDS + " ORDER BY issuer, list_id").fetchall()
        return [_row_to_record(r) for r in rows]

    @_guarded
    def history(self) -> list[AppliedVersion]:
        """Every accepted version still recorded, oldest first (empty for an older state)."""
        try:
            rows = self._conn.execute(
                "SELECT issuer, list_id, version, op, accepted_at, entry_count, adds, replaces,"
                " removes FROM history ORDER BY accepted_at, issuer, list_id, version"
            ).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return []
            raise
        return [
            AppliedVersion(
                issuer=r[0],
                list_id=r[1],
                version=r[2],
                op=r[3],
                accepted_at=parse_timestamp(r[4], field="accepted_at"),
                entry_count=r[5],
                adds=r[6],
                replaces=r[7],
                removes=r[8],
            )
            for r in rows
        ]

    @_guarded
    def lookup(self, kind: IdentifierKind | str, value: str) -> list[tuple[str, str, Entry]]:
        """Return ``(issuer, list_id, entry)`` for every list holding the canonical key."""
        k = kind.value if isinstance(kind, IdentifierKind) else kind
        key = (k.encode(), value.encode("utf-8", "surrogatepass"))
        parse = _EntryParser()
        found = []
        with self._read_transaction():
            for issuer, list_id in self._conn.execute(
                "SELECT issuer, list_id FROM lists ORDER BY issuer, list_id"
            ).fetchall():
                line = _find_line(self._conn, issuer, list_id, key)
                if line is not None:
                    found.append((str(issuer), str(list_id), parse(line)))
        return found

    def iter_lines(self, issuer: str, list_id: str) -> Iterator[bytes]:
        """Yield the canonical lines (with LF) of one list's snapshot, in key order."""
        with _translated(self.directory):
            cur = self._conn.execute(
                "SELECT data FROM chunks WHERE issuer=? AND list_id=? ORDER BY first_key",
                (issuer, list_id),
            )
            for (data,) in cur:
                if type(data) is not bytes:
                    raise StateError("a stored chunk is damaged", code="state_damaged")
                yield from data.splitlines(keepends=True)

    def iter_records(
        self, issuer: str | None = None, list_id: str | None = None, *, verify: bool = False
    ) -> Iterator[tuple[str, str, datetime, Entry]]:
        """Yield ``(issuer, list_id, list_expires, entry)`` for the selected lists.

        Lists in ``(issuer, list_id)`` order, entries in key order, all from one
        consistent view of the state (a read transaction held while iterating;
        do not write to the state from the same object meanwhile). This is the
        feed the lookup index is built from.

        With ``verify``, each list's stored bytes are hashed before its first
        entry is yielded and must give the accepted state hash and entry count,
        which must also be the ones its stored manifest names; otherwise
        :class:`StateError` (``state_damaged``) is raised: a state damaged or
        edited outside the library is refused, not answered from.
        """
        parse = _EntryParser()
        with _translated(self.directory), self._read_transaction():
            for rec in self.lists():
                if issuer is not None and rec.issuer != issuer:
                    continue
                if list_id is not None and rec.list_id != list_id:
                    continue
                if verify:
                    problem = self._problem(rec)
                    if problem is not None:
                        raise StateError(problem, code="state_damaged")
                for entry in parse.many(self.iter_lines(rec.issuer, rec.list_id)):
                    yield rec.issuer, rec.list_id, rec.expires, entry

    @_guarded
    def check_list(self, issuer: str, list_id: str) -> str | None:
        """Check one list's stored bytes against its record; return the problem or ``None``.

        The bytes must hash to the accepted state hash and hold the accepted
        entry count, and those must be what the stored manifest names. A list
        the state does not hold is a problem too.
        """
        with self._read_transaction():
            rec = self.get(issuer, list_id)
            if rec is None:
                return f"{issuer}/{list_id}: no such list in the state"
            return self._problem(rec)

    def _problem(self, rec: StateRecord) -> str | None:
        """What is wrong with one list's stored bytes and record, or ``None``."""
        name = f"{rec.issuer}/{rec.list_id}"
        try:
            m = rec.manifest
        except (ValueError, TypeError, AntifraudError):
            return f"{name}: the stored manifest is damaged"
        signed = (m.result_sha256, m.result_count) if m.is_delta else (m.sha256, m.entry_count)
        if (m.issuer, m.list_id, m.version) != (rec.issuer, rec.list_id, rec.version) or signed != (
            rec.state_sha256,
            rec.entry_count,
        ):
            return f"{name}: the record does not match its stored manifest"
        sha, count = self.state_hash(rec.issuer, rec.list_id)
        if sha != rec.state_sha256 or count != rec.entry_count:
            return f"{name}: the stored entries do not hash to the accepted state hash"
        return None

    def iter_entries(
        self, issuer: str | None = None, list_id: str | None = None
    ) -> Iterator[Entry]:
        """Yield the entries of the selected lists (see :meth:`iter_records`)."""
        for _issuer, _list_id, _expires, entry in self.iter_records(issuer, list_id):
            yield entry

    @_guarded
    def state_hash(self, issuer: str, list_id: str) -> tuple[str, int]:
        """Recompute ``(sha256, entry_count)`` of one list from the stored chunks."""
        return _hash_chunks(self._conn, issuer, list_id)

    @_guarded
    def check(self) -> list[str]:
        """Recompute every list's state hash and count; return the problems (empty = sound).

        Also runs SQLite's ``quick_check``.
        """
        problems = [
            str(r[0]) for r in self._conn.execute("PRAGMA quick_check").fetchall() if r[0] != "ok"
        ]
        for rec in self.lists():
            try:
                problem = self._problem(rec)
            except StateError as e:
                problem = f"{rec.issuer}/{rec.list_id}: {e}"
            rows = self._conn.execute(
                "SELECT count(*) FROM entries WHERE issuer=? AND list_id=?",
                (rec.issuer, rec.list_id),
            ).fetchone()[0]
            if problem is None and rows != rec.entry_count:
                problem = f"{rec.issuer}/{rec.list_id}: the key table does not match the entries"
            if problem is not None:
                problems.append(problem)
        return problems

    @_guarded
    def export_snapshot(
        self, issuer: str, list_id: str, path: str | os.PathLike[str], *, mode: int = 0o644
    ) -> str:
        """Write the current snapshot file of a list atomically; return its SHA-256.

        The SHA-256 equals the recorded state hash (checked; ``StateError``
        otherwise, and nothing is written).
        """
        with self._read_transaction():  # one consistent view, writers may go on
            rec = self.get(issuer, list_id)
            if rec is None:
                raise StateError(f"no list {issuer}/{list_id} in the state", code="state_no_list")
            digest = write_lines(
                path,
                (line[:-1] for line in self.iter_lines(issuer, list_id)),
                mode=mode,
                limits=_export_limits(rec.entry_count),
            )
        if digest.hexdigest() != rec.state_sha256:  # pragma: no cover - damaged database
            Path(path).unlink()
            raise StateError("the stored entries do not hash to the state hash")
        return digest.hexdigest()

    # ---------------------------------------------------------------- writing

    @_guarded
    def accept_snapshot(
        self, verified: VerifiedSource, *, now: datetime | None = None
    ) -> AcceptResult:
        """Replace a list with a verified snapshot, in one transaction.

        Inside the transaction: a lower version than the accepted one raises
        :class:`~antifraud_common.errors.RollbackError`, the same version with another
        hash :class:`~antifraud_common.errors.ForkError`, the same version and hash
        changes nothing (``action == "unchanged"``). The stored lines are hashed while they are
        written and must match the manifest (:class:`HashMismatchError`).
        """
        manifest = verified.manifest
        if manifest.content is not ContentType.SNAPSHOT:
            raise StateError("not a snapshot manifest", code="not_a_snapshot")
        if manifest.pseudonym is not None:
            # The state holds identifiers; a list of keyed hashes has none to hold.
            raise StateError(
                "a pseudonymised list cannot be loaded into the receiver state; "
                "use exchange.pseudonym.PseudonymIndex",
                code="pseudonymised_list",
            )
        moment = now_utc(now)
        with self._transaction() as conn:
            last = self.get(manifest.issuer, manifest.list_id)
            verdict = snapshot_verdict(manifest, last)
            if verdict.problem is not None:
                raise verdict.problem
            if verdict.unchanged and last is not None:
                return _unchanged(last)
            key = (manifest.issuer, manifest.list_id)
            conn.execute("DELETE FROM entries WHERE issuer=? AND list_id=?", key)
            conn.execute("DELETE FROM chunks WHERE issuer=? AND list_id=?", key)
            sha, count = _load_snapshot(conn, key, verified.open_verified())
            if sha != manifest.sha256 or count != manifest.entry_count:
                raise HashMismatchError("the verified copy does not match its manifest")
            _write_record(conn, manifest, sha, count, moment)
            before = 0 if last is None else last.entry_count
            _write_history(
                conn,
                manifest,
                "snapshot",
                count,
                moment,
                changes=(max(0, count - before), 0, max(0, before - count)),
            )
            if not (self.directory / MARKER_NAME).exists():
                # Before the commit: a state that holds a list always has its marker.
                try:
                    _write_marker(self.directory)
                except OSError as e:
                    raise StateError(
                        f"cannot write the state marker in {self.directory}: {e}"
                    ) from e
            record = self.get(*key) if self._listeners else None
        if self._listeners:
            self._notify(
                StateChange(
                    op="snapshot", issuer=manifest.issuer, list_id=manifest.list_id, record=record
                )
            )
        return AcceptResult(
            issuer=manifest.issuer,
            list_id=manifest.list_id,
            action="snapshot",
            old_version=None if last is None else last.version,
            version=manifest.version,
            state_sha256=sha,
            entry_count=count,
        )

    @_guarded
    def accept_delta(
        self,
        verified: VerifiedSource,
        *,
        now: datetime | None = None,
        scope: EntriesScope | None = None,
        protected: ProtectedMatcher | None = None,
        check_ops: bool = True,
    ) -> AcceptResult:
        """Apply a verified delta to its base, in one transaction.

        First every operation is checked (:func:`~antifraud_common.exchange.delta.check_delta`
        with ``scope`` -- by default the publish rule the delta was verified
        under -- and ``protected``). Then, inside the transaction: the accepted
        version must be the delta's ``base_version`` with state hash
        ``base_sha256`` (else :class:`~antifraud_common.errors.DeltaBaseMismatchError`;
        an older delta version raises :class:`~antifraud_common.errors.RollbackError`;
        the delta's own version already accepted with its result hash is ``unchanged``,
        with another hash a :class:`~antifraud_common.errors.ForkError`). The
        operations are applied strictly, the result is
        hashed from the stored chunks and must equal ``result_sha256`` and
        ``result_count``, else :class:`DeltaMismatchError` and the old state is
        kept.
        """
        manifest = verified.manifest
        if not manifest.is_delta:
            raise StateError("not a delta manifest", code="not_a_delta")
        moment = now_utc(now)
        if check_ops:
            if scope is None:
                rule = getattr(getattr(verified, "verified", None), "rule", None)
                scope = None if rule is None else EntriesScope.from_rule(rule)
            summary = check_delta(
                verified.open_verified(),
                scope=scope,
                protected=protected,
                allow_protected=manifest.allow_protected,
            )
            if summary.sha256 != manifest.sha256:
                raise HashMismatchError("the verified copy does not match its manifest")
        with self._transaction() as conn:
            last = self.get(manifest.issuer, manifest.list_id)
            verdict = delta_verdict(manifest, last)
            if verdict.problem is not None:
                raise verdict.problem
            assert last is not None  # the policy accepts a delta only onto its base
            if verdict.unchanged:
                return _unchanged(last)
            key = (manifest.issuer, manifest.list_id)
            changes = _Changes() if self._listeners else None
            counts, sha, count = _apply_delta(conn, key, verified.open_verified(), changes)
            if sha != manifest.result_sha256 or count != manifest.result_count:
                raise DeltaMismatchError(
                    "applying the delta does not give the signed result "
                    f"({count} entries, state hash {sha[:16]}...); the old state is kept"
                )
            _write_record(conn, manifest, sha, count, moment)
            _write_history(
                conn,
                manifest,
                "delta",
                count,
                moment,
                changes=(counts[OP_ADD], counts[OP_REPLACE], counts[OP_REMOVE]),
            )
            record = self.get(*key) if changes is not None else None
        if changes is not None:
            parse = _EntryParser()
            self._notify(
                StateChange(
                    op="delta",
                    issuer=manifest.issuer,
                    list_id=manifest.list_id,
                    record=record,
                    added=tuple(parse(body) for body in changes.added),
                    removed=tuple(changes.removed),
                )
            )
        return AcceptResult(
            issuer=manifest.issuer,
            list_id=manifest.list_id,
            action="delta",
            old_version=last.version,
            version=manifest.version,
            state_sha256=sha,
            entry_count=count,
            adds=counts[OP_ADD],
            replaces=counts[OP_REPLACE],
            removes=counts[OP_REMOVE],
        )

    def accept(
        self,
        verified: VerifiedSource,
        *,
        now: datetime | None = None,
        protected: ProtectedMatcher | None = None,
    ) -> AcceptResult:
        """Accept a verified snapshot or delta (dispatch on the manifest's content)."""
        if verified.manifest.is_delta:
            return self.accept_delta(verified, now=now, protected=protected)
        return self.accept_snapshot(verified, now=now)

    @_guarded
    def forget(self, issuer: str, list_id: str) -> bool:
        """Remove a list and its entries (e.g. to re-bootstrap from a snapshot)."""
        with self._transaction() as conn:
            key = (issuer, list_id)
            conn.execute("DELETE FROM entries WHERE issuer=? AND list_id=?", key)
            conn.execute("DELETE FROM chunks WHERE issuer=? AND list_id=?", key)
            cur = conn.execute("DELETE FROM lists WHERE issuer=? AND list_id=?", key)
            gone = cur.rowcount > 0
        if gone and self._listeners:
            self._notify(StateChange(op="forget", issuer=issuer, list_id=list_id, record=None))
        return gone


# ------------------------------------------------------------------- internals


def _missing_state(d: Path) -> StateError:
    return StateError(
        f"no receiver state in {d}; `antifraud apply` or `antifraud sync` creates one",
        code="state_missing",
    )


def _lost(d: Path) -> StateError:
    return StateError(
        f"the state in {d} held lists but its database {DB_NAME} is missing, empty or "
        f"without a schema; restore it from a backup, or reset the state deliberately by "
        f"removing {MARKER_NAME} as well (every list is then loaded again from a snapshot)",
        code="state_lost",
    )


def _db_lost(d: Path) -> bool:
    """Whether the marker is there but the database file is missing or zero-length."""
    if not (d / MARKER_NAME).exists():
        return False
    try:
        return (d / DB_NAME).stat().st_size == 0
    except FileNotFoundError:
        return True


def private_state_dir(d: Path, *, advice: str) -> None:
    """Create the directory ``d`` of a receiver's store (mode 0700) if it is missing; refuse
    one that is not a directory, or that other users may access (``state_permissions``,
    the message ending in ``advice``): the receiver state and the reference store alike."""
    made = make_private_dir(d)
    st = d.stat()
    if not stat.S_ISDIR(st.st_mode):
        raise StateError(f"{d} is not a directory", code="state_error")
    if not made and stat.S_IMODE(st.st_mode) & 0o077:
        # Never chmod a directory this call did not create (a shared
        # 1777 directory named by mistake must keep its mode).
        raise StateError(
            f"the state directory {d} is accessible to other users "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); {advice}",
            code="state_permissions",
        )


def _connect_writer(d: Path, busy_timeout: float) -> sqlite3.Connection:
    try:
        private_state_dir(d, advice="use a private directory (chmod 700) or a new path")
        if _db_lost(d):
            raise _lost(d)
        db = d / DB_NAME
        if not os.access(d, os.W_OK) or (db.exists() and not os.access(db, os.W_OK)):
            raise StateError(
                f"the state in {d} is read-only; writers need write access to the "
                f"directory and to {DB_NAME}",
                code="state_read_only",
            )
        with contextlib.suppress(FileExistsError):
            os.close(os.open(db, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return sqlite3.connect(db, timeout=busy_timeout, isolation_level=None)
    except PermissionError as e:
        raise StateError(f"cannot open the state in {d}: {e}", code="state_read_only") from e
    except (OSError, sqlite3.Error) as e:
        raise StateError(f"cannot open the state in {d}: {e}") from e


def _connect_reader(d: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open an existing state without creating or changing anything but SQLite's side files."""
    if not d.is_dir():
        raise _missing_state(d)
    if _db_lost(d):
        raise _lost(d)
    db = d / DB_NAME
    if not db.is_file() or db.stat().st_size == 0:
        raise _missing_state(d)
    writable = os.access(db, os.W_OK) and os.access(d, os.W_OK)
    uri = db.absolute().as_uri() + ("?mode=rw" if writable else "?mode=ro")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            conn.close()
            raise
        return conn
    except sqlite3.Error as e:
        if writable or getattr(e, "sqlite_errorcode", 0) & 0xFF != 14:
            raise _state_error(e, d) from e
    # A read-only directory where SQLite cannot create the shared-memory file
    # of WAL mode: read the database file as immutable, unless a write-ahead
    # log holds changes not yet in it (reading then would answer from an older
    # state).
    wal = d / (DB_NAME + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StateError(
            f"the state in {d} is read-only and has changes only in its write-ahead log; "
            "open it once with write access (any reader does) to fold them in",
            code="state_read_only",
        )
    try:
        conn = sqlite3.connect(
            uri.replace("?mode=ro", "?mode=ro&immutable=1"),
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
        )
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise _state_error(e, d) from e
    return conn


def _write_marker(d: Path) -> None:
    """Write :data:`MARKER_NAME` atomically (temporary file, fsync, rename, directory fsync)."""
    doc = {"format": _MARKER_FORMAT, "format_version": 1, "database": DB_NAME}
    data = (json.dumps(doc, sort_keys=True) + "\n").encode()
    tmp = d / f".{MARKER_NAME}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(d / MARKER_NAME)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    dfd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _export_limits(count: int) -> Limits:
    return attrs.evolve(DEFAULT_LIMITS, max_entries=max(count, DEFAULT_LIMITS.max_entries))


def _unchanged(last: StateRecord) -> AcceptResult:
    return AcceptResult(
        issuer=last.issuer,
        list_id=last.list_id,
        action="unchanged",
        old_version=last.version,
        version=last.version,
        state_sha256=last.state_sha256,
        entry_count=last.entry_count,
    )


def _write_record(
    conn: sqlite3.Connection, manifest: Manifest, sha: str, count: int, moment: datetime
) -> None:
    conn.execute(
        _UPSERT_RECORD,
        (
            manifest.issuer,
            manifest.list_id,
            manifest.list_type,
            manifest.version,
            sha,
            count,
            format_timestamp(manifest.expires),
            canonical.dumps(manifest.to_dict()).decode("utf-8"),
            format_timestamp(moment),
        ),
    )


def _write_history(
    conn: sqlite3.Connection,
    manifest: Manifest,
    op: str,
    count: int,
    moment: datetime,
    *,
    changes: tuple[int, int, int],
) -> None:
    conn.execute(_HISTORY_TABLE)
    conn.execute(
        "INSERT OR REPLACE INTO history VALUES (?,?,?,?,?,?,?,?,?)",
        (
            manifest.issuer,
            manifest.list_id,
            manifest.version,
            op,
            format_timestamp(moment),
            count,
            *changes,
        ),
    )


_BATCH: Final = CHUNK_LINES * 128
# Bytes of a table b-tree cell besides the issuer, list id, first key and
# data: the page's per-cell limit is its usable size minus 35 (SQLite's file
# format, "cell payload overflow"), and the record header and line count take
# at most 17 more.
_CELL_OVERHEAD: Final = 35 + 17
# Room kept for the first key when a chunk is cut (a longer key only makes
# that chunk spill into an overflow page: still correct, one page more).
_KEY_ROOM: Final = 128
_INSERT_CHUNK: Final = (
    "INSERT INTO chunks (issuer, list_id, first_key, line_count, data) VALUES (?,?,?,?,?)"
)


def _room(conn: sqlite3.Connection, issuer: str, list_id: str) -> int:
    """Bytes of first key + data a chunk of this list may hold and stay in one page."""
    page = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return (
        page
        - _CELL_OVERHEAD
        - len(issuer.encode("utf-8", "surrogatepass"))
        - len(list_id.encode("utf-8", "surrogatepass"))
    )


def _load_snapshot(
    conn: sqlite3.Connection, key: tuple[str, str], stream: BinaryIO
) -> tuple[str, int]:
    """Insert every line of a verified snapshot; return ``(sha256, count)`` of what was stored.

    Lines are cut into chunks of at most :data:`CHUNK_LINES` lines whose
    bytes fit in one page (see :func:`_room`).
    """
    issuer, list_id = key
    sha = hashlib.sha256()
    count = 0
    cap = _room(conn, issuer, list_id) - _KEY_ROOM
    batch: list[bytes] = []

    def flush(final: bool) -> None:
        chunks = []
        start = 0
        end = len(batch)
        while start < end:
            stop = start + 1
            size = len(batch[start])
            limit = min(start + CHUNK_LINES, end)
            while stop < limit and size + len(batch[stop]) <= cap:
                size += len(batch[stop])
                stop += 1
            if stop == end and not final and stop - start < CHUNK_LINES:
                break  # cut by the batch, not by its size: continue it with the next lines
            data = b"".join(batch[start:stop])
            sha.update(data)
            chunks.append((issuer, list_id, _key_blob(entry_key(batch[start])), stop - start, data))
            start = stop
        rows = []
        for line in batch[:start]:
            kind, value = entry_key(line)
            rows.append((issuer, list_id, kind.decode(), value.decode("utf-8")))
        conn.executemany("INSERT INTO entries VALUES (?,?,?,?)", rows)
        conn.executemany(_INSERT_CHUNK, chunks)
        del batch[:start]

    limits = attrs.evolve(DEFAULT_LIMITS, max_entries=2**53)
    for _lineno, line in iter_lines(stream, limits=limits):
        batch.append(line + b"\n")
        count += 1
        if len(batch) >= _BATCH:
            flush(final=False)
    flush(final=True)
    return sha.hexdigest(), count


class _Sha256Pipe:
    """SHA-256 computed in a second thread, fed with lists of blobs in order.

    SQLite reads and SHA-256 both release the GIL, so hashing overlaps with
    reading (and merging) the next rows. Use as a context manager; the
    digest is available after a clean exit.
    """

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._pending: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=8)
        self._worker = threading.Thread(target=self._run, name="state-hash", daemon=True)

    def _run(self) -> None:
        update = self._sha.update
        while (blobs := self._pending.get()) is not None:
            for blob in blobs:
                update(blob)

    def __enter__(self) -> _Sha256Pipe:
        self._worker.start()
        return self

    def feed(self, blobs: list[bytes]) -> None:
        """Queue ``blobs`` (hashed after everything queued before)."""
        self._pending.put(blobs)

    def __exit__(self, *exc: object) -> None:
        self._pending.put(None)
        self._worker.join()

    def hexdigest(self) -> str:
        """The digest of everything fed (after the context exited)."""
        return self._sha.hexdigest()


def _check_rows(rows: Sequence[Sequence[object]], data: int) -> None:
    """Refuse chunk rows whose bytes or line count are not of their type (a damaged state)."""
    for row in rows:
        if type(row[data]) is not bytes or type(row[data - 1 if data else 1]) is not int:
            raise StateError("a stored chunk is damaged", code="state_damaged")


def _hash_chunks(conn: sqlite3.Connection, issuer: str, list_id: str) -> tuple[str, int]:
    """SHA-256 and line count of a list's snapshot bytes, from its chunks in key order."""
    count = 0
    with _Sha256Pipe() as pipe:
        cur = conn.execute(
            "SELECT line_count, data FROM chunks WHERE issuer=? AND list_id=? ORDER BY first_key",
            (issuer, list_id),
        )
        while rows := cur.fetchmany(512):
            _check_rows(rows, 1)
            count += sum([n for n, _ in rows])
            pipe.feed([b"".join([d for _, d in rows])])  # one GIL hand-over per batch
    return pipe.hexdigest(), count


Op = tuple[str, Key, bytes | None, int]


@attrs.define
class _Changes:
    """What a delta changed, collected only when listeners want it."""

    added: list[bytes] = attrs.Factory(list)
    removed: list[tuple[str, str]] = attrs.Factory(list)


#: The key of a stored line (the layout module's reader; the name the chunk code uses).
_line_key: Final = stored_line_key


def _missing(op: str, k: Key, lineno: int) -> DeltaMismatchError:
    return DeltaMismatchError(
        f"{op} of a key the state does not have ({shown_key(k)})",
        code="delta_key_missing",
        line=lineno,
    )


def _rewrite_in_chunk(data: bytes, ops: list[Op]) -> bytes | None:
    """Apply replacements and removals to one chunk by byte search; ``None`` if not possible.

    Each key's line is found by :func:`~antifraud_common.exchange.layout.find_line`.
    Additions, and values that canonical JSON escapes, take the general path.
    """
    pieces: list[bytes] = []
    pos = 0
    for op, k, body, lineno in ops:
        if op == OP_ADD or needs_escape(k[1]):
            return None
        found = find_line(data, k, pos)
        if found is None:
            raise _missing(op, k, lineno)
        start, end = found
        pieces.append(data[pos:start])
        if body is not None:
            pieces.append(body + b"\n")
        pos = end
    pieces.append(data[pos:])
    return b"".join(pieces)


#: Room for first key + data of a chunk in a 4096-byte page, for a short issuer and list id.
_DEFAULT_ROOM: Final = 4096 - _CELL_OVERHEAD - 16


def _split(lines: list[bytes], room: int) -> list[list[bytes]]:
    """Cut ``lines`` into runs of at most :data:`CHUNK_LINES` lines that fit ``room``.

    Halves recursively, so a chunk that outgrew its page becomes two (or a
    few) chunks of about equal size; a single line longer than a page stays
    alone (stored with an overflow page).
    """
    if len(lines) <= 1 or (len(lines) <= CHUNK_LINES and sum(map(len, lines)) <= room - _KEY_ROOM):
        return [lines]
    mid = len(lines) // 2
    return _split(lines[:mid], room) + _split(lines[mid:], room)


def _pieces(
    data: bytes, room: int, lines: list[bytes] | None = None
) -> list[tuple[bytes, int, bytes]]:
    """The chunks ``(first_key, line_count, data)`` of a merged run of lines.

    ``data`` is the run's bytes; ``lines`` the same bytes cut into lines when
    the caller has them (they are cut here only if the run must be split).
    """
    if not data:
        return []
    n = data.count(b"\n") if lines is None else len(lines)
    if n <= 2 * CHUNK_LINES:
        first = _key_blob(_line_key(data[: data.index(b"\n") + 1]))
        if len(first) + len(data) <= room:
            return [(first, n, data)]
    if lines is None:
        lines = data.splitlines(keepends=True)
    return [(_key_blob(_line_key(run[0])), len(run), b"".join(run)) for run in _split(lines, room)]


def _merge_chunk(
    data: bytes, ops: list[Op], room: int = _DEFAULT_ROOM
) -> list[tuple[bytes, int, bytes]]:
    """Merge sorted ``ops`` into one chunk's bytes; return the replacement chunks.

    Replacements and removals alone are applied by byte search
    (:func:`_rewrite_in_chunk`). Otherwise each operation is placed by binary
    search over the chunk's lines, taking the key of only the few lines probed.
    The result stays one chunk while it has at most twice :data:`CHUNK_LINES`
    lines and its first key and bytes fit ``room`` (one page), else it is
    split (:func:`_split`).
    """
    merged = _rewrite_in_chunk(data, ops)
    if merged is not None:
        return _pieces(merged, room)
    lines = data.splitlines(keepends=True)
    end = len(lines)
    out: list[bytes] = []
    pos = 0
    for op, k, body, lineno in ops:
        lo = bisect.bisect_left(lines, k, lo=pos, key=_line_key)
        out.extend(lines[pos:lo])
        exists = lo < end and _line_key(lines[lo]) == k
        if op == OP_ADD and exists:
            raise DeltaMismatchError(
                f"add of a key the state already has ({shown_key(k)})",
                code="delta_add_existing",
                line=lineno,
            )
        if op != OP_ADD and not exists:
            raise _missing(op, k, lineno)
        pos = lo + 1 if exists else lo
        if body is not None:
            out.append(body + b"\n")
    out.extend(lines[pos:])
    return _pieces(b"".join(out), room, out)


_SCAN_BATCH: Final = 512
_SCAN_SQL: Final = (
    "SELECT first_key, line_count, data, id FROM chunks WHERE issuer=? AND list_id=? "
    "AND first_key>=? ORDER BY first_key LIMIT ?"
)


def _apply_delta(
    conn: sqlite3.Connection,
    key: tuple[str, str],
    stream: BinaryIO,
    changes: _Changes | None = None,
) -> tuple[dict[str, int], str, int]:
    """Apply the sorted operations of a (checked) delta; return ``(counts, sha256, count)``.

    One pass over the list's chunks in key order: untouched chunks are hashed
    as read; a touched chunk is merged with its operations (placed by binary
    search over its lines), hashed, and rewritten in its own row (one page),
    split when it outgrew the page. The digest is therefore the SHA-256 of
    the resulting snapshot file, each stored byte read once. Chunks are read
    in batches, each batch's statement finished before its rewrites (every
    rewritten key is below the next batch's first key); the operations are
    parsed as the batches reach them, and each batch is handed to the hashing
    thread as one blob. The entries table gets one insert or delete per
    addition or removal, batch by batch, while the hash runs.
    """
    issuer, list_id = key
    counts = {OP_ADD: 0, OP_REPLACE: 0, OP_REMOVE: 0}
    adds: list[tuple[str, str, str, str]] = []
    removes: list[tuple[str, str, str, str]] = []
    ops: list[Op] = []
    blobs: list[bytes] = []
    parsed = iter_ops(stream, limits=op_limits(DEFAULT_LIMITS))
    exhausted = False

    def pull(upto: bytes | None) -> None:
        # Parse operations until one at or above ``upto`` (all of them for
        # None): the scan starts, and hashing with it, after the first few.
        nonlocal exhausted
        while not exhausted and (upto is None or not blobs or blobs[-1] < upto):
            got = next(parsed, None)
            if got is None:
                exhausted = True
                return
            op, k, body, _lineno = got
            counts[op] += 1
            if changes is not None:
                if body is None:
                    changes.removed.append((k[0].decode(), k[1].decode("utf-8")))
                else:
                    changes.added.append(body)
            ops.append(got)
            blobs.append(_key_blob(k))

    count = 0
    done = 0  # operations placed so far
    start = b""
    scanned = False
    room = _room(conn, issuer, list_id)
    with _Sha256Pipe() as pipe:
        while True:
            rows = conn.execute(_SCAN_SQL, (issuer, list_id, start, _SCAN_BATCH + 1)).fetchall()
            _check_rows(rows, 2)
            more = len(rows) > _SCAN_BATCH
            if more:
                start = rows.pop()[0]
            if not rows and not scanned:
                rows = [(b"", 0, b"", None)]  # an empty list: the operations make its first chunk
            scanned = True
            pull(start if more else None)
            out: list[bytes] = []
            gone: list[tuple[int]] = []
            new: list[tuple[str, str, bytes, int, bytes]] = []
            kept: list[tuple[int, bytes, int]] = []
            moved: list[tuple[bytes, int, bytes, int]] = []
            last = len(rows) - 1
            # The operations of this batch (below the next batch's first key),
            # grouped by chunk: chunk i covers [its first key, the next one);
            # keys below the list's first chunk belong to that chunk.
            stop = bisect.bisect_left(blobs, start, lo=done) if more else len(ops)
            firsts = [r[0] for r in rows]
            prev = 0
            placed = done
            while done < stop:
                i = max(bisect.bisect_right(firsts, blobs[done]) - 1, 0)
                end = bisect.bisect_left(blobs, firsts[i + 1], done, stop) if i < last else stop
                untouched = rows[prev:i]
                out.extend([r[2] for r in untouched])
                count += sum([r[1] for r in untouched])
                prev = i + 1
                first, _n, data, rowid = rows[i]
                pieces = _merge_chunk(data, ops[done:end], room)
                done = end
                if rowid is not None:
                    count += _take_over_row(rowid, first, pieces, gone, kept, moved, out)
                for fk, m, blob in pieces:
                    new.append((issuer, list_id, fk, m, blob))
                    out.append(blob)
                    count += m
            untouched = rows[prev:]
            out.extend([r[2] for r in untouched])
            count += sum([r[1] for r in untouched])
            # One blob per batch: the hashing thread takes the GIL once per
            # batch, not once per chunk.
            pipe.feed([b"".join(out)])
            _store_chunks(conn, gone, kept, moved, new)
            # The keys of the operations placed, while the hashing thread works.
            _placed_keys(key, ops[placed:done], adds, removes)
            _write_keys(conn, adds, removes)
            if not more:
                break
    if done != len(ops):  # pragma: no cover - every operation falls in some chunk
        raise StateError("a delta operation was not placed", code="state_inconsistent")
    return counts, pipe.hexdigest(), count


def _take_over_row(  # noqa: PLR0917 - the batch's lists, filled in place
    rowid: int,
    first: bytes,
    pieces: list[tuple[bytes, int, bytes]],
    gone: list[tuple[int]],
    kept: list[tuple[int, bytes, int]],
    moved: list[tuple[bytes, int, bytes, int]],
    out: list[bytes],
) -> int:
    """The first piece of a merged chunk takes over its row (its page); its line count.

    Under its new first key if that changed; the row is deleted when the chunk
    merged into nothing.
    """
    if not pieces:
        gone.append((rowid,))
        return 0
    fk, m, blob = pieces.pop(0)
    if fk == first:
        kept.append((m, blob, rowid))
    else:
        moved.append((fk, m, blob, rowid))
    out.append(blob)
    return m


def _store_chunks(
    conn: sqlite3.Connection,
    gone: list[tuple[int]],
    kept: list[tuple[int, bytes, int]],
    moved: list[tuple[bytes, int, bytes, int]],
    new: list[tuple[str, str, bytes, int, bytes]],
) -> None:
    """Write one batch's chunk changes (:func:`_apply_delta`)."""
    # Statements in this order keep first keys unique at every step: a
    # moved first key stays inside its chunk's range, and a split-off
    # chunk may start at the key its chunk started at before.
    if gone:
        conn.executemany("DELETE FROM chunks WHERE id=?", gone)
    if kept:
        conn.executemany("UPDATE chunks SET line_count=?, data=? WHERE id=?", kept)
    if moved:
        conn.executemany("UPDATE chunks SET first_key=?, line_count=?, data=? WHERE id=?", moved)
    if new:
        conn.executemany(_INSERT_CHUNK, new)


def _placed_keys(
    key: tuple[str, str],
    placed: list[Op],
    adds: list[tuple[str, str, str, str]],
    removes: list[tuple[str, str, str, str]],
) -> None:
    """The entries-table rows of operations placed: a replacement keeps its key."""
    issuer, list_id = key
    for op, k, _body, _lineno in placed:
        if op != OP_REPLACE:
            row = (issuer, list_id, k[0].decode(), k[1].decode("utf-8"))
            (adds if op == OP_ADD else removes).append(row)


def _write_keys(
    conn: sqlite3.Connection,
    adds: list[tuple[str, str, str, str]],
    removes: list[tuple[str, str, str, str]],
) -> None:
    """Insert ``adds`` into and delete ``removes`` from ``entries``; empty both lists."""
    if adds:
        try:
            conn.executemany("INSERT INTO entries VALUES (?,?,?,?)", adds)
        except sqlite3.IntegrityError as e:  # pragma: no cover - caught by the chunk merge first
            raise StateError(
                "the entries and chunks tables disagree", code="state_inconsistent"
            ) from e
        adds.clear()
    if removes:
        cur = conn.executemany(
            "DELETE FROM entries WHERE issuer=? AND list_id=? AND kind=? AND value=?", removes
        )
        if cur.rowcount != len(removes):  # pragma: no cover - tables disagree
            raise StateError("the entries and chunks tables disagree", code="state_inconsistent")
        removes.clear()


def _find_line(conn: sqlite3.Connection, issuer: str, list_id: str, key: Key) -> bytes | None:
    """The stored line (with LF) of ``key`` in one list, or ``None``: one chunk seek."""
    row = conn.execute(
        "SELECT data FROM chunks WHERE issuer=? AND list_id=? AND first_key<=? "
        "ORDER BY first_key DESC LIMIT 1",
        (issuer, list_id, _key_blob(key)),
    ).fetchone()
    if row is None:
        return None
    lines = bytes(row[0]).splitlines(keepends=True)
    i = bisect.bisect_left(lines, key, key=_line_key)
    return lines[i] if i < len(lines) and _line_key(lines[i]) == key else None


class _EntryParser:
    """Builds entries from stored (already verified) canonical lines."""

    def __call__(self, line: bytes) -> Entry:
        return next(self.many(iter((line,))))

    def many(self, lines: Iterator[bytes]) -> Iterator[Entry]:
        """The entries of many stored lines, in one loop (a whole list's chunks)."""
        entries = verified_entries(lines)
        while True:
            try:
                entry = next(entries)
            except StopIteration:
                return
            except NaiveDatetimeError as e:  # a StateError too, but from the line itself
                raise StateError("a stored entry is damaged", code="state_damaged") from e
            except StateError:
                raise  # the chunks themselves (iter_lines), already said
            except (ValueError, KeyError, TypeError, AntifraudError) as e:
                raise StateError("a stored entry is damaged", code="state_damaged") from e
            yield entry
