"""The trust bundle: who may publish which lists, with which keys, and how it rotates.

A trust bundle (``trust.json``) names the root keys and their threshold, and
every member agency with its public keys (JWK, RFC 7517) and what it may
publish: for each list type, the identifier kinds and actions allowed, and how
many distinct keys of which agencies must sign (k-of-n co-signing). Its
detached signature file (``trust.json.sig``) is a JWS (RFC 7515, General JSON
Serialization) whose attached payload is the exact ``trust.json`` bytes, typed
``antifraud-trust+json`` and signed by at least ``root.threshold`` distinct
root keys.

Rotation follows the TUF root role (TUF specification §5.3): bundle ``N+1``
must be signed by ``threshold(N)`` of bundle ``N``'s root keys *and* by
``threshold(N+1)`` of its own root keys, versions rise by exactly one, and a
client walks the chain from the bundle it already trusts (at most
:data:`MAX_CHAIN_STEPS` steps). Intermediate bundles may have expired; the
final one must not. The same version with other bytes is a fork. There is one
level of delegation only (root -> members).

The very first bundle a receiver trusts must be obtained out of band (like
TUF's ``1.root.json``): :func:`load_trust` without ``trusted=`` only checks
that the bundle is signed by its *own* root threshold, which proves
consistency, not authenticity.

>>> from datetime import datetime, UTC
>>> from antifraud_common.format.keys import LocalSigner
>>> root = LocalSigner.generate()
>>> mps = LocalSigner.generate()
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> bundle = create_trust_bundle(
...     bundle_id="cn-antifraud", root_keys=[root.public_key], root_threshold=1,
...     members=[Member(agency="mps", name="Ministry of Public Security",
...                     keys=(mps.public_key,),
...                     publish=(PublishRule(list_type="fraud_numbers", kinds=("phone",),
...                                          actions=("block",), signers=("mps",)),))],
...     issued_at=t, expires=datetime(2027, 1, 1, tzinfo=UTC))
>>> TrustBundle.from_bytes(bundle.to_bytes()) == bundle
True
>>> bundle.key_owner(mps.key_id)
'mps'
>>> sig = sign_trust_bundle(bundle.to_bytes(), [root])
>>> verify_trust_signatures(bundle.to_bytes(), sig, bundle).version
1
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from antifraud_common._clock import aware_utc
from antifraud_common._files import read_input
from antifraud_common.errors import (
    BlacklistFormatError,
    FileAccessError,
    ModelError,
    NaiveDatetimeError,
    NaiveTrustTimeError,
    TrustBundleError,
)
from antifraud_common.format import canonical, jws
from antifraud_common.format.jwe import EncryptionKey
from antifraud_common.format.keys import PublicKey, Signer
from antifraud_common.models import (
    Action,
    IdentifierKind,
    format_timestamp,
    parse_timestamp,
)

__all__ = [
    "ANY_MEMBER",
    "MAX_BUNDLE_BYTES",
    "MAX_CHAIN_STEPS",
    "ROOT",
    "TRUST_FORMAT",
    "TRUST_TYP",
    "Member",
    "MessageRule",
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

#: The ``format`` member of every trust bundle.
TRUST_FORMAT: Final = "antifraud-trust"
#: The JWS ``typ`` of a trust bundle signature file.
TRUST_TYP: Final = "antifraud-trust+json"
#: Largest accepted ``trust.json`` (and ``trust.json.sig``) in bytes.
MAX_BUNDLE_BYTES: Final = 4 * 1024 * 1024
#: Most rotation steps :func:`walk_trust_chain` takes (as python-tuf).
MAX_CHAIN_STEPS: Final = 256
#: Owner name :meth:`TrustBundle.key_owner` returns for a root key.
ROOT: Final = "@root"
#: In a :class:`MessageRule`'s ``to``: every member except the sender.
ANY_MEMBER: Final = "*"

_ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
_TYPE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)
_BUNDLE_KEYS: Final = frozenset(
    {"format", "format_version", "bundle_id", "version", "issued_at", "expires", "root", "members"}
)


def _bad(
    message: str, *, code: str = "trust_invalid", field: str | None = None
) -> TrustBundleError:
    return TrustBundleError(message, code=code, field=field)


def _check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise _bad("an id is 1-64 of a-z 0-9 _ . - starting with a letter or digit", field=field)
    return value


def _check_threshold(value: object, field: str) -> int:
    if type(value) is not int or not 1 <= value <= 1000:
        raise _bad("a threshold is an integer from 1", field=field)
    return value


def _keys(value: object) -> tuple[PublicKey, ...]:
    if not isinstance(value, list | tuple):
        raise _bad("keys is a list", field="keys")
    out = []
    for item in value:
        if isinstance(item, PublicKey):
            out.append(item)
        else:
            try:
                out.append(PublicKey.from_jwk(item))
            except BlacklistFormatError as e:
                raise _bad(f"bad key: {e.message}", code=e.code, field="keys") from e
    return tuple(sorted(out, key=lambda k: k.key_id))


def _enums(cls: type[IdentifierKind] | type[Action], value: object, field: str) -> tuple[Any, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad("expected a list", field=field)
    out = set()
    for item in value:
        if isinstance(item, cls):
            out.add(item)
            continue
        try:
            out.add(cls(item))
        except (ValueError, TypeError):
            raise _bad(f"unknown value {item!r}", field=field) from None
    if len(out) != len(value):
        raise _bad("repeated value", field=field)
    return tuple(sorted(out, key=lambda m: m.value))


def _kinds(value: object) -> tuple[IdentifierKind, ...]:
    return _enums(IdentifierKind, value, "kinds")


def _actions(value: object) -> tuple[Action, ...]:
    return _enums(Action, value, "actions")


def _agencies(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad("expected a list of agency ids", field="signers")
    out = {_check_id(v, "signers") for v in value}
    if len(out) != len(value):
        raise _bad("repeated agency", field="signers")
    return tuple(sorted(out))


def _to_utc(value: object, field: str) -> datetime:
    # A bundle's times are fields of a signed document: refused as the bundle's own error.
    try:
        return aware_utc(value, field=field).replace(microsecond=0)
    except NaiveDatetimeError:
        raise _bad("expected an aware datetime", field=field) from None


def _v_id(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_id(value, attribute.name)


def _v_threshold(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_threshold(value, attribute.name)


def _c_issued(value: object) -> datetime:
    return _to_utc(value, "issued_at")


def _c_expires(value: object) -> datetime:
    return _to_utc(value, "expires")


@attrs.frozen(kw_only=True)
class PublishRule:
    """What a member may publish under one list type, and who must sign it.

    ``signers`` are the agencies whose keys count toward ``threshold``
    (default: the member alone, filled in by :class:`Member`).
    """

    list_type: str = attrs.field(validator=_v_id)
    kinds: tuple[IdentifierKind, ...] = attrs.field(converter=_kinds)
    actions: tuple[Action, ...] = attrs.field(converter=_actions)
    threshold: int = attrs.field(default=1, validator=_v_threshold)
    signers: tuple[str, ...] = attrs.field(default=(), converter=_agencies)

    def __attrs_post_init__(self) -> None:
        if not self.kinds or not self.actions:
            raise _bad("a rule allows at least one kind and one action", field="kinds")

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {
            "list_type": self.list_type,
            "kinds": [k.value for k in self.kinds],
            "actions": [a.value for a in self.actions],
            "threshold": self.threshold,
            "signers": list(self.signers),
        }

    @classmethod
    def from_dict(cls, data: object) -> PublishRule:
        """Build a rule from its JSON shape, strictly."""
        d = _object(data, {"list_type", "kinds", "actions", "threshold", "signers"}, "publish")
        return cls(
            list_type=d["list_type"],
            kinds=d["kinds"],
            actions=d["actions"],
            threshold=d["threshold"],
            signers=d["signers"],
        )


#: A member's rule of one kind: what it may publish, or which messages it may send.
_Rule = TypeVar("_Rule", "PublishRule", "MessageRule")


def _rule_list(
    value: object, rule: type[_Rule], key: Callable[[_Rule], str], field: str, per: str
) -> tuple[_Rule, ...]:
    """The rules of a member's ``field`` list, sorted by ``key``, at most one per key."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad(f"{field} is a list", field=field)
    rules = tuple(sorted((r if isinstance(r, rule) else rule.from_dict(r) for r in value), key=key))
    if len({key(r) for r in rules}) != len(rules):
        raise _bad(f"one rule per {per}", field=field)
    return rules


