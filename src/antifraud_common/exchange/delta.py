"""Delta files: the changes from one list snapshot to the next, by value.

A delta (``NAME.delta.jsonl``, see ``docs/spec/deltas.md``) follows the entries
file rules of :mod:`antifraud_common.format.jsonl` (UTF-8, LF, no BOM, every
line ends with LF, empty delta = empty file). Each line is the RFC 8785
canonical JSON of one operation, ordered strictly by the identifier key
``(kind, value)`` compared as UTF-8 bytes, one operation per key:

* ``{"entry": {...}, "op": "add"}`` -- the key must not exist in the base;
* ``{"entry": {...}, "op": "replace"}`` -- the key must exist (fields change);
* ``{"kind": "...", "op": "remove", "value": "..."}`` -- the key must exist.

Like a delta CRL (RFC 5280 §5.2.4) a delta names its base: its signed manifest
carries ``base_version`` and ``base_sha256`` (the state hash of the base
snapshot file). Like Safe Browsing's update check, the receiver hashes the
resulting snapshot and refuses the delta unless it equals ``result_sha256``.
Deltas are computed from two full snapshots (:func:`make_delta`), never from
"events since the last run", so a late fact cannot be silently dropped.

:func:`make_delta` and :func:`apply_delta` are one streaming merge pass each
over sorted files, in constant memory. :func:`check_delta` verifies a delta
file's lines (for signature verification); :func:`sign_delta` builds and signs
the delta manifest.

>>> import tempfile, pathlib
>>> from datetime import datetime, UTC
>>> from antifraud_common.models import Entry
>>> from antifraud_common.exchange.entries import write_entries
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> def entry(number, case="A-1"):
...     return Entry.from_raw(kind="phone", value=number, reason="telecom_fraud",
...                           action="block", source="mps", case_ref=case,
...                           confidence=90, tlp="amber", listed_at=t, valid_from=t)
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_entries(d / "v1.jsonl", [entry("13800138000"), entry("13900139000")])
>>> _ = write_entries(d / "v2.jsonl", [entry("13800138000", "A-2"), entry("13700137000")])
>>> info = make_delta(d / "v1.jsonl", d / "v2.jsonl", d / "v2.delta.jsonl")
>>> (info.adds, info.replaces, info.removes, info.result_count)
(1, 1, 1, 2)
>>> [op for op, _key in iter_delta_ops(d / "v2.delta.jsonl")]
['add', 'replace', 'remove']
>>> apply_delta(d / "v1.jsonl", d / "v2.delta.jsonl", d / "out.jsonl") == info.result_sha256
True
>>> (d / "out.jsonl").read_bytes() == (d / "v2.jsonl").read_bytes()
True
"""

from __future__ import annotations

import array
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import BinaryIO, Final

import attrs

from antifraud_common._files import open_input
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    DeltaMismatchError,
    ScopeError,
    ValidationError,
)
from antifraud_common.exchange.entries import (
    NO_PROTECTED,
    EntriesScope,
    EntriesSummary,
    ProblemCollector,
    ProtectedMatcher,
    check_entries,
)
from antifraud_common.exchange.layout import Key, entry_error_code, entry_key, plan_hint
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import DEFAULT_LIMITS, Limits, StreamDigest, iter_lines
from antifraud_common.format.jsonl import write_lines as _write_lines
from antifraud_common.format.keys import Signer
from antifraud_common.models import (
    ContentType,
    IdentifierKind,
    Manifest,
    canonical_value,
    mask_value,
)

__all__ = [
    "OP_ADD",
    "OP_REMOVE",
    "OP_REPLACE",
    "DeltaInfo",
    "apply_delta",
    "check_delta",
    "delta_manifest",
    "entry_key",
    "iter_delta_ops",
    "make_delta",
    "op_line",
    "remove_line",
    "sign_delta",
]

OP_ADD: Final = "add"
OP_REPLACE: Final = "replace"
OP_REMOVE: Final = "remove"

