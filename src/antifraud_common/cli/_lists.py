"""``antifraud sign | co-sign | verify | validate | inspect``: signed blacklist files."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    check_output,
    command_name,
    emit_json,
    err,
    fail,
    file_size,
    load_trust_of,
    need_input,
    out,
    parse_kind,
    progress_for,
    read_sig,
    read_trust,
    sig_file,
    state_option,
    trust_option,
    trust_sig_option,
    warn_deprecated,
)
from antifraud_common.cli._keys import load_signer
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ModelError,
    StateError,
    UntrustedBlacklistError,
    ValidationError,
)
from antifraud_common.exchange.delta import sign_delta
from antifraud_common.exchange.entries import validate_entries_file
from antifraud_common.exchange.signing import (
    MANIFEST_TYP,
    ListRelease,
    SignOptions,
    co_sign,
    read_manifest,
    sign_list_with_manifest,
    verify_list_report,
)
from antifraud_common.exchange.trust import TrustBundle
from antifraud_common.format import jws
from antifraud_common.format.keys import LocalSigner
from antifraud_common.models import parse_timestamp

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: Longer than any date this library can represent (years 1-9999).
_MAX_DURATION_SECONDS = 10_000 * 366 * 86400
#: Errors that mean "the check failed" (exit 1) rather than a usage problem.
CHECK_FAILED = (UntrustedBlacklistError, BlacklistFormatError, ValidationError, StateError)


_TIME_HELP = "YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (midnight UTC)"
ALLOW_HELP = (
    "KIND:VALUE of a protected number (an emergency or bank service line) this list "
    "names on purpose; repeatable"
)


def allow_protected_option(p: argparse.ArgumentParser) -> None:
    """``--allow-protected KIND:VALUE`` (repeatable), read by :func:`parse_allowed`."""
    p.add_argument(
        "--allow-protected", action="append", default=[], metavar="KIND:VALUE", help=ALLOW_HELP
    )


def signing_options(s: argparse.ArgumentParser) -> None:
    """The options ``sign`` and ``pseudo sign`` share."""
    from antifraud_common.cli._common import list_types_help

    s.add_argument(
        "--key", action="append", required=True, type=Path, metavar="KEY.pem",
        help="private signing key (repeat for k-of-n)",
    )  # fmt: skip
    s.add_argument("--issuer", required=True, help="the publishing member's agency id")
    s.add_argument("--list-id", required=True, help="the list's id, e.g. fraud-phones")
    s.add_argument("--list-type", required=True, help=f"the list type ({list_types_help()})")
    version = s.add_mutually_exclusive_group(required=True)
    version.add_argument(
        "--list-version", type=int, metavar="N", help="the list's version (1, 2, ...)"
    )
    version.add_argument(
        "--version", dest="old_version", type=int, metavar="N",
        help="deprecated spelling of --list-version",
    )  # fmt: skip
    s.add_argument("--expires", required=True, help=f"{_TIME_HELP}, or a duration like 12h, 7d")
    s.add_argument("--issued-at", help=f"{_TIME_HELP} (default now)")
    allow_protected_option(s)
    s.add_argument("--trust", type=Path, metavar="trust.json",
                   help="also check the issuer's scope in this bundle")  # fmt: skip


def signed_list_arguments(p: argparse.ArgumentParser, *, help: str) -> None:
    """``ENTRIES`` and its ``--sig`` (default ``ENTRIES.sig``): the list a command verifies."""
    p.add_argument("entries", type=Path, metavar="ENTRIES", help=help)
    p.add_argument("--sig", type=Path, metavar="FILE.sig", help="default: ENTRIES.sig")


def verification_options(
    p: argparse.ArgumentParser, *, state_help: str, state_required: bool = True, now_help: str
) -> None:
    """The options of the commands that verify a list: trust, state and clock."""
    trust_option(p)
    trust_sig_option(p)
    state_option(p, required=state_required, help=state_help)
    p.add_argument("--now", help=now_help)
    p.add_argument("--grace", help="accept an expired list for this long (e.g. 6h, 2d)")


def verification_time(args: argparse.Namespace) -> tuple[datetime, timedelta | None]:
    """The ``--now`` (default: the clock) and ``--grace`` (default: none) of a verifying command."""
    now = parse_when(args.now) if args.now else datetime.now(UTC)
    grace = parse_duration(args.grace) if args.grace else None
    return now, grace


def list_version(args: argparse.Namespace) -> int:
    """``--list-version``, or the deprecated ``--version`` with a warning."""
    if args.list_version is not None:
        return int(args.list_version)
    warn_deprecated("sign --version N", "--list-version N")
    return int(args.old_version)


def register(sub: Any) -> None:
    s = add_command(
        sub,
        "sign",
        run_sign,
        help="check an entries file and write its signature file (NAME.jsonl.sig)",
        description=(
            "Check ENTRIES as a receiver would, then sign its manifest (JWS). With "
            "--delta-from, write and sign the delta from the previous snapshot instead. "
            "An existing signature file is replaced only with --force."
        ),
        epilog=(
            "example: antifraud sign fraud.jsonl --key mps.pem --issuer mps --list-id "
            "fraud-phones --list-type fraud_numbers --list-version 1 --expires 7d"
        ),
    )
    s.add_argument("entries", type=Path, metavar="ENTRIES", help="the entries file (JSON Lines)")
    signing_options(s)
    s.add_argument("--minisign", type=Path, metavar="KEY.pem",
                   help="also write ENTRIES.minisig with this Ed25519 key")  # fmt: skip
    add_output(s, "--out", metavar="FILE.sig", help="the signature file (default: ENTRIES.sig)")
    s.add_argument(
        "--delta-from",
        type=Path,
        metavar="OLD.jsonl",
        help="sign a delta from this previous snapshot to ENTRIES instead of the snapshot",
    )
    s.add_argument("--base-version", type=int, metavar="N", help="the version of --delta-from")
    add_output(s, "--delta-out", metavar="DELTA.jsonl", help="default: ENTRIES.delta.jsonl")

    c = add_command(
        sub,
        "co-sign",
        run_co_sign,
        help="add a signature to a list's signature file",
        description="Add this key's signature to SIG (k-of-n co-signing); SIG is edited in place.",
        epilog="example: antifraud co-sign stop-payment.jsonl.sig --key pbc.pem",
    )
    c.add_argument("sig", type=Path, metavar="SIG", help="the signature file to add to")
    c.add_argument("--key", required=True, type=Path, metavar="KEY.pem", help="private key")

    v = add_command(
        sub,
        "verify",
        run_verify,
        help="verify a signed list against a trust bundle",
        description=(
            "Run every check (signatures, scope, expiry, state, hash, lines) in the "
            "documented order and report every problem."
        ),
        epilog="example: antifraud verify fraud.jsonl --trust trust.json --state /srv/state",
    )
    signed_list_arguments(v, help="the entries file")
    verification_options(
        v,
        state_help="check rollback and fork against this receiver state",
        state_required=False,
        now_help=f"verify as of {_TIME_HELP} (default: the clock)",
    )
    v.add_argument("--max-problems", type=int, default=100, metavar="N",
                   help="stop after N problems (default 100)")  # fmt: skip

    a = add_command(
        sub,
        "validate",
        run_validate,
        help="check entries files (format, identifiers, order) without signatures",
        description="Check entries files as `sign` would, without signing: for CI hooks.",
        epilog="example: antifraud validate lists/*.jsonl --allow-protected phone:+86110",
    )
    a.add_argument("files", nargs="+", type=Path, metavar="FILE", help="entries files")
    allow_protected_option(a)
    a.add_argument("--max-problems", type=int, default=100, metavar="N",
                   help="stop after N problems per file (default 100)")  # fmt: skip

    i = add_command(
        sub,
        "inspect",
        run_inspect,
        help="show a signature file's manifest and signers (unverified)",
        description="Show the manifest and signers of FILE.sig, marked NOT VERIFIED.",
        epilog="example: antifraud inspect fraud.jsonl.sig --json",
    )
    i.add_argument("sig", type=Path, metavar="FILE.sig", help="the signature file")


# ------------------------------------------------------------------ helpers


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``15m``, ``12h``, ``7d``, ``2w`` or combinations like ``1d12h``.

    >>> parse_duration("1d12h")
    datetime.timedelta(days=1, seconds=43200)
    """
    pos, total = 0, 0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise UsageError(f"bad duration {text!r} (e.g. 90s, 15m, 12h, 7d, 2w)")
    if total > _MAX_DURATION_SECONDS:
        raise UsageError(f"duration {text!r} is longer than 10,000 years")
    return timedelta(seconds=total)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_when(text: str, *, base: datetime | None = None) -> datetime:
    if _DATE.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise UsageError(f"bad date {text!r}: expected YYYY-MM-DD") from None
    if text[:1].isdigit() and "T" in text:
        try:
            return parse_timestamp(text)
        except ModelError as e:
            raise UsageError(f"bad time {text!r}: {e.message}") from e
    if base is None:
        raise UsageError(f"bad time {text!r}: expected YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD")
    try:
        return base + parse_duration(text)
    except OverflowError:
        raise UsageError(f"bad time {text!r}: beyond the year 9999") from None


