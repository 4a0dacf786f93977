"""Realistic blacklists and identifiers for the benchmarks (shared module, not a benchmark).

The benchmarks' first files were kind to the code: five phone prefixes, 28
listing times, 5,000 case references. Lists that agencies publish look
different, and this module writes files shaped like them, deterministically
from a seed:

* values: distinct canonical identifiers, sorted as an entries file requires.
  Phones are mostly mobiles over every allocated prefix (weighted toward the
  big ones), about a tenth fixed lines over a spread of area codes, and a few
  percent of rarer numbers (MVNO and data-card ranges, 400 service numbers). The
  ``mixed`` variant adds bank cards (packaged BINs, Luhn), domestic bank
  accounts and IBANs, and payment accounts of several providers;
* ``listed_at``: each entry its own second, spread over 200 days (an affine
  permutation of the seconds, so distinct up to 17,280,000 entries);
* ``valid_from``: mostly the listing time, some scheduled later, some
  backdated (a few to a leap day); ``valid_until`` on 30 % of the entries;
* ``case_ref``: distinct on every entry, a third in Chinese
  (``粤公刑[2025]0012345号``, some with 〔〕 brackets or full-width digits),
  the rest in the ASCII styles of other agencies;
* mixed sources (Zipf-like weights), reasons, actions, TLP and confidence;
* a few percent of *interesting* entries: 128-character and non-BMP case
  references, ones with a quote or backslash (escaped in canonical JSON),
  ``valid_until`` one second after ``valid_from``, confidence 0 and 100,
  timestamps on a year boundary.

Every value is checked with the library's own validator while writing, so a
file is valid under the number plan of the installed library (number ranges
that plan does not have are left out, and the file depends on it).

:func:`messy` rewrites a canonical value the way users type it (spaces,
dashes, ``+86``/``0086``, a trunk ``0``, full-width digits, invisible
characters), for screening files.

    python benchmarks/_realistic.py OUT.jsonl [--n 1000000] [--mix phone|mixed] [--seed S]
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from antifraud_common.format import canonical
from antifraud_common.models import canonical_value

__all__ = [
    "ACTIONS",
    "DEFAULT_SEED",
    "LIST_START",
    "ListFile",
    "messy",
    "realistic_lines",
    "realistic_values",
    "write_realistic_list",
]

DEFAULT_SEED = 20261201
#: The first listing second; listings spread over the 200 days that follow.
LIST_START = datetime(2025, 9, 1, tzinfo=UTC)
SPAN_DAYS = 200
_SPAN_SECONDS = SPAN_DAYS * 86_400
# Coprime to 17,280,000 = 2^10 * 3^3 * 5^4: i -> (i * A + B) mod span is a permutation.
_SECOND_MULT = 7_777_777
_SECOND_OFFSET = 1_234_567

#: The actions a realistic list uses, per kind (a publish rule must allow them).
ACTIONS: dict[str, tuple[str, ...]] = {
    "phone": ("block", "watch"),
    "bank_card": ("freeze", "hold", "watch"),
    "bank_account": ("freeze", "hold", "watch"),
    "payment_account": ("freeze", "hold", "block", "watch"),
}

# --------------------------------------------------------------------- values

_MOBILE = [
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in "012356789"),
    *(f"18{d}" for d in range(10)),
    *(f"17{d}" for d in "35678"),
    *(f"19{d}" for d in "012356789"),
    "166",
]
_BIG_MOBILE = {"134", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159"}
_BIG_MOBILE |= {"182", "183", "187", "188", "130", "131", "132", "155", "156", "185", "186"}
_RARE_MOBILE = ["145", "147", "149", "162", "165", "167", "170", "171", "172"]
_AREAS = ["10", "20", "21", "22", "23", "24", "25", "27", "28", "29"]
_AREAS += ["311", "351", "371", "431", "451", "512", "531", "551", "571", "591"]
_AREAS += ["731", "755", "757", "769", "851", "871", "898", "931", "951", "991"]


@dataclass(frozen=True)
class _Block:
    """Values ``prefix + body``: a prefix-free family, so blocks sort by prefix alone."""

    prefix: str
    body_digits: int
    weight: float
    first_digits: str = "0123456789"
    luhn: bool = False


def _phone_blocks() -> list[_Block]:
    blocks = []
    for p in _MOBILE:
        blocks.append(_Block("+86" + p, 8, 3.0 if p in _BIG_MOBILE else 1.0))
    mobile_weight = sum(b.weight for b in blocks)
    for p in _RARE_MOBILE:  # ~3 % together
        blocks.append(_Block("+86" + p, 11 - len(p), 0.03 * mobile_weight / len(_RARE_MOBILE)))
    fixed = []
    for area in _AREAS:  # ~10 %: 8-digit subscriber numbers where the plan has them, else 7
        for digits in (8, 7):
            block = _Block("+86" + area, digits, 0.10 * mobile_weight / len(_AREAS), "2345678")
            if _plan_has(block):
                fixed.append(block)
                break
    blocks += fixed
    # 400 service numbers, ~0.5 %
    blocks.append(_Block("+86400", 7, 0.005 * mobile_weight, "123456789"))
    return [b for b in blocks if _plan_has(b)]


def _plan_has(block: _Block) -> bool:
    """Whether the installed number plan accepts (nearly) every value of ``block``."""
    sample = _block_values(block, 50, random.Random(block.prefix))
    return sum(_is_canonical("phone", v) for v in sample) >= 48


def _card_blocks() -> list[_Block]:
    import csv
    from importlib import resources

    text = resources.files("antifraud_common").joinpath("data/bin_table.csv").read_text("utf-8")
    rows = sorted(
        (r["bin"], int(r["length"]))
        for r in csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
        if len(r["bin"]) == 6 and r["length"] in ("16", "19")
    )
    blocks, seen = [], set()
    for bin_, length in rows[::7]:
        if bin_ in seen:
            continue  # one length per BIN keeps blocks prefix-free
        seen.add(bin_)
        blocks.append(_Block(bin_, length - 7, 1.0, luhn=True))
    return blocks


def _account_blocks() -> list[_Block]:
    prefixes = [("1001", 19), ("3100", 17), ("4000", 16), ("4400", 20), ("6217", 19)]
    prefixes += [("6228", 19), ("7311", 18), ("8100", 21), ("9558", 19), ("1102", 12)]
    return [_Block(p, n - len(p), 1.0) for p, n in prefixes]


_PAYMENT_PROVIDERS = ["alipay", "douyin_pay", "qq_wallet", "wechat_pay"]


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _split(n: int, weights: Sequence[float]) -> list[int]:
    """Integer counts proportional to ``weights`` summing to ``n``."""
    total = sum(weights)
    counts = [int(n * w / total) for w in weights]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i])[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _block_values(block: _Block, count: int, rng: random.Random) -> list[str]:
    """``count`` distinct sorted values of ``block`` (before validation)."""
    firsts = block.first_digits
    rest = block.body_digits - 1
    space = len(firsts) * 10**rest
    count = min(count, space)
    picks = sorted(rng.sample(range(space), count))
    out = []
    for p in picks:
        first, tail = divmod(p, 10**rest)
        body = f"{block.prefix}{firsts[first]}{tail:0{rest}d}"
        out.append(body + _luhn_digit(body) if block.luhn else body)
    return out


def _valid_sorted(kind: str, blocks: list[_Block], n: int, rng: random.Random) -> Iterator[str]:
    blocks = sorted(blocks, key=lambda b: b.prefix.encode())
    for block, count in zip(blocks, _split(n, [b.weight for b in blocks]), strict=True):
        if count == 0:
            continue
        # A few more than needed, so values the installed number plan refuses can be dropped.
        values = _block_values(block, count + count // 50 + 5, rng)
        good = [v for v in values if _is_canonical(kind, v)]
        if len(good) < count:
            raise RuntimeError(f"{kind} block {block.prefix}: {len(good)} valid of {count}")
        # Drop the surplus at random, keeping the order.
        drop = set(rng.sample(range(len(good)), len(good) - count))
        yield from (v for i, v in enumerate(good) if i not in drop)


def _is_canonical(kind: str, value: str) -> bool:
    try:
        return canonical_value(kind, value) == value
    except ValueError:
        return False


def _payment_values(n: int, rng: random.Random) -> Iterator[str]:
    for provider, count in zip(_PAYMENT_PROVIDERS, _split(n, [4, 1, 2, 4]), strict=True):
        got: set[str] = set()
        while len(got) < count:
            style = rng.random()
            if style < 0.6:
                ident = f"+86{rng.choice(_MOBILE)}{rng.randrange(10**8):08d}"
            elif style < 0.8:
                ident = f"u{rng.randrange(10**9)}.{rng.choice('abcdefgh')}@example.com"
            elif provider == "alipay":
                ident = f"2088{rng.randrange(10**12):012d}"
            elif provider == "wechat_pay":
                ident = f"wxid_{rng.randrange(36**10):x}"
            else:
                ident = f"+86{rng.choice(_MOBILE)}{rng.randrange(10**8):08d}"
            value = f"{provider}:{ident}"
            if _is_canonical("payment_account", value):
                got.add(value)
        yield from sorted(got, key=str.encode)


def _iban(rng: random.Random) -> str:
    country, bban = rng.choice(
        [
            ("DE", f"{rng.randrange(10**8):08d}{rng.randrange(10**10):010d}"),
            ("GB", f"WEST{rng.randrange(10**6):06d}{rng.randrange(10**8):08d}"),
            (
                "FR",
                f"{rng.randrange(10**10):010d}{rng.randrange(10**11):011d}{rng.randrange(97):02d}",
            ),
        ]
    )
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def realistic_values(kind: str, n: int, *, seed: int = DEFAULT_SEED) -> Iterator[str]:
    """Yield ``n`` distinct canonical ``kind`` values, sorted as UTF-8 bytes."""
    rng = random.Random(f"{seed}:{kind}")
    if kind == "phone":
        yield from _valid_sorted(kind, _phone_blocks(), n, rng)
    elif kind == "bank_card":
        yield from _valid_sorted(kind, _card_blocks(), n, rng)
    elif kind == "bank_account":
        ibans = n // 50
        yield from _valid_sorted(kind, _account_blocks(), n - ibans, rng)
        got: set[str] = set()
        while len(got) < ibans:
            value = _iban(rng)
            if _is_canonical(kind, value):
                got.add(value)
        yield from sorted(got)  # letters sort after every domestic (digit) number
    elif kind == "payment_account":
        yield from _payment_values(n, rng)
    else:
        raise ValueError(f"no realistic generator for kind {kind!r}")


# -------------------------------------------------------------------- entries

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CN_KINDS = ("公刑", "公经", "公网", "公反诈", "检刑")
_SOURCES = [
    "mps",
    "miit",
    "cac",
    "pboc",
    "gd.gat",
    "zj.gat",
    "js.gat",
    "sh-fzzx",
    "bj-fzzx",
    "cmcc",
    "chinaunicom",
    "chinatelecom",
    "icbc",
    "ccb",
    "abc",
    "boc",
    "cmb",
    "nrta",
    "unionpay",
    "sc.gat_2",
]
_SOURCE_WEIGHTS = [1 / (i + 1) for i in range(len(_SOURCES))]
_REASONS = {
    "phone": (
        ("telecom_fraud", 55),
        ("investment_fraud", 15),
        ("impersonation", 15),
        ("caller_id_spoofing", 10),
        ("pirate_broadcast", 5),
    ),
    "bank_card": (("card_trafficking", 50), ("mule_account", 30), ("compromised_account", 20)),
    "bank_account": (("mule_account", 55), ("investment_fraud", 25), ("telecom_fraud", 20)),
    "payment_account": (("mule_account", 40), ("telecom_fraud", 35), ("investment_fraud", 25)),
}
_ACTION_WEIGHTS = {
    "phone": (75, 25),
    "bank_card": (50, 30, 20),
    "bank_account": (45, 35, 20),
    "payment_account": (30, 30, 25, 15),
}
_TLP = (("amber", 60), ("green", 20), ("red", 15), ("clear", 5))
_NEW_YEAR = int((datetime(2026, 1, 1, tzinfo=UTC) - LIST_START).total_seconds())
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _stamp(seconds: int) -> str:
    t = LIST_START + timedelta(seconds=seconds)
    return f"{t:%Y-%m-%dT%H:%M:%SZ}"


def _case_ref(serial: str, rng: random.Random) -> str:
    year = rng.choice((2024, 2025, 2025, 2026))
    r = rng.random()
    if r < 1 / 3:
        prov = rng.choice(_PROVINCES)
        kind = rng.choice(_CN_KINDS)
        s = rng.random()
        if s < 0.75:
            return f"{prov}{kind}[{year}]{serial}号"
        if s < 0.9:
            return f"{prov}{kind}〔{year}〕{serial}号"
        return f"{prov}{kind}（{year}）{serial}号".translate(_FULLWIDTH)
    if r < 0.55:
        return f"{rng.choice(('MPS', 'CAC', 'MIIT', 'PBOC'))}-{year}-{serial}"
    if r < 0.75:
        return f"CASE/{year}/{rng.choice(('GD', 'ZJ', 'JS', 'SH', 'BJ'))}/{serial}"
    if r < 0.9:
        return f"{rng.choice(('FZ', 'AF', 'TF'))}{year % 100:02d}{serial}"
    return f"ticket {serial} ({rng.choice(('hotline 96110', 'bank report', 'carrier report'))})"


def _interesting_case_ref(serial: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return (f"MPS-LONG-{serial}-" + "x" * 128)[:128]
    if r < 0.5:
        return f"𠀀𠀁案〔2025〕{serial}号"  # characters outside the BMP
    if r < 0.7:
        return f'"{serial}" (quoted)'
    if r < 0.85:
        return f"path\\{serial}"
    return f"粤公刑 [2025] {serial} 号"  # inner spaces are allowed


def _choice(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    cum = list(itertools.accumulate(w for _, w in pairs))
    return pairs[bisect.bisect_right(cum, rng.randrange(cum[-1]))][0]


def _entries_for(
    kind: str, values: Iterator[str], start: int, n_total: int, rng: random.Random
) -> Iterator[bytes]:
    serial_mod = 10 ** max(7, len(str(n_total)))
    actions = ACTIONS[kind]
    action_pairs = tuple(zip(actions, _ACTION_WEIGHTS[kind], strict=True))
    reasons = _REASONS[kind]
    for i, value in enumerate(values, start):
        # Affine permutations: distinct listing seconds and case serials per entry.
        listed = (i * _SECOND_MULT + _SECOND_OFFSET) % _SPAN_SECONDS
        serial = f"{(i * 7_654_321 + 1_234_567) % serial_mod:0{len(str(serial_mod - 1))}d}"
        interesting = rng.random() < 0.03
        r = rng.random()
        if r < 0.8:
            valid_from = listed
        elif r < 0.95:
            valid_from = listed + rng.randrange(1, 7 * 86_400)
        else:
            valid_from = listed - rng.randrange(1, 30 * 86_400)
        entry: dict[str, object] = {
            "kind": kind,
            "value": value,
            "reason": _choice(rng, reasons),
            "action": _choice(rng, action_pairs),
            "source": _SOURCES[_weighted_index(rng)],
            "case_ref": _case_ref(serial, rng),
            "confidence": 30 + rng.randrange(71),
            "tlp": _choice(rng, _TLP),
            "listed_at": _stamp(listed),
        }
        until = valid_from + rng.randrange(86_400, 365 * 86_400) if rng.random() < 0.3 else None
        if interesting:
            r = rng.random()
            if r < 0.35:
                entry["case_ref"] = _interesting_case_ref(serial, rng)
            elif r < 0.55:
                until = valid_from + 1
            elif r < 0.7:
                entry["confidence"] = rng.choice((0, 100))
            elif r < 0.85:
                # Backdated to a leap day (an old case listed again).
                entry["valid_from"] = f"2024-02-29T{rng.randrange(24):02d}:59:59Z"
            else:
                valid_from = _NEW_YEAR - (i % 2)  # a second either side of a year boundary
                if until is not None:
                    until = valid_from + 86_400
        entry.setdefault("valid_from", _stamp(valid_from))
        if until is not None:
            entry["valid_until"] = _stamp(until)
            if entry["valid_from"] >= entry["valid_until"]:  # type: ignore[operator]
                del entry["valid_until"]
        yield canonical.dumps(entry) + b"\n"


_SOURCE_CUM = list(itertools.accumulate(_SOURCE_WEIGHTS))


def _weighted_index(rng: random.Random) -> int:
    return min(bisect.bisect_right(_SOURCE_CUM, rng.random() * _SOURCE_CUM[-1]), len(_SOURCES) - 1)


_MIXED = (("bank_account", 10), ("bank_card", 15), ("payment_account", 5), ("phone", 70))


def kind_counts(n: int, mix: str = "phone") -> dict[str, int]:
    """How many entries of each kind a list of ``n`` entries in ``mix`` holds."""
    if mix == "phone":
        return {"phone": n}
    if mix == "mixed":
        counts = _split(n, [w for _, w in _MIXED])
        return {k: c for (k, _), c in zip(_MIXED, counts, strict=True)}
    raise ValueError(f"unknown mix {mix!r} (phone or mixed)")


def realistic_lines(n: int, *, mix: str = "phone", seed: int = DEFAULT_SEED) -> Iterator[bytes]:
    """Yield the ``n`` canonical, sorted lines (with LF) of a realistic entries file."""
    rng = random.Random(f"{seed}:entries")
    start = 0
    for kind, count in sorted(kind_counts(n, mix).items(), key=lambda kc: kc[0].encode()):
        yield from _entries_for(kind, realistic_values(kind, count, seed=seed), start, n, rng)
        start += count


@dataclass(frozen=True)
class ListFile:
    """What :func:`write_realistic_list` wrote."""

    path: Path
    entry_count: int
    byte_length: int
    sha256: str


def write_realistic_list(
    path: str | Path, n: int = 1_000_000, *, mix: str = "phone", seed: int = DEFAULT_SEED
) -> ListFile:
    """Write a realistic entries file of ``n`` entries to ``path``; return its size and hash."""
    p = Path(path)
    h = hashlib.sha256()
    size = count = 0
    with p.open("wb") as f:
        batch: list[bytes] = []
        for line in realistic_lines(n, mix=mix, seed=seed):
            batch.append(line)
            if len(batch) == 10_000:
                data = b"".join(batch)
                f.write(data)
                h.update(data)
                size, count, batch = size + len(data), count + len(batch), []
        data = b"".join(batch)
        f.write(data)
        h.update(data)
        size, count = size + len(data), count + len(batch)
    return ListFile(p, count, size, h.hexdigest())


# ---------------------------------------------------------------- messy input

_INVISIBLE = ("\u200b", "\u200d", "\u2060", "\ufeff")
_FW = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")


def messy(kind: str, value: str, rng: random.Random) -> str:
    """A form of canonical ``value`` a user might type that validates back to ``value``."""
    if kind == "phone" and value.startswith("+86"):
        nsn = value[3:]
        mobile = len(nsn) == 11 and nsn[0] == "1"
        style = rng.randrange(8)
        if style == 0:
            return f"+86 {nsn[:3]} {nsn[3:7]} {nsn[7:]}" if mobile else f"+86 {nsn}"
        if style == 1:
            return f"0086-{nsn}"
        if style == 2:
            return f"{nsn[:3]}-{nsn[3:7]}-{nsn[7:]}" if mobile else f"0{nsn}"
        if style == 3:
            return f"+86{nsn}".translate(_FW)
        if style == 4:
            return f"{nsn[:3]}{rng.choice(_INVISIBLE)}{nsn[3:]}"
        if style == 5:
            return f" (+86) {nsn} "
        if style == 6:
            return nsn
        return f"+86\u3000{nsn}"
    if kind in ("bank_card", "bank_account") and value.isdigit():
        style = rng.randrange(4)
        if style == 0:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        if style == 1:
            return value.translate(_FW)
        if style == 2:
            return f"{value[:6]}{rng.choice(_INVISIBLE)}{value[6:]}"
        return f" {value} "
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--mix", choices=("phone", "mixed"), default="phone")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    a = ap.parse_args(argv)
    got = write_realistic_list(a.out, a.n, mix=a.mix, seed=a.seed)
    print(f"{got.entry_count:,} entries, {got.byte_length:,} bytes, sha256 {got.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
