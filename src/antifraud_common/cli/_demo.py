"""``antifraud demo``: a throwaway federation, end to end, in a temporary folder.

It makes root keys and a trust bundle with three agencies, a signed list of
10,000 fraud numbers, a co-signed stop-payment list, a signed delta, verifies
and applies everything into a receiver state, answers a few queries, and then
shows that a single changed byte, a replayed old version and a list signed by
too few agencies are all refused.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stdnum import luhn

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    add_command,
    add_output,
    emit_json,
    err,
    out,
    sig_file,
)
from antifraud_common.errors import AntifraudError
from antifraud_common.exchange import (
    Member,
    PublishRule,
    co_sign,
    create_trust_bundle,
    load_trust,
    sign_list,
    sign_trust_bundle,
    verify_list,
    write_entries,
)
from antifraud_common.exchange.delta import sign_delta
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.format.keys import Algorithm, LocalSigner, generate_private_key
from antifraud_common.index import Index
from antifraud_common.models import Action, Entry, IdentifierKind, Reason

_MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151",
                    "152", "155", "156", "157", "158", "159", "176", "177", "180", "181",
                    "182", "183", "185", "186", "187", "188", "189", "198", "199")  # fmt: skip


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "demo",
        run,
        help="build a throwaway federation, sign, verify, update, query, then tamper",
        description=(
            "Run the whole exchange once in a temporary folder: trust bundle with three "
            "agencies, a signed list of 10,000 entries, a co-signed list, a delta, receiver "
            "state, lookups, and the refusal of tampered and replayed files."
        ),
    )
    p.add_argument("--entries", type=int, default=10_000, help="size of the list (default 10000)")
    add_output(
        p,
        "--dir",
        metavar="DIR",
        folder=True,
        help="keep the files in DIR (new or empty) instead of a temporary folder",
    )
    p.epilog = "example: antifraud demo --entries 1000"


class _Steps:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.steps: list[dict[str, Any]] = []

    def ok(self, name: str, detail: str, **data: Any) -> None:
        self.steps.append({"step": name, "ok": True, "detail": detail, **data})
        if not self.quiet:
            out(f"  ok       {name}: {detail}")

    def refused(self, name: str, error: AntifraudError) -> None:
        self.steps.append({"step": name, "ok": True, "refused": error.to_dict()})
        if not self.quiet:
            out(f"  refused  {name}: [{error.code}] {error.message}")

    def failed(self, name: str, detail: str) -> None:
        self.steps.append({"step": name, "ok": False, "detail": detail})
        err(f"  FAILED   {name}: {detail}")


def _phones(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < n:
        seen.add(f"+86{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}")
    return sorted(seen)


def _cards(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < n:
        body = f"622202{rng.randrange(10**12):012d}"
        seen.add(body + luhn.calc_check_digit(body))
    return sorted(seen)


def _entries(
    kind: IdentifierKind, values: list[str], make: Callable[[int], dict[str, Any]]
) -> list[Entry]:
    # Fields derive from the value, not its position, so a new version changes only the
    # entries that really changed.
    return [Entry(kind=kind, value=v, **make(int(v[-6:]))) for v in values]


def run(args: argparse.Namespace) -> int:
    steps = _Steps(quiet=args.json)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        folder = args.dir
        cleanup = False
    else:
        folder = Path(tempfile.mkdtemp(prefix="antifraud-demo-"))
        cleanup = True
    try:
        ok = _run(folder, max(args.entries, 100), steps)
    finally:
        if cleanup:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        emit_json("demo", ok, {"folder": None if cleanup else str(folder), "steps": steps.steps})
    elif ok:
        out("demo finished: every check passed and every tampered file was refused")
    return EXIT_OK if ok else EXIT_FAILED


def _run(folder: Path, n: int, steps: _Steps) -> bool:
    if not steps.quiet:
        out(f"antifraud demo in {folder}")
    rng = random.Random(20261127)  # noqa: S311 - reproducible demo data, not key material
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(days=7)

    def publish(
        issuer: str, list_id: str, list_type: str, signer: LocalSigner, entries: list[Entry]
    ) -> tuple[Path, Path]:
        """Write ``entries`` as ``ISSUER-LIST_ID.v1.jsonl`` and sign it as version 1."""
        path = folder / f"{issuer}-{list_id}.v1.jsonl"
        write_entries(path, entries)
        return path, sign_list(
            path,
            signers=[signer],
            issuer=issuer,
            list_id=list_id,
            list_type=list_type,
            version=1,
            expires=expires,
            issued_at=now,
        )

    # 1. Keys: two offline root keys (2-of-2) and one key per agency (one on ES256, as an HSM
    #    without Ed25519 would have).
    root = [LocalSigner(generate_private_key(Algorithm.ED25519)) for _ in range(2)]
    mps = LocalSigner(generate_private_key(Algorithm.ED25519))
    miit = LocalSigner(generate_private_key(Algorithm.ES256))
    pboc = LocalSigner(generate_private_key(Algorithm.ED25519))
    members = [
        Member(
            agency="mps",
            name="Ministry of Public Security",
            keys=[mps.public_key],
            publish=[
                PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block", "watch"])
            ],
        ),
        Member(
            agency="miit",
            name="Telecom regulator",
            keys=[miit.public_key],
            publish=[PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block"])],
        ),
        Member(
            agency="pboc",
            name="Central bank",
            keys=[pboc.public_key],
            publish=[
                PublishRule(
                    list_type="stop_payment",
                    kinds=["bank_card", "bank_account"],
                    actions=["hold", "freeze"],
                    threshold=2,
                    signers=["pboc", "mps"],
                )
            ],
        ),
    ]
    bundle = create_trust_bundle(
        bundle_id="demo-federation",
        root_keys=[s.public_key for s in root],
        root_threshold=2,
        members=members,
        issued_at=now,
        expires=now + timedelta(days=365),
    )
    trust_path, trust_sig = folder / "trust.json", folder / "trust.json.sig"
    trust_path.write_bytes(bundle.to_bytes())
    trust_sig.write_bytes(sign_trust_bundle(bundle.to_bytes(), root))
    trust = load_trust(trust_path, trust_sig, now=now)
    steps.ok(
        "trust bundle",
        f"version {trust.version}, 2-of-2 root keys, "
        f"members {', '.join(m.agency for m in members)}",
    )

    # 2. A signed list of n fraud phone numbers from the Ministry of Public Security.
    def phone_fields(i: int) -> dict[str, Any]:
        return {
            "reason": Reason.TELECOM_FRAUD if i % 3 else Reason.IMPERSONATION,
            "action": Action.BLOCK if i % 10 else Action.WATCH,
            "source": "mps",
            "case_ref": f"MPS-2026-{i // 100:04d}",
            "confidence": 60 + i % 41,
            "tlp": "amber",
            "listed_at": now - timedelta(days=1),
            "valid_from": now - timedelta(days=1),
        }

    phones = _phones(rng, n)
    phone_entries = _entries(IdentifierKind.PHONE, phones, phone_fields)
    v1, sig_v1 = publish("mps", "fraud-phones", "fraud_numbers", mps, phone_entries)
    state = ReceiverState.open(folder / "state")
    try:
        with verify_list(v1, sig_v1, trust=trust, state=state, now=now) as verified:
            result = state.accept(verified, now=now)
        steps.ok(
            "signed list",
            f"{result.entry_count} entries verified and accepted "
            f"(state {result.state_sha256[:16]}...)",
        )

        # 3. A stop-payment list that needs two agencies: the central bank and the police.
        def card_fields(i: int) -> dict[str, Any]:
            return {
                "reason": Reason.MULE_ACCOUNT,
                "action": Action.HOLD if i % 2 else Action.FREEZE,
                "source": "pboc",
                "case_ref": f"PBOC-SP-{i:05d}",
                "confidence": 95,
                "tlp": "red",
                "listed_at": now - timedelta(hours=2),
                "valid_from": now - timedelta(hours=2),
            }

        cards = _cards(rng, 100)
        card_entries = _entries(IdentifierKind.BANK_CARD, cards, card_fields)
        stop, stop_sig = publish("pboc", "stop-payment", "stop_payment", pboc, card_entries)
        try:
            verify_list(stop, stop_sig, trust=trust, now=now).close()
            steps.failed("co-signing", "a list with one of two signatures was accepted")
            return False
        except AntifraudError as e:
            steps.refused("stop-payment list signed by the central bank alone", e)
        co_sign(stop_sig, mps)
        with verify_list(stop, stop_sig, trust=trust, state=state, now=now) as verified:
            result = state.accept(verified, now=now)
        steps.ok("co-signed list", f"{result.entry_count} cards on hold/freeze, signed 2-of-2")

        # 4. Version 2 as a delta: 1% removed, 1% added.
        k = max(1, n // 100)
        removed = set(phones[:k])
        added = _phones(random.Random(7), k)  # noqa: S311 - demo data
        v2_values = sorted((set(phones) - removed) | set(added))
        v2 = folder / "mps-fraud-phones.v2.jsonl"
        write_entries(v2, _entries(IdentifierKind.PHONE, v2_values, phone_fields))
        delta = folder / "mps-fraud-phones.v2.delta.jsonl"
        sign_delta(
            v1,
            v2,
            delta,
            [mps],
            issuer="mps",
            list_id="fraud-phones",
            list_type="fraud_numbers",
            version=2,
            base_version=1,
            issued_at=now,
            expires=expires,
        )
        delta_sig = sig_file(delta)
        with verify_list(delta, delta_sig, trust=trust, state=state, now=now) as verified:
            result = state.accept(verified, now=now)
        if result.state_sha256 != hashlib.sha256(v2.read_bytes()).hexdigest():
            steps.failed("delta", "state after the delta differs from the v2 snapshot")
            return False
        steps.ok(
            "delta",
            f"+{result.adds} -{result.removes} ~{result.replaces} applied; the state now "
            "hashes exactly like the full v2 snapshot",
        )

        # 5. Instant query from the receiver state.
        index = Index.build(state.iter_records())
        listed = v2_values[len(v2_values) // 2]
        messy = f"{listed[:3]} {listed[3:6]}-{listed[6:10]}-{listed[10:]}"
        hit = index.check(messy, now=now)
        card_hit = index.check(" ".join([cards[1][:4], cards[1][4:8], cards[1][8:]]), now=now)
        miss = index.check("13800138000", now=now)
        if not (hit.listed and card_hit.listed and not miss.listed):
            steps.failed("lookup", "an expected hit or miss did not happen")
            return False
        steps.ok(
            "lookup",
            f"{messy!r} -> {hit.action.value if hit.action else None} by mps; "
            f"card {card_hit.value and card_hit.to_dict()['value']} -> "
            f"{card_hit.action.value if card_hit.action else None}; 13800138000 -> not listed",
        )

        # 6. Tampering and replay are refused, and the state is untouched.
        tampered = folder / "tampered.jsonl"
        data = bytearray(v1.read_bytes())
        pos = data.index(b"+86") + 5
        data[pos] = ord("0") + (data[pos] - ord("0") + 1) % 10
        tampered.write_bytes(bytes(data))
        before = state.get("mps", "fraud-phones")
        for name, entries_path, with_state in (
            ("one byte changed in the entries file", tampered, None),
            ("replay of version 1 after version 2", v1, state),
        ):
            try:
                verify_list(entries_path, sig_v1, trust=trust, state=with_state, now=now).close()
            except AntifraudError as e:
                steps.refused(name, e)
            else:
                steps.failed(name, "accepted")
                return False
        if state.get("mps", "fraud-phones") != before:
            steps.failed("state", "a refused file changed the receiver state")
            return False
        steps.ok("state", "unchanged by the refused files")
    finally:
        state.close()
    return True
