"""A small test federation for the case demo, the benchmark and the tests (private).

One police member (``mps``, two signing keys: a freeze needs both) and two
banks (``icbc``, ``abc``), each with an X25519 encryption key, and the message
rules the case flows need. Keys are generated fresh: nothing here protects
anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from antifraud_common.exchange.trust import (
    ANY_MEMBER,
    Member,
    MessageRule,
    TrustBundle,
    create_trust_bundle,
)
from antifraud_common.format.jwe import EncryptionPrivateKey
from antifraud_common.format.keys import LocalSigner

POLICE_SENDS = (
    "query_request",
    "stop_payment_order",
    "freeze_renewal",
    "freeze_release",
    "return_order",
)
BANK_SENDS = ("query_response", "stop_payment_result", "freeze_result", "return_result")


@attrs.frozen(kw_only=True)
class Federation:
    """The trust bundle and every member's private keys."""

    trust: TrustBundle
    signers: dict[str, tuple[LocalSigner, ...]]
    decryption: dict[str, EncryptionPrivateKey]
    root: LocalSigner


def federation(now: datetime, *, banks: tuple[str, ...] = ("icbc", "abc")) -> Federation:
    """Return a fresh federation valid from ``now`` for a year."""
    root = LocalSigner.generate()
    signers: dict[str, tuple[LocalSigner, ...]] = {
        "mps": (LocalSigner.generate(), LocalSigner.generate())
    }
    decryption = {"mps": EncryptionPrivateKey.generate()}
    for bank in banks:
        signers[bank] = (LocalSigner.generate(),)
        decryption[bank] = EncryptionPrivateKey.generate()
    police_rules = [MessageRule(type=t, to=banks) for t in POLICE_SENDS]
    police_rules.append(MessageRule(type="freeze_order", to=banks, threshold=2))
    police_rules += [MessageRule(type=t, to=(ANY_MEMBER,)) for t in ("ack", "error")]
    members = [
        Member(
            agency="mps",
            name="Ministry of Public Security",
            keys=tuple(s.public_key for s in signers["mps"]),
            messages=tuple(police_rules),
            encryption_keys=(decryption["mps"].public_key,),
        )
    ]
    for bank in banks:
        members.append(
            Member(
                agency=bank,
                name=f"Bank {bank.upper()}",
                keys=tuple(s.public_key for s in signers[bank]),
                messages=tuple(
                    MessageRule(type=t, to=("mps",)) for t in (*BANK_SENDS, "ack", "error")
                ),
                encryption_keys=(decryption[bank].public_key,),
            )
        )
    trust = create_trust_bundle(
        bundle_id="cases-demo",
        root_keys=[root.public_key],
        root_threshold=1,
        members=members,
        issued_at=now - timedelta(days=1),
        expires=now + timedelta(days=365),
    )
    return Federation(trust=trust, signers=signers, decryption=decryption, root=root)
