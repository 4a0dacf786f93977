"""Mutation run of the conformance suite: disable one check at a time, run the suite.

The conformance suite claims to test every rule of the specification. This
script checks that claim against the implementation: each entry of
:data:`MUTATIONS` names one check in ``src/antifraud_common``, the exact source
snippet that performs it and a replacement that disables it. For every mutation
the script copies the package into a temporary directory, applies that one
replacement there, runs the whole conformance suite against the mutated copy
(this library's in-process implementation of the protocol) and reports whether
the mutation was **killed** (at least one case failed) or **survived** (every
case still passed, so no case tests that check).

The working tree is never modified: mutations are applied only to the copy in a
temporary directory, which is removed afterwards. A snippet that no longer
occurs exactly once in its file stops the run with an error before any suite
runs, so a mutation can never silently become a no-op after the code changes.

Adding a mutation: append a :class:`Mutation` to :data:`MUTATIONS` with a
unique ``name``, the ``file`` (relative to ``src/antifraud_common``), a
``find`` snippet that occurs exactly once in that file, its ``replace`` text and
the ``reason`` (which rule the check enforces). ``families`` optionally names
the families whose cases should run first (only an ordering hint: a mutation
survives only when every case of the suite passes).

Usage::

    python scripts/mutate_conformance.py            # long form: every case per mutation
    python scripts/mutate_conformance.py --short    # CI form: stop at the first killing case
    python scripts/mutate_conformance.py --only NAME [--only NAME ...]
    python scripts/mutate_conformance.py --check-snippets   # only check the snippets
    python scripts/mutate_conformance.py --report docs/conformance.md

The exit status is 1 when a mutation survived (or the unmutated suite fails),
2 for a snippet that does not match, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT_DIR / "src" / "antifraud_common"
REPORT_START = "<!-- mutation-report:start (written by scripts/mutate_conformance.py) -->"
REPORT_END = "<!-- mutation-report:end -->"


@dataclass(frozen=True)
class Mutation:
    """One check to disable: ``find`` (exactly once in ``file``) becomes ``replace``."""

    name: str
    file: str
    find: str
    replace: str
    reason: str
    families: tuple[str, ...] = field(default=())
    #: Further ``(file, find, replace)`` edits, for a check enforced in more than one
    #: place (disabling only one copy leaves the other to refuse the same input).
    more: tuple[tuple[str, str, str], ...] = field(default=())

    def edits(self) -> tuple[tuple[str, str, str], ...]:
        """Every ``(file, find, replace)`` edit of this mutation."""
        return ((self.file, self.find, self.replace), *self.more)


class SnippetError(Exception):
    """A mutation's snippet does not occur exactly once in its file."""


