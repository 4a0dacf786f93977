"""``antifraud case demo``: one whole fraud case between a police agency and a bank (private).

Victim report -> instant query -> emergency stop -> STOPPED -> freeze (two police
signatures) -> renewal -> release, every message signed, encrypted to its
recipient and recorded in both case books; the bank's local HOLD/FREEZE list
follows each step so a lookup sees the account; and a forged and a replayed
message are refused with the book unchanged. The clock is simulated (the
renewal happens months later) and passed to every call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from antifraud_common.cases._kit import federation
from antifraud_common.cases.book import CaseBook
from antifraud_common.cases.messages import (
    CASE_TYP,
    Account,
    CaseMessage,
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
    StopPaymentOrder,
    StopPaymentResult,
    StopStatus,
    Subject,
)
from antifraud_common.cases.policy import add_months
from antifraud_common.cli._common import err, out
from antifraud_common.errors import AntifraudError
from antifraud_common.exchange.state import ReceiverState
from antifraud_common.format import jws
from antifraud_common.format.keys import LocalSigner
from antifraud_common.index import StateIndex


def run_case_demo(folder: Path, *, quiet: bool) -> list[dict[str, Any]]:
    """Run the demo in ``folder``; return the steps (each with ``ok``)."""
    steps: list[dict[str, Any]] = []

    def ok(name: str, detail: str, **data: Any) -> None:
        steps.append({"step": name, "ok": True, "detail": detail, **data})
        if not quiet:
            out(f"  ok       {name}: {detail}")

    def refused(name: str, e: AntifraudError, unchanged: bool) -> None:
        steps.append({"step": name, "ok": unchanged, "refused": e.to_dict()})
        if not quiet:
            out(f"  refused  {name}: [{e.code}] {e.message}")
        if not unchanged:
            err(f"  FAILED   {name}: the case book changed")

    def failed(name: str, detail: str) -> None:
        steps.append({"step": name, "ok": False, "detail": detail})
        err(f"  FAILED   {name}: {detail}")

    t = datetime.now(UTC).replace(microsecond=0)
    fed = federation(t)
    police = CaseBook.open(folder / "mps", me="mps")
    bank = CaseBook.open(folder / "icbc", me="icbc")
    state = ReceiverState.open(folder / "icbc-state")
    ids = iter(range(1, 1000))
    case_id = f"mps:{t:%Y%m%d}-0001"
    try:

        def deliver(sender: CaseBook, receiver: CaseBook, message: CaseMessage, at: datetime,
                    signers: int = 1) -> str:  # fmt: skip
            keys = fed.signers[sender.me][:signers]
            envelope = sender.send(message, keys, trust=fed.trust, now=at)
            token = sender.seal(envelope, trust=fed.trust)
            receiver.receive(
                token, trust=fed.trust, now=at, decryption_key=fed.decryption[receiver.me]
            )
            bank.apply_measures(state, now=at)
            return message.hash

        def msg(sender: str, type_: MessageType, body: Any, at: datetime,
                reply: str | None = None) -> CaseMessage:  # fmt: skip
            return CaseMessage.build(
                type=type_,
                message_id=f"{sender}-{next(ids):04d}",
                case_id=case_id,
                sender=sender,
                recipient="icbc" if sender == "mps" else "mps",
                issued_at=at,
                in_reply_to=reply,
                body=body,
            )

        def lookup(at: datetime) -> str:
            with StateIndex.follow(state) as followed:
                found = followed.index.check(account.number, kind="bank_account", now=at)
            return found.action.value if found.listed and found.action else "not listed"

        # 1. The victim's report gives the police the first-tier account and the transfer.
        account = Account(bank="icbc", number="6217000010001234567", name="Demo Holder")
        loss = Money(amount=5_000_000)
        transfer = t - timedelta(minutes=20)
        ok("victim report", f"50,000.00 CNY sent 20 minutes ago to an account at icbc; "
                            f"case {case_id}")  # fmt: skip

        # 2. Instant query.
        q = deliver(police, bank, msg("mps", MessageType.QUERY_REQUEST, QueryRequest(
            subjects=(Subject(kind="bank_account", value=account.number),),
            legal_basis="Anti-Telecom and Online Fraud Law, Art. 20",
            period_from=t - timedelta(days=30), period_to=t, due=t + timedelta(minutes=5),
        ), t), t)  # fmt: skip
        deliver(bank, police, msg("icbc", MessageType.QUERY_RESPONSE, QueryResponse(
            status=QueryStatus.COMPLETE,
            results=(QueryResult(subject=Subject(kind="bank_account", value=account.number),
                                 account_status="active", holder_name=account.name,
                                 balance=loss),),
        ), t, reply=q), t)  # fmt: skip
        ok("instant query", "answered at once (holder, status, balance), signed and encrypted")

        # 3. Emergency stop-payment and its result.
        t1 = t + timedelta(minutes=1)
        o = deliver(police, bank, msg("mps", MessageType.STOP_PAYMENT_ORDER, StopPaymentOrder(
            account=account, amount=loss, transfer_time=transfer, sequence=1, term_hours=48,
            legal_basis="Art. 20"), t1), t1)  # fmt: skip
        stopped = msg("icbc", MessageType.STOP_PAYMENT_RESULT, StopPaymentResult(
            status=StopStatus.STOPPED, amount_held=loss, stopped_at=t1,
            stopped_until=t1 + timedelta(hours=48)), t1, reply=o)  # fmt: skip
        stopped_env = bank.send(stopped, fed.signers["icbc"], trust=fed.trust, now=t1)
        police.receive(stopped_env, trust=fed.trust, now=t1)
        bank.apply_measures(state, now=t1)
        ok("stop-payment", f"STOPPED for 48 hours; the bank's lookup says {lookup(t1)!r}",
           lookup=lookup(t1))  # fmt: skip

        # 4. A forged result (an attacker's key) and the replayed real one are refused.
        before = [r.hash for r in police.messages()]
        forged = msg("icbc", MessageType.STOP_PAYMENT_RESULT, StopPaymentResult(
            status=StopStatus.REJECTED, reason="other"), t1, reply=o)  # fmt: skip
        try:
            fake = jws.sign(forged.to_payload(), [LocalSigner.generate()], typ=CASE_TYP)
            police.receive(fake, trust=fed.trust, now=t1)
            failed("forged message", "accepted")
        except AntifraudError as e:
            refused("forged message", e, [r.hash for r in police.messages()] == before)
        try:
            police.receive(stopped_env, trust=fed.trust, now=t1 + timedelta(minutes=5))
            failed("replayed message", "accepted")
        except AntifraudError as e:
            refused("replayed message", e, [r.hash for r in police.messages()] == before)

        # 5. Quick freeze, signed by two police keys.
        t2 = t1 + timedelta(hours=6)
        f = deliver(police, bank, msg("mps", MessageType.FREEZE_ORDER, FreezeOrder(
            account=account, amount=loss, major=False, legal_basis="freeze decision"),
            t2), t2, signers=2)  # fmt: skip
        end = add_months(t2, 6)
        r1 = msg("icbc", MessageType.FREEZE_RESULT, FreezeResult(
            status=FreezeStatus.FROZEN, amount_frozen=loss, frozen_at=t2, frozen_until=end),
            t2, reply=f)  # fmt: skip
        deliver(bank, police, r1, t2)
        ok("freeze", f"frozen until {end:%Y-%m-%d} (two police signatures); lookup "
                     f"{lookup(t2)!r}", lookup=lookup(t2))  # fmt: skip

        # 6. Renewal a week before the end.
        t3 = end - timedelta(days=7)
        rn = deliver(police, bank, msg("mps", MessageType.FREEZE_RENEWAL,
                                       FreezeRenewal(legal_basis="renewal"), t3,
                                       reply=r1.hash), t3)  # fmt: skip
        end2 = add_months(end, 6)
        r2 = msg("icbc", MessageType.FREEZE_RESULT, FreezeResult(
            status=FreezeStatus.FROZEN, amount_frozen=loss, frozen_at=t3, frozen_until=end2),
            t3, reply=rn)  # fmt: skip
        deliver(bank, police, r2, t3)
        ok("renewal", f"renewed before the end: frozen until {end2:%Y-%m-%d}")

        # 7. Release.
        t4 = t3 + timedelta(days=30)
        rl = deliver(police, bank, msg("mps", MessageType.FREEZE_RELEASE,
                                       FreezeRelease(legal_basis="case closed"), t4,
                                       reply=r2.hash), t4)  # fmt: skip
        deliver(bank, police, msg("icbc", MessageType.FREEZE_RESULT, FreezeResult(
            status=FreezeStatus.RELEASED, released_at=t4), t4, reply=rl), t4)  # fmt: skip
        view = police.get(case_id)
        assert view is not None
        ok("release", f"case {view.effective(t4).value}; lookup {lookup(t4)!r}",
           lookup=lookup(t4))  # fmt: skip

        # 8. Both books are whole and agree.
        problems = police.check() + bank.check()
        same = [r.hash for r in police.messages()] == [r.hash for r in bank.messages()]
        if problems or not same:
            failed("books", "; ".join(problems) or "the two books differ")
        else:
            ok("books", f"{len(police.messages())} messages in each book, hash chains intact")
    except AntifraudError as e:
        failed("case", f"[{e.code}] {e.message}")
    finally:
        police.close()
        bank.close()
        state.close()
    return steps
