"""The case book: every case's state, every message sent and received, what is due.

One embedded SQLite database (``cases.sqlite3``) in a private directory, kept
the way the receiver state is (``docs/receiver-state.md``): WAL mode,
``synchronous=FULL``, every change one ``BEGIN IMMEDIATE`` transaction with a
busy timeout, and every check that depends on what is stored (replay, binding,
transition, stop count) made *inside* that transaction, so two processes
recording messages at once are serialised and a crash leaves the old book or
the new one. A refused message changes nothing.

Messages are append-only: triggers refuse ``UPDATE`` and ``DELETE`` on the
message log, and each record carries a hash chained to the previous one
(``chain = SHA-256(previous chain || canonical record)``), with the head kept
in a separate row, so :meth:`CaseBook.check` detects an edited, removed or
reordered record even when the triggers were bypassed.

Receiving (:meth:`CaseBook.receive`) checks, in this fixed order
(``docs/spec/cases.md``): the envelope (decrypting first when it is a JWE),
signature and scope, freshness (the clock read once), replay, recipient,
binding of ``in_reply_to``, and the transition. Sending (:meth:`CaseBook.send`)
signs and applies the same rules to the outgoing message before recording it.

>>> import tempfile
>>> book = CaseBook.open(tempfile.mkdtemp(), me="icbc")
>>> book.cases()
[]
>>> book.close()
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, BinaryIO, Final

import attrs

from antifraud_common._clock import now_utc
from antifraud_common.cases.machine import ANSWERS, REQUESTS, CaseView, step
from antifraud_common.cases.messages import (
    CASE_TYP,
    Account,
    CaseMessage,
    FreezeOrder,
    MessageType,
    QueryRequest,
    QueryResponse,
    QueryStatus,
    StopPaymentOrder,
    StopPaymentResult,
    StopStatus,
    message_hash,
)
from antifraud_common.cases.policy import DEFAULT_POLICY, CasePolicy
from antifraud_common.errors import (
    AntifraudError,
    BlacklistFormatError,
    CaseBindingError,
    CaseBookError,
    CaseFormatError,
    CaseFreshnessError,
    CaseRecipientError,
    CaseReplayError,
    CaseScopeError,
    CaseSignatureError,
    CaseTransitionError,
    DecryptionError,
)
from antifraud_common.exchange.trust import TrustBundle
from antifraud_common.format import canonical, jwe, jws
from antifraud_common.format.keys import Signer
from antifraud_common.models import (
    TLP,
    Action,
    ContentType,
    Entry,
    IdentifierKind,
    Manifest,
    Reason,
    format_timestamp,
    parse_timestamp,
)

__all__ = [
    "BOOK_NAME",
    "MEASURES_LIST_ID",
    "SCHEMA_VERSION",
    "CaseBook",
    "Deadline",
    "Received",
    "RecordedMessage",
    "check_envelope",
]

#: File name of the database inside the book directory.
BOOK_NAME: Final = "cases.sqlite3"
#: Version of the database layout (``PRAGMA user_version``).
SCHEMA_VERSION: Final = 1
#: List id of the local HOLD/FREEZE list :meth:`CaseBook.apply_measures` writes.
MEASURES_LIST_ID: Final = "case-measures"
DEFAULT_BUSY_TIMEOUT: Final = 60.0
_GENESIS: Final = "0" * 64
_PARSED_CACHE: Final = 4096

_SCHEMA: Final = (
    """CREATE TABLE cases (
        case_id TEXT PRIMARY KEY,
        view TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        case_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        type TEXT NOT NULL,
        sender TEXT NOT NULL,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        in_reply_to TEXT,
        envelope BLOB NOT NULL,
        recorded_at TEXT NOT NULL,
        chain TEXT NOT NULL,
        UNIQUE (sender, message_id)
    )""",
    "CREATE INDEX messages_case ON messages (case_id, seq)",
    """CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages
        BEGIN SELECT RAISE(ABORT, 'the message log is append-only'); END""",
    """CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
        BEGIN SELECT RAISE(ABORT, 'the message log is append-only'); END""",
    """CREATE TABLE head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        chain TEXT NOT NULL
    )""",
    "INSERT INTO head VALUES (1, 0, printf('%.64c', '0'))",
    """CREATE TABLE pending (
        hash TEXT PRIMARY KEY,
        case_id TEXT NOT NULL,
        type TEXT NOT NULL,
        direction TEXT NOT NULL,
        due_at TEXT NOT NULL,
        answered_at TEXT
    ) WITHOUT ROWID""",
    """CREATE TABLE stops (
        bank TEXT NOT NULL,
        number TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (bank, number)
    ) WITHOUT ROWID""",
)


# ------------------------------------------------------------------ results


@attrs.frozen(kw_only=True)
class RecordedMessage:
    """One message of the log. ``envelope`` (personal data) is not in the ``repr``."""

    seq: int
    case_id: str
    direction: str
    type: MessageType
    sender: str
    recipient: str
    message_id: str
    hash: str
    in_reply_to: str | None
    recorded_at: datetime
    chain: str
    envelope: bytes = attrs.field(repr=False)

    @property
    def message(self) -> CaseMessage:
        """The message (parsed from the stored envelope)."""
        return CaseMessage.from_payload(jws.parse(self.envelope, typ=CASE_TYP).payload)

    def summary(self) -> dict[str, Any]:
        """The record without the envelope: safe for logs and dashboards."""
        return {
            "seq": self.seq,
            "case_id": self.case_id,
            "direction": self.direction,
            "type": self.type.value,
            "sender": self.sender,
            "recipient": self.recipient,
            "message_id": self.message_id,
            "hash": self.hash,
            "in_reply_to": self.in_reply_to,
            "recorded_at": format_timestamp(self.recorded_at),
            "chain": self.chain,
        }


@attrs.frozen(kw_only=True)
class Received:
    """What :meth:`CaseBook.receive` accepted and recorded."""

    message: CaseMessage
    hash: str
    envelope: bytes = attrs.field(repr=False)
    case: CaseView
    signers: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Deadline:
    """Something due in a case: an answer to a request, or the end of a stop or freeze."""

    case_id: str
    #: ``answer`` (a request awaits its answer), ``stop_ends`` or ``freeze_ends``.
    what: str
    #: For ``answer``: the request type and hash, and who owes the answer.
    request_type: str | None
    request_hash: str | None
    owed_by: str
    due_at: datetime
    overdue: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``antifraud case due``."""
        return {
            "case_id": self.case_id,
            "what": self.what,
            "request_type": self.request_type,
            "request_hash": self.request_hash,
            "owed_by": self.owed_by,
            "due_at": format_timestamp(self.due_at),
            "overdue": self.overdue,
        }


