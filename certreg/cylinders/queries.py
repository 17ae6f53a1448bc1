"""Reading the register: lists and the lookup by any serial."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import numbers
from certreg.cylinders.access import can_list, can_view
from certreg.cylinders.models import Cylinder
from certreg.errors import NotFound
from certreg.extensions import db


def list_cylinders(actor: Actor, country_code: str, *, q: str = "", page: int = 1, per_page: int = 50):
    actor.require(can_list(actor, country_code))
    query = sa.select(Cylinder).where(Cylinder.country_code == country_code)
    if q:
        query = query.where(any_serial(q))
    return db.paginate(query.order_by(Cylinder.id.desc()), page=page, per_page=per_page, error_out=False)


def any_serial(text: str) -> sa.ColumnElement[bool]:
    text = text.strip()
    options = [Cylinder.stamp_number == text, Cylinder.grai == text]
    with contextlib.suppress(ValueError):
        options.append(Cylinder.serial == numbers.parse_serial(text))
    with contextlib.suppress(ValueError):
        options.append(Cylinder.grai == numbers.parse_grai(text))
    return sa.or_(*options)


def find(actor: Actor, serial: str) -> Cylinder:
    """The cylinder with this national serial, GRAI or stamp number, if ``actor`` may see it.

    :raise NotFound: none, or not visible to ``actor`` (the same answer, so existence does not leak).
    """
    cylinder = db.session.scalars(sa.select(Cylinder).where(any_serial(serial)).limit(1)).first()
    if cylinder is None or not can_view(actor, cylinder):
        raise NotFound()
    return cylinder


def unregistered(actor: Actor, country_code: str) -> list[Cylinder]:
    """Cylinders known only by a serial typed on the country's logbook entries: to be registered."""
    actor.require(can_list(actor, country_code))
    return list(db.session.scalars(sa.select(Cylinder).where(Cylinder.country_code == country_code,
                                                             Cylinder.needs_registration)
                                   .order_by(Cylinder.stamp_number)))
