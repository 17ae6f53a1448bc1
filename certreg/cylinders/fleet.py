"""Registering a fleet from CSV: all or nothing, with the errors of every line.

Columns (header row, UTF-8, comma-separated): ``owner_company_id, kind, water_capacity_l,
tare_kg`` required; ``manufacturer, stamp_number, grai, test_due, substance, net_kg,
condition, batch, origin_country`` optional (contents only when ``substance`` is given).
Every line goes through :func:`certreg.cylinders.registration.register`, the same path as the
page, the API and the CLI.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderKind
from certreg.cylinders.registration import RegisterData, register
from certreg.errors import CertregError, FieldError, ValidationFailed
from certreg.extensions import db

REQUIRED = ("owner_company_id", "kind", "water_capacity_l", "tare_kg")
MAX_LINES = 10_000


def _row_data(row: dict[str, str]) -> RegisterData:
    try:
        contents = None
        if row.get("substance"):
            contents = FillData(row["substance"], Decimal(row.get("net_kg") or "0"),
                                ContentCondition(row.get("condition") or "virgin"), batch=row.get("batch") or None,
                                origin_country=row.get("origin_country") or None)
        return RegisterData(
            owner_company_id=int(row["owner_company_id"]), kind=CylinderKind(row["kind"]),
            water_capacity_l=Decimal(row["water_capacity_l"]), tare_kg=Decimal(row["tare_kg"]),
            manufacturer=row.get("manufacturer") or None, stamp_number=row.get("stamp_number") or None,
            grai=row.get("grai") or None,
            test_due=date.fromisoformat(row["test_due"]) if row.get("test_due") else None, contents=contents)
    except (ValueError, InvalidOperation, KeyError) as exc:
        raise ValidationFailed(_("Not a valid value: %(error)s", error=exc), code="invalid") from None


def import_csv(actor: Actor, text: str) -> list[Cylinder]:
    """Register every line, or none.

    :raise ValidationFailed: code ``fleet_refused``, ``fields`` holding each refused line's errors
        (``"line 3"``: [...]); nothing is registered.
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed.for_field("file", _("Missing columns: %(columns)s", columns=", ".join(missing)),
                                         "missing_columns")
    done: list[Cylinder] = []
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            raise ValidationFailed.for_field("file", _("At most %(n)s lines.", n=MAX_LINES), "too_many_lines")
        try:
            with db.session.begin_nested():
                done.append(register(actor, _row_data(row)))
        except CertregError as exc:
            errors[f"line {number}"] = [FieldError(exc.message, exc.code)]
    if errors:
        raise ValidationFailed(_("%(n)s line(s) refused: nothing was registered.", n=len(errors)),
                               code="fleet_refused", fields=errors)
    return done
