"""``antifraud pseudo keygen | convert | sign | check``: pseudonymised lists (keyed HMAC).

* ``keygen --domain D --out FILE`` writes a new secret domain key (mode 0600);
* ``convert LIST.jsonl --key FILE --out OUT.jsonl`` checks a plain entries file and
  writes its pseudonymised form;
* ``sign OUT.jsonl --domain-key FILE --key KEY.pem ...`` signs it like ``antifraud
  sign`` (same options), naming the domain key in the manifest;
* ``check --key FILE --list OUT.jsonl VALUE...`` validates each value, computes its
  HMAC and looks it up; with ``--trust`` the list's signature, scope, expiry and
  key check are verified first (without it the output says ``verified: false``).

Exit status as for ``antifraud check``: 0 every value valid, 1 a value is invalid
or the list failed verification, 2 usage (bad key file ...), 3 internal error.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from antifraud_common._files import open_input
from antifraud_common.cli._check import mask_input
from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    KINDS,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    failed,
    file_size,
    kind_type,
    load_trust_of,
    need_input,
    out,
    progress_for,
    read_sig,
    sig_file,
    trust_sig_option,
)
from antifraud_common.cli._lists import (
    allow_protected_option,
    fail_check,
    parse_allowed,
    parse_when,
    read_signing,
    sign_snapshot,
    signing_options,
)
from antifraud_common.errors import AntifraudError, BlacklistFormatError, ConfigurationError

_KINDS = ("auto", *KINDS)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "pseudo",
        help="pseudonymised lists: keyed hashes (HMAC-SHA-256) instead of identifiers",
        description=(
            "Make, sign and query lists whose identifiers are replaced by "
            "HMAC-SHA-256(domain key, canonical value). The domain key is a secret: "
            "anyone holding it can test any number against the list."
        ),
    )
    ps = p.add_subparsers(dest="pseudo_command", metavar="ACTION", required=True)

    k = add_command(
        ps,
        "keygen",
        run_keygen,
        help="write a new secret domain key (mode 0600)",
        description="Write a new secret domain key for a sharing domain (mode 0600).",
        epilog="example: antifraud pseudo keygen --domain cn-banks-2026 --out domain.key",
    )
    k.add_argument("--domain", required=True, help="sharing domain, e.g. cn-banks-2026")
    k.add_argument("--key-id", help="key id (default: 16 hex digits of the key check value)")
    add_output(k, "--out", required=True, metavar="FILE", help="the key file to write")

    c = add_command(
        ps,
        "convert",
        run_convert,
        help="check a plain entries file and write its pseudonymised form",
        description=(
            "Check LIST as a receiver would (canonical, sorted, valid, no protected "
            "identifier unless --allow-protected names it), then write OUT with each "
            "value replaced by its HMAC under the domain key."
        ),
    )
    c.epilog = (
        "example: antifraud pseudo convert fraud.jsonl --key domain.key --out fraud.pseudo.jsonl"
    )
    c.add_argument("entries", type=Path, metavar="LIST.jsonl", help="the plain entries file")
    c.add_argument("--key", required=True, type=Path, metavar="FILE", help="domain key file")
    add_output(c, "--out", required=True, metavar="OUT.jsonl", help="the file to write")
    allow_protected_option(c)

    s = add_command(
        ps,
        "sign",
        run_sign,
        help="sign a pseudonymised entries file (like `antifraud sign`)",
        description="Check OUT.jsonl, then sign its manifest naming the domain key.",
    )
    s.epilog = (
        "example: antifraud pseudo sign fraud.pseudo.jsonl --domain-key domain.key --key "
        "mps.pem --issuer mps --list-id fraud-phones --list-type fraud_numbers "
        "--list-version 1 --expires 7d"
    )
    s.add_argument("entries", type=Path, metavar="OUT.jsonl", help="the pseudonymised file")
    s.add_argument("--domain-key", required=True, type=Path, metavar="FILE",
                   help="the domain key file")  # fmt: skip
    signing_options(s)
    add_output(s, "--out", metavar="FILE.sig", help="default: OUT.jsonl.sig")

    q = add_command(
        ps,
        "check",
        run_check,
        help="look values up in a pseudonymised list",
        description=(
            "Validate each VALUE like `antifraud check`, compute its HMAC with the domain "
            "key and look it up. With --trust the list is verified first."
        ),
    )
    q.epilog = (
        "example: antifraud pseudo check --key domain.key --list fraud.pseudo.jsonl "
        "--trust trust.json 13800138000"
    )
    q.add_argument("values", nargs="+", metavar="VALUE", help="the identifiers to look up")
    q.add_argument("--key", required=True, type=Path, metavar="FILE", help="domain key file")
    q.add_argument("--list", required=True, type=Path, metavar="OUT.jsonl",
                   help="the pseudonymised list")  # fmt: skip
    q.add_argument("--sig", type=Path, metavar="FILE.sig", help="default: LIST.sig")
    q.add_argument("--trust", type=Path, metavar="trust.json", help="verify the list first")
    trust_sig_option(q)
    q.add_argument("--kind", type=kind_type(_KINDS), choices=_KINDS, default="auto", metavar="KIND",
                   help=f"identifier kind: {', '.join(_KINDS)} (default auto; card = "
                   "bank_card)")  # fmt: skip
    q.add_argument("--region", default="CN", help="default region for national phone numbers")
    q.add_argument("--now", help="YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (default: the clock)")


def _load_key(path: Path) -> Any:
    from antifraud_common.exchange.pseudonym import DomainKey

    need_input(path, "domain key file")
    try:
        return DomainKey.load(path)
    except ConfigurationError as e:
        raise UsageError(f"{e.code}: {e.message}", code=e.code) from e


def run_keygen(args: argparse.Namespace) -> int:
    from antifraud_common.exchange.pseudonym import DomainKey

    try:
        key = DomainKey.generate(domain=args.domain, key_id=args.key_id)
        key.save(args.out, overwrite=args.force)
    except ConfigurationError as e:
        raise UsageError(f"{e.code}: {e.message}", code=e.code) from e
    info = {"out": str(args.out), **key.pseudonym.to_dict()}
    if args.json:
        emit_json("pseudo keygen", True, info)
    else:
        out(
            f"domain key {key.key_id} for {key.domain} written to {args.out} (mode 0600); "
            f"key check {key.key_check}"
        )
    return EXIT_OK


def run_convert(args: argparse.Namespace) -> int:
    from antifraud_common.exchange.pseudonym import convert_entries_file

    key = _load_key(args.key)
    need_input(args.entries, "entries file")
    progress = progress_for(args, "pseudo convert: checking", total=file_size(args.entries))
    try:
        summary = convert_entries_file(
            args.entries,
            args.out,
            key,
            allow_protected=parse_allowed(args.allow_protected),
            progress=progress.update,
        )
    except AntifraudError as e:
        return fail_check(args, e)
    finally:
        progress.close()
    if args.json:
        emit_json(
            "pseudo convert",
            True,
            {"out": str(args.out), **summary.to_dict(), "pseudonym": key.pseudonym.to_dict()},
        )
    else:
        out(
            f"{args.out}: {summary.entry_count} pseudonymised entries (domain {key.domain}, "
            f"key {key.key_id}), sha256 {summary.sha256}"
        )
    return EXIT_OK


def run_sign(args: argparse.Namespace) -> int:
    key = _load_key(args.domain_key)
    return sign_snapshot(
        args,
        read_signing(args),
        pseudonym=key.pseudonym,
        entries=f"pseudonymised entries (domain {key.domain})",
    )


def _unverified_index(args: argparse.Namespace, key: Any) -> Any:
    from antifraud_common.exchange.pseudonym import (
        PseudonymisedEntry,
        check_key,
        check_pseudonymised_entries,
    )
    from antifraud_common.exchange.signing import read_manifest
    from antifraud_common.index.pseudonym import PseudonymIndex

    sig = sig_file(args.list, args.sig)
    expires = None
    list_id, issuer = args.list.name, "unknown"
    if sig.exists():
        manifest = read_manifest(read_sig(sig))
        if manifest.pseudonym is None:
            raise BlacklistFormatError(
                f"{args.list} is a plain list, not a pseudonymised one", code="not_pseudonymised"
            )
        check_key(manifest.pseudonym, key)
        expires, list_id, issuer = manifest.expires, manifest.list_id, manifest.issuer
    else:
        err(
            f"warning: no signature file {sig}: the key cannot be checked against the list "
            "(a wrong key would only give misses)"
        )
    check_pseudonymised_entries(args.list)
    with open_input(args.list) as f:
        records = [
            (issuer, list_id, expires, PseudonymisedEntry.from_dict(json.loads(line))) for line in f
        ]
    return PseudonymIndex.build(records, key=key)


def run_check(args: argparse.Namespace) -> int:
    from antifraud_common.exchange.pseudonym import verify_pseudonymised_list
    from antifraud_common.index.pseudonym import PseudonymIndex

    key = _load_key(args.key)
    need_input(args.list, "list file")
    now = parse_when(args.now) if args.now else datetime.now(UTC)
    verified_info: dict[str, Any] = {"verified": False}
    try:
        if args.trust is not None:
            trust = load_trust_of(args, now)
            sig = sig_file(args.list, args.sig)
            with verify_pseudonymised_list(args.list, sig, trust=trust, key=key, now=now) as v:
                index = PseudonymIndex.from_verified([v], key=key)
                verified_info = {
                    "verified": True,
                    "manifest": v.manifest.to_dict(),
                    "signers": list(v.signers),
                }
        else:
            index = _unverified_index(args, key)
    except ConfigurationError as e:
        return failed(args, e)
    except AntifraudError as e:
        return fail_check(args, e)
    if not verified_info["verified"]:
        err("warning: the list's signature was NOT verified (give --trust to verify it)")
    results: list[dict[str, Any]] = []
    for raw in args.values:
        kind = None if args.kind == "auto" else args.kind
        found = index.check(raw, kind=kind, region=args.region, now=now)
        results.append({"input": mask_input(raw), **found.to_dict()})
    ok = all(r["valid"] for r in results)
    listed = sum(bool(r.get("listed")) for r in results)
    error = None
    if not ok:
        bad = sum(not r["valid"] for r in results)
        error = {"code": "invalid_value", "message": f"{bad} of {len(results)} not valid"}
    elif listed:
        error = {"code": "listed", "message": f"{listed} of {len(results)} listed"}
    if args.json:
        emit_json("pseudo check", ok, {**verified_info, "results": results, "error": error})
    else:
        for r in results:
            if not r["valid"]:
                out(f"invalid  {r['input']}: {r['error']['code']}: {r['error']['message']}")
            elif r["listed"]:
                who = ", ".join(sorted({f"{m['issuer']}/{m['list_id']}" for m in r["matches"]}))
                out(f"LISTED   {r['value']}: {r['action'].upper()} ({who})")
            else:
                out(f"not listed {r['value']}")
    return EXIT_OK if error is None else EXIT_FAILED
