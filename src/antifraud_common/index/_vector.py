"""Columnar screening: Arrow batches decided in bulk, the validators for the rest (private).

Needs the ``vector`` extra (``pyarrow`` and ``numpy``); :func:`available` says
whether it is installed. Without it :func:`antifraud_common.index.screen.screen`
keeps its record-by-record path.

How a column of strings is screened (see docs/index-and-screening.md, "The
columnar path"):

1. **Cleaning, per character.** The shared cleaning rules
   (:func:`antifraud_common._text.clean`) act on each character on its own: a
   character is kept (full-width forms folded to ASCII) or deleted. The
   per-character outcome is computed once, *by calling the validator's own*
   ``clean`` *on each character* of a fixed alphabet (ASCII, the full-width
   forms, U+3000, the Unicode spaces, dashes and common invisible characters),
   for the separators of the kind. A value containing any other character, or
   longer than the validator's input limit, is not decided here.
2. **The canonical value.** On the cleaned digits the phone rules of
   :func:`antifraud_common.phone.validate` for region CN are applied as they
   are written there (``+86``, ``0086``, a trunk ``0``; ``00`` + another country
   and ``106`` are left to the validator), and a value is decided valid only when
   phone's own fast decision for its length and first five national digits is
   "every number here is valid" (asked through the same function the
   record-by-record path uses, once per prefix). Cards: 12-19 digits, not one
   digit repeated, a correct Luhn digit; the verdict of such a number depends
   only on its length and first six digits (see :mod:`._bulk`) and is asked of
   :func:`antifraud_common.card.is_valid` once per pair.
3. **The lookup.** Canonical values are integer keys (the E.164 digits, the card
   digits); :func:`find_rows` finds each key's first row in the index's sorted
   (memory-mapped) key array through its directory, for all keys at once. Rows
   found are decided by the index's own per-row evaluation.

4. **Refusals (phones).** A value steps 1-2 did not accept is refused in bulk
   where phone refuses it on its shape, its country calling code or its +86
   block alone (:func:`phone_refusals`), with phone's own patterns, tables and
   codes; differential tests hold each such refusal to the strict path's code.

Everything not decided in steps 1-2 and 4 (a third of a messy file, say) goes
through the validators themselves, exactly as on the record-by-record path.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

from antifraud_common import kinds
from antifraud_common.errors import ConfigurationError
from antifraud_common.index._bulk import scan
from antifraud_common.index._core import HitPlan, Index
from antifraud_common.index._results import CheckResult
from antifraud_common.index._table import Table
from antifraud_common.models import Action, IdentifierKind

__all__ = ["INSTALL_HINT", "available", "find_rows", "probe_numbers"]

INSTALL_HINT: Final = "pip install 'antifraud-common[vector]'"
#: id(action) -> its name, for counting the actions of many matches at once.
_ACTION_NAMES: Final = {id(a): a.value for a in Action}
#: Rows per Arrow batch screened at once.
BATCH_ROWS: Final = 65_536
#: Bytes of a CSV file scanned at once for blank lines.
SCAN_STEP = 64 << 20
_MAX_INPUT: Final = 64  # phone.MAX_INPUT_LENGTH and card's raw limit
_DELETED: Final = 0
_OTHER: Final = 255
_PLUS, _ZERO, _ONE, _SIX, _EIGHT = 43, 48, 49, 54, 56


def available() -> bool:
    """Whether pyarrow and numpy can be imported (the ``vector`` extra)."""
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    """Raise a ConfigurationError (``missing_extra``) when the extra is not installed."""
    if not available():
        raise ConfigurationError(
            f"columnar input needs pyarrow and numpy: {INSTALL_HINT}", code="missing_extra"
        )


# --------------------------------------------------------------------------- bulk probe


def find_rows(t: Table, h: Any) -> Any:
    """First row of each mixed key ``h`` (uint64 array) in table ``t``, or -1.

    The table's own bulk search (:meth:`~antifraud_common.index._table.Table.find_many`).
    """
    return t.find_many(h)


def probe_numbers(
    index: Index, kind: IdentifierKind, numbers: Any, now_ts: int
) -> list[tuple[int, CheckResult]]:
    """``(position, result)`` for every number some row or update names (numpy path)."""
    return index.probe_array(kind, numbers, now_ts)


# --------------------------------------------------------------------------- cleaning tables

# Characters whose cleaning is decided per character; every other character
# sends its value to the validator.
_ALPHABET: Final = "".join(
    [chr(c) for c in range(128)]
    + [chr(c) for c in range(0xFF01, 0xFF5F)]
    + list("\u00a0\u00ad\u1680\u180e\u3000\u2212\ufe58\ufe63\u30fc\ufeff")
    + [chr(c) for c in range(0x2000, 0x2016)]
    + [chr(c) for c in range(0x2028, 0x2030)]
    + [chr(c) for c in range(0x205F, 0x2065)]
    + [chr(c) for c in range(0x2066, 0x2070)]
)

_TABLES: dict[IdentifierKind, Any] = {}


def _separators(kind: IdentifierKind) -> frozenset[str]:
    if kind is IdentifierKind.PHONE:
        from antifraud_common._text import DEFAULT_SEPARATORS

        return DEFAULT_SEPARATORS
    from antifraud_common import card

    return card.SEPARATORS


def char_table(kind: IdentifierKind) -> Any:
    """Code point -> cleaned ASCII code, 0 (deleted) or 255 (not decided here).

    Derived from :func:`antifraud_common._text.clean` itself, one character at a
    time: cleaning folds, keeps or deletes each character independently of the
    others, so the cleaned text of a value is the concatenation of these.
    """
    table = _TABLES.get(kind)
    if table is None:
        import numpy as np

        from antifraud_common import _text
        from antifraud_common.errors import ValidationError

        seps = _separators(kind)
        table = np.full(0x110000, _OTHER, dtype=np.uint8)
        for ch in _ALPHABET:
            try:
                out = _text.clean(ch, separators=seps).text
            except ValidationError:  # pragma: no cover - one character always fits
                continue
            if out == "":
                table[ord(ch)] = _DELETED
            elif len(out) == 1 and out.isascii() and out != "\0":
                table[ord(ch)] = ord(out)
        _TABLES[kind] = table
    return table


def _bools(a: Any) -> Any:
    import numpy as np
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _ints(a: Any) -> Any:
    import numpy as np

    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=np.int64)


def _cleaned(arr: Any, kind: IdentifierKind) -> list[tuple[Any, Any, Any]]:
    """Cleaned text of the decidable rows: [(positions, cleaned strings, raw strings)].

    Rows that are null, empty, longer than the input limit or hold a character
    outside the per-character table are left out (they go to the validator).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    chars = pc.utf8_length(arr)
    ok = _bools(pc.and_(pc.greater(chars, 0), pc.less_equal(chars, _MAX_INPUT)))
    plain = _bools(pc.ascii_is_decimal(arr))
    parts: list[tuple[Any, Any, Any]] = []
    at = np.flatnonzero(plain & ok)
    if at.size:
        sub = arr if at.size == len(arr) else arr.take(pa.array(at))
        parts.append((at, sub, sub))
    other = np.flatnonzero(~plain & ok)
    if not other.size:
        return parts
    raw = arr.take(pa.array(other))
    good, text = _clean_codes(raw, char_table(kind))
    if not good.all():
        g = np.flatnonzero(good)
        other, text, raw = other[g], text.take(pa.array(g)), raw.take(pa.array(g))
    parts.append((other, text, raw))
    return parts


