"""COSE_Sign1 with ES256, as every certreg token uses it (RFC 9052, RFC 9053).

One tagged COSE_Sign1 (tag 18): protected header ``{1: -7, 4: kid}`` plus, for typed tokens,
``16: typ``; an empty unprotected header; the payload; the 64-byte ``r || s`` signature over the
``Sig_structure``. All CBOR deterministic, nothing trailing. Specified in ``docs/qr-token.md``
section 3 (and :mod:`certreg.certificates.token`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from certreg.tokens.encoding import MalformedToken, UnknownKey, cbor, cbor_strict_loads
from certreg.tokens.keys import KID_LENGTH, KeyResolver, TrustedKey, check_p256, kid_for

COSE_SIGN1_TAG: Final = 18
COSE_ALG_ES256: Final = -7
HDR_ALG: Final = 1
HDR_KID: Final = 4
HDR_TYP: Final = 16
SIGNATURE_LENGTH: Final = 64

_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 section 4.4 ``["Signature1", protected, h'', payload]``."""
    return cbor(["Signature1", protected, b"", payload])


def sign_es256(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(private_key.sign(data, _ECDSA_SHA256))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_es256(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, data, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def sign1(private_key: ec.EllipticCurvePrivateKey, header: dict[int, object], payload: bytes) -> bytes:
    if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(private_key.curve, ec.SECP256R1):
        raise TypeError("expected an ECDSA P-256 private key")
    protected = cbor({HDR_ALG: COSE_ALG_ES256, HDR_KID: kid_for(private_key.public_key()), **header})
    signature = sign_es256(private_key, sig_structure(protected, payload))
    return cbor(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


@dataclass(frozen=True, slots=True)
class Sign1:
    protected: bytes
    header: dict[int, object]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes:
        kid = self.header[HDR_KID]
        assert isinstance(kid, bytes)
        return kid


def parse_sign1(raw: bytes, typ: str | None) -> Sign1:
    """Parse a tagged COSE_Sign1 of this format; raises ``MalformedToken``."""
    obj = cbor_strict_loads(raw, max_depth=3)
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != COSE_SIGN1_TAG:
        raise MalformedToken("not a tagged COSE_Sign1 (tag 18)")
    parts = obj.value
    # cbor2 decodes the content of a tag immutably (tuple / frozendict).
    if not isinstance(parts, (list, tuple)) or len(parts) != 4:
        raise MalformedToken("COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = parts
    if type(protected) is not bytes or type(payload) is not bytes or type(signature) is not bytes:
        raise MalformedToken("COSE_Sign1 protected/payload/signature must be byte strings")
    if not isinstance(unprotected, Mapping) or len(unprotected) != 0:
        raise MalformedToken("unprotected header must be an empty map")
    if len(signature) != SIGNATURE_LENGTH:
        raise MalformedToken("ES256 signature must be 64 bytes")
    header = cbor_strict_loads(protected, max_depth=1)
    expected = {HDR_ALG, HDR_KID} if typ is None else {HDR_ALG, HDR_KID, HDR_TYP}
    if type(header) is not dict or set(header) != expected:
        raise MalformedToken(f"protected header must have exactly labels {sorted(expected)}")
    alg = header[HDR_ALG]
    if type(alg) is not int or alg != COSE_ALG_ES256:
        raise MalformedToken("alg must be ES256 (-7)")
    kid = header[HDR_KID]
    if type(kid) is not bytes or len(kid) != KID_LENGTH:
        raise MalformedToken("kid must be an 8-byte byte string")
    if typ is not None and header[HDR_TYP] != typ:
        raise MalformedToken(f"typ must be {typ!r}")
    return Sign1(protected, header, payload, signature)


def resolve(resolve_key: KeyResolver, kid: bytes) -> tuple[ec.EllipticCurvePublicKey, str | None]:
    resolved = resolve_key(kid)
    if resolved is None:
        raise UnknownKey(kid)
    if isinstance(resolved, TrustedKey):
        return resolved.public_key, resolved.country
    return check_p256(resolved), None