_ENTRY_PREFIX: Final = b'{"entry":'
_ADD_SUFFIX: Final = b',"op":"add"}'
_REPLACE_SUFFIX: Final = b',"op":"replace"}'
_REMOVE_PREFIX: Final = b'{"kind":"'
_KINDS: Final = frozenset(k.value.encode() for k in IdentifierKind)
_FAST_REMOVE: Final = re.compile(
    rb'\{"kind":"('
    + b"|".join(re.escape(k.value.encode()) for k in IdentifierKind)
    + rb')","op":"remove","value":"([^"\\\x00-\x1f]+)"\}'
)

# ------------------------------------------------------------------ op lines


def op_line(op: str, entry_line: bytes) -> bytes:
    """Return the delta line (without LF) for ``add``/``replace`` of a canonical entry line.

    >>> op_line("add", b'{"kind":"imei","value":"1"}\\n')
    b'{"entry":{"kind":"imei","value":"1"},"op":"add"}'
    """
    if entry_line.endswith(b"\n"):
        entry_line = entry_line[:-1]
    if op == OP_ADD:
        return _ENTRY_PREFIX + entry_line + _ADD_SUFFIX
    if op == OP_REPLACE:
        return _ENTRY_PREFIX + entry_line + _REPLACE_SUFFIX
    raise ValueError(f"op must be add or replace, not {op!r}")


def remove_line(kind: bytes | str, value: bytes | str) -> bytes:
    """Return the canonical ``remove`` line (without LF) for a key.

    >>> remove_line("phone", "+8613800138000")
    b'{"kind":"phone","op":"remove","value":"+8613800138000"}'
    """
    k = kind.decode("utf-8") if isinstance(kind, bytes) else kind
    v = value.decode("utf-8") if isinstance(value, bytes) else value
    return canonical.dumps({"kind": k, "op": OP_REMOVE, "value": v})


def _parse_op(line: bytes, lineno: int) -> tuple[str, Key, bytes | None]:
    """Split a delta line into ``(op, key, entry_line_or_None)`` (framing only)."""
    if line.startswith(_ENTRY_PREFIX):
        if line.endswith(_ADD_SUFFIX):
            op, body = OP_ADD, line[len(_ENTRY_PREFIX) : -len(_ADD_SUFFIX)]
        elif line.endswith(_REPLACE_SUFFIX):
            op, body = OP_REPLACE, line[len(_ENTRY_PREFIX) : -len(_REPLACE_SUFFIX)]
        else:
            raise BlacklistFormatError(
                "a delta line is an add, replace or remove operation",
                code="bad_delta_op",
                line=lineno,
            )
        return op, entry_key(body, lineno), body
    if line.startswith(_REMOVE_PREFIX):
        m = _FAST_REMOVE.fullmatch(line)
        if m is not None:  # canonical as it stands: no escapes, no control characters
            return OP_REMOVE, (m[1], m[2]), None
        try:
            obj = canonical.check_canonical(line, max_depth=1)
        except BlacklistFormatError as e:
            raise BlacklistFormatError(
                f"not a canonical remove operation: {e.message}",
                code="not_canonical" if e.code == "json_not_canonical" else "bad_line",
                line=lineno,
            ) from e
        if (
            not isinstance(obj, dict)
            or set(obj) != {"kind", "op", "value"}
            or obj["op"] != OP_REMOVE
            or not isinstance(obj["kind"], str)
            or not isinstance(obj["value"], str)
        ):
            raise BlacklistFormatError(
                "a remove operation is {kind, op: remove, value}", code="bad_delta_op", line=lineno
            )
        kind = obj["kind"].encode()
        if kind not in _KINDS:
            raise BlacklistFormatError("unknown identifier kind", code="bad_delta_op", line=lineno)
        return OP_REMOVE, (kind, obj["value"].encode("utf-8")), None
    raise BlacklistFormatError(
        "a delta line is an add, replace or remove operation", code="bad_delta_op", line=lineno
    )


def iter_delta_ops(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    limits: Limits = DEFAULT_LIMITS,
    digest: StreamDigest | None = None,
) -> Iterator[tuple[str, Key]]:
    """Yield ``(op, key)`` per delta line, checking the framing and the strict key order.

    Raises :class:`~antifraud_common.errors.BlacklistFormatError` (``bad_delta_op``,
    ``not_sorted``, ``duplicate_key`` ...) naming the line. Entries are not
    validated here (see :func:`check_delta`).
    """
    for op, key, _body, _lineno in iter_ops(source, limits=limits, digest=digest):
        yield op, key


