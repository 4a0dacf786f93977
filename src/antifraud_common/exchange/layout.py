"""The byte layout of an entry line: the one place that knows where each member stands.

An entries file's every line is the RFC 8785 canonical JSON of one entry
(``docs/spec/format.md``): members sorted by name, so a plain entry reads
``{"action":…,"case_ref":…,"confidence":…,"kind":…,"listed_at":…,"reason":…,
"source":…,"tlp":…,"valid_from":…[,"valid_until":…],"value":…}`` and a
pseudonymised one (``docs/spec/pseudonymised.md``) has ``"hmac"`` after
``"confidence"`` and no ``"value"``. Everything in the library that reads or
writes lines by their bytes uses this module:

* :func:`entry_line` / :func:`record_line` write a line;
* :func:`entry_key` and :func:`stored_line_key` read the identifier key
  ``(kind, value)`` of a canonical line without parsing it, and
  :func:`find_line` finds the line of a key in a run of stored lines (the
  receiver state's chunks); :func:`pseudonymised_key` reads the key
  ``(kind, hmac)`` of a pseudonymised line;
* :func:`scan_entry_lines` and :func:`scan_pseudonymised_lines` are the fast
  line parsers of the streaming checker: one precompiled pattern of the
  canonical shape per form, timestamps and case references decided on the
  bytes, identifiers by their validators' fast paths (phone numbers in bulk);
* :func:`parse_line` is the strict path (canonical JSON check, then the
  model's ``from_dict``) that decides and names every problem;
* :func:`verified_entry` rebuilds an :class:`~antifraud_common.models.Entry`
  from a line that already passed the checker.

The fast parser accepts a line exactly when the strict path does and the
line holds no backslash (an escape sends it to the strict path), and then
computes the same key (``tests/test_layout.py`` holds it to that).

>>> line = (b'{"action":"block","case_ref":"A-1","confidence":90,"kind":"phone",'
...         b'"listed_at":"2026-01-01T00:00:00Z","reason":"telecom_fraud","source":"mps",'
...         b'"tlp":"amber","valid_from":"2026-01-01T00:00:00Z","value":"+8613800138000"}')
>>> entry_key(line)
(b'phone', b'+8613800138000')
>>> [fields[:3] for fields in scan_entry_lines([line], 4096)]
[(b'phone', b'block', b'+8613800138000')]
>>> scan_entry_lines([line.replace(b"2026-01-01T", b"2026-02-30T", 1)], 4096)
[None]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Final, Protocol, TypeVar

import attrs

from antifraud_common.errors import BlacklistFormatError, ModelError, ValidationError
from antifraud_common.format import canonical
from antifraud_common.models import (
    MAX_CASE_REF,  # the model's rule, decided on bytes
    TLP,
    Action,
    Entry,
    IdentifierKind,
    Reason,
    canonical_value,
)

__all__ = [
    "KIND_MEMBER",
    "REAL_TIMESTAMP",
    "VALUE_MEMBER",
    "Fields",
    "Key",
    "case_ref_ok",
    "entry_error_code",
    "entry_key",
    "entry_line",
    "find_line",
    "iter_entry_fields",
    "iter_pseudonymised_fields",
    "needs_escape",
    "parse_line",
    "plan_hint",
    "pseudonymised_key",
    "record_line",
    "scan_entry_lines",
    "scan_pseudonymised_lines",
    "span_ok",
    "stored_line_key",
    "verified_entries",
    "verified_entry",
]

_T = TypeVar("_T")

#: The identifier key of a line: ``(kind, value)`` (or ``(kind, hmac)``) as UTF-8 bytes.
Key = tuple[bytes, bytes]
#: What a line parser gives for an accepted line: kind, action, key value (bytes) and
#: the same value as text.
Fields = tuple[bytes, bytes, bytes, str]

#: The ``kind`` member as it stands inside a line (after ``{`` or ``,``).
KIND_MEMBER: Final = b'"kind":"'
#: The ``value`` member: always the last one of a plain entry line.
VALUE_MEMBER: Final = b',"value":"'
_KIND_MARK: Final = b"," + KIND_MEMBER
_KINDS: Final = frozenset(k.value.encode() for k in IdentifierKind)


class _Record(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


# ------------------------------------------------------------------- writing


def record_line(record: _Record) -> bytes:
    """The canonical line (with LF) of any record with a ``to_dict`` (plain or pseudonymised)."""
    return canonical.dumps(record.to_dict()) + b"\n"


def entry_line(entry: Entry) -> bytes:
    """Return the canonical line (with LF) for ``entry``."""
    return record_line(entry)


# ---------------------------------------------------------------- line keys


def _decode_json_string(raw: bytes, lineno: int | None) -> bytes:
    try:
        text = json.loads(b'"' + raw + b'"')
    except ValueError as e:
        raise BlacklistFormatError("bad JSON string", code="bad_line", line=lineno) from e
    return str(text).encode("utf-8", "surrogatepass")


def entry_key(line: bytes, lineno: int | None = None) -> Key:
    """Return the identifier key ``(kind, value)`` (UTF-8 bytes) of a canonical entry line.

    ``line`` is one canonical entry (with or without its LF). The members are in
    canonical order, so the key is found without a full parse: ``kind`` is the
    first member of that name and ``value`` is the last member. A raw ``"``
    cannot occur inside a JSON string, so neither marker can be spoofed by a
    field's text.

    >>> entry_key(b'{"action":"block","kind":"phone","value":"+8613800138000"}')
    (b'phone', b'+8613800138000')
    """
    if line.endswith(b"\n"):
        line = line[:-1]
    k = 1 if line.startswith(b"{" + KIND_MEMBER) else line.find(_KIND_MARK)
    v = line.rfind(VALUE_MEMBER)
    if k < 0 or v < 0 or not line.endswith(b'"}'):
        raise BlacklistFormatError(
            "not an entry line (no kind or value member)", code="bad_line", line=lineno
        )
    k += len(_KIND_MARK) - 1 if k == 1 else len(_KIND_MARK)
    kind = line[k : line.find(b'"', k)]
    value = line[v + len(VALUE_MEMBER) : -2]
    if b"\\" in value:
        value = _decode_json_string(value, lineno)
    if kind not in _KINDS:
        raise BlacklistFormatError("unknown identifier kind", code="bad_line", line=lineno)
    return kind, value


def stored_line_key(line: bytes) -> Key:
    """Key of one stored canonical line (with its LF): two byte searches, no parse.

    The same markers as :func:`entry_key`; escaped values take its exact path.
    """
    v = line.rfind(VALUE_MEMBER)
    value = line[v + 10 : -3]
    if v < 0 or b"\\" in value:
        return entry_key(line)
    k = line.find(KIND_MEMBER) + 8
    return line[k : line.find(b'"', k)], value


# The members of a pseudonymised line that make its key: "hmac" stands right before
# "kind" (canonical order), and neither a HMAC nor a kind has anything to escape.
_PSEUDONYMISED_KEY: Final = re.compile(rb'"hmac":"([0-9a-f]{64})",' + KIND_MEMBER + rb'([a-z_]+)"')


def pseudonymised_key(line: bytes) -> Key | None:
    """Key ``(kind, hmac)`` (UTF-8 bytes) of a canonical pseudonymised line, or None.

    One search, no parse; only for lines that passed the checker (None when the
    line has no ``hmac`` member followed by ``kind``).

    >>> pseudonymised_key(b'{"action":"block","case_ref":"A-1","confidence":90,"hmac":"'
    ...                   + b"ab" * 32 + b'","kind":"phone","listed_at":"2026-01-01T00:00:00Z"}')
    (b'phone', b'abababababababababababababababababababababababababababababababab')
    """
    m = _PSEUDONYMISED_KEY.search(line)
    return None if m is None else (m[2], m[1])


# Bytes a canonical JSON string escapes (so a value holding one is not stored verbatim).
_ESCAPED: Final = re.compile(rb'["\\\x00-\x1f]')


def needs_escape(value: bytes) -> bool:
    """Whether canonical JSON writes ``value`` other than verbatim (it holds ``"``, ``\\``
    or a control character), so byte searches for it do not apply."""
    return _ESCAPED.search(value) is not None


def find_line(data: bytes, key: Key, pos: int = 0) -> tuple[int, int] | None:
    """Where the line of ``key`` stands in ``data`` (canonical lines with LF), from ``pos``.

    Returns ``(start, end)`` (``end`` after the LF) or ``None``. The line is found
    by its ending, ``,"value":"<value>"}`` and the LF (a raw quote or LF cannot
    occur inside a JSON string, so only the value member of a line can match),
    then its first ``"kind":"`` member is compared. Only for values that need
    no escape (:func:`needs_escape`).
    """
    kind, value = key
    tail = VALUE_MEMBER + value + b'"}\n'
    at = data.find(tail, pos)
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        mark = data.find(KIND_MEMBER, start) + 8
        if data[mark : data.find(b'"', mark)] == kind:
            return start, at + len(tail)
        at = data.find(tail, at + 1)
    return None


# --------------------------------------------------------------- fast parsers

# A canonical timestamp that is a real date and time, decided by the pattern alone
# (accepting exactly what parse_timestamp accepts): year 0001-9999, month 01-12, a day
# that month has (29 February only in Gregorian leap years), hour 00-23, minute and
# second 00-59. No general parser per line: lines of distinct listing times cost the
# same as lines sharing one.
_REAL_DATE: Final = (
    rb"(?:(?!0000)\d{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
    rb"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    rb"|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)"
)
_REAL_TS: Final = _REAL_DATE + rb"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ"
#: A canonical timestamp that is a real date and time (exactly what ``parse_timestamp``
#: accepts).
REAL_TIMESTAMP: Final = re.compile(_REAL_TS)
_TS_SHAPE: Final = rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"
# A JSON string's text with nothing to unescape (capturing).
_STR: Final = rb'([^"\\\x00-\x1f]{1,512})'


def _alt(values: Iterable[str], *, capture: bool = True) -> bytes:
    body = b"|".join(re.escape(v.encode()) for v in sorted(values))
    return (b"(" if capture else b"(?:") + body + b")"


def _head(*, hmac: bool) -> bytes:
    # The members both forms share, up to "kind", in canonical order (RFC 8785 sorts by
    # UTF-16 code units; every name is ASCII). Groups: action, case_ref[, hmac], kind.
    return (
        rb'\{"action":"' + _alt(a.value for a in Action) + b'"'
        rb',"case_ref":"' + _STR + b'"'
        rb',"confidence":(?:0|[1-9][0-9]?|100)'
        + (rb',"hmac":"([0-9a-f]{64})"' if hmac else b"")
        + b","
        + KIND_MEMBER
        + _alt(k.value for k in IdentifierKind)
        + b'"'
    )


def _middle(ts: bytes, *, span: bool) -> bytes:
    # listed_at .. tlp, with timestamps of the pattern ``ts``; with ``span``, a group opens
    # at the listed_at stamp (closed by the caller after the last stamp).
    return (
        rb',"listed_at":"'
        + (b"(" if span else b"")
        + ts
        + rb'","reason":"'
        + _alt((r.value for r in Reason), capture=False)
        + rb'","source":"[a-z0-9][a-z0-9_.-]{0,63}","tlp":"'
        + _alt((t.value for t in TLP), capture=False)
    )


def _validity(ts: bytes, *, capture: bool) -> bytes:
    # valid_from and the optional valid_until, with timestamps of the pattern ``ts`` (each
    # a group with ``capture``), after the tlp string's value.
    stamp = b"(" + ts + b")" if capture else ts
    return rb'","valid_from":"' + stamp + rb'"(?:,"valid_until":"' + stamp + rb'")?'


# Groups: action, case_ref, kind, valid_from, valid_until (None when absent), value.
_ENTRY_LINE: Final = re.compile(
    _head(hmac=False)
    + _middle(_REAL_TS, span=False)
    + _validity(_REAL_TS, capture=True)
    + VALUE_MEMBER
    + _STR
    + rb'"\}'
)
# Groups: action, case_ref, hmac, kind, and the listed_at..valid_until span (its stamps
# are checked by span_ok: the pattern keeps to their shape).
_PSEUDONYMISED_LINE: Final = re.compile(
    _head(hmac=True) + _middle(_TS_SHAPE, span=True) + _validity(_TS_SHAPE, capture=False) + rb")\}"
)
# Splits a listed_at..valid_until span into its timestamps.
_SPAN_TIMES: Final = re.compile(_TS_SHAPE)
_CASE_REF_ATTR: Final = attrs.fields(Entry).case_ref


def case_ref_ok(raw: bytes) -> bool:
    """Whether a case reference the line pattern matched (no control character, quote or
    backslash) passes the model's rule."""
    if raw.isascii():
        # What is left of the rule for such ASCII text: the length, DEL, and outer spaces
        # (the only ASCII whitespace the pattern lets through).
        return (
            len(raw) <= MAX_CASE_REF and raw[0] != 0x20 and raw[-1] != 0x20 and b"\x7f" not in raw
        )
    try:
        text = raw.decode("utf-8")
        assert _CASE_REF_ATTR.validator is not None
        _CASE_REF_ATTR.validator(None, _CASE_REF_ATTR, text)
    except (UnicodeDecodeError, ModelError):
        return False
    return True


