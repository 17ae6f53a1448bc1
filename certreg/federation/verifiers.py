"""The peers' last good copies as this installation's own verifiers see them: their countries' keys
in ``/.well-known/jwks.json`` and their status lists in ``/api/v1/status-list`` (and the label
status lists), each marked with its origin and "as of" (:mod:`certreg.tokens.peers`)."""

from __future__ import annotations

from collections.abc import Mapping

from certreg.federation import publishing
from certreg.federation.syncing import active_documents
from certreg.tokens.peers import PeerStatusList


def _as_of(document) -> str:
    return document.checked_at.isoformat().replace("+00:00", "Z")


class SyncedPeers:
    """A :class:`certreg.tokens.peers.PeerSource` over the synced copies (read at each call)."""

    def peer_keys(self) -> list[dict]:
        keys = []
        for peer, document in active_documents(publishing.TRUST_LIST):
            for jwk in document.body.get("keys", []):
                keys.append({**jwk, "origin": peer.name, "origin_url": peer.base_url, "as_of": _as_of(document)})
        return keys

    def peer_status_lists(self, kind: str) -> Mapping[str, PeerStatusList]:
        found: dict[str, PeerStatusList] = {}
        for peer, document in active_documents(publishing.STATUS_PREFIX + kind):
            for country, token in document.body.get("status_lists", {}).items():
                found.setdefault(country, PeerStatusList(token, peer.name, _as_of(document)))
        return found
