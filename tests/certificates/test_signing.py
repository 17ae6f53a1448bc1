"""Tests for certreg.certificates.signing (certreg QR token format v1)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import re
import stat
import zlib
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from certreg.certificates import checking, signing
from certreg.certificates.checking import Verdict
from certreg.certificates.token import CertificateClaims
from certreg.tokens import encoding as tenc
from certreg.tokens import keys as tkeys
from certreg.tokens import status_list as sl
from certreg.tokens.encoding import (
    BadSignature,
    MalformedToken,
    TokenError,
    UnknownKey,
    UnsupportedVersion,
    WrongIssuer,
)

ROOT = Path(__file__).resolve().parents[2]

# RFC 6979 appendix A.2.5 P-256 test key: a documented, public test key.
TEST_D = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
TEST_X = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
TEST_Y = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"
# RFC 7638 thumbprint of that key, computed independently with jwcrypto 1.5.
TEST_THUMBPRINT_B64 = "DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0"


def _key(d: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(d, ec.SECP256R1())


KG_KEY = _key(TEST_D)
KG_KEY_2 = _key(0x1D_2C_3B_4A_59_68_77_86)
UZ_KEY = _key(0x5EC0_0D_C0_FF_EE)
STRANGER_KEY = _key(0xBAD_BAD_BAD)


def make_claims(**overrides: Any) -> CertificateClaims:
    fields: dict[str, Any] = dict(
        number="KG-T-2026-000123-5",
        holder_name="Aigerim Zhunusbekovna Abdyldaeva-Sultanova",
        holder_kind="technician",
        country="KG",
        categories=("A1", "B", "I", "KG-ODS"),
        valid_from=dt.date(2026, 3, 1),
        valid_until=dt.date(2031, 2, 28),
        status_index=4321,
    )
    fields.update(overrides)
    return CertificateClaims(**fields)


def make_jwks_json() -> str:
    """The trust list as it would travel over the wire."""
    return json.dumps(
        tkeys.jwks(
            [
                tkeys.public_jwk(KG_KEY.public_key(), country="KG"),
                tkeys.public_jwk(KG_KEY_2.public_key(), country="KG", status="retired"),
                tkeys.public_jwk(UZ_KEY.public_key(), country="UZ"),
            ]
        )
    )


TRUST = tkeys.TrustList.from_jwks(json.loads(make_jwks_json()))
TOKEN = signing.encode_token(make_claims(), KG_KEY)


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def sign_raw(payload: bytes, key: ec.EllipticCurvePrivateKey, header: dict[int, Any] | None = None) -> bytes:
    """Test-local COSE_Sign1 signer, so hostile-but-signed payloads can be made."""
    kid = tkeys.kid_for(key.public_key())
    protected = cbor2.dumps(header if header is not None else {1: -7, 4: kid}, canonical=True)
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s_ = decode_dss_signature(key.sign(tbs, ec.ECDSA(hashes.SHA256())))
    sig = r.to_bytes(32, "big") + s_.to_bytes(32, "big")
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, sig]), canonical=True)


# --------------------------------------------------------------------------
# Keys and JWKs
# --------------------------------------------------------------------------


def test_generate_save_load(tmp_path: Path) -> None:
    key = tkeys.generate_key()
    assert isinstance(key.curve, ec.SECP256R1)
    path = tmp_path / "kg.pem"
    old_umask = os.umask(0)  # the mode must not depend on the umask
    try:
        tkeys.save_private_key(key, path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    loaded = tkeys.load_private_key(path)
    assert loaded.private_numbers() == key.private_numbers()
    with pytest.raises(FileExistsError):
        tkeys.save_private_key(tkeys.generate_key(), path)
    assert tkeys.load_private_key(path).private_numbers() == key.private_numbers()


def test_load_rejects_other_curves(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    path = tmp_path / "p384.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError):
        tkeys.load_private_key(path)


def test_thumbprint_matches_independent_implementation() -> None:
    pub = KG_KEY.public_key()
    assert pub.public_numbers().x == int(TEST_X, 16)
    assert pub.public_numbers().y == int(TEST_Y, 16)
    assert tkeys.jwk_thumbprint(pub) == tenc.b64url_decode(TEST_THUMBPRINT_B64)
    assert tkeys.kid_for(pub) == tenc.b64url_decode(TEST_THUMBPRINT_B64)[:8]


def test_public_jwk_shape() -> None:
    jwk = tkeys.public_jwk(KG_KEY.public_key(), country="KG")
    assert jwk == {
        "kty": "EC",
        "crv": "P-256",
        "x": tenc.b64url_encode(bytes.fromhex(TEST_X)),
        "y": tenc.b64url_encode(bytes.fromhex(TEST_Y)),
        "alg": "ES256",
        "use": "sig",
        "kid": tenc.b64url_encode(tkeys.kid_for(KG_KEY.public_key())),
        "country": "KG",
        "status": "active",
    }
    assert len(tenc.b64url_decode(jwk["kid"])) == 8
    assert tkeys.public_jwk(KG_KEY.public_key(), country="KG", status="retired")["status"] == "retired"
    for bad in ({"country": "kg"}, {"country": "KGZ"}, {"country": "KG", "status": "revoked"}):
        with pytest.raises(ValueError):
            tkeys.public_jwk(KG_KEY.public_key(), **bad)
    assert tkeys.jwks([jwk]) == {"keys": [jwk]}


def test_public_key_from_jwk_roundtrip_and_cache() -> None:
    jwk = tkeys.public_jwk(KG_KEY.public_key(), country="KG")
    key = tkeys.public_key_from_jwk(jwk)
    assert key.public_numbers() == KG_KEY.public_key().public_numbers()
    assert tkeys.public_key_from_jwk(dict(jwk)) is key  # parsed keys are cached
    with pytest.raises(ValueError, match="kid"):
        tkeys.public_key_from_jwk({**jwk, "kid": tenc.b64url_encode(b"\0" * 8)})
    with pytest.raises(ValueError):
        tkeys.public_key_from_jwk({**jwk, "y": jwk["x"]})  # not on the curve
    with pytest.raises(ValueError):
        tkeys.public_key_from_jwk({**jwk, "crv": "P-384"})
    with pytest.raises(ValueError):
        tkeys.public_key_from_jwk({**jwk, "d": jwk["x"]})


def test_trust_list() -> None:
    assert len(TRUST) == 3
    entry = TRUST(tkeys.kid_for(UZ_KEY.public_key()))
    assert entry is not None and entry.country == "UZ" and entry.status == "active"
    assert TRUST(b"\0" * 8) is None
    # Non-P-256 entries are skipped (forward compatibility) ...
    doc = json.loads(make_jwks_json())
    doc["keys"].append({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "x"})
    assert len(tkeys.TrustList.from_jwks(doc)) == 3
    # ... but a broken P-256 entry is a configuration error.
    doc["keys"][0]["country"] = "Kyrgyzstan"
    with pytest.raises(ValueError):
        tkeys.TrustList.from_jwks(doc)


# --------------------------------------------------------------------------
# Tokens: round trip and the wire format
# --------------------------------------------------------------------------


def test_roundtrip() -> None:
    assert re.fullmatch(r"[A-Z2-7]+", TOKEN)  # QR alphanumeric, no padding
    decoded = checking.decode_token(TOKEN)
    assert decoded.claims == make_claims()
    assert decoded.kid == tkeys.kid_for(KG_KEY.public_key())
    assert checking.verify_token(TOKEN, TRUST) == make_claims()
    # A bare public key resolver works too (no country binding then).
    assert checking.verify_token(TOKEN, lambda kid: KG_KEY.public_key()) == make_claims()
    # Lowercase (some scanners lower-case URLs) is accepted.
    assert checking.verify_token(TOKEN.lower(), TRUST) == make_claims()


def test_claims_wire_layout() -> None:
    raw = unb32(TOKEN)
    assert raw[0] == 0xD2  # tag 18
    obj = cbor2.loads(raw)
    protected, unprotected, payload, sig = obj.value
    assert cbor2.loads(protected) == {1: -7, 4: tkeys.kid_for(KG_KEY.public_key())}
    assert len(sig) == 64 and dict(unprotected) == {}
    assert cbor2.loads(payload) == {
        1: 1,
        2: "KG-T-2026-000123-5",
        3: "Aigerim Zhunusbekovna Abdyldaeva-Sultanova",
        4: 1,
        5: "KG",
        6: ["A1", "B", "I", "KG-ODS"],
        7: (dt.date(2026, 3, 1) - dt.date(1970, 1, 1)).days,
        8: (dt.date(2031, 2, 28) - dt.date(1970, 1, 1)).days,
        9: 4321,
    }
    company = checking.decode_token(signing.encode_token(make_claims(holder_kind="company"), KG_KEY))
    assert cbor2.loads(company.payload)[4] == 2


def test_verifies_without_certreg_using_cbor2_and_cryptography() -> None:
    """A generic implementation with only the JWKS JSON and the token text."""
    jwks_doc = json.loads(make_jwks_json())
    raw = base64.b32decode(TOKEN + "=" * (-len(TOKEN) % 8))
    tagged = cbor2.loads(raw)
    assert isinstance(tagged, cbor2.CBORTag) and tagged.tag == 18
    protected, _unprotected, payload, signature = tagged.value
    header = cbor2.loads(protected)
    assert header[1] == -7
    kid_text = base64.urlsafe_b64encode(header[4]).rstrip(b"=").decode()
    jwk = next(k for k in jwks_doc["keys"] if k["kid"] == kid_text)

    def b64(v: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)), "big")

    public_key = ec.EllipticCurvePublicNumbers(b64(jwk["x"]), b64(jwk["y"]), ec.SECP256R1()).public_key()
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public_key.verify(der, to_be_signed, ec.ECDSA(hashes.SHA256()))  # raises if bad
    claims = cbor2.loads(payload)
    assert claims[2] == "KG-T-2026-000123-5" and claims[5] == jwk["country"]


def test_verifies_with_pycose() -> None:
    from pycose.headers import KID, Algorithm
    from pycose.keys.curves import P256
    from pycose.keys.ec2 import EC2Key
    from pycose.messages.sign1message import Sign1Message

    jwks_doc = json.loads(make_jwks_json())
    raw = base64.b32decode(TOKEN + "=" * (-len(TOKEN) % 8))
    # pycose 1.1's Sign1Message.decode() expects cbor2 < 6, which returned a
    # mutable list for the tag content; hand it the array ourselves.
    tagged = cbor2.loads(raw)
    assert tagged.tag == Sign1Message.cbor_tag == 18
    protected, unprotected, payload, signature = tagged.value
    msg = Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)
    kid = msg.phdr[KID]
    jwk = next(k for k in jwks_doc["keys"] if tenc.b64url_decode(k["kid"]) == kid)
    assert msg.phdr[Algorithm].identifier == -7
    msg.key = EC2Key(crv=P256, x=tenc.b64url_decode(jwk["x"]), y=tenc.b64url_decode(jwk["y"]))
    assert msg.verify_signature()
    jwk = jwks_doc["keys"][2]
    msg.key = EC2Key(crv=P256, x=tenc.b64url_decode(jwk["x"]), y=tenc.b64url_decode(jwk["y"]))
    assert not msg.verify_signature()


def test_retired_key_still_verifies() -> None:
    token = signing.encode_token(make_claims(), KG_KEY_2)
    assert checking.verify_token(token, TRUST).number == "KG-T-2026-000123-5"


# --------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------


def test_every_changed_byte_is_rejected() -> None:
    raw = unb32(TOKEN)
    decoded = checking.decode_token(TOKEN)
    kid_at = raw.index(decoded.kid)
    for i in range(len(raw)):
        for mask in (0x01, 0x80, 0xFF):
            mutated = bytearray(raw)
            mutated[i] ^= mask
            with pytest.raises(TokenError) as info:
                checking.verify_token(b32(bytes(mutated)), TRUST)
            if kid_at <= i < kid_at + 8:
                assert isinstance(info.value, UnknownKey)
            else:
                assert isinstance(info.value, (BadSignature, MalformedToken)), (i, mask, info.value)


def test_unknown_key() -> None:
    token = signing.encode_token(make_claims(), STRANGER_KEY)
    with pytest.raises(UnknownKey) as info:
        checking.verify_token(token, TRUST)
    assert info.value.kid == tkeys.kid_for(STRANGER_KEY.public_key())
    with pytest.raises(UnknownKey):
        checking.verify_token(TOKEN, tkeys.TrustList())


def test_other_countrys_key_cannot_issue() -> None:
    token = signing.encode_token(make_claims(), UZ_KEY)  # UZ key, KG certificate
    with pytest.raises(WrongIssuer):
        checking.verify_token(token, TRUST)
    assert issubclass(WrongIssuer, BadSignature)


def test_signature_from_wrong_key_is_bad() -> None:
    raw = unb32(TOKEN)
    other = cbor2.loads(unb32(signing.encode_token(make_claims(), KG_KEY_2))).value[3]
    obj = cbor2.loads(raw)
    forged = cbor2.dumps(cbor2.CBORTag(18, [obj.value[0], {}, obj.value[2], other]))
    with pytest.raises(BadSignature):
        checking.verify_token(b32(forged), TRUST)


def test_unsupported_version_is_reported_clearly() -> None:
    payload = cbor2.loads(checking.decode_token(TOKEN).payload)
    payload[1] = 2
    token = b32(sign_raw(cbor2.dumps(payload, canonical=True), KG_KEY))
    with pytest.raises(UnsupportedVersion, match="version 2") as info:
        checking.verify_token(token, TRUST)
    assert info.value.version == 2
    assert isinstance(info.value, MalformedToken)


def _signed_variant(mutate: Any) -> str:
    payload = cbor2.loads(checking.decode_token(TOKEN).payload)
    mutate(payload)
    return b32(sign_raw(cbor2.dumps(payload, canonical=True), KG_KEY))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.__setitem__(1, True),  # bool is not an int
        lambda p: p.__setitem__(1, 1.0),
        lambda p: p.__setitem__(4, 3),
        lambda p: p.__setitem__(4, "technician"),
        lambda p: p.__setitem__(5, "kg"),
        lambda p: p.__setitem__(6, ["A1", "A1"]),
        lambda p: p.__setitem__(6, "A1"),
        lambda p: p.__setitem__(6, ["a1"]),
        lambda p: p.__setitem__(3, ""),
        lambda p: p.__setitem__(3, "Evil\u202eName"),  # bidi override
        lambda p: p.__setitem__(3, "x" * 101),
        lambda p: p.__setitem__(7, p[8] + 1),  # valid from after valid until
        lambda p: p.__setitem__(8, -1),
        lambda p: p.__setitem__(8, tenc.MAX_DAY + 1),
        lambda p: p.__setitem__(9, 2**32),
        lambda p: p.__setitem__(9, -1),
        lambda p: p.__setitem__(10, "extra"),
        lambda p: p.pop(9),
        lambda p: p.__setitem__(2, b"KG-T-2026-000123-5"),
        lambda p: p.__setitem__(7, cbor2.CBORTag(100, p[7])),
    ],
)
def test_signed_but_invalid_claims_are_malformed(mutate: Any) -> None:
    with pytest.raises(MalformedToken):
        checking.verify_token(_signed_variant(mutate), TRUST)


def test_non_deterministic_cbor_is_rejected() -> None:
    payload = checking.decode_token(TOKEN).payload
    # Same claims, but key 9 written in a non-shortest form (0x19 0x10 0xE1 -> 0x1A ...).
    loose = payload.replace(b"\x09\x19\x10\xe1", b"\x09\x1a\x00\x00\x10\xe1")
    assert loose != payload and cbor2.loads(loose) == cbor2.loads(payload)
    with pytest.raises(MalformedToken, match="deterministic"):
        checking.verify_token(b32(sign_raw(loose, KG_KEY)), TRUST)
    # Map keys out of order.
    items = sorted(cbor2.loads(payload).items(), reverse=True)
    unsorted = b"\xa9" + b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in items)
    with pytest.raises(MalformedToken):
        checking.verify_token(b32(sign_raw(unsorted, KG_KEY)), TRUST)
    # Extra bytes after the COSE object, and an untagged object.
    raw = unb32(TOKEN)
    with pytest.raises(MalformedToken):
        checking.verify_token(b32(raw + b"\x00"), TRUST)
    with pytest.raises(MalformedToken):
        checking.verify_token(b32(raw[1:]), TRUST)
    # A protected header with an extra label.
    header = {1: -7, 4: tkeys.kid_for(KG_KEY.public_key()), 16: "x"}
    with pytest.raises(MalformedToken):
        checking.verify_token(b32(sign_raw(payload, KG_KEY, header)), TRUST)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A",
        "ABC",  # impossible length
        TOKEN + "=",
        TOKEN + "====",
        TOKEN[:-1] + "8",
        TOKEN[:50] + " " + TOKEN[50:],
        TOKEN + "\n",
        "\u0410" * 10,  # Cyrillic A
        "A" * (tenc.MAX_TOKEN_CHARS + 8),
        "AB",  # one byte, trailing bits non-zero? no: 'AB' = 0x00 with bits 01 -> non-canonical
        "AA",  # one zero byte: not CBOR COSE
        b32(b"\xd2\x84\x5b\xff\xff\xff\xff\xff\xff\xff\xff"),  # 2**64-1 byte bstr
        b32(b"\xd2\x84\x5a\x7f\xff\xff\xff" + b"\0" * 100),  # 2 GiB bstr, truncated
        b32(b"\xd2\x9b\xff\xff\xff\xff\xff\xff\xff\xff"),  # huge array
        b32(b"\xd2\xbb\xff\xff\xff\xff\xff\xff\xff\xff"),  # huge map
        b32(b"\x81" * 700),  # deep nesting
        b32(b"\xd2\x9f" + b"\x40" * 4 + b"\xff"),  # indefinite array
        b32(b"\xd2\x84\x40\xa0\x40\x40"),  # empty parts
        b32(b"\xd8\x19\x00"),  # stringref-namespace style tag
        b32(b"\xd8\x1d\x00"),  # sharedref to nothing
        b32(b"\xc1\x1b\xff\xff\xff\xff\xff\xff\xff\xff"),  # epoch datetime overflow
        b32(b"\xf9\x7e\x00"),  # NaN
    ],
)
def test_garbage_is_malformed(text: str) -> None:
    with pytest.raises(MalformedToken):
        checking.decode_token(text)
    with pytest.raises(MalformedToken):
        checking.verify_token(text, TRUST)


def test_base32_decoding_matches_rfc_4648_and_refuses_non_canonical_text() -> None:
    """The token decode (C-speed, not base64.b32decode) gives base64's bytes for every length, in
    either case, and refuses exactly the texts whose spare trailing bits are not zero."""
    rnd = random.Random(11)
    for size in [*range(1, 41), 189, 303, 700]:
        data = rnd.randbytes(size)
        text = b32(data)
        assert tenc.b32_decode(text) == data == tenc.b32_decode(text.lower())
        spare = 5 * len(text) % 8
        last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(text[-1])
        for flipped in range(1, 1 << spare):  # each spare-bit pattern but zero: not canonical
            other = text[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last ^ flipped]
            with pytest.raises(MalformedToken, match="non-canonical"):
                tenc.b32_decode(other)
        assert spare == 0 or unb32(text[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last ^ 1]) == data


def test_non_text_input_is_malformed() -> None:
    for value in (None, b"ABC", 123, ["A"]):
        with pytest.raises(MalformedToken):
            checking.verify_token(value, TRUST)  # type: ignore[arg-type]


def test_fuzz_mutations_only_raise_token_errors() -> None:
    rng = random.Random(20260301)
    raw = unb32(TOKEN)
    status_raw = tenc.b64url_decode(
        sl.encode_status_list_token("KG", sl.build_status_list({1: 1}, 64), KG_KEY, issued_at=1767225600)
    )
    outcomes: dict[str, int] = {}

    def check(text: str, original: bytes | None = None) -> None:
        try:
            claims = checking.verify_token(text, TRUST)
        except TokenError as exc:
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
        else:  # only a no-op mutation may verify
            assert original is None or original == raw, text
            assert claims == make_claims()

    for _ in range(3000):
        data = bytearray(raw if rng.random() < 0.8 else status_raw)
        for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
            op = rng.randrange(6)
            pos = rng.randrange(len(data) + 1)
            if op == 0 and pos < len(data):
                data[pos] = rng.randrange(256)
            elif op == 1 and pos < len(data):
                data[pos] ^= 1 << rng.randrange(8)
            elif op == 2:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
            elif op == 3:
                del data[pos : pos + rng.randrange(1, 16)]
            elif op == 4:
                data = data[: rng.randrange(len(data) + 1)]
            else:  # plant a length header with a huge argument
                data[pos:pos] = bytes([rng.choice((0x5B, 0x7B, 0x9B, 0xBB, 0x5A, 0xDB))]) + b"\xff" * 8
        if not data:
            data = bytearray(b"\x00")
        check(b32(bytes(data)), bytes(data))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz0189=-_ \u00e9\u0410\n"
    for _ in range(1000):
        chars = list(TOKEN)
        for _ in range(rng.randrange(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        text = "".join(chars)
        check(text, None if text.upper() == TOKEN else b"")
    assert outcomes.get("MalformedToken", 0) > 100
    assert outcomes.get("BadSignature", 0) > 10


# --------------------------------------------------------------------------
# Issuer-side validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"holder_name": "Айгерим Абдылдаева"},  # Cyrillic: transliterate first
        {"holder_name": " Leading space"},
        {"holder_name": "Cafe\u0301"},  # not NFC
        {"holder_name": "Name<script>"},
    ],
)
def test_issuer_rejects_unprintable_names(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        signing.encode_token(make_claims(**overrides), KG_KEY)


def test_issuer_accepts_latin_diacritics() -> None:
    token = signing.encode_token(make_claims(holder_name="Gülnara Öztürk-Şahin O’Neil"), KG_KEY)
    assert checking.verify_token(token, TRUST).holder_name == "Gülnara Öztürk-Şahin O’Neil"


@pytest.mark.parametrize(
    "overrides",
    [
        {"holder_kind": "person"},
        {"country": "KGZ"},
        {"categories": ("A1", "A1")},
        {"categories": ("a1",)},
        {"valid_until": dt.date(2026, 2, 28)},
        {"valid_from": dt.date(1969, 12, 31)},
        {"valid_from": dt.datetime(2026, 3, 1)},
        {"status_index": -1},
        {"status_index": True},
        {"number": "kg-t-1"},
        {"version": 2},
    ],
)
def test_claims_validation(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_claims(**overrides)


def test_encode_requires_p256_private_key() -> None:
    with pytest.raises(TypeError):
        signing.encode_token(make_claims(), ec.generate_private_key(ec.SECP384R1()))


# --------------------------------------------------------------------------
# Status lists
# --------------------------------------------------------------------------

# Examples of draft-ietf-oauth-status-list (section 4.1).
DRAFT_1BIT = {0: 1, 3: 1, 4: 1, 5: 1, 7: 1, 8: 1, 9: 1, 13: 1, 15: 1}
DRAFT_2BIT = {0: 1, 1: 2, 3: 3, 5: 1, 7: 1, 8: 1, 9: 2, 10: 3, 11: 3}


def test_status_list_bit_order_matches_draft_examples() -> None:
    assert zlib.decompress(sl.build_status_list(DRAFT_1BIT, 16, bits=1)) == bytes([0xB9, 0xA3])
    assert zlib.decompress(sl.build_status_list(DRAFT_2BIT, 12)) == bytes([0xC9, 0x44, 0xF9])
    # The draft's own compressed lst values read back correctly.
    draft_1 = tenc.b64url_decode("eNrbuRgAAhcBXQ")
    draft_2 = tenc.b64url_decode("eNo76fITAAPfAgc")
    for i in range(16):
        assert sl.read_status(draft_1, 1, i) == DRAFT_1BIT.get(i, 0)
    for i in range(12):
        assert sl.read_status(draft_2, 2, i) == DRAFT_2BIT.get(i, 0)


def test_build_and_read_status_list() -> None:
    statuses = {0: 1, 1: 2, 2: 3, 99_999: 1, 50_000: 2}
    lst = sl.build_status_list(statuses, 100_000)
    assert len(lst) < 200  # compresses well
    for index in (0, 1, 2, 3, 49_999, 50_000, 99_999):
        assert sl.read_status(lst, 2, index) == statuses.get(index, 0)
    with pytest.raises(IndexError):
        sl.read_status(lst, 2, 100_000)
    with pytest.raises(ValueError):
        sl.build_status_list({100_000: 1}, 100_000)
    with pytest.raises(ValueError):
        sl.build_status_list({0: 4}, 10)
    with pytest.raises(ValueError):
        sl.read_status(b"not zlib", 2, 0)
    with pytest.raises(ValueError):
        sl.read_status(lst, 3, 0)


def test_zip_bomb_is_refused() -> None:
    bomb = zlib.compress(b"\0" * (sl.MAX_STATUS_LIST_BYTES + 1), 9)
    with pytest.raises(ValueError, match="larger"):
        sl.read_status(bomb, 2, 0)
    payload = cbor2.dumps({6: 1767225600, 65533: {"bits": 2, "lst": bomb}, 65534: 3600, -65537: "KG"}, canonical=True)
    header = {1: -7, 4: tkeys.kid_for(KG_KEY.public_key()), 16: sl.STATUS_LIST_TYP}
    with pytest.raises(MalformedToken):
        sl.verify_status_list_token(sign_raw(payload, KG_KEY, header), TRUST)


def test_status_list_token_roundtrip() -> None:
    lst = sl.build_status_list({4321: sl.STATUS_INVALID, 7: sl.STATUS_SUSPENDED}, 10_000)
    issued = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    text = sl.encode_status_list_token("KG", lst, KG_KEY, issued_at=issued, ttl=3600)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", text)
    for form in (text, tenc.b64url_decode(text)):
        status_list = sl.verify_status_list_token(form, TRUST)
        assert status_list.country == "KG" and status_list.issued_at == issued
        assert status_list.ttl == 3600 and status_list.bits == 2 and status_list.size == 10_000
        assert status_list.status(4321) == 1 and status_list.status(7) == 2 and status_list.status(8) == 0
        assert not status_list.is_stale(issued + dt.timedelta(seconds=3599))
        assert status_list.is_stale(issued + dt.timedelta(seconds=3600))
    # Payload layout follows the draft's CWT form.
    claims = cbor2.loads(cbor2.loads(tenc.b64url_decode(text)).value[2])
    assert claims == {6: int(issued.timestamp()), 65533: {"bits": 2, "lst": lst}, 65534: 3600, -65537: "KG"}
    assert sl.status_list_document({"KG": text}) == {"status_lists": {"KG": text}}


def test_status_list_token_rejections() -> None:
    lst = sl.build_status_list({}, 16)
    text = sl.encode_status_list_token("KG", lst, KG_KEY, issued_at=1767225600)
    raw = bytearray(tenc.b64url_decode(text))
    raw[-1] ^= 1
    with pytest.raises(BadSignature):
        sl.verify_status_list_token(bytes(raw), TRUST)
    with pytest.raises(WrongIssuer):  # UZ key publishing KG's list
        sl.verify_status_list_token(sl.encode_status_list_token("KG", lst, UZ_KEY, issued_at=1), TRUST)
    with pytest.raises(UnknownKey):
        sl.verify_status_list_token(sl.encode_status_list_token("KG", lst, STRANGER_KEY, issued_at=1), TRUST)
    # Type confusion: a certificate token is not a status list and vice versa.
    with pytest.raises(MalformedToken):
        sl.verify_status_list_token(unb32(TOKEN), TRUST)
    with pytest.raises(MalformedToken):
        checking.verify_token(b32(tenc.b64url_decode(text)), TRUST)
    for garbage in ("", "!!", "A", b"", b"\xd2", 42):
        with pytest.raises(MalformedToken):
            sl.verify_status_list_token(garbage, TRUST)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------

TODAY = dt.date(2027, 1, 15)
NOW = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)


def _lists(statuses: dict[int, int], size: int = 10_000) -> dict[str, sl.StatusList]:
    text = sl.encode_status_list_token(
        "KG", sl.build_status_list(statuses, size), KG_KEY, issued_at=NOW - dt.timedelta(hours=1)
    )
    return {"KG": sl.verify_status_list_token(text, TRUST)}


def test_assess_verdicts_and_precedence() -> None:
    expired = signing.encode_token(make_claims(valid_until=dt.date(2026, 12, 31)), KG_KEY)
    future = signing.encode_token(make_claims(valid_from=dt.date(2027, 2, 1)), KG_KEY)
    bad = b32(unb32(TOKEN)[:-1] + bytes([unb32(TOKEN)[-1] ^ 1]))
    a = checking.assess_token
    assert a(TOKEN, TRUST, None, TODAY).verdict is Verdict.VALID
    assert a(TOKEN, TRUST, None, TODAY).status_as_of is None
    ok = a(TOKEN, TRUST, _lists({}), TODAY, now=NOW)
    assert ok.verdict is Verdict.VALID and ok.status_as_of == NOW - dt.timedelta(hours=1)
    assert ok.claims == make_claims() and not ok.status_stale
    assert a(TOKEN, TRUST, _lists({4321: 1}), TODAY).verdict is Verdict.REVOKED
    assert a(TOKEN, TRUST, _lists({4321: 2}), TODAY).verdict is Verdict.SUSPENDED
    assert a(TOKEN, TRUST, _lists({4321: 3}), TODAY).verdict is Verdict.SUPERSEDED
    assert a(expired, TRUST, None, TODAY).verdict is Verdict.EXPIRED
    assert a(future, TRUST, None, TODAY).verdict is Verdict.NOT_YET_VALID
    # Validity dates are inclusive.
    assert a(TOKEN, TRUST, None, dt.date(2026, 3, 1)).verdict is Verdict.VALID
    assert a(TOKEN, TRUST, None, dt.date(2031, 2, 28)).verdict is Verdict.VALID
    assert a(TOKEN, TRUST, None, dt.date(2031, 3, 1)).verdict is Verdict.EXPIRED
    # Precedence: signature > status > dates.
    assert a(expired, TRUST, _lists({4321: 1}), TODAY).verdict is Verdict.REVOKED
    bad_result = a(bad, TRUST, _lists({4321: 1}), TODAY)
    assert bad_result.verdict is Verdict.INVALID_SIGNATURE and bad_result.claims is None
    # Unknown key, unsupported version, garbage, wrong issuer.
    assert a(TOKEN, tkeys.TrustList(), None, TODAY).verdict is Verdict.UNKNOWN
    v2 = _signed_variant(lambda p: p.__setitem__(1, 2))
    assert a(v2, TRUST, None, TODAY).reason == "unsupported-version"
    assert a(v2, TRUST, None, TODAY).verdict is Verdict.UNKNOWN
    assert a("garbage!", TRUST, None, TODAY).verdict is Verdict.INVALID_SIGNATURE
    wrong = a(signing.encode_token(make_claims(), UZ_KEY), TRUST, None, TODAY)
    assert (wrong.verdict, wrong.reason) == (Verdict.INVALID_SIGNATURE, "issuer-mismatch")
    # Index beyond the list.
    short = a(TOKEN, TRUST, _lists({}, size=100), TODAY)
    assert (short.verdict, short.reason) == (Verdict.UNKNOWN, "status-index-out-of-range")
    # Stale list still gives a verdict, flagged.
    stale = a(TOKEN, TRUST, _lists({}), TODAY, now=NOW + dt.timedelta(days=2))
    assert stale.verdict is Verdict.VALID and stale.status_stale


# --------------------------------------------------------------------------
# The worked example in docs/qr-token.md stays true
# --------------------------------------------------------------------------


def test_docs_worked_example_verifies() -> None:
    doc = (ROOT / "docs" / "qr-token.md").read_text(encoding="utf-8")
    token = re.search(r"<!-- example-token -->\s*```text\n([A-Z2-7]+)\n```", doc)
    jwks_block = re.search(r"<!-- example-jwks -->\s*```json\n(.*?)\n```", doc, re.S)
    hex_block = re.search(r"<!-- example-hex -->\s*```text\n(.*?)\n```", doc, re.S)
    assert token and jwks_block and hex_block
    trust = tkeys.TrustList.from_jwks(json.loads(jwks_block.group(1)))
    claims = checking.verify_token(token.group(1), trust)
    assert claims == make_claims(number="KG-T-2026-000123-5", status_index=123)
    assert tkeys.kid_for(KG_KEY.public_key()) in [k.kid for k in trust]
    hex_text = re.sub(r"(?m)^\s*[0-9a-f]{4}:\s*|\s+", "", hex_block.group(1).split("\n\n")[0])
    assert bytes.fromhex(hex_text) == unb32(token.group(1))
