"""``antifraud case``: create, sign, receive and follow case messages (query, stop, freeze).

Verbs: ``new`` (create and sign a message that opens an exchange or answers one
by hash), ``reply`` (answer a recorded message: case, recipient and
``in_reply_to`` are taken from it), ``receive`` (verify in the fixed order and
record; with ``--state`` also update the local HOLD/FREEZE list), ``show``,
``due``, ``export``, ``enc-keygen`` and ``demo``. Bodies are JSON files holding
the ``body`` object of ``docs/spec/cases.md``. Output never shows a message's
body: only its envelope members.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    fail,
    load_trust_of,
    need_input,
    out,
    trust_option,
)
from antifraud_common.errors import AntifraudError, CaseError, DecryptionError, StateError

_BOOK_HELP = "the case book directory (created if needed, mode 0700)"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "case",
        help="signed case messages: instant query, stop-payment, freeze",
        description=(
            "Create, sign, encrypt, receive and follow case messages between agencies and "
            "banks (docs/cases.md)."
        ),
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)

    def common(v: argparse.ArgumentParser, *, trust: bool, me: bool = True) -> None:
        v.add_argument("--book", required=True, type=Path, metavar="DIR", help=_BOOK_HELP)
        v.add_argument("--me", required=me, default="-", help="this member's id")
        if trust:
            trust_option(v, help="the trust bundle with the members' message rules")
            v.add_argument("--trust-sig", type=Path, help="default: TRUST.sig")
        v.add_argument("--now", help="YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (default: the clock)")

    def making(v: argparse.ArgumentParser) -> None:
        v.add_argument("--body", required=True, type=Path, metavar="BODY.json",
                       help="the message's body object (docs/spec/cases.md)")  # fmt: skip
        v.add_argument("--key", required=True, action="append", type=Path, metavar="KEY.pem",
                       help="signing key (repeat for k-of-n)")  # fmt: skip
        v.add_argument("--message-id", help="default: a random id")
        v.add_argument("--expires", default="24h", help="lifetime or time (default 24h)")
        add_output(v, "--out", required=True, metavar="FILE", help="the message file to write")
        v.add_argument("--encrypt", action="store_true",
                       help="encrypt to the recipient's encryption key (JWE)")  # fmt: skip
        common(v, trust=True)

    new = add_command(
        verbs,
        "new",
        run_new,
        help="create, sign and record a message",
        description="Build a case message, sign it, check it as its recipient will, record "
        "it as sent and write it (a JWS, or with --encrypt a JWE).",
        epilog="example: antifraud case new stop_payment_order --case-id mps:2026-0001 --to "
        "icbc --body order.json --key mps.pem --out order.jws --book cases --me mps "
        "--trust trust.json",
    )
    new.add_argument("type", metavar="TYPE", help="message type, e.g. stop_payment_order")
    new.add_argument("--case-id", required=True, help="the case id, e.g. mps:2026-0001")
    new.add_argument("--to", required=True, metavar="MEMBER", help="the recipient member")
    new.add_argument("--reply-to", metavar="HASH", help="hash of the message answered")
    making(new)

    reply = add_command(
        verbs,
        "reply",
        run_reply,
        help="answer a recorded message (by its hash)",
        description="As `case new`, answering the recorded message HASH.",
        epilog="example: antifraud case reply 3f1c... stop_payment_result --body result.json "
        "--key icbc.pem --out result.jws --book cases --me icbc --trust trust.json",
    )
    reply.add_argument("hash", metavar="HASH", help="hash of the message answered")
    reply.add_argument("type", metavar="TYPE", help="message type of the answer")
    making(reply)

    rec = add_command(
        verbs,
        "receive",
        run_receive,
        help="verify a message in the fixed order and record it",
        description="Verify a case message in the fixed order and record it; with --state "
        "also update the local HOLD/FREEZE list.",
        epilog="example: antifraud case receive order.jwe --book cases --me icbc --trust "
        "trust.json --decryption-key icbc-enc.pem",
    )
    rec.add_argument("message", type=Path, metavar="FILE", help="a JWS or JWE file")
    rec.add_argument("--decryption-key", type=Path, metavar="KEY.pem",
                     help="this member's encryption key, for a JWE")  # fmt: skip
    rec.add_argument("--require-encryption", action="store_true",
                     help="refuse a message that is not encrypted")  # fmt: skip
    rec.add_argument("--state", type=Path, metavar="DIR",
                     help="update this receiver state's local HOLD/FREEZE list")  # fmt: skip
    common(rec, trust=True)

    show = add_command(
        verbs,
        "show",
        run_show,
        help="a case's state and its messages (no bodies)",
        description="Show a case's state, its messages and what is due.",
        epilog="example: antifraud case show mps:2026-0001 --book cases",
    )
    show.add_argument("case_id", metavar="CASE", help="the case id")
    common(show, trust=False, me=False)

    due = add_command(
        verbs,
        "due",
        run_due,
        help="what is due or overdue (exit 1 when overdue)",
        description="Unanswered requests and ending stops and freezes; exit 1 when overdue.",
        epilog="example: antifraud case due --book cases --within 3d --json",
    )
    due.add_argument("--within", default="0s", help="also list stops/freezes ending within")
    common(due, trust=False, me=False)

    exp = add_command(
        verbs,
        "export",
        run_export,
        help="the messages and their hashes as JSON Lines",
        description="Write the messages with their signed envelopes and chained hashes.",
        epilog="example: antifraud case export mps:2026-0001 --book cases --out audit.jsonl",
    )
    exp.add_argument("case_id", nargs="?", metavar="CASE", help="default: every case")
    add_output(exp, "--out", required=True, metavar="FILE.jsonl", help="the file to write")
    common(exp, trust=False, me=False)

    kg = add_command(
        verbs,
        "enc-keygen",
        run_enc_keygen,
        help="new encryption key (X25519 or P-256)",
        description="A new encryption key for the trust bundle's encryption_keys.",
        epilog="example: antifraud case enc-keygen --out icbc-enc.pem --public-out icbc-enc.jwk",
    )
    add_output(kg, "--out", required=True, metavar="KEY.pem", help="the private key file")
    add_output(kg, "--public-out", required=True, metavar="KEY.jwk", help="the public JWK")
    kg.add_argument("--curve", choices=("x25519", "p256"), default="x25519",
                    help="x25519 (default) or p256")  # fmt: skip
    kg.add_argument("--unencrypted", action="store_true",
                    help="store the key without a passphrase")  # fmt: skip

    add_command(
        verbs,
        "demo",
        run_demo,
        help="a whole fraud case between police and a bank",
        description="A whole fraud case, with a forged and a replayed message refused.",
        epilog="example: antifraud case demo",
    )


# ------------------------------------------------------------------ helpers


def _now(args: argparse.Namespace) -> datetime:
    from antifraud_common.cli._lists import parse_when

    return parse_when(args.now) if args.now else datetime.now(UTC).replace(microsecond=0)


def _fail(args: argparse.Namespace, e: AntifraudError) -> int:
    from antifraud_common.cli._lists import CHECK_FAILED

    failed = isinstance(e, (CaseError, StateError, DecryptionError, *CHECK_FAILED))
    return fail(args, e, status=EXIT_FAILED if failed else None)


@contextlib.contextmanager
def _book(args: argparse.Namespace) -> Iterator[Any]:
    from antifraud_common.cases import CaseBook

    with CaseBook.open(args.book, me=args.me) as book:
        yield book


def _read_json(path: Path) -> Any:
    need_input(path, "JSON file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {path}: {e}") from e


def _write(path: Path, data: bytes, *, force: bool = False) -> None:
    from antifraud_common._files import write_output

    write_output(path, [data], mode=0o600, streams=False, exclusive=not force)


def _print_message(summary: dict[str, Any]) -> None:
    out(
        f"{summary['type']}  {summary['sender']} -> {summary['recipient']}  "
        f"case {summary['case_id']}  id {summary['message_id']}"
    )


def _make(
    args: argparse.Namespace,
    *,
    type_: str,
    case_id: Callable[[Any], str],
    to: Callable[[Any], str],
    reply: Callable[[Any], str | None],
) -> int:
    from antifraud_common.cases import BODY_TYPES, CaseMessage, MessageType
    from antifraud_common.cli._keys import load_signer
    from antifraud_common.cli._lists import parse_when

    now = _now(args)
    try:
        mtype = MessageType(type_)
    except ValueError:
        names = ", ".join(t.value for t in MessageType)
        raise UsageError(f"unknown message type {type_!r}; one of: {names}") from None
    signers = [load_signer(p) for p in args.key]
    raw_body = _read_json(args.body)
    try:
        trust = load_trust_of(args, now)
        body = BODY_TYPES[mtype].from_dict(raw_body)
        with _book(args) as book:
            message = CaseMessage.build(
                type=mtype,
                message_id=args.message_id or f"{args.me}-{os.urandom(8).hex()}",
                case_id=case_id(book),
                sender=args.me,
                recipient=to(book),
                issued_at=now,
                expires=parse_when(args.expires, base=now),
                in_reply_to=reply(book),
                body=body,
            )
            envelope = book.send(message, signers, trust=trust, now=now)
            data = book.seal(envelope, trust=trust) if args.encrypt else envelope
            view = book.get(message.case_id)
    except AntifraudError as e:
        return _fail(args, e)
    _write(args.out, data, force=args.force)
    summary = {**message.summary(), "hash": message.hash}
    if args.json:
        emit_json(
            f"case {args.verb}",
            True,
            {
                "message": summary,
                "out": str(args.out),
                "encrypted": bool(args.encrypt),
                "case": view.public_dict(now) if view else None,
            },
        )
    else:
        _print_message(summary)
        out(f"hash {message.hash}")
        out(f"written to {args.out}" + (" (encrypted)" if args.encrypt else ""))
    return EXIT_OK


def run_new(args: argparse.Namespace) -> int:
    return _make(
        args,
        type_=args.type,
        case_id=lambda _b: args.case_id,
        to=lambda _b: args.to,
        reply=lambda _b: args.reply_to,
    )


def run_reply(args: argparse.Namespace) -> int:
    def answered(book: Any) -> Any:
        for rec in book.messages():
            if rec.hash == args.hash:
                return rec
        raise UsageError(f"no recorded message has hash {args.hash}")

    return _make(
        args,
        type_=args.type,
        case_id=lambda b: answered(b).case_id,
        to=lambda b: answered(b).sender,
        reply=lambda _b: args.hash,
    )


def _load_decryption_key(path: Path) -> Any:
    from antifraud_common.format.jwe import EncryptionPrivateKey
    from antifraud_common.format.keys import passphrase_from_env

    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from e
    try:
        return EncryptionPrivateKey.from_pem(data, passphrase=passphrase_from_env())
    except AntifraudError as e:
        raise UsageError(f"{e.code}: {path} is not a usable encryption key") from e


def run_receive(args: argparse.Namespace) -> int:
    now = _now(args)
    key = None if args.decryption_key is None else _load_decryption_key(args.decryption_key)
    try:
        data = args.message.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {args.message}: {e.strerror}") from e
    measures = None
    try:
        trust = load_trust_of(args, now)
        with _book(args) as book:
            got = book.receive(
                data,
                trust=trust,
                now=now,
                decryption_key=key,
                require_encryption=args.require_encryption,
            )
            if args.state is not None:
                from antifraud_common.exchange.state import ReceiverState

                with ReceiverState.open(args.state) as state:
                    measures = book.apply_measures(state, now=now).to_dict()
    except AntifraudError as e:
        return _fail(args, e)
    summary = {**got.message.summary(), "hash": got.hash}
    if args.json:
        emit_json(
            "case receive",
            True,
            {
                "message": summary,
                "signers": list(got.signers),
                "case": got.case.public_dict(now),
                "measures": measures,
            },
        )
    else:
        out("accepted")
        _print_message(summary)
        out(f"hash {got.hash}")
        out(f"case {got.case.case_id}: {got.case.effective(now).value}")
        if measures is not None:
            out(f"local list {measures['list_id']} version {measures['version']}: "
                f"{measures['entry_count']} account(s) on hold or frozen")  # fmt: skip
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    now = _now(args)
    try:
        with _book(args) as book:
            view = book.get(args.case_id)
            records = [r.summary() for r in book.messages(args.case_id)]
            due = [d.to_dict() for d in book.due(now) if d.case_id == args.case_id]
    except AntifraudError as e:
        return _fail(args, e)
    if view is None:
        raise UsageError(f"no case {args.case_id!r} in {args.book}")
    if args.json:
        emit_json("case show", True, {"case": view.public_dict(now), "messages": records,
                                      "due": due})  # fmt: skip
        return EXIT_OK
    d = view.public_dict(now)
    out(f"case {d['case_id']}: {d['state']}  ({d['initiator']} <-> {d['responder']})")
    for name in ("stop_until", "freeze_until"):
        if d[name]:
            out(f"  {name.replace('_', ' ')}: {d[name]}")
    for r in records:
        out(f"  {r['seq']:>4} {r['direction']:<3} {r['recorded_at']} {r['type']:<20} "
            f"{r['message_id']}  {r['hash'][:16]}")  # fmt: skip
    for item in due:
        out(f"  due {item['due_at']}: {item['what']} {item['request_type'] or ''}"
            + (" OVERDUE" if item["overdue"] else ""))  # fmt: skip
    return EXIT_OK


def run_due(args: argparse.Namespace) -> int:
    from antifraud_common.cli._lists import parse_duration

    now = _now(args)
    within = parse_duration(args.within) if args.within not in ("0", "0s") else timedelta(0)
    try:
        with _book(args) as book:
            items = book.due(now, within=within)
    except AntifraudError as e:
        return _fail(args, e)
    overdue = sum(1 for d in items if d.overdue)
    if args.json:
        failure = {"code": "case_overdue", "message": f"{overdue} item(s) overdue"}
        emit_json("case due", overdue == 0, {"now": _ts(now), "overdue": overdue,
                                             "error": failure if overdue else None,
                                             "items": [d.to_dict() for d in items]})  # fmt: skip
    else:
        for d in items:
            flag = "OVERDUE " if d.overdue else "due     "
            out(f"{flag}{_ts(d.due_at)}  {d.case_id}  {d.what} "
                f"{d.request_type or ''} owed by {d.owed_by}")  # fmt: skip
        out(f"{len(items)} item(s), {overdue} overdue")
    return EXIT_FAILED if overdue else EXIT_OK


def _ts(moment: datetime) -> str:
    from antifraud_common.models import format_timestamp

    return format_timestamp(moment)


def run_export(args: argparse.Namespace) -> int:
    try:
        with _book(args) as book:
            problems = book.check()
            if args.force:
                with contextlib.suppress(FileNotFoundError):
                    args.out.unlink()
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                count = book.export(f, args.case_id)
    except OSError as e:
        raise UsageError(f"cannot write {args.out}: {e.strerror}") from e
    except AntifraudError as e:
        return _fail(args, e)
    ok = not problems
    if args.json:
        emit_json("case export", ok, {"out": str(args.out), "messages": count,
                                      "problems": problems,
                                      "error": None if ok else {
                                          "code": "case_book_damaged",
                                          "message": f"{len(problems)} problem(s)"}})  # fmt: skip
    else:
        out(f"{count} message(s) written to {args.out}")
        for p in problems:
            err(f"  damaged: {p}")
    return EXIT_OK if ok else EXIT_FAILED


def run_enc_keygen(args: argparse.Namespace) -> int:
    from antifraud_common.cli._keys import new_passphrase
    from antifraud_common.format.jwe import EncryptionCurve, EncryptionPrivateKey

    curve = EncryptionCurve.X25519 if args.curve == "x25519" else EncryptionCurve.P256
    key = EncryptionPrivateKey.generate(curve)
    passphrase = None if args.unencrypted else new_passphrase()
    _write(args.out, key.to_pem(passphrase=passphrase), force=args.force)
    _write(
        args.public_out,
        (json.dumps(key.public_key.to_jwk(), sort_keys=True) + "\n").encode(),
        force=args.force,
    )
    if args.json:
        emit_json("case enc-keygen", True, {"key_id": key.key_id, "out": str(args.out),
                                            "public_out": str(args.public_out),
                                            "encrypted": passphrase is not None})  # fmt: skip
    else:
        out(f"encryption key {key.key_id} written to {args.out} (public JWK: {args.public_out})")
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    from antifraud_common.cli._case_demo import run_case_demo

    folder = Path(tempfile.mkdtemp(prefix="antifraud-case-demo-"))
    try:
        steps = run_case_demo(folder, quiet=args.json)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ok = all(s["ok"] for s in steps)
    if args.json:
        emit_json("case demo", ok, {"steps": steps})
    elif ok:
        out("case demo finished: every step held, the forged and the replayed message were refused")
    else:
        err("case demo: a step failed")
    sys.stdout.flush()
    return EXIT_OK if ok else EXIT_FAILED
