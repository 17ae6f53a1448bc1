"""The focal point directory: who may see and edit it, saving an entry, the CSV import, look-ups.

Every official of every country in the installation sees every country's directory (inspectors
at a border need the other side's contacts); only a country's administrator edits its own.
Services flush, never commit. Codes: ``required``, ``invalid_choice``, ``invalid_email``,
``invalid_country``, ``focal_point_code_taken``, ``focal_point_unknown``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.countries import codes as country_codes
from certreg.db import utcnow
from certreg.errors import FieldError, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.focalpoints.models import FocalKind, FocalPoint
from certreg.registry.models import Country
from certreg.vocabulary import OFFICIAL_ROLES, Role

logger = logging.getLogger(__name__)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
MAX_IMPORT_LINES = 5000


@dataclass
class FocalPointData:
    """An entry as typed on the page, sent to the API or read from a CSV line (all text)."""

    kind: str
    code: str
    name: str
    post: str = ""
    contact_name: str = ""
    languages: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""
    neighbour_country: str = ""


CSV_COLUMNS = ["country", *(f.name for f in fields(FocalPointData))]
LIMITS = {"code": 32, "name": 255, "post": 120, "contact_name": 120, "languages": 64, "phone": 64, "email": 255,
          "hours": 120, "neighbour_country": 2}


def can_view(actor: Actor) -> bool:
    """Officials of any country (and the command line)."""
    return actor.is_system or actor.has_role(*OFFICIAL_ROLES)


def can_manage(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, Role.ADMIN)


def _bad(name: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field(name, message, code)


def _clean(data: FocalPointData, country_code: str) -> dict[str, object]:
    values = {name: (value or "").strip() for name, value in asdict(data).items()}
    try:
        kind = FocalKind(values["kind"])
    except ValueError:
        raise _bad("kind", _("Not a valid choice."), "invalid_choice") from None
    values["code"] = values["code"].upper()
    if not values["code"]:
        raise _bad("code", _("Enter a short code."), "required")
    if not CODE.fullmatch(values["code"]):
        raise _bad("code", _("Use letters, digits, dashes and underscores (at most 32)."), "invalid_code")
    if not values["name"]:
        raise _bad("name", _("Enter the name."), "required")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            raise _bad(name, _("At most %(n)s characters.", n=limit), "too_long")
    if values["email"] and not EMAIL.fullmatch(values["email"]):
        raise _bad("email", _("Enter an e-mail address."), "invalid_email")
    neighbour = values["neighbour_country"].upper()
    if neighbour and (neighbour not in country_codes.iso_codes() or neighbour == country_code):
        raise _bad("neighbour_country", _("Enter another country's two-letter code."), "invalid_country")
    values.update(kind=kind, neighbour_country=neighbour or None)
    return {k: (v if v != "" else None) for k, v in values.items()}


def save(actor: Actor, country_code: str, data: FocalPointData, focal_point: FocalPoint | None = None) -> FocalPoint:
    """Add an entry to the country's directory, or change ``focal_point``. Audited."""
    actor.require(can_manage(actor, country_code))
    values = _clean(data, country_code)
    taken = db.session.scalar(sa.select(FocalPoint.id).where(FocalPoint.country_code == country_code,
                                                             FocalPoint.code == values["code"]))
    if taken is not None and (focal_point is None or taken != focal_point.id):
        raise _bad("code", _("Another entry of this country has this code."), "focal_point_code_taken")
    added = focal_point is None
    if focal_point is None:
        focal_point = FocalPoint(country_code=country_code, **values)
        db.session.add(focal_point)
    else:
        if focal_point.country_code != country_code:
            raise NotFound()
        for name, value in values.items():
            setattr(focal_point, name, value)
        focal_point.updated_at = utcnow()
    db.session.flush()
    summary = audit.msg("Focal point %(code)s: %(name)s", code=focal_point.code, name=focal_point.name)
    after = {k: (v.value if isinstance(v, FocalKind) else v) for k, v in values.items()}
    if added:
        audit.record(actor, "focalpoint.add", focal_point, country_code=country_code, summary=summary, after=after)
    else:
        audit.record(actor, "focalpoint.change", focal_point, country_code=country_code, summary=summary,
                     after=after)
    return focal_point


