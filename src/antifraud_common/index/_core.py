"""The merged multi-issuer index (private; see :mod:`antifraud_common.index`)."""

from __future__ import annotations

import math
import mmap
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from antifraud_common._clock import aware_utc
from antifraud_common.errors import ConfigurationError
from antifraud_common.index._file import (
    INDEX_FORMAT_VERSION,
    SavedIndex,
    StrTable,
    read_index,
    write_index,
)
from antifraud_common.index._keys import (
    INT_KEY_TABLE,
    MASK64,
    MIX,
    is_hashed_table,
    table_and_key,
    value_of_key,
)
from antifraud_common.index._results import (
    CheckResult,
    Ignored,
    IgnoreReason,
    IndexRecord,
    Match,
)
from antifraud_common.index._table import (
    OPEN_Q,
    Table,
    TableBuilder,
    nbytes,
)
from antifraud_common.kinds import candidate_kinds, detect, find_kind
from antifraud_common.models import TLP, Action, Entry, IdentifierKind, Reason

__all__ = ["INDEX_FORMAT_VERSION", "Index", "clock"]

_OVERLAY_LIMIT: Final = 200_000
_new = tuple.__new__

_LIST_EXPIRED: Final = IgnoreReason.LIST_EXPIRED
_NOT_YET_VALID: Final = IgnoreReason.NOT_YET_VALID
_VALIDITY_ENDED: Final = IgnoreReason.VALIDITY_ENDED
# kind (by value string, or by the enum member's id: enum hashing is slow) ->
# (kind, exact table id when int(value) is the key, else -1)
_KIND_SPEC: Final = {k.value: (k, INT_KEY_TABLE.get(k, -1)) for k in IdentifierKind}
_INT_KEY_TABLE_BY_ID: Final = {id(k): t for k, t in INT_KEY_TABLE.items()}
_KIND_SPEC_BY_ID: Final = {id(k): (k, INT_KEY_TABLE.get(k, -1)) for k in IdentifierKind}

# (slot, reason, action, source, tlp, confidence): shared by most entries of a list.
_Prov = tuple[int, Reason, Action, str, TLP, int]
# An overlay row: (prov id, case id, valid_from, valid_until or OPEN_Q, value).
_Row = tuple[int, int, int, int, str]


def _epoch(value: datetime) -> int:
    return math.floor(value.timestamp())


def clock(now: object) -> int:
    """The lookup clock in whole seconds since 1970: ``now``, or the current time for None.

    ``now`` must be an aware datetime; anything else raises
    :class:`~antifraud_common.errors.NaiveDatetimeError` (the one clock check,
    ``antifraud_common._clock``).

    >>> clock(datetime(2026, 1, 1, tzinfo=UTC))
    1767225600
    """
    if now is None:
        return math.floor(time.time())
    return _epoch(aware_utc(now))


_DT_CACHE: dict[int, datetime] = {}


def _dt(ts: int) -> datetime:
    d = _DT_CACHE.get(ts)
    if d is None:
        if len(_DT_CACHE) > 65536:
            _DT_CACHE.clear()
        d = _DT_CACHE[ts] = datetime.fromtimestamp(ts, UTC)
    return d


# Bound once: the lookups call them for every result.
_not_listed = CheckResult.not_listed
_deferred = CheckResult.deferred


def _build_matches(
    plan: tuple[Any, ...],
) -> tuple[tuple[Match, ...], tuple[Ignored, ...]]:
    """Build the Match objects of a lookup from the rows it kept (see ``_evaluate``).

    ``plan`` is ``(this function, table, prov info, case refs, hit rows,
    ignored rows with their reason)``. A main-table row is its index in
    ``table``, whose arrays are never changed in place (:meth:`Index.compact`
    builds new ones); an overlay row is its own immutable tuple. Which rows
    count, and why the others do not, was decided at the time of the lookup,
    so later updates of the index cannot change the result.
    """
    _, t, pinfo, cases, hits, ignored = plan

    def match(ref: int | _Row) -> Match:
        if isinstance(ref, int):
            p, c, f, u = t.prov[ref] >> 1, t.case[ref], t.vf[ref], t.vu[ref]
            if u == t.open:
                u = OPEN_Q
        else:
            p, c, f, u, _ = ref
        info = pinfo[p]
        return _new(
            Match,
            (
                info[1],
                info[2],
                info[3],
                info[4],
                cases[c],
                info[5],
                _dt(f),
                None if u == OPEN_Q else _dt(u),
                info[6],
                info[7],
            ),
        )

    return (
        tuple(map(match, hits)),
        () if ignored is None else tuple(_new(Ignored, (match(ref), why)) for ref, why in ignored),
    )


#: What the results of :meth:`Index.probe_hits`'s common hits are built from: the
#: first items of a deferred result's plan (the builder, the table, the provenance
#: info, the case references, as they were at the time of the lookup); the row and
#: ``None`` (no ignored rows) complete it.
HitPlan = tuple[Callable[..., Any], Any, Sequence[tuple[Any, ...]], Sequence[str]]


