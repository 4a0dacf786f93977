"""Generate the conformance suite (src/antifraud_common/conformance/cases/*.json).

Every signed file in the suite is built here from the written specification
(docs/spec/, docs/conformance.md) with the low-level primitives only -- canonical
JSON, Ed25519 / deterministic ES256 (RFC 6979) and SHA-256 -- never with the
library's own ``sign_list`` or trust-bundle writers, so the suite checks the
library instead of repeating it. The keys are derived from fixed, public seeds
(``TEST KEY ...``): they are test-only and must never protect anything.

The output is deterministic: running the script twice gives identical files, and
``tests/test_conformance.py`` checks the committed files against a fresh run.

Identifier vectors are the exception: their expected canonical values and error
codes come from this library's validators (they pin its behaviour; each input's
verdict was checked by hand against docs/validators.md before it was added).

Usage::

    python scripts/make_conformance.py [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
)

from antifraud_common.format import canonical

ROOT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT_DIR / "src" / "antifraud_common" / "conformance" / "cases"
SUITE_FORMAT = "antifraud-conformance"
SUITE_VERSION = 1

NOW = "2026-06-01T12:00:00Z"
MANIFEST_TYP = "antifraud-manifest+json"
TRUST_TYP = "antifraud-trust+json"
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def cj(obj: object) -> bytes:
    return canonical.dumps(obj)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------- test keys


class Key:
    """A test-only key derived from a public seed name."""

    def __init__(self, name: str, alg: str = "Ed25519") -> None:
        self.name = name
        self.alg = alg
        seed = hashlib.sha256(f"TEST KEY antifraud conformance {name}".encode()).digest()
        if alg == "Ed25519":
            self.sk: Any = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
            raw = self.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            self.jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64u(raw)}
        else:
            order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
            self.sk = ec.derive_private_key(
                int.from_bytes(seed, "big") % (order - 1) + 1, ec.SECP256R1()
            )
            pt = self.sk.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
            self.jwk = {"crv": "P-256", "kty": "EC", "x": b64u(pt[1:33]), "y": b64u(pt[33:])}
        self.kid = b64u(hashlib.sha256(cj(self.jwk)).digest())

    def sign(self, data: bytes) -> bytes:
        if self.alg == "Ed25519":
            return bytes(self.sk.sign(data))
        der = self.sk.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


K: dict[str, Key] = {}


def key(name: str, alg: str = "Ed25519") -> Key:
    if name not in K:
        K[name] = Key(name, alg)
    return K[name]


# ------------------------------------------------------------------------ JWS


def header_b64(k: Key, default_typ: str, /, **override: Any) -> str:
    header: dict[str, Any] = {"alg": k.alg, "kid": k.kid, "typ": default_typ}
    for name, value in override.items():
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    return b64u(cj(header))


def jws(
    payload: bytes,
    signers: Sequence[Key],
    typ: str = MANIFEST_TYP,
    *,
    payload_b64: str | None = None,
    headers: Sequence[dict[str, Any]] | None = None,
) -> bytes:
    """A General JSON JWS over ``payload``; ``headers[i]`` overrides signer i's header."""
    p64 = b64u(payload) if payload_b64 is None else payload_b64
    sigs = []
    for i, k in enumerate(signers):
        prot = header_b64(k, typ, **(headers[i] if headers else {}))
        sigs.append({"protected": prot, "signature": b64u(k.sign(f"{prot}.{p64}".encode()))})
    return cj({"payload": p64, "signatures": sigs})


def jws_doc(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data)
    return doc


# ------------------------------------------------------------------ entries


def luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


def entry(
    kind: str,
    value: str,
    *,
    action: str = "block",
    reason: str = "telecom_fraud",
    source: str = "mps",
    case_ref: str = "CASE-2026-0001",
    confidence: int = 90,
    tlp: str = "amber",
    listed_at: str = "2026-05-01T00:00:00Z",
    valid_from: str = "2026-05-01T00:00:00Z",
    valid_until: str | None = None,
) -> dict[str, Any]:
    e: dict[str, Any] = {
        "action": action,
        "case_ref": case_ref,
        "confidence": confidence,
        "kind": kind,
        "listed_at": listed_at,
        "reason": reason,
        "source": source,
        "tlp": tlp,
        "valid_from": valid_from,
        "value": value,
    }
    if valid_until is not None:
        e["valid_until"] = valid_until
    return e


def phones(n: int, start: int = 0, prefix: str = "+86138") -> list[dict[str, Any]]:
    return [entry("phone", f"{prefix}{1000_0000 + start + i:08d}") for i in range(n)]


def cards(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        entry(
            "bank_card",
            luhn_complete(f"622202{start + i:09d}"),
            action="hold",
            reason="mule_account",
            source="cbank",
        )
        for i in range(n)
    ]


def entries_bytes(entries: Iterable[dict[str, Any]], *, sort: bool = True) -> bytes:
    items = list(entries)
    if sort:
        items.sort(key=lambda e: (e["kind"], e["value"]))
    return b"".join(cj(e) + b"\n" for e in items)


def manifest(
    data: bytes,
    *,
    issuer: str = "mps",
    list_id: str = "fraud-phones",
    list_type: str = "fraud_numbers",
    version: int = 5,
    issued_at: str = "2026-06-01T00:00:00Z",
    expires: str = "2026-06-08T00:00:00Z",
    count: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "byte_length": len(data),
        "content": "snapshot",
        "entry_count": data.count(b"\n") if count is None else count,
        "expires": expires,
        "format": "antifraud-manifest",
        "format_version": 1,
        "issued_at": issued_at,
        "issuer": issuer,
        "list_id": list_id,
        "list_type": list_type,
        "sha256": sha(data),
        "version": version,
    }
    m.update(extra)
    return m


# -------------------------------------------------------------- trust bundle


def rule(
    list_type: str,
    kinds: Sequence[str],
    actions: Sequence[str],
    signers: Sequence[str],
    threshold: int = 1,
) -> dict[str, Any]:
    return {
        "actions": sorted(actions),
        "kinds": sorted(kinds),
        "list_type": list_type,
        "signers": sorted(signers),
        "threshold": threshold,
    }


def member(
    agency: str, name: str, keys: Sequence[Key], publish: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "agency": agency,
        "keys": [k.jwk for k in sorted(keys, key=lambda k: k.kid)],
        "name": name,
        "publish": sorted(publish, key=lambda r: r["list_type"]),
    }


def default_members() -> list[dict[str, Any]]:
    return [
        member(
            "carrier",
            "Example Mobile Carrier",
            [key("carrier-1")],
            [rule("sim_fraud", ["iccid", "imei", "phone"], ["block"], ["carrier"])],
        ),
        member(
            "cbank",
            "Central Bank (test)",
            [key("cbank-1", "ES256"), key("cbank-2")],
            [rule("mule_accounts", ["bank_card"], ["freeze", "hold"], ["cbank"])],
        ),
        member(
            "mps",
            "Ministry of Public Security (test)",
            [key("mps-1"), key("mps-2")],
            [
                rule("fraud_numbers", ["phone"], ["block", "watch"], ["mps"]),
                rule("stop_payment", ["bank_card"], ["hold"], ["cbank", "mps"], threshold=2),
            ],
        ),
    ]


def bundle(
    version: int = 1,
    *,
    root: Sequence[Key] | None = None,
    threshold: int = 2,
    members: list[dict[str, Any]] | None = None,
    issued_at: str = "2026-01-01T00:00:00Z",
    expires: str = "2027-01-01T00:00:00Z",
    bundle_id: str = "test-federation",
) -> dict[str, Any]:
    root_keys = root if root is not None else [key("root-1"), key("root-2"), key("root-3")]
    return {
        "bundle_id": bundle_id,
        "expires": expires,
        "format": "antifraud-trust",
        "format_version": 1,
        "issued_at": issued_at,
        "members": sorted(
            default_members() if members is None else members, key=lambda m: m["agency"]
        ),
        "root": {
            "keys": [k.jwk for k in sorted(root_keys, key=lambda k: k.kid)],
            "threshold": threshold,
        },
        "version": version,
    }


def root_keys(n: int, prefix: str = "root") -> list[Key]:
    return [key(f"{prefix}-{i}") for i in range(1, n + 1)]


def signed_bundle(b: dict[str, Any], signers: Sequence[Key]) -> tuple[bytes, bytes]:
    data = cj(b)
    return data, jws(data, signers, TRUST_TYP)


DEFAULT_TRUST, DEFAULT_TRUST_SIG = signed_bundle(bundle(), [key("root-1"), key("root-2")])


# --------------------------------------------------------------------- cases


def f(data: bytes) -> dict[str, Any]:
    return {"base64": base64.b64encode(data).decode("ascii")}


def big(*parts: tuple[bytes, int]) -> dict[str, Any]:
    """A large file written compactly: each part's bytes repeated ``count`` times."""
    return {
        "parts": [
            {"base64": base64.b64encode(chunk).decode("ascii"), "repeat": count}
            for chunk, count in parts
        ]
    }


SUITE: dict[str, list[dict[str, Any]]] = {}
FAMILY_TEXT: dict[str, str] = {}


def add(
    family: str, name: str, description: str, command: str, expect: dict[str, Any], **fields: Any
) -> None:
    case: dict[str, Any] = {
        "id": f"{family}/{name}",
        "family": family,
        "description": description,
        "command": command,
    }
    case.update(fields)
    case["expect"] = expect
    cases = SUITE.setdefault(family, [])
    if any(c["id"] == case["id"] for c in cases):
        raise SystemExit(f"duplicate case id {case['id']}")
    cases.append(case)


def ok(**more: Any) -> dict[str, Any]:
    return {"ok": True, **more}


def fail(code: str, *alternatives: str) -> dict[str, Any]:
    """A refusal with ``code``; ``alternatives`` are other codes the spec equally allows."""
    out: dict[str, Any] = {"ok": False, "code": code}
    if alternatives:
        out["alt_codes"] = sorted(alternatives)
    return out


def keys_of(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "jwk": K[n].jwk, "kid": K[n].kid} for n in names]


def verify_case(
    family: str,
    name: str,
    description: str,
    expect: dict[str, Any],
    *,
    entries: bytes | dict[str, Any],
    sig: bytes | dict[str, Any],
    trust: bytes = DEFAULT_TRUST,
    trust_sig: bytes = DEFAULT_TRUST_SIG,
    now: str = NOW,
    state: dict[str, Any] | None = None,
    grace_seconds: int | None = None,
    signers: Sequence[str] = ("mps-1",),
) -> None:
    files = {
        "entries": entries if isinstance(entries, dict) else f(entries),
        "sig": sig if isinstance(sig, dict) else f(sig),
        "trust": f(trust),
        "trust_sig": f(trust_sig),
    }
    fields: dict[str, Any] = {"files": files, "keys": keys_of(*signers), "now": now}
    if state is not None:
        fields["state"] = state
    if grace_seconds is not None:
        fields["grace_seconds"] = grace_seconds
    add(family, name, description, "verify", expect, **fields)


def signed_list(
    entries: bytes, signers: Sequence[Key] = (), **mf: Any
) -> tuple[bytes, bytes, dict[str, Any]]:
    m = manifest(entries, **mf)
    return entries, jws(cj(m), list(signers) or [key("mps-1")]), m


# ------------------------------------------------------------ family: list


BASE = entries_bytes(phones(5))
BASE_SIG = signed_list(BASE)[1]


def family_list() -> None:
    FAMILY_TEXT["list"] = "Well-formed signed lists that every verifier must accept."
    fam = "list"
    verify_case(
        fam,
        "five-phones",
        "A snapshot of five phone entries signed by the issuer.",
        ok(),
        entries=BASE,
        sig=BASE_SIG,
    )
    e, s, _ = signed_list(b"")
    verify_case(
        fam,
        "empty-list",
        "An empty list is an empty file (0 bytes, 0 entries).",
        ok(),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, [key("mps-2")])
    verify_case(
        fam,
        "second-issuer-key",
        "Signed by the issuer's other key.",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-2"],
    )
    e, s, _ = signed_list(BASE, [key("mps-1"), key("mps-2")])
    verify_case(
        fam,
        "two-issuer-keys",
        "Signed by both issuer keys (threshold 1).",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-1", "mps-2"],
    )
    big_list = entries_bytes(phones(200, 5000))
    e, s, _ = signed_list(big_list)
    verify_case(fam, "two-hundred-phones", "A snapshot of 200 entries.", ok(), entries=e, sig=s)
    mixed = entries_bytes(
        phones(3)
        + phones(3, 0, "+86139")
        + [
            entry(
                "phone",
                "+8613800001111",
                action="watch",
                confidence=40,
                tlp="green",
                valid_until="2026-12-01T00:00:00Z",
            )
        ]
    )
    e, s, _ = signed_list(mixed)
    verify_case(
        fam,
        "watch-and-valid-until",
        "Entries with action watch and a valid_until.",
        ok(),
        entries=e,
        sig=s,
    )
    e = entries_bytes(cards(4))
    e, s, _ = signed_list(
        e, [key("cbank-1", "ES256")], issuer="cbank", list_id="mules", list_type="mule_accounts"
    )
    verify_case(
        fam,
        "es256-issuer",
        "A bank-card list signed with an ES256 (P-256) key.",
        ok(),
        entries=e,
        sig=s,
        signers=["cbank-1"],
    )
    e = entries_bytes(cards(3, 100))
    e, s, _ = signed_list(
        e, [key("mps-1"), key("cbank-2")], list_id="stop", list_type="stop_payment"
    )
    verify_case(
        fam,
        "co-signed-2-of-n",
        "stop_payment needs 2 keys of mps and cbank: mps-1 + cbank-2.",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-1", "cbank-2"],
    )
    e, s, _ = signed_list(
        e, [key("mps-1"), key("cbank-1", "ES256")], list_id="stop", list_type="stop_payment"
    )
    verify_case(
        fam,
        "co-signed-mixed-algorithms",
        "stop_payment co-signed with Ed25519 and ES256.",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-1", "cbank-1"],
    )
    e, s, _ = signed_list(e, [key("mps-1"), key("mps-2")], list_id="stop", list_type="stop_payment")
    verify_case(
        fam,
        "co-signed-same-agency",
        "Threshold 2 met by two distinct keys of the issuer (both agencies' keys count).",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-1", "mps-2"],
    )
    e, s, _ = signed_list(BASE, [key("mps-1"), key("attacker-1")])
    verify_case(
        fam,
        "extra-unknown-signature",
        "A second signature by an unknown key is ignored.",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-1", "attacker-1"],
    )
    e, s, _ = signed_list(BASE, [key("mps-1"), key("carrier-1")])
    verify_case(
        fam,
        "extra-other-member-signature",
        "A second signature by another member's key does not hurt.",
        ok(),
        entries=e,
        sig=s,
        signers=["mps-1", "carrier-1"],
    )
    sim = entries_bytes(
        [
            entry("iccid", luhn_complete("898600" + "1" * 13), source="carrier"),
            entry("imei", luhn_complete("35209900176148"), source="carrier"),
            entry("phone", "+8613800138000", source="carrier"),
        ]
    )
    e, s, _ = signed_list(
        sim, [key("carrier-1")], issuer="carrier", list_id="sim", list_type="sim_fraud"
    )
    verify_case(
        fam,
        "carrier-sim-list",
        "ICCID, IMEI and phone entries from a carrier.",
        ok(),
        entries=e,
        sig=s,
        signers=["carrier-1"],
    )
    e, s, _ = signed_list(BASE, issued_at="2026-06-01T12:04:00Z", expires="2026-06-02T00:00:00Z")
    verify_case(
        fam,
        "issued-4-minutes-ahead",
        "issued_at 4 minutes in the future is tolerated (clock skew up to 5 minutes).",
        ok(),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, version=1)
    verify_case(fam, "version-1", "The first version of a list.", ok(), entries=e, sig=s)
    e, s, _ = signed_list(BASE, version=2**53 - 1)
    verify_case(
        fam,
        "version-max-safe-integer",
        "The largest allowed version, 2^53-1.",
        ok(),
        entries=e,
        sig=s,
    )
    # EdDSA is the legacy name of the same algorithm (RFC 8037)
    m = cj(manifest(BASE))
    s = jws(m, [key("mps-1")], headers=[{"alg": "EdDSA"}])
    verify_case(
        fam,
        "alg-eddsa-legacy-name",
        "Header alg 'EdDSA' (RFC 8037) for an Ed25519 key.",
        ok(),
        entries=BASE,
        sig=s,
    )


# ------------------------------------------------------- family: integrity


