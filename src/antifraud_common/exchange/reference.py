"""Signed reference data: the number plan, Do-Not-Originate numbers, presenter authorisations.

Besides blacklists, the federation exchanges three kinds of **reference
data** through the same signed format (``docs/spec/reference-lists.md``,
``docs/spec/number-plan.md``): a list whose manifest has one of these list
types holds *records* of that type instead of blacklist entries.

========================  ==========================================================
list type                 one record (one canonical JSON line)
========================  ==========================================================
``number_plan``           a range of the +86 plan: ``table``, ``length``, ``prefix``
                          -> ``status`` (allocated / reserved / unallocated),
                          ``kind``, ``carrier``, ``date``
                          (:class:`~antifraud_common.numberplan.PlanRange`)
``do_not_originate``      a number that never originates calls (:class:`DnoRecord`)
``presenters``            a protected number (or an E.164 prefix) -> the trunks that
                          may present it as caller ID (:class:`PresenterRecord`)
========================  ==========================================================

They are signed, verified, versioned and updated by delta exactly like lists:
the manifest, the JWS envelope, the trust bundle's publish rule (only a member
with a rule for the list type may publish it), the validity period, rollback
and fork protection and the delta base and result hashes are those of
``docs/spec/format.md`` and ``docs/spec/deltas.md``. Only the lines differ, and
a plain-list verifier refuses them (they are not entries).

A receiver keeps what it accepted in a :class:`ReferenceStore` beside its
receiver state and reads the data in effect from it:
:meth:`ReferenceStore.number_plan` (the newest verified plan, or the packaged
one), :meth:`ReferenceStore.do_not_originate` and
:meth:`ReferenceStore.presenters`.

>>> import tempfile, pathlib
>>> from datetime import datetime, UTC
>>> from antifraud_common.format.keys import LocalSigner
>>> from antifraud_common.exchange.trust import Member, PublishRule, create_trust_bundle
>>> miit, root = LocalSigner.generate(), LocalSigner.generate()
>>> t = datetime(2026, 12, 1, tzinfo=UTC)
>>> rule = PublishRule(list_type="do_not_originate", kinds=["phone"], actions=["block"])
>>> trust = create_trust_bundle(bundle_id="demo", root_keys=[root.public_key],
...     root_threshold=1, issued_at=t, expires=datetime(2027, 12, 1, tzinfo=UTC),
...     members=[Member(agency="miit", name="MIIT", keys=[miit.public_key], publish=[rule])])
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_records(d / "dno.jsonl", [DnoRecord(value="+8613800138000", date="2026-11-30")])
>>> sig = sign_reference(d / "dno.jsonl", list_type="do_not_originate", signers=[miit],
...     issuer="miit", list_id="dno", version=1, issued_at=t,
...     expires=datetime(2026, 12, 8, tzinfo=UTC))
>>> v = verify_reference(d / "dno.jsonl", sig, trust=trust, list_type="do_not_originate", now=t)
>>> "+8613800138000" in v.do_not_originate(), v.manifest.version
(True, 1)
>>> with ReferenceStore.open(d / "state") as store:
...     _ = store.accept(v)
...     store.do_not_originate().sources, store.number_plan().source
(('miit/dno@1',), 'packaged')
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol, TypeAlias

import attrs

from antifraud_common import numberplan
from antifraud_common._clock import now_utc
from antifraud_common._files import open_input
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ConfigurationError,
    DeltaBaseMismatchError,
    DeltaMismatchError,
    HashMismatchError,
    ModelError,
    ProtectedIdentifierError,
    ScopeError,
    StateError,
    ValidationError,
)
from antifraud_common.exchange.delta import DeltaInfo, delta_manifest
from antifraud_common.exchange.entries import (
    EntriesSummary,
    ProtectedMatcher,
    entry_error_code,
    plan_hint,
)
from antifraud_common.exchange.policy import delta_verdict, publish_rule, snapshot_verdict
from antifraud_common.exchange.signing import (
    StateLike,
    make_manifest,
    outcome_fields,
    outcome_of,
    read_manifest,
    read_signature_file,
    sign_manifest,
    verify_manifest,
)
from antifraud_common.exchange.state import private_state_dir
from antifraud_common.exchange.trust import PublishRule, TrustBundle
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import Limits, iter_lines, write_atomic
from antifraud_common.format.keys import Signer
from antifraud_common.models import IdentifierKind, Manifest, format_timestamp
from antifraud_common.numberplan import NumberPlan, PlanRange

__all__ = [
    "DB_NAME",
    "DO_NOT_ORIGINATE",
    "LIMITS",
    "MAX_REFERENCE_BYTES",
    "NUMBER_PLAN",
    "PRESENTERS",
    "REFERENCE_TYPES",
    "DnoRecord",
    "DoNotOriginate",
    "PresenterAuthorisation",
    "PresenterRecord",
    "ReferenceRecord",
    "ReferenceStore",
    "StoredReference",
    "VerifiedReference",
    "check_records",
    "held_plan",
    "make_reference_delta",
    "sign_reference",
    "sign_reference_delta",
    "verify_reference",
    "write_records",
]

#: List type of a signed +86 number plan (records: ``numberplan.PlanRange``).
NUMBER_PLAN: Final = "number_plan"
#: List type of a Do-Not-Originate list (records: :class:`DnoRecord`).
DO_NOT_ORIGINATE: Final = "do_not_originate"
#: List type of the presenter authorisations of protected numbers (:class:`PresenterRecord`).
PRESENTERS: Final = "presenters"
#: Every reference list type.
REFERENCE_TYPES: Final = frozenset({NUMBER_PLAN, DO_NOT_ORIGINATE, PRESENTERS})
#: Largest reference file (snapshot or delta) a receiver reads; it is held in memory.
MAX_REFERENCE_BYTES: Final = 64 * 1024 * 1024
#: Framing limits of a reference file (line length as for entries files).
LIMITS: Final = Limits(
    max_line_bytes=4096, max_entries=1_000_000, max_total_bytes=MAX_REFERENCE_BYTES
)
#: File name of the reference store inside a receiver's state directory.
DB_NAME: Final = "reference.sqlite3"

_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_E164_PREFIX_RE: Final = re.compile(r"\+[1-9][0-9]{0,14}")
_MAX_TRUNKS: Final = 64


# ---------------------------------------------------------------------- records


def _check_date(value: object, field: str = "date") -> str:
    from datetime import date

    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ModelError("date is YYYY-MM-DD", code="invalid_range", field=field)
    try:
        date.fromisoformat(value)
    except ValueError as e:
        raise ModelError(f"{value!r} is not a real date", code="invalid_range", field=field) from e
    return value


def _canonical_phone(value: object) -> str:
    """``value`` if it is a valid phone number in canonical form (under the plan in effect)."""
    from antifraud_common import phone

    if not isinstance(value, str):
        raise ModelError("value is a string", code="invalid_entry", field="value")
    canonical_value = phone.validate(value)  # ValidationError: the caller keeps its code
    if canonical_value != value:
        raise ModelError(
            "value is not in canonical form", code="not_canonical_value", field="value"
        )
    return value


def _members(data: object, required: set[str], optional: frozenset[str] = frozenset()) -> None:
    if not isinstance(data, Mapping):
        raise ModelError("a record is a JSON object", code="invalid_entry", field="record")
    for name in sorted((set(data) - required - optional) | (required - set(data))):
        what = "missing" if name in required else "unknown"
        raise ModelError(f"{what} member {name!r}", code="invalid_entry", field=name)


@attrs.frozen(kw_only=True)
class DnoRecord:
    """A number that never originates calls: a call presenting it as caller ID is spoofed.

    ``value`` is the canonical phone value (as a blacklist entry holds it),
    ``date`` the day it was put on the list.
    """

    value: str
    date: str

    def __attrs_post_init__(self) -> None:
        _check_date(self.date)
        _canonical_phone(self.value)

    @property
    def key(self) -> tuple[str]:
        """``(value,)``."""
        return (self.value,)

    def to_dict(self) -> dict[str, Any]:
        """The record's JSON object."""
        return {"date": self.date, "value": self.value}

    @classmethod
    def from_dict(cls, data: object) -> DnoRecord:
        """Build from the JSON object; :class:`ModelError` or :class:`ValidationError`."""
        _members(data, {"date", "value"})
        assert isinstance(data, Mapping)
        return cls(value=data["value"], date=data["date"])