def _clean_codes(raw: Any, table: Any) -> tuple[Any, Any]:
    """(decidable, cleaned text) of the non-empty strings ``raw``, by :func:`char_table`.

    Works on the UTF-8 bytes: each character is looked up by its code point and
    written as the ASCII character it cleans to, or dropped when it is deleted. A
    string with a character outside the table, or (never in valid Arrow strings)
    a malformed UTF-8 sequence, is not decidable (its cleaned text is then
    meaningless). The cleaned text of a decidable string is ASCII.
    """
    import numpy as np
    import pyarrow as pa

    n = len(raw)
    _, offsets, data = raw.buffers()
    offs = np.frombuffer(offsets, dtype=np.int32)[raw.offset : raw.offset + n + 1]
    start = int(offs[0])
    b = np.frombuffer(data, dtype=np.uint8)[start : int(offs[-1])]
    m = table[b]  # an ASCII byte is its own code point
    starts = offs[:-1] - start  # every string has at least one byte
    high = np.flatnonzero(b >= 0x80)
    bad = np.zeros(n, dtype=bool)
    if high.size:
        m[high] = _DELETED  # the bytes of a non-ASCII character: written below, once
        lead = high[b[high] >= 0xC0]
        last = len(b) - 1
        c0, c1, c2 = (b[np.minimum(lead + k, last)].astype(np.int32) for k in (0, 1, 2))
        # Most are three bytes long (the full-width forms, the CJK ideographs).
        code = ((c0 & 0x0F) << 12) | ((c1 & 0x3F) << 6) | (c2 & 0x3F)
        well = (lead + 2 <= last) & ((c1 & 0xC0) == 0x80) & ((c2 & 0xC0) == 0x80)
        well &= (code >= 0x800) & ((code < 0xD800) | (code >= 0xE000))  # no overlong, surrogate
        extra = 2 * lead.size
        two = np.flatnonzero(c0 < 0xE0)
        if two.size:
            code[two] = ((c0[two] & 0x1F) << 6) | (c1[two] & 0x3F)
            well[two] = ((c1[two] & 0xC0) == 0x80) & (code[two] >= 0x80)
            extra -= two.size
        four = np.flatnonzero(c0 >= 0xF0)
        if four.size:
            # Outside the table (all of it below U+10000): only well-formedness matters.
            c3 = b[np.minimum(lead[four] + 3, last)].astype(np.int32)
            full = (code[four] << 6) | (c3 & 0x3F)
            full = ((c0[four] & 0x07) << 18) | (full & 0x3FFFF)
            well[four] = (
                (lead[four] + 3 <= last)
                & ((c1[four] & 0xC0) == 0x80)
                & ((c2[four] & 0xC0) == 0x80)
                & ((c3 & 0xC0) == 0x80)
                & (c0[four] < 0xF8)
                & (full >= 0x10000)
                & (full <= 0x10FFFF)
            )
            code[four] = 0x10000
            extra += four.size
        # Well-formed: every lead's continuation bytes are there, and are all there is.
        if not well.all() or extra != high.size - lead.size:
            bad[np.searchsorted(starts, high, side="right") - 1] = True
            code[~well] = 0
        m[lead] = table[code]
    bad |= np.maximum.reduceat(m, starts) == _OTHER
    kept = (m != _DELETED) & (m != _OTHER)
    counts = np.add.reduceat(kept, starts, dtype=np.int32)
    ends = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=ends[1:])
    text = pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(ends), pa.py_buffer(np.ascontiguousarray(m[kept]))]
    )
    return ~bad, text


_POW10: Final = [10**i for i in range(20)]