def flip(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    assert old in data, (old, data[:80])
    return data.replace(old, new, count)


def family_integrity() -> None:
    FAMILY_TEXT["integrity"] = (
        "The entries file must be exactly the signed one: length, SHA-256, line count."
    )
    fam = "integrity"
    lines = BASE.splitlines(keepends=True)
    verify_case(
        fam,
        "tamper-confidence",
        "One digit of an entry changed (90 -> 80), same length.",
        fail("hash_mismatch"),
        entries=flip(BASE, b'"confidence":90', b'"confidence":80'),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "tamper-value",
        "The phone number of one entry changed, same length.",
        fail("hash_mismatch"),
        entries=flip(BASE, b"+8613810000002", b"+8613810000009"),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "tamper-case-ref",
        "An entry's case reference changed, same length.",
        fail("hash_mismatch"),
        entries=flip(BASE, b"CASE-2026-0001", b"CASE-2026-0002"),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "appended-line",
        "One more (valid) line appended.",
        fail("length_mismatch"),
        entries=BASE + entries_bytes(phones(1, 900)),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "truncated-last-line",
        "The last line removed.",
        fail("length_mismatch"),
        entries=b"".join(lines[:-1]),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "truncated-mid-line",
        "The file cut in the middle of the last line.",
        fail("length_mismatch"),
        entries=BASE[:-20],
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "emptied",
        "The entries file replaced by an empty file.",
        fail("length_mismatch"),
        entries=b"",
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "lines-swapped",
        "Two lines swapped: same bytes, other order (a streaming "
        "verifier may notice the order first).",
        fail("hash_mismatch", "not_sorted"),
        entries=lines[1] + lines[0] + b"".join(lines[2:]),
        sig=BASE_SIG,
    )
    # mix-and-match: another list's entries file of identical length under this manifest
    other = entries_bytes(phones(5, 0, "+86139"))
    assert len(other) == len(BASE)
    verify_case(
        fam,
        "mix-and-match-same-length",
        "The manifest of one list with the (validly signed) entries file of another list "
        "of the same length.",
        fail("hash_mismatch"),
        entries=other,
        sig=BASE_SIG,
    )
    other_sig = signed_list(other, list_id="fraud-phones-b")[1]
    verify_case(
        fam,
        "mix-and-match-other-signature",
        "This list's entries with the signature file of another list.",
        fail("hash_mismatch"),
        entries=BASE,
        sig=other_sig,
    )
    # count mismatch: the publisher signed a wrong entry_count
    e, s, _ = signed_list(BASE, count=4)
    verify_case(
        fam,
        "count-mismatch",
        "Manifest entry_count 4 for a 5-line file.",
        fail("count_mismatch"),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, count=6)
    verify_case(
        fam,
        "count-mismatch-high",
        "Manifest entry_count 6 for a 5-line file.",
        fail("count_mismatch"),
        entries=e,
        sig=s,
    )
    m = manifest(BASE)
    m["byte_length"] += 1
    verify_case(
        fam,
        "byte-length-off-by-one",
        "Manifest byte_length one more than the file.",
        fail("length_mismatch"),
        entries=BASE,
        sig=jws(cj(m), [key("mps-1")]),
    )
    m = manifest(BASE)
    m["sha256"] = sha(BASE[:-1] + b"\r")
    verify_case(
        fam,
        "sha256-of-other-bytes",
        "Manifest sha256 of other bytes of the same length.",
        fail("hash_mismatch"),
        entries=BASE,
        sig=jws(cj(m), [key("mps-1")]),
    )
    verify_case(
        fam,
        "endless-input",
        "An entries file of 2 MiB for a manifest that says 500-odd "
        "bytes: refused by length before it is read.",
        fail("length_mismatch"),
        entries=big((BASE, 1), (b"A" * 1024, 2048)),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "trailing-newline-added",
        "An extra LF at the end of the file.",
        fail("length_mismatch"),
        entries=BASE + b"\n",
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "crlf-line-ends",
        "LF rewritten as CRLF (a text-mode copy).",
        fail("length_mismatch"),
        entries=BASE.replace(b"\n", b"\r\n"),
        sig=BASE_SIG,
    )
    verify_case(
        fam,
        "bom-prepended",
        "A UTF-8 byte order mark prepended.",
        fail("length_mismatch"),
        entries=b"\xef\xbb\xbf" + BASE,
        sig=BASE_SIG,
    )


# ------------------------------------------------------- family: signature


def resign_doc(doc: dict[str, Any]) -> bytes:
    return cj(doc)


def family_signature() -> None:
    FAMILY_TEXT["signature"] = (
        "Signature stripping, algorithm substitution, key substitution and envelope tampering."
    )
    fam = "signature"
    m = cj(manifest(BASE))
    doc = jws_doc(BASE_SIG)
    # tampered payload (version 5 -> 6) keeping the signature
    m6 = cj(manifest(BASE, version=6))
    d = dict(doc, payload=b64u(m6))
    verify_case(
        fam,
        "payload-tampered",
        "The manifest changed (version 5 -> 6), signature kept.",
        fail("signature_invalid"),
        entries=BASE,
        sig=cj(d),
    )
    sig0 = doc["signatures"][0]
    raw = base64.urlsafe_b64decode(sig0["signature"] + "==")
    bad = bytes([raw[0] ^ 1]) + raw[1:]
    d = {"payload": doc["payload"], "signatures": [dict(sig0, signature=b64u(bad))]}
    verify_case(
        fam,
        "signature-bit-flip",
        "One bit of the signature flipped.",
        fail("signature_invalid"),
        entries=BASE,
        sig=cj(d),
    )
    d = {"payload": doc["payload"], "signatures": []}
    verify_case(
        fam,
        "signatures-stripped",
        "Empty signatures array.",
        fail("jws_no_signatures"),
        entries=BASE,
        sig=cj(d),
    )
    verify_case(
        fam,
        "signatures-member-missing",
        "Only the payload, no signatures member.",
        fail("jws_members"),
        entries=BASE,
        sig=cj({"payload": doc["payload"]}),
    )
    verify_case(
        fam,
        "empty-sig-file",
        "The signature file is empty.",
        fail("json_syntax"),
        entries=BASE,
        sig=b"",
    )
    verify_case(
        fam,
        "sig-file-not-json",
        "The signature file is a compact JWS string.",
        fail("json_syntax"),
        entries=BASE,
        sig=f"{sig0['protected']}.{doc['payload']}.{sig0['signature']}".encode(),
    )
    # alg none
    prot = header_b64(key("mps-1"), MANIFEST_TYP, alg="none")
    d = {"payload": doc["payload"], "signatures": [{"protected": prot, "signature": ""}]}
    verify_case(
        fam,
        "alg-none",
        "alg 'none' with an empty signature.",
        fail("jws_alg_none"),
        entries=BASE,
        sig=cj(d),
    )
    d = {"payload": doc["payload"], "signatures": [sig0, {"protected": prot, "signature": ""}]}
    verify_case(
        fam,
        "alg-none-beside-valid",
        "A valid signature plus an alg 'none' one: the envelope is refused as a whole.",
        fail("jws_alg_none"),
        entries=BASE,
        sig=cj(d),
    )
    # HS256 keyed with the issuer's public key bytes
    pub = base64.urlsafe_b64decode(key("mps-1").jwk["x"] + "=")
    prot = header_b64(key("mps-1"), MANIFEST_TYP, alg="HS256")
    mac = hmac.new(pub, f"{prot}.{doc['payload']}".encode(), hashlib.sha256).digest()
    d = {"payload": doc["payload"], "signatures": [{"protected": prot, "signature": b64u(mac)}]}
    verify_case(
        fam,
        "alg-hs256-public-key",
        "HS256 keyed with the issuer's public key (the classic algorithm confusion).",
        fail("jws_alg_unsupported"),
        entries=BASE,
        sig=cj(d),
    )
    prot = header_b64(key("mps-1"), MANIFEST_TYP, alg="RS256")
    d = {
        "payload": doc["payload"],
        "signatures": [{"protected": prot, "signature": sig0["signature"]}],
    }
    verify_case(
        fam,
        "alg-rs256",
        "An unsupported algorithm (RS256).",
        fail("jws_alg_unsupported"),
        entries=BASE,
        sig=cj(d),
    )
    # header alg ES256 on an Ed25519 key with a valid Ed25519 signature over that header
    s = jws(m, [key("mps-1")], headers=[{"alg": "ES256"}])
    verify_case(
        fam,
        "alg-mismatch-es256-on-ed25519",
        "Header says ES256, the key is Ed25519 (the "
        "signature is a valid Ed25519 one): the algorithm comes from the key.",
        fail("signature_invalid"),
        entries=BASE,
        sig=s,
    )
    s = jws(
        cj(
            manifest(
                entries_bytes(cards(2)), issuer="cbank", list_id="mules", list_type="mule_accounts"
            )
        ),
        [key("cbank-1", "ES256")],
        headers=[{"alg": "Ed25519"}],
    )
    verify_case(
        fam,
        "alg-mismatch-ed25519-on-p256",
        "Header says Ed25519 for a P-256 key.",
        fail("signature_invalid"),
        entries=entries_bytes(cards(2)),
        sig=s,
        signers=["cbank-1"],
    )
    # key substitution
    s = jws(m, [key("attacker-1")])
    verify_case(
        fam,
        "unknown-key",
        "Signed by a key that is not in the trust bundle.",
        fail("signature_invalid"),
        entries=BASE,
        sig=s,
        signers=["attacker-1"],
    )
    s = jws(m, [key("attacker-1")], headers=[{"kid": key("mps-1").kid}])
    verify_case(
        fam,
        "key-substitution-kid",
        "Signed by an attacker key under the issuer's kid.",
        fail("signature_invalid"),
        entries=BASE,
        sig=s,
        signers=["attacker-1"],
    )
    s = jws(m, [key("root-1")])
    verify_case(
        fam,
        "root-key-signs-list",
        "Signed by a root key: root keys sign bundles, not lists.",
        fail("signature_invalid"),
        entries=BASE,
        sig=s,
        signers=["root-1"],
    )
    # header problems
    s = jws(m, [key("mps-1")], headers=[{"kid": None}])
    verify_case(
        fam, "kid-missing", "Protected header without kid.", fail("jws_header"), entries=BASE, sig=s
    )
    s = jws(m, [key("mps-1")], headers=[{"kid": "mps-1"}])
    verify_case(
        fam,
        "kid-not-thumbprint",
        "kid is a name, not an RFC 7638 thumbprint.",
        fail("jws_kid"),
        entries=BASE,
        sig=s,
    )
    s = jws(m, [key("mps-1")], headers=[{"typ": TRUST_TYP}])
    verify_case(
        fam,
        "typ-trust",
        "A list signature typed as a trust bundle signature.",
        fail("jws_typ"),
        entries=BASE,
        sig=s,
    )
    s = jws(m, [key("mps-1")], headers=[{"crit": ["exp"]}])
    verify_case(
        fam,
        "crit-header",
        "An unknown critical header parameter.",
        fail("jws_crit"),
        entries=BASE,
        sig=s,
    )
    s = jws(m, [key("mps-1")], headers=[{"b64": False}])
    verify_case(
        fam,
        "extra-header-member",
        "An extra protected header member (b64).",
        fail("jws_header_member"),
        entries=BASE,
        sig=s,
    )
    d = {"payload": doc["payload"], "signatures": [dict(sig0, header={"kid": key("mps-1").kid})]}
    verify_case(
        fam,
        "unprotected-header",
        "An unprotected header member.",
        fail("jws_unprotected_header"),
        entries=BASE,
        sig=cj(d),
    )
    d = {"payload": doc["payload"] + "=", "signatures": [sig0]}
    verify_case(
        fam,
        "payload-padded-base64",
        "Padding '=' on the base64url payload.",
        fail("jws_base64"),
        entries=BASE,
        sig=cj(d),
    )
    d = {"payload": doc["payload"], "signatures": [dict(sig0, signature=sig0["signature"] + "==")]}
    verify_case(
        fam,
        "signature-padded-base64",
        "Padding on the base64url signature.",
        fail("jws_base64"),
        entries=BASE,
        sig=cj(d),
    )
    std = base64.b64encode(raw).decode().rstrip("=")
    if std != sig0["signature"]:
        d = {"payload": doc["payload"], "signatures": [dict(sig0, signature=std)]}
        verify_case(
            fam,
            "signature-standard-base64",
            "Standard base64 (+/) instead of base64url.",
            fail("jws_base64"),
            entries=BASE,
            sig=cj(d),
        )
    d = {"payload": doc["payload"], "signatures": [dict(sig0, signature=b64u(raw[:63]))]}
    verify_case(
        fam,
        "signature-truncated",
        "A 63-byte signature.",
        fail("jws_signature_length"),
        entries=BASE,
        sig=cj(d),
    )
    # non-canonical unused bits in base64url of the signature
    last = sig0["signature"][-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    idx = alphabet.index(last)
    alt = alphabet[idx | 1] if idx % 2 == 0 else alphabet[idx & ~1]
    d = {
        "payload": doc["payload"],
        "signatures": [dict(sig0, signature=sig0["signature"][:-1] + alt)],
    }
    verify_case(
        fam,
        "signature-nonzero-pad-bits",
        "The last base64url character of the "
        "signature has unused bits set (a second encoding of the same bytes).",
        fail("jws_base64"),
        entries=BASE,
        sig=cj(d),
    )
    d = {"payload": doc["payload"], "signatures": [sig0, sig0]}
    verify_case(
        fam,
        "duplicate-signature",
        "The same valid signature twice: refused as malformed (a verifier may instead count "
        "the key once and accept).",
        dict(fail("jws_duplicate_kid"), alt_accept=True),
        entries=BASE,
        sig=cj(d),
    )
    d = {"payload": doc["payload"], "signatures": [sig0], "extra": 1}
    verify_case(
        fam,
        "envelope-extra-member",
        "An extra top-level envelope member.",
        fail("jws_members"),
        entries=BASE,
        sig=cj(d),
    )
    verify_case(
        fam,
        "envelope-duplicate-member",
        "A duplicate 'payload' member in the envelope (two payloads, one signed).",
        fail("json_duplicate_key"),
        entries=BASE,
        sig=b'{"payload":"' + b64u(m6).encode() + b'",' + BASE_SIG[1:],
    )
    verify_case(
        fam,
        "envelope-bom",
        "A byte order mark before the envelope.",
        fail("json_bom"),
        entries=BASE,
        sig=b"\xef\xbb\xbf" + BASE_SIG,
    )
    verify_case(
        fam,
        "oversized-sig-file",
        "A signature file over the 1 MiB limit (valid JSON padded with spaces).",
        fail("jws_too_large", "json_too_large"),
        entries=BASE,
        sig=big((BASE_SIG[:-1], 1), (b" ", 1024 * 1024 + 1 - len(BASE_SIG)), (b"}", 1)),
    )
    s = jws(m, [key(f"attacker-{i}") for i in range(1, 34)])
    verify_case(
        fam,
        "too-many-signatures",
        "33 signatures (the limit is 32).",
        fail("jws_too_many_signatures"),
        entries=BASE,
        sig=s,
    )
    trust_sig_of_list = jws(m, [key("mps-1")], TRUST_TYP)
    verify_case(
        fam,
        "bundle-signature-as-list-signature",
        "A trust-bundle typed envelope offered as a list signature.",
        fail("jws_typ"),
        entries=BASE,
        sig=trust_sig_of_list,
    )
    verify_case(
        fam,
        "trust-bundle-as-manifest",
        "The trust bundle's own (valid) signature file offered as a list signature.",
        fail("jws_typ"),
        entries=BASE,
        sig=DEFAULT_TRUST_SIG,
    )


# --------------------------------------------------- family: scope / threshold


def family_scope() -> None:
    FAMILY_TEXT["scope"] = (
        "A member may publish only the list types, kinds and actions it is given."
    )
    fam = "scope"
    e, s, _ = signed_list(BASE, issuer="moe", list_id="x")
    verify_case(
        fam,
        "issuer-not-member",
        "The manifest names an issuer that is not a member (signed by a member key).",
        fail("out_of_scope"),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, list_type="pirate_stations")
    verify_case(
        fam,
        "list-type-not-allowed",
        "The issuer has no rule for this list type.",
        fail("out_of_scope"),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, [key("carrier-1")], issuer="carrier", list_type="fraud_numbers")
    verify_case(
        fam,
        "other-members-list-type",
        "A carrier publishes an mps list type.",
        fail("out_of_scope"),
        entries=e,
        sig=s,
        signers=["carrier-1"],
    )
    e = entries_bytes(phones(2) + [entry("bank_card", luhn_complete("622202000000001"))])
    e, s, _ = signed_list(e)
    verify_case(
        fam,
        "entry-kind-not-allowed",
        "A bank card in a phone-only list type.",
        fail("out_of_scope"),
        entries=e,
        sig=s,
    )
    e = entries_bytes(phones(2) + [entry("phone", "+8613900000001", action="freeze")])
    e, s, _ = signed_list(e)
    verify_case(
        fam,
        "entry-action-not-allowed",
        "Action freeze in a list type allowing block and watch.",
        fail("out_of_scope"),
        entries=e,
        sig=s,
    )
    e = entries_bytes(cards(2, 300) + [dict(cards(1, 400)[0], action="freeze")])
    e, s, _ = signed_list(
        e, [key("mps-1"), key("cbank-2")], list_id="stop", list_type="stop_payment"
    )
    verify_case(
        fam,
        "co-signed-entry-action-not-allowed",
        "stop_payment allows hold only; one entry says freeze.",
        fail("out_of_scope"),
        entries=e,
        sig=s,
        signers=["mps-1", "cbank-2"],
    )
    e, s, _ = signed_list(BASE, [key("carrier-1")], issuer="mps")
    verify_case(
        fam,
        "signed-by-other-member-for-issuer",
        "The manifest names mps as issuer but "
        "only the carrier signed: no key of the rule's signers.",
        fail("threshold_not_met"),
        entries=e,
        sig=s,
        signers=["carrier-1"],
    )
    e = entries_bytes(cards(3))
    e, s, _ = signed_list(
        e, [key("cbank-2")], issuer="mps", list_id="stop", list_type="stop_payment"
    )
    verify_case(
        fam,
        "co-signer-alone-as-issuer",
        "cbank alone signs a stop_payment list naming mps as issuer (1 of 2).",
        fail("threshold_not_met"),
        entries=e,
        sig=s,
        signers=["cbank-2"],
    )


def family_threshold() -> None:
    FAMILY_TEXT["threshold"] = "k-of-n co-signing counts distinct authorised keys."
    fam = "threshold"
    e = entries_bytes(cards(3, 10))
    m = cj(manifest(e, list_id="stop", list_type="stop_payment"))
    verify_case(
        fam,
        "one-of-two",
        "stop_payment needs 2; only mps-1 signed.",
        fail("threshold_not_met"),
        entries=e,
        sig=jws(m, [key("mps-1")]),
    )
    s1 = jws_doc(jws(m, [key("mps-1")]))["signatures"][0]
    d = {"payload": b64u(m), "signatures": [s1, s1]}
    verify_case(
        fam,
        "repeated-key-same-signature",
        "The same signature twice: one key, counted once.",
        fail("jws_duplicate_kid", "threshold_not_met"),
        entries=e,
        sig=cj(d),
    )
    # a second, different but valid signature by the same key (ES256 with another nonce)
    s2 = jws_doc(jws(m, [key("cbank-1", "ES256")]))["signatures"][0]
    # ECDSA signatures are malleable: (r, n - s) is a second valid signature
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    raw = base64.urlsafe_b64decode(s2["signature"] + "==")
    r_i, s_i = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    alt = r_i.to_bytes(32, "big") + (order - s_i).to_bytes(32, "big")
    d = {"payload": b64u(m), "signatures": [s2, dict(s2, signature=b64u(alt))]}
    verify_case(
        fam,
        "repeated-key-two-valid-signatures",
        "Two different valid ES256 signatures (s and n-s) by the same key: still one key "
        "(refused as malformed, or counted once).",
        fail("jws_duplicate_kid", "threshold_not_met"),
        entries=e,
        sig=cj(d),
        signers=["cbank-1"],
    )
    verify_case(
        fam,
        "two-distinct",
        "mps-1 + cbank-1: threshold 2 met.",
        ok(),
        entries=e,
        sig=jws(m, [key("mps-1"), key("cbank-1", "ES256")]),
        signers=["mps-1", "cbank-1"],
    )
    verify_case(
        fam,
        "three-distinct",
        "Three distinct authorised keys (more than needed).",
        ok(),
        entries=e,
        sig=jws(m, [key("mps-1"), key("mps-2"), key("cbank-1", "ES256")]),
        signers=["mps-1", "mps-2", "cbank-1"],
    )
    verify_case(
        fam,
        "second-key-unauthorised",
        "mps-1 + carrier-1: the carrier is not a signer of stop_payment.",
        fail("threshold_not_met"),
        entries=e,
        sig=jws(m, [key("mps-1"), key("carrier-1")]),
        signers=["mps-1", "carrier-1"],
    )
    verify_case(
        fam,
        "second-key-unknown",
        "mps-1 + an unknown key.",
        fail("threshold_not_met"),
        entries=e,
        sig=jws(m, [key("mps-1"), key("attacker-1")]),
        signers=["mps-1", "attacker-1"],
    )
    verify_case(
        fam,
        "second-key-root",
        "mps-1 + a root key (root keys do not sign lists).",
        fail("threshold_not_met"),
        entries=e,
        sig=jws(m, [key("mps-1"), key("root-1")]),
        signers=["mps-1", "root-1"],
    )
    d = jws_doc(jws(m, [key("mps-1"), key("cbank-2")]))
    sig_b = d["signatures"][1]
    raw = base64.urlsafe_b64decode(sig_b["signature"] + "==")
    d["signatures"][1] = dict(sig_b, signature=b64u(bytes([raw[0] ^ 0x80]) + raw[1:]))
    verify_case(
        fam,
        "second-signature-invalid",
        "mps-1 valid + cbank-2 with a broken signature.",
        fail("threshold_not_met"),
        entries=e,
        sig=cj(d),
        signers=["mps-1", "cbank-2"],
    )
    d = jws_doc(jws(m, [key("mps-1"), key("cbank-2")]))
    d["signatures"][1]["protected"] = header_b64(key("cbank-2"), MANIFEST_TYP, kid=key("mps-1").kid)
    verify_case(
        fam,
        "second-signature-claims-first-kid",
        "Two signatures both claiming mps-1's kid (one by cbank-2): at most one key "
        "(refused as malformed, or counted once).",
        fail("jws_duplicate_kid", "threshold_not_met"),
        entries=e,
        sig=cj(d),
        signers=["mps-1", "cbank-2"],
    )


# ----------------------------------------------- family: freshness / rollback


def family_freshness() -> None:
    FAMILY_TEXT["freshness"] = "Expiry (freeze attacks), issue time in the future, grace mode."
    fam = "freshness"
    e, s, _ = signed_list(BASE, issued_at="2026-05-01T00:00:00Z", expires="2026-05-08T00:00:00Z")
    verify_case(
        fam,
        "expired",
        "Expired three weeks before now (a frozen mirror replaying it).",
        fail("expired"),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, expires="2026-06-01T12:00:00Z")
    verify_case(
        fam, "expires-exactly-now", "now == expires is expired.", fail("expired"), entries=e, sig=s
    )
    e, s, _ = signed_list(BASE, expires="2026-06-01T12:00:01Z")
    verify_case(fam, "expires-in-one-second", "One second left: valid.", ok(), entries=e, sig=s)
    e, s, _ = signed_list(BASE, issued_at="2026-05-01T00:00:00Z", expires="2026-06-01T11:00:00Z")
    verify_case(
        fam,
        "grace-used",
        "Expired an hour ago, verified with a 2-hour grace: accepted (and reported).",
        ok(),
        entries=e,
        sig=s,
        grace_seconds=7200,
    )
    verify_case(
        fam,
        "grace-too-short",
        "Expired an hour ago, 30-minute grace: refused.",
        fail("expired"),
        entries=e,
        sig=s,
        grace_seconds=1800,
    )
    verify_case(
        fam,
        "grace-boundary",
        "Expired exactly 1 hour ago with a 1-hour grace: refused.",
        fail("expired"),
        entries=e,
        sig=s,
        grace_seconds=3600,
    )
    e, s, _ = signed_list(BASE, issued_at="2026-06-01T12:06:00Z", expires="2026-06-08T00:00:00Z")
    verify_case(
        fam,
        "issued-in-future",
        "issued_at 6 minutes after now.",
        fail("issued_in_future"),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, issued_at="2026-06-01T12:05:00Z", expires="2026-06-08T00:00:00Z")
    verify_case(
        fam,
        "issued-5-minutes-ahead",
        "issued_at exactly 5 minutes after now: tolerated.",
        ok(),
        entries=e,
        sig=s,
    )
    e, s, _ = signed_list(BASE, issued_at="2027-01-01T00:00:00Z", expires="2027-02-01T00:00:00Z")
    verify_case(
        fam,
        "issued-next-year",
        "A list issued (and valid) only next year.",
        fail("issued_in_future"),
        entries=e,
        sig=s,
    )
    verify_case(
        fam,
        "now-after-expiry-of-old-list",
        "The base list verified a week later.",
        fail("expired"),
        entries=BASE,
        sig=BASE_SIG,
        now="2026-06-08T12:00:00Z",
    )


def family_rollback() -> None:
    FAMILY_TEXT["rollback"] = (
        "Receiver state: rollback, fork (same version, other bytes), unchanged."
    )
    fam = "rollback"
    h = sha(BASE)
    verify_case(
        fam,
        "older-version",
        "State has version 6; the list is version 5.",
        fail("rollback"),
        entries=BASE,
        sig=BASE_SIG,
        state={"version": 6, "sha256": EMPTY_SHA},
    )
    verify_case(
        fam,
        "much-older-version",
        "State has version 1000.",
        fail("rollback"),
        entries=BASE,
        sig=BASE_SIG,
        state={"version": 1000, "sha256": h},
    )
    verify_case(
        fam,
        "same-version-same-bytes",
        "State has this exact version and hash: unchanged, not an error.",
        ok(),
        entries=BASE,
        sig=BASE_SIG,
        state={"version": 5, "sha256": h},
    )
    verify_case(
        fam,
        "same-version-other-bytes",
        "State has version 5 with another hash: a fork.",
        fail("fork"),
        entries=BASE,
        sig=BASE_SIG,
        state={"version": 5, "sha256": EMPTY_SHA},
    )
    verify_case(
        fam,
        "newer-version",
        "State has version 4: version 5 is accepted.",
        ok(),
        entries=BASE,
        sig=BASE_SIG,
        state={"version": 4, "sha256": EMPTY_SHA},
    )
    verify_case(
        fam,
        "skip-versions",
        "State has version 1: snapshots may skip versions.",
        ok(),
        entries=BASE,
        sig=BASE_SIG,
        state={"version": 1, "sha256": EMPTY_SHA},
    )
    e, s, _ = signed_list(BASE, version=6)
    verify_case(
        fam,
        "fork-other-manifest",
        "Two different signed manifests for version 6 of the "
        "same file bytes: the state holds another hash for version 6.",
        fail("fork"),
        entries=e,
        sig=s,
        state={"version": 6, "sha256": sha(entries_bytes(phones(4)))},
    )
    e, s, _ = signed_list(BASE, version=2**53 - 1)
    verify_case(
        fam,
        "fork-at-max-version",
        "State at 2^53-1 with other bytes: fork at the top.",
        fail("fork"),
        entries=e,
        sig=s,
        state={"version": 2**53 - 1, "sha256": EMPTY_SHA},
    )
    e, s, _ = signed_list(
        BASE, issued_at="2026-05-01T00:00:00Z", expires="2026-05-08T00:00:00Z", version=9
    )
    verify_case(
        fam,
        "expired-newer",
        "A newer but expired version: expiry is checked before the state.",
        fail("expired"),
        entries=e,
        sig=s,
        state={"version": 5, "sha256": h},
    )


# ------------------------------------------------------ family: manifest


def signed_payload(payload: bytes, signer: str = "mps-1") -> bytes:
    return jws(payload, [key(signer)])


def family_manifest() -> None:
    FAMILY_TEXT["manifest"] = (
        "The signed payload must be a canonical, well-formed list manifest (JSON ambiguity refused)."
    )
    fam = "manifest"
    m = manifest(BASE)
    text = cj(m)

    def case(name: str, description: str, payload: bytes, code: str) -> None:
        verify_case(fam, name, description, fail(code), entries=BASE, sig=signed_payload(payload))

    case(
        "duplicate-member",
        "The signed manifest has 'version' twice (5 and 6).",
        text[:-1] + b',"version":6}',
        "manifest_invalid",
    )
    case(
        "not-canonical-whitespace",
        "A signed manifest with whitespace.",
        json.dumps(m, sort_keys=True, indent=1).encode(),
        "manifest_not_canonical",
    )
    case(
        "not-canonical-order",
        "A signed manifest with members out of order.",
        json.dumps(m, separators=(",", ":")).encode()
        if list(m) != sorted(m)
        else b'{"version":5,' + text[1:].replace(b',"version":5', b""),
        "manifest_not_canonical",
    )
    case(
        "float-version",
        "version written as 5.0.",
        text.replace(b'"version":5', b'"version":5.0'),
        "manifest_invalid",
    )
    case(
        "exponent-count",
        "entry_count written as 5e0.",
        text.replace(b'"entry_count":5', b'"entry_count":5e0'),
        "manifest_invalid",
    )
    case(
        "lone-surrogate",
        "A lone surrogate escaped in list_id.",
        text.replace(b'"fraud-phones"', b'"fraud-phones\\ud800"'),
        "manifest_invalid",
    )
    case(
        "bom", "A UTF-8 BOM before the signed manifest.", b"\xef\xbb\xbf" + text, "manifest_invalid"
    )
    case(
        "invalid-utf8",
        "An invalid UTF-8 byte inside a string.",
        text.replace(b'"fraud-phones"', b'"fraud-phones\xff"'),
        "manifest_invalid",
    )
    case("not-json", "The payload is not JSON at all.", b"version=5", "manifest_invalid")
    case("array", "The payload is a JSON array.", b"[]", "manifest_invalid")
    case(
        "unknown-member",
        "An unknown manifest member.",
        cj(dict(m, comment="x")),
        "manifest_invalid",
    )
    case(
        "missing-member",
        "No expires member.",
        cj({k: v for k, v in m.items() if k != "expires"}),
        "manifest_invalid",
    )
    case(
        "wrong-format",
        "format is antifraud-trust (a bundle payload type).",
        cj(dict(m, format="antifraud-trust")),
        "manifest_invalid",
    )
    case(
        "format-version-2",
        "An unknown format version.",
        cj(dict(m, format_version=2)),
        "manifest_invalid",
    )
    case("version-zero", "version 0.", cj(dict(m, version=0)), "manifest_invalid")
    case("version-negative", "version -1.", cj(dict(m, version=-1)), "manifest_invalid")
    case(
        "version-too-large",
        "version 2^53.",
        text.replace(b'"version":5', b'"version":9007199254740992'),
        "manifest_invalid",
    )
    case("version-string", "version as a string.", cj(dict(m, version="5")), "manifest_invalid")
    case(
        "sha256-uppercase",
        "sha256 in upper-case hex.",
        cj(dict(m, sha256=m["sha256"].upper())),
        "manifest_invalid",
    )
    case(
        "timestamp-offset",
        "issued_at with +08:00 offset.",
        cj(dict(m, issued_at="2026-06-01T08:00:00+08:00")),
        "manifest_invalid",
    )
    case(
        "timestamp-fraction",
        "expires with fractional seconds.",
        cj(dict(m, expires="2026-06-08T00:00:00.000Z")),
        "manifest_invalid",
    )
    case(
        "expires-before-issued",
        "expires before issued_at.",
        cj(dict(m, expires="2026-05-01T00:00:00Z")),
        "manifest_invalid",
    )
    case(
        "issuer-uppercase",
        "Issuer id in upper case.",
        cj(dict(m, issuer="MPS")),
        "manifest_invalid",
    )
    case(
        "issuer-fullwidth",
        "Issuer id in full-width letters (ｍｐｓ).",
        cj(dict(m, issuer="ｍｐｓ")),
        "manifest_invalid",
    )
    case(
        "issuer-zero-width",
        "Issuer id with a zero-width space (mps\u200b).",
        cj(dict(m, issuer="mps\u200b")),
        "manifest_invalid",
    )
    case(
        "snapshot-with-base",
        "A snapshot manifest with delta fields.",
        cj(dict(m, base_version=4)),
        "manifest_invalid",
    )
    case("content-unknown", "content 'patch'.", cj(dict(m, content="patch")), "manifest_invalid")
    case(
        "nan",
        "NaN as a number.",
        text.replace(b'"version":5', b'"version":NaN'),
        "manifest_invalid",
    )
    case(
        "negative-zero",
        "entry_count -0.",
        text.replace(b'"entry_count":5', b'"entry_count":-0'),
        "manifest_invalid",
    )
    case(
        "deep-nesting",
        "Deeply nested arrays in an unknown member.",
        text[:-1] + b',"x":' + b"[" * 100 + b"]" * 100 + b"}",
        "manifest_invalid",
    )
    case("trailing-garbage", "Bytes after the manifest object.", text + b"x", "manifest_invalid")
    case(
        "trailing-newline",
        "A newline after the manifest (not canonical).",
        text + b"\n",
        "manifest_not_canonical",
    )


# ------------------------------------------------------- family: entries


def family_entries() -> None:
    FAMILY_TEXT["entries"] = (
        "Signed entries files that break the line rules: canonical JSON per line, sorted, unique, "
        "valid identifiers (JSON ambiguity and Unicode tricks)."
    )
    fam = "entries"

    def case(name: str, description: str, data: bytes, code: str, count: int | None = None) -> None:
        e, s, _ = signed_list(data, count=count)
        verify_case(fam, name, description, fail(code) if code else ok(), entries=e, sig=s)

    good = phones(3)
    lines = [cj(x) + b"\n" for x in good]
    case("not-sorted", "Two lines out of order.", lines[1] + lines[0] + lines[2], "not_sorted")
    case(
        "duplicate-identifier",
        "The same (kind, value) twice with different fields.",
        lines[0] + cj(dict(good[0], confidence=10)) + b"\n" + lines[1],
        "duplicate_key",
    )
    case("duplicate-line", "The same line twice.", lines[0] + lines[0] + lines[1], "duplicate_key")
    case(
        "whitespace-in-line",
        "A line with spaces after the separators.",
        json.dumps(good[0], sort_keys=True).encode() + b"\n" + lines[1],
        "not_canonical",
    )
    case(
        "members-out-of-order",
        "A line whose members are not sorted.",
        json.dumps(dict(reversed(list(good[0].items()))), separators=(",", ":")).encode()
        + b"\n"
        + lines[1],
        "not_canonical",
    )
    case(
        "escaped-ascii",
        "A line escaping an ASCII letter (\\u0062lock).",
        lines[0].replace(b'"block"', b'"\\u0062lock"') + lines[1],
        "not_canonical",
    )
    case(
        "duplicate-member",
        "A line with 'confidence' twice.",
        lines[0].replace(b'"confidence":90', b'"confidence":90,"confidence":10') + lines[1],
        "bad_line",
    )
    case(
        "float-confidence",
        "confidence written as 90.0.",
        lines[0].replace(b'"confidence":90', b'"confidence":90.0') + lines[1],
        "bad_line",
    )
    case(
        "lone-surrogate",
        "A lone surrogate in case_ref.",
        lines[0].replace(b'"CASE-2026-0001"', b'"CASE-\\udc00"') + lines[1],
        "bad_line",
    )
    case(
        "invalid-utf8",
        "An invalid UTF-8 byte in case_ref.",
        lines[0].replace(b'"CASE-2026-0001"', b'"CASE-\xc3"') + lines[1],
        "jsonl_invalid_utf8",
    )
    case(
        "bom-first-line",
        "A BOM at the start of the (signed) file.",
        b"\xef\xbb\xbf" + lines[0] + lines[1],
        "jsonl_bom",
    )
    case(
        "crlf",
        "Lines ending in CRLF.",
        lines[0].replace(b"\n", b"\r\n") + lines[1].replace(b"\n", b"\r\n"),
        "jsonl_cr",
    )
    case(
        "missing-final-newline",
        "The last line has no LF.",
        lines[0] + lines[1][:-1],
        "jsonl_missing_final_newline",
    )
    case(
        "empty-line",
        "An empty line between entries.",
        lines[0] + b"\n" + lines[1],
        "jsonl_empty_line",
    )
    case(
        "not-an-object",
        "A line that is a JSON array.",
        lines[0] + b"[]\n" + lines[1],
        "invalid_entry",
    )
    case(
        "unknown-field",
        "An entry with an unknown field.",
        cj(dict(good[0], note="x")) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "missing-field",
        "An entry without tlp.",
        cj({k: v for k, v in good[0].items() if k != "tlp"}) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "unknown-reason",
        "An unknown reason.",
        cj(dict(good[0], reason="spam")) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "confidence-101",
        "confidence 101.",
        cj(dict(good[0], confidence=101)) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "confidence-bool",
        "confidence true.",
        cj(dict(good[0], confidence=True)) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "timestamp-offset",
        "listed_at with an offset.",
        cj(dict(good[0], listed_at="2026-05-01T08:00:00+08:00")) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "valid-until-before-from",
        "valid_until before valid_from.",
        cj(dict(good[0], valid_until="2026-04-01T00:00:00Z")) + b"\n" + lines[1],
        "invalid_entry",
    )
    # identifiers that are not canonical or not valid
    bad_values = [
        ("phone-national-form", "A national-format phone (13810000000).", "13810000000"),
        ("phone-spaces", "A phone with spaces.", "+86 138 1000 0000"),
        ("phone-zero-width", "A phone with a zero-width space inside.", "+86138\u200b10000000"),
        ("phone-bidi-override", "A phone with a right-to-left override.", "+86138\u202e10000000"),
        (
            "phone-fullwidth-digits",
            "A phone in full-width digits.",
            "+８６１３８１００００００００",
        ),
        (
            "phone-arabic-indic",
            "A phone in Arabic-Indic digits.",
            "+" + "".join(chr(0x660 + int(c)) for c in "8613810000000"),
        ),
        ("phone-letter-o", "The letter O for zero.", "+86138100000O0"),
        ("phone-invalid-range", "A number in no allocated range (+86 100 ...).", "+8610012345678"),
        ("phone-too-long", "A 12-digit mobile.", "+86138100000001"),
    ]
    for name, description, value in bad_values:
        line = cj(entry("phone", value)) + b"\n"
        data = b"".join(sorted([line, lines[1]]))
        case(name, description, data, "invalid_entry")
    card = entry("bank_card", luhn_complete("622202000000001"))
    wrong = card["value"][:-1] + str((int(card["value"][-1]) + 1) % 10)
    e = entries_bytes(cards(1, 0) + [dict(cards(1, 1)[0], value=wrong)])
    e2, s2, _ = signed_list(
        e, [key("cbank-2")], issuer="cbank", list_id="mules", list_type="mule_accounts"
    )
    verify_case(
        fam,
        "card-bad-luhn",
        "A bank card whose Luhn check digit is wrong.",
        fail("invalid_entry"),
        entries=e2,
        sig=s2,
        signers=["cbank-2"],
    )
    e = entries_bytes(
        cards(1, 0) + [dict(cards(1, 1)[0], value="6222 " + cards(1, 1)[0]["value"][4:])]
    )
    e2, s2, _ = signed_list(
        e, [key("cbank-2")], issuer="cbank", list_id="mules", list_type="mule_accounts"
    )
    verify_case(
        fam,
        "card-with-space",
        "A bank card with a space inside.",
        fail("invalid_entry"),
        entries=e2,
        sig=s2,
        signers=["cbank-2"],
    )
    case(
        "source-uppercase",
        "source agency id in upper case.",
        cj(dict(good[0], source="MPS")) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "value-number",
        "value as a JSON number.",
        cj(dict(good[0], value=8613810000000)) + b"\n" + lines[1],
        "invalid_entry",
    )
    case(
        "kind-unknown",
        "kind 'email'.",
        lines[0] + lines[1] + cj(dict(good[2], kind="zzz")) + b"\n",
        "invalid_entry",
    )


# --------------------------------------------------------- family: delta


def op_add(e: dict[str, Any]) -> dict[str, Any]:
    return {"entry": e, "op": "add"}


def op_replace(e: dict[str, Any]) -> dict[str, Any]:
    return {"entry": e, "op": "replace"}


def op_remove(kind: str, value: str) -> dict[str, Any]:
    return {"kind": kind, "op": "remove", "value": value}


def op_key(op: dict[str, Any]) -> tuple[str, str]:
    src = op.get("entry", op)
    return (src["kind"], src["value"])


def delta_bytes(ops: Sequence[dict[str, Any]], *, sort: bool = True) -> bytes:
    items = sorted(ops, key=op_key) if sort else list(ops)
    return b"".join(cj(o) + b"\n" for o in items)


def apply_ops(base: list[dict[str, Any]], ops: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    state = {(e["kind"], e["value"]): e for e in base}
    for o in ops:
        k = op_key(o)
        if o["op"] == "remove":
            del state[k]
        else:
            state[k] = o["entry"]
    return [state[k] for k in sorted(state)]


def delta_case(
    name: str,
    description: str,
    expect: dict[str, Any],
    *,
    base: Sequence[dict[str, Any]],
    ops: Sequence[dict[str, Any]],
    base_version: int = 5,
    version: int = 6,
    state_version: int | None = None,
    state_sha: str | None = None,
    base_sha: str | None = None,
    result: bytes | None = None,
    result_count: int | None = None,
    delta: bytes | None = None,
    signers: Sequence[Key] = (),
    tamper: Callable[[bytes], bytes] | None = None,
    **mf: Any,
) -> None:
    base_file = entries_bytes(base)
    d = delta_bytes(ops) if delta is None else delta
    if result is None:
        result_entries = apply_ops(base, ops)
        result = entries_bytes(result_entries)
        rc = len(result_entries)
    else:
        rc = result.count(b"\n")
    m = manifest(
        d,
        version=version,
        content="delta",
        base_version=base_version,
        base_sha256=base_sha or sha(base_file),
        result_sha256=sha(result),
        result_count=rc if result_count is None else result_count,
        **mf,
    )
    sig = jws(cj(m), list(signers) or [key("mps-1")])
    files = {
        "base": f(base_file),
        "delta": f(tamper(d) if tamper else d),
        "sig": f(sig),
        "trust": f(DEFAULT_TRUST),
        "trust_sig": f(DEFAULT_TRUST_SIG),
    }
    state = {
        "version": base_version if state_version is None else state_version,
        "sha256": sha(base_file) if state_sha is None else state_sha,
    }
    if expect.get("ok"):
        expect = dict(expect, sha256=sha(result), count=rc)
    add(
        "delta",
        name,
        description,
        "apply-delta",
        expect,
        files=files,
        keys=keys_of(*[k.name for k in (list(signers) or [key("mps-1")])]),
        now=NOW,
        state=state,
    )


def family_delta() -> None:
    FAMILY_TEXT["delta"] = (
        "Deltas apply only to their exact base and must reproduce the signed result state hash."
    )
    base = phones(6)
    new = phones(3, 100)
    delta_case("add-three", "Three additions.", ok(), base=base, ops=[op_add(e) for e in new])
    delta_case(
        "remove-two",
        "Two removals.",
        ok(),
        base=base,
        ops=[op_remove("phone", base[1]["value"]), op_remove("phone", base[4]["value"])],
    )
    delta_case(
        "replace-one",
        "One entry's fields replaced (confidence 90 -> 50).",
        ok(),
        base=base,
        ops=[op_replace(dict(base[2], confidence=50))],
    )
    delta_case(
        "mixed",
        "Adds, removes and a replace in one delta.",
        ok(),
        base=base,
        ops=[
            op_add(new[0]),
            op_remove("phone", base[0]["value"]),
            op_replace(dict(base[3], action="watch")),
            op_add(new[2]),
        ],
    )
    delta_case(
        "empty-delta", "A delta with no operations (version bump only).", ok(), base=base, ops=[]
    )
    delta_case(
        "remove-all",
        "Every entry removed: the result is the empty file.",
        ok(),
        base=base,
        ops=[op_remove("phone", e["value"]) for e in base],
    )
    delta_case(
        "from-empty", "Additions to an empty base.", ok(), base=[], ops=[op_add(e) for e in new]
    )
    delta_case(
        "version-jump",
        "A delta from version 5 to 9 (versions may skip).",
        ok(),
        base=base,
        ops=[op_add(new[0])],
        version=9,
    )
    delta_case(
        "base-version-mismatch",
        "The receiver holds version 4; the delta's base is 5 (a gap: fetch a snapshot).",
        fail("delta_base_mismatch"),
        base=base,
        ops=[op_add(new[0])],
        state_version=4,
    )
    delta_case(
        "base-version-ahead",
        "The receiver already holds version 6 with other content; the delta is 5 -> 6 "
        "(a fork of version 6).",
        fail("fork", "delta_base_mismatch"),
        base=base,
        ops=[op_add(new[0])],
        state_version=6,
    )
    other = entries_bytes(phones(6, 50))
    delta_case(
        "base-hash-mismatch",
        "Same base version but the delta names another base hash.",
        fail("delta_base_mismatch"),
        base=base,
        ops=[op_add(new[0])],
        base_sha=sha(other),
    )
    delta_case(
        "divergent-result",
        "The signed result hash is not what the operations produce.",
        fail("delta_result_mismatch"),
        base=base,
        ops=[op_add(new[0])],
        result=entries_bytes([*base, new[1]]),
    )
    delta_case(
        "result-count-mismatch",
        "The signed result_count is off by one.",
        fail("delta_result_mismatch"),
        base=base,
        ops=[op_add(new[0])],
        result_count=8,
    )
    delta_case(
        "add-existing-key",
        "An add for a key the base already has.",
        fail("delta_add_existing", "delta_result_mismatch"),
        base=base,
        ops=[op_add(dict(base[1], confidence=10))],
        result=entries_bytes([dict(base[1], confidence=10) if e is base[1] else e for e in base]),
    )
    delta_case(
        "remove-missing-key",
        "A remove for a key the base does not have.",
        fail("delta_key_missing", "delta_result_mismatch"),
        base=base,
        ops=[op_remove("phone", new[0]["value"])],
        result=entries_bytes(base),
    )
    delta_case(
        "replace-missing-key",
        "A replace for a key the base does not have.",
        fail("delta_key_missing", "delta_result_mismatch"),
        base=base,
        ops=[op_replace(new[0])],
        result=entries_bytes([*base, new[0]]),
    )
    ops = [op_add(new[1]), op_add(new[0])]
    delta_case(
        "ops-not-sorted",
        "Operations out of key order.",
        fail("not_sorted"),
        base=base,
        ops=ops,
        delta=delta_bytes(ops, sort=False),
    )
    ops = [op_add(new[0]), op_remove("phone", new[0]["value"])]
    delta_case(
        "two-ops-same-key",
        "An add and a remove for the same key.",
        fail("duplicate_key"),
        base=base,
        ops=ops,
        delta=delta_bytes(ops, sort=False),
        result=entries_bytes(base),
    )
    delta_case(
        "tampered-delta",
        "One byte of the delta changed after signing.",
        fail("hash_mismatch"),
        base=base,
        ops=[op_add(new[0])],
        tamper=lambda d: d.replace(b'"confidence":90', b'"confidence":80'),
    )
    delta_case(
        "expired-delta",
        "The delta expired.",
        fail("expired"),
        base=base,
        ops=[op_add(new[0])],
        issued_at="2026-05-01T00:00:00Z",
        expires="2026-05-02T00:00:00Z",
    )
    delta_case(
        "unknown-signer",
        "A delta signed by an unknown key.",
        fail("signature_invalid"),
        base=base,
        ops=[op_add(new[0])],
        signers=[key("attacker-1")],
    )
    delta_case(
        "bad-op",
        "An unknown operation 'upsert'.",
        fail("bad_delta_op"),
        base=base,
        ops=[op_add(new[0])],
        delta=cj({"entry": new[0], "op": "upsert"}) + b"\n",
        result=entries_bytes([*base, new[0]]),
    )
    delta_case(
        "add-invalid-entry",
        "An add whose entry has an invalid phone number.",
        fail("invalid_entry"),
        base=base,
        ops=[op_add(new[0])],
        delta=cj(op_add(entry("phone", "+86138100000O0"))) + b"\n",
        result=entries_bytes([*base, new[0]]),
    )
    delta_case(
        "add-out-of-scope-action",
        "An add with action freeze (not allowed for the list type).",
        fail("out_of_scope"),
        base=base,
        ops=[op_add(dict(new[0], action="freeze"))],
    )


# --------------------------------------------------- family: trust-rotation


def walk_case(
    family: str,
    name: str,
    description: str,
    expect: dict[str, Any],
    trusted: tuple[bytes, bytes],
    chain: Sequence[tuple[bytes, bytes]],
    now: str = NOW,
) -> None:
    files = {"trusted": f(trusted[0]), "trusted_sig": f(trusted[1])}
    names = []
    for i, (b, s) in enumerate(chain, start=1):
        files[f"bundle_{i}"] = f(b)
        files[f"bundle_{i}_sig"] = f(s)
        names.append([f"bundle_{i}", f"bundle_{i}_sig"])
    add(family, name, description, "trust-walk", expect, files=files, chain=names, now=now)


def rb(version: int, roots: Sequence[Key], threshold: int, **kw: Any) -> dict[str, Any]:
    return bundle(version, root=roots, threshold=threshold, **kw)


def family_trust_rotation() -> None:
    FAMILY_TEXT["trust-rotation"] = (
        "Trust bundle rotation as TUF root: N+1 needs threshold(N) of N's root keys and "
        "threshold(N+1) of its own; versions rise by one; the final bundle must be fresh."
    )
    fam = "trust-rotation"
    a, b, c, d, e = (key(f"rot-{x}") for x in "abcde")
    f_, g = key("rot-f"), key("rot-g")
    p = key("rot-p256", "ES256")
    one = signed_bundle(rb(1, [a], 1), [a])
    walk_case(fam, "no-update", "Only the trusted bundle, no newer one.", ok(version=1), one, [])
    walk_case(
        fam,
        "same-bundle-again",
        "The trusted bundle offered again (identical bytes).",
        ok(version=1),
        one,
        [one],
    )
    walk_case(
        fam,
        "1-of-1-rotation",
        "1-of-1 root key a replaced by b; v2 signed by a and b.",
        ok(version=2),
        one,
        [signed_bundle(rb(2, [b], 1), [a, b])],
    )
    walk_case(
        fam,
        "1-of-1-rotation-not-signed-by-old",
        "v2 (root b) signed by b only.",
        fail("trust_rotation_threshold"),
        one,
        [signed_bundle(rb(2, [b], 1), [b])],
    )
    walk_case(
        fam,
        "1-of-1-rotation-not-signed-by-new",
        "v2 (root b) signed by a only.",
        fail("trust_rotation_threshold"),
        one,
        [signed_bundle(rb(2, [b], 1), [a])],
    )
    walk_case(
        fam,
        "1-of-1-unchanged-root",
        "v2 keeps root a (members change), signed by a.",
        ok(version=2),
        one,
        [signed_bundle(rb(2, [a], 1, members=default_members()[1:]), [a])],
    )
    walk_case(
        fam,
        "1-of-1-signed-by-member-key",
        "v2 signed by a member key instead of the root.",
        fail("trust_rotation_threshold"),
        one,
        [signed_bundle(rb(2, [a], 1), [key("mps-1")])],
    )
    three5 = signed_bundle(rb(1, [a, b, c, d, e], 3), [a, b, c])
    walk_case(
        fam,
        "3-of-5-sign-with-3",
        "3-of-5 root unchanged; v2 signed by 3 keys.",
        ok(version=2),
        three5,
        [signed_bundle(rb(2, [a, b, c, d, e], 3), [c, d, e])],
    )
    walk_case(
        fam,
        "3-of-5-sign-with-2",
        "3-of-5 root; v2 signed by only 2 keys.",
        fail("trust_rotation_threshold"),
        three5,
        [signed_bundle(rb(2, [a, b, c, d, e], 3), [a, b])],
    )
    walk_case(
        fam,
        "3-of-5-one-key-rotated",
        "e replaced by f; v2 signed by a, b, c (3 old, 3 new).",
        ok(version=2),
        three5,
        [signed_bundle(rb(2, [a, b, c, d, f_], 3), [a, b, c])],
    )
    walk_case(
        fam,
        "3-of-5-one-key-rotated-signed-by-new",
        "e replaced by f; v2 signed by a, b, f: only 2 of the old keys.",
        fail("trust_rotation_threshold"),
        three5,
        [signed_bundle(rb(2, [a, b, c, d, f_], 3), [a, b, f_])],
    )
    walk_case(
        fam,
        "3-of-5-one-key-rotated-signed-by-removed",
        "e replaced by f; v2 signed by c, d, e: 3 old keys but only 2 of the new root.",
        fail("trust_rotation_threshold"),
        three5,
        [signed_bundle(rb(2, [a, b, c, d, f_], 3), [c, d, e])],
    )
    walk_case(
        fam,
        "3-of-5-two-keys-rotated",
        "d, e replaced by f, g; signed by a, b, c, f.",
        ok(version=2),
        three5,
        [signed_bundle(rb(2, [a, b, c, f_, g], 3), [a, b, c, f_])],
    )
    walk_case(
        fam,
        "3-of-5-all-keys-rotated-signed-by-new-only",
        "A complete new root of 5 keys signed by the new keys only.",
        fail("trust_rotation_threshold"),
        three5,
        [
            signed_bundle(
                rb(2, [f_, g, p, key("rot-h"), key("rot-i")], 3),
                [f_, g, p, key("rot-h"), key("rot-i")],
            )
        ],
    )
    walk_case(
        fam,
        "3-of-5-all-keys-rotated",
        "A complete new root of 3 keys signed by 3 old and 3 new keys.",
        ok(version=2),
        three5,
        [signed_bundle(rb(2, [f_, g, p], 3), [a, b, c, f_, g, p])],
    )
    two = signed_bundle(rb(1, [a, b, c], 2), [a, b])
    walk_case(
        fam,
        "threshold-up",
        "2-of-3 raised to 3-of-3, signed by all three.",
        ok(version=2),
        two,
        [signed_bundle(rb(2, [a, b, c], 3), [a, b, c])],
    )
    walk_case(
        fam,
        "threshold-up-not-met-by-new",
        "2-of-3 raised to 3-of-3, signed by two.",
        fail("trust_rotation_threshold"),
        two,
        [signed_bundle(rb(2, [a, b, c], 3), [a, b])],
    )
    walk_case(
        fam,
        "threshold-down",
        "2-of-3 lowered to 1-of-3, signed by two.",
        ok(version=2),
        two,
        [signed_bundle(rb(2, [a, b, c], 1), [a, c])],
    )
    walk_case(
        fam,
        "threshold-down-not-met-by-old",
        "2-of-3 lowered to 1-of-3, signed by one.",
        fail("trust_rotation_threshold"),
        two,
        [signed_bundle(rb(2, [a, b, c], 1), [a])],
    )
    walk_case(
        fam,
        "repeated-key-fakes-threshold",
        "2-of-3: v2 carries the same key's signature "
        "twice (refused as malformed, or counted once).",
        fail("trust_jws_duplicate_kid", "trust_rotation_threshold"),
        two,
        [
            (
                lambda bb: (
                    bb[0],
                    cj(
                        {
                            "payload": jws_doc(bb[1])["payload"],
                            "signatures": jws_doc(bb[1])["signatures"] * 2,
                        }
                    ),
                )
            )(signed_bundle(rb(2, [a, b, c], 2), [a]))
        ],
    )
    # chains
    v1 = signed_bundle(rb(1, [a], 1), [a])
    v2 = signed_bundle(rb(2, [b], 1), [a, b])
    v3 = signed_bundle(rb(3, [c], 1), [b, c])
    v4 = signed_bundle(rb(4, [c, d], 2), [c, d])
    walk_case(
        fam,
        "chain-of-three-rotations",
        "a -> b -> c -> {c, d} 2-of-2.",
        ok(version=4),
        v1,
        [v2, v3, v4],
    )
    walk_case(
        fam,
        "chain-out-of-order",
        "The same chain offered in reverse order.",
        ok(version=4),
        v1,
        [v4, v3, v2],
    )
    walk_case(
        fam,
        "chain-skip-version",
        "v1 -> v3 without v2 (a gap).",
        fail("trust_version_gap"),
        v1,
        [v3],
    )
    walk_case(
        fam,
        "chain-gap-in-middle",
        "v1 -> v2 -> v4 (v3 missing).",
        fail("trust_version_gap"),
        v1,
        [v2, v4],
    )
    walk_case(fam, "fast-forward-from-v2", "Trusting v2, walk to v4.", ok(version=4), v2, [v3, v4])
    walk_case(
        fam,
        "old-bundle-offered",
        "Trusting v3; v1 and v2 offered with v4 (known versions are skipped).",
        ok(version=4),
        v3,
        [v1, v2, v4],
    )
    v3_forged = signed_bundle(rb(3, [e], 1), [e])
    walk_case(
        fam,
        "chain-step-signed-by-attacker",
        "v3 with a root key of the attacker's choosing, signed only by it.",
        fail("trust_rotation_threshold"),
        v1,
        [v2, v3_forged],
    )
    v3_tampered = (
        v3[0]
        .replace(b'"version":3', b'"version":3', 1)
        .replace(b"Example Mobile Carrier", b"Exemple Mobile Carrier"),
        v3[1],
    )
    walk_case(
        fam,
        "chain-step-tampered",
        "v3's bytes changed after signing.",
        fail("trust_payload_mismatch"),
        v1,
        [v2, v3_tampered],
    )
    # expiry
    exp2 = signed_bundle(rb(2, [b], 1, expires="2026-03-01T00:00:00Z"), [a, b])
    fresh3 = signed_bundle(rb(3, [c], 1), [b, c])
    walk_case(
        fam,
        "expired-intermediate",
        "v2 expired long ago; v3 is fresh: accepted.",
        ok(version=3),
        v1,
        [exp2, fresh3],
    )
    walk_case(
        fam, "expired-final", "The newest bundle v2 has expired.", fail("trust_expired"), v1, [exp2]
    )
    old1 = signed_bundle(rb(1, [a], 1, expires="2026-02-01T00:00:00Z"), [a])
    walk_case(
        fam,
        "expired-trusted-then-fresh",
        "The trusted v1 has expired; fresh v2 arrives.",
        ok(version=2),
        old1,
        [signed_bundle(rb(2, [b], 1), [a, b])],
    )
    walk_case(
        fam,
        "expired-trusted-no-update",
        "The trusted bundle has expired and nothing newer.",
        fail("trust_expired"),
        old1,
        [],
    )
    walk_case(
        fam,
        "expires-exactly-now",
        "The final bundle expires at now.",
        fail("trust_expired"),
        v1,
        [signed_bundle(rb(2, [b], 1, expires=NOW), [a, b])],
    )
    # forks and rollbacks
    v2b = signed_bundle(rb(2, [c], 1), [a, c])
    walk_case(
        fam,
        "fork-two-version-2",
        "Two different valid v2 bundles offered together.",
        fail("trust_fork"),
        v1,
        [v2, v2b],
    )
    walk_case(
        fam,
        "fork-trusted-version",
        "A different bundle claiming the trusted version.",
        fail("trust_fork"),
        v2,
        [v2b],
    )
    # other bundle id
    other = signed_bundle(rb(2, [b], 1, bundle_id="other-federation"), [a, b])
    walk_case(
        fam,
        "other-bundle-id",
        "v2 of another federation signed by the right keys.",
        fail("trust_wrong_bundle"),
        v1,
        [other],
    )
    # ES256 root
    pe = signed_bundle(rb(1, [p], 1), [p])
    walk_case(
        fam,
        "es256-root-rotation",
        "ES256 root key rotated to Ed25519.",
        ok(version=2),
        pe,
        [signed_bundle(rb(2, [a], 1), [p, a])],
    )
    walk_case(
        fam,
        "rotate-back",
        "a -> b -> a: a key rotated out and back in.",
        ok(version=3),
        v1,
        [v2, signed_bundle(rb(3, [a], 1), [a, b])],
    )
    walk_case(
        fam,
        "rotated-out-key-signs-later",
        "a rotated out at v2 signs v3 alone.",
        fail("trust_rotation_threshold"),
        v1,
        [v2, signed_bundle(rb(3, [a], 1), [a])],
    )
    # long chain
    chain = []
    prev = a
    for v in range(2, 12):
        k = key(f"chain-{v}")
        chain.append(signed_bundle(rb(v, [k], 1), [prev, k]))
        prev = k
    walk_case(fam, "ten-rotations", "Ten successive 1-of-1 rotations.", ok(version=11), v1, chain)
    walk_case(
        fam,
        "ten-rotations-one-missing",
        "The same chain without v7.",
        fail("trust_version_gap"),
        v1,
        chain[:5] + chain[6:],
    )
    # python-tuf caps the walk at 256 steps: 257 newer bundles are refused before any is used
    small = [member("mps", "Ministry of Public Security (test)", [key("mps-1")], [])]
    long_chain = [signed_bundle(rb(v, [a], 1, members=small), [a]) for v in range(2, 259)]
    walk_case(
        fam,
        "chain-too-long",
        "257 newer bundles offered (the walk is capped at 256 steps).",
        fail("trust_chain_too_long"),
        signed_bundle(rb(1, [a], 1, members=small), [a]),
        long_chain,
    )


def family_trust_bundle() -> None:
    FAMILY_TEXT["trust-bundle"] = (
        "A trust bundle must be canonical, consistent and signed by its root."
    )
    fam = "trust-bundle"
    a = key("rot-a")
    base = rb(2, [a], 1)
    v1 = signed_bundle(rb(1, [a], 1), [a])

    def bad(
        name: str, description: str, data: bytes, code: str, signers: Sequence[Key] = (a,)
    ) -> None:
        walk_case(
            fam, name, description, fail(code), v1, [(data, jws(data, list(signers), TRUST_TYP))]
        )

    bad(
        "not-canonical",
        "trust.json with whitespace.",
        json.dumps(base, indent=1).encode(),
        "trust_not_canonical",
    )
    bad(
        "duplicate-member-name",
        "'version' twice in trust.json.",
        cj(base)[:-1] + b',"version":3}',
        "trust_invalid",
    )
    members = default_members()
    members[0]["keys"].append(key("mps-1").jwk)
    bad(
        "key-in-two-members",
        "The same key listed for two members.",
        cj(dict(base, members=members)),
        "trust_duplicate_key",
    )
    members = default_members()
    members[0]["keys"] = [a.jwk]
    bad(
        "root-key-also-member",
        "A root key also listed as a member key.",
        cj(dict(base, members=members)),
        "trust_duplicate_key",
    )
    bad("threshold-zero", "Root threshold 0.", cj(rb(2, [a], 0)), "trust_invalid")
    bad(
        "threshold-above-keys", "Root threshold 2 with one key.", cj(rb(2, [a], 2)), "trust_invalid"
    )
    members = default_members()
    members[0]["keys"] = [dict(key("carrier-1").jwk, d="AAAA")]
    bad(
        "private-key-material",
        "A member JWK carrying a private member 'd'.",
        cj(dict(base, members=members)),
        "jwk_private_member",
    )
    members = default_members()
    members[0]["publish"][0]["kinds"] = ["email"]
    bad(
        "unknown-kind",
        "A rule with an unknown identifier kind.",
        cj(dict(base, members=members)),
        "trust_invalid",
    )
    members = default_members()
    members[0]["publish"][0]["signers"] = ["ghost"]
    bad(
        "rule-signer-not-member",
        "A rule naming a non-member as signer.",
        cj(dict(base, members=members)),
        "trust_invalid",
    )
    bad(
        "wrong-format",
        "format antifraud-manifest.",
        cj(dict(base, format="antifraud-manifest")),
        "wrong_payload_type",
    )
    walk_case(
        fam,
        "signature-typ-manifest",
        "A bundle signed with a manifest-typed envelope.",
        fail("trust_jws_typ"),
        v1,
        [(cj(base), jws(cj(base), [a], MANIFEST_TYP))],
    )
    walk_case(
        fam,
        "signature-file-empty",
        "An empty trust.json.sig.",
        fail("trust_json_syntax"),
        v1,
        [(cj(base), b"")],
    )
    other_payload = cj(rb(2, [a], 1, expires="2027-06-01T00:00:00Z"))
    walk_case(
        fam,
        "signature-over-other-bytes",
        "trust.json.sig carries another bundle as payload.",
        fail("trust_payload_mismatch"),
        v1,
        [(cj(base), jws(other_payload, [a], TRUST_TYP))],
    )
    walk_case(
        fam,
        "valid-members-unchanged",
        "A valid v2 (sanity check for this family).",
        ok(version=2),
        v1,
        [(cj(base), jws(cj(base), [a], TRUST_TYP))],
    )
    verify_case(
        fam,
        "verify-with-expired-bundle",
        "A list verified against an expired bundle.",
        fail("trust_expired"),
        entries=BASE,
        sig=BASE_SIG,
        trust=cj(bundle(expires="2026-05-01T00:00:00Z")),
        trust_sig=jws(
            cj(bundle(expires="2026-05-01T00:00:00Z")), [key("root-1"), key("root-2")], TRUST_TYP
        ),
    )
    verify_case(
        fam,
        "verify-with-unsigned-bundle",
        "The bundle is signed by one root key of 2 needed.",
        fail("trust_threshold_not_met"),
        entries=BASE,
        sig=BASE_SIG,
        trust=DEFAULT_TRUST,
        trust_sig=jws(DEFAULT_TRUST, [key("root-1")], TRUST_TYP),
    )
    verify_case(
        fam,
        "verify-with-bundle-signed-by-member",
        "The bundle is signed by member keys.",
        fail("trust_signature_invalid"),
        entries=BASE,
        sig=BASE_SIG,
        trust=DEFAULT_TRUST,
        trust_sig=jws(DEFAULT_TRUST, [key("mps-1"), key("mps-2")], TRUST_TYP),
    )


# ------------------------------------------------------------- family: jcs


def family_jcs() -> None:
    FAMILY_TEXT["jcs"] = (
        "Canonical JSON (RFC 8785, float-free profile): upstream vectors and the refusals of the "
        "strict parser."
    )
    fam = "jcs"
    for path in sorted((ROOT_DIR / "tests" / "vectors" / "jcs").glob("*.json")):
        vec = json.loads(path.read_text(encoding="utf-8"))
        add(
            fam,
            f"rfc8785-{vec['name']}",
            f"RFC 8785 reference vector '{vec['name']}' ({vec['source']}).",
            "canonicalize",
            ok(output=base64.b64encode(bytes.fromhex(vec["expected_hex"])).decode()),
            files={"in": f(vec["input"].encode("utf-8"))},
        )

    def good(name: str, description: str, data: bytes, out: bytes) -> None:
        add(
            fam,
            name,
            description,
            "canonicalize",
            ok(output=base64.b64encode(out).decode()),
            files={"in": f(data)},
        )

    def bad(name: str, description: str, data: bytes, code: str) -> None:
        add(fam, name, description, "canonicalize", fail(code), files={"in": f(data)})

    good(
        "sort-utf16",
        "Members sorted by UTF-16 code units: U+1F602 (D83D DE02) before U+FB33 "
        "(code-point order would differ).",
        '{"\ufb33":2,"\U0001f602":1}'.encode(),
        '{"\U0001f602":1,"\ufb33":2}'.encode(),
    )
    good(
        "escapes-controls",
        "Control characters: \\b \\f \\n \\r \\t short forms, others \\u00xx "
        "lower-case; DEL stays raw.",
        b'"\\u0008\\u000c\\n\\r\\t\\u0001\\u001F\\u007f"',
        b'"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f"',
    )
    good(
        "unescape-non-ascii",
        "Escaped non-ASCII is written as raw UTF-8.",
        b'"\\u00e9\\u4e2d"',
        '"é中"'.encode(),
    )
    good("slash-not-escaped", "The solidus is not escaped.", b'"a\\/b"', b'"a/b"')
    good(
        "whitespace-removed",
        "Insignificant whitespace removed.",
        b' { "b" : [ 1 , 2 ] ,\n"a":null } ',
        b'{"a":null,"b":[1,2]}',
    )
    good(
        "max-safe-integer",
        "2^53-1 and -(2^53-1).",
        b"[9007199254740991,-9007199254740991]",
        b"[9007199254740991,-9007199254740991]",
    )
    good("zero", "0 is written 0.", b"[0]", b"[0]")
    good(
        "empty-containers",
        "Empty object, array, string.",
        b'{"":[],"a":{},"b":""}',
        b'{"":[],"a":{},"b":""}',
    )
    good("literals", "true, false, null.", b"[true,false,null]", b"[true,false,null]")
    good(
        "nested-sort",
        "Nested objects are sorted too.",
        b'{"b":{"d":1,"c":2},"a":[{"z":0,"y":1}]}',
        b'{"a":[{"y":1,"z":0}],"b":{"c":2,"d":1}}',
    )
    good(
        "surrogate-pair-escaped",
        "A valid escaped surrogate pair becomes raw UTF-8.",
        b'"\\ud83d\\ude02"',
        '"\U0001f602"'.encode(),
    )
    bad("float", "A number with a fraction.", b"[1.5]", "json_float")
    bad("float-integral", "1.0 (integral but written as a float).", b"[1.0]", "json_float")
    bad("exponent", "A number with an exponent.", b"[1e3]", "json_float")
    bad("too-large-integer", "2^53.", b"[9007199254740992]", "json_integer_range")
    bad("too-small-integer", "-(2^53).", b"[-9007199254740992]", "json_integer_range")
    bad("negative-zero", "-0.", b"[-0]", "json_negative_zero")
    bad("nan", "NaN.", b"[NaN]", "json_nonfinite")
    bad("infinity", "Infinity.", b"[Infinity]", "json_nonfinite")
    bad("duplicate-key", "A duplicate member name.", b'{"a":1,"a":1}', "json_duplicate_key")
    bad(
        "duplicate-key-nested",
        "A duplicate member name in a nested object.",
        b'{"x":{"a":1,"b":2,"a":3}}',
        "json_duplicate_key",
    )
    bad(
        "duplicate-key-escaped",
        "Duplicate names spelled differently (a and \\u0061).",
        b'{"a":1,"\\u0061":2}',
        "json_duplicate_key",
    )
    bad("lone-high-surrogate", "A lone high surrogate.", b'"\\ud800"', "json_lone_surrogate")
    bad("lone-low-surrogate", "A lone low surrogate.", b'"\\udfff"', "json_lone_surrogate")
    bad(
        "reversed-surrogates",
        "Low then high surrogate.",
        b'"\\ude02\\ud83d"',
        "json_lone_surrogate",
    )
    bad(
        "surrogate-in-key",
        "A lone surrogate in a member name.",
        b'{"\\ud800":1}',
        "json_lone_surrogate",
    )
    bad("bom", "A UTF-8 byte order mark.", b'\xef\xbb\xbf{"a":1}', "json_bom")
    bad("utf16-bom", "A UTF-16 byte order mark.", '\ufeff{"a":1}'.encode("utf-16-le"), "json_bom")
    bad("invalid-utf8", "An invalid UTF-8 byte.", b'"\xff"', "json_invalid_utf8")
    bad("overlong-utf8", "An overlong UTF-8 encoding of '/'.", b'"\xc0\xaf"', "json_invalid_utf8")
    bad(
        "encoded-surrogate-utf8",
        "A surrogate encoded directly in UTF-8 (CESU).",
        b'"\xed\xa0\x80"',
        "json_invalid_utf8",
    )
    bad("truncated", "Truncated input.", b'{"a":', "json_syntax")
    bad("trailing-comma", "A trailing comma.", b"[1,2,]", "json_syntax")
    bad("single-quotes", "Single-quoted strings.", b"{'a':1}", "json_syntax")
    bad("raw-control", "A raw control character inside a string.", b'"a\x01b"', "json_syntax")
    bad("leading-zero", "A number with a leading zero.", b"[01]", "json_syntax")
    bad("plus-sign", "A number with a plus sign.", b"[+1]", "json_syntax")
    bad("two-values", "Two top-level values.", b"1 2", "json_syntax")
    bad("empty", "Empty input.", b"", "json_syntax")
    bad("comment", "A JavaScript comment.", b"[1]//x", "json_syntax")
    bad(
        "deep-nesting",
        "33 nested arrays (the limit is 32).",
        b"[" * 33 + b"]" * 33,
        "json_too_deep",
    )
    good("nesting-at-limit", "32 nested arrays.", b"[" * 32 + b"]" * 32, b"[" * 32 + b"]" * 32)


# ---------------------------------------------------------- family: rfc8037


def family_rfc8037() -> None:
    FAMILY_TEXT["rfc8037"] = "RFC 8037 Appendix A known answers and RFC 7638 thumbprints."
    fam = "rfc8037"
    vec = json.loads((ROOT_DIR / "tests" / "vectors" / "rfc8037.json").read_text(encoding="utf-8"))
    pub = vec["A.2_public_jwk"]
    add(
        fam,
        "a3-thumbprint",
        "RFC 8037 A.3: thumbprint of the A.2 public key.",
        "thumbprint",
        ok(thumbprint=vec["A.3_thumbprint"]),
        files={"jwk": f(cj(pub))},
    )
    add(
        fam,
        "a3-thumbprint-member-order",
        "The same key with members in another order and whitespace: same thumbprint.",
        "thumbprint",
        ok(thumbprint=vec["A.3_thumbprint"]),
        files={"jwk": f(b'{ "x": "' + pub["x"].encode() + b'", "kty": "OKP", "crv": "Ed25519" }')},
    )
    add(
        fam,
        "a1-private-jwk-refused",
        "The A.1 private JWK (with 'd') is refused as a public key.",
        "thumbprint",
        fail("jwk_private_member"),
        files={"jwk": f(cj(vec["A.1_private_jwk"]))},
    )
    general = cj(
        {
            "payload": vec["A.4_payload_b64"],
            "signatures": [
                {"protected": vec["A.4_protected_b64"], "signature": vec["A.4_signature_b64"]}
            ],
        }
    )
    add(
        fam,
        "a4-verify",
        "RFC 8037 A.4 signature (EdDSA over 'Example of Ed25519 signing') in "
        "General JSON form verifies with the A.2 key.",
        "jws-verify",
        ok(),
        files={"jws": f(general), "jwk": f(cj(pub))},
    )
    add(
        fam,
        "a4-verify-compact",
        "The A.4 compact serialization verifies.",
        "jws-verify",
        ok(),
        files={"jws": f(vec["A.4_compact"].encode()), "jwk": f(cj(pub))},
    )
    tampered = cj(
        {
            "payload": b64u(b"Example of Ed25519 signinG"),
            "signatures": [
                {"protected": vec["A.4_protected_b64"], "signature": vec["A.4_signature_b64"]}
            ],
        }
    )
    add(
        fam,
        "a4-tampered-payload",
        "The A.4 signature over a changed payload.",
        "jws-verify",
        fail("signature_invalid"),
        files={"jws": f(tampered), "jwk": f(cj(pub))},
    )
    add(
        fam,
        "a4-wrong-key",
        "The A.4 signature checked with another key.",
        "jws-verify",
        fail("signature_invalid"),
        files={"jws": f(general), "jwk": f(cj(key("attacker-1").jwk))},
    )
    for name in ("mps-1", "cbank-1", "root-1", "carrier-1"):
        k = K[name]
        add(
            fam,
            f"thumbprint-{name}",
            f"Thumbprint of the suite's {k.alg} test key {name}.",
            "thumbprint",
            ok(thumbprint=k.kid),
            files={"jwk": f(cj(k.jwk))},
        )
    add(
        fam,
        "thumbprint-with-kid",
        "A JWK whose kid is its thumbprint.",
        "thumbprint",
        ok(thumbprint=K["mps-1"].kid),
        files={"jwk": f(cj(dict(K["mps-1"].jwk, kid=K["mps-1"].kid)))},
    )
    add(
        fam,
        "thumbprint-wrong-kid",
        "A JWK whose kid is not its thumbprint.",
        "thumbprint",
        fail("jwk_mismatch"),
        files={"jwk": f(cj(dict(K["mps-1"].jwk, kid=K["mps-2"].kid)))},
    )
    add(
        fam,
        "jwk-short-x",
        "An Ed25519 JWK with a 31-byte x.",
        "thumbprint",
        fail("jwk_invalid"),
        files={"jwk": f(cj({"crv": "Ed25519", "kty": "OKP", "x": b64u(b"\x01" * 31)}))},
    )
    add(
        fam,
        "jwk-p256-off-curve",
        "A P-256 JWK whose point is not on the curve.",
        "thumbprint",
        fail("jwk_invalid"),
        files={
            "jwk": f(
                cj({"crv": "P-256", "kty": "EC", "x": b64u(b"\x01" * 32), "y": b64u(b"\x02" * 32)})
            )
        },
    )
    add(
        fam,
        "jwk-rsa",
        "An RSA JWK.",
        "thumbprint",
        fail("jwk_unsupported"),
        files={"jwk": f(cj({"e": "AQAB", "kty": "RSA", "n": b64u(b"\xc1" * 256)}))},
    )
    add(
        fam,
        "jwk-oct",
        "A symmetric (oct) JWK.",
        "thumbprint",
        fail("jwk_private_member"),
        files={"jwk": f(cj({"k": b64u(b"secret"), "kty": "oct"}))},
    )
    add(
        fam,
        "jwk-x25519",
        "An X25519 (key agreement) OKP key.",
        "thumbprint",
        fail("jwk_unsupported"),
        files={"jwk": f(cj({"crv": "X25519", "kty": "OKP", "x": b64u(b"\x09" * 32)}))},
    )
    m = b'{"version":1}'
    for name in ("mps-1", "cbank-1"):
        k = K[name]
        add(
            fam,
            f"general-jws-{k.alg.lower()}",
            f"A General JSON JWS by test key {name}.",
            "jws-verify",
            ok(),
            files={"jws": f(jws(m, [k])), "jwk": f(cj(k.jwk))},
        )


# --------------------------------------------------------- family: minisign


def family_minisign() -> None:
    FAMILY_TEXT["minisign"] = "minisign sidecar signatures: upstream known answers and ours."
    fam = "minisign"
    vec = json.loads((ROOT_DIR / "tests" / "vectors" / "minisign.json").read_text(encoding="utf-8"))
    pub = f"untrusted comment: minisign public key {vec['public_key_id']}\n{vec['public_key']}\n".encode()
    for v in vec["vectors"]:
        legacy = v["algorithm"] == "Ed"
        files = {"file": f(v["message"].encode()), "sig": f(v["signature"].encode()), "pub": f(pub)}
        if legacy:
            add(
                fam,
                f"{v['name']}-refused",
                "Upstream legacy (non-prehashed) signature: refused by default like minisign -H.",
                "minisign-verify",
                fail("minisign_legacy_refused"),
                files=files,
            )
        add(
            fam,
            v["name"],
            f"Upstream vector ({v['from']}).",
            "minisign-verify",
            ok(trusted_comment=v["trusted_comment"]),
            files=files,
            allow_legacy=legacy,
        )
        add(
            fam,
            f"{v['name']}-wrong-message",
            f"Upstream vector over '{v['wrong_message']}'.",
            "minisign-verify",
            fail("minisign_bad_signature"),
            files=dict(files, file=f(v["wrong_message"].encode())),
            allow_legacy=legacy,
        )
        lines = v["signature"].split("\n")
        lines[2] = lines[2] + "x"
        add(
            fam,
            f"{v['name']}-trusted-comment-edited",
            "The trusted comment edited.",
            "minisign-verify",
            fail("minisign_bad_comment_signature"),
            files=dict(files, sig=f("\n".join(lines).encode())),
            allow_legacy=legacy,
        )
        lines = v["signature"].split("\n")
        lines[0] = "untrusted comment: edited"
        add(
            fam,
            f"{v['name']}-untrusted-comment-edited",
            "The untrusted comment edited: still valid (it is not signed).",
            "minisign-verify",
            ok(trusted_comment=v["trusted_comment"]),
            files=dict(files, sig=f("\n".join(lines).encode())),
            allow_legacy=legacy,
        )
    # our own: a fixed test key, prehashed signature over an entries file
    sk = key("minisign-1").sk
    pk = sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(cj(K["minisign-1"].jwk)).digest()[:8]
    pub2 = (
        f"untrusted comment: minisign public key {key_id[::-1].hex().upper()}\n".encode()
        + base64.b64encode(b"Ed" + key_id + pk)
        + b"\n"
    )
    # The trusted comment this library writes (docs/spec/minisign.md, "Trusted comment
    # grammar"), binding the list of the `list` family's BASE snapshot.
    comment = (
        "antifraud-list issuer=mps list=fraud-phones version=5 "
        f"expires=2026-06-08T00:00:00Z sha256={sha(BASE)}"
    )
    digest = hashlib.blake2b(BASE, digest_size=64).digest()
    s = sk.sign(digest)
    g = sk.sign(s + comment.encode())
    sig = (
        b"untrusted comment: signature from antifraud test key\n"
        + base64.b64encode(b"ED" + key_id + s)
        + b"\n"
        + f"trusted comment: {comment}\n".encode()
        + base64.b64encode(g)
        + b"\n"
    )
    files = {"file": f(BASE), "sig": f(sig), "pub": f(pub2)}
    add(
        fam,
        "ours-prehashed",
        "A prehashed signature over an entries file by a test key.",
        "minisign-verify",
        ok(trusted_comment=comment),
        files=files,
    )
    add(
        fam,
        "ours-tampered-file",
        "The entries file changed.",
        "minisign-verify",
        fail("minisign_bad_signature"),
        files=dict(files, file=f(flip(BASE, b":90", b":80"))),
    )
    add(
        fam,
        "ours-other-key",
        "Checked with the upstream public key (other key id).",
        "minisign-verify",
        fail("minisign_key_mismatch"),
        files=dict(files, pub=f(pub)),
    )
    add(
        fam,
        "ours-truncated-sig",
        "The signature file without its last line.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(files, sig=f(b"\n".join(sig.split(b"\n")[:3]) + b"\n")),
    )
    add(
        fam,
        "ours-bad-base64",
        "The signature line is not base64.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(files, sig=f(sig.replace(b"\nRU", b"\n!!", 1))),
    )
    # weak points (docs/spec/envelope.md, "Ed25519 keys and signatures")
    mk = K["minisign-1"]

    def minisig(file_sig: bytes, global_sig: bytes) -> bytes:
        return (
            b"untrusted comment: signature from antifraud test key\n"
            + base64.b64encode(b"ED" + key_id + file_sig)
            + b"\n"
            + f"trusted comment: {comment}\n".encode()
            + base64.b64encode(global_sig)
            + b"\n"
        )

    universal = bytes([1]) + bytes(63)  # R = identity, S = 0
    identity_pub = (
        b"untrusted comment: minisign public key 0000000000000000\n"
        + base64.b64encode(b"Ed" + key_id + bytes([1]) + bytes(31))
        + b"\n"
    )
    add(
        fam,
        "weak-public-key-identity",
        "The public key is the identity point and both signatures are R = identity, "
        "S = 0, which stock Ed25519 accepts for any file and comment.",
        "minisign-verify",
        fail("weak_key"),
        files=dict(files, sig=f(minisig(universal, universal)), pub=f(identity_pub)),
    )
    r_identity = ed_sign_with_r(mk, bytes([1]) + bytes(31), digest)
    add(
        fam,
        "weak-r-identity-file-signature",
        "The file signature has R = identity and S = h*a (valid under stock Ed25519); "
        "the comment signature is genuine.",
        "minisign-verify",
        fail("weak_signature"),
        files=dict(files, sig=f(minisig(r_identity, sk.sign(r_identity + comment.encode())))),
    )
    add(
        fam,
        "weak-r-order-8-comment-signature",
        "The comment signature's R is a point of order 8.",
        "minisign-verify",
        fail("weak_signature"),
        files=dict(files, sig=f(minisig(s, bytes.fromhex(SMALL_ORDER[4]) + g[32:]))),
    )

    # minisign-verify authenticates the trusted comment; it does not apply the grammar
    # (a receiver binding a list parses the returned comment: parse_trusted_comment).
    def signed_with(text: str, untrusted: bytes = b"untrusted comment: x") -> bytes:
        return (
            untrusted
            + b"\n"
            + base64.b64encode(b"ED" + key_id + s)
            + b"\n"
            + f"trusted comment: {text}\n".encode()
            + base64.b64encode(sk.sign(s + text.encode()))
            + b"\n"
        )

    for name, text, why in (
        ("comment-outside-grammar", "antifraud-list issuer=mps list=fraud-phones version=5",
         "without expires= and sha256= (not this library's grammar)"),
        ("comment-with-tab", "timestamp:1555779966\tfile:fraud-phones.jsonl",
         "with a TAB, like the upstream vectors"),
        ("comment-control-character", "list\x01fraud-phones",
         "with a control character U+0001"),
    ):  # fmt: skip
        add(
            fam,
            name,
            f"A valid signature whose trusted comment is {why}: verification returns it "
            "unchanged (only the writer requires printable text; the grammar is applied "
            "by whoever reads the comment).",
            "minisign-verify",
            ok(trusted_comment=text),
            files=dict(files, sig=f(signed_with(text))),
        )
    for name, first_line, why in (
        ("untrusted-prefix-missing-space", b"untrusted comment:x", "'untrusted comment:' without the space"),
        ("untrusted-prefix-capital", b"Untrusted comment: x", "'Untrusted comment: '"),
        ("untrusted-prefix-absent", b"signature from antifraud test key", "no prefix"),
    ):  # fmt: skip
        add(
            fam,
            f"sig-{name}",
            f"The signature file's first line has {why}.",
            "minisign-verify",
            fail("minisign_format"),
            files=dict(files, sig=f(signed_with(comment, first_line))),
        )
    lines = sig.split(b"\n")
    add(
        fam,
        "sig-trusted-prefix-absent",
        "The third line lacks the 'trusted comment: ' prefix.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(
            files,
            sig=f(b"\n".join([*lines[:2], lines[2][len(b"trusted comment: ") :], *lines[3:]])),
        ),
    )
    pub_lines = pub2.split(b"\n")
    add(
        fam,
        "pub-untrusted-prefix-absent",
        "The public key file's first line is 'comment: ...' instead of an untrusted comment.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(files, pub=f(b"comment: minisign public key\n" + pub_lines[1] + b"\n")),
    )
    add(
        fam,
        "pub-bare-line",
        "The public key given as its bare base64 line (accepted, like minisign -P).",
        "minisign-verify",
        ok(trusted_comment=comment),
        files=dict(files, pub=f(pub_lines[1] + b"\n")),
    )
    b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def set_unused_bits(line: bytes, bits: int) -> bytes:
        text = line.decode().rstrip("=")
        pad = line.decode()[len(text) :]
        last = b64chars[b64chars.index(text[-1]) | bits]
        return (text[:-1] + last + pad).encode()

    assert base64.b64decode(set_unused_bits(lines[1], 3)) == base64.b64decode(lines[1])
    add(
        fam,
        "sig-line-unused-bits",
        "The signature line with the unused bits of its last character set: the same "
        "74 bytes, but not the canonical base64.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(files, sig=f(b"\n".join([lines[0], set_unused_bits(lines[1], 3), *lines[2:]]))),
    )
    add(
        fam,
        "global-line-unused-bits",
        "The comment signature line with the unused bits of its last character set.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(
            files, sig=f(b"\n".join([*lines[:3], set_unused_bits(lines[3], 15), *lines[4:]]))
        ),
    )
    add(
        fam,
        "sig-line-unpadded",
        "The signature line without its '=' padding.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(files, sig=f(b"\n".join([lines[0], lines[1].rstrip(b"="), *lines[2:]]))),
    )
    k_off = next(k for k in range(2, 100) if ed_decode(k.to_bytes(32, "little")) is None)
    off_pub = (
        b"untrusted comment: minisign public key 0000000000000000\n"
        + base64.b64encode(b"Ed" + key_id + k_off.to_bytes(32, "little"))
        + b"\n"
    )
    add(
        fam,
        "public-key-not-on-curve",
        f"The public key has y = {k_off}, which no curve point has.",
        "minisign-verify",
        fail("minisign_format"),
        files=dict(files, pub=f(off_pub)),
    )
    s_big = s[:32] + (int.from_bytes(s[32:], "little") + ED_L).to_bytes(32, "little")
    add(
        fam,
        "s-not-reduced",
        "The file signature with S + L instead of S (RFC 8032 requires S < L).",
        "minisign-verify",
        fail("minisign_bad_signature"),
        files=dict(files, sig=f(minisig(s_big, sk.sign(s_big + comment.encode())))),
    )


# ------------------------------------------------------- family: identifier

# --------------------------------------------------- family: weak-keys
#
# Ed25519 encodings every verifier must refuse (docs/spec/envelope.md, "Ed25519
# keys and signatures"). The curve arithmetic below is only what the cases need:
# decoding, addition and scalar multiplication on edwards25519 (RFC 8032 §5.1).

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493
ED_D = (-121665 * pow(121666, ED_P - 2, ED_P)) % ED_P
ED_IDENTITY = (0, 1)
# The eight small-order encodings, exactly as docs/spec/envelope.md lists them.
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
]