def span_ok(span: bytes) -> bool:
    """Timestamps of a listed_at..valid_until span (already shape-checked) are real dates,
    and valid_until (if any) is later than valid_from."""
    times = _SPAN_TIMES.findall(span)
    if not all(REAL_TIMESTAMP.fullmatch(t) for t in times):
        return False
    # listed_at, valid_from[, valid_until]: fixed-width canonical stamps compare as bytes.
    return len(times) == 2 or times[2] > times[1]


def phone_validate_many(values: list[str]) -> Iterator[tuple[str | None, object]]:
    """The phone module's bulk validator (imported on first use)."""
    from antifraud_common.phone import validate_many

    return validate_many(values)


def _value_checker(kind: IdentifierKind) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            return canonical_value(kind, value) == value
        except ValidationError:
            return False

    return check


_VALUE_CHECKERS: Final[dict[bytes, Callable[[str], bool]]] = {}


def _value_ok(kind: bytes, value: str) -> bool:
    # One canonical-form checker per identifier kind, made on first use.
    check = _VALUE_CHECKERS.get(kind)
    if check is None:
        check = _VALUE_CHECKERS[kind] = _value_checker(IdentifierKind(kind.decode()))
    return check(value)


def iter_entry_fields(lines: list[bytes], max_line_bytes: int) -> Iterator[Fields | None]:
    """The fast parser of plain entry lines: per line, its :data:`Fields` or ``None``.

    ``None`` means "not decided here": the strict path (:func:`parse_line`)
    must decide the line (and name its problem). A line is accepted when it has
    the canonical shape, its identifier is in canonical form (phone numbers
    checked in bulk), its timestamps are real and ``valid_until`` follows
    ``valid_from``, its case reference passes the model's rule, and it is no
    longer than ``max_line_bytes``.
    """
    fullmatch = _ENTRY_LINE.fullmatch
    matches = [fullmatch(line) for line in lines]
    # Phone numbers are decided in bulk by the phone module's fast path.
    # (Canonical phone values are ASCII; anything else takes the exact path.)
    phones = [
        m[6].decode("ascii")
        for m in matches
        if m is not None and m[3] == b"phone" and m[6].isascii()
    ]
    phone_ok = iter(
        [
            canon == raw
            for raw, (canon, _err) in zip(phones, phone_validate_many(phones), strict=True)
        ]
    )
    phone_values = iter(phones)
    value_ok = _value_ok
    # One length check per chunk; per line only when some line is too long.
    long_lines = max(map(len, lines), default=0) > max_line_bytes
    for i, m in enumerate(matches):
        if m is None:
            yield None
            continue
        action, case_ref, kind, valid_from, valid_until, value_b = m.groups()
        fast = False
        if kind == b"phone" and value_b.isascii():
            value = next(phone_values)
            fast = next(phone_ok)
        elif value_b.isascii():
            value = value_b.decode("ascii")
            fast = kind != b"phone" and value_ok(kind, value)
        else:
            try:
                value = value_b.decode("utf-8")
                fast = kind != b"phone" and value_ok(kind, value)
            except UnicodeDecodeError:
                pass
        if (
            fast
            # Fixed-width canonical timestamps compare as bytes.
            and (valid_until is None or valid_until > valid_from)
            and case_ref_ok(case_ref)
            and not (long_lines and len(lines[i]) > max_line_bytes)
        ):
            yield (kind, action, value_b, value)
        else:
            yield None