def _numbers(text: Any, max_len: int) -> tuple[Any, Any, Any]:
    """(all ASCII digits and at most ``max_len`` long, length, value as uint64)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    length = _ints(pc.binary_length(text))
    ok = _bools(pc.ascii_is_decimal(text)) & (length <= max_len)
    value = np.zeros(len(length), dtype=np.uint64)
    if ok.any():
        safe = pc.if_else(pa.array(ok), text, pa.scalar("0"))
        value = np.asarray(pc.cast(safe, pa.uint64()).to_numpy(zero_copy_only=False))
    return ok, length, value


def _pow10(e: Any) -> Any:
    import numpy as np

    return np.array(_POW10, dtype=np.uint64)[np.clip(e, 0, 19)]


# --------------------------------------------------------------------------- phones

_PHONE_OK: dict[int, Any] = {}  # national length -> int8[100000]: -1 unknown, 0 no, 1 yes


def _phone_prefix_valid(length: int, prefix: int) -> bool:
    """phone's fast decision: is every ``+86`` number of ``length`` national digits
    starting with these five digits valid? (the registry's fast-path slot for phones)"""
    decide = kinds.fast_path(IdentifierKind.PHONE)
    assert decide is not None
    return decide(length, f"{prefix:05d}")


def _phone_keys(text: Any, raw: Any) -> tuple[Any, Any]:
    """(decided, E.164 digits as uint64) for cleaned ASCII texts (region CN)."""
    import numpy as np
    import pyarrow.compute as pc

    plus = _bools(pc.starts_with(text, "+"))
    body = pc.utf8_slice_codeunits(text, 1) if plus.any() else text
    if plus.any():
        import pyarrow as pa

        body = pc.if_else(pa.array(plus), body, text)
    ok, length, value = _numbers(body, 17)

    def first(k: int) -> Any:  # the first k digits
        return value // _pow10(length - k)

    # phone.validate's candidate: "+86..." as is; "0086" and a trunk "0" dropped;
    # "+" another country, "00" another country and a national "106" are left
    # to the validator's general path.
    f2, f3, f4 = first(2), first(3), first(4)
    lead0 = value < _pow10(length - 1)
    ok &= np.where(plus, (length >= 2) & (f2 == 86), True)
    intl = ~plus & (length >= 4) & (f4 == 86)  # "0086" (leading zeros: 86 in 4 digits)
    ok &= ~(~plus & (length >= 2) & (f2 == 0) & ~intl)
    ok &= ~(~plus & ~lead0 & (length >= 3) & (f3 == 106))
    nsn_len = np.where(
        plus, length - 2, np.where(intl, length - 4, np.where(lead0, length - 1, length))
    )
    ok &= (nsn_len >= 9) & (nsn_len <= 13)
    nsn_len = np.where(ok, nsn_len, 9)
    nsn = value % _pow10(nsn_len)
    # A raw "." may be a spreadsheet float ("13800138000.0"): phone decides it.
    if raw is not text:
        ok &= ~_bools(pc.match_substring(raw, "."))
    prefix = (nsn // _pow10(nsn_len - 5)).astype(np.int64)
    verdict = np.zeros(len(ok), dtype=bool)
    for n in np.unique(nsn_len[ok]).tolist():
        table = _PHONE_OK.get(n)
        if table is None:
            table = _PHONE_OK[n] = np.full(100_000, -1, dtype=np.int8)
        rows = ok & (nsn_len == n)
        p = prefix[rows]
        for q in np.unique(p[table[p] < 0]).tolist():
            table[q] = _phone_prefix_valid(n, q)
        verdict[rows] = table[p] == 1
    key = nsn + _pow10(nsn_len) * np.uint64(86)
    return ok & verdict, key


# ------------------------------------------------------------ phone refusals in bulk
#
# The refusals phone.decide_many reaches on a value's shape, its country calling code or
# its +86 block alone, applied to a whole column with phone's own patterns, tables and
# codes (phone.shape_patterns, phone.country_rules, phone.dialled_refusal). Taken are
# printable-ASCII values (cleaning is then deleting the ASCII separators, and Python's
# and RE2's patterns agree on every such text) and values cleaning turns into printable
# ASCII and CJK ideographs; never a tel: URI. A value is refused here only where phone
# refuses it before any other check could apply, with its code; everything else goes
# to the validator.

_ASCII_SEP_CLASS: Final = r"[ .\-/()]"  # _text.DEFAULT_SEPARATORS within ASCII
_TEL: Final = r"(?i)^tel:"  # what phone takes for an RFC 3966 URI (after cleaning)
#: Error codes by id (id 0: no refusal decided here); ids index this list + 1.
_CODE_NAMES: list[str] = []


def _code_id(code: str) -> int:
    if code not in _CODE_NAMES:
        if len(_CODE_NAMES) >= 120:  # pragma: no cover - phone has a few dozen codes
            raise AssertionError("more error codes than a code id holds")
        _CODE_NAMES.append(code)
    return _CODE_NAMES.index(code) + 1


class _ForeignPatterns(NamedTuple):
    #: a code and its national prefix
    prefix: str
    #: a code and a national number some region's general pattern fully matches
    general: str
    #: a code and a national number some number type's pattern fully matches
    types: str
    #: the codes the patterns cover
    covered: frozenset[int]
    #: the covered codes whose national prefix is stripped, not transformed
    stripped: frozenset[int]


_FOREIGN_RE: list[_ForeignPatterns] = []


def _foreign_patterns() -> _ForeignPatterns:
    """The RE2 patterns of :class:`phone.CountryRules` of every calling code, joined.

    Calling codes are prefix-free, so at most one branch of each pattern applies to a
    number. A code with a pattern RE2 does not take is left out (the validator
    decides its numbers).
    """
    if _FOREIGN_RE:
        return _FOREIGN_RE[0]
    import pyarrow as pa
    import pyarrow.compute as pc

    from antifraud_common import phone

    probe = pa.array(["0"])
    prefixes: list[str] = []
    generals: list[str] = []
    typed: list[str] = []
    covered: set[int] = set()
    stripped: set[int] = set()
    for cc in sorted(phone.country_calling_codes()):
        rules = phone.country_rules(cc)
        prefix = f"{cc}(?:{rules.national_prefix})" if rules.national_prefix else None
        joined = "|".join(f"(?:{pattern})" for _, pattern in rules.general)
        general = f"{cc}(?:{joined})$" if joined else None
        joined = "|".join(f"(?:{pattern})" for pattern in rules.types)
        types = f"{cc}(?:{joined})$" if joined else None
        try:
            for pattern in (prefix, general, types):
                if pattern is not None:
                    pc.match_substring_regex(probe, f"^(?:{pattern})")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        covered.add(cc)
        if not rules.transform:
            stripped.add(cc)
        for found, pattern in ((prefixes, prefix), (generals, general), (typed, types)):
            if pattern is not None:
                found.append(pattern)

    def union(ps: list[str]) -> str:
        return f"^(?:{'|'.join(ps)})" if ps else "$^"

    out = _ForeignPatterns(
        union(prefixes), union(generals), union(typed), frozenset(covered), frozenset(stripped)
    )
    _FOREIGN_RE.append(out)
    return out


def _foreign_refusals(intl: Any) -> Any:
    """Code ids of phone's verdicts on ``"+" + d`` for ASCII digit strings ``d`` (not
    86..., at most phone.MAX_DIGITS long) where they need no parsing, else 0.

    phone's foreign shortcut: no country calling code, too short; or refused when no
    national prefix is there to strip and neither a region's general pattern nor a
    number type's pattern of the code fully matches the national number.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from antifraud_common import phone

    out = np.zeros(len(intl), dtype=np.int16)
    length = _ints(pc.binary_length(intl))
    known = np.array(sorted(phone.country_calling_codes()), dtype=np.int64)
    head = pc.utf8_slice_codeunits(intl, 0, 3)
    c3 = np.asarray(pc.cast(pc.if_else(pc.equal(head, ""), "0", head), pa.int64()), dtype=np.int64)
    c3 = np.where(length >= 3, c3, 0)
    c1, c2 = c3 // 100, c3 // 10
    in1 = np.isin(c1, known)
    in2 = ~in1 & np.isin(c2, known)
    in3 = ~in1 & ~in2 & np.isin(c3, known)
    width = np.where(in1, 1, np.where(in2, 2, 3))
    cc = np.where(in1, c1, np.where(in2, c2, c3))
    rest_len = length - width
    out[length < 3] = _code_id("too_short")
    coded = (length >= 3) & (c1 != 0) & (in1 | in2 | in3)
    out[(length >= 3) & ~coded] = _code_id("unknown_country_code")
    out[coded & (rest_len < 2)] = _code_id("too_short")
    patterns = _foreign_patterns()
    todo = np.flatnonzero(coded & (rest_len >= 2) & np.isin(cc, np.array(sorted(patterns.covered))))
    if not todo.size:
        return out
    sub = intl.take(pa.array(todo))
    free = ~_bools(pc.match_substring_regex(sub, patterns.prefix))
    long_ = rest_len[todo] > 17
    out[todo[free & long_]] = _code_id("too_long")
    # No prefix: refused unless a general pattern and a type pattern both match. A
    # prefix phonenumbers strips: refused unless a type pattern matches the national
    # number with or without it (at least two digits after it). The type pattern is
    # asked once for all of them.
    fits = _bools(pc.match_substring_regex(sub, patterns.general))
    maybe = np.flatnonzero(fits & free & ~long_)
    pre = np.flatnonzero(~free & ~long_ & np.isin(cc[todo], np.array(sorted(patterns.stripped))))
    asked = [sub.take(pa.array(maybe)), sub.take(pa.array(pre))]
    enough = np.zeros(0, dtype=bool)
    if pre.size:
        # What follows the prefix (its first match, as phonenumbers takes it).
        after = pc.replace_substring_regex(asked[1], patterns.prefix, "", max_replacements=1)
        enough = _ints(pc.binary_length(after)) >= 2
        code = pc.cast(pa.array(cc[todo[pre]]), pa.string())
        asked.append(pc.binary_join_element_wise(code, after, ""))
    typed = _bools(pc.match_substring_regex(pa.concat_arrays(asked), patterns.types))
    fits[maybe] = typed[: maybe.size]
    out[todo[free & ~long_ & ~fits]] = _code_id("invalid_number")
    if pre.size:
        typed = typed[maybe.size : maybe.size + pre.size] | typed[maybe.size + pre.size :]
        out[todo[pre[enough & ~typed]]] = _code_id("invalid_number")
    return out


#: (after +86, length, starts with 0) -> code ids by head (see phone.dialled_refusal):
#: -1 not yet asked, 0 no refusal. 10^5 one-byte entries each (10^length up to six
#: digits), so at most about 8 MB in all.
_DIALLED: dict[tuple[bool, int, bool], Any] = {}


def _dialled_refusals(digits: Any, after_86: bool) -> Any:
    """Code ids of phone.dialled_refusal of ASCII digit strings (CN, packaged plan)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from antifraud_common import phone

    out = np.zeros(len(digits), dtype=np.int16)
    length = _ints(pc.binary_length(digits))
    head = pc.utf8_slice_codeunits(digits, 0, 6)
    first6 = np.asarray(
        pc.cast(pc.if_else(pc.equal(head, ""), "0", head), pa.int64()), dtype=np.int64
    )
    trunk = _bools(pc.starts_with(digits, "0"))
    longest = phone.MAX_DIGITS - (2 if after_86 else 0)
    out[length > longest] = _code_id("too_long")
    for size in np.unique(length[(length <= longest) & (length > 0)]).tolist():
        for zero in (False, True) if size > 6 else (False,):
            rows = np.flatnonzero((length == size) & ((trunk == zero) | (size <= 6)))
            if not rows.size:
                continue
            if size <= 6:
                key, width, slots = first6[rows], size, 10**size  # the whole value
            elif zero:
                key, width, slots = first6[rows], 6, 10**5  # "0" and five digits
            else:
                key, width, slots = first6[rows] // 10, 5, 10**5
            table = _DIALLED.get((after_86, size, zero))
            if table is None:
                table = _DIALLED[(after_86, size, zero)] = np.full(slots, -1, dtype=np.int8)
            for k in np.unique(key[table[key] < 0]).tolist():
                code = phone.dialled_refusal(size, f"{k:0{width}d}", after_86=after_86)
                table[k] = 0 if code is None else _code_id(code)
            out[rows] = table[key]
    return out


def phone_refusals(raw: Any) -> tuple[Any, list[str]]:
    """(row positions, error codes) of the values of a string array that phone
    (region CN) refuses on their shape, their country calling code or their +86
    block alone (the last only while the packaged number plan is in effect)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from antifraud_common import numberplan, phone

    ids = np.zeros(len(raw), dtype=np.int16)
    size = _ints(pc.binary_length(raw))
    ok = _bools(pc.ascii_is_printable(raw)) & (size > 0) & (size <= phone.MAX_INPUT_LENGTH)
    at = np.flatnonzero(ok)
    if at.size:
        sub = raw.take(pa.array(at))
        text = pc.replace_substring_regex(sub, _ASCII_SEP_CLASS, "")
        tel = np.flatnonzero(~_bools(pc.match_substring_regex(text, _TEL)))
        if tel.size < at.size:  # a tel: URI is phone's to parse
            at, sub, text = at[tel], sub.take(pa.array(tel)), text.take(pa.array(tel))
        plus = _bools(pc.starts_with(text, "+"))
        digits = pc.if_else(pa.array(plus), pc.utf8_slice_codeunits(text, 1), text)
        numeric = _bools(pc.ascii_is_decimal(digits))
        numeric &= _ints(pc.binary_length(digits)) > 0
        odd = np.flatnonzero(~numeric & (_ints(pc.binary_length(digits)) > 0))
        if odd.size:
            ids[at[odd]] = _odd_refusals(
                sub.take(pa.array(odd)), text.take(pa.array(odd)), digits.take(pa.array(odd))
            )
        # No "." (a spreadsheet float is phone's to judge first).
        num = np.flatnonzero(numeric & ~_bools(pc.match_substring(sub, ".")))
        if num.size:
            ids[at[num]] = _numeric_refusals(
                digits.take(pa.array(num)), plus[num], numberplan.in_effect().is_packaged
            )
    wide = np.flatnonzero(
        ~_bools(pc.string_is_ascii(raw))
        & _bools(pc.less_equal(pc.utf8_length(raw), phone.MAX_INPUT_LENGTH))
    )
    if wide.size:
        ids[wide] = _wide_refusals(raw.take(pa.array(wide)))
    decided = np.flatnonzero(ids)
    return decided, [_CODE_NAMES[i - 1] for i in ids[decided].tolist()]


#: Characters cleaning keeps as they are (tests check it): the CJK ideographs of the
#: basic block and extension A, the letters a Chinese file may hold in a phone column.
_KEPT_WIDE: Final = r"\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}"


_WIDE_RULES: list[tuple[str, str, dict[int, int]]] = []


def _wide_rules() -> tuple[str, str, dict[int, int]]:
    """(RE2 class of the characters phone's cleaning deletes, RE2 class of those it
    folds to another one, ``str.translate`` table of the folds), from :func:`char_table`."""
    if not _WIDE_RULES:
        import numpy as np

        table = char_table(IdentifierKind.PHONE)
        deleted = np.flatnonzero(table == _DELETED).tolist()
        fold = {
            c: int(table[c])
            for c in np.flatnonzero((table != _OTHER) & (table != _DELETED)).tolist()
            if int(table[c]) != c
        }

        def klass(codes: list[int]) -> str:
            return "[" + "".join(f"\\x{{{c:04X}}}" for c in codes) + "]"

        _WIDE_RULES.append((klass(deleted), klass(sorted(fold)), fold))
    return _WIDE_RULES[0]


def _wide_refusals(raw: Any) -> Any:
    """Code ids for non-ASCII values that cleaning (the per-character table: full-width
    forms folded, invisible characters and spaces deleted) turns into printable ASCII
    and CJK ideographs only, not a ``tel:`` URI: ``extension_not_allowed`` for an
    extension, else the code of the first character of the digits that is no digit;
    unless the value is a spreadsheet float or in scientific notation (left to phone).
    """
    import re

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from antifraud_common import phone

    out = np.zeros(len(raw), dtype=np.int16)
    deleted, folds, fold = _wide_rules()
    text = pc.replace_substring_regex(raw, deleted, "")
    wide = np.flatnonzero(_bools(pc.match_substring_regex(text, folds)))
    if wide.size:  # full-width forms: folded one character at a time, as cleaning does
        folded = [t.translate(fold) for t in text.take(pa.array(wide)).to_pylist()]
        same = np.flatnonzero(~np.isin(np.arange(len(text)), wide))
        joined = pa.concat_arrays([text.take(pa.array(same)), pa.array(folded, pa.string())])
        text = joined.take(pa.array(np.argsort(np.concatenate([same, wide]), kind="stable")))
    ok = _bools(pc.match_substring_regex(text, f"^[\\x20-\\x7e{_KEPT_WIDE}]*$"))
    ok &= ~_bools(pc.match_substring_regex(text, _TEL))
    shapes = phone.shape_patterns()
    # Without an ideograph the raw value may be a spreadsheet float or scientific
    # notation written with Unicode spaces (Python's \s): phone checks those first.
    plain = np.flatnonzero(ok & ~_bools(pc.match_substring_regex(text, f"[{_KEPT_WIDE}]")))
    if plain.size:
        spreadsheet, scientific = re.compile(shapes.spreadsheet), re.compile(shapes.scientific)
        raws = raw.to_pylist()
        for i in plain.tolist():
            if spreadsheet.fullmatch(raws[i]) or scientific.fullmatch(raws[i]):
                ok[i] = False
    at = np.flatnonzero(ok)
    if not at.size:
        return out
    text = text.take(pa.array(at))
    plus = _bools(pc.starts_with(text, "+"))
    digits = pc.if_else(pa.array(plus), pc.utf8_slice_codeunits(text, 1), text)
    out[at] = _character_codes(text, digits)
    return out


#: character -> code id of _text.unexpected_code (0: none), at most 2^16 kept.
_FIRST_CODES: dict[str, int] = {}


def _first_odd_codes(digits: Any) -> Any:
    """Code ids of the first character of each string that is no ASCII digit (0: none)."""
    import numpy as np
    import pyarrow.compute as pc

    from antifraud_common import _text

    first = pc.utf8_slice_codeunits(pc.replace_substring_regex(digits, "^[0-9]+", ""), 0, 1)
    encoded = pc.dictionary_encode(first)
    lut = np.zeros(len(encoded.dictionary) + 1, dtype=np.int16)
    for k, ch in enumerate(encoded.dictionary.to_pylist()):
        got = _FIRST_CODES.get(ch)
        if got is None:
            code = _text.unexpected_code(ch) if ch else None
            got = 0 if code is None else _code_id(code)
            if len(_FIRST_CODES) >= 1 << 16:
                _FIRST_CODES.clear()
            _FIRST_CODES[ch] = got
        lut[k] = got
    index = np.asarray(pc.fill_null(encoded.indices, len(lut) - 1), dtype=np.int64)
    return lut[index]


def _character_codes(text: Any, digits: Any) -> Any:
    """Code ids of cleaned texts whose ``digits`` (the text after a "+") hold another
    character: ``extension_not_allowed`` for an extension, else that character's code."""
    import pyarrow.compute as pc

    from antifraud_common import phone

    out = _first_odd_codes(digits)
    out[_bools(pc.match_substring_regex(text, phone.shape_patterns().extension))] = _code_id(
        "extension_not_allowed"
    )
    return out


def _odd_refusals(raw: Any, text: Any, digits: Any) -> Any:
    """Code ids for values whose digits (after cleaning and a "+") hold another
    character: its code, or ``extension_not_allowed`` for an extension, unless the
    value is a spreadsheet float or in scientific notation (both checked first by
    phone: left to it)."""
    import pyarrow.compute as pc

    from antifraud_common import phone

    shapes = phone.shape_patterns()
    out = _character_codes(text, digits)
    shaped = _bools(pc.match_substring_regex(raw, f"^(?:{shapes.scientific})$"))
    shaped |= _bools(pc.match_substring_regex(raw, f"^(?:{shapes.spreadsheet})$"))
    out[shaped] = 0
    return out


def _numeric_refusals(digits: Any, plus: Any, packaged: bool) -> Any:
    """Code ids for values that are ASCII digits after cleaning and an optional "+"."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from antifraud_common import phone

    out = np.zeros(len(digits), dtype=np.int16)
    # "+" or "00" and the digits of another country: phone's foreign shortcut.
    idd = ~plus & _bools(pc.starts_with(digits, "00")) & ~_bools(pc.starts_with(digits, "0086"))
    foreign = (plus & ~_bools(pc.starts_with(digits, "86"))) | idd
    too_long = foreign & (_ints(pc.binary_length(digits)) > phone.MAX_DIGITS)
    out[too_long] = _code_id("too_long")
    f = np.flatnonzero(foreign & ~too_long)
    if f.size:
        intl = digits.take(pa.array(f))
        intl = pc.if_else(pa.array(idd[f]), pc.utf8_slice_codeunits(intl, 2), intl)
        out[f] = _foreign_refusals(intl)
    if packaged:
        # "+86" and digits, and digits dialled in China, in a block the packaged plan
        # refuses as a whole.
        for rows, after_86 in ((plus & ~foreign, True), (~plus & ~idd, False)):
            d = np.flatnonzero(rows)
            if d.size:
                values = digits.take(pa.array(d))
                if after_86:
                    values = pc.utf8_slice_codeunits(values, 2)
                out[d] = _dialled_refusals(values, after_86)
    return out


def decide_phones(arr: Any) -> tuple[Any, Any]:
    """(decided row positions, E.164 digits as uint64) for a string array, region CN."""
    return _decide(arr, IdentifierKind.PHONE, _phone_keys)


def _decide(
    arr: Any, kind: IdentifierKind, keys_of: Callable[[Any, Any], tuple[Any, Any]]
) -> tuple[Any, Any]:
    import numpy as np

    positions = []
    keys = []
    for at, text, raw in _cleaned(arr, kind):
        ok, key = keys_of(text, raw)
        positions.append(at[ok])
        keys.append(key[ok])
    if not positions:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    pos = np.concatenate(positions)
    order = np.argsort(pos, kind="stable")
    return pos[order], np.concatenate(keys)[order]


# --------------------------------------------------------------------------- cards

_CARD_OK: dict[int, Any] = {}  # length -> int8[1000000] for Luhn-correct numbers


def _card_keys(text: Any, raw: Any) -> tuple[Any, Any]:
    """(decided, card number as uint64) for cleaned ASCII texts."""
    import numpy as np

    from antifraud_common import card

    ok, length, value = _numbers(text, 19)
    ok &= (length >= 12) & (value >= _pow10(length - 1))  # no leading zero
    length = np.where(ok, length, 12)
    v = value.copy()
    first = value // _pow10(length - 1)
    same = np.ones(len(v), dtype=bool)
    total = np.zeros(len(v), dtype=np.int64)
    for i in range(19):
        d = (v % np.uint64(10)).astype(np.int64)
        v //= np.uint64(10)
        inside = i < length
        same &= ~inside | (d == first.astype(np.int64))
        dd = np.where(i % 2 == 1, np.where(d > 4, 2 * d - 9, 2 * d), d)
        total += np.where(inside, dd, 0)
    ok &= ~same & (total % 10 == 0)
    first6 = (value // _pow10(length - 6)).astype(np.int64)
    verdict = np.zeros(len(ok), dtype=bool)
    for n in np.unique(length[ok]).tolist():
        table = _CARD_OK.get(n)
        if table is None:
            table = _CARD_OK[n] = np.full(1_000_000, -1, dtype=np.int8)
        rows = np.flatnonzero(ok & (length == n))
        p = first6[rows]
        unknown = table[p] < 0
        if unknown.any():
            q, where = np.unique(p[unknown], return_index=True)
            for prefix, j in zip(q.tolist(), rows[unknown][where].tolist(), strict=True):
                table[prefix] = card.is_valid(str(int(value[j])))
        verdict[rows] = table[p] == 1
    return ok & verdict, value


def decide_cards(arr: Any) -> tuple[Any, Any]:
    """(decided row positions, card numbers as uint64) for a string array."""
    return _decide(arr, IdentifierKind.BANK_CARD, _card_keys)


_DECIDERS: Final[dict[IdentifierKind, Callable[[Any], tuple[Any, Any]]]] = {
    IdentifierKind.PHONE: decide_phones,
    IdentifierKind.BANK_CARD: decide_cards,
}


def reset_caches() -> None:
    """Forget the per-prefix decisions (benchmarks use it to measure cold runs)."""
    _PHONE_OK.clear()
    _CARD_OK.clear()
    _DIALLED.clear()
    _TABLES.clear()


# --------------------------------------------------------------------------- sources


def _as_strings(col: Any) -> tuple[Any, bool]:
    """(string array, True) for text columns; (the column, False) for anything else."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_dictionary(t):
        col = pc.cast(col, pa.string()) if pa.types.is_string(t.value_type) else col
        t = col.type
    if pa.types.is_string(t):
        return col, True
    if pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _t: False)(t):
        return pc.cast(col, pa.string()), True
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        try:
            return pc.cast(col, pa.string()), True
        except pa.ArrowInvalid:
            # Undecodable bytes become U+FFFD, as when a text file is read.
            fixed = [None if b is None else b.decode("utf-8", "replace") for b in col.to_pylist()]
            return pa.array(fixed, type=pa.string()), True
    return col, False


# A batch: (line or row number of each row, {column: Arrow array}).
Batch = tuple[Any, dict[str, Any]]


def table_batches(data: Any, columns: Sequence[str]) -> Iterator[Batch]:
    """Batches of an Arrow table, record batch, batch reader or DataFrame (1-based rows)."""
    import pyarrow as pa

    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    elif not isinstance(data, (pa.Table, pa.RecordBatchReader)):
        data = _from_dataframe(data)
    names = data.schema.names
    for c in columns:
        if c not in names:
            raise ConfigurationError(
                f"the table has no column {c!r}; its columns: "
                + ", ".join(repr(n) for n in names[:50]),
                code="no_such_column",
            )
    batches = data if isinstance(data, pa.RecordBatchReader) else data.to_batches(BATCH_ROWS)
    return _numbered(iter(batches), columns)


def _numbered(batches: Iterator[Any], columns: Sequence[str]) -> Iterator[Batch]:
    import numpy as np

    row = 0
    for b in batches:
        n = b.num_rows
        if not n:
            continue
        yield np.arange(row + 1, row + n + 1), {c: b.column(c) for c in columns}
        row += n


def _from_dataframe(data: Any) -> Any:
    import pyarrow as pa

    mod = type(data).__module__.split(".")[0]
    if mod == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if mod == "polars":
        return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise ConfigurationError(
        f"cannot screen a {type(data).__name__}: give a path, lines of text, an Arrow "
        "table or a pandas/polars DataFrame",
        code="unsupported_input",
    )


def parquet_batches(path: Path, columns: Sequence[str]) -> Iterator[Batch]:
    """Batches of a Parquet file or (Hive-partitioned) folder, rows numbered from 1."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    from antifraud_common._files import open_input

    try:
        if not path.is_dir():
            open_input(path).close()  # a regular file, or a typed refusal (never blocks)
        dataset = ds.dataset(
            str(path), format="parquet", partitioning="hive" if path.is_dir() else None
        )
    except (OSError, pa.ArrowInvalid) as e:
        raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e
    names = dataset.schema.names
    for c in columns:
        if c not in names:
            raise ConfigurationError(
                f"the Parquet data has no column {c!r}; its columns: "
                + ", ".join(repr(n) for n in names[:50]),
                code="no_such_column",
            )
    reader = dataset.scanner(columns=list(columns), batch_size=BATCH_ROWS, use_threads=False)
    return _checked(table_batches(reader.to_reader(), columns), path)


def _checked(batches: Iterator[Batch], path: Path) -> Iterator[Batch]:
    import pyarrow as pa

    try:
        yield from batches
    except (OSError, pa.ArrowException) as e:
        raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e


def csv_plain(path: Path, max_line: int) -> tuple[bool, bool]:
    """(Arrow parses the file exactly as the ``csv`` module, the file has blank lines).

    Plain means: no quote character (so no quoted separator or line break), no
    NUL, no carriage return outside a CRLF pair, a first line that is not
    empty, and no line longer than ``max_line`` bytes (the text path reports
    such a line as a bad row without reading it). Then each line is one record
    and both parsers split it on commas. Anything but a regular file is refused
    as on the text path (never opened blocking).
    """
    import mmap

    import numpy as np

    from antifraud_common._files import open_input

    with open_input(path) as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False, False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            if m.find(b'"') >= 0 or m.find(b"\0") >= 0 or m[:1] in (b"\n", b"\r"):
                return False, False
            raw = np.frombuffer(m, dtype=np.uint8)
            try:
                if m.find(b"\r") >= 0:
                    cr = np.flatnonzero(raw == 13)
                    after = raw[np.minimum(cr + 1, len(raw) - 1)]
                    if ((cr + 1 >= len(raw)) | (after != 10)).any():
                        return False, False
                prev = -1
                for start in range(0, len(raw), SCAN_STEP):
                    ends = np.flatnonzero(raw[start : start + SCAN_STEP] == 10) + start
                    if ends.size:
                        longest = max(int(ends[0] - prev), int(np.diff(ends).max(initial=0)))
                        if longest > max_line:
                            return False, False
                        prev = int(ends[-1])
                if len(raw) - 1 - prev > max_line:
                    return False, False
            finally:
                del raw
            blank = m.find(b"\n\n") >= 0 or m.find(b"\n\r\n") >= 0
            return True, blank


def csv_header(path: Path, columns: Sequence[str]) -> list[str]:
    """The header, read by the ``csv`` module as on the record-by-record path."""
    from antifraud_common.index._screening import require_columns

    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        header = next(csv.reader(f))
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    require_columns(header, columns)
    return header


def csv_batches(
    path: Path,
    header: Sequence[str],
    columns: Sequence[str],
    bad: list[tuple[int, str, str]],
    *,
    blank: bool,
) -> Iterator[Batch]:
    """Batches of a plain CSV file (see :func:`csv_plain`) with physical line numbers.

    A record whose cell count differs from the header's is appended to ``bad``
    as ``(line, "wrong_cell_count", detail)`` and not screened.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    width = len(header)
    names = [f"c{i}" for i in range(width)]
    wanted = {c: names[list(header).index(c)] for c in columns}
    # Arrow numbers rows (header = 1) without the blank lines it skips; with
    # blank lines present, map its numbers to physical lines.
    shift = _blank_shift(path) if blank else None
    skipped: list[int] = []  # Arrow numbers of the bad rows, in order

    def physical(rows: Any) -> Any:
        if shift is None:
            return rows
        return rows + np.searchsorted(shift, rows, side="right")

    def invalid(row: Any) -> str:
        skipped.append(row.number)
        line = int(physical(np.array([row.number]))[0])
        bad.append(
            (line, "wrong_cell_count", f"{row.actual_columns} cells, the header has {width}")
        )
        return "skip"

    read = pacsv.ReadOptions(use_threads=False, block_size=4 << 20, skip_rows=1, column_names=names)
    parse = pacsv.ParseOptions(quote_char=False, invalid_row_handler=invalid)
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(wanted.values(), pa.binary()),
        include_columns=sorted(set(wanted.values())),
        strings_can_be_null=False,
        null_values=[],
    )
    try:
        reader = pacsv.open_csv(str(path), read, parse, convert)
    except (OSError, pa.ArrowInvalid) as e:
        raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e
    return _csv_numbered(reader, wanted, skipped, physical, path)


