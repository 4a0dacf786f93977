"""``antifraud keygen``: create a signing key; helpers to load keys for the other commands.

Private keys are written encrypted with the passphrase from the environment
variable ``ANTIFRAUD_PASSPHRASE`` or asked on the terminal: the library's
scrypt + AES-256-GCM key file by default, encrypted PKCS#8 PEM with
``--format pkcs8``; both are read.
Public keys are exchanged as JWK files (RFC 7517), which is what a trust
bundle holds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from antifraud_common._files import read_input
from antifraud_common.cli._common import (
    EXIT_OK,
    UsageError,
    add_command,
    add_output,
    emit_json,
    out,
    usage_error,
)
from antifraud_common.errors import BlacklistFormatError, ConfigurationError, WeakKeyError
from antifraud_common.format.jsonl import write_atomic
from antifraud_common.format.keys import (
    MAX_KEY_FILE_BYTES,
    PASSPHRASE_ENV,
    Algorithm,
    KeyFileFormat,
    LocalSigner,
    PublicKey,
    generate_private_key,
    load_private_key,
    passphrase_from_env,
    prompt_passphrase,
    save_private_key,
)


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "keygen",
        run,
        help="create a signing key (Ed25519 or ES256) and its public JWK",
        description=(
            "Create a private key file (mode 0600, encrypted with the passphrase from "
            "$ANTIFRAUD_PASSPHRASE or a prompt: scrypt and AES-256-GCM by default) and "
            "print its key id (RFC 7638)."
        ),
        epilog="example: ANTIFRAUD_PASSPHRASE=... antifraud keygen --out mps.pem "
        "--public-out mps.jwk",
    )
    p.add_argument(
        "--alg", choices=("ed25519", "es256"), default="ed25519", help="algorithm (default ed25519)"
    )
    add_output(p, "--out", required=True, metavar="KEY.pem", help="the private key file to write")
    add_output(p, "--public-out", metavar="KEY.jwk", help="also write the public JWK")
    p.add_argument("--unencrypted", action="store_true", help="store the key without a passphrase")
    p.add_argument(
        "--format",
        dest="key_format",
        choices=[f.value for f in KeyFileFormat],
        default=KeyFileFormat.SCRYPT.value,
        help=(
            "encrypted key file format: scrypt (default; scrypt N=2^17 r=8 p=1 and "
            "AES-256-GCM, docs/spec/key-file.md) or pkcs8 (encrypted PKCS#8 PEM for "
            "OpenSSL, PBKDF2 with 2,048 iterations)"
        ),
    )


def new_passphrase() -> bytes:
    env = passphrase_from_env()
    if env is not None:
        return env
    if not sys.stdin.isatty():
        raise UsageError(
            "set ANTIFRAUD_PASSPHRASE or use a terminal (or --unencrypted)",
            code="key_passphrase_required",
        )
    try:
        return prompt_passphrase("New key passphrase: ", confirm=True)
    except ConfigurationError as e:
        raise usage_error(e) from e
    except EOFError:
        raise UsageError("no passphrase typed", code="key_passphrase_required") from None


def run(args: argparse.Namespace) -> int:
    alg = Algorithm(args.alg)
    key = generate_private_key(alg)
    passphrase = None if args.unencrypted else new_passphrase()
    try:
        save_private_key(
            args.out,
            key,
            passphrase=passphrase,
            allow_unencrypted=args.unencrypted,
            overwrite=args.force,
            key_format=args.key_format,
        )
    except ConfigurationError as e:
        raise UsageError(str(e), code=e.code) from e
    signer = LocalSigner(key)
    jwk = signer.public_key.to_jwk()
    if args.public_out is not None:
        write_atomic(args.public_out, json.dumps(jwk, indent=2).encode() + b"\n")
    if args.json:
        emit_json(
            "keygen",
            True,
            {
                "key_id": signer.key_id,
                "alg": alg.jws_name,
                "out": str(args.out),
                "public_out": None if args.public_out is None else str(args.public_out),
                "public_jwk": jwk,
                "encrypted": passphrase is not None,
                "key_format": args.key_format if passphrase is not None else "pkcs8",
            },
        )
    else:
        out(f"key id {signer.key_id} ({alg.jws_name}) written to {args.out}")
        if args.public_out is not None:
            out(f"public JWK written to {args.public_out}")
    return EXIT_OK


def load_signer(path: Path) -> LocalSigner:
    """Load a private key file as a signer, asking for the passphrase if needed.

    With ``ANTIFRAUD_PASSPHRASE`` set, an unencrypted key file is refused
    (``key_not_encrypted``): the passphrase says the key is meant to be
    protected, so a clear key in its place is not used silently. Unset the
    variable to sign with an unencrypted key. Every refusal is a usage error
    (exit 2) naming its code.
    """
    passphrase = passphrase_from_env()
    try:
        try:
            return LocalSigner(load_private_key(path, passphrase=passphrase))
        except ConfigurationError as e:
            if e.code == "key_passphrase_required" and sys.stdin.isatty():
                try:
                    typed = prompt_passphrase(f"Passphrase for {path}: ")
                except EOFError:
                    raise ConfigurationError(
                        "no passphrase typed", code="key_passphrase_required"
                    ) from None
                return LocalSigner(load_private_key(path, passphrase=typed))
            raise
    except ConfigurationError as e:
        hint = (
            f" ({PASSPHRASE_ENV} is set; unset it to use an unencrypted key)"
            if e.code == "key_not_encrypted"
            else ""
        )
        raise UsageError(f"{e.code}: {e}{hint}", code=e.code) from e


def load_public_key(path: Path) -> PublicKey:
    """Read a public JWK file (or the public half of a JWK set with one key).

    A malformed file is a usage error; a weak key (small order, non-canonical)
    raises :class:`~antifraud_common.errors.WeakKeyError` so that the command
    reports it as a refusal with its code ``weak_key``.
    """
    try:
        # A regular file of at most 64 KiB: a FIFO or an endless device is refused.
        doc = json.loads(read_input(path, limit=MAX_KEY_FILE_BYTES, what="public key file"))
    except (OSError, ValueError) as e:
        code = getattr(e, "code", None) or "public_key_unreadable"
        raise UsageError(f"cannot read public key {path}: {e}", code=code) from e
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list) and len(doc["keys"]) == 1:
        doc = doc["keys"][0]
    try:
        return PublicKey.from_jwk(doc)
    except WeakKeyError as e:
        raise WeakKeyError(f"{path}: {e.message}", code=e.code) from e
    except BlacklistFormatError as e:
        raise UsageError(f"{path}: {e.message}", code=e.code) from e