# Each entry disables exactly one check. Keep ``find`` as short as possible while
# unique, and make ``replace`` keep the code importable and well-typed enough to run.
MUTATIONS: tuple[Mutation, ...] = (
    # ------------------------------------------------------------ manifest model
    Mutation(
        name="manifest-version-at-least-1",
        file="models.py",
        find="        if self.version < 1:\n",
        replace="        if False:\n",
        reason="a list version starts at 1",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-expires-after-issued",
        file="models.py",
        find="        if self.expires <= self.issued_at:\n            raise ModelError(\n"
        '                "expires must be later than issued_at", code="invalid_validity"',
        replace="        if False:\n            raise ModelError(\n"
        '                "expires must be later than issued_at", code="invalid_validity"',
        reason="a manifest's expires is later than its issued_at",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-format-version",
        file="models.py",
        find='        if data["format_version"] != FORMAT_VERSION or type(data["format_version"]) '
        "is not int:\n",
        replace="        if False:\n",
        reason="a manifest's format_version is the integer 1",
        families=("manifest",),
        more=(
            (
                "models.py",
                "        if self.format_version != FORMAT_VERSION:\n",
                "        if False:\n",
            ),
        ),
    ),
    Mutation(
        name="manifest-ids",
        file="models.py",
        find="    if not isinstance(value, str) or not _ID_RE.fullmatch(value):\n",
        replace="    if not isinstance(value, str):\n",
        reason="issuer, list_id, list_type, domain and key_id are ids (a-z 0-9 _ . -)",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-sha256-hex",
        file="models.py",
        find="    if value is not None and (not isinstance(value, str) or not "
        "_HEX64_RE.fullmatch(value)):\n",
        replace="    if value is not None and not isinstance(value, str):\n",
        reason="hashes are 64 lowercase hexadecimal digits",
        families=("manifest",),
    ),
    # ------------------------------------------------------------ entry model
    Mutation(
        name="entry-confidence-range",
        file="models.py",
        find="    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:\n",
        replace="    if not isinstance(value, int) or isinstance(value, bool):\n",
        reason="confidence is an integer from 0 to 100",
        families=("entries",),
    ),
    Mutation(
        name="entry-validity-window",
        file="models.py",
        find="        if self.valid_until is not None and self.valid_until <= self.valid_from:\n",
        replace="        if False:\n",
        reason="valid_until is later than valid_from",
        families=("entries",),
        more=(
            (
                "exchange/layout.py",
                "    return len(times) == 2 or times[2] > times[1]\n",
                "    return True\n",
            ),
        ),
    ),
    Mutation(
        name="entry-unknown-field",
        file="models.py",
        find="    if unknown:\n        name = sorted(str(k) for k in unknown)[0]\n",
        replace="    if False:\n        name = sorted(str(k) for k in unknown)[0]\n",
        reason="an entry has no members beyond those of the format",
        families=("entries",),
    ),
    Mutation(
        name="entry-canonical-value",
        file="models.py",
        find="        if canonical != value:\n",
        replace="        if False:\n",
        reason="an entry's value is its identifier's canonical form",
        families=("entries",),
    ),
    # ------------------------------------------------------------ entries file
    Mutation(
        name="entries-order",
        file="exchange/entries.py",
        find="            if prev is not None and key <= prev:\n                dup = key == prev\n",
        replace="            if False:\n                dup = key == prev\n",
        reason="entry lines are sorted by (kind, value) as UTF-8 bytes, no repeated key",
        families=("entries",),
    ),
    Mutation(
        name="entries-scope-kind",
        file="exchange/entries.py",
        find="            if kinds_ok is not None and kind not in kinds_ok:\n",
        replace="            if False:\n",
        reason="every entry's kind is allowed by the publisher's rule",
        families=("scope",),
    ),
    Mutation(
        name="entries-scope-action",
        file="exchange/entries.py",
        find="            if actions_ok is not None and action not in actions_ok:\n",
        replace="            if False:\n",
        reason="every entry's action is allowed by the publisher's rule",
        families=("scope",),
    ),
    Mutation(
        name="entries-canonical-line",
        file="exchange/layout.py",
        find="        obj = canonical.check_canonical(line, max_depth=2)\n",
        replace="        obj = canonical.loads(line, max_depth=2)\n",
        reason="every line is the canonical JSON of its entry",
        families=("entries",),
    ),
    Mutation(
        name="entries-empty-line",
        file="format/jsonl.py",
        find='    if not line:\n        raise BlacklistFormatError("empty line"',
        replace='    if False:\n        raise BlacklistFormatError("empty line"',
        reason="no empty lines",
        families=("entries",),
    ),
    Mutation(
        name="entries-cr",
        file="format/jsonl.py",
        find='    if b"\\r" in line:\n',
        replace="    if False:\n",
        reason="LF only, no CR",
        families=("entries",),
    ),
    # ------------------------------------------------------------ verification
    Mutation(
        name="verify-member-signature-required",
        file="exchange/signing.py",
        find="    if not valid:\n        problems.add(SignatureError(",
        replace="    if False:\n        problems.add(SignatureError(",
        reason="at least one signature verifies with a member key",
        families=("signature",),
    ),
    Mutation(
        name="verify-threshold",
        file="exchange/policy.py",
        find="    if len(counted) < rule.threshold:\n",
        replace="    if False:\n",
        reason="the rule's threshold of distinct signer keys is met",
        families=("threshold",),
    ),
    Mutation(
        name="verify-threshold-signers-only",
        file="exchange/policy.py",
        find="    counted = [kid for kid in valid if owners[kid] in rule.signers]\n",
        replace="    counted = list(valid)\n",
        reason="only keys of the rule's signer agencies count toward its threshold",
        families=("threshold",),
    ),
    Mutation(
        name="verify-issuer-member",
        file="exchange/policy.py",
        find="    if member is None:\n        raise ScopeError(",
        replace="    if False:\n        raise ScopeError(",
        reason="the issuer is a member of the bundle",
        families=("scope",),
    ),
    Mutation(
        name="verify-expiry",
        file="exchange/policy.py",
        find='            problems.append(ExpiredError(f"the list expired at',
        replace='            pass  # problems.append(ExpiredError(f"the list expired at',
        reason="an expired list is refused outside the grace period",
        families=("freshness",),
    ),
    Mutation(
        name="verify-issued-in-future",
        file="exchange/policy.py",
        find="    if issued_at > now + ISSUED_AT_TOLERANCE:\n",
        replace="    if False:\n",
        reason="issued_at lies at most 5 minutes in the future",
        families=("freshness",),
    ),
    Mutation(
        name="verify-rollback",
        file="exchange/policy.py",
        find="    if manifest.version < last.version:\n        return StateVerdict(_older(",
        replace="    if False:\n        return StateVerdict(_older(",
        reason="a version older than the accepted one is a rollback",
        families=("rollback",),
    ),
    Mutation(
        name="verify-fork",
        file="exchange/policy.py",
        find="        if manifest.sha256 != last.state_sha256:\n",
        replace="        if False:\n",
        reason="the accepted version with other content is a fork",
        families=("rollback",),
    ),
    Mutation(
        name="verify-length",
        file="exchange/signing.py",
        find="        if size != manifest.byte_length:\n",
        replace="        if False:\n",
        reason="the entries file has the signed byte length",
        families=("integrity",),
    ),
    Mutation(
        name="verify-count",
        file="exchange/signing.py",
        find="    elif counted and lines != manifest.entry_count:\n",
        replace="    elif False:\n",
        reason="the entries file has the signed number of lines",
        families=("integrity",),
    ),
    Mutation(
        name="verify-manifest-canonical",
        file="exchange/signing.py",
        find="        value = canonical.check_canonical(payload, max_bytes=MAX_SIGNATURE_FILE_BYTES)\n",
        replace="        value = canonical.loads(payload, max_bytes=MAX_SIGNATURE_FILE_BYTES)\n",
        reason="the manifest is its own canonical JSON",
        families=("manifest",),
    ),
    # ------------------------------------------------------------ deltas
    Mutation(
        name="delta-base-state",
        file="exchange/policy.py",
        find="        or last.version != manifest.base_version\n",
        replace="",
        reason="a delta applies only to the receiver's version base_version",
        families=("delta",),
    ),
    Mutation(
        name="delta-base-hash",
        file="exchange/policy.py",
        find="        or (last.state_sha256 != manifest.base_sha256)\n",
        replace="",
        reason="a delta applies only to the receiver's state hash base_sha256",
        families=("delta",),
    ),
    Mutation(
        name="delta-add-existing",
        file="exchange/delta.py",
        find="            if exists:\n                raise DeltaMismatchError(\n",
        replace="            if False:\n                raise DeltaMismatchError(\n",
        reason="an add names a key the base does not hold",
        families=("delta",),
    ),
    Mutation(
        name="delta-key-missing",
        file="exchange/delta.py",
        find="        elif not exists:\n",
        replace="        elif False:\n",
        reason="a remove or replace names a key the base holds",
        families=("delta",),
    ),
    Mutation(
        name="delta-result-hash",
        file="exchange/delta.py",
        find="    if expected_sha256 is not None and sha.hexdigest() != expected_sha256:\n",
        replace="    if False:\n",
        reason="the result reproduces the signed result_sha256",
        families=("delta",),
    ),
    Mutation(
        name="delta-result-count",
        file="conformance/_exchange.py",
        find="    if count != manifest.result_count:\n",
        replace="    if False:\n",
        reason="the result has the signed result_count entries",
        families=("delta",),
    ),
    Mutation(
        name="manifest-snapshot-without-delta-fields",
        file="models.py",
        find="        elif any(f is not None for f in delta_fields):\n",
        replace="        elif False:\n",
        reason="a snapshot manifest carries no base or result fields",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-unknown-member",
        file="models.py",
        find="        if unknown:\n            raise ModelError(\n"
        '                "unknown field", code="unknown_field", field=sorted(map(str, unknown))[0]',
        replace="        if False:\n            raise ModelError(\n"
        '                "unknown field", code="unknown_field", field=sorted(map(str, unknown))[0]',
        reason="a manifest has no members beyond those of the format",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-format-member",
        file="models.py",
        find='        if data["format"] != MANIFEST_FORMAT:\n',
        replace="        if False:\n",
        reason='a manifest says format "antifraud-manifest" (no payload type confusion)',
        families=("manifest", "trust-bundle"),
    ),
    # ------------------------------------------------------------ trust bundle
    Mutation(
        name="trust-duplicate-key",
        file="exchange/trust.py",
        find="                if key.key_id in owners:\n",
        replace="                if False:\n",
        reason="a key appears once in the whole bundle (root and members)",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-signer-is-member",
        file="exchange/trust.py",
        find="                if unknown:\n                    raise _bad(\n"
        '                        f"{m.agency}/{rule.list_type}: signer',
        replace="                if False:\n                    raise _bad(\n"
        '                        f"{m.agency}/{rule.list_type}: signer',
        reason="every signer agency of a rule is a member",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-canonical-bytes",
        file="exchange/trust.py",
        find="        if bundle.to_bytes() != bytes(data):\n",
        replace="        if False:\n",
        reason="trust.json is its own canonical form",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-walk-fork",
        file="exchange/trust.py",
        find="        if seen is not None and seen[0] != bundle_bytes:\n",
        replace="        if False:\n",
        reason="two offered bundles of one version with other bytes are a fork",
        families=("trust-rotation",),
    ),
    Mutation(
        name="trust-walk-gap",
        file="exchange/trust.py",
        find="        if version != trusted.version + 1:\n",
        replace="        if False:\n",
        reason="the chain walk has no missing version",
        families=("trust-rotation",),
        more=(
            (
                "exchange/trust.py",
                "    if new.version != current.version + 1:\n",
                "    if False:\n",
            ),
        ),
    ),
    Mutation(
        name="trust-rotation-previous-root",
        file="exchange/trust.py",
        find='    _check_root(new_bytes, new_sig, current, " (previous root)")\n',
        replace="",
        reason="bundle N+1 is signed by the root threshold of bundle N",
        families=("trust-rotation",),
    ),
    Mutation(
        name="trust-rotation-new-root",
        file="exchange/trust.py",
        find='    _check_root(new_bytes, new_sig, new, " (new root)")\n',
        replace="",
        reason="bundle N+1 is signed by its own root threshold",
        families=("trust-rotation",),
    ),
    Mutation(
        name="trust-chain-cap",
        file="exchange/trust.py",
        find="    if len(newer) > MAX_CHAIN_STEPS:\n",
        replace="    if False:\n",
        reason="a chain walk takes at most 256 steps",
        families=("trust-rotation",),
    ),
    Mutation(
        name="trust-final-fresh",
        file="exchange/trust.py",
        find="    if now >= bundle.expires and now - bundle.expires >= (grace or timedelta(0)):\n",
        replace="    if False:\n",
        reason="the trusted bundle has not expired",
        families=("trust-rotation", "trust-bundle"),
    ),
    Mutation(
        name="manifest-delta-fields-required",
        file="models.py",
        find="            if any(f is None for f in delta_fields):\n",
        replace="            if False:\n",
        reason="a delta manifest names base_version, base_sha256, result_sha256, result_count",
        families=("manifest", "delta"),
        more=(("models.py", "            if absent:\n", "            if False:\n"),),
    ),
    Mutation(
        name="manifest-base-below-version",
        file="models.py",
        find="            if not 1 <= self.base_version < self.version:\n",
        replace="            if False:\n",
        reason="a delta's base_version is at least 1 and lower than its version",
        families=("manifest", "delta"),
    ),
    Mutation(
        name="manifest-count-range",
        file="models.py",
        find="    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= "
        "MAX_SAFE_INTEGER:\n",
        replace="    if not isinstance(value, int) or isinstance(value, bool):\n",
        reason="manifest integers (counts, lengths, versions) lie in 0..2^53-1",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-allow-protected-sorted",
        file="models.py",
        find="        if list(self.allow_protected) != sorted(set(self.allow_protected)):\n",
        replace="        if False:\n",
        reason="allow_protected is sorted by (kind, value) without repeats",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-allow-protected-not-empty",
        file="models.py",
        find='        if "allow_protected" in data and not allow:\n',
        replace="        if False:\n",
        reason="an empty allow_protected is omitted (one canonical form)",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-allow-protected-item-shape",
        file="models.py",
        find='            if set(item) != {"kind", "value"}:\n',
        replace="            if False:\n",
        reason="each allow_protected item is exactly {kind, value}",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-pseudonymised-delta",
        file="models.py",
        find="        if self.pseudonym is not None and self.content is ContentType.DELTA:\n",
        replace="        if False:\n",
        reason="a pseudonymised list is published as snapshots only",
        families=("manifest",),
    ),
    Mutation(
        name="manifest-timestamp-form",
        file="models.py",
        find="    if not isinstance(text, str) or not _TS_RE.fullmatch(text):\n",
        replace="    if not isinstance(text, str):\n",
        reason="timestamps are exactly YYYY-MM-DDTHH:MM:SSZ",
        families=("manifest",),
    ),
    Mutation(
        name="entry-case-ref",
        file="models.py",
        find="        or not 1 <= len(value) <= MAX_CASE_REF\n        or not value.isprintable()\n"
        "        or value != value.strip()\n",
        replace="",
        reason="a case_ref is 1-128 printable characters without outer spaces",
        families=("entries",),
    ),
    Mutation(
        name="entry-tlp",
        file="models.py",
        find='def _to_tlp(value: object) -> TLP:\n    return _enum(TLP, value, "tlp")\n',
        replace="def _to_tlp(value: object) -> TLP:\n    return TLP.AMBER\n",
        reason="tlp is one of clear, green, amber, red",
        families=("entries",),
    ),
    Mutation(
        name="entries-protected",
        file="exchange/entries.py",
        find="        if self.matcher.match(k, value) and (k.value, value) not in self.allowed:\n",
        replace="        if False:\n",
        reason="a protected identifier is refused unless the manifest allows it",
        families=("entries",),
    ),
    Mutation(
        name="entries-protected-allow-list-honoured",
        file="exchange/entries.py",
        find="        if self.matcher.match(k, value) and (k.value, value) not in self.allowed:\n",
        replace="        if self.matcher.match(k, value):\n",
        reason="a protected identifier named in allow_protected is accepted",
        families=("entries",),
    ),
    Mutation(
        name="entries-line-length",
        file="format/jsonl.py",
        find="    max_line_bytes: int = attrs.field(default=4096,",
        replace="    max_line_bytes: int = attrs.field(default=1 << 30,",
        reason="an entry line is at most 4,096 bytes without its LF",
        families=("entries",),
    ),
    Mutation(
        name="verify-plain-vs-pseudonymised",
        file="exchange/signing.py",
        find="    if (manifest.pseudonym is not None) != pseudonymised:\n",
        replace="    if False:\n",
        reason="a plain verifier refuses a pseudonymised list and the other way round",
        families=("manifest",),
    ),
    Mutation(
        name="delta-op-order",
        file="exchange/delta.py",
        find="                if prev is not None and key <= prev:\n",
        replace="                if False:\n",
        reason="delta operations are sorted by key without repeats",
        families=("delta",),
        more=(
            ("exchange/delta.py", "    if prev is not None and key <= prev:\n", "    if False:\n"),
        ),
    ),
    Mutation(
        name="delta-remove-value",
        file="exchange/delta.py",
        find='                        _check_remove_value(kind, key[1].decode("utf-8"), lineno)\n',
        replace="",
        reason="the value of a remove is a valid identifier in canonical form",
        families=("delta",),
    ),
    Mutation(
        name="apply-delta-needs-delta",
        file="conformance/_exchange.py",
        find="    if not head.manifest.is_delta:\n",
        replace="    if False:\n",
        more=(
            (
                "conformance/_exchange.py",
                "        if not manifest.is_delta:  # pragma: no cover",
                "        if False:  # pragma: no cover",
            ),
        ),
        reason="apply-delta refuses a snapshot manifest (not_a_delta)",
        families=("delta",),
    ),
    Mutation(
        name="pseudonym-members",
        file="models.py",
        find="        if keys != _PSEUDONYM_KEYS:\n",
        replace="        if not keys <= _PSEUDONYM_KEYS | {'key'}:\n",
        reason="pseudonym has exactly alg, domain, key_id and key_check",
        families=("pseudonymised",),
    ),
    Mutation(
        name="pseudonym-alg",
        file="models.py",
        find="    if value != PSEUDONYM_ALG:\n",
        replace="    if False:\n",
        reason="the only pseudonym algorithm is HMAC-SHA-256",
        families=("pseudonymised",),
    ),
    Mutation(
        name="trust-expires-after-issued",
        file="exchange/trust.py",
        find="        if self.expires <= self.issued_at:\n",
        replace="        if False:\n",
        reason="a bundle's expires is later than its issued_at",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-format-version",
        file="exchange/trust.py",
        find='        if type(d["format_version"]) is not int or d["format_version"] != 1:\n',
        replace="        if False:\n",
        reason="a bundle's format_version is the integer 1",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-version-at-least-1",
        file="exchange/trust.py",
        find="        if type(self.version) is not int or not 1 <= self.version <= "
        "canonical.MAX_SAFE_INTEGER:\n",
        replace="        if type(self.version) is not int:\n",
        reason="a bundle version is an integer from 1",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-repeated-kinds-actions",
        file="exchange/trust.py",
        find='    if len(out) != len(value):\n        raise _bad("repeated value", field=field)\n',
        replace="",
        reason="a rule's kinds and actions have no repeats",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-repeated-signers",
        file="exchange/trust.py",
        find='    if len(out) != len(value):\n        raise _bad("repeated agency", field="signers")\n',
        replace="",
        reason="a rule's signers have no repeats",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-rule-not-empty",
        file="exchange/trust.py",
        find="        if not self.kinds or not self.actions:\n",
        replace="        if False:\n",
        reason="a rule allows at least one kind and one action",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-known-kinds-actions",
        file="exchange/trust.py",
        find='            raise _bad(f"unknown value {item!r}", field=field) from None\n',
        replace="            continue\n",
        reason="a rule's kinds and actions are known values",
        families=("trust-bundle",),
        more=(
            (
                "exchange/trust.py",
                '    if len(out) != len(value):\n        raise _bad("repeated value", field=field)\n',
                "",
            ),
        ),
    ),
    Mutation(
        name="trust-threshold-reachable",
        file="exchange/trust.py",
        find="                if rule.threshold > available:\n",
        replace="                if False:\n",
        reason="a rule's threshold can be met by its signers' keys",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-threshold-range",
        file="exchange/trust.py",
        find="    if type(value) is not int or not 1 <= value <= 1000:\n",
        replace="    if type(value) is not int:\n",
        reason="thresholds are integers from 1 to 1000",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-root-threshold-reachable",
        file="exchange/trust.py",
        find="        if self.threshold > len(self.keys):\n",
        replace="        if False:\n",
        reason="the root threshold is at most the number of root keys",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-one-rule-per-list-type",
        file="exchange/trust.py",
        find="    if len({key(r) for r in rules}) != len(rules):\n",
        replace="    if False:\n",
        reason="a member has one rule per list type",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-agency-once",
        file="exchange/trust.py",
        find="    if len({m.agency for m in members}) != len(members):\n",
        replace="    if False:\n",
        reason="an agency appears once among the members",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-member-has-keys",
        file="exchange/trust.py",
        find="        if not self.keys:\n",
        replace="        if False:\n",
        reason="a member has at least one key",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-member-name",
        file="exchange/trust.py",
        find="        or not 1 <= len(value) <= 200\n        or not value.isprintable()\n"
        "        or value != value.strip()\n",
        replace="",
        reason="a member name is 1-200 printable characters without outer white space",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-ids",
        file="exchange/trust.py",
        find="    if not isinstance(value, str) or not _ID_RE.fullmatch(value):\n",
        replace="    if not isinstance(value, str):\n",
        reason="bundle, agency and list-type ids are ids (a-z 0-9 _ . -)",
        families=("trust-bundle",),
    ),
    Mutation(
        name="trust-walk-skips-older",
        file="exchange/trust.py",
        find="    newer = sorted(v for v in by_version if v > current.version)\n",
        replace="    newer = sorted(v for v in by_version if v != current.version)\n",
        reason="an offered bundle older than the trusted one is skipped by the chain walk",
        families=("trust-rotation",),
    ),
    Mutation(
        name="trust-wrong-payload-type",
        file="exchange/trust.py",
        find='        if d["format"] != TRUST_FORMAT:\n',
        replace="        if False:\n",
        reason='a bundle says format "antifraud-trust" (no payload type confusion)',
        families=("trust-bundle",),
    ),
    # ------------------------------------------------------------ identifiers
    Mutation(
        name="iccid-country-code",
        file="iccid.py",
        find="    if cc is None:\n",
        replace="    if False:\n",
        reason="the digits after 89 start with an E.164 country code",
        families=("identifier",),
    ),
    Mutation(
        name="iccid-starts-89",
        file="iccid.py",
        find='    if not number.startswith("89"):\n',
        replace="    if False:\n",
        reason="an ICCID starts with 89",
        families=("identifier",),
    ),
    Mutation(
        name="iccid-luhn-19",
        file="iccid.py",
        find="        if n == 19 or strict_luhn:\n",
        replace="        if strict_luhn:\n",
        reason="a 19-digit ICCID's Luhn check digit is checked",
        families=("identifier",),
    ),
    Mutation(
        name="iccid-luhn-20-tolerated",
        file="iccid.py",
        find="        if n == 19 or strict_luhn:\n",
        replace="        if True:\n",
        reason="a 20-digit ICCID may end in an operator digit (Luhn mismatch accepted)",
        families=("identifier",),
    ),
    Mutation(
        name="imei-dummies",
        file="imei.py",
        find="    if is_dummy(body):\n",
        replace="    if False:\n",
        reason="dummy and placeholder IMEIs are refused",
        families=("identifier",),
    ),
    Mutation(
        name="card-scheme-lengths",
        file="card.py",
        find="    if n not in SCHEME_LENGTHS[sch]:\n",
        replace="    if False:\n",
        reason="a card number has a length its scheme allows",
        families=("identifier",),
    ),
    Mutation(
        name="card-legacy-luhn-tolerance",
        file="card.py",
        find="        if strict_luhn or not legacy:\n",
        replace="        if True:\n",
        reason="a legacy domestic BIN's Luhn mismatch is tolerated",
        families=("identifier",),
    ),
    Mutation(
        name="card-luhn",
        file="card.py",
        find="        if strict_luhn or not legacy:\n",
        replace="        if strict_luhn:\n",
        reason="a card number outside the legacy domestic BINs passes the Luhn check",
        families=("identifier",),
    ),
    Mutation(
        name="phone-bare-86-retry",
        file="phone.py",
        find='        if digits[:2] != "86" or len(digits) < 5:\n            raise\n',
        replace="        raise\n",
        reason="a national number written with a bare 86 is retried without it",
        families=("identifier",),
    ),
    Mutation(
        name="phone-bare-86-no-special",
        file="phone.py",
        find="                {*flags, PhoneFlag.BARE_COUNTRY_CODE},\n"
        "                dialled_locally=False,\n                allow_special=False,\n",
        replace="                {*flags, PhoneFlag.BARE_COUNTRY_CODE},\n"
        "                dialled_locally=False,\n                allow_special=True,\n",
        reason="no short code or emergency number follows a bare 86",
        families=("identifier",),
    ),
    Mutation(
        name="phone-sms-ports",
        file="phone.py",
        find="    return None if row is None else _PLAN_KIND[row[0]]\n",
        replace='    return None if row is None or row[0] == "sms_port" else _PLAN_KIND[row[0]]\n',
        reason="106 SMS ports dialled locally are local numbers (tel:106...)",
        families=("identifier",),
    ),
    Mutation(
        name="phone-iot",
        file="phone.py",
        find='    if row is not None and row[0] != "unknown":\n',
        replace='    if row is not None and row[0] not in ("unknown", "iot"):\n',
        reason="13-digit IoT numbers of the allocated 14x blocks are valid",
        families=("identifier",),
    ),
    Mutation(
        name="idcard-date-from-1900",
        file="idcard.py",
        find="    return birth >= MIN_BIRTH_DATE\n",
        replace="    return True\n",
        reason="18 digits read as a resident ID number only when characters 7-14 are a date "
        "from 1900 on",
        families=("identifier",),
    ),
    Mutation(
        name="idcard-real-date",
        file="idcard.py",
        find="        birth = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))\n"
        "    except ValueError:\n        return False\n",
        replace="        birth = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))\n"
        "    except ValueError:\n        return True\n",
        reason="characters 7-14 that are no real date make a credit code",
        families=("identifier",),
    ),
    Mutation(
        name="email-local-part",
        file="account.py",
        find="    if not _EMAIL_LOCAL.fullmatch(local):\n",
        replace="    if False:\n",
        reason="an e-mail local part is dot-separated atoms of the allowed characters",
        families=("identifier",),
    ),
    Mutation(
        name="email-length",
        file="account.py",
        find="    if len(local) > 64 or len(domain) > 253:\n",
        replace="    if False:\n",
        reason="an e-mail local part has at most 64 characters, its domain at most 253",
        families=("identifier",),
    ),
    Mutation(
        name="email-domain",
        file="account.py",
        find="        len(labels) < 2\n        or not all(_DOMAIN_LABEL.fullmatch(label) for label "
        "in labels)\n        or not _TLD.fullmatch(labels[-1])\n",
        replace="        False\n",
        reason="an e-mail domain is a host name of two or more labels with an alphabetic TLD",
        families=("identifier",),
    ),
    # ------------------------------------------------------------ caller-ID verdicts
    Mutation(
        name="callerid-emergency-never-blocked",
        file="callerid/_check.py",
        find="    if emergency and action.rank > CallAction.FLAG.rank:\n"
        "        action = CallAction.FLAG\n    return action\n",
        replace="    if False:\n        action = CallAction.FLAG\n    return action\n",
        reason="a call to an emergency number is never blocked and keeps its caller ID",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-international-domestic",
        file="callerid/_check.py",
        find='                and kind != "foreign"\n',
        replace="                and False\n",
        reason="a +86 caller ID on international ingress is blocked",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-roaming-only-mobiles",
        file="callerid/_check.py",
        find="and not (roaming and kind in _MOBILE_KINDS)",
        replace="and not roaming",
        reason="the roaming exception covers domestic mobiles only",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-reserved-range",
        file="callerid/_check.py",
        find='    "unknown_range": "cli_reserved_range",\n',
        replace="",
        reason="a caller ID in a reserved or unknown range fires cli_reserved_range",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-400-inbound-only",
        file="callerid/_check.py",
        find='    "shared_cost": "cli_inbound_only",\n',
        replace="",
        reason="400 numbers only receive calls",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-presenter-authenticated",
        file="callerid/_check.py",
        find="if presenters is None or trunk_id is None or authenticated is False:",
        replace="if presenters is None or trunk_id is None:",
        reason="a trunk that did not authenticate the caller may not present a protected number",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-dno",
        file="callerid/_check.py",
        find="if self._dno is not None and value in self._dno:",
        replace="if False:",
        reason="a caller ID on the Do-Not-Originate list is blocked",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-ranges",
        file="callerid/_check.py",
        find="elif not ranges.covers(value):",
        replace="elif False:",
        reason="a private line or VoIP trunk presents only its authorised ranges",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-own-subscriber-may-call-itself",
        file="callerid/_check.py",
        find="if where is not _SUBSCRIBER and value == called_value:",
        replace="if value == called_value:",
        reason="cli_equals_called does not fire on subscriber ingress",
        families=("callerid",),
    ),
    Mutation(
        name="callerid-precedence",
        file="callerid/_rules.py",
        find="    CallAction.WITHHOLD: 2,\n",
        replace="    CallAction.WITHHOLD: 4,\n",
        reason="block is stronger than withhold",
        families=("callerid",),
    ),
)


