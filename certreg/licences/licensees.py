"""The list of licensed importers and exporters a country publishes to its federation peers (for iPIC).

One entry per licence of this installation's own countries (those with an active signing key) that is
active and not past its end: whom the partner's customs and ozone unit can expect shipments from or to.
:mod:`certreg.federation.publishing` wraps it in a signed federation document (kind ``licensees``);
the body is ``{"countries": {CC: [entry, ...]}}`` with the entries of :func:`entry_json`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from certreg.certificates.states import today
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.licences.models import Licence, LicenceStatus

#: The members of one published entry, in the order the pages show them.
ENTRY_FIELDS = ("company", "company_latin", "registration", "country", "licence_number", "direction", "scope",
                "valid_from", "valid_until")


def entry_json(licence: Licence) -> dict[str, Any]:
    return {"company": licence.company.legal_name, "company_latin": licence.company.name_latin,
            "registration": licence.company.registration_number, "country": licence.country_code,
            "licence_number": licence.number, "direction": licence.direction.value, "scope": list(licence.scope),
            "valid_from": licence.valid_from.isoformat(), "valid_until": licence.valid_until.isoformat()}


def own_licensee_document() -> dict[str, Any]:
    """``{"countries": {CC: [entry, ...]}}``: every country signed for here, its licences in force today."""
    countries = sorted(keys.local_countries())
    found: dict[str, list[dict[str, Any]]] = {country: [] for country in countries}
    rows = db.session.scalars(
        sa.select(Licence).options(joinedload(Licence.company))
        .where(Licence.country_code.in_(countries), Licence.status == LicenceStatus.ACTIVE,
               Licence.valid_until >= today())
        .order_by(Licence.country_code, Licence.number))
    for licence in rows:
        found[licence.country_code].append(entry_json(licence))
    return {"countries": found}


def check_document(body: Any, countries: set[str]) -> None:
    """A peer's licensee list holds together: only its own countries, entries with every field.

    :raise ValueError: with what is wrong.
    """
    listed = body.get("countries") if isinstance(body, dict) else None
    if not isinstance(listed, dict):
        raise ValueError("no countries")
    for country, entries in listed.items():
        if country not in countries:
            raise ValueError(f"licensees of {country!r}, not a country of the peer's trust list")
        if not isinstance(entries, list):
            raise ValueError(f"licensees of {country}: not a list")
        for entry in entries:
            if not isinstance(entry, dict) or set(entry) != set(ENTRY_FIELDS) or entry["country"] != country:
                raise ValueError(f"licensees of {country}: a malformed entry")
            if not isinstance(entry["scope"], list) or not all(isinstance(v, str) for v in entry["scope"]):
                raise ValueError(f"licensees of {country}: a malformed scope")
            if not all(isinstance(entry[f], str) for f in ENTRY_FIELDS if f != "scope"):
                raise ValueError(f"licensees of {country}: a malformed entry")
