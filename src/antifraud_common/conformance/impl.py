"""This library as a conformance-suite implementation (the protocol of docs/conformance.md).

Run it as ``antifraud conformance impl <command> ...`` or
``python -m antifraud_common.conformance.impl <command> ...``. Each command
prints one JSON line: ``{"ok": true, ...}`` when the input is accepted, or
``{"ok": false, "code": "<error code>"}`` when the library refuses it with an
:class:`~antifraud_common.errors.AntifraudError`; the exit status is 0 for both.
A usage error exits 2 and a bug exits 3 (the runner counts both as
"unsupported", and the test suite requires none).

>>> import json, pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "in.json"
>>> _ = p.write_bytes(b'{"b": 1, "a": [true]}')
>>> status, out = run(["canonicalize", "--in", str(p)])
>>> status, json.loads(out)["ok"]
(0, True)
>>> run(["validate-identifier", "--kind", "phone", "--value=138O0138OOO"])[1]
'{"code":"letters_not_allowed","ok":false}\\n'
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import io
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from antifraud_common.errors import AntifraudError, SignatureError
from antifraud_common.format import canonical

__all__ = ["main", "run"]

#: kind -> (module, function) of the validators behind ``validate-identifier``.
VALIDATORS = {
    "phone": ("phone", "validate"),
    "bank_card": ("card", "validate"),
    "iccid": ("iccid", "validate"),
    "imei": ("imei", "validate"),
    "idcard": ("idcard", "validate"),
    "bank_account": ("account", "validate"),
    "payment_account": ("account", "validate_payment_account"),
}


class _UnsupportedError(Exception):
    """The command or option is not implemented (exit status 2)."""


def _now(text: str) -> datetime:
    from antifraud_common.models import parse_timestamp

    return parse_timestamp(text, field="now")


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


# ------------------------------------------------------------------ commands


def _canonicalize(args: argparse.Namespace) -> dict[str, Any]:
    value = canonical.loads(_read(args.input))
    return {"output": base64.b64encode(canonical.dumps(value)).decode("ascii")}


def _validate_identifier(args: argparse.Namespace) -> dict[str, Any]:
    try:
        module_name, func_name = VALIDATORS[args.kind]
        func = getattr(importlib.import_module(f"antifraud_common.{module_name}"), func_name)
    except (KeyError, ImportError, AttributeError) as e:
        raise _UnsupportedError(f"identifier kind {args.kind!r}") from e
    return {"value": func(args.value)}


def _thumbprint(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common.format.keys import PublicKey

    return {"thumbprint": PublicKey.from_jwk(canonical.loads(_read(args.jwk))).thumbprint()}


def _jws_verify(args: argparse.Namespace) -> dict[str, Any]:
    """Known-answer check of the JWS primitive: any signature valid with the given key.

    Unlike list verification, headers need not carry ``kid`` or ``typ`` (RFC 8037
    A.4 has only ``alg``); compact and General JSON serialisations are accepted.
    """
    from antifraud_common.format.keys import Algorithm, PublicKey, b64url_decode

    key = PublicKey.from_jwk(canonical.loads(_read(args.jwk)))
    raw = _read(args.jws).strip()
    pairs: list[tuple[str, str, str]] = []
    if raw.startswith(b"{"):
        doc = canonical.loads(raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("signatures"), list):
            raise SignatureError("not a General JSON JWS", code="jws_members")
        for item in doc["signatures"]:
            if not isinstance(item, dict):
                raise SignatureError("bad signature object", code="jws_members")
            pairs.append(
                (item.get("protected", ""), doc.get("payload", ""), item.get("signature", ""))
            )
    else:
        parts = raw.decode("ascii", "replace").split(".")
        if len(parts) != 3:
            raise SignatureError("not a compact JWS", code="jws_members")
        pairs.append((parts[0], parts[1], parts[2]))
    for protected, payload, signature in pairs:
        header = canonical.loads(b64url_decode(str(protected), code="jws_base64"))
        if not isinstance(header, dict):
            continue
        alg = Algorithm.from_jws_name(header.get("alg"))  # type: ignore[arg-type]
        sig = b64url_decode(str(signature), code="jws_base64")
        if alg is key.algorithm and key.verify(sig, f"{protected}.{payload}".encode("ascii")):
            return {}
    raise SignatureError("no signature verifies with the key")


def _minisign_verify(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common import minisign

    comment = minisign.verify(
        _read(args.file), _read(args.sig), _read(args.pub), allow_legacy=args.allow_legacy
    )
    return {"trusted_comment": comment}


def _trust_walk(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common.exchange import trust

    current = trust.verify_trust_signatures(_read(args.trusted), _read(args.trusted_sig))
    bundles = args.bundle or []
    sigs = args.bundle_sig or []
    if len(bundles) != len(sigs):
        raise _UnsupportedError("--bundle and --bundle-sig must pair up")
    candidates = [(_read(b), _read(s)) for b, s in zip(bundles, sigs, strict=True)]
    final = trust.walk_trust_chain(current, candidates, now=_now(args.now))
    return {"version": final.version}


def _grace(args: argparse.Namespace) -> timedelta | None:
    return None if args.grace_seconds is None else timedelta(seconds=args.grace_seconds)


def _load_bundle(args: argparse.Namespace, now: datetime) -> Any:
    from antifraud_common.exchange import trust

    return trust.load_trust(args.trust, args.trust_sig, now=now)


def _receiver(args: argparse.Namespace) -> Any:
    """The receiving side the command line describes: trust bundle, time, receiver state."""
    from antifraud_common.conformance import _exchange

    now = _now(args.now)
    return _exchange.Receiver(
        bundle=_load_bundle(args, now),
        now=now,
        state_version=args.state_version,
        state_sha256=args.state_sha256,
    )


def _verify(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common.conformance import _exchange

    receiver = _receiver(args)
    return _exchange.verify(
        entries=Path(args.entries), sig=Path(args.sig), receiver=receiver, grace=_grace(args)
    )


def _apply_delta(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common.conformance import _exchange

    receiver = _receiver(args)
    return _exchange.apply_delta(
        base=Path(args.base), delta=Path(args.delta), sig=Path(args.sig), receiver=receiver
    )


def _verify_reference(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common.conformance import _exchange
    from antifraud_common.exchange.reference import REFERENCE_TYPES

    if args.type not in REFERENCE_TYPES:
        raise _UnsupportedError(f"reference list type {args.type!r}")
    receiver = _receiver(args)
    return _exchange.verify_reference(
        list_type=args.type,
        entries=Path(args.entries),
        sig=Path(args.sig),
        base=None if args.base is None else Path(args.base),
        receiver=receiver,
        grace=_grace(args),
    )


def _case_receive(args: argparse.Namespace) -> dict[str, Any]:
    import tempfile

    from antifraud_common.cases import CaseBook

    now = _now(args.now)
    bundle = _load_bundle(args, now)
    with (
        tempfile.TemporaryDirectory(prefix="antifraud-conformance-") as tmp,
        CaseBook.open(tmp, me=args.me) as book,
    ):
        for item in args.history or []:
            direction, at, path = item.split(",", 2)
            data, when = _read(path), _now(at)
            try:
                if direction == "out":
                    book.record_sent(data, trust=bundle, now=when)
                else:
                    book.receive(data, trust=bundle, now=when)
            except AntifraudError as e:  # a broken case, not a verdict
                raise _UnsupportedError(f"history refused: {e.code}") from e
        got = book.receive(_read(args.message), trust=bundle, now=now)
        return {"hash": got.hash, "state": got.case.effective(now).value}


def _validate_call(args: argparse.Namespace) -> dict[str, Any]:
    from antifraud_common.callerid import check_call

    now = _now(args.now)
    index = None
    if args.with_index:
        from antifraud_common.index import Index
        from antifraud_common.models import Entry

        def rows() -> Any:
            for value, action, issuer in args.listed or []:
                entry = Entry(
                    kind="phone", value=value, reason="telecom_fraud", action=action,
                    source=issuer, case_ref="conformance", confidence=90, tlp="amber",
                    listed_at=now - timedelta(days=1), valid_from=now - timedelta(days=1),
                )  # fmt: skip
                yield issuer, "calls", None, entry

        index = Index.build(rows())
    presenters: dict[str, set[str]] | None = None
    if args.with_presenters:
        presenters = {}
        for value, trunk in args.presenter or []:
            presenters.setdefault(value, set()).add(trunk)
    authenticated = {"true": True, "false": False, None: None}[args.authenticated]
    verdict = check_call(
        args.calling,
        args.called,
        ingress=args.ingress,
        now=now,
        trunk_id=args.trunk,
        authenticated=authenticated,
        roaming=args.roaming,
        ranges=(args.range or []) if args.with_ranges else None,
        presenters=presenters,
        dno=frozenset(args.dno or []) if args.with_dno else None,
        index=index,
    )
    return {
        "action": verdict.action.value,
        "rules": list(verdict.rule_ids),
        "calling": verdict.calling,
        "called": verdict.called,
        "emergency": verdict.emergency,
        "skipped": list(verdict.skipped),
        "plan_version": verdict.plan_version,
    }


# --------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antifraud conformance impl",
        description="This library speaking the conformance protocol (docs/conformance.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def cmd(name: str, func: Callable[[argparse.Namespace], dict[str, Any]]) -> Any:
        p = sub.add_parser(name)
        p.set_defaults(func=func)
        return p

    p = cmd("verify", _verify)
    p.add_argument("--entries", required=True)
    p.add_argument("--sig", required=True)
    p.add_argument("--trust", required=True)
    p.add_argument("--trust-sig", required=True)
    p.add_argument("--now", required=True)
    p.add_argument("--state-version", type=int)
    p.add_argument("--state-sha256")
    p.add_argument("--grace-seconds", type=int)
    p = cmd("apply-delta", _apply_delta)
    for name in ("--base", "--delta", "--sig", "--trust", "--trust-sig", "--now", "--state-sha256"):
        p.add_argument(name, required=True)
    p.add_argument("--state-version", type=int, required=True)
    p = cmd("trust-walk", _trust_walk)
    p.add_argument("--trusted", required=True)
    p.add_argument("--trusted-sig", required=True)
    p.add_argument("--now", required=True)
    p.add_argument("--bundle", action="append")
    p.add_argument("--bundle-sig", action="append")
    p = cmd("canonicalize", _canonicalize)
    p.add_argument("--in", dest="input", required=True)
    p = cmd("validate-identifier", _validate_identifier)
    p.add_argument("--kind", required=True)
    p.add_argument("--value", required=True)
    p = cmd("thumbprint", _thumbprint)
    p.add_argument("--jwk", required=True)
    p = cmd("jws-verify", _jws_verify)
    p.add_argument("--jws", required=True)
    p.add_argument("--jwk", required=True)
    p = cmd("minisign-verify", _minisign_verify)
    p.add_argument("--file", required=True)
    p.add_argument("--sig", required=True)
    p.add_argument("--pub", required=True)
    p.add_argument("--allow-legacy", action="store_true")
    p = cmd("verify-reference", _verify_reference)
    p.add_argument("--type", required=True)
    for name in ("--entries", "--sig", "--trust", "--trust-sig", "--now"):
        p.add_argument(name, required=True)
    p.add_argument("--base")
    p.add_argument("--state-version", type=int)
    p.add_argument("--state-sha256")
    p.add_argument("--grace-seconds", type=int)
    p = cmd("case-receive", _case_receive)
    for name in ("--trust", "--trust-sig", "--me", "--now", "--message"):
        p.add_argument(name, required=True)
    p.add_argument("--history", action="append", help="DIRECTION,TIME,FILE (in order)")
    p = cmd("validate-call", _validate_call)
    for name in ("--calling", "--called", "--ingress", "--now"):
        p.add_argument(name, required=True)
    p.add_argument("--trunk")
    p.add_argument("--authenticated", choices=("true", "false"))
    p.add_argument("--roaming", action="store_true")
    for name in ("ranges", "dno", "presenters", "index"):
        p.add_argument(f"--with-{name}", action="store_true", help=f"{name} are given")
    p.add_argument("--range", action="append", help="an authorised range (repeatable)")
    p.add_argument("--dno", action="append", help="a number on the DNO list (repeatable)")
    p.add_argument("--presenter", nargs=2, action="append", metavar=("VALUE", "TRUNK"))
    p.add_argument("--listed", nargs=3, action="append", metavar=("VALUE", "ACTION", "ISSUER"))
    return parser


def _line(doc: dict[str, Any]) -> str:
    return canonical.dumps(doc).decode("utf-8") + "\n"


def run(argv: Sequence[str]) -> tuple[int, str]:
    """Run one protocol command in-process; return ``(exit status, stdout text)``."""
    parser = _parser()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = parser.parse_args(list(argv))
    except SystemExit as e:
        return (int(e.code) if isinstance(e.code, int) else 2), ""
    try:
        extra = args.func(args)
    except _UnsupportedError:
        return 2, ""
    except AntifraudError as e:
        return 0, _line({"code": e.code, "ok": False})
    return 0, _line({"ok": True, **extra})


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: run the command, print the verdict line, return the status."""
    status, out = run(sys.argv[1:] if argv is None else argv)
    sys.stdout.write(out)
    sys.stdout.flush()
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
