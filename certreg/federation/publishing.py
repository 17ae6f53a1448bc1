"""What this installation publishes to its peers: signed documents at ``/.well-known/certreg/<kind>``.

Each kind is built from the feature that owns the data (the trust list from the keys, the status
lists from certificates and cylinders, ...) and signed with the federation key
(:mod:`certreg.federation.wire`). A document's **sequence** grows by one whenever what it says
changes (not when only its signatures' times do), and an unchanged status document is re-signed
after ``FEDERATION_REPUBLISH_SECONDS`` so that the peers' "as of" stays recent. Its ETag is
``"<kind>.<sequence>"``: a peer that has it gets ``304 Not Modified``.

More kinds plug in with :func:`register_status_list` (as the licences' status lists do) or
:func:`register_document` (as the focal point directories and the licensee lists do).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from certreg.certificates import trust as certificate_trust
from certreg.cylinders import labelling
from certreg.cylinders.token import LABEL_STATUS_LIST_TYP
from certreg.db import utcnow
from certreg.extensions import db
from certreg.federation import wire
from certreg.federation.identity import own_base_url, private_key
from certreg.federation.models import Publication
from certreg.focalpoints import federated as focal_points
from certreg.keys import services as keys
from certreg.licences import documents as licence_documents
from certreg.licences import licensees
from certreg.licences.token import LICENCE_STATUS_LIST_TYP
from certreg.tokens.cose import parse_sign1
from certreg.tokens.encoding import b64url_decode, cbor_strict_loads
from certreg.tokens.status_list import SL_CLAIM_STATUS_LIST, STATUS_LIST_TYP

TRUST_LIST = "trust-list"
FOCAL_POINTS = "focal-points"  # the focal point directories of the installation's countries
LICENSEES = "licensees"  # their licensed importers and exporters (for iPIC)
STATUS_PREFIX = "status/"


@dataclass(frozen=True)
class DocumentKind:
    """One kind of published document."""

    name: str  # the URL's last part(s): "trust-list", "status/certificates"
    build: Callable[[], Any]  # the body (JSON)
    content: Callable[[Any], Any]  # what decides "changed" (JSON-able)
    status_kind: str | None = None  # for status lists: the kind in certreg.tokens.peers
    status_typ: str | None = None  # ... and the COSE typ its country-signed tokens carry
    #: For lists of the peer's countries: ``check(body, countries)`` raises ``ValueError`` if the body does
    #: not hold together or names a country outside the peer's trust list.
    check: Callable[[Any, set[str]], None] | None = None


_KINDS: dict[str, DocumentKind] = {}


def register_document(kind: DocumentKind) -> None:
    _KINDS[kind.name] = kind


def _status_content(typ: str) -> Callable[[Any], Any]:
    def content(body: dict) -> Any:
        """Country -> the signing key, the list's bits and bytes: the same statuses re-signed later by the
        same key are no change (a new key is: the old one may leave the trust list)."""
        found = {}
        for country, token in body["status_lists"].items():
            signed = parse_sign1(b64url_decode(token), typ=typ)
            status = cbor_strict_loads(signed.payload, max_depth=2)[SL_CLAIM_STATUS_LIST]
            found[country] = [signed.kid.hex(), status["bits"], status["lst"].hex()]
        return found
    return content


def register_status_list(kind: str, own_document: Callable[[], dict], typ: str) -> None:
    """Publish a kind of status list: ``own_document()`` gives ``{"status_lists": {CC: token}}`` of this
    installation's own countries, each token a status list signed by the country with COSE ``typ``."""
    register_document(DocumentKind(STATUS_PREFIX + kind, own_document, _status_content(typ), kind, typ))


register_document(DocumentKind(TRUST_LIST, lambda: keys.own_jwks_document(), lambda body: body))
register_status_list(certificate_trust.STATUS_KIND, certificate_trust.own_status_list_document, STATUS_LIST_TYP)
register_status_list(labelling.STATUS_KIND, labelling.own_status_list_document, LABEL_STATUS_LIST_TYP)
register_status_list(licence_documents.STATUS_KIND, licence_documents.own_status_list_document,
                     LICENCE_STATUS_LIST_TYP)
register_document(DocumentKind(FOCAL_POINTS, focal_points.own_directory_document, lambda body: body,
                               check=focal_points.check_document))
register_document(DocumentKind(LICENSEES, licensees.own_licensee_document, lambda body: body,
                               check=licensees.check_document))


def kinds() -> list[DocumentKind]:
    """Every published kind, the trust list first (peers need its keys to check the status lists)."""
    return sorted(_KINDS.values(), key=lambda k: (k.name != TRUST_LIST, k.name))


def kind(name: str) -> DocumentKind | None:
    return _KINDS.get(name)


def _digest(content: Any) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def etag(publication: Publication) -> str:
    return f'"{publication.kind}.{publication.sequence}"'


def current(name: str) -> Publication:
    """The current signed document of kind ``name``, re-signed with sequence + 1 if its content
    changed (or it is older than ``FEDERATION_REPUBLISH_SECONDS``). Flushes; the caller commits."""
    doc_kind = _KINDS[name]
    body = doc_kind.build()
    digest = _digest(doc_kind.content(body))
    now = utcnow()
    refresh = timedelta(seconds=current_app.config["FEDERATION_REPUBLISH_SECONDS"])
    row = db.session.scalar(sa.select(Publication).where(Publication.kind == name).with_for_update())
    if row is not None and row.content_hash == digest and now - row.issued_at < refresh:
        return row
    sequence = (row.sequence if row is not None else 0) + 1
    signed = wire.sign_document(private_key(), kind=name, sequence=sequence, issued_at=int(now.timestamp()),
                                issuer=own_base_url(), body=body)
    if row is None:
        row = Publication(kind=name, sequence=sequence, content_hash=digest, issued_at=now, signed=signed)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # another worker published the first one at the same moment
            return db.session.scalar(sa.select(Publication).where(Publication.kind == name))
    else:
        row.sequence, row.content_hash, row.issued_at, row.signed = sequence, digest, now, signed
    db.session.flush()
    return row
