"""Signed blacklist exchange: trust bundle, signing and verifying lists.

The public front door of the exchange layer (see ``docs/spec/format.md`` for
the byte-level format and ``docs/exchange.md`` for a how-to):

* :mod:`~antifraud_common.exchange.trust` -- the trust bundle and its rotation
  (TUF-style root role);
* :mod:`~antifraud_common.exchange.signing` -- signing and verifying entries
  files (JWS manifest, RFC 7515);
* :mod:`~antifraud_common.exchange.entries` -- the streaming entries-file checker.

>>> from antifraud_common import exchange
>>> exchange.TRUST_TYP
'antifraud-trust+json'
"""

from __future__ import annotations

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
    "MAX_CHAIN_STEPS",
    "ROOT",
    "TRUST_FORMAT",
    "TRUST_TYP",
    "Member",
    "PublishRule",
    "RootRole",
    "TrustBundle",
    "add_member",
    "create_trust_bundle",
    "load_trust",
    "remove_member",
    "replace_member",
    "sign_trust_bundle",
    "update_trust",
    "verify_trust_signatures",
    "walk_trust_chain",
]
