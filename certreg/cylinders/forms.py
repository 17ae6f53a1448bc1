"""Cylinder forms: syntax only; the rules live in :mod:`certreg.cylinders.rules` and the services."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField

from certreg.cylinders.events import FillData
from certreg.cylinders.models import CONDITION_LABELS, KIND_LABELS, ContentCondition, CylinderKind
from certreg.cylinders.registration import RegisterData
from certreg.errors import FieldError
from certreg.forms import BaseForm, DataRequired, InputRequired, Length, Optional, choices
from certreg.logbook.forms import KilogramsField


class IsoDateField(DateField):
    """A date as YYYY-MM-DD (what a browser's date input sends); anything else is ``invalid_date``."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(FieldError(_("Enter a date as YYYY-MM-DD."), "invalid_date")) from None


class RegisterForm(BaseForm):
    owner_company_id = IntegerField(_l("Owner (company record number)"), validators=[InputRequired()])
    kind = SelectField(_l("Type"), choices=choices(KIND_LABELS.items()), validators=[InputRequired()])
    water_capacity_l = KilogramsField(_l("Water capacity (litres)"), validators=[InputRequired()])
    tare_kg = KilogramsField(_l("Tare (kg)"), validators=[InputRequired()])
    manufacturer = StringField(_l("Manufacturer"), validators=[Optional(), Length(max=120)])
    stamp_number = StringField(_l("Manufacturer's stamp number"), validators=[Optional(), Length(max=64)])
    grai = StringField(_l("Owner's GRAI (GS1 AI 8003)"), validators=[Optional(), Length(max=60)])
    test_due = DateField(_l("Pressure test due"), validators=[Optional()])
    substance = StringField(_l("Contents: substance"), validators=[Optional(), Length(max=64)])
    net_kg = KilogramsField(_l("Contents: net kg"), validators=[Optional()])
    condition = SelectField(_l("Condition"), choices=choices(CONDITION_LABELS.items()), validators=[Optional()])
    batch = StringField(_l("Batch"), validators=[Optional(), Length(max=64)])
    origin_country = StringField(_l("Origin country"), validators=[Optional(), Length(max=2)])


class FillForm(BaseForm):
    substance = StringField(_l("Substance"), validators=[InputRequired(), Length(max=64)])
    net_kg = KilogramsField(_l("Net kg"), validators=[InputRequired()])
    condition = SelectField(_l("Condition"), choices=choices(CONDITION_LABELS.items()), validators=[InputRequired()])
    mixed = BooleanField(_l("Mixed gases, for destruction only"))
    batch = StringField(_l("Batch"), validators=[Optional(), Length(max=64)])


class TransferForm(BaseForm):
    to_company_id = IntegerField(_l("New custodian: company record number"), validators=[Optional()])
    to_technician_id = IntegerField(_l("New custodian: technician record number"), validators=[Optional()])
    sold_as = SelectField(_l("Sold as"), choices=choices(CONDITION_LABELS.items()), validators=[Optional()])
    returned = BooleanField(_l("Returned to the dealer"))


class DestroyForm(BaseForm):
    reference = StringField(_l("Destruction certificate or reference"), validators=[InputRequired(), Length(max=500)])


class LostForm(BaseForm):
    reference = StringField(_l("Police report or other reference"), validators=[InputRequired(), Length(max=500)])


class ReportLostForm(LostForm):
    """The page's form: the reference, and a tick that says the reporter means it (it closes the cylinder)."""

    confirm = BooleanField(_l("I confirm: the cylinder is lost or stolen. Nothing more can be recorded on it."),
                           validators=[DataRequired()])


class FoundForm(BaseForm):
    reference = StringField(_l("Police report, inspection or other reference"),
                            validators=[InputRequired(), Length(max=500)])


class ReportFoundForm(FoundForm):
    """The page's form: the reference, and a tick that says the reporter means it (it opens the cylinder again)."""

    confirm = BooleanField(_l("I confirm: the cylinder was found. It is open again and its label is no longer "
                              "suspended."), validators=[DataRequired()])


class ChargeForm(BaseForm):
    net_kg = KilogramsField(_l("Kilograms drawn"), validators=[InputRequired()])


class CylinderRulesForm(BaseForm):
    """The country's cylinder rules: the first day of the ban on non-refillable cylinders (empty: no ban)."""

    non_refillable_banned_from = IsoDateField(_l("Non-refillable cylinders banned from"), validators=[Optional()])


def register_data(form: RegisterForm) -> RegisterData:
    contents = None
    if form.substance.data:
        contents = FillData(substance_code=form.substance.data, net_kg=form.net_kg.data or 0,
                            condition=ContentCondition(form.condition.data or "virgin"),
                            batch=form.batch.data or None, origin_country=form.origin_country.data or None)
    return RegisterData(
        owner_company_id=form.owner_company_id.data, kind=CylinderKind(form.kind.data),
        water_capacity_l=form.water_capacity_l.data, tare_kg=form.tare_kg.data,
        manufacturer=form.manufacturer.data or None, stamp_number=form.stamp_number.data or None,
        grai=form.grai.data or None, test_due=form.test_due.data, contents=contents)


def fill_data(form: FillForm) -> FillData:
    return FillData(substance_code=form.substance.data, net_kg=form.net_kg.data,
                    condition=ContentCondition(form.condition.data), mixed=bool(form.mixed.data),
                    batch=form.batch.data or None)
