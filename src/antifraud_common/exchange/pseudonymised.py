"""The domain key and line format of pseudonymised lists: the entry model and the checker.

A pseudonymised list's line carries ``"hmac"`` (HMAC-SHA-256 of the canonical value
under the sharing domain's key) in place of ``"value"``; everything else is the plain
entry (``docs/spec/pseudonymised.md``). This module holds what verification needs of
that format -- :class:`DomainKey`, :class:`PseudonymisedEntry` and
:func:`check_pseudonymised_entries`,
with the same rules and codes as the plain checker -- below
:mod:`antifraud_common.exchange.signing`, which checks such lists while verifying
them. Keys, conversion and the verification wrapper are
:mod:`antifraud_common.exchange.pseudonym` (which re-exports these names).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
import os
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

import attrs

from antifraud_common._files import open_input
from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    ModelError,
)
from antifraud_common.exchange.entries import (
    DEFAULT_MAX_PROBLEMS,
    EntriesScope,
    EntriesSummary,
    LineForm,
    check_lines,
)
from antifraud_common.exchange.layout import (
    Fields,
    iter_pseudonymised_fields,
    parse_line,
)
from antifraud_common.format import canonical
from antifraud_common.format.jsonl import Limits
from antifraud_common.format.keys import write_secret_file
from antifraud_common.models import (
    PSEUDONYM_ALG,
    TLP,
    Action,
    Entry,
    IdentifierKind,
    Pseudonym,
    Reason,
    check_entry_object,
    entry_members,
    entry_object,
)

__all__ = [
    "DOMAIN_KEY_FORMAT",
    "KEY_CHECK_MESSAGE",
    "MAX_KEY_BYTES",
    "MIN_KEY_BYTES",
    "PSEUDONYMISED_LINES",
    "DomainKey",
    "PseudonymisedEntry",
    "check_pseudonymised_entries",
    "key_check_value",
    "secret_of",
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


def secret_of(key: DomainKey | bytes) -> bytes:
    """The secret bytes of a domain key (or of raw key bytes, checked for length)."""
    if isinstance(key, DomainKey):
        return key.secret
    _check_secret(None, attrs.fields(DomainKey).secret, key)
    return key


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
        mac = _hmac.new(secret_of(key), entry.value.encode("utf-8"), hashlib.sha256).hexdigest()
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
        if isinstance(data, Mapping) and "value" in data:
            raise ModelError(
                "a pseudonymised entry has hmac, never value",
                code="value_in_pseudonymised",
                field="value",
            )
        data = check_entry_object(data, "hmac")
        return cls(kind=data["kind"], hmac=data["hmac"], **entry_members(data))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape of the line (``valid_until`` only when set)."""
        return entry_object(self, "hmac", self.hmac)


def _exact(line: bytes, lineno: int) -> PseudonymisedEntry:
    return parse_line(line, lineno, PseudonymisedEntry.from_dict)


def _exact_fields(line: bytes, lineno: int) -> Fields:
    entry = _exact(line, lineno)
    return entry.kind.value.encode(), entry.action.value.encode(), entry.hmac.encode(), ""


#: Pseudonymised entry lines: the key is ``(kind, hmac)``.
PSEUDONYMISED_LINES: Final = LineForm(
    key_member="hmac", scan=iter_pseudonymised_fields, exact=_exact_fields
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
    be recognised without the key;
    :func:`~antifraud_common.exchange.pseudonym.verify_pseudonymised_list` checks them
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
