"""Glue between the conformance protocol and the exchange layer (private).

Maps the protocol's ``verify`` and ``apply-delta`` commands onto
:mod:`antifraud_common.exchange`: the receiver state given on the command line
(``--state-version``, ``--state-sha256``) becomes a one-record in-memory state
store that answers for whatever list is being verified.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

__all__: list[str] = []


@attrs.frozen(kw_only=True)
class _Record:
    version: int
    state_sha256: str


@attrs.frozen(kw_only=True)
class _OneRecordState:
    """A state store holding one record, returned for any ``(issuer, list_id)``."""

    record: _Record | None

    def get(self, issuer: str, list_id: str) -> _Record | None:
        del issuer, list_id
        return self.record


@attrs.frozen(kw_only=True)
class Receiver:
    """The receiving side of every verification: its trust bundle, its time and its state."""

    bundle: Any
    now: datetime
    state_version: int | None
    state_sha256: str | None

    def state(self) -> _OneRecordState | None:
        """The receiver state as a store (none when no version was given)."""
        if self.state_version is None:
            return None
        return _OneRecordState(
            record=_Record(version=self.state_version, state_sha256=self.state_sha256 or "")
        )


def verify(
    *, entries: Path, sig: Path, receiver: Receiver, grace: timedelta | None
) -> dict[str, Any]:
    """Verify a signed list; return the extra members of the verdict line."""
    from antifraud_common.exchange.signing import verify_list

    with verify_list(
        entries, sig, trust=receiver.bundle, state=receiver.state(), now=receiver.now, grace=grace
    ) as verified:
        return {"grace_used": verified.grace_used, "unchanged": verified.unchanged}


def apply_delta(*, base: Path, delta: Path, sig: Path, receiver: Receiver) -> dict[str, Any]:
    """Verify and apply a delta to ``base``; return the result's hash and count.

    A snapshot manifest is refused (``not_a_delta``) right after the manifest
    checks. The delta is verified like a list (signature, scope, validity, and its base
    against the receiver state), its operations are checked against the
    publishing rule, then it is applied strictly to ``base`` and the result
    must reproduce the signed ``result_sha256`` and ``result_count``.
    """
    import tempfile

    from antifraud_common.errors import BlacklistFormatError, DeltaMismatchError
    from antifraud_common.exchange import delta as deltas
    from antifraud_common.exchange.entries import EntriesScope
    from antifraud_common.exchange.signing import read_signature_file, verify_list, verify_manifest

    # A snapshot manifest is refused once its signatures, manifest, scope, validity
    # and state are checked, before the file is read (docs/spec/deltas.md).
    trust, now = receiver.bundle, receiver.now
    head = verify_manifest(read_signature_file(sig), trust=trust, state=receiver.state(), now=now)
    if not head.manifest.is_delta:
        raise BlacklistFormatError("the manifest is not a delta's", code="not_a_delta")
    with verify_list(delta, sig, trust=trust, state=receiver.state(), now=now) as verified:
        manifest = verified.manifest
        if not manifest.is_delta:  # pragma: no cover - the same bytes were checked above
            raise BlacklistFormatError("the manifest is not a delta's", code="not_a_delta")
        deltas.check_delta(
            verified.open_verified(),
            scope=EntriesScope.from_rule(verified.verified.rule),
            allow_protected=manifest.allow_protected,
        )
        with tempfile.TemporaryDirectory(prefix="antifraud-delta-") as tmp:
            ops = Path(tmp) / "delta.jsonl"
            out = Path(tmp) / "result.jsonl"
            verified.save(ops)
            sha = deltas.apply_delta(
                base,
                ops,
                out,
                base_sha256=receiver.state_sha256,
                result_sha256=manifest.result_sha256,
            )
            count = out.read_bytes().count(b"\n")
    if count != manifest.result_count:
        raise DeltaMismatchError(
            f"the result has {count} entries, the manifest says {manifest.result_count}"
        )
    return {"sha256": sha, "count": count}


def verify_reference(
    *,
    list_type: str,
    entries: Path,
    sig: Path,
    base: Path | None,
    receiver: Receiver,
    grace: timedelta | None,
) -> dict[str, Any]:
    """Verify a signed reference list (a delta applied to ``base``); return its result."""
    from antifraud_common.exchange import reference

    verified = reference.verify_reference(
        entries,
        sig,
        trust=receiver.bundle,
        list_type=list_type,
        state=receiver.state(),
        base=None if base is None else base.read_bytes(),
        now=receiver.now,
        grace=grace,
    )
    return {
        "count": len(verified.records),
        "sha256": verified.state_sha256,
        "version": verified.manifest.version,
    }
