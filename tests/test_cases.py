"""Case messages: the whole flow between two case books, and every refusal."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from antifraud_common.cases import (
    Account,
    Ack,
    CaseBook,
    CaseMessage,
    CasePolicy,
    CaseState,
    ErrorBody,
    FreezeOrder,
    FreezeRelease,
    FreezeRenewal,
    FreezeResult,
    FreezeStatus,
    MessageType,
    Money,
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
    add_months,
)
from antifraud_common.cases._kit import Federation, federation
from antifraud_common.cases.messages import Payee
from antifraud_common.errors import (
    CaseBindingError,
    CaseError,
    CaseFormatError,
    CaseFreshnessError,
    CaseRecipientError,
    CaseReplayError,
    CaseScopeError,
    CaseSignatureError,
    CaseTransitionError,
)
from antifraud_common.format import jws
from antifraud_common.format.keys import LocalSigner, b64url_encode

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ACCOUNT = Account(bank="icbc", number="6222021234567890128", name="张三")
AMOUNT = Money(amount=5_000_000)


class Party:
    """One member with its case book."""

    def __init__(self, fed: Federation, me: str, directory: Path) -> None:
        self.fed = fed
        self.me = me
        self.book = CaseBook.open(directory, me=me)
        self._ids = itertools.count(1)

    def msg(
        self,
        type: MessageType,
        to: str,
        body: Any,
        *,
        at: datetime,
        reply: str | None = None,
        case: str = "mps:2026-0001",
        message_id: str | None = None,
    ) -> CaseMessage:
        return CaseMessage.build(
            type=type,
            message_id=message_id or f"{self.me}-{next(self._ids)}",
            case_id=case,
            sender=self.me,
            recipient=to,
            issued_at=at,
            in_reply_to=reply,
            body=body,
        )

    def send(self, message: CaseMessage, *, at: datetime, signers: int = 1) -> bytes:
        keys = self.fed.signers[self.me][:signers]
        return self.book.send(message, keys, trust=self.fed.trust, now=at)

    def receive(self, data: bytes, *, at: datetime) -> Any:
        return self.book.receive(
            data, trust=self.fed.trust, now=at, decryption_key=self.fed.decryption[self.me]
        )


@pytest.fixture
def fed() -> Federation:
    return federation(T0)


@pytest.fixture
def police(fed: Federation, tmp_path: Path) -> Iterator[Party]:
    p = Party(fed, "mps", tmp_path / "mps")
    yield p
    p.book.close()


@pytest.fixture
def bank(fed: Federation, tmp_path: Path) -> Iterator[Party]:
    p = Party(fed, "icbc", tmp_path / "icbc")
    yield p
    p.book.close()


def exchange(sender: Party, receiver: Party, message: CaseMessage, at: datetime, **kw: Any) -> str:
    env = sender.send(message, at=at, **kw)
    receiver.receive(sender.book.seal(env, trust=sender.fed.trust), at=at)
    return message.hash


def stop_order(police: Party, at: datetime, sequence: int = 1, **kw: Any) -> CaseMessage:
    body = StopPaymentOrder(
        account=ACCOUNT,
        amount=AMOUNT,
        transfer_time=at - timedelta(minutes=20),
        sequence=sequence,
        term_hours=48,
        legal_basis="Anti-Telecom and Online Fraud Law, Art. 20",
    )
    return police.msg(MessageType.STOP_PAYMENT_ORDER, "icbc", body, at=at, **kw)


def stopped(bank: Party, order: str, at: datetime) -> CaseMessage:
    body = StopPaymentResult(
        status=StopStatus.STOPPED,
        amount_held=AMOUNT,
        stopped_at=at,
        stopped_until=at + timedelta(hours=48),
    )
    return bank.msg(MessageType.STOP_PAYMENT_RESULT, "mps", body, at=at, reply=order)


def freeze_order(police: Party, at: datetime) -> CaseMessage:
    body = FreezeOrder(account=ACCOUNT, amount=AMOUNT, major=False, legal_basis="decision 17")
    return police.msg(MessageType.FREEZE_ORDER, "icbc", body, at=at)


def frozen(bank: Party, reply: str, at: datetime, until: datetime) -> CaseMessage:
    body = FreezeResult(
        status=FreezeStatus.FROZEN, amount_frozen=AMOUNT, frozen_at=at, frozen_until=until
    )
    return bank.msg(MessageType.FREEZE_RESULT, "mps", body, at=at, reply=reply)


def snapshot(book: CaseBook) -> tuple[Any, ...]:
    return (
        [r.summary() for r in book.messages()],
        [c.to_dict() for c in book.cases()],
        [d.to_dict() for d in book.due(T0, within=timedelta(days=800))],
    )


# -------------------------------------------------------------- whole flow


def test_whole_case_between_two_books(police: Party, bank: Party) -> None:
    t = T0
    query = police.msg(
        MessageType.QUERY_REQUEST,
        "icbc",
        QueryRequest(
            subjects=(Subject(kind="bank_account", value=ACCOUNT.number),),
            legal_basis="Art. 20",
            period_from=t - timedelta(days=30),
            period_to=t,
            due=t + timedelta(minutes=5),
        ),
        at=t,
    )
    q = exchange(police, bank, query, t)
    pending = bank.msg(
        MessageType.QUERY_RESPONSE,
        "mps",
        QueryResponse(status=QueryStatus.PENDING, poll_after=t + timedelta(seconds=30)),
        at=t,
        reply=q,
    )
    exchange(bank, police, pending, t)
    [due] = police.book.due(t)
    assert due.what == "answer" and due.due_at == t + timedelta(seconds=30)
    complete = bank.msg(
        MessageType.QUERY_RESPONSE,
        "mps",
        QueryResponse(
            status=QueryStatus.COMPLETE,
            results=(
                QueryResult(
                    subject=Subject(kind="bank_account", value=ACCOUNT.number),
                    account_status="active",
                    holder_name="张三",
                    balance=AMOUNT,
                ),
            ),
        ),
        at=t + timedelta(minutes=1),
        reply=q,
    )
    exchange(bank, police, complete, t + timedelta(minutes=1))
    assert police.book.due(t) == []

    t += timedelta(minutes=2)
    order = stop_order(police, t)
    o = exchange(police, bank, order, t)
    assert bank.book.get("mps:2026-0001").state is CaseState.STOP_PENDING  # type: ignore[union-attr]
    [due] = bank.book.due(t)
    assert (due.request_type, due.owed_by) == ("stop_payment_order", "icbc")
    assert due.due_at == t + timedelta(minutes=30)
    exchange(bank, police, stopped(bank, o, t), t)
    for party in (police, bank):
        view = party.book.get("mps:2026-0001")
        assert view is not None and view.state is CaseState.STOPPED
        assert view.stop_until == t + timedelta(hours=48)
        assert party.book.stops(ACCOUNT) == 1

    t += timedelta(hours=1)
    f = exchange(police, bank, freeze_order(police, t), t, signers=2)
    until = add_months(t, 6)
    r1 = frozen(bank, f, t, until)
    exchange(bank, police, r1, t)
    view = bank.book.get("mps:2026-0001")
    assert view is not None and view.state is CaseState.FROZEN and view.freeze_until == until

    t = until - timedelta(days=3)
    renewal = police.msg(
        MessageType.FREEZE_RENEWAL,
        "icbc",
        FreezeRenewal(legal_basis="renewal"),
        at=t,
        reply=r1.hash,
    )
    rn = exchange(police, bank, renewal, t)
    r2 = frozen(bank, rn, t, add_months(until, 6))
    exchange(bank, police, r2, t)
    assert police.book.get("mps:2026-0001").freeze_until == add_months(until, 6)  # type: ignore[union-attr]

    t += timedelta(days=10)
    release = police.msg(
        MessageType.FREEZE_RELEASE,
        "icbc",
        FreezeRelease(legal_basis="case closed"),
        at=t,
        reply=r2.hash,
    )
    rl = exchange(police, bank, release, t)
    done = bank.msg(
        MessageType.FREEZE_RESULT,
        "mps",
        FreezeResult(status=FreezeStatus.RELEASED, released_at=t),
        at=t,
        reply=rl,
    )
    exchange(bank, police, done, t)
    for party in (police, bank):
        view = party.book.get("mps:2026-0001")
        assert view is not None and view.state is CaseState.RELEASED
        assert view.freeze_until is None
        assert party.book.check() == []
    assert [m.type.value for m in police.book.messages()] == [
        "query_request",
        "query_response",
        "query_response",
        "stop_payment_order",
        "stop_payment_result",
        "freeze_order",
        "freeze_result",
        "freeze_renewal",
        "freeze_result",
        "freeze_release",
        "freeze_result",
    ]


def test_return_of_frozen_funds(police: Party, bank: Party) -> None:
    f = exchange(police, bank, freeze_order(police, T0), T0, signers=2)
    r = frozen(bank, f, T0, add_months(T0, 6))
    exchange(bank, police, r, T0)
    order = police.msg(
        MessageType.RETURN_ORDER,
        "icbc",
        ReturnOrder(
            payees=(Payee(name="李四", bank="abc", number="6217000010001234567", amount=AMOUNT),),
            legal_basis="return decision",
        ),
        at=T0 + timedelta(days=1),
        reply=r.hash,
    )
    ro = exchange(police, bank, order, T0 + timedelta(days=1))
    [due] = bank.book.due(T0 + timedelta(days=1))
    assert due.due_at == T0 + timedelta(days=4)
    result = bank.msg(
        MessageType.RETURN_RESULT,
        "mps",
        ReturnResult(status=ReturnStatus.RETURNED, amount_returned=AMOUNT, returned_at=T0),
        at=T0 + timedelta(days=2),
        reply=ro,
    )
    exchange(bank, police, result, T0 + timedelta(days=2))
    assert police.book.get("mps:2026-0001").state is CaseState.RETURNED  # type: ignore[union-attr]


def test_mismatch_means_not_stopped_and_does_not_count(police: Party, bank: Party) -> None:
    o = exchange(police, bank, stop_order(police, T0), T0)
    mismatch = bank.msg(
        MessageType.STOP_PAYMENT_RESULT,
        "mps",
        StopPaymentResult(status=StopStatus.MISMATCH, mismatched=("name",)),
        at=T0,
        reply=o,
    )
    exchange(bank, police, mismatch, T0)
    assert bank.book.get("mps:2026-0001").state is CaseState.NOT_STOPPED  # type: ignore[union-attr]
    assert bank.book.stops(ACCOUNT) == 0
    # The next order is the first stop again.
    exchange(police, bank, stop_order(police, T0 + timedelta(minutes=5)), T0 + timedelta(minutes=5))


def test_ack_and_error(police: Party, bank: Party) -> None:
    o = exchange(police, bank, stop_order(police, T0), T0)
    exchange(bank, police, bank.msg(MessageType.ACK, "mps", Ack(), at=T0, reply=o), T0)
    assert len(police.book.due(T0)) == 1  # an ack answers nothing
    err = bank.msg(
        MessageType.ERROR,
        "mps",
        ErrorBody(code="case_format", message="unreadable"),
        at=T0,
        reply=o,
    )
    exchange(bank, police, err, T0)
    assert police.book.due(T0) == []
    assert police.book.get("mps:2026-0001").state is CaseState.NOT_STOPPED  # type: ignore[union-attr]


# -------------------------------------------------------------- refusals


def refused(party: Party, data: bytes, at: datetime, cls: type[CaseError], code: str) -> None:
    before = snapshot(party.book)
    with pytest.raises(cls) as info:
        party.receive(data, at=at)
    assert info.value.code == code
    assert snapshot(party.book) == before


def test_forged_message_refused(police: Party, bank: Party, fed: Federation) -> None:
    order = stop_order(police, T0)
    forger = LocalSigner.generate()
    env = jws.sign(order.to_payload(), [forger], typ="antifraud-case+json")
    refused(bank, env, T0, CaseSignatureError, "case_signature_invalid")
    # A changed byte of a real signature.
    good = jws.sign(order.to_payload(), [fed.signers["mps"][0]], typ="antifraud-case+json")
    other = stop_order(police, T0, message_id="mps-1", case="mps:2026-0002")
    doc = jws.parse(good)
    tampered = (
        b'{"payload":"'
        + b64url_encode(other.to_payload()).encode()
        + b'","signatures":[{"protected":"'
        + doc.signatures[0].protected.encode()
        + b'","signature":"'
        + b64url_encode(doc.signatures[0].signature).encode()
        + b'"}]}'
    )
    refused(bank, tampered, T0, CaseSignatureError, "case_signature_invalid")


def test_wrong_typ_and_garbage(police: Party, bank: Party, fed: Federation) -> None:
    order = stop_order(police, T0)
    env = jws.sign(order.to_payload(), [fed.signers["mps"][0]])  # the list manifest typ
    refused(bank, env, T0, CaseFormatError, "case_jws_typ")
    refused(bank, b"{}", T0, CaseFormatError, "case_jws_members")
    refused(bank, b"not a token", T0, CaseFormatError, "case_decryption_failed")


def test_replayed_message_refused(police: Party, bank: Party) -> None:
    env = police.send(stop_order(police, T0), at=T0)
    bank.receive(env, at=T0)
    refused(bank, env, T0 + timedelta(minutes=1), CaseReplayError, "case_replay")
    # Same id, other content: still a replay (ids are accepted once per sender).
    again = stop_order(police, T0 + timedelta(minutes=1), message_id="mps-1")
    env2 = jws.sign(again.to_payload(), [police.fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, env2, T0 + timedelta(minutes=1), CaseReplayError, "case_replay")


def test_expired_and_future_refused(police: Party, bank: Party) -> None:
    env = jws.sign(
        stop_order(police, T0).to_payload(),
        [police.fed.signers["mps"][0]],
        typ="antifraud-case+json",
    )
    refused(bank, env, T0 + timedelta(hours=24), CaseFreshnessError, "case_expired")
    refused(bank, env, T0 - timedelta(minutes=6), CaseFreshnessError, "case_not_yet_valid")
    bank.receive(env, at=T0 - timedelta(minutes=5))  # within the clock skew


def test_wrong_recipient_refused(police: Party, fed: Federation, tmp_path: Path) -> None:
    other = Party(fed, "abc", tmp_path / "abc")
    env = police.send(stop_order(police, T0), at=T0)
    refused(other, env, T0, CaseRecipientError, "case_wrong_recipient")
    other.book.close()


def test_scope_refusals(police: Party, bank: Party, fed: Federation) -> None:
    # A bank may not order a stop.
    body = stop_order(police, T0).body
    m = bank.msg(MessageType.STOP_PAYMENT_ORDER, "mps", body, at=T0)
    env = jws.sign(m.to_payload(), [fed.signers["icbc"][0]], typ="antifraud-case+json")
    refused(police, env, T0, CaseScopeError, "case_out_of_scope")
    # A stop order for another bank's account.
    wrong = attrs.evolve(body, account=attrs.evolve(ACCOUNT, bank="abc"))
    m2 = police.msg(MessageType.STOP_PAYMENT_ORDER, "icbc", wrong, at=T0)
    env2 = jws.sign(m2.to_payload(), [fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, env2, T0, CaseScopeError, "case_account_not_recipient")
    # A freeze needs both police keys.
    f = freeze_order(police, T0)
    env3 = jws.sign(f.to_payload(), [fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, env3, T0, CaseSignatureError, "case_threshold_not_met")
    with pytest.raises(CaseSignatureError):
        police.send(f, at=T0)
    assert police.book.messages() == []


def test_reply_to_unknown_request_refused(police: Party, bank: Party) -> None:
    fake = stopped(bank, hashlib.sha256(b"nothing").hexdigest(), T0)
    with pytest.raises(CaseBindingError) as info:
        bank.send(fake, at=T0)
    assert info.value.code == "case_unknown_request"
    signed = jws.sign(fake.to_payload(), [bank.fed.signers["icbc"][0]], typ="antifraud-case+json")
    refused(police, signed, T0, CaseBindingError, "case_unknown_request")


def test_reply_must_answer_a_message_sent_to_the_sender(police: Party, bank: Party) -> None:
    o = exchange(police, bank, stop_order(police, T0), T0)
    # A police reply naming its own order is bound to nothing the bank sent.
    ack = police.msg(MessageType.ACK, "icbc", Ack(), at=T0, reply=o)
    signed = jws.sign(ack.to_payload(), [police.fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, signed, T0, CaseBindingError, "case_unknown_request")


def test_wrong_answer_type_refused(police: Party, bank: Party) -> None:
    o = exchange(police, bank, stop_order(police, T0), T0)
    wrong = frozen(bank, o, T0, add_months(T0, 6))
    with pytest.raises(CaseBindingError) as info:
        bank.send(wrong, at=T0)
    assert info.value.code == "case_reply_mismatch"


def test_third_stop_refused(police: Party, bank: Party) -> None:
    t = T0
    for seq in (1, 2):
        o = exchange(police, bank, stop_order(police, t, sequence=seq), t)
        exchange(bank, police, stopped(bank, o, t), t)
        t += timedelta(hours=49)
    assert bank.book.get("mps:2026-0001").effective(t) is CaseState.STOP_LAPSED  # type: ignore[union-attr]
    third = stop_order(police, t, sequence=3)
    signed = jws.sign(third.to_payload(), [police.fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, signed, t, CaseTransitionError, "case_stop_limit")
    with pytest.raises(CaseTransitionError):
        police.send(third, at=t)


def test_stop_sequence_and_term(police: Party, bank: Party) -> None:
    bad = stop_order(police, T0, sequence=2)
    signed = jws.sign(bad.to_payload(), [police.fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, signed, T0, CaseTransitionError, "case_stop_sequence")
    o = exchange(police, bank, stop_order(police, T0), T0)
    long = StopPaymentResult(
        status=StopStatus.STOPPED,
        amount_held=AMOUNT,
        stopped_at=T0,
        stopped_until=T0 + timedelta(hours=49),
    )
    with pytest.raises(CaseTransitionError) as info:
        bank.send(bank.msg(MessageType.STOP_PAYMENT_RESULT, "mps", long, at=T0, reply=o), at=T0)
    assert info.value.code == "case_stop_term"


def test_renewal_after_lapse_refused(police: Party, bank: Party) -> None:
    f = exchange(police, bank, freeze_order(police, T0), T0, signers=2)
    until = add_months(T0, 6)
    r = frozen(bank, f, T0, until)
    exchange(bank, police, r, T0)
    late = police.msg(
        MessageType.FREEZE_RENEWAL,
        "icbc",
        FreezeRenewal(legal_basis="late"),
        at=until,
        reply=r.hash,
    )
    signed = jws.sign(late.to_payload(), [police.fed.signers["mps"][0]], typ="antifraud-case+json")
    refused(bank, signed, until, CaseTransitionError, "case_freeze_lapsed")
    assert bank.book.get("mps:2026-0001").effective(until) is CaseState.FREEZE_LAPSED  # type: ignore[union-attr]
    # One second before the end it is still in time.
    early = attrs.evolve(
        late,
        message_id="mps-early",
        issued_at=until - timedelta(seconds=1),
        expires=until + timedelta(hours=1),
    )
    bank.receive(
        jws.sign(early.to_payload(), [police.fed.signers["mps"][0]], typ="antifraud-case+json"),
        at=until - timedelta(seconds=1),
    )


def test_freeze_term_enforced(police: Party, bank: Party) -> None:
    f = exchange(police, bank, freeze_order(police, T0), T0, signers=2)
    with pytest.raises(CaseTransitionError) as info:
        bank.send(frozen(bank, f, T0, add_months(T0, 6) + timedelta(seconds=1)), at=T0)
    assert info.value.code == "case_freeze_term"


def test_answer_twice_refused(police: Party, bank: Party) -> None:
    o = exchange(police, bank, stop_order(police, T0), T0)
    exchange(bank, police, stopped(bank, o, T0), T0)
    again = stopped(bank, o, T0 + timedelta(minutes=1))
    signed = jws.sign(again.to_payload(), [bank.fed.signers["icbc"][0]], typ="antifraud-case+json")
    refused(police, signed, T0 + timedelta(minutes=1), CaseTransitionError, "case_already_answered")


def test_case_starts_with_a_request(police: Party, bank: Party) -> None:
    ack = bank.msg(MessageType.ACK, "mps", Ack(), at=T0, reply="ab" * 32)
    signed = jws.sign(ack.to_payload(), [bank.fed.signers["icbc"][0]], typ="antifraud-case+json")
    refused(police, signed, T0, CaseBindingError, "case_unknown_request")


def test_policy_is_configurable(police: Party, bank: Party) -> None:
    strict = CasePolicy(max_stops=1)
    o = exchange(police, bank, stop_order(police, T0), T0)
    exchange(bank, police, stopped(bank, o, T0), T0)
    second = stop_order(police, T0 + timedelta(hours=49), sequence=2)
    env = police.send(second, at=T0 + timedelta(hours=49))
    with pytest.raises(CaseTransitionError):
        bank.book.receive(env, trust=bank.fed.trust, now=T0 + timedelta(hours=49), policy=strict)


# -------------------------------------------------------------- book integrity


def test_chain_detects_edits(police: Party, bank: Party, tmp_path: Path) -> None:
    import sqlite3

    o = exchange(police, bank, stop_order(police, T0), T0)
    exchange(bank, police, stopped(bank, o, T0), T0)
    assert bank.book.check() == []
    conn = sqlite3.connect(tmp_path / "icbc" / "cases.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE messages SET recorded_at='2026-01-01T00:00:00Z'")
    conn.execute("DROP TRIGGER messages_no_update")
    conn.execute("UPDATE messages SET recorded_at='2026-01-01T00:00:00Z' WHERE seq=1")
    conn.commit()
    conn.close()
    assert any("chain" in p for p in bank.book.check())


def test_chain_detects_removed_last_record(police: Party, bank: Party, tmp_path: Path) -> None:
    import sqlite3

    o = exchange(police, bank, stop_order(police, T0), T0)
    exchange(bank, police, stopped(bank, o, T0), T0)
    conn = sqlite3.connect(tmp_path / "icbc" / "cases.sqlite3")
    conn.execute("DROP TRIGGER messages_no_delete")
    conn.execute("DELETE FROM messages WHERE seq=2")
    conn.commit()
    conn.close()
    assert any("head" in p for p in bank.book.check())


def test_export_lines(police: Party, bank: Party) -> None:
    import io
    import json

    o = exchange(police, bank, stop_order(police, T0), T0)
    exchange(bank, police, stopped(bank, o, T0), T0)
    out = io.StringIO()
    assert bank.book.export(out, "mps:2026-0001") == 2
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [x["hash"] for x in lines] == [o, lines[1]["hash"]]
    assert lines[1]["in_reply_to"] == o


# -------------------------------------------------------------- models


def test_message_round_trip_and_strictness() -> None:
    m = CaseMessage.build(
        type="freeze_result",
        message_id="b-1",
        case_id="c-1",
        sender="icbc",
        recipient="mps",
        issued_at=T0,
        in_reply_to="00" * 32,
        body=FreezeResult(status=FreezeStatus.REJECTED, reason=RejectReason.ACCOUNT_CLOSED),
    )
    assert CaseMessage.from_payload(m.to_payload()) == m
    d = m.to_dict()
    for bad in (
        {**d, "extra": 1},
        {**d, "in_reply_to": None},
        {**d, "sender": "mps"},
        {**d, "body": {"status": "frozen"}},
        {**d, "issued_at": "2026-03-01T08:00:00+08:00"},
        {**d, "format_version": 2},
    ):
        with pytest.raises(CaseFormatError):
            CaseMessage.from_dict(bad)
    assert d == m.to_dict()  # from_dict never mutates
    with pytest.raises(CaseFormatError) as info:
        CaseMessage.from_payload(m.to_payload().replace(b'"body"', b' "body"'))
    assert info.value.code == "case_not_canonical"


def test_repr_shows_no_personal_data() -> None:
    order = StopPaymentOrder(
        account=ACCOUNT,
        amount=AMOUNT,
        transfer_time=T0,
        sequence=1,
        term_hours=48,
        legal_basis="x",
    )
    m = CaseMessage.build(
        type="stop_payment_order",
        message_id="m",
        case_id="c",
        sender="mps",
        recipient="icbc",
        issued_at=T0,
        body=order,
    )
    for text in (repr(m), repr(order), repr(ACCOUNT), str(m.summary())):
        assert ACCOUNT.number not in text and "张三" not in text and "5000000" not in text


def test_respond_records_order_and_answer_together(police: Party, bank: Party) -> None:
    env = police.send(stop_order(police, T0), at=T0)
    got, reply = bank.book.respond(
        env,
        lambda r: stopped(bank, r.hash, T0),
        bank.fed.signers["icbc"],
        trust=bank.fed.trust,
        now=T0,
    )
    assert [m.type for m in bank.book.messages()] == [
        MessageType.STOP_PAYMENT_ORDER,
        MessageType.STOP_PAYMENT_RESULT,
    ]
    assert bank.book.get("mps:2026-0001").state is CaseState.STOPPED  # type: ignore[union-attr]
    assert bank.book.due(T0) == []
    police.receive(reply, at=T0)
    assert police.book.get("mps:2026-0001").state is CaseState.STOPPED  # type: ignore[union-attr]
    assert got.signers == (police.fed.signers["mps"][0].key_id,)


def test_respond_refused_answer_records_nothing(police: Party, bank: Party) -> None:
    env = police.send(stop_order(police, T0), at=T0)
    too_long = StopPaymentResult(
        status=StopStatus.STOPPED,
        amount_held=AMOUNT,
        stopped_at=T0,
        stopped_until=T0 + timedelta(hours=72),
    )
    before = snapshot(bank.book)
    with pytest.raises(CaseTransitionError):
        bank.book.respond(
            env,
            lambda r: bank.msg(
                MessageType.STOP_PAYMENT_RESULT, "mps", too_long, at=T0, reply=r.hash
            ),
            bank.fed.signers["icbc"],
            trust=bank.fed.trust,
            now=T0,
        )
    assert snapshot(bank.book) == before
    # A signer that is not in the bundle does not count for the answer either.
    with pytest.raises(CaseSignatureError):
        bank.book.respond(
            env,
            lambda r: stopped(bank, r.hash, T0),
            [LocalSigner.generate()],
            trust=bank.fed.trust,
            now=T0,
        )
    assert snapshot(bank.book) == before


def test_plaintext_refused_when_encryption_required(police: Party, bank: Party) -> None:
    env = police.send(stop_order(police, T0), at=T0)
    before = snapshot(bank.book)
    with pytest.raises(CaseFormatError) as info:
        bank.book.receive(env, trust=bank.fed.trust, now=T0, require_encryption=True)
    assert info.value.code == "case_plaintext"
    sealed = police.book.seal(env, trust=police.fed.trust)
    with pytest.raises(CaseFormatError) as info:
        bank.book.receive(sealed, trust=bank.fed.trust, now=T0)
    assert info.value.code == "case_no_key"
    assert snapshot(bank.book) == before


def test_any_byte_flip_is_refused(police: Party, bank: Party) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    env = police.send(stop_order(police, T0), at=T0)
    before = snapshot(bank.book)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.integers(min_value=0, max_value=len(env) - 1), st.integers(1, 255))
    def flip(index: int, mask: int) -> None:
        bad = bytearray(env)
        bad[index] ^= mask
        with pytest.raises(CaseError):
            bank.book.receive(bytes(bad), trust=bank.fed.trust, now=T0)
        assert snapshot(bank.book) == before

    flip()
