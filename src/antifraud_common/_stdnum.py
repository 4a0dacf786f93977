"""Translate python-stdnum's exceptions into antifraud_common's error tree (private).

python-stdnum raises ``InvalidFormat`` / ``InvalidLength`` / ``InvalidChecksum`` /
``InvalidComponent``. The validators catch them and ``raise wrap(e, ...) from e`` so
callers only ever see :class:`~antifraud_common.errors.ValidationError` subclasses
with a stable ``code``. stdnum's own message is not reused: messages here never
echo the value.

>>> from stdnum import iban
>>> from stdnum.exceptions import ValidationError as E
>>> try:
...     iban.validate("GB82WEST12345698765433")
... except E as e:
...     err = wrap(e, what="IBAN")
>>> type(err).__name__, err.code
('InvalidChecksumError', 'invalid_checksum')
"""

from __future__ import annotations

from stdnum import exceptions as _exc

from antifraud_common.errors import (
    InvalidChecksumError,
    InvalidComponentError,
    InvalidFormatError,
    InvalidLengthError,
    ValidationError,
)

__all__ = ["StdnumError", "wrap"]

StdnumError = _exc.ValidationError


def wrap(error: _exc.ValidationError, *, what: str, prefix: str = "") -> ValidationError:
    """Return the antifraud_common error for a stdnum ``error`` about a ``what``.

    ``prefix`` (e.g. ``"iban_"``) is put before the generic code.
    """
    if isinstance(error, _exc.InvalidLength):
        return InvalidLengthError(
            f"the {what} has an invalid length", code=f"{prefix}invalid_length"
        )
    if isinstance(error, _exc.InvalidFormat):
        return InvalidFormatError(
            f"the {what} has an invalid format", code=f"{prefix}invalid_format"
        )
    if isinstance(error, _exc.InvalidChecksum):
        return InvalidChecksumError(
            f"the {what}'s check digits do not match", code=f"{prefix}invalid_checksum"
        )
    if isinstance(error, _exc.InvalidComponent):
        return InvalidComponentError(
            f"a part of the {what} is invalid or unknown", code=f"{prefix}invalid_component"
        )
    return ValidationError(f"the {what} is not valid", code=f"{prefix}invalid")
