"""A signed token of one document type: its claims, signed as COSE_Sign1, written in base32.

Every document certreg prints with a QR code (certificates today; cylinder labels and licences
next) is such a token: the same text form, COSE structure, keys and trust list, and the same
rule that a key signs only for its own country. What differs per document type is described by
a :class:`TokenFormat`: how its claims map to and from the CBOR payload, which country they
name, and the ``typ`` header that keeps one type from passing for another. Rules only the
issuer enforces belong to the document type's issuing module (e.g.
:mod:`certreg.certificates.signing`). The certificate token (:mod:`certreg.certificates.token`)
is the worked example; its docstring and ``docs/qr-token.md`` are the specification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec

from certreg.tokens.cose import HDR_TYP, parse_sign1, resolve, sig_structure, sign1, verify_es256
from certreg.tokens.encoding import (
    MAX_TOKEN_BYTES,
    BadSignature,
    WrongIssuer,
    b32_decode,
    b32_encode,
    cbor,
    cbor_strict_loads,
)
from certreg.tokens.keys import KeyResolver

C = TypeVar("C")


@dataclass(frozen=True)
class TokenFormat(Generic[C]):
    """What makes a token of one document type (see the module docstring)."""

    name: str  # "certificate": in error messages
    claims_type: type[C]
    to_cbor_map: Callable[[C], dict[int, object]]
    from_cbor_map: Callable[[object], C]  # strict: raises MalformedToken (UnsupportedVersion)
    country_of: Callable[[C], str]  # the issuing country the claims name
    typ: str | None = None  # COSE ``typ`` header; None: no typ (the certificate token v1)


@dataclass(frozen=True, slots=True)
class DecodedToken(Generic[C]):
    """A parsed but *unverified* token (the output of :func:`decode`)."""

    kid: bytes
    claims: C
    protected: bytes
    payload: bytes
    signature: bytes
    cose: bytes  # the complete tagged COSE_Sign1 bytes

    @property
    def to_be_signed(self) -> bytes:
        """The Sig_structure bytes the signature covers."""
        return sig_structure(self.protected, self.payload)


def encode(fmt: TokenFormat[C], claims: C, private_key: ec.EllipticCurvePrivateKey) -> str:
    """Sign ``claims`` and return the token text (base32, uppercase, no padding)."""
    if not isinstance(claims, fmt.claims_type):
        raise TypeError(f"claims must be {fmt.claims_type.__name__}")
    header: dict[int, object] = {} if fmt.typ is None else {HDR_TYP: fmt.typ}
    cose = sign1(private_key, header, cbor(fmt.to_cbor_map(claims)))
    if len(cose) > MAX_TOKEN_BYTES:
        raise ValueError(f"token would be {len(cose)} bytes, over the {MAX_TOKEN_BYTES} limit")
    return b32_encode(cose)


def decode(fmt: TokenFormat[C], text: str) -> DecodedToken[C]:
    """Parse token text without verifying the signature; raises ``MalformedToken``."""
    raw = b32_decode(text)
    parsed = parse_sign1(raw, typ=fmt.typ)
    claims = fmt.from_cbor_map(cbor_strict_loads(parsed.payload, max_depth=2))
    return DecodedToken(kid=parsed.kid, claims=claims, protected=parsed.protected, payload=parsed.payload,
                        signature=parsed.signature, cose=raw)


def verify(fmt: TokenFormat[C], text: str, resolve_key: KeyResolver) -> C:
    """Decode and verify a token; return its claims.

    ``resolve_key(kid)`` returns the public key for the 8-byte kid, a :class:`TrustedKey` (then
    the key's country must be the claims' country) or ``None``; a ``TrustList`` is one.

    Raises ``MalformedToken``, ``UnknownKey``, ``BadSignature`` or ``WrongIssuer`` (a
    ``BadSignature``). Dates and status are the document type's business.
    """
    decoded = decode(fmt, text)
    public_key, key_country = resolve(resolve_key, decoded.kid)
    if not verify_es256(public_key, decoded.signature, decoded.to_be_signed):
        raise BadSignature("signature does not verify")
    country = fmt.country_of(decoded.claims)
    if key_country is not None and key_country != country:
        raise WrongIssuer(f"key of {key_country} signed a {fmt.name} of {country}")
    return decoded.claims