# ------------------------------------------------------------------ checks


def _now(now: datetime | None) -> datetime:
    return now_utc(now).replace(microsecond=0)


def _is_jwe(data: bytes) -> bool:
    head = data.lstrip()[:1]
    return head != b"{" or b'"ciphertext"' in data


def check_envelope(
    data: bytes,
    *,
    trust: TrustBundle,
    now: datetime,
    policy: CasePolicy = DEFAULT_POLICY,
    decryption_key: jwe.EncryptionPrivateKey | None = None,
    require_encryption: bool = False,
) -> tuple[CaseMessage, bytes, tuple[str, ...]]:
    """Steps 1-3 of the verification order, which need no case book.

    Returns the message, the signed envelope (a JWE decrypted) and the key ids
    that signed validly. Raises a :class:`~antifraud_common.errors.CaseError`.
    """
    untyped: object = data
    if not isinstance(untyped, bytes):
        raise TypeError("a message is bytes")
    # 1. Envelope.
    if _is_jwe(data):
        if decryption_key is None:
            raise CaseFormatError("an encrypted message and no decryption key", code="case_no_key")
        try:
            data = jwe.decrypt(data, decryption_key)
        except DecryptionError as e:
            raise CaseFormatError(e.message, code="case_decryption_failed") from e
    elif require_encryption:
        raise CaseFormatError("this member accepts only encrypted messages", code="case_plaintext")
    try:
        parsed = jws.parse(data, typ=CASE_TYP, max_bytes=2 * 1024 * 1024)
    except BlacklistFormatError as e:
        raise CaseFormatError(f"bad envelope: {e.message}", code=f"case_{e.code}") from e
    if parsed.duplicate_kids:
        raise CaseFormatError("a key may sign only once", code="case_jws_duplicate_kid")
    message = CaseMessage.from_payload(parsed.payload)
    # 2. Signature, then scope and threshold.
    sender = trust.member(message.sender)
    if sender is None:
        raise CaseScopeError(f"{message.sender!r} is not a member", code="case_unknown_member")
    result = jws.verify_signatures(parsed, trust.member_keys())
    valid = _check_scope(message, result.valid_kids, trust)
    # 3. Freshness (one clock reading, passed in).
    _check_fresh(message, now, policy)
    return message, data, valid


