"""Inspection forms: syntax only (the services parse and check every value). Each form that records
something carries a hidden ``client_id`` made when the page is shown, so a form sent twice records once."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from certreg.forms import BaseForm, InputRequired, Length, Optional, choices
from certreg.inspections.models import (
    CASE_EVENT_LABELS,
    DECISION_LABELS,
    DISPOSAL_LABELS,
    PLACE_LABELS,
    SUBJECT_LABELS,
)


def new_client_id() -> str:
    return str(uuid.uuid4())


class Recorded(BaseForm):
    client_id = HiddenField(default=new_client_id)


class InspectionForm(Recorded):
    started_at = StringField(_l("Started at (YYYY-MM-DD HH:MM, UTC)"), validators=[InputRequired(), Length(max=40)])
    place_kind = SelectField(_l("Place"), choices=choices(PLACE_LABELS.items()), validators=[InputRequired()])
    place = StringField(_l("Address, market and stall, shop or warehouse"), validators=[Optional(), Length(max=255)])
    border_post = SelectField(_l("Border post"), choices=[], validate_choice=False, validators=[Optional()])
    vehicle_number = StringField(_l("Vehicle or container number"), validators=[Optional(), Length(max=64)])
    officers = TextAreaField(_l("Officers present"), validators=[InputRequired(), Length(max=4000)])
    subject_kind = SelectField(_l("Inspected"), choices=choices(SUBJECT_LABELS.items()), validators=[InputRequired()])
    company_registration = StringField(_l("Company registration number"), validators=[Optional(), Length(max=64)])
    technician_id = StringField(_l("Technician record number"), validators=[Optional(), Length(max=12)],
                                render_kw={"inputmode": "numeric"})
    shipment_declaration = StringField(_l("Shipment: customs declaration number"),
                                       validators=[Optional(), Length(max=64)])
    shipment_ref = StringField(_l("Shipment with no declaration recorded: describe it"),
                               validators=[Optional(), Length(max=120)])
    person_details = TextAreaField(_l("Unknown person: the details given"), validators=[Optional(), Length(max=4000)])
    foreign_country = StringField(_l("Exporter's country, if foreign (two letters)"),
                                  validators=[Optional(), Length(max=2)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class CylinderCheckForm(Recorded):
    label_serial = StringField(_l("Serial on the label"), validators=[Optional(), Length(max=64)])
    label_substance = StringField(_l("Substance on the label"), validators=[InputRequired(), Length(max=64)])
    origin_country = StringField(_l("Country of origin on the label"), validators=[Optional(), Length(max=2)])
    net_kg = StringField(_l("Contents, kg"), validators=[Optional(), Length(max=20)],
                         render_kw={"inputmode": "decimal"})
    instrument_model = StringField(_l("Identifier model"), validators=[Optional(), Length(max=120)])
    instrument_serial = StringField(_l("Identifier serial number"), validators=[Optional(), Length(max=64)])
    calibration_date = StringField(_l("Calibration date (YYYY-MM-DD)"), validators=[Optional(), Length(max=10)])
    r12_percent = StringField(_l("R-12 %"), validators=[Optional(), Length(max=10)], render_kw={"inputmode": "decimal"})
    r22_percent = StringField(_l("R-22 %"), validators=[Optional(), Length(max=10)], render_kw={"inputmode": "decimal"})
    r134a_percent = StringField(_l("R-134a %"), validators=[Optional(), Length(max=10)],
                                render_kw={"inputmode": "decimal"})
    hydrocarbons_percent = StringField(_l("Hydrocarbons %"), validators=[Optional(), Length(max=10)],
                                       render_kw={"inputmode": "decimal"})
    air_percent = StringField(_l("Air and non-condensables %"), validators=[Optional(), Length(max=10)],
                              render_kw={"inputmode": "decimal"})
    instrument_verdict = StringField(_l("Purity verdict the identifier shows"), validators=[Optional(), Length(max=64)])


class CertificateCheckForm(Recorded):
    scan_id = StringField(_l("Number of your check (from “My checks”)"), validators=[Optional(), Length(max=12)],
                          render_kw={"inputmode": "numeric"})
    number = StringField(_l("Or the certificate number as read"), validators=[Optional(), Length(max=32)])


class PhotoForm(Recorded):
    photo = FileField(_l("Photo (JPEG, PNG or WebP)"), render_kw={"accept": "image/jpeg,image/png,image/webp",
                                                                   "capture": "environment"})
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=255)])


#: A seizure's goods lines on the page and the offline form: a fixed number of optional rows, one per
#: substance (no script needed to add one; the API and the queue take any number in a list).
GOODS_ROWS = 4
GOODS_LINE = re.compile(r"goods-(\d+)-(substance|kg|cylinders|serials)")


class DecisionForm(BaseForm):
    decision = SelectField(_l("Decision"), choices=choices(DECISION_LABELS.items()), validators=[InputRequired()])
    note = TextAreaField(_l("Reasons"), validators=[Optional(), Length(max=4000)])
    storage_place = StringField(_l("Seizure: where the goods are kept"), validators=[Optional(), Length(max=255)])


# Goods line N's fields are named as the service names them (``goods-N-kg``), so a refusal lands on its field.
for _row in range(GOODS_ROWS):
    setattr(DecisionForm, f"goods-{_row}-substance",
            StringField(_l("Seizure: substance"), validators=[Optional(), Length(max=64)]))
    setattr(DecisionForm, f"goods-{_row}-kg", StringField(_l("Seizure: kg"), validators=[Optional(), Length(max=20)],
                                                          render_kw={"inputmode": "decimal"}))
    setattr(DecisionForm, f"goods-{_row}-cylinders",
            StringField(_l("Seizure: number of cylinders"), validators=[Optional(), Length(max=6)],
                        render_kw={"inputmode": "numeric"}))
    setattr(DecisionForm, f"goods-{_row}-serials",
            StringField(_l("Seizure: registered serials (comma-separated)"), validators=[Optional(), Length(max=2000)]))


def goods_lines(form: DecisionForm) -> list[tuple[int, dict[str, Any]]]:
    """The goods lines filled in (a substance or kilograms typed), each with its row on the form."""
    lines = []
    for row in range(GOODS_ROWS):
        values = {name: (form[f"goods-{row}-{name}"].data or "").strip()
                  for name in ("substance", "kg", "cylinders", "serials")}
        if values["substance"] or values["kg"]:
            values["serials"] = [s.strip() for s in re.split(r"[,;\s]+", values["serials"]) if s.strip()]
            lines.append((row, values))
    return lines


def on_rows(fields: dict[str, Any], rows: list[int]) -> dict[str, Any]:
    """A refusal's fields named by the service's goods line (the n-th filled) renamed to the form's row."""
    out = {}
    for name, messages in fields.items():
        match = GOODS_LINE.fullmatch(name)
        if match and int(match[1]) < len(rows):
            name = f"goods-{rows[int(match[1])]}-{match[2]}"
        out[name] = messages
    return out


class HandoverForm(Recorded):
    handed_at = StringField(_l("Handed over at (YYYY-MM-DD HH:MM, UTC)"), validators=[InputRequired(), Length(max=40)])
    from_party = StringField(_l("From"), validators=[InputRequired(), Length(max=255)])
    to_party = StringField(_l("To"), validators=[InputRequired(), Length(max=255)])
    place = StringField(_l("Where"), validators=[InputRequired(), Length(max=255)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class CaseForm(Recorded):
    kind = SelectField(_l("Step"), choices=choices(CASE_EVENT_LABELS.items()), validators=[InputRequired()])
    happened_on = StringField(_l("Date (YYYY-MM-DD)"), validators=[InputRequired(), Length(max=10)])
    amount = StringField(_l("Fine: amount"), validators=[Optional(), Length(max=20)],
                         render_kw={"inputmode": "decimal"})
    currency = StringField(_l("Fine: currency (ISO 4217)"), validators=[Optional(), Length(max=3)])
    disposal = SelectField(_l("Disposal"), choices=choices([("", "—"), *DISPOSAL_LABELS.items()]),
                           validators=[Optional()])
    reference = StringField(_l("Decision or court case number"), validators=[Optional(), Length(max=120)])
    text = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])
