"""Crash safety of the case book: SIGKILL while recording, and two processes at once.

A child process receives a burst of signed stop-payment orders (one
transaction each) into a bank's case book; the parent kills it (SIGKILL) after
a random delay spread over the whole run, then checks that the book is exactly
the state after some whole prefix of the burst: the chain verifies, every
recorded message has its case and its deadline, and nothing else is there.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from antifraud_common.cases import (
    Account,
    CaseBook,
    CaseMessage,
    CaseState,
    MessageType,
    Money,
    StopPaymentOrder,
)
from antifraud_common.cases._kit import Federation, federation
from antifraud_common.format import jws

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork"),
]

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
N_ORDERS = 60
KILLS = 40


def orders(fed: Federation, n: int, prefix: str) -> list[bytes]:
    out = []
    for i in range(n):
        body = StopPaymentOrder(
            account=Account(bank="icbc", number=f"62220212345{i:06d}", name="张三"),
            amount=Money(amount=100_000 + i),
            transfer_time=T0 - timedelta(minutes=10),
            sequence=1,
            term_hours=48,
            legal_basis="Art. 20",
        )
        m = CaseMessage.build(
            type=MessageType.STOP_PAYMENT_ORDER,
            message_id=f"{prefix}-{i}",
            case_id=f"mps:{prefix}-{i}",
            sender="mps",
            recipient="icbc",
            issued_at=T0,
            body=body,
        )
        out.append(jws.sign(m.to_payload(), [fed.signers["mps"][0]], typ="antifraud-case+json"))
    return out


@pytest.fixture(scope="module")
def fed() -> Federation:
    return federation(T0)


def _fork(task: Callable[[], object]) -> int:
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            task()
            code = 0
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    return pid


def receive_all(directory: Path, fed: Federation, burst: list[bytes]) -> Callable[[], object]:
    def task() -> object:
        with CaseBook.open(directory, me="icbc") as book:
            for env in burst:
                book.receive(env, trust=fed.trust, now=T0)
        return None

    return task


def observed(directory: Path, burst_ids: list[str]) -> int:
    """How many orders the book holds, after checking it is a whole prefix of the burst."""
    with CaseBook.open(directory, me="icbc") as book:
        assert book.check() == []
        recs = book.messages()
        n = len(recs)
        assert [r.message_id for r in recs] == burst_ids[:n], "not a prefix of the burst"
        cases = book.cases()
        assert len(cases) == n
        assert all(c.state is CaseState.STOP_PENDING for c in cases)
        due = book.due(T0)
        assert sorted(d.request_hash or "" for d in due) == sorted(r.hash for r in recs)
        return n


def test_kill_while_receiving(fed: Federation, tmp_path: Path) -> None:
    burst = orders(fed, N_ORDERS, "k")
    ids = [f"k-{i}" for i in range(N_ORDERS)]
    calib = tmp_path / "calib"
    t = time.perf_counter()
    pid = _fork(receive_all(calib, fed, burst))
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    duration = time.perf_counter() - t
    assert observed(calib, ids) == N_ORDERS
    rng = random.Random(14)
    seen: dict[str, int] = {"none": 0, "partial": 0, "all": 0}
    for i in range(KILLS):
        directory = tmp_path / f"kill-{i}"
        pid = _fork(receive_all(directory, fed, burst))
        time.sleep(rng.uniform(0, duration * 1.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if not (directory / "cases.sqlite3").exists():
            seen["none"] += 1
            continue
        n = observed(directory, ids)
        seen["none" if n == 0 else "all" if n == N_ORDERS else "partial"] += 1
        # The book stays usable: the rest of the burst is received after the crash.
        with CaseBook.open(directory, me="icbc") as book:
            for env in burst[n:]:
                book.receive(env, trust=fed.trust, now=T0)
        assert observed(directory, ids) == N_ORDERS
    print(f"\ncase book kills: {json.dumps(seen)}")
    assert seen["partial"] >= 1  # some kills landed in the middle of the burst


def test_two_writers_same_messages(fed: Federation, tmp_path: Path) -> None:
    """Two processes receive the same burst at once: each message is recorded exactly once."""
    burst = orders(fed, 40, "s")
    directory = tmp_path / "same"
    CaseBook.open(directory, me="icbc").close()
    results = tmp_path / "results"
    results.mkdir()

    def task(slot: str) -> Callable[[], object]:
        def run() -> object:
            codes = []
            with CaseBook.open(directory, me="icbc") as book:
                for env in burst:
                    try:
                        book.receive(env, trust=fed.trust, now=T0)
                        codes.append("ok")
                    except Exception as e:
                        codes.append(getattr(e, "code", type(e).__name__))
            (results / slot).write_text(json.dumps(codes))
            return None

        return run

    pids = [_fork(task("a")), _fork(task("b"))]
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    a = json.loads((results / "a").read_text())
    b = json.loads((results / "b").read_text())
    for x, y in zip(a, b, strict=True):
        assert sorted([x, y]) == ["case_replay", "ok"]
    with CaseBook.open(directory, me="icbc") as book:
        assert book.check() == []
        assert len(book.messages()) == 40


def test_two_writers_different_messages(fed: Federation, tmp_path: Path) -> None:
    """Two processes record different messages at once: all kept, one unbroken chain."""
    first, second = orders(fed, 40, "a"), orders(fed, 40, "b")
    directory = tmp_path / "diff"
    CaseBook.open(directory, me="icbc").close()
    pids = [
        _fork(receive_all(directory, fed, first)),
        _fork(receive_all(directory, fed, second)),
    ]
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    with CaseBook.open(directory, me="icbc") as book:
        assert book.check() == []
        recs = book.messages()
        assert len(recs) == 80
        assert [r.seq for r in recs] == list(range(1, 81))
        a_ids = [r.message_id for r in recs if r.message_id.startswith("a-")]
        assert a_ids == [f"a-{i}" for i in range(40)]  # each writer's order is kept