@attrs.frozen(kw_only=True)
class PresenterRecord:
    """Which trunks may present a protected number (or any number under a prefix).

    ``match`` is ``exact`` (``value`` a canonical phone value, short codes
    included: ``tel:95588;phone-context=+86``) or ``prefix`` (``value`` an
    E.164 prefix, ``+`` and 1-15 digits: every number starting with it).
    ``trunks`` are the ids (``[a-z0-9][a-z0-9_.-]{0,63}``) of the trunks or
    operators authorised to present it, sorted, without repeats, 1-64 of them.
    """

    match: str
    value: str
    trunks: tuple[str, ...] = attrs.field(converter=tuple)
    date: str

    def __attrs_post_init__(self) -> None:
        _check_date(self.date)
        if self.match == "exact":
            _canonical_phone(self.value)
        elif self.match == "prefix":
            value: object = self.value
            if not isinstance(value, str) or not _E164_PREFIX_RE.fullmatch(value):
                raise ModelError(
                    "a prefix is + and 1-15 digits", code="invalid_entry", field="value"
                )
        else:
            raise ModelError("match is exact or prefix", code="invalid_entry", field="match")
        trunks: tuple[object, ...] = self.trunks
        if (
            not 1 <= len(trunks) <= _MAX_TRUNKS
            or not all(isinstance(t, str) and _ID_RE.fullmatch(t) for t in trunks)
            or list(trunks) != sorted(set(trunks))  # type: ignore[type-var]
        ):
            raise ModelError(
                f"trunks are 1-{_MAX_TRUNKS} ids, sorted, without repeats",
                code="invalid_entry",
                field="trunks",
            )

    @property
    def key(self) -> tuple[str, str]:
        """``(match, value)``."""
        return (self.match, self.value)

    def to_dict(self) -> dict[str, Any]:
        """The record's JSON object."""
        return {
            "date": self.date,
            "match": self.match,
            "trunks": list(self.trunks),
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: object) -> PresenterRecord:
        """Build from the JSON object; :class:`ModelError` or :class:`ValidationError`."""
        _members(data, {"date", "match", "trunks", "value"})
        assert isinstance(data, Mapping)
        trunks = data["trunks"]
        if not isinstance(trunks, list):
            raise ModelError("trunks is an array", code="invalid_entry", field="trunks")
        return cls(match=data["match"], value=data["value"], trunks=trunks, date=data["date"])


#: One record of a reference list.
ReferenceRecord: TypeAlias = PlanRange | DnoRecord | PresenterRecord


class _Record(Protocol):
    @property
    def key(self) -> tuple[str | int, ...]: ...

    def to_dict(self) -> dict[str, Any]: ...


@attrs.frozen
class _Type:
    name: str
    parse: Callable[[object], ReferenceRecord]
    #: member names of the key, in the order records sort by
    key_members: tuple[str, ...]


_TYPES: Final = {
    NUMBER_PLAN: _Type(NUMBER_PLAN, PlanRange.from_dict, ("table", "length", "prefix")),
    DO_NOT_ORIGINATE: _Type(DO_NOT_ORIGINATE, DnoRecord.from_dict, ("value",)),
    PRESENTERS: _Type(PRESENTERS, PresenterRecord.from_dict, ("match", "value")),
}


def _spec(list_type: str) -> _Type:
    spec = _TYPES.get(list_type)
    if spec is None:
        raise ConfigurationError(
            f"{list_type!r} is not a reference list type; one of "
            f"{', '.join(sorted(REFERENCE_TYPES))}",
            code="not_a_reference_type",
        )
    return spec


SortKey: TypeAlias = tuple[bytes | int, ...]


def _sort_key(key: tuple[str | int, ...]) -> SortKey:
    return tuple(k if isinstance(k, int) else k.encode("utf-8") for k in key)


