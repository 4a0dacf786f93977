"""antifraud_common: shared, verifiable blacklists of fraud phone numbers and bank accounts.

The package is organised in layers, each importing only the ones below it::

    cli         the ``antifraud`` command
    exchange    sign / verify / trust bundle / deltas / receiver state
    index       merged multi-issuer lookup and bulk screening
    format      canonical JSON, JWS envelope, JSONL and CSV
    models      attrs classes: Entry and its enums
    validators  phone, card, account, iccid, imei, idcard
    errors      the exception tree

Importing the top-level package is cheap: submodules load on first use.

>>> import antifraud_common
>>> antifraud_common.phone.validate("+86 138 0013 8000")
'+8613800138000'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from antifraud_common.errors import (
    AntifraudError,
    BlacklistError,
    BlacklistFormatError,
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ModelError,
    UntrustedBlacklistError,
    ValidationError,
    WeakKeyError,
)

if TYPE_CHECKING:  # pragma: no cover
    from . import (
        account,
        card,
        iccid,
        idcard,
        imei,
        minisign,
        models,
        numberplan,
        phone,
        protected,
    )

__version__ = "0.1.0"

_SUBMODULES = frozenset(
    {
        "phone",
        "numberplan",
        "card",
        "account",
        "iccid",
        "imei",
        "idcard",
        "models",
        "errors",
        "cli",
        "protected",
        "minisign",
        "format",
        "exchange",
        "index",
        "conformance",
    }
)

__all__ = [
    "AntifraudError",
    "BlacklistError",
    "BlacklistFormatError",
    "InvalidChecksumError",
    "InvalidComponentError",
    "InvalidFormatError",
    "InvalidLengthError",
    "ModelError",
    "UntrustedBlacklistError",
    "ValidationError",
    "WeakKeyError",
    "__version__",
    "account",
    "card",
    "iccid",
    "idcard",
    "imei",
    "minisign",
    "models",
    "numberplan",
    "phone",
    "protected",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"antifraud_common.{name}")
    raise AttributeError(f"module 'antifraud_common' has no attribute {name!r}")