def _csv_numbered(
    reader: Any,
    wanted: dict[str, str],
    skipped: list[int],
    physical: Callable[[Any], Any],
    path: Path,
) -> Iterator[Batch]:
    import numpy as np
    import pyarrow as pa

    good = 0
    try:
        for b in reader:
            n = b.num_rows
            if not n:
                continue
            g = np.arange(good, good + n)
            s = np.asarray(skipped, dtype=np.int64)
            rows = 2 + g + np.searchsorted(s - 2 - np.arange(len(s)), g, side="right")
            good += n
            yield physical(rows), {c: b.column(name) for c, name in wanted.items()}
    except pa.ArrowInvalid as e:
        raise ConfigurationError(f"cannot read {path}: {e}", code="unreadable") from e


def _blank_shift(path: Path) -> Any:
    """For the blank lines B (physical, ascending): ``B[k] - k``.

    An Arrow row number r lies on physical line ``r + (count of B[k] - k <= r)``.
    The file is scanned memory-mapped, 64 MiB at a time.
    """
    import numpy as np

    raw = np.memmap(path, dtype=np.uint8, mode="r")
    step = SCAN_STEP
    blank: list[Any] = []
    prev = -1  # position of the previous line feed
    lines_before = 0
    for start in range(0, len(raw), step):
        part = raw[start : start + step]
        ends = np.flatnonzero(part == 10) + start
        if not ends.size:
            continue
        starts = np.concatenate(([prev + 1], ends[:-1] + 1))
        size = ends - starts
        empty = size == 0
        one = np.flatnonzero(size == 1)
        empty[one] = raw[ends[one] - 1] == 13
        blank.append(np.flatnonzero(empty) + 1 + lines_before)
        lines_before += len(ends)
        prev = int(ends[-1])
    del raw
    lines = np.concatenate(blank) if blank else np.zeros(0, dtype=np.int64)
    return lines - np.arange(len(lines))