def _line(record: _Record) -> bytes:
    return canonical.dumps(record.to_dict())


# ------------------------------------------------------------------ reading lines


def _line_error(e: AntifraudError, lineno: int) -> BlacklistFormatError:
    code = entry_error_code(e.code) if isinstance(e, ValidationError) else "invalid_entry"
    return BlacklistFormatError(
        f"{e.message}{plan_hint(e.code)}",
        code=code,
        field=e.field or ("value" if isinstance(e, ValidationError) else None),
        line=lineno,
    )


def _parse_object(line: bytes, lineno: int) -> object:
    try:
        return canonical.check_canonical(line, max_bytes=LIMITS.max_line_bytes, max_depth=2)
    except BlacklistFormatError as e:
        raise BlacklistFormatError(
            e.message,
            code="not_canonical" if e.code == "json_not_canonical" else "bad_line",
            line=lineno,
        ) from e


def _record(spec: _Type, obj: object, lineno: int) -> ReferenceRecord:
    try:
        return spec.parse(obj)
    except (ModelError, ValidationError) as e:
        raise _line_error(e, lineno) from e


class _Order:
    """Strictly increasing keys; for a plan, no prefix inside another of its table and length."""

    def __init__(self, spec: _Type) -> None:
        self.plan = spec.name == NUMBER_PLAN
        self.prev: tuple[str | int, ...] | None = None

    def check(self, key: tuple[str | int, ...], lineno: int) -> None:
        prev = self.prev
        self.prev = key
        if prev is None:
            return
        a, b = _sort_key(prev), _sort_key(key)
        if b == a:
            raise BlacklistFormatError(
                "two records with one key", code="duplicate_key", line=lineno
            )
        if b < a:
            raise BlacklistFormatError(
                "records are not sorted by key", code="not_sorted", line=lineno
            )
        if self.plan and prev[:2] == key[:2] and str(key[2]).startswith(str(prev[2])):
            raise BlacklistFormatError(
                f"prefix {key[2]!r} lies inside the range of {prev[2]!r}",
                code="plan_overlap",
                line=lineno,
            )


def _protected_check(
    spec: _Type,
    record: ReferenceRecord,
    protected: ProtectedMatcher | None,
    allow: Sequence[tuple[str, str]],
    lineno: int,
) -> None:
    if spec.name != DO_NOT_ORIGINATE or protected is None:
        return
    assert isinstance(record, DnoRecord)
    hit = protected.match(IdentifierKind.PHONE, record.value)
    if hit is not None and ("phone", record.value) not in allow:
        raise ProtectedIdentifierError(
            f"{record.value} is a protected number ({hit}); a Do-Not-Originate "
            "list names it only if its manifest's allow_protected does",
            field="value",
            line=lineno,
        )


def _default_protected(protected: ProtectedMatcher | None) -> ProtectedMatcher:
    if protected is not None:
        return protected
    from antifraud_common.protected import ProtectedList

    return ProtectedList.load_default()


def _records(
    data: bytes,
    spec: _Type,
    *,
    protected: ProtectedMatcher | None,
    allow: Sequence[tuple[str, str]] = (),
) -> list[tuple[ReferenceRecord, bytes]]:
    """Every record of a snapshot's bytes with its line, checked (first problem raised)."""
    order = _Order(spec)
    out: list[tuple[ReferenceRecord, bytes]] = []
    for lineno, line in iter_lines(io.BytesIO(data), limits=LIMITS):
        record = _record(spec, _parse_object(line, lineno), lineno)
        order.check(record.key, lineno)
        _protected_check(spec, record, protected, allow, lineno)
        out.append((record, line))
    return out