# Weak Ed25519 points (docs/spec/envelope.md, "Ed25519 keys and signatures") and the
# minisign key and signature rules. S < L is not listed: the crypto backend refuses
# S >= L as well, so disabling the library's own copy of that check changes no verdict.
MUTATIONS += (
    Mutation(
        name="ed25519-small-order-points",
        file="format/_ed25519.py",
        find="    if encoding in SMALL_ORDER_ENCODINGS:\n",
        replace="    if False:\n",
        reason="the eight small-order Ed25519 points are refused (keys and R)",
        families=("weak-keys",),
    ),
    Mutation(
        name="ed25519-noncanonical-y",
        file="format/_ed25519.py",
        find='    if y >= P:\n        return "non-canonical"\n',
        replace='    if False:\n        return "non-canonical"\n',
        reason="an Ed25519 encoding with y >= p is refused as weak",
        families=("weak-keys",),
    ),
    Mutation(
        name="ed25519-x-zero-sign-bit",
        file="format/_ed25519.py",
        find="    if y in (1, P - 1) and encoding[31] & 0x80:\n",
        replace="    if False:\n",
        reason="x = 0 with the sign bit set is a non-canonical encoding",
        families=("weak-keys",),
    ),
    Mutation(
        name="jwk-ed25519-on-curve",
        file="format/keys.py",
        find="    problem = _ed25519.key_problem(x)\n",
        replace="    problem = _ed25519.encoding_problem(x)\n",
        reason="an Ed25519 JWK's x decodes to a point of the curve",
        families=("weak-keys",),
    ),
    Mutation(
        name="jwk-weak-key-refused",
        file="format/keys.py",
        find="    if problem is not None:\n        raise WeakKeyError(\n",
        replace="    if False:\n        raise WeakKeyError(\n",
        reason="an Ed25519 public key of small order or non-canonical is refused (weak_key)",
        families=("weak-keys",),
    ),
    Mutation(
        name="jws-weak-r-check",
        file="format/keys.py",
        find='        if problem is not None:\n            raise WeakKeyError(f"weak Ed25519',
        replace='        if False:\n            raise WeakKeyError(f"weak Ed25519',
        reason="a signature's R of small order or non-canonical is refused",
        families=("weak-keys",),
    ),
    Mutation(
        name="jws-weak-signature-while-parsing",
        file="format/jws.py",
        find="        check_signature_encoding(algorithm, signature)\n",
        replace="        pass\n",
        reason="signature encodings are checked while parsing, before any key (weak_signature)",
        families=("weak-keys",),
    ),
    Mutation(
        name="es256-r-s-range",
        file="format/keys.py",
        find="    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):\n",
        replace="    if False:\n",
        reason="an ES256 signature has 0 < r, s < n",
        families=("weak-keys",),
    ),
    Mutation(
        name="minisign-weak-public-key",
        file="minisign.py",
        find="        if problem is not None:\n            raise WeakKeyError(\n",
        replace="        if False:\n            raise WeakKeyError(\n",
        reason="a minisign public key of small order or non-canonical is refused",
        families=("minisign",),
    ),
    Mutation(
        name="minisign-public-key-on-curve",
        file="minisign.py",
        find="        problem = _ed25519.key_problem(value)\n",
        replace="        problem = _ed25519.encoding_problem(value)\n",
        reason="a minisign public key is a point of the curve",
        families=("minisign",),
    ),
    Mutation(
        name="minisign-weak-r",
        file="minisign.py",
        find='        if problem is not None:\n            raise WeakKeyError(f"weak {what}',
        replace='        if False:\n            raise WeakKeyError(f"weak {what}',
        reason="the R of both minisign signatures is canonical and not of small order",
        families=("minisign",),
    ),
)


