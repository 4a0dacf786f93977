"""The trust decisions about a manifest, as pure functions: no I/O, no clock, no state store.

Which signed list may be accepted is decided here, once, for every caller:
verification (:mod:`~antifraud_common.exchange.signing`, steps 4-6 of
``docs/spec/format.md``) and the receiver state
(:meth:`~antifraud_common.exchange.state.ReceiverState.accept_snapshot` and
:meth:`~antifraud_common.exchange.state.ReceiverState.accept_delta`, which
repeat the state checks inside their transaction). Like python-tuf's
``TrustedMetadataSet``, each function takes what is already trusted (the
trust bundle, the last accepted record, the caller's clock reading) and the
new manifest, and returns its verdict; it reads no file and no clock. A
verdict's ``problem`` is the typed error the caller raises or collects:

* :func:`publish_rule` -- the issuer is a member allowed to publish the list
  type (:class:`~antifraud_common.errors.ScopeError`);
* :func:`threshold_problem` -- enough distinct keys of the rule's signer
  agencies signed (:class:`~antifraud_common.errors.ThresholdError`);
* :func:`check_validity` -- not expired (or inside the grace period, which is
  reported), not issued in the future
  (:class:`~antifraud_common.errors.ExpiredError`);
* :func:`snapshot_verdict` and :func:`delta_verdict` -- the version against the
  receiver's: older is a rollback, the same version with other content a
  fork, the same content unchanged, and a delta must apply to exactly the
  accepted version and state hash
  (:class:`~antifraud_common.errors.RollbackError`,
  :class:`~antifraud_common.errors.ForkError`,
  :class:`~antifraud_common.errors.DeltaBaseMismatchError`).

>>> from types import SimpleNamespace as NS
>>> last = NS(version=7, state_sha256="a" * 64)
>>> snapshot_verdict(NS(version=6, sha256="b" * 64), last).problem
RollbackError('version 6 is older than the accepted 7')
>>> snapshot_verdict(NS(version=7, sha256="a" * 64), last).unchanged
True
>>> snapshot_verdict(NS(version=8, sha256="c" * 64), last)
StateVerdict(problem=None, unchanged=False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol

import attrs

from antifraud_common.errors import (
    DeltaBaseMismatchError,
    ExpiredError,
    ForkError,
    RollbackError,
    ScopeError,
    ThresholdError,
    UntrustedBlacklistError,
)
from antifraud_common.exchange.trust import PublishRule, TrustBundle
from antifraud_common.models import format_timestamp

__all__ = [
    "ISSUED_AT_TOLERANCE",
    "AcceptedRecord",
    "DeltaManifestLike",
    "SnapshotManifestLike",
    "StateVerdict",
    "Validity",
    "check_validity",
    "delta_verdict",
    "publish_rule",
    "snapshot_verdict",
    "threshold_problem",
]

#: How far in the future ``issued_at`` may lie (clock skew between sites).
ISSUED_AT_TOLERANCE: Final = timedelta(minutes=5)


class AcceptedRecord(Protocol):
    """What the decisions read from the receiver's record of one list."""

    @property
    def version(self) -> int:
        """The last accepted version."""
        ...

    @property
    def state_sha256(self) -> str:
        """The SHA-256 of the last accepted snapshot (the state hash)."""
        ...


class SnapshotManifestLike(Protocol):
    """The members of a snapshot manifest the state decision reads."""

    @property
    def version(self) -> int: ...

    @property
    def sha256(self) -> str: ...


class DeltaManifestLike(Protocol):
    """The members of a delta manifest the state decision reads."""

    @property
    def version(self) -> int: ...

    @property
    def base_version(self) -> int | None: ...

    @property
    def base_sha256(self) -> str | None: ...

    @property
    def result_sha256(self) -> str | None: ...


@attrs.frozen
class StateVerdict:
    """The decision on a manifest against the receiver's accepted record.

    ``problem`` is ``None`` when the manifest may be accepted; ``unchanged``
    is true when the receiver already holds exactly this version (not an
    error: nothing to do).
    """

    problem: UntrustedBlacklistError | None = None
    unchanged: bool = False


_ACCEPT: Final = StateVerdict()
_UNCHANGED: Final = StateVerdict(unchanged=True)