# --------------------------------------------------------------------------- screening


#: Parallel lists of the hits of a column: the row, the canonical value, the
#: result or the table row of a common hit (see :meth:`Index.probe_hits`), and
#: the action of a listed result (None: not listed).
Hits = tuple[list[int], list[str], list["int | CheckResult"], list["Action | None"]]


def screen_batch(
    index: Index,
    kind: IdentifierKind,
    col: Any,
    region: str,
    now_ts: int,
) -> tuple[Hits, HitPlan | None, list[tuple[int, str]], int, int]:
    """Screen one column of one batch.

    Returns (found: the :data:`Hits` of every value some entry names; the plan of
    its common hits (:func:`~antifraud_common.index._core.common_hit`); invalid:
    (row, code); values checked; empty).
    """
    import numpy as np

    strings, text = _as_strings(col)
    n = len(strings)
    decide = _DECIDERS.get(kind) if text else None
    if decide is not None and not (kind is IdentifierKind.PHONE and region != "CN"):
        import pyarrow as pa
        import pyarrow.compute as pc

        at, keys = decide(strings)
        positions, values, refs, actions, plan = index.probe_hits(kind, keys, now_ts)
        rows: list[int] = at[positions].tolist() if positions else []
        todo = np.ones(n, dtype=bool)
        todo[at] = False
        empty_mask = _bools(
            pc.or_kleene(pc.is_null(strings), pc.equal(pc.binary_length(strings), 0))
        )
        empties = int(empty_mask.sum())
        rest = np.flatnonzero(todo & ~empty_mask)
        refused: list[tuple[int, str]] = []
        if rest.size and kind is IdentifierKind.PHONE:
            # The refusals phone reaches on shape, country code or block alone, in bulk.
            gone, codes = phone_refusals(strings.take(pa.array(rest)))
            if gone.size:
                refused = list(zip(rest[gone].tolist(), codes, strict=True))
                keep = np.ones(rest.size, dtype=bool)
                keep[gone] = False
                rest = rest[keep]
        raws = strings.take(pa.array(rest)).to_pylist() if rest.size else []
        rest_at = rest.tolist()
        # The shortcuts of scan() take nothing decide() left (the same rules, in bulk).
        good_at, good, bad, _ = scan(kind, raws, region=region, shortcut=False)
        for j, r in index.probe_many(kind, good, now_ts):
            rows.append(rest_at[good_at[j]])
            values.append(good[j])
            refs.append(r)
            actions.append(r.action if r.listed else None)
        invalid = [(rest_at[i], code) for i, code in bad]
        if refused:
            invalid = sorted(invalid + refused) if invalid else refused
        return (rows, values, refs, actions), plan, invalid, n - empties, empties
    raws = strings.to_pylist()
    good_at, good, bad, empty = scan(kind, raws, region=region)
    rows, values, refs, actions = [], [], [], []
    for j, r in index.probe_many(kind, good, now_ts):
        rows.append(good_at[j])
        values.append(good[j])
        refs.append(r)
        actions.append(r.action if r.listed else None)
    return (rows, values, refs, actions), None, bad, n - empty, empty