def parse_allowed(items: list[str]) -> list[tuple[str, str]]:
    out_: list[tuple[str, str]] = []
    for item in items:
        kind, sep, value = item.partition(":")
        if not sep or not value:
            raise UsageError(f"bad --allow-protected {item!r}: KIND:VALUE")
        out_.append((parse_kind(kind, option="--allow-protected"), value))
    return out_


def fail_check(args: argparse.Namespace, e: AntifraudError) -> int:
    """Report ``e``: exit 1 when a check failed (:data:`CHECK_FAILED`), else its own status."""
    return fail(args, e, status=EXIT_FAILED if isinstance(e, CHECK_FAILED) else None)


@dataclass(frozen=True)
class Signing:
    """What the signing options (:func:`signing_options`) give, read and checked."""

    issued: datetime
    expires: datetime
    signers: list[LocalSigner]
    trust: TrustBundle | None
    minisign_key: Ed25519PrivateKey | None = None


def read_signing(args: argparse.Namespace, *, minisign: Path | None = None) -> Signing:
    """Read the signing options of ``args`` (and the ``minisign`` key file, if any).

    Also sets ``args.version`` and refuses a missing ``args.entries``.
    """
    now = datetime.now(UTC)
    issued = parse_when(args.issued_at) if args.issued_at else now
    expires = parse_when(args.expires, base=issued)
    signers = [load_signer(p) for p in args.key]
    minisign_key = None
    if minisign is not None:
        key = load_signer(minisign).private_key
        if not isinstance(key, Ed25519PrivateKey):
            raise UsageError("a minisign key must be an Ed25519 key")
        minisign_key = key
    trust = TrustBundle.from_bytes(read_trust(args.trust)) if args.trust else None
    args.version = list_version(args)
    need_input(args.entries, "entries file")
    return Signing(issued, expires, signers, trust, minisign_key)


