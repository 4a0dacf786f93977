"""Signing and verifying blacklist files: the manifest JWS and its checks, in a fixed order.

A list is published as two files: the entries file ``NAME.jsonl`` (see
:mod:`~antifraud_common.exchange.entries`) and ``NAME.jsonl.sig``, a JWS
(RFC 7515, General JSON Serialization; :mod:`antifraud_common.format.jws`)
whose attached payload is the canonical JSON (RFC 8785) of a
:class:`~antifraud_common.models.Manifest`, typed ``antifraud-manifest+json``.
The manifest binds the issuer, list, version, validity period and the exact
bytes of the entries file (length, SHA-256, line count).

:func:`verify_list` checks, in this order, with the clock read once
(``docs/spec/format.md`` "Verification algorithm"):

1. sizes and JWS syntax (:class:`~antifraud_common.errors.BlacklistFormatError`;
   a signature file repeating a ``kid`` is refused as malformed);
2. signatures, against the trust bundle's member keys by ``kid``
   (:class:`~antifraud_common.errors.SignatureError` if none verifies -- the
   payload is not parsed before that);
3. the manifest (canonical bytes, strict model; ``manifest_invalid``);
4. scope and threshold (:class:`~antifraud_common.errors.ScopeError`,
   :class:`~antifraud_common.errors.ThresholdError`);
5. validity period (:class:`~antifraud_common.errors.ExpiredError`; reported
   grace);
6. receiver state (:class:`~antifraud_common.errors.RollbackError`,
   :class:`~antifraud_common.errors.ForkError`,
   :class:`~antifraud_common.errors.DeltaBaseMismatchError`);
7. the entries file: length, then SHA-256 and line count while copying it to a
   private file (:class:`~antifraud_common.errors.HashMismatchError`), then
   every line of that private copy -- so no unauthenticated byte is parsed;
8. a :class:`VerifiedList` whose entries are read from the private copy.

A pseudonymised list (keyed hashes instead of values, a ``pseudonym`` member
in its manifest; :mod:`~antifraud_common.exchange.pseudonym`) is signed and
verified by the same functions: ``sign_list(..., pseudonym=...)`` and
``verify_list(..., pseudonymised=True)``. Without ``pseudonymised=True`` a
pseudonymised list is refused right after its manifest is authenticated
(``BlacklistFormatError`` ``pseudonymised_list``), and with it a plain list is
refused (``not_pseudonymised``), so neither can be mistaken for the other.

:func:`verify_list_report` runs the same checks and returns every problem
instead of raising.

>>> import tempfile, pathlib
>>> from datetime import datetime, UTC
>>> from antifraud_common.format.keys import LocalSigner
>>> from antifraud_common.exchange.trust import Member, PublishRule, create_trust_bundle
>>> mps, root = LocalSigner.generate(), LocalSigner.generate()
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> trust = create_trust_bundle(bundle_id="demo", root_keys=[root.public_key],
...     root_threshold=1, issued_at=t, expires=datetime(2027, 1, 1, tzinfo=UTC),
...     members=[Member(agency="mps", name="MPS", keys=[mps.public_key], publish=[
...         PublishRule(list_type="fraud_numbers", kinds=["phone"], actions=["block"])])])
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "l.jsonl").write_bytes(b"")
>>> sig = sign_list(d / "l.jsonl", signers=[mps], issuer="mps", list_id="demo",
...                 list_type="fraud_numbers", version=1, issued_at=t,
...                 expires=datetime(2026, 1, 8, tzinfo=UTC))
>>> with verify_list(d / "l.jsonl", sig, trust=trust, now=t) as v:
...     v.manifest.version, v.signers, list(v.iter_entries())
(1, ('mps',), [])
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final, Protocol, TypedDict

import attrs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from antifraud_common._clock import aware_utc, now_utc
from antifraud_common._files import open_input
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    ConfigurationError,
    HashMismatchError,
    ModelError,
    ScopeError,
    SignatureError,
)
from antifraud_common.exchange.entries import (
    DEFAULT_MAX_PROBLEMS,
    EntriesScope,
    EntriesSummary,
    ProblemCollector,
    ProtectedMatcher,
    check_entries,
    iter_verified_entries,
)
from antifraud_common.exchange.policy import (
    ISSUED_AT_TOLERANCE,
    check_validity,
    delta_verdict,
    publish_rule,
    snapshot_verdict,
    threshold_problem,
)
from antifraud_common.exchange.trust import PublishRule, TrustBundle
from antifraud_common.format import canonical, jws
from antifraud_common.format.jsonl import DEFAULT_LIMITS, Limits, write_atomic
from antifraud_common.format.keys import Signer
from antifraud_common.models import ContentType, Entry, Manifest, Pseudonym

__all__ = [
    "ISSUED_AT_TOLERANCE",
    "MANIFEST_TYP",
    "MAX_SIGNATURE_FILE_BYTES",
    "ListRelease",
    "SignOptions",
    "StateLike",
    "StateRecordLike",
    "VerificationReport",
    "VerifiedList",
    "VerifiedManifest",
    "co_sign",
    "make_manifest",
    "read_manifest",
    "sign_list",
    "sign_manifest",
    "verify_list",
    "verify_list_report",
    "verify_manifest",
]

#: The JWS ``typ`` of a list signature file.
MANIFEST_TYP: Final = "antifraud-manifest+json"
#: Largest accepted signature file.
MAX_SIGNATURE_FILE_BYTES: Final = 1024 * 1024
_CHUNK: Final = 1 << 20
_HASH_CHUNK: Final = 1 << 18


class StateRecordLike(Protocol):
    """What verification reads from a receiver's record of one list."""

    @property
    def version(self) -> int:
        """The last accepted version."""
        ...

    @property
    def state_sha256(self) -> str:
        """The SHA-256 of the last accepted snapshot (the state hash)."""
        ...


