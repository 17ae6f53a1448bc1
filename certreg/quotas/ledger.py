"""The quota ledger in the country's tamper-evident log: canonical form, sealing, verification.

This docstring is the specification of the canonical form of a quota line, version 1
(``docs/quotas.md`` mirrors it). Allocations and transfers are leaves of the country's Merkle
log, between its logbook entries (:mod:`certreg.logbook.leaves`); a use names the import entry
it counts, which is a leaf, and ``flask logbook verify`` recomputes every use from the entries.

The canonical form is a JSON object serialised as logbook entries are (keys in code-point
order, no whitespace, UTF-8 as itself). Every member is present; an absent value is ``null``:

=====================  ==================================================================
``type``               ``"quota"`` (entries have no such member: no line passes for an entry)
``v``                  integer ``1``
``log``                the country (ISO 3166-1 alpha-2)
``seq``                integer, the line's leaf index in the country's log
``id``                 integer, the line's id
``kind``               ``allocation`` ``transfer_out`` ``transfer_in``
``year``               integer, the quota year
``group``              control group: ``A/I`` ... ``E/I``, or ``F`` (all of Annex F)
``company``            integer id of the importer
``counterpart``        integer id of the other importer of a transfer, else ``null``
``amount``             signed decimal string with twelve decimals, in ``unit``
``unit``               ``odp_t`` or ``co2e_t``
``reason``             text or ``null``
``recorded_at``        UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
``recorded_by``        label of the recording user (e-mail, or ``cli:<name>``)
``recorded_by_user``   integer user id, or ``null``
=====================  ==================================================================

Leaf hash ``SHA-256(0x00 || canonical form)``; MAC as for entries (country, seq, leaf hash
under ``LOGBOOK_MAC_KEY``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask

from certreg.extensions import db
from certreg.logbook import canonical, checkpointing, leaves, ledger
from certreg.logbook.models import Entry, EntryKind, Logbook
from certreg.quotas import usage
from certreg.quotas.models import QuotaLine, QuotaLineKind

LINES = QuotaLine.__table__
VERSION = 1
EXACT = Decimal("1e-12")  # tonnes to 12 decimals: kg (3) x ODP (6) / 1000, exactly


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(values: dict[str, Any]) -> bytes:
    """The canonical form of a sealed line from its column values."""
    kind = values["kind"]
    document = {
        "type": "quota", "v": VERSION, "log": values["country_code"], "seq": values["seq"], "id": values["id"],
        "kind": kind.value if isinstance(kind, QuotaLineKind) else kind, "year": values["year"],
        "group": values["control_group"], "company": values["company_id"],
        "counterpart": values["counterpart_company_id"],
        "amount": str(Decimal(values["amount"]).quantize(EXACT)), "unit": values["unit"], "reason": values["reason"],
        "recorded_at": _time(values["recorded_at"]), "recorded_by": values["recorded_by_label"],
        "recorded_by_user": values["recorded_by_user_id"],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def next_id() -> int:
    """A fresh line id (the id is part of the canonical form, so it is drawn before the insert)."""
    if ledger.dialect() == "postgresql":
        return db.session.scalar(sa.text("SELECT nextval(pg_get_serial_sequence('quota_ledger', 'id'))"))
    # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so MAX(id) + 1 is ours
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(LINES.c.id), 0) + 1))


def append_sealed(head: ledger.Head, values: dict[str, Any]) -> int:
    """Insert an allocation or transfer line as the next leaf of the locked log; returns its id.

    ``values``: every column but ``id``, ``seq``, ``leaf_hash``, ``mac``. The caller saves the head
    (:func:`finish`) after its last line.
    """
    values = {**values, "id": next_id(), "seq": head.size}
    leaf = canonical.leaf_hash(canonical_bytes(values))
    values["leaf_hash"], values["mac"] = leaf, canonical.entry_mac(ledger.mac_key(), head.country_code,
                                                                     values["seq"], leaf)
    db.session.execute(LINES.insert().values(**{**values, "kind": QuotaLineKind(values["kind"]).value}))
    head.frontier.append(leaf)
    return values["id"]


def finish(head: ledger.Head, now: datetime) -> None:
    checkpointing.maybe_checkpoint(head, now)
    ledger.save_head(head, now)


# --- verification -------------------------------------------------------------------------


def _leaves(country_code: str) -> Iterator[leaves.Leaf]:
    query = sa.select(LINES).where(LINES.c.country_code == country_code, LINES.c.seq.is_not(None)) \
        .order_by(LINES.c.seq)
    for row in db.session.execute(query).mappings():
        values = dict(row)
        try:
            leaf = canonical.leaf_hash(canonical_bytes(values))
        except (TypeError, ValueError, ArithmeticError):
            leaf = None
        yield leaves.Leaf(row["seq"], row["id"], leaf, bytes(row["leaf_hash"]), bytes(row["mac"]),
                          f"quota line id {row['id']}")


def _stored_hashes(country_code: str, offset: int, width: int) -> dict[int, bytes]:
    return {seq: bytes(h) for seq, h in db.session.execute(
        sa.select(LINES.c.seq, LINES.c.leaf_hash).where(LINES.c.country_code == country_code,
                                                        LINES.c.seq >= offset, LINES.c.seq < offset + width))}


def check_uses(country_code: str) -> list[tuple[str, str]]:
    """In every year and group where quotas were allocated, the uses equal what the import entries give:
    each counted import of a new substance by a company uses its amount, a reversed one nothing."""
    problems: list[tuple[str, str]] = []
    accounts = db.session.execute(sa.select(LINES.c.year, LINES.c.control_group).distinct().where(
        LINES.c.country_code == country_code, LINES.c.kind == QuotaLineKind.ALLOCATION.value)).all()
    if not accounts:
        return problems
    enforced = {(year, group) for year, group in accounts}
    stored: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for entry_id, group, amount in db.session.execute(
            sa.select(LINES.c.entry_id, LINES.c.control_group, LINES.c.amount).where(
                LINES.c.country_code == country_code, LINES.c.entry_id.is_not(None))):
        stored[(entry_id, group)] += Decimal(amount)
    e = Entry.__table__
    years = sorted({year for year, _ in enforced})
    reversed_ids = set(db.session.scalars(sa.select(e.c.reverses_id).where(
        e.c.country_code == country_code, e.c.reverses_id.is_not(None))))
    expected: dict[tuple[int, str], Decimal] = {}
    for row in db.session.execute(
            sa.select(e.c.id, e.c.operation_date, e.c.substance_code, e.c.quantity, e.c.condition, e.c.exempted_use,
                      Logbook.company_id).join(Logbook, Logbook.id == e.c.logbook_id)
            .where(e.c.country_code == country_code, e.c.kind == EntryKind.IMPORT.value,
                   Logbook.company_id.is_not(None),
                   e.c.operation_date >= datetime(years[0], 1, 1).date(),
                   e.c.operation_date <= datetime(years[-1], 12, 31).date())):
        if not usage.counts(row.condition, row.exempted_use):
            continue
        for group, (_, amount) in usage.amounts(row.substance_code, Decimal(row.quantity)).items():
            if (row.operation_date.year, group) in enforced:
                expected[(row.id, group)] = Decimal(0) if row.id in reversed_ids else -amount
    for key in sorted(set(expected) | {k for k, v in stored.items() if v}):
        want, have = expected.get(key, Decimal(0)), stored.get(key, Decimal(0))
        if want != have:
            entry_id, group = key
            problems.append(("quota_use_mismatch", f"entry id {entry_id}: its {group} quota use is recorded as "
                                                   f"{have}, the entry gives {want}"))
    return problems


def count_earlier_uses(country_code: str, year: int, group: str, now: datetime, label: str,
                       user_id: int | None) -> int:
    """Use lines for the imports of a year recorded before its first allocation of the group (so that
    remaining quota counts them). Returns how many lines were written."""
    e = Entry.__table__
    reversed_ids = sa.select(e.c.reverses_id).where(e.c.country_code == country_code, e.c.reverses_id.is_not(None))
    rows = db.session.execute(
        sa.select(e.c.id, e.c.operation_date, e.c.substance_code, e.c.quantity, e.c.condition, e.c.exempted_use,
                  Logbook.company_id).join(Logbook, Logbook.id == e.c.logbook_id)
        .where(e.c.country_code == country_code, e.c.kind == EntryKind.IMPORT.value, Logbook.company_id.is_not(None),
               e.c.operation_date >= datetime(year, 1, 1).date(), e.c.operation_date <= datetime(year, 12, 31).date(),
               e.c.id.not_in(reversed_ids),
               ~sa.exists().where(LINES.c.entry_id == e.c.id, LINES.c.control_group == group))).all()
    lines = []
    for row in rows:
        if not usage.counts(row.condition, row.exempted_use):
            continue
        uses = [u for u in usage.uses_of(row.company_id, row.operation_date, row.substance_code,
                                         Decimal(row.quantity)) if u.group == group]
        lines += usage.use_rows(country_code, uses, row.id, now, label, user_id)
    usage.write_uses(lines)
    return len(lines)


def register(app: Flask) -> None:
    """Make ``flask logbook verify`` and inclusion proofs see the quota lines (called by the app factory)."""
    leaves.register(app, leaves.LeafSource("quotas", _leaves, _stored_hashes, check_uses))