def ed_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = ED_D * x1 * x2 * y1 * y2 % ED_P
    x = (x1 * y2 + x2 * y1) * pow(1 + t, ED_P - 2, ED_P) % ED_P
    y = (y1 * y2 + x1 * x2) * pow(1 - t, ED_P - 2, ED_P) % ED_P
    return x, y


def ed_mul(k: int, pt: tuple[int, int]) -> tuple[int, int]:
    out = ED_IDENTITY
    while k:
        if k & 1:
            out = ed_add(out, pt)
        pt = ed_add(pt, pt)
        k >>= 1
    return out


def ed_decode(enc: bytes) -> tuple[int, int] | None:
    """RFC 8032 §5.1.3, except that y is reduced mod p (to build non-canonical cases)."""
    y = (int.from_bytes(enc, "little") & ((1 << 255) - 1)) % ED_P
    sign = enc[31] >> 7
    x2 = (y * y - 1) * pow(ED_D * y * y + 1, ED_P - 2, ED_P) % ED_P
    x = pow(x2, (ED_P + 3) // 8, ED_P)
    if x * x % ED_P != x2:
        x = x * pow(2, (ED_P - 1) // 4, ED_P) % ED_P
    if x * x % ED_P != x2:
        return None
    if x & 1 != sign:
        x = (ED_P - x) % ED_P
    return x, y


def ed_encode(pt: tuple[int, int]) -> bytes:
    return (pt[1] | ((pt[0] & 1) << 255)).to_bytes(32, "little")


def ed_scalar(k: Key) -> int:
    """The secret scalar a of a test key (RFC 8032 §5.1.5)."""
    h = bytearray(hashlib.sha512(k.sk.private_bytes_raw()).digest()[:32])
    h[0] &= 248
    h[31] = (h[31] & 127) | 64
    return int.from_bytes(h, "little")


def ed_sign_with_r(k: Key, r: bytes, message: bytes) -> bytes:
    """A signature R || S with the chosen R = identity: S = h * a, so [S]B = R + [h]A.

    Stock (cofactorless) verification accepts it when R encodes the identity.
    """
    a_enc = k.sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    h = int.from_bytes(hashlib.sha512(r + a_enc + message).digest(), "little") % ED_L
    return r + (h * ed_scalar(k) % ED_L).to_bytes(32, "little")


class WeakKey:
    """A 'public key' that is a weak point, with the universal forgery as its signature."""

    def __init__(self, name: str, enc: bytes, signature: bytes | None = None) -> None:
        self.name = name
        self.alg = "Ed25519"
        self.jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64u(enc)}
        self.kid = b64u(hashlib.sha256(cj(self.jwk)).digest())
        # R = identity, S = 0: [0]B = identity + [h]identity for every message.
        self.signature = signature if signature is not None else bytes([1]) + bytes(63)

    def sign(self, data: bytes) -> bytes:
        return self.signature


class FixedSigner:
    """Signs as a real test key, but with a chosen signature transformation."""

    def __init__(self, k: Key, make: Callable[[bytes], bytes]) -> None:
        self.name, self.alg, self.jwk, self.kid = k.name, k.alg, k.jwk, k.kid
        self._make = make

    def sign(self, data: bytes) -> bytes:
        return self._make(data)


def family_weak_keys() -> None:
    FAMILY_TEXT["weak-keys"] = (
        "Ed25519 keys and signature R values of small order or with non-canonical "
        "encodings, and ES256 r, s outside 1..n-1: refused before any signature is trusted."
    )
    fam = "weak-keys"
    base = ed_decode(bytes.fromhex(SMALL_ORDER[0]))
    assert base == ED_IDENTITY
    for h in SMALL_ORDER:
        pt = ed_decode(bytes.fromhex(h))
        assert pt is not None and ed_encode(pt) == bytes.fromhex(h)
        assert ed_mul(8, pt) == ED_IDENTITY, h
    order8 = ed_decode(bytes.fromhex(SMALL_ORDER[4]))
    assert order8 is not None
    assert {ed_encode(ed_mul(i, order8)).hex() for i in range(8)} == set(SMALL_ORDER)
    names = ["identity", "order-2", "order-4", "order-4-neg", "order-8-a", "order-8-a-neg",
             "order-8-b", "order-8-b-neg"]  # fmt: skip

    def jwk_case(name: str, description: str, enc: bytes, expect: dict[str, Any]) -> None:
        jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64u(enc)}
        add(fam, name, description, "thumbprint", expect, files={"jwk": f(cj(jwk))})

    for name, h in zip(names, SMALL_ORDER, strict=True):
        jwk_case(
            f"jwk-small-order-{name}",
            f"A public JWK whose x is the small-order point {h} ([8]P = identity).",
            bytes.fromhex(h),
            fail("weak_key"),
        )
    flipped = [
        ("jwk-identity-sign-bit", "The identity with the sign bit set (x = 0 cannot be negative).",
         bytes([1]) + bytes(30) + bytes([0x80])),
        ("jwk-order-2-sign-bit", "(0, -1) with the sign bit set.", bytes([0xEC]) + bytes([0xFF]) * 31),
        ("jwk-y-equals-p", "y = p: a non-canonical encoding of y = 0 (order 4).",
         ED_P.to_bytes(32, "little")),
        ("jwk-y-p-plus-1", "y = p + 1: a non-canonical encoding of the identity.",
         (ED_P + 1).to_bytes(32, "little")),
        ("jwk-y-all-ones", "y = 2^255 - 1 with the sign bit set (all 32 bytes 0xff).",
         bytes([0xFF]) * 32),
    ]  # fmt: skip
    for name, description, enc in flipped:
        jwk_case(name, description, enc, fail("weak_key"))
    # y = p + k for a small k whose y = k is on the curve: an ordinary point, badly encoded.
    k_on = next(k for k in range(2, 19) if ed_decode(k.to_bytes(32, "little")) is not None)
    jwk_case(
        "jwk-y-noncanonical-ordinary-point",
        f"y = p + {k_on}: a non-canonical encoding of a point that is not of small order.",
        (ED_P + k_on).to_bytes(32, "little"),
        fail("weak_key"),
    )
    k_off = next(k for k in range(2, 100) if ed_decode(k.to_bytes(32, "little")) is None)
    jwk_case(
        "jwk-not-on-curve",
        f"y = {k_off}: no curve point has this y (RFC 8032 decoding fails).",
        k_off.to_bytes(32, "little"),
        fail("jwk_invalid"),
    )
    a_pt = ed_decode(base64.urlsafe_b64decode(key("mps-1").jwk["x"] + "="))
    assert a_pt is not None
    mixed = ed_encode(ed_add(a_pt, order8))
    add(
        fam,
        "jwk-mixed-order-accepted",
        "A key of mixed order (a prime-order point plus a point of order 8) is not of "
        "small order: accepted (only small-order and non-canonical keys are refused).",
        "thumbprint",
        ok(
            thumbprint=b64u(
                hashlib.sha256(cj({"crv": "Ed25519", "kty": "OKP", "x": b64u(mixed)})).digest()
            )
        ),
        files={"jwk": f(cj({"crv": "Ed25519", "kty": "OKP", "x": b64u(mixed)}))},
    )

    # -- the forgery: a member key of small order in a root-signed bundle
    data = entries_bytes(phones(3))
    roots = [key("root-1"), key("root-2")]
    for label, enc in (
        ("identity", bytes.fromhex(SMALL_ORDER[0])),
        ("zero-bytes", bytes(32)),
        ("y-p-plus-1", (ED_P + 1).to_bytes(32, "little")),
    ):
        weak = WeakKey(f"weak-{label}", enc)
        members = default_members()
        for m in members:
            if m["agency"] == "mps":
                m["keys"] = sorted(
                    [*m["keys"], weak.jwk], key=lambda j: b64u(hashlib.sha256(cj(j)).digest())
                )
        trust, trust_sig = signed_bundle(bundle(members=members), roots)
        verify_case(
            fam,
            f"member-key-{label}-forged-list",
            f"The root-signed bundle lists a member key {enc.hex()} (small order or "
            "non-canonical); the list carries only the universal forgery R = identity, "
            "S = 0 under that key's kid, which stock Ed25519 accepts.",
            fail("weak_key"),
            entries=data,
            sig=jws(cj(manifest(data)), [weak]),
            trust=trust,
            trust_sig=trust_sig,
            signers=(),
        )
    # -- a root key of small order counted toward the root threshold
    weak_root = WeakKey("weak-root", bytes.fromhex(SMALL_ORDER[0]))
    weak_trust, weak_trust_sig = signed_bundle(
        bundle(root=[key("root-1"), weak_root], threshold=2), [key("root-1"), weak_root]
    )
    verify_case(
        fam,
        "root-key-identity-counted",
        "Root keys root-1 and the identity point, threshold 2, signed by root-1 and by "
        "the forgery under the identity key: the bundle must not be trusted.",
        fail("weak_key"),
        entries=BASE,
        sig=BASE_SIG,
        trust=weak_trust,
        trust_sig=weak_trust_sig,
    )
    v1 = signed_bundle(bundle(), roots)
    walk_case(
        fam,
        "rotation-new-root-small-order",
        "Version 2 replaces root-3 by the identity point (threshold 2); it is signed by "
        "root-1, root-2 and the forgery: the rotation must be refused.",
        fail("weak_key"),
        v1,
        [signed_bundle(
            bundle(2, root=[key("root-1"), key("root-2"), weak_root], threshold=2),
            [key("root-1"), key("root-2"), weak_root],
        )],
    )  # fmt: skip
    members = default_members()
    weak_member = WeakKey("weak-member", bytes(32))
    members[0]["keys"] = sorted(
        [*members[0]["keys"], weak_member.jwk], key=lambda j: b64u(hashlib.sha256(cj(j)).digest())
    )
    walk_case(
        fam,
        "rotation-adds-small-order-member-key",
        "Version 2, properly signed by the root, adds the 32-zero-byte key (order 4) to a member.",
        fail("weak_key"),
        v1,
        [signed_bundle(bundle(2, members=members), roots)],
    )
    # -- R of small order or non-canonical, with an otherwise valid key
    mps = key("mps-1")
    identity_r = bytes.fromhex(SMALL_ORDER[0])
    cases_r = [
        ("r-identity-valid-key", ("R = identity with S = h*a: the equation [S]B = R + [h]A "
         "holds, so stock Ed25519 accepts it."), lambda m: ed_sign_with_r(mps, identity_r, m)),
        ("r-order-8", "R = a point of order 8.",
         lambda m: bytes.fromhex(SMALL_ORDER[6]) + mps.sign(m)[32:]),
        ("r-y-p-plus-1", "R = y = p + 1 (a non-canonical identity) with S = h*a.",
         lambda m: ed_sign_with_r(mps, (ED_P + 1).to_bytes(32, "little"), m)),
        ("r-identity-sign-bit", ("R = the identity with the sign bit set (x = 0 cannot be "
         "negative: a non-canonical encoding)."),
         lambda m: bytes([1]) + bytes(30) + bytes([0x80]) + mps.sign(m)[32:]),
    ]  # fmt: skip
    for name, description, make in cases_r:
        verify_case(
            fam,
            name,
            description + " Refused before the signature is checked.",
            fail("weak_signature"),
            entries=BASE,
            sig=jws(cj(manifest(BASE)), [FixedSigner(mps, make)]),
        )
    verify_case(
        fam,
        "r-identity-on-unknown-key",
        "A valid signature by mps-1 and a second signature, by a key nobody trusts, "
        "with R = identity: every signature is checked, so the envelope is refused.",
        fail("weak_signature"),
        entries=BASE,
        sig=jws(cj(manifest(BASE)), [mps, WeakKey("stranger", bytes.fromhex(SMALL_ORDER[0]))]),
    )

    def s_plus_l(m: bytes) -> bytes:
        sig = mps.sign(m)
        return sig[:32] + (int.from_bytes(sig[32:], "little") + ED_L).to_bytes(32, "little")

    verify_case(
        fam,
        "s-not-reduced",
        "A valid signature with S replaced by S + L (same value mod L): S >= L is "
        "invalid (RFC 8032 §5.1.7).",
        fail("signature_invalid"),
        entries=BASE,
        sig=jws(cj(manifest(BASE)), [FixedSigner(mps, s_plus_l)]),
    )
    doc = json.loads(DEFAULT_TRUST_SIG)
    extra = json.loads(
        jws(
            DEFAULT_TRUST,
            [FixedSigner(key("root-3"), lambda m: ed_sign_with_r(key("root-3"), identity_r, m))],
            TRUST_TYP,
        )
    )
    doc["signatures"].append(extra["signatures"][0])
    verify_case(
        fam,
        "trust-sig-r-identity",
        "The bundle's signature file carries a third root signature with R = identity.",
        fail("trust_weak_signature"),
        entries=BASE,
        sig=BASE_SIG,
        trust_sig=cj(doc),
    )
    # -- ES256: r and s must be in 1 .. n-1
    p256_n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    cb = key("cbank-1", "ES256")
    card_data = entries_bytes(cards(2))
    card_mf = cj(manifest(card_data, issuer="cbank", list_id="mules", list_type="mule_accounts"))
    for name, description, make in [
        ("es256-r-s-zero", "r = s = 0 (a 'psychic signature').", lambda m: bytes(64)),
        ("es256-s-equals-n", "s = n.",
         lambda m: cb.sign(m)[:32] + p256_n.to_bytes(32, "big")),
        ("es256-r-equals-n", "r = n.",
         lambda m: p256_n.to_bytes(32, "big") + cb.sign(m)[32:]),
    ]:  # fmt: skip
        verify_case(
            fam,
            name,
            f"An ES256 list signature with {description} Refused before any key is consulted.",
            fail("weak_signature"),
            entries=card_data,
            sig=jws(card_mf, [FixedSigner(cb, make)]),
            signers=("cbank-1",),
        )
    # -- the signature primitive alone (jws-verify)
    prot = b64u(cj({"alg": "EdDSA"}))
    payload = b64u(b"any message at all")
    identity_jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64u(identity_r)}
    add(
        fam,
        "jws-verify-identity-key",
        "The compact JWS with R = identity, S = 0 checked with the identity public key.",
        "jws-verify",
        fail("weak_key"),
        files={
            "jws": f(f"{prot}.{payload}.{b64u(bytes([1]) + bytes(63))}".encode()),
            "jwk": f(cj(identity_jwk)),
        },
    )
    forged = ed_sign_with_r(mps, identity_r, f"{prot}.{payload}".encode())
    add(
        fam,
        "jws-verify-r-identity-valid-key",
        "A compact JWS whose signature has R = identity and S = h*a, checked with mps-1's key.",
        "jws-verify",
        fail("signature_invalid", "weak_signature"),
        files={"jws": f(f"{prot}.{payload}.{b64u(forged)}".encode()), "jwk": f(cj(mps.jwk))},
    )


