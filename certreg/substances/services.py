"""Look up and search the substance catalogue; keep the database in step with the data files."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.errors import NotFound, ValidationFailed
from certreg.extensions import db
from certreg.substances.catalogue import Catalogue, normalize
from certreg.substances.models import Substance, SubstanceComponent
from certreg.substances.rows import catalogue_rows

logger = logging.getLogger(__name__)

ANNEX_AB = frozenset({"A", "B"})


def get(code: str) -> Substance:
    """The substance with this code, or whose code or ASHRAE number matches ignoring case, spaces, hyphens.

    :raise NotFound: nothing matches.
    """
    substance = db.session.get(Substance, code) if code else None
    if substance is None and code:
        key = normalize(code)
        for candidate in _all():
            if key and key in (normalize(candidate.code), normalize(candidate.ashrae or "")):
                return candidate
    if substance is None:
        raise NotFound(_("Unknown substance."), code="unknown_substance")
    return substance


_annexes_cache: dict[str, tuple[float, tuple[str, frozenset[str], frozenset[str]]]] = {}
ANNEXES_CACHE_SECONDS = 600  # treaty data: a code's annexes do not change between catalogue loads
_COMPONENT = aliased(Substance)
_GROUPS = (sa.select(Substance.code, Substance.annexes, _COMPONENT.annex, _COMPONENT.group)
           .outerjoin(SubstanceComponent, SubstanceComponent.substance_code == Substance.code)
           .outerjoin(_COMPONENT, sa.and_(_COMPONENT.code == SubstanceComponent.component_code,
                                          _COMPONENT.annex.is_not(None)))
           .where(Substance.code == sa.bindparam("code")))


def annexes_of(code: str) -> tuple[str, frozenset[str], frozenset[str]] | None:
    """``(code, annexes, control groups)`` of the entry with exactly this code (None if none); control
    groups (``"A/I"``, ``"C/III"``) are those of its controlled components. Cached per process."""
    now = time.monotonic()
    hit = _annexes_cache.get(code)
    if hit is not None and now - hit[0] < ANNEXES_CACHE_SECONDS:
        return hit[1]
    rows = db.session.execute(_GROUPS, {"code": code}).all()
    if not rows:
        return None
    value = (rows[0].code, frozenset(a for a in rows[0].annexes.split(",") if a),
             frozenset(f"{r.annex}/{r.group}" for r in rows if r.annex and r.group))
    _annexes_cache[code] = (now, value)
    return value


def resolve(code: str, *, field: str = "substance") -> Substance:
    """Like :func:`get`, but an unknown code is a field error (for forms, the API and imports)."""
    try:
        return get(code)
    except NotFound:
        raise ValidationFailed.for_field(
            field, _("Unknown substance: use a code, ASHRAE number or name from the catalogue."), "unknown_substance"
        ) from None


def check_query(q: str) -> None:
    if len(q) > 64:
        raise ValidationFailed.for_field("q", _("At most 64 characters."), "too_long")


def _all() -> list[Substance]:
    return list(db.session.scalars(sa.select(Substance).order_by(Substance.position)))


def all_substances() -> list[Substance]:
    return _all()


def search(text: str, *, limit: int = 50) -> list[Substance]:
    """Entries whose code, ASHRAE number, name, formula or any alias matches ``text``.

    Case, spaces and hyphens are ignored (``r 404a`` finds R-404A). Ranked as the
    catalogue ranks: exact code or ASHRAE number, exact other name, prefix, substring.
    """
    query = normalize(text or "")
    if not query:
        return []
    needle = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    candidates = db.session.scalars(
        sa.select(Substance).where(Substance.search_key.like(needle, escape="\\")).order_by(Substance.position)
    ).all()
    ranked = []
    for candidate in candidates:
        primary = {normalize(candidate.code), normalize(candidate.ashrae or "")} - {""}
        keys = [k for k in candidate.search_key.split("\n") if k]
        if query in primary:
            rank = 0
        elif query in keys:
            rank = 1
        elif any(k.startswith(query) for k in keys):
            rank = 2
        else:
            rank = 3
        ranked.append((rank, candidate.position, candidate))
    ranked.sort(key=lambda item: item[:2])
    return [c for _, _, c in ranked[:limit]]


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    not_in_files: list[str]


_COMPARED = ("is_blend", "name", "ashrae", "formula", "annex", "group", "annexes", "odp", "gwp", "annex_f_gwp",
             "controlled", "hs_code", "aliases", "search_key", "position")


def _same(a: object, b: object) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a is not None and b is not None and Decimal(a) == Decimal(b)
    return a == b


def load_catalogue(actor: Actor, catalogue: Catalogue | None = None) -> LoadResult:
    """Insert new entries and update changed ones from the data files (idempotent).

    Entries are never deleted (logbooks refer to them); codes no longer in the files are reported.
    """
    actor.require(actor.is_system)
    substance_rows, component_rows = catalogue_rows(catalogue)
    existing = {s.code: s for s in _all()}
    created = updated = unchanged = 0
    for row in substance_rows:
        current = existing.get(row["code"])
        if current is None:
            db.session.add(Substance(**row))
            created += 1
        elif all(_same(getattr(current, name), row[name]) for name in _COMPARED):
            unchanged += 1
        else:
            before = audit.snapshot(current, list(_COMPARED))
            for name in _COMPARED:
                setattr(current, name, row[name])
            updated += 1
            audit.record(actor, "substance.update", current, object_id=current.code,
                         summary=audit.msg("Catalogue: %(code)s", code=current.code),
                         before=before, after=audit.snapshot(current, list(_COMPARED)))
    db.session.flush()
    wanted = {(r["substance_code"], r["component_code"]): r for r in component_rows}
    stored = {(c.substance_code, c.component_code): c for c in db.session.scalars(sa.select(SubstanceComponent))}
    for key, row in wanted.items():
        current = stored.get(key)
        if current is None:
            db.session.add(SubstanceComponent(**row))
        elif not (_same(current.mass_fraction, row["mass_fraction"]) and current.position == row["position"]):
            current.mass_fraction, current.position = row["mass_fraction"], row["position"]
    for key, current in stored.items():
        if key not in wanted and key[0] in {r["code"] for r in substance_rows}:
            db.session.delete(current)
    db.session.flush()
    _annexes_cache.clear()
    if created:
        audit.record(actor, "substance.load", object_type="substance",
                     summary=audit.msg("Catalogue: %(count)s new entries", count=created))
    missing = sorted(set(existing) - {r["code"] for r in substance_rows})
    logger.info("substance catalogue: %s created, %s updated, %s unchanged", created, updated, unchanged)
    return LoadResult(created, updated, unchanged, missing)
