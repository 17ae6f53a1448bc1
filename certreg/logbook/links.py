"""Other records that share a country's log with the entries, and what an entry does to them.

The country's Merkle log (:mod:`.ledger`) holds the logbook entries and, in the same sequence
of positions, the leaves of other features (the cylinders' custody events, ``certreg.cylinders``).
The logbook does not import those features (they stand on it); each installs itself here once
(``create_app``) as a :class:`Link`:

* ``check(who, draft, counterpart, cache)`` runs inside :func:`.recording.check_entry`, under
  the log lock, for every entry on every surface, and raises ``ValidationFailed`` with the
  rule's code; it returns a plan (or ``None``: nothing to do);
* ``check_reversal(who, entry_id)``: the same for a reversal of the entry ``entry_id``;
* ``record_many(actor, head, [(plan, entry), ...], now)`` runs after the entries are appended
  (same transaction, same locked head) and appends the feature's own leaves;
* ``rows_ahead(plans, now, seen)`` takes out of the plans what ``record_many`` would write that refers to
  no entry, as ``(table, rows)``: the CSV import writes those beside its entries' chunks;
* ``table``: the feature's leaf table (``country_code``, ``seq``, ``leaf_hash``, ``mac``);
  ``verify_rows(rows)`` yields ``(seq, recomputed leaf, stored leaf, mac, label)`` for
  :mod:`.verify`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa


class Link(Protocol):
    table: sa.Table
    name: str

    def check(self, who: Any, draft: Any, counterpart: bool, cache: dict[Any, Any] | None) -> Any: ...

    def check_reversal(self, who: Any, entry_id: int) -> Any: ...

    def record_many(self, actor: Any, head: Any, items: Sequence[tuple[Any, Mapping[str, Any]]],
                    now: datetime) -> None: ...

    def rows_ahead(self, plans: Sequence[Any], now: datetime, seen: set[Any]) -> tuple[sa.Table, list[dict]]: ...

    def verify_rows(self, rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, bytes, bytes, bytes, str]]: ...


LINKS: dict[str, Link] = {}


def install(link: Link) -> None:
    LINKS[link.name] = link


def links() -> list[Link]:
    return list(LINKS.values())


def leaf_tables() -> list[sa.Table]:
    return [link.table for link in LINKS.values()]


def check(who: Any, draft: Any, counterpart: bool, cache: dict[Any, Any] | None) -> dict[str, Any]:
    """Every link's plan for this entry (raises a link's refusal)."""
    plans = {}
    for link in LINKS.values():
        plan = link.check(who, draft, counterpart, cache)
        if plan is not None:
            plans[link.name] = plan
    return plans


def check_reversal(who: Any, entry_id: int) -> dict[str, Any]:
    plans = {}
    for link in LINKS.values():
        plan = link.check_reversal(who, entry_id)
        if plan is not None:
            plans[link.name] = plan
    return plans


def record(actor: Any, head: Any, items: Sequence[tuple[dict[str, Any], Mapping[str, Any]]], now: datetime) -> None:
    """Record the plans of entries just appended (``[(plans, entry values), ...]``, in log order)."""
    for name, link in LINKS.items():
        mine = [(plans[name], entry) for plans, entry in items if name in plans]
        if mine:
            link.record_many(actor, head, mine, now)


def rows_ahead(plans: dict[str, Any], now: datetime,
               seen: dict[str, set[Any]]) -> Iterator[tuple[sa.Table, list[dict]]]:
    """What one entry's ``plans`` would have :func:`record` write that refers to no entry (so it may be written
    before the entry is), taken out of the plans: ``(table, rows)`` per link with rows. ``seen``: per link, what
    it gave already in this batch (each row is given once)."""
    for name, plan in plans.items():
        table, rows = LINKS[name].rows_ahead([plan], now, seen.setdefault(name, set()))
        if rows:
            yield table, rows