def iter_ops(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    limits: Limits = DEFAULT_LIMITS,
    digest: StreamDigest | None = None,
) -> Iterator[tuple[str, Key, bytes | None, int]]:
    prev: Key | None = None
    for lineno, line in iter_lines(source, limits=limits, digest=digest):
        op, key, body = _parse_op(line, lineno)
        _check_order(prev, key, lineno)
        prev = key
        yield op, key, body, lineno


def _check_order(prev: Key | None, key: Key, lineno: int) -> None:
    if prev is not None and key <= prev:
        dup = key == prev
        raise BlacklistFormatError(
            "two lines for the same identifier key" if dup else "lines not sorted by (kind, value)",
            code="duplicate_key" if dup else "not_sorted",
            line=lineno,
        )


def _iter_entries_keyed(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    limits: Limits = DEFAULT_LIMITS,
    digest: StreamDigest | None = None,
) -> Iterator[tuple[Key, bytes, int]]:
    prev: Key | None = None
    for lineno, line in iter_lines(source, limits=limits, digest=digest):
        key = entry_key(line, lineno)
        _check_order(prev, key, lineno)
        prev = key
        yield key, line, lineno


# ----------------------------------------------------------------- make/apply


@attrs.frozen(kw_only=True)
class DeltaInfo:
    """What :func:`make_delta` wrote: operation counts and the three hashes."""

    adds: int
    replaces: int
    removes: int
    #: Bytes and SHA-256 of the delta file itself.
    byte_length: int
    sha256: str
    #: State hash and entry count of the base snapshot.
    base_sha256: str
    base_count: int
    #: State hash and entry count of the snapshot the delta produces.
    result_sha256: str
    result_count: int

    @property
    def op_count(self) -> int:
        """Number of operations (lines) in the delta."""
        return self.adds + self.replaces + self.removes

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI."""
        return {
            "adds": self.adds,
            "replaces": self.replaces,
            "removes": self.removes,
            "op_count": self.op_count,
            "byte_length": self.byte_length,
            "sha256": self.sha256,
            "base_sha256": self.base_sha256,
            "base_count": self.base_count,
            "result_sha256": self.result_sha256,
            "result_count": self.result_count,
        }


_SENTINEL: Final[Key] = (b"\xff", b"")


def make_delta(
    old_entries_path: str | os.PathLike[str],
    new_entries_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> DeltaInfo:
    """Write the delta that turns snapshot ``old`` into snapshot ``new``; return its summary.

    One streaming merge pass over both sorted entries files (their framing and
    key order are checked; entries are not re-validated: sign only snapshots you
    produced or verified). The delta file is written atomically.
    """
    counts = {OP_ADD: 0, OP_REPLACE: 0, OP_REMOVE: 0}
    old_digest = StreamDigest()
    new_digest = StreamDigest()

    def ops() -> Iterator[bytes]:
        old_it = _iter_entries_keyed(old_entries_path, limits=limits, digest=old_digest)
        new_it = _iter_entries_keyed(new_entries_path, limits=limits, digest=new_digest)
        ok, oline, _ = next(old_it, (_SENTINEL, b"", 0))
        nk, nline, _ = next(new_it, (_SENTINEL, b"", 0))
        while ok is not _SENTINEL or nk is not _SENTINEL:
            if nk is _SENTINEL or (ok is not _SENTINEL and ok < nk):
                counts[OP_REMOVE] += 1
                yield remove_line(*ok)
                ok, oline, _ = next(old_it, (_SENTINEL, b"", 0))
            elif ok is _SENTINEL or nk < ok:
                counts[OP_ADD] += 1
                yield op_line(OP_ADD, nline)
                nk, nline, _ = next(new_it, (_SENTINEL, b"", 0))
            else:
                if oline != nline:
                    counts[OP_REPLACE] += 1
                    yield op_line(OP_REPLACE, nline)
                ok, oline, _ = next(old_it, (_SENTINEL, b"", 0))
                nk, nline, _ = next(new_it, (_SENTINEL, b"", 0))

    out = _write_lines(out_path, ops(), limits=op_limits(limits))
    return DeltaInfo(
        adds=counts[OP_ADD],
        replaces=counts[OP_REPLACE],
        removes=counts[OP_REMOVE],
        byte_length=out.byte_count,
        sha256=out.hexdigest(),
        base_sha256=old_digest.hexdigest(),
        base_count=old_digest.line_count,
        result_sha256=new_digest.hexdigest(),
        result_count=new_digest.line_count,
    )


def op_limits(limits: Limits) -> Limits:
    # An op line wraps an entry line in 21 more bytes.
    return attrs.evolve(limits, max_line_bytes=limits.max_line_bytes + 32)


def apply_delta(
    base_entries_path: str | os.PathLike[str],
    delta_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    base_sha256: str | None = None,
    result_sha256: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """Apply a delta file to a base entries file, write the result; return its state hash.

    Strict: an ``add`` of a key the base has, or a ``replace``/``remove`` of a
    key it lacks, raises :class:`~antifraud_common.errors.DeltaMismatchError`
    (codes ``delta_add_existing``, ``delta_key_missing``) naming the delta line;
    unsorted operations raise :class:`~antifraud_common.errors.BlacklistFormatError`.
    With ``base_sha256`` the base file must hash to it
    (:class:`~antifraud_common.errors.DeltaBaseMismatchError`), with
    ``result_sha256`` the result must hash to it (``DeltaMismatchError``,
    ``delta_result_mismatch``). On any error ``out_path`` is left untouched.
    """
    base_digest = StreamDigest()
    out = _write_lines(
        out_path,
        _merge_lines(
            _iter_entries_keyed(base_entries_path, limits=limits, digest=base_digest),
            iter_ops(delta_path, limits=op_limits(limits)),
            on_done=lambda: _check_base(base_digest, base_sha256),
            expected_sha256=result_sha256,
        ),
        limits=limits,
    )
    return out.hexdigest()


def _check_base(digest: StreamDigest, expected: str | None) -> None:
    from antifraud_common.errors import DeltaBaseMismatchError

    if expected is not None and digest.hexdigest() != expected:
        raise DeltaBaseMismatchError("the base file is not the delta's base (state hash differs)")


def _merge_lines(
    base: Iterator[tuple[Key, bytes, int]],
    ops: Iterator[tuple[str, Key, bytes | None, int]],
    *,
    on_done: Callable[[], None] | None = None,
    expected_sha256: str | None = None,
) -> Iterator[bytes]:
    """Merge sorted base lines with sorted operations; yield result lines (no LF).

    A private building block shared with the receiver state; ``on_done`` (a
    callable) runs after both inputs are exhausted and before the last line is
    released when ``expected_sha256`` is checked.
    """
    sha = hashlib.sha256()
    bk, bline, _ = next(base, (_SENTINEL, b"", 0))
    for op, key, body, lineno in ops:
        while bk is not _SENTINEL and bk < key:
            out = bline[:-1] if bline.endswith(b"\n") else bline
            sha.update(out + b"\n")
            yield out
            bk, bline, _ = next(base, (_SENTINEL, b"", 0))
        exists = bk == key
        if op == OP_ADD:
            if exists:
                raise DeltaMismatchError(
                    f"add of a key the base already has ({shown_key(key)})",
                    code="delta_add_existing",
                    line=lineno,
                )
        elif not exists:
            raise DeltaMismatchError(
                f"{op} of a key the base does not have ({shown_key(key)})",
                code="delta_key_missing",
                line=lineno,
            )
        if exists:
            bk, bline, _ = next(base, (_SENTINEL, b"", 0))
        if body is not None:
            sha.update(body + b"\n")
            yield body
    while bk is not _SENTINEL:
        out = bline[:-1] if bline.endswith(b"\n") else bline
        sha.update(out + b"\n")
        yield out
        bk, bline, _ = next(base, (_SENTINEL, b"", 0))
    if on_done is not None:
        on_done()
    if expected_sha256 is not None and sha.hexdigest() != expected_sha256:
        raise DeltaMismatchError("the result does not hash to the expected state hash")


def shown_key(key: Key) -> str:
    kind = key[0].decode("utf-8", "replace")
    value = key[1].decode("utf-8", "replace")
    try:
        return f"{kind} {mask_value(IdentifierKind(kind), value)}"
    except ValueError:
        return kind


# -------------------------------------------------------------- verification


def check_delta(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    scope: EntriesScope | None = None,
    protected: ProtectedMatcher | None = None,
    allow_protected: Collection[tuple[str, str]] = (),
    limits: Limits | None = None,
    collect: bool = False,
    max_problems: int = 1000,
    copy_to: BinaryIO | None = None,
    max_bytes: int | None = None,
) -> EntriesSummary:
    """Check a delta file in one streaming pass; the delta twin of ``check_entries``.

    Same keywords and result as
    :func:`~antifraud_common.exchange.entries.check_entries`: every line
    canonical (``not_canonical``), a known operation (``bad_delta_op``), keys
    strictly increasing (``not_sorted``, ``duplicate_key``), each added or
    replacing entry valid (``invalid_entry``), kinds and actions within
    ``scope`` (:class:`ScopeError`), no protected identifier added unless in
    ``allow_protected`` (removing one is always allowed). ``entry_count`` counts
    operations. ``protected=None`` uses the packaged default list.
    """
    lim = op_limits(limits or DEFAULT_LIMITS)
    matcher = _default_matcher() if protected is None else protected
    kinds_ok = None if scope is None else frozenset(k.value for k in scope.kinds)
    digest = StreamDigest()
    problems = ProblemCollector(collect, max_problems)
    add = problems.add
    complete = True

    # The entries of add/replace lines are checked by the entries checker (its
    # fast path), fed from a spool; line_of maps its line numbers back.
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed below
    line_of = array.array("Q")
    prev: Key | None = None
    try:
        stream = open_input(source) if isinstance(source, str | os.PathLike) else source
        try:
            reader = _Tee(stream, copy_to, max_bytes)
            for lineno, line in iter_lines(reader, limits=lim, digest=digest):  # type: ignore[arg-type]
                try:
                    _op, key, body = _parse_op(line, lineno)
                    kind = key[0].decode()
                    if body is None:
                        _check_remove_value(kind, key[1].decode("utf-8"), lineno)
                        if kinds_ok is not None and kind not in kinds_ok:
                            add(
                                ScopeError(
                                    f"kind {kind!r} is out of scope", line=lineno, field="kind"
                                )
                            )
                    else:
                        spool.write(body + b"\n")
                        line_of.append(lineno)
                except BlacklistFormatError as e:
                    add(e)
                    continue
                if prev is not None and key <= prev:
                    dup = key == prev
                    add(
                        BlacklistFormatError(
                            "two operations for the same identifier key"
                            if dup
                            else "operations not sorted by (kind, value)",
                            code="duplicate_key" if dup else "not_sorted",
                            line=lineno,
                        )
                    )
                else:
                    prev = key
        finally:
            if isinstance(source, str | os.PathLike):
                stream.close()
        spool.seek(0)
        try:
            summary = check_entries(
                spool,  # type: ignore[arg-type]
                scope=scope,
                protected=NO_PROTECTED if matcher is None else matcher,
                allow_protected=allow_protected,
                limits=limits,
                collect=collect,
                max_problems=max_problems,
            )
        except AntifraudError as e:
            raise _relined(e, line_of) from e
        for p in summary.problems:
            if p.code not in ("not_sorted", "duplicate_key"):
                add(_relined(p, line_of))
    except BlacklistFormatError as e:
        if not collect or e in problems.problems:
            raise
        complete = False
        add(e)
    finally:
        spool.close()
    return EntriesSummary.from_digest(digest, problems, complete=complete)


def _relined(error: AntifraudError, line_of: array.array[int]) -> AntifraudError:
    """The same error, naming the delta line instead of the spooled entry line."""
    if error.line is None or not 1 <= error.line <= len(line_of):
        return error
    return type(error)(
        error.message, code=error.code, field=error.field, line=line_of[error.line - 1]
    )


def _default_matcher() -> ProtectedMatcher | None:
    from antifraud_common.protected import ProtectedList

    matcher: ProtectedMatcher = ProtectedList.load_default()
    return matcher


class _Tee:
    """Copies what it reads; refuses more than ``cap`` bytes (``length_mismatch``)."""

    def __init__(self, source: BinaryIO, copy: BinaryIO | None, cap: int | None) -> None:
        self._source = source
        self._copy = copy
        self._cap = cap
        self._seen = 0

    def read(self, size: int = -1) -> bytes:
        from antifraud_common.errors import HashMismatchError

        chunk = self._source.read(size)
        self._seen += len(chunk)
        if self._cap is not None and self._seen > self._cap:
            raise HashMismatchError(
                f"the delta file is longer than the signed {self._cap} bytes",
                code="length_mismatch",
            )
        if self._copy is not None and chunk:
            self._copy.write(chunk)
        return chunk


def _check_remove_value(kind: str, value: str, lineno: int) -> None:
    try:
        ok = canonical_value(kind, value) == value
    except ValidationError as e:
        raise BlacklistFormatError(
            f"invalid value to remove: {e.message} ({e.code})" + plan_hint(e.code),
            code=entry_error_code(e.code),
            field="value",
            line=lineno,
        ) from e
    if not ok:
        raise BlacklistFormatError(
            "the value to remove is not in canonical form",
            code="invalid_entry",
            field="value",
            line=lineno,
        )


# -------------------------------------------------------------------- signing


def delta_manifest(
    info: DeltaInfo,
    *,
    issuer: str,
    list_id: str,
    list_type: str,
    version: int,
    base_version: int,
    issued_at: datetime,
    expires: datetime,
    allow_protected: Sequence[tuple[str, str]] = (),
) -> Manifest:
    """Build the manifest of a delta from what :func:`make_delta` returned."""
    return Manifest(
        content=ContentType.DELTA,
        issuer=issuer,
        list_id=list_id,
        list_type=list_type,
        version=version,
        issued_at=issued_at,
        expires=expires,
        entry_count=info.op_count,
        byte_length=info.byte_length,
        sha256=info.sha256,
        base_version=base_version,
        base_sha256=info.base_sha256,
        result_sha256=info.result_sha256,
        result_count=info.result_count,
        allow_protected=tuple(allow_protected),
    )


def sign_delta(
    old_entries_path: str | os.PathLike[str],
    new_entries_path: str | os.PathLike[str],
    delta_path: str | os.PathLike[str],
    signers: Sequence[Signer],
    *,
    issuer: str,
    list_id: str,
    list_type: str,
    version: int,
    base_version: int,
    issued_at: datetime,
    expires: datetime,
    allow_protected: Sequence[tuple[str, str]] = (),
    protected: ProtectedMatcher | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[DeltaInfo, Manifest]:
    """Make the delta from ``old`` to ``new``, sign its manifest, write ``DELTA.sig``.

    The delta is checked as a receiver checks it (:func:`check_delta`; the
    first problem is raised, ``protected=None`` uses the packaged list).
    Writes ``delta_path`` and ``delta_path + ".sig"`` (atomically); returns the
    delta summary and the signed manifest (signed with
    :func:`~antifraud_common.exchange.signing.sign_manifest`).
    """
    from antifraud_common.exchange.signing import sign_manifest
    from antifraud_common.format.jsonl import write_atomic

    allow = tuple(sorted(set(allow_protected)))
    info = make_delta(old_entries_path, new_entries_path, delta_path, limits=limits)
    # Check the delta as every receiver will, so nobody signs what all refuse.
    check_delta(delta_path, protected=protected, allow_protected=allow, limits=limits)
    manifest = delta_manifest(
        info,
        issuer=issuer,
        list_id=list_id,
        list_type=list_type,
        version=version,
        base_version=base_version,
        issued_at=issued_at,
        expires=expires,
        allow_protected=allow,
    )
    envelope = sign_manifest(manifest, signers)
    write_atomic(f"{os.fspath(delta_path)}.sig", envelope)
    return info, manifest
