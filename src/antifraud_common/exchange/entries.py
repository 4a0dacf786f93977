"""The streaming entries-file checker shared by list verification and validation.

An entries file (``NAME.jsonl``, see ``docs/spec/format.md``) is UTF-8 JSON
Lines (format layer: :mod:`antifraud_common.format.jsonl`) whose every line is
the RFC 8785 canonical JSON of one :class:`~antifraud_common.models.Entry`,
ordered strictly by the identifier key ``(kind, value)`` compared as UTF-8
bytes, with no duplicate key. :func:`check_entries` checks all of that in one
pass, in constant memory, together with the byte length, line count and
SHA-256 (the list's *state hash*), the publisher's scope (identifier kinds and
actions allowed by its trust-bundle rule) and the protected identifiers.

The bytes of a line are read by :mod:`~antifraud_common.exchange.layout`
(the one owner of the line layout): its fast parser decides most lines from
one precompiled pattern, without a JSON parse, an ``Entry`` object or a
per-value cache; any line it does not accept goes through the strict path
(canonical JSON, :meth:`Entry.from_dict
<antifraud_common.models.Entry.from_dict>`), which decides and names the
problem. This module holds the rules over lines: key order, scope and
protected identifiers, one :class:`ProblemCollector`, and one streaming loop,
:func:`check_lines`, that plain lines (:data:`PLAIN_LINES`) and pseudonymised
lines (:data:`~antifraud_common.exchange.pseudonym.PSEUDONYMISED_LINES`) share.

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
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import BinaryIO, Final, Protocol, TypeVar

import attrs

from antifraud_common._files import open_input
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    HashMismatchError,
    ProtectedIdentifierError,
    ScopeError,
)
from antifraud_common.exchange import layout
from antifraud_common.exchange.layout import (
    REAL_TIMESTAMP,
    Fields,
    case_ref_ok,
    entry_error_code,
    entry_line,
    iter_entry_fields,
    parse_line,
    plan_hint,
    verified_entries,
)
from antifraud_common.format.jsonl import (
    DEFAULT_LIMITS,
    Limits,
    StreamDigest,
    check_line,
)
from antifraud_common.format.jsonl import write_lines as _write_lines
from antifraud_common.models import Action, Entry, IdentifierKind, mask_value

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "NO_PROTECTED",
    "PLAIN_LINES",
    "EntriesScope",
    "EntriesSummary",
    "LineForm",
    "ProblemCollector",
    "ProtectedMatcher",
    "check_entries",
    "check_lines",
    "entry_error_code",
    "entry_line",
    "iter_verified_entries",
    "plan_hint",
    "validate_entries_file",
    "write_entries",
]

# Names this module had before the line layout moved to exchange.layout.
_REAL_TS_RE: Final = REAL_TIMESTAMP
_CASE_REF_ATTR: Final = attrs.fields(Entry).case_ref
_case_ref_ok: Final = case_ref_ok
#: The phone bulk validator the fast line parser calls (its home is exchange.layout).
phone_validate_many: Final = layout.phone_validate_many
_CHUNK: Final = 1 << 20

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

    @classmethod
    def from_digest(
        cls,
        digest: StreamDigest,
        problems: ProblemCollector | None = None,
        *,
        complete: bool = True,
    ) -> EntriesSummary:
        """The summary of one pass: the lines ``digest`` counted and hashed, and what
        ``problems`` gathered (none for a file just written)."""
        return cls(
            entry_count=digest.line_count,
            byte_length=digest.byte_count,
            sha256=digest.hexdigest(),
            problems=() if problems is None else tuple(problems.problems),
            problem_count=0 if problems is None else problems.count,
            complete=complete,
        )

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


# ------------------------------------------------------------ line forms


@attrs.frozen
class LineForm:
    """How the streaming checker reads one form of entry line (plain or pseudonymised).

    ``scan`` is the form's fast parser (see
    :func:`~antifraud_common.exchange.layout.scan_entry_lines`), ``exact`` its
    strict path (returns the line's fields or raises
    :class:`~antifraud_common.errors.BlacklistFormatError`), ``key_member`` the
    member that is the second half of the key (named in order problems).
    """

    key_member: str
    scan: Callable[[list[bytes], int], Iterable[Fields | None]]
    exact: Callable[[bytes, int], Fields]


def _exact(line: bytes, lineno: int) -> Entry:
    return parse_line(line, lineno, Entry.from_dict)


def _exact_fields(line: bytes, lineno: int) -> Fields:
    entry = _exact(line, lineno)
    value = entry.value
    return entry.kind.value.encode(), entry.action.value.encode(), value.encode(), value


#: Plain entry lines: the key is ``(kind, value)``.
PLAIN_LINES: Final = LineForm(key_member="value", scan=iter_entry_fields, exact=_exact_fields)


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


class ProblemCollector:
    """Raise the first problem, or (``collect=True``) gather them, keeping ``max_problems``.

    ``problems`` holds at most ``max_problems`` of them (``None``: no cap),
    ``count`` counts every one added. Shared by every checker of the exchange
    layer (entries, pseudonymised entries, deltas, verification reports).

    >>> from antifraud_common.errors import BlacklistFormatError
    >>> c = ProblemCollector(collect=True, max_problems=1)
    >>> c.add(BlacklistFormatError("a")); c.add(BlacklistFormatError("b"))
    >>> c.count, [p.message for p in c.problems]
    (2, ['a'])
    """

    __slots__ = ("collect", "count", "max_problems", "problems")

    def __init__(self, collect: bool, max_problems: int | None = None) -> None:
        self.collect = collect
        self.max_problems = max_problems
        self.problems: list[AntifraudError] = []
        self.count = 0

    def add(self, problem: AntifraudError) -> None:
        """Raise ``problem`` (``collect=False``) or record it."""
        if not self.collect:
            raise problem
        self.count += 1
        if self.max_problems is None or len(self.problems) < self.max_problems:
            self.problems.append(problem)


class _Checker:
    """State of one pass; :meth:`feed` takes the complete lines of one chunk."""

    def __init__(
        self,
        *,
        form: LineForm,
        scope: EntriesScope | None,
        matcher: ProtectedMatcher | None,
        allow_protected: Collection[tuple[str, str]],
        limits: Limits,
        problems: ProblemCollector,
    ) -> None:
        self.form = form
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
        self.prev: tuple[bytes, bytes] | None = None
        self.lineno = 0
        self.kind_enums = {k.value.encode(): k for k in IdentifierKind}

    def _slow(self, line: bytes, lineno: int) -> Fields | None:
        try:
            check_line(line, lineno, self.limits)
            return self.form.exact(line, lineno)
        except BlacklistFormatError as e:
            self.problems.add(e)
            return None

    def feed(self, lines: list[bytes]) -> None:
        start = self.lineno
        if start + len(lines) > self.limits.max_entries:
            raise BlacklistFormatError(
                f"more than {self.limits.max_entries} lines",
                code="jsonl_too_many_entries",
                line=self.limits.max_entries + 1,
            )
        scanned = self.form.scan(lines, self.limits.max_line_bytes)
        kinds_ok, actions_ok = self.kinds_ok, self.actions_ok
        check_protected = self.matcher is not None
        prefilter = self.prefilter
        prev = self.prev
        problems = self.problems
        for lineno, fast in enumerate(scanned, start + 1):
            got = fast if fast is not None else self._slow(lines[lineno - start - 1], lineno)
            if got is None:
                continue
            kind, action, value_b, value = got
            key = (kind, value_b)
            if prev is not None and key <= prev:
                dup = key == prev
                problems.add(self._order_problem(dup, lineno))
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

    def _order_problem(self, dup: bool, lineno: int) -> BlacklistFormatError:
        member = self.form.key_member
        return BlacklistFormatError(
            f"duplicate identifier key (kind, {member})"
            if dup
            else f"entries are not sorted by (kind, {member})",
            code="duplicate_key" if dup else "not_sorted",
            line=lineno,
        )

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


def check_lines(
    source: str | os.PathLike[str] | BinaryIO,
    form: LineForm,
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
    """The streaming checker of both line forms: one pass, constant memory.

    :func:`check_entries` (plain lines, ``protected=None`` meaning the
    packaged list) and
    :func:`~antifraud_common.exchange.pseudonym.check_pseudonymised_entries`
    run it with their :class:`LineForm`; here ``protected=None`` checks no
    protected identifier. The keywords are :func:`check_entries`'s.
    """
    problems = ProblemCollector(collect, max_problems)
    checker = _Checker(
        form=form,
        scope=scope,
        matcher=protected,
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
    return EntriesSummary.from_digest(digest, problems, complete=complete)


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
    return check_lines(
        source,
        PLAIN_LINES,
        scope=scope,
        protected=_default_protected() if protected is None else protected,
        allow_protected=allow_protected,
        limits=limits,
        collect=collect,
        max_problems=max_problems,
        copy_to=copy_to,
        max_bytes=max_bytes,
        progress=progress,
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
    return write_sorted_lines(
        path,
        items,
        line=entry_line,
        repeated=lambda e: f"two entries for {e.kind.value} {e.masked_value}",
        limits=limits,
    )


class _Keyed(Protocol):
    @property
    def key(self) -> tuple[str, str]: ...


_K = TypeVar("_K", bound=_Keyed)


def write_sorted_lines(
    path: str | os.PathLike[str],
    items: Sequence[_K],
    *,
    line: Callable[[_K], bytes],
    repeated: Callable[[_K], str],
    limits: Limits | None = None,
) -> EntriesSummary:
    """Write ``items``, sorted by key, as canonical lines (``line(item)``, with its LF),
    atomically, and return the file's summary. Two items with one key are refused
    (``duplicate_key``, ``repeated(item)`` the message); then nothing is written."""
    for a, b in itertools.pairwise(items):
        if a.key == b.key:
            raise BlacklistFormatError(repeated(a), code="duplicate_key")
    digest = _write_lines(path, (line(x)[:-1] for x in items), limits=limits or DEFAULT_LIMITS)
    return EntriesSummary.from_digest(digest)


def iter_verified_entries(stream: BinaryIO) -> Iterator[Entry]:
    """Yield entries from an already verified stream (no re-validation of identifiers).

    Only for bytes that passed :func:`check_entries`; used by
    :class:`~antifraud_common.exchange.signing.VerifiedList`.
    """
    yield from verified_entries(stream)
