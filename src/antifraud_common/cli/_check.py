"""``antifraud check``: validate and classify identifiers given on the command line."""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from antifraud_common import kinds
from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    KIND_ALIASES,
    add_command,
    emit_json,
    fail,
    kind_type,
    out,
    state_option,
)
from antifraud_common.errors import (
    AntifraudError,
    InvalidFormatError,
    ValidationError,
)

#: The kinds ``check`` validates: the entries-file kind names, and ``idcard``.
CHECK_KINDS = ("phone", "bank_card", "bank_account", "iccid", "imei", "idcard")
KINDS = ("auto", *CHECK_KINDS)
#: The order ``--kind auto`` tries: the library's own order
#: (:data:`antifraud_common.kinds.AUTO_ORDER`), then ``idcard``, which no list holds.
AUTO_ORDER = (*(k.value for k in kinds.AUTO_ORDER), "idcard")
#: The module holding each kind's ``info``.
_MODULES = {"bank_card": "card", "bank_account": "account", "payment_account": "account"}

_DIGIT_RUN = re.compile(r"\d")


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "check",
        run,
        help="validate and classify phone numbers, cards, accounts, ICCIDs, IMEIs, IDs",
        description=(
            "Validate each VALUE, print its canonical form and classification. With "
            "--state or --index also say whether each value is listed.\n"
            "Exit 0 when all are valid (and none is listed), 1 when any is invalid or "
            "listed (error.code invalid_value or listed)."
        ),
        epilog=(
            'example: antifraud check "138 0013 8000" 6222021234567890128 --json\n'
            "example: antifraud check --state /var/lib/antifraud 13800138000"
        ),
    )
    p.add_argument("values", nargs="+", metavar="VALUE", help="the identifiers to check")
    p.add_argument(
        "--kind",
        type=kind_type(KINDS),
        choices=KINDS,
        default="auto",
        metavar="KIND",
        help=(
            f"identifier kind: {', '.join(KINDS)} (default auto; "
            + ", ".join(f"{a} = {k}" for a, k in KIND_ALIASES.items())
            + " accepted)"
        ),
    )
    p.add_argument("--region", default="CN", help="default region for national phone numbers")
    source = p.add_mutually_exclusive_group()
    state_option(
        source,
        required=False,
        help="also look each value up in the verified lists of this receiver state",
    )
    source.add_argument(
        "--index", type=Path, metavar="FILE", help="look values up in a saved index file"
    )


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
    module = importlib.import_module(f"antifraud_common.{_MODULES.get(kind, kind)}")
    info: Callable[[str], Any] = module.info
    return info


def _described(result: dict[str, Any], kind: str, raw: str, region: str) -> dict[str, Any]:
    try:
        info = _describer(kind, region)(raw)
    except ValidationError as e:
        result.update({"valid": False, "kind": kind, "error": e.to_dict()})
    else:
        result.update({"valid": True, "kind": kind, "info": info.to_dict()})
    return result


def describe(raw: str, kind: str, region: str = "CN") -> dict[str, Any]:
    """Return the JSON result object for one value (see docs/cli.md).

    With ``kind="auto"`` the kind is the one the library's lookups use
    (:func:`antifraud_common.kinds.detect`), so the kind printed is the kind a
    ``--state`` lookup searches; only when no list kind accepts the value is it
    tried as a resident ID number (``idcard``), which no list holds.
    """
    result: dict[str, Any] = {"input": mask_input(raw)}
    if kind != "auto":
        return _described(result, kind, raw, region)
    found = kinds.detect(raw, region=region)
    if found.value is not None and found.kind is not None:
        return _described(result, found.kind.value, raw, region)
    try:
        info = _describer("idcard", region)(raw)
    except ValidationError as e:
        # A checksum or component error means the value had the shape of that kind:
        # report it rather than a format error (see kinds.detect).
        use_id = found.error is None or (
            isinstance(found.error, InvalidFormatError) and not isinstance(e, InvalidFormatError)
        )
        best_kind = "idcard" if use_id or found.kind is None else found.kind.value
        best: AntifraudError = e if use_id or found.error is None else found.error
        result.update({"valid": False, "kind": best_kind, "error": best.to_dict()})
        return result
    result.update({"valid": True, "kind": "idcard", "info": info.to_dict()})
    return result


def _lookup(args: argparse.Namespace) -> list[dict[str, Any]] | None:
    """Look every value up in the receiver state or index file, if one was given."""
    if args.state is None and args.index is None:
        return None
    from antifraud_common.index import Index

    if args.index is not None:
        index = Index.open(args.index)
    else:
        from antifraud_common.cli._state import open_for_lookup
        from antifraud_common.index import StateIndex

        with open_for_lookup(args.state) as state, StateIndex.follow(state) as followed:
            index = followed.index
    kind = None if args.kind in {"auto", "idcard"} else args.kind
    now = datetime.now(UTC)
    return [index.check(v, kind=kind, region=args.region, now=now).to_dict() for v in args.values]


def _listing(found: dict[str, Any]) -> str:
    if not found["listed"]:
        why = ", ".join(sorted({i["ignored_because"] for i in found.get("ignored", [])}))
        return "not listed" + (f" (entries not in force: {why})" if why else "")
    issuers = ", ".join(sorted({f"{m['issuer']}/{m['list_id']}" for m in found["matches"]}))
    return f"LISTED: {found['action'].upper()} ({len(found['matches'])} entries: {issuers})"


def run(args: argparse.Namespace) -> int:
    results = [describe(v, args.kind, args.region) for v in args.values]
    ok = all(r["valid"] for r in results)
    try:
        lookups = _lookup(args)
    except AntifraudError as e:
        emit_json("check", False, {"results": results})
        return fail(args, e, status=EXIT_FAILED)
    listed = 0
    if lookups is not None:
        for r, found in zip(results, lookups, strict=True):
            r["lookup"] = found
            listed += bool(found.get("listed"))
    invalid = sum(not r["valid"] for r in results)
    error = None
    if invalid:
        error = {"code": "invalid_value", "message": f"{invalid} of {len(results)} not valid"}
    elif listed:
        error = {"code": "listed", "message": f"{listed} of {len(results)} listed"}
    if args.json:
        emit_json("check", ok, {"results": results, "error": error})
    else:
        for r in results:
            if r["valid"]:
                info = r["info"]
                value = info.get("value", "")
                extra = info.get("kind") or info.get("scheme") or info.get("type") or ""
                if "card_range" in info.get("flags", ()):
                    extra += " (in a card range: as a card number its check digit fails)"
                out(f"valid    {r['kind']:<8} {value}  {extra}".rstrip())
                if "lookup" in r:
                    out("         " + _listing(r["lookup"]))
            else:
                problem = r["error"]
                out(f"invalid  {r['input']}  [{problem['code']}] {problem['message']}")
    return EXIT_OK if error is None else EXIT_FAILED
