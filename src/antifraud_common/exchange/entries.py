"""The streaming entries-file checker shared by list verification and validation.

An entries file (``NAME.jsonl``, see ``docs/spec/format.md``) is UTF-8 JSON
Lines (format layer: :mod:`antifraud_common.format.jsonl`) whose every line is
the RFC 8785 canonical JSON of one :class:`~antifraud_common.models.Entry`,
ordered strictly by the identifier key ``(kind, value)`` compared as UTF-8
bytes, with no duplicate key. :func:`check_entries` checks all of that in one
pass, in constant memory, together with the byte length, line count and
SHA-256 (the list's *state hash*), the publisher's scope (identifier kinds and
actions allowed by its trust-bundle rule) and the protected identifiers.

Speed: most lines match a precompiled pattern of the canonical entry shape,
which also decides that each timestamp is a real date and time (no general
date parser per line). For those, the fields are taken from the match, the
case reference and validity window are checked on the bytes, and the
identifier is checked with its validator's fast path (phone numbers in bulk);
no JSON parse, no ``Entry`` object, and no per-value cache, so a list of
distinct timestamps and case references costs what a repetitive one costs.
Any line the fast path does not accept goes through the exact path (strict
JSON parse, canonical re-serialisation, :meth:`Entry.from_dict
<antifraud_common.models.Entry.from_dict>`), which decides and names the
problem. The fast path only ever *accepts* lines the
exact path accepts.

:func:`write_entries` produces such a file from entries (sorting them,
refusing duplicate keys).

>>> import io
>>> from datetime import datetime, UTC
>>> from antifraud_common.models import Entry
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> e = Entry.from_raw(kind="phone", value="13800138000", reason="telecom_fraud",
...                    action="block", source="mps", case_ref="A-1", confidence=90,
...                    tlp="amber", listed_at=t, valid_from=t)
>>> data = entry_line(e)
>>> data
b'{"action":"block","case_ref":"A-1","confidence":90,"kind":"phone","listed_at":"2026-01-01T00:00:00Z","reason":"telecom_fraud","source":"mps","tlp":"amber","valid_from":"2026-01-01T00:00:00Z","value":"+8613800138000"}\\n'
>>> s = check_entries(io.BytesIO(data), protected=NO_PROTECTED)
>>> s.entry_count, s.byte_length, s.ok
(1, 217, True)
>>> check_entries(io.BytesIO(data + data), protected=NO_PROTECTED)
Traceback (most recent call last):
...
antifraud_common.errors.BlacklistFormatError: line 2: duplicate identifier key ...
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime
from typing import Any, BinaryIO, Final, Protocol, TypeVar

import attrs

from antifraud_common._files import open_input
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    HashMismatchError,
    ModelError,
    ProtectedIdentifierError,
    ScopeError,
    ValidationError,
)
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import (
    DEFAULT_LIMITS,
    Limits,
    StreamDigest,
    _check_line,  # framing rules shared with the reader
)
from antifraud_common.format.jsonl import write_lines as _write_lines
from antifraud_common.models import (
    _MAX_CASE_REF,  # the model's rule, decided on bytes
    TLP,
    Action,
    Entry,
    IdentifierKind,
    Reason,
    canonical_value,
    mask_value,
)

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "NO_PROTECTED",
    "EntriesScope",
    "EntriesSummary",
    "ProtectedMatcher",
    "check_entries",
    "entry_line",
    "iter_verified_entries",
    "validate_entries_file",
    "write_entries",
]

_T = TypeVar("_T")

#: Most problems a report collects before it stops listing them.
DEFAULT_MAX_PROBLEMS: Final = 1000


class ProtectedMatcher(Protocol):
    """What the checker needs from a protected-identifier list.

    ``match`` returns something truthy (e.g. the matching record) when the
    identifier is protected, else ``None``.
    """

    def match(self, kind: IdentifierKind, value: str) -> object | None:
        """Return a truthy record if ``(kind, value)`` is protected."""
        ...


class _NoProtected:
    def match(self, kind: IdentifierKind, value: str) -> object | None:
        return None

    def __repr__(self) -> str:
        return "NO_PROTECTED"


#: A matcher that protects nothing (for tests and for lists checked elsewhere).
NO_PROTECTED: Final[ProtectedMatcher] = _NoProtected()


def _default_protected() -> ProtectedMatcher:
    from antifraud_common.protected import ProtectedList

    return ProtectedList.load_default()


@attrs.frozen(kw_only=True)
class EntriesScope:
    """The identifier kinds and actions a list may contain (from a publish rule)."""

    kinds: frozenset[IdentifierKind] = attrs.field(converter=frozenset)
    actions: frozenset[Action] = attrs.field(converter=frozenset)
    #: Only used in messages.
    list_type: str = ""

    @classmethod
    def from_rule(cls, rule: object) -> EntriesScope:
        """Build from a :class:`~antifraud_common.exchange.trust.PublishRule`."""
        return cls(
            kinds=getattr(rule, "kinds", ()),
            actions=getattr(rule, "actions", ()),
            list_type=getattr(rule, "list_type", ""),
        )


@attrs.frozen(kw_only=True)
class EntriesSummary:
    """What one pass over an entries file found.

    ``problems`` holds at most ``max_problems`` errors (each with ``line`` set
    where one applies); ``problem_count`` counts them all. ``complete`` is
    ``False`` when a structural problem (bad line framing, too large) stopped
    the pass early, in which case the count, length and hash are partial.
    """

    entry_count: int
    byte_length: int
    sha256: str
    problems: tuple[AntifraudError, ...] = ()
    problem_count: int = 0
    complete: bool = True

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return self.problem_count == 0

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by reports and the CLI."""
        return {
            "ok": self.ok,
            "entry_count": self.entry_count,
            "byte_length": self.byte_length,
            "sha256": self.sha256,
            "complete": self.complete,
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
        }