# ------------------------------------------------ family: jws-header
#
# The order of the envelope checks and the exact kid and typ rules
# (docs/spec/envelope.md, "Order of the checks"): each case breaks two rules at
# once, so only the order of the specification gives its code.


def raw_header_jws(
    payload: bytes, k: Key, header: dict[str, Any], sig: bytes | None = None
) -> bytes:
    """A one-signature envelope with exactly ``header`` (no defaults added)."""
    prot = b64u(cj(header))
    p64 = b64u(payload)
    signature = k.sign(f"{prot}.{p64}".encode()) if sig is None else sig
    return cj({"payload": p64, "signatures": [{"protected": prot, "signature": b64u(signature)}]})


def unused_bits_kid(kid: str) -> str:
    """The same 32 bytes with the two unused bits of the last character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return kid[:-1] + alphabet[alphabet.index(kid[-1]) | 3]


def family_jws_header() -> None:
    FAMILY_TEXT["jws-header"] = (
        "The order of the protected-header and signature checks, and the exact kid and "
        "typ rules: each refusal breaks two rules, so only the specified order gives its code."
    )
    fam = "jws-header"
    mps = key("mps-1")
    m = cj(manifest(BASE))
    good = {"alg": "Ed25519", "kid": mps.kid, "typ": MANIFEST_TYP}

    def case(name: str, description: str, expect: dict[str, Any], header: dict[str, Any],
             sig: bytes | None = None) -> None:  # fmt: skip
        verify_case(
            fam, name, description, expect, entries=BASE, sig=raw_header_jws(m, mps, header, sig)
        )

    def h(**changes: Any) -> dict[str, Any]:
        out = dict(good)
        for name, value in changes.items():
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    case(
        "crit-before-extra-member",
        "'crit' and an unknown member 'x5u': crit is checked first.",
        fail("jws_crit"),
        h(crit=["x5u"], x5u="https://example.invalid/k"),
    )
    case(
        "crit-before-missing-member",
        "'crit' and no 'typ': crit is checked first.",
        fail("jws_crit"),
        h(crit=["exp"], typ=None),
    )
    case(
        "extra-member-before-missing-member",
        "An unknown member 'jku' and no 'kid'.",
        fail("jws_header_member"),
        h(jku="https://example.invalid/jwks", kid=None),
    )
    case(
        "extra-member-alone",
        "An unknown member 'x5u' in an otherwise valid header.",
        fail("jws_header_member"),
        h(x5u="https://example.invalid/k"),
    )
    case(
        "extra-member-before-alg",
        "An embedded 'jwk' and alg 'none'.",
        fail("jws_header_member"),
        h(jwk=mps.jwk, alg="none"),
    )
    case(
        "missing-member-before-alg",
        "No 'typ' and alg 'none'.",
        fail("jws_header"),
        h(typ=None, alg="none"),
    )
    case(
        "non-string-member-before-alg",
        "'kid' is a number and alg is 'HS256'.",
        fail("jws_header"),
        h(kid=7, alg="HS256"),
    )
    case(
        "alg-before-kid",
        "alg 'none' and a kid that is no thumbprint.",
        fail("jws_alg_none"),
        h(alg="none", kid="mps-1"),
    )
    case(
        "alg-unsupported-before-typ",
        "alg 'RS256' and an empty typ.",
        fail("jws_alg_unsupported"),
        h(alg="RS256", typ=""),
    )
    case(
        "kid-before-typ",
        "A 42-character kid and a typ with a space.",
        fail("jws_kid"),
        h(kid=mps.kid[:42], typ="antifraud manifest"),
    )
    case(
        "kid-44-characters",
        "A kid of 44 base64url characters.",
        fail("jws_kid"),
        h(kid=mps.kid + "A"),
    )
    case(
        "kid-padded",
        "The issuer's kid with a '=' appended.",
        fail("jws_kid"),
        h(kid=mps.kid[:42] + "="),
    )
    case(
        "kid-standard-alphabet",
        "A 43-character kid using '+' (standard base64).",
        fail("jws_kid"),
        h(kid="+" + mps.kid[1:]),
    )
    case(
        "kid-unused-bits-not-the-key",
        "The only signature is mps-1's, under its kid with the two unused bits of the last "
        "character set: the kid is compared as a string, so it names no trusted key.",
        fail("signature_invalid"),
        h(kid=unused_bits_kid(mps.kid)),
    )
    case(
        "typ-format-before-expected-typ",
        "typ 'antifraud-manifest+json ' (a trailing space): malformed before it is compared.",
        fail("jws_header"),
        h(typ=MANIFEST_TYP + " "),
    )
    case("typ-empty", "An empty typ.", fail("jws_header"), h(typ=""))
    case(
        "typ-256-characters",
        "A typ of 256 printable characters.",
        fail("jws_header"),
        h(typ="a" * 256),
    )
    case(
        "typ-255-characters",
        "A well-formed typ of 255 characters that is not the expected one.",
        fail("jws_typ"),
        h(typ="a" * 255),
    )
    case(
        "typ-non-ascii",
        "typ 'antifraud-manifest+jsön'.",
        fail("jws_header"),
        h(typ="antifraud-manifest+jsön"),
    )
    case(
        "typ-tab", "typ with a TAB inside.", fail("jws_header"), h(typ="antifraud-manifest\t+json")
    )
    case(
        "expected-typ-before-signature-length",
        "typ of a trust bundle and a 63-byte signature.",
        fail("jws_typ"),
        h(typ=TRUST_TYP),
        sig=bytes(63),
    )
    case(
        "signature-length-before-weak-r",
        "A 32-byte signature that is the identity point.",
        fail("jws_signature_length"),
        good,
        sig=bytes([1]) + bytes(31),
    )
    case("signature-65-bytes", "A valid signature with one byte appended.",
         fail("jws_signature_length"), good,
         sig=mps.sign(f"{b64u(cj(good))}.{b64u(m)}".encode()) + b"\x00")  # fmt: skip
    # across signatures: each is checked completely, in array order
    first = json.loads(raw_header_jws(m, mps, h(typ=TRUST_TYP)))["signatures"][0]
    second = json.loads(raw_header_jws(m, key("mps-2"), h(kid=key("mps-2").kid, crit=["exp"])))
    verify_case(fam, "first-signature-first",
                "Signature 0 has a trust-bundle typ, signature 1 has 'crit': signature 0 is "
                "checked completely first.", fail("jws_typ"), entries=BASE,
                sig=cj({"payload": b64u(m), "signatures": [first, second["signatures"][0]]}))  # fmt: skip
    valid = json.loads(jws(m, [mps]))["signatures"][0]
    verify_case(fam, "malformed-second-signature",
                "A valid mps-1 signature followed by one with 'crit': the envelope is malformed.",
                fail("jws_crit"), entries=BASE,
                sig=cj({"payload": b64u(m), "signatures": [valid, second["signatures"][0]]}))  # fmt: skip
    stranger = key("attacker-1")
    extra = json.loads(raw_header_jws(m, stranger, h(kid=unused_bits_kid(stranger.kid))))
    verify_case(fam, "unknown-kid-unused-bits-ignored",
                "A valid mps-1 signature and one whose kid has its unused bits set: a "
                "well-formed kid of no trusted key, ignored.", ok(), entries=BASE,
                sig=cj({"payload": b64u(m), "signatures": [valid, extra["signatures"][0]]}))  # fmt: skip
    verify_case(fam, "payload-before-signatures",
                "A padded payload and a signature with 'crit'.", fail("jws_base64"), entries=BASE,
                sig=cj({"payload": b64u(m) + "=" * (-len(b64u(m)) % 4 or 4),
                        "signatures": [second["signatures"][0]]}))  # fmt: skip


# ------------------------------------------------------------- family: jwk


def family_jwk() -> None:
    FAMILY_TEXT["jwk"] = (
        "Public JWK rules: optional kid, alg and use must fit the key, x and y are strict "
        "base64url, unknown members are jwk_unsupported, and in a trust bundle a key has "
        "only its required members."
    )
    fam = "jwk"
    ed = dict(key("mps-1").jwk)
    ec_ = dict(key("cbank-1", "ES256").jwk)

    def thumb(name: str, description: str, jwk: object, expect: dict[str, Any]) -> None:
        add(fam, name, description, "thumbprint", expect, files={"jwk": f(cj(jwk))})

    def okk(k: Key) -> dict[str, Any]:
        return ok(thumbprint=k.kid)

    mk, ck = key("mps-1"), key("cbank-1", "ES256")
    thumb("alg-ed25519", "An Ed25519 key with alg 'Ed25519'.", dict(ed, alg="Ed25519"), okk(mk))
    thumb("alg-eddsa", "An Ed25519 key with alg 'EdDSA'.", dict(ed, alg="EdDSA"), okk(mk))
    thumb("alg-es256-on-okp", "An Ed25519 key with alg 'ES256'.", dict(ed, alg="ES256"),
          fail("jwk_mismatch"))  # fmt: skip
    thumb("alg-es256", "A P-256 key with alg 'ES256'.", dict(ec_, alg="ES256"), okk(ck))
    thumb("alg-eddsa-on-ec", "A P-256 key with alg 'EdDSA'.", dict(ec_, alg="EdDSA"),
          fail("jwk_mismatch"))  # fmt: skip
    thumb("alg-not-a-string", "alg is the number 1.", dict(ed, alg=1), fail("jwk_mismatch"))
    thumb("use-sig", "use 'sig'.", dict(ed, use="sig"), okk(mk))
    thumb("use-enc", "use 'enc'.", dict(ed, use="enc"), fail("jwk_mismatch"))
    thumb("kid-thumbprint", "kid equal to the RFC 7638 thumbprint.", dict(ed, kid=mk.kid), okk(mk))
    thumb("kid-other", "kid of another key.", dict(ed, kid=key("mps-2").kid), fail("jwk_mismatch"))
    thumb("unknown-member", "An unknown member 'ext'.", dict(ed, ext=True), fail("jwk_unsupported"))
    thumb("unknown-member-key-ops", "key_ops (not part of this profile).",
          dict(ed, key_ops=["verify"]), fail("jwk_unsupported"))  # fmt: skip
    thumb("private-before-unknown", "A private member 'd' and an unknown member.",
          dict(ed, d=ed["x"], ext=1), fail("jwk_private_member"))  # fmt: skip
    thumb("x-before-unknown", "A 31-byte x and an unknown member.",
          dict(ed, x=b64u(bytes(range(1, 32))), ext=1), fail("jwk_invalid"))  # fmt: skip
    thumb("unknown-before-kid", "An unknown member and a kid of another key.",
          dict(ed, ext=1, kid=key("mps-2").kid), fail("jwk_unsupported"))  # fmt: skip
    x = ed["x"]
    thumb("x-padded", "x with '=' padding.", dict(ed, x=x + "="), fail("jwk_invalid"))
    std = base64.b64encode(base64.urlsafe_b64decode(x + "=")).decode().rstrip("=")
    assert std != x, "pick a key whose x has '+' or '/'"
    thumb("x-standard-alphabet", "x in the standard base64 alphabet ('+', '/').",
          dict(ed, x=std), fail("jwk_invalid"))  # fmt: skip
    thumb("x-unused-bits", "x with the unused bits of its last character set (same 32 bytes).",
          dict(ed, x=unused_bits_kid(x)), fail("jwk_invalid"))  # fmt: skip
    thumb("y-unused-bits", "A P-256 y with the unused bits of its last character set.",
          dict(ec_, y=unused_bits_kid(ec_["y"])), fail("jwk_invalid"))  # fmt: skip
    thumb("x-whitespace", "x with a space inside.", dict(ed, x=x[:20] + " " + x[20:]),
          fail("jwk_invalid"))  # fmt: skip
    thumb("x-not-a-string", "x is an array.", dict(ed, x=[x]), fail("jwk_invalid"))
    thumb("x-33-bytes", "x of 33 bytes.", dict(ed, x=b64u(bytes(33))), fail("jwk_invalid"))
    # in a trust bundle, a key has exactly its required members
    for name, extra_member, expect, why in (
        ("bundle-key-with-kid", {"kid": mk.kid}, fail("trust_not_canonical"),
         ("a correct kid: the bundle is written with the required members only, so "
          "these bytes are not its canonical form")),
        ("bundle-key-with-alg", {"alg": "Ed25519"}, fail("trust_not_canonical"), "alg 'Ed25519'"),
        ("bundle-key-with-use", {"use": "sig"}, fail("trust_not_canonical"), "use 'sig'"),
        ("bundle-key-kid-mismatch", {"kid": key("mps-2").kid}, fail("jwk_mismatch"),
         "a kid of another key"),
        ("bundle-key-unknown-member", {"ext": True}, fail("jwk_unsupported"), "an unknown member"),
    ):  # fmt: skip
        members = default_members()
        for mem in members:
            if mem["agency"] == "mps":
                mem["keys"] = [dict(j, **extra_member) if j["x"] == mk.jwk["x"] else j
                               for j in mem["keys"]]  # fmt: skip
        trust, trust_sig = signed_bundle(bundle(members=members), [key("root-1"), key("root-2")])
        verify_case(fam, name, f"A member key in the root-signed bundle carries {why}.", expect,
                    entries=BASE, sig=BASE_SIG, trust=trust, trust_sig=trust_sig)  # fmt: skip


#: kind -> (module, function) of this library's validators.
VALIDATORS = {
    "phone": ("phone", "validate"),
    "bank_card": ("card", "validate"),
    "iccid": ("iccid", "validate"),
    "imei": ("imei", "validate"),
    "idcard": ("idcard", "validate"),
    "bank_account": ("account", "validate"),
    "payment_account": ("account", "validate_payment_account"),
}

# (kind, name, input, expected canonical value or None when it must be refused, why).
# Each verdict was reasoned from docs/ (validators, canonical forms) before it was added;
# the error code recorded for a refusal is this library's.
IDENTIFIERS: list[tuple[str, str, str, str | None, str]] = [
    ("phone", "cn-mobile-national", "13800138000", "+8613800138000", "11-digit mobile, region CN"),
    ("phone", "cn-mobile-e164-spaces", "+86 138 0013 8000", "+8613800138000", "separators dropped"),
    ("phone", "cn-mobile-dashes", "138-0013-8000", "+8613800138000", "dashes dropped"),
    ("phone", "cn-mobile-idd-00", "0086 13800138000", "+8613800138000", "00 international prefix"),
    (
        "phone",
        "cn-mobile-fullwidth",
        "１３８－００１３－８０００",
        "+8613800138000",
        "full-width digits and dash fold to ASCII",
    ),
    (
        "phone",
        "cn-mobile-ideographic-space",
        "138\u30000013\u30008000",
        "+8613800138000",
        "U+3000 folds to a space, a separator",
    ),
    (
        "phone",
        "cn-mobile-zero-width-space",
        "138\u200b0013\u200b8000",
        "+8613800138000",
        "invisible format characters are deleted (and flagged)",
    ),
    ("phone", "cn-fixed-beijing", "010-6234 5678", "+861062345678", "fixed line with trunk 0"),
    ("phone", "cn-short-code", "95588", "tel:95588;phone-context=+86", "bank hotline short code"),
    ("phone", "cn-emergency", "110", "tel:110;phone-context=+86", "emergency number"),
    ("phone", "hk-mobile", "00852 5123 4567", "+85251234567", "Hong Kong mobile"),
    ("phone", "canonical-idempotent", "+8613800138000", "+8613800138000", "already canonical"),
    ("phone", "letter-o-for-zero", "138O0138OOO", None, "letters are refused, not keypad-mapped"),
    ("phone", "two-letters", "138O0138000", None, "letters are refused, not dropped"),
    ("phone", "arabic-indic-digits", "١٣٨٠٠١٣٨٠٠٠", None, "digits of other scripts are refused"),
    ("phone", "devanagari-digits", "१३८००१३८०००", None, "digits of other scripts are refused"),
    ("phone", "superscript-digits", "¹³⁸⁰⁰¹³⁸⁰⁰⁰", None, "superscripts are not digits (no NFKC)"),
    ("phone", "circled-digits", "①③⑧⓪⓪①③⑧⓪⓪⓪", None, "circled digits are refused"),
    ("phone", "mathematical-bold-digits", "𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎", None, "math digits refused"),
    ("phone", "scientific-notation", "1.38001E+10", None, "a spreadsheet lost digits"),
    ("phone", "spreadsheet-float", "13800138000.0", None, "a spreadsheet float"),
    ("phone", "extension", "010-62345678转123", None, "extensions are refused"),
    ("phone", "empty", "", None, "empty input"),
    ("phone", "plus-only", "+", None, "no digits"),
    ("phone", "too-long", "13800138000138001380", None, "20 digits"),
    ("phone", "too-short", "1", None, "one digit"),
    ("phone", "text-around", "电话13800138000", None, "surrounding text is refused"),
    ("phone", "two-numbers", "13800138000,13912345678", None, "two numbers"),
    (
        "phone",
        "rtl-override",
        "138\u202e00138000",
        "+8613800138000",
        "a bidi override is an invisible format character: deleted and flagged",
    ),
    (
        "bank_card",
        "unionpay-16",
        luhn_complete("622202000000001"),
        luhn_complete("622202000000001"),
        "16-digit UnionPay, Luhn valid",
    ),
    (
        "bank_card",
        "unionpay-19",
        "6222021234567890128",
        "6222021234567890128",
        "19-digit, Luhn valid",
    ),
    ("bank_card", "spaces", "6222 0212 3456 7890 128", "6222021234567890128", "spaces dropped"),
    (
        "bank_card",
        "fullwidth",
        "６２２２０２１２３４５６７８９０１２８",
        "6222021234567890128",
        "full-width digits fold",
    ),
    ("bank_card", "bad-luhn", "6222021234567890129", None, "Luhn check digit wrong"),
    ("bank_card", "too-short", "622202123", None, "9 digits"),
    ("bank_card", "too-long", "62220212345678901234", None, "20 digits"),
    ("bank_card", "letters", "6222O21234567890128", None, "a letter O"),
    (
        "bank_card",
        "arabic-indic",
        "".join(chr(0x660 + int(c)) for c in "6222021234567890128"),
        None,
        "digits of other scripts",
    ),
    ("bank_card", "empty", "", None, "empty"),
    (
        "iccid",
        "cn-20-digits",
        luhn_complete("8986001234567890123"),
        luhn_complete("8986001234567890123"),
        "89 86 ... with a Luhn check digit",
    ),
    (
        "iccid",
        "19-digits",
        luhn_complete("898600123456789012"),
        luhn_complete("898600123456789012"),
        "18 digits + Luhn check digit",
    ),
    (
        "iccid",
        "19-digits-bad-luhn",
        luhn_complete("898600123456789012")[:-1]
        + str((int(luhn_complete("898600123456789012")[-1]) + 1) % 10),
        None,
        "a 19-digit ICCID's Luhn check digit is checked",
    ),
    (
        "iccid",
        "20-digits-operator-digit",
        luhn_complete("8986001234567890123")[:-1]
        + str((int(luhn_complete("8986001234567890123")[-1]) + 1) % 10),
        luhn_complete("8986001234567890123")[:-1]
        + str((int(luhn_complete("8986001234567890123")[-1]) + 1) % 10),
        "a 20-digit ICCID may end in an operator digit: a Luhn mismatch is accepted (flagged)",
    ),
    ("iccid", "spaces", "8986 0012 3456 7890 120", "8986001234567890120", "separators dropped"),
    (
        "iccid",
        "padding-f",
        "8986001234567890120F",
        "8986001234567890120",
        "the F padding nibble is removed",
    ),
    ("iccid", "not-89", luhn_complete("1234567890123456789"), None, "an ICCID starts with 89"),
    ("iccid", "too-short", "8986", None, "4 digits"),
    ("iccid", "letters", "8986OO1234567890123X", None, "letters"),
    ("imei", "valid", "352099001761481", "352099001761481", "15 digits, Luhn valid"),
    ("imei", "dashes", "35-209900-176148-1", "352099001761481", "dashes dropped"),
    ("imei", "bad-luhn", "352099001761482", None, "Luhn check digit wrong"),
    ("imei", "letters", "35209900176148A", None, "a letter"),
    ("imei", "too-long", "3520990017614811234", None, "19 digits"),
    (
        "idcard",
        "gb11643-example",
        "11010519491231002X",
        "11010519491231002X",
        "the GB 11643 example number",
    ),
    ("idcard", "lowercase-x", "11010519491231002x", "11010519491231002X", "x is upper-cased"),
    ("idcard", "bad-check", "110105194912310021", None, "check character wrong"),
    ("idcard", "bad-date", "110105194902300027", None, "30 February"),
    ("idcard", "too-short", "1101051949123100", None, "16 characters"),
    (
        "bank_account",
        "domestic-spaces",
        "6222 0211 2345 6789 01",
        "622202112345678901",
        "domestic account: 8-30 digits, separators dropped",
    ),
    ("bank_account", "domestic-too-short", "1234567", None, "7 digits (at least 8)"),
    ("bank_account", "domestic-too-long", "1" * 31, None, "31 digits (at most 30)"),
    (
        "bank_account",
        "domestic-letter",
        "62220211234567890O",
        None,
        "a letter O in a domestic number",
    ),
    (
        "bank_account",
        "iban",
        "gb82 west 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "an IBAN in compact upper case",
    ),
    (
        "bank_account",
        "iban-bad-check",
        "GB82WEST12345698765433",
        None,
        "one digit changed: the ISO 7064 mod-97 check fails",
    ),
    (
        "payment_account",
        "alipay-phone",
        "alipay:138 0013 8000",
        "alipay:+8613800138000",
        "a wallet account named by phone: E.164",
    ),
    (
        "payment_account",
        "wechat-chinese-name",
        "微信支付：wxid_Abc123",
        "wechat_pay:wxid_abc123",
        "provider written in Chinese with a full-width colon; the id lower-cased",
    ),
    (
        "payment_account",
        "paypal-email",
        "paypal:Fraud.Desk@Example.COM",
        "paypal:fraud.desk@example.com",
        "an e-mail id is lower-cased",
    ),
]


# The packaged +86 number plan (docs/spec/number-plan.md) and the pinned Unicode 14.0.0
# character classes: verdicts every implementation must share whatever it has installed.
PLAN_IDENTIFIERS: list[tuple[str, str, str, str | None, str]] = [
    (
        "phone",
        "cn-iot-1410",
        "1410123456789",
        "+861410123456789",
        "13-digit IoT 1410 (China Telecom)",
    ),
    (
        "phone",
        "cn-iot-1440",
        "+86 1440 1234 56789",
        "+861440123456789",
        "13-digit IoT 1440 (China Mobile)",
    ),
    (
        "phone",
        "cn-iot-1441",
        "1441012345678",
        "+861441012345678",
        "13-digit IoT 1441 (China Mobile)",
    ),
    (
        "phone",
        "cn-m2m-1064",
        "1064812345678",
        "+861064812345678",
        "13-digit 1064 is a machine-communication number, not an SMS port",
    ),
    (
        "phone",
        "cn-sms-port-12-digit-1064",
        "106481234567",
        "tel:106481234567;phone-context=+86",
        "a 12-digit 1064 number stays an SMS port",
    ),
    (
        "phone",
        "cn-data-card-149",
        "14912345678",
        "+8614912345678",
        "11-digit 149 data card (mobile)",
    ),
    ("phone", "cn-data-card-145", "14512345678", "+8614512345678", "11-digit 145 data card"),
    ("phone", "cn-iot-11-digit-146", "14612345678", "+8614612345678", "11-digit 146 IoT"),
    ("phone", "cn-iot-11-digit-148", "14812345678", "+8614812345678", "11-digit 148 IoT"),
    (
        "phone",
        "cn-no-11-digit-140",
        "+8614000088285",
        None,
        "no 11-digit 140 block (invalid_number)",
    ),
    (
        "phone",
        "cn-13-digit-140-reserved",
        "1400123456789",
        None,
        "reserved 13-digit 140: unknown_range",
    ),
    (
        "phone",
        "cn-13-digit-1442-reserved",
        "1442012345678",
        None,
        "reserved 13-digit 1442: unknown_range",
    ),
    (
        "phone",
        "cn-13-digit-146",
        "1460123456789",
        None,
        "13-digit 146 is not allocated: unknown_range",
    ),
    (
        "phone",
        "cn-13-digit-148",
        "1480123456789",
        None,
        "13-digit 148 is not allocated: unknown_range",
    ),
    ("phone", "cn-unallocated-154", "15400138000", None, "154 is not allocated: unknown_range"),
    (
        "phone",
        "unicode-15-format-control",
        "138\U00013439 0013\U00013439 8000",
        None,
        "U+13439 is Cf only from Unicode 15.0; under the pinned 14.0.0 it is unassigned",
    ),
    (
        "phone",
        "unicode-15-digit",
        "138\U00011f50 0013 8000",
        None,
        "a Kawi digit (Unicode 15.0) is unassigned in 14.0.0: control_characters",
    ),
    (
        "phone",
        "unicode-14-format-control",
        "138\u0890 0013 8000",
        "+8613800138000",
        "U+0890 (new in Unicode 14.0, Cf) is deleted as invisible",
    ),
]


# Identifier rules each check of the validators must be tested by (same shape as
# IDENTIFIERS). Phone vectors here hold under the number plan's IoT and SMS-port
# revisions alike: 13-digit 1410/1440 IoT blocks, 1065x SMS ports.
IDENTIFIER_RULES: list[tuple[str, str, str, str | None, str]] = [
    ("idcard", "uscc", "9111 0000 6000 3734 1L", "91110000600037341L", "a credit code"),
    (
        "idcard",
        "date-1899-is-uscc",
        "110105189912310023",
        None,
        (
            "characters 7-14 are 1899-12-31, not a date from 1900 on: read as a credit code "
            "(whose check fails), although its resident ID check character is right"
        ),
    ),
    (
        "idcard",
        "date-19000229-is-uscc",
        "110105190002290025",
        None,
        "1900 is no leap year: 19000229 is no date, so a credit code",
    ),
    (
        "idcard",
        "future-date-is-resident-id",
        "110105209901010012",
        None,
        "2099-01-01 is a date from 1900 on: a resident ID number, refused as a future birth date",
    ),
    ("phone", "bare-86-mobile", "8613800138000", "+8613800138000", "a bare 86 before a mobile"),
    (
        "phone",
        "bare-86-spaced",
        "86 138 0013 8000",
        "+8613800138000",
        "a bare 86 with separators",
    ),
    ("phone", "bare-86-emergency", "86110", None, "no emergency number behind a bare 86"),
    ("phone", "bare-86-short-code", "8695588", None, "no short code behind a bare 86"),
    (
        "phone",
        "sms-port-1065x",
        "1065795555",
        "tel:1065795555;phone-context=+86",
        "a 106 SMS port dialled locally is local, with no E.164 form",
    ),
    (
        "phone",
        "sms-port-short",
        "106575",
        "tel:106575;phone-context=+86",
        "a 6-digit 106 SMS port",
    ),
    (
        "phone",
        "sms-port-after-86-is-fixed-line",
        "+861065795555",
        "+861065795555",
        "after +86 a regular number comes first: Beijing fixed line 010 6579 5555",
    ),
    ("phone", "sms-port-too-long", "106" + "5" * 18, None, "a 106 SMS port of 21 digits"),
    (
        "phone",
        "iot-13-digit-1440",
        "1440123456789",
        "+861440123456789",
        "a 13-digit IoT number of the 1440 block",
    ),
    (
        "phone",
        "iot-13-digit-1410-e164",
        "+861410123456789",
        "+861410123456789",
        "a 13-digit IoT number of the 1410 block in E.164",
    ),
    ("phone", "iot-13-digit-142", "1420123456789", None, "no 13-digit 142 block"),
    ("phone", "iot-too-long", "+8614412345678901", None, "14 digits after +86"),
    (
        "bank_card",
        "legacy-bin-luhn-tolerated",
        "9558801234567890123",
        "9558801234567890123",
        "a legacy domestic BIN (955880) outside every scheme: a Luhn mismatch is tolerated",
    ),
    (
        "bank_card",
        "mastercard-15-digits",
        luhn_complete("51000000000000"),
        None,
        "Mastercard numbers have 16 digits",
    ),
    (
        "bank_card",
        "amex-16-digits",
        luhn_complete("340000000000000"),
        None,
        "American Express numbers have 15 digits",
    ),
    (
        "bank_card",
        "unionpay-13-digits",
        luhn_complete("620000000000"),
        None,
        "UnionPay numbers have 14-19 digits",
    ),
    (
        "iccid",
        "unknown-country-code",
        luhn_complete("899990012345678901"),
        None,
        "89 then 999, which is no E.164 country code",
    ),
    (
        "iccid",
        "north-america-01",
        luhn_complete("890126012345678901"),
        luhn_complete("890126012345678901"),
        "country code 1 written 01 (North American issuers)",
    ),
    ("imei", "dummy-tac-zero", luhn_complete("00000000123456"), None, "a TAC of 00000000"),
    ("imei", "dummy-one-digit", luhn_complete("11111111111111"), None, "one digit repeated"),
    ("imei", "dummy-two-digits", luhn_complete("12121212121212"), None, "12 repeated"),
    ("imei", "dummy-ascending", luhn_complete("12345678901234"), None, "ascending digits"),
    ("imei", "dummy-emulator", "004999010640000", None, "a known emulator IMEI"),
    (
        "payment_account",
        "email-lower-cased",
        "alipay:Fraud@Example.com",
        "alipay:fraud@example.com",
        "an e-mail id is lower-cased",
    ),
    (
        "payment_account",
        "email-idn-domain",
        "paypal:fraud@xn--fiqs8s.xn--fiqs8s",
        "paypal:fraud@xn--fiqs8s.xn--fiqs8s",
        "an internationalised domain in its ASCII (xn--) form",
    ),
    ("payment_account", "email-double-dot", "paypal:a..b@example.com", None, "two dots"),
    ("payment_account", "email-leading-dot", "paypal:.fraud@example.com", None, "a leading dot"),
    ("payment_account", "email-parenthesis", "paypal:fraud(x)@example.com", None, "a comment"),
    (
        "payment_account",
        "email-local-too-long",
        "paypal:" + "a" * 65 + "@example.com",
        None,
        "a local part of 65 characters",
    ),
    ("payment_account", "email-one-label", "paypal:fraud@example", None, "a domain of one label"),
    (
        "payment_account",
        "email-label-hyphen",
        "paypal:fraud@-example.com",
        None,
        "a label starting with a hyphen",
    ),
    (
        "payment_account",
        "email-underscore",
        "paypal:fraud@exa_mple.com",
        None,
        "an underscore in the domain",
    ),
    ("payment_account", "email-digit-tld", "paypal:fraud@example.c0m", None, "a digit in the TLD"),
    (
        "payment_account",
        "email-trailing-dot",
        "paypal:fraud@example.com.",
        None,
        "a trailing dot after the domain",
    ),
]


def family_identifier() -> list[str]:
    FAMILY_TEXT["identifier"] = (
        "Identifier validation and canonical forms. These vectors pin this library's behaviour "
        "(codes and canonical values are its own); each verdict was checked against the docs."
    )
    import importlib

    skipped = []
    for kind, name, raw, expected, why in [*IDENTIFIERS, *PLAN_IDENTIFIERS, *IDENTIFIER_RULES]:
        module_name, func_name = VALIDATORS[kind]
        try:
            module = importlib.import_module(f"antifraud_common.{module_name}")
            func = getattr(module, func_name)
        except (ImportError, AttributeError):
            skipped.append(f"{kind}/{name}")
            continue
        from antifraud_common.errors import AntifraudError

        try:
            got: str | None = func(raw)
            code = None
        except AntifraudError as e:
            got, code = None, e.code
        if got != expected:
            raise SystemExit(
                f"identifier {kind}/{name}: expected {expected!r}, library gives "
                f"{got!r} ({code}); check the docs and the vector"
            )
        expect = ok(value=got) if got is not None else fail(str(code))
        add(
            "identifier",
            f"{kind}-{name}",
            f"{kind}: {why}.",
            "validate-identifier",
            expect,
            kind=kind,
            value=raw,
        )
    return skipped


# ------------------------------------------- rules every check must be tested by


def manifest_rules() -> None:
    """Manifest rules beyond JSON ambiguity: counts, delta fields, allow_protected."""
    fam = "manifest"
    m = manifest(BASE)

    def case(name: str, description: str, doc: dict[str, Any], code: str = "manifest_invalid"):
        verify_case(fam, name, description, fail(code), entries=BASE, sig=signed_payload(cj(doc)))

    case("entry-count-negative", "entry_count -1.", dict(m, entry_count=-1))
    case("byte-length-negative", "byte_length -1.", dict(m, byte_length=-1))
    case(
        "timestamp-one-digit-month",
        "issued_at 2026-6-01T00:00:00Z: every field has its fixed number of digits.",
        dict(m, issued_at="2026-6-01T00:00:00Z"),
    )
    delta = {
        "content": "delta",
        "base_version": 4,
        "base_sha256": EMPTY_SHA,
        "result_sha256": sha(BASE),
        "result_count": 5,
    }
    dm = dict(m, **delta)
    case(
        "delta-base-equals-version",
        "A delta whose base_version equals its version (5 -> 5).",
        dict(dm, base_version=5),
    )
    case(
        "delta-base-above-version",
        "A delta whose base_version is above its version (6 -> 5).",
        dict(dm, base_version=6),
    )
    case("delta-base-zero", "A delta with base_version 0.", dict(dm, base_version=0))
    case(
        "delta-without-result-count",
        "A delta manifest without result_count.",
        {k: v for k, v in dm.items() if k != "result_count"},
    )
    case(
        "delta-result-count-negative",
        "A delta manifest with result_count -1.",
        dict(dm, result_count=-1),
    )
    p110 = {"kind": "phone", "value": "tel:110;phone-context=+86"}
    p119 = {"kind": "phone", "value": "tel:119;phone-context=+86"}
    case(
        "allow-protected-unsorted",
        "allow_protected lists 119 before 110 (it is sorted by kind, then value).",
        dict(m, allow_protected=[p119, p110]),
    )
    case(
        "allow-protected-repeated",
        "allow_protected lists 110 twice.",
        dict(m, allow_protected=[p110, p110]),
    )
    case(
        "allow-protected-empty",
        "allow_protected is an empty array (it is omitted when empty).",
        dict(m, allow_protected=[]),
    )
    case(
        "allow-protected-extra-member",
        "An allow_protected item with a member besides kind and value.",
        dict(m, allow_protected=[dict(p110, note="police")]),
    )
    case(
        "allow-protected-unknown-kind",
        "An allow_protected item of an unknown identifier kind.",
        dict(m, allow_protected=[{"kind": "email", "value": "a@example.com"}]),
    )
    case(
        "allow-protected-not-array",
        "allow_protected is an object.",
        dict(m, allow_protected=p110),
    )


PSEUDONYM_KEY = hashlib.sha256(b"TEST KEY antifraud conformance pseudonym domain").digest()


def hmac_hex(value: str) -> str:
    return hmac.new(PSEUDONYM_KEY, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymised_bytes(entries: Iterable[dict[str, Any]]) -> bytes:
    lines = []
    for e in entries:
        line = {k: v for k, v in e.items() if k != "value"}
        line["hmac"] = hmac_hex(e["value"])
        lines.append(line)
    lines.sort(key=lambda e: (e["kind"], e["hmac"]))
    return b"".join(cj(e) + b"\n" for e in lines)


PSEUDONYM = {
    "alg": "HMAC-SHA-256",
    "domain": "test-domain",
    "key_check": hmac.new(PSEUDONYM_KEY, b"antifraud key check v1", hashlib.sha256).hexdigest(),
    "key_id": "k1",
}


def family_pseudonymised() -> None:
    FAMILY_TEXT["pseudonymised"] = (
        "Pseudonymised lists (keyed hashes instead of values) given to a plain verifier, and "
        "the manifest's pseudonym member."
    )
    fam = "pseudonymised"
    data = pseudonymised_bytes(phones(4))
    m = manifest(data, list_id="fraud-phones-hashed", pseudonym=PSEUDONYM)
    verify_case(
        fam,
        "plain-verifier-refuses",
        "A valid, signed pseudonymised list given to a plain verifier.",
        fail("pseudonymised_list"),
        entries=data,
        sig=signed_payload(cj(m)),
    )
    verify_case(
        fam,
        "plain-verifier-refuses-tampered",
        "A pseudonymised list whose entries file was changed: the form is refused first.",
        fail("pseudonymised_list"),
        entries=data.replace(b'"confidence":90', b'"confidence":91', 1),
        sig=signed_payload(cj(m)),
    )

    def bad(name: str, description: str, doc: dict[str, Any]) -> None:
        verify_case(
            fam,
            name,
            description,
            fail("manifest_invalid"),
            entries=data,
            sig=signed_payload(cj(doc)),
        )

    bad(
        "on-a-delta",
        "A delta manifest carrying pseudonym (pseudonymised lists are snapshots only).",
        dict(
            m,
            content="delta",
            base_version=4,
            base_sha256=EMPTY_SHA,
            result_sha256=sha(data),
            result_count=4,
        ),
    )
    bad(
        "alg-other",
        "pseudonym.alg HMAC-SHA-512.",
        dict(m, pseudonym=dict(PSEUDONYM, alg="HMAC-SHA-512")),
    )
    bad(
        "key-check-uppercase",
        "pseudonym.key_check in upper-case hex.",
        dict(m, pseudonym=dict(PSEUDONYM, key_check=PSEUDONYM["key_check"].upper())),
    )
    bad(
        "key-check-short",
        "pseudonym.key_check of 63 hex digits.",
        dict(m, pseudonym=dict(PSEUDONYM, key_check=PSEUDONYM["key_check"][:63])),
    )
    bad(
        "domain-not-an-id",
        "pseudonym.domain in upper case.",
        dict(m, pseudonym=dict(PSEUDONYM, domain="Test-Domain")),
    )
    bad(
        "missing-key-id",
        "pseudonym without key_id.",
        dict(m, pseudonym={k: v for k, v in PSEUDONYM.items() if k != "key_id"}),
    )
    bad(
        "extra-member",
        "pseudonym with a member besides alg, domain, key_check and key_id.",
        dict(m, pseudonym=dict(PSEUDONYM, key="00")),
    )
    bad("not-an-object", "pseudonym is a string.", dict(m, pseudonym="test-domain"))


def entries_rules() -> None:
    """Entry-line rules: case_ref, tlp, the line length, pseudonymised lines in a plain list."""
    fam = "entries"

    def case(name: str, description: str, data: bytes, code: str = "invalid_entry") -> None:
        entries, sig, _ = signed_list(data)
        verify_case(fam, name, description, fail(code), entries=entries, sig=sig)

    def one(name: str, description: str, **fields: Any) -> None:
        case(
            name,
            description,
            entries_bytes([*phones(2), entry("phone", "+8613900000001", **fields)]),
        )

    one("case-ref-empty", "case_ref is empty.", case_ref="")
    one("case-ref-leading-space", "case_ref with a leading space.", case_ref=" A-1")
    one("case-ref-trailing-space", "case_ref with a trailing space.", case_ref="A-1 ")
    one("case-ref-control", "case_ref with a TAB.", case_ref="A\t1")
    one("case-ref-newline", "case_ref with an escaped LF.", case_ref="A\n1")
    one("case-ref-format-char", "case_ref with a zero-width space.", case_ref="A\u200b1")
    one("case-ref-too-long", "case_ref of 129 characters.", case_ref="A" * 129)
    one("tlp-unknown", "tlp 'white' (TLP 1.0 name, not in TLP 2.0).", tlp="white")
    one("tlp-uppercase", "tlp 'AMBER'.", tlp="AMBER")
    one("action-unknown", "action 'delete'.", action="delete")
    one("reason-unknown", "reason 'spam'.", reason="spam")
    ok_ref = entries_bytes(
        [*phones(2), entry("phone", "+8613900000001", case_ref="案-" + "A" * 126)]
    )
    entries, sig, _ = signed_list(ok_ref)
    verify_case(
        fam,
        "case-ref-128-characters",
        "case_ref of exactly 128 characters (non-ASCII ones count as one each).",
        ok(),
        entries=entries,
        sig=sig,
    )
    long_line = dict(entry("phone", "+8613900000001"), note="x" * 4000)
    case(
        "line-too-long",
        "A line of more than 4,096 bytes (an entry with a long unknown member).",
        entries_bytes([*phones(2), long_line]),
        "jsonl_line_too_long",
    )
    case(
        "pseudonymised-lines",
        "A plain manifest over a pseudonymised entries file (hmac instead of value).",
        pseudonymised_bytes(phones(3)),
    )


def family_protected() -> None:
    FAMILY_TEXT["protected"] = (
        "Protected identifiers (emergency numbers, official hotlines) are refused in a list "
        "unless its manifest names them in allow_protected."
    )
    fam = "protected"

    def listed(
        name: str, description: str, values: Sequence[str], expect: dict[str, Any], **mf: Any
    ) -> None:
        data = entries_bytes([*phones(2), *(entry("phone", v) for v in values)])
        entries, sig, _ = signed_list(data, **mf)
        verify_case(fam, name, description, expect, entries=entries, sig=sig)

    tel = "tel:{};phone-context=+86".format
    listed(
        "emergency-110",
        "The police emergency number 110.",
        [tel("110")],
        fail("protected_identifier"),
    )
    listed(
        "emergency-119",
        "The fire emergency number 119.",
        [tel("119")],
        fail("protected_identifier"),
    )
    listed(
        "anti-fraud-96110",
        "The national anti-fraud hotline 96110.",
        [tel("96110")],
        fail("protected_identifier"),
    )
    listed("bank-95588", "A bank's hotline (95588).", [tel("95588")], fail("protected_identifier"))
    listed(
        "carrier-10086",
        "A carrier's hotline (10086).",
        [tel("10086")],
        fail("protected_identifier"),
    )
    listed(
        "short-code-behind-area-code",
        "95588 dialled behind the Beijing area code (+861095588).",
        ["+861095588"],
        fail("protected_identifier"),
    )
    listed(
        "short-code-behind-3-digit-area-code",
        "96110 dialled behind the Hangzhou area code 571 (+8657196110).",
        ["+8657196110"],
        fail("protected_identifier"),
    )
    listed(
        "allowed",
        "110 listed on purpose: the manifest names it in allow_protected.",
        [tel("110")],
        ok(),
        allow_protected=[{"kind": "phone", "value": tel("110")}],
    )
    listed(
        "allowed-other-key",
        "allow_protected names 119, the list holds 110.",
        [tel("110")],
        fail("protected_identifier"),
        allow_protected=[{"kind": "phone", "value": tel("119")}],
    )
    listed(
        "allowed-two",
        "allow_protected names 110 and 95588, the list holds both.",
        [tel("110"), tel("95588")],
        ok(),
        allow_protected=[
            {"kind": "phone", "value": tel("110")},
            {"kind": "phone", "value": tel("95588")},
        ],
    )
    listed(
        "allowed-one-of-two",
        "allow_protected names 110, the list holds 110 and 95588.",
        [tel("110"), tel("95588")],
        fail("protected_identifier"),
        allow_protected=[{"kind": "phone", "value": tel("110")}],
    )
    listed(
        "allowed-short-code-not-area-form",
        "allow_protected names tel:95588, the list holds +861095588: keys are allowed exactly.",
        ["+861095588"],
        fail("protected_identifier"),
        allow_protected=[{"kind": "phone", "value": tel("95588")}],
    )
    listed(
        "longer-number-not-protected",
        "+8610955880: more digits than area code + 95588 is not the hotline.",
        ["+8610955880"],
        ok(),
    )
    listed(
        "mobile-containing-code",
        "A mobile number that contains 95588 is not protected.",
        ["+8613895588000"],
        ok(),
    )


def delta_rules() -> None:
    """The value of a remove; apply-delta with a snapshot manifest."""
    base = phones(6)
    delta_case(
        "remove-value-not-canonical",
        "A remove whose value is a national number (13800000001), not its canonical E.164 form.",
        fail("invalid_entry"),
        base=base,
        ops=[op_remove("phone", base[1]["value"][3:])],
        result=entries_bytes(base),
    )
    delta_case(
        "remove-value-invalid",
        "A remove whose value is not a phone number at all.",
        fail("invalid_entry"),
        base=base,
        ops=[op_remove("phone", "+861")],
        result=entries_bytes(base),
    )
    # A snapshot manifest over the operations file: apply-delta refuses it.
    ops = delta_bytes([op_add(e) for e in phones(2, 100)])
    base_file = entries_bytes(base)
    m = manifest(ops, version=6)
    add(
        "delta",
        "snapshot-manifest",
        "apply-delta given a snapshot manifest (content snapshot) over an operations file.",
        "apply-delta",
        fail("not_a_delta"),
        files={
            "base": f(base_file),
            "delta": f(ops),
            "sig": f(jws(cj(m), [key("mps-1")])),
            "trust": f(DEFAULT_TRUST),
            "trust_sig": f(DEFAULT_TRUST_SIG),
        },
        keys=keys_of("mps-1"),
        now=NOW,
        state={"version": 5, "sha256": sha(base_file)},
    )


def delta_verify_rules() -> None:
    """`verify` on a delta: authentic and fitting the receiver's state; operations unchecked."""
    base = entries_bytes(phones(6))
    ops = delta_bytes([op_add(e) for e in phones(2, 100)])
    result = entries_bytes(phones(6) + phones(2, 100))
    m = manifest(
        ops,
        version=6,
        content="delta",
        base_version=5,
        base_sha256=sha(base),
        result_sha256=sha(result),
        result_count=8,
    )
    sig = jws(cj(m), [key("mps-1")])
    verify_case(
        "delta",
        "verify-at-base",
        "verify of an authentic delta, the receiver holding its base: accepted.",
        ok(),
        entries=ops,
        sig=sig,
        state={"version": 5, "sha256": sha(base)},
    )
    verify_case(
        "delta",
        "verify-without-state",
        "verify of an authentic delta with no receiver state: accepted (nothing is applied).",
        ok(),
        entries=ops,
        sig=sig,
    )
    verify_case(
        "delta",
        "verify-other-base",
        "verify of a delta for base 5 when the receiver holds version 4.",
        fail("delta_base_mismatch"),
        entries=ops,
        sig=sig,
        state={"version": 4, "sha256": sha(base)},
    )


