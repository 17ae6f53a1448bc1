"""Signed status lists: one per country, a bit-packed array of statuses by index.

The CBOR form of the IETF OAuth "Token Status List" draft, signed as a COSE_Sign1 with
``typ`` ``application/statuslist+cwt`` by a key of the list's country; any document type
that carries a status index (certificates today) can publish one. Specified in
``docs/qr-token.md`` section 7 (and :mod:`certreg.certificates.token`).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from cryptography.hazmat.primitives.asymmetric import ec

from certreg.tokens.cose import HDR_TYP, parse_sign1, resolve, sig_structure, sign1, verify_es256
from certreg.tokens.encoding import (
    COUNTRY_RE,
    BadSignature,
    MalformedToken,
    WrongIssuer,
    b64url_decode,
    b64url_encode,
    cbor,
    cbor_strict_loads,
    is_uint,
)
from certreg.tokens.keys import KeyResolver

STATUS_LIST_TYP: Final = "application/statuslist+cwt"

# Status list claim keys (section 7).
SL_CLAIM_IAT: Final = 6
SL_CLAIM_STATUS_LIST: Final = 65533
SL_CLAIM_TTL: Final = 65534
SL_CLAIM_COUNTRY: Final = -65537
_SL_CLAIM_KEYS: Final = frozenset({SL_CLAIM_IAT, SL_CLAIM_STATUS_LIST, SL_CLAIM_TTL, SL_CLAIM_COUNTRY})

STATUS_VALID: Final = 0
STATUS_INVALID: Final = 1  # revoked
STATUS_SUSPENDED: Final = 2
STATUS_SUPERSEDED: Final = 3
STATUS_BITS: Final = 2
ALLOWED_STATUS_BITS: Final = (1, 2, 4, 8)
#: Decompressed status lists larger than this are rejected (zip-bomb guard).
MAX_STATUS_LIST_BYTES: Final = 16 * 1024 * 1024
#: Largest accepted status list token (raw COSE bytes).
MAX_STATUS_TOKEN_BYTES: Final = 8 * 1024 * 1024

#: Upper bounds for the status list's iat (9999-12-31T23:59:59Z) and ttl (2**32-1 s).
MAX_IAT: Final = 253402300799
MAX_TTL: Final = 2**32 - 1


def check_bits(bits: int) -> None:
    if type(bits) is not int or bits not in ALLOWED_STATUS_BITS:
        raise ValueError(f"bits must be one of {ALLOWED_STATUS_BITS}")


def build_status_list(statuses: Mapping[int, int], size: int, *, bits: int = STATUS_BITS) -> bytes:
    """The compressed ``lst`` for ``size`` entries; unlisted indices are VALID (0).

    ``statuses`` maps index -> status value (0..2**bits-1).  Raises
    ``ValueError`` for indices outside ``[0, size)`` or out-of-range values.
    """
    check_bits(bits)
    if type(size) is not int or size < 0 or (size * bits + 7) // 8 > MAX_STATUS_LIST_BYTES:
        raise ValueError("bad status list size")
    raw = bytearray((size * bits + 7) // 8)
    mask = (1 << bits) - 1
    for index, value in statuses.items():
        if type(index) is not int or not 0 <= index < size:
            raise ValueError(f"status index {index!r} outside [0, {size})")
        if type(value) is not int or not 0 <= value <= mask:
            raise ValueError(f"status value {value!r} does not fit in {bits} bits")
        bit = index * bits
        raw[bit // 8] = (raw[bit // 8] & ~(mask << (bit % 8))) | (value << (bit % 8))
    return zlib.compress(bytes(raw), 9)


def inflate(lst: bytes) -> bytes:
    decomp = zlib.decompressobj()
    try:
        raw = decomp.decompress(lst, MAX_STATUS_LIST_BYTES)
    except zlib.error as exc:
        raise ValueError(f"lst is not ZLIB data: {exc}") from None
    if decomp.unconsumed_tail:
        raise ValueError(f"status list larger than {MAX_STATUS_LIST_BYTES} bytes")
    if not decomp.eof or decomp.unused_data:
        raise ValueError("lst is truncated or has trailing data")
    return raw


def _status_at(raw: bytes, bits: int, index: int) -> int:
    if type(index) is not int or index < 0 or index * bits >= len(raw) * 8:
        raise IndexError(f"status index {index!r} beyond the list's {len(raw) * 8 // bits} entries")
    bit = index * bits
    return (raw[bit // 8] >> (bit % 8)) & ((1 << bits) - 1)


def read_status(lst_bytes: bytes, bits: int, index: int) -> int:
    """Status of ``index`` in a compressed ``lst``.

    Raises ``ValueError`` for bad ``bits``/``lst`` and ``IndexError`` if the
    index is beyond the list.  Decompresses each call: for repeated look-ups
    use :class:`StatusList` from :func:`verify_status_list_token`.
    """
    check_bits(bits)
    return _status_at(inflate(lst_bytes), bits, index)


@dataclass(frozen=True, slots=True)
class StatusList:
    """A verified status list (decompressed once)."""

    country: str
    issued_at: dt.datetime  # aware, UTC
    ttl: int  # seconds
    bits: int
    lst: bytes  # compressed, as signed
    raw: bytes = field(repr=False)  # decompressed byte array
    kid: bytes = b""

    @property
    def size(self) -> int:
        return len(self.raw) * 8 // self.bits

    @property
    def fresh_until(self) -> dt.datetime:
        return self.issued_at + dt.timedelta(seconds=self.ttl)

    def is_stale(self, now: dt.datetime) -> bool:
        return now >= self.fresh_until

    def status(self, index: int) -> int:
        """Status value of ``index``; ``IndexError`` if beyond the list."""
        return _status_at(self.raw, self.bits, index)


def encode_status_list_token(
    country: str,
    lst: bytes,
    private_key: ec.EllipticCurvePrivateKey,
    *,
    issued_at: dt.datetime | int,
    ttl: int = 86400,
    bits: int = STATUS_BITS,
    typ: str = STATUS_LIST_TYP,
) -> str:
    """Sign a status list; returns the transport form (base64url of the COSE bytes).

    ``typ``: the COSE ``typ`` header; a document type other than certificates passes its own
    (e.g. cylinder labels) so one type's list can never be read as another's.

    ``lst`` is the compressed list from :func:`build_status_list`;
    ``issued_at`` an aware datetime or epoch seconds; ``ttl`` in seconds.
    """
    if not COUNTRY_RE.fullmatch(country):
        raise ValueError(f"bad country code {country!r}")
    check_bits(bits)
    inflate(lst)  # refuse to sign something verifiers would reject
    if isinstance(issued_at, dt.datetime):
        if issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        iat = int(issued_at.timestamp())
    else:
        iat = issued_at
    if not is_uint(iat, MAX_IAT) or not is_uint(ttl, MAX_TTL) or ttl == 0:
        raise ValueError("issued_at and ttl must be positive integers")
    payload = cbor(
        {
            SL_CLAIM_IAT: iat,
            SL_CLAIM_STATUS_LIST: {"bits": bits, "lst": lst},
            SL_CLAIM_TTL: ttl,
            SL_CLAIM_COUNTRY: country,
        }
    )
    cose = sign1(private_key, {HDR_TYP: typ}, payload)
    return b64url_encode(cose)


def verify_status_list_token(data: str | bytes, resolve_key: KeyResolver, *, typ: str = STATUS_LIST_TYP
                             ) -> StatusList:
    """Verify a status list token (base64url text or raw COSE bytes).

    Raises the same exceptions as :func:`verify_token`; ``WrongIssuer`` when
    the signing key's country (if known) differs from the list's country.
    """
    if isinstance(data, str):
        if len(data) > MAX_STATUS_TOKEN_BYTES * 4 // 3 + 4:
            raise MalformedToken("status list token too large")
        try:
            raw = b64url_decode(data)
        except ValueError as exc:
            raise MalformedToken(f"status list token: {exc}") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise MalformedToken("status list token must be text or bytes")
    if len(raw) > MAX_STATUS_TOKEN_BYTES:
        raise MalformedToken("status list token too large")
    sign1 = parse_sign1(raw, typ=typ)
    claims = cbor_strict_loads(sign1.payload, max_depth=2)
    if type(claims) is not dict or set(claims) != _SL_CLAIM_KEYS:
        raise MalformedToken(f"status list claims must have exactly keys {sorted(_SL_CLAIM_KEYS)}")
    iat, ttl, country = claims[SL_CLAIM_IAT], claims[SL_CLAIM_TTL], claims[SL_CLAIM_COUNTRY]
    status_list = claims[SL_CLAIM_STATUS_LIST]
    if not is_uint(iat, MAX_IAT) or not is_uint(ttl, MAX_TTL) or ttl == 0:
        raise MalformedToken("iat/ttl must be positive integers")
    if type(country) is not str or not COUNTRY_RE.fullmatch(country):
        raise MalformedToken("bad status list country")
    if type(status_list) is not dict or set(status_list) != {"bits", "lst"}:
        raise MalformedToken("status_list must be a map with exactly 'bits' and 'lst'")
    bits, lst = status_list["bits"], status_list["lst"]
    if type(bits) is not int or bits not in ALLOWED_STATUS_BITS or type(lst) is not bytes:
        raise MalformedToken("bad bits/lst")
    public_key, key_country = resolve(resolve_key, sign1.kid)
    if not verify_es256(public_key, sign1.signature, sig_structure(sign1.protected, sign1.payload)):
        raise BadSignature("status list signature does not verify")
    if key_country is not None and key_country != country:
        raise WrongIssuer(f"key of {key_country} signed the status list of {country}")
    try:
        raw_list = inflate(lst)
    except ValueError as exc:
        raise MalformedToken(str(exc)) from None
    return StatusList(
        country=country,
        issued_at=dt.datetime.fromtimestamp(iat, dt.UTC),
        ttl=ttl,
        bits=bits,
        lst=lst,
        raw=raw_list,
        kid=sign1.kid,
    )


def status_list_document(tokens: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The JSON body of ``GET /api/v1/status-list``: ``{"status_lists": {CC: token}}``."""
    for country in tokens:
        if not COUNTRY_RE.fullmatch(country):
            raise ValueError(f"bad country code {country!r}")
    return {"status_lists": dict(sorted(tokens.items()))}