# The protected-header checks in their specified order, the JWK member rules and the
# minisign file rules (docs/spec/envelope.md "Order of the checks", docs/spec/minisign.md).
MUTATIONS += (
    Mutation(
        name="jws-header-crit",
        file="format/jws.py",
        find='    if "crit" in header:\n',
        replace="    if False:\n",
        reason="a protected header with crit is refused (jws_crit), before other member checks",
        families=("jws-header", "signature"),
    ),
    Mutation(
        name="jws-header-extra-member",
        file="format/jws.py",
        find="    if unknown:\n        raise _bad(\n",
        replace="    if False:\n        raise _bad(\n",
        reason="a protected header has no member but alg, kid, typ (jws_header_member)",
        families=("jws-header",),
    ),
    Mutation(
        name="jws-header-missing-member",
        file="format/jws.py",
        find="        if not isinstance(header.get(name), str):\n",
        replace="        if name not in header:\n",
        reason="alg, kid and typ are present and strings (jws_header), before alg is read",
        families=("jws-header",),
    ),
    Mutation(
        name="jws-header-alg-before-kid",
        file="format/jws.py",
        find="    Algorithm.from_jws_name(alg)  # raises jws_alg_none / jws_alg_unsupported\n",
        replace="",
        reason="alg is checked before kid and typ",
        families=("jws-header",),
    ),
    Mutation(
        name="jws-header-kid-format",
        file="format/jws.py",
        find="    if _KID.fullmatch(kid) is None:\n",
        replace="    if False:\n",
        reason="kid is 43 characters of the base64url alphabet (jws_kid)",
        families=("jws-header",),
    ),
    Mutation(
        name="jws-header-typ-format",
        file="format/jws.py",
        find="    if _TYP.fullmatch(typ) is None:\n",
        replace="    if False:\n",
        reason="typ is 1-255 characters U+0021-U+007E (jws_header), before it is compared",
        families=("jws-header",),
    ),
    Mutation(
        name="jws-expected-typ",
        file="format/jws.py",
        find="        if typ is not None and sig_typ != typ:\n",
        replace="        if False:\n",
        reason="the typ is the one the caller expects (jws_typ), before the signature length",
        families=("jws-header", "signature"),
    ),
    Mutation(
        name="jws-signature-length",
        file="format/jws.py",
        find="        if len(signature) != algorithm.signature_size:\n",
        replace="        if len(signature) < algorithm.signature_size:\n",
        reason="a signature is exactly 64 bytes (jws_signature_length)",
        families=("jws-header",),
    ),
    Mutation(
        name="jwk-alg-fit",
        file="format/keys.py",
        find="            if not ok:\n",
        replace="            if False:\n",
        reason="a JWK's alg fits its key (jwk_mismatch)",
        families=("jwk",),
    ),
    Mutation(
        name="jwk-use-sig",
        file="format/keys.py",
        find='        if "use" in jwk and jwk["use"] != "sig":\n',
        replace="        if False:\n",
        reason="a JWK's use is sig (jwk_mismatch)",
        families=("jwk",),
    ),
    Mutation(
        name="jwk-kid-thumbprint",
        file="format/keys.py",
        find='        if "kid" in jwk and jwk["kid"] != key.key_id:\n',
        replace="        if False:\n",
        reason="a JWK's kid is its RFC 7638 thumbprint (jwk_mismatch)",
        families=("jwk",),
    ),
    Mutation(
        name="jwk-unknown-members",
        file="format/keys.py",
        find="        if unknown:\n            raise BlacklistFormatError(\n",
        replace="        if False:\n            raise BlacklistFormatError(\n",
        reason="a JWK has no member beyond kty, crv, x, y, kid, alg, use (jwk_unsupported)",
        families=("jwk",),
    ),
    Mutation(
        name="jwk-strict-coordinates",
        file="format/keys.py",
        find='    raw = b64url_decode(value, code="jwk_invalid")\n',
        replace='    raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))\n',
        reason="x and y are strict unpadded canonical base64url (jwk_invalid)",
        families=("jwk",),
    ),
    Mutation(
        name="minisign-untrusted-prefix",
        file="minisign.py",
        find="    if not untrusted.startswith(_UNTRUSTED_PREFIX):\n",
        replace="    if False:\n",
        reason="a signature file starts with 'untrusted comment: '",
        families=("minisign",),
    ),
    Mutation(
        name="minisign-trusted-prefix",
        file="minisign.py",
        find="    if not trusted.startswith(_TRUSTED_PREFIX):\n",
        replace="    if False:\n",
        reason="the third line of a signature file starts with 'trusted comment: '",
        families=("minisign",),
    ),
    Mutation(
        name="minisign-public-key-prefix",
        file="minisign.py",
        find="    elif len(lines) == 2 and lines[0].startswith(_UNTRUSTED_PREFIX):\n",
        replace="    elif len(lines) == 2:\n",
        reason="a two-line public key file starts with 'untrusted comment: '",
        families=("minisign",),
    ),
    Mutation(
        name="minisign-canonical-base64",
        file="minisign.py",
        find='    if len(raw) != size or base64.b64encode(raw).decode("ascii") != text:\n',
        replace="    if len(raw) != size:\n",
        reason="minisign base64 lines are canonical (padding, no unused bits set)",
        families=("minisign",),
    ),
)