def trust_bundle_rules() -> None:
    """Bundle rules: validity period, repeats, order, reachable thresholds, names."""
    fam = "trust-bundle"
    a = key("rot-a")
    v1 = signed_bundle(rb(1, [a], 1), [a])
    base = rb(2, [a], 1)

    def bad(name: str, description: str, doc: dict[str, Any], code: str = "trust_invalid"):
        data = cj(doc)
        walk_case(fam, name, description, fail(code), v1, [(data, jws(data, [a], TRUST_TYP))])

    def with_rule(**change: Any) -> dict[str, Any]:
        members = default_members()
        members[0]["publish"][0].update(change)  # carrier / sim_fraud
        return dict(base, members=members)

    def with_member(**change: Any) -> dict[str, Any]:
        members = default_members()
        members[0].update(change)
        return dict(base, members=members)

    bad(
        "expires-before-issued",
        "expires before issued_at.",
        dict(base, expires="2025-12-01T00:00:00Z"),
    )
    bad(
        "expires-equals-issued",
        "expires equal to issued_at.",
        dict(base, expires=base["issued_at"]),
    )
    bad("format-version-2", "format_version 2.", dict(base, format_version=2))
    bad("format-version-string", 'format_version "1".', dict(base, format_version="1"))
    bad("version-zero", "version 0.", rb(0, [a], 1))
    bad(
        "repeated-kind",
        "A rule lists the kind phone twice.",
        with_rule(kinds=["iccid", "phone", "phone"]),
    )
    bad(
        "repeated-action",
        "A rule lists the action block twice.",
        with_rule(actions=["block", "block"]),
    )
    bad(
        "repeated-signer",
        "A rule lists its signer twice.",
        with_rule(signers=["carrier", "carrier"]),
    )
    bad("no-kinds", "A rule with an empty kinds list.", with_rule(kinds=[]))
    bad("no-actions", "A rule with an empty actions list.", with_rule(actions=[]))
    bad("unknown-action", "A rule with the action 'delete'.", with_rule(actions=["delete"]))
    bad(
        "threshold-unreachable",
        "A rule needing 2 signatures from a signer agency with one key.",
        with_rule(threshold=2),
    )
    bad("rule-threshold-zero", "A rule with threshold 0.", with_rule(threshold=0))
    bad(
        "empty-signers",
        "A rule with an empty signers list (a rule signed by its member alone names it).",
        with_rule(signers=[]),
        "trust_not_canonical",
    )
    bad(
        "kinds-unsorted",
        "A rule's kinds out of order.",
        with_rule(kinds=["phone", "iccid", "imei"]),
        "trust_not_canonical",
    )
    members = default_members()
    bad(
        "members-unsorted",
        "Members out of agency order.",
        dict(base, members=list(reversed(members))),
        "trust_not_canonical",
    )
    members = default_members()
    members[2]["publish"] = list(reversed(members[2]["publish"]))
    bad(
        "rules-unsorted",
        "A member's rules out of list_type order.",
        dict(base, members=members),
        "trust_not_canonical",
    )
    members = default_members()
    members[1]["keys"] = list(reversed(members[1]["keys"]))
    bad(
        "keys-unsorted",
        "A member's keys out of thumbprint order.",
        dict(base, members=members),
        "trust_not_canonical",
    )
    members = default_members()
    members[2]["publish"].append(dict(members[2]["publish"][0], actions=["block"]))
    members[2]["publish"].sort(key=lambda r: r["list_type"])
    bad("two-rules-one-list-type", "Two rules for the same list type.", dict(base, members=members))
    members = default_members()
    bad(
        "agency-twice",
        "The same agency listed twice (with other keys).",
        dict(base, members=[*members, dict(members[2], keys=[key("mps-3").jwk])]),
    )
    bad("member-without-keys", "A member with no keys.", with_member(keys=[]))
    bad(
        "member-without-keys-or-rules",
        "A member with no keys and no publish rules.",
        with_member(keys=[], publish=[]),
    )
    bad(
        "bundle-id-not-an-id", "A bundle_id in upper case.", dict(base, bundle_id="Test-Federation")
    )
    bad(
        "list-type-not-an-id",
        "A rule's list_type with upper case.",
        with_rule(list_type="SIM_fraud"),
    )
    bad("agency-not-an-id", "An agency id in upper case.", with_member(agency="Carrier"))
    bad("name-empty", "A member name that is empty.", with_member(name=""))
    bad("name-outer-space", "A member name with a trailing space.", with_member(name="Carrier "))
    bad("name-control", "A member name with a TAB.", with_member(name="Example\tCarrier"))
    bad("name-line-break", "A member name with an LF.", with_member(name="Example\nCarrier"))
    bad(
        "name-format-char",
        "A member name with a right-to-left override (U+202E).",
        with_member(name="Example\u202eCarrier"),
    )
    bad("name-too-long", "A member name of 201 characters.", with_member(name="N" * 201))
    data = cj(with_member(name="中国移动通信集团 " + "N" * 191))
    walk_case(
        fam,
        "name-200-characters",
        "A member name of exactly 200 characters, with non-ASCII letters and an inner space.",
        ok(version=2),
        v1,
        [(data, jws(data, [a], TRUST_TYP))],
    )


