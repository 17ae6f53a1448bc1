"""What other installations publish, as this installation's own verifiers see it.

Below the features: the certificates, cylinders and keys features merge what is registered here
into the trust list (``/.well-known/jwks.json``) and the status lists they serve, without knowing
where it comes from; :mod:`certreg.federation` registers the peers' last good copies (the app
factory wires it). Every merged entry is marked with its ``origin`` (the peer's base URL) and
``as_of`` (ISO time of the last successful sync), so a verifier can say where a verdict came from
and how old it is.

A source is an object with two methods:

* ``peer_keys() -> list[dict]``: JWKs (``docs/qr-token.md`` section 6) of the peers' countries,
  each with the extra members ``origin`` and ``as_of``;
* ``peer_status_lists(kind) -> dict[str, PeerStatusList]``: by country, the peers' signed status
  list tokens of one kind (``"certificates"``, ``"cylinder-labels"``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PeerStatusList:
    token: str  # base64url COSE_Sign1, signed by the country's key
    origin: str  # the peer installation's base URL
    as_of: str  # ISO 8601 UTC: the last successful sync of this list


class PeerSource(Protocol):
    def peer_keys(self) -> list[dict]: ...

    def peer_status_lists(self, kind: str) -> Mapping[str, PeerStatusList]: ...


_sources: dict[str, PeerSource] = {}


def register(name: str, source: PeerSource) -> None:
    """Add (or replace) a source of peers' keys and status lists (idempotent per name)."""
    _sources[name] = source


def peer_keys(local_countries: set[str]) -> list[dict]:
    """The peers' JWKs, minus any that claims a country this installation signs for itself."""
    seen: set[str] = set()
    found = []
    for source in _sources.values():
        for jwk in source.peer_keys():
            if jwk.get("country") in local_countries or jwk.get("kid") in seen:
                continue
            seen.add(jwk.get("kid"))
            found.append(jwk)
    return found


def peer_status_lists(kind: str, local_countries: set[str]) -> dict[str, PeerStatusList]:
    """The peers' status lists of ``kind`` by country (never for a country signed here)."""
    found: dict[str, PeerStatusList] = {}
    for source in _sources.values():
        for country, entry in source.peer_status_lists(kind).items():
            if country not in local_countries and country not in found:
                found[country] = entry
    return found


def merge_status_document(document: dict, kind: str, local_countries: set[str]) -> dict:
    """``{"status_lists": {...}}`` with the peers' lists of ``kind`` added, and an ``origins`` map
    ``{CC: {"origin", "as_of"}}`` naming where each added list came from (absent if none)."""
    extra = peer_status_lists(kind, local_countries)
    if not extra:
        return document
    lists = dict(document["status_lists"])
    origins = {}
    for country, entry in sorted(extra.items()):
        lists[country] = entry.token
        origins[country] = {"origin": entry.origin, "as_of": entry.as_of}
    return {"status_lists": lists, "origins": origins}
