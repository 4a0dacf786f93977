"""Pseudonymised lists: keyed hashes (HMAC-SHA-256) of identifiers instead of the values.

Some receivers may hold only keyed hashes of listed identifiers. A
*pseudonymised list* is an entries file whose every line carries
``"hmac": HMAC-SHA-256(domain key, UTF-8 canonical value)`` (RFC 2104 HMAC,
FIPS 180-4 SHA-256, 64 lowercase hex digits) in place of ``"value"``, keeping
every other member of the entry (kind, reason, action, source, case reference,
confidence, TLP, timestamps). The domain key is a secret of at least 32 bytes
shared by the members of one *sharing domain* (``"cn-banks-2026"``); the signed
manifest names it in its ``pseudonym`` member (algorithm, domain, key id and a
key check value) so a receiver knows which key to use and learns at once when
it holds another one. The byte-level format is ``docs/spec/pseudonymised.md``;
everything else (RFC 8785 canonical lines, ordering by ``(kind, hmac)`` as UTF-8
bytes without repeats, the JWS manifest, the trust bundle, scope, threshold,
expiry, rollback) is exactly the plain format and runs through the same code
(:func:`~antifraud_common.exchange.signing.sign_list` and
:func:`~antifraud_common.exchange.signing.verify_list` with a ``pseudonym`` /
``pseudonymised=True``).

A plain verifier given a pseudonymised list refuses it
(``BlacklistFormatError`` ``pseudonymised_list``), and the pseudonymised path
refuses a plain one (``not_pseudonymised``): neither form can pass for the
other.

Hashing without a key is no protection (one core hashes every valid mainland
mobile number in about half an hour, ``benchmarks/bench_pseudonym.py``); the
keyed form protects only as long as the key is secret, and anyone holding the
key enumerates just as fast. See ``docs/pseudonymised.md`` for what it does and
does not hide.

>>> key = DomainKey(domain="cn-banks-2026", key_id="k1", secret=bytes(range(32)))
>>> key
DomainKey(domain='cn-banks-2026', key_id='k1', key_check='82d5e6553b00bbd9...')
>>> pseudonymise(key, "phone", "+8613800138000")
'eee9810e7b839a5c52ae4093c2785f71089272caa6d14ea9956bc905af031e79'
>>> from datetime import datetime, UTC
>>> from antifraud_common.models import Entry
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> e = Entry.from_raw(kind="phone", value="138 0013 8000", reason="telecom_fraud",
...                    action="block", source="mps", case_ref="A-1", confidence=90,
...                    tlp="amber", listed_at=t, valid_from=t)
>>> [p] = pseudonymise_list([e], key)
>>> p.hmac == pseudonymise(key, "phone", "+8613800138000")
True

Lookups against such lists are :class:`antifraud_common.index.pseudonym.PseudonymIndex`
(importable from here too, its former home).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import itertools
import json
import os
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, cast

import attrs

from antifraud_common._files import open_input
from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    InvalidFormatError,
    ModelError,
    ProtectedIdentifierError,
)
from antifraud_common.exchange.entries import (
    DEFAULT_MAX_PROBLEMS,
    EntriesScope,
    EntriesSummary,
    LineForm,
    ProtectedMatcher,
    check_entries,
    check_lines,
    iter_verified_entries,
)
from antifraud_common.exchange.layout import (
    Fields,
    Key,
    parse_line,
    pseudonymised_key,
    record_line,
    scan_pseudonymised_lines,
)
from antifraud_common.exchange.trust import TrustBundle
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import DEFAULT_LIMITS, Limits
from antifraud_common.format.jsonl import write_lines as _write_lines
from antifraud_common.format.keys import write_secret_file
from antifraud_common.models import (
    PSEUDONYM_ALG,
    TLP,
    Action,
    Entry,
    IdentifierKind,
    Pseudonym,
    Reason,
    canonical_value,
    format_timestamp,
    parse_timestamp,
)

if TYPE_CHECKING:  # signing imports this module lazily; no cycle at runtime
    from antifraud_common.exchange.signing import StateLike, VerifiedList

__all__ = [
    "DOMAIN_KEY_FORMAT",
    "KEY_CHECK_MESSAGE",
    "MIN_KEY_BYTES",
    "PSEUDONYMISED_LINES",
    "DomainKey",
    "PseudonymisedEntry",
    "check_key",
    "check_pseudonymised_entries",
    "convert_entries_file",
    "iter_pseudonymised_entries",
    "key_check_value",
    "pseudonymise",
    "pseudonymise_list",
    "pseudonymised_line",
    "verify_pseudonymised_list",
    "write_pseudonymised",
]

#: The message whose HMAC is the key check value (never a canonical identifier:
#: it has spaces and no colon, so it cannot collide with a listed value).
KEY_CHECK_MESSAGE: Final = b"antifraud key check v1"
#: Shortest accepted domain key (HMAC-SHA-256's output size; RFC 2104 section 3).
MIN_KEY_BYTES: Final = 32
#: Longest accepted domain key (keys longer than the SHA-256 block are hashed first anyway).
MAX_KEY_BYTES: Final = 64
#: The ``format`` member of a domain key file.
DOMAIN_KEY_FORMAT: Final = "antifraud-domain-key"
_MAX_KEY_FILE: Final = 4096
_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
_HEX64_RE: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
_HEX_KEY_RE: Final = re.compile(r"(?:[0-9a-f]{2}){32,64}", re.ASCII)
_CHUNK: Final = 1 << 20


# --------------------------------------------------------------------- the key


def key_check_value(secret: bytes) -> str:
    """Return HMAC-SHA-256(``secret``, :data:`KEY_CHECK_MESSAGE`) as lowercase hex.

    Published in the manifest so a receiver can tell it holds the wrong key; it
    reveals nothing about the key (HMAC is a PRF) and, being the MAC of a fixed
    non-identifier message, nothing about any listed value.

    >>> key_check_value(bytes(32))[:16]
    '2d6f2bd1dd11aea0'
    """
    return _hmac.new(secret, KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()


def _check_secret(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bytes) or not MIN_KEY_BYTES <= len(value) <= MAX_KEY_BYTES:
        raise ConfigurationError(
            f"a domain key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes", code="key_too_short"
        )


def _check_name(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise ConfigurationError(
            f"{attribute.name} is 1-64 of a-z 0-9 _ . - starting with a letter or digit",
            code="invalid_id",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True, repr=False, eq=False)
class DomainKey:
    """The secret HMAC key of one sharing domain, with its public names.

    ``secret`` is 32-64 random bytes; whoever holds it can test any identifier
    against a pseudonymised list (and enumerate the mobile number space), so it
    is kept like a signing key: files are written with mode 0600 and
    :meth:`load` refuses a file others can read. ``repr`` and error messages
    never show it; equality compares in constant time.
    """

    domain: str = attrs.field(validator=_check_name)
    key_id: str = attrs.field(validator=_check_name)
    secret: bytes = attrs.field(validator=_check_secret)

    @classmethod
    def generate(
        cls, *, domain: str, key_id: str | None = None, size: int = MIN_KEY_BYTES
    ) -> DomainKey:
        """Return a new random key (``secrets.token_bytes``) for ``domain``.

        ``key_id`` defaults to the first 16 hex digits of the key check value.
        """
        secret = secrets.token_bytes(size)
        return cls(domain=domain, key_id=key_id or key_check_value(secret)[:16], secret=secret)

    @property
    def key_check(self) -> str:
        """HMAC-SHA-256(key, ``"antifraud key check v1"``), lowercase hex."""
        return key_check_value(self.secret)

    @property
    def pseudonym(self) -> Pseudonym:
        """The manifest member naming this key."""
        return Pseudonym(
            alg=PSEUDONYM_ALG, domain=self.domain, key_id=self.key_id, key_check=self.key_check
        )

    def digest(self, value: str) -> str:
        """HMAC-SHA-256 of the UTF-8 of an already canonical ``value``, lowercase hex."""
        return _hmac.new(self.secret, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return (
            f"DomainKey(domain={self.domain!r}, key_id={self.key_id!r}, "
            f"key_check={self.key_check[:16] + '...'!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DomainKey):
            return NotImplemented
        return (
            self.domain == other.domain
            and self.key_id == other.key_id
            and _hmac.compare_digest(self.secret, other.secret)
        )

    def __hash__(self) -> int:
        return hash((self.domain, self.key_id, self.key_check))

    # ------------------------------------------------------------- key files

    def to_bytes(self) -> bytes:
        """The key file content: canonical JSON and an LF (contains the secret)."""
        doc = {
            "alg": PSEUDONYM_ALG,
            "domain": self.domain,
            "format": DOMAIN_KEY_FORMAT,
            "key": self.secret.hex(),
            "key_id": self.key_id,
        }
        return canonical.dumps(doc) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainKey:
        """Parse a key file's content (:meth:`to_bytes`); errors never echo the key."""
        try:
            doc = canonical.check_canonical(data.removesuffix(b"\n"), max_bytes=_MAX_KEY_FILE)
        except BlacklistFormatError:
            raise ConfigurationError(
                "not a domain key file (canonical JSON)", code="key_file_invalid"
            ) from None
        expected = {"alg", "domain", "format", "key", "key_id"}
        if (
            not isinstance(doc, dict)
            or set(doc) != expected
            or doc["format"] != DOMAIN_KEY_FORMAT
            or doc["alg"] != PSEUDONYM_ALG
            or not isinstance(doc["key"], str)
            or not _HEX_KEY_RE.fullmatch(doc["key"])
        ):
            raise ConfigurationError(
                "not a domain key file (format, alg, domain, key_id, key: 64-128 hex digits)",
                code="key_file_invalid",
            )
        return cls(domain=doc["domain"], key_id=doc["key_id"], secret=bytes.fromhex(doc["key"]))

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the key file with mode 0600, atomically; never replaces a file unless asked.

        Same procedure as private signing keys: a new temporary file created with
        ``O_CREAT | O_EXCL`` and mode 0600, fsynced, then linked into place.
        """
        write_secret_file(path, self.to_bytes(), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> DomainKey:
        """Read a key file written by :meth:`save`.

        Refused (:class:`~antifraud_common.errors.ConfigurationError`):
        ``key_file_missing``, ``key_file_permissions`` (group or others may read
        or write it: it must be 0600 or stricter), ``key_file_invalid``.
        """
        p = Path(path)
        try:
            with open_input(p) as f:
                mode = os.fstat(f.fileno()).st_mode
                data = f.read(_MAX_KEY_FILE + 1)
        except FileNotFoundError:
            raise ConfigurationError(f"no key file at {p}", code="key_file_missing") from None
        except OSError as e:
            raise ConfigurationError(
                f"cannot read key file {p}: {e.strerror}", code="key_file_missing"
            ) from None
        if os.name == "posix" and mode & 0o077:
            raise ConfigurationError(
                f"{p} is accessible to other users (mode {mode & 0o777:o}); chmod 600 it",
                code="key_file_permissions",
            )
        return cls.from_bytes(data)


def _secret(key: DomainKey | bytes) -> bytes:
    if isinstance(key, DomainKey):
        return key.secret
    _check_secret(None, attrs.fields(DomainKey).secret, key)
    return key


def check_key(pseudonym: Pseudonym, key: DomainKey) -> None:
    """Raise unless ``key`` is the key a list's ``pseudonym`` member names.

    ``pseudonym_domain_mismatch``: another sharing domain;
    ``pseudonym_key_mismatch``: the key check value differs (another key, or
    the same domain after a rotation). Both are
    :class:`~antifraud_common.errors.ConfigurationError`. Without this check a
    wrong key would simply never match anything: an HMAC under one key says
    nothing about the HMAC under another.
    """
    if pseudonym.domain != key.domain:
        raise ConfigurationError(
            f"the list is pseudonymised for domain {pseudonym.domain!r}, the key is for "
            f"{key.domain!r}",
            code="pseudonym_domain_mismatch",
            field="domain",
        )
    if not _hmac.compare_digest(pseudonym.key_check, key.key_check):
        raise ConfigurationError(
            f"the list was pseudonymised with key {pseudonym.key_id!r} of {pseudonym.domain!r}; "
            f"the key given ({key.key_id!r}) is another one",
            code="pseudonym_key_mismatch",
            field="key_check",
        )


# ---------------------------------------------------------------- the entries


_ENTRY_FIELDS: Final = attrs.fields_dict(Entry)


def _entry_conv(name: str, value: object) -> Any:
    # The converters of Entry's fields: one definition of each vocabulary and timestamp rule.
    conv = cast("Callable[[object], Any]", _ENTRY_FIELDS[name].converter)
    return conv(value)


def _to_kind(value: object) -> IdentifierKind:
    kind: IdentifierKind = _entry_conv("kind", value)
    return kind


def _to_reason(value: object) -> Reason:
    reason: Reason = _entry_conv("reason", value)
    return reason


def _to_action(value: object) -> Action:
    action: Action = _entry_conv("action", value)
    return action


def _to_tlp(value: object) -> TLP:
    tlp: TLP = _entry_conv("tlp", value)
    return tlp


def _to_utc(value: object) -> datetime:
    moment: datetime = _entry_conv("listed_at", value)
    return moment


def _to_utc_optional(value: object) -> datetime | None:
    return None if value is None else _to_utc(value)


def _val(name: str) -> Any:
    return _ENTRY_FIELDS[name].validator


def _check_hmac(_inst: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _HEX64_RE.fullmatch(value):
        raise ModelError(
            "expected 64 lowercase hexadecimal digits", code="invalid_hmac", field="hmac"
        )


def _pe_post_init(self: PseudonymisedEntry) -> None:
    if self.valid_until is not None and self.valid_until <= self.valid_from:
        raise ModelError(
            "valid_until must be later than valid_from",
            code="invalid_validity_window",
            field="valid_until",
        )


@attrs.frozen(kw_only=True)
class PseudonymisedEntry:
    """One line of a pseudonymised list: an :class:`~antifraud_common.models.Entry`
    with ``hmac`` (64 lowercase hex) in place of ``value``.

    Fields are checked by the same validators and converters as ``Entry``.
    """

    kind: IdentifierKind = attrs.field(converter=_to_kind)
    hmac: str = attrs.field(validator=_check_hmac)
    reason: Reason = attrs.field(converter=_to_reason)
    action: Action = attrs.field(converter=_to_action)
    source: str = attrs.field(validator=_val("source"))
    case_ref: str = attrs.field(validator=_val("case_ref"))
    confidence: int = attrs.field(validator=_val("confidence"))
    tlp: TLP = attrs.field(converter=_to_tlp)
    listed_at: datetime = attrs.field(converter=_to_utc)
    valid_from: datetime = attrs.field(converter=_to_utc)
    valid_until: datetime | None = attrs.field(default=None, converter=_to_utc_optional)

    __attrs_post_init__ = _pe_post_init

    @property
    def key(self) -> tuple[str, str]:
        """The key ``(kind, hmac)`` lines are ordered and deduplicated by."""
        return (self.kind.value, self.hmac)

    def is_active(self, now: datetime) -> bool:
        """Whether ``now`` lies in ``[valid_from, valid_until)``."""
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)

    @classmethod
    def from_entry(cls, entry: Entry, key: DomainKey | bytes) -> PseudonymisedEntry:
        """Replace ``entry.value`` by its HMAC under ``key`` (``entry`` is canonical)."""
        mac = _hmac.new(_secret(key), entry.value.encode("utf-8"), hashlib.sha256).hexdigest()
        return cls(
            kind=entry.kind,
            hmac=mac,
            reason=entry.reason,
            action=entry.action,
            source=entry.source,
            case_ref=entry.case_ref,
            confidence=entry.confidence,
            tlp=entry.tlp,
            listed_at=entry.listed_at,
            valid_from=entry.valid_from,
            valid_until=entry.valid_until,
        )

    @classmethod
    def from_dict(cls, data: object) -> PseudonymisedEntry:
        """Build from the JSON shape of one line, strictly; never mutates ``data``."""
        if not isinstance(data, Mapping):
            raise ModelError("an entry is a JSON object", code="not_an_object")
        keys = set(data)
        if "value" in keys:
            raise ModelError(
                "a pseudonymised entry has hmac, never value",
                code="value_in_pseudonymised",
                field="value",
            )
        unknown = keys - _PE_ALL
        if unknown:
            raise ModelError(
                "unknown field", code="unknown_field", field=sorted(map(str, unknown))[0]
            )
        missing = _PE_REQUIRED - keys
        if missing:
            raise ModelError("missing field", code="missing_field", field=sorted(missing)[0])
        for name in _PE_ALL - {"confidence"}:
            if name in data and not isinstance(data[name], str):
                raise ModelError("expected a string", code="wrong_type", field=name)
        if type(data["confidence"]) is not int:
            raise ModelError("expected an integer", code="wrong_type", field="confidence")
        until = data.get("valid_until")
        return cls(
            kind=data["kind"],
            hmac=data["hmac"],
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

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of the line (``valid_until`` only when set)."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "hmac": self.hmac,
            "reason": self.reason.value,
            "action": self.action.value,
            "source": self.source,
            "case_ref": self.case_ref,
            "confidence": self.confidence,
            "tlp": self.tlp.value,
            "listed_at": format_timestamp(self.listed_at),
            "valid_from": format_timestamp(self.valid_from),
        }
        if self.valid_until is not None:
            out["valid_until"] = format_timestamp(self.valid_until)
        return out


_PE_REQUIRED: Final = frozenset(
    {
        "kind",
        "hmac",
        "reason",
        "action",
        "source",
        "case_ref",
        "confidence",
        "tlp",
        "listed_at",
        "valid_from",
    }
)
_PE_ALL: Final = _PE_REQUIRED | {"valid_until"}


def pseudonymise(key: DomainKey | bytes, kind: IdentifierKind | str, value: str) -> str:
    """Return HMAC-SHA-256(key, UTF-8 of ``value``) in lowercase hex.

    ``value`` must already be the canonical value of a ``kind`` identifier (what
    the validators return): a value that is invalid raises the validator's
    :class:`~antifraud_common.errors.ValidationError`, one that is valid but not
    canonical raises ``InvalidFormatError`` ``non_canonical_value`` -- its hash
    would never match anything. Use :class:`PseudonymIndex` for raw input.

    >>> pseudonymise(bytes(32), "phone", "13800138000")
    Traceback (most recent call last):
    ...
    antifraud_common.errors.InvalidFormatError: not the canonical phone value; validate it first
    """
    secret = _secret(key)
    if canonical_value(kind, value) != value:
        k = kind.value if isinstance(kind, IdentifierKind) else kind
        raise InvalidFormatError(
            f"not the canonical {k} value; validate it first", code="non_canonical_value"
        )
    return _hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymise_list(
    entries: Iterable[Entry], key: DomainKey | bytes
) -> Iterator[PseudonymisedEntry]:
    """Yield the pseudonymised entries in file order: sorted by ``(kind, hmac)`` bytes.

    ``Entry`` values are canonical by construction. Two entries with the same
    identifier key raise ``BlacklistFormatError`` ``duplicate_key`` (as in a
    plain list). The whole list is held in memory to sort it.
    """
    secret = _secret(key)
    items = sorted(
        (PseudonymisedEntry.from_entry(e, secret) for e in entries),
        key=lambda p: (p.kind.value.encode(), p.hmac.encode()),
    )
    for a, b in itertools.pairwise(items):
        if a.key == b.key:
            raise BlacklistFormatError(
                f"two entries for the same {a.kind.value} identifier", code="duplicate_key"
            )
    return iter(items)


def pseudonymised_line(entry: PseudonymisedEntry) -> bytes:
    """Return the canonical line (with LF) of a pseudonymised entry."""
    return record_line(entry)


def write_pseudonymised(
    path: str | os.PathLike[str],
    entries: Iterable[PseudonymisedEntry],
    *,
    limits: Limits | None = None,
) -> EntriesSummary:
    """Write pseudonymised entries as a canonical file, atomically (sorted; repeats refused)."""
    items = sorted(entries, key=lambda p: (p.kind.value.encode(), p.hmac.encode()))
    for a, b in itertools.pairwise(items):
        if a.key == b.key:
            raise BlacklistFormatError(
                f"two entries for the same {a.kind.value} identifier", code="duplicate_key"
            )
    digest = _write_lines(
        path, (record_line(p)[:-1] for p in items), limits=limits or DEFAULT_LIMITS
    )
    return EntriesSummary(
        entry_count=digest.line_count, byte_length=digest.byte_count, sha256=digest.hexdigest()
    )


def convert_entries_file(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    key: DomainKey,
    *,
    protected: ProtectedMatcher | None = None,
    allow_protected: Collection[tuple[str, str]] = (),
    scope: EntriesScope | None = None,
    limits: Limits | None = None,
    progress: Callable[[int], None] | None = None,
) -> EntriesSummary:
    """Check a plain entries file as a receiver would, then write its pseudonymised form.

    The plain file must pass :func:`~antifraud_common.exchange.entries.check_entries`
    (canonical, sorted, valid, no protected identifier outside
    ``allow_protected``; with ``scope``, kinds and actions): those checks need
    the values, so they are made here, before the values are gone.
    ``progress(bytes_checked)`` is called during the check.
    """
    with open_input(source) as f:
        check_entries(
            f,
            scope=scope,
            protected=protected,
            allow_protected=allow_protected,
            limits=limits,
            progress=progress,
        )
        f.seek(0)
        pseudo = list(pseudonymise_list(iter_verified_entries(f), key))
    return write_pseudonymised(out, pseudo, limits=limits)


# --------------------------------------------------------------- the checker


def _exact(line: bytes, lineno: int) -> PseudonymisedEntry:
    return parse_line(line, lineno, PseudonymisedEntry.from_dict)


def _exact_fields(line: bytes, lineno: int) -> Fields:
    entry = _exact(line, lineno)
    return entry.kind.value.encode(), entry.action.value.encode(), entry.hmac.encode(), ""


#: Pseudonymised entry lines: the key is ``(kind, hmac)``.
PSEUDONYMISED_LINES: Final = LineForm(
    key_member="hmac", scan=scan_pseudonymised_lines, exact=_exact_fields
)


def check_pseudonymised_entries(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    scope: EntriesScope | None = None,
    limits: Limits | None = None,
    collect: bool = False,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    progress: Callable[[int], None] | None = None,
) -> EntriesSummary:
    """Check a pseudonymised entries file in one streaming pass; return its summary.

    The same rules and codes as
    :func:`~antifraud_common.exchange.entries.check_entries`, with ``hmac`` in
    place of ``value``: framing (``jsonl_*``), canonical lines (``not_canonical``,
    ``bad_line``), valid entries (``invalid_entry``; a ``value`` member is
    refused), keys ``(kind, hmac)`` strictly increasing as bytes
    (``not_sorted``, ``duplicate_key``), kinds and actions within ``scope``
    (:class:`~antifraud_common.errors.ScopeError`). Protected identifiers cannot
    be recognised without the key; :func:`verify_pseudonymised_list` checks them
    when given one.
    """
    return check_lines(
        source,
        PSEUDONYMISED_LINES,
        scope=scope,
        limits=limits,
        collect=collect,
        max_problems=max_problems,
        progress=progress,
    )


def iter_pseudonymised_entries(verified: VerifiedList) -> Iterator[PseudonymisedEntry]:
    """Yield the entries of a verified pseudonymised list, from its private copy."""
    if verified.manifest.pseudonym is None:
        raise ConfigurationError(
            "not a pseudonymised list: use VerifiedList.iter_entries", code="not_pseudonymised"
        )
    for raw in verified.open_verified():
        yield PseudonymisedEntry.from_dict(json.loads(raw))


# -------------------------------------------------------------- verification


def verify_pseudonymised_list(
    entries_path: str | os.PathLike[str],
    sig_path: str | os.PathLike[str] | bytes,
    *,
    trust: TrustBundle,
    key: DomainKey | None = None,
    protected: ProtectedMatcher | None = None,
    state: StateLike | None = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
    limits: Limits | None = None,
    check_lines: bool = True,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> VerifiedList:
    """Verify a pseudonymised list (every plain check) and, given ``key``, that it fits.

    Runs :func:`~antifraud_common.exchange.signing.verify_list` with
    ``pseudonymised=True`` (the other arguments are its own). With ``key``:
    :func:`check_key` (wrong domain or key: a typed error instead of silent
    misses), then, unless ``check_lines=False``, protected identifiers: the HMAC
    of every exactly listed protected identifier (``protected=None``: the
    packaged table) must not appear unless the manifest's ``allow_protected``
    names it (:class:`~antifraud_common.errors.ProtectedIdentifierError`).
    Protected short codes behind an area code are matched by pattern in plain
    lists and cannot be enumerated here; the publisher's conversion checks them.
    """
    from antifraud_common.exchange.signing import verify_list

    verified = verify_list(
        entries_path,
        sig_path,
        trust=trust,
        state=state,
        now=now,
        grace=grace,
        limits=limits,
        check_lines=check_lines,
        tmp_dir=tmp_dir,
        pseudonymised=True,
    )
    try:
        if key is not None:
            pseudonym = verified.manifest.pseudonym
            assert pseudonym is not None
            check_key(pseudonym, key)
            if check_lines:
                _check_protected(verified, key, protected)
    except BaseException:
        verified.close()
        raise
    return verified


def _protected_macs(key: DomainKey, protected: ProtectedMatcher | None) -> dict[Key, str]:
    if protected is None:
        from antifraud_common.protected import ProtectedList

        protected = ProtectedList.load_default()
    out: dict[Key, str] = {}
    for record in getattr(protected, "numbers", ()):
        kind, value = record.key
        out[kind.encode(), key.digest(value).encode()] = value
    return out


def _check_protected(
    verified: VerifiedList, key: DomainKey, protected: ProtectedMatcher | None
) -> None:
    macs = _protected_macs(key, protected)
    if not macs or verified.manifest.entry_count == 0:
        return
    allowed = set(verified.manifest.allow_protected)
    for lineno, line in enumerate(verified.open_verified(), 1):
        line_key = pseudonymised_key(line)
        if line_key is not None and line_key in macs:
            kind = line_key[0].decode()
            if (kind, macs[line_key]) not in allowed:
                raise ProtectedIdentifierError(
                    f"line {lineno} is the pseudonym of a protected {kind} identifier not in "
                    "the manifest's allow_protected",
                    line=lineno,
                    field="hmac",
                )


def __getattr__(name: str) -> Any:
    # PseudonymIndex moved to antifraud_common.index.pseudonym (the index consumes
    # verified lists; the exchange produces them). The old path keeps working.
    if name == "PseudonymIndex":
        from antifraud_common.index.pseudonym import PseudonymIndex

        return PseudonymIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