def remove(actor: Actor, focal_point: FocalPoint) -> None:
    actor.require(can_manage(actor, focal_point.country_code))
    audit.record(actor, "focalpoint.remove", focal_point, country_code=focal_point.country_code,
                 summary=audit.msg("Focal point %(code)s removed", code=focal_point.code))
    db.session.delete(focal_point)
    db.session.flush()


def get(actor: Actor, focal_point_id: int) -> FocalPoint:
    """:raise NotFound: ``focal_point_unknown``."""
    actor.require(can_view(actor))
    found = db.session.get(FocalPoint, focal_point_id)
    if found is None:
        raise NotFound(_("No such focal point."), code="focal_point_unknown")
    return found


def directory(country_code: str | None = None) -> list[FocalPoint]:
    """Entries by country, kind and name (every country when none given): no permission check, for the
    signed public document and the services that already checked."""
    query = sa.select(FocalPoint).order_by(FocalPoint.country_code, FocalPoint.kind, FocalPoint.name)
    if country_code is not None:
        query = query.where(FocalPoint.country_code == country_code)
    return list(db.session.scalars(query))


def listing(actor: Actor, country_code: str | None = None) -> list[FocalPoint]:
    actor.require(can_view(actor))
    return directory(country_code)


def border_posts(country_code: str) -> list[FocalPoint]:
    return [f for f in directory(country_code) if f.kind is FocalKind.BORDER_POST]


def border_post(country_code: str, code: str) -> FocalPoint | None:
    return db.session.scalar(sa.select(FocalPoint).where(
        FocalPoint.country_code == country_code, FocalPoint.kind == FocalKind.BORDER_POST,
        FocalPoint.code == (code or "").strip().upper()))


def counterparts(country_code: str) -> list[FocalPoint]:
    """Whom an inspector contacts in ``country_code``: its ozone unit and customs focal points."""
    return [f for f in directory(country_code) if f.kind is not FocalKind.BORDER_POST]


# --- CSV import ------------------------------------------------------------------------------


def import_csv(actor: Actor, text: str) -> int:
    """Add or change directory entries from CSV (header ``CSV_COLUMNS``): all lines or none.

    :raise ValidationFailed: ``import_refused`` with a ``line N`` field per refused line.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("country", "kind", "code", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise _bad("file", _("Missing columns: %(columns)s.", columns=", ".join(missing)), "missing_columns")
    errors: dict[str, list[FieldError]] = {}
    saved = 0
    for line, row in enumerate(reader, start=2):
        if line > MAX_IMPORT_LINES + 1:
            raise _bad("file", _("At most %(n)s lines.", n=MAX_IMPORT_LINES), "too_many_lines")
        country = (row.get("country") or "").strip().upper()
        data = FocalPointData(**{f.name: row.get(f.name) or "" for f in fields(FocalPointData)})
        try:
            if not country or db.session.get(Country, country) is None:
                raise _bad("country", _("No such country in this installation."), "invalid_country")
            existing = db.session.scalar(sa.select(FocalPoint).where(
                FocalPoint.country_code == country, FocalPoint.code == (data.code or "").strip().upper()))
            with db.session.begin_nested():
                save(actor, country, data, existing)
            saved += 1
        except ValidationFailed as exc:
            problems = exc.fields or {"": [FieldError(exc.message, exc.code)]}
            errors[f"line {line}"] = [FieldError(f"{name}: {e}" if name else str(e), getattr(e, "code", exc.code))
                                      for name, errs in problems.items() for e in errs]
    if errors:
        raise ValidationFailed(_("Nothing was imported: %(n)s lines were refused.", n=len(errors)),
                               code="import_refused", fields=errors)
    return saved