def trust_walk_rules() -> None:
    """When an offered older bundle is skipped."""
    fam = "trust-rotation"
    a, b = key("rot-a"), key("rot-b")
    v1 = signed_bundle(rb(1, [a], 1), [a])
    v2 = signed_bundle(rb(2, [a], 1), [a])
    v3 = signed_bundle(rb(3, [b], 1), [a, b])
    walk_case(
        fam,
        "older-offered-is-skipped",
        "The client trusts v2 and is offered v1 (older, validly signed) and v3: v1 is skipped.",
        ok(version=3),
        v2,
        [v1, v3],
    )
    walk_case(
        fam,
        "only-older-offered",
        "The client trusts v2 and is offered only v1: it stays at v2.",
        ok(version=2),
        v2,
        [v1],
    )
    walk_case(
        fam,
        "older-offered-unsigned-is-skipped",
        "An offered older bundle's signatures are not checked: a v1 signed by nobody is skipped.",
        ok(version=2),
        v2,
        [(v1[0], jws(v1[0], [key("attacker")], TRUST_TYP))],
    )
    walk_case(
        fam,
        "older-offered-malformed",
        "An offered older bundle that is not a valid bundle refuses the walk.",
        fail("trust_invalid"),
        v2,
        [(cj(dict(rb(1, [a], 1), format_version=2)), v1[1]), v3],
    )
    walk_case(
        fam,
        "older-offered-other-federation",
        "An offered older bundle of another federation (bundle_id) is skipped like any older one.",
        ok(version=2),
        v2,
        [signed_bundle(rb(1, [a], 1, bundle_id="other-federation"), [a])],
    )


