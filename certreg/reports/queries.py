"""Reading the reports' query forms (pages and API alike) into periods and selections."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from certreg.db import today as utc_today
from certreg.errors import ValidationFailed
from certreg.logbook.models import EntryKind
from certreg.reports import entries as raw
from certreg.reports.figures import Column, Period
from certreg.reports.models import AnomalyKind, ReviewState
from certreg.vocabulary import HolderKind


def valid(form) -> Any:
    """A GET form's data; refused input is a 422 (page or JSON error)."""
    if not form.validate():
        raise ValidationFailed(fields=form.error_map())
    return form


def country(form, default: str | None) -> str:
    return (form.country.data or default or "").upper()


def this_year() -> Period:
    today = utc_today()
    return Period(date(today.year, 1, 1), today)


def last_year() -> int:
    return utc_today().year - 1


def period(form, *, default: Period) -> Period:
    """``date_from``/``date_to`` if given (either may be left out), else ``year``, else ``default``."""
    if form.date_from.data or form.date_to.data:
        chosen = Period(form.date_from.data or default.date_from, form.date_to.data or default.date_to)
    elif form.year.data:
        chosen = Period.year(form.year.data)
    else:
        chosen = default
    if chosen.date_to < chosen.date_from:
        raise ValidationFailed.for_field("date_to", _("The end of the period is before its start."), "period_reversed")
    return chosen


def selection(form, default_country: str | None) -> raw.Selection:
    return raw.Selection(
        country_code=country(form, default_country), period=period(form, default=Period.year(utc_today().year)),
        column=Column(form.column.data) if form.column.data else None,
        substance=form.substance.data or None, annex=form.annex.data or None, group=form.group.data or None,
        month=form.month.data, holder_kind=HolderKind(form.holder_kind.data) if form.holder_kind.data else None,
        logbook_id=form.logbook_id.data, kind=EntryKind(form.kind.data) if form.kind.data else None,
        partner_country=form.partner_country.data or None,
    )


def anomaly_filters(form, default_country: str | None
                    ) -> tuple[str, Period, list[AnomalyKind] | None, ReviewState]:
    kinds = [AnomalyKind(form.kind.data)] if form.kind.data else None
    state = ReviewState(form.state.data or ReviewState.OPEN.value)
    return country(form, default_country), period(form, default=this_year()), kinds, state


def filename(*parts: Any) -> str:
    return "-".join(str(p) for p in parts if p not in (None, "")).replace("/", "_")
