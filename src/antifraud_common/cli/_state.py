"""``antifraud diff | apply | sync | state show``: deltas and the receiver state."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from antifraud_common.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    emit_json,
    err,
    failed,
    file_size,
    load_trust_of,
    need_input,
    out,
    progress_for,
    sig_file,
    state_option,
)
from antifraud_common.cli._lists import (
    signed_list_arguments,
    verification_options,
    verification_time,
)
from antifraud_common.errors import AntifraudError, StateError


def register(sub: Any) -> None:
    d = add_command(
        sub,
        "diff",
        run_diff,
        help="write the delta file from one snapshot to the next (unsigned)",
        description=(
            "Compare two sorted entries files and write the delta (add / replace / remove "
            "by value). Sign it with `antifraud sign` and the delta options."
        ),
        epilog="example: antifraud diff v1.jsonl v2.jsonl --out v2.delta.jsonl",
    )
    d.add_argument("old", type=Path, metavar="OLD.jsonl", help="the previous snapshot")
    d.add_argument("new", type=Path, metavar="NEW.jsonl", help="the new snapshot")
    add_output(d, "--out", required=True, metavar="DELTA.jsonl", help="the delta file to write")

    a = add_command(
        sub,
        "apply",
        run_apply,
        help="verify a signed snapshot or delta and apply it to the receiver state",
        description=(
            "Verify ENTRIES with its signature file, then apply it in one transaction, "
            "creating the state if there is none (and saying so)."
        ),
        epilog="example: antifraud apply fraud.jsonl --trust trust.json --state /var/lib/antifraud",
    )
    signed_list_arguments(a, help="a snapshot or delta file")
    _state_args(a)

    s = add_command(
        sub,
        "sync",
        run_sync,
        help="apply every new snapshot and delta found in a folder, in version order",
        description=(
            "Verify and apply each NAME.jsonl + NAME.jsonl.sig pair in FOLDER; a bad file is "
            "reported and skipped. Exit 1 if any file was refused."
        ),
        epilog="example: antifraud sync --from /srv/drop --trust trust.json --state /srv/state",
    )
    s.add_argument("--from", dest="folder", required=True, type=Path, metavar="FOLDER",
                   help="the drop folder")  # fmt: skip
    _state_args(s)

    st = sub.add_parser("state", help="inspect the receiver state")
    ssub = st.add_subparsers(dest="state_command", metavar="SUBCOMMAND", required=True)
    show = add_command(
        ssub,
        "show",
        run_show,
        help="list the accepted lists (version, hash, expiry)",
        description="List the lists a receiver state holds; --check recomputes every hash.",
        epilog="example: antifraud state show --state /var/lib/antifraud --check --json",
    )
    state_option(show)
    show.add_argument("--check", action="store_true", help="also recompute every state hash")


def _state_args(p: argparse.ArgumentParser) -> None:
    verification_options(
        p,
        state_help="the receiver state directory (created if missing)",
        now_help="YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (default: the clock)",
    )
    p.add_argument(
        "--no-index",
        action="store_true",
        help=(
            "do not keep the lookup index (index.afi in the state directory) in step; "
            "`check --state` and `screen --state` rebuild it when they find it stale"
        ),
    )


def _follow(args: argparse.Namespace, state: Any) -> Any:
    """Follow the state with its saved lookup index (saved once, at the end)."""
    if args.no_index:
        return contextlib.nullcontext()
    from antifraud_common.index import StateIndex

    return StateIndex.follow(state, autosave=False)


def _open_state(args: argparse.Namespace, *, create: bool) -> Any:
    """Open ``--state``; a writer (``create``) that makes a new state says so on stderr.

    Raises :class:`StateError` (typed: ``state_missing``, ``state_lost``,
    ``state_damaged``, ``state_permissions``, ``state_read_only`` ...).
    """
    from antifraud_common.exchange.state import DB_NAME, ReceiverState

    new = create and not (args.state / DB_NAME).exists()
    state = ReceiverState.open(args.state, create=create)
    args.state_created = new
    if new:
        err(f"created a new receiver state in {args.state}")
    return state


def open_for_lookup(path: Path) -> Any:
    """Open a state to answer lookups from (``check --state``, ``screen --state``).

    A reader: nothing is created or chmod'ed. A missing state
    (``state_missing``) and a state without any list (``state_empty``) are
    errors: "not listed" from a state that holds nothing would be an answer
    from a typo.
    """
    from antifraud_common.exchange.state import ReceiverState

    state = ReceiverState.open(path, create=False)
    try:
        empty = not state.lists()
    except BaseException:
        state.close()
        raise
    if empty:
        state.close()
        raise StateError(
            f"the receiver state in {path} holds no list yet; "
            "load one with `antifraud apply` or `antifraud sync`",
            code="state_empty",
        )
    return state


def _need(*paths: Path) -> None:
    for p in paths:
        need_input(p)  # a FIFO or device is refused, typed, by the reader


def run_diff(args: argparse.Namespace) -> int:
    from antifraud_common.exchange.delta import make_delta

    _need(args.old, args.new)
    try:
        info = make_delta(args.old, args.new, args.out)
    except AntifraudError as e:
        return failed(args, e)
    if args.json:
        emit_json("diff", True, {"out": str(args.out), **info.to_dict()})
    else:
        out(
            f"{args.out}: {info.adds} added, {info.replaces} replaced, {info.removes} removed; "
            f"result {info.result_count} entries, state hash {info.result_sha256}"
        )
    return EXIT_OK


def run_apply(args: argparse.Namespace) -> int:
    from antifraud_common.exchange.signing import verify_list

    now, grace = verification_time(args)
    sig = sig_file(args.entries, args.sig)
    _need(args.entries, sig, args.trust)
    try:
        trust = load_trust_of(args, now, grace=grace)
    except AntifraudError as e:
        return failed(args, e)
    from antifraud_common.cli._reference import apply_reference, reference_type

    list_type = reference_type(sig)
    if list_type is not None:  # a number plan, DNO or presenters list: the reference store
        return apply_reference(
            args, list_type=list_type, trust=trust, sig=sig, now=now, grace=grace
        )
    try:
        state = _open_state(args, create=True)
    except StateError as e:
        return failed(args, e)
    progress = progress_for(args, "apply", total=file_size(args.entries))
    try:
        with (
            _follow(args, state),
            verify_list(
                args.entries,
                sig,
                trust=trust,
                state=state,
                now=now,
                grace=grace,
                tmp_dir=args.state,
                progress=progress.phase,
            ) as verified,
        ):
            result = state.accept(verified, now=now)
            grace_used = verified.grace_used
            content = verified.manifest.content.value
    except AntifraudError as e:
        return failed(args, e)
    finally:
        progress.close()
        state.close()
    if args.json:
        emit_json(
            "apply",
            True,
            {
                **{k: v for k, v in result.to_dict().items() if k != "action"},
                "outcome": "unchanged" if result.action == "unchanged" else "applied",
                "content": content,
                "grace_used": grace_used,
                "state_created": args.state_created,
            },
        )
    else:
        what = {"snapshot": "snapshot loaded", "delta": "delta applied"}.get(
            result.action, "already up to date"
        )
        out(
            f"OK {result.issuer}/{result.list_id} version {result.version}: {what}, "
            f"{result.entry_count} entries, state hash {result.state_sha256}"
        )
        if grace_used:
            err("warning: the list has expired; accepted in grace mode")
    return EXIT_OK


def run_sync(args: argparse.Namespace) -> int:
    from antifraud_common.exchange.sync import sync

    now, grace = verification_time(args)
    if not args.folder.is_dir():
        raise UsageError(f"no such folder: {args.folder}", code="file_not_found")
    _need(args.trust)
    try:
        trust = load_trust_of(args, now, grace=grace)
    except AntifraudError as e:
        return failed(args, e)
    try:
        state = _open_state(args, create=True)
    except StateError as e:
        return failed(args, e)
    progress = progress_for(args, "sync", unit="files")
    try:
        # The index is built (and each list's state hash checked) inside the
        # error handling: a damaged state is a typed failure, not a crash.
        with _follow(args, state):
            report = sync(args.folder, state, trust, now=now, grace=grace, progress=progress.update)
    except AntifraudError as e:
        return failed(args, e)
    finally:
        progress.close()
        state.close()
    if args.json:
        doc = report.to_dict()
        doc["refused"] = doc.pop("errors")
        first = next((i.error for i in report.items if i.error is not None), None)
        if first is not None:
            doc["error"] = {
                "code": first.code,
                "message": f"{len(report.errors)} file(s) refused, the first: {first}",
            }
        emit_json("sync", report.ok, {**doc, "state_created": args.state_created})
    else:
        for item in report.items:
            where = (
                f"{item.issuer}/{item.list_id} v{item.version} {item.content}"
                if item.issuer
                else ""
            )
            line = f"{item.outcome:9s} {item.path} {where}".rstrip()
            if item.error is not None:
                err(f"{line}: {item.error.code}: {item.error}")
            else:
                out(line)
        out(f"{len(report.applied)} applied, {len(report.errors)} refused")
    return EXIT_OK if report.ok else EXIT_FAILED


def run_show(args: argparse.Namespace) -> int:
    try:
        state = _open_state(args, create=False)
        try:
            records = state.lists()
            problems = state.check() if args.check else []
        finally:
            state.close()
    except StateError as e:
        return failed(args, e)
    ok = not problems
    if args.json:
        payload: dict[str, Any] = {"lists": [r.to_dict() for r in records]}
        if args.check:
            payload["problems"] = problems
        if problems:
            damage = StateError(
                f"{len(problems)} problem(s) in the state: {problems[0]}", code="state_damaged"
            )
            payload["error"] = damage.to_dict()
        emit_json("state show", ok, payload)
    else:
        for r in records:
            out(
                f"{r.issuer}/{r.list_id} ({r.list_type}) version {r.version}: "
                f"{r.entry_count} entries, expires {r.expires:%Y-%m-%dT%H:%M:%SZ}, "
                f"state hash {r.state_sha256}"
            )
        if not records:
            out("no lists")
        for p in problems:
            err(f"problem: {p}")
    return EXIT_OK if ok else EXIT_FAILED
