"""The federation's wire format, version 1: signed documents and signed messages between
certreg installations. No Flask here; ``docs/federation.md`` repeats this specification.

Both are one tagged COSE_Sign1 (RFC 9052, tag 18) signed with ES256 by the sending installation's
**federation key**, built and checked with :mod:`certreg.tokens.cose` (deterministic CBOR, raw
``r || s`` signature, nothing trailing), protected header ``{1: -7, 4: kid, 16: typ}``.

Trust comes from a **pinned fingerprint**: each installation's administrator enters the other's
federation key fingerprint, exchanged out of band. The fingerprint is the RFC 7638 JWK thumbprint
(SHA-256) of the key, written as 64 lowercase hex digits. The signer's public key travels in the
payload (label 5, ``x || y``, 64 bytes); a receiver MUST check that its thumbprint equals the pinned
fingerprint, that the header's kid is its first 8 bytes, and that the signature verifies.

Published document (``typ`` = ``application/certreg-federation+cwt``), served at
``{base}/.well-known/certreg/{kind}``::

    payload = {
        1: tstr,   ; kind: "trust-list", "status/certificates", "status/cylinder-labels", ...
        2: uint,   ; sequence: grows by one with every new content of this kind; never goes back
        3: uint,   ; iat: seconds since the epoch, when signed
        4: tstr,   ; issuer: the publishing installation's base URL
        5: bstr,   ; signer's P-256 public key, x || y (64 bytes)
        6: bstr,   ; body: UTF-8 JSON (sorted keys, no spaces); its shape depends on the kind
    }

Message (``typ`` = ``application/certreg-message+cwt``), a question POSTed to
``{base}/.well-known/certreg/ask`` and its answer in the response body::

    payload = {
        1: tstr,   ; "question" or "answer"
        2: tstr,   ; kind of question: "certificate-status", "cylinder", "ping", ...
        3: bstr,   ; nonce, 16 random bytes chosen by the asker; the answer repeats it
        4: uint,   ; iat, seconds since the epoch
        5: tstr,   ; sender's base URL
        6: tstr,   ; recipient's base URL
        7: bstr,   ; signer's P-256 public key, x || y (64 bytes)
        8: bstr,   ; body: UTF-8 JSON
    }

A receiver refuses a question whose sender is not an active peer, whose recipient is not itself,
whose iat is outside its time window, or whose nonce it has seen from that sender; the asker
refuses an answer not signed by the pinned key of the peer it asked, or whose nonce, kind,
sender or recipient do not match its question.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec

from certreg.tokens.cose import HDR_TYP, parse_sign1, sig_structure, sign1, verify_es256
from certreg.tokens.encoding import MalformedToken, cbor, cbor_strict_loads, is_uint
from certreg.tokens.keys import check_p256, jwk_thumbprint, kid_for

DOCUMENT_TYP: Final = "application/certreg-federation+cwt"
MESSAGE_TYP: Final = "application/certreg-message+cwt"
#: Largest document or message accepted (raw COSE bytes).
MAX_BYTES: Final = 32 * 1024 * 1024
MAX_IAT: Final = 253402300799
NONCE_BYTES: Final = 16
QUESTION: Final = "question"
ANSWER: Final = "answer"


class Refused(Exception):  # noqa: N818 - a verdict, not a bug
    """A document or message that must not be applied; ``code`` says why (stable, machine-readable):
    ``malformed``, ``unpinned-key``, ``bad-signature``, ``wrong-kind``, ``rolled-back``, ``replayed``,
    ``out-of-window``, ``not-a-peer``, ``wrong-recipient``, ``wrong-answer``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def fingerprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """The pinned form of a federation key: RFC 7638 thumbprint, 64 lowercase hex digits."""
    return jwk_thumbprint(public_key).hex()


def normalise_fingerprint(text: str) -> str:
    """What an administrator typed (spaces, colons, any case) as 64 lowercase hex digits;
    ``ValueError`` if it is not one."""
    cleaned = "".join(ch for ch in text.strip().lower() if ch not in " :-\t")
    if len(cleaned) != 64 or any(ch not in "0123456789abcdef" for ch in cleaned):
        raise ValueError("a fingerprint is 64 hexadecimal digits")
    return cleaned


def grouped(fingerprint_hex: str) -> str:
    """For reading aloud and letters: groups of four, ``ab12 cd34 ...``."""
    return " ".join(fingerprint_hex[i:i + 4] for i in range(0, len(fingerprint_hex), 4))


def _point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    numbers = check_p256(public_key).public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def _key_from_point(data: object) -> ec.EllipticCurvePublicKey:
    if type(data) is not bytes or len(data) != 64:
        raise Refused("malformed", "signer key must be 64 bytes")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + data)
    except ValueError:
        raise Refused("malformed", "signer key is not a P-256 point") from None


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _json_body(data: object) -> Any:
    if type(data) is not bytes:
        raise Refused("malformed", "body must be a byte string")
    try:
        return json.loads(data.decode())
    except (UnicodeDecodeError, ValueError):
        raise Refused("malformed", "body is not JSON") from None


