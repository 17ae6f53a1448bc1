"""Cylinder events as leaves of the country's tamper-evident log, version 1.

This docstring is the specification (``docs/cylinders.md`` mirrors it).

Every :class:`~certreg.cylinders.models.CylinderEvent` takes the next position (``seq``) of
its country's Merkle log, the same log, positions and signed checkpoints as the logbook
entries (``certreg.logbook.ledger``): the log is one sequence of leaves, each either an
entry or a cylinder event. Its canonical form is a JSON object serialised exactly as an
entry's (keys in ascending code-point order, no insignificant whitespace, UTF-8, non-ASCII
as itself); every member is always present, an absent value is ``null``:

=================  ===================================================================
``v``              integer ``1``
``record``         ``"cylinder_event"`` (an entry's canonical form has no ``record``
                   member, so the two can never be taken for each other)
``log``            the country (ISO 3166-1 alpha-2)
``seq``            integer, the leaf index in the country's log
``cylinder``       integer id of the cylinder
``serial``         the cylinder's national serial (events are recorded on registered
                   cylinders only)
``kind``           ``register`` ``fill`` ``charge`` ``recovery`` ``transfer`` ``return``
                   ``reclaim`` ``destroy`` ``lost`` ``found`` ``reversal`` ``seize`` ``suspect`` (inspections)
``kg``             change of contents, kilograms, three decimals (``"-1.500"``)
``net_kg_after``   contents after the event, kilograms, three decimals
``substance``      catalogue code of the contents, or ``null``
``condition``      ``virgin`` ``recovered`` ``recycled`` ``reclaimed`` ``for_destruction``
                   or ``null``
``to``             the new custodian, ``company:ID`` / ``technician:ID``, or ``null``
``entry``          integer id of the logbook entry that caused the event, or ``null``
``at``             UTC time, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
``by``             label of the acting user
``by_user``        integer user id, or ``null``
``note``           text or ``null``
=================  ===================================================================

Leaf hash ``SHA-256(0x00 || canonical form)`` and MAC exactly as an entry's
(``certreg.logbook.canonical``: ``HMAC-SHA256(LOGBOOK_MAC_KEY, "certreg-logbook-mac-v1" ||
0x00 || log || 0x00 || seq || leaf hash)``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa

from certreg.cylinders.models import Cylinder, CylinderEvent
from certreg.extensions import db
from certreg.logbook import canonical, checkpointing, ledger
from certreg.logbook.ledger import Head

RECORD = "cylinder_event"


def _kg(value: Any) -> str:
    return canonical.kilograms_text(Decimal(value))


def _text(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def document(values: Mapping[str, Any], serial: str | None) -> dict[str, Any]:
    """The canonical object of an event from its column values (by column name)."""
    at = values["at"]
    if at.tzinfo is None:  # SQLite returns what was stored in UTC
        at = at.replace(tzinfo=UTC)
    to = (f"company:{values['to_company_id']}" if values["to_company_id"] is not None
          else f"technician:{values['to_technician_id']}" if values["to_technician_id"] is not None else None)
    doc = {
        "v": 1, "record": RECORD, "log": values["country_code"], "seq": values["seq"],
        "cylinder": values["cylinder_id"], "serial": serial, "kind": _text(values["kind"]),
        "kg": _kg(values["kg"]), "net_kg_after": _kg(values["net_kg_after"]),
        "substance": values["substance_code"], "condition": _text(values["condition"]), "to": to,
        "entry": values["entry_id"], "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "by": values["actor_label"], "by_user": values["actor_user_id"], "note": values["note"],
    }
    return dict(sorted(doc.items()))


def canonical_bytes(values: Mapping[str, Any], serial: str | None) -> bytes:
    return canonical.serialize(document(values, serial))


def append(head: Head, values: dict[str, Any], serial: str | None) -> CylinderEvent:
    """Give the event ``values`` (every column but ``id``, ``seq``, ``leaf_hash``, ``mac``) the locked log's next
    position, seal and insert it."""
    values = dict(values, country_code=head.country_code, seq=head.size)
    leaf = canonical.leaf_hash(canonical_bytes(values, serial))
    values["leaf_hash"] = leaf
    values["mac"] = canonical.entry_mac(ledger.mac_key(), head.country_code, values["seq"], leaf)
    event = CylinderEvent(**values)
    db.session.add(event)
    db.session.flush()
    head.frontier.append(leaf)
    return event


def lock(country_code: str) -> Head:
    """Lock the country's log for this transaction (before any cylinder row: one lock order everywhere)."""
    return ledger.lock_head(country_code)


def save(head: Head, now: datetime) -> None:
    """Write the log head (and sign a checkpoint when one is due) after the events of a transaction."""
    checkpointing.maybe_checkpoint(head, now)
    ledger.save_head(head, now)


def verify_rows(rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, bytes, bytes, bytes, str]]:
    """``(seq, recomputed leaf, stored leaf, mac, label)`` of stored event rows, for ``flask logbook verify``."""
    cylinders = Cylinder.__table__
    ids = {r["cylinder_id"] for r in rows}
    serials = dict(db.session.execute(sa.select(cylinders.c.id, cylinders.c.serial)
                                      .where(cylinders.c.id.in_(ids))).all()) if ids else {}
    for row in rows:
        serial = serials.get(row["cylinder_id"])
        label = f"cylinder event id {row['id']} ({row['kind']} of cylinder {serial or row['cylinder_id']})"
        if row["seq"] is None or row["leaf_hash"] is None or row["mac"] is None:
            yield -1, b"", b"", b"", label
            continue
        try:
            leaf = canonical.leaf_hash(canonical_bytes(row, serial))
        except (TypeError, ValueError, AttributeError):
            leaf = b""
        yield row["seq"], leaf, bytes(row["leaf_hash"]), bytes(row["mac"]), label