def scan_entry_lines(lines: list[bytes], max_line_bytes: int) -> list[Fields | None]:
    """:func:`iter_entry_fields` as a list (the streaming checker takes the iterator)."""
    return list(iter_entry_fields(lines, max_line_bytes))


def iter_pseudonymised_fields(lines: list[bytes], max_line_bytes: int) -> Iterator[Fields | None]:
    """The fast parser of pseudonymised entry lines (the key value is the ``hmac``).

    The same contract as :func:`iter_entry_fields`; the HMAC's form (64
    lowercase hex digits) is part of the pattern.
    """
    fullmatch = _PSEUDONYMISED_LINE.fullmatch
    for line in lines:
        m = fullmatch(line)
        if m is None or len(line) > max_line_bytes:
            yield None
            continue
        action, case_ref, hmac_hex, kind, span = m.groups()
        if case_ref_ok(case_ref) and span_ok(span):
            yield (kind, action, hmac_hex, "")
        else:
            yield None


def scan_pseudonymised_lines(lines: list[bytes], max_line_bytes: int) -> list[Fields | None]:
    """:func:`iter_pseudonymised_fields` as a list."""
    return list(iter_pseudonymised_fields(lines, max_line_bytes))


# ---------------------------------------------------------------- strict path


def parse_line(line: bytes, lineno: int, parse: Callable[[Any], _T]) -> _T:
    """Parse one line exactly: canonical JSON, then ``parse`` (a model's ``from_dict``).

    Every problem is a :class:`BlacklistFormatError` carrying the line number.
    """
    try:
        obj = canonical.check_canonical(line, max_depth=2)
    except BlacklistFormatError as e:
        code = "not_canonical" if e.code == "json_not_canonical" else "bad_line"
        raise BlacklistFormatError(
            f"not a canonical JSON entry: {e.message}", code=code, line=lineno
        ) from e
    try:
        return parse(obj)
    except (ModelError, ValidationError) as e:
        raise BlacklistFormatError(
            f"invalid entry: {e.message} ({e.code})" + plan_hint(e.code),
            code=entry_error_code(e.code),
            field=e.field,
            line=lineno,
        ) from e