def _check_scope(
    message: CaseMessage, valid_kids: frozenset[str], trust: TrustBundle
) -> tuple[str, ...]:
    # Step 2 once the valid signatures are known; returns the key ids that count.
    sender = trust.member(message.sender)
    if sender is None:
        raise CaseScopeError(f"{message.sender!r} is not a member", code="case_unknown_member")
    own = {k.key_id for k in sender.keys}
    if not valid_kids & own:
        raise CaseSignatureError("no valid signature by a key of the sender")
    rule = sender.message_rule(message.type.value)
    if rule is None or not rule.allows(message.recipient):
        raise CaseScopeError(
            f"{message.sender} may not send {message.type.value} to {message.recipient}"
        )
    if trust.member(message.recipient) is None:
        raise CaseScopeError(f"{message.recipient!r} is not a member", code="case_unknown_member")
    body = message.body
    if isinstance(body, StopPaymentOrder | FreezeOrder) and body.account.bank != message.recipient:
        raise CaseScopeError(
            "an order goes to the bank that holds the account", code="case_account_not_recipient"
        )
    among = {k.key_id for a in rule.signers for m in [trust.member(a)] if m for k in m.keys}
    if len(valid_kids & among) < rule.threshold:
        raise CaseSignatureError(
            f"{len(valid_kids & among)} of {rule.threshold} required signers",
            code="case_threshold_not_met",
        )
    return tuple(sorted(valid_kids & (own | among)))


def _check_fresh(message: CaseMessage, now: datetime, policy: CasePolicy) -> None:
    problem = policy.is_fresh(message.issued_at, message.expires, now)
    if problem is not None:
        raise CaseFreshnessError(f"the message is not fresh ({problem})", code=problem)


# ------------------------------------------------------------------ the book


def _chain(prev: str, record: dict[str, Any]) -> str:
    return hashlib.sha256(prev.encode("ascii") + b"\n" + canonical.dumps(record)).hexdigest()


def _chain_record(
    seq: int, case_id: str, direction: str, msg_hash: str, *, envelope: bytes, recorded_at: str
) -> dict[str, Any]:
    return {
        "seq": seq,
        "case_id": case_id,
        "direction": direction,
        "hash": msg_hash,
        "envelope_sha256": hashlib.sha256(envelope).hexdigest(),
        "recorded_at": recorded_at,
    }


_MSG_COLUMNS: Final = (
    "seq, case_id, direction, type, sender, recipient, message_id, hash, in_reply_to, "
    "recorded_at, chain, envelope"
)


def _row_to_message(row: Sequence[Any]) -> RecordedMessage:
    return RecordedMessage(
        seq=row[0],
        case_id=row[1],
        direction=row[2],
        type=MessageType(row[3]),
        sender=row[4],
        recipient=row[5],
        message_id=row[6],
        hash=row[7],
        in_reply_to=row[8],
        recorded_at=parse_timestamp(row[9]),
        chain=row[10],
        envelope=bytes(row[11]),
    )


