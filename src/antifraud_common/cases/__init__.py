"""Signed case messages between agencies and banks: instant query, stop-payment, freeze.

The three mechanisms for fraud proceeds -- instant query, emergency
stop-payment and quick freeze (with renewal, release and return of funds) --
as signed messages on the same envelope, keys and trust bundle as the lists
(``docs/spec/cases.md``, ``docs/cases.md``):

* :mod:`~antifraud_common.cases.messages`: the typed messages and their JSON shape;
* :mod:`~antifraud_common.cases.policy`: deadlines and limits, with documented defaults;
* :mod:`~antifraud_common.cases.machine`: each case's state machine (pure);
* :mod:`~antifraud_common.cases.book`: the case book (SQLite), verification in
  a fixed order, and the tie-in with local HOLD/FREEZE lists.
"""

from __future__ import annotations

from antifraud_common.cases.book import (
    BOOK_NAME,
    MEASURES_LIST_ID,
    CaseBook,
    Deadline,
    Received,
    RecordedMessage,
    check_envelope,
)
from antifraud_common.cases.machine import CaseState, CaseView, step
from antifraud_common.cases.messages import (
    BODY_TYPES,
    CASE_TYP,
    Account,
    Ack,
    CaseMessage,
    ErrorBody,
    FreezeOrder,
    FreezeRelease,
    FreezeRenewal,
    FreezeResult,
    FreezeStatus,
    MessageType,
    Money,
    Payee,
    QueryRequest,
    QueryResponse,
    QueryResult,
    QueryStatus,
    RejectReason,
    ReturnOrder,
    ReturnResult,
    ReturnStatus,
    StopPaymentOrder,
    StopPaymentResult,
    StopStatus,
    Subject,
    SubjectKind,
    Transaction,
    message_hash,
)
from antifraud_common.cases.policy import DEFAULT_POLICY, CasePolicy, add_months

__all__ = [
    "BODY_TYPES",
    "BOOK_NAME",
    "CASE_TYP",
    "DEFAULT_POLICY",
    "MEASURES_LIST_ID",
    "Account",
    "Ack",
    "CaseBook",
    "CaseMessage",
    "CasePolicy",
    "CaseState",
    "CaseView",
    "Deadline",
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
    "Received",
    "RecordedMessage",
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
    "add_months",
    "check_envelope",
    "message_hash",
    "step",
]
