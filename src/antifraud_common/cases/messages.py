"""Case messages: typed, immutable models of every message type, and their JSON shape.

A case message is one JSON object (the payload of one JWS, typed
:data:`CASE_TYP`) with the members every type shares -- ``message_id``,
``case_id``, ``type``, ``sender``, ``recipient``, ``issued_at``, ``expires``,
``in_reply_to`` -- and a ``body`` whose shape depends on ``type``. The format is
specified in ``docs/spec/cases.md``; JSON Schemas ship in
:mod:`antifraud_common.schemas` (``case-message``).

Untrusted input enters through :meth:`CaseMessage.from_dict` (strict: unknown,
missing or mistyped members raise :class:`~antifraud_common.errors.CaseFormatError`
naming the field) or :meth:`CaseMessage.from_payload` (canonical bytes). The
``repr`` of a message or body never shows personal data (names, account
numbers, balances, transactions).

>>> from datetime import datetime, UTC
>>> t = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
>>> m = CaseMessage.build(
...     type="ack", message_id="m-2", case_id="c-1", sender="icbc", recipient="mps",
...     issued_at=t, in_reply_to="00" * 32, body=Ack())
>>> CaseMessage.from_payload(m.to_payload()) == m
True
>>> m.to_dict()["expires"]
'2026-03-02T08:00:00Z'
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final, Self, cast

import attrs

from antifraud_common._clock import aware_utc
from antifraud_common.errors import (
    BlacklistFormatError,
    CaseFormatError,
    ModelError,
    NaiveDatetimeError,
)
from antifraud_common.format import canonical
from antifraud_common.models import format_timestamp, parse_timestamp

__all__ = [
    "BODY_TYPES",
    "CASE_FORMAT",
    "CASE_TYP",
    "MAX_MESSAGE_BYTES",
    "Account",
    "AccountStatus",
    "Ack",
    "Body",
    "CaseMessage",
    "ErrorBody",
    "FreezeOrder",
    "FreezeRelease",
    "FreezeRenewal",
    "FreezeResult",
    "FreezeStatus",
    "MessageType",
    "Money",
    "Payee",
    "QueryRequest",
    "QueryResponse",
    "QueryResult",
    "QueryStatus",
    "RejectReason",
    "ReturnOrder",
    "ReturnResult",
    "ReturnStatus",
    "StopPaymentOrder",
    "StopPaymentResult",
    "StopStatus",
    "Subject",
    "SubjectKind",
    "Transaction",
    "message_hash",
]

#: The ``format`` member of every case message.
CASE_FORMAT: Final = "antifraud-case"
#: The JWS ``typ`` of a case message (distinct from lists' and trust bundles').
CASE_TYP: Final = "antifraud-case+json"
#: Largest accepted message payload, in bytes.
MAX_MESSAGE_BYTES: Final = 1024 * 1024

_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}", re.ASCII)
_MEMBER_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}", re.ASCII)
_HASH_RE: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}", re.ASCII)
_NUMBER_RE: Final = re.compile(r"[0-9A-Za-z-]{1,64}", re.ASCII)
_DEFAULT_LIFETIME: Final = timedelta(hours=24)


def message_hash(payload: bytes) -> str:
    """The SHA-256 (lowercase hex) of a message's signed payload bytes: what ``in_reply_to`` names.

    >>> message_hash(b"{}")[:16]
    '44136fa355b3678a'
    """
    return hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------ helpers


def _bad(message: str, field: str, code: str = "case_format") -> CaseFormatError:
    return CaseFormatError(message, code=code, field=field)


def _obj(
    data: object, required: frozenset[str], field: str, optional: frozenset[str] = frozenset()
) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _bad("expected a JSON object", field)
    names = set(data)
    extra = names - required - optional
    if extra:
        raise _bad(f"unknown member {sorted(map(str, extra))[0]!r}", field)
    missing = required - names
    if missing:
        raise _bad(f"missing member {sorted(missing)[0]!r}", field)
    return data


def _text(value: object, field: str, *, max_len: int = 200, min_len: int = 1) -> str:
    if (
        not isinstance(value, str)
        or not min_len <= len(value) <= max_len
        or not value.isprintable()
        or value != value.strip()
    ):
        raise _bad(f"expected {min_len}-{max_len} printable characters", field)
    return value


def _ts(value: object, field: str) -> datetime:
    if isinstance(value, datetime):
        # A message's times are fields of the message: refused as its own format error.
        try:
            return aware_utc(value, field=field).replace(microsecond=0)
        except NaiveDatetimeError as e:
            raise _bad(e.message, field, e.code) from None
    try:
        return parse_timestamp(value, field=field)
    except ModelError as e:
        raise _bad(e.message, field, e.code) from e


def _int(value: object, field: str, lo: int = 0, hi: int = canonical.MAX_SAFE_INTEGER) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise _bad(f"expected an integer from {lo} to {hi}", field)
    return value


def _enum(cls: type[Any], value: object, field: str) -> Any:
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except (ValueError, TypeError):
        raise _bad(f"unknown value {value!r}", field) from None


def _check_member(value: object, field: str) -> str:
    if not isinstance(value, str) or not _MEMBER_RE.fullmatch(value):
        raise _bad("a member id is 1-64 of a-z 0-9 _ . - starting with a letter or digit", field)
    return value


def _check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise _bad("an id is 1-128 of A-Z a-z 0-9 _ . : - starting with a letter or digit", field)
    return value


def _list(value: object, field: str, lo: int, hi: int) -> list[Any]:
    if not isinstance(value, list | tuple) or not lo <= len(value) <= hi:
        raise _bad(f"expected a list of {lo} to {hi} items", field)
    return list(value)


# ------------------------------------------------------------------ vocabularies


class MessageType(enum.Enum):
    """The type of a case message (its ``type`` member)."""

    QUERY_REQUEST = "query_request"
    QUERY_RESPONSE = "query_response"
    STOP_PAYMENT_ORDER = "stop_payment_order"
    STOP_PAYMENT_RESULT = "stop_payment_result"
    FREEZE_ORDER = "freeze_order"
    FREEZE_RENEWAL = "freeze_renewal"
    FREEZE_RELEASE = "freeze_release"
    FREEZE_RESULT = "freeze_result"
    RETURN_ORDER = "return_order"
    RETURN_RESULT = "return_result"
    ACK = "ack"
    ERROR = "error"


class SubjectKind(enum.Enum):
    """What a queried subject identifier is."""

    BANK_CARD = "bank_card"
    BANK_ACCOUNT = "bank_account"
    PAYMENT_ACCOUNT = "payment_account"
    PHONE = "phone"
    ID_NUMBER = "id_number"


class QueryStatus(enum.Enum):
    """A query response is complete, or pending with a time to poll again."""

    COMPLETE = "complete"
    PENDING = "pending"


class AccountStatus(enum.Enum):
    """An account's status in a query result."""

    ACTIVE = "active"
    STOPPED = "stopped"
    FROZEN = "frozen"
    CLOSED = "closed"
    NOT_FOUND = "not_found"