class StateLike(Protocol):
    """What verification needs from a receiver state store (see ``exchange.state``)."""

    def get(self, issuer: str, list_id: str) -> StateRecordLike | None:
        """Return the record of ``(issuer, list_id)``, or ``None`` if never accepted."""
        ...


# -------------------------------------------------------------------- signing


def make_manifest(
    summary: EntriesSummary,
    *,
    issuer: str,
    list_id: str,
    list_type: str,
    version: int,
    expires: datetime,
    issued_at: datetime | None = None,
    allow_protected: Iterable[tuple[str, str]] = (),
    pseudonym: Pseudonym | None = None,
) -> Manifest:
    """Return the snapshot manifest describing the file ``summary`` was computed from."""
    issued = aware_utc(issued_at, field="issued_at") if issued_at is not None else datetime.now(UTC)
    return Manifest(
        content=ContentType.SNAPSHOT,
        issuer=issuer,
        list_id=list_id,
        list_type=list_type,
        version=version,
        issued_at=issued,
        expires=aware_utc(expires, field="expires"),
        entry_count=summary.entry_count,
        byte_length=summary.byte_length,
        sha256=summary.sha256,
        allow_protected=tuple(sorted(set(allow_protected))),
        pseudonym=pseudonym,
    )


def sign_manifest(manifest: Manifest, signers: Sequence[Signer]) -> bytes:
    """Return the signature-file bytes: a JWS over the canonical manifest by every signer.

    The low-level entry point (delta publishing builds its own manifest).
    """
    return jws.sign(canonical.dumps(manifest.to_dict()), signers, typ=MANIFEST_TYP)


@attrs.frozen(kw_only=True)
class ListRelease:
    """What a signature publishes: which list, which version, valid until when.

    These become the manifest's ``issuer``, ``list_id``, ``list_type``,
    ``version``, ``issued_at`` (None: now) and ``expires``
    (:func:`make_manifest` checks them).
    """

    issuer: str
    list_id: str
    list_type: str
    version: int
    expires: datetime
    issued_at: datetime | None = None


@attrs.frozen(kw_only=True)
class SignOptions:
    """How :func:`sign_list` checks the file and what else it writes (all optional).

    ``out``: the signature file (default ``ENTRIES.sig``). ``allow_protected``:
    ``(kind, value)`` pairs of protected identifiers the list may hold.
    ``trust``: check the issuer's publish scope in this bundle. ``protected``:
    the protected-identifier matcher (default: the packaged list). ``limits``:
    size limits of the check. ``minisign_key``: also write a minisign sidecar.
    ``pseudonym``: the file is a pseudonymised list under this domain key.
    ``progress(bytes_checked)``: called while the entries file is checked.
    """

    out: str | os.PathLike[str] | None = None
    allow_protected: Iterable[tuple[str, str]] = ()
    trust: TrustBundle | None = None
    protected: ProtectedMatcher | None = None
    limits: Limits | None = None
    minisign_key: Ed25519PrivateKey | None = None
    pseudonym: Pseudonym | None = None
    progress: Callable[[int], None] | None = None


_RELEASE_FIELDS: Final = frozenset(a.name for a in attrs.fields(ListRelease))
_OPTION_FIELDS: Final = frozenset(a.name for a in attrs.fields(SignOptions))