def entry_error_code(code: str) -> str:
    """The code of a list problem caused by an entry value refused with ``code``.

    A phone number in a range this library's number plan does not know as
    allocated stays ``unknown_range`` instead of ``invalid_entry``: the
    publisher's plan may simply be newer, which calls for an upgrade, not for a
    verdict that the list is bad (see ``docs/spec/number-plan.md``).
    """
    return "unknown_range" if code == "unknown_range" else "invalid_entry"


def plan_hint(code: str) -> str:
    """The advice appended to an ``unknown_range`` problem's message ('' otherwise)."""
    if code != "unknown_range":
        return ""
    from antifraud_common.numberplan import in_effect

    return (
        f"; this library's number plan is version {in_effect().version}: the publisher may use a "
        "newer one, so upgrade antifraud_common rather than dropping the entry"
    )


# ------------------------------------------------------------ verified lines

_TLP: Final = {t.value: t for t in TLP}
_REASONS: Final = {r.value: r for r in Reason}
_ACTIONS: Final = {a.value: a for a in Action}
_KIND_OF: Final = {k.value: k for k in IdentifierKind}


def verified_entries(lines: Iterable[bytes]) -> Iterator[Entry]:
    """The entries of lines that already passed the checker, in order (see :func:`verified_entry`).

    One loop for a whole file or chunk: the tables and parsers are looked up
    once, not per line.
    """
    loads, ts = json.loads, datetime.fromisoformat
    kinds, reasons, actions, tlps = _KIND_OF, _REASONS, _ACTIONS, _TLP
    # The stamps passed the canonical-timestamp check; the C parser reads that form
    # (``Z`` included) directly, so nothing per entry is kept between lines.
    for line in lines:
        d = loads(line)
        until = d.get("valid_until")
        yield Entry(
            kind=kinds[d["kind"]],
            value=d["value"],
            reason=reasons[d["reason"]],
            action=actions[d["action"]],
            source=d["source"],
            case_ref=d["case_ref"],
            confidence=d["confidence"],
            tlp=tlps[d["tlp"]],
            listed_at=ts(d["listed_at"]),
            valid_from=ts(d["valid_from"]),
            valid_until=None if until is None else ts(until),
        )


def verified_entry(line: bytes) -> Entry:
    """The entry of a line that already passed the checker (no re-validation of identifiers).

    Only for verified bytes (a verified list's private copy, the receiver
    state's chunks). A damaged line raises ``ValueError``, ``KeyError`` or
    ``TypeError`` (or a model error), for the caller to translate.
    """
    return next(verified_entries((line,)))