class StopStatus(enum.Enum):
    """The outcome of a stop-payment order."""

    STOPPED = "stopped"
    #: Name, number, amount or transfer time do not match: the bank must not stop.
    MISMATCH = "mismatch"
    REJECTED = "rejected"


class FreezeStatus(enum.Enum):
    """The outcome of a freeze order, renewal or release."""

    FROZEN = "frozen"
    RELEASED = "released"
    MISMATCH = "mismatch"
    REJECTED = "rejected"


class ReturnStatus(enum.Enum):
    """The outcome of a return order."""

    RETURNED = "returned"
    REJECTED = "rejected"


class RejectReason(enum.Enum):
    """Why an order was rejected (closed vocabulary)."""

    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_CLOSED = "account_closed"
    INSUFFICIENT_LEGAL_BASIS = "insufficient_legal_basis"
    STOP_LIMIT_REACHED = "stop_limit_reached"
    ALREADY_FROZEN = "already_frozen"
    NOT_FROZEN = "not_frozen"
    NO_FUNDS = "no_funds"
    OTHER = "other"


_MISMATCH_FIELDS: Final = ("amount", "name", "number", "transfer_time")


# ------------------------------------------------------------------ parts


@attrs.frozen(kw_only=True)
class Money:
    """An amount in minor units (fen for CNY) and its ISO 4217 currency."""

    amount: int = attrs.field(repr=False)
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        _int(self.amount, "amount")
        untyped: object = self.currency
        if not isinstance(untyped, str) or not _CURRENCY_RE.fullmatch(untyped):
            raise _bad("a currency is three capital letters (ISO 4217)", "currency")

    @classmethod
    def from_dict(cls, data: object, field: str = "amount") -> Money:
        """Build from ``{"amount": int, "currency": "CNY"}``, strictly."""
        d = _obj(data, frozenset({"amount", "currency"}), field)
        return cls(amount=_int(d["amount"], f"{field}.amount"), currency=d["currency"])

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {"amount": self.amount, "currency": self.currency}