# ------------------------------------------------------------ family: cases
#
# Case messages (docs/spec/cases.md): a police member "mps" (two keys; a freeze
# needs both) and two banks. Each case replays a history of messages into the
# receiver's empty case book, each at its own time, then offers one message at
# `now`; the verdict is on that last message.

CASE_TYP = "antifraud-case+json"
CASE_NOW = NOW


def case_time(seconds: int) -> str:
    t = 1780315200 + seconds  # NOW, 2026-06-01T12:00:00Z
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def x25519_jwk(name: str) -> dict[str, str]:
    seed = hashlib.sha256(f"TEST KEY antifraud conformance {name}".encode()).digest()
    raw = x25519.X25519PrivateKey.from_private_bytes(seed).public_key()
    return {"crv": "X25519", "kty": "OKP", "use": "enc",
            "x": b64u(raw.public_bytes(Encoding.Raw, PublicFormat.Raw))}  # fmt: skip


def message_rule(
    type_: str, to: Sequence[str], signers: Sequence[str], threshold: int = 1
) -> dict[str, Any]:
    return {"signers": sorted(signers), "threshold": threshold, "to": sorted(to), "type": type_}


def case_member(
    agency: str, name: str, keys: Sequence[Key], rules: list[dict[str, Any]]
) -> dict[str, Any]:
    m = member(agency, name, keys, [])
    m["messages"] = sorted(rules, key=lambda r: r["type"])
    enc = [x25519_jwk(f"{agency}-enc")]
    m["encryption_keys"] = sorted(
        enc, key=lambda j: b64u(hashlib.sha256(cj({k: j[k] for k in ("crv", "kty", "x")})).digest())
    )
    return m


def case_bundle() -> dict[str, Any]:
    banks = ["abc", "icbc"]
    police = [
        message_rule(t, banks, ["mps"])
        for t in (
            "query_request",
            "stop_payment_order",
            "freeze_renewal",
            "freeze_release",
            "return_order",
        )
    ]
    police.append(message_rule("freeze_order", banks, ["mps"], threshold=2))
    police += [message_rule(t, ["*"], ["mps"]) for t in ("ack", "error")]
    members = [case_member("mps", "Police (test)", [key("mps-c1"), key("mps-c2")], police)]
    for bank in banks:
        rules = [
            message_rule(t, ["mps"], [bank])
            for t in (
                "query_response",
                "stop_payment_result",
                "freeze_result",
                "return_result",
                "ack",
                "error",
            )
        ]
        members.append(case_member(bank, f"Bank {bank} (test)", [key(f"{bank}-c1")], rules))
    return bundle(members=members, bundle_id="test-cases")


CASE_TRUST, CASE_TRUST_SIG = signed_bundle(case_bundle(), [key("root-1"), key("root-2")])
ACCOUNT = {"bank": "icbc", "name": "Test Holder", "number": "6217000010001234567"}
CNY = {"amount": 5000000, "currency": "CNY"}


def cmsg(type_: str, mid: str, sender: str, recipient: str, at: int, body: dict[str, Any],
         reply: bytes | str | None = None, *, case: str = "mps:c-1",
         lifetime: int = 86400) -> bytes:  # fmt: skip
    in_reply = sha(reply) if isinstance(reply, bytes) else reply
    return cj({
        "body": body, "case_id": case, "expires": case_time(at + lifetime),
        "format": "antifraud-case", "format_version": 1, "in_reply_to": in_reply,
        "issued_at": case_time(at), "message_id": mid, "recipient": recipient,
        "sender": sender, "type": type_,
    })  # fmt: skip


def csign(payload: bytes, *signers: str) -> bytes:
    return jws(payload, [key(s) for s in (signers or ("mps-c1",))], CASE_TYP)


def stop_order(mid: str, at: int, sequence: int = 1, **kw: Any) -> bytes:
    body = {"account": kw.pop("account", ACCOUNT), "amount": CNY, "legal_basis": "Art. 20",
            "sequence": sequence, "term_hours": kw.pop("term_hours", 48),
            "transfer_time": case_time(at - 1200)}  # fmt: skip
    return cmsg("stop_payment_order", mid, "mps", kw.pop("to", "icbc"), at, body, **kw)


def stopped(mid: str, at: int, order: bytes, hours: int = 48) -> bytes:
    body = {"amount_held": CNY, "status": "stopped", "stopped_at": case_time(at),
            "stopped_until": case_time(at + hours * 3600)}  # fmt: skip
    return cmsg("stop_payment_result", mid, "icbc", "mps", at, body, order)


def freeze_order(mid: str, at: int) -> bytes:
    body = {"account": ACCOUNT, "amount": CNY, "legal_basis": "decision", "major": False}
    return cmsg("freeze_order", mid, "mps", "icbc", at, body)


def frozen(mid: str, at: int, reply: bytes, until: str) -> bytes:
    body = {"amount_frozen": CNY, "frozen_at": case_time(at), "frozen_until": until,
            "status": "frozen"}  # fmt: skip
    return cmsg("freeze_result", mid, "icbc", "mps", at, body, reply)


def case_case(name: str, description: str, expect: dict[str, Any], *, me: str,
              message: bytes, history: Sequence[tuple[str, int, bytes]] = (),
              now: str = CASE_NOW, signers: Sequence[str] = ("mps-c1",)) -> None:  # fmt: skip
    files = {"trust": f(CASE_TRUST), "trust_sig": f(CASE_TRUST_SIG), "message": f(message)}
    hist = []
    for i, (direction, at, data) in enumerate(history):
        files[f"h{i}"] = f(data)
        hist.append([direction, case_time(at), f"h{i}"])
    add("cases", name, description, "case-receive", expect, files=files,
        keys=keys_of(*signers), me=me, now=now, history=hist)  # fmt: skip


def family_cases() -> None:
    FAMILY_TEXT["cases"] = (
        "Case messages: signed query, stop-payment and freeze flows; signature, scope, "
        "freshness, replay, recipient, binding of in_reply_to, and the case state machine "
        "with deadline edges at a fixed clock."
    )
    o1 = stop_order("mps-1", -600)
    so1 = csign(o1)
    r1 = stopped("icbc-1", -300, o1)
    sr1 = csign(r1, "icbc-c1")
    # ---- accepted flows
    case_case(
        "valid/stop-order",
        "A police stop order to the bank holding the account.",
        ok(state="stop_pending"),
        me="icbc",
        message=csign(stop_order("mps-1", 0)),
    )
    case_case("valid/stop-result", "The bank's STOPPED result, bound to the police's order.",
              ok(state="stopped"), me="mps", message=sr1, history=[("out", -600, so1)],
              signers=("icbc-c1",))  # fmt: skip
    f1 = freeze_order("mps-f1", 0)
    case_case("valid/freeze-two-signers", "A freeze needs two police keys: both signed.",
              ok(state="freeze_pending"), me="icbc", message=csign(f1, "mps-c1", "mps-c2"),
              signers=("mps-c1", "mps-c2"))  # fmt: skip
    q = cmsg("query_request", "mps-q1", "mps", "icbc", -120, {
        "due": case_time(180), "legal_basis": "Art. 20",
        "period": {"from": case_time(-86400 * 30), "to": case_time(-120)},
        "subjects": [{"kind": "bank_account", "value": ACCOUNT["number"]}]})  # fmt: skip
    pending = cmsg("query_response", "icbc-q1", "icbc", "mps", -60,
                   {"poll_after": case_time(-30), "status": "pending"}, q)  # fmt: skip
    complete = cmsg("query_response", "icbc-q2", "icbc", "mps", 0, {"results": [
        {"account_status": "active", "balance": CNY, "holder_name": "Test Holder",
         "subject": {"kind": "bank_account", "value": ACCOUNT["number"]}}],
        "status": "complete"}, q)  # fmt: skip
    case_case("valid/query-pending-then-complete",
              "A pending query response, then the complete one, both bound to the query.",
              ok(state="open"), me="mps", message=csign(complete, "icbc-c1"),
              history=[("out", -120, csign(q)), ("in", -60, csign(pending, "icbc-c1"))],
              signers=("icbc-c1",))  # fmt: skip
    fo = freeze_order("mps-f2", -86400 * 170)
    fr = frozen("icbc-f2", -86400 * 170, fo, case_time(3600))
    freeze_hist = [("in", -86400 * 170, csign(fo, "mps-c1", "mps-c2")),
                   ("out", -86400 * 170, csign(fr, "icbc-c1"))]  # fmt: skip
    renewal = cmsg("freeze_renewal", "mps-f3", "mps", "icbc", 0, {"legal_basis": "renewal"}, fr)
    case_case("valid/renewal-before-end", "A renewal one hour before the freeze ends.",
              ok(state="renewal_pending"), me="icbc", message=csign(renewal),
              history=freeze_hist)  # fmt: skip
    release = cmsg("freeze_release", "mps-f4", "mps", "icbc", 0, {"legal_basis": "closed"}, fr)
    case_case("valid/release", "A release of a freeze in force.", ok(state="release_pending"),
              me="icbc", message=csign(release), history=freeze_hist)  # fmt: skip
    o2 = stop_order("mps-s2", -3600, sequence=2)
    first = [("in", -86400 * 3, csign(stop_order("mps-s1", -86400 * 3))),
             ("out", -86400 * 3, csign(stopped("icbc-s1", -86400 * 3,
                                               stop_order("mps-s1", -86400 * 3)), "icbc-c1"))]  # fmt: skip
    case_case("valid/second-stop-after-lapse", "The second stop of the account, after the "
              "first lapsed.", ok(state="stop_pending"), me="icbc", message=csign(o2),
              history=first)  # fmt: skip
    ack = cmsg("ack", "icbc-a1", "icbc", "mps", 0, {}, o1)
    case_case("valid/ack", "An ack of an order changes nothing.", ok(state="stop_pending"),
              me="mps", message=csign(ack, "icbc-c1"), history=[("out", -600, so1)],
              signers=("icbc-c1",))  # fmt: skip
    # ---- deadline edges with a fixed clock
    edge = csign(stop_order("mps-e1", -86400 + 1))
    case_case("deadline/one-second-before-expiry", "now is one second before expires.",
              ok(state="stop_pending"), me="icbc", message=edge)  # fmt: skip
    case_case("deadline/at-expiry", "now == expires: expired.", fail("case_expired"),
              me="icbc", message=csign(stop_order("mps-e2", -86400)))  # fmt: skip
    case_case(
        "deadline/future-within-skew",
        "issued_at 5 minutes ahead is tolerated.",
        ok(state="stop_pending"),
        me="icbc",
        message=csign(stop_order("mps-e3", 300)),
    )
    case_case(
        "deadline/future-beyond-skew",
        "issued_at 5 minutes and 1 second ahead.",
        fail("case_not_yet_valid"),
        me="icbc",
        message=csign(stop_order("mps-e4", 301)),
    )
    case_case("deadline/lifetime-too-long", "expires more than 7 days after issued_at.",
              fail("case_lifetime"), me="icbc",
              message=csign(stop_order("mps-e5", 0, lifetime=86400 * 7 + 1)))  # fmt: skip
    lapse_at = [("in", -86400 * 182, csign(freeze_order("mps-l1", -86400 * 182), "mps-c1", "mps-c2")),
                ("out", -86400 * 182, csign(frozen("icbc-l1", -86400 * 182, freeze_order("mps-l1", -86400 * 182), CASE_NOW), "icbc-c1"))]  # fmt: skip
    late = cmsg("freeze_renewal", "mps-l2", "mps", "icbc", 0, {"legal_basis": "late"},
                frozen("icbc-l1", -86400 * 182, freeze_order("mps-l1", -86400 * 182), CASE_NOW))  # fmt: skip
    case_case(
        "deadline/renewal-at-end",
        "A renewal at the very second the freeze ends: lapsed.",
        fail("case_freeze_lapsed"),
        me="icbc",
        message=csign(late),
        history=lapse_at,
    )
    # ---- envelope, signature and scope
    order = stop_order("mps-x1", 0)
    case_case("signature/forged", "Signed by a key that is not in the bundle.",
              fail("case_signature_invalid"), me="icbc",
              message=jws(order, [key("attacker-c1")], CASE_TYP), signers=("attacker-c1",))  # fmt: skip
    doc = jws_doc(csign(order))
    doc["payload"] = b64u(stop_order("mps-x1", 0, sequence=1, term_hours=47))
    case_case(
        "signature/payload-changed",
        "A real signature over other payload bytes.",
        fail("case_signature_invalid"),
        me="icbc",
        message=cj(doc),
    )
    case_case(
        "signature/manifest-typ",
        "A list manifest's typ on a case message.",
        fail("case_jws_typ"),
        me="icbc",
        message=jws(order, [key("mps-c1")], MANIFEST_TYP),
    )
    case_case(
        "signature/alg-none",
        "alg none.",
        fail("case_jws_alg_none"),
        me="icbc",
        message=jws(order, [key("mps-c1")], CASE_TYP, headers=[{"alg": "none"}]),
    )
    case_case("signature/bank-key-for-police", "The police's message signed by a bank key.",
              fail("case_signature_invalid"), me="icbc", message=csign(order, "icbc-c1"),
              signers=("icbc-c1",))  # fmt: skip
    stranger = cmsg("ack", "x-1", "stranger", "icbc", 0, {}, "ab" * 32)
    case_case("scope/unknown-sender", "The sender is not a member.",
              fail("case_unknown_member"), me="icbc", message=csign(stranger, "attacker-c1"),
              signers=("attacker-c1",))  # fmt: skip
    bank_order = stop_order("icbc-x1", 0)
    bank_order = cj({**json.loads(bank_order), "sender": "abc", "message_id": "abc-x1"})
    case_case("scope/bank-orders-stop", "A bank may not order a stop.", fail("case_out_of_scope"),
              me="icbc", message=csign(bank_order, "abc-c1"), signers=("abc-c1",))  # fmt: skip
    side = cmsg("ack", "icbc-x3", "icbc", "abc", 0, {}, "ab" * 32)
    case_case(
        "scope/recipient-not-in-rule",
        "A bank's ack to another bank: its rule names only the police.",
        fail("case_out_of_scope"),
        me="abc",
        message=csign(side, "icbc-c1"),
        signers=("icbc-c1",),
    )
    other_bank = stop_order("mps-x2", 0, account={**ACCOUNT, "bank": "abc"})
    case_case(
        "scope/account-of-another-bank",
        "An order for an account another bank holds.",
        fail("case_account_not_recipient"),
        me="icbc",
        message=csign(other_bank),
    )
    case_case(
        "scope/freeze-one-signer",
        "A freeze signed by one of the two required keys.",
        fail("case_threshold_not_met"),
        me="icbc",
        message=csign(f1),
    )
    case_case("scope/freeze-same-key-twice", "The same police key twice does not make two.",
              fail("case_jws_duplicate_kid", "case_threshold_not_met"), me="icbc",
              message=csign(f1, "mps-c1", "mps-c1"))  # fmt: skip
    # ---- replay and recipient
    case_case("replay/same-message", "The same message again.", fail("case_replay"),
              me="icbc", message=so1, history=[("in", -600, so1)])  # fmt: skip
    again = stop_order("mps-1", -60, sequence=1, term_hours=24)
    case_case("replay/same-id-other-content", "Another message under an id already accepted.",
              fail("case_replay"), me="icbc", message=csign(again),
              history=[("in", -600, so1)])  # fmt: skip
    case_case(
        "recipient/other-bank",
        "Addressed to another bank.",
        fail("case_wrong_recipient"),
        me="abc",
        message=so1,
    )
    # ---- binding
    case_case("binding/reply-to-unknown", "A result naming a message never sent.",
              fail("case_unknown_request"), me="mps",
              message=csign(stopped("icbc-b1", 0, b"nothing"), "icbc-c1"),
              signers=("icbc-c1",))  # fmt: skip
    own = cmsg("ack", "mps-b2", "mps", "icbc", 0, {}, o1)
    case_case("binding/reply-to-own-message", "A police ack naming the police's own order.",
              fail("case_unknown_request"), me="icbc", message=csign(own),
              history=[("in", -600, so1)])  # fmt: skip
    other_case = cmsg("stop_payment_result", "icbc-b3", "icbc", "mps", 0, json.loads(r1)["body"],
                      o1, case="mps:c-2")  # fmt: skip
    case_case("binding/reply-in-other-case", "The result names the order but another case.",
              fail("case_unknown_request"), me="mps", message=csign(other_case, "icbc-c1"),
              history=[("out", -600, so1)], signers=("icbc-c1",))  # fmt: skip
    wrong = frozen("icbc-b4", 0, o1, case_time(86400))
    case_case("binding/wrong-answer-type", "A freeze result answering a stop order.",
              fail("case_reply_mismatch"), me="mps", message=csign(wrong, "icbc-c1"),
              history=[("out", -600, so1)], signers=("icbc-c1",))  # fmt: skip
    nulled = cj({**json.loads(r1), "in_reply_to": None})
    case_case("binding/result-without-in-reply-to", "A result whose in_reply_to is null.",
              fail("case_format"), me="mps", message=csign(nulled, "icbc-c1"),
              history=[("out", -600, so1)], signers=("icbc-c1",))  # fmt: skip
    # ---- transitions
    third = [*first,
             ("in", -3600 * 2, csign(stop_order("mps-s2", -3600 * 2, sequence=2))),
             ("out", -3600 * 2, csign(stopped("icbc-s2", -3600 * 2,
                                              stop_order("mps-s2", -3600 * 2, sequence=2), hours=1), "icbc-c1"))]  # fmt: skip
    case_case("transition/third-stop", "An account is stopped at most twice.",
              fail("case_stop_limit"), me="icbc",
              message=csign(stop_order("mps-s3", 0, sequence=3)), history=third)  # fmt: skip
    case_case(
        "transition/stop-sequence",
        "A first stop that claims to be the second.",
        fail("case_stop_sequence"),
        me="icbc",
        message=csign(stop_order("mps-t1", 0, sequence=2)),
    )
    case_case(
        "transition/stop-term",
        "A stop of 49 hours.",
        fail("case_stop_term"),
        me="icbc",
        message=csign(stop_order("mps-t2", 0, term_hours=49)),
    )
    long = stopped("icbc-t3", -300, o1, hours=49)
    case_case("transition/stopped-too-long", "A STOPPED result ending after 48 hours.",
              fail("case_stop_term"), me="mps", message=csign(long, "icbc-c1"),
              history=[("out", -600, so1)], signers=("icbc-c1",))  # fmt: skip
    case_case("transition/answered-twice", "A second result to the same order.",
              fail("case_already_answered"), me="mps",
              message=csign(stopped("icbc-t4", 0, o1), "icbc-c1"),
              history=[("out", -600, so1), ("in", -300, sr1)], signers=("icbc-c1",))  # fmt: skip
    case_case("transition/stop-while-pending", "A second stop before the first is answered.",
              fail("case_transition"), me="icbc", message=csign(stop_order("mps-t5", 0)),
              history=[("in", -600, so1)])  # fmt: skip
    other_acc = stop_order("mps-t6", 0, account={**ACCOUNT, "number": "110012345678901"})
    case_case("transition/other-account", "A case concerns one account.",
              fail("case_other_account"), me="icbc", message=csign(other_acc),
              history=[("in", -600, so1), ("out", -300, sr1)])  # fmt: skip
    bank_ack = cmsg("ack", "icbc-t7", "icbc", "mps", -60, {}, fo)
    stale = cmsg("freeze_renewal", "mps-t7", "mps", "icbc", 0, {"legal_basis": "x"}, bank_ack)
    case_case("transition/renewal-answers-an-ack", "A renewal must answer the freeze result.",
              fail("case_reply_mismatch"), me="icbc", message=csign(stale),
              history=[*freeze_hist, ("out", -60, csign(bank_ack, "icbc-c1"))])  # fmt: skip
    too_far = frozen("icbc-t8", 0, f1, "2026-12-01T12:00:01Z")
    case_case("transition/freeze-longer-than-term", "A freeze ending after 6 months.",
              fail("case_freeze_term"), me="mps", message=csign(too_far, "icbc-c1"),
              history=[("out", -60, csign(f1, "mps-c1", "mps-c2"))],
              signers=("icbc-c1",))  # fmt: skip
    six = frozen("icbc-t9", 0, f1, "2026-12-01T12:00:00Z")
    case_case("transition/freeze-exactly-six-months", "A freeze ending 6 calendar months later.",
              ok(state="frozen"), me="mps", message=csign(six, "icbc-c1"),
              history=[("out", -60, csign(f1, "mps-c1", "mps-c2"))],
              signers=("icbc-c1",))  # fmt: skip


# ------------------------------------------------------------------ writing

# ------------------------------------------------------- reference lists


REF_MEMBERS = [
    *default_members(),
    member(
        "miit",
        "Telecom regulator (test)",
        [key("miit-1")],
        [
            rule("do_not_originate", ["phone"], ["block"], ["miit"]),
            rule("number_plan", ["phone"], ["watch"], ["miit"]),
            rule("presenters", ["phone"], ["watch"], ["miit"]),
        ],
    ),
    member(
        "radio",
        "Radio regulator (test)",
        [key("radio-1")],
        [rule("number_plan", ["imei"], ["watch"], ["radio"])],
    ),
]
REF_TRUST, REF_TRUST_SIG = signed_bundle(
    bundle(members=REF_MEMBERS), [key("root-1"), key("root-2")]
)


def prange(
    table: str,
    length: Any,
    prefix: Any,
    status: str = "allocated",
    kind: Any = None,
    carrier: Any = "",
    date: Any = "2026-05-01",
    **extra: Any,
) -> dict[str, Any]:
    """A number-plan range record (docs/spec/number-plan.md)."""
    r: dict[str, Any] = {
        "carrier": carrier,
        "date": date,
        "length": length,
        "prefix": prefix,
        "status": status,
        "table": table,
    }
    if kind is not None:
        r["kind"] = kind
    r.update(extra)
    return r


def ref_key(r: dict[str, Any]) -> tuple[Any, ...]:
    if "table" in r:
        return (r["table"].encode(), r["length"], r["prefix"].encode())
    if "match" in r:
        return (r["match"].encode(), r["value"].encode())
    return (r["value"].encode(),)


def ref_bytes(records: Iterable[dict[str, Any]], *, sort: bool = True) -> bytes:
    items = list(records)
    if sort:
        items.sort(key=ref_key)
    return b"".join(cj(r) + b"\n" for r in items)


PLAN_RECORDS = [
    prange("local", 3, "110", kind="emergency"),
    prange("regular", 11, "138", kind="mobile", carrier="中国移动"),
    prange("regular", 11, "154", "reserved"),
    prange("regular", 12, "99999", "unallocated"),
]
PLAN = ref_bytes(PLAN_RECORDS)


def ref_sig(
    data: bytes,
    *,
    list_type: str = "number_plan",
    signer: str = "miit-1",
    issuer: str = "miit",
    list_id: str = "cn-plan",
    version: int = 2,
    **mf: Any,
) -> bytes:
    m = manifest(data, issuer=issuer, list_id=list_id, list_type=list_type, version=version, **mf)
    return jws(cj(m), [key(signer)])


def ref_case(
    family: str,
    name: str,
    description: str,
    expect: dict[str, Any],
    *,
    entries: bytes,
    sig: bytes | None = None,
    list_type: str = "number_plan",
    base: bytes | None = None,
    state: dict[str, Any] | None = None,
    now: str = NOW,
    grace_seconds: int | None = None,
    signers: Sequence[str] = ("miit-1",),
) -> None:
    files = {
        "entries": f(entries),
        "sig": f(ref_sig(entries, list_type=list_type) if sig is None else sig),
        "trust": f(REF_TRUST),
        "trust_sig": f(REF_TRUST_SIG),
    }
    if base is not None:
        files["base"] = f(base)
    fields: dict[str, Any] = {
        "list_type": list_type,
        "files": files,
        "keys": keys_of(*signers),
        "now": now,
    }
    if state is not None:
        fields["state"] = state
    if grace_seconds is not None:
        fields["grace_seconds"] = grace_seconds
    add(family, name, description, "verify-reference", expect, **fields)


def ref_ok(data: bytes, version: int = 2) -> dict[str, Any]:
    return ok(count=data.count(b"\n"), sha256=sha(data), version=version)


def ref_delta(
    base: bytes, result: bytes, ops: Sequence[bytes], *, list_type: str = "number_plan", **mf: Any
) -> tuple[bytes, bytes]:
    data = b"".join(op + b"\n" for op in ops)
    fields: dict[str, Any] = {
        "content": "delta",
        "version": 3,
        "base_version": 2,
        "base_sha256": sha(base),
        "result_sha256": sha(result),
        "result_count": result.count(b"\n"),
    }
    fields.update(mf)
    version = fields.pop("version")
    return data, ref_sig(data, list_type=list_type, version=version, **fields)


def op_entry(op: str, record: dict[str, Any]) -> bytes:
    return cj({"entry": record, "op": op})


