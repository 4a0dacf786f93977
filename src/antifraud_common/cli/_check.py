"""``antifraud check``: validate and classify identifiers given on the command line."""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Callable
from typing import Any

from antifraud_common.cli._common import EXIT_FAILED, EXIT_OK, emit_json, out
from antifraud_common.errors import (
    AntifraudError,
    InvalidChecksumError,
    InvalidFormatError,
    ValidationError,
)

KINDS = ("auto", "phone", "card", "account", "iccid", "imei", "idcard")
#: The order ``--kind auto`` tries; the first kind that accepts the value wins.
AUTO_ORDER = ("phone", "card", "iccid", "imei", "idcard", "account")

_DIGIT_RUN = re.compile(r"\d")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="validate and classify phone numbers, cards, accounts, ICCIDs, IMEIs, IDs",
        description=(
            "Validate each VALUE, print its canonical form and classification. "
            "Exit 0 when all are valid, 1 when any is invalid."
        ),
    )
    p.add_argument("values", nargs="+", metavar="VALUE")
    p.add_argument("--kind", choices=KINDS, default="auto", help="identifier kind (default auto)")
    p.add_argument("--region", default="CN", help="default region for national phone numbers")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(func=run)


def mask_input(raw: str) -> str:
    """Mask an echoed input that holds 12 or more digits (it may be a card number).

    >>> mask_input("6222 0212 3456 7890 123")
    '6222 02** **** ***0 123'
    >>> mask_input("138 0013 8000")
    '138 0013 8000'
    """
    positions = [m.start() for m in _DIGIT_RUN.finditer(raw)]
    if len(positions) < 12:
        return raw
    hidden = set(positions[6:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(raw))


def _describer(kind: str, region: str) -> Callable[[str], Any]:
    if kind == "phone":
        from antifraud_common import phone

        return lambda raw: phone.classify(raw, region=region)
    module = importlib.import_module(f"antifraud_common.{kind}")
    info: Callable[[str], Any] = module.info
    return info


def describe(raw: str, kind: str, region: str = "CN") -> dict[str, Any]:
    """Return the JSON result object for one value (see docs/cli.md)."""
    result: dict[str, Any] = {"input": mask_input(raw)}
    tried = AUTO_ORDER if kind == "auto" else (kind,)
    errors: list[tuple[str, AntifraudError]] = []
    for k in tried:
        try:
            info = _describer(k, region)(raw)
        except ValidationError as e:
            errors.append((k, e))
            if isinstance(e, InvalidChecksumError):
                # The value had this kind's exact shape but a wrong check digit: never
                # let a later, checksum-free kind (a bank account) accept it instead.
                break
            continue
        result.update({"valid": True, "kind": k, "info": info.to_dict()})
        return result
    # A checksum or component error means the value had the shape of that kind:
    # report it rather than the format error of a kind tried earlier.
    best_kind, best = next(
        ((k, e) for k, e in errors if not isinstance(e, InvalidFormatError)), errors[0]
    )
    result.update({"valid": False, "kind": best_kind, "error": best.to_dict()})
    return result


def run(args: argparse.Namespace) -> int:
    results = [describe(v, args.kind, args.region) for v in args.values]
    ok = all(r["valid"] for r in results)
    if args.json:
        emit_json("check", ok, {"results": results})
    else:
        for r in results:
            if r["valid"]:
                info = r["info"]
                value = info.get("value", "")
                extra = info.get("kind") or info.get("scheme") or info.get("type") or ""
                out(f"valid    {r['kind']:<8} {value}  {extra}".rstrip())
            else:
                e = r["error"]
                out(f"invalid  {r['input']}  [{e['code']}] {e['message']}")
    return EXIT_OK if ok else EXIT_FAILED