@attrs.frozen(kw_only=True)
class Account:
    """A bank or payment account: the member holding it, its number and holder name."""

    #: Member id of the bank or payment company holding the account.
    bank: str
    number: str = attrs.field(repr=False)
    name: str = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        _check_member(self.bank, "account.bank")
        untyped: object = self.number
        if not isinstance(untyped, str) or not _NUMBER_RE.fullmatch(untyped):
            raise _bad("an account number is 1-64 of 0-9 A-Z a-z -", "account.number")
        _text(self.name, "account.name")

    @classmethod
    def from_dict(cls, data: object, field: str = "account") -> Account:
        """Build from ``{"bank", "number", "name"}``, strictly."""
        d = _obj(data, frozenset({"bank", "number", "name"}), field)
        return cls(bank=d["bank"], number=d["number"], name=d["name"])

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {"bank": self.bank, "number": self.number, "name": self.name}

    @property
    def key(self) -> tuple[str, str]:
        """``(bank, number)``: what the stop limit is counted by."""
        return (self.bank, self.number)


def _subject_kind(value: object) -> SubjectKind:
    kind: SubjectKind = _enum(SubjectKind, value, "subject.kind")
    return kind


def _to_account_status(value: object) -> AccountStatus:
    out: AccountStatus = _enum(AccountStatus, value, "account_status")
    return out


def _to_query_status(value: object) -> QueryStatus:
    out: QueryStatus = _enum(QueryStatus, value, "status")
    return out


def _to_stop_status(value: object) -> StopStatus:
    out: StopStatus = _enum(StopStatus, value, "status")
    return out


def _to_freeze_status(value: object) -> FreezeStatus:
    out: FreezeStatus = _enum(FreezeStatus, value, "status")
    return out


def _to_return_status(value: object) -> ReturnStatus:
    out: ReturnStatus = _enum(ReturnStatus, value, "status")
    return out


def _to_reason(value: object) -> RejectReason | None:
    if value is None:
        return None
    out: RejectReason = _enum(RejectReason, value, "reason")
    return out


def _to_time(value: datetime) -> datetime:
    return _ts(value, "time")


def _to_time_opt(value: datetime | None) -> datetime | None:
    return None if value is None else _ts(value, "time")


@attrs.frozen(kw_only=True)
class Subject:
    """One identifier a query asks about."""

    kind: SubjectKind = attrs.field(converter=_subject_kind)
    value: str = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        _text(self.value, "subject.value", max_len=128)

    @classmethod
    def from_dict(cls, data: object) -> Subject:
        """Build from ``{"kind", "value"}``, strictly."""
        d = _obj(data, frozenset({"kind", "value"}), "subject")
        return cls(kind=d["kind"], value=d["value"])

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {"kind": self.kind.value, "value": self.value}


