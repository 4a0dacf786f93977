"""``sign_list`` takes a ``ListRelease`` and ``SignOptions``, or the same fields as keywords."""

from __future__ import annotations

import sys
from pathlib import Path

import attrs
import pytest

from antifraud_common.errors import ScopeError
from antifraud_common.exchange import (
    ListRelease,
    SignOptions,
    sign_list,
    verify_list,
    write_entries,
)
from antifraud_common.exchange.signing import sign_list_with_manifest

sys.path.insert(0, str(Path(__file__).parent))

from _exchange_kit import (
    EXPIRES,
    ISSUED,
    ISSUER,
    LIST_ID,
    LIST_TYPE,
    NOW,
    Kit,
    phone_entry,
)

RELEASE = ListRelease(
    issuer=ISSUER,
    list_id=LIST_ID,
    list_type=LIST_TYPE,
    version=3,
    expires=EXPIRES,
    issued_at=ISSUED,
)


@pytest.fixture
def kit() -> Kit:
    return Kit()


@pytest.fixture
def entries(tmp_path: Path) -> Path:
    path = tmp_path / "l.jsonl"
    write_entries(path, [phone_entry(n) for n in (1, 2, 3)])
    return path


def test_objects_and_keywords_sign_the_same_bytes(kit: Kit, entries: Path, tmp_path: Path) -> None:
    a = sign_list(
        entries,
        RELEASE,
        signers=[kit.signer],
        options=SignOptions(out=tmp_path / "a.sig", protected=None),
    )
    b = sign_list(
        entries,
        signers=[kit.signer],
        out=tmp_path / "b.sig",
        protected=None,
        **attrs.asdict(RELEASE),
    )
    assert (a, b) == (tmp_path / "a.sig", tmp_path / "b.sig")
    assert a.read_bytes() == b.read_bytes()  # Ed25519 signatures are deterministic
    with verify_list(entries, a, trust=kit.trust, now=NOW) as v:
        assert (v.manifest.version, v.manifest.entry_count) == (3, 3)


def test_keywords_override_the_options_object(kit: Kit, entries: Path, tmp_path: Path) -> None:
    options = SignOptions(out=tmp_path / "first.sig")
    path, manifest = sign_list_with_manifest(
        entries, RELEASE, signers=[kit.signer], options=options, out=tmp_path / "second.sig"
    )
    assert path == tmp_path / "second.sig" and path.exists()
    assert not (tmp_path / "first.sig").exists()
    assert manifest.version == 3


def test_options_are_applied(kit: Kit, entries: Path, tmp_path: Path) -> None:
    # trust= checks the issuer's scope: this member may not publish stop-payment lists.
    release = attrs.evolve(RELEASE, list_type="stop_payment")
    with pytest.raises(ScopeError):
        sign_list(entries, release, signers=[kit.signer], options=SignOptions(trust=kit.trust))
    assert not Path(f"{entries}.sig").exists()
    seen: list[int] = []
    sign_list(entries, RELEASE, signers=[kit.signer], options=SignOptions(progress=seen.append))
    assert seen and seen[-1] == entries.stat().st_size


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda k, p: sign_list(p, signers=[k.signer], issuer="mps"), "list_id"),
        (lambda k, p: sign_list(p, RELEASE, signers=[k.signer], version=4), "not both"),
        (lambda k, p: sign_list(p, RELEASE, signers=[k.signer], expiry=EXPIRES), "'expiry'"),
    ],
    ids=["missing-field", "release-twice", "unknown-keyword"],
)
def test_bad_arguments_are_type_errors(kit: Kit, entries: Path, call: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call(kit, entries)  # type: ignore[operator]
    assert not Path(f"{entries}.sig").exists()  # nothing written