# Case messages (docs/spec/cases.md): each step of the verification order and the
# state machine's limits.
MUTATIONS += (
    Mutation(
        name="case-sender-signature",
        file="cases/book.py",
        find="    if not valid_kids & own:\n",
        replace="    if False:\n",
        reason="a case message carries a valid signature by a key of its sender",
        families=("cases",),
    ),
    Mutation(
        name="case-rule-recipients",
        file="cases/book.py",
        find="    if rule is None or not rule.allows(message.recipient):\n",
        replace="    if rule is None:\n",
        reason="the sender's message rule names the recipient",
        families=("cases",),
    ),
    Mutation(
        name="case-order-to-account-bank",
        file="cases/book.py",
        find="and body.account.bank != message.recipient:\n",
        replace="and False:\n",
        reason="an order goes to the bank that holds the account",
        families=("cases",),
    ),
    Mutation(
        name="case-threshold",
        file="cases/book.py",
        find="    if len(valid_kids & among) < rule.threshold:\n",
        replace="    if False:\n",
        reason="a message type's k-of-n signers threshold is met",
        families=("cases",),
    ),
    Mutation(
        name="case-expiry",
        file="cases/policy.py",
        find="        if now >= expires:\n",
        replace="        if False:\n",
        reason="a case message is refused at and after its expires",
        families=("cases",),
    ),
    Mutation(
        name="case-clock-skew",
        file="cases/policy.py",
        find="        if issued_at > now + self.clock_skew:\n",
        replace="        if False:\n",
        reason="issued_at more than 5 minutes ahead is refused",
        families=("cases",),
    ),
    Mutation(
        name="case-lifetime",
        file="cases/policy.py",
        find="        if expires - issued_at > self.max_lifetime:\n",
        replace="        if False:\n",
        reason="a case message lives at most 7 days",
        families=("cases",),
    ),
    Mutation(
        name="case-replay",
        file="cases/book.py",
        find="        if seen is not None:\n",
        replace="        if False:\n",
        reason="a message id (per sender) and a message hash are accepted once",
        families=("cases",),
    ),
    Mutation(
        name="case-recipient",
        file="cases/book.py",
        find='        if direction == "in" and message.recipient != self.me:\n',
        replace="        if False:\n",
        reason="a received message is addressed to this member",
        families=("cases",),
    ),
    Mutation(
        name="case-binding-direction",
        file="cases/book.py",
        find="                or rec.sender != message.recipient\n                or rec.recipient != message.sender\n",
        replace="",
        reason="in_reply_to names a message the other party received from this member",
        families=("cases",),
    ),
    Mutation(
        name="case-binding-same-case",
        file="cases/book.py",
        find="                or rec.case_id != message.case_id\n",
        replace="",
        reason="in_reply_to names a message of the same case",
        families=("cases",),
    ),
    Mutation(
        name="case-answer-type",
        file="cases/machine.py",
        find="    elif allowed is not None and answered.type not in allowed:\n",
        replace="    elif False:\n",
        reason="a result answers the kind of request it is the result of",
        families=("cases",),
    ),
    Mutation(
        name="case-stop-limit",
        file="cases/machine.py",
        find="    if stops >= policy.max_stops:\n",
        replace="    if False:\n",
        reason="an account is stopped at most twice",
        families=("cases",),
    ),
    Mutation(
        name="case-stop-sequence",
        file="cases/machine.py",
        find="    if body.sequence != stops + 1:\n",
        replace="    if False:\n",
        reason="a stop order's sequence is the account's stop count plus one",
        families=("cases",),
    ),
    Mutation(
        name="case-stop-term",
        file="cases/machine.py",
        find="    if body.term_hours * 3600 > policy.stop_term.total_seconds():\n",
        replace="    if False:\n",
        reason="a stop order asks for at most 48 hours",
        families=("cases",),
    ),
    Mutation(
        name="case-freeze-lapsed",
        file="cases/machine.py",
        find="    if state is CaseState.FREEZE_LAPSED:\n",
        replace="    if False:\n",
        reason="a lapsed freeze is not renewed (case_freeze_lapsed)",
        families=("cases",),
    ),
    Mutation(
        name="case-freeze-term",
        file="cases/machine.py",
        find="    elif body.frozen_until > policy.freeze_end(body.frozen_at, major=view.major):\n",
        replace="    elif False:\n",
        reason="a freeze lasts at most 6 calendar months (12 for a major case)",
        families=("cases",),
    ),
    Mutation(
        name="reference-list-type",
        file="exchange/reference.py",
        find="    if manifest.list_type != list_type:\n",
        replace="    if False:\n",
        reason="a reference list of one type is refused as another (wrong_list_type)",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-rule-kind-phone",
        file="exchange/reference.py",
        find="    if IdentifierKind.PHONE not in rule.kinds:\n",
        replace="    if False:\n",
        reason="the publish rule of a reference list type includes kind phone",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-hash",
        file="exchange/reference.py",
        find="    if hashlib.sha256(data).hexdigest() != manifest.sha256:\n",
        replace="    if False:\n",
        reason="a reference file has the signed SHA-256",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-line-count",
        file="exchange/reference.py",
        find="    if lines != manifest.entry_count:\n",
        replace="    if False:\n",
        reason="a reference file has the signed line count",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-order",
        file="exchange/reference.py",
        find="        if b < a:\n",
        replace="        if False:\n",
        reason="records are strictly increasing by key (not_sorted)",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-key-as-integers",
        file="exchange/reference.py",
        find='    return tuple(k if isinstance(k, int) else k.encode("utf-8") for k in key)\n',
        replace='    return tuple(str(k).encode("utf-8") for k in key)\n',
        reason="a plan's length orders as an integer, not as digits",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-overlap",
        file="exchange/reference.py",
        find="        if self.plan and prev[:2] == key[:2] and str(key[2]).startswith(str(prev[2])):\n",
        replace="        if False:\n",
        reason="within one table and length no prefix starts another (plan_overlap)",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-kind-of-table",
        file="numberplan.py",
        find="            if self.kind not in kinds:\n",
        replace="            if False:\n",
        reason="an allocated range has a kind of its table",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-length-range",
        file="numberplan.py",
        find="        if type(self.length) is not int or not lo <= self.length <= hi:\n",
        replace="        if type(self.length) is not int:\n",
        reason="a range's length lies in its table's bounds (regular 7-13, local 3-20)",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-prefix-within-length",
        file="numberplan.py",
        find="            or len(prefix) > self.length\n",
        replace="            or False\n",
        reason="a prefix is no longer than the numbers it covers",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-unallocated-no-carrier",
        file="numberplan.py",
        find="        if self.status is RangeStatus.UNALLOCATED and self.carrier:\n",
        replace="        if False:\n",
        reason="an unallocated range names no carrier",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-carrier-printable",
        file="numberplan.py",
        find="    if value and (\n",
        replace="    if False and (\n",
        reason="a carrier is printable text without outer spaces",
        families=("number-plan",),
    ),
    Mutation(
        name="plan-date-real",
        file="numberplan.py",
        find="        _date.fromisoformat(value)\n",
        replace="        pass\n",
        reason="a range's date is a real date",
        families=("number-plan",),
    ),
    Mutation(
        name="dno-canonical-value",
        file="exchange/reference.py",
        find="    if canonical_value != value:\n",
        replace="    if False:\n",
        reason="a reference record's phone value is in canonical form",
        families=("reference",),
    ),
    Mutation(
        name="dno-protected",
        file="exchange/reference.py",
        find='    if hit is not None and ("phone", record.value) not in allow:\n',
        replace="    if False:\n",
        reason="a protected number is on a Do-Not-Originate list only if allow_protected names it",
        families=("reference",),
    ),
    Mutation(
        name="dno-allow-protected",
        file="exchange/reference.py",
        find='    if hit is not None and ("phone", record.value) not in allow:\n',
        replace="    if hit is not None:\n",
        reason="allow_protected lets a Do-Not-Originate list name a protected number",
        families=("reference",),
    ),
    Mutation(
        name="presenters-trunks-sorted",
        file="exchange/reference.py",
        find="            or list(trunks) != sorted(set(trunks))  # type: ignore[type-var]\n",
        replace="            or False\n",
        reason="a presenter record's trunks are sorted and unique",
        families=("reference",),
    ),
    Mutation(
        name="presenters-prefix-form",
        file="exchange/reference.py",
        find='_E164_PREFIX_RE: Final = re.compile(r"\\+[1-9][0-9]{0,14}")\n',
        replace='_E164_PREFIX_RE: Final = re.compile(r"\\+[0-9]+")\n',
        reason="a presenter prefix is + and 1-15 digits, the first not 0",
        families=("reference",),
    ),
    Mutation(
        name="reference-delta-base",
        file="exchange/reference.py",
        find="        elif base_sha != manifest.base_sha256:\n",
        replace="        elif False:\n",
        reason="a reference delta applies only to its signed base",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-delta-result",
        file="exchange/reference.py",
        find="            if hashlib.sha256(data).hexdigest() != manifest.result_sha256 or (\n",
        replace="            if False and (\n",
        reason="a reference delta's result hashes to result_sha256",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-delta-add-existing",
        file="exchange/reference.py",
        find='        if op == "add" and exists:\n',
        replace="        if False:\n",
        reason="an add of a key the base holds is refused (delta_add_existing)",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-delta-key-missing",
        file="exchange/reference.py",
        find='        if op != "add" and not exists:\n',
        replace="        if False:\n",
        reason="a replace or remove of a missing key is refused (delta_key_missing)",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-delta-result-overlap",
        file="exchange/reference.py",
        find="    if spec.name == NUMBER_PLAN:\n        check = _Order(spec)\n",
        replace="    if False:\n        check = _Order(spec)\n",
        reason="a plan delta's result has no overlapping prefixes",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-delta-order",
        file="exchange/reference.py",
        find="        order.check(key, lineno)\n        if record is not None:\n",
        replace="        if record is not None:\n",
        reason="delta operations are strictly increasing by key",
        families=("number-plan",),
    ),
    Mutation(
        name="reference-delta-remove-members",
        file="exchange/reference.py",
        find='        if set(obj) != {*spec.key_members, "op"}:\n',
        replace="        if not set(spec.key_members) <= set(obj):\n",
        reason="a remove names exactly the key members and op",
        families=("number-plan",),
    ),
)


