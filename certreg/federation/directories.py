"""The peers' focal point directories and licensee lists (their last good copies), for the pages and the API.

The focal points page (:mod:`certreg.focalpoints`) gets the directories through
:func:`certreg.focalpoints.federated.provide` (the app factory wires :func:`peer_focal_points`); the
licensee lists are the federation's own page (``/federation/licensees``) and API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certreg.actors import Actor
from certreg.federation import publishing
from certreg.federation.models import Peer
from certreg.federation.peers import can_ask
from certreg.federation.syncing import active_documents
from certreg.focalpoints.federated import PeerDirectory
from certreg.keys import services as keys


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def peer_focal_points() -> list[PeerDirectory]:
    """Every active peer's focal point directories, by peer then country."""
    found = []
    for peer, document in active_documents(publishing.FOCAL_POINTS):
        for country, entries in sorted(document.body.get("countries", {}).items()):
            found.append(PeerDirectory(peer.name, peer.base_url, document.checked_at, country, entries))
    return found


@dataclass(frozen=True)
class PeerLicensees:
    """One peer's list of licensed importers and exporters, as last synced."""

    peer: Peer
    as_of: datetime  # when the peer last confirmed its copy
    sequence: int
    countries: dict[str, list[dict[str, Any]]]

    def json(self) -> dict[str, Any]:
        return {"peer_id": self.peer.id, "origin": self.peer.name, "origin_url": self.peer.base_url,
                "as_of": iso(self.as_of), "sequence": self.sequence, "countries": self.countries}


def licensee_lists(actor: Actor) -> list[PeerLicensees]:
    """The active peers' licensee lists (officials only), never for a country signed for here."""
    actor.require(can_ask(actor))
    local = keys.local_countries()
    return [PeerLicensees(peer, document.checked_at, document.sequence,
                          {c: e for c, e in sorted(document.body.get("countries", {}).items()) if c not in local})
            for peer, document in active_documents(publishing.LICENSEES)]
