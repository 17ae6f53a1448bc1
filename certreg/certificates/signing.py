"""What issues certificate tokens: the issuer's own rules, then the signature.

The format is specified in :mod:`certreg.certificates.token` (and ``docs/qr-token.md``); the
signing itself is :func:`certreg.tokens.format.encode`, shared with every document type.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec

from certreg.certificates.token import CERTIFICATE_TOKEN, CertificateClaims
from certreg.tokens import format as tokens

_NAME_PUNCTUATION: Final = frozenset(" -'.,\u2019")


def check_issuable(claims: CertificateClaims) -> None:
    """Rules only the issuer enforces: NFC and Latin-script holder names.

    Besides Latin letters (with combining marks) and `` -'.,’`` the issuer allows the
    ASCII digits and ``&``, which company names need ("Service 2000 LLC", "Ivanov & Co").
    Verifiers do not apply these rules (section 4 only bans control/format characters).
    """
    name = claims.holder_name
    if unicodedata.normalize("NFC", name) != name:
        raise ValueError("holder name must be in Unicode NFC")
    if name != name.strip() or "  " in name:
        raise ValueError("holder name has leading/trailing/double spaces")
    for ch in name:
        cat = unicodedata.category(ch)
        if cat.startswith("L"):
            if not unicodedata.name(ch, "").startswith("LATIN "):
                raise ValueError(f"holder name must be in Latin script, found {ch!r}")
        elif cat == "Mn" or ch in "0123456789&":
            continue
        elif ch not in _NAME_PUNCTUATION:
            raise ValueError(f"character {ch!r} not allowed in a holder name")



def encode_token(claims: CertificateClaims, private_key: ec.EllipticCurvePrivateKey) -> str:
    """Sign ``claims`` and return the token text (base32, uppercase, no padding)."""
    if not isinstance(claims, CertificateClaims):
        raise TypeError("claims must be CertificateClaims")
    check_issuable(claims)
    return tokens.encode(CERTIFICATE_TOKEN, claims, private_key)
