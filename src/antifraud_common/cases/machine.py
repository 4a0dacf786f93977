"""The state machine of one case: which message may follow which, as a pure function.

A case is the exchange between two members (an agency and a bank) about one
account. :func:`step` takes the case as it is (:class:`CaseView`), a message,
the message it answers (already bound by the caller), how often the account
has been stopped, the verification time and the policy, and returns the case
after the message -- or raises
:class:`~antifraud_common.errors.CaseTransitionError` /
:class:`~antifraud_common.errors.CaseBindingError`. Nothing is stored here;
the case book (:mod:`antifraud_common.cases.book`) persists the result. The
diagram is in ``docs/cases.md``.

Stops and freezes have their own end times (:attr:`CaseView.stop_until`,
:attr:`CaseView.freeze_until`), so a lapse needs no message: :meth:`CaseView.effective`
reads the state at a given time.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Final

import attrs

from antifraud_common.cases.messages import (
    Account,
    CaseMessage,
    ErrorBody,
    FreezeOrder,
    FreezeResult,
    FreezeStatus,
    MessageType,
    QueryResponse,
    QueryStatus,
    ReturnResult,
    ReturnStatus,
    StopPaymentOrder,
    StopPaymentResult,
    StopStatus,
)
from antifraud_common.cases.policy import CasePolicy
from antifraud_common.errors import CaseBindingError, CaseTransitionError
from antifraud_common.models import format_timestamp, parse_timestamp

__all__ = ["ANSWERS", "REQUESTS", "CaseState", "CaseView", "step"]


class CaseState(enum.Enum):
    """Where a case stands (see the diagram in ``docs/cases.md``)."""

    OPEN = "open"
    STOP_PENDING = "stop_pending"
    STOPPED = "stopped"
    #: The stop's term has passed (derived from the time).
    STOP_LAPSED = "stop_lapsed"
    NOT_STOPPED = "not_stopped"
    FREEZE_PENDING = "freeze_pending"
    FROZEN = "frozen"
    #: The freeze's end has passed without a renewal (derived from the time).
    FREEZE_LAPSED = "freeze_lapsed"
    FREEZE_REFUSED = "freeze_refused"
    RENEWAL_PENDING = "renewal_pending"
    RELEASE_PENDING = "release_pending"
    RELEASED = "released"
    RETURN_PENDING = "return_pending"
    RETURNED = "returned"


#: Each answer type and the request types it may answer.
ANSWERS: Final = {
    MessageType.QUERY_RESPONSE: frozenset({MessageType.QUERY_REQUEST}),
    MessageType.STOP_PAYMENT_RESULT: frozenset({MessageType.STOP_PAYMENT_ORDER}),
    MessageType.FREEZE_RESULT: frozenset(
        {MessageType.FREEZE_ORDER, MessageType.FREEZE_RENEWAL, MessageType.FREEZE_RELEASE}
    ),
    MessageType.RETURN_RESULT: frozenset({MessageType.RETURN_ORDER}),
}
#: Request types: each expects one answer (``ack`` does not count as one).
REQUESTS: Final = frozenset(
    {
        MessageType.QUERY_REQUEST,
        MessageType.STOP_PAYMENT_ORDER,
        MessageType.FREEZE_ORDER,
        MessageType.FREEZE_RENEWAL,
        MessageType.FREEZE_RELEASE,
        MessageType.RETURN_ORDER,
    }
)
#: Request types that refer to the current freeze (they answer its last ``frozen`` result).
_ON_FREEZE: Final = frozenset(
    {MessageType.FREEZE_RENEWAL, MessageType.FREEZE_RELEASE, MessageType.RETURN_ORDER}
)
_STOP_FROM: Final = frozenset(
    {CaseState.OPEN, CaseState.STOPPED, CaseState.STOP_LAPSED, CaseState.NOT_STOPPED}
)
_FREEZE_FROM: Final = _STOP_FROM | {
    CaseState.FREEZE_REFUSED,
    CaseState.FREEZE_LAPSED,
    CaseState.RELEASED,
}


def _ts(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def _parse(value: object) -> datetime | None:
    return None if value is None else parse_timestamp(value)


@attrs.frozen(kw_only=True)
class CaseView:
    """One case as stored: its parties, stage, account and the ends of its measures."""

    case_id: str
    #: The member that sent the case's first message, and the other party.
    initiator: str
    responder: str
    state: CaseState = CaseState.OPEN
    account: Account | None = attrs.field(default=None, repr=False)
    major: bool = False
    #: Hash of the request awaiting its answer (stop, freeze, renewal, release, return).
    pending: str | None = None
    #: Stage to return to when the pending request is refused.
    resume: CaseState | None = None
    stop_until: datetime | None = None
    freeze_until: datetime | None = None
    #: Hash of the latest ``frozen`` freeze result (renewal, release and return answer it).
    freeze_ref: str | None = None

    def effective(self, now: datetime) -> CaseState:
        """The state at ``now``: a stop or freeze whose end has passed has lapsed."""
        if self.state is CaseState.STOPPED and self.stop_until and now >= self.stop_until:
            return CaseState.STOP_LAPSED
        if (
            self.state in (CaseState.FROZEN, CaseState.RENEWAL_PENDING)
            and self.freeze_until
            and now >= self.freeze_until
        ):
            return CaseState.FREEZE_LAPSED
        return self.state

    def hold_active(self, now: datetime) -> bool:
        """Whether the account is under an emergency stop at ``now``."""
        return self.stop_until is not None and now < self.stop_until

    def freeze_active(self, now: datetime) -> bool:
        """Whether the account is frozen at ``now``."""
        return self.freeze_until is not None and now < self.freeze_until

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape stored in the case book."""
        return {
            "case_id": self.case_id,
            "initiator": self.initiator,
            "responder": self.responder,
            "state": self.state.value,
            "account": None if self.account is None else self.account.to_dict(),
            "major": self.major,
            "pending": self.pending,
            "resume": None if self.resume is None else self.resume.value,
            "stop_until": _ts(self.stop_until),
            "freeze_until": _ts(self.freeze_until),
            "freeze_ref": self.freeze_ref,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseView:
        """Read the stored JSON shape."""
        return cls(
            case_id=data["case_id"],
            initiator=data["initiator"],
            responder=data["responder"],
            state=CaseState(data["state"]),
            account=None if data["account"] is None else Account.from_dict(data["account"]),
            major=bool(data["major"]),
            pending=data["pending"],
            resume=None if data["resume"] is None else CaseState(data["resume"]),
            stop_until=_parse(data["stop_until"]),
            freeze_until=_parse(data["freeze_until"]),
            freeze_ref=data["freeze_ref"],
        )

    def public_dict(self, now: datetime) -> dict[str, Any]:
        """What ``case show`` prints: the state at ``now`` and the account's bank, no number."""
        return {
            "case_id": self.case_id,
            "initiator": self.initiator,
            "responder": self.responder,
            "state": self.effective(now).value,
            "bank": None if self.account is None else self.account.bank,
            "major": self.major,
            "pending": self.pending,
            "stop_until": _ts(self.stop_until),
            "freeze_until": _ts(self.freeze_until),
        }


def _refuse(message: str, code: str = "case_transition") -> CaseTransitionError:
    return CaseTransitionError(message, code=code)


def _same_account(view: CaseView, account: Account) -> None:
    if view.account is not None and view.account != account:
        raise _refuse("a case concerns one account; open another case", "case_other_account")


def step(
    view: CaseView | None,
    message: CaseMessage,
    *,
    answered: CaseMessage | None,
    stops: int,
    now: datetime,
    policy: CasePolicy,
) -> CaseView:
    """Return the case after ``message``, or raise when its state does not allow it.

    ``view`` is ``None`` for a case not seen before; ``answered`` is the message
    ``in_reply_to`` names (the caller has checked it exists, belongs to this
    case and was sent by the other party); ``stops`` how many times the
    order's account has been stopped so far.
    """
    t = message.type
    view = _case_of(view, message)
    state = view.effective(now)
    if answered is not None:
        _check_answers(view, t, answered)
    if t is MessageType.QUERY_REQUEST or t is MessageType.ACK:
        return view
    if t is MessageType.QUERY_RESPONSE:
        assert isinstance(message.body, QueryResponse)
        return view
    if t is MessageType.STOP_PAYMENT_ORDER:
        return _stop_order(view, message, state, stops, policy)
    if t is MessageType.FREEZE_ORDER:
        return _freeze_order(view, message, state)
    if t in _ON_FREEZE:
        return _freeze_measure(view, message, state)
    # Answers and errors from here on.
    assert answered is not None
    if t is MessageType.ERROR:
        assert isinstance(message.body, ErrorBody)
        if answered.hash != view.pending:
            return view  # an error about a query or an ack changes no measure
        return _refused(view, answered.type)
    if answered.hash != view.pending:
        if answered.type is MessageType.QUERY_REQUEST:  # pragma: no cover - handled above
            return view
        raise _refuse("that request has already been answered", "case_already_answered")
    if t is MessageType.STOP_PAYMENT_RESULT:
        return _stop_result(view, message, answered, policy)
    if t is MessageType.FREEZE_RESULT:
        return _freeze_result(view, message, answered, policy)
    assert t is MessageType.RETURN_RESULT
    body = message.body
    assert isinstance(body, ReturnResult)
    if body.status is ReturnStatus.RETURNED:
        return attrs.evolve(
            view,
            state=CaseState.RETURNED,
            pending=None,
            resume=None,
            freeze_until=None,
            freeze_ref=None,
        )
    return _refused(view, answered.type)


def _case_of(view: CaseView | None, message: CaseMessage) -> CaseView:
    """The case ``message`` belongs to: ``view``, or a new case it opens."""
    if view is None:
        if message.type not in (
            MessageType.QUERY_REQUEST,
            MessageType.STOP_PAYMENT_ORDER,
            MessageType.FREEZE_ORDER,
        ):
            raise _refuse("a case starts with a query, a stop or a freeze", "case_unknown_case")
        return CaseView(
            case_id=message.case_id, initiator=message.sender, responder=message.recipient
        )
    if {message.sender, message.recipient} != {view.initiator, view.responder}:
        raise _refuse("the case is between two other members", "case_wrong_party")
    return view


def _check_answers(view: CaseView, t: MessageType, answered: CaseMessage) -> None:
    """A reply answers the kind of request it may answer (``case_reply_mismatch``)."""
    allowed = ANSWERS.get(t)
    if t in _ON_FREEZE:
        if answered.type is not MessageType.FREEZE_RESULT or answered.hash != view.freeze_ref:
            raise CaseBindingError(
                f"a {t.value} answers the current freeze result", code="case_reply_mismatch"
            )
    elif allowed is not None and answered.type not in allowed:
        raise CaseBindingError(
            f"a {t.value} does not answer a {answered.type.value}", code="case_reply_mismatch"
        )
    elif t in (MessageType.ACK, MessageType.ERROR) and answered.type in (
        MessageType.ACK,
        MessageType.ERROR,
    ):
        raise CaseBindingError("an ack or error is never answered", code="case_reply_mismatch")


def _stop_order(
    view: CaseView, message: CaseMessage, state: CaseState, stops: int, policy: CasePolicy
) -> CaseView:
    body = message.body
    assert isinstance(body, StopPaymentOrder)
    if state not in _STOP_FROM:
        raise _refuse(f"no stop-payment order in state {state.value}")
    _same_account(view, body.account)
    if stops >= policy.max_stops:
        raise _refuse(
            f"the account has been stopped {stops} times (at most {policy.max_stops})",
            "case_stop_limit",
        )
    if body.sequence != stops + 1:
        raise _refuse(
            f"stop sequence {body.sequence}; this account has been stopped {stops} times",
            "case_stop_sequence",
        )
    if body.term_hours * 3600 > policy.stop_term.total_seconds():
        raise _refuse("the stop term exceeds the policy's", "case_stop_term")
    return _awaiting(view, message, CaseState.STOP_PENDING, state, account=body.account)


def _freeze_order(view: CaseView, message: CaseMessage, state: CaseState) -> CaseView:
    body = message.body
    assert isinstance(body, FreezeOrder)
    if state not in _FREEZE_FROM:
        raise _refuse(f"no freeze order in state {state.value}")
    _same_account(view, body.account)
    return _awaiting(
        view, message, CaseState.FREEZE_PENDING, state, account=body.account, major=body.major
    )


def _freeze_measure(view: CaseView, message: CaseMessage, state: CaseState) -> CaseView:
    """A renewal, release or return order on a frozen account."""
    t = message.type
    if state is CaseState.FREEZE_LAPSED:
        raise _refuse("the freeze has lapsed; it cannot be renewed", "case_freeze_lapsed")
    if state is not CaseState.FROZEN:
        raise _refuse(f"no {t.value} in state {state.value}")
    target = {
        MessageType.FREEZE_RENEWAL: CaseState.RENEWAL_PENDING,
        MessageType.FREEZE_RELEASE: CaseState.RELEASE_PENDING,
        MessageType.RETURN_ORDER: CaseState.RETURN_PENDING,
    }[t]
    return _awaiting(view, message, target, CaseState.FROZEN)


def _awaiting(
    view: CaseView, request: CaseMessage, state: CaseState, resume: CaseState, **changes: Any
) -> CaseView:
    """The case waits in ``state`` for the answer to ``request`` (refused: back to ``resume``)."""
    return attrs.evolve(view, state=state, pending=request.hash, resume=resume, **changes)


def _answered(view: CaseView, state: CaseState, **changes: Any) -> CaseView:
    """The request is answered: the case is in ``state`` and waits for nothing."""
    return attrs.evolve(view, state=state, pending=None, resume=None, **changes)


def _stop_result(
    view: CaseView, message: CaseMessage, answered: CaseMessage, policy: CasePolicy
) -> CaseView:
    body = message.body
    assert isinstance(body, StopPaymentResult)
    order = answered.body
    assert isinstance(order, StopPaymentOrder)
    if body.status is StopStatus.STOPPED:
        assert body.stopped_at and body.stopped_until
        if body.stopped_until > policy.stop_end(body.stopped_at, order.term_hours):
            raise _refuse("the stop ends later than its term allows", "case_stop_term")
        return _answered(view, CaseState.STOPPED, stop_until=body.stopped_until)
    return _refused(view, answered.type)


def _freeze_result(
    view: CaseView, message: CaseMessage, answered: CaseMessage, policy: CasePolicy
) -> CaseView:
    body = message.body
    assert isinstance(body, FreezeResult)
    if answered.type is MessageType.FREEZE_RELEASE:
        if body.status is FreezeStatus.RELEASED:
            return _answered(view, CaseState.RELEASED, freeze_until=None, freeze_ref=None)
        if body.status is FreezeStatus.FROZEN:
            raise _refuse("a release is answered released or rejected")
        return _refused(view, answered.type)
    if body.status is FreezeStatus.RELEASED:
        raise _refuse("only a release is answered released")
    if body.status is not FreezeStatus.FROZEN:
        return _refused(view, answered.type)
    assert body.frozen_at and body.frozen_until
    if answered.type is MessageType.FREEZE_RENEWAL:
        assert view.freeze_until is not None
        limit = policy.freeze_end(view.freeze_until, major=view.major)
        if not view.freeze_until < body.frozen_until <= limit:
            raise _refuse("a renewal extends the freeze by at most one term", "case_freeze_term")
    elif body.frozen_until > policy.freeze_end(body.frozen_at, major=view.major):
        raise _refuse("the freeze ends later than its term allows", "case_freeze_term")
    return _answered(
        view,
        CaseState.FROZEN,
        freeze_until=body.frozen_until,
        freeze_ref=message.hash,
        # A freeze supersedes the stop that preceded it.
        stop_until=None,
    )


def _refused(view: CaseView, request: MessageType) -> CaseView:
    # The request failed (mismatch, rejected, error): back to where the case was.
    if request is MessageType.STOP_PAYMENT_ORDER:
        back = CaseState.STOPPED if view.resume is CaseState.STOPPED else CaseState.NOT_STOPPED
    elif request is MessageType.FREEZE_ORDER:
        back = CaseState.FREEZE_REFUSED
    else:
        back = view.resume or CaseState.FROZEN
    return _answered(view, back)


def query_status(message: CaseMessage) -> QueryStatus | None:
    """The status of a query response (``None`` for other messages)."""
    body = message.body
    return body.status if isinstance(body, QueryResponse) else None
