"""Logbook forms: syntax only; the rules live in :mod:`certreg.logbook.rules` and the services.

The same forms read the pages' posts and the API's JSON (``form_from_json``).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from certreg.countries.codes import CountryCode
from certreg.countries.models import USED_ODS_SALES_LABELS
from certreg.errors import FieldError
from certreg.forms import BaseForm, CodeSelectField, InputRequired, KilogramsField, Length, Optional, choices
from certreg.logbook.drafts import FIELD_LIMITS
from certreg.logbook.models import (
    CONDITION_LABELS,
    ENTRY_KIND_LABELS,
    EQUIPMENT_KIND_LABELS,
    EXEMPTED_USE_LABELS,
    INTERVENTION_KIND_LABELS,
    LEAK_CHECK_RESULT_LABELS,
    EntryKind,
    OwnerKind,
)
from certreg.logbook.rules import RECORDABLE_KINDS

_SPLIT = re.compile(r"[;,\n\r]+")


class ListField(SelectMultipleField):
    """A list of short texts (cylinder serial numbers): one text box on the page (``;`` or new lines between
    them), an array of strings in JSON."""

    widget = TextInput()

    def __init__(self, *args, max_items: int = 50, max_length: int = 64, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.max_items, self.max_length = max_items, max_length

    def process_formdata(self, valuelist):
        self.data = [part.strip() for value in valuelist for part in _SPLIT.split(str(value)) if part.strip()]

    def _value(self):
        return "; ".join(self.data or [])

    def pre_validate(self, form):
        if len(self.data or []) > self.max_items:
            raise ValidationError(FieldError(str(_l("Too many.")), "too_many"))
        if any(len(v) > self.max_length for v in self.data or []):
            raise ValidationError(FieldError(str(_l("Each at most %(n)s characters.", n=self.max_length)),
                                             "too_long"))

    def __call__(self, **kwargs):
        kwargs.setdefault("value", self._value())
        return self.widget(self, **kwargs)


def entry_kind_choices(kinds=RECORDABLE_KINDS):
    return choices((k.value, label) for k, label in ENTRY_KIND_LABELS.items() if k in kinds)


def condition_choices(blank=None):
    items = [("", blank)] if blank is not None else []
    return choices(items + [(c.value, label) for c, label in CONDITION_LABELS.items()])


_TEXT = [Optional(), Length(max=255)]
_CODE = [Optional(), Length(max=64)]


def _limited(name: str) -> list:
    """An optional field of an entry, as long as the service accepts (:data:`drafts.FIELD_LIMITS`)."""
    return [Optional(), Length(max=FIELD_LIMITS[name])]


_COUNTRY = [Optional(), CountryCode()]


class EntryForm(BaseForm):
    """Any entry a holder records directly (not reversals, which have their own form)."""

    kind = CodeSelectField(_l("Kind of entry"), choices=entry_kind_choices(), validators=[InputRequired()])
    operation_date = DateField(_l("Date of the operation"), validators=[InputRequired()])
    substance = StringField(_l("Substance or blend"),
                            validators=[InputRequired(), Length(max=FIELD_LIMITS["substance"])],
                            description=_l("Code, refrigerant number or name: R-404A, HCFC-22, R-22 ..."))
    quantity = KilogramsField(_l("Quantity (kg)"), validators=[Optional()])
    condition = CodeSelectField(_l("Condition"), choices=condition_choices(), validators=[Optional()])
    from_condition = CodeSelectField(_l("Condition before (recycling, reclamation)"),
                                     choices=condition_choices(blank=""), validators=[Optional()])
    counted_quantity = KilogramsField(_l("Quantity counted (kg; stock counts)"), validators=[Optional()])
    cylinders = ListField(_l("Cylinder serial numbers"), description=_l("Separate them with ; or new lines."))
    equipment = StringField(_l("Equipment id (charges and recoveries)"), validators=_limited("equipment"))
    counterparty_name = StringField(_l("Counterparty (seller, facility ...)"), validators=_limited("counterparty_name"))
    counterparty_country = StringField(_l("Counterparty's country (two-letter code)"), validators=_COUNTRY)
    counterparty_registration = StringField(_l("Importer's registration number, if registered (exports)"),
                                            validators=_limited("counterparty_registration"))
    buyer_certificate = StringField(_l("Buyer's certificate number (sales)"), validators=_limited("buyer_certificate"))
    document_numbers = StringField(_l("Document numbers (invoice, waybill)"), validators=_limited("document_numbers"))
    import_licence = StringField(_l("Import licence number"), validators=_limited("import_licence"))
    customs_declaration = StringField(_l("Customs declaration number"), validators=_limited("customs_declaration"))
    origin_country = StringField(_l("Country of origin (two-letter code)"), validators=_COUNTRY)
    exporter_name = StringField(_l("Exporter"), validators=_limited("exporter_name"))
    export_licence = StringField(_l("Export licence number"), validators=_limited("export_licence"))
    destination_country = StringField(_l("Country of destination (two-letter code)"), validators=_COUNTRY)
    reason = TextAreaField(_l("Reason (stock counts)"), validators=_limited("reason"))
    note = TextAreaField(_l("Note"), validators=_limited("note"))
    exempted_use = CodeSelectField(_l("Exempted use (feedstock, process agent ...)"), choices=choices(
        [("", "")] + [(k.value, v) for k, v in EXEMPTED_USE_LABELS.items()]), validators=[Optional()],
        description=_l("Only for a use the Protocol exempts: it allows a phased-out substance past its ban."))
    exemption_reference = StringField(_l("Decision or licence of the exemption"),
                                      validators=_limited("exemption_reference"))


ENTRY_FIELDS = [name for name in EntryForm.__dict__ if not name.startswith("_") and
                name not in ("Meta",) and hasattr(EntryForm.__dict__[name], "field_class")]


class RequiredByRule:
    """Marks a field required (its asterisk, the browser's check) but leaves an empty value to the
    rules, so the page answers with the rule's code like every other surface."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        pass


class SaleForm(BaseForm):
    """The point of sale: the buyer's certificate (typed or scanned), what is sold."""

    buyer_certificate = StringField(_l("Buyer's certificate number or scanned QR"),
                                    validators=[RequiredByRule(), *_limited("buyer_certificate")])
    operation_date = DateField(_l("Date of sale"), validators=[InputRequired()])
    substance = StringField(_l("Substance or blend"),
                            validators=[InputRequired(), Length(max=FIELD_LIMITS["substance"])])
    quantity = KilogramsField(_l("Quantity (kg)"), validators=[InputRequired()])
    condition = CodeSelectField(_l("Condition"), choices=condition_choices(), validators=[Optional()])
    cylinders = ListField(_l("Cylinder serial numbers"))
    document_numbers = StringField(_l("Invoice number"), validators=_limited("document_numbers"))
    note = TextAreaField(_l("Note"), validators=_limited("note"))


class QuickEntryForm(BaseForm):
    """A technician's charge or recovery in a few taps."""

    equipment = StringField(_l("Equipment id"), validators=[InputRequired(), Length(max=300)])
    kind = CodeSelectField(_l("What did you do?"), choices=choices([
        ("charge", _l("Charged refrigerant")), ("recovery", _l("Recovered refrigerant"))]),
        validators=[InputRequired()])
    quantity = KilogramsField(_l("Quantity (kg)"), validators=[InputRequired()])
    condition = CodeSelectField(_l("Condition of the gas charged"), choices=condition_choices(),
                                validators=[Optional()])
    operation_date = DateField(_l("Date"), validators=[InputRequired()])
    cylinders = ListField(_l("Cylinder serial numbers"))
    note = StringField(_l("Note"), validators=_TEXT)


class QuickEntryPageForm(QuickEntryForm):
    """The page's quick entry, with the client id made when the form is shown (a form sent twice records once;
    the phone's queue and the API give it in the URL)."""

    client_id = HiddenField(validators=[Optional(), Length(max=36)])


class ReversalForm(BaseForm):
    reason = TextAreaField(_l("Why is this entry wrong?"), validators=[InputRequired(), Length(min=3, max=2000)])


class ConfirmForm(BaseForm):
    """Confirming a purchase needs nothing more; confirming an import needs the importer's own papers."""

    import_licence = StringField(_l("Your import licence number (imports)"), validators=_CODE)
    customs_declaration = StringField(_l("Customs declaration number (imports)"), validators=_CODE)


class DisputeForm(BaseForm):
    reason = TextAreaField(_l("What is wrong with it?"), validators=[InputRequired(), Length(min=3, max=2000)])


class FilterForm(BaseForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=choices([("", "")] + [(k.value, v) for k, v in ENTRY_KIND_LABELS.items()]),
                       validators=[Optional()], validate_choice=False)
    substance = StringField(_l("Substance"), validators=[Optional(), Length(max=64)])
    condition = SelectField(_l("Condition"), choices=condition_choices(blank=""), validators=[Optional()],
                            validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    cylinder = StringField(_l("Cylinder serial number"), validators=[Optional(), Length(max=64)])
    text = StringField(_l("Counterparty, document or licence"), validators=[Optional(), Length(max=120)])


class EquipmentForm(BaseForm):
    owner_kind = CodeSelectField(_l("Owner"), choices=choices([
        (OwnerKind.COMPANY.value, _l("A company")), (OwnerKind.PERSON.value, _l("A person"))]),
        validators=[InputRequired()])
    owner_name = StringField(_l("Owner's name"), validators=[InputRequired(), Length(max=255)])
    site_address = StringField(_l("Site / address"), validators=[InputRequired(), Length(max=255)])
    kind = CodeSelectField(_l("Kind of equipment"), choices=choices((k.value, v) for k, v in
                                                                    EQUIPMENT_KIND_LABELS.items()),
                           validators=[InputRequired()])
    substance = StringField(_l("Refrigerant (or halon)"), validators=[InputRequired(), Length(max=64)])
    nominal_charge = KilogramsField(_l("Nominal charge (kg, from the name plate)"), validators=[InputRequired()])
    description = StringField(_l("Make, model, serial number"), validators=_TEXT)


class InterventionForm(BaseForm):
    kind = CodeSelectField(_l("Work done"), choices=choices((k.value, v) for k, v in INTERVENTION_KIND_LABELS.items()),
                           validators=[InputRequired()])
    performed_on = DateField(_l("Date"), validators=[InputRequired()])
    leak_check_result = CodeSelectField(_l("Leak check result"), choices=choices(
        [("", "")] + [(k.value, v) for k, v in LEAK_CHECK_RESULT_LABELS.items()]), validators=[Optional()])
    recovered_quantity = KilogramsField(_l("Recovered (kg)"), validators=[Optional()])
    charge_quantity = KilogramsField(_l("Charged (kg)"), validators=[Optional()])
    charge_condition = CodeSelectField(_l("Condition of the gas charged"), choices=condition_choices(),
                                       validators=[Optional()])
    cylinders = ListField(_l("Cylinder serial numbers"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class SettingsForm(BaseForm):
    used_ods_sales = CodeSelectField(_l("After the ban on virgin Annex A/B substances"), choices=choices(
        (k.value, v) for k, v in USED_ODS_SALES_LABELS.items()), validators=[InputRequired()])
    leak_rate_threshold = KilogramsField(_l("Leak rate threshold (percent of the nominal charge a year)"),
                                         validators=[Optional()])


ENTRY_KINDS = [k.value for k in EntryKind]


class ImportForm(BaseForm):
    """A paper logbook's CSV file (the format of ``flask logbook import``) and the logbook it goes into."""

    file = FileField(_l("CSV file"), render_kw={"accept": ".csv,text/csv"})
    holder = SelectField(_l("Logbook"), validators=[InputRequired()])

    def validate_file(self, field) -> None:
        if not isinstance(field.data, FileStorage) or not field.data.filename:
            raise StopValidation(FieldError(str(_l("Choose the CSV file.")), "required"))
