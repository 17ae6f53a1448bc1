"""Licence forms: syntax only; the rules live in :mod:`certreg.licences.services`."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField

from certreg.forms import BaseForm, InputRequired, Length, Optional, choices
from certreg.licences.models import DIRECTION_LABELS, STATUS_LABELS, Licence, LicenceStatus
from certreg.licences.services import LicenceData

_SEPARATORS = re.compile(r"[,;\s]+")
_DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


def split(text: str | None) -> list[str]:
    """``"HCFC-22, R-404A"`` -> ``["HCFC-22", "R-404A"]`` (commas, semicolons or spaces)."""
    return [part for part in _SEPARATORS.split(text or "") if part]


class TermsForm(BaseForm):
    """The terms of a licence (the edit page); :class:`IssueForm` adds the number."""

    company_registration = StringField(_l("Company registration number"),
                                       validators=[InputRequired(), Length(max=64)])
    direction = SelectField(_l("Direction"), choices=choices(DIRECTION_LABELS.items()), validators=[InputRequired()])
    scope = StringField(_l("Substances or control groups"), validators=[InputRequired(), Length(max=600)])
    hs_codes = StringField(_l("HS codes"), validators=[Optional(), Length(max=300)])
    cap_kg = StringField(_l("Cap (kg)"), validators=[InputRequired(), Length(max=24)], render_kw=_DECIMAL)
    cap_odp_t = StringField(_l("Cap (ODP tonnes)"), validators=[Optional(), Length(max=24)], render_kw=_DECIMAL)
    cap_co2e_t = StringField(_l("Cap (CO2-eq tonnes)"), validators=[Optional(), Length(max=24)], render_kw=_DECIMAL)
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_until = DateField(_l("Valid until (last day)"), validators=[InputRequired()])
    partner_countries = StringField(_l("Partner countries"), validators=[Optional(), Length(max=200)])
    issuing_authority = StringField(_l("Issuing authority"), validators=[InputRequired(), Length(max=255)])

    def data_for(self, number: str) -> LicenceData:
        return LicenceData(
            number=number, company_registration=self.company_registration.data.strip(),
            direction=self.direction.data, scope=split(self.scope.data), hs_codes=split(self.hs_codes.data),
            cap_kg=self.cap_kg.data, cap_odp_t=self.cap_odp_t.data or None,
            cap_co2e_t=self.cap_co2e_t.data or None,
            valid_from=self.valid_from.data, valid_until=self.valid_until.data,
            partner_countries=split(self.partner_countries.data), issuing_authority=self.issuing_authority.data)

    def fill(self, licence: Licence, registration: str) -> None:
        self.company_registration.data = registration
        self.direction.data = licence.direction.value
        self.scope.data = ", ".join(licence.scope)
        self.hs_codes.data = ", ".join(licence.hs_codes)
        self.cap_kg.data = f"{licence.cap_kg.normalize():f}"
        self.cap_odp_t.data = "" if licence.cap_odp_t is None else f"{licence.cap_odp_t.normalize():f}"
        self.cap_co2e_t.data = "" if licence.cap_co2e_t is None else f"{licence.cap_co2e_t.normalize():f}"
        self.valid_from.data, self.valid_until.data = licence.valid_from, licence.valid_until
        self.partner_countries.data = ", ".join(licence.partner_countries)
        self.issuing_authority.data = licence.issuing_authority


class IssueForm(TermsForm):
    number = StringField(_l("Licence number"), validators=[InputRequired(), Length(max=64)])


class EditForm(TermsForm):
    reason = TextAreaField(_l("Reason for the change"), validators=[InputRequired(), Length(max=2000)])


class StatusForm(BaseForm):
    status = SelectField(_l("New status"), choices=choices((s, STATUS_LABELS[s]) for s in (
        LicenceStatus.SUSPENDED, LicenceStatus.REVOKED, LicenceStatus.ACTIVE, LicenceStatus.EXPIRED)),
        validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