# ----------------------------------------------------------------- fast path

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
_REAL_TS_RE: Final = re.compile(_REAL_TS)
_STR: Final = rb'([^"\\\x00-\x1f]{1,512})'


def _alt(values: Iterable[str]) -> bytes:
    return b"(" + b"|".join(re.escape(v.encode()) for v in sorted(values)) + b")"


# Canonical member order (RFC 8785 sorts by UTF-16 code units; all names ASCII).
# Groups: action, case_ref, kind, valid_from, valid_until (None when absent), value.
_FAST_LINE: Final = re.compile(
    rb'\{"action":' + b'"' + _alt(a.value for a in Action) + b'"'
    rb',"case_ref":"' + _STR + b'"'
    rb',"confidence":(?:0|[1-9][0-9]?|100)'
    rb',"kind":"' + _alt(k.value for k in IdentifierKind) + b'"'
    rb',"listed_at":"'
    + _REAL_TS
    + rb'","reason":"'
    + _alt(r.value for r in Reason)[1:-1].join((b"(?:", b")"))
    + rb'","source":"[a-z0-9][a-z0-9_.-]{0,63}"'
    rb',"tlp":"'
    + _alt(t.value for t in TLP)[1:-1].join((b"(?:", b")"))
    + rb'","valid_from":"('
    + _REAL_TS
    + rb')"(?:,"valid_until":"('
    + _REAL_TS
    + rb')")?'
    rb',"value":"' + _STR + rb'"\}'
)
# Splits a listed_at..valid_until span into its timestamps (the pseudonymised checker).
_SPAN_TIMES: Final = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_CASE_REF_ATTR: Final = attrs.fields(Entry).case_ref
_CHUNK: Final = 1 << 20


def _case_ref_ok(raw: bytes) -> bool:
    """Whether a case reference the line pattern matched (no control character, quote or
    backslash) passes the model's rule."""
    if raw.isascii():
        # What is left of the rule for such ASCII text: the length, DEL, and outer spaces
        # (the only ASCII whitespace the pattern lets through).
        return (
            len(raw) <= _MAX_CASE_REF and raw[0] != 0x20 and raw[-1] != 0x20 and b"\x7f" not in raw
        )
    try:
        text = raw.decode("utf-8")
        assert _CASE_REF_ATTR.validator is not None
        _CASE_REF_ATTR.validator(None, _CASE_REF_ATTR, text)
    except (UnicodeDecodeError, ModelError):
        return False
    return True


def _span_ok(span: bytes) -> bool:
    """Timestamps of a listed_at..valid_until span (already shape-checked) are real dates,
    and valid_until (if any) is later than valid_from."""
    times = _SPAN_TIMES.findall(span)
    if not all(_REAL_TS_RE.fullmatch(t) for t in times):
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