def _signing_arguments(
    what: str, release: ListRelease | None, options: SignOptions | None, named: dict[str, Any]
) -> tuple[ListRelease, SignOptions]:
    """The release and options of a call, from the objects or from the keyword form."""
    unknown = sorted(set(named) - _RELEASE_FIELDS - _OPTION_FIELDS)
    if unknown:
        raise TypeError(f"{what}() got an unexpected keyword argument {unknown[0]!r}")
    fields = {k: v for k, v in named.items() if k in _RELEASE_FIELDS}
    if release is None:
        release = ListRelease(**fields)
    elif fields:
        raise TypeError(f"{what}() takes the release either as release= or as keywords, not both")
    chosen = {k: v for k, v in named.items() if k in _OPTION_FIELDS}
    return release, attrs.evolve(options or SignOptions(), **chosen)


def sign_list(
    entries_path: str | os.PathLike[str],
    release: ListRelease | None = None,
    *,
    signers: Sequence[Signer],
    options: SignOptions | None = None,
    **named: Any,
) -> Path:
    """Check the entries file, write ``NAME.jsonl.sig`` (or ``options.out``) and return its path.

    ``release`` (:class:`ListRelease`) says what is published and ``options``
    (:class:`SignOptions`) how; the fields of both may instead be given as
    keywords (``issuer=..., version=..., out=...``), the form of earlier
    releases, which stays supported. An unknown keyword is a :class:`TypeError`.

    The file is checked exactly as a receiver will check it (canonical,
    sorted, valid, protected identifiers only if in ``allow_protected``; with
    ``trust``, also the issuer's scope), so a publisher cannot sign a list every
    receiver refuses. The first problem is raised. The signature file is
    written atomically. With ``minisign_key`` (Ed25519), a minisign sidecar
    ``NAME.jsonl.minisig`` is written too, its trusted comment binding issuer,
    list, version, expiry and SHA-256 (:mod:`antifraud_common.minisign`).

    With ``pseudonym`` (the domain key's
    :attr:`~antifraud_common.exchange.pseudonym.DomainKey.pseudonym`), the file
    is a pseudonymised list: it is checked by
    :func:`~antifraud_common.exchange.pseudonym.check_pseudonymised_entries`
    (protected identifiers were checked when it was converted) and the
    manifest names the domain key.
    """
    rel, opts = _signing_arguments("sign_list", release, options, named)
    return sign_list_with_manifest(entries_path, rel, signers=signers, options=opts)[0]


def sign_list_with_manifest(
    entries_path: str | os.PathLike[str],
    release: ListRelease | None = None,
    *,
    signers: Sequence[Signer],
    options: SignOptions | None = None,
    **named: Any,
) -> tuple[Path, Manifest]:
    """:func:`sign_list`, also returning the manifest signed (the output may be a stream).

    ``options.progress(bytes_checked)`` is called while the entries file is checked.
    """
    rel, opts = _signing_arguments("sign_list_with_manifest", release, options, named)
    allow_protected, trust, limits = opts.allow_protected, opts.trust, opts.limits
    protected, pseudonym, progress = opts.protected, opts.pseudonym, opts.progress
    issuer, list_type = rel.issuer, rel.list_type
    allow = tuple(sorted(set(allow_protected)))
    scope = None
    if trust is not None:
        scope = EntriesScope.from_rule(publish_rule(trust, issuer, list_type))
    if pseudonym is not None:
        from antifraud_common.exchange.pseudonymised import check_pseudonymised_entries

        summary = check_pseudonymised_entries(
            entries_path, scope=scope, limits=limits, progress=progress
        )
    else:
        summary = check_entries(
            entries_path,
            scope=scope,
            protected=protected,
            allow_protected=allow,
            limits=limits,
            progress=progress,
        )
    manifest = make_manifest(
        summary,
        issuer=issuer,
        list_id=rel.list_id,
        list_type=list_type,
        version=rel.version,
        expires=rel.expires,
        issued_at=rel.issued_at,
        allow_protected=allow,
        pseudonym=pseudonym,
    )
    out, minisign_key = opts.out, opts.minisign_key
    target = Path(out) if out is not None else Path(f"{os.fspath(entries_path)}.sig")
    write_atomic(target, sign_manifest(manifest, signers))
    if minisign_key is not None:
        from antifraud_common import minisign

        sidecar = minisign.sign(
            entries_path,
            minisign_key,
            trusted_comment=minisign.trusted_comment_for_manifest(manifest),
        )
        write_atomic(Path(f"{os.fspath(entries_path)}.minisig"), sidecar)
    return target, manifest


def co_sign(
    sig_path: str | os.PathLike[str],
    signer: Signer,
    *,
    out: str | os.PathLike[str] | None = None,
) -> Path:
    """Add ``signer``'s signature to a signature file (atomically) and return its path.

    The co-signer should first check the list (:func:`verify_list_report`); a
    key that already signed is refused (``jws_duplicate_kid``).
    """
    data = read_signature_file(sig_path)
    target = Path(out) if out is not None else Path(sig_path)
    write_atomic(target, jws.add_signature(data, signer, typ=MANIFEST_TYP))
    return target


