"""Leaves of a country's log that are not logbook entries (e.g. quota ledger lines).

Another feature may append records of its own to a country's log: under the log head's lock
(:func:`certreg.logbook.ledger.lock_head`) it takes ``seq = head.size``, seals the record's
canonical form as entries are sealed (leaf hash ``SHA-256(0x00 || form)``, MAC over country,
seq and leaf hash), appends the leaf to the head's frontier and saves the head. It registers a
:class:`LeafSource` with the app (the app factory) so that ``flask logbook verify`` and inclusion proofs see its
leaves between the entries. Its canonical form must be a JSON object with a ``"type"`` member
(entries have none), so that no record can pass for an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from flask import Flask, current_app


class Leaf(NamedTuple):  # a tuple: verify builds one per entry
    seq: int
    record_id: int
    leaf: bytes | None  # recomputed from the record's content; None if it could not be read
    stored: bytes  # the leaf hash recorded with it
    mac: bytes
    label: str  # what the record is, for problems ("quota line 12")


@dataclass(frozen=True)
class LeafSource:
    name: str
    #: every leaf of the country's log held by this source, in ``seq`` order
    leaves: Callable[[str], Iterable[Leaf]]
    #: ``(country, first seq, width)`` -> the stored leaf hashes in that range, by seq
    stored_hashes: Callable[[str, int, int], dict[int, bytes]]
    #: ``country`` -> further problems ``(code, message)`` of the records that are derived from entries
    check: Callable[[str], list[tuple[str, str]]] | None = None


_KEY = "certreg.log_leaf_sources"


def register(app: Flask, source: LeafSource) -> None:
    """Add (or replace) a source of leaves to the app (one per name)."""
    app.extensions.setdefault(_KEY, {})[source.name] = source


def sources() -> list[LeafSource]:
    return list(current_app.extensions.get(_KEY, {}).values())
