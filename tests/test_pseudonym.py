"""Tests of pseudonymised lists (antifraud_common.exchange.pseudonym)."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import shutil
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from antifraud_common.errors import (
    BlacklistFormatError,
    ConfigurationError,
    HashMismatchError,
    InvalidFormatError,
    ModelError,
    ProtectedIdentifierError,
    ScopeError,
    SignatureError,
    ValidationError,
)
from antifraud_common.exchange.entries import NO_PROTECTED, write_entries
from antifraud_common.exchange.pseudonym import (
    KEY_CHECK_MESSAGE,
    DomainKey,
    PseudonymIndex,
    PseudonymisedEntry,
    check_key,
    check_pseudonymised_entries,
    convert_entries_file,
    iter_pseudonymised_entries,
    key_check_value,
    pseudonymise,
    pseudonymise_list,
    pseudonymised_line,
    verify_pseudonymised_list,
    write_pseudonymised,
)
from antifraud_common.exchange.signing import (
    read_manifest,
    sign_list,
    verify_list,
    verify_list_report,
    verify_manifest,
)
from antifraud_common.format import canonical
from antifraud_common.format.keys import b64url_decode, b64url_encode
from antifraud_common.models import Action, Entry, Manifest, Pseudonym


def _load_kit() -> ModuleType:
    name = "_exchange_kit"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_K = _load_kit()
EXPIRES, ISSUED, ISSUER, LIST_ID, LIST_TYPE, NOW = (
    _K.EXPIRES,
    _K.ISSUED,
    _K.ISSUER,
    _K.LIST_ID,
    _K.LIST_TYPE,
    _K.NOW,
)
Kit = _K.Kit
phone_entry = _K.phone_entry

# A fixed, test-only key: bytes 0x00..0x1f.
KEY = DomainKey(domain="cn-banks-2026", key_id="k1", secret=bytes(range(32)))
OTHER = DomainKey(domain="cn-banks-2026", key_id="k2", secret=bytes(range(1, 33)))

# Known answers computed with OpenSSL 3 (`printf %s VALUE | openssl dgst -sha256 -mac HMAC
# -macopt hexkey:000102...1f`), checked again below with Python's hmac and, when
# available, with the openssl command itself.
VECTORS = [
    ("phone", "+8613800138000", "eee9810e7b839a5c52ae4093c2785f71089272caa6d14ea9956bc905af031e79"),
    (
        "key-check",
        KEY_CHECK_MESSAGE.decode(),
        "82d5e6553b00bbd974159415b3bddb9ecd417ab22a589be57f2f4dc4dda42d3d",
    ),
]


def _entry(value: str, *, action: str = "block", case: str = "A-1", **kw: object) -> Entry:
    fields: dict[str, object] = {
        "reason": "telecom_fraud",
        "action": action,
        "source": ISSUER,
        "case_ref": case,
        "confidence": 90,
        "tlp": "amber",
        "listed_at": ISSUED,
        "valid_from": ISSUED,
    }
    fields.update(kw)
    return Entry.from_raw(kind="phone", value=value, **fields)


@pytest.fixture(scope="module")
def kit() -> Any:
    return Kit()


def _publish(
    kit: Any, folder: Path, entries: list[Entry], *, key: DomainKey = KEY, version: int = 1
) -> tuple[Path, Path]:
    plain = folder / "plain.jsonl"
    write_entries(plain, entries)
    out = folder / "pseudo.jsonl"
    convert_entries_file(plain, out, key, protected=NO_PROTECTED)
    sig = sign_list(
        out,
        signers=[kit.signer],
        issuer=ISSUER,
        list_id=LIST_ID,
        list_type=LIST_TYPE,
        version=version,
        issued_at=ISSUED,
        expires=EXPIRES,
        trust=kit.trust,
        pseudonym=key.pseudonym,
    )
    return out, sig


# ------------------------------------------------------------ known answers


@pytest.mark.parametrize(("what", "message", "expected"), VECTORS)
def test_known_answers_python_hmac(what: str, message: str, expected: str) -> None:
    got = hmac.new(bytes(range(32)), message.encode(), hashlib.sha256).hexdigest()
    assert got == expected
    if what == "phone":
        assert pseudonymise(KEY, "phone", message) == expected
        assert pseudonymise(KEY.secret, "phone", message) == expected
    else:
        assert KEY.key_check == key_check_value(KEY.secret) == expected


@pytest.mark.interop
@pytest.mark.parametrize(("what", "message", "expected"), VECTORS)
def test_known_answers_openssl(what: str, message: str, expected: str) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    run = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{KEY.secret.hex()}"],
        input=message.encode(),
        capture_output=True,
        check=True,
    )
    assert run.stdout.decode().strip().rsplit(" ", 1)[-1] == expected


@pytest.mark.interop
def test_openssl_agrees_on_every_line_of_a_list(tmp_path: Path, kit: Any) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    values = ["+8613800138000", "+8613912345678", "+85251234567"]
    out, _ = _publish(kit, tmp_path, [_entry(v) for v in values])
    hmacs = {json.loads(line)["hmac"] for line in out.read_bytes().splitlines()}
    for v in values:
        run = subprocess.run(
            ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{KEY.secret.hex()}"],
            input=v.encode(),
            capture_output=True,
            check=True,
        )
        assert run.stdout.decode().strip().rsplit(" ", 1)[-1] in hmacs


def test_pseudonymise_refuses_non_canonical_and_invalid_values() -> None:
    with pytest.raises(InvalidFormatError) as e:
        pseudonymise(KEY, "phone", "138 0013 8000")
    assert e.value.code == "non_canonical_value"
    with pytest.raises(ValidationError):
        pseudonymise(KEY, "phone", "+86138001380")
    with pytest.raises(ConfigurationError) as c:
        pseudonymise(b"short", "phone", "+8613800138000")
    assert c.value.code == "key_too_short"


# ------------------------------------------------------------------- the key


def test_domain_key_generate_save_load(tmp_path: Path) -> None:
    key = DomainKey.generate(domain="cn-banks-2026")
    assert len(key.secret) == 32
    assert key.key_id == key.key_check[:16]
    path = tmp_path / "domain.key"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DomainKey.load(path) == key
    with pytest.raises(ConfigurationError) as e:
        key.save(path)
    assert e.value.code == "key_file_exists"
    key.save(path, overwrite=True)
    assert DomainKey.load(path) == key
    assert DomainKey.generate(domain="d").secret != key.secret


def test_domain_key_secret_never_in_repr_or_errors(tmp_path: Path) -> None:
    hexkey = KEY.secret.hex()
    assert hexkey not in repr(KEY)
    assert KEY.secret.hex()[:16] not in str(PseudonymIndex(KEY))
    bad = tmp_path / "bad.key"
    bad.write_bytes(KEY.to_bytes().replace(b'"key_id"', b'"key_idx"'))
    bad.chmod(0o600)
    with pytest.raises(ConfigurationError) as e:
        DomainKey.load(bad)
    assert e.value.code == "key_file_invalid"
    assert hexkey not in str(e.value)
    assert e.value.__cause__ is None


def test_domain_key_file_refusals(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as e:
        DomainKey.load(tmp_path / "missing.key")
    assert e.value.code == "key_file_missing"
    loose = tmp_path / "loose.key"
    loose.write_bytes(KEY.to_bytes())
    loose.chmod(0o644)
    with pytest.raises(ConfigurationError) as e:
        DomainKey.load(loose)
    assert e.value.code == "key_file_permissions"
    for content in (
        b"not json",
        KEY.to_bytes().replace(b"HMAC-SHA-256", b"HMAC-SHA-1"),
        KEY.to_bytes().replace(KEY.secret.hex().encode(), b"00" * 16),  # 16 bytes: too short
        KEY.to_bytes().replace(b'"format"', b' "format"'),  # not canonical
    ):
        f = tmp_path / "x.key"
        f.write_bytes(content)
        f.chmod(0o600)
        with pytest.raises(ConfigurationError) as e:
            DomainKey.load(f)
        assert e.value.code == "key_file_invalid"


def test_domain_key_validation() -> None:
    with pytest.raises(ConfigurationError):
        DomainKey(domain="Not Valid", key_id="k", secret=bytes(32))
    with pytest.raises(ConfigurationError):
        DomainKey(domain="d", key_id="k", secret=bytes(31))
    assert KEY != OTHER
    assert DomainKey(domain=KEY.domain, key_id=KEY.key_id, secret=KEY.secret) == KEY
    assert len({KEY, OTHER}) == 2


def test_check_key() -> None:
    check_key(KEY.pseudonym, KEY)
    with pytest.raises(ConfigurationError) as e:
        check_key(KEY.pseudonym, OTHER)
    assert e.value.code == "pseudonym_key_mismatch"
    foreign = DomainKey(domain="cn-carriers", key_id="k1", secret=KEY.secret)
    with pytest.raises(ConfigurationError) as e:
        check_key(KEY.pseudonym, foreign)
    assert e.value.code == "pseudonym_domain_mismatch"


# ------------------------------------------------------------- the manifest


def test_manifest_pseudonym_round_trip_and_refusals() -> None:
    base = {
        "issuer": "mps",
        "list_id": "l",
        "list_type": "t",
        "version": 1,
        "issued_at": ISSUED,
        "expires": EXPIRES,
        "entry_count": 0,
        "byte_length": 0,
        "sha256": hashlib.sha256(b"").hexdigest(),
    }
    m = Manifest(**base, pseudonym=KEY.pseudonym)  # type: ignore[arg-type]
    d = m.to_dict()
    assert d["pseudonym"] == {
        "alg": "HMAC-SHA-256",
        "domain": "cn-banks-2026",
        "key_id": "k1",
        "key_check": KEY.key_check,
    }
    assert Manifest.from_dict(d) == m
    for bad in (
        {**d["pseudonym"], "alg": "HMAC-SHA-1"},
        {**d["pseudonym"], "extra": 1},
        {k: v for k, v in d["pseudonym"].items() if k != "key_check"},
        {**d["pseudonym"], "key_check": "AB" * 32},
        "HMAC-SHA-256",
    ):
        with pytest.raises(ModelError):
            Manifest.from_dict({**d, "pseudonym": bad})
    with pytest.raises(ModelError) as e:
        Manifest(
            **{**base, "version": 2},  # type: ignore[arg-type]
            content="delta",
            base_version=1,
            base_sha256="0" * 64,
            result_sha256="0" * 64,
            result_count=0,
            pseudonym=KEY.pseudonym,
        )
    assert e.value.code == "pseudonymised_delta"


def test_manifest_schema_accepts_pseudonym_and_stays_strict() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from antifraud_common import schemas

    validator = jsonschema.Draft202012Validator(schemas.load("manifest"))
    m = Manifest(
        issuer="mps",
        list_id="l",
        list_type="t",
        version=1,
        issued_at=ISSUED,
        expires=EXPIRES,
        entry_count=0,
        byte_length=0,
        sha256="0" * 64,
        pseudonym=KEY.pseudonym,
    ).to_dict()
    assert validator.is_valid(m)
    assert not validator.is_valid({**m, "pseudonym": {**m["pseudonym"], "salt": "x"}})
    assert not validator.is_valid({**m, "pseudonym": {**m["pseudonym"], "alg": "SHA-256"}})
    delta = {
        **m,
        "content": "delta",
        "base_version": 1,
        "base_sha256": "0" * 64,
        "result_sha256": "0" * 64,
        "result_count": 0,
        "version": 2,
    }
    assert not validator.is_valid(delta)


# -------------------------------------------------------------- the entries


def test_pseudonymised_entry_line_shape() -> None:
    [p] = pseudonymise_list([_entry("13800138000")], KEY)
    line = pseudonymised_line(p)
    assert line == (
        b'{"action":"block","case_ref":"A-1","confidence":90,"hmac":"' + p.hmac.encode() + b'",'
        b'"kind":"phone","listed_at":"' + ISSUED.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b'",'
        b'"reason":"telecom_fraud","source":"mps","tlp":"amber","valid_from":"'
        + ISSUED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        + b'"}\n'
    )
    assert canonical.is_canonical(line[:-1])
    assert b"13800138000" not in line
    assert PseudonymisedEntry.from_dict(json.loads(line)) == p


def test_pseudonymised_entry_refusals() -> None:
    [p] = pseudonymise_list([_entry("13800138000")], KEY)
    d = p.to_dict()
    for bad, code in (
        ({**d, "value": "+8613800138000"}, "value_in_pseudonymised"),
        ({**d, "hmac": d["hmac"].upper()}, "invalid_hmac"),
        ({**d, "hmac": d["hmac"][:-1]}, "invalid_hmac"),
        ({k: v for k, v in d.items() if k != "hmac"}, "missing_field"),
        ({**d, "extra": 1}, "unknown_field"),
        ({**d, "confidence": "90"}, "wrong_type"),
        ({**d, "action": "kill"}, "invalid_enum"),
        ({**d, "valid_until": d["valid_from"]}, "invalid_validity_window"),
    ):
        with pytest.raises(ModelError) as e:
            PseudonymisedEntry.from_dict(bad)
        assert e.value.code == code


def test_pseudonymise_list_sorts_and_refuses_duplicates() -> None:
    entries = [_entry(f"1380013800{i}") for i in range(10)]
    got = list(pseudonymise_list(entries, KEY))
    keys = [(p.kind.value.encode(), p.hmac.encode()) for p in got]
    assert keys == sorted(keys)
    assert len(set(keys)) == 10
    with pytest.raises(BlacklistFormatError) as e:
        list(pseudonymise_list([entries[0], entries[0]], KEY))
    assert e.value.code == "duplicate_key"
    with pytest.raises(BlacklistFormatError):
        write_pseudonymised("/nonexistent/never", [got[0], got[0]])


def _with(line: bytes, **changes: object) -> bytes:
    d = json.loads(line)
    d.update(changes)
    return canonical.dumps(d) + b"\n"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_checker_refuses_what_the_plain_checker_would(tmp_path: Path, kit: Any) -> None:
    out, _ = _publish(kit, tmp_path, [_entry(f"1380013800{i}") for i in range(5)])
    lines = _lines(out)
    assert check_pseudonymised_entries(out).ok
    cases = {
        "not_sorted": lines[1] + lines[0] + b"".join(lines[2:]),
        "duplicate_key": lines[0] + lines[0],
        "not_canonical": lines[0].replace(b'{"action"', b'{ "action"'),
        "invalid_entry": _with(lines[0], value="+8613800138000"),
        "jsonl_missing_final_newline": lines[0].rstrip(b"\n"),
        "jsonl_bom": b"\xef\xbb\xbf" + lines[0],
        "jsonl_empty_line": lines[0] + b"\n",
        "bad_line": b"{oops}\n",
    }
    for code, data in cases.items():
        f = tmp_path / f"{code}.jsonl"
        f.write_bytes(data)
        with pytest.raises(BlacklistFormatError) as e:
            check_pseudonymised_entries(f)
        assert e.value.code == code, code
        report = check_pseudonymised_entries(f, collect=True)
        assert not report.ok
        assert code in {p.code for p in report.problems}
    upper = _with(lines[0], hmac=json.loads(lines[0])["hmac"].upper())
    (tmp_path / "upper.jsonl").write_bytes(upper)
    with pytest.raises(BlacklistFormatError) as e:
        check_pseudonymised_entries(tmp_path / "upper.jsonl")
    assert (e.value.code, e.value.field) == ("invalid_entry", "hmac")


def test_plain_checker_refuses_pseudonymised_lines(tmp_path: Path, kit: Any) -> None:
    from antifraud_common.exchange.entries import check_entries

    out, _ = _publish(kit, tmp_path, [_entry("13800138000")])
    with pytest.raises(BlacklistFormatError) as e:
        check_entries(out, protected=NO_PROTECTED)
    assert e.value.code == "invalid_entry"


# ---------------------------------------------------- sign -> verify -> check


def test_round_trip_sign_verify_check(tmp_path: Path, kit: Any) -> None:
    entries = [
        _entry("13800138000", action="watch", case="W-1"),
        _entry("+86 139 1234 5678", action="block", case="B-2"),
        _entry("+852 5123 4567", action="block", case="HK-3"),
    ]
    out, sig = _publish(kit, tmp_path, entries)
    assert b"13800138000" not in out.read_bytes() + sig.read_bytes()
    manifest = read_manifest(sig.read_bytes())
    assert manifest.pseudonym == KEY.pseudonym
    assert manifest.entry_count == 3
    with verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW) as verified:
        assert verified.manifest.pseudonym is not None
        assert verified.manifest.pseudonym.domain == "cn-banks-2026"
        assert verified.signers == (ISSUER,)
        listed = list(iter_pseudonymised_entries(verified))
        assert len(listed) == 3
        with pytest.raises(ConfigurationError) as e:
            list(verified.iter_entries())
        assert e.value.code == "pseudonymised_list"
        index = PseudonymIndex.from_verified([verified], key=KEY)
    assert len(index) == 3
    for raw in ("138 0013 8000", "+86 13800138000", "１３８００１３８０００", "+86-138-0013-8000"):
        r = index.check(raw, now=NOW)
        assert r.valid and r.listed, raw
        assert r.value == "+8613800138000"
        assert r.action is Action.WATCH
        assert r.matches[0].issuer == ISSUER
        assert r.matches[0].list_id == LIST_ID
        assert r.matches[0].case_ref == "W-1"
        assert r.matches[0].confidence == 90
        assert r.matches[0].valid_from == ISSUED
    assert index.check("13912345678", now=NOW).action is Action.BLOCK
    assert index.check("+85251234567", now=NOW).listed
    miss = index.check("13800138001", now=NOW)
    assert miss.valid and not miss.listed and miss.action is None
    assert index.check_key("phone", "+8613800138000", now=NOW).listed
    assert not index.check_key("phone", "13800138000", now=NOW).listed


def test_invalid_input_is_reported_invalid_never_not_listed(kit: Any) -> None:
    [p] = pseudonymise_list([_entry("13800138000")], KEY)
    index = PseudonymIndex.build([(ISSUER, LIST_ID, None, p)], key=KEY)
    for raw, kind in (("138 0013 800", "phone"), ("abc", None), ("", None), (None, None)):
        r = index.check(raw, kind=kind, now=NOW)
        assert not r.valid and not r.listed
        assert r.error
        assert r.to_dict()["error"]["code"] == r.error
    with pytest.raises(ConfigurationError):
        index.check("13800138000", kind="nope", now=NOW)
    with pytest.raises(ConfigurationError):
        index.check("13800138000", now=datetime(2026, 1, 1))


def test_strongest_action_and_ignored_windows() -> None:
    t = ISSUED
    e_watch = _entry("13800138000", action="watch")
    e_hold = _entry("13800138000", action="hold", case="H-1")
    e_freeze_later = _entry(
        "13800138000", action="freeze", case="F-1", valid_from=t + timedelta(days=10)
    )
    e_ended = _entry(
        "13800138000", action="freeze", case="F-2", valid_until=t + timedelta(minutes=1)
    )
    recs = [
        ("mps", "a", None, PseudonymisedEntry.from_entry(e_watch, KEY)),
        ("pbc", "b", None, PseudonymisedEntry.from_entry(e_hold, KEY)),
        ("pbc", "c", None, PseudonymisedEntry.from_entry(e_freeze_later, KEY)),
        ("pbc", "d", None, PseudonymisedEntry.from_entry(e_ended, KEY)),
        ("cbirc", "e", t, PseudonymisedEntry.from_entry(e_hold, KEY)),  # list expired
    ]
    index = PseudonymIndex.build(recs, key=KEY)
    r = index.check("13800138000", now=t + timedelta(hours=1))
    assert r.listed and r.action is Action.HOLD
    assert {m.list_id for m in r.matches} == {"a", "b"}
    reasons = {i.match.list_id: i.reason.value for i in r.ignored}
    assert reasons == {"c": "not_yet_valid", "d": "validity_ended", "e": "list_expired"}
    r2 = index.check("13800138000", now=t + timedelta(days=11))
    assert r2.action is Action.FREEZE


def test_wrong_key_is_a_typed_error_not_silent_misses(tmp_path: Path, kit: Any) -> None:
    out, sig = _publish(kit, tmp_path, [_entry("13800138000")])
    with pytest.raises(ConfigurationError) as e:
        verify_pseudonymised_list(out, sig, trust=kit.trust, key=OTHER, now=NOW)
    assert e.value.code == "pseudonym_key_mismatch"
    with verify_list(out, sig, trust=kit.trust, now=NOW, pseudonymised=True) as v:
        with pytest.raises(ConfigurationError) as e:
            PseudonymIndex.from_verified([v], key=OTHER)
        assert e.value.code == "pseudonym_key_mismatch"
        # Without the key check a wrong key gives no error, only misses: that is why
        # the manifest carries it.
        [p] = list(iter_pseudonymised_entries(v))
    blind = PseudonymIndex.build([(ISSUER, LIST_ID, None, p)], key=OTHER)
    assert not blind.check("13800138000", now=NOW).listed


# ------------------------------------------------------------------ tamper


def test_tampered_hmac_line_is_refused(tmp_path: Path, kit: Any) -> None:
    out, sig = _publish(kit, tmp_path, [_entry("13800138000"), _entry("13912345678")])
    data = bytearray(out.read_bytes())
    i = data.index(b'"hmac":"') + 8
    data[i] = ord("0") if data[i] != ord("0") else ord("1")
    out.write_bytes(bytes(data))
    with pytest.raises(HashMismatchError):
        verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW)


def test_tampered_manifest_domain_is_refused(tmp_path: Path, kit: Any) -> None:
    out, sig = _publish(kit, tmp_path, [_entry("13800138000")])
    env = json.loads(sig.read_bytes())
    payload = b64url_decode(env["payload"])
    forged = payload.replace(b'"domain":"cn-banks-2026"', b'"domain":"cn-other-2026"')
    assert forged != payload
    env["payload"] = b64url_encode(forged)
    sig.write_text(json.dumps(env))
    with pytest.raises(SignatureError):
        verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW)


def test_scope_applies_to_pseudonymised_lists(tmp_path: Path, kit: Any) -> None:
    plain = tmp_path / "p.jsonl"
    write_entries(plain, [_entry("13800138000", action="freeze")])
    out = tmp_path / "o.jsonl"
    convert_entries_file(plain, out, KEY, protected=NO_PROTECTED)
    with pytest.raises(ScopeError) as e:
        sign_list(
            out,
            signers=[kit.signer],
            issuer=ISSUER,
            list_id=LIST_ID,
            list_type=LIST_TYPE,
            version=1,
            issued_at=ISSUED,
            expires=EXPIRES,
            trust=kit.trust,
            pseudonym=KEY.pseudonym,
        )
    assert e.value.field == "action"


# ------------------------------------------------------------- fail closed


def test_plain_verifier_refuses_a_pseudonymised_list(tmp_path: Path, kit: Any) -> None:
    out, sig = _publish(kit, tmp_path, [_entry("13800138000")])
    for check_lines in (True, False):
        with pytest.raises(BlacklistFormatError) as e:
            verify_list(out, sig, trust=kit.trust, now=NOW, check_lines=check_lines)
        assert e.value.code == "pseudonymised_list"
    report = verify_list_report(out, sig, trust=kit.trust, now=NOW)
    assert not report.ok and report.codes == ("pseudonymised_list",)
    with pytest.raises(BlacklistFormatError) as e:
        verify_manifest(sig.read_bytes(), trust=kit.trust, now=NOW)
    assert e.value.code == "pseudonymised_list"
    # Signing the pseudonymised file as a plain list is refused too.
    with pytest.raises(BlacklistFormatError) as e:
        sign_list(
            out,
            signers=[kit.signer],
            issuer=ISSUER,
            list_id=LIST_ID,
            list_type=LIST_TYPE,
            version=2,
            expires=EXPIRES,
            protected=NO_PROTECTED,
        )
    assert e.value.code == "invalid_entry"


def test_pseudonymised_verifier_refuses_a_plain_list(tmp_path: Path, kit: Any) -> None:
    path, sig = kit.snapshot(tmp_path, "plain", [phone_entry(1)], 1)
    with pytest.raises(BlacklistFormatError) as e:
        verify_pseudonymised_list(path, sig, trust=kit.trust, key=KEY, now=NOW)
    assert e.value.code == "not_pseudonymised"
    # And a plain file signed with a pseudonym member fails on its lines.
    with pytest.raises(BlacklistFormatError) as e:
        sign_list(
            path,
            signers=[kit.signer],
            issuer=ISSUER,
            list_id=LIST_ID,
            list_type=LIST_TYPE,
            version=2,
            expires=EXPIRES,
            pseudonym=KEY.pseudonym,
        )
    assert e.value.code == "invalid_entry"


def test_manifest_with_pseudonym_but_plain_lines_fails_verification(
    tmp_path: Path, kit: Any
) -> None:
    # A publisher bypassing sign_list's checks: the receiver still refuses line by line.
    from antifraud_common.exchange.entries import check_entries
    from antifraud_common.exchange.signing import make_manifest, sign_manifest

    path = tmp_path / "plain.jsonl"
    write_entries(path, [_entry("13800138000")])
    summary = check_entries(path, protected=NO_PROTECTED)
    m = make_manifest(
        summary,
        issuer=ISSUER,
        list_id=LIST_ID,
        list_type=LIST_TYPE,
        version=1,
        issued_at=ISSUED,
        expires=EXPIRES,
        pseudonym=KEY.pseudonym,
    )
    sig = tmp_path / "plain.jsonl.sig"
    sig.write_bytes(sign_manifest(m, [kit.signer]))
    with pytest.raises(BlacklistFormatError) as e:
        verify_list(path, sig, trust=kit.trust, now=NOW, pseudonymised=True)
    assert e.value.code == "invalid_entry"


def test_protected_identifier_detected_with_the_key(tmp_path: Path, kit: Any) -> None:
    from antifraud_common.protected import ProtectedList

    protected = ProtectedList.load_default()
    record = next(n for n in protected.numbers if n.kind.value == "phone")
    entry = Entry(
        kind="phone",
        value=record.value,
        reason="telecom_fraud",
        action="block",
        source=ISSUER,
        case_ref="P-1",
        confidence=90,
        tlp="amber",
        listed_at=ISSUED,
        valid_from=ISSUED,
    )
    plain = tmp_path / "p.jsonl"
    write_entries(plain, [entry])
    with pytest.raises(ProtectedIdentifierError):
        convert_entries_file(plain, tmp_path / "o.jsonl", KEY)
    # A publisher that skipped the check: receivers holding the key still catch it.
    out = tmp_path / "o.jsonl"
    convert_entries_file(plain, out, KEY, protected=NO_PROTECTED)
    sig = sign_list(
        out,
        signers=[kit.signer],
        issuer=ISSUER,
        list_id=LIST_ID,
        list_type=LIST_TYPE,
        version=1,
        issued_at=ISSUED,
        expires=EXPIRES,
        pseudonym=KEY.pseudonym,
    )
    with pytest.raises(ProtectedIdentifierError) as e:
        verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW)
    assert e.value.line == 1
    with verify_pseudonymised_list(out, sig, trust=kit.trust, now=NOW) as v:  # no key
        assert v.manifest.entry_count == 1


def test_not_pseudonymised_list_in_index(tmp_path: Path, kit: Any) -> None:
    path, sig = kit.snapshot(tmp_path, "plain", [phone_entry(1)], 1)
    with verify_list(path, sig, trust=kit.trust, now=NOW) as v:
        with pytest.raises(ConfigurationError) as e:
            PseudonymIndex.from_verified([v], key=KEY)
        assert e.value.code == "not_pseudonymised"
        with pytest.raises(ConfigurationError):
            list(iter_pseudonymised_entries(v))


def test_pseudonym_model_doc_example() -> None:
    p = Pseudonym(domain="d", key_id="k", key_check="0" * 64)
    assert Pseudonym.from_dict(p.to_dict()) == p


# ---------------------------------------------------------------------- CLI


@pytest.fixture
def cli_main(monkeypatch: pytest.MonkeyPatch) -> Any:
    from antifraud_common import cli

    if "_pseudo" not in cli._COMMAND_MODULES:
        monkeypatch.setattr(cli, "_COMMAND_MODULES", (*cli._COMMAND_MODULES, "_pseudo"))
    return cli.main


def test_cli_keygen_convert_sign_check_verify(
    tmp_path: Path, kit: Any, cli_main: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from antifraud_common.format.keys import save_private_key

    keyfile = tmp_path / "d.key"
    assert cli_main(["pseudo", "keygen", "--domain", "cn-banks-2026", "--out", str(keyfile)]) == 0
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    key = DomainKey.load(keyfile)
    assert key.key_check in capsys.readouterr().out
    assert cli_main(["pseudo", "keygen", "--domain", "x", "--out", str(keyfile)]) == 2

    plain = tmp_path / "plain.jsonl"
    write_entries(plain, [_entry("13800138000"), _entry("13912345678", action="watch")])
    out = tmp_path / "p.jsonl"
    assert (
        cli_main(["pseudo", "convert", str(plain), "--key", str(keyfile), "--out", str(out)]) == 0
    )
    assert b"13800138000" not in out.read_bytes()
    assert "3 pseudonymised entries" not in capsys.readouterr().out  # 2 entries

    pem = tmp_path / "mps.pem"
    save_private_key(pem, kit.signer.private_key, passphrase=None, allow_unencrypted=True)
    trust = kit.write_trust(tmp_path)
    args = ["pseudo", "sign", str(out), "--domain-key", str(keyfile), "--key", str(pem)]
    args += ["--issuer", ISSUER, "--list-id", LIST_ID, "--list-type", LIST_TYPE]
    args += ["--version", "1", "--expires", "7d", "--trust", str(trust), "--json"]
    assert cli_main(args) == 0
    signed = json.loads(capsys.readouterr().out)
    assert signed["manifest"]["pseudonym"]["key_check"] == key.key_check

    check = ["pseudo", "check", "--key", str(keyfile), "--list", str(out), "--json"]
    values = ["138 0013 8000", "+86 139 1234 5678", "１３８００１３８００１", "hello"]
    assert cli_main([*check, "--trust", str(trust), *values]) == 1  # one value is invalid
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is True
    listed = [(r["valid"], r["listed"], r["action"]) for r in doc["results"]]
    assert listed == [
        (True, True, "block"),
        (True, True, "watch"),
        (True, False, None),
        (False, False, None),
    ]
    assert cli_main([*check, "--trust", str(trust), "13800138000"]) == 1  # listed
    assert json.loads(capsys.readouterr().out)["results"][0]["listed"]
    # Without --trust: answers, but says it did not verify.
    assert cli_main([*check, "13800138000"]) == 1  # listed
    captured = capsys.readouterr()
    assert json.loads(captured.out)["verified"] is False
    assert "NOT verified" in captured.err

    # The plain verifier fails closed on the pseudonymised list.
    assert cli_main(["verify", str(out), "--trust", str(trust), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [p["code"] for p in report["problems"]] == ["pseudonymised_list"]

    # Another key of the same domain: a typed error, not silent misses.
    other = tmp_path / "other.key"
    DomainKey.generate(domain="cn-banks-2026").save(other)
    for extra in (["--trust", str(trust)], []):
        bad = ["pseudo", "check", "--key", str(other), "--list", str(out), "--json", *extra]
        assert cli_main([*bad, "13800138000"]) == 1
        assert json.loads(capsys.readouterr().out)["error"]["code"] == "pseudonym_key_mismatch"


def test_cli_check_refuses_tampered_list(
    tmp_path: Path, kit: Any, cli_main: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    keyfile = tmp_path / "d.key"
    KEY.save(keyfile)
    out, _sig = _publish(kit, tmp_path, [_entry("13800138000")])
    trust = kit.write_trust(tmp_path)
    out.write_bytes(out.read_bytes().replace(b'"case_ref":"A-1"', b'"case_ref":"A-2"'))
    args = ["pseudo", "check", "--key", str(keyfile), "--list", str(out), "--json"]
    assert cli_main([*args, "--trust", str(trust), "13800138000"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "hash_mismatch"


# ----------------------------------------------------------- vectors, schema

VECTOR_FILE = Path(__file__).parent / "vectors" / "pseudonym" / "hmac_sha256.json"


def test_vector_file() -> None:
    v = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    key = DomainKey(domain=v["domain"], key_id=v["key_id"], secret=bytes.fromhex(v["key_hex"]))
    assert key.key_check == v["key_check"]
    assert v["key_check_message"].encode() == KEY_CHECK_MESSAGE
    for case in v["cases"]:
        assert pseudonymise(key, case["kind"], case["value"]) == case["hmac"]
    # An unkeyed hash is a different, publicly computable value.
    assert hashlib.sha256(b"+8613800138000").hexdigest() == v["unkeyed_sha256_of_+8613800138000"]
    t = datetime.fromisoformat("2025-12-31T00:00:00+00:00")
    common = {"source": "mps", "listed_at": t, "valid_from": t}
    entries = [
        Entry.from_raw(
            kind="phone",
            value="+8613800138000",
            reason="telecom_fraud",
            action="block",
            case_ref="MPS-2026-0001",
            confidence=90,
            tlp="amber",
            **common,
        ),
        Entry.from_raw(
            kind="bank_card",
            value="6222021234567890128",
            reason="card_trafficking",
            action="hold",
            case_ref="MPS-2026-0002",
            confidence=80,
            tlp="red",
            **common,
        ),
    ]
    lines = [pseudonymised_line(p).decode().rstrip("\n") for p in pseudonymise_list(entries, key)]
    assert lines == v["lines"]


def test_pseudonymised_entry_schema_agrees() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from antifraud_common import schemas

    validator = jsonschema.Draft202012Validator(schemas.load("pseudonymised-entry"))
    jsonschema.Draft202012Validator.check_schema(schemas.load("pseudonymised-entry"))
    v = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
    for line in v["lines"]:
        doc = json.loads(line)
        assert validator.is_valid(doc)
        assert not validator.is_valid({**doc, "value": "+8613800138000"})
        assert not validator.is_valid({**doc, "hmac": doc["hmac"].upper()})
        assert not validator.is_valid({k: x for k, x in doc.items() if k != "hmac"})
        # The plain entry schema refuses a pseudonymised line.
        assert not jsonschema.Draft202012Validator(schemas.load("entry")).is_valid(doc)


def test_receiver_state_does_not_take_a_pseudonymised_list(tmp_path: Path, kit: Any) -> None:
    from antifraud_common.errors import AntifraudError
    from antifraud_common.exchange.state import ReceiverState

    out, sig = _publish(kit, tmp_path, [_entry("13800138000")])
    with (
        ReceiverState.open(tmp_path / "state") as state,
        verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW) as verified,
    ):
        with pytest.raises(AntifraudError) as e:
            state.accept(verified)
        assert e.value.code == "pseudonymised_list"
        assert state.get(ISSUER, LIST_ID) is None


# ------------------------------------------------------ fast path = exact path

_VECTOR_LINES = [
    line.encode() for line in json.loads(VECTOR_FILE.read_text(encoding="utf-8"))["lines"]
]
_SUBSTITUTIONS = [
    (b"2025-12-31", b"2025-02-30"),
    (b"2025-12-31T00:00:00Z", b"2025-12-31T24:00:00Z"),
    (
        b'"valid_from":"2025-12-31T00:00:00Z"',
        b'"valid_from":"2025-12-31T00:00:00Z","valid_until":"2025-12-30T00:00:00Z"',
    ),
    (
        b'"valid_from":"2025-12-31T00:00:00Z"',
        b'"valid_from":"2025-12-31T00:00:00Z","valid_until":"2026-01-30T00:00:00Z"',
    ),
    (b'"case_ref":"MPS', b'"case_ref":" MPS'),
    (b'"case_ref":"MPS', b'"case_ref":"\xe2\x80\xae'),
    (b'"case_ref":"MPS', b'"case_ref":"\xff'),
    (b'"confidence":90', b'"confidence":101'),
    (b'"confidence":90', b'"confidence":09'),
    (b'"hmac":"e', b'"hmac":"E'),
    (b'"kind":"phone"', b'"kind":"phones"'),
    (b'"tlp":"amber"', b'"tlp":"white"'),
    (b'"source":"mps"', b'"source":"MPS"'),
    (b"{", b"\xef\xbb\xbf{"),
]


def _exact_ok(line: bytes) -> bool:
    from antifraud_common.exchange.pseudonymised import _exact
    from antifraud_common.format.jsonl import DEFAULT_LIMITS, _check_line

    try:
        _check_line(line, 1, DEFAULT_LIMITS)
        _exact(line, 1)
    except BlacklistFormatError:
        return False
    return True


def _checker_ok(line: bytes) -> bool:
    import io

    return check_pseudonymised_entries(io.BytesIO(line + b"\n"), collect=True).ok


@pytest.mark.parametrize(("old", "new"), _SUBSTITUTIONS)
def test_fast_path_agrees_on_targeted_changes(old: bytes, new: bytes) -> None:
    for line in _VECTOR_LINES:
        changed = line.replace(old, new, 1)
        assert _checker_ok(changed) == _exact_ok(changed), changed


def test_fast_path_agrees_on_random_byte_changes() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=200, deadline=None)
    @given(
        st.sampled_from(_VECTOR_LINES),
        st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=3),
    )
    def check(line: bytes, edits: list[tuple[int, int]]) -> None:
        data = bytearray(line)
        for pos, byte in edits:
            data[pos % len(data)] = byte
        changed = bytes(data).replace(b"\n", b" ")
        assert _checker_ok(changed) == _exact_ok(changed)

    check()


def test_cli_check_without_signature_file_warns(
    tmp_path: Path, cli_main: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    keyfile = tmp_path / "d.key"
    KEY.save(keyfile)
    out = tmp_path / "bare.jsonl"
    write_pseudonymised(out, pseudonymise_list([_entry("13800138000")], KEY))
    args = ["pseudo", "check", "--key", str(keyfile), "--list", str(out), "--json"]
    assert cli_main([*args, "13800138000"]) == 1  # 1: the value is listed
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["verified"] is False and doc["error"]["code"] == "listed"
    assert doc["results"][0]["listed"] is True
    assert doc["results"][0]["matches"][0]["issuer"] == "unknown"
    assert "cannot be checked" in captured.err
    # A plain list given as the pseudonymised one: refused, typed.
    plain = tmp_path / "plain.jsonl"
    write_entries(plain, [_entry("13800138000")])
    assert (
        cli_main(["pseudo", "check", "--key", str(keyfile), "--list", str(plain), "--json", "1"])
        == 1
    )
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "invalid_entry"


def test_verify_options_hash_only_and_rollback(tmp_path: Path, kit: Any) -> None:
    from antifraud_common.errors import RollbackError

    out, sig = _publish(kit, tmp_path, [_entry("13800138000")], version=3)
    with verify_pseudonymised_list(
        out, sig, trust=kit.trust, key=KEY, now=NOW, check_lines=False
    ) as v:
        assert v.manifest.version == 3

    class Record:
        version = 4
        state_sha256 = "0" * 64

    class State:
        def get(self, issuer: str, list_id: str) -> Record:
            return Record()

    with pytest.raises(RollbackError):
        verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW, state=State())


def test_every_manifest_byte_and_sampled_entry_bytes_tampered(tmp_path: Path, kit: Any) -> None:
    import random

    from antifraud_common.errors import UntrustedBlacklistError

    out, sig = _publish(kit, tmp_path, [_entry("13800138000"), _entry("13912345678")])
    env = json.loads(sig.read_bytes())
    payload = b64url_decode(env["payload"])
    refused = 0
    for i in range(len(payload)):
        forged = bytearray(payload)
        forged[i] ^= 0x01
        env2 = {**env, "payload": b64url_encode(bytes(forged))}
        sig.write_text(json.dumps(env2))
        with pytest.raises((SignatureError, BlacklistFormatError)):
            verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW)
        refused += 1
    assert refused == len(payload) > 300
    sig.write_text(json.dumps(env))
    original = out.read_bytes()
    rng = random.Random(2026)
    for _ in range(200):
        data = bytearray(original)
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        out.write_bytes(bytes(data))
        with pytest.raises(UntrustedBlacklistError):
            verify_pseudonymised_list(out, sig, trust=kit.trust, key=KEY, now=NOW)


@pytest.mark.interop
def test_stock_jose_and_sha256_verify_a_pseudonymised_list(tmp_path: Path, kit: Any) -> None:
    # A receiver in another language: any JOSE library checks the signature, then one
    # SHA-256 of the entries file, then HMACs its own values with the domain key.
    joserfc = pytest.importorskip("joserfc")
    from joserfc import jwk
    from joserfc import jws as jose_jws

    assert joserfc
    out, sig = _publish(kit, tmp_path, [_entry("13800138000"), _entry("13912345678")])
    keyset = jwk.KeySet([jwk.OKPKey.import_key(kit.signer.public_key.to_jwk(include_kid=True))])
    obj = jose_jws.deserialize_json(json.loads(sig.read_bytes()), keyset, algorithms=["Ed25519"])
    manifest = json.loads(obj.payload)
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert (
        manifest["pseudonym"]["key_check"]
        == hmac.new(KEY.secret, b"antifraud key check v1", hashlib.sha256).hexdigest()
    )
    mine = hmac.new(KEY.secret, b"+8613800138000", hashlib.sha256).hexdigest()
    assert any(json.loads(line)["hmac"] == mine for line in out.read_bytes().splitlines())


def test_domain_key_save_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(src: object, dst: object) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("os.link", no_link)
    path = tmp_path / "d.key"
    KEY.save(path)
    assert DomainKey.load(path) == KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ConfigurationError) as e:
        KEY.save(path)
    assert e.value.code == "key_file_exists"
    assert [p.name for p in tmp_path.iterdir()] == ["d.key"]  # no temporary left behind
