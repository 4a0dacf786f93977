"""Typed, immutable models of blacklist entries (attrs).

An :class:`Entry` says: this identifier (a phone number, card, account ...) is
listed, why (:class:`Reason`), what a receiver must do (:class:`Action`), on
whose authority (``source``, an agency id), under which case, how confident the
source is (0-100), how widely it may be shared (:class:`TLP`), and when the
listing is in force.

Untrusted input enters through named constructors only:

* :meth:`Entry.from_raw` validates and canonicalises a raw identifier
  (``"138 0013 8000"`` becomes ``"+8613800138000"``);
* :meth:`Entry.from_dict` is strict: unknown keys, missing keys, wrong types and
  non-canonical values raise :class:`~antifraud_common.errors.ModelError` naming
  the field. It never mutates its argument.

:meth:`Entry.to_dict` gives the JSON shape one line of a signed entries file
holds (see docs/spec/format.md). Card numbers are masked in ``repr``.

>>> from datetime import datetime, UTC
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> e = Entry.from_raw(kind="phone", value="138 0013 8000", reason="telecom_fraud",
...                    action="block", source="mps", case_ref="A-1", confidence=90,
...                    tlp="amber", listed_at=t, valid_from=t)
>>> e.value
'+8613800138000'
>>> e.to_dict()["listed_at"]
'2026-01-01T00:00:00Z'
>>> Entry.from_dict(e.to_dict()) == e
True
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Protocol, TypedDict, TypeVar

import attrs

from antifraud_common import kinds
from antifraud_common._clock import aware_utc
from antifraud_common.errors import ModelError, ValidationError
from antifraud_common.kinds import IdentifierKind

__all__ = [
    "ENTRY_FIELDS",
    "FORMAT_VERSION",
    "MANIFEST_FORMAT",
    "MAX_CASE_REF",
    "PSEUDONYM_ALG",
    "TLP",
    "Action",
    "ContentType",
    "Entry",
    "EntryMembers",
    "IdentifierKind",
    "Manifest",
    "Pseudonym",
    "Reason",
    "canonical_value",
    "check_entry_object",
    "entry_members",
    "entry_object",
    "format_timestamp",
    "mask_value",
    "parse_timestamp",
]


class Reason(enum.Enum):
    """Why an identifier is listed (closed vocabulary, extended only by a format revision)."""

    TELECOM_FRAUD = "telecom_fraud"
    INVESTMENT_FRAUD = "investment_fraud"
    IMPERSONATION = "impersonation"
    CALLER_ID_SPOOFING = "caller_id_spoofing"
    PIRATE_BROADCAST = "pirate_broadcast"
    CARD_TRAFFICKING = "card_trafficking"
    MULE_ACCOUNT = "mule_account"
    COMPROMISED_ACCOUNT = "compromised_account"


class Action(enum.Enum):
    """What a receiver must do on a match.

    ``HOLD`` is the emergency stop-payment (reversible), ``FREEZE`` the formal
    freeze of an account, ``BLOCK`` refuses the call, message or transaction,
    ``WATCH`` only flags it for review.
    """

    BLOCK = "block"
    HOLD = "hold"
    FREEZE = "freeze"
    WATCH = "watch"

    @property
    def severity(self) -> int:
        """Precedence when several entries match: FREEZE 4 > HOLD 3 > BLOCK 2 > WATCH 1."""
        return _SEVERITY[self]


_SEVERITY: Final = {Action.FREEZE: 4, Action.HOLD: 3, Action.BLOCK: 2, Action.WATCH: 1}


class TLP(enum.Enum):
    """Traffic Light Protocol 2.0 marking: how widely the entry may be shared."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


_E = TypeVar("_E", bound=enum.Enum)

_AGENCY_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
_TS_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)
#: Longest case reference, in characters.
MAX_CASE_REF: Final = 128


