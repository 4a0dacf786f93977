"""Glue between the conformance protocol and the exchange layer (private).

Maps the protocol's ``verify`` and ``apply-delta`` commands onto
:mod:`antifraud_common.exchange` (signing, deltas, receiver state).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

__all__: list[str] = []


def verify(
    *,
    entries: Path,
    sig: Path,
    bundle: Any,
    now: datetime,
    grace: timedelta | None,
    state_version: int | None,
    state_sha256: str | None,
) -> dict[str, Any]:
    """Verify a signed list; return the extra members of the verdict line."""
    raise NotImplementedError


def apply_delta(
    *,
    base: Path,
    delta: Path,
    sig: Path,
    bundle: Any,
    now: datetime,
    state_version: int,
    state_sha256: str,
) -> dict[str, Any]:
    """Verify and apply a delta to ``base``; return the result's hash and count."""
    raise NotImplementedError
