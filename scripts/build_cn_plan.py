"""Build src/antifraud_common/data/cn_number_plan.csv: the number plan for +86.

Usage::

    python scripts/build_cn_plan.py [--check] [OUTPUT]

Every verdict the library gives on a Chinese number (valid or not, its kind,
the carrier its block was allocated to) is a look-up in this packaged table, so
it does not change with the installed phonenumbers and another implementation
can use the same data. The table is derived here, deterministically, from

1. phonenumbers' CN metadata (version :data:`PHONENUMBERS_VERSION`, refused
   otherwise): the number-type patterns with the precedence and length rules of
   its ``number_type`` (premium rate, toll free, shared cost, VoIP, ..., fixed
   line, mobile), its CN short-number metadata (``short_code``), and its carrier
   names for mobile blocks (``zh``, else ``en``);
2. the library's own rules (:data:`OVERRIDES`), each with its source: emergency
   numbers, 106 SMS ports, the 14x data-card and IoT blocks from MIIT's
   allocations, 13-digit 1064 machine-communication numbers, satellite blocks;
3. the "not yet known" spaces (:data:`UNKNOWN_SPACES`): an unlisted number there
   is ``unknown`` (error ``unknown_range``: a newer plan may allocate it), not
   ``invalid``.

Output: ``#`` header lines (plan version, date, sources), then CSV rows
``table,length,prefix,kind,carrier``. ``table`` is ``regular`` (a national
significant number after +86, canonical value E.164) or ``local`` (dialled
inside China without prefix: emergency numbers, SMS ports and short codes,
canonical value ``tel:<digits>;phone-context=+86``). A number of ``length``
digits matches a row whose ``prefix`` starts it; within one (table, length) no
prefix starts another, so at most one row matches. No row: not a number of that
table. The rows are minimal: each is the shortest prefix that decides every
number under it.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PLAN_VERSION = 1
PLAN_DATE = "2026-12-01"
PHONENUMBERS_VERSION = "9.0.43"
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "antifraud_common"
    / "data"
    / "cn_number_plan.csv"
)

MIIT_2023 = (
    "MIIT, 我国公众移动通信网网号及H0分配情况（截至2023年3月底）, as published on zh.wikisource"
)
WIKI_ZH = "zh.wikipedia, 中国内地移动终端通讯号段 (2024)"
MIIT_2020 = "MIIT 2020 batch-5 number allocation notice (cited by VincentSit/ChinaMobilePhoneNumberRegex PR #29)"
ITU_146 = "China's ITU-T E.129 filing as read in google/libphonenumber PR #2770 (146 is IoT)"
LIBRARY = "antifraud_common docs/phone.md"

TELECOM, MOBILE, UNICOM = "中国电信", "中国移动", "中国联通"

#: (table, lengths, prefixes, kind, carrier, source). Earlier rows win over later
#: ones and over phonenumbers; ``invalid`` removes a range.
OVERRIDES: list[tuple[str, Iterable[int], Iterable[str], str, str, str]] = [
    ("local", [3], ["110", "119", "120", "122"], "emergency", "", LIBRARY),
    # 13-digit 1064 numbers are machine-communication (IoT) numbers, not SMS ports.
    ("local", [13], ["1064"], "invalid", "", WIKI_ZH),
    ("local", range(5, 21), ["106"], "sms_port", "", LIBRARY),
    ("local", range(1, 21), ["0"], "invalid", "", LIBRARY),
    ("regular", [13], ["1410"], "iot", TELECOM, f"{WIKI_ZH}; {MIIT_2020}"),
    ("regular", [13], ["1440", "1441"], "iot", MOBILE, f"{WIKI_ZH}; {MIIT_2020}"),
    ("regular", [13], ["1064"], "iot", "", WIKI_ZH),
    # MIIT lists 140-144 for no 11-digit block: they are the 13-digit IoT space.
    ("regular", [11], ["140", "141", "142", "143", "144"], "invalid", "", MIIT_2023),
    ("regular", [11], ["146"], "iot", UNICOM, f"{MIIT_2023}; {ITU_146}"),
    ("regular", [11], ["148"], "iot", MOBILE, f"{MIIT_2023}; {WIKI_ZH}"),
    ("regular", [11], ["149"], "mobile", TELECOM, f"{MIIT_2023}; {WIKI_ZH}"),
    # Satellite blocks inside phonenumbers' mobile ranges; "*": phonenumbers' carrier name.
    ("regular", [11], ["1349"], "satellite", "*", LIBRARY),
    ("regular", [11], [f"1740{d}" for d in "012345"], "satellite", "*", LIBRARY),
]

#: (table, length, prefixes): a number there that no row allocates is ``unknown``.
UNKNOWN_SPACES: list[tuple[str, int, list[str]]] = [
    ("regular", 11, [f"1{d}" for d in "3456789"]),
    ("regular", 13, ["14"]),
]

#: phonenumbers' number-type precedence (``_number_type_helper``) and our kind names.
TYPES = [
    ("premium_rate", "premium"),
    ("toll_free", "toll_free"),
    ("shared_cost", "shared_cost"),
    ("voip", "voip"),
    ("personal_number", "other"),
    ("pager", "other"),
    ("uan", "other"),
    ("voicemail", "other"),
    ("fixed_line", "fixed_line"),
    ("mobile", "mobile"),
]
#: Kinds phonenumbers gives carrier names for (its ``_is_mobile``).
_CARRIER_KINDS = {"mobile", "fixed_line_or_mobile", "satellite", "pager"}

_ALL = "0123456789"
_EXPANSION_LIMIT = 20000
Product = tuple[str, ...]


class UnsupportedPatternError(Exception):
    """The metadata uses regular-expression syntax this expander does not model."""


def expand(pattern: str) -> set[Product]:
    """Return the finite set of digit-class sequences a metadata pattern denotes.

    Supports what phonenumbers metadata uses: digits, ``\\d``, classes with
    ranges, groups (``(?:``), ``|``, ``?``, ``{m}`` and ``{m,n}``.
    """
    pos = 0

    def peek() -> str:
        return pattern[pos] if pos < len(pattern) else ""

    def check(s: set[Product]) -> set[Product]:
        if len(s) > _EXPANSION_LIMIT:
            raise UnsupportedPatternError("pattern expands too far")
        return s

    def alt() -> set[Product]:
        nonlocal pos
        out = seq()
        while peek() == "|":
            pos += 1
            out = check(out | seq())
        return out

    def seq() -> set[Product]:
        acc: set[Product] = {()}
        while peek() not in ("", "|", ")"):
            a = atom()
            lo, hi = quant()
            reps: set[Product] = set()
            cur: set[Product] = {()}
            for i in range(hi + 1):
                if i >= lo:
                    reps |= cur
                if i < hi:
                    cur = check({x + y for x in cur for y in a})
            acc = check({x + y for x in acc for y in reps})
        return acc

    def atom() -> set[Product]:
        nonlocal pos
        c = peek()
        if c == "(":
            pos += 1
            if pattern.startswith("?:", pos):
                pos += 2
            elif peek() == "?":
                raise UnsupportedPatternError(pattern)
            inner = alt()
            if peek() != ")":
                raise UnsupportedPatternError(pattern)
            pos += 1
            return inner
        if c == "[":
            end = pattern.find("]", pos)
            if end < 0:
                raise UnsupportedPatternError(pattern)
            body = pattern[pos + 1 : end]
            pos = end + 1
            chars: set[str] = set()
            i = 0
            while i < len(body):
                if body.startswith("\\d", i):
                    chars |= set(_ALL)
                    i += 2
                elif body[i] in _ALL and i + 2 < len(body) and body[i + 1] == "-":
                    if body[i + 2] not in _ALL:
                        raise UnsupportedPatternError(pattern)
                    chars |= {str(d) for d in range(int(body[i]), int(body[i + 2]) + 1)}
                    i += 3
                elif body[i] in _ALL:
                    chars.add(body[i])
                    i += 1
                else:
                    raise UnsupportedPatternError(pattern)
            return {("".join(sorted(chars)),)}
        if pattern.startswith("\\d", pos):
            pos += 2
            return {(_ALL,)}
        if c and c in _ALL:
            pos += 1
            return {(c,)}
        raise UnsupportedPatternError(pattern)

    def quant() -> tuple[int, int]:
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
                    raise UnsupportedPatternError(pattern)
                return int(a), int(b)
            return int(body), int(body)
        if c in ("*", "+"):
            raise UnsupportedPatternError(pattern)
        return 1, 1

    result = alt()
    if pos != len(pattern):
        raise UnsupportedPatternError(pattern)
    return result


def _tail(product: Product) -> int:
    """Index from which every class of ``product`` is "any digit"."""
    i = len(product)
    while i and product[i - 1] == _ALL:
        i -= 1
    return i


# ----------------------------------------------------------------- the derivation

NONE, SOME, ALL = 0, 1, 2


class _Source:
    """One table's inputs: named pattern product sets per length, in precedence order."""

    def __init__(
        self, named: list[tuple[str, str, frozenset[int]]], general: tuple[str, frozenset[int]]
    ):
        self.named = named
        self.general = general
        self.products: dict[str, list[tuple[Product, int]]] = {}
        for name, pattern, _ in [("general", general[0], general[1]), *named]:
            self.products[name] = [(p, _tail(p)) for p in expand(pattern)]
        self.lengths = {"general": general[1]} | {n: ls for n, _, ls in named}

    def live(self, length: int) -> dict[str, list[tuple[Product, int]]]:
        if length not in self.general[1]:
            return {}
        return {
            name: [(p, t) for p, t in prods if len(p) == length]
            for name, prods in self.products.items()
            if not self.lengths[name] or length in self.lengths[name]
        }


def _status(prods: list[tuple[Product, int]] | None, k: int) -> int:
    if not prods:
        return NONE
    return ALL if any(t <= k for _, t in prods) else SOME


def _pn_decision(
    live: dict[str, list[tuple[Product, int]]], k: int, order: list[str]
) -> str | None:
    """phonenumbers' type for every number under this node, or None if it varies."""
    g = _status(live.get("general"), k)
    if g == NONE:
        return "invalid"
    first = next((n for n in order if live.get(n)), None)
    if first is None:
        return "invalid"
    if g != ALL or _status(live[first], k) != ALL:
        return None
    if first == "fixed_line":
        m = _status(live.get("mobile"), k)
        if m == SOME:
            return None
        return "fixed_line_or_mobile" if m == ALL else "fixed_line"
    return first


class Builder:
    def __init__(self, pn: Any) -> None:
        self.pn = pn
        meta = pn.PhoneMetadata.metadata_for_region("CN")
        named = []
        for attr, _ in TYPES:
            desc = getattr(meta, attr)
            if desc is not None and desc.national_number_pattern:
                named.append(
                    (attr, desc.national_number_pattern, frozenset(desc.possible_length or ()))
                )
        if meta.same_mobile_and_fixed_line_pattern:
            raise SystemExit(
                "CN metadata claims identical fixed and mobile patterns: review the script"
            )
        self.kind_of = dict(TYPES) | {
            "fixed_line_or_mobile": "fixed_line_or_mobile",
            "invalid": "invalid",
        }
        self.regular = _Source(
            named,
            (
                meta.general_desc.national_number_pattern,
                frozenset(meta.general_desc.possible_length),
            ),
        )
        short = pn.PhoneMetadata.short_metadata_for_region("CN")
        self.short = _Source(
            [
                (
                    "short_code",
                    short.short_code.national_number_pattern,
                    frozenset(short.short_code.possible_length),
                )
            ],
            (
                short.general_desc.national_number_pattern,
                frozenset(short.general_desc.possible_length),
            ),
        )
        from phonenumbers.carrierdata import CARRIER_DATA

        self.carrier_keys = sorted(k[2:] for k in CARRIER_DATA if k.startswith("86"))

    def carrier(self, nsn: str) -> str:
        from phonenumbers import carrier

        num = self.pn.PhoneNumber(country_code=86, national_number=int(nsn))
        return str(
            carrier.name_for_valid_number(num, "zh") or carrier.name_for_valid_number(num, "en")
        )

    def rows(self, table: str, length: int) -> list[tuple[str, str, str]]:
        """The minimal (prefix, kind, carrier) rows of one table and length."""
        overrides = [
            (p, kind, carrier)
            for t, lengths, prefixes, kind, carrier, _ in OVERRIDES
            if t == table and length in lengths
            for p in prefixes
        ]
        unknown = [p for t, n, ps in UNKNOWN_SPACES if t == table and n == length for p in ps]
        if table == "regular":
            source, order, max_short = self.regular, [n for n, _, _ in self.regular.named], None
        else:
            source, order, max_short = self.short, ["short_code"], 8
        live = source.live(length) if max_short is None or length <= max_short else {}
        out: list[tuple[str, str, str]] = []

        def walk(prefix: str, live: dict[str, list[tuple[Product, int]]]) -> tuple[str, str] | None:
            k = len(prefix)
            decided: tuple[str, str] | None = None
            deeper = any(len(p) > k and p.startswith(prefix) for p, _, _ in overrides)
            hit = next(((kind, c) for p, kind, c in overrides if prefix.startswith(p)), None)
            if deeper:
                pass  # a more specific rule lies below: split first
            elif hit is not None and hit[1] == "*":
                if not any(len(q) > k and q.startswith(prefix) for q in self.carrier_keys):
                    decided = (hit[0], self.carrier(prefix.ljust(length, "0")))
            elif hit is not None:
                decided = hit
            else:
                d = _pn_decision(live, k, order)
                if d is not None:
                    kind = "short_code" if d == "short_code" else self.kind_of[d]
                    if kind == "invalid":
                        if any(prefix.startswith(u) for u in unknown):
                            decided = ("unknown", "")
                        elif not any(u.startswith(prefix) for u in unknown):
                            decided = ("invalid", "")
                    elif kind in _CARRIER_KINDS and table == "regular":
                        if not any(len(q) > k and q.startswith(prefix) for q in self.carrier_keys):
                            decided = (kind, self.carrier(prefix.ljust(length, "0")))
                    else:
                        decided = (kind, "")
            if decided is not None or k == length:
                if decided is None:  # pragma: no cover - a full-length node is always decided
                    raise AssertionError(prefix)
                return decided
            children = []
            for d in _ALL:
                sub = {n: [(p, t) for p, t in prods if d in p[k]] for n, prods in live.items()}
                children.append(walk(prefix + d, {n: v for n, v in sub.items() if v}))
            if all(c is not None and c == children[0] for c in children):
                return children[0]
            for d, c in zip(_ALL, children, strict=True):
                if c is not None:
                    out.append((prefix + d, *c))
            return None

        top = walk("", live)
        if top is not None:
            out.append(("", *top))
        return sorted(r for r in out if r[1] != "invalid")


def build() -> str:
    import phonenumbers

    if phonenumbers.__version__ != PHONENUMBERS_VERSION:
        raise SystemExit(
            f"phonenumbers {phonenumbers.__version__} is installed; the plan is derived from "
            f"{PHONENUMBERS_VERSION}: install it, or raise PHONENUMBERS_VERSION and PLAN_VERSION"
        )
    b = Builder(phonenumbers)
    buf = io.StringIO()
    w = buf.write
    w("# Number plan for +86 (mainland China), used by antifraud_common.phone for every verdict\n")
    w("# on a Chinese number: validity, kind and the carrier a block was allocated to.\n")
    w(f"# plan_version: {PLAN_VERSION}\n")
    w(f"# date: {PLAN_DATE}\n")
    w(
        f"# phonenumbers: {PHONENUMBERS_VERSION} (CN metadata, CN short-number metadata, carrier data)\n"
    )
    w("# generated_by: scripts/build_cn_plan.py (deterministic: same bytes every run)\n")
    w("# sources of the library's own rules:\n")
    for src in sorted({s for *_, s in OVERRIDES}):
        w(f"#   {src}\n")
    w("# format: a number of `length` digits matches the row whose `prefix` starts it (at most\n")
    w(
        "#   one per table and length); no row: not a number of that table. kind `unknown`: a range\n"
    )
    w("#   this plan version does not know as allocated (error unknown_range).\n")
    w("table,length,prefix,kind,carrier\n")
    for table, lengths in (("regular", range(1, 14)), ("local", range(1, 21))):
        for n in lengths:
            for prefix, kind, carrier in b.rows(table, n):
                w(f"{table},{n},{prefix},{kind},{carrier}\n")
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = args.output.is_file() and args.output.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.output} differs", file=sys.stderr)
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8", newline="\n")
    rows = sum(1 for ln in text.splitlines() if ln[:1] != "#") - 1
    print(f"wrote {args.output}: {rows} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
