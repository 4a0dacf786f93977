"""``antifraud trust``: create, change, sign and show a trust bundle (``trust.json``)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    KINDS,
    UsageError,
    add_command,
    add_output,
    emit_json,
    failed,
    need_input,
    out,
    parse_kind,
    read_sig,
    read_trust,
    sig_file,
)
from antifraud_common.cli._keys import load_public_key, load_signer
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ModelError,
    TrustBundleError,
    WeakKeyError,
)
from antifraud_common.exchange.trust import (
    TRUST_TYP,
    Member,
    PublishRule,
    TrustBundle,
    add_member,
    create_trust_bundle,
    remove_member,
    sign_trust_bundle,
    verify_trust_signatures,
)
from antifraud_common.format import jws
from antifraud_common.format.jsonl import write_atomic


def register(sub: Any) -> None:
    p = sub.add_parser(
        "trust",
        help="create, change, sign and show a trust bundle",
        description="Manage trust.json: root keys, members, what each may publish.",
    )
    tsub = p.add_subparsers(dest="trust_command", metavar="ACTION", required=True)

    init = add_command(
        tsub,
        "init",
        run_init,
        help="create bundle version 1",
        description="Create trust bundle version 1 with its root keys (sign it next).",
        epilog="example: antifraud trust init --bundle-id cn-fraud --root-key root.jwk "
        "--threshold 1 --out trust.json",
    )
    init.add_argument("--bundle-id", required=True, help="the bundle's id")
    init.add_argument("--root-key", action="append", required=True, type=Path, metavar="JWK",
                      help="a root public key (repeatable)")  # fmt: skip
    init.add_argument("--threshold", type=int, required=True, help="root keys needed to sign")
    init.add_argument("--valid-days", type=int, default=365, metavar="N",
                      help="days until the bundle expires (default 365)")  # fmt: skip
    add_output(init, "--out", default=Path("trust.json"), metavar="trust.json",
               help="the bundle to write (default trust.json)")  # fmt: skip

    edit = " BUNDLE is edited in place (the next version) unless --out names another file."
    add = add_command(
        tsub,
        "add-member",
        run_add,
        help="add a member (writes the next version)",
        description="Add a member with its keys and what it may publish." + edit,
        epilog="example: antifraud trust add-member trust.json --agency mps --name MPS "
        "--key mps.jwk --publish fraud_numbers:phone:block,watch",
    )
    add.add_argument("bundle", type=Path, metavar="BUNDLE", help="the trust bundle")
    add.add_argument("--agency", required=True, help="the member's agency id")
    add.add_argument("--name", required=True, help="the member's display name")
    add.add_argument("--key", action="append", required=True, type=Path, metavar="JWK",
                     help="a public key of the member (repeatable)")  # fmt: skip
    add.add_argument(
        "--publish",
        action="append",
        default=[],
        metavar="SPEC",
        help=(
            "LIST_TYPE:KINDS:ACTIONS[:THRESHOLD[:SIGNERS]] (comma-separated lists); kinds: "
            f"{', '.join(KINDS)}; actions: {_actions()}; repeatable"
        ),
    )
    add_output(add, "--out", metavar="FILE", help="write here instead of editing BUNDLE")

    rm = add_command(
        tsub,
        "remove-member",
        run_remove,
        help="remove a member (writes the next version)",
        description="Remove a member." + edit,
        epilog="example: antifraud trust remove-member trust.json --agency bank1",
    )
    rm.add_argument("bundle", type=Path, metavar="BUNDLE", help="the trust bundle")
    rm.add_argument("--agency", required=True, help="the member's agency id")
    add_output(rm, "--out", metavar="FILE", help="write here instead of editing BUNDLE")

    sign = add_command(
        tsub,
        "sign",
        run_sign,
        help="sign (or co-sign) trust.json with root keys",
        description=(
            "Sign BUNDLE with root keys. BUNDLE.sig is edited: signatures are added to it "
            "when it signs the same bytes, and it is replaced when the bundle changed."
        ),
        epilog="example: antifraud trust sign trust.json --key root.pem",
    )
    sign.add_argument("bundle", type=Path, metavar="BUNDLE", help="the trust bundle")
    sign.add_argument("--key", action="append", required=True, type=Path, metavar="KEY.pem",
                      help="a root private key (repeatable)")  # fmt: skip
    sign.add_argument("--sig", type=Path, metavar="FILE.sig", help="default: BUNDLE.sig")

    show = add_command(
        tsub,
        "show",
        run_show,
        help="show a bundle (and check its own root signatures)",
        description="Show a bundle's root keys and members; check BUNDLE.sig if present.",
        epilog="example: antifraud trust show trust.json --json",
    )
    show.add_argument("bundle", type=Path, metavar="BUNDLE", help="the trust bundle")
    show.add_argument("--sig", type=Path, metavar="FILE.sig",
                      help="check this signature file (default BUNDLE.sig)")  # fmt: skip


def _actions() -> str:
    from antifraud_common.models import Action

    return ", ".join(a.value for a in Action)


def _read_bundle(path: Path) -> TrustBundle:
    need_input(path, "trust bundle")
    return TrustBundle.from_bytes(read_trust(path))


def _write(bundle: TrustBundle, path: Path) -> None:
    write_atomic(path, bundle.to_bytes())


def _finish(args: argparse.Namespace, action: str, bundle: TrustBundle, path: Path) -> int:
    if args.json:
        emit_json(
            f"trust {action}",
            True,
            {"out": str(path), "version": bundle.version, "bundle_id": bundle.bundle_id},
        )
    else:
        out(f"{path}: bundle {bundle.bundle_id} version {bundle.version} (sign it next)")
    return EXIT_OK


def _days_after(now: datetime, days: int) -> datetime:
    try:
        return now + timedelta(days=days)
    except OverflowError:
        raise UsageError(f"--valid-days {days} is beyond the year 9999") from None


def run_init(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        bundle = create_trust_bundle(
            bundle_id=args.bundle_id,
            root_keys=[load_public_key(p) for p in args.root_key],
            root_threshold=args.threshold,
            issued_at=now,
            expires=_days_after(now, args.valid_days),
        )
    except WeakKeyError as e:
        return failed(args, e)
    except AntifraudError as e:
        raise UsageError(str(e)) from e
    _write(bundle, args.out)
    return _finish(args, "init", bundle, args.out)


def parse_publish(spec: str) -> PublishRule:
    """Parse ``LIST_TYPE:KINDS:ACTIONS[:THRESHOLD[:SIGNERS]]``.

    >>> parse_publish("stop_payment:bank_card,bank_account:hold:2:bank1,pbc").threshold
    2
    """
    parts = spec.split(":")
    if not 3 <= len(parts) <= 5:
        raise UsageError(f"bad --publish {spec!r}: LIST_TYPE:KINDS:ACTIONS[:THRESHOLD[:SIGNERS]]")
    try:
        threshold = int(parts[3]) if len(parts) > 3 and parts[3] else 1
    except ValueError:
        raise UsageError(f"bad threshold in --publish {spec!r}") from None
    try:
        return PublishRule(
            list_type=parts[0],
            kinds=[parse_kind(k, option="--publish") for k in parts[1].split(",") if k],
            actions=[a for a in parts[2].split(",") if a],
            threshold=threshold,
            signers=[s for s in parts[4].split(",") if s] if len(parts) > 4 else [],
        )
    except AntifraudError as e:
        raise UsageError(f"bad --publish {spec!r}: {e}") from e


def run_add(args: argparse.Namespace) -> int:
    bundle = _read_bundle(args.bundle)
    try:
        member = Member(
            agency=args.agency,
            name=args.name,
            keys=[load_public_key(p) for p in args.key],
            publish=[parse_publish(s) for s in args.publish],
        )
        new = add_member(bundle, member)
    except (AntifraudError, ModelError) as e:
        if isinstance(e, UsageError):
            raise
        return failed(args, e)
    target = args.out or args.bundle
    _write(new, target)
    return _finish(args, "add-member", new, target)


def run_remove(args: argparse.Namespace) -> int:
    bundle = _read_bundle(args.bundle)
    try:
        new = remove_member(bundle, args.agency)
    except AntifraudError as e:
        return failed(args, e)
    target = args.out or args.bundle
    _write(new, target)
    return _finish(args, "remove-member", new, target)


def run_sign(args: argparse.Namespace) -> int:
    need_input(args.bundle, "trust bundle")
    data = read_trust(args.bundle)
    bundle = TrustBundle.from_bytes(data)
    sig_path = sig_file(args.bundle, args.sig)
    signers = [load_signer(p) for p in args.key]
    roots = {k.key_id for k in bundle.root.keys}
    for path, signer in zip(args.key, signers, strict=True):
        if signer.key_id not in roots:
            # Its signature would not count towards the root threshold.
            return failed(
                args,
                TrustBundleError(
                    f"{path} (key id {signer.key_id}) is not a root key of this bundle; "
                    "only root keys sign a trust bundle",
                    code="trust_signer_not_root",
                ),
            )
    existing = None
    if sig_path.exists():
        try:
            parsed = jws.parse(read_sig(sig_path), typ=TRUST_TYP)
        except BlacklistFormatError:
            parsed = None
        if parsed is not None and parsed.payload == data:
            existing = read_sig(sig_path)
    if existing is None:
        sig = sign_trust_bundle(data, signers)
    else:
        sig = existing
        for s in signers:
            sig = jws.add_signature(sig, s, typ=TRUST_TYP)
    write_atomic(sig_path, sig)
    count = len(jws.parse(sig, typ=TRUST_TYP).signatures)
    if args.json:
        emit_json("trust sign", True, {"out": str(sig_path), "signatures": count})
    else:
        out(f"{sig_path}: {count} signature(s)")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    need_input(args.bundle, "trust bundle")
    data = read_trust(args.bundle)
    bundle = TrustBundle.from_bytes(data)
    sig_path = sig_file(args.bundle, args.sig)
    verdict: dict[str, Any] = {"checked": False}
    ok = True
    failure = None
    if sig_path.exists():
        verdict["checked"] = True
        try:
            verify_trust_signatures(data, read_sig(sig_path))
            verdict["self_signed"] = True
        except AntifraudError as e:
            ok = False
            verdict.update(self_signed=False, error=e.to_dict())
            failure = e.to_dict()
    now = datetime.now(UTC)
    doc = bundle.to_dict()
    if args.json:
        emit_json(
            "trust show",
            ok,
            {
                "bundle": doc,
                "expired": bundle.is_expired(now),
                "signature": verdict,
                "error": failure,
            },
        )
    else:
        out(f"bundle {bundle.bundle_id} version {bundle.version}")
        out(f"  issued {doc['issued_at']}, expires {doc['expires']}")
        out(f"  root: {bundle.root.threshold} of {len(bundle.root.keys)} keys")
        for k in bundle.root.keys:
            out(f"    {k.key_id} {k.algorithm.jws_name}")
        for m in bundle.members:
            out(f"  member {m.agency} ({m.name})")
            for k in m.keys:
                out(f"    key {k.key_id} {k.algorithm.jws_name}")
            for r in m.publish:
                out(
                    f"    may publish {r.list_type}: kinds {','.join(k.value for k in r.kinds)}; "
                    f"actions {','.join(a.value for a in r.actions)}; "
                    f"{r.threshold} of keys of {','.join(r.signers)}"
                )
        if verdict["checked"]:
            out(
                "  signature: own root threshold met (first-use check only)"
                if ok
                else f"  signature: NOT valid ({verdict['error']['code']})"
            )
    return EXIT_OK if ok else EXIT_FAILED