def _older(version: int, last: AcceptedRecord) -> RollbackError:
    return RollbackError(f"version {version} is older than the accepted {last.version}")


def _fork(version: int) -> ForkError:
    return ForkError(f"version {version} was accepted with other content")


def snapshot_verdict(manifest: SnapshotManifestLike, last: AcceptedRecord | None) -> StateVerdict:
    """Decide a snapshot against the last accepted record (``None``: none accepted)."""
    if last is None:
        return _ACCEPT
    if manifest.version < last.version:
        return StateVerdict(_older(manifest.version, last))
    if manifest.version == last.version:
        if manifest.sha256 != last.state_sha256:
            return StateVerdict(_fork(manifest.version))
        return _UNCHANGED
    return _ACCEPT


def delta_verdict(manifest: DeltaManifestLike, last: AcceptedRecord | None) -> StateVerdict:
    """Decide a delta against the last accepted record (``None``: none accepted).

    Older than the accepted version: rollback; the accepted version itself:
    unchanged with the same result hash, else a fork; otherwise the accepted
    record must be the delta's base (version and state hash).
    """
    if last is not None and manifest.version < last.version:
        return StateVerdict(_older(manifest.version, last))
    if last is not None and manifest.version == last.version:
        if manifest.result_sha256 != last.state_sha256:
            return StateVerdict(_fork(manifest.version))
        return _UNCHANGED
    if (
        last is None
        or last.version != manifest.base_version
        or (last.state_sha256 != manifest.base_sha256)
    ):
        have = "nothing" if last is None else f"version {last.version}"
        return StateVerdict(
            DeltaBaseMismatchError(
                f"the delta applies to version {manifest.base_version}, the receiver has {have}"
            )
        )
    return _ACCEPT


@attrs.frozen
class Validity:
    """The decision on a manifest's validity period at one clock reading."""

    problems: tuple[ExpiredError, ...] = ()
    #: Expired, but inside the caller's grace period (accepted, to be reported).
    grace_used: bool = False
    warnings: tuple[str, ...] = ()


def check_validity(
    *, issued_at: datetime, expires: datetime, now: datetime, grace: timedelta | None
) -> Validity:
    """Decide the validity period: expired (outside ``grace``) or issued in the future.

    ``now`` is the caller's clock reading, aware UTC, read once for every check.
    """
    problems: list[ExpiredError] = []
    warnings: list[str] = []
    grace_used = False
    if now >= expires:
        # now - expires, not expires + grace: a far expiry plus a long grace overflows.
        if grace is not None and now - expires < grace:
            grace_used = True
            warnings.append(f"expired at {format_timestamp(expires)}; accepted in grace mode")
        else:
            problems.append(ExpiredError(f"the list expired at {format_timestamp(expires)}"))
    if issued_at > now + ISSUED_AT_TOLERANCE:
        problems.append(
            ExpiredError(
                f"issued_at {format_timestamp(issued_at)} lies in the future",
                code="issued_in_future",
            )
        )
    return Validity(problems=tuple(problems), grace_used=grace_used, warnings=tuple(warnings))


def publish_rule(trust: TrustBundle, issuer: str, list_type: str) -> PublishRule:
    """The rule under which ``issuer`` may publish ``list_type``; :class:`ScopeError` if none."""
    member = trust.member(issuer)
    if member is None:
        raise ScopeError(f"issuer {issuer!r} is not a member of the trust bundle", field="issuer")
    rule = member.rule_for(list_type)
    if rule is None:
        raise ScopeError(f"{issuer!r} may not publish list type {list_type!r}", field="list_type")
    return rule


def threshold_problem(
    rule: PublishRule, valid: Sequence[str], owners: Mapping[str, str | None]
) -> ThresholdError | None:
    """Whether the verified keys ``valid`` (owned per ``owners``) meet the rule's threshold.

    Only keys of the rule's signer agencies count.
    """
    counted = [kid for kid in valid if owners[kid] in rule.signers]
    if len(counted) < rule.threshold:
        return ThresholdError(
            f"{len(counted)} of {rule.threshold} required keys of {', '.join(rule.signers)} signed"
        )
    return None
