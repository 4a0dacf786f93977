"""Shared test fixtures for the receiver-state, sync and crash-safety tests (not a test module).

Builds a one-member trust bundle, signs snapshots and deltas of phone-number
lists, and writes them into folders the way a publisher would.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from antifraud_common.exchange import delta
from antifraud_common.exchange.entries import write_entries
from antifraud_common.exchange.signing import sign_list
from antifraud_common.exchange.trust import Member, PublishRule, TrustBundle, create_trust_bundle
from antifraud_common.format.jsonl import write_atomic
from antifraud_common.format.keys import LocalSigner
from antifraud_common.models import Entry

NOW = datetime.now(UTC).replace(microsecond=0)
ISSUED = NOW - timedelta(hours=1)
EXPIRES = NOW + timedelta(days=30)
ISSUER = "mps"
LIST_ID = "fraud-phones"
LIST_TYPE = "fraud_numbers"


class Kit:
    """A publisher (``mps``) with its key, and the trust bundle receivers use."""

    def __init__(self) -> None:
        self.signer = LocalSigner.generate()
        self.root = LocalSigner.generate()
        self.trust: TrustBundle = create_trust_bundle(
            bundle_id="test",
            root_keys=[self.root.public_key],
            root_threshold=1,
            issued_at=ISSUED,
            expires=NOW + timedelta(days=365),
            members=[
                Member(
                    agency=ISSUER,
                    name="MPS",
                    keys=[self.signer.public_key],
                    publish=[
                        PublishRule(
                            list_type=LIST_TYPE, kinds=["phone"], actions=["block", "watch"]
                        )
                    ],
                )
            ],
        )

    def write_trust(self, folder: Path) -> Path:
        from antifraud_common.exchange.trust import sign_trust_bundle

        path = folder / "trust.json"
        data = self.trust.to_bytes()
        write_atomic(path, data)
        write_atomic(folder / "trust.json.sig", sign_trust_bundle(data, [self.root]))
        return path

    def snapshot(
        self, folder: Path, name: str, entries: list[Entry], version: int, list_id: str = LIST_ID
    ) -> tuple[Path, Path]:
        path = folder / f"{name}.jsonl"
        write_entries(path, entries)
        sig = sign_list(
            path,
            signers=[self.signer],
            issuer=ISSUER,
            list_id=list_id,
            list_type=LIST_TYPE,
            version=version,
            issued_at=ISSUED,
            expires=EXPIRES,
            protected=None,
        )
        return path, Path(sig)

    def delta(
        self,
        folder: Path,
        name: str,
        old: Path,
        new: Path,
        version: int,
        base_version: int,
        list_id: str = LIST_ID,
    ) -> tuple[Path, Path]:
        path = folder / f"{name}.delta.jsonl"
        delta.sign_delta(
            old,
            new,
            path,
            [self.signer],
            issuer=ISSUER,
            list_id=list_id,
            list_type=LIST_TYPE,
            version=version,
            base_version=base_version,
            issued_at=ISSUED,
            expires=EXPIRES,
        )
        return path, Path(f"{path}.sig")


def phone_entry(n: int, case: str = "A-1", action: str = "block") -> Entry:
    """A valid mainland mobile number entry (+86 138 nnnn nnnn)."""
    return Entry(
        kind="phone",
        value=f"+86138{n:08d}",
        reason="telecom_fraud",
        action=action,
        source=ISSUER,
        case_ref=case,
        confidence=90,
        tlp="amber",
        listed_at=ISSUED,
        valid_from=ISSUED,
    )


def random_list(rng: random.Random, n: int, space: int = 10**8) -> dict[int, str]:
    """``n`` distinct numbers with a case reference each."""
    return {k: f"C-{rng.randrange(5)}" for k in rng.sample(range(space), n)}


def mutate(
    rng: random.Random, base: dict[int, str], changes: int, space: int = 10**8
) -> dict[int, str]:
    """Remove, replace and add about ``changes`` entries in total."""
    out = dict(base)
    keys = list(out)
    for k in rng.sample(keys, min(len(keys), changes // 3)):
        del out[k]
    for k in rng.sample(list(out), min(len(out), changes // 3)):
        out[k] = out[k] + "x"
    while len(out) < len(base) - changes // 3 + changes - 2 * (changes // 3):
        out.setdefault(rng.randrange(space), "N-1")
    return out


def entries_of(d: dict[int, str]) -> list[Entry]:
    return [phone_entry(k, c) for k, c in d.items()]


def sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