class _ValueCheckers:
    """One canonical-form checker per identifier kind, made on first use."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[bytes, Callable[[str], bool]] = {}

    def value_ok(self, kind: bytes, value: str) -> bool:
        check = self.values.get(kind)
        if check is None:
            check = self.values[kind] = _value_checker(IdentifierKind(kind.decode()))
        return check(value)


# ----------------------------------------------------------------- exact path


def _parse_line(line: bytes, lineno: int, parse: Callable[[Any], _T]) -> _T:
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


def _exact(line: bytes, lineno: int) -> Entry:
    return _parse_line(line, lineno, Entry.from_dict)


# -------------------------------------------------------------------- checker


_CN_TEL: Final = re.compile(r"tel:(\d{5,});phone-context=\+86")


class _Prefilter:
    """A cheap necessary condition for a protected match, built from the list's records.

    A protected-number list matches a value exactly, or (phone numbers) a
    protected short code of five or more digits behind a Chinese area code
    (``+86`` + 2-3 digit area code + short code; see ``docs/spec/protected-numbers.md``).
    Only values passing this filter are handed to the list's own ``match``.
    """

    __slots__ = ("exact", "shorts")

    def __init__(self, exact: frozenset[tuple[bytes, str]], shorts: frozenset[str]) -> None:
        self.exact = exact
        self.shorts = shorts

    @classmethod
    def build(cls, matcher: ProtectedMatcher | None) -> _Prefilter | None:
        try:
            records = list(matcher)  # type: ignore[call-overload]
            exact = frozenset((r.kind.value.encode(), r.value) for r in records)
            shorts = frozenset(
                m.group(1)
                for r in records
                if r.kind is IdentifierKind.PHONE and (m := _CN_TEL.fullmatch(r.value))
            )
        except (TypeError, AttributeError):
            return None  # not an iterable of records: ask the matcher for every value
        return cls(exact, shorts)

    def may_match(self, kind: bytes, value: str) -> bool:
        if (kind, value) in self.exact:
            return True
        if kind != b"phone" or value[:3] != "+86":
            return False
        return value[5:] in self.shorts or value[6:] in self.shorts


class _Collector:
    def __init__(self, collect: bool, max_problems: int) -> None:
        self.collect = collect
        self.max_problems = max_problems
        self.problems: list[AntifraudError] = []
        self.count = 0

    def add(self, problem: AntifraudError) -> None:
        if not self.collect:
            raise problem
        self.count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)


class _Checker:
    """State of one pass; :meth:`feed` takes the complete lines of one chunk."""

    def __init__(
        self,
        *,
        scope: EntriesScope | None,
        matcher: ProtectedMatcher | None,
        allow_protected: Collection[tuple[str, str]],
        limits: Limits,
        problems: _Collector,
    ) -> None:
        self.scope = scope
        self.kinds_ok = None if scope is None else frozenset(k.value.encode() for k in scope.kinds)
        self.actions_ok = (
            None if scope is None else frozenset(a.value.encode() for a in scope.actions)
        )
        self.matcher = None if isinstance(matcher, _NoProtected) else matcher
        self.prefilter = _Prefilter.build(self.matcher)
        self.allowed = frozenset((str(k), str(v)) for k, v in allow_protected)
        self.limits = limits
        self.problems = problems
        self.checkers = _ValueCheckers()
        self.prev: tuple[bytes, bytes] | None = None
        self.lineno = 0
        self.kind_enums = {k.value.encode(): k for k in IdentifierKind}

    def _slow(self, line: bytes, lineno: int) -> tuple[bytes, bytes, bytes, str] | None:
        try:
            _check_line(line, lineno, self.limits)
            entry = _exact(line, lineno)
        except BlacklistFormatError as e:
            self.problems.add(e)
            return None
        value = entry.value
        return entry.kind.value.encode(), entry.action.value.encode(), value.encode(), value

    def feed(self, lines: list[bytes]) -> None:
        start = self.lineno
        if start + len(lines) > self.limits.max_entries:
            raise BlacklistFormatError(
                f"more than {self.limits.max_entries} lines",
                code="jsonl_too_many_entries",
                line=self.limits.max_entries + 1,
            )
        fullmatch = _FAST_LINE.fullmatch
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
        checkers = self.checkers
        case_ref_ok = _case_ref_ok
        kinds_ok, actions_ok = self.kinds_ok, self.actions_ok
        # One length check per chunk; per line only when some line is too long.
        long_lines = max(map(len, lines), default=0) > self.limits.max_line_bytes
        check_protected = self.matcher is not None
        prefilter = self.prefilter
        prev = self.prev
        problems = self.problems
        for lineno, m in enumerate(matches, start + 1):
            fast = False
            if m is not None:
                action, case_ref, kind, valid_from, valid_until, value_b = m.groups()
                if kind == b"phone" and value_b.isascii():
                    value = next(phone_values)
                    fast = next(phone_ok)
                elif value_b.isascii():
                    value = value_b.decode("ascii")
                    fast = kind != b"phone" and checkers.value_ok(kind, value)
                else:
                    try:
                        value = value_b.decode("utf-8")
                        fast = kind != b"phone" and checkers.value_ok(kind, value)
                    except UnicodeDecodeError:
                        pass
                fast = (
                    fast
                    # Fixed-width canonical timestamps compare as bytes.
                    and (valid_until is None or valid_until > valid_from)
                    and case_ref_ok(case_ref)
                    and not (
                        long_lines and len(lines[lineno - start - 1]) > self.limits.max_line_bytes
                    )
                )
            if not fast:
                got = self._slow(lines[lineno - start - 1], lineno)
                if got is None:
                    continue
                kind, action, value_b, value = got
            key = (kind, value_b)
            if prev is not None and key <= prev:
                dup = key == prev
                problems.add(
                    BlacklistFormatError(
                        "duplicate identifier key (kind, value)"
                        if dup
                        else "entries are not sorted by (kind, value)",
                        code="duplicate_key" if dup else "not_sorted",
                        line=lineno,
                    )
                )
            else:
                prev = key
            if kinds_ok is not None and kind not in kinds_ok:
                self._scope_problem("kind", kind, lineno)
            if actions_ok is not None and action not in actions_ok:
                self._scope_problem("action", action, lineno)
            if check_protected and (prefilter is None or prefilter.may_match(kind, value)):
                self._protected(kind, value, lineno)
        self.prev = prev
        self.lineno = start + len(lines)

    def _scope_problem(self, field: str, value: bytes, lineno: int) -> None:
        where = f" of list type {self.scope.list_type!r}" if self.scope else ""
        self.problems.add(
            ScopeError(
                f"{field} {value.decode()!r} is not allowed by the publish rule{where}",
                line=lineno,
                field=field,
            )
        )

    def _protected(self, kind: bytes, value: str, lineno: int) -> None:
        assert self.matcher is not None
        k = self.kind_enums[kind]
        if self.matcher.match(k, value) and (k.value, value) not in self.allowed:
            self.problems.add(
                ProtectedIdentifierError(
                    f"{k.value} {mask_value(k, value)} is protected and not in the "
                    "manifest's allow_protected",
                    line=lineno,
                    field="value",
                )
            )


def _stream(
    f: BinaryIO,
    checker: _Checker,
    digest: StreamDigest,
    copy_to: BinaryIO | None,
    max_bytes: int | None,
    *,
    progress: Callable[[int], None] | None = None,
) -> None:
    limits = checker.limits
    pending = b""
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        if max_bytes is not None and digest.byte_count > max_bytes:
            raise HashMismatchError(
                f"the entries file is longer than the signed {max_bytes} bytes",
                code="length_mismatch",
            )
        if digest.byte_count > limits.max_total_bytes:
            raise BlacklistFormatError(
                f"file larger than {limits.max_total_bytes} bytes",
                code="jsonl_too_large",
                line=checker.lineno + 1,
            )
        if copy_to is not None:
            copy_to.write(chunk)
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        checker.feed(lines)
        digest.line_count = checker.lineno
        if progress is not None:
            progress(digest.byte_count)
        if len(pending) > limits.max_line_bytes:
            raise BlacklistFormatError(
                f"line longer than {limits.max_line_bytes} bytes",
                code="jsonl_line_too_long",
                line=checker.lineno + 1,
            )
    if pending:
        if checker.lineno == 0 and pending.startswith(b"\xef\xbb\xbf"):
            raise BlacklistFormatError("byte order mark", code="jsonl_bom", line=1)
        raise BlacklistFormatError(
            "the last line does not end with LF",
            code="jsonl_missing_final_newline",
            line=checker.lineno + 1,
        )


def check_entries(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    scope: EntriesScope | None = None,
    protected: ProtectedMatcher | None = None,
    allow_protected: Collection[tuple[str, str]] = (),
    limits: Limits | None = None,
    collect: bool = False,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    copy_to: BinaryIO | None = None,
    max_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> EntriesSummary:
    """Check an entries file in one streaming pass and return its summary.

    Checks every line: framing (LF, UTF-8, no BOM, :class:`Limits`; ``jsonl_*``
    codes), canonical JSON (``not_canonical``, ``bad_line``), a valid entry
    (``invalid_entry``), keys strictly increasing (``not_sorted``,
    ``duplicate_key``), kind and action within ``scope`` (:class:`ScopeError`),
    no protected identifier unless in ``allow_protected``
    (:class:`ProtectedIdentifierError`). ``protected=None`` uses the packaged
    default list; pass :data:`NO_PROTECTED` to skip. With ``collect=False`` the
    first problem is raised; with ``collect=True`` problems are gathered
    (framing problems stop the pass). ``copy_to`` receives every byte read
    (the private verified copy); reading more than ``max_bytes`` raises
    :class:`HashMismatchError` ``length_mismatch``. ``progress`` is called with
    the number of bytes read so far after each chunk.
    """
    problems = _Collector(collect, max_problems)
    checker = _Checker(
        scope=scope,
        matcher=_default_protected() if protected is None else protected,
        allow_protected=allow_protected,
        limits=limits or DEFAULT_LIMITS,
        problems=problems,
    )
    digest = StreamDigest()
    complete = True
    try:
        if isinstance(source, str | os.PathLike):
            with open_input(source, buffering=0) as f:
                _stream(f, checker, digest, copy_to, max_bytes, progress=progress)
        else:
            _stream(source, checker, digest, copy_to, max_bytes, progress=progress)
    except (BlacklistFormatError, HashMismatchError) as e:
        if not collect or e in problems.problems:
            raise
        complete = False
        problems.add(e)
    return EntriesSummary(
        entry_count=digest.line_count,
        byte_length=digest.byte_count,
        sha256=digest.hexdigest(),
        problems=tuple(problems.problems),
        problem_count=problems.count,
        complete=complete,
    )


def validate_entries_file(
    path: str | os.PathLike[str],
    *,
    protected: ProtectedMatcher | None = None,
    scope: EntriesScope | None = None,
    allow_protected: Collection[tuple[str, str]] = (),
    limits: Limits | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    progress: Callable[[int], None] | None = None,
) -> EntriesSummary:
    """Check an entries file's format and identifiers, without signatures; never raises for
    problems in the file (they are in the summary). For CI on list repositories.
    """
    return check_entries(
        path,
        scope=scope,
        protected=protected,
        allow_protected=allow_protected,
        limits=limits,
        collect=True,
        max_problems=max_problems,
        progress=progress,
    )


# ------------------------------------------------------------------- writing


def entry_line(entry: Entry) -> bytes:
    """Return the canonical line (with LF) for ``entry``."""
    return canonical.dumps(entry.to_dict()) + b"\n"


def write_entries(
    path: str | os.PathLike[str],
    entries: Iterable[Entry],
    *,
    limits: Limits | None = None,
) -> EntriesSummary:
    """Write ``entries`` as a canonical entries file, atomically; return its summary.

    Entries are sorted by key; two entries with the same key raise
    :class:`~antifraud_common.errors.BlacklistFormatError` (``duplicate_key``,
    the value masked). The whole list is held in memory to sort it.
    """
    items = sorted(entries, key=lambda e: (e.kind.value.encode(), e.value.encode()))
    for a, b in itertools.pairwise(items):
        if a.key == b.key:
            raise BlacklistFormatError(
                f"two entries for {a.kind.value} {a.masked_value}", code="duplicate_key"
            )
    digest = _write_lines(
        path, (canonical.dumps(e.to_dict()) for e in items), limits=limits or DEFAULT_LIMITS
    )
    return EntriesSummary(
        entry_count=digest.line_count, byte_length=digest.byte_count, sha256=digest.hexdigest()
    )


def iter_verified_entries(stream: BinaryIO) -> Iterator[Entry]:
    """Yield entries from an already verified stream (no re-validation of identifiers).

    Only for bytes that passed :func:`check_entries`; used by
    :class:`~antifraud_common.exchange.signing.VerifiedList`.
    """
    import json

    tlp = {t.value: t for t in TLP}
    reasons = {r.value: r for r in Reason}
    actions = {a.value: a for a in Action}
    kinds = {k.value: k for k in IdentifierKind}
    # The stamps passed the canonical-timestamp check; the C parser reads that form
    # (``Z`` included) directly, so nothing per entry is kept between lines.
    ts = datetime.fromisoformat

    for raw in stream:
        d = json.loads(raw)
        until = d.get("valid_until")
        yield Entry(
            kind=kinds[d["kind"]],
            value=d["value"],
            reason=reasons[d["reason"]],
            action=actions[d["action"]],
            source=d["source"],
            case_ref=d["case_ref"],
            confidence=d["confidence"],
            tlp=tlp[d["tlp"]],
            listed_at=ts(d["listed_at"]),
            valid_from=ts(d["valid_from"]),
            valid_until=None if until is None else ts(until),
        )
