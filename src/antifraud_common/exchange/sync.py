"""Bring a receiver state up to date from a drop folder of signed snapshots and deltas.

A publisher (or a courier, a USB stick, an SFTP mirror) leaves pairs of files
in a folder: ``NAME.jsonl`` with ``NAME.jsonl.sig`` (see ``docs/spec/format.md``
and ``docs/spec/deltas.md``). :func:`sync` verifies each signature file
first -- nothing inside a manifest is read before its signatures verify --
orders the lists by ``(issuer, list_id, version)`` and applies every version
newer than the receiver's, snapshots and deltas alike, each fully verified and
accepted in its own transaction (:class:`~antifraud_common.exchange.state.ReceiverState`).

A bad file (bad signature, expired, a gap, a divergent delta, a fork, a name
that cannot be opened, a FIFO or device in place of a file, a full disk ...) is
reported with its typed error code and skipped; what was applied before it
stays applied, and a later snapshot in the folder can still repair a gap.
Files older than the accepted version are skipped quietly (``old``); a file
with the accepted version but other content is reported as a fork, and one
reported ``unchanged`` has had its bytes checked against its signature file.
Paths in the report show undecodable bytes of a file name as ``\\xNN``. The
clock is read once per sync.

>>> import tempfile
>>> from antifraud_common.exchange.state import ReceiverState
>>> from antifraud_common.exchange.trust import create_trust_bundle
>>> from antifraud_common.format.keys import LocalSigner
>>> trust = create_trust_bundle(bundle_id="t", root_keys=[LocalSigner.generate().public_key],
...                             root_threshold=1)
>>> with ReceiverState.open(tempfile.mkdtemp()) as state:
...     sync(tempfile.mkdtemp(), state, trust).to_dict()["ok"]
True
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import attrs

from antifraud_common._clock import now_utc
from antifraud_common._files import file_error, open_input, printable_name
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ForkError,
    HashMismatchError,
    RollbackError,
)
from antifraud_common.exchange.entries import ProtectedMatcher
from antifraud_common.exchange.policy import (
    AcceptedRecord,
    StateVerdict,
    delta_verdict,
    snapshot_verdict,
)
from antifraud_common.exchange.reference import REFERENCE_TYPES, ReferenceStore
from antifraud_common.exchange.signing import (
    MAX_SIGNATURE_FILE_BYTES,
    verify_list,
    verify_manifest,
)
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.exchange.trust import TrustBundle
from antifraud_common.models import Manifest

__all__ = ["SyncItem", "SyncReport", "sync"]

_CHUNK = 1 << 20

#: Outcomes of one file: applied as a snapshot or delta, already held, older
#: than the accepted version, or refused (``error`` holds the typed error).
OUTCOMES = ("snapshot", "delta", "unchanged", "old", "error")


@attrs.frozen(kw_only=True)
class SyncItem:
    """What happened to one file of the drop folder."""

    path: str
    outcome: str
    issuer: str | None = None
    list_id: str | None = None
    version: int | None = None
    content: str | None = None
    state_sha256: str | None = None
    error: AntifraudError | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI."""
        out: dict[str, object] = {"path": self.path, "outcome": self.outcome}
        for name in ("issuer", "list_id", "version", "content", "state_sha256"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.error is not None:
            out["error"] = self.error.to_dict()
        return out


@attrs.frozen(kw_only=True)
class SyncReport:
    """Every file considered, in the order handled."""

    items: tuple[SyncItem, ...]
    checked_at: datetime

    @property
    def ok(self) -> bool:
        """Whether no file was refused."""
        return not self.errors

    @property
    def applied(self) -> tuple[SyncItem, ...]:
        """Files that changed the state."""
        return tuple(i for i in self.items if i.outcome in ("snapshot", "delta"))

    @property
    def errors(self) -> tuple[SyncItem, ...]:
        """Files that were refused."""
        return tuple(i for i in self.items if i.outcome == "error")

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI."""
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "applied": len(self.applied),
            "errors": len(self.errors),
            "items": [i.to_dict() for i in self.items],
        }


def _refused(path: Path, error: AntifraudError) -> SyncItem:
    """The item of a file refused before its manifest was read."""
    return SyncItem(path=_display(path), outcome="error", error=error)


def _unreadable(path: Path, e: OSError) -> SyncItem:
    return _refused(path, file_error(e, path))


def _display(path: Path) -> str:
    # A report is printed and serialised as JSON: undecodable bytes of a file
    # name (POSIX names are bytes) are shown as \xNN, so the text is valid UTF-8.
    return printable_name(path)


def _list_regular(folder: Path) -> tuple[set[str], list[SyncItem]]:
    names: set[str] = set()
    problems: list[SyncItem] = []
    with os.scandir(folder) as it:
        for entry in it:
            try:
                # d_type when the file system gives it; a stat of the entry otherwise.
                if entry.is_file():
                    names.add(entry.name)
            except OSError as e:
                problems.append(_unreadable(folder / entry.name, e))
    return names, problems


def _find_pairs(folder: Path) -> tuple[list[tuple[Path, Path]], list[SyncItem]]:
    pairs: list[tuple[Path, Path]] = []
    names, problems = _list_regular(folder)
    for name in sorted(names):
        if name.endswith(".jsonl"):
            if f"{name}.sig" in names:
                pairs.append((folder / name, folder / f"{name}.sig"))
            else:
                missing = BlacklistFormatError(
                    "no signature file NAME.jsonl.sig beside it", code="missing_signature"
                )
                problems.append(_refused(folder / name, missing))
        elif name.endswith(".jsonl.sig") and name[: -len(".sig")] not in names:
            missing = BlacklistFormatError(
                "no entries file beside this signature file", code="missing_entries"
            )
            problems.append(_refused(folder / name, missing))
    return pairs, problems


def _read_sig(path: Path) -> bytes:
    try:
        with open_input(path) as f:
            data = f.read(MAX_SIGNATURE_FILE_BYTES + 1)
    except OSError as e:
        raise BlacklistFormatError(
            f"cannot read {printable_name(path.name)}: {e.strerror}", code="sig_unreadable"
        ) from e
    if len(data) > MAX_SIGNATURE_FILE_BYTES:
        raise BlacklistFormatError("signature file too large", code="sig_too_large")
    return data


def _same_bytes(path: Path, m: Manifest) -> None:
    """Check that ``path`` holds exactly the bytes ``m`` signs (length, then SHA-256)."""
    h = hashlib.sha256()
    size = 0
    try:
        with open_input(path, buffering=0) as f:
            while chunk := f.read(min(_CHUNK, m.byte_length + 1 - size)):
                h.update(chunk)
                size += len(chunk)
                if size > m.byte_length:
                    break
    except OSError as e:
        raise file_error(e, path) from e
    if size != m.byte_length:
        raise HashMismatchError(
            "the entries file is not the length its signature file states",
            code="length_mismatch",
        )
    if h.hexdigest() != m.sha256:
        raise HashMismatchError("the entries file does not match its signature file")


def _item(path: Path, m: Manifest, outcome: str, **kw: object) -> SyncItem:
    return SyncItem(
        path=_display(path),
        outcome=outcome,
        issuer=m.issuer,
        list_id=m.list_id,
        version=m.version,
        content=m.content.value,
        **kw,  # type: ignore[arg-type]
    )


def sync(
    folder: str | os.PathLike[str],
    state: ReceiverState,
    trust: TrustBundle,
    *,
    now: datetime | None = None,
    grace: timedelta | None = None,
    protected: ProtectedMatcher | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Apply every new snapshot and delta in ``folder`` to ``state``, in version order.

    ``progress(files_done, files_total)`` is called as each signed file is handled.

    Never raises for a bad file: each refusal is an ``error`` item with its
    typed error (``signature_invalid``, ``expired``, ``delta_base_mismatch``,
    ``delta_result_mismatch``, ``fork``, ``hash_mismatch`` ...). Raises only
    when the folder cannot be listed or the state is unusable
    (:class:`~antifraud_common.errors.StateError`).
    """
    moment = now_utc(now)
    pairs, items = _find_pairs(Path(folder))
    found: list[tuple[tuple[str, str, int, int, str], Path, Path, Manifest]] = []
    for entries, sig in pairs:
        try:
            vm = verify_manifest(_read_sig(sig), trust=trust, now=moment, grace=grace)
        except AntifraudError as e:
            items.append(_refused(entries, e))
            continue
        m = vm.manifest
        # Per version, a delta first (cheap); the snapshot then is unchanged,
        # or repairs the state if the delta did not apply.
        found.append(
            (
                (m.issuer, m.list_id, m.version, 1 if m.is_delta else 2, entries.name),
                entries,
                sig,
                m,
            )
        )
    found.sort(key=lambda f: f[0])
    check = _Check(trust=trust, moment=moment, grace=grace, protected=protected)
    store: ReferenceStore | None = None
    try:
        for done, (_key, entries, sig, m) in enumerate(found):
            if progress is not None:
                progress(done, len(found))
            if m.list_type in REFERENCE_TYPES:
                # A number plan, DNO or presenters list: kept beside the state, never in it.
                store = store or ReferenceStore.open(state.directory)
                items.append(_reference_item(store, entries, sig, m, check))
            else:
                items.append(_list_item(state, entries, sig, m, check))
    finally:
        if store is not None:
            store.close()
    if progress is not None:
        progress(len(found), len(found))
    return SyncReport(items=tuple(items), checked_at=moment)


def _state_verdict(m: Manifest, last: AcceptedRecord | None) -> StateVerdict:
    """The policy's verdict on ``m`` against what is held: a rollback is skipped as
    ``old``, a fork is an error, the held version itself is ``unchanged``."""
    return delta_verdict(m, last) if m.is_delta else snapshot_verdict(m, last)


@attrs.frozen(kw_only=True)
class _Check:
    """What every file of one sync is verified with (the clock read once)."""

    trust: TrustBundle
    moment: datetime
    grace: timedelta | None
    protected: ProtectedMatcher | None


def _reference_item(
    store: ReferenceStore, entries: Path, sig: Path, m: Manifest, check: _Check
) -> SyncItem:
    if isinstance(_state_verdict(m, store.get(m.issuer, m.list_id)).problem, RollbackError):
        return _item(entries, m, "old")
    try:
        verified, action = store.apply(
            entries,
            sig,
            trust=check.trust,
            list_type=m.list_type,
            now=check.moment,
            grace=check.grace,
            protected=check.protected,
        )
    except AntifraudError as e:
        return _item(entries, m, "error", error=e)
    except OSError as e:
        return _item(entries, m, "error", error=file_error(e, entries))
    return _item(entries, m, action, state_sha256=verified.state_sha256)


def _list_item(
    state: ReceiverState, entries: Path, sig: Path, m: Manifest, check: _Check
) -> SyncItem:
    """Verify and accept one blacklist file of the folder (or say why not)."""
    last = state.get(m.issuer, m.list_id)
    verdict = _state_verdict(m, last)
    if isinstance(verdict.problem, RollbackError):
        return _item(entries, m, "old")
    if isinstance(verdict.problem, ForkError):
        return _item(entries, m, "error", error=verdict.problem)
    if verdict.unchanged and last is not None:
        # A copy of an accepted signature file proves nothing about the
        # bytes beside it: they must be the signed ones.
        try:
            _same_bytes(entries, m)
        except AntifraudError as e:
            return _item(entries, m, "error", error=e)
        return _item(entries, m, "unchanged", state_sha256=last.state_sha256)
    try:
        with verify_list(
            entries,
            sig,
            trust=check.trust,
            state=state,
            now=check.moment,
            grace=check.grace,
            protected=check.protected,
            tmp_dir=state.directory,
        ) as verified:
            if verified.manifest != m:
                raise BlacklistFormatError(
                    "the signature file changed during the sync", code="sig_changed"
                )
            accepted = state.accept(verified, now=check.moment, protected=check.protected)
    except AntifraudError as e:
        return _item(entries, m, "error", error=e)
    except OSError as e:
        # Disk full while copying, a file swapped or removed: this file only.
        return _item(entries, m, "error", error=file_error(e, entries))
    return _item(entries, m, accepted.action, state_sha256=accepted.state_sha256)
