"""Shipment, decision, receipt and iPIC forms: syntax only (the page, the API and the CLI share them)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField

from certreg.countries.codes import CountryCode
from certreg.forms import BaseForm, InputRequired, Length, NumberRange, Optional, choices
from certreg.logbook.forms import KilogramsField
from certreg.shipments.expected import ShipmentData
from certreg.shipments.models import GOODS_LABELS, TRANSPORT_LABELS

DECISION_LABELS = {"released": _l("Release"), "held": _l("Hold"), "refused": _l("Refuse entry"),
                   "seized": _l("Seize")}
RECEIPT_ANSWERS = {"confirm": _l("Confirm: we received it"), "dispute": _l("Dispute: it is not as recorded")}


class ShipmentForm(BaseForm):
    declaration_number = StringField(_l("Customs declaration number"), validators=[InputRequired(), Length(max=64)])
    importer_registration = StringField(_l("Importer (registration number)"),
                                        validators=[InputRequired(), Length(max=64)])
    goods = SelectField(_l("Goods"), choices=choices(GOODS_LABELS.items()), validators=[InputRequired()])
    product_description = StringField(_l("Equipment or extinguishers: description"),
                                      validators=[Optional(), Length(max=255)])
    units = IntegerField(_l("Equipment or extinguishers: pieces"), validators=[Optional(), NumberRange(min=1)])
    hs_code = StringField(_l("HS code"), validators=[InputRequired(), Length(max=32)])
    substance = StringField(_l("Substance"), validators=[InputRequired(), Length(max=64)])
    kg = KilogramsField(_l("Kilograms of substance (contained, for equipment)"), validators=[InputRequired()])
    cylinder_count = IntegerField(_l("Number of cylinders"), validators=[Optional(), NumberRange(min=0)])
    cylinder_serials = TextAreaField(_l("Cylinder serial numbers"), validators=[Optional(), Length(max=8000)])
    import_licence = StringField(_l("Import licence number"), validators=[InputRequired(), Length(max=64)])
    exporter_name = StringField(_l("Exporter"), validators=[InputRequired(), Length(max=255)])
    exporting_country = StringField(_l("Exporting country"), validators=[InputRequired(), Length(max=2),
                                                                         CountryCode()])
    origin_country = StringField(_l("Country of origin"), validators=[InputRequired(), Length(max=2), CountryCode()])
    transport_mode = SelectField(_l("Transport"), choices=choices(TRANSPORT_LABELS.items()),
                                 validators=[InputRequired()])
    border_post = StringField(_l("Border post"), validators=[InputRequired(), Length(max=120)])
    expected_on = DateField(_l("Expected on"), validators=[InputRequired()])


def shipment_data(form: ShipmentForm) -> ShipmentData:
    return ShipmentData(
        declaration_number=form.declaration_number.data, importer_registration=form.importer_registration.data,
        goods=form.goods.data, hs_code=form.hs_code.data, substance=form.substance.data, kg=form.kg.data,
        import_licence=form.import_licence.data, exporter_name=form.exporter_name.data,
        exporting_country=form.exporting_country.data, origin_country=form.origin_country.data,
        transport_mode=form.transport_mode.data, border_post=form.border_post.data,
        expected_on=form.expected_on.data, cylinder_count=form.cylinder_count.data or 0,
        cylinder_serials=[s for s in re.split(r"[\s,;]+", form.cylinder_serials.data or "") if s],
        product_description=form.product_description.data, units=form.units.data)


class DecisionForm(BaseForm):
    decision = SelectField(_l("Decision"), choices=choices([("", ""), *DECISION_LABELS.items()]),
                           validators=[InputRequired()])
    reason = TextAreaField(_l("Reason (needed to hold, refuse or seize)"), validators=[Optional(), Length(max=2000)])


class ReceiptForm(BaseForm):
    answer = SelectField(_l("Answer"), choices=choices([("", ""), *RECEIPT_ANSWERS.items()]),
                         validators=[InputRequired()])
    note = TextAreaField(_l("What is wrong (for a dispute)"), validators=[Optional(), Length(max=2000)])


class IpicForm(BaseForm):
    answering_country = StringField(_l("Importing country"), validators=[InputRequired(), Length(max=2),
                                                                         CountryCode()])
    importer_registration = StringField(_l("Importer (registration number there)"),
                                        validators=[InputRequired(), Length(max=64)])
    substance = StringField(_l("Substance"), validators=[InputRequired(), Length(max=64)])
    kg = KilogramsField(_l("Kilograms"), validators=[InputRequired()])
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=1900, max=2200)])