def format_timestamp(value: datetime) -> str:
    """Return the canonical RFC 3339 form ``YYYY-MM-DDTHH:MM:SSZ`` of an aware datetime.

    >>> format_timestamp(datetime(2026, 3, 1, 8, 30, tzinfo=UTC))
    '2026-03-01T08:30:00Z'
    """
    v = _to_utc(value)
    # strftime's %Y does not zero-pad years before 1000 on every platform; the format
    # always has four digits.
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def parse_timestamp(text: object, *, field: str = "timestamp") -> datetime:
    """Parse the canonical ``YYYY-MM-DDTHH:MM:SSZ`` form (and nothing else).

    >>> parse_timestamp("2026-03-01T08:30:00Z")
    datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2026-03-01T08:30:00+08:00")
    Traceback (most recent call last):
    ...
    antifraud_common.errors.ModelError: field 'timestamp': expected YYYY-MM-DDTHH:MM:SSZ
    """
    if not isinstance(text, str) or not _TS_RE.fullmatch(text):
        raise ModelError("expected YYYY-MM-DDTHH:MM:SSZ", code="invalid_timestamp", field=field)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as e:
        raise ModelError("not a real date and time", code="invalid_timestamp", field=field) from e


def _to_utc(value: datetime) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC and not value.microsecond:
        # Already what the clock check returns (every timestamp read from a line is).
        return value
    if not isinstance(value, datetime):
        raise ModelError(
            f"expected an aware datetime, not {type(value).__name__}", code="invalid_timestamp"
        )
    return aware_utc(value, field="timestamp").replace(microsecond=0)


def _to_utc_optional(value: datetime | None) -> datetime | None:
    return None if value is None else _to_utc(value)


def canonical_value(kind: IdentifierKind | str, raw: object) -> str:
    """Validate ``raw`` as an identifier of ``kind`` and return its canonical value.

    >>> canonical_value("phone", "+86 138-0013-8000")
    '+8613800138000'
    """
    return kinds.validate(_enum(IdentifierKind, kind, "kind"), raw)


def mask_value(kind: IdentifierKind, value: str) -> str:
    """Return ``value`` safe to print: bank cards show only the first 6 and last 4 digits.

    >>> mask_value(IdentifierKind.BANK_CARD, "6222021234567890123")
    '622202*********0123'
    >>> mask_value(IdentifierKind.PHONE, "+8613800138000")
    '+8613800138000'
    """
    if kind is IdentifierKind.BANK_CARD:
        if len(value) <= 10:
            return "*" * len(value)
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return value


def _enum(cls: type[_E], value: object, field: str) -> _E:
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in cls)
    raise ModelError(f"expected one of: {allowed}", code="invalid_enum", field=field)


def _to_kind(value: object) -> IdentifierKind:
    return _enum(IdentifierKind, value, "kind")


def _to_reason(value: object) -> Reason:
    return _enum(Reason, value, "reason")


def _to_action(value: object) -> Action:
    return _enum(Action, value, "action")


def _to_tlp(value: object) -> TLP:
    return _enum(TLP, value, "tlp")