# --------------------------------------------------------------------- applying


def mutated_sources(mutation: Mutation, package: Path = PACKAGE_DIR) -> dict[Path, str]:
    """Return the mutated files (paths relative to the package) with their mutated text.

    Raises :class:`SnippetError` unless every ``find`` occurs exactly once in
    its file and every replacement changes the text.
    """
    out: dict[Path, str] = {}
    for file, find, replace in mutation.edits():
        rel = Path(file)
        if rel not in out:
            try:
                out[rel] = (package / rel).read_text(encoding="utf-8")
            except OSError as e:
                raise SnippetError(f"{mutation.name}: cannot read {file}: {e}") from e
        found = out[rel].count(find)
        if found != 1:
            raise SnippetError(
                f"{mutation.name}: the snippet {find.strip()[:60]!r} occurs {found} times in "
                f"{file} (it must occur exactly once; update the mutation to the current code)"
            )
        if find == replace:
            raise SnippetError(f"{mutation.name}: the replacement equals the snippet")
        out[rel] = out[rel].replace(find, replace, 1)
    return out


def check_snippets(mutations: Sequence[Mutation], package: Path = PACKAGE_DIR) -> list[str]:
    """Return one message per mutation whose snippet does not apply (empty when all do)."""
    problems = []
    names: set[str] = set()
    for m in mutations:
        if m.name in names:
            problems.append(f"{m.name}: the name is used twice")
        names.add(m.name)
        try:
            mutated_sources(m, package)
        except SnippetError as e:
            problems.append(str(e))
    return problems