def sign_snapshot(
    args: argparse.Namespace,
    signing: Signing,
    *,
    pseudonym: Any = None,
    entries: str = "entries",
) -> int:
    """Check and sign the snapshot ``args.entries``; report it as ``N {entries}``."""
    command = command_name(args)
    check_output(sig_file(args.entries, args.out), args)
    if signing.minisign_key is not None:
        check_output(args.entries.with_name(f"{args.entries.name}.minisig"), args)
    progress = progress_for(args, f"{command}: checking", total=file_size(args.entries))
    try:
        release = ListRelease(
            issuer=args.issuer,
            list_id=args.list_id,
            list_type=args.list_type,
            version=args.version,
            expires=signing.expires,
            issued_at=signing.issued,
        )
        options = SignOptions(
            out=args.out,
            allow_protected=parse_allowed(args.allow_protected),
            trust=signing.trust,
            minisign_key=signing.minisign_key,
            pseudonym=pseudonym,
            progress=progress.update,
        )
        sig, manifest = sign_list_with_manifest(
            args.entries, release, signers=signing.signers, options=options
        )
    except AntifraudError as e:
        return fail_check(args, e)
    finally:
        progress.close()
    if args.json:
        emit_json(
            command,
            True,
            {
                "out": str(sig),
                "manifest": manifest.to_dict(),
                "key_ids": [s.key_id for s in signing.signers],
            },
        )
    else:
        out(
            f"{sig}: {manifest.issuer}/{manifest.list_id} version {manifest.version}, "
            f"{manifest.entry_count} {entries}, sha256 {manifest.sha256}"
        )
    return EXIT_OK


# ------------------------------------------------------------------ commands


def run_sign(args: argparse.Namespace) -> int:
    signing = read_signing(args, minisign=args.minisign)
    if args.delta_from is not None:
        return _sign_delta(args, signing.signers, signing.issued, signing.expires)
    if args.base_version is not None or args.delta_out is not None:
        raise UsageError("--base-version and --delta-out go with --delta-from")
    return sign_snapshot(args, signing)


def _sign_delta(
    args: argparse.Namespace, signers: list[LocalSigner], issued: datetime, expires: datetime
) -> int:
    if args.base_version is None:
        raise UsageError("--delta-from needs --base-version")
    if args.minisign is not None or args.out is not None:
        raise UsageError("--minisign and --out are for snapshots; a delta's sig is DELTA.sig")
    delta_path = args.delta_out or args.entries.with_name(f"{args.entries.stem}.delta.jsonl")
    need_input(args.delta_from, "snapshot")
    check_output(delta_path, args)
    check_output(sig_file(delta_path), args)
    try:
        info, manifest = sign_delta(
            args.delta_from,
            args.entries,
            delta_path,
            signers,
            issuer=args.issuer,
            list_id=args.list_id,
            list_type=args.list_type,
            version=args.version,
            base_version=args.base_version,
            issued_at=issued,
            expires=expires,
            allow_protected=parse_allowed(args.allow_protected),
        )
    except AntifraudError as e:
        return fail_check(args, e)
    sig = sig_file(delta_path)
    if args.json:
        emit_json(
            "sign",
            True,
            {
                "out": str(sig),
                "delta": str(delta_path),
                "manifest": manifest.to_dict(),
                "adds": info.adds,
                "replaces": info.replaces,
                "removes": info.removes,
                "key_ids": [s.key_id for s in signers],
            },
        )
    else:
        out(
            f"{sig}: {manifest.issuer}/{manifest.list_id} delta {manifest.base_version} -> "
            f"{manifest.version}: +{info.adds} ~{info.replaces} -{info.removes}"
        )
    return EXIT_OK