# ------------------------------------------------------------------ verifying


@attrs.frozen(kw_only=True)
class VerifiedManifest:
    """A manifest that passed steps 1-6 (signatures, scope, expiry, state)."""

    manifest: Manifest
    rule: PublishRule
    #: Thumbprints of the member keys whose signatures verified (sorted).
    signer_kids: tuple[str, ...]
    #: Agencies owning those keys (sorted, distinct).
    signers: tuple[str, ...]
    grace_used: bool = False
    #: The receiver already holds exactly this version (not an error).
    unchanged: bool = False
    warnings: tuple[str, ...] = ()
    #: The clock used for every check.
    checked_at: datetime

    @property
    def state_sha256(self) -> str:
        """The state hash after accepting: the snapshot's hash, or a delta's result hash."""
        m = self.manifest
        return m.result_sha256 if m.is_delta and m.result_sha256 else m.sha256


def read_signature_file(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    try:
        with open_input(p) as f:
            data = f.read(MAX_SIGNATURE_FILE_BYTES + 1)
    except OSError as e:
        raise BlacklistFormatError(
            f"cannot read signature file {p.name}: {e.strerror}", code="sig_unreadable"
        ) from e
    if len(data) > MAX_SIGNATURE_FILE_BYTES:
        raise BlacklistFormatError("the signature file is larger than 1 MiB", code="jws_too_large")
    return data


def read_manifest(sig_bytes: bytes) -> Manifest:
    """Parse the manifest of a signature file WITHOUT verifying anything (for ``inspect``)."""
    parsed = jws.parse(sig_bytes, max_bytes=MAX_SIGNATURE_FILE_BYTES, typ=MANIFEST_TYP)
    return _manifest(parsed.payload)


def _manifest(payload: bytes) -> Manifest:
    try:
        value = canonical.check_canonical(payload, max_bytes=MAX_SIGNATURE_FILE_BYTES)
    except BlacklistFormatError as e:
        code = "manifest_not_canonical" if e.code == "json_not_canonical" else "manifest_invalid"
        raise BlacklistFormatError(f"bad manifest: {e.message}", code=code) from e
    try:
        return Manifest.from_dict(value)
    except ModelError as e:
        raise BlacklistFormatError(
            f"bad manifest: {e.message} ({e.code})", code="manifest_invalid", field=e.field
        ) from e


def _form_problem(manifest: Manifest) -> BlacklistFormatError:
    if manifest.pseudonym is not None:
        return BlacklistFormatError(
            f"{manifest.issuer}/{manifest.list_id} is a pseudonymised list (domain "
            f"{manifest.pseudonym.domain!r}); verify it with pseudonymised=True "
            "(exchange.pseudonym)",
            code="pseudonymised_list",
            field="pseudonym",
        )
    return BlacklistFormatError(
        f"{manifest.issuer}/{manifest.list_id} is a plain list, not a pseudonymised one",
        code="not_pseudonymised",
        field="pseudonym",
    )


def _parse_envelope(sig_bytes: bytes, problems: ProblemCollector) -> jws.ParsedJWS | None:
    """Step 1 of :func:`_verify_manifest`: the signature file's size and JWS syntax."""
    if len(sig_bytes) > MAX_SIGNATURE_FILE_BYTES:
        problems.add(
            BlacklistFormatError("the signature file is larger than 1 MiB", code="jws_too_large")
        )
        return None
    try:
        parsed = jws.parse(sig_bytes, max_bytes=MAX_SIGNATURE_FILE_BYTES, typ=MANIFEST_TYP)
    except BlacklistFormatError as e:
        problems.add(e)
        return None
    if parsed.duplicate_kids:
        problems.add(
            BlacklistFormatError(
                "a key signed more than once (repeated kid)", code="jws_duplicate_kid"
            )
        )
        return None
    return parsed


def _verify_manifest(
    sig_bytes: bytes,
    *,
    trust: TrustBundle,
    state: StateLike | None,
    now: datetime,
    grace: timedelta | None,
    problems: ProblemCollector,
    pseudonymised: bool = False,
) -> VerifiedManifest | None:
    # 1. sizes and syntax.
    parsed = _parse_envelope(sig_bytes, problems)
    if parsed is None:
        return None
    # 2. signatures, by member keys only; nothing in the payload is read before.
    result = jws.verify_signatures(parsed, trust.member_keys())
    valid = sorted(result.valid_kids)
    if not valid:
        problems.add(SignatureError("no signature verifies with a member key of the bundle"))
        return None
    # 3. the manifest.
    try:
        manifest = _manifest(parsed.payload)
    except BlacklistFormatError as e:
        problems.add(e)
        return None
    # 3b. the form the caller expects: fail closed on a pseudonymised list given to a
    # plain verifier (its lines are not identifiers) and the other way round.
    if (manifest.pseudonym is not None) != pseudonymised:
        problems.add(_form_problem(manifest))
        return None
    # 4. scope and threshold.
    try:
        rule = publish_rule(trust, manifest.issuer, manifest.list_type)
    except ScopeError as e:
        problems.add(e)
        return None
    owners = {kid: trust.key_owner(kid) for kid in valid}
    short = threshold_problem(rule, valid, owners)
    if short is not None:
        problems.add(short)
    warnings: list[str] = []
    if result.unknown_kids:
        warnings.append(f"{len(result.unknown_kids)} signature(s) by keys not in the bundle")
    if result.invalid_kids:
        warnings.append(f"{len(result.invalid_kids)} member signature(s) did not verify")
    # 5. validity period.
    validity = check_validity(
        issued_at=manifest.issued_at, expires=manifest.expires, now=now, grace=grace
    )
    warnings.extend(validity.warnings)
    for problem in validity.problems:
        problems.add(problem)
    # 6. receiver state.
    unchanged = False
    last = state.get(manifest.issuer, manifest.list_id) if state is not None else None
    verdict = None
    if manifest.is_delta and state is not None:
        verdict = delta_verdict(manifest, last)
    elif last is not None:
        verdict = snapshot_verdict(manifest, last)
    if verdict is not None:
        if verdict.problem is not None:
            problems.add(verdict.problem)
        unchanged = verdict.unchanged
    return VerifiedManifest(
        manifest=manifest,
        rule=rule,
        signer_kids=tuple(valid),
        signers=tuple(sorted({o for o in owners.values() if o is not None})),
        grace_used=validity.grace_used,
        unchanged=unchanged,
        warnings=tuple(warnings),
        checked_at=now,
    )


def verify_manifest(
    sig_bytes: bytes,
    *,
    trust: TrustBundle,
    state: StateLike | None = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
    pseudonymised: bool = False,
) -> VerifiedManifest:
    """Run steps 1-6 on signature-file bytes (no entries file); raise the first problem.

    For callers that check the content themselves (the delta module). A
    pseudonymised manifest is refused unless ``pseudonymised=True`` (and a plain
    one if it is).
    """
    vm = _verify_manifest(
        sig_bytes,
        trust=trust,
        state=state,
        now=now_utc(now),
        grace=grace,
        problems=ProblemCollector(collect=False),
        pseudonymised=pseudonymised,
    )
    assert vm is not None
    return vm


class _Outcome(Protocol):
    """What every verification result tells besides its data (lists, reports, references)."""

    @property
    def signers(self) -> tuple[str, ...]: ...
    @property
    def signer_kids(self) -> tuple[str, ...]: ...
    @property
    def grace_used(self) -> bool: ...
    @property
    def unchanged(self) -> bool: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...


def outcome_fields(outcome: _Outcome) -> dict[str, Any]:
    """The JSON members every verification result shares, in their order: ``signers``,
    ``signer_kids``, ``grace_used``, ``unchanged``, ``warnings``."""
    return {
        "signers": list(outcome.signers),
        "signer_kids": list(outcome.signer_kids),
        "grace_used": outcome.grace_used,
        "unchanged": outcome.unchanged,
        "warnings": list(outcome.warnings),
    }


class _OutcomeArgs(TypedDict):
    signers: tuple[str, ...]
    signer_kids: tuple[str, ...]
    grace_used: bool
    unchanged: bool
    warnings: tuple[str, ...]


def outcome_of(vm: VerifiedManifest) -> _OutcomeArgs:
    """What steps 1-6 tell a verification result besides its data, as keywords of its
    constructor (the members :func:`outcome_fields` writes)."""
    return _OutcomeArgs(
        signers=vm.signers,
        signer_kids=vm.signer_kids,
        grace_used=vm.grace_used,
        unchanged=vm.unchanged,
        warnings=vm.warnings,
    )


class VerifiedList:
    """A list that passed every check, with safe access to its verified bytes.

    The bytes were copied to a private, unnamed temporary file during the single
    read of the entries file, so :meth:`iter_entries` reads exactly what was
    verified even if the original file changes afterwards. Close it (or use it as
    a context manager) to release the copy. A list verified with
    ``check_lines=False`` (hash only) has no copy.
    """

    __slots__ = ("_copy", "verified")

    def __init__(self, verified: VerifiedManifest, copy: BinaryIO | None) -> None:
        self.verified = verified
        self._copy = copy

    @property
    def manifest(self) -> Manifest:
        """The verified manifest."""
        return self.verified.manifest

    @property
    def state_sha256(self) -> str:
        """The state hash to record after accepting this list."""
        return self.verified.state_sha256

    @property
    def signer_kids(self) -> tuple[str, ...]:
        """Thumbprints of the member keys whose signatures verified."""
        return self.verified.signer_kids

    @property
    def signers(self) -> tuple[str, ...]:
        """Agencies whose keys signed."""
        return self.verified.signers

    @property
    def grace_used(self) -> bool:
        """Whether the list had expired and was accepted in grace mode."""
        return self.verified.grace_used

    @property
    def unchanged(self) -> bool:
        """Whether the receiver already holds exactly this version."""
        return self.verified.unchanged

    @property
    def warnings(self) -> tuple[str, ...]:
        """Things worth reporting that are not failures."""
        return self.verified.warnings

    def _stream(self) -> BinaryIO:
        if self._copy is None or self._copy.closed:
            raise ConfigurationError(
                "no verified copy: verified with check_lines=False, or closed",
                code="no_verified_copy",
            )
        self._copy.seek(0)
        return self._copy

    def open_verified(self) -> BinaryIO:
        """Return the private copy, rewound (for the delta module); do not close it."""
        return self._stream()

    def iter_entries(self) -> Iterator[Entry]:
        """Yield the verified entries in file order (snapshots only)."""
        if self.manifest.is_delta:
            raise ConfigurationError("a delta holds operations, not entries", code="not_a_snapshot")
        if self.manifest.pseudonym is not None:
            raise ConfigurationError(
                "a pseudonymised list holds keyed hashes: use "
                "exchange.pseudonym.iter_pseudonymised_entries",
                code="pseudonymised_list",
            )
        return iter_verified_entries(self._stream())

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the verified bytes to ``path`` atomically (e.g. into a receiver's store)."""
        stream = self._stream()
        target = Path(path)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        h = hashlib.sha256()
        with tmp.open("wb") as f:
            while chunk := stream.read(_CHUNK):
                h.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if h.hexdigest() != self.manifest.sha256:  # pragma: no cover - private copy damaged
            tmp.unlink()
            raise HashMismatchError("the private copy changed", code="hash_mismatch")
        tmp.replace(target)

    def close(self) -> None:
        """Release the private copy."""
        if self._copy is not None:
            self._copy.close()

    def __enter__(self) -> VerifiedList:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape used by the CLI."""
        return {
            "manifest": self.manifest.to_dict(),
            "state_sha256": self.state_sha256,
            **outcome_fields(self),
        }

    def __repr__(self) -> str:
        m = self.manifest
        return (
            f"VerifiedList(issuer={m.issuer!r}, list_id={m.list_id!r}, version={m.version}, "
            f"entry_count={m.entry_count}, signers={self.signers!r})"
        )


def _read_matches(
    manifest: Manifest,
    problems: ProblemCollector,
    *,
    size: int,
    total: int,
    digest: Any,
    lines: int,
    counted: bool,
) -> bool:
    """Step 7b's verdict: what :func:`_hash_copy` read matches the manifest's length, hash
    and (when the lines were counted) entry count."""
    ok = size == manifest.byte_length
    if not ok:
        pass
    elif total != manifest.byte_length:
        problems.add(
            HashMismatchError(
                f"read {total} bytes, the manifest says {manifest.byte_length}",
                code="length_mismatch",
            )
        )
        ok = False
    elif digest.hexdigest() != manifest.sha256:
        problems.add(HashMismatchError("the entries file's SHA-256 does not match the manifest"))
        ok = False
    elif counted and lines != manifest.entry_count:
        problems.add(
            HashMismatchError(
                f"the entries file has {lines} lines, the manifest says {manifest.entry_count}",
                code="count_mismatch",
            )
        )
        ok = False
    return ok


def _hash_copy(
    entries_path: str | os.PathLike[str],
    manifest: Manifest,
    copy: BinaryIO | None,
    problems: ProblemCollector,
    limits: Limits,
    *,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """Step 7a-b: length, then SHA-256 (and, with a copy, the line count) while copying.

    True if all match. Without a copy (hash-only verification) the line count is
    not read: the hash already pins every byte, and the count is the publisher's
    own statement about lines nobody reads here; full verification checks it.
    """
    p = Path(entries_path)
    try:
        f = open_input(p, buffering=0)
    except OSError as e:
        problems.add(
            BlacklistFormatError(
                f"cannot read entries file {p.name}: {e.strerror}", code="entries_unreadable"
            )
        )
        return False
    with f:
        size = os.fstat(f.fileno()).st_size
        if size > limits.max_total_bytes:
            problems.add(
                BlacklistFormatError(
                    f"entries file larger than {limits.max_total_bytes} bytes",
                    code="jsonl_too_large",
                )
            )
            return False
        cap = manifest.byte_length
        if size != manifest.byte_length:
            problems.add(
                HashMismatchError(
                    f"the entries file has {size} bytes, the manifest says {manifest.byte_length}",
                    code="length_mismatch",
                )
            )
            if not problems.collect:
                return False
            # Report mode: still read the lines, to report their problems too, but no
            # further than the manifest's length (a file larger than it says costs no
            # more than the declared one) and without hashing (the verdict is known).
            cap = min(size, manifest.byte_length)
        mismatch = size != manifest.byte_length
        h = hashlib.sha256()
        total = lines = 0
        last_lf = -1  # offset of the last line feed read (to drop a cut last line)
        # One reused buffer the size hashlib.file_digest uses: no allocation per chunk, and
        # the chunk stays in cache between the hash, the LF count and the copy.
        buf = bytearray(_HASH_CHUNK)
        view = memoryview(buf)
        # One byte past the cap shows a file that grew while it was read.
        limit = cap if mismatch else cap + 1
        while total < limit and (n := f.readinto(view[: min(_HASH_CHUNK, limit - total)])):
            total += n
            if total > cap:
                problems.add(
                    HashMismatchError("the entries file grew while reading", code="length_mismatch")
                )
                return False
            data = view[:n]
            if not mismatch:
                h.update(data)
            if copy is not None:
                # The line count is checked with the lines (it would cost a third more
                # than the hash alone in a hash-only verification, which reads no line).
                lines += buf.count(b"\n", 0, n)
                copy.write(data)
                if mismatch and (at := buf.rfind(b"\n", 0, n)) >= 0:
                    last_lf = total - n + at
            if progress is not None:
                progress(total)
        if copy is not None and size > cap:
            copy.truncate(last_lf + 1)  # the line cut at the cap is not reported on
            copy.seek(last_lf + 1)
    return _read_matches(manifest, problems, size=size, total=total, digest=h, lines=lines,
                         counted=copy is not None)  # fmt: skip


@attrs.frozen(kw_only=True)
class _Run:
    """One verification's settings, as :func:`verify_list` and the report take them."""

    trust: TrustBundle
    state: StateLike | None
    now: datetime | None
    grace: timedelta | None
    protected: ProtectedMatcher | None
    limits: Limits | None
    check_lines: bool
    max_problems: int
    tmp_dir: str | os.PathLike[str] | None
    progress: Callable[[str, int, int], None] | None
    pseudonymised: bool


def _check_copy(
    copy: BinaryIO,
    vm: VerifiedManifest,
    run: _Run,
    limits: Limits,
    *,
    collect: bool,
    progress: Callable[[int], None] | None,
) -> EntriesSummary:
    """Step 7c: every line of the private copy, by the checker of the list's line form."""
    scope = EntriesScope.from_rule(vm.rule)
    if vm.manifest.pseudonym is not None:
        from antifraud_common.exchange.pseudonymised import check_pseudonymised_entries

        return check_pseudonymised_entries(
            copy,
            scope=scope,
            limits=limits,
            collect=collect,
            max_problems=run.max_problems,
            progress=progress,
        )
    return check_entries(
        copy,
        scope=scope,
        protected=run.protected,
        allow_protected=vm.manifest.allow_protected,
        limits=limits,
        collect=collect,
        max_problems=run.max_problems,
        progress=progress,
    )


def _verify(
    entries_path: str | os.PathLike[str],
    sig_path: str | os.PathLike[str] | bytes,
    run: _Run,
    problems: ProblemCollector,
) -> tuple[VerifiedManifest | None, BinaryIO | None, EntriesSummary | None]:
    trust, state, grace, progress = run.trust, run.state, run.grace, run.progress
    moment = now_utc(run.now)  # the clock, read once
    lim = run.limits or DEFAULT_LIMITS
    try:
        sig_bytes = sig_path if isinstance(sig_path, bytes) else read_signature_file(sig_path)
    except BlacklistFormatError as e:
        problems.add(e)
        return None, None, None
    vm = _verify_manifest(
        sig_bytes,
        trust=trust,
        state=state,
        now=moment,
        grace=grace,
        problems=problems,
        pseudonymised=run.pseudonymised,
    )
    if vm is None:
        return None, None, None
    manifest = vm.manifest
    copy: BinaryIO | None = tempfile.TemporaryFile(dir=run.tmp_dir) if run.check_lines else None  # noqa: SIM115
    summary = None
    try:
        total = manifest.byte_length
        hashed = _hash_copy(
            entries_path,
            manifest,
            copy,
            problems,
            lim,
            progress=None if progress is None else (lambda n: progress("hash", n, total)),
        )
        # A plain delta's operations are checked when it is applied (exchange.delta).
        lines = manifest.pseudonym is not None or not manifest.is_delta
        if copy is not None and (hashed or problems.collect) and lines:
            copy.flush()
            copy.seek(0)
            summary = _check_copy(
                copy,
                vm,
                run,
                lim,
                collect=problems.collect,
                progress=None if progress is None else (lambda n: progress("check", n, total)),
            )
            problems.problems.extend(summary.problems)
    except BaseException:
        if copy is not None:
            copy.close()
        raise
    return vm, copy, summary


def verify_list(
    entries_path: str | os.PathLike[str],
    sig_path: str | os.PathLike[str] | bytes,
    *,
    trust: TrustBundle,
    state: StateLike | None = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
    protected: ProtectedMatcher | None = None,
    limits: Limits | None = None,
    check_lines: bool = True,
    tmp_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    pseudonymised: bool = False,
) -> VerifiedList:
    """Verify a signed list in the documented order and return it; raise the first problem.

    ``trust`` must already be trusted (:func:`~antifraud_common.exchange.trust.load_trust`).
    ``state`` (a receiver state store) enables rollback, fork and delta-base
    checks. ``grace`` accepts an expired list for that long after ``expires``
    (reported in :attr:`VerifiedList.grace_used`). ``protected=None`` uses the
    packaged protected-identifier list. ``check_lines=False`` stops after the
    length and hash (fast; no entries access, no line count). A delta's operations
    are checked when it is applied (``exchange.delta``), not here.
    ``progress(phase, done_bytes, total_bytes)`` is called while reading.
    ``pseudonymised=True`` verifies a pseudonymised list (and refuses a plain
    one); by default a pseudonymised list is refused (``pseudonymised_list``).
    """
    run = _Run(trust=trust, state=state, now=now, grace=grace, protected=protected,
               limits=limits, check_lines=check_lines, max_problems=DEFAULT_MAX_PROBLEMS,
               tmp_dir=tmp_dir, progress=progress, pseudonymised=pseudonymised)  # fmt: skip
    vm, copy, _ = _verify(entries_path, sig_path, run, ProblemCollector(collect=False))
    assert vm is not None
    return VerifiedList(vm, copy)


@attrs.frozen(kw_only=True)
class VerificationReport:
    """Every problem verification found (capped), never raised."""

    problems: tuple[AntifraudError, ...]
    manifest: Manifest | None = None
    signers: tuple[str, ...] = ()
    signer_kids: tuple[str, ...] = ()
    grace_used: bool = False
    unchanged: bool = False
    warnings: tuple[str, ...] = ()
    entries: EntriesSummary | None = None

    @property
    def ok(self) -> bool:
        """Whether the list passed every check."""
        return not self.problems and (self.entries is None or self.entries.ok)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the problems, in order."""
        return tuple(p.code for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape used by the CLI."""
        return {
            "ok": self.ok,
            "manifest": None if self.manifest is None else self.manifest.to_dict(),
            **outcome_fields(self),
            "problem_count": len(self.problems)
            + (
                0
                if self.entries is None
                else self.entries.problem_count - len(self.entries.problems)
            ),
            "problems": [p.to_dict() for p in self.problems],
        }


def verify_list_report(
    entries_path: str | os.PathLike[str],
    sig_path: str | os.PathLike[str] | bytes,
    *,
    trust: TrustBundle,
    state: StateLike | None = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
    protected: ProtectedMatcher | None = None,
    limits: Limits | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    tmp_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    pseudonymised: bool = False,
) -> VerificationReport:
    """Run :func:`verify_list`'s checks and return every problem found (per line too).

    Checks that cannot run without an earlier one (nothing after an unparsable
    or unsigned signature file) are skipped. Line problems are capped at
    ``max_problems``.
    """
    problems = ProblemCollector(collect=True)
    run = _Run(trust=trust, state=state, now=now, grace=grace, protected=protected,
               limits=limits, check_lines=True, max_problems=max_problems,
               tmp_dir=tmp_dir, progress=progress, pseudonymised=pseudonymised)  # fmt: skip
    vm, copy, summary = _verify(entries_path, sig_path, run, problems)
    if copy is not None:
        copy.close()
    if vm is None:
        return VerificationReport(problems=tuple(problems.problems))
    return VerificationReport(
        problems=tuple(problems.problems), manifest=vm.manifest, entries=summary, **outcome_of(vm)
    )
