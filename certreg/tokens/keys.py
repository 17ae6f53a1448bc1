"""Signing keys, key ids and the trust list (JWKS), for every signed token.

Each issuing country signs with its own ECDSA P-256 key; ``kid`` is the first 8 bytes of the
RFC 7638 JWK thumbprint; the trust list is a JWK Set with certreg's ``country`` and ``status``
members. Specified in ``docs/qr-token.md`` section 5 (and :mod:`certreg.certificates.token`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certreg.tokens.encoding import COUNTRY_RE, b64url_decode, b64url_encode

KID_LENGTH: Final = 8
KEY_STATUSES: Final = ("active", "retired")



def generate_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def save_private_key(key: ec.EllipticCurvePrivateKey, path: str | os.PathLike[str]) -> None:
    """Write ``key`` as unencrypted PKCS#8 PEM, mode 0600.

    Refuses to overwrite: raises ``FileExistsError`` if ``path`` exists.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # independent of the umask
        view = memoryview(pem)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def load_private_key(path: str | os.PathLike[str]) -> ec.EllipticCurvePrivateKey:
    """Read a PEM private key written by :func:`save_private_key` (must be P-256)."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path}: not an ECDSA P-256 private key")
    return key


def check_p256(public_key: object) -> ec.EllipticCurvePublicKey:
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise TypeError("expected an ECDSA P-256 public key")
    return public_key


def _xy(public_key: ec.EllipticCurvePublicKey) -> tuple[str, str]:
    numbers = check_p256(public_key).public_numbers()
    return (
        b64url_encode(numbers.x.to_bytes(32, "big")),
        b64url_encode(numbers.y.to_bytes(32, "big")),
    )


def jwk_thumbprint(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 7638 JWK thumbprint (SHA-256, 32 bytes) of a P-256 public key."""
    x, y = _xy(public_key)
    canonical = json.dumps(
        {"crv": "P-256", "kty": "EC", "x": x, "y": y},
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def kid_for(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The 8-byte key id: first 8 bytes of :func:`jwk_thumbprint`."""
    return jwk_thumbprint(public_key)[:KID_LENGTH]


def public_jwk(
    public_key: ec.EllipticCurvePublicKey,
    *,
    country: str,
    status: Literal["active", "retired"] | str = "active",
) -> dict[str, str]:
    """The JWKS entry for ``public_key`` (see section 5 of the format)."""
    if not isinstance(country, str) or not COUNTRY_RE.fullmatch(country):
        raise ValueError(f"country must be ISO 3166-1 alpha-2 uppercase, got {country!r}")
    if status not in KEY_STATUSES:
        raise ValueError(f"status must be one of {KEY_STATUSES}, got {status!r}")
    x, y = _xy(public_key)
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": x,
        "y": y,
        "alg": "ES256",
        "use": "sig",
        "kid": b64url_encode(kid_for(public_key)),
        "country": country,
        "status": status,
    }


def jwks(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Wrap JWKs (from :func:`public_jwk`) as a JWK Set ``{"keys": [...]}``."""
    return {"keys": [dict(entry) for entry in entries]}


@lru_cache(maxsize=1024)
def _public_key_from_xy(x: str, y: str) -> ec.EllipticCurvePublicKey:
    try:
        xb, yb = b64url_decode(x), b64url_decode(y)
    except ValueError as exc:
        raise ValueError(f"bad JWK coordinate: {exc}") from None
    if len(xb) != 32 or len(yb) != 32:
        raise ValueError("P-256 JWK coordinates must be 32 bytes")
    # from_encoded_point validates that the point is on the curve.
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + xb + yb)


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """Build the public key of a P-256 JWK (cached by coordinates).

    Raises ``ValueError`` for anything but a valid EC P-256 public JWK, and if
    the JWK has a ``kid`` member that is not the derived kid.
    """
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only EC P-256 JWKs are supported")
    if "d" in jwk:
        raise ValueError("refusing a JWK that contains a private key")
    x, y = jwk.get("x"), jwk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise ValueError("JWK lacks x/y")
    key = _public_key_from_xy(x, y)
    if "kid" in jwk and jwk["kid"] != b64url_encode(kid_for(key)):
        raise ValueError(f"JWK kid {jwk['kid']!r} is not the RFC 7638-derived kid")
    return key


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key from the trust list, with the country it may sign for."""

    kid: bytes
    public_key: ec.EllipticCurvePublicKey
    country: str
    status: str = "active"


#: What a ``resolve_key`` callback may return for a kid.
ResolvedKey = ec.EllipticCurvePublicKey | TrustedKey | None
KeyResolver = Callable[[bytes], ResolvedKey]


class TrustList:
    """kid -> :class:`TrustedKey` index over a JWKS; usable as ``resolve_key``.

    Build it once per JWKS version and reuse it: lookups are a dict access.
    When the resolver returns a :class:`TrustedKey` (as this class does),
    :func:`verify_token` also enforces that the key's country is the token's
    issuing country.
    """

    __slots__ = ("_by_kid",)

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._by_kid: dict[bytes, TrustedKey] = {}
        for key in keys:
            if key.kid in self._by_kid:
                raise ValueError(f"duplicate kid {b64url_encode(key.kid)}")
            self._by_kid[key.kid] = key

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> TrustList:
        """Index a JWKS document.

        Entries that are not EC/P-256 are skipped (other algorithms may be
        added in later versions).  P-256 entries that are invalid (bad point,
        kid that isn't the derived one, missing/invalid country or status)
        raise ``ValueError``: the trust list is configuration, errors must show.
        """
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise ValueError("JWKS must have a 'keys' array")
        keys: list[TrustedKey] = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise ValueError("JWKS entry is not an object")
            if entry.get("kty") != "EC" or entry.get("crv") != "P-256":
                continue
            if entry.get("alg", "ES256") != "ES256":
                continue
            public_key = public_key_from_jwk(entry)
            country = entry.get("country")
            status = entry.get("status", "active")
            if not isinstance(country, str) or not COUNTRY_RE.fullmatch(country):
                raise ValueError(f"JWK {entry.get('kid')!r}: bad 'country' {country!r}")
            if status not in KEY_STATUSES:
                raise ValueError(f"JWK {entry.get('kid')!r}: bad 'status' {status!r}")
            keys.append(TrustedKey(kid_for(public_key), public_key, country, status))
        return cls(keys)

    def __call__(self, kid: bytes) -> TrustedKey | None:
        return self._by_kid.get(kid)

    def __len__(self) -> int:
        return len(self._by_kid)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._by_kid.values())