def run_co_sign(args: argparse.Namespace) -> int:
    need_input(args.sig, "signature file")
    signer = load_signer(args.key)
    try:
        co_sign(args.sig, signer)
    except AntifraudError as e:
        return fail_check(args, e)
    count = len(jws.parse(read_sig(args.sig), typ=MANIFEST_TYP).signatures)
    if args.json:
        emit_json(
            "co-sign", True, {"out": str(args.sig), "key_id": signer.key_id, "signatures": count}
        )
    else:
        out(f"{args.sig}: signed by {signer.key_id} ({count} signatures)")
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    now, grace = verification_time(args)
    sig = sig_file(args.entries, args.sig)
    need_input(args.entries, "entries file")
    try:
        trust = load_trust_of(args, now, grace=grace)
    except AntifraudError as e:
        return fail_check(args, e)
    progress = progress_for(args, "verify", total=file_size(args.entries))
    state = None
    if args.state is not None:
        from antifraud_common.exchange.state import ReceiverState

        try:
            # A reader: a typo must not create a state (and skip rollback checks).
            state = ReceiverState.open(args.state, create=False)
        except AntifraudError as e:
            return fail_check(args, e)
    try:
        report = verify_list_report(
            args.entries,
            sig,
            trust=trust,
            state=state,
            now=now,
            grace=grace,
            max_problems=args.max_problems,
            progress=progress.phase,
        )
    except StateError as e:  # the state could not be read: no rollback check was made
        return fail_check(args, e)
    finally:
        progress.close()
        if state is not None:
            state.close()
    if args.json:
        payload = report.to_dict()
        if not report.ok and report.problems:
            first = report.problems[0]
            payload["error"] = {
                "code": first.code,
                "message": f"{len(report.problems)} problem(s), the first: {first}",
            }
        emit_json("verify", report.ok, payload)
    else:
        m = report.manifest
        if report.ok and m is not None:
            out(
                f"OK {m.issuer}/{m.list_id} version {m.version}: {m.entry_count} entries, "
                f"signed by {', '.join(report.signers)}"
                + (" (unchanged)" if report.unchanged else "")
            )
        else:
            out(f"FAILED {args.entries}: {len(report.problems)} problem(s)")
        for w in report.warnings:
            err(f"warning: {w}")
        for p in report.problems:
            err(f"{p.code}: {p}")
    return EXIT_OK if report.ok else EXIT_FAILED


def run_validate(args: argparse.Namespace) -> int:
    results = []
    ok = True
    allow = parse_allowed(args.allow_protected)
    first: Any = None
    for path in args.files:
        need_input(path, "entries file")
    for path in args.files:
        progress = progress_for(args, f"validate {path.name}", total=file_size(path))
        try:
            summary = validate_entries_file(
                path,
                max_problems=args.max_problems,
                allow_protected=allow,
                progress=progress.update,
            )
        finally:
            progress.close()
        ok = ok and summary.ok
        if first is None and summary.problems:
            first = summary.problems[0]
        results.append({"path": str(path), **summary.to_dict()})
        if not args.json:
            status = "OK" if summary.ok else "FAILED"
            out(f"{status} {path}: {summary.entry_count} entries, sha256 {summary.sha256}")
            for p in summary.problems:
                err(f"{path}: {p.code}: {p}")
    if args.json:
        error = None
        if first is not None:
            error = {"code": first.code, "message": f"the first problem: {first}"}
        elif not ok:
            error = {"code": "check_failed", "message": "a file is not valid"}
        emit_json("validate", ok, {"files": results, "error": error})
    return EXIT_OK if ok else EXIT_FAILED


def run_inspect(args: argparse.Namespace) -> int:
    data = read_sig(args.sig)
    try:
        parsed = jws.parse(data, typ=MANIFEST_TYP)
        manifest = read_manifest(data)
    except AntifraudError as e:
        return fail_check(args, e)
    sigs = [{"kid": s.kid, "alg": s.alg} for s in parsed.signatures]
    if args.json:
        emit_json(
            "inspect", True, {"verified": False, "manifest": manifest.to_dict(), "signatures": sigs}
        )
    else:
        out("NOT VERIFIED (use `antifraud verify`)")
        for k, val in manifest.to_dict().items():
            out(f"  {k}: {val}")
        for s in sigs:
            out(f"  signature {s['alg']} kid {s['kid']}")
    return EXIT_OK