class CaseBook:
    """The case book of one member (``me``). One object per thread; processes may share it."""

    def __init__(self, conn: sqlite3.Connection, directory: Path, me: str) -> None:
        self._conn = conn
        #: The book directory.
        self.directory = directory
        #: The member id this book belongs to.
        self.me = me
        # Messages this object recorded, parsed, for binding their replies without
        # parsing the stored envelope again (a bounded cache: insertion order).
        self._parsed: dict[str, CaseMessage] = {}

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        me: str,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> CaseBook:
        """Open (creating if needed) the case book of member ``me`` in ``directory``.

        Raises :class:`~antifraud_common.errors.CaseBookError` when it cannot be used.
        """
        d = Path(directory)
        try:
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            if stat.S_IMODE(d.stat().st_mode) & 0o077:
                d.chmod(0o700)
            db = d / BOOK_NAME
            with contextlib.suppress(FileExistsError):
                os.close(os.open(db, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(db, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise CaseBookError(f"cannot open the case book in {d}: {e}") from e
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            book = cls(conn, d, me)
            book._ensure_schema()
        except sqlite3.Error as e:
            conn.close()
            raise CaseBookError(f"the case book in {d} is unusable: {e}") from e
        except BaseException:
            conn.close()
            raise
        return book

    def _ensure_schema(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version != 0:
            raise CaseBookError(
                f"case book schema version {version}; this library reads {SCHEMA_VERSION}",
                code="case_book_schema",
            )
        with self._transaction():
            if self._conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                for stmt in _SCHEMA:
                    self._conn.execute(stmt)
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database."""
        self._conn.close()

    def __enter__(self) -> CaseBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise CaseBookError(f"cannot lock the case book: {e}", code="case_book_locked") from e
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:  # pragma: no cover - disk full, I/O error
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise CaseBookError(f"cannot commit to the case book: {e}") from e

    # ---------------------------------------------------------------- reading

    def get(self, case_id: str) -> CaseView | None:
        """Return the case ``case_id``, or ``None``."""
        row = self._conn.execute("SELECT view FROM cases WHERE case_id=?", (case_id,)).fetchone()
        return None if row is None else CaseView.from_dict(json.loads(row[0]))

    def cases(self) -> list[CaseView]:
        """Every case, by id."""
        rows = self._conn.execute("SELECT view FROM cases ORDER BY case_id").fetchall()
        return [CaseView.from_dict(json.loads(r[0])) for r in rows]

    def messages(self, case_id: str | None = None) -> list[RecordedMessage]:
        """The recorded messages (of one case, or all), in the order they were recorded."""
        if case_id is None:
            rows = self._conn.execute(
                f"SELECT {_MSG_COLUMNS} FROM messages ORDER BY seq"  # noqa: S608 - constant columns
            )
        else:
            rows = self._conn.execute(
                f"SELECT {_MSG_COLUMNS} FROM messages WHERE case_id=? ORDER BY seq",  # noqa: S608
                (case_id,),
            )
        return [_row_to_message(r) for r in rows.fetchall()]

    def _by_hash(self, msg_hash: str) -> RecordedMessage | None:
        row = self._conn.execute(
            f"SELECT {_MSG_COLUMNS} FROM messages WHERE hash=?",  # noqa: S608 - constant columns
            (msg_hash,),
        ).fetchone()
        return None if row is None else _row_to_message(row)

    def stops(self, account: Account) -> int:
        """How many times ``account`` has been stopped (a ``stopped`` result recorded)."""
        row = self._conn.execute(
            "SELECT count FROM stops WHERE bank=? AND number=?", account.key
        ).fetchone()
        return 0 if row is None else int(row[0])

    def due(
        self, now: datetime | None = None, *, within: timedelta = timedelta(0)
    ) -> list[Deadline]:
        """What is due: unanswered requests (overdue or not), measures ending within ``within``."""
        moment = _now(now)
        out: list[Deadline] = []
        rows = self._conn.execute(
            "SELECT p.hash, p.case_id, p.type, p.due_at, m.recipient FROM pending p "
            "JOIN messages m ON m.hash = p.hash WHERE p.answered_at IS NULL"
        ).fetchall()
        for msg_hash, case_id, typ, due_at, owed_by in rows:
            at = parse_timestamp(due_at)
            out.append(
                Deadline(
                    case_id=case_id,
                    what="answer",
                    request_type=typ,
                    request_hash=msg_hash,
                    owed_by=owed_by,
                    due_at=at,
                    overdue=moment >= at,
                )
            )
        horizon = moment + within
        for view in self.cases():
            for what, end in (("stop_ends", view.stop_until), ("freeze_ends", view.freeze_until)):
                if end is not None and moment < end <= horizon:
                    out.append(
                        Deadline(
                            case_id=view.case_id,
                            what=what,
                            request_type=None,
                            request_hash=None,
                            owed_by=view.initiator,
                            due_at=end,
                            overdue=False,
                        )
                    )
        out.sort(key=lambda d: (d.due_at, d.case_id, d.what))
        return out

    def check(self) -> list[str]:
        """Re-verify the message chain and the stored hashes; return the problems found."""
        problems: list[str] = []
        prev, expected_seq = _GENESIS, 1
        for rec in self.messages():
            if rec.seq != expected_seq:
                problems.append(f"record {expected_seq} is missing (next is {rec.seq})")
            expected_seq = rec.seq + 1
            try:
                payload = jws.parse(rec.envelope, typ=CASE_TYP).payload
                if message_hash(payload) != rec.hash:
                    problems.append(f"record {rec.seq}: the envelope does not match its hash")
            except BlacklistFormatError:
                problems.append(f"record {rec.seq}: the envelope is not a case message")
            link = _chain(
                prev,
                _chain_record(
                    rec.seq,
                    rec.case_id,
                    rec.direction,
                    rec.hash,
                    envelope=rec.envelope,
                    recorded_at=format_timestamp(rec.recorded_at),
                ),
            )
            if link != rec.chain:
                problems.append(f"record {rec.seq}: the chain is broken")
            prev = rec.chain
        head_seq, head_chain = self._conn.execute("SELECT seq, chain FROM head").fetchone()
        if head_seq != expected_seq - 1 or head_chain != prev:
            problems.append("the head does not match the last record (records removed?)")
        return problems

    def export(self, out: IO[str], case_id: str | None = None) -> int:
        """Write the messages (of one case, or all) as JSON Lines for audit; return the count.

        Each line holds the record (:meth:`RecordedMessage.summary`) and the
        signed envelope (``envelope``, base64url): the export holds personal
        data and must be handled like the book itself.
        """
        count = 0
        for rec in self.messages(case_id):
            line = rec.summary()
            line["envelope"] = base64.urlsafe_b64encode(rec.envelope).rstrip(b"=").decode()
            out.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
        return count

    # ---------------------------------------------------------------- writing

    def receive(
        self,
        data: bytes,
        *,
        trust: TrustBundle,
        now: datetime | None = None,
        policy: CasePolicy = DEFAULT_POLICY,
        decryption_key: jwe.EncryptionPrivateKey | None = None,
        require_encryption: bool = False,
    ) -> Received:
        """Verify an incoming message in the fixed order and record it; or refuse it.

        ``data`` is a signed envelope (JWS) or a JWE of one (decrypted with
        ``decryption_key``). Every refusal is a
        :class:`~antifraud_common.errors.CaseError` with a stable code, and the
        book is left unchanged.
        """
        moment = _now(now)
        incoming = self._incoming(data, trust, moment, policy, decryption_key, require_encryption)
        with incoming as (_, received):
            return received

    def send(
        self,
        message: CaseMessage,
        signers: Sequence[Signer],
        *,
        trust: TrustBundle,
        now: datetime | None = None,
        policy: CasePolicy = DEFAULT_POLICY,
    ) -> bytes:
        """Sign ``message`` and record it as sent; return the envelope to deliver.

        The message must be from this member, and is checked as its recipient
        will check it (scope, threshold, freshness, binding, transition).
        Encrypt the envelope with :meth:`seal` before it leaves.
        """
        moment = _now(now)
        envelope = self._sign_own(message, signers, trust, moment, policy)
        with self._transaction() as conn:
            self._apply(conn, message, envelope, "out", moment=moment, policy=policy)
        return envelope

    def respond(
        self,
        data: bytes,
        answer: Callable[[Received], CaseMessage],
        signers: Sequence[Signer],
        *,
        trust: TrustBundle,
        now: datetime | None = None,
        policy: CasePolicy = DEFAULT_POLICY,
        decryption_key: jwe.EncryptionPrivateKey | None = None,
        require_encryption: bool = False,
    ) -> tuple[Received, bytes]:
        """Receive a message and record the answer ``answer(received)`` in one transaction.

        For a gateway that answers at once (a stop order checked against the
        account and answered STOPPED or MISMATCH): the incoming message is
        verified as by :meth:`receive`, the answer is signed and checked as by
        :meth:`send`, and both are recorded together -- or, when either is
        refused, neither. Returns what was received and the answer's envelope.
        """
        moment = _now(now)
        incoming = self._incoming(data, trust, moment, policy, decryption_key, require_encryption)
        with incoming as (conn, received):
            reply = answer(received)
            reply_envelope = self._sign_own(reply, signers, trust, moment, policy)
            self._apply(conn, reply, reply_envelope, "out", moment=moment, policy=policy)
        return received, reply_envelope

    @contextlib.contextmanager
    def _incoming(  # noqa: PLR0917 - receive()'s and respond()'s own arguments
        self,
        data: bytes,
        trust: TrustBundle,
        moment: datetime,
        policy: CasePolicy,
        decryption_key: jwe.EncryptionPrivateKey | None,
        require_encryption: bool,
    ) -> Iterator[tuple[sqlite3.Connection, Received]]:
        """Verify an incoming message, then record it in a transaction that stays open.

        What the caller records inside the ``with`` block is committed with the
        message, or rolled back with it.
        """
        message, envelope, signers = check_envelope(
            data,
            trust=trust,
            now=moment,
            policy=policy,
            decryption_key=decryption_key,
            require_encryption=require_encryption,
        )
        with self._transaction() as conn:
            view = self._apply(conn, message, envelope, "in", moment=moment, policy=policy)
            received = Received(
                message=message, hash=message.hash, envelope=envelope, case=view, signers=signers
            )
            yield conn, received

    def _sign_own(
        self,
        message: CaseMessage,
        signers: Sequence[Signer],
        trust: TrustBundle,
        moment: datetime,
        policy: CasePolicy,
    ) -> bytes:
        if message.sender != self.me:
            raise CaseScopeError(
                "this book records only its own member's messages", code="case_not_mine"
            )
        # jws.sign verifies every signature it makes, so the signers' key ids are
        # the valid ones: only the trust bundle's rules remain to be checked.
        envelope = jws.sign(message.to_payload(), list(signers), typ=CASE_TYP)
        known = trust.member_keys()
        kids = frozenset(
            s.key_id
            for s in signers
            if (k := known.get(s.key_id)) is not None and k == s.public_key
        )
        _check_scope(message, kids, trust)
        _check_fresh(message, moment, policy)
        return envelope

    def record_sent(
        self,
        envelope: bytes,
        *,
        trust: TrustBundle,
        now: datetime | None = None,
        policy: CasePolicy = DEFAULT_POLICY,
    ) -> bytes:
        """Record an envelope signed elsewhere (e.g. co-signed k-of-n) as sent by this member."""
        moment = _now(now)
        message, checked, _ = check_envelope(envelope, trust=trust, now=moment, policy=policy)
        if message.sender != self.me:
            raise CaseScopeError(
                "this book records only its own member's messages", code="case_not_mine"
            )
        with self._transaction() as conn:
            self._apply(conn, message, checked, "out", moment=moment, policy=policy)
        return checked

    def seal(self, envelope: bytes, *, trust: TrustBundle) -> bytes:
        """Encrypt a signed envelope to its recipient's encryption key (JWE compact)."""
        message = CaseMessage.from_payload(jws.parse(envelope, typ=CASE_TYP).payload)
        member = trust.member(message.recipient)
        if member is None or not member.encryption_keys:
            raise CaseScopeError(
                f"{message.recipient!r} has no encryption key in the trust bundle",
                code="case_no_encryption_key",
            )
        return jwe.encrypt(envelope, member.encryption_keys[0])

    def _apply(
        self,
        conn: sqlite3.Connection,
        message: CaseMessage,
        envelope: bytes,
        direction: str,
        *,
        moment: datetime,
        policy: CasePolicy,
    ) -> CaseView:
        # Steps 4-7 and the writes, inside the caller's transaction.
        msg_hash = message.hash
        # 4. Replay: an id (per sender) or the same bytes are accepted once.
        seen = conn.execute(
            "SELECT 1 FROM messages WHERE hash=? OR (sender=? AND message_id=?)",
            (msg_hash, message.sender, message.message_id),
        ).fetchone()
        if seen is not None:
            raise CaseReplayError(f"message {message.message_id!r} was already recorded")
        # 5. Recipient (for a sent message: the sender) is this member.
        if direction == "in" and message.recipient != self.me:
            raise CaseRecipientError(f"the message is for {message.recipient!r}")
        # 6. Binding: in_reply_to names a message the other party received from us.
        answered: CaseMessage | None = None
        if message.in_reply_to is not None:
            rec = self._by_hash(message.in_reply_to)
            if (
                rec is None
                or rec.case_id != message.case_id
                or rec.sender != message.recipient
                or rec.recipient != message.sender
            ):
                raise CaseBindingError(
                    "in_reply_to names no message of this case sent to the sender"
                )
            answered = rec.message
        # 7. Transition.
        view = self.get(message.case_id)
        stops = 0
        body = message.body
        if isinstance(body, StopPaymentOrder):
            stops = self.stops(body.account)
        new = step(view, message, answered=answered, stops=stops, now=moment, policy=policy)
        if answered is not None and (message.type in ANSWERS or message.type is MessageType.ERROR):
            self._answer(conn, message, answered, moment)
        self._append(conn, message, envelope, direction, moment)
        if message.type in REQUESTS:
            due = policy.response_due(message.type, message.issued_at)
            if isinstance(body, QueryRequest):
                due = body.due if due is None else min(due, body.due)
            assert due is not None
            conn.execute(
                "INSERT INTO pending VALUES (?,?,?,?,?,NULL)",
                (
                    msg_hash,
                    message.case_id,
                    message.type.value,
                    direction,
                    format_timestamp(due),
                ),
            )
        if isinstance(body, StopPaymentResult) and body.status is StopStatus.STOPPED:
            assert new.account is not None
            conn.execute(
                "INSERT INTO stops VALUES (?,?,1) ON CONFLICT (bank, number) "
                "DO UPDATE SET count = count + 1",
                new.account.key,
            )
        conn.execute(
            "INSERT INTO cases VALUES (?,?,?) ON CONFLICT (case_id) DO UPDATE SET "
            "view=excluded.view, updated_at=excluded.updated_at",
            (
                message.case_id,
                json.dumps(new.to_dict(), sort_keys=True),
                format_timestamp(moment),
            ),
        )
        return new

    def _answer(
        self, conn: sqlite3.Connection, message: CaseMessage, answered: CaseMessage, at: datetime
    ) -> None:
        row = conn.execute(
            "SELECT answered_at FROM pending WHERE hash=?", (answered.hash,)
        ).fetchone()
        if row is None:
            if message.type is MessageType.ERROR:
                return  # an error about a message that awaits no answer
            raise CaseBindingError("in_reply_to names no request", code="case_reply_mismatch")
        if row[0] is not None:
            raise CaseTransitionError(
                "that request has already been answered", code="case_already_answered"
            )
        body = message.body
        if isinstance(body, QueryResponse) and body.status is QueryStatus.PENDING:
            assert body.poll_after is not None
            conn.execute(
                "UPDATE pending SET due_at=? WHERE hash=?",
                (format_timestamp(body.poll_after), answered.hash),
            )
            return
        conn.execute(
            "UPDATE pending SET answered_at=? WHERE hash=?", (format_timestamp(at), answered.hash)
        )

    def _append(
        self,
        conn: sqlite3.Connection,
        message: CaseMessage,
        envelope: bytes,
        direction: str,
        moment: datetime,
    ) -> None:
        head_seq, head_chain = conn.execute("SELECT seq, chain FROM head").fetchone()
        seq = head_seq + 1
        recorded = format_timestamp(moment)
        chain = _chain(
            head_chain,
            _chain_record(
                seq,
                message.case_id,
                direction,
                message.hash,
                envelope=envelope,
                recorded_at=recorded,
            ),
        )
        conn.execute(
            f"INSERT INTO messages ({_MSG_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            (
                seq,
                message.case_id,
                direction,
                message.type.value,
                message.sender,
                message.recipient,
                message.message_id,
                message.hash,
                message.in_reply_to,
                recorded,
                chain,
                envelope,
            ),
        )
        conn.execute("UPDATE head SET seq=?, chain=?", (seq, chain))
        if len(self._parsed) >= _PARSED_CACHE:
            del self._parsed[next(iter(self._parsed))]
        self._parsed[message.hash] = message

    # ---------------------------------------------------------------- tie-in

    def measures(
        self, now: datetime | None = None, *, reason: Reason = Reason.TELECOM_FRAUD
    ) -> list[Entry]:
        """The accounts under a stop (HOLD) or freeze (FREEZE) at ``now``, as list entries.

        Each entry's ``valid_until`` is the stop's or freeze's end; ``case_ref``
        the case id. An account number that is not a valid bank account
        identifier is left out (it could not be looked up anyway).
        """
        moment = _now(now)
        out: dict[tuple[str, str], Entry] = {}
        for view in self.cases():
            if view.account is None:
                continue
            if view.freeze_active(moment):
                action, until = Action.FREEZE, view.freeze_until
            elif view.hold_active(moment):
                action, until = Action.HOLD, view.stop_until
            else:
                continue
            assert until is not None
            try:
                entry = Entry.from_raw(
                    kind=IdentifierKind.BANK_ACCOUNT,
                    value=view.account.number,
                    reason=reason,
                    action=action,
                    source=self.me,
                    case_ref=view.case_id,
                    confidence=100,
                    tlp=TLP.RED,
                    listed_at=moment,
                    valid_from=moment,
                    valid_until=until,
                )
            except AntifraudError:
                continue
            old = out.get(entry.key)
            if old is None or entry.action.severity > old.action.severity:
                out[entry.key] = entry
        return [out[k] for k in sorted(out)]

    def apply_measures(
        self,
        state: Any,
        *,
        now: datetime | None = None,
        list_id: str = MEASURES_LIST_ID,
        list_type: str = "case_measures",
    ) -> Any:
        """Replace this member's local HOLD/FREEZE list in a receiver state with :meth:`measures`.

        ``state`` is an :class:`~antifraud_common.exchange.state.ReceiverState`;
        ``check --state`` and ``screen --state`` see the accounts at once, and a
        released freeze or an ended stop disappears at the next call. The list
        (issuer: this member) is local: it is never signed or published.
        Returns the :class:`~antifraud_common.exchange.state.AcceptResult`.
        """
        moment = _now(now)
        entries = self.measures(moment)
        data = b"".join(canonical.dumps(e.to_dict()) + b"\n" for e in entries)
        last = state.get(self.me, list_id)
        manifest = Manifest(
            content=ContentType.SNAPSHOT,
            issuer=self.me,
            list_id=list_id,
            list_type=list_type,
            version=1 if last is None else last.version + 1,
            issued_at=moment,
            expires=moment + timedelta(days=400),
            entry_count=len(entries),
            byte_length=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        return state.accept_snapshot(_LocalList(manifest, data), now=moment)


class _LocalList:
    # A list this member built itself from its own case book (no signature to check).
    def __init__(self, manifest: Manifest, data: bytes) -> None:
        self._manifest = manifest
        self._data = data

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def open_verified(self) -> BinaryIO:
        return io.BytesIO(self._data)