# The suite runner started in a child process with the mutated copy first on sys.path.
_CHILD = r"""
import json, sys, traceback
import antifraud_common
from antifraud_common.conformance import load_cases, run_suite
from antifraud_common.conformance.impl import run
from antifraud_common.conformance.runner import Outcome

first, hint = sys.argv[1] == "first", [f for f in sys.argv[2].split(",") if f]

def impl(argv):
    try:
        return run(argv)
    except Exception:  # a crash kills the mutation as surely as a wrong verdict
        return 3, ""

cases = load_cases()
rank = {f: i for i, f in enumerate(hint)}
cases.sort(key=lambda c: rank.get(c.family, len(hint)))
killed = []
ran = 0
for case in cases:
    ran += 1
    result = run_suite(impl, cases=[case]).results[0]
    if result.outcome is not Outcome.PASSED:
        killed.append(case.id)
        if first:
            break
print(json.dumps({"package": antifraud_common.__file__, "ran": ran,
                  "total": len(cases), "killed_by": killed}))
"""


@dataclass
class Outcome:
    """What one mutation gave."""

    mutation: Mutation | None
    killed_by: list[str]
    ran: int
    total: int
    seconds: float
    error: str = ""

    @property
    def killed(self) -> bool:
        return bool(self.killed_by) or bool(self.error)