@attrs.frozen(kw_only=True)
class Transaction:
    """One transaction in a query result."""

    time: datetime = attrs.field(converter=_to_time)
    amount: Money = attrs.field(repr=False)
    direction: str
    counterparty: str = attrs.field(repr=False)

    @classmethod
    def from_dict(cls, data: object) -> Transaction:
        """Build from its JSON shape, strictly."""
        d = _obj(data, frozenset({"time", "amount", "direction", "counterparty"}), "transactions")
        if d["direction"] not in ("in", "out"):
            raise _bad("direction is 'in' or 'out'", "transactions.direction")
        return cls(
            time=_ts(d["time"], "transactions.time"),
            amount=Money.from_dict(d["amount"], "transactions.amount"),
            direction=d["direction"],
            counterparty=_text(d["counterparty"], "transactions.counterparty"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {
            "time": format_timestamp(self.time),
            "amount": self.amount.to_dict(),
            "direction": self.direction,
            "counterparty": self.counterparty,
        }


@attrs.frozen(kw_only=True)
class QueryResult:
    """What a bank found for one queried subject."""

    subject: Subject
    account_status: AccountStatus = attrs.field(converter=_to_account_status)
    holder_name: str | None = attrs.field(default=None, repr=False)
    balance: Money | None = attrs.field(default=None, repr=False)
    transactions: tuple[Transaction, ...] = attrs.field(default=(), repr=False)

    @classmethod
    def from_dict(cls, data: object) -> QueryResult:
        """Build from its JSON shape, strictly."""
        d = _obj(
            data,
            frozenset({"subject", "account_status"}),
            "results",
            frozenset({"holder_name", "balance", "transactions"}),
        )
        return cls(
            subject=Subject.from_dict(d["subject"]),
            account_status=_enum(AccountStatus, d["account_status"], "results.account_status"),
            holder_name=(
                None
                if d.get("holder_name") is None
                else _text(d["holder_name"], "results.holder_name")
            ),
            balance=None if d.get("balance") is None else Money.from_dict(d["balance"], "balance"),
            transactions=tuple(
                Transaction.from_dict(t)
                for t in _list(d.get("transactions", []), "transactions", 0, 10000)
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape (absent members omitted)."""
        out: dict[str, Any] = {
            "subject": self.subject.to_dict(),
            "account_status": self.account_status.value,
        }
        if self.holder_name is not None:
            out["holder_name"] = self.holder_name
        if self.balance is not None:
            out["balance"] = self.balance.to_dict()
        if self.transactions:
            out["transactions"] = [t.to_dict() for t in self.transactions]
        return out


@attrs.frozen(kw_only=True)
class Payee:
    """A victim to whom frozen funds are returned."""

    name: str = attrs.field(repr=False)
    bank: str
    number: str = attrs.field(repr=False)
    amount: Money = attrs.field(repr=False)

    @classmethod
    def from_dict(cls, data: object) -> Payee:
        """Build from its JSON shape, strictly."""
        d = _obj(data, frozenset({"name", "bank", "number", "amount"}), "payees")
        if not isinstance(d["number"], str) or not _NUMBER_RE.fullmatch(d["number"]):
            raise _bad("an account number is 1-64 of 0-9 A-Z a-z -", "payees.number")
        return cls(
            name=_text(d["name"], "payees.name"),
            bank=_text(d["bank"], "payees.bank"),
            number=d["number"],
            amount=Money.from_dict(d["amount"], "payees.amount"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {
            "name": self.name,
            "bank": self.bank,
            "number": self.number,
            "amount": self.amount.to_dict(),
        }


# ------------------------------------------------------------------ bodies


class Body:
    """Base of every message body; :attr:`TYPE` is the message type it belongs to."""

    TYPE: ClassVar[MessageType]

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every body overrides
        """Return the JSON shape."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: object) -> Body:  # pragma: no cover - every body overrides
        """Build from the JSON shape, strictly."""
        raise NotImplementedError


def _legal(value: object, field: str = "legal_basis") -> str:
    return _text(value, field, max_len=500)


@attrs.frozen(kw_only=True)
class QueryRequest(Body):
    """Instant query (auth.001): who holds these identifiers, balances, transactions."""

    TYPE: ClassVar[MessageType] = MessageType.QUERY_REQUEST
    subjects: tuple[Subject, ...] = attrs.field(repr=False)
    legal_basis: str
    period_from: datetime = attrs.field(converter=_to_time)
    period_to: datetime = attrs.field(converter=_to_time)
    #: When the answer is due (the response, complete or pending, must arrive by then).
    due: datetime = attrs.field(converter=_to_time)

    def __attrs_post_init__(self) -> None:
        if not 1 <= len(self.subjects) <= 100:
            raise _bad("a query names 1 to 100 subjects", "subjects")
        if self.period_to < self.period_from:
            raise _bad("the period ends before it starts", "period")

    @classmethod
    def from_dict(cls, data: object) -> QueryRequest:
        d = _obj(data, frozenset({"subjects", "legal_basis", "period", "due"}), "body")
        p = _obj(d["period"], frozenset({"from", "to"}), "period")
        return cls(
            subjects=tuple(Subject.from_dict(s) for s in _list(d["subjects"], "subjects", 1, 100)),
            legal_basis=_legal(d["legal_basis"]),
            period_from=_ts(p["from"], "period.from"),
            period_to=_ts(p["to"], "period.to"),
            due=_ts(d["due"], "due"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "subjects": [s.to_dict() for s in self.subjects],
            "legal_basis": self.legal_basis,
            "period": {
                "from": format_timestamp(self.period_from),
                "to": format_timestamp(self.period_to),
            },
            "due": format_timestamp(self.due),
        }


@attrs.frozen(kw_only=True)
class QueryResponse(Body):
    """Answer to a query (auth.002): complete results, or pending with a time to poll again."""

    TYPE: ClassVar[MessageType] = MessageType.QUERY_RESPONSE
    status: QueryStatus = attrs.field(converter=_to_query_status)
    results: tuple[QueryResult, ...] = attrs.field(default=(), repr=False)
    poll_after: datetime | None = attrs.field(default=None, converter=_to_time_opt)

    def __attrs_post_init__(self) -> None:
        if self.status is QueryStatus.PENDING and (self.poll_after is None or self.results):
            raise _bad("a pending response has poll_after and no results", "poll_after")
        if self.status is QueryStatus.COMPLETE and self.poll_after is not None:
            raise _bad("a complete response has no poll_after", "poll_after")

    @classmethod
    def from_dict(cls, data: object) -> QueryResponse:
        d = _obj(data, frozenset({"status"}), "body", frozenset({"results", "poll_after"}))
        status = _enum(QueryStatus, d["status"], "status")
        if status is QueryStatus.COMPLETE:
            _obj(data, frozenset({"status", "results"}), "body")
            return cls(
                status=status,
                results=tuple(
                    QueryResult.from_dict(r) for r in _list(d["results"], "results", 0, 100)
                ),
            )
        _obj(data, frozenset({"status", "poll_after"}), "body")
        return cls(status=status, poll_after=_ts(d["poll_after"], "poll_after"))

    def to_dict(self) -> dict[str, Any]:
        if self.status is QueryStatus.COMPLETE:
            return {"status": "complete", "results": [r.to_dict() for r in self.results]}
        assert self.poll_after is not None
        return {"status": "pending", "poll_after": format_timestamp(self.poll_after)}


@attrs.frozen(kw_only=True)
class StopPaymentOrder(Body):
    """Emergency stop-payment (紧急止付) of the account a victim's money went to."""

    TYPE: ClassVar[MessageType] = MessageType.STOP_PAYMENT_ORDER
    account: Account
    amount: Money = attrs.field(repr=False)
    transfer_time: datetime = attrs.field(converter=_to_time)
    #: 1 for the first stop of this account, 2 for the second (the last allowed).
    sequence: int
    #: How long the stop lasts, in hours (at most the policy's stop term).
    term_hours: int
    legal_basis: str

    def __attrs_post_init__(self) -> None:
        _int(self.sequence, "sequence", 1, 1000)
        _int(self.term_hours, "term_hours", 1, 10000)

    @classmethod
    def from_dict(cls, data: object) -> StopPaymentOrder:
        d = _obj(
            data,
            frozenset(
                {"account", "amount", "transfer_time", "sequence", "term_hours", "legal_basis"}
            ),
            "body",
        )
        return cls(
            account=Account.from_dict(d["account"]),
            amount=Money.from_dict(d["amount"]),
            transfer_time=_ts(d["transfer_time"], "transfer_time"),
            sequence=_int(d["sequence"], "sequence", 1, 1000),
            term_hours=_int(d["term_hours"], "term_hours", 1, 10000),
            legal_basis=_legal(d["legal_basis"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account.to_dict(),
            "amount": self.amount.to_dict(),
            "transfer_time": format_timestamp(self.transfer_time),
            "sequence": self.sequence,
            "term_hours": self.term_hours,
            "legal_basis": self.legal_basis,
        }


def _mismatch(value: object) -> tuple[str, ...]:
    items = _list(value, "fields", 1, len(_MISMATCH_FIELDS))
    if any(i not in _MISMATCH_FIELDS for i in items) or len(set(items)) != len(items):
        raise _bad(f"fields are distinct names among {', '.join(_MISMATCH_FIELDS)}", "fields")
    return tuple(sorted(items))


#: The members of a stop-payment result and of a freeze result that hold money: amount, from, until.
_STOPPED_NAMES: Final = ("amount_held", "stopped_at", "stopped_until")
_FROZEN_NAMES: Final = ("amount_frozen", "frozen_at", "frozen_until")


def _result_status(enum_cls: type[Any], data: object) -> tuple[Mapping[str, Any], Any]:
    """A result body's members and its status (the status decides which other members it has)."""
    if not isinstance(data, Mapping):
        raise _bad("expected a JSON object", "body")
    return data, _enum(enum_cls, data.get("status"), "status")


def _held(
    data: Mapping[str, Any], amount: str, start: str, end: str
) -> tuple[Money, datetime, datetime]:
    """The amount and term of a result that holds money: the term must end after it starts."""
    d = _obj(data, frozenset({"status", amount, start, end}), "body")
    at, until = _ts(d[start], start), _ts(d[end], end)
    if until <= at:
        raise _bad(f"{end} must be later than {start}", end)
    return Money.from_dict(d[amount], amount), at, until


def _mismatched(data: Mapping[str, Any]) -> tuple[str, ...]:
    d = _obj(data, frozenset({"status", "fields"}), "body")
    return _mismatch(d["fields"])


def _rejected(data: Mapping[str, Any]) -> RejectReason:
    d = _obj(data, frozenset({"status", "reason"}), "body")
    return cast(RejectReason, _enum(RejectReason, d["reason"], "reason"))


def _held_dict(
    status: str,
    names: tuple[str, str, str],
    amount: Money | None,
    at: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    assert amount and at and until
    amount_name, start, end = names
    return {
        "status": status,
        amount_name: amount.to_dict(),
        start: format_timestamp(at),
        end: format_timestamp(until),
    }


def _refused_dict(
    status: enum.Enum, mismatched: tuple[str, ...], reason: RejectReason | None
) -> dict[str, Any]:
    """The JSON shape of a result that is a mismatch or a rejection."""
    if status.value == "mismatch":
        return {"status": "mismatch", "fields": list(mismatched)}
    assert reason is not None
    return {"status": "rejected", "reason": reason.value}


@attrs.frozen(kw_only=True)
class StopPaymentResult(Body):
    """The bank's answer to a stop-payment order."""

    TYPE: ClassVar[MessageType] = MessageType.STOP_PAYMENT_RESULT
    status: StopStatus = attrs.field(converter=_to_stop_status)
    amount_held: Money | None = attrs.field(default=None, repr=False)
    stopped_at: datetime | None = attrs.field(default=None, converter=_to_time_opt)
    stopped_until: datetime | None = attrs.field(default=None, converter=_to_time_opt)
    mismatched: tuple[str, ...] = ()
    reason: RejectReason | None = attrs.field(default=None, converter=_to_reason)

    @classmethod
    def from_dict(cls, data: object) -> StopPaymentResult:
        d, status = _result_status(StopStatus, data)
        if status is StopStatus.STOPPED:
            held, at, until = _held(d, *_STOPPED_NAMES)
            return cls(status=status, amount_held=held, stopped_at=at, stopped_until=until)
        if status is StopStatus.MISMATCH:
            return cls(status=status, mismatched=_mismatched(d))
        return cls(status=status, reason=_rejected(d))

    def to_dict(self) -> dict[str, Any]:
        if self.status is StopStatus.STOPPED:
            return _held_dict(
                "stopped", _STOPPED_NAMES, self.amount_held, self.stopped_at, self.stopped_until
            )
        return _refused_dict(self.status, self.mismatched, self.reason)


@attrs.frozen(kw_only=True)
class FreezeOrder(Body):
    """Quick freeze (快速冻结) of an account, for the policy's term (longer for a major case)."""

    TYPE: ClassVar[MessageType] = MessageType.FREEZE_ORDER
    account: Account
    amount: Money = attrs.field(repr=False)
    major: bool
    legal_basis: str

    @classmethod
    def from_dict(cls, data: object) -> FreezeOrder:
        d = _obj(data, frozenset({"account", "amount", "major", "legal_basis"}), "body")
        if not isinstance(d["major"], bool):
            raise _bad("major is true or false", "major")
        return cls(
            account=Account.from_dict(d["account"]),
            amount=Money.from_dict(d["amount"]),
            major=d["major"],
            legal_basis=_legal(d["legal_basis"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account.to_dict(),
            "amount": self.amount.to_dict(),
            "major": self.major,
            "legal_basis": self.legal_basis,
        }


@attrs.frozen(kw_only=True)
class _LegalBasisBody(Body):
    """A body that carries only its legal basis."""

    legal_basis: str

    @classmethod
    def from_dict(cls, data: object) -> Self:
        d = _obj(data, frozenset({"legal_basis"}), "body")
        return cls(legal_basis=_legal(d["legal_basis"]))

    def to_dict(self) -> dict[str, Any]:
        return {"legal_basis": self.legal_basis}


@attrs.frozen(kw_only=True)
class FreezeRenewal(_LegalBasisBody):
    """Renew a freeze for another term; must arrive before the freeze ends."""

    TYPE: ClassVar[MessageType] = MessageType.FREEZE_RENEWAL


@attrs.frozen(kw_only=True)
class FreezeRelease(_LegalBasisBody):
    """Lift a freeze (解冻)."""

    TYPE: ClassVar[MessageType] = MessageType.FREEZE_RELEASE


@attrs.frozen(kw_only=True)
class FreezeResult(Body):
    """The bank's answer to a freeze order, renewal or release."""

    TYPE: ClassVar[MessageType] = MessageType.FREEZE_RESULT
    status: FreezeStatus = attrs.field(converter=_to_freeze_status)
    amount_frozen: Money | None = attrs.field(default=None, repr=False)
    frozen_at: datetime | None = attrs.field(default=None, converter=_to_time_opt)
    frozen_until: datetime | None = attrs.field(default=None, converter=_to_time_opt)
    released_at: datetime | None = attrs.field(default=None, converter=_to_time_opt)
    mismatched: tuple[str, ...] = ()
    reason: RejectReason | None = attrs.field(default=None, converter=_to_reason)

    @classmethod
    def from_dict(cls, data: object) -> FreezeResult:
        d, status = _result_status(FreezeStatus, data)
        if status is FreezeStatus.FROZEN:
            held, at, until = _held(d, *_FROZEN_NAMES)
            return cls(status=status, amount_frozen=held, frozen_at=at, frozen_until=until)
        if status is FreezeStatus.RELEASED:
            d = _obj(d, frozenset({"status", "released_at"}), "body")
            return cls(status=status, released_at=_ts(d["released_at"], "released_at"))
        if status is FreezeStatus.MISMATCH:
            return cls(status=status, mismatched=_mismatched(d))
        return cls(status=status, reason=_rejected(d))

    def to_dict(self) -> dict[str, Any]:
        if self.status is FreezeStatus.FROZEN:
            return _held_dict(
                "frozen", _FROZEN_NAMES, self.amount_frozen, self.frozen_at, self.frozen_until
            )
        if self.status is FreezeStatus.RELEASED:
            assert self.released_at is not None
            return {"status": "released", "released_at": format_timestamp(self.released_at)}
        return _refused_dict(self.status, self.mismatched, self.reason)


@attrs.frozen(kw_only=True)
class ReturnOrder(Body):
    """Return frozen funds to the victims (pacs.004)."""

    TYPE: ClassVar[MessageType] = MessageType.RETURN_ORDER
    payees: tuple[Payee, ...] = attrs.field(repr=False)
    legal_basis: str

    @classmethod
    def from_dict(cls, data: object) -> ReturnOrder:
        d = _obj(data, frozenset({"payees", "legal_basis"}), "body")
        return cls(
            payees=tuple(Payee.from_dict(p) for p in _list(d["payees"], "payees", 1, 1000)),
            legal_basis=_legal(d["legal_basis"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"payees": [p.to_dict() for p in self.payees], "legal_basis": self.legal_basis}


@attrs.frozen(kw_only=True)
class ReturnResult(Body):
    """The bank's answer to a return order."""

    TYPE: ClassVar[MessageType] = MessageType.RETURN_RESULT
    status: ReturnStatus = attrs.field(converter=_to_return_status)
    amount_returned: Money | None = attrs.field(default=None, repr=False)
    returned_at: datetime | None = attrs.field(default=None, converter=_to_time_opt)
    reason: RejectReason | None = attrs.field(default=None, converter=_to_reason)

    @classmethod
    def from_dict(cls, data: object) -> ReturnResult:
        d, status = _result_status(ReturnStatus, data)
        if status is ReturnStatus.RETURNED:
            d = _obj(d, frozenset({"status", "amount_returned", "returned_at"}), "body")
            return cls(
                status=status,
                amount_returned=Money.from_dict(d["amount_returned"], "amount_returned"),
                returned_at=_ts(d["returned_at"], "returned_at"),
            )
        return cls(status=status, reason=_rejected(d))

    def to_dict(self) -> dict[str, Any]:
        if self.status is ReturnStatus.RETURNED:
            assert self.amount_returned and self.returned_at
            return {
                "status": "returned",
                "amount_returned": self.amount_returned.to_dict(),
                "returned_at": format_timestamp(self.returned_at),
            }
        return _refused_dict(self.status, (), self.reason)


@attrs.frozen(kw_only=True)
class Ack(Body):
    """Receipt of a message (it answers nothing: a result is still due)."""

    TYPE: ClassVar[MessageType] = MessageType.ACK

    @classmethod
    def from_dict(cls, data: object) -> Ack:
        _obj(data, frozenset(), "body")
        return cls()

    def to_dict(self) -> dict[str, Any]:
        return {}


@attrs.frozen(kw_only=True)
class ErrorBody(Body):
    """A message could not be processed; ``code`` is a stable error code (``case_*``)."""

    TYPE: ClassVar[MessageType] = MessageType.ERROR
    code: str
    message: str = ""

    def __attrs_post_init__(self) -> None:
        untyped: object = self.code
        if not isinstance(untyped, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", untyped):
            raise _bad("an error code is snake_case", "code")
        _text(self.message, "message", max_len=500, min_len=0)

    @classmethod
    def from_dict(cls, data: object) -> ErrorBody:
        d = _obj(data, frozenset({"code", "message"}), "body")
        return cls(code=d["code"], message=d["message"])

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


#: The body class of each message type.
BODY_TYPES: Final[dict[MessageType, type[Body]]] = {
    cls.TYPE: cls
    for cls in (
        QueryRequest,
        QueryResponse,
        StopPaymentOrder,
        StopPaymentResult,
        FreezeOrder,
        FreezeRenewal,
        FreezeRelease,
        FreezeResult,
        ReturnOrder,
        ReturnResult,
        Ack,
        ErrorBody,
    )
}

#: The message types that open an exchange (``in_reply_to`` is null); every other replies.
_STARTS: Final = frozenset(
    {MessageType.QUERY_REQUEST, MessageType.STOP_PAYMENT_ORDER, MessageType.FREEZE_ORDER}
)

_MESSAGE_KEYS: Final = frozenset(
    {
        "format",
        "format_version",
        "type",
        "message_id",
        "case_id",
        "sender",
        "recipient",
        "issued_at",
        "expires",
        "in_reply_to",
        "body",
    }
)


# ------------------------------------------------------------------ message


@attrs.frozen(kw_only=True)
class CaseMessage:
    """One case message. Its ``repr`` shows the envelope members, never the body."""

    type: MessageType
    message_id: str
    case_id: str
    sender: str
    recipient: str
    issued_at: datetime
    expires: datetime
    #: SHA-256 (hex) of the payload of the message this one answers, or ``None``.
    in_reply_to: str | None
    body: Body = attrs.field(repr=False)
    # The canonical bytes, computed once: the hash is asked for at every step.
    _payload: bytes = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _enum(MessageType, self.type, "type")
        _check_id(self.message_id, "message_id")
        _check_id(self.case_id, "case_id")
        _check_member(self.sender, "sender")
        _check_member(self.recipient, "recipient")
        if self.sender == self.recipient:
            raise _bad("sender and recipient are different members", "recipient")
        _ts(self.issued_at, "issued_at")
        _ts(self.expires, "expires")
        if self.expires <= self.issued_at:
            raise _bad("expires must be later than issued_at", "expires")
        if self.in_reply_to is not None and (
            not isinstance(untyped_reply := cast(object, self.in_reply_to), str)
            or not _HASH_RE.fullmatch(untyped_reply)
        ):
            raise _bad("in_reply_to is 64 lowercase hex digits or null", "in_reply_to")
        if not isinstance(self.body, BODY_TYPES[self.type]):
            raise _bad(f"the body is not a {self.type.value} body", "body")
        if (self.type in _STARTS) != (self.in_reply_to is None):
            raise _bad(
                "in_reply_to is null exactly for query_request, stop_payment_order and "
                "freeze_order",
                "in_reply_to",
            )
        object.__setattr__(self, "_payload", canonical.dumps(self.to_dict()))

    @classmethod
    def build(
        cls,
        *,
        type: MessageType | str,
        message_id: str,
        case_id: str,
        sender: str,
        recipient: str,
        issued_at: datetime,
        body: Body,
        expires: datetime | None = None,
        in_reply_to: str | None = None,
    ) -> CaseMessage:
        """Build a message; ``expires`` defaults to 24 hours after ``issued_at``."""
        t = _enum(MessageType, type, "type")
        issued = _ts(issued_at, "issued_at")
        return cls(
            type=t,
            message_id=message_id,
            case_id=case_id,
            sender=sender,
            recipient=recipient,
            issued_at=issued,
            expires=issued + _DEFAULT_LIFETIME if expires is None else _ts(expires, "expires"),
            in_reply_to=in_reply_to,
            body=body,
        )

    @classmethod
    def from_dict(cls, data: object) -> CaseMessage:
        """Build a message from its JSON shape, strictly (never mutates ``data``)."""
        d = _obj(data, _MESSAGE_KEYS, "message")
        if d["format"] != CASE_FORMAT:
            raise _bad("not a case message", "format", "wrong_payload_type")
        if type(d["format_version"]) is not int or d["format_version"] != 1:
            raise _bad("unsupported format version", "format_version")
        t = _enum(MessageType, d["type"], "type")
        body = BODY_TYPES[t].from_dict(d["body"])
        return cls(
            type=t,
            message_id=_check_id(d["message_id"], "message_id"),
            case_id=_check_id(d["case_id"], "case_id"),
            sender=_check_member(d["sender"], "sender"),
            recipient=_check_member(d["recipient"], "recipient"),
            issued_at=_ts(d["issued_at"], "issued_at"),
            expires=_ts(d["expires"], "expires"),
            in_reply_to=d["in_reply_to"],
            body=body,
        )

    @classmethod
    def from_payload(cls, payload: bytes) -> CaseMessage:
        """Parse signed payload bytes: strict JSON in canonical form (RFC 8785), every rule."""
        if len(payload) > MAX_MESSAGE_BYTES:
            raise _bad("the message is too large", "message", "case_too_large")
        try:
            value = canonical.loads(payload, max_bytes=MAX_MESSAGE_BYTES)
        except BlacklistFormatError as e:
            raise CaseFormatError(f"not valid JSON: {e.message}", code="case_json") from e
        message = cls.from_dict(value)
        if message.to_payload() != bytes(payload):
            raise CaseFormatError("the message is not in canonical form", code="case_not_canonical")
        return message

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape."""
        return {
            "format": CASE_FORMAT,
            "format_version": 1,
            "type": self.type.value,
            "message_id": self.message_id,
            "case_id": self.case_id,
            "sender": self.sender,
            "recipient": self.recipient,
            "issued_at": format_timestamp(self.issued_at),
            "expires": format_timestamp(self.expires),
            "in_reply_to": self.in_reply_to,
            "body": self.body.to_dict(),
        }

    def to_payload(self) -> bytes:
        """Return the canonical JSON bytes (RFC 8785) that are signed."""
        return self._payload

    @property
    def hash(self) -> str:
        """:func:`message_hash` of :meth:`to_payload`."""
        return message_hash(self._payload)

    def summary(self) -> dict[str, Any]:
        """The envelope members only (no body): safe for logs and dashboards."""
        d = self.to_dict()
        d.pop("body")
        d.pop("format")
        d.pop("format_version")
        return d