def _open(raw: bytes, typ: str, labels: frozenset[int], key_label: int, pinned: Callable[[dict], str | None]
          ) -> dict[int, Any]:
    """Parse, find the pinned fingerprint for these claims, check key, kid and signature."""
    if type(raw) is not bytes or len(raw) > MAX_BYTES:
        raise Refused("malformed", "not bytes, or too large")
    try:
        parsed = parse_sign1(raw, typ=typ)
        claims = cbor_strict_loads(parsed.payload, max_depth=1)
    except MalformedToken as exc:
        raise Refused("malformed", str(exc)) from None
    if type(claims) is not dict or set(claims) != labels:
        raise Refused("malformed", f"payload must have exactly the labels {sorted(labels)}")
    key = _key_from_point(claims[key_label])
    pin = pinned(claims)
    if pin is None:
        raise Refused("not-a-peer", "no pinned key for this sender")
    if fingerprint(key) != pin or kid_for(key) != parsed.kid:
        raise Refused("unpinned-key", "signed by a key that is not the pinned one")
    if not verify_es256(key, parsed.signature, sig_structure(parsed.protected, parsed.payload)):
        raise Refused("bad-signature", "signature does not verify")
    return claims


# --- documents ------------------------------------------------------------------------------

_DOC_LABELS: Final = frozenset(range(1, 7))


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    sequence: int
    issued_at: int  # epoch seconds
    issuer: str
    body: Any


def sign_document(private_key: ec.EllipticCurvePrivateKey, *, kind: str, sequence: int, issued_at: int,
                  issuer: str, body: Any) -> bytes:
    if not is_uint(sequence, 2**63 - 1) or not is_uint(issued_at, MAX_IAT):
        raise ValueError("sequence and issued_at must be unsigned integers")
    payload = {1: kind, 2: sequence, 3: issued_at, 4: issuer, 5: _point(private_key.public_key()),
               6: _json_bytes(body)}
    return sign1(private_key, {HDR_TYP: DOCUMENT_TYP}, cbor(payload))


def read_document(raw: bytes, pinned_fingerprint: str, *, kind: str) -> Document:
    """Verify a published document against the peer's pinned fingerprint; :class:`Refused` if not."""
    claims = _open(raw, DOCUMENT_TYP, _DOC_LABELS, 5, lambda claims: pinned_fingerprint)
    if claims[1] != kind:
        raise Refused("wrong-kind", f"expected {kind!r}, got {claims[1]!r}")
    if not is_uint(claims[2], 2**63 - 1) or not is_uint(claims[3], MAX_IAT) or type(claims[4]) is not str:
        raise Refused("malformed", "bad sequence, iat or issuer")
    return Document(kind, claims[2], claims[3], claims[4], _json_body(claims[6]))


# --- messages -------------------------------------------------------------------------------

_MSG_LABELS: Final = frozenset(range(1, 9))


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # QUESTION or ANSWER
    kind: str
    nonce: bytes
    issued_at: int
    sender: str
    recipient: str
    body: Any


def sign_message(private_key: ec.EllipticCurvePrivateKey, message: Message) -> bytes:
    if message.role not in (QUESTION, ANSWER) or len(message.nonce) != NONCE_BYTES:
        raise ValueError("bad role or nonce")
    payload = {1: message.role, 2: message.kind, 3: message.nonce, 4: message.issued_at, 5: message.sender,
               6: message.recipient, 7: _point(private_key.public_key()), 8: _json_bytes(message.body)}
    return sign1(private_key, {HDR_TYP: MESSAGE_TYP}, cbor(payload))


def read_message(raw: bytes, pin_for_sender: Callable[[str], str | None]) -> Message:
    """Verify a message; ``pin_for_sender(base_url)`` gives the pinned fingerprint of that sender
    (``None``: not an active peer, refused as ``not-a-peer``)."""
    def pinned(claims: dict) -> str | None:
        sender = claims[5]
        return pin_for_sender(sender) if type(sender) is str else None

    claims = _open(raw, MESSAGE_TYP, _MSG_LABELS, 7, pinned)
    role, kind, nonce, iat, sender, recipient = (claims[i] for i in range(1, 7))
    if role not in (QUESTION, ANSWER) or type(kind) is not str or type(recipient) is not str:
        raise Refused("malformed", "bad role, kind or recipient")
    if type(nonce) is not bytes or len(nonce) != NONCE_BYTES or not is_uint(iat, MAX_IAT):
        raise Refused("malformed", "bad nonce or iat")
    return Message(role, kind, nonce, iat, sender, recipient, _json_body(claims[8]))