def _listed(hits: Hits) -> Hits:
    """The hits whose result is listed."""
    rows, values, refs, actions = hits
    keep = [j for j, a in enumerate(actions) if a is not None]
    if len(keep) == len(actions):
        return hits
    return (
        [rows[j] for j in keep],
        [values[j] for j in keep],
        [refs[j] for j in keep],
        [actions[j] for j in keep],
    )


def write_matches(matches: Iterator[Any], out: Path | IO[str], fmt: str) -> int:
    """Write matches as ``jsonl``, ``csv`` or ``parquet``; return how many were written.

    CSV and Parquet have the columns ``line, column, kind, value, action,
    matches`` (the last one the JSON of the match list); CSV cells are
    neutralised against spreadsheet formulas like the list export (a canonical
    ``+86...`` value is left as it is).
    """
    import json

    count = 0
    if fmt == "jsonl":
        sink = out if not isinstance(out, Path) else out.open("w", encoding="utf-8", newline="\n")
        try:
            for m in matches:
                sink.write(json.dumps(m.to_dict(), ensure_ascii=False) + "\n")
                count += 1
        finally:
            if isinstance(out, Path):
                sink.close()
        return count
    if fmt == "csv":
        from antifraud_common.format.csvio import escape_cell

        sink = out if not isinstance(out, Path) else out.open("w", encoding="utf-8", newline="")
        try:
            w = csv.writer(sink, lineterminator="\n")
            w.writerow(_COLUMNS)
            for m in matches:
                row = _flat(m)
                w.writerow(
                    [_escape_cell(k, v, escape_cell) for k, v in zip(_COLUMNS, row, strict=True)]
                )
                count += 1
        finally:
            if isinstance(out, Path):
                sink.close()
        return count
    if fmt == "parquet":
        require()
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not isinstance(out, Path):
            raise ConfigurationError("Parquet output needs a file", code="invalid_output")
        schema = pa.schema([("line", pa.int64())] + [(c, pa.string()) for c in _COLUMNS[1:]])
        with pq.ParquetWriter(str(out), schema) as writer:
            chunk: list[list[Any]] = []
            for m in matches:
                chunk.append(_flat(m))
                count += 1
                if len(chunk) >= BATCH_ROWS:
                    writer.write_table(_table(chunk, schema))
                    chunk = []
            writer.write_table(_table(chunk, schema))
        return count
    raise ConfigurationError(f"unknown output format {fmt!r}", code="invalid_format_option")


