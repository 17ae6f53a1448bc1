"""Rules of a country that other features keep, stated on its public rules page and in its API answer.

The public rules page (:func:`certreg.countries.services.public_rules`) and ``GET /api/v1/countries/{code}/rules``
state what certreg enforces in a country. Some of it is kept by features that stand on the countries (the
cylinders: the ban on non-refillable cylinders, ``certreg.cylinders.settings``), so the countries do not import
them: each gives the app factory a :class:`Section` (:func:`provide`), and the page and the API ask
:func:`stated` (an app given none states none).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from flask import Flask, current_app


class Section(Protocol):
    template: str  # the page's part, included with ``facts`` (the template's own feature translates it)

    def facts(self, country_code: str, today: date) -> Mapping[str, Any]:
        """The section's fields: given to its template, and added to the API's answer (dates as YYYY-MM-DD)."""


_KEY = "certreg.countries.rule_sections"


def provide(app: Flask, section: Section) -> None:
    """Add a section to the public rules (once per template: a second app factory call changes nothing)."""
    app.extensions.setdefault(_KEY, {})[section.template] = section


def stated(country_code: str, today: date) -> list[tuple[str, Mapping[str, Any]]]:
    """Each section's template and its facts for the country, in the order they were provided."""
    return [(section.template, section.facts(country_code, today))
            for section in current_app.extensions.get(_KEY, {}).values()]
