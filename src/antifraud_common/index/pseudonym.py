"""Lookups against pseudonymised lists: raw input in, the same answer as the plain index.

A pseudonymised list carries ``HMAC-SHA-256(domain key, canonical value)`` in
place of each value (:mod:`antifraud_common.exchange.pseudonym` writes and
verifies such lists; ``docs/spec/pseudonymised.md`` is the format). A
:class:`PseudonymIndex` is built from the verified entries of one sharing
domain and its :class:`~antifraud_common.exchange.pseudonym.DomainKey`; its
:meth:`~PseudonymIndex.check` validates raw input exactly like
:meth:`antifraud_common.index.Index.check` (through the identifier registry,
:mod:`antifraud_common.kinds`), computes the HMAC with the key and answers with
an :class:`~antifraud_common.index.CheckResult`.

The class moved here from :mod:`antifraud_common.exchange.pseudonym` (the
exchange produces verified lists; the index consumes them); the old import
path still gives the same class.

>>> from datetime import datetime, UTC
>>> from antifraud_common.exchange.pseudonym import DomainKey, pseudonymise_list
>>> from antifraud_common.models import Entry
>>> key = DomainKey(domain="cn-banks-2026", key_id="k1", secret=bytes(range(32)))
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> e = Entry.from_raw(kind="phone", value="138 0013 8000", reason="telecom_fraud",
...                    action="block", source="mps", case_ref="A-1", confidence=90,
...                    tlp="amber", listed_at=t, valid_from=t)
>>> index = PseudonymIndex.build([("mps", "fraud-phones", None, p)
...                               for p in pseudonymise_list([e], key)], key=key)
>>> r = index.check("+86 138 0013 8000", now=t)
>>> r.listed, r.action.value, r.matches[0].case_ref
(True, 'block', 'A-1')
>>> index.check("138 0013 800", kind="phone", now=t).error
'invalid_number'
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from antifraud_common._clock import now_utc
from antifraud_common.errors import ConfigurationError
from antifraud_common.exchange.pseudonym import (
    DomainKey,
    PseudonymisedEntry,
    check_key,
    iter_pseudonymised_entries,
)
from antifraud_common.index._results import CheckResult, Ignored, IgnoreReason, Match
from antifraud_common.kinds import IdentifierKind, candidate_kinds, detect
from antifraud_common.models import Action

if TYPE_CHECKING:
    from antifraud_common.exchange.signing import VerifiedList

__all__ = ["PseudonymIndex"]


class _Listing(NamedTuple):
    issuer: str
    list_id: str
    list_expires: datetime | None
    entry: PseudonymisedEntry


class PseudonymIndex:
    """Lookups against pseudonymised lists: raw input in, the same answer as the plain index.

    Built from verified pseudonymised entries of one sharing domain and its key.
    :meth:`check` validates and canonicalises raw input with the library's
    validators exactly like :meth:`antifraud_common.index.Index.check`
    (``138 0013 8000``, ``+86 13800138000`` and full-width digits all find the
    same entry; invalid input is reported invalid, never "not listed"), computes
    the HMAC with the domain key and returns an
    :class:`antifraud_common.index.CheckResult`: every matching listing
    (issuer, list, reason, action, case reference, confidence, validity window,
    source, TLP), the strongest action (FREEZE > HOLD > BLOCK > WATCH) and the
    listings that did not count (not yet valid, ended, list expired).
    """

    __slots__ = ("_by_key", "_count", "key")

    def __init__(self, key: DomainKey) -> None:
        self.key = key
        self._by_key: dict[tuple[IdentifierKind, str], list[_Listing]] = {}
        self._count = 0

    @classmethod
    def build(
        cls,
        records: Iterable[tuple[str, str, datetime | None, PseudonymisedEntry]],
        *,
        key: DomainKey,
    ) -> PseudonymIndex:
        """Index ``(issuer, list_id, list_expires, entry)`` records made with ``key``."""
        index = cls(key)
        for issuer, list_id, expires, entry in records:
            index._add(_Listing(issuer, list_id, expires, entry))
        return index

    @classmethod
    def from_verified(cls, lists: Iterable[VerifiedList], *, key: DomainKey) -> PseudonymIndex:
        """Index verified pseudonymised lists; each must name ``key``.

        (:func:`~antifraud_common.exchange.pseudonym.check_key`).
        """
        index = cls(key)
        for verified in lists:
            index.add_verified(verified)
        return index

    def add_verified(self, verified: VerifiedList) -> None:
        """Add every entry of a verified pseudonymised list made with this index's key."""
        m = verified.manifest
        if m.pseudonym is None:
            raise ConfigurationError(
                f"{m.issuer}/{m.list_id} is not pseudonymised", code="not_pseudonymised"
            )
        check_key(m.pseudonym, self.key)
        for entry in iter_pseudonymised_entries(verified):
            self._add(_Listing(m.issuer, m.list_id, m.expires, entry))

    def _add(self, listing: _Listing) -> None:
        self._by_key.setdefault((listing.entry.kind, listing.entry.hmac), []).append(listing)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"PseudonymIndex(key={self.key!r}, entries={self._count})"

    def check(
        self,
        raw: object,
        *,
        kind: IdentifierKind | str | None = None,
        region: str = "CN",
        now: datetime | None = None,
    ) -> CheckResult:
        """Validate ``raw``, compute its HMAC and look it up (see the class docstring)."""
        moment = now_utc(now)
        d = detect(raw, candidate_kinds(kind), region=region)
        if d.value is None:
            assert d.error is not None
            return CheckResult.invalid(d.kind, d.error)
        assert d.kind is not None
        return self._lookup(d.kind, d.value, moment)

    def check_key(
        self, kind: IdentifierKind | str, value: str, *, now: datetime | None = None
    ) -> CheckResult:
        """Look up an already canonical value (not validated: a wrong form never matches)."""
        (k,) = candidate_kinds(kind)
        return self._lookup(k, value, now_utc(now))

    def _lookup(self, kind: IdentifierKind, value: str, now: datetime) -> CheckResult:
        listings = self._by_key.get((kind, self.key.digest(value)), ())
        matches: list[Match] = []
        ignored: list[Ignored] = []
        best: Action | None = None
        for lst in listings:
            e = lst.entry
            m = Match(
                lst.issuer,
                lst.list_id,
                e.reason,
                e.action,
                e.case_ref,
                e.confidence,
                e.valid_from,
                e.valid_until,
                e.source,
                e.tlp,
            )
            if lst.list_expires is not None and now >= lst.list_expires:
                ignored.append(Ignored(m, IgnoreReason.LIST_EXPIRED))
            elif now < e.valid_from:
                ignored.append(Ignored(m, IgnoreReason.NOT_YET_VALID))
            elif e.valid_until is not None and now >= e.valid_until:
                ignored.append(Ignored(m, IgnoreReason.VALIDITY_ENDED))
            else:
                matches.append(m)
                if best is None or e.action.severity > best.severity:
                    best = e.action
        return CheckResult(
            kind, value, True, bool(matches), best, tuple(matches), tuple(ignored), None, None
        )