def family_number_plan() -> None:
    FAMILY_TEXT["number-plan"] = (
        "The signed +86 number plan (list type number_plan): range records, their order and "
        "overlap rules, the publish rule, and plan deltas."
    )
    fam = "number-plan"
    ref_case(
        fam,
        "accepted",
        "A plan of four records: allocated, reserved, unallocated, local before regular.",
        ref_ok(PLAN),
        entries=PLAN,
    )
    ref_case(fam, "empty-plan", "A plan without records.", ref_ok(b""), entries=b"")
    numeric = ref_bytes(
        [
            prange("regular", 7, "1010", kind="fixed_line"),
            prange("regular", 11, "138", kind="mobile"),
            prange("regular", 13, "1440", kind="iot", carrier="中国移动"),
        ]
    )
    ref_case(
        fam,
        "lengths-order-as-integers",
        "Lengths 7, 11, 13 in that order (as bytes '11' sorts before '7').",
        ref_ok(numeric),
        entries=numeric,
    )
    empty_prefix = ref_bytes([prange("regular", 7, "", "reserved")])
    ref_case(
        fam,
        "empty-prefix",
        "One record with an empty prefix covers its whole table and length.",
        ref_ok(empty_prefix),
        entries=empty_prefix,
    )
    siblings = ref_bytes(
        [
            prange("regular", 11, "154", "reserved"),
            prange("regular", 11, "155", kind="mobile"),
            prange("regular", 11, "1560", kind="mobile", carrier="中国电信"),
        ]
    )
    ref_case(
        fam,
        "sibling-prefixes",
        "Prefixes 154, 155, 1560: none starts another.",
        ref_ok(siblings),
        entries=siblings,
    )
    lengths = ref_bytes(
        [
            prange("regular", 11, "154", "reserved"),
            prange("regular", 13, "1541", kind="iot"),
        ]
    )
    ref_case(
        fam,
        "prefix-inside-another-length",
        "154 (11 digits) and 1541 (13 digits): overlap counts within one length only.",
        ref_ok(lengths),
        entries=lengths,
    )
    ref_case(
        fam,
        "grace",
        "An expired plan inside the grace period.",
        ref_ok(PLAN),
        entries=PLAN,
        now="2026-06-08T06:00:00Z",
        grace_seconds=86400,
    )
    ref_case(
        fam,
        "unchanged",
        "The receiver already holds this version with this hash.",
        ref_ok(PLAN),
        entries=PLAN,
        state={"version": 2, "sha256": sha(PLAN)},
    )
    ref_case(
        fam,
        "newer-than-held",
        "The receiver holds version 1.",
        ref_ok(PLAN),
        entries=PLAN,
        state={"version": 1, "sha256": EMPTY_SHA},
    )

    # --- who may publish it
    ref_case(
        fam,
        "list-type-fraud-numbers",
        "A fraud_numbers list offered as a plan.",
        fail("wrong_list_type"),
        entries=BASE,
        sig=BASE_SIG,
        signers=("mps-1",),
    )
    ref_case(
        fam,
        "plan-offered-as-dno",
        "A number_plan list offered as a Do-Not-Originate list.",
        fail("wrong_list_type"),
        entries=PLAN,
        sig=ref_sig(PLAN),
        list_type="do_not_originate",
    )
    ref_case(
        fam,
        "issuer-without-rule",
        "mps (no number_plan rule) publishes a plan.",
        fail("out_of_scope"),
        entries=PLAN,
        sig=ref_sig(PLAN, signer="mps-1", issuer="mps"),
        signers=("mps-1",),
    )
    ref_case(
        fam,
        "rule-without-phone",
        "radio's number_plan rule allows kind imei only.",
        fail("out_of_scope"),
        entries=PLAN,
        sig=ref_sig(PLAN, signer="radio-1", issuer="radio"),
        signers=("radio-1",),
    )
    ref_case(
        fam,
        "attacker-key",
        "Signed by a key that is not in the bundle, as miit.",
        fail("signature_invalid"),
        entries=PLAN,
        sig=ref_sig(PLAN, signer="attacker-1"),
        signers=("attacker-1",),
    )
    ref_case(
        fam,
        "expired",
        "Verified at its expiry.",
        fail("expired"),
        entries=PLAN,
        now="2026-06-08T00:00:00Z",
    )
    ref_case(
        fam,
        "issued-in-future",
        "issued_at an hour after now.",
        fail("issued_in_future"),
        entries=PLAN,
        sig=ref_sig(PLAN, issued_at="2026-06-01T13:00:00Z"),
    )
    ref_case(
        fam,
        "rollback",
        "The receiver holds version 3.",
        fail("rollback"),
        entries=PLAN,
        state={"version": 3, "sha256": EMPTY_SHA},
    )
    ref_case(
        fam,
        "fork",
        "The receiver holds version 2 with other bytes.",
        fail("fork"),
        entries=PLAN,
        state={"version": 2, "sha256": EMPTY_SHA},
    )
    ref_case(
        fam,
        "pseudonymised",
        "A plan manifest carrying pseudonym.",
        fail("pseudonymised_list"),
        entries=PLAN,
        sig=ref_sig(PLAN, pseudonym=PSEUDONYM),
    )

    # --- the file against its manifest
    flipped = PLAN.replace(b'"154"', b'"155"', 1)
    ref_case(
        fam,
        "byte-changed",
        "One byte of the file changed (154 -> 155).",
        fail("hash_mismatch"),
        entries=flipped,
        sig=ref_sig(PLAN),
    )
    ref_case(
        fam,
        "truncated",
        "The last byte missing.",
        fail("length_mismatch"),
        entries=PLAN[:-1],
        sig=ref_sig(PLAN),
    )
    ref_case(
        fam,
        "count-mismatch",
        "The manifest's entry_count is one more than the lines.",
        fail("count_mismatch"),
        entries=PLAN,
        sig=ref_sig(PLAN, count=5),
    )

    # --- lines
    def bad_line(name: str, description: str, lines: Sequence[bytes], code: str) -> None:
        data = b"".join(line + b"\n" for line in lines)
        ref_case(fam, name, description, fail(code), entries=data)

    good = cj(prange("regular", 11, "154", "reserved"))

    def bad_record(
        name: str, description: str, record: dict[str, Any], code: str = "invalid_entry"
    ) -> None:
        bad_line(name, description, [cj(record)], code)

    bad_line(
        "not-canonical",
        "A space after a comma.",
        [good.replace(b'","', b'", "', 1)],
        "not_canonical",
    )
    bad_line("not-json", "A line that is not JSON.", [b'{"table":'], "bad_line")
    bad_line("crlf", "A line ending CR LF.", [good[:-1] + b"}\r"], "jsonl_cr")
    ref_case(
        fam,
        "empty-line",
        "An empty line between two records.",
        fail("jsonl_empty_line"),
        entries=good + b"\n\n" + cj(prange("regular", 11, "155", "reserved")) + b"\n",
    )
    ref_case(
        fam,
        "missing-final-newline",
        "The last line without LF.",
        fail("jsonl_missing_final_newline"),
        entries=good,
    )
    bad_record("allocated-without-kind", "status allocated, no kind.", prange("regular", 11, "154"))
    bad_record(
        "reserved-with-kind",
        "status reserved with a kind.",
        prange("regular", 11, "154", "reserved", kind="mobile"),
    )
    bad_record(
        "unallocated-with-kind",
        "status unallocated with a kind.",
        prange("regular", 11, "154", "unallocated", kind="mobile"),
    )
    bad_record(
        "kind-unknown",
        "kind 'unknown' (a reserved range says so by its status).",
        prange("regular", 11, "154", kind="unknown"),
    )
    bad_record(
        "kind-of-the-other-table",
        "A local record of kind mobile.",
        prange("local", 5, "955", kind="mobile"),
    )
    bad_record(
        "regular-kind-emergency",
        "A regular record of kind emergency.",
        prange("regular", 11, "110", kind="emergency"),
    )
    bad_record("status-unknown", "status 'assigned'.", prange("regular", 11, "154", "assigned"))
    bad_record("table-unknown", "table 'mobile'.", prange("mobile", 11, "154", "reserved"))
    bad_record(
        "unknown-member",
        "An extra member 'note'.",
        prange("regular", 11, "154", "reserved", note="x"),
    )
    bad_record(
        "missing-date",
        "No date.",
        {k: v for k, v in prange("regular", 11, "154", "reserved").items() if k != "date"},
    )
    bad_record(
        "missing-carrier",
        "No carrier.",
        {k: v for k, v in prange("regular", 11, "154", "reserved").items() if k != "carrier"},
    )
    bad_record(
        "regular-length-14",
        "A regular record of length 14.",
        prange("regular", 14, "154", "reserved"),
    )
    bad_record(
        "regular-length-6", "A regular record of length 6.", prange("regular", 6, "154", "reserved")
    )
    bad_record(
        "local-length-2", "A local record of length 2.", prange("local", 2, "11", kind="emergency")
    )
    bad_record(
        "local-length-21",
        "A local record of length 21.",
        prange("local", 21, "106", kind="sms_port"),
    )
    bad_record("length-a-string", 'length "11".', prange("regular", "11", "154", "reserved"))
    bad_record("length-true", "length true.", prange("regular", True, "154", "reserved"))
    bad_record(
        "prefix-longer-than-length",
        "A 4-digit prefix of 3-digit numbers.",
        prange("local", 3, "1100", kind="emergency"),
    )
    bad_record("prefix-a-letter", "prefix '15a'.", prange("regular", 11, "15a", "reserved"))
    bad_record(
        "prefix-fullwidth-digits",
        "prefix in full-width digits.",
        prange("regular", 11, "１５４", "reserved"),
    )
    bad_record(
        "prefix-a-number", "prefix 154 as a JSON number.", prange("regular", 11, 154, "reserved")
    )
    bad_record(
        "carrier-on-unallocated",
        "An unallocated record naming a carrier.",
        prange("regular", 11, "154", "unallocated", carrier="中国移动"),
    )
    bad_record(
        "carrier-control-character",
        "A carrier with a TAB.",
        prange("regular", 11, "154", kind="mobile", carrier="中国\t移动"),
    )
    bad_record(
        "carrier-zero-width",
        "A carrier with a zero-width space.",
        prange("regular", 11, "154", kind="mobile", carrier="中国\u200b移动"),
    )
    bad_record(
        "carrier-outer-space",
        "A carrier ending with a space.",
        prange("regular", 11, "154", kind="mobile", carrier="中国移动 "),
    )
    bad_record(
        "carrier-65-characters",
        "A carrier of 65 code points.",
        prange("regular", 11, "154", kind="mobile", carrier="移" * 65),
    )
    bad_record(
        "carrier-a-number", "carrier 1.", prange("regular", 11, "154", "reserved", carrier=1)
    )
    bad_record(
        "date-not-real",
        "date 2026-02-30.",
        prange("regular", 11, "154", "reserved", date="2026-02-30"),
    )
    bad_record(
        "date-short-month",
        "date 2026-5-01.",
        prange("regular", 11, "154", "reserved", date="2026-5-01"),
    )
    bad_record(
        "date-a-timestamp",
        "date 2026-05-01T00:00:00Z.",
        prange("regular", 11, "154", "reserved", date="2026-05-01T00:00:00Z"),
    )
    bad_record("not-an-object", "A line holding an array.", [1], "invalid_entry")  # type: ignore[arg-type]
    bad_line(
        "lengths-sorted-as-bytes",
        "Length 11 before length 7 (byte order, not integer order).",
        [
            cj(prange("regular", 11, "138", kind="mobile")),
            cj(prange("regular", 7, "1010", kind="fixed_line")),
        ],
        "not_sorted",
    )
    bad_line(
        "prefixes-out-of-order",
        "155 before 154.",
        [cj(prange("regular", 11, "155", "reserved")), good],
        "not_sorted",
    )
    bad_line(
        "regular-before-local",
        "A regular record before a local one.",
        [good, cj(prange("local", 3, "110", kind="emergency"))],
        "not_sorted",
    )
    bad_line(
        "duplicate-key",
        "154 twice, with other statuses.",
        [good, cj(prange("regular", 11, "154", kind="mobile"))],
        "duplicate_key",
    )
    bad_line(
        "overlap",
        "154 and 1541 in one table and length.",
        [good, cj(prange("regular", 11, "1541", kind="mobile"))],
        "plan_overlap",
    )
    bad_line(
        "overlap-after-sibling",
        "154, 1541 after 15 (15 starts both).",
        [cj(prange("regular", 11, "15", "reserved")), good],
        "plan_overlap",
    )
    bad_line(
        "overlap-empty-prefix",
        "An empty prefix and 154 in one table and length.",
        [cj(prange("regular", 11, "", "reserved")), good],
        "plan_overlap",
    )

    # --- deltas
    new = [
        prange("local", 3, "110", kind="emergency"),
        prange("regular", 11, "138", kind="mobile", carrier="中国移动", date="2026-05-20"),
        prange("regular", 11, "155", kind="mobile", carrier="中国电信", date="2026-05-20"),
        prange("regular", 12, "99999", "unallocated"),
    ]
    result = ref_bytes(new)
    ops = [
        op_entry("replace", new[1]),
        cj({"length": 11, "op": "remove", "prefix": "154", "table": "regular"}),
        op_entry("add", new[2]),
    ]
    delta, dsig = ref_delta(PLAN, result, ops)
    ref_case(
        fam,
        "delta-applies",
        "Version 2 to 3: a replace, a remove and an add.",
        ref_ok(result, 3),
        entries=delta,
        sig=dsig,
        base=PLAN,
        state={"version": 2, "sha256": sha(PLAN)},
    )
    ref_case(
        fam,
        "delta-without-state",
        "The same delta, no receiver state: it applies to the base given.",
        ref_ok(result, 3),
        entries=delta,
        sig=dsig,
        base=PLAN,
    )
    ref_case(
        fam,
        "delta-already-held",
        "The receiver holds version 3 already (its result).",
        ref_ok(result, 3),
        entries=delta,
        sig=dsig,
        base=result,
        state={"version": 3, "sha256": sha(result)},
    )
    ref_case(
        fam,
        "delta-gap",
        "The receiver holds version 1: the delta is for 2.",
        fail("delta_base_mismatch"),
        entries=delta,
        sig=dsig,
        base=PLAN,
        state={"version": 1, "sha256": EMPTY_SHA},
    )
    ref_case(
        fam,
        "delta-other-base",
        "The base given is not the delta's base.",
        fail("delta_base_mismatch"),
        entries=delta,
        sig=dsig,
        base=result,
    )
    ref_case(
        fam,
        "delta-tampered",
        "One byte of the delta changed.",
        fail("hash_mismatch"),
        entries=delta.replace(b'"155"', b'"156"', 1),
        sig=dsig,
        base=PLAN,
    )

    def bad_delta(
        name: str, description: str, ops: Sequence[bytes], code: str, result: bytes = PLAN
    ) -> None:
        data, sig = ref_delta(PLAN, result, ops)
        ref_case(fam, name, description, fail(code), entries=data, sig=sig, base=PLAN)

    bad_delta(
        "delta-remove-missing",
        "Removes 1749, which the base lacks.",
        [cj({"length": 11, "op": "remove", "prefix": "1749", "table": "regular"})],
        "delta_key_missing",
    )
    bad_delta(
        "delta-replace-missing",
        "Replaces 155, which the base lacks.",
        [op_entry("replace", new[2])],
        "delta_key_missing",
    )
    bad_delta(
        "delta-add-existing",
        "Adds 154, which the base holds.",
        [op_entry("add", prange("regular", 11, "154", kind="mobile"))],
        "delta_add_existing",
    )
    bad_delta(
        "delta-result-overlap",
        "Adds 1541 beside the held 154.",
        [op_entry("add", prange("regular", 11, "1541", kind="mobile"))],
        "plan_overlap",
    )
    bad_delta(
        "delta-wrong-result",
        "Applies, but the signed result hash is the base's.",
        [op_entry("add", new[2])],
        "delta_result_mismatch",
    )
    bad_delta(
        "delta-remove-extra-member",
        "A remove carrying a kind.",
        [cj({"kind": "mobile", "length": 11, "op": "remove", "prefix": "154", "table": "regular"})],
        "bad_delta_op",
    )
    bad_delta(
        "delta-remove-without-length",
        "A remove naming table and prefix only.",
        [cj({"op": "remove", "prefix": "154", "table": "regular"})],
        "bad_delta_op",
    )
    bad_delta(
        "delta-unknown-op", "op 'move'.", [cj({"entry": new[2], "op": "move"})], "bad_delta_op"
    )
    bad_delta(
        "delta-invalid-record",
        "An add whose record has no kind.",
        [op_entry("add", prange("regular", 11, "155"))],
        "invalid_entry",
    )
    bad_delta(
        "delta-not-sorted",
        "Operations out of key order.",
        [
            op_entry("add", new[2]),
            cj({"length": 11, "op": "remove", "prefix": "154", "table": "regular"}),
        ],
        "not_sorted",
    )
    bad_delta(
        "delta-not-canonical",
        "An operation with a space.",
        [
            cj({"length": 11, "op": "remove", "prefix": "154", "table": "regular"}).replace(
                b",", b", ", 1
            )
        ],
        "not_canonical",
    )


def family_reference() -> None:
    FAMILY_TEXT["reference"] = (
        "Do-Not-Originate and presenter-authorisation lists: signed reference lists of "
        "canonical phone values and trunk ids."
    )
    fam = "reference"
    dno_records = [{"date": "2026-05-01", "value": v} for v in ("+861062345678", "+862161234567")]
    data = ref_bytes(dno_records)
    ref_case(
        fam,
        "dno-accepted",
        "Two Do-Not-Originate numbers.",
        ref_ok(data),
        entries=data,
        list_type="do_not_originate",
    )
    ref_case(
        fam,
        "dno-empty",
        "An empty Do-Not-Originate list.",
        ref_ok(b""),
        entries=b"",
        list_type="do_not_originate",
    )

    def dno_bad(
        name: str, description: str, lines: Sequence[bytes], code: str, sig: bytes | None = None
    ) -> None:
        d = b"".join(line + b"\n" for line in lines)
        ref_case(
            fam, name, description, fail(code), entries=d, list_type="do_not_originate", sig=sig
        )

    def dno(value: Any, date: Any = "2026-05-01") -> bytes:
        return cj({"date": date, "value": value})

    dno_bad(
        "dno-not-canonical",
        "A national number instead of its E.164 form.",
        [dno("13800138000")],
        "invalid_entry",
    )
    dno_bad("dno-not-a-number", "A value that is no phone number.", [dno("12")], "invalid_entry")
    dno_bad("dno-value-a-number", "value as a JSON number.", [dno(8613800138000)], "invalid_entry")
    dno_bad(
        "dno-unknown-range",
        "A number in a range the packaged plan does not know.",
        [dno("+8615400138000")],
        "unknown_range",
    )
    dno_bad(
        "dno-bad-date", "date 2026-13-01.", [dno("+8613800138000", "2026-13-01")], "invalid_entry"
    )
    dno_bad(
        "dno-extra-member",
        "A record with a reason.",
        [cj({"date": "2026-05-01", "reason": "x", "value": "+8613800138000"})],
        "invalid_entry",
    )
    dno_bad(
        "dno-not-sorted",
        "Values out of byte order.",
        [dno("+862161234567"), dno("+861062345678")],
        "not_sorted",
    )
    dno_bad(
        "dno-duplicate",
        "One value twice.",
        [dno("+861062345678"), dno("+861062345678", "2026-05-02")],
        "duplicate_key",
    )
    protected = dno("tel:95588;phone-context=+86")
    dno_bad(
        "dno-protected",
        "A bank hotline on a Do-Not-Originate list without allow_protected.",
        [protected],
        "protected_identifier",
    )
    allowed = protected + b"\n"
    ref_case(
        fam,
        "dno-protected-allowed",
        "The same, named in allow_protected.",
        ref_ok(allowed),
        entries=allowed,
        list_type="do_not_originate",
        sig=ref_sig(
            allowed,
            list_type="do_not_originate",
            allow_protected=[{"kind": "phone", "value": "tel:95588;phone-context=+86"}],
        ),
    )
    ref_case(
        fam,
        "dno-offered-as-plan",
        "A Do-Not-Originate list offered as a plan.",
        fail("wrong_list_type"),
        entries=data,
        sig=ref_sig(data, list_type="do_not_originate"),
    )
    ref_case(
        fam,
        "dno-issuer-without-rule",
        "mps publishes a Do-Not-Originate list.",
        fail("out_of_scope"),
        entries=data,
        list_type="do_not_originate",
        sig=ref_sig(data, list_type="do_not_originate", signer="mps-1", issuer="mps"),
        signers=("mps-1",),
    )
    new = ref_bytes([dno_records[1], {"date": "2026-05-20", "value": "+8613800138000"}])
    ddata, dsig = ref_delta(
        data,
        new,
        [
            cj({"op": "remove", "value": "+861062345678"}),
            op_entry("add", {"date": "2026-05-20", "value": "+8613800138000"}),
        ],
        list_type="do_not_originate",
    )
    ref_case(
        fam,
        "dno-delta",
        "A Do-Not-Originate delta: a remove and an add.",
        ref_ok(new, 3),
        entries=ddata,
        sig=dsig,
        base=data,
        list_type="do_not_originate",
    )
    pdata, psig = ref_delta(
        data,
        data,
        [op_entry("add", {"date": "2026-05-20", "value": "tel:110;phone-context=+86"})],
        list_type="do_not_originate",
    )
    ref_case(
        fam,
        "dno-delta-adds-protected",
        "A delta adding an emergency number.",
        fail("protected_identifier"),
        entries=pdata,
        sig=psig,
        base=data,
        list_type="do_not_originate",
    )

    pres = [
        {
            "date": "2026-05-01",
            "match": "exact",
            "trunks": ["icbc-sbc-1", "icbc-sbc-2"],
            "value": "tel:95588;phone-context=+86",
        },
        {"date": "2026-05-01", "match": "prefix", "trunks": ["icbc-sbc-1"], "value": "+8610955"},
    ]
    pd = ref_bytes(pres)
    ref_case(
        fam,
        "presenters-accepted",
        "An exact and a prefix authorisation.",
        ref_ok(pd),
        entries=pd,
        list_type="presenters",
    )

    def pres_bad(
        name: str, description: str, record: dict[str, Any], code: str = "invalid_entry"
    ) -> None:
        d = cj(record) + b"\n"
        ref_case(fam, name, description, fail(code), entries=d, list_type="presenters")

    base = pres[0]
    pres_bad(
        "presenters-trunks-unsorted",
        "Trunks out of order.",
        dict(base, trunks=["icbc-sbc-2", "icbc-sbc-1"]),
    )
    pres_bad(
        "presenters-trunks-repeated",
        "A trunk twice.",
        dict(base, trunks=["icbc-sbc-1", "icbc-sbc-1"]),
    )
    pres_bad("presenters-no-trunk", "An empty trunk list.", dict(base, trunks=[]))
    pres_bad(
        "presenters-trunk-upper-case", "A trunk id in upper case.", dict(base, trunks=["ICBC"])
    )
    pres_bad("presenters-trunks-a-string", "trunks as a string.", dict(base, trunks="icbc"))
    pres_bad(
        "presenters-65-trunks",
        "65 trunks.",
        dict(base, trunks=sorted(f"t{i:02d}" for i in range(65))),
    )
    pres_bad(
        "presenters-exact-not-canonical",
        "An exact value that is not canonical.",
        dict(base, value="95588"),
    )
    pres_bad("presenters-prefix-leading-zero", "A prefix +0.", dict(pres[1], value="+0"))
    pres_bad(
        "presenters-prefix-without-plus", "A prefix without +.", dict(pres[1], value="8610955")
    )
    pres_bad(
        "presenters-prefix-16-digits", "A prefix of 16 digits.", dict(pres[1], value="+" + "8" * 16)
    )
    pres_bad("presenters-match-unknown", "match 'contains'.", dict(base, match="contains"))
    ref_case(
        fam,
        "presenters-not-sorted",
        "A prefix record before an exact one.",
        fail("not_sorted"),
        entries=cj(pres[1]) + b"\n" + cj(pres[0]) + b"\n",
        list_type="presenters",
    )
    ref_case(
        fam,
        "presenters-issuer-without-rule",
        "mps publishes presenters.",
        fail("out_of_scope"),
        entries=pd,
        list_type="presenters",
        sig=ref_sig(pd, list_type="presenters", signer="mps-1", issuer="mps"),
        signers=("mps-1",),
    )


# ------------------------------------------------------- family: callerid

CALLERID_NOW = "2026-06-01T00:00:00Z"
#: Cases beyond tests/vectors/callerid.json: the blacklist, skipped rules, bad ingress.
CALLERID_EXTRA: list[dict[str, Any]] = [
    {
        "name": "blacklisted_block",
        "calling": "138 0013 8000",
        "called": "+8613900139000",
        "ingress": "subscriber",
        "dno": [],
        "listed": [["+8613800138000", "block", "mps"]],
        "action": "block",
        "rules": ["blacklisted"],
        "source": "shared fraud-number lists",
    },
    {
        "name": "blacklisted_watch_flags",
        "calling": "+8613800138000",
        "called": "+8613900139000",
        "ingress": "interconnect",
        "dno": [],
        "listed": [["+8613800138000", "watch", "cbirc"]],
        "action": "flag",
        "rules": ["blacklisted"],
        "source": "a watch entry only flags",
    },
    {
        "name": "blacklisted_and_dno_in_table_order",
        "calling": "+8613800138000",
        "called": "+8613900139000",
        "ingress": "private_line",
        "ranges": ["+86138"],
        "dno": ["+8613800138000"],
        "listed": [["+8613800138000", "block", "mps"]],
        "action": "block",
        "rules": ["dno_listed", "blacklisted"],
        "source": "rule order",
    },
    {
        "name": "other_number_not_blacklisted",
        "calling": "+8613800138001",
        "called": "+8613900139000",
        "ingress": "interconnect",
        "dno": [],
        "listed": [["+8613800138000", "block", "mps"]],
        "action": "allow",
        "rules": [],
        "source": "exact match only",
    },
    {
        "name": "blacklisted_emergency_call_flags",
        "calling": "+8613800138000",
        "called": "110",
        "ingress": "interconnect",
        "listed": [["+8613800138000", "block", "mps"]],
        "action": "flag",
        "rules": ["blacklisted"],
        "source": "emergency calls are never blocked",
    },
    {
        "name": "block_outranks_withhold",
        "calling": "+8613900139000",
        "called": "+8613900139000",
        "ingress": "international",
        "action": "block",
        "rules": ["international_domestic_cli", "cli_equals_called"],
        "source": "precedence: block > withhold",
    },
    {
        "name": "bad_ingress_is_refused",
        "calling": "+8613800138000",
        "called": "+8613900139000",
        "ingress": "satellite",
        "code": "invalid_ingress",
        "source": "closed vocabulary",
    },
    {
        "name": "bad_range_is_refused",
        "calling": "+8613800138000",
        "called": "+8613900139000",
        "ingress": "voip",
        "ranges": ["86138"],
        "code": "invalid_ranges",
        "source": "ranges",
    },
]


def family_callerid() -> None:
    FAMILY_TEXT["callerid"] = (
        "Caller-ID verdicts (docs/spec/callerid.md): the action, the fired rule ids in table "
        "order, the canonical numbers, the emergency flag and the rules skipped for lack of "
        "data, for named calls. Library-only: the Node.js verifier does not implement it."
    )
    from antifraud_common.callerid import check_call
    from antifraud_common.errors import AntifraudError
    from antifraud_common.index import Index
    from antifraud_common.models import Entry, parse_timestamp

    now = parse_timestamp(CALLERID_NOW, field="now")
    vectors = json.loads((ROOT_DIR / "tests" / "vectors" / "callerid.json").read_text("utf-8"))
    for v in [*vectors["cases"], *CALLERID_EXTRA]:
        index = None
        if "listed" in v:
            index = Index.build(
                (issuer, "calls", None, Entry(
                    kind="phone", value=value, reason="telecom_fraud", action=action,
                    source=issuer, case_ref="conformance", confidence=90, tlp="amber",
                    listed_at=datetime(2026, 5, 31, tzinfo=UTC),
                    valid_from=datetime(2026, 5, 31, tzinfo=UTC)))
                for value, action, issuer in v["listed"]
            )  # fmt: skip
        try:
            got = check_call(
                v["calling"], v["called"], ingress=v["ingress"], now=now,
                trunk_id=v.get("trunk_id"), authenticated=v.get("authenticated"),
                roaming=v.get("roaming", False), ranges=v.get("ranges"),
                presenters=v.get("presenters"),
                dno=frozenset(v["dno"]) if "dno" in v else None, index=index,
            )  # fmt: skip
        except AntifraudError as e:
            if e.code != v.get("code"):
                raise SystemExit(f"callerid/{v['name']}: refused with {e.code}") from e
            expect = fail(e.code)
        else:
            if got.action.value != v.get("action") or list(got.rule_ids) != v.get("rules"):
                raise SystemExit(
                    f"callerid/{v['name']}: library gives {got.action.value} "
                    f"{list(got.rule_ids)}; check the docs and the vector"
                )
            expect = ok(
                action=got.action.value,
                rules=list(got.rule_ids),
                calling=got.calling,
                called=got.called,
                emergency=got.emergency,
                skipped=list(got.skipped),
            )
        fields = {
            k: v[k]
            for k in ("calling", "called", "ingress", "trunk_id", "authenticated", "roaming",
                      "ranges", "dno", "presenters", "listed")
            if k in v
        }  # fmt: skip
        add("callerid", v["name"].replace("_", "-"), f"{v['source']}.", "validate-call",
            expect, now=CALLERID_NOW, **fields)  # fmt: skip


FAMILIES: list[Callable[[], Any]] = [
    family_list,
    family_integrity,
    family_signature,
    family_scope,
    family_threshold,
    family_freshness,
    family_rollback,
    family_manifest,
    manifest_rules,
    family_pseudonymised,
    family_entries,
    entries_rules,
    family_protected,
    family_delta,
    delta_rules,
    delta_verify_rules,
    family_trust_rotation,
    trust_walk_rules,
    family_trust_bundle,
    trust_bundle_rules,
    family_weak_keys,
    family_jws_header,
    family_jwk,
    family_jcs,
    family_rfc8037,
    family_minisign,
    family_identifier,
    family_cases,
    family_number_plan,
    family_reference,
    family_callerid,
]


def build() -> tuple[dict[str, bytes], list[str]]:
    SUITE.clear()
    skipped: list[str] = []
    for fam in FAMILIES:
        skipped.extend(fam() or [])
    out: dict[str, bytes] = {}
    for family, cases in SUITE.items():
        doc = {
            "format": SUITE_FORMAT,
            "format_version": SUITE_VERSION,
            "family": family,
            "description": FAMILY_TEXT[family],
            "generated_by": "scripts/make_conformance.py",
            "test_keys_warning": "every key in these cases is a public test key: never trust it",
            "cases": cases,
        }
        out[f"{family}.json"] = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode(
            "utf-8"
        )
    return out, skipped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    files, skipped = build()
    for name in skipped:
        print(f"skipped (validator not available): {name}", file=sys.stderr)
    total = sum(len(c) for c in SUITE.values())
    if args.check:
        stale = [
            n
            for n, data in files.items()
            if not (args.out / n).is_file() or (args.out / n).read_bytes() != data
        ]
        extra = [p.name for p in args.out.glob("*.json") if p.name not in files]
        if stale or extra:
            print(f"out of date: {sorted(stale + extra)}", file=sys.stderr)
            return 1
        print(f"{total} cases up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for p in args.out.glob("*.json"):
        if p.name not in files:
            p.unlink()
    for n, data in files.items():
        (args.out / n).write_bytes(data)
    for family, cases in SUITE.items():
        print(f"{family:16} {len(cases):4}")
    print(f"{'total':16} {total:4}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
