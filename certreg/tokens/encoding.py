"""Text and CBOR encodings shared by every signed token, and the errors of reading one.

Base32 (the QR token's text form), base64url (kids, JWK coordinates, status list tokens),
deterministic CBOR (RFC 8949 section 4.2.1), and day numbers. The wire format these serve is
specified in ``docs/qr-token.md`` (sections 2 and 3) and the docstring of
:mod:`certreg.certificates.token`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any, Final

import cbor2

#: Longest accepted token text (base32 characters) and its byte equivalent.
MAX_TOKEN_CHARS: Final = 1200
MAX_TOKEN_BYTES: Final = MAX_TOKEN_CHARS * 5 // 8  # 750

COUNTRY_RE: Final = re.compile(r"[A-Z]{2}", re.ASCII)
_B32_RE: Final = re.compile(r"[A-Za-z2-7]+", re.ASCII)
EPOCH_DATE: Final = dt.date(1970, 1, 1)
MAX_DAY: Final = (dt.date(9999, 12, 31) - EPOCH_DATE).days  # 2932896


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class TokenError(Exception):
    """Base class: the token (or status list token) cannot be accepted."""


class MalformedToken(TokenError):  # noqa: N818 - names are part of the API
    """The input is not a well-formed token of this format."""


class UnsupportedVersion(MalformedToken):
    """Well-formed COSE, but the claims carry a format version we don't know."""

    def __init__(self, version: object, supported: int = 1, what: str = "certreg token") -> None:
        super().__init__(
            f"unsupported {what} format version {version!r} "
            f"(this implementation understands version {supported} only)"
        )
        self.version = version


class UnknownKey(TokenError):  # noqa: N818
    """No trusted key has the token's kid."""

    def __init__(self, kid: bytes) -> None:
        super().__init__(f"unknown signing key kid={b64url_encode(kid)}")
        self.kid = kid


class BadSignature(TokenError):  # noqa: N818
    """The signature does not verify under the key the token names."""


class WrongIssuer(BadSignature):
    """Signature is valid, but the key belongs to another country than the claims say."""


# --------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 appendix C)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; raises ``ValueError``."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text, re.ASCII):
        raise ValueError("not base64url text")
    if len(text) % 4 == 1:
        raise ValueError("impossible base64url length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64url: {exc}") from None
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url (non-zero trailing bits)")
    return data


def b32_encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def b32_decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise MalformedToken("token must be text")
    if not text:
        raise MalformedToken("empty token")
    if len(text) > MAX_TOKEN_CHARS:
        raise MalformedToken(f"token longer than {MAX_TOKEN_CHARS} characters")
    if not _B32_RE.fullmatch(text):
        raise MalformedToken("token contains characters outside the base32 alphabet")
    if len(text) % 8 in (1, 3, 6):
        raise MalformedToken("impossible base32 length")
    # base64.b32decode is pure Python in CPython 3.11 (~30 µs for a token, and as much again
    # to re-encode for the canonical check). The same result in C: the RFC 4648 alphabet mapped to
    # base32hex digits, read as one integer, whose spare low bits must be zero.
    size, spare = divmod(5 * len(text), 8)
    value = int(text.translate(_B32_TO_DIGITS), 32)
    if value & ((1 << spare) - 1):
        raise MalformedToken("non-canonical base32 (non-zero trailing bits)")
    return (value >> spare).to_bytes(size, "big")


#: RFC 4648 base32 letters (either case) -> the digits of int(..., 32).
_B32_TO_DIGITS: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz",
                                      "0123456789ABCDEFGHIJKLMNOPQRSTUV0123456789ABCDEFGHIJKLMNOP")


def day_number(d: dt.date) -> int:
    return (d - EPOCH_DATE).days


def day_date(days: int) -> dt.date:
    return EPOCH_DATE + dt.timedelta(days=days)


def cbor(obj: object) -> bytes:
    """Deterministic CBOR (RFC 8949 4.2.1; cbor2's canonical mode)."""
    return cbor2.dumps(obj, canonical=True)


def cbor_strict_loads(data: bytes, max_depth: int) -> Any:
    """Decode CBOR and insist on deterministic encoding with nothing trailing.

    cbor2 ignores trailing bytes and accepts non-shortest forms, so the only
    robust check is to re-encode and compare.  Any failure is ``MalformedToken``.
    """
    try:
        obj = cbor2.loads(
            data,
            max_depth=max_depth,
            allow_indefinite=False,
            allow_duplicate_keys=False,
        )
        same = cbor(obj) == data
    except Exception as exc:  # cbor2 raises many types on hostile input
        raise MalformedToken(f"invalid CBOR: {type(exc).__name__}") from None
    if not same:
        raise MalformedToken("CBOR is not in deterministic encoding or has trailing bytes")
    return obj


def is_uint(value: object, maximum: int) -> bool:
    return type(value) is int and 0 <= value <= maximum  # bool is not accepted

