"""Signed blacklist exchange: trust bundle, signing and verifying lists.

The public front door of the exchange layer (see ``docs/spec/format.md`` for
the byte-level format and ``docs/exchange.md`` for a how-to):

* :mod:`~antifraud_common.exchange.trust` -- the trust bundle and its rotation
  (TUF-style root role);
* :mod:`~antifraud_common.exchange.signing` -- signing and verifying entries
  files (JWS manifest, RFC 7515);
* :mod:`~antifraud_common.exchange.entries` -- the streaming entries-file checker;
* :mod:`~antifraud_common.exchange.delta` -- delta files (changes by value);
* :mod:`~antifraud_common.exchange.state` -- the receiver state (SQLite);
* :mod:`~antifraud_common.exchange.sync` -- applying a drop folder;
* :mod:`~antifraud_common.exchange.pseudonym` -- pseudonymised lists (keyed
  HMAC-SHA-256 of identifiers).

>>> from antifraud_common import exchange
>>> exchange.TRUST_TYP
'antifraud-trust+json'
"""

from __future__ import annotations

from typing import Any

from antifraud_common.exchange.delta import (
    DeltaInfo,
    apply_delta,
    check_delta,
    make_delta,
    sign_delta,
)
from antifraud_common.exchange.entries import (
    NO_PROTECTED,
    EntriesScope,
    EntriesSummary,
    ProtectedMatcher,
    check_entries,
    entry_line,
    validate_entries_file,
    write_entries,
)
from antifraud_common.exchange.pseudonym import (
    DomainKey,
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
    MANIFEST_TYP,
    ListRelease,
    SignOptions,
    StateLike,
    StateRecordLike,
    VerificationReport,
    VerifiedList,
    VerifiedManifest,
    co_sign,
    make_manifest,
    read_manifest,
    sign_list,
    sign_manifest,
    verify_list,
    verify_list_report,
    verify_manifest,
)
from antifraud_common.exchange.state import (
    AcceptResult,
    ReceiverState,
    StateChange,
    StateListener,
    StateRecord,
)
from antifraud_common.exchange.sync import SyncItem, SyncReport, sync
from antifraud_common.exchange.trust import (
    MAX_CHAIN_STEPS,
    ROOT,
    TRUST_FORMAT,
    TRUST_TYP,
    Member,
    PublishRule,
    RootRole,
    TrustBundle,
    add_member,
    create_trust_bundle,
    load_trust,
    remove_member,
    replace_member,
    sign_trust_bundle,
    update_trust,
    verify_trust_signatures,
    walk_trust_chain,
)

__all__ = [
    "MANIFEST_TYP",
    "MAX_CHAIN_STEPS",
    "NO_PROTECTED",
    "ROOT",
    "TRUST_FORMAT",
    "TRUST_TYP",
    "AcceptResult",
    "DeltaInfo",
    "DomainKey",
    "EntriesScope",
    "EntriesSummary",
    "ListRelease",
    "Member",
    "ProtectedMatcher",
    "PseudonymisedEntry",
    "PublishRule",
    "ReceiverState",
    "RootRole",
    "SignOptions",
    "StateChange",
    "StateLike",
    "StateListener",
    "StateRecord",
    "StateRecordLike",
    "SyncItem",
    "SyncReport",
    "TrustBundle",
    "VerificationReport",
    "VerifiedList",
    "VerifiedManifest",
    "add_member",
    "apply_delta",
    "check_delta",
    "check_entries",
    "check_key",
    "check_pseudonymised_entries",
    "co_sign",
    "convert_entries_file",
    "create_trust_bundle",
    "entry_line",
    "iter_pseudonymised_entries",
    "key_check_value",
    "load_trust",
    "make_delta",
    "make_manifest",
    "pseudonymise",
    "pseudonymise_list",
    "pseudonymised_line",
    "read_manifest",
    "remove_member",
    "replace_member",
    "sign_delta",
    "sign_list",
    "sign_manifest",
    "sign_trust_bundle",
    "sync",
    "update_trust",
    "validate_entries_file",
    "verify_list",
    "verify_list_report",
    "verify_manifest",
    "verify_pseudonymised_list",
    "verify_trust_signatures",
    "walk_trust_chain",
    "write_entries",
    "write_pseudonymised",
]


def __getattr__(name: str) -> Any:
    # PseudonymIndex moved to antifraud_common.index.pseudonym; the old name stays.
    if name == "PseudonymIndex":
        from antifraud_common.index.pseudonym import PseudonymIndex

        return PseudonymIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
