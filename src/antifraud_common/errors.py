"""The exception tree of antifraud_common.

Every exception the library raises on purpose derives from :class:`AntifraudError`
and carries a stable, machine-readable :attr:`~AntifraudError.code` (a short
``snake_case`` string that never changes once released; the CLI's JSON output and
the conformance suite report it). Messages are for humans and may change.

Validation problems with an identifier are :class:`ValidationError` (also a
:class:`ValueError`, like python-stdnum's errors), split by what is wrong:

>>> from antifraud_common import phone
>>> try:
...     phone.validate("138O0138OOO")
... except InvalidFormatError as e:
...     print(e.code)
letters_not_allowed

Problems with a blacklist file are :class:`BlacklistError`: the bytes are not a
well-formed list (:class:`BlacklistFormatError`) or the list must not be trusted
(:class:`UntrustedBlacklistError`: signature, threshold, expiry, rollback, scope ...).
Messages never contain a full bank-card number.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AntifraudError",
    "BlacklistError",
    "BlacklistFormatError",
    "CaseBindingError",
    "CaseBookError",
    "CaseError",
    "CaseFormatError",
    "CaseFreshnessError",
    "CaseRecipientError",
    "CaseReplayError",
    "CaseScopeError",
    "CaseSignatureError",
    "CaseTransitionError",
    "ConfigurationError",
    "DecryptionError",
    "DeltaBaseMismatchError",
    "DeltaMismatchError",
    "ExpiredError",
    "FileAccessError",
    "ForkError",
    "HashMismatchError",
    "InvalidChecksumError",
    "InvalidComponentError",
    "InvalidFormatError",
    "InvalidLengthError",
    "ModelError",
    "NaiveDatetimeError",
    "NaiveTrustTimeError",
    "ProtectedIdentifierError",
    "RollbackError",
    "ScopeError",
    "SignatureError",
    "StateError",
    "ThresholdError",
    "TrustBundleError",
    "UntrustedBlacklistError",
    "ValidationError",
    "WeakKeyError",
]


class AntifraudError(Exception):
    """Root of every error antifraud_common raises on purpose.

    ``code`` is the stable machine-readable reason. A subclass sets a default;
    a raise site may give a more specific one (``code="letters_not_allowed"``).
    ``field`` names the offending field of a record and ``line`` the 1-based line
    of a file, where they are known.
    """

    code: str = "antifraud_error"
    default_message: ClassVar[str] = "antifraud_common error"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.field = field
        self.line = line
        super().__init__(self.message)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI: ``{"code", "message", ...}``."""
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.line is not None:
            out["line"] = self.line
        return out


class ConfigurationError(AntifraudError, ValueError):
    """A caller passed an unusable option (unknown region, bad table file ...)."""

    code = "configuration_error"
    default_message = "invalid configuration"


class FileAccessError(AntifraudError, OSError):
    """A file could not be read or written as asked (also an :class:`OSError`).

    Codes: ``file_not_found``, ``permission_denied``, ``name_too_long``,
    ``not_a_regular_file`` (a FIFO, device, socket or directory where a file is
    expected), ``file_too_large`` (over the reader's size limit), ``disk_full``,
    ``read_only_file_system``, ``file_exists``, ``io_error``.
    """

    code = "io_error"
    default_message = "a file could not be read or written"


class ValidationError(AntifraudError, ValueError):
    """An identifier (phone number, card, account ...) is not valid."""

    code = "invalid"
    default_message = "the value is not valid"


class InvalidFormatError(ValidationError):
    """Wrong type, characters or shape."""

    code = "invalid_format"
    default_message = "the value has an invalid format"


class InvalidLengthError(InvalidFormatError):
    """The number of digits (or characters) is outside the allowed range."""

    code = "invalid_length"
    default_message = "the value has an invalid length"


class InvalidChecksumError(ValidationError):
    """A check digit (Luhn, ISO 7064 ...) does not match."""

    code = "invalid_checksum"
    default_message = "the check digit does not match"


class InvalidComponentError(ValidationError):
    """A part of the value is unknown or impossible (range, region, date ...)."""

    code = "invalid_component"
    default_message = "a part of the value is invalid or unknown"


class ModelError(AntifraudError, ValueError):
    """A record (entry, manifest, trust bundle ...) has a missing, unknown or bad field."""

    code = "invalid_record"
    default_message = "the record is not valid"