def _check_agency(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _AGENCY_RE.fullmatch(value):
        raise ModelError(
            "an agency id is 1-64 of a-z 0-9 _ . - starting with a letter or digit",
            code="invalid_agency_id",
            field=attribute.name,
        )


def _check_case_ref(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= MAX_CASE_REF
        or not value.isprintable()
        or value != value.strip()
    ):
        raise ModelError(
            f"a case reference is 1-{MAX_CASE_REF} printable characters, no outer spaces",
            code="invalid_case_ref",
            field=attribute.name,
        )


def _check_confidence(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise ModelError(
            "confidence is an integer from 0 to 100",
            code="invalid_confidence",
            field=attribute.name,
        )


def _check_value(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value or len(value) > 128:
        raise ModelError("a value is a non-empty string", code="invalid_value", field="value")


def _entry_repr(inst: Entry) -> str:
    parts = []
    for a in attrs.fields(Entry):
        shown = inst.masked_value if a.name == "value" else getattr(inst, a.name)
        if a.name == "case_ref":
            from antifraud_common.card import mask_in_text  # validators import models

            shown = mask_in_text(shown)
        parts.append(f"{a.name}={shown!r}")
    return f"Entry({', '.join(parts)})"


@attrs.frozen(kw_only=True, repr=False)
class Entry:
    """One listed identifier with its provenance and the action it requires.

    Build it with :meth:`from_raw` (raw identifier) or :meth:`from_dict`
    (untrusted JSON); ``__init__`` assumes an already canonical ``value``.
    Timestamps are aware UTC with one-second resolution (sub-second parts are
    dropped).
    """

    kind: IdentifierKind = attrs.field(converter=_to_kind)
    value: str = attrs.field(validator=_check_value)
    reason: Reason = attrs.field(converter=_to_reason)
    action: Action = attrs.field(converter=_to_action)
    source: str = attrs.field(validator=_check_agency)
    case_ref: str = attrs.field(validator=_check_case_ref)
    confidence: int = attrs.field(validator=_check_confidence)
    tlp: TLP = attrs.field(converter=_to_tlp)
    listed_at: datetime = attrs.field(converter=_to_utc)
    valid_from: datetime = attrs.field(converter=_to_utc)
    valid_until: datetime | None = attrs.field(default=None, converter=_to_utc_optional)

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ModelError(
                "valid_until must be later than valid_from",
                code="invalid_validity_window",
                field="valid_until",
            )

    __repr__ = _entry_repr

    @property
    def key(self) -> tuple[str, str]:
        """The identifier key ``(kind, value)`` entries files are ordered and deduplicated by."""
        return (self.kind.value, self.value)

    @property
    def masked_value(self) -> str:
        """The value safe for logs and screens (cards masked to first 6 and last 4)."""
        return mask_value(self.kind, self.value)

    def is_active(self, now: datetime) -> bool:
        """Whether ``now`` lies in ``[valid_from, valid_until)``."""
        now = _to_utc(now)
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)

    @classmethod
    def from_raw(cls, *, kind: IdentifierKind | str, value: object, **fields: Any) -> Entry:
        """Validate and canonicalise ``value`` as a ``kind`` identifier, then build the entry.

        Raises :class:`~antifraud_common.errors.ValidationError` for a bad
        identifier and :class:`~antifraud_common.errors.ModelError` for a bad field.
        """
        k = _enum(IdentifierKind, kind, "kind")
        try:
            return cls(kind=k, value=canonical_value(k, value), **fields)
        except TypeError as e:
            raise ModelError(str(e), code="invalid_fields") from None

    @classmethod
    def from_dict(cls, data: object) -> Entry:
        """Build an entry from its JSON shape, strictly (the inverse of :meth:`to_dict`)."""
        data = check_entry_object(data)
        kind = _enum(IdentifierKind, data["kind"], "kind")
        value = data["value"]
        try:
            canonical = canonical_value(kind, value)
        except ValidationError as e:
            raise ModelError(
                f"not a valid {kind.value}: {e.message}", code=e.code, field="value"
            ) from e
        if canonical != value:
            raise ModelError(
                "the value is not in canonical form", code="non_canonical_value", field="value"
            )
        return cls(kind=kind, value=canonical, **entry_members(data))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (strings and one integer; ``valid_until`` only when set)."""
        return entry_object(self, "value", self.value)


#: The members of an entry line, in the order a line (and a CSV export) writes them;
#: a pseudonymised line has ``hmac`` in place of ``value``. All but ``valid_until``
#: are required; all but ``confidence`` (an integer) are strings.
ENTRY_FIELDS: Final = (
    "kind",
    "value",
    "reason",
    "action",
    "source",
    "case_ref",
    "confidence",
    "tlp",
    "listed_at",
    "valid_from",
    "valid_until",
)


def _members(identifier: str) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    names = tuple(identifier if n == "value" else n for n in ENTRY_FIELDS)
    everything = frozenset(names)
    return everything - {"valid_until"}, everything, tuple(sorted(everything))


_MEMBERS: Final = {ident: _members(ident) for ident in ("value", "hmac")}


def check_entry_object(data: object, identifier: str = "value") -> Mapping[str, Any]:
    """Check the members of an entry line's JSON object and return it as a mapping.

    The rules plain (``identifier="value"``) and pseudonymised (``"hmac"``)
    lines share: a JSON object, no unknown member, every required one, strings
    everywhere but the integer ``confidence``. The first problem is raised as a
    :class:`~antifraud_common.errors.ModelError` (``not_an_object``,
    ``unknown_field``, ``missing_field``, ``wrong_type``), naming the
    alphabetically first member at fault. The values themselves are not checked.

    >>> check_entry_object({"kind": "phone"})
    Traceback (most recent call last):
    ...
    antifraud_common.errors.ModelError: missing field (field: action)
    """
    if not isinstance(data, Mapping):
        raise ModelError("an entry is a JSON object", code="not_an_object")
    required, everything, ordered = _MEMBERS[identifier]
    keys = set(data)
    unknown = keys - everything
    if unknown:
        name = sorted(str(k) for k in unknown)[0]
        raise ModelError("unknown field", code="unknown_field", field=name)
    missing = required - keys
    if missing:
        raise ModelError("missing field", code="missing_field", field=sorted(missing)[0])
    for name in ordered:
        if name == "confidence":
            if type(data[name]) is not int:
                raise ModelError("expected an integer", code="wrong_type", field=name)
        elif name in data and not isinstance(data[name], str):
            raise ModelError("expected a string", code="wrong_type", field=name)
    return data


class EntryMembers(TypedDict):
    """The members an entry line shares with a pseudonymised one, read from its object."""

    reason: Any
    action: Any
    source: Any
    case_ref: Any
    confidence: Any
    tlp: Any
    listed_at: datetime
    valid_from: datetime
    valid_until: datetime | None


def entry_members(data: Mapping[str, Any]) -> EntryMembers:
    """The shared members of a checked entry object (:func:`check_entry_object`).

    The timestamps are parsed (strictly: :func:`parse_timestamp`); the other
    members are passed on for the model's own converters and validators.
    """
    until = data.get("valid_until")
    return EntryMembers(
        reason=data["reason"],
        action=data["action"],
        source=data["source"],
        case_ref=data["case_ref"],
        confidence=data["confidence"],
        tlp=data["tlp"],
        listed_at=parse_timestamp(data["listed_at"], field="listed_at"),
        valid_from=parse_timestamp(data["valid_from"], field="valid_from"),
        valid_until=None if until is None else parse_timestamp(until, field="valid_until"),
    )


class _EntryLike(Protocol):
    """What :func:`entry_object` reads: an entry or a pseudonymised entry."""

    @property
    def kind(self) -> IdentifierKind: ...

    @property
    def reason(self) -> Reason: ...

    @property
    def action(self) -> Action: ...

    @property
    def source(self) -> str: ...

    @property
    def case_ref(self) -> str: ...

    @property
    def confidence(self) -> int: ...

    @property
    def tlp(self) -> TLP: ...

    @property
    def listed_at(self) -> datetime: ...

    @property
    def valid_from(self) -> datetime: ...

    @property
    def valid_until(self) -> datetime | None: ...


def entry_object(entry: _EntryLike, identifier: str, ident_value: str) -> dict[str, Any]:
    """The JSON object of an entry line, with ``identifier`` (``value`` or ``hmac``) set.

    Members in :data:`ENTRY_FIELDS` order; ``valid_until`` only when set.
    """
    out: dict[str, Any] = {
        "kind": entry.kind.value,
        identifier: ident_value,
        "reason": entry.reason.value,
        "action": entry.action.value,
        "source": entry.source,
        "case_ref": entry.case_ref,
        "confidence": entry.confidence,
        "tlp": entry.tlp.value,
        "listed_at": format_timestamp(entry.listed_at),
        "valid_from": format_timestamp(entry.valid_from),
    }
    if entry.valid_until is not None:
        out["valid_until"] = format_timestamp(entry.valid_until)
    return out


class ContentType(enum.Enum):
    """What the file a manifest describes holds: a full snapshot or a delta against a base."""

    SNAPSHOT = "snapshot"
    DELTA = "delta"


#: The ``format`` member every manifest carries, so a signed payload of another
#: type (a trust bundle, say) can never be taken for a list manifest.
MANIFEST_FORMAT: Final = "antifraud-manifest"
#: The blacklist file format version this library writes and reads.
FORMAT_VERSION: Final = 1
_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
_HEX64_RE: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
MAX_SAFE_INTEGER: Final = 2**53 - 1


def _check_id(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise ModelError(
            "an id is 1-64 of a-z 0-9 _ . - starting with a letter or digit",
            code="invalid_id",
            field=attribute.name,
        )


def _check_count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SAFE_INTEGER:
        raise ModelError(
            "expected an integer from 0 to 2^53-1", code="invalid_integer", field=attribute.name
        )


def _check_optional_count(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_count(inst, attribute, value)


def _check_hex(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _HEX64_RE.fullmatch(value)):
        raise ModelError(
            "expected 64 lowercase hexadecimal digits", code="invalid_sha256", field=attribute.name
        )


def _to_content(value: object) -> ContentType:
    return _enum(ContentType, value, "content")


def _to_keys(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, (list, tuple)):
        raise ModelError("expected a list", code="wrong_type", field="allow_protected")
    out: list[tuple[str, str]] = []
    for item in value:
        if isinstance(item, Mapping):
            if set(item) != {"kind", "value"}:
                raise ModelError(
                    "each item is {kind, value}", code="invalid_key", field="allow_protected"
                )
            item = (item["kind"], item["value"])  # noqa: PLW2901
        if (
            not isinstance(item, tuple)
            or len(item) != 2
            or not all(isinstance(x, str) for x in item)
        ):
            raise ModelError(
                "each item is {kind, value}", code="invalid_key", field="allow_protected"
            )
        out.append((_enum(IdentifierKind, item[0], "allow_protected").value, item[1]))
    return tuple(out)


#: The one keyed-hash algorithm of pseudonymised lists (RFC 2104 HMAC with SHA-256).
PSEUDONYM_ALG: Final = "HMAC-SHA-256"
_PSEUDONYM_KEYS: Final = frozenset({"alg", "domain", "key_id", "key_check"})


def _check_alg(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value != PSEUDONYM_ALG:
        raise ModelError(
            f"the only pseudonym algorithm is {PSEUDONYM_ALG}",
            code="unsupported_pseudonym_alg",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True)
class Pseudonym:
    """The manifest member of a pseudonymised list: which domain key made its hashes.

    Each line of such a list carries ``hmac`` = HMAC-SHA-256(domain key, UTF-8
    canonical value) instead of ``value`` (``docs/spec/pseudonymised.md``).
    ``domain`` names the sharing domain, ``key_id`` the key within it, and
    ``key_check`` = HMAC-SHA-256(key, ``"antifraud key check v1"``) lets a receiver
    detect that it holds another key before it looks anything up.

    >>> p = Pseudonym(domain="cn-banks-2026", key_id="k1", key_check="0" * 64)
    >>> p.to_dict()["alg"]
    'HMAC-SHA-256'
    >>> Pseudonym.from_dict(p.to_dict()) == p
    True
    """

    alg: str = attrs.field(default=PSEUDONYM_ALG, validator=_check_alg)
    domain: str = attrs.field(validator=_check_id)
    key_id: str = attrs.field(validator=_check_id)
    key_check: str = attrs.field(validator=_check_hex)

    def to_dict(self) -> dict[str, str]:
        """Return the JSON shape of the manifest's ``pseudonym`` member."""
        return {
            "alg": self.alg,
            "domain": self.domain,
            "key_id": self.key_id,
            "key_check": self.key_check,
        }

    @classmethod
    def from_dict(cls, data: object) -> Pseudonym:
        """Build from the JSON shape, strictly (unknown and missing members refused)."""
        if not isinstance(data, Mapping):
            raise ModelError("pseudonym is a JSON object", code="wrong_type", field="pseudonym")
        keys = set(data)
        if keys != _PSEUDONYM_KEYS:
            code = "unknown_field" if keys - _PSEUDONYM_KEYS else "missing_field"
            raise ModelError(
                "pseudonym has exactly alg, domain, key_id and key_check",
                code=code,
                field="pseudonym",
            )
        try:
            return cls(
                alg=data["alg"],
                domain=data["domain"],
                key_id=data["key_id"],
                key_check=data["key_check"],
            )
        except ModelError as e:
            raise ModelError(
                f"pseudonym: {e.message}", code=e.code, field=f"pseudonym.{e.field}"
            ) from e


def _to_pseudonym(value: object) -> Pseudonym | None:
    if value is None or isinstance(value, Pseudonym):
        return value
    return Pseudonym.from_dict(value)


@attrs.frozen(kw_only=True)
class Manifest:
    """The signed description of one entries file (the JWS payload).

    It binds the issuer, the list, its monotonic version, its validity period and
    the exact bytes of the entries file (length, SHA-256, line count). A delta
    manifest also names the base version and the state hashes before and after.
    ``allow_protected`` lists the protected identifiers (emergency numbers,
    official hotlines ...) this list may contain on purpose. ``pseudonym`` is set
    on a pseudonymised list (keyed hashes instead of values, snapshots only).

    >>> import hashlib
    >>> from datetime import datetime, UTC
    >>> m = Manifest(issuer="mps", list_id="fraud-phones", list_type="fraud_numbers",
    ...              version=3, issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    ...              expires=datetime(2026, 1, 8, tzinfo=UTC), entry_count=0,
    ...              byte_length=0, sha256=hashlib.sha256(b"").hexdigest())
    >>> Manifest.from_dict(m.to_dict()) == m
    True
    """

    format_version: int = attrs.field(default=FORMAT_VERSION, validator=_check_count)
    content: ContentType = attrs.field(default=ContentType.SNAPSHOT, converter=_to_content)
    issuer: str = attrs.field(validator=_check_id)
    list_id: str = attrs.field(validator=_check_id)
    list_type: str = attrs.field(validator=_check_id)
    version: int = attrs.field(validator=_check_count)
    issued_at: datetime = attrs.field(converter=_to_utc)
    expires: datetime = attrs.field(converter=_to_utc)
    entry_count: int = attrs.field(validator=_check_count)
    byte_length: int = attrs.field(validator=_check_count)
    sha256: str = attrs.field(validator=_check_hex)
    base_version: int | None = attrs.field(default=None, validator=_check_optional_count)
    base_sha256: str | None = attrs.field(default=None, validator=_check_hex)
    result_sha256: str | None = attrs.field(default=None, validator=_check_hex)
    result_count: int | None = attrs.field(default=None, validator=_check_optional_count)
    allow_protected: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_to_keys)
    pseudonym: Pseudonym | None = attrs.field(default=None, converter=_to_pseudonym)

    def __attrs_post_init__(self) -> None:
        if self.format_version != FORMAT_VERSION:
            raise ModelError(
                f"unsupported format version {self.format_version}",
                code="unsupported_format_version",
                field="format_version",
            )
        if self.version < 1:
            raise ModelError("versions start at 1", code="invalid_integer", field="version")
        if self.expires <= self.issued_at:
            raise ModelError(
                "expires must be later than issued_at", code="invalid_validity", field="expires"
            )
        delta_fields = (self.base_version, self.base_sha256, self.result_sha256, self.result_count)
        if self.content is ContentType.DELTA:
            if any(f is None for f in delta_fields):
                raise ModelError(
                    "a delta names base_version, base_sha256, result_sha256 and result_count",
                    code="missing_field",
                    field="base_version",
                )
            assert self.base_version is not None
            if not 1 <= self.base_version < self.version:
                raise ModelError(
                    "base_version must be lower than version",
                    code="invalid_base_version",
                    field="base_version",
                )
        elif any(f is not None for f in delta_fields):
            raise ModelError(
                "only a delta has base and result fields",
                code="unknown_field",
                field="base_version",
            )
        if self.pseudonym is not None and self.content is ContentType.DELTA:
            raise ModelError(
                "a pseudonymised list is published as snapshots only",
                code="pseudonymised_delta",
                field="pseudonym",
            )
        if list(self.allow_protected) != sorted(set(self.allow_protected)):
            raise ModelError(
                "allow_protected must be sorted by (kind, value) without repeats",
                code="invalid_key",
                field="allow_protected",
            )

    @property
    def is_delta(self) -> bool:
        """Whether this manifest describes a delta file."""
        return self.content is ContentType.DELTA

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape that is signed (canonicalised by the format layer)."""
        out: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "format_version": self.format_version,
            "content": self.content.value,
            "issuer": self.issuer,
            "list_id": self.list_id,
            "list_type": self.list_type,
            "version": self.version,
            "issued_at": format_timestamp(self.issued_at),
            "expires": format_timestamp(self.expires),
            "entry_count": self.entry_count,
            "byte_length": self.byte_length,
            "sha256": self.sha256,
        }
        if self.is_delta:
            out["base_version"] = self.base_version
            out["base_sha256"] = self.base_sha256
            out["result_sha256"] = self.result_sha256
            out["result_count"] = self.result_count
        if self.allow_protected:
            out["allow_protected"] = [{"kind": k, "value": v} for k, v in self.allow_protected]
        if self.pseudonym is not None:
            out["pseudonym"] = self.pseudonym.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: object) -> Manifest:
        """Build a manifest from its JSON shape, strictly; never mutates ``data``."""
        if not isinstance(data, Mapping):
            raise ModelError("a manifest is a JSON object", code="not_an_object")
        keys = set(data)
        unknown = keys - _MANIFEST_KEYS - _DELTA_KEYS - {"allow_protected", "pseudonym"}
        if unknown:
            raise ModelError(
                "unknown field", code="unknown_field", field=sorted(map(str, unknown))[0]
            )
        missing = _MANIFEST_KEYS - keys
        if missing:
            raise ModelError("missing field", code="missing_field", field=sorted(missing)[0])
        if data["format"] != MANIFEST_FORMAT:
            raise ModelError("not a list manifest", code="wrong_payload_type", field="format")
        if data["format_version"] != FORMAT_VERSION or type(data["format_version"]) is not int:
            raise ModelError(
                "unsupported format version",
                code="unsupported_format_version",
                field="format_version",
            )
        for name in ("content", "issuer", "list_id", "list_type", "sha256", "issued_at", "expires"):
            if not isinstance(data[name], str):
                raise ModelError("expected a string", code="wrong_type", field=name)
        content = _to_content(data["content"])
        if content is ContentType.DELTA:
            absent = _DELTA_KEYS - keys
            if absent:
                raise ModelError("missing field", code="missing_field", field=sorted(absent)[0])
        allow = data.get("allow_protected", [])
        if "allow_protected" in data and not allow:
            raise ModelError(
                "omit allow_protected when empty", code="non_canonical", field="allow_protected"
            )
        return cls(
            format_version=data["format_version"],
            content=content,
            issuer=data["issuer"],
            list_id=data["list_id"],
            list_type=data["list_type"],
            version=data["version"],
            issued_at=parse_timestamp(data["issued_at"], field="issued_at"),
            expires=parse_timestamp(data["expires"], field="expires"),
            entry_count=data["entry_count"],
            byte_length=data["byte_length"],
            sha256=data["sha256"],
            base_version=data.get("base_version"),
            base_sha256=data.get("base_sha256"),
            result_sha256=data.get("result_sha256"),
            result_count=data.get("result_count"),
            allow_protected=allow,
            pseudonym=Pseudonym.from_dict(data["pseudonym"]) if "pseudonym" in data else None,
        )


_MANIFEST_KEYS: Final = frozenset(
    {
        "format",
        "format_version",
        "content",
        "issuer",
        "list_id",
        "list_type",
        "version",
        "issued_at",
        "expires",
        "entry_count",
        "byte_length",
        "sha256",
    }
)
_DELTA_KEYS: Final = frozenset({"base_version", "base_sha256", "result_sha256", "result_count"})