def _run_child(src: Path, *, first: bool, hint: Sequence[str], timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, "first" if first else "all", ",".join(hint)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"the suite did not run (exit {proc.returncode}): {tail}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(src.resolve()):
        raise RuntimeError(f"the child imported {result['package']}, not the copy in {src}")
    return result


class Workspace:
    """A private copy of the package in a temporary directory, mutated one file at a time."""

    def __init__(self, root: Path) -> None:
        self.src = root / "src"
        shutil.copytree(
            PACKAGE_DIR,
            self.src / "antifraud_common",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )

    def run(self, mutation: Mutation | None, *, first: bool, timeout: float) -> Outcome:
        started = time.perf_counter()
        originals: dict[Path, bytes] = {}
        if mutation is not None:
            for rel, text in mutated_sources(mutation).items():
                target = self.src / "antifraud_common" / rel
                originals[target] = target.read_bytes()
                target.write_text(text, encoding="utf-8")
        try:
            hint = mutation.families if mutation is not None else ()
            try:
                res = _run_child(self.src, first=first, hint=hint, timeout=timeout)
            except subprocess.TimeoutExpired:
                res = {"error": f"the suite did not finish within {timeout:.0f} s"}
        finally:
            for target, original in originals.items():
                target.write_bytes(original)
        return Outcome(
            mutation=mutation,
            killed_by=list(res.get("killed_by", [])),
            ran=int(res.get("ran", 0)),
            total=int(res.get("total", 0)),
            seconds=time.perf_counter() - started,
            error=str(res.get("error", "")),
        )


def run_mutations(
    mutations: Sequence[Mutation], *, first: bool, jobs: int, timeout: float
) -> tuple[Outcome, list[Outcome]]:
    """Run the unmutated suite, then every mutation; return (baseline, outcomes)."""
    with tempfile.TemporaryDirectory(prefix="antifraud-mutate-") as tmp:
        spaces = []
        for i in range(max(1, jobs)):
            root = Path(tmp) / f"w{i}"
            root.mkdir()
            spaces.append(Workspace(root))
        baseline = spaces[0].run(None, first=False, timeout=timeout)
        if baseline.killed:
            return baseline, []
        queue = list(enumerate(mutations))
        results: dict[int, Outcome] = {}

        def worker(space: Workspace) -> None:
            while queue:
                try:
                    index, mutation = queue.pop(0)
                except IndexError:
                    return
                outcome = space.run(mutation, first=first, timeout=timeout)
                results[index] = outcome
                _progress(outcome)

        with ThreadPoolExecutor(max_workers=len(spaces)) as pool:
            for future in [pool.submit(worker, s) for s in spaces]:
                future.result()
        return baseline, [results[i] for i in range(len(mutations))]


def _progress(outcome: Outcome) -> None:
    assert outcome.mutation is not None
    if outcome.error:
        verdict = f"killed ({outcome.error})"
    elif outcome.killed_by:
        more = len(outcome.killed_by) - 1
        verdict = f"killed by {outcome.killed_by[0]}" + (f" and {more} more" if more else "")
    else:
        verdict = f"SURVIVED ({outcome.total} cases passed)"
    print(f"{outcome.mutation.name:<44} {verdict}  [{outcome.seconds:.1f} s]", flush=True)


# --------------------------------------------------------------------- report


def _case_counts() -> tuple[int, dict[str, int]]:
    sys.path.insert(0, str(ROOT_DIR / "src"))
    from antifraud_common.conformance import load_cases

    counts: dict[str, int] = {}
    for case in load_cases():
        counts[case.family] = counts.get(case.family, 0) + 1
    return sum(counts.values()), dict(sorted(counts.items()))


def report_markdown(
    outcomes: Sequence[Outcome],
    *,
    first: bool,
    command: str,
    counts: tuple[int, dict[str, int]],
) -> str:
    """The report section of docs/conformance.md (``counts``: the suite the run used)."""
    total, families = counts
    killed = sum(1 for o in outcomes if o.killed)
    lines = [
        REPORT_START,
        "",
        (
            f"Command: `{command}`. Suite: {total} cases in {len(families)} families "
            f"({', '.join(f'`{k}` {v}' for k, v in families.items())})."
        ),
        "",
        f"**{killed} of {len(outcomes)} mutations killed**"
        + ("." if killed == len(outcomes) else f"; {len(outcomes) - killed} survived."),
        "",
        "| mutation | file | check disabled | killed by |",
        "| --- | --- | --- | --- |",
    ]
    for o in outcomes:
        assert o.mutation is not None
        m = o.mutation
        if o.error:
            verdict = o.error
        elif o.killed_by:
            shown = ", ".join(f"`{c}`" for c in o.killed_by[:3])
            rest = len(o.killed_by) - 3
            verdict = shown + (f" and {rest} more" if rest > 0 else "")
            if first:
                verdict += " (first)"
        else:
            verdict = "**survived**"
        lines.append(f"| `{m.name}` | `{m.file}` | {m.reason} | {verdict} |")
    lines += ["", REPORT_END]
    return "\n".join(lines)


def write_report(path: Path, section: str) -> None:
    """Replace the marked section of ``path`` (which must contain both markers)."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(REPORT_START), text.find(REPORT_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: the report markers are missing")
    path.write_text(text[:start] + section + text[end + len(REPORT_END) :], encoding="utf-8")


# --------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--short", action="store_true", help="stop each mutation at its first killing case"
    )
    parser.add_argument("--only", action="append", default=[], help="run only this mutation")
    parser.add_argument("--jobs", type=int, default=1, help="mutations run in parallel")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per suite run")
    parser.add_argument("--check-snippets", action="store_true", help="only check snippets")
    parser.add_argument("--list", action="store_true", help="list the mutations")
    parser.add_argument("--report", type=Path, help="write the report section into this file")
    args = parser.parse_args(argv)

    selected = list(MUTATIONS)
    if args.only:
        known = {m.name for m in MUTATIONS}
        unknown = sorted(set(args.only) - known)
        if unknown:
            print(f"unknown mutation: {', '.join(unknown)}", file=sys.stderr)
            return 2
        selected = [m for m in MUTATIONS if m.name in args.only]
    problems = check_snippets(MUTATIONS)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    if args.list:
        for m in selected:
            print(f"{m.name:<44} {m.file:<28} {m.reason}")
        return 0
    if args.check_snippets:
        print(f"{len(MUTATIONS)} mutations; every snippet occurs exactly once")
        return 0

    counts = _case_counts()  # the suite as copied for this run
    started = time.perf_counter()
    baseline, outcomes = run_mutations(
        selected, first=args.short, jobs=args.jobs, timeout=args.timeout
    )
    if baseline.killed:
        print(
            f"the unmutated suite fails ({baseline.error or baseline.killed_by[:5]}); "
            "fix that first",
            file=sys.stderr,
        )
        return 1
    survived = [o for o in outcomes if not o.killed]
    elapsed = time.perf_counter() - started
    print(
        f"\n{len(outcomes) - len(survived)} of {len(outcomes)} mutations killed, "
        f"{len(survived)} survived ({baseline.total} cases, {elapsed:.0f} s)"
    )
    if args.report is not None:
        command = "python scripts/mutate_conformance.py" + (" --short" if args.short else "")
        section = report_markdown(outcomes, first=args.short, command=command, counts=counts)
        write_report(args.report, section)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