_COLUMNS: Final = ("line", "column", "kind", "value", "action", "matches")


def _flat(m: Any) -> list[Any]:
    import json

    d = m.to_dict()
    return [
        d["line"],
        d["column"],
        d["kind"],
        d["value"],
        d["action"],
        json.dumps(d["matches"], ensure_ascii=False, separators=(",", ":")),
    ]


def _escape_cell(name: str, cell: object, escape: Callable[[str], str]) -> str:
    text = str(cell)
    if name == "value" and text[:1] == "+" and text[1:].isdigit() and text.isascii():
        return text
    return escape(text)


def _table(rows: list[list[Any]], schema: Any) -> Any:
    import pyarrow as pa

    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table(
        [pa.array(list(c), type=f.type) for c, f in zip(cols, schema, strict=True)], schema=schema
    )


_ = Mapping


def is_table(data: object) -> bool:
    """Whether ``data`` is an Arrow table, batch or reader, or a pandas/polars DataFrame."""
    mod = type(data).__module__.split(".")[0]
    if mod in ("pyarrow", "pandas", "polars"):
        return not isinstance(data, (str, bytes))
    return hasattr(data, "__arrow_c_stream__")


def make_screening(  # noqa: PLR0917 - built only by screen()
    batches: Iterator[Batch],
    bad: list[tuple[int, str, str]],
    columns: Sequence[str],
    kinds: Sequence[IdentifierKind | None],
    index: Index,
    region: str,
    now_ts: int,
    fmt: str,
) -> Any:
    """A :class:`~antifraud_common.index.screen.Screening` over Arrow batches."""
    from antifraud_common.index._screening import Screening, ScreenMatch, new_match

    deferred = CheckResult.deferred

    class ColumnarScreening(Screening):
        # The matches of the current batch, in order, as parallel lists (taken
        # from position _next on): line, column number, canonical value, and the
        # result, the table row of a common hit (its result is built from the
        # column's plan when the match is taken) or a ready match (auto-detected
        # columns); the action of each. Integers and strings are not tracked by
        # the garbage collector, so a batch of matches does not trigger collections.
        _lines: list[int]
        _cols: list[int]
        _values: list[str]
        _refs: list[int | CheckResult | ScreenMatch]
        _actions: list[Action | None]
        _plans: list[tuple[str, IdentifierKind | None, HitPlan | None]]
        _next = 0

        def __next__(self) -> ScreenMatch:
            j = self._next
            refs = self._refs
            while j >= len(refs):
                if self._done:
                    raise StopIteration
                self._fill()
                j, refs = self._next, self._refs
            self._next = j + 1
            ref = refs[j]
            column, kind, plan = self._plans[self._cols[j]]
            if type(ref) is int:
                assert kind is not None and plan is not None
                build, t, pinfo, cases = plan  # common_hit(), inline
                whole = (build, t, pinfo, cases, (ref,), None)
                ref = deferred(kind, self._values[j], True, self._actions[j], whole)
            elif type(ref) is not CheckResult:
                assert isinstance(ref, ScreenMatch)
                return ref
            assert kind is not None
            return new_match(self._lines[j], column, kind, self._values[j], ref)

        def _fill(self) -> None:
            try:
                lines, cols = next(batches)
            except StopIteration:
                self._drain()
                self.close()
                return
            self._drain()
            self.records += len(lines)
            at = lines.tolist()
            import numpy as np

            plans: list[tuple[str, IdentifierKind | None, HitPlan | None]] = []
            line_parts: list[Any] = []
            col_parts: list[Any] = []
            values: list[str] = []
            refs: list[int | CheckResult | ScreenMatch] = []
            actions: list[Action | None] = []
            for c, (column, kind) in enumerate(zip(self._columns, self._kinds, strict=True)):
                col = cols[column]
                if kind is None:
                    plans.append((column, None, None))
                    raws = _as_strings(col)[0].to_pylist()
                    found: list[ScreenMatch] = []
                    self._fill_detected(raws, at, column, found)
                    line_parts.append(np.array([m.line for m in found], dtype=np.int64))
                    col_parts.append(np.full(len(found), c, dtype=np.int64))
                    values.extend(m.value for m in found)
                    refs.extend(found)
                    actions.extend([None] * len(found))
                    continue
                hits, plan, invalid, checked, empty = screen_batch(index, kind, col, region, now_ts)
                plans.append((column, kind, plan))
                self.empty[column] += empty
                self.values_checked += checked
                self._invalid_many(at, column, invalid)
                rows, hit_values, hit_refs, hit_actions = _listed(hits)
                if not rows:
                    continue
                self.listed_values += len(rows)
                for ident, count in Counter(map(id, hit_actions)).items():  # by identity: cheap
                    self.by_action[_ACTION_NAMES[ident]] += count
                line_parts.append(lines[np.asarray(rows, dtype=np.int64)])
                col_parts.append(np.full(len(rows), c, dtype=np.int64))
                values.extend(hit_values)
                refs.extend(hit_refs)
                actions.extend(hit_actions)
            self._lines, self._cols = [], []
            if refs:
                # Line order, then column order.
                line_of = np.concatenate(line_parts).astype(np.int64)
                col_of = np.concatenate(col_parts)
                order = np.argsort(line_of * len(plans) + col_of, kind="stable")
                self._lines = line_of[order].tolist()
                self._cols = col_of[order].tolist()
                take = order.tolist()
                values = [values[k] for k in take]
                refs = [refs[k] for k in take]
                actions = [actions[k] for k in take]
            self._plans = plans
            self._values = values
            self._actions = actions
            self._refs = refs
            self._next = 0

        def _drain(self) -> None:
            for line, reason, detail in bad:
                self.records += 1
                self._bad(line, reason, detail)
            bad.clear()

    run = ColumnarScreening(None, columns, kinds, index, region, now_ts, fmt, None)  # type: ignore[arg-type]
    run._lines, run._cols, run._values, run._refs, run._actions, run._plans = [], [], [], [], [], []
    return run