class BlacklistError(AntifraudError):
    """Something is wrong with a blacklist file or its signature."""

    code = "blacklist_error"
    default_message = "blacklist error"


class BlacklistFormatError(BlacklistError, ValueError):
    """The bytes are not a well-formed list, manifest, envelope or bundle."""

    code = "format_error"
    default_message = "the blacklist file is not well-formed"


class UntrustedBlacklistError(BlacklistError):
    """The list must not be trusted: signature, threshold, expiry, rollback, scope ..."""

    code = "untrusted"
    default_message = "the blacklist must not be trusted"


# ------------------------------------------------------ signed list exchange


class WeakKeyError(BlacklistFormatError, UntrustedBlacklistError):
    """An Ed25519 key or signature uses a point no honest signer produces.

    Code ``weak_key``: a public key of small order (one of the eight torsion
    points) or with a non-canonical encoding (``y >= p``, or ``x = 0`` with the
    sign bit set). Code ``weak_signature``: a signature whose ``R`` is such a
    point, whose ``S`` is not below the group order ``L``, or an ES256 signature
    with ``r`` or ``s`` outside ``1 .. n-1``. Both are refused before any
    signature is trusted: with a small-order key, one fixed signature verifies
    for every message (see ``docs/spec/envelope.md``, "Ed25519 keys and
    signatures"). It is both a :class:`BlacklistFormatError` (the bytes are not
    an acceptable key or signature) and an :class:`UntrustedBlacklistError`, so
    handlers of either catch it.
    """

    code = "weak_key"
    default_message = "a weak or non-canonical Ed25519 key"


class SignatureError(UntrustedBlacklistError):
    """No signature on the list (or bundle) verifies with a trusted key."""

    code = "signature_invalid"
    default_message = "no valid signature from a trusted key"


class ThresholdError(UntrustedBlacklistError):
    """Valid signatures exist, but fewer distinct authorised keys than the threshold."""

    code = "threshold_not_met"
    default_message = "not enough distinct authorised keys signed"


class ScopeError(UntrustedBlacklistError):
    """The issuer may not publish this list type, identifier kind or action."""

    code = "out_of_scope"
    default_message = "the issuer is not authorised to publish this"


class ExpiredError(UntrustedBlacklistError):
    """The list (or bundle) is outside its validity period (``expires``, ``issued_at``)."""

    code = "expired"
    default_message = "the list has expired"


class RollbackError(UntrustedBlacklistError):
    """The version is older than the one the receiver already accepted."""

    code = "rollback"
    default_message = "the version is older than the accepted one"


class ForkError(UntrustedBlacklistError):
    """Same version as the accepted one, but different content."""

    code = "fork"
    default_message = "same version with different content"


class HashMismatchError(UntrustedBlacklistError):
    """The entries file does not match its manifest.

    Codes: ``hash_mismatch`` (SHA-256), ``length_mismatch`` (bytes),
    ``count_mismatch`` (lines).
    """

    code = "hash_mismatch"
    default_message = "the entries file does not match the signed manifest"


class ProtectedIdentifierError(UntrustedBlacklistError):
    """The list contains a protected identifier (emergency number, official hotline ...)."""

    code = "protected_identifier"
    default_message = "a protected identifier is listed without explicit permission"


class DeltaBaseMismatchError(UntrustedBlacklistError):
    """A delta does not apply to the receiver's state (a gap: fetch a snapshot)."""

    code = "delta_base_mismatch"
    default_message = "the delta's base is not the receiver's current state"


class DeltaMismatchError(UntrustedBlacklistError):
    """Applying a delta does not produce the signed result state hash."""

    code = "delta_result_mismatch"
    default_message = "the delta does not produce the signed result"


class TrustBundleError(UntrustedBlacklistError):
    """The trust bundle is invalid, unsigned, or its rotation is not allowed.

    Codes include ``trust_invalid``, ``trust_rotation_threshold``,
    ``trust_version_gap``, ``trust_fork``, ``trust_expired``, ``trust_chain_too_long``.
    """

    code = "trust_invalid"
    default_message = "the trust bundle is not valid"


class StateError(AntifraudError):
    """The receiver's state store is unusable (damaged, locked, wrong schema)."""

    code = "state_error"
    default_message = "the receiver state is unusable"