def check_records(
    source: str | os.PathLike[str] | bytes,
    list_type: str,
    *,
    protected: ProtectedMatcher | None = None,
    allow_protected: Iterable[tuple[str, str]] = (),
) -> EntriesSummary:
    """Check a reference snapshot file (or its bytes) as a receiver does; raise the first problem.

    Every line is the canonical JSON of a valid record of ``list_type``, keys
    strictly increasing (for a plan, no prefix inside another), and for a
    Do-Not-Originate list protected numbers only if ``allow_protected`` names
    them (``protected=None``: the packaged table). Returns the line count,
    length and SHA-256.
    """
    spec = _spec(list_type)
    data = source if isinstance(source, bytes) else _read_file(source, MAX_REFERENCE_BYTES)
    records = _records(
        data, spec, protected=_default_protected(protected), allow=tuple(allow_protected)
    )
    return EntriesSummary(
        entry_count=len(records), byte_length=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def _read_file(path: str | os.PathLike[str], cap: int) -> bytes:
    p = Path(path)
    try:
        with open_input(p) as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise BlacklistFormatError(
            f"cannot read {p.name}: {e.strerror}", code="entries_unreadable"
        ) from e
    if len(data) > cap:
        raise BlacklistFormatError(f"{p.name} is larger than {cap} bytes", code="jsonl_too_large")
    return data


def write_records(path: str | os.PathLike[str], records: Iterable[_Record]) -> EntriesSummary:
    """Write records as a reference snapshot file (sorted by key, canonical lines), atomically.

    Two records with one key raise ``duplicate_key`` (a plan's overlapping
    prefixes ``plan_overlap``); the file is then not written.
    """
    items = sorted(records, key=lambda r: _sort_key(r.key))
    kinds = {type(r) for r in items}
    if len(kinds) > 1:
        raise ConfigurationError("records of one type per file", code="mixed_records")
    if items:
        spec = _TYPES[_type_of(items[0])]
        order = _Order(spec)
        for n, r in enumerate(items, 1):
            order.check(r.key, n)
    data = b"".join(_line(r) + b"\n" for r in items)
    write_atomic(path, data)
    return EntriesSummary(
        entry_count=len(items), byte_length=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def _type_of(record: object) -> str:
    if isinstance(record, PlanRange):
        return NUMBER_PLAN
    if isinstance(record, DnoRecord):
        return DO_NOT_ORIGINATE
    if isinstance(record, PresenterRecord):
        return PRESENTERS
    raise ConfigurationError("not a reference record", code="not_a_reference_type")


# ------------------------------------------------------------------------ deltas


def _remove_line(spec: _Type, key: tuple[str | int, ...]) -> bytes:
    obj: dict[str, Any] = dict(zip(spec.key_members, key, strict=True))
    obj["op"] = "remove"
    return canonical.dumps(obj)


def _op_line(op: str, line: bytes) -> bytes:
    return b'{"entry":' + line + b',"op":"' + op.encode() + b'"}'


def make_reference_delta(
    list_type: str,
    old_path: str | os.PathLike[str],
    new_path: str | os.PathLike[str],
    delta_path: str | os.PathLike[str],
) -> DeltaInfo:
    """Write the delta from one reference snapshot to the next (both checked) and describe it.

    Lines as for list deltas (``docs/spec/deltas.md``): ``{"entry":R,"op":"add"}``,
    ``{"entry":R,"op":"replace"}`` and a remove naming the record's key
    members (``{"length":11,"op":"remove","prefix":"154","table":"regular"}``
    for a plan), in key order.
    """
    spec = _spec(list_type)
    old = _read_file(old_path, MAX_REFERENCE_BYTES)
    new = _read_file(new_path, MAX_REFERENCE_BYTES)
    no_protected = _NoneProtected()
    a = {r.key: line for r, line in _records(old, spec, protected=no_protected)}
    b = {r.key: line for r, line in _records(new, spec, protected=no_protected)}
    ops: list[bytes] = []
    adds = replaces = removes = 0
    for key in sorted(a.keys() | b.keys(), key=_sort_key):
        if key not in a:
            ops.append(_op_line("add", b[key]))
            adds += 1
        elif key not in b:
            ops.append(_remove_line(spec, key))
            removes += 1
        elif a[key] != b[key]:
            ops.append(_op_line("replace", b[key]))
            replaces += 1
    data = b"".join(op + b"\n" for op in ops)
    write_atomic(delta_path, data)
    return DeltaInfo(
        adds=adds,
        replaces=replaces,
        removes=removes,
        byte_length=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        base_sha256=hashlib.sha256(old).hexdigest(),
        base_count=len(a),
        result_sha256=hashlib.sha256(new).hexdigest(),
        result_count=len(b),
    )


class _NoneProtected:
    def match(self, kind: IdentifierKind, value: str) -> object | None:
        return None


def _parse_op(
    spec: _Type, line: bytes, lineno: int
) -> tuple[str, tuple[str | int, ...], ReferenceRecord | None]:
    obj = _parse_object(line, lineno)
    if not isinstance(obj, dict) or obj.get("op") not in ("add", "replace", "remove"):
        raise BlacklistFormatError(
            "an operation is add, replace or remove",
            code="bad_delta_op",
            line=lineno,
        )
    op = obj["op"]
    if op == "remove":
        if set(obj) != {*spec.key_members, "op"}:
            raise BlacklistFormatError(
                f"a remove names exactly the key members {', '.join(spec.key_members)}",
                code="bad_delta_op",
                line=lineno,
            )
        key = tuple(obj[m] for m in spec.key_members)
        if not all(isinstance(k, str | int) and not isinstance(k, bool) for k in key):
            raise BlacklistFormatError("bad key", code="bad_delta_op", line=lineno)
        return op, key, None
    if set(obj) != {"entry", "op"}:
        raise BlacklistFormatError(
            "an add or replace is {entry, op}", code="bad_delta_op", line=lineno
        )
    record = _record(spec, obj["entry"], lineno)
    return op, record.key, record


def _apply(
    spec: _Type,
    base: bytes,
    delta: bytes,
    *,
    protected: ProtectedMatcher | None,
    allow: Sequence[tuple[str, str]],
) -> tuple[bytes, int, tuple[int, int, int]]:
    """Apply a delta's bytes to a base snapshot's bytes; return (result, count, op counts)."""
    held: dict[tuple[str | int, ...], bytes] = {
        r.key: line for r, line in _records(base, spec, protected=_NoneProtected())
    }
    order = _Order(_Type("", spec.parse, spec.key_members))  # keys only: overlap is checked after
    counts = {"add": 0, "replace": 0, "remove": 0}
    for lineno, line in iter_lines(io.BytesIO(delta), limits=LIMITS):
        op, key, record = _parse_op(spec, line, lineno)
        order.check(key, lineno)
        if record is not None:
            _protected_check(spec, record, protected, allow, lineno)
        exists = key in held
        if op == "add" and exists:
            raise DeltaMismatchError(
                "adds a record the base holds",
                code="delta_add_existing",
                line=lineno,
            )
        if op != "add" and not exists:
            raise DeltaMismatchError(
                f"{op}s a record the base lacks",
                code="delta_key_missing",
                line=lineno,
            )
        counts[op] += 1
        if record is None:
            del held[key]
        else:
            held[key] = _line(record)
    keys = sorted(held, key=_sort_key)
    if spec.name == NUMBER_PLAN:
        check = _Order(spec)
        for n, key in enumerate(keys, 1):
            try:
                check.check(key, n)
            except BlacklistFormatError as e:
                raise DeltaMismatchError(
                    f"the delta's result is no valid plan: {e.message}", code="plan_overlap"
                ) from e
    result = b"".join(held[k] + b"\n" for k in keys)
    return result, len(keys), (counts["add"], counts["replace"], counts["remove"])


# ------------------------------------------------------------------------ signing


def _check_rule(rule: PublishRule, list_type: str) -> None:
    if IdentifierKind.PHONE not in rule.kinds:
        raise ScopeError(
            f"the publish rule for {list_type!r} does not include kind phone", field="kind"
        )


def _trusted_rule(trust: TrustBundle, issuer: str, list_type: str) -> PublishRule:
    rule = publish_rule(trust, issuer, list_type)  # the one scope rule (exchange.policy)
    _check_rule(rule, list_type)
    return rule


def sign_reference(
    path: str | os.PathLike[str],
    *,
    list_type: str,
    signers: Sequence[Signer],
    issuer: str,
    list_id: str,
    version: int,
    expires: datetime,
    issued_at: datetime | None = None,
    out: str | os.PathLike[str] | None = None,
    allow_protected: Iterable[tuple[str, str]] = (),
    trust: TrustBundle | None = None,
    protected: ProtectedMatcher | None = None,
) -> Path:
    """Check a reference snapshot as receivers will, write ``PATH.sig`` (or ``out``), return it.

    The manifest is a list manifest (``docs/spec/format.md``) with
    ``list_type`` one of :data:`REFERENCE_TYPES`. For ``number_plan`` the
    ``version`` is the plan version receivers will report. With ``trust``, the
    issuer's publish rule for the list type is checked too.
    """
    spec = _spec(list_type)
    allow = tuple(sorted(set(allow_protected)))
    if trust is not None:
        _trusted_rule(trust, issuer, list_type)
    summary = check_records(path, spec.name, protected=protected, allow_protected=allow)
    manifest = make_manifest(
        summary,
        issuer=issuer,
        list_id=list_id,
        list_type=list_type,
        version=version,
        expires=expires,
        issued_at=issued_at,
        allow_protected=allow,
    )
    target = Path(out) if out is not None else Path(f"{os.fspath(path)}.sig")
    write_atomic(target, sign_manifest(manifest, signers))
    return target


def sign_reference_delta(
    old_path: str | os.PathLike[str],
    new_path: str | os.PathLike[str],
    delta_path: str | os.PathLike[str],
    signers: Sequence[Signer],
    *,
    list_type: str,
    issuer: str,
    list_id: str,
    version: int,
    base_version: int,
    issued_at: datetime,
    expires: datetime,
    allow_protected: Iterable[tuple[str, str]] = (),
    protected: ProtectedMatcher | None = None,
) -> tuple[DeltaInfo, Manifest]:
    """Make the delta between two reference snapshots, sign it, write ``DELTA.sig``.

    Both snapshots are checked as receivers check them (the new one with
    ``allow_protected``). Returns the delta summary and the signed manifest.
    """
    allow = tuple(sorted(set(allow_protected)))
    check_records(new_path, list_type, protected=protected, allow_protected=allow)
    info = make_reference_delta(list_type, old_path, new_path, delta_path)
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
    write_atomic(f"{os.fspath(delta_path)}.sig", sign_manifest(manifest, signers))
    return info, manifest


# ------------------------------------------------------------------- verifying


@attrs.frozen(kw_only=True)
class VerifiedReference:
    """A reference list that passed every check: its manifest and the records it results in.

    For a delta, ``data`` and the records are those of the snapshot the delta
    produced from its base (their SHA-256 is the signed ``result_sha256``).
    """

    manifest: Manifest
    #: The resulting snapshot file's bytes.
    data: bytes = attrs.field(repr=False)
    records: tuple[ReferenceRecord, ...] = attrs.field(repr=False)
    signers: tuple[str, ...]
    signer_kids: tuple[str, ...]
    grace_used: bool = False
    #: The receiver already holds exactly this version.
    unchanged: bool = False
    warnings: tuple[str, ...] = ()
    #: For a delta: the operation counts (adds, replaces, removes).
    changes: tuple[int, int, int] | None = None

    @property
    def list_type(self) -> str:
        """The reference list type."""
        return self.manifest.list_type

    @property
    def state_sha256(self) -> str:
        """SHA-256 of :attr:`data` (the state hash to record)."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def source(self) -> str:
        """``ISSUER/LIST_ID``."""
        return f"{self.manifest.issuer}/{self.manifest.list_id}"

    def number_plan(self) -> NumberPlan:
        """The plan this list carries (``number_plan`` lists); its version is the list's."""
        return _plan_of(self.list_type, self.records, self.manifest.version, self.source)

    def do_not_originate(self) -> DoNotOriginate:
        """The numbers of this Do-Not-Originate list."""
        return DoNotOriginate.merge([self])

    def presenters(self) -> PresenterAuthorisation:
        """The authorisations of this presenters list."""
        return PresenterAuthorisation.merge([self])

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by the CLI."""
        return {
            "manifest": self.manifest.to_dict(),
            "list_type": self.list_type,
            "record_count": len(self.records),
            "state_sha256": self.state_sha256,
            **outcome_fields(self),
        }


def _plan_of(
    list_type: str, records: Sequence[ReferenceRecord], version: int, source: str
) -> NumberPlan:
    if list_type != NUMBER_PLAN:
        raise ConfigurationError(f"a {list_type} list carries no plan", code="not_a_number_plan")
    ranges = [r for r in records if isinstance(r, PlanRange)]
    return NumberPlan.from_ranges(ranges, version=version, source=source)


def _read_sig(sig: str | os.PathLike[str] | bytes) -> bytes:
    return sig if isinstance(sig, bytes) else read_signature_file(sig)


def _read_bound(path: str | os.PathLike[str], manifest: Manifest) -> bytes:
    """Step 7a-b: read the file once (at most its signed length) and match length, hash, lines."""
    if manifest.byte_length > MAX_REFERENCE_BYTES:
        raise BlacklistFormatError(
            f"a reference file is at most {MAX_REFERENCE_BYTES} bytes", code="jsonl_too_large"
        )
    p = Path(path)
    try:
        with open_input(p) as f:
            size = os.fstat(f.fileno()).st_size
            if size != manifest.byte_length:
                raise HashMismatchError(
                    f"the file has {size} bytes, the manifest says {manifest.byte_length}",
                    code="length_mismatch",
                )
            data = f.read(manifest.byte_length + 1)
    except OSError as e:
        raise BlacklistFormatError(
            f"cannot read {p.name}: {e.strerror}", code="entries_unreadable"
        ) from e
    if len(data) != manifest.byte_length:
        raise HashMismatchError(
            f"read {len(data)} bytes, the manifest says {manifest.byte_length}",
            code="length_mismatch",
        )
    if hashlib.sha256(data).hexdigest() != manifest.sha256:
        raise HashMismatchError("the file's SHA-256 does not match the manifest")
    lines = data.count(b"\n")
    if lines != manifest.entry_count:
        raise HashMismatchError(
            f"the file has {lines} lines, the manifest says {manifest.entry_count}",
            code="count_mismatch",
        )
    return data


def verify_reference(
    path: str | os.PathLike[str],
    sig: str | os.PathLike[str] | bytes,
    *,
    trust: TrustBundle,
    list_type: str,
    state: StateLike | None = None,
    base: bytes | VerifiedReference | StoredReference | None = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
    protected: ProtectedMatcher | None = None,
) -> VerifiedReference:
    """Verify a signed reference list (snapshot or delta) of ``list_type``; raise the first problem.

    The steps of the list verification algorithm (``docs/spec/format.md``), in
    order, with the clock read once: envelope, signatures by member keys,
    manifest; then the list type must be ``list_type`` (``wrong_list_type``;
    a pseudonymised manifest is refused before), the issuer's publish rule for
    it must exist and include kind ``phone``, threshold, validity period and
    ``state`` (rollback, fork, delta base); then the file's length, SHA-256 and
    line count; then every line (``docs/spec/reference-lists.md``). A delta
    needs ``base``, the bytes (or verified or stored form) of the snapshot it
    applies to: its SHA-256 must be the signed ``base_sha256``
    (``delta_base_mismatch``), the operations must apply strictly and the
    result must hash to ``result_sha256`` with ``result_count`` records
    (``delta_result_mismatch``).
    """
    spec = _spec(list_type)
    moment = now_utc(now)
    vm = verify_manifest(_read_sig(sig), trust=trust, state=state, now=moment, grace=grace)
    manifest = vm.manifest
    if manifest.list_type != list_type:
        raise BlacklistFormatError(
            f"{manifest.issuer}/{manifest.list_id} is a {manifest.list_type!r} list, "
            f"not {list_type!r}",
            code="wrong_list_type",
            field="list_type",
        )
    _check_rule(vm.rule, list_type)
    data = _read_bound(path, manifest)
    matcher = _default_protected(protected)
    changes = None
    if manifest.is_delta:
        if base is None:
            raise ConfigurationError(
                "a delta needs the snapshot it applies to (base=)", code="delta_needs_base"
            )
        base_bytes = base if isinstance(base, bytes) else base.data
        base_sha = hashlib.sha256(base_bytes).hexdigest()
        if vm.unchanged and base_sha == manifest.result_sha256:
            # The receiver already holds the delta's result (the delta file's length
            # and hash matched above): nothing to apply.
            data = base_bytes
        elif base_sha != manifest.base_sha256:
            raise DeltaBaseMismatchError(
                f"the delta applies to version {manifest.base_version} with another state hash"
            )
        else:
            data, count, changes = _apply(
                spec, base_bytes, data, protected=matcher, allow=manifest.allow_protected
            )
            if hashlib.sha256(data).hexdigest() != manifest.result_sha256 or (
                count != manifest.result_count
            ):
                raise DeltaMismatchError(
                    "applying the delta does not give the signed result "
                    f"({count} records); the old state is kept"
                )
        records = tuple(r for r, _ in _records(data, spec, protected=None))
    else:
        records = tuple(
            r for r, _ in _records(data, spec, protected=matcher, allow=manifest.allow_protected)
        )
    return VerifiedReference(
        manifest=manifest, data=data, records=records, changes=changes, **outcome_of(vm)
    )


# --------------------------------------------------------------- the data in use


@attrs.frozen
class DoNotOriginate:
    """The Do-Not-Originate numbers a receiver holds (the union of its lists).

    ``value in dno`` takes a canonical phone value. ``sources`` names each list
    as ``ISSUER/LIST_ID@VERSION``.

    >>> dno = DoNotOriginate(frozenset({"+8613800138000"}))
    >>> "+8613800138000" in dno, "+8613900139000" in dno, len(dno)
    (True, False, 1)
    """

    values: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def __len__(self) -> int:
        return len(self.values)

    @classmethod
    def merge(cls, lists: Iterable[VerifiedReference | StoredReference]) -> DoNotOriginate:
        """The union of Do-Not-Originate lists."""
        values: set[str] = set()
        sources: list[str] = []
        for item in lists:
            if item.manifest.list_type != DO_NOT_ORIGINATE:
                raise ConfigurationError(
                    f"{item.manifest.list_type} is not a Do-Not-Originate list",
                    code="not_a_dno_list",
                )
            values.update(r.value for r in item.records if isinstance(r, DnoRecord))
            sources.append(
                f"{item.manifest.issuer}/{item.manifest.list_id}@{item.manifest.version}"
            )
        return cls(frozenset(values), tuple(sorted(sources)))


class PresenterAuthorisation(Mapping[str, frozenset[str]]):
    """Which trunks may present which protected numbers (the union of presenters lists).

    A read-only mapping from a canonical phone value to the trunks that may
    present it: ``auth[value]`` (and :meth:`trunks_for`) is the trunk set of
    its exact record, else of the longest prefix record it starts with;
    a value no record covers is not in the mapping (the data does not restrict
    it). Iteration yields the keys of the records. Several lists naming one key
    authorise the union of their trunks. Immutable.

    >>> auth = PresenterAuthorisation(
    ...     exact={"tel:95588;phone-context=+86": frozenset({"icbc-sbc"})},
    ...     prefixes={"+86955": frozenset({"icbc-sbc"})})
    >>> auth.authorised("tel:95588;phone-context=+86", "icbc-sbc")
    True
    >>> auth.authorised("+8695566", "other-trunk"), auth.authorised("+8613800138000", "x")
    (False, None)
    >>> sorted(auth.get("+8695566")), "+8613800138000" in auth
    (['icbc-sbc'], False)
    """

    __slots__ = ("_exact", "_prefixes", "sources")

    def __init__(
        self,
        exact: Mapping[str, Iterable[str]] | None = None,
        prefixes: Mapping[str, Iterable[str]] | None = None,
        sources: Iterable[str] = (),
    ) -> None:
        self._exact = {k: frozenset(v) for k, v in (exact or {}).items()}
        self._prefixes = {k: frozenset(v) for k, v in (prefixes or {}).items()}
        #: The lists merged, as ``ISSUER/LIST_ID@VERSION``.
        self.sources = tuple(sources)

    @property
    def exact(self) -> Mapping[str, frozenset[str]]:
        """Exact records: canonical value -> trunks."""
        return dict(self._exact)

    @property
    def prefixes(self) -> Mapping[str, frozenset[str]]:
        """Prefix records: E.164 prefix -> trunks."""
        return dict(self._prefixes)

    def trunks_for(self, value: str) -> frozenset[str] | None:
        """The trunks that may present ``value``, or ``None`` when no record covers it."""
        checked: object = value
        if not isinstance(checked, str):
            return None
        hit = self._exact.get(value)
        if hit is not None:
            return hit
        if value[:1] == "+":
            for n in range(len(value), 1, -1):
                hit = self._prefixes.get(value[:n])
                if hit is not None:
                    return hit
        return None

    def authorised(self, value: str, trunk: str) -> bool | None:
        """Whether ``trunk`` may present ``value``; ``None`` when no record covers it."""
        trunks = self.trunks_for(value)
        return None if trunks is None else trunk in trunks

    def __getitem__(self, value: str) -> frozenset[str]:
        trunks = self.trunks_for(value)
        if trunks is None:
            raise KeyError(value)
        return trunks

    def __iter__(self) -> Iterator[str]:
        yield from sorted(self._exact.keys() | self._prefixes.keys())

    def __len__(self) -> int:
        return len(self._exact.keys() | self._prefixes.keys())

    def __repr__(self) -> str:
        return (
            f"PresenterAuthorisation(exact={len(self._exact)}, prefixes={len(self._prefixes)}, "
            f"sources={self.sources!r})"
        )

    @classmethod
    def merge(cls, lists: Iterable[VerifiedReference | StoredReference]) -> PresenterAuthorisation:
        """The union of presenters lists."""
        exact: dict[str, set[str]] = {}
        prefixes: dict[str, set[str]] = {}
        sources: list[str] = []
        for item in lists:
            if item.manifest.list_type != PRESENTERS:
                raise ConfigurationError(
                    f"{item.manifest.list_type} is not a presenters list",
                    code="not_a_presenters_list",
                )
            for r in item.records:
                if isinstance(r, PresenterRecord):
                    target = exact if r.match == "exact" else prefixes
                    target.setdefault(r.value, set()).update(r.trunks)
            sources.append(
                f"{item.manifest.issuer}/{item.manifest.list_id}@{item.manifest.version}"
            )
        return cls(exact, prefixes, sorted(sources))


# ------------------------------------------------------------------------ store


@attrs.frozen(kw_only=True)
class StoredReference:
    """One reference list a receiver accepted (what :class:`ReferenceStore` holds)."""

    manifest: Manifest
    data: bytes = attrs.field(repr=False)
    accepted_at: datetime

    @property
    def version(self) -> int:
        """The accepted version."""
        return self.manifest.version

    @property
    def state_sha256(self) -> str:
        """SHA-256 of the held snapshot."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def records(self) -> tuple[ReferenceRecord, ...]:
        """The held records, parsed again from the held bytes (with the plan in effect)."""
        spec = _spec(self.manifest.list_type)
        return tuple(r for r, _ in _records(self.data, spec, protected=None))

    def to_dict(self) -> dict[str, object]:
        """The JSON shape used by the CLI."""
        m = self.manifest
        return {
            "issuer": m.issuer,
            "list_id": m.list_id,
            "list_type": m.list_type,
            "version": m.version,
            "state_sha256": self.state_sha256,
            "record_count": self.data.count(b"\n"),
            "expires": format_timestamp(m.expires),
            "accepted_at": format_timestamp(self.accepted_at),
        }


_SCHEMA: Final = """CREATE TABLE IF NOT EXISTS reference (
    issuer TEXT NOT NULL,
    list_id TEXT NOT NULL,
    list_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    state_sha256 TEXT NOT NULL,
    manifest BLOB NOT NULL,
    data BLOB NOT NULL,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (issuer, list_id)
) WITHOUT ROWID"""


def _unchanged(last: StoredReference | None, verified: VerifiedReference) -> bool:
    """The state checks of accepting ``verified`` over ``last``: raise, or say "unchanged".

    The receiver state's rules (:mod:`~antifraud_common.exchange.policy`): older is a
    rollback, the same version with another state hash a fork, and a delta must apply
    to exactly the held version and state hash. The hash compared with the held one is
    that of the bytes to be kept (:attr:`VerifiedReference.state_sha256`).
    """
    m = verified.manifest
    if m.is_delta:
        verdict = delta_verdict(attrs.evolve(m, result_sha256=verified.state_sha256), last)
    else:
        verdict = snapshot_verdict(attrs.evolve(m, sha256=verified.state_sha256), last)
    if verdict.problem is not None:
        raise verdict.problem
    return verdict.unchanged


_SELECT: Final = "SELECT manifest, data, accepted_at, state_sha256 FROM reference"
_QUERIES: Final = {
    "all": f"{_SELECT} ORDER BY issuer, list_id",
    "key": f"{_SELECT} WHERE issuer=? AND list_id=?",
    "type": f"{_SELECT} WHERE list_type=? ORDER BY issuer, list_id",
}


class ReferenceStore:
    """The reference lists a receiver accepted, in ``DIR/reference.sqlite3`` beside its state.

    Every change is one ``BEGIN IMMEDIATE`` transaction that repeats the
    rollback, fork and delta-base checks against what is stored, so two
    processes accepting at once cannot interleave. A directory without a store
    reads as empty: :meth:`number_plan` is then the packaged plan.
    """

    def __init__(self, conn: sqlite3.Connection | None, directory: Path) -> None:
        self._conn = conn
        #: The state directory.
        self.directory = directory

    @classmethod
    def open(cls, directory: str | os.PathLike[str], *, create: bool = True) -> ReferenceStore:
        """Open the store in ``directory`` (created with mode 0700 if ``create`` and missing).

        Readers (``create=False``) never create anything; a directory (or store)
        that does not exist reads as empty. A directory other users may access
        is refused for writing (``state_permissions``), as for the receiver state.
        """
        d = Path(directory)
        db = d / DB_NAME
        try:
            if not create:
                if not db.exists():
                    return cls(None, d)
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
            else:
                private_state_dir(d, advice="use a private directory")
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(db, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                conn = sqlite3.connect(db, timeout=60.0, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise StateError(f"cannot open the reference store in {d}: {e}") from e
        return cls(conn, d)

    def close(self) -> None:
        """Close the database."""
        if self._conn is not None:
            self._conn.close()

    def __enter__(self) -> ReferenceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, where: str = "all", args: tuple[object, ...] = ()) -> list[StoredReference]:
        if self._conn is None:
            return []
        try:
            rows = self._conn.execute(_QUERIES[where], args).fetchall()
        except sqlite3.Error as e:
            if "no such table" in str(e):
                return []
            raise StateError(f"the reference store in {self.directory} is unusable: {e}") from e
        out = []
        for manifest, data, accepted_at, sha in rows:
            from antifraud_common.models import parse_timestamp

            item = StoredReference(
                manifest=Manifest.from_dict(canonical.loads(bytes(manifest))),
                data=bytes(data),
                accepted_at=parse_timestamp(accepted_at, field="accepted_at"),
            )
            if item.state_sha256 != sha:
                raise StateError(
                    f"the held {item.manifest.issuer}/{item.manifest.list_id} does not hash to "
                    "its state hash",
                    code="state_damaged",
                )
            out.append(item)
        return out

    def get(self, issuer: str, list_id: str) -> StoredReference | None:
        """The held list ``(issuer, list_id)``, or ``None`` (a ``StateLike`` for verification)."""
        rows = self._rows("key", (issuer, list_id))
        return rows[0] if rows else None

    def lists(self, list_type: str | None = None) -> list[StoredReference]:
        """Every held reference list (of ``list_type``), by issuer and list id."""
        if list_type is None:
            return self._rows()
        return self._rows("type", (list_type,))

    def accept(self, verified: VerifiedReference, *, now: datetime | None = None) -> str:
        """Keep a verified reference list; return ``"snapshot"``, ``"delta"`` or ``"unchanged"``.

        Inside the transaction, with the receiver state's rules
        (:mod:`~antifraud_common.exchange.policy`): an older version than the held
        one raises :class:`~antifraud_common.errors.RollbackError`, the same version
        with another state hash :class:`~antifraud_common.errors.ForkError`; a delta
        must have been applied to exactly the held version and hash
        (:class:`DeltaBaseMismatchError`).
        """
        if self._conn is None:
            raise StateError("the reference store was opened read-only", code="state_read_only")
        m = verified.manifest
        _spec(m.list_type)
        moment = now_utc(now)
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if _unchanged(self.get(m.issuer, m.list_id), verified):
                    conn.execute("ROLLBACK")
                    return "unchanged"
                conn.execute(
                    "INSERT OR REPLACE INTO reference VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        m.issuer,
                        m.list_id,
                        m.list_type,
                        m.version,
                        verified.state_sha256,
                        canonical.dumps(m.to_dict()),
                        verified.data,
                        format_timestamp(moment),
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise StateError(f"cannot write the reference store in {self.directory}: {e}") from e
        return "delta" if m.is_delta else "snapshot"

    def apply(
        self,
        path: str | os.PathLike[str],
        sig: str | os.PathLike[str] | bytes,
        *,
        trust: TrustBundle,
        list_type: str,
        now: datetime | None = None,
        grace: timedelta | None = None,
        protected: ProtectedMatcher | None = None,
    ) -> tuple[VerifiedReference, str]:
        """Verify a reference snapshot or delta against what is held and keep it.

        A delta is applied to the held version of its list. Returns the
        verified list and what :meth:`accept` did.
        """
        sig_bytes = _read_sig(sig)
        claimed = read_manifest(sig_bytes)  # only to find the base; verified below
        held = self.get(claimed.issuer, claimed.list_id)
        # Phone values of the records are judged with the plan this receiver holds.
        with numberplan.use(self.number_plan()):
            verified = verify_reference(
                path,
                sig_bytes,
                trust=trust,
                list_type=list_type,
                state=self,
                base=held,
                now=now,
                grace=grace,
                protected=protected,
            )
        return verified, self.accept(verified, now=now)

    def number_plan(self) -> NumberPlan:
        """The plan in effect: the newest held ``number_plan`` list, or the packaged plan.

        A held plan is used when its version is higher than the packaged plan's
        (at an equal version the packaged plan stays, so outputs do not
        change); among held plans the highest version wins, then the first by
        ``(issuer, list_id)``. An expired plan is still used: allocations do
        not lapse, and the packaged plan is older still.
        """
        best: StoredReference | None = None
        for item in self.lists(NUMBER_PLAN):
            if best is None or item.version > best.version:
                best = item
        packaged = NumberPlan.packaged()
        if best is None or best.version <= packaged.version:
            return packaged
        return _plan_of(
            NUMBER_PLAN,
            best.records,
            best.version,
            f"{best.manifest.issuer}/{best.manifest.list_id}",
        )

    def do_not_originate(self) -> DoNotOriginate:
        """The union of the held Do-Not-Originate lists (empty when none is held).

        The held numbers are read with the plan in effect here, :meth:`number_plan`.
        """
        with numberplan.use(self.number_plan()):
            return DoNotOriginate.merge(self.lists(DO_NOT_ORIGINATE))

    def presenters(self) -> PresenterAuthorisation:
        """The union of the held presenters lists (empty when none is held)."""
        with numberplan.use(self.number_plan()):
            return PresenterAuthorisation.merge(self.lists(PRESENTERS))


def held_plan(directory: str | os.PathLike[str]) -> NumberPlan:
    """The plan in effect for the receiver state in ``directory``.

    See :meth:`ReferenceStore.number_plan`; a directory without a store gives
    the packaged plan.
    """
    with ReferenceStore.open(directory, create=False) as store:
        return store.number_plan()
