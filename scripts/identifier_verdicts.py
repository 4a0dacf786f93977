"""Dump identifier verdicts over a fixed corpus, or compare dumps from several environments.

Usage::

    python scripts/identifier_verdicts.py dump OUT.json
    python scripts/identifier_verdicts.py compare A.json B.json [C.json ...]

Every receiver must reach the same verdict on the same bytes whatever Python and
dependency versions it runs. ``dump`` runs the library's validators over a fixed
corpus defined here (every Chinese number block in several written forms, short
codes, SMS ports, foreign numbers, named edge cases, and one character from
every range of the packaged Unicode classes plus a stride over the whole code
space, each inside a phone number, a card number and an ID number) and writes
the verdicts -- canonical value or error code, and for phones the kind, flags,
allocated carrier and plan version -- as JSON, with a description of the
environment and a SHA-256 of the verdicts. ``compare`` exits 1 when the
verdicts of the given dumps are not identical (their environments differ, of
course) and names the first differences.

CI dumps in each environment it runs the identifier tests in (declared minimum
dependency versions, Python 3.11, 3.12, 3.13) and compares them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Code points sampled at this stride across U+0000..U+10FFFF (besides every range start).
STRIDE = 257
#: Characters whose class changed between Unicode versions, or that sit at the edges.
EXTRA_CHARS = [
    0x0890,  # ARABIC POUND MARK ABOVE: Cf, new in 14.0
    0x0891,
    0x13430,  # Egyptian hieroglyph format controls: 13430-13438 Cf since 12.0
    0x13438,
    0x13439,  # 13439-1343F: Cf from 15.0
    0x1343F,
    0x13440,
    0x11F50,  # Kawi digit zero: Nd from 15.0
    0x1E4F0,  # Nag Mundari digit zero: Nd from 15.0
    0x1E030,  # Cyrillic modifier letters: Lm from 15.0
    0x31350,  # CJK extension H: Lo from 15.0
    0x2FFC,  # ideographic description characters: So from 15.1
    0x31EF,
    0x2EBF0,  # CJK extension I: Lo from 15.1
    0x200B,
    0x2060,
    0xFEFF,
    0x00AD,
    0x202E,
    0x3000,
    0x00A0,
    0x202F,
    0xE0001,
    0xD800,
    0xE000,
    0x10FFFF,
]

#: Named edge cases (kind, input): Unicode, spreadsheets, prefixes, other identifiers.
NAMED: list[tuple[str, str]] = [
    ("phone", "138\U00013439 0013\U00013439 8000"),
    ("phone", "１３８－００１３－８０００"),
    ("phone", "138\u200b0013\u200b8000"),
    ("phone", "138\u202e00138000"),
    ("phone", "١٣٨٠٠١٣٨٠٠٠"),
    ("phone", "¹³⁸⁰⁰¹³⁸⁰⁰⁰"),
    ("phone", "138O0138OOO"),
    ("phone", "13800138000.0"),
    ("phone", "1.38001E+10"),
    ("phone", "010-62345678转123"),
    ("phone", "tel:95588;phone-context=+86"),
    ("phone", "tel:+86-138-0013-8000"),
    ("phone", "8613800138000"),
    ("phone", "0086 13800138000"),
    ("phone", "+86 (0)10 6234 5678"),
    ("phone", "00852 5123 4567"),
    ("phone", "+8614000088285"),
    ("phone", "1064812345678"),
    ("bank_card", "6222021234567890128"),
    ("bank_card", "6222021234567890129"),
    ("bank_card", "４１１１ １１１１ １１１１ １１１１"),
    ("iccid", "89860012345678901234"),
    ("iccid", "8986001234567890120F"),
    ("imei", "352099001761481"),
    ("imei", "35-209900-176148-1"),
    ("idcard", "11010519491231002X"),
    ("idcard", "11010519491231002x"),
    ("idcard.validate_uscc", "91350100M000100Y43"),
    ("bank_account", "6222 0211 2345 6789 01"),
    ("bank_account", "GB82 WEST 1234 5698 7654 32"),
    ("account.validate_bic", "ICBKCNBJ"),
    ("account.validate_bic", "ICBKXXBJ"),
    ("payment_account", "alipay:138 0013 8000"),
    ("payment_account", "微信支付：wxid_Abc123"),
    ("payment_account", "paypal:Fraud.Desk@Example.COM"),
]

_PHONE_KINDS = ("phone", "phone.validate")


def _validators() -> dict[str, Callable[[object], str]]:
    """Identifier kinds and ``module.function`` names -> this library's validators."""
    from antifraud_common import account, card, iccid, idcard, imei, phone

    funcs: dict[str, Callable[[object], str]] = {
        "phone": phone.validate,
        "bank_card": card.validate,
        "iccid": iccid.validate,
        "imei": imei.validate,
        "idcard": idcard.validate,
        "bank_account": account.validate,
        "payment_account": account.validate_payment_account,
    }
    for module in (account, card, iccid, idcard, imei, phone):
        short = module.__name__.rsplit(".", 1)[1]
        for name in ("validate", "validate_bic", "validate_payment_account", "validate_ric"):
            if hasattr(module, name):
                funcs[f"{short}.{name}"] = getattr(module, name)
    funcs["idcard.validate_uscc"] = idcard.validate_uscc
    return funcs


