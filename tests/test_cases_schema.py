"""The case-message JSON Schema agrees with the models on every message type."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from antifraud_common import schemas
from antifraud_common.cases import (
    Account,
    Ack,
    CaseMessage,
    ErrorBody,
    FreezeOrder,
    FreezeRelease,
    FreezeRenewal,
    FreezeResult,
    MessageType,
    Money,
    Payee,
    QueryRequest,
    QueryResponse,
    QueryResult,
    ReturnOrder,
    ReturnResult,
    StopPaymentOrder,
    StopPaymentResult,
    Subject,
    Transaction,
)
from antifraud_common.cases._kit import federation
from antifraud_common.errors import CaseFormatError

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ACC = Account(bank="icbc", number="6222021234567890128", name="张三")
M = Money(amount=100)
H = "ab" * 32


def validator(name: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resources(
        (schemas.load(n)["$id"], Resource.from_contents(schemas.load(n))) for n in schemas.names()
    )
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


BODIES: list[tuple[str, Any, bool]] = [
    (
        "query_request",
        QueryRequest(
            subjects=(Subject(kind="phone", value="+8613800138000"),),
            legal_basis="Art. 20",
            period_from=T0 - timedelta(days=1),
            period_to=T0,
            due=T0 + timedelta(minutes=5),
        ),
        False,
    ),
    ("query_response", QueryResponse(status="pending", poll_after=T0), True),
    (
        "query_response",
        QueryResponse(
            status="complete",
            results=(
                QueryResult(
                    subject=Subject(kind="bank_account", value=ACC.number),
                    account_status="active",
                    holder_name="张三",
                    balance=M,
                    transactions=(
                        Transaction(time=T0, amount=M, direction="in", counterparty="李四"),
                    ),
                ),
            ),
        ),
        True,
    ),
    (
        "stop_payment_order",
        StopPaymentOrder(
            account=ACC, amount=M, transfer_time=T0, sequence=1, term_hours=48, legal_basis="x"
        ),
        False,
    ),
    (
        "stop_payment_result",
        StopPaymentResult(
            status="stopped", amount_held=M, stopped_at=T0, stopped_until=T0 + timedelta(hours=1)
        ),
        True,
    ),
    ("stop_payment_result", StopPaymentResult(status="mismatch", mismatched=("name",)), True),
    ("stop_payment_result", StopPaymentResult(status="rejected", reason="account_closed"), True),
    ("freeze_order", FreezeOrder(account=ACC, amount=M, major=True, legal_basis="x"), False),
    ("freeze_renewal", FreezeRenewal(legal_basis="x"), True),
    ("freeze_release", FreezeRelease(legal_basis="x"), True),
    (
        "freeze_result",
        FreezeResult(
            status="frozen", amount_frozen=M, frozen_at=T0, frozen_until=T0 + timedelta(days=1)
        ),
        True,
    ),
    ("freeze_result", FreezeResult(status="released", released_at=T0), True),
    ("freeze_result", FreezeResult(status="rejected", reason="not_frozen"), True),
    (
        "return_order",
        ReturnOrder(
            payees=(Payee(name="李四", bank="abc", number="1", amount=M),), legal_basis="x"
        ),
        True,
    ),
    ("return_result", ReturnResult(status="returned", amount_returned=M, returned_at=T0), True),
    ("return_result", ReturnResult(status="rejected", reason="no_funds"), True),
    ("ack", Ack(), True),
    ("error", ErrorBody(code="case_format", message=""), True),
]


def messages() -> list[CaseMessage]:
    return [
        CaseMessage.build(
            type=t,
            message_id=f"m-{i}",
            case_id="c-1",
            sender="mps",
            recipient="icbc",
            issued_at=T0,
            in_reply_to=H if reply else None,
            body=body,
        )
        for i, (t, body, reply) in enumerate(BODIES)
    ]


def test_every_type_is_covered() -> None:
    assert {t for t, _, _ in BODIES} == {t.value for t in MessageType}


def test_every_message_validates() -> None:
    v = validator("case-message")
    for m in messages():
        v.validate(m.to_dict())
        assert CaseMessage.from_dict(m.to_dict()) == m


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("in_reply_to",), None),
        (("type",), "recall"),
        (("body", "status"), "maybe"),
        (("body", "extra"), 1),
        (("issued_at",), "2026-03-01 08:00:00"),
        (("sender",), "MPS"),
        (("message_id",), ""),
    ],
)
def test_schema_and_model_agree_on_refusals(path: tuple[str, ...], value: Any) -> None:
    v = validator("case-message")
    for m in messages():
        d = copy.deepcopy(m.to_dict())
        target = d
        for p in path[:-1]:
            target = target[p]
        if path == ("in_reply_to",) and d["in_reply_to"] is None:
            value_used: Any = H
        else:
            value_used = value
        target[path[-1]] = value_used
        with pytest.raises(jsonschema.ValidationError):
            v.validate(d)
        with pytest.raises(CaseFormatError):
            CaseMessage.from_dict(d)


def test_trust_bundle_with_case_rules_validates() -> None:
    validator("trust-bundle").validate(federation(T0).trust.to_dict())
