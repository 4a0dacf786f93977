"""Regenerate the golden exchange files in tests/golden/ from fixed, TEST-ONLY keys.

Every key here is derived from a public seed string (SHA-256 of
``b"antifraud test key <name>"``): anyone can recompute the private keys, so they
must never protect anything real. Ed25519 signatures are deterministic, so the
output is byte-for-byte reproducible and the tests compare it with the
committed files.

    python scripts/make_golden.py            # rewrite tests/golden/
    python scripts/make_golden.py --check    # exit 1 if tests/golden/ differs
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from antifraud_common.exchange import (
    Member,
    PublishRule,
    TrustBundle,
    create_trust_bundle,
    sign_list,
    sign_trust_bundle,
    write_entries,
)
from antifraud_common.exchange.pseudonym import DomainKey, pseudonymise_list, write_pseudonymised
from antifraud_common.format.keys import LocalSigner
from antifraud_common.models import Entry

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
LIST_EXPIRES = T0 + timedelta(days=7)
BUNDLE_EXPIRES = T0 + timedelta(days=365)
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def seed(name: str) -> bytes:
    """The 32-byte seed of test key ``name`` (public: test use only)."""
    return hashlib.sha256(f"antifraud test key {name}".encode()).digest()


def ed25519_key(name: str) -> LocalSigner:
    """A fixed, TEST-ONLY Ed25519 signer."""
    return LocalSigner(ed25519.Ed25519PrivateKey.from_private_bytes(seed(name)))


def es256_key(name: str) -> LocalSigner:
    """A fixed, TEST-ONLY P-256 signer (its signatures are randomised, its key is not)."""
    scalar = int.from_bytes(seed(name), "big") % (_P256_ORDER - 1) + 1
    return LocalSigner(ec.derive_private_key(scalar, ec.SECP256R1()))


ROOT_KEYS = {name: ed25519_key(name) for name in ("root-1", "root-2", "root-3")}
MEMBER_KEYS = {
    "mps": ed25519_key("mps"),
    "pbc": ed25519_key("pbc"),
    "bank1": ed25519_key("bank1"),
    "bank1-hsm": es256_key("bank1-hsm"),
}


#: The sharing domain's HMAC key of the pseudonymised golden list (TEST-ONLY: public seed).
DOMAIN_KEY = DomainKey(
    domain="golden-banks", key_id="golden-k1", secret=seed("domain golden-banks")
)


def trust_bundle() -> TrustBundle:
    """Bundle version 1: three root keys (2 of 3), three members."""
    return create_trust_bundle(
        bundle_id="golden-exchange",
        root_keys=[k.public_key for k in ROOT_KEYS.values()],
        root_threshold=2,
        issued_at=T0,
        expires=BUNDLE_EXPIRES,
        members=[
            Member(
                agency="mps",
                name="Ministry of Public Security (test)",
                keys=[MEMBER_KEYS["mps"].public_key],
                publish=[
                    PublishRule(
                        list_type="fraud_numbers", kinds=["phone"], actions=["block", "watch"]
                    )
                ],
            ),
            Member(
                agency="pbc",
                name="Central bank (test)",
                keys=[MEMBER_KEYS["pbc"].public_key],
                publish=[
                    PublishRule(
                        list_type="stop_payment",
                        kinds=["bank_account", "bank_card"],
                        actions=["hold"],
                        threshold=2,
                        signers=["bank1", "pbc"],
                    )
                ],
            ),
            Member(
                agency="bank1",
                name="Bank One (test)",
                keys=[MEMBER_KEYS["bank1"].public_key, MEMBER_KEYS["bank1-hsm"].public_key],
            ),
        ],
    )


def phone_entries() -> list[Entry]:
    """Five fraud phone entries (one with valid_until, one watch)."""
    values = ["13800138000", "13912345678", "+86 150 0000 0001", "+85251234567", "17001234567"]
    out = []
    for i, value in enumerate(values):
        out.append(
            Entry.from_raw(
                kind="phone",
                value=value,
                reason="telecom_fraud" if i != 3 else "impersonation",
                action="block" if i != 4 else "watch",
                source="mps",
                case_ref=f"MPS-2026-{i + 1:04d}",
                confidence=90 - i,
                tlp="amber",
                listed_at=T0 - timedelta(days=1),
                valid_from=T0 - timedelta(days=1),
                valid_until=T0 + timedelta(days=90) if i == 1 else None,
            )
        )
    return out


def stop_payment_entries() -> list[Entry]:
    """A bank card and a bank account on emergency hold."""
    common = {
        "reason": "mule_account",
        "action": "hold",
        "source": "pbc",
        "confidence": 95,
        "tlp": "red",
        "listed_at": T0,
        "valid_from": T0,
    }
    return [
        Entry.from_raw(kind="bank_card", value="6222021123456789014", case_ref="SP-1", **common),
        Entry.from_raw(kind="bank_account", value="622202112345678901", case_ref="SP-2", **common),
    ]


def build(out: Path) -> list[Path]:
    """Write every golden file into ``out`` and return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    bundle = trust_bundle()
    data = bundle.to_bytes()
    (out / "trust.json").write_bytes(data)
    (out / "trust.json.sig").write_bytes(
        sign_trust_bundle(data, [ROOT_KEYS["root-1"], ROOT_KEYS["root-2"]])
    )
    write_entries(out / "fraud-phones.jsonl", phone_entries())
    sign_list(
        out / "fraud-phones.jsonl",
        signers=[MEMBER_KEYS["mps"]],
        issuer="mps",
        list_id="fraud-phones",
        list_type="fraud_numbers",
        version=7,
        issued_at=T0,
        expires=LIST_EXPIRES,
        trust=bundle,
    )
    write_entries(out / "stop-payment.jsonl", stop_payment_entries())
    sign_list(
        out / "stop-payment.jsonl",
        signers=[MEMBER_KEYS["pbc"], MEMBER_KEYS["bank1"]],
        issuer="pbc",
        list_id="stop-payment",
        list_type="stop_payment",
        version=1,
        issued_at=T0,
        expires=T0 + timedelta(hours=12),
        trust=bundle,
    )
    # The same phone entries as a pseudonymised list (HMAC-SHA-256 with DOMAIN_KEY).
    write_pseudonymised(
        out / "fraud-phones.pseudo.jsonl", pseudonymise_list(phone_entries(), DOMAIN_KEY)
    )
    sign_list(
        out / "fraud-phones.pseudo.jsonl",
        signers=[MEMBER_KEYS["mps"]],
        issuer="mps",
        list_id="fraud-phones-pseudo",
        list_type="fraud_numbers",
        version=7,
        issued_at=T0,
        expires=LIST_EXPIRES,
        trust=bundle,
        pseudonym=DOMAIN_KEY.pseudonym,
    )
    (out / "empty.jsonl").write_bytes(b"")
    sign_list(
        out / "empty.jsonl",
        signers=[MEMBER_KEYS["mps"]],
        issuer="mps",
        list_id="empty",
        list_type="fraud_numbers",
        version=1,
        issued_at=T0,
        expires=LIST_EXPIRES,
        trust=bundle,
    )
    return sorted(p for p in out.iterdir() if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args(argv)
    if not args.check:
        for p in build(args.out):
            print(p)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp))
        bad = [p.name for p in fresh if (args.out / p.name).read_bytes() != p.read_bytes()]
    if bad:
        print("differs:", ", ".join(bad), file=sys.stderr)
        return 1
    print("golden files are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