def common_hit(
    kind: IdentifierKind, value: str, action: Action | None, plan: HitPlan, i: int
) -> CheckResult:
    """The result of a common hit of :meth:`Index.probe_hits`: row ``i`` of the plan's
    table, the one row that counts (the result :meth:`Index.check_key` gives)."""
    build, t, pinfo, cases = plan
    return _deferred(kind, value, True, action, (build, t, pinfo, cases, (i,), None))


class Index:
    """Every listed identifier of every loaded list, merged for fast lookup.

    Build one with :meth:`build` (from records) or :meth:`open` (a saved file);
    query it with :meth:`check` (raw input, validated first), :meth:`check_many`
    (order-preserving, bulk validators) or :meth:`check_key` (canonical values,
    the hot path). Update one list with :meth:`apply_changes` or
    :meth:`replace_list`; :meth:`compact` folds updates into the main arrays.
    Not thread-safe for concurrent updates; concurrent reads are fine.
    """

    def __init__(self) -> None:
        self._slots: list[list[Any]] = []  # [issuer, list_id, expires ts | None, alive]
        self._slot_of: dict[tuple[str, str], int] = {}
        self._provs: list[_Prov] = []
        self._prov_ids: dict[_Prov, int] = {}
        self._prov_by_id: dict[tuple[int, int, int, str, int, int], int] = {}
        self._cases: Sequence[str] = []
        self._case_ids: dict[str, int] | None = {}
        self._tables: dict[int, Table] = {}
        self._overlay: dict[tuple[int, int], list[_Row]] = {}
        self._overlay_rows = 0
        self._tombstones: set[tuple[int, int, str]] = set()
        self._mmap: mmap.mmap | None = None
        self._pinfo: list[tuple[Any, ...]] = []
        # Overlay, tombstones or dead lists not yet compacted. While it is False,
        # every main row belongs to a live list (check_key relies on it).
        self._dirty = False
        # canonical value -> (kind, result, valid from ts, valid until ts)

    # ------------------------------------------------------------------ building

    def _slot(self, issuer: object, list_id: object, expires: object, *, new: bool = False) -> int:
        if not isinstance(issuer, str) or not isinstance(list_id, str) or not issuer or not list_id:
            raise ConfigurationError("issuer and list id are non-empty strings", code="invalid_id")
        exp: int | None = None
        if expires is not None:
            exp = _epoch(aware_utc(expires, field="list expiry"))
        key = (issuer, list_id)
        s = self._slot_of.get(key)
        if s is not None and not new:
            if self._slots[s][2] != exp:
                raise ConfigurationError(
                    f"list {issuer}/{list_id} given with two different expiry times",
                    code="inconsistent_list_expiry",
                )
            return s
        if s is not None:
            self._slots[s][3] = False
        s = len(self._slots)
        self._slots.append([issuer, list_id, exp, True])
        self._slot_of[key] = s
        return s

    def _intern_case(self, case_ref: str) -> int:
        ids = self._case_ids
        if ids is None:
            self._cases = list(self._cases)
            ids = self._case_ids = {c: i for i, c in enumerate(self._cases)}
        c = ids.get(case_ref)
        if c is None:
            c = ids[case_ref] = len(ids)
            assert isinstance(self._cases, list)
            self._cases.append(case_ref)
        return c

    def _row(self, slot: int, entry: object) -> tuple[int, int, int, int, int, int, str]:
        if type(entry) is not Entry and not isinstance(entry, Entry):
            raise ConfigurationError(
                f"expected an Entry, not {type(entry).__name__}", code="not_an_entry"
            )
        reason, action, tlp = entry.reason, entry.action, entry.tlp
        # Enum members are singletons: their ids hash much faster than the members.
        ik = (slot, id(reason), id(action), entry.source, id(tlp), entry.confidence)
        prov = self._prov_by_id.get(ik)
        if prov is None:
            pt: _Prov = (slot, reason, action, entry.source, tlp, entry.confidence)
            prov = self._intern_prov(pt)
            self._prov_by_id[ik] = prov
        case = self._intern_case(entry.case_ref)
        vf = math.floor(entry.valid_from.timestamp())
        vu = OPEN_Q if entry.valid_until is None else math.floor(entry.valid_until.timestamp())
        tid, h = table_and_key(entry.kind, entry.value)
        return tid, h, prov, case, vf, vu, entry.value

    @classmethod
    def build(
        cls, records: Iterable[IndexRecord | tuple[str, str, datetime | None, Entry]]
    ) -> Index:
        """Build an index from ``(issuer, list_id, list_expires, entry)`` records.

        Streams: no list of all records or keys is made. Raises
        :class:`~antifraud_common.errors.ConfigurationError` for a malformed record.
        """
        index = cls()
        b = TableBuilder()
        add = b.add
        slots: dict[tuple[object, object], tuple[object, int]] = {}
        provs = index._prov_by_id
        case_ids = index._case_ids
        assert case_ids is not None
        cases = index._cases
        assert isinstance(cases, list)
        phone, card = IdentifierKind.PHONE, IdentifierKind.BANK_CARD
        for rec in records:
            try:
                issuer, list_id, expires, entry = rec
            except (TypeError, ValueError) as e:
                raise ConfigurationError(
                    "a record is (issuer, list_id, list_expires, entry)", code="invalid_record"
                ) from e
            known = slots.get((issuer, list_id))
            if known is None or (known[0] is not expires and known[0] != expires):
                slot = index._slot(issuer, list_id, expires)
                slots[(issuer, list_id)] = (expires, slot)
            else:
                slot = known[1]
            if type(entry) is not Entry and not isinstance(entry, Entry):
                raise ConfigurationError(
                    f"expected an Entry, not {type(entry).__name__}", code="not_an_entry"
                )
            # Enum members are singletons: their ids hash much faster than the members.
            source, confidence = entry.source, entry.confidence
            ik = (slot, id(entry.reason), id(entry.action), source, id(entry.tlp), confidence)
            prov = provs.get(ik)
            if prov is None:
                prov = provs[ik] = index._intern_prov(
                    (slot, entry.reason, entry.action, source, entry.tlp, confidence)
                )
            case_ref = entry.case_ref
            case = case_ids.get(case_ref)
            if case is None:
                case = case_ids[case_ref] = len(cases)
                cases.append(case_ref)
            until = entry.valid_until
            # Entry timestamps are whole seconds, so int() of the float is exact.
            vf = int(entry.valid_from.timestamp())
            vu = OPEN_Q if until is None else int(until.timestamp())
            kind, value = entry.kind, entry.value
            first = value[:1]
            if kind is phone and first == "+":
                digits = value[1:]
                exact = len(digits) <= 15 and digits.isdigit() and digits.isascii()
            elif kind is card and first != "0":
                exact = 12 <= len(value) <= 19 and value.isdigit() and value.isascii()
            else:
                exact = False
            if exact and value[first == "+"] != "0":
                tid = 0 if kind is phone else 2
                h = (int(value) * MIX) & MASK64
            else:
                tid, h = table_and_key(kind, value)
            add(tid, h, prov, case, vf, vu, value)
        index._tables = b.finish()
        return index

    def _intern_prov(self, pt: _Prov) -> int:
        prov = self._prov_ids.get(pt)
        if prov is None:
            prov = self._prov_ids[pt] = len(self._provs)
            self._provs.append(pt)
            self._prov_info()  # lookups read it without checking its length
        return prov

    # ------------------------------------------------------------------ updates

    def _slot_for_update(self, issuer: str, list_id: str) -> int:
        s = self._slot_of.get((issuer, list_id))
        if s is None:
            return self._slot(issuer, list_id, None)
        return s

    def set_list_expiry(self, issuer: str, list_id: str, expires: datetime | None) -> None:
        """Record a list's (new) expiry time, e.g. after a re-signed snapshot or delta."""
        s = self._slot_for_update(issuer, list_id)
        self._slots[s][2] = None if expires is None else clock(expires)

    def _drop(self, slot: int, kind: IdentifierKind, value: str) -> tuple[int, int]:
        self._dirty = True
        tid, h = table_and_key(kind, value)
        self._tombstones.add((slot, tid, value))
        rows = self._overlay.get((tid, h))
        if rows:
            kept = [r for r in rows if not (self._provs[r[0]][0] == slot and r[4] == value)]
            self._overlay_rows -= len(rows) - len(kept)
            if kept:
                self._overlay[(tid, h)] = kept
            else:
                del self._overlay[(tid, h)]
        return tid, h

    def apply_changes(
        self,
        issuer: str,
        list_id: str,
        added: Iterable[Entry] = (),
        removed: Iterable[Entry | tuple[IdentifierKind | str, str]] = (),
    ) -> None:
        """Apply a delta of one list: remove keys, then add (or replace) entries.

        ``removed`` holds identifier keys ``(kind, canonical value)`` (or entries,
        whose key is used). An added entry replaces the list's entry with the same
        key. Changes go to a small overlay consulted on every lookup; the main
        arrays are not rebuilt until :meth:`compact` (called automatically when
        the overlay exceeds 200,000 rows or a quarter of the main rows).
        """
        slot = self._slot_for_update(issuer, list_id)
        for key in removed:
            kind, value = key.key if isinstance(key, Entry) else key
            k = find_kind(kind)
            if k is None or not isinstance(value, str):
                raise ConfigurationError("a key is (kind, canonical value)", code="invalid_key")
            self._drop(slot, k, value)
        for entry in added:
            if not isinstance(entry, Entry):
                raise ConfigurationError("added items are Entry objects", code="not_an_entry")
            self._drop(slot, entry.kind, entry.value)
            tid, h, prov, case, vf, vu, value = self._row(slot, entry)
            self._overlay.setdefault((tid, h), []).append((prov, case, vf, vu, value))
            self._overlay_rows += 1
        self._maybe_compact()

    def replace_list(
        self, issuer: str, list_id: str, entries: Iterable[Entry], *, list_expires: datetime | None
    ) -> None:
        """Replace every entry of one list by a new snapshot (other lists are untouched).

        The old rows are retired at once (their list slot is marked dead, an O(1)
        step) and the new entries go to the overlay; a large snapshot triggers
        :meth:`compact`.
        """
        self._dirty = True
        slot = self._slot(issuer, list_id, list_expires, new=True)
        for entry in entries:
            tid, h, prov, case, vf, vu, value = self._row(slot, entry)
            self._overlay.setdefault((tid, h), []).append((prov, case, vf, vu, value))
            self._overlay_rows += 1
        self._maybe_compact()

    def remove_list(self, issuer: str, list_id: str) -> None:
        """Forget one list entirely (its entries stop matching at once)."""
        self._dirty = True
        s = self._slot_of.pop((issuer, list_id), None)
        if s is not None:
            self._slots[s][3] = False

    def _maybe_compact(self) -> None:
        if self._overlay_rows > max(_OVERLAY_LIMIT, len(self) // 4):
            self.compact()

    def compact(self) -> None:
        """Fold the overlay and removals into freshly sorted main arrays (O(rows))."""
        if not self._dirty:
            return
        self._dirty = False
        b = TableBuilder()
        alive = [s[3] for s in self._slots]
        provs, tombs = self._provs, self._tombstones
        for tid, t in self._tables.items():
            values = t.values
            keys, prov, case, vf, vu = t.keys, t.prov, t.case, t.vf, t.vu
            hashed_value: Callable[[int], str] = (
                values.__getitem__ if values is not None else lambda _i: ""
            )
            for i in range(len(keys)):
                p = prov[i] >> 1
                slot = provs[p][0]
                if not alive[slot]:
                    continue
                value = hashed_value(i)
                if tombs and (slot, tid, value or value_of_key(tid, keys[i])) in tombs:
                    continue
                u = vu[i]
                b.add(tid, keys[i], p, case[i], vf[i], OPEN_Q if u == t.open else u, value)
        for (tid, h), rows in self._overlay.items():
            for p, c, f, u, value in rows:
                if alive[provs[p][0]]:
                    b.add(tid, h, p, c, f, u, value if is_hashed_table(tid) else "")
        self._tables = b.finish()
        self._overlay.clear()
        self._overlay_rows = 0
        self._tombstones.clear()

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return sum(len(t.keys) for t in self._tables.values()) + self._overlay_rows

    def _prov_info(self) -> list[tuple[Any, ...]]:
        info = self._pinfo
        if len(info) != len(self._provs):
            # (slot id, issuer, list id, reason, action, confidence, source, tlp,
            # severity, the slot itself: [issuer, list id, expires, alive], which
            # updates change in place)
            slots = self._slots
            info.extend(
                (s, slots[s][0], slots[s][1], r, a, conf, src, tlp, a.severity, slots[s])
                for s, r, a, src, tlp, conf in self._provs[len(info) :]
            )
        return info

    def _evaluate(  # noqa: PLR0917 - private hot path
        self, kind: IdentifierKind, value: str, tid: int, h: int, i: int, now: int | None
    ) -> CheckResult:
        # Decide now which rows count (listed, action) from the integer columns
        # the decision needs: provenance, valid from, valid until. The Match
        # objects (case reference, datetimes) are built from the kept row
        # references only when the result's matches or ignored are first read.
        # The caller found keys[i] == h (or i < 0: overlay rows only).
        tombs = self._tombstones
        pinfo = self._pinfo
        if len(pinfo) != len(self._provs):
            pinfo = self._prov_info()
        hits: list[int | _Row] = []
        ignored: list[tuple[int | _Row, IgnoreReason]] | None = None
        best: Action | None = None
        top = 0
        t: Table | None = None
        if now is None:
            now = int(time.time())  # floor: the clock is after 1970
        if i >= 0:
            t = self._tables[tid]
            keys, values, t_open = t.keys, t.values, t.open
            prov, vf, vu = t.prov, t.vf, t.vu
            n = len(keys)
            while True:
                if values is None or values[i] == value:
                    info = pinfo[prov[i] >> 1]
                    slot = info[9]
                    if slot[3] and not (tombs and (info[0], tid, value) in tombs):
                        expires = slot[2]
                        if expires is not None and now >= expires:
                            why = _LIST_EXPIRED
                        elif now < vf[i]:
                            why = _NOT_YET_VALID
                        elif now >= vu[i] != t_open:
                            why = _VALIDITY_ENDED
                        else:
                            hits.append(i)
                            if info[8] > top:
                                top, best = info[8], info[4]
                            why = None
                        if why is not None:
                            if ignored is None:
                                ignored = []
                            ignored.append((i, why))
                i += 1
                if i >= n or keys[i] != h:
                    break
        if self._overlay:
            for row in self._overlay.get((tid, h), ()):
                info = pinfo[row[0]]
                slot = info[9]
                if row[4] == value and slot[3]:
                    expires = slot[2]
                    if expires is not None and now >= expires:
                        why = _LIST_EXPIRED
                    elif now < row[2]:
                        why = _NOT_YET_VALID
                    elif now >= row[3]:
                        why = _VALIDITY_ENDED
                    else:
                        hits.append(row)
                        if info[8] > top:
                            top, best = info[8], info[4]
                        why = None
                    if why is not None:
                        if ignored is None:
                            ignored = []
                        ignored.append((row, why))
        if ignored is None and not hits:
            return _not_listed(kind, value)
        return _deferred(
            kind, value, bool(hits), best, (_build_matches, t, pinfo, self._cases, hits, ignored)
        )

    def check_key(
        self, kind: IdentifierKind | str, value: str, *, now: datetime | None = None
    ) -> CheckResult:
        """Look up an already canonical value (the hot path: no validation).

        ``value`` must be the canonical form the validators return (E.164 for
        phones, digits for cards ...). A non-canonical value is not an error
        here; it simply never matches. Use :meth:`check` for raw input.
        """
        spec = _KIND_SPEC.get(kind) if type(kind) is str else _KIND_SPEC_BY_ID.get(id(kind))
        if spec is None:
            raise ConfigurationError(f"unknown identifier kind {kind!r}", code="invalid_kind")
        k, tid = spec
        if tid < 0 or value[:1] == "0":  # a leading zero lives in the hashed table
            return self._check_other(k, value, now)
        # Phones and cards: int() is the exact key. It is lenient (signs, spaces,
        # underscores, other scripts' digits): "8613800138000" finds the key of
        # "+8613800138000", so a found key is trusted only once the value is
        # proven canonical (below).
        try:
            x = int(value)
        except (ValueError, TypeError):
            return self._check_other(k, value, now)
        h = (x * MIX) & MASK64
        t = self._tables.get(tid)
        if t is not None:
            i = t.find(h)
            if i >= 0 or (self._overlay and (tid, h) in self._overlay):
                # The canonical form owning exact key x is "+x" (phone, at most
                # 15 digits) or "x" (card, 12-19 digits); x < 2**64 keeps mix()
                # injective. Anything else never matches.
                if tid == 0:
                    canonical = 0 < x < 10**15 and value == f"+{x}"
                else:
                    canonical = 10**11 <= x < 10**19 and value == f"{x}"
                if canonical:
                    # Validity bounds are whole seconds, so comparing them with
                    # the float clock gives the same answers as with its floor.
                    now_ts = time.time() if now is None else clock(now)
                    if i >= 0 and not self._dirty:
                        # The common hit: one row, in force, no pending updates
                        # (so no overlay, no tombstones, no row of a dead list).
                        # Anything else takes the general path. Provenance and
                        # the "settled" bit (see Table) are, for most rows, the
                        # only column the decision needs besides the key.
                        p = t.prov[i]
                        pinfo = self._pinfo  # kept complete by _intern_prov
                        info = pinfo[p >> 1]
                        expires = info[9][2]
                        keys = t.keys
                        if (
                            (
                                (p & 1 and now_ts >= t.settled)
                                or (t.vf[i] <= now_ts and not now_ts >= t.vu[i] != t.open)
                            )
                            and (expires is None or now_ts < expires)
                            and (i + 1 == len(keys) or keys[i + 1] != h)
                        ):
                            return _deferred(
                                k,
                                value,
                                True,
                                info[4],
                                (_build_matches, t, pinfo, self._cases, (i,), None),
                            )
                    return self._evaluate(k, value, tid, h, i, math.floor(now_ts))
        elif self._overlay and (tid, h) in self._overlay:
            return self._check_other(k, value, now)
        return _not_listed(k, value)

    def _check_other(self, k: IdentifierKind, value: str, now: datetime | None) -> CheckResult:
        """:meth:`check_key` for values whose key is not ``int(value)``."""
        tid, h = table_and_key(k, value)
        r = self._probe_key(k, value, tid, h, None if now is None else clock(now))
        return _not_listed(k, value) if r is None else r

    def check(
        self,
        raw: object,
        *,
        kind: IdentifierKind | str | None = None,
        region: str = "CN",
        now: datetime | None = None,
    ) -> CheckResult:
        """Validate ``raw``, then look it up.

        With ``kind=None`` the kinds of :data:`~antifraud_common.kinds.AUTO_ORDER`
        are tried in turn (phone, bank card, ICCID, IMEI, bank account, payment
        account) and the first that accepts the input wins
        (:func:`antifraud_common.kinds.detect`). An invalid input gives
        ``valid=False`` with the validator's error code, never "not listed".
        """
        now_ts = clock(now)
        d = detect(raw, candidate_kinds(kind), region=region)
        if d.value is None:
            assert d.error is not None
            return CheckResult.invalid(d.kind, d.error)
        assert d.kind is not None
        return self.lookup(d.kind, d.value, now_ts)

    def lookup(self, k: IdentifierKind, value: str, now_ts: int) -> CheckResult:
        """:meth:`check_key` for a *validated* canonical value and a clock already read.

        ``now_ts`` is :func:`clock`'s whole seconds. Screening calls it once per
        validated value.
        """
        r = self._probe(k, value, now_ts)
        if r is None:
            return _not_listed(k, value)
        return r

    def probe_many(
        self, k: IdentifierKind, values: Sequence[str], now_ts: int
    ) -> list[tuple[int, CheckResult]]:
        """:meth:`probe` over many validated values of one kind (screening's inner loop).

        Returns ``(position in values, result)`` for the values some row or
        update names (listed or not), in order; every other value is a miss.
        """
        fast = _INT_KEY_TABLE_BY_ID.get(id(k), -1)
        t = self._tables.get(fast) if fast >= 0 else None
        out: list[tuple[int, CheckResult]] = []
        append = out.append
        if t is None or self._overlay:
            for j, v in enumerate(values):
                r = self._probe(k, v, now_ts)
                if r is not None:
                    append((j, r))
            return out
        find, evaluate = t.find, self._evaluate
        for j, value in enumerate(values):
            if value[:1] in "0t":  # "" is in every string: general path
                r = self._probe(k, value, now_ts)
                if r is not None:
                    append((j, r))
                continue
            h = (int(value) * MIX) & MASK64
            i = find(h)
            if i >= 0:
                append((j, evaluate(k, value, fast, h, i, now_ts)))
        return out

    def probe(self, k: IdentifierKind, value: str, now_ts: int) -> CheckResult | None:
        """Look up a *validated* canonical value; None when no entry or update holds it."""
        return self._probe(k, value, now_ts)

    def _probe(self, k: IdentifierKind, value: str, now_ts: int | None) -> CheckResult | None:
        tid = _INT_KEY_TABLE_BY_ID.get(id(k), -1)
        first = value[:1]
        if tid >= 0 and first not in "0t":  # "" is in every string: slow path
            # Validated E.164 ("+" digits) and card numbers: int() is the exact key.
            h = (int(value) * MIX) & MASK64
        else:
            tid, h = table_and_key(k, value)
        return self._probe_key(k, value, tid, h, now_ts)

    def _probe_key(
        self, k: IdentifierKind, value: str, tid: int, h: int, now_ts: int | None
    ) -> CheckResult | None:
        t = self._tables.get(tid)
        i = -1 if t is None else t.find(h)
        if i < 0 and (not self._overlay or (tid, h) not in self._overlay):
            return None
        return self._evaluate(k, value, tid, h, i, now_ts)

    def probe_keys(
        self,
        kind: IdentifierKind | str,
        keys: Iterable[int] | Any,
        *,
        now: datetime | None = None,
    ) -> list[tuple[int, CheckResult]]:
        """Look up many canonical phone numbers or card numbers given as integers.

        A key is the integer of the canonical value's digits: ``8613800138000``
        for ``+8613800138000``, ``6222021123456789014`` for that card. Returns
        ``(position, result)`` for every key some entry or pending update names
        (``result.listed`` may still be False: an entry out of its validity);
        every other key is not listed. The results are those of
        :meth:`check_key` on the canonical values. With numpy installed (the
        ``vector`` extra) and ``keys`` a numpy integer array, the keys are
        searched all at once in the sorted (memory-mapped) key arrays; otherwise
        one at a time. A key outside the kind's range raises
        :class:`~antifraud_common.errors.ConfigurationError` (``invalid_key``).
        """
        spec = _KIND_SPEC.get(kind) if type(kind) is str else _KIND_SPEC_BY_ID.get(id(kind))
        if spec is None or spec[1] < 0:
            raise ConfigurationError(
                f"probe_keys takes phone or bank_card keys, not {kind!r}", code="invalid_kind"
            )
        k, tid = spec
        low, high = (1, 10**15) if tid == 0 else (10**11, 10**19)
        now_ts = clock(now)
        if type(keys).__module__ == "numpy":
            import numpy as np

            x = np.asarray(keys)
            if x.dtype.kind not in "iu":
                raise ConfigurationError("keys must be integers", code="invalid_key")
            if x.size and (int(x.min()) < low or int(x.max()) >= high):
                raise ConfigurationError(f"a {k.value} key is out of range", code="invalid_key")
            return self.probe_array(k, x, now_ts)
        out: list[tuple[int, CheckResult]] = []
        t = self._tables.get(tid)
        find = None if t is None else t.find
        overlay = self._overlay
        phone = tid == 0
        for j, x in enumerate(keys):
            if type(x) is not int or not low <= x < high:
                raise ConfigurationError(f"a {k.value} key is out of range", code="invalid_key")
            h = (x * MIX) & MASK64
            i = -1 if find is None else find(h)
            if i >= 0 or (overlay and (tid, h) in overlay):
                value = f"+{x}" if phone else f"{x}"
                out.append((j, self._evaluate(k, value, tid, h, i, now_ts)))
        return out

    def probe_array(
        self, k: IdentifierKind, numbers: Any, now_ts: int
    ) -> list[tuple[int, CheckResult]]:
        """:meth:`probe_keys` for a numpy array of keys already in range, and a clock read.

        The keys are searched all at once (:meth:`Table.find_many`); pending
        updates are matched with ``numpy.isin``.
        """
        positions, results = self.probe_columns(k, numbers, now_ts)
        return list(zip(positions, results, strict=True))

    def probe_columns(
        self, k: IdentifierKind, numbers: Any, now_ts: int
    ) -> tuple[list[int], list[CheckResult]]:
        """:meth:`probe_array` as two parallel lists (positions, results), without a
        tuple per hit."""
        positions, values, refs, actions, plan = self.probe_hits(k, numbers, now_ts)
        results = [
            ref if isinstance(ref, CheckResult) else common_hit(k, value, action, plan, ref)
            for value, ref, action in zip(values, refs, actions, strict=True)
        ]
        return positions, results

    def probe_hits(
        self, k: IdentifierKind, numbers: Any, now_ts: int
    ) -> tuple[list[int], list[str], list[int | CheckResult], list[Action | None], HitPlan]:
        """:meth:`probe_columns` without building the results of the common hits.

        Returns parallel lists: the position of every number some row or update
        names, its canonical value, its result or, for :meth:`check_key`'s common
        hit (one row, in force, its list not expired, no pending updates), the
        row's number in the table, and the action of a listed result (None: not
        listed); and the plan the results of the common hits are built with
        (:func:`common_hit`). Columnar screening calls it once per batch and
        column and builds each match's result when the match is taken: a batch
        then holds integers and strings, not objects the garbage collector tracks.
        """
        import numpy as np

        tid = INT_KEY_TABLE[k]
        x = np.asarray(numbers, dtype=np.uint64)
        with np.errstate(over="ignore"):
            h = x * np.uint64(MIX)
        t = self._tables.get(tid)
        rows = t.find_many(h) if t is not None else np.full(len(h), -1, dtype=np.int64)
        found = rows >= 0
        if self._overlay:
            pending = np.fromiter(
                (key for t_, key in self._overlay if t_ == tid), dtype=np.uint64, count=-1
            )
            if pending.size:
                found |= np.isin(h, pending)
        prefix = "+" if k is IdentifierKind.PHONE else ""
        at = np.flatnonzero(found)
        positions: list[int] = at.tolist()
        values = [f"{prefix}{key}" for key in x[at].tolist()]
        refs: list[int | CheckResult] = []
        actions: list[Action | None] = []
        plan: HitPlan = (_build_matches, t, self._pinfo, self._cases)
        evaluate = self._evaluate
        common = self._common_hits(t, h[at], rows[at], now_ts) if t is not None else None
        if common is None:
            for value, hj, i in zip(values, h[at].tolist(), rows[at].tolist(), strict=True):
                r = evaluate(k, value, tid, hj, i, now_ts)
                refs.append(r)
                actions.append(r.action if r.listed else None)
            return positions, values, refs, actions, plan
        assert t is not None  # _common_hits answered
        pinfo = self._pinfo
        for value, simple, hj, i, p in zip(
            values,
            common.tolist(),
            h[at].tolist(),
            rows[at].tolist(),
            np.asarray(t.prov)[rows[at]].tolist(),
            strict=True,
        ):
            if simple:
                # check_key's common hit, decided for the whole batch.
                refs.append(i)
                actions.append(pinfo[p >> 1][4])
            else:
                r = evaluate(k, value, tid, hj, i, now_ts)
                refs.append(r)
                actions.append(r.action if r.listed else None)
        return positions, values, refs, actions, plan

    def _common_hits(self, t: Table, h: Any, rows: Any, now_ts: int) -> Any:
        """Which found rows are :meth:`check_key`'s common hit (one row, in force, its
        list not expired, no pending updates), as a numpy mask; None when the index
        has pending updates (every row then takes the general path)."""
        import numpy as np

        if self._dirty or not len(rows):
            return None
        pinfo = self._pinfo  # kept complete by _intern_prov
        keys = np.asarray(t.keys)
        n = len(keys)
        nxt = keys[np.minimum(rows + 1, n - 1)]
        unique = (rows + 1 == n) | (nxt != h)
        p = np.asarray(t.prov)[rows].astype(np.int64)
        vf = np.asarray(t.vf)[rows].astype(np.int64)
        vu = np.asarray(t.vu)[rows].astype(np.int64)
        in_force = ((p & 1) == 1) & (now_ts >= t.settled)
        in_force |= (vf <= now_ts) & ~((now_ts >= vu) & (vu != t.open))
        never = np.iinfo(np.int64).max
        expires = np.array(
            [never if info[9][2] is None else info[9][2] for info in pinfo], dtype=np.int64
        )
        return unique & in_force & (now_ts < expires[p >> 1])

    def check_many(
        self,
        values: Iterable[object],
        *,
        kind: IdentifierKind | str | None = None,
        region: str = "CN",
        now: datetime | None = None,
    ) -> Iterator[CheckResult]:
        """Check many raw inputs; yield one result per input, in order.

        The clock is read once for the whole batch. Phone numbers and cards go
        through the bulk paths (:func:`antifraud_common.phone.validate_many`),
        whose verdicts are the validators' own.
        """
        from antifraud_common.index._bulk import validate_many

        now_ts = clock(now)
        kinds = candidate_kinds(kind)
        it = iter(values)
        while True:
            chunk = [raw for _, raw in zip(range(4096), it, strict=False)]
            if not chunk:
                return
            verdicts = validate_many(kinds[0], chunk, region=region)
            for raw, (value, error) in zip(chunk, verdicts, strict=True):
                if value is not None:
                    yield self.lookup(kinds[0], value, now_ts)
                    continue
                if len(kinds) == 1:
                    assert error is not None
                    yield CheckResult.invalid(kinds[0], error)
                    continue
                d = detect(raw, kinds[1:], region=region, first=(kinds[0], error))
                if d.value is None:
                    assert d.error is not None
                    yield CheckResult.invalid(d.kind, d.error)
                else:
                    assert d.kind is not None
                    yield self.lookup(d.kind, d.value, now_ts)

    # ------------------------------------------------------------------ introspection

    @property
    def lists(self) -> list[tuple[str, str, datetime | None]]:
        """The live lists: ``(issuer, list_id, expires)``."""
        return [(s[0], s[1], None if s[2] is None else _dt(s[2])) for s in self._slots if s[3]]

    def stats(self) -> dict[str, int]:
        """Sizes in bytes of the key structure and of the provenance columns, and row counts."""
        key_bytes = prov_bytes = 0
        for t in self._tables.values():
            key_bytes += nbytes(t.keys) + nbytes(t.dir)
            prov_bytes += sum(nbytes(c) for c in (t.prov, t.case, t.vf, t.vu))
            if t.values is not None:
                prov_bytes += sum(len(v) for v in t.values) + 8 * len(t.values)
        if isinstance(self._cases, StrTable):
            prov_bytes += self._cases.nbytes()
        else:
            prov_bytes += sum(len(c) + 8 for c in self._cases)
        return {
            "rows": len(self),
            "overlay_rows": self._overlay_rows,
            "key_bytes": key_bytes,
            "provenance_bytes": prov_bytes,
            "provenance_tuples": len(self._provs),
            "case_refs": len(self._cases),
        }

    # ------------------------------------------------------------------ saved files

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` atomically (temp file, fsync, rename).

        An existing FIFO or character device at ``path`` is written directly, never
        renamed over; a full disk raises
        :class:`~antifraud_common.errors.FileAccessError` ``disk_full``.

        Pending updates are compacted first. The file starts with a magic,
        the format version, the header length and the SHA-256 of everything
        after that preamble; :meth:`open` checks all of them.
        """
        self.compact()
        saved = SavedIndex(self._slots, self._provs, self._cases, self._tables, len(self))
        write_index(path, saved)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: str = "crc32") -> Index:
        """Open a saved index memory-mapped (keys are searched in place, not loaded).

        ``verify`` says how the content is checked before use: ``"crc32"`` (the
        default: CRC-32 of the preamble, the header and every 4 MiB block of the
        body, computed on all cores), ``"sha256"`` (the SHA-256 of the whole
        content as well), or ``"none"``. A damaged, truncated or foreign file
        raises :class:`~antifraud_common.errors.BlacklistFormatError`
        (``index_corrupt``). These checks catch accidental damage; they cannot
        stop someone who can write the file (see docs/index-and-screening.md).
        """
        index, mm = read_index(path, verify=verify, build=cls._from_saved)
        index._mmap = mm
        return index

    @classmethod
    def _from_saved(cls, saved: SavedIndex) -> Index:
        index = cls()
        index._slots = saved.slots
        index._slot_of = {(s[0], s[1]): i for i, s in enumerate(index._slots) if s[3]}
        index._provs = saved.provs
        index._prov_ids = {p: i for i, p in enumerate(index._provs)}
        index._prov_info()  # a provenance naming no list is an IndexError: corrupt
        index._cases = saved.cases
        index._case_ids = None
        index._tables = saved.tables
        return index
