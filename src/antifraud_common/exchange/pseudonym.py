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
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from antifraud_common._files import open_input
from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    InvalidFormatError,
    ProtectedIdentifierError,
)
from antifraud_common.exchange.entries import (
    EntriesScope,
    EntriesSummary,
    ProtectedMatcher,
    check_entries,
    iter_verified_entries,
    write_sorted_lines,
)
from antifraud_common.exchange.layout import (
    Key,
    pseudonymised_key,
    record_line,
)
from antifraud_common.exchange.pseudonymised import (
    DOMAIN_KEY_FORMAT,
    KEY_CHECK_MESSAGE,
    MIN_KEY_BYTES,
    PSEUDONYMISED_LINES,
    DomainKey,
    PseudonymisedEntry,
    check_pseudonymised_entries,
    key_check_value,
    secret_of,
)
from antifraud_common.exchange.trust import TrustBundle
from antifraud_common.format.jsonl import Limits
from antifraud_common.models import (
    Entry,
    IdentifierKind,
    Pseudonym,
    canonical_value,
)

if TYPE_CHECKING:
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
    secret = secret_of(key)
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
    secret = secret_of(key)
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
    return write_sorted_lines(
        path,
        items,
        line=record_line,
        repeated=lambda p: f"two entries for the same {p.kind.value} identifier",
        limits=limits,
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