class NaiveDatetimeError(ConfigurationError, ModelError, StateError):
    """A datetime without a UTC offset (or not a datetime) where an aware one is required.

    The one error of the one clock check (``antifraud_common._clock``): every
    function taking ``now``, an expiry or a timestamp raises it. It derives
    from each error those functions raised for this before, so existing
    ``except`` clauses keep working; it is a :class:`ValueError`.

    >>> from datetime import datetime
    >>> from antifraud_common.models import format_timestamp
    >>> try:
    ...     format_timestamp(datetime(2026, 1, 1))
    ... except ModelError as e:
    ...     print(type(e).__name__, e.code)
    NaiveDatetimeError naive_datetime
    """

    code = "naive_datetime"
    default_message = "naive datetimes are not accepted; use UTC"


class NaiveTrustTimeError(NaiveDatetimeError, TrustBundleError):
    """A naive (or non-datetime) ``now`` given to a trust-bundle function.

    The clock check's :class:`NaiveDatetimeError` (code ``naive_datetime``),
    also a :class:`TrustBundleError`, the type these functions raised for it
    before, so ``except TrustBundleError`` clauses keep catching it. The clock
    check raises it with code ``naive_datetime``, as every clock error has (the
    class's own default code, ``trust_naive_now``, exists only because every error
    class has a distinct one; the library never raises it with that code).
    """

    code = "trust_naive_now"
    default_message = "the trust check's now must be an aware datetime (UTC)"


class CaseBookError(StateError):
    """The case book is unusable: locked, wrong schema, or its message chain was edited.

    Codes include ``case_book_locked``, ``case_book_schema`` and ``case_book_tampered``.
    """

    code = "case_book_error"
    default_message = "the case book is unusable"


# ----------------------------------------------------------- case messages


class DecryptionError(AntifraudError, ValueError):
    """A JWE could not be decrypted: wrong key, changed byte or malformed token.

    Deliberately opaque (one code, one message): it never says which check
    failed and never shows any part of the plaintext.
    """

    code = "decryption_failed"
    default_message = "the message cannot be decrypted with this key"


class CaseError(AntifraudError):
    """A case message (query, stop-payment, freeze ...) is refused.

    The case book is left unchanged. Each subclass is one step of the fixed
    verification order of ``docs/spec/cases.md``.
    """

    code = "case_error"
    default_message = "the case message is refused"


class CaseFormatError(CaseError, ValueError):
    """The envelope or the message is malformed (step 1)."""

    code = "case_format"
    default_message = "the case message is not well-formed"


class CaseSignatureError(CaseError):
    """No valid signature by the sender, or too few signers (step 2).

    Codes: ``case_signature_invalid``, ``case_threshold_not_met``.
    """

    code = "case_signature_invalid"
    default_message = "no valid signature by the sender"


class CaseScopeError(CaseError):
    """The sender may not send this message type to this recipient (step 2).

    Codes: ``case_out_of_scope``, ``case_unknown_member``, ``case_account_not_recipient``.
    """

    code = "case_out_of_scope"
    default_message = "the sender may not send this message to this recipient"


class CaseFreshnessError(CaseError):
    """The message has expired or is issued in the future (step 3).

    Codes: ``case_expired``, ``case_not_yet_valid``, ``case_lifetime``.
    """

    code = "case_expired"
    default_message = "the case message is not fresh"


class CaseReplayError(CaseError):
    """This message id (or these exact bytes) was already recorded (step 4)."""

    code = "case_replay"
    default_message = "the message was already received"


class CaseRecipientError(CaseError):
    """The message is addressed to another member (step 5)."""

    code = "case_wrong_recipient"
    default_message = "the message is not addressed to this member"


class CaseBindingError(CaseError):
    """``in_reply_to`` does not name a message this member sent in this case (step 6).

    Codes: ``case_unknown_request``, ``case_reply_missing``, ``case_reply_mismatch``.
    """

    code = "case_unknown_request"
    default_message = "the reply names no message this member sent"


class CaseTransitionError(CaseError):
    """The case's state does not allow this message (step 7).

    Codes: ``case_transition``, ``case_stop_limit``, ``case_freeze_lapsed``,
    ``case_already_answered``, ``case_unknown_case``.
    """

    code = "case_transition"
    default_message = "the case's state does not allow this message"