def _cn_numbers() -> Iterator[str]:
    """Chinese numbers of every block, in several written forms (deterministic)."""
    for p in range(100, 200):
        for tail in ("00138000", "12345678", "99999999", "05001234"):
            nsn = f"{p}{tail}"
            yield nsn
            yield "+86" + nsn
    for p in range(1400, 1500):
        yield f"{p}012345678"  # 13-digit 14xx
        yield f"+86{p}987654321"
    for p in range(1060, 1070):
        for n in range(5, 21):
            yield (str(p) + "0123456789012345678")[:n]
    for area in ("10", "20", "21", "311", "351", "571", "755", "851", "898", "991", "335"):
        yield f"0{area}62345678"
        yield f"0{area}2345678"
        yield f"+86{area}62345678"
    for short in ("95588", "95533", "96110", "10086", "12321", "12110", "110", "119", "120"):
        yield short
        yield "+86" + short
        yield "0" + short
    yield from ("4001234567", "8001234567", "108001234567", "16012345", "17951138001380")
    yield from ("+85251234567", "+886912345678", "+12025550123", "+447911123456")


def _char_sample() -> list[int]:
    from antifraud_common import _text

    classes = _text._classes()
    points = set(classes.starts) | set(range(0, 0x110000, STRIDE)) | set(EXTRA_CHARS)
    return sorted(points)


def corpus() -> list[tuple[str, str]]:
    """(kind, input) pairs, in a fixed order."""
    items: list[tuple[str, str]] = list(NAMED)
    items += [("phone", n) for n in _cn_numbers()]
    for cp in _char_sample():
        ch = chr(cp)
        items.append(("phone", f"138{ch}0013{ch}8000"))
        items.append(("bank_card", f"6222{ch}0212 3456 7890 128"))
        items.append(("idcard", f"110105{ch}19491231002X"))
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def verdicts() -> dict[str, Any]:
    from antifraud_common import phone
    from antifraud_common.errors import AntifraudError

    funcs = _validators()
    out: dict[str, Any] = {}
    for kind, raw in corpus():
        key = f"{kind} {raw.encode('unicode_escape').decode('ascii')}"
        try:
            value: Any = funcs[kind](raw)
        except AntifraudError as e:
            out[key] = ["error", e.code]
            continue
        verdict: list[Any] = ["ok", value]
        if kind in _PHONE_KINDS:
            info = phone.classify(raw)
            cn = info.country_code == 86
            verdict += [
                info.kind.value,
                sorted(f.value for f in info.flags),
                info.allocated_carrier if cn else None,
                info.plan_version,
            ]
        out[key] = verdict
    return out


def environment() -> dict[str, str]:
    env = {"python": platform.python_version(), "unicodedata": ""}
    import unicodedata

    env["unicodedata"] = unicodedata.unidata_version
    for dist in ("attrs", "phonenumbers", "python-stdnum", "cryptography"):
        try:
            env[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - a broken installation
            env[dist] = "missing"
    return env


def dump() -> dict[str, Any]:
    v = verdicts()
    digest = hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()
    return {"environment": environment(), "count": len(v), "sha256": digest, "verdicts": v}


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8"
    )


def differences(a: dict[str, Any], b: dict[str, Any], limit: int = 20) -> list[str]:
    """Human-readable differences between two dumps' verdicts (at most ``limit``)."""
    va, vb = a["verdicts"], b["verdicts"]
    out = []
    for key in sorted(set(va) | set(vb)):
        if va.get(key) != vb.get(key):
            out.append(f"{key}: {va.get(key)} != {vb.get(key)}")
            if len(out) >= limit:
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_dump = sub.add_parser("dump")
    p_dump.add_argument("out", type=Path)
    p_cmp = sub.add_parser("compare")
    p_cmp.add_argument("dumps", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "dump":
        doc = dump()
        _write(args.out, doc)
        print(f"{doc['count']} verdicts, sha256 {doc['sha256']}: {doc['environment']}")
        return 0
    if args.command == "compare":
        if len(args.dumps) < 2:
            parser.error("compare needs at least two dumps")
        docs = [json.loads(p.read_text(encoding="utf-8")) for p in args.dumps]
        failed = False
        for path, doc in zip(args.dumps[1:], docs[1:], strict=True):
            diff = differences(docs[0], doc)
            if diff:
                failed = True
                print(f"{args.dumps[0]} and {path} differ:", *diff, sep="\n  ")
        for path, doc in zip(args.dumps, docs, strict=True):
            print(f"{path}: {doc['count']} verdicts, sha256 {doc['sha256']}, {doc['environment']}")
        print("verdicts differ" if failed else "verdicts identical")
        return 1 if failed else 0
    return 0  # pragma: no cover - argparse allows only the commands above


if __name__ == "__main__":
    sys.exit(main())
