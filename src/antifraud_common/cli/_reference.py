"""``antifraud apply`` of a signed reference list (number plan, DNO, presenters).

``apply`` hands a signature file whose manifest names a reference list type
(``docs/spec/reference-lists.md``) here: the list is verified as that type and
kept in the reference store beside the receiver state (``reference.sqlite3``),
never among the blacklists. The list type read from the manifest only picks
the path; :func:`~antifraud_common.exchange.reference.verify_reference` checks
it again after the signatures.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import EXIT_OK, emit_json, err, failed, out
from antifraud_common.errors import AntifraudError

__all__ = ["apply_reference", "reference_type"]

_WHAT = {
    "number_plan": "number plan",
    "do_not_originate": "Do-Not-Originate list",
    "presenters": "presenters list",
}


def reference_type(sig: Path) -> str | None:
    """The reference list type a signature file claims, or None (a blacklist, or unreadable).

    Nothing is verified here: a bad file takes the blacklist path, which reports it.
    """
    from antifraud_common.exchange.reference import REFERENCE_TYPES
    from antifraud_common.exchange.signing import MAX_SIGNATURE_FILE_BYTES, read_manifest

    try:
        with sig.open("rb") as f:
            manifest = read_manifest(f.read(MAX_SIGNATURE_FILE_BYTES + 1))
    except (OSError, AntifraudError):
        return None
    return manifest.list_type if manifest.list_type in REFERENCE_TYPES else None


def apply_reference(
    args: argparse.Namespace,
    *,
    list_type: str,
    trust: Any,
    sig: Path,
    now: datetime,
    grace: timedelta | None,
) -> int:
    """Verify and keep a reference list; print as ``apply`` does."""
    from antifraud_common.exchange.reference import DB_NAME, ReferenceStore

    new = not (args.state / DB_NAME).exists()
    try:
        with ReferenceStore.open(args.state) as store:
            verified, action = store.apply(
                args.entries, sig, trust=trust, list_type=list_type, now=now, grace=grace
            )
    except AntifraudError as e:
        return failed(args, e)
    m = verified.manifest
    if args.json:
        emit_json(
            "apply",
            True,
            {
                "issuer": m.issuer,
                "list_id": m.list_id,
                "list_type": list_type,
                # As for a blacklist: outcome applied/unchanged, content snapshot/delta.
                "outcome": "unchanged" if action == "unchanged" else "applied",
                "content": m.content.value,
                "version": m.version,
                "record_count": len(verified.records),
                "state_sha256": verified.state_sha256,
                "grace_used": verified.grace_used,
                "state_created": new,
            },
        )
    else:
        done = {"snapshot": "loaded", "delta": "updated by delta"}.get(action, "already held")
        out(
            f"OK {m.issuer}/{m.list_id} version {m.version}: {_WHAT[list_type]} {done}, "
            f"{len(verified.records)} records, state hash {verified.state_sha256}"
        )
        if verified.grace_used:
            err("warning: the list has expired; accepted in grace mode")
    return EXIT_OK