def _rules(value: object) -> tuple[PublishRule, ...]:
    return _rule_list(value, PublishRule, lambda r: r.list_type, "publish", "list type")


def _message_type(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _TYPE_RE.fullmatch(value):
        raise _bad("a message type is snake_case", field="messages")


def _recipients(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise _bad("'to' is a non-empty list of agency ids or ['*']", field="to")
    if list(value) == [ANY_MEMBER]:
        return (ANY_MEMBER,)
    out = {_check_id(v, "to") for v in value}
    if len(out) != len(value):
        raise _bad("repeated agency", field="to")
    return tuple(sorted(out))


@attrs.frozen(kw_only=True)
class MessageRule:
    """Which case message type a member may send, to whom, and who must sign it.

    ``to`` lists the recipient agencies (``["*"]``: any other member);
    ``signers`` (default: the member alone) are the agencies whose keys count
    toward ``threshold`` (k-of-n, e.g. a freeze needing two signers).
    """

    type: str = attrs.field(validator=_message_type)
    to: tuple[str, ...] = attrs.field(converter=_recipients)
    threshold: int = attrs.field(default=1, validator=_v_threshold)
    signers: tuple[str, ...] = attrs.field(default=(), converter=_agencies)

    def allows(self, recipient: str) -> bool:
        """Whether this rule lets the member send to ``recipient``."""
        return self.to == (ANY_MEMBER,) or recipient in self.to

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {
            "type": self.type,
            "to": list(self.to),
            "threshold": self.threshold,
            "signers": list(self.signers),
        }

    @classmethod
    def from_dict(cls, data: object) -> MessageRule:
        """Build a rule from its JSON shape, strictly."""
        d = _object(data, {"type", "to", "threshold", "signers"}, "messages")
        return cls(type=d["type"], to=d["to"], threshold=d["threshold"], signers=d["signers"])


def _message_rules(value: object) -> tuple[MessageRule, ...]:
    return _rule_list(value, MessageRule, lambda r: r.type, "messages", "message type")


def _encryption_keys(value: object) -> tuple[EncryptionKey, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad("encryption_keys is a list", field="encryption_keys")
    out = []
    for item in value:
        if isinstance(item, EncryptionKey):
            out.append(item)
            continue
        try:
            out.append(EncryptionKey.from_jwk(item))
        except BlacklistFormatError as e:
            raise _bad(
                f"bad encryption key: {e.message}", code=e.code, field="encryption_keys"
            ) from e
    return tuple(sorted(out, key=lambda k: k.key_id))


def _check_name(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= 200
        or not value.isprintable()
        or value != value.strip()
    ):
        raise _bad("a name is 1-200 printable characters", field="name")


@attrs.frozen(kw_only=True)
class Member:
    """A member agency: its keys, its publishing rules and its case-message rules.

    ``messages`` and ``encryption_keys`` are optional (a bundle written before
    case messages existed has neither): what case messages the member may
    send (:class:`MessageRule`) and the public keys case messages to it are
    encrypted to (X25519 or P-256, never one of its signing keys).
    """

    agency: str = attrs.field(validator=_v_id)
    name: str = attrs.field(validator=_check_name)
    keys: tuple[PublicKey, ...] = attrs.field(converter=_keys)
    publish: tuple[PublishRule, ...] = attrs.field(default=(), converter=_rules)
    messages: tuple[MessageRule, ...] = attrs.field(default=(), converter=_message_rules)
    encryption_keys: tuple[EncryptionKey, ...] = attrs.field(default=(), converter=_encryption_keys)

    def __attrs_post_init__(self) -> None:
        if not self.keys:
            raise _bad("a member has at least one key", field="keys")
        # A rule without explicit signers means "this member alone".
        fixed = tuple(
            r if r.signers else attrs.evolve(r, signers=(self.agency,)) for r in self.publish
        )
        object.__setattr__(self, "publish", fixed)
        fixed_messages = tuple(
            r if r.signers else attrs.evolve(r, signers=(self.agency,)) for r in self.messages
        )
        object.__setattr__(self, "messages", fixed_messages)

    def rule_for(self, list_type: str) -> PublishRule | None:
        """Return the rule for ``list_type``, or ``None`` when it may not publish it."""
        for rule in self.publish:
            if rule.list_type == list_type:
                return rule
        return None

    def message_rule(self, message_type: str) -> MessageRule | None:
        """Return the rule for sending ``message_type``, or ``None`` when it may not."""
        for rule in self.messages:
            if rule.type == message_type:
                return rule
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (``messages`` and ``encryption_keys`` only when non-empty)."""
        out: dict[str, Any] = {
            "agency": self.agency,
            "name": self.name,
            "keys": [k.to_jwk() for k in self.keys],
            "publish": [r.to_dict() for r in self.publish],
        }
        if self.messages:
            out["messages"] = [r.to_dict() for r in self.messages]
        if self.encryption_keys:
            out["encryption_keys"] = [k.to_jwk() for k in self.encryption_keys]
        return out

    @classmethod
    def from_dict(cls, data: object) -> Member:
        """Build a member from its JSON shape, strictly."""
        optional = {"messages", "encryption_keys"}
        present = set(data) & optional if isinstance(data, Mapping) else set()
        d = _object(data, {"agency", "name", "keys", "publish"} | present, "members")
        return cls(
            agency=d["agency"],
            name=d["name"],
            keys=d["keys"],
            publish=d["publish"],
            messages=d.get("messages", ()),
            encryption_keys=d.get("encryption_keys", ()),
        )


@attrs.frozen(kw_only=True)
class RootRole:
    """The root keys and how many of them must sign a bundle."""

    keys: tuple[PublicKey, ...] = attrs.field(converter=_keys)
    threshold: int = attrs.field(validator=_v_threshold)

    def __attrs_post_init__(self) -> None:
        if self.threshold > len(self.keys):
            raise _bad("the root threshold exceeds the number of root keys", field="root")

    @property
    def key_ids(self) -> frozenset[str]:
        """The thumbprints of the root keys."""
        return frozenset(k.key_id for k in self.keys)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {"keys": [k.to_jwk() for k in self.keys], "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: object) -> RootRole:
        """Build the root role from its JSON shape, strictly."""
        d = _object(data, {"keys", "threshold"}, "root")
        return cls(keys=d["keys"], threshold=d["threshold"])


def _object(data: object, keys: set[str] | frozenset[str], field: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _bad("expected a JSON object", field=field)
    names = set(data)
    if names != keys:
        extra = sorted(map(str, names - keys))
        missing = sorted(keys - names)
        what = f"unknown member {extra[0]!r}" if extra else f"missing member {missing[0]!r}"
        raise _bad(f"{field}: {what}", field=field)
    return data


def _members(value: object) -> tuple[Member, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _bad("members is a list", field="members")
    members = tuple(
        sorted(
            (m if isinstance(m, Member) else Member.from_dict(m) for m in value),
            key=lambda m: m.agency,
        )
    )
    if len({m.agency for m in members}) != len(members):
        raise _bad("an agency appears once", field="members")
    return members


@attrs.frozen(kw_only=True)
class TrustBundle:
    """A parsed, internally consistent trust bundle (not yet a *trusted* one).

    Whether a bundle may be trusted is decided by :func:`load_trust`,
    :func:`update_trust` and :func:`walk_trust_chain`. Invariants checked here:
    every key (thumbprint) appears once in the whole bundle, thresholds can be
    met, and every rule's signer agencies are members.
    """

    bundle_id: str = attrs.field(validator=_v_id)
    version: int = attrs.field()
    issued_at: datetime = attrs.field(converter=_c_issued)
    expires: datetime = attrs.field(converter=_c_expires)
    root: RootRole
    members: tuple[Member, ...] = attrs.field(default=(), converter=_members)
    _owners: dict[str, str] = attrs.field(init=False, eq=False, repr=False)
    _keys_by_id: dict[str, PublicKey] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if type(self.version) is not int or not 1 <= self.version <= canonical.MAX_SAFE_INTEGER:
            raise _bad("version is an integer from 1", field="version")
        if self.expires <= self.issued_at:
            raise _bad("expires must be later than issued_at", field="expires")
        if not isinstance(self.root, RootRole):
            raise _bad("root must be a RootRole", field="root")
        owners: dict[str, str] = {}
        by_id: dict[str, PublicKey] = {}
        for owner, keys in [(ROOT, self.root.keys)] + [(m.agency, m.keys) for m in self.members]:
            for key in keys:
                if key.key_id in owners:
                    raise _bad(
                        f"key {key.key_id} appears more than once in the bundle",
                        code="trust_duplicate_key",
                        field="keys",
                    )
                owners[key.key_id] = owner
                by_id[key.key_id] = key
        self._check_members(owners)
        object.__setattr__(self, "_owners", owners)
        object.__setattr__(self, "_keys_by_id", by_id)

    def _check_members(self, owners: Mapping[str, str]) -> None:
        """Encryption keys apart from signing keys; every rule names members it can satisfy."""
        agencies = {m.agency: m for m in self.members}
        # Encryption keys are never signing keys: their thumbprints share one namespace.
        enc_seen: set[str] = set()
        for m in self.members:
            for enc_key in m.encryption_keys:
                if enc_key.key_id in owners or enc_key.key_id in enc_seen:
                    raise _bad(
                        f"key {enc_key.key_id} appears more than once in the bundle",
                        code="trust_duplicate_key",
                        field="encryption_keys",
                    )
                enc_seen.add(enc_key.key_id)
            for mrule in m.messages:
                named = [a for a in (*mrule.signers, *mrule.to) if a != ANY_MEMBER]
                unknown = [a for a in named if a not in agencies]
                if unknown:
                    raise _bad(
                        f"{m.agency}/{mrule.type}: {unknown[0]!r} is not a member",
                        field="messages",
                    )
                if m.agency in mrule.to:
                    raise _bad(
                        f"{m.agency}/{mrule.type}: a member does not send to itself", field="to"
                    )
                available = sum(len(agencies[a].keys) for a in mrule.signers)
                if mrule.threshold > available:
                    raise _bad(
                        f"{m.agency}/{mrule.type}: threshold {mrule.threshold} exceeds the "
                        f"{available} keys of its signers",
                        field="threshold",
                    )
            for rule in m.publish:
                unknown = [a for a in rule.signers if a not in agencies]
                if unknown:
                    raise _bad(
                        f"{m.agency}/{rule.list_type}: signer {unknown[0]!r} is not a member",
                        field="signers",
                    )
                available = sum(len(agencies[a].keys) for a in rule.signers)
                if rule.threshold > available:
                    raise _bad(
                        f"{m.agency}/{rule.list_type}: threshold {rule.threshold} exceeds the "
                        f"{available} keys of its signers",
                        field="threshold",
                    )

    # ------------------------------------------------------------- lookups

    def member(self, agency: str) -> Member | None:
        """Return the member ``agency``, or ``None``."""
        for m in self.members:
            if m.agency == agency:
                return m
        return None

    def key_owner(self, key_id: str) -> str | None:
        """Return the agency owning key ``key_id``, :data:`ROOT` for a root key, or ``None``."""
        return self._owners.get(key_id)

    def key(self, key_id: str) -> PublicKey | None:
        """Return the public key with thumbprint ``key_id`` (root or member), or ``None``."""
        return self._keys_by_id.get(key_id)

    def member_keys(self) -> dict[str, PublicKey]:
        """Return every member key (not root keys) by thumbprint."""
        return {k: v for k, v in self._keys_by_id.items() if self._owners[k] != ROOT}

    def is_expired(self, now: datetime) -> bool:
        """Whether ``now`` is at or after :attr:`expires`."""
        return aware_utc(now, field="now", error=NaiveTrustTimeError) >= self.expires

    # ------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (canonical order comes from :meth:`to_bytes`)."""
        return {
            "format": TRUST_FORMAT,
            "format_version": 1,
            "bundle_id": self.bundle_id,
            "version": self.version,
            "issued_at": format_timestamp(self.issued_at),
            "expires": format_timestamp(self.expires),
            "root": self.root.to_dict(),
            "members": [m.to_dict() for m in self.members],
        }

    def to_bytes(self) -> bytes:
        """Return the canonical ``trust.json`` bytes (RFC 8785), no trailing newline."""
        return canonical.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: object) -> TrustBundle:
        """Build a bundle from its JSON shape, strictly (unknown or missing members refused)."""
        d = _object(data, _BUNDLE_KEYS, "bundle")
        if d["format"] != TRUST_FORMAT:
            raise _bad("not a trust bundle", code="wrong_payload_type", field="format")
        if type(d["format_version"]) is not int or d["format_version"] != 1:
            raise _bad("unsupported format version", field="format_version")
        try:
            issued_at = parse_timestamp(d["issued_at"], field="issued_at")
            expires = parse_timestamp(d["expires"], field="expires")
        except ModelError as e:
            raise _bad(e.message, field=e.field) from e
        return cls(
            bundle_id=d["bundle_id"],
            version=d["version"],
            issued_at=issued_at,
            expires=expires,
            root=RootRole.from_dict(d["root"]),
            members=d["members"],
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> TrustBundle:
        """Parse ``trust.json`` bytes: strict JSON, canonical bytes, every invariant.

        Any problem raises :class:`~antifraud_common.errors.TrustBundleError`.
        """
        if len(data) > MAX_BUNDLE_BYTES:
            raise _bad("the trust bundle is too large", code="trust_too_large")
        try:
            value = canonical.loads(data, max_bytes=MAX_BUNDLE_BYTES)
        except BlacklistFormatError as e:
            raise _bad(f"not valid JSON: {e.message}", code="trust_invalid") from e
        bundle = cls.from_dict(value)
        if bundle.to_bytes() != bytes(data):
            raise _bad(
                "trust.json is not in canonical form (RFC 8785, sorted lists)",
                code="trust_not_canonical",
            )
        return bundle


# ------------------------------------------------------------------ building


def create_trust_bundle(
    *,
    bundle_id: str,
    root_keys: Iterable[PublicKey],
    root_threshold: int,
    members: Iterable[Member] = (),
    version: int = 1,
    issued_at: datetime | None = None,
    expires: datetime | None = None,
    valid_for: timedelta = timedelta(days=365),
) -> TrustBundle:
    """Return a new bundle (``issued_at`` defaults to now, ``expires`` to ``valid_for`` later)."""
    issued = issued_at if issued_at is not None else datetime.now(UTC)
    return TrustBundle(
        bundle_id=bundle_id,
        version=version,
        issued_at=issued,
        expires=expires if expires is not None else issued + valid_for,
        root=RootRole(keys=tuple(root_keys), threshold=root_threshold),
        members=tuple(members),
    )


def _next(
    bundle: TrustBundle,
    members: Sequence[Member],
    issued_at: datetime | None,
    expires: datetime | None,
) -> TrustBundle:
    issued = issued_at if issued_at is not None else datetime.now(UTC)
    return attrs.evolve(
        bundle,
        version=bundle.version + 1,
        issued_at=issued,
        expires=expires if expires is not None else issued + (bundle.expires - bundle.issued_at),
        members=tuple(members),
    )


def add_member(
    bundle: TrustBundle,
    member: Member,
    *,
    issued_at: datetime | None = None,
    expires: datetime | None = None,
) -> TrustBundle:
    """Return the next bundle version with ``member`` added (its agency must be new)."""
    if bundle.member(member.agency) is not None:
        raise _bad(f"{member.agency} is already a member", field="agency")
    return _next(bundle, [*bundle.members, member], issued_at, expires)


def replace_member(
    bundle: TrustBundle,
    member: Member,
    *,
    issued_at: datetime | None = None,
    expires: datetime | None = None,
) -> TrustBundle:
    """Return the next bundle version with the member of the same agency replaced."""
    if bundle.member(member.agency) is None:
        raise _bad(f"{member.agency} is not a member", field="agency")
    rest = [m for m in bundle.members if m.agency != member.agency]
    return _next(bundle, [*rest, member], issued_at, expires)


def remove_member(
    bundle: TrustBundle,
    agency: str,
    *,
    issued_at: datetime | None = None,
    expires: datetime | None = None,
) -> TrustBundle:
    """Return the next bundle version without ``agency`` (refused while a rule names it)."""
    if bundle.member(agency) is None:
        raise _bad(f"{agency} is not a member", field="agency")
    return _next(bundle, [m for m in bundle.members if m.agency != agency], issued_at, expires)


def sign_trust_bundle(bundle_bytes: bytes, root_signers: Iterable[Signer]) -> bytes:
    """Return ``trust.json.sig``: a JWS over the exact ``bundle_bytes`` by every signer.

    The bytes must be a canonical bundle. For a rotation, sign with enough keys
    of the previous root *and* of the new one.
    """
    TrustBundle.from_bytes(bundle_bytes)
    signers = list(root_signers)
    if not signers:
        raise _bad("at least one root signer is needed", code="trust_no_signer")
    return jws.sign(bundle_bytes, signers, typ=TRUST_TYP)


# ------------------------------------------------------------------ verifying


def _valid_root_kids(payload: bytes, sig_bytes: bytes, role: RootRole) -> frozenset[str]:
    parsed = jws.parse(sig_bytes, max_bytes=MAX_BUNDLE_BYTES, typ=TRUST_TYP)
    if parsed.duplicate_kids:
        raise BlacklistFormatError("a key may sign only once", code="jws_duplicate_kid")
    if parsed.payload != payload:
        raise BlacklistFormatError(
            "the signature file signs other bytes than this trust.json", code="payload_mismatch"
        )
    return jws.verify_signatures(parsed, role.keys).valid_kids


def verify_trust_signatures(
    bundle_bytes: bytes, sig_bytes: bytes, signed_by: TrustBundle | None = None
) -> TrustBundle:
    """Check ``sig_bytes`` carries a JWS over exactly ``bundle_bytes`` by the root threshold.

    ``signed_by`` is the bundle whose root role must be met (default: the
    bundle itself). No expiry or version check: see :func:`load_trust`.
    """
    bundle = TrustBundle.from_bytes(bundle_bytes)
    _check_root(bundle_bytes, sig_bytes, signed_by or bundle, "")
    return bundle


def _check_root(bundle_bytes: bytes, sig_bytes: bytes, signer: TrustBundle, which: str) -> None:
    if len(sig_bytes) > MAX_BUNDLE_BYTES:
        raise _bad("the trust signature file is too large", code="trust_too_large")
    try:
        kids = _valid_root_kids(bundle_bytes, sig_bytes, signer.root)
    except BlacklistFormatError as e:
        raise _bad(f"bad trust signature file: {e.message}", code=f"trust_{e.code}") from e
    if len(kids) < signer.root.threshold:
        if which:
            code = "trust_rotation_threshold"
        elif kids:
            code = "trust_threshold_not_met"
        else:
            code = "trust_signature_invalid"
        raise _bad(
            f"{len(kids)} of {signer.root.threshold} required root keys of bundle version "
            f"{signer.version} signed{which}",
            code=code,
        )


def _now(now: datetime | None) -> datetime:
    # The caller's clock, not a bundle field: the clock check's own error.
    if now is None:
        return datetime.now(UTC)
    return aware_utc(now, field="now", error=NaiveTrustTimeError).replace(microsecond=0)


def _check_fresh(bundle: TrustBundle, now: datetime, grace: timedelta | None) -> None:
    # now - expires, not expires + grace: a far expiry plus a long grace overflows.
    if now >= bundle.expires and now - bundle.expires >= (grace or timedelta(0)):
        raise _bad(
            f"trust bundle version {bundle.version} expired at {format_timestamp(bundle.expires)}",
            code="trust_expired",
        )


def _rotate(current: TrustBundle, new_bytes: bytes, new_sig: bytes) -> TrustBundle:
    new = TrustBundle.from_bytes(new_bytes)
    if new.bundle_id != current.bundle_id:
        raise _bad(
            f"bundle id {new.bundle_id!r} is not {current.bundle_id!r}", code="trust_wrong_bundle"
        )
    if new.version == current.version:
        if new_bytes != current.to_bytes():
            raise _bad(f"two different bundles claim version {new.version}", code="trust_fork")
        return current
    if new.version < current.version:
        raise _bad(
            f"version {new.version} is older than the trusted {current.version}",
            code="trust_rollback",
        )
    if new.version != current.version + 1:
        raise _bad(
            f"version {new.version} does not follow {current.version} (walk the chain)",
            code="trust_version_gap",
        )
    _check_root(new_bytes, new_sig, current, " (previous root)")
    _check_root(new_bytes, new_sig, new, " (new root)")
    return new


def update_trust(
    current: TrustBundle,
    new_bundle_bytes: bytes,
    new_sig_bytes: bytes,
    *,
    now: datetime | None = None,
    grace: timedelta | None = None,
) -> TrustBundle:
    """Take one rotation step ``N -> N+1`` from a trusted bundle and return the new one.

    Every refusal is a :class:`~antifraud_common.errors.TrustBundleError`:
    ``trust_version_gap``, ``trust_rollback``, ``trust_fork``, ``trust_wrong_bundle``,
    ``trust_rotation_threshold`` (either root threshold missed), ``trust_expired``,
    or a malformed-input code.
    """
    moment = _now(now)
    new = _rotate(current, new_bundle_bytes, new_sig_bytes)
    _check_fresh(new, moment, grace)
    return new


def walk_trust_chain(
    current: TrustBundle,
    candidates: Iterable[tuple[bytes, bytes]],
    *,
    now: datetime | None = None,
    grace: timedelta | None = None,
) -> TrustBundle:
    """Walk from ``current`` through ``(trust.json, trust.json.sig)`` pairs to the newest.

    Candidates may come in any order and may include already-known versions
    (identical bytes are skipped; other bytes at a known version are a fork).
    Each step must be ``N -> N+1``; intermediate bundles may have expired, the
    final one must not (unless within ``grace``). At most
    :data:`MAX_CHAIN_STEPS` steps.
    """
    moment = _now(now)
    by_version: dict[int, tuple[bytes, bytes]] = {}
    for bundle_bytes, sig_bytes in candidates:
        parsed = TrustBundle.from_bytes(bundle_bytes)
        seen = by_version.get(parsed.version)
        if seen is not None and seen[0] != bundle_bytes:
            raise _bad(f"two different bundles claim version {parsed.version}", code="trust_fork")
        by_version[parsed.version] = (bundle_bytes, sig_bytes)
    if current.version in by_version and by_version[current.version][0] != current.to_bytes():
        raise _bad(f"two different bundles claim version {current.version}", code="trust_fork")
    newer = sorted(v for v in by_version if v > current.version)
    if len(newer) > MAX_CHAIN_STEPS:
        raise _bad("the trust chain is too long", code="trust_chain_too_long")
    trusted = current
    for version in newer:
        if version != trusted.version + 1:
            raise _bad(f"version {trusted.version + 1} is missing", code="trust_version_gap")
        trusted = _rotate(trusted, *by_version[version])
    _check_fresh(trusted, moment, grace)
    return trusted


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    p = Path(path)
    try:
        return read_input(p, limit=MAX_BUNDLE_BYTES, what=what)
    except FileAccessError as e:
        if e.code == "file_too_large":
            raise _bad(f"{what} is too large", code="trust_too_large") from e
        raise _bad(e.message, code="trust_unreadable") from e


def load_trust(
    trust_path: str | os.PathLike[str],
    sig_path: str | os.PathLike[str],
    *,
    trusted: TrustBundle | None = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
) -> TrustBundle:
    """Load and verify ``trust.json`` with its signature file.

    Without ``trusted``, the bundle must be signed by its own root threshold
    (first use: obtain this first bundle out of band and check its hash, as
    with TUF's ``1.root.json``). With ``trusted``, the file must be that same
    bundle or its direct successor (use :func:`walk_trust_chain` to skip
    several versions). The result must not have expired.
    """
    moment = _now(now)
    bundle_bytes = _read(trust_path, "trust bundle")
    sig_bytes = _read(sig_path, "trust signature file")
    if trusted is None:
        bundle = verify_trust_signatures(bundle_bytes, sig_bytes)
    else:
        bundle = _rotate(trusted, bundle_bytes, sig_bytes)
    _check_fresh(bundle, moment, grace)
    return bundle
