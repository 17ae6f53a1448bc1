"""The focal point directory of a country as a signed JSON document, for partner installations.

Format ``certreg-focalpoints`` version 1 (``GET /api/v1/focal-points/<CC>``)::

    {"format": "certreg-focalpoints", "version": 1, "country": "KZ",
     "document": "<base64url of the payload>", "signature": "<base64url of a tagged COSE_Sign1>"}

The payload is UTF-8 JSON (keys sorted, no spaces)::

    {"country": "KZ", "issued_at": "2026-12-06T10:00:00Z",
     "entries": [{"kind": "ozone_unit" | "customs" | "border_post", "code", "name", "post",
                  "contact_name", "languages", "phone", "email", "hours", "neighbour_country"}, ...]}

The COSE_Sign1 is the certificate tokens' (:mod:`certreg.tokens.cose`: ES256, the country's
signing key, ``kid`` in the protected header, the keys of ``/.well-known/jwks.json``) with
``typ`` ``certreg-focalpoints+json`` and the payload attached. A verifier checks the signature
with the country's key from the JWKS, that the payload's ``country`` is the key's country and
that ``document`` equals the signed payload.
"""

from __future__ import annotations

import json
from typing import Any

from certreg.db import utcnow
from certreg.focalpoints.models import FocalPoint
from certreg.focalpoints.services import FocalPointData, directory
from certreg.keys import services as keys
from certreg.tokens.cose import HDR_TYP, parse_sign1, resolve, sig_structure, sign1, verify_es256
from certreg.tokens.encoding import BadSignature, MalformedToken, WrongIssuer, b64url_decode, b64url_encode
from certreg.tokens.keys import KeyResolver

FORMAT, VERSION, TYP = "certreg-focalpoints", 1, "certreg-focalpoints+json"
ENTRY_FIELDS = ["kind", *(f for f in FocalPointData.__dataclass_fields__ if f != "kind")]


def entry_json(focal_point: FocalPoint) -> dict[str, Any]:
    return {name: (getattr(focal_point, name).value if name == "kind" else getattr(focal_point, name))
            for name in ENTRY_FIELDS}


def payload(country_code: str) -> bytes:
    document = {"country": country_code, "issued_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "entries": [entry_json(f) for f in directory(country_code)]}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_document(country_code: str) -> dict[str, Any]:
    """:raise NotFound: ``no_signing_key`` (the country has no key)."""
    key = keys.active_key(country_code)
    body = payload(country_code)
    return {"format": FORMAT, "version": VERSION, "country": country_code, "document": b64url_encode(body),
            "signature": b64url_encode(sign1(key.private_key, {HDR_TYP: TYP}, body))}


def verify_document(doc: dict[str, Any], resolve_key: KeyResolver) -> dict[str, Any]:
    """The verified payload of a published document. :raise MalformedToken, BadSignature, WrongIssuer:."""
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise MalformedToken("not a certreg-focalpoints v1 document")
    signed = parse_sign1(b64url_decode(doc["signature"]), TYP)
    public_key, country = resolve(resolve_key, signed.kid)
    if not verify_es256(public_key, signed.signature, sig_structure(signed.protected, signed.payload)):
        raise BadSignature("signature does not verify")
    if signed.payload != b64url_decode(doc["document"]):
        raise BadSignature("document differs from the signed payload")
    content = json.loads(signed.payload)
    if country is not None and content.get("country") != country:
        raise WrongIssuer("signed by another country's key")
    return content
