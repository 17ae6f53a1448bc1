"""The focal point directory across federated installations.

What this installation publishes to its peers (:func:`own_directory_document`, wrapped in a signed
federation document of kind ``focal-points`` by :mod:`certreg.federation.publishing`), how a peer's copy
is checked (:func:`check_document`), and the peers' last good copies as the focal points page shows them
(:func:`peer_directories`, given by the app factory with :func:`provide`: the federation sits above this
feature).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from certreg.focalpoints.models import FocalKind
from certreg.focalpoints.publication import ENTRY_FIELDS, entry_json
from certreg.focalpoints.services import directory
from certreg.keys import services as keys

_KEY = "certreg_peer_focal_points"
_KINDS = {kind.value for kind in FocalKind}


@dataclass(frozen=True)
class PeerDirectory:
    """One country's directory as a peer installation last published it."""

    origin: str  # the peer's name
    origin_url: str
    as_of: datetime  # when the peer last confirmed its copy
    country: str
    entries: list[dict[str, Any]]


def own_directory_document() -> dict[str, Any]:
    """``{"countries": {CC: [entry, ...]}}`` for every country signed for here (active key)."""
    countries = sorted(keys.local_countries())
    found: dict[str, list[dict[str, Any]]] = {country: [] for country in countries}
    for focal_point in directory():
        if focal_point.country_code in found:
            found[focal_point.country_code].append(entry_json(focal_point))
    return {"countries": found}


def check_document(body: Any, countries: set[str]) -> None:
    """A peer's directory holds together: only its own countries, entries with every field.

    :raise ValueError: with what is wrong.
    """
    listed = body.get("countries") if isinstance(body, dict) else None
    if not isinstance(listed, dict):
        raise ValueError("no countries")
    for country, entries in listed.items():
        if country not in countries:
            raise ValueError(f"focal points of {country!r}, not a country of the peer's trust list")
        if not isinstance(entries, list):
            raise ValueError(f"focal points of {country}: not a list")
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != set(ENTRY_FIELDS) or entry["kind"] not in _KINDS:
                raise ValueError(f"focal points of {country}: a malformed entry")
            if not all(entry[f] is None or isinstance(entry[f], str) for f in ENTRY_FIELDS):
                raise ValueError(f"focal points of {country}: a malformed entry")


def provide(app: Flask, source: Callable[[], list[PeerDirectory]]) -> None:
    """Where the peers' directories come from (the federation's synced copies)."""
    app.extensions[_KEY] = source


def peer_directories(local_countries: set[str]) -> list[PeerDirectory]:
    """The peers' directories, never one for a country this installation has itself."""
    source = current_app.extensions.get(_KEY)
    if source is None:
        return []
    return [d for d in source() if d.country not in local_countries]
