"""Exact, fast number-type matching from phonenumbers' own metadata (private).

phonenumbers decides validity with ``_number_type_helper``: the national
significant number (NSN) must match the region's general pattern (and its
possible lengths), then the first matching type wins, in this order: premium
rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail, fixed line
(``fixed_line_or_mobile`` if the mobile pattern matches too), mobile.

:class:`TypeMatcher` reproduces that decision from the same metadata, so the
verdicts agree by construction, in two tiers:

1. a per-length compiled regular expression with one named group per type, in
   precedence order (``fullmatch`` tries the alternatives in order, so the first
   group that matches the whole NSN is the type phonenumbers would return);
2. a lazily filled cache keyed by the first :data:`PREFIX_DEPTH` digits and the
   length. Each pattern is expanded once into the finite set of *products*
   (sequences of digit classes) it denotes; a prefix is decided without a
   regular expression only when the expansion proves that every NSN with that
   prefix and length gets the same answer. Otherwise the cache says "use the
   regular expression", which is always exact.

Patterns using syntax outside the small subset phonenumbers metadata uses
(digits, ``\\d``, classes, groups, ``|``, ``?``, ``{m}``, ``{m,n}``) simply get
no prefix cache; tier 1 still applies.

>>> m = TypeMatcher.for_region("CN")
>>> m.type_of("13800138000"), m.type_of("1062345678"), m.type_of("15400138000")
('mobile', 'fixed_line', None)
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CACHE_LIMIT", "PREFIX_DEPTH", "TYPE_ORDER", "TypeMatcher"]

_ALL = "0123456789"
#: How many leading NSN digits key the prefix cache.
PREFIX_DEPTH = 5
#: phonenumbers' type precedence (attribute names of ``PhoneMetadata``).
TYPE_ORDER = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_EXPANSION_LIMIT = 20000
#: Upper bound on each cache's entries, so random input cannot grow memory without limit.
CACHE_LIMIT = 1 << 17

#: Cache decisions.
UNDECIDED = "?"
INVALID = ""

_Product = tuple[str, ...]


class _UnsupportedPatternError(Exception):
    pass


def _expand(pattern: str) -> set[_Product]:
    """Return the finite set of digit-class sequences a metadata pattern denotes."""
    pos = 0

    def peek() -> str:
        return pattern[pos] if pos < len(pattern) else ""

    def parse_alt() -> set[_Product]:
        nonlocal pos
        out = parse_seq()
        while peek() == "|":
            pos += 1
            out |= parse_seq()
            if len(out) > _EXPANSION_LIMIT:
                raise _UnsupportedPatternError
        return out

    def parse_seq() -> set[_Product]:
        acc: set[_Product] = {()}
        while peek() not in ("", "|", ")"):
            atom = parse_atom()
            lo, hi = parse_quant()
            reps: set[_Product] = set()
            cur: set[_Product] = {()}
            for i in range(hi + 1):
                if i >= lo:
                    reps |= cur
                if i < hi:
                    cur = {a + b for a in cur for b in atom}
                    if len(cur) > _EXPANSION_LIMIT:
                        raise _UnsupportedPatternError
            acc = {a + b for a in acc for b in reps}
            if len(acc) > _EXPANSION_LIMIT:
                raise _UnsupportedPatternError
        return acc

    def parse_atom() -> set[_Product]:
        nonlocal pos
        c = peek()
        if c == "(":
            pos += 1
            if pattern.startswith("?:", pos):
                pos += 2
            elif peek() == "?":
                raise _UnsupportedPatternError
            inner = parse_alt()
            if peek() != ")":
                raise _UnsupportedPatternError
            pos += 1
            return inner
        if c == "[":
            end = pattern.find("]", pos)
            if end < 0:
                raise _UnsupportedPatternError
            body = pattern[pos + 1 : end]
            pos = end + 1
            chars: set[str] = set()
            i = 0
            while i < len(body):
                if body.startswith("\\d", i):
                    chars |= set(_ALL)
                    i += 2
                    continue
                ch = body[i]
                if ch not in _ALL:
                    raise _UnsupportedPatternError
                if i + 2 < len(body) and body[i + 1] == "-":
                    top = body[i + 2]
                    if top not in _ALL:
                        raise _UnsupportedPatternError
                    chars |= {str(d) for d in range(int(ch), int(top) + 1)}
                    i += 3
                else:
                    chars.add(ch)
                    i += 1
            return {("".join(sorted(chars)),)}
        if pattern.startswith("\\d", pos):
            pos += 2
            return {(_ALL,)}
        if c and c in _ALL:
            pos += 1
            return {(c,)}
        raise _UnsupportedPatternError

    def parse_quant() -> tuple[int, int]:
        nonlocal pos
        c = peek()
        if c == "?":
            pos += 1
            return 0, 1
        if c == "{":
            end = pattern.find("}", pos)
            body = pattern[pos + 1 : end]
            pos = end + 1
            if "," in body:
                a, b = body.split(",")
                if not b:
                    raise _UnsupportedPatternError
                return int(a), int(b)
            return int(body), int(body)
        if c in ("*", "+"):
            raise _UnsupportedPatternError
        return 1, 1

    result = parse_alt()
    if pos != len(pattern):
        raise _UnsupportedPatternError
    return result


def _tail_start(product: _Product) -> int:
    """Index from which every class of ``product`` is "any digit"."""
    i = len(product)
    while i > 0 and product[i - 1] == _ALL:
        i -= 1
    return i


class TypeMatcher:
    """phonenumbers' number-type decision for one region, compiled and cached."""

    _instances: dict[str, TypeMatcher] = {}  # noqa: RUF012 - per-process registry

    def __init__(self, metadata: Any) -> None:
        general = metadata.general_desc
        self._general_lengths = frozenset(general.possible_length or ())
        self._same_fixed_mobile = bool(metadata.same_mobile_and_fixed_line_pattern)
        descs: list[tuple[str, str, frozenset[int]]] = []
        for name in TYPE_ORDER:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            descs.append(
                (name, desc.national_number_pattern, frozenset(desc.possible_length or ()))
            )
        self._descs = descs
        general_pattern = general.national_number_pattern or ""
        #: per NSN length: compiled regex with one named group per applicable type.
        self._by_length: dict[int, re.Pattern[str] | None] = {}
        for length in self._general_lengths:
            alts = [
                f"(?P<{name}>{pattern})"
                for name, pattern, lengths in descs
                if not lengths or length in lengths
            ]
            self._by_length[length] = (
                re.compile(f"(?=(?:{general_pattern})$)(?:{'|'.join(alts)})")
                if alts and general_pattern
                else None
            )
        self._mobile_rx = next(
            (re.compile(p) for n, p, _ in descs if n == "mobile"),
            None,
        )
        self._mobile_lengths = next((ls for n, _, ls in descs if n == "mobile"), frozenset())
        # Prefix cache: (length, prefix) -> type name, INVALID or UNDECIDED.
        self.prefix_cache: dict[tuple[int, str], str] = {}
        self._products: dict[str, list[tuple[_Product, int]]] | None
        try:
            self._products = {
                name: [(p, _tail_start(p)) for p in _expand(pattern)]
                for name, pattern, _ in [("general", general_pattern, frozenset()), *descs]
            }
        except _UnsupportedPatternError:
            self._products = None
        self._lengths = {"general": self._general_lengths} | {n: ls for n, _, ls in descs}
        self._nodes: dict[tuple[int, str], dict[str, list[tuple[_Product, int]]]] = {}

    @classmethod
    def for_region(cls, region: str) -> TypeMatcher:
        """Return the (cached) matcher for ``region``'s metadata."""
        inst = cls._instances.get(region)
        if inst is None:
            import phonenumbers

            metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
            if metadata is None:
                raise KeyError(region)
            inst = cls._instances[region] = cls(metadata)
        return inst

    def type_of(self, nsn: str) -> str | None:
        """Return phonenumbers' type name for ``nsn`` (ASCII digits), or None if invalid.

        ``fixed_line_or_mobile`` is returned where phonenumbers would.
        """
        rx = self._by_length.get(len(nsn))
        if rx is None:
            return None
        m = rx.fullmatch(nsn)
        if m is None:
            return None
        name = m.lastgroup
        if name == "fixed_line" and (
            self._same_fixed_mobile
            or (
                self._mobile_rx is not None
                and (not self._mobile_lengths or len(nsn) in self._mobile_lengths)
                and self._mobile_rx.fullmatch(nsn) is not None
            )
        ):
            return "fixed_line_or_mobile"
        return name

    def decide_prefix(self, length: int, prefix: str) -> str:
        """Decide every NSN of ``length`` starting with ``prefix`` at once, if possible.

        Returns a type name (all such numbers are valid with that type),
        :data:`INVALID` (none is valid) or :data:`UNDECIDED` (use :meth:`type_of`).
        The answer is cached.
        """
        key = (length, prefix)
        cached = self.prefix_cache.get(key)
        if cached is not None:
            return cached
        decision = self._decide(length, prefix)
        if len(self.prefix_cache) < CACHE_LIMIT:
            self.prefix_cache[key] = decision
        return decision

    def _node(self, length: int, prefix: str) -> dict[str, list[tuple[_Product, int]]]:
        node = self._nodes.get((length, prefix))
        if node is not None:
            return node
        assert self._products is not None
        if not prefix:
            node = {
                name: [
                    (p, t)
                    for p, t in products
                    if len(p) == length
                    and (not self._lengths[name] or length in self._lengths[name])
                ]
                for name, products in self._products.items()
            }
            if self._general_lengths and length not in self._general_lengths:
                node["general"] = []
        else:
            parent = self._node(length, prefix[:-1])
            i = len(prefix) - 1
            d = prefix[-1]
            node = {}
            for name, prods in parent.items():
                kept = [(p, t) for p, t in prods if d in p[i]]
                if kept:  # only non-empty lists are kept: most prefixes match nothing
                    node[name] = kept
        # Leaves are not stored: their decision is cached instead.
        if len(prefix) < PREFIX_DEPTH and len(self._nodes) < CACHE_LIMIT:
            self._nodes[(length, prefix)] = node
        return node

    def _decide(self, length: int, prefix: str) -> str:
        if self._products is None or len(prefix) > length:
            return UNDECIDED
        node = self._node(length, prefix)
        k = len(prefix)
        general = node.get("general")
        if not general:
            return INVALID
        first = next((name for name, _, _ in self._descs if node.get(name)), None)
        if first is None:
            return INVALID
        if not any(t <= k for _, t in node[first]) or not any(t <= k for _, t in general):
            return UNDECIDED
        if first == "fixed_line":
            if self._same_fixed_mobile:
                return "fixed_line_or_mobile"
            mobile = node.get("mobile", [])
            if mobile:
                if any(t <= k for _, t in mobile):
                    return "fixed_line_or_mobile"
                return UNDECIDED
        return first
