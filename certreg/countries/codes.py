"""Country codes as people enter them: ISO 3166-1 alpha-2, checked in one place.

The list of codes is ``data/iso3166-1-alpha2.csv`` (its source is in its header). A country
the registry runs (a row of ``countries``) is checked by the registry itself
(:func:`certreg.registry.services.get_country`); this module answers for any country of the
world, as a counterparty, origin or destination names it.

:func:`country_code` is the check the services call; :class:`CountryCode` is the same check
as a WTForms validator, so a form and a service refuse the same input with the same code.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from wtforms.validators import ValidationError

from certreg.errors import FieldError, ValidationFailed

DATA = Path(__file__).parent / "data" / "iso3166-1-alpha2.csv"


@cache
def iso_codes() -> frozenset[str]:
    """The officially assigned ISO 3166-1 alpha-2 codes (upper case)."""
    with DATA.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return frozenset(row["code"] for row in rows)


def problem(value: str) -> FieldError | None:
    """Why ``value`` (stripped, any case) is not a country code, or ``None`` when it is one."""
    code = value.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return FieldError(_("Use the two-letter country code, e.g. KZ."), "invalid_country")
    if code not in iso_codes():
        return FieldError(_("%(code)s is not a country code (ISO 3166-1).", code=code), "unknown_country")
    return None


def country_code(value: str | None, field_name: str) -> str | None:
    """``value`` as an upper-case ISO 3166-1 alpha-2 code; ``None`` when blank.

    :raise ValidationFailed: ``invalid_country`` (not two letters), ``unknown_country`` (no such country).
    """
    value = value.strip() if isinstance(value, str) else value
    if not value:
        return None
    error = problem(value)
    if error is not None:
        raise ValidationFailed(str(error), code=error.code, fields={field_name: [error]})
    return value.upper()


class CountryCode:
    """WTForms validator: an optional field holding an ISO 3166-1 alpha-2 code (as :func:`country_code`)."""

    def __call__(self, form, field) -> None:
        value = field.data.strip() if isinstance(field.data, str) else field.data
        if not value:
            return
        error = problem(value) if isinstance(value, str) else FieldError(_("Not a valid choice."), "invalid_choice")
        if error is not None:
            raise ValidationError(error)
