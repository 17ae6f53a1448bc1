"""Signed checkpoints of a country's logbook Merkle log, format version 1.

This docstring is the specification (``docs/logbook.md`` mirrors it, with an example).

A checkpoint is a UTF-8 text in the style of a Certificate Transparency "signed tree
head" written as a signed note (the C2SP ``tlog-checkpoint`` layout), signed with the
country's national ES256 key (the key that signs its certificates; published in the JWKS
trust list at ``/.well-known/jwks.json``)::

    certreg.example.org/logbook/KG
    10250
    3q2+7w4sO8m9hZ0nqX8xkq1m2bG0dW8V7sQ2dYk8a1E=
    time 2026-11-26T10:00:00Z

    — certreg.example.org/logbook/KG KG a2lkOGJ5dGU MEUCIQ...

The **body** is every line up to and including the first empty line's preceding newline:

1. the *origin*: ``{host of PUBLIC_BASE_URL}/logbook/{country}``, naming the log;
2. the tree size, a decimal integer without leading zeros (``0`` for the empty log);
3. the root hash (RFC 9162, SHA-256), standard base64 with padding (44 characters);
4. ``time `` followed by the UTC signing time, ``YYYY-MM-DDTHH:MM:SSZ``.

Each line ends with a single ``\\n``. Then comes an empty line, then one signature line:
``— `` (U+2014 EM DASH and a space), the origin, a space, the country code, a space, the
key's JWKS ``kid`` (base64url of the 8 kid bytes), a space, and the base64url (no
padding) of the 64-byte ES256 signature ``r || s`` over the body bytes (ECDSA P-256 with
SHA-256), then ``\\n``.

To verify: split at the first ``\\n\\n``; the body is the part before it plus one
``\\n``; find the JWKS key with that ``kid`` whose ``country`` member is the country on the
signature line; check the signature over the body; check that the origin on the signature
line equals the body's first line. The layout follows the signed-note convention, but the
signature line carries certreg's ES256 kid, so generic C2SP note verifiers (Ed25519) do
not apply.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

DASH = "\u2014"
_BODY_RE = re.compile(
    r"(?P<origin>[!-~]{1,200})\n(?P<size>0|[1-9][0-9]{0,18})\n(?P<root>[A-Za-z0-9+/]{43}=)\n"
    r"time (?P<time>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)\n",
    re.ASCII,
)
_SIG_RE = re.compile(
    DASH + r" (?P<origin>[!-~]{1,200}) (?P<country>[A-Z]{2}) (?P<kid>[A-Za-z0-9_-]{11}) (?P<sig>[A-Za-z0-9_-]{86})\n",
    re.ASCII,
)


class CheckpointError(ValueError):
    """Malformed checkpoint text, or a signature that does not verify."""


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    tree_size: int
    root_hash: bytes
    signed_at: datetime

    def text(self) -> str:
        return (f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode('ascii')}\n"
                f"time {self.signed_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}\n")


@dataclass(frozen=True)
class SignedCheckpoint:
    body: CheckpointBody
    country_code: str
    kid: str
    signature: bytes  # r || s, 64 bytes

    def text(self) -> str:
        sig = base64.urlsafe_b64encode(self.signature).decode("ascii").rstrip("=")
        return f"{self.body.text()}\n{DASH} {self.body.origin} {self.country_code} {self.kid} {sig}\n"


def origin_for(public_base_url: str, country_code: str) -> str:
    host = re.sub(r"^[a-z]+://", "", public_base_url.rstrip("/"), flags=re.IGNORECASE)
    return f"{host}/logbook/{country_code}"


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(body: CheckpointBody, country_code: str, kid: str,
         private_key: ec.EllipticCurvePrivateKey) -> SignedCheckpoint:
    """Sign ``body`` with ES256 (the signature in fixed-length ``r || s`` form)."""
    der = private_key.sign(body.text().encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return SignedCheckpoint(body, country_code, kid, r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def parse(text: str) -> SignedCheckpoint:
    """Parse a checkpoint (does not check the signature).

    :raise CheckpointError: anything not exactly in the format.
    """
    head, sep, tail = text.partition("\n\n")
    if not sep:
        raise CheckpointError("no empty line between body and signature")
    body_text = head + "\n"
    match = _BODY_RE.fullmatch(body_text)
    sig_match = _SIG_RE.fullmatch(tail)
    if match is None or sig_match is None:
        raise CheckpointError("not a certreg checkpoint v1")
    if sig_match["origin"] != match["origin"]:
        raise CheckpointError("the signature line names another log")
    try:
        root = base64.b64decode(match["root"], validate=True)
        signature = _b64url_decode(sig_match["sig"])
    except (binascii.Error, ValueError):
        raise CheckpointError("bad base64") from None
    signed_at = datetime.strptime(match["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    body = CheckpointBody(match["origin"], int(match["size"]), root, signed_at)
    if body.text() != body_text or len(root) != 32 or len(signature) != 64:
        raise CheckpointError("not in canonical form")
    return SignedCheckpoint(body, sig_match["country"], sig_match["kid"], signature)


def verify(checkpoint: SignedCheckpoint, public_key: ec.EllipticCurvePublicKey) -> None:
    """:raise CheckpointError: the signature does not verify under ``public_key``."""
    r = int.from_bytes(checkpoint.signature[:32], "big")
    s = int.from_bytes(checkpoint.signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), checkpoint.body.text().encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise CheckpointError("signature does not verify") from None
