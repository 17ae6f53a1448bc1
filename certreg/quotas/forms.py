"""Forms of the quota pages: a baseline, an allocation, a transfer (syntax only; the services check the rest)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from certreg.countries.protocol import CONTROL_GROUP_LABELS
from certreg.forms import BaseForm, CodeSelectField, InputRequired, Length, Optional, choices
from certreg.quotas.schedules import HFC_GROUP, QUOTA_GROUPS

GROUP_LABELS = {**CONTROL_GROUP_LABELS, HFC_GROUP: _l("Annex F (HFCs)")}


def group_choices():
    return choices((group, GROUP_LABELS[group]) for group in QUOTA_GROUPS)


def _amount(label):
    return StringField(label, validators=[InputRequired(), Length(max=40)],
                       render_kw={"inputmode": "decimal", "autocomplete": "off"})


def _year():
    return StringField(_l("Year"), validators=[InputRequired(), Length(max=4)],
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})


class BaselineForm(BaseForm):
    group = CodeSelectField(_l("Control group"), choices=group_choices(), validators=[InputRequired()])
    baseline = _amount(_l("Baseline (ODP tonnes; CO2-eq tonnes for Annex F)"))
    source = StringField(_l("Source of the figure"), validators=[InputRequired(), Length(max=255)])


class AllocationForm(BaseForm):
    year = _year()
    group = CodeSelectField(_l("Control group"), choices=group_choices(), validators=[InputRequired()])
    company = CodeSelectField(_l("Importer"), validators=[InputRequired()])
    amount = _amount(_l("Quota (ODP tonnes; CO2-eq tonnes for Annex F)"))
    reason = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class TransferForm(BaseForm):
    year = _year()
    group = CodeSelectField(_l("Control group"), choices=group_choices(), validators=[InputRequired()])
    from_company = CodeSelectField(_l("From importer"), validators=[InputRequired()])
    to_company = CodeSelectField(_l("To importer"), validators=[InputRequired()])
    amount = _amount(_l("Quota moved (ODP tonnes; CO2-eq tonnes for Annex F)"))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
