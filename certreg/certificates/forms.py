"""Certificate forms: syntax only; the rules live in the service modules (:mod:`certreg.certificates.lifecycle`...)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from certreg.certificates.categories import SUBSTANCE_TOKENS, WorkActivity
from certreg.errors import FieldError
from certreg.forms import BaseForm, InputRequired, Length, Optional, choices
from certreg.registry.forms import MultiCheckboxField

HOLDER_KINDS = [("technician", _l("Technician")), ("company", _l("Company"))]


class CategoriesField(MultiCheckboxField):
    """Category codes; the service decides which exist for the holder."""

    def pre_validate(self, form) -> None:
        if self.data and any(not isinstance(v, str) or len(v) > 16 for v in self.data):
            raise ValidationError(FieldError(str(_l("Not a valid choice.")), "invalid_choice"))


class IssueForm(BaseForm):
    holder_kind = SelectField(_l("Holder"), choices=choices(HOLDER_KINDS), validators=[InputRequired()])
    holder_id = IntegerField(_l("Holder record number"), validators=[InputRequired()])
    categories = CategoriesField(_l("Categories"), validators=[InputRequired()])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_until = DateField(_l("Valid until (last day)"), validators=[InputRequired()])
    authority_id = IntegerField(_l("Issuing authority"), validators=[Optional()])


class RenewForm(BaseForm):
    categories = CategoriesField(_l("Categories"), validators=[InputRequired()])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_until = DateField(_l("Valid until (last day)"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])


class SuspendForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(min=3, max=2000)])
    until = DateField(_l("Suspended until (last day; leave empty for an indefinite suspension)"),
                      validators=[Optional()])


class ReinstateForm(BaseForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])


class RevokeForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(min=3, max=2000)])


ACTIVITY_LABELS = {
    WorkActivity.INSTALL: _l("installation"), WorkActivity.REPAIR: _l("repair"),
    WorkActivity.MAINTAIN: _l("maintenance and servicing"), WorkActivity.DECOMMISSION: _l("decommissioning"),
    WorkActivity.LEAK_CHECK: _l("leak checks"), WorkActivity.RECOVER: _l("recovery"),
    WorkActivity.RECLAIM: _l("reclamation"), WorkActivity.DESTROY: _l("destruction"),
    WorkActivity.PURCHASE: _l("buying refrigerant"), WorkActivity.SELL: _l("selling"),
    WorkActivity.IMPORT: _l("import"), WorkActivity.EXPORT: _l("export"),
}
SUBSTANCE_LABELS = {
    "fluorinated": _l("fluorinated gases (CFC, HCFC, HFC, HFO and blends)"), "hydrocarbon": _l("hydrocarbons"),
    "ammonia": _l("ammonia"), "co2": _l("carbon dioxide"), "halon": _l("halons (fire protection)"),
    "other": _l("other controlled substances (solvents, fumigants)"), "cfc": _l("CFCs only"),
    "hcfc": _l("HCFCs only"), "hbfc": _l("HBFCs only"), "hfc": _l("HFCs only"), "hfo": _l("HFOs only"),
    "pfc": _l("PFCs only"),
}
assert set(SUBSTANCE_LABELS) == SUBSTANCE_TOKENS


class CategoryForm(BaseForm):
    code = StringField(_l("Code (country code, dash, letters)"), validators=[InputRequired(), Length(max=16)])
    name_en = StringField(_l("Name in English"), validators=[InputRequired(), Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[InputRequired(), Length(max=200)])
    holder_kind = SelectField(_l("Held by"), choices=choices(HOLDER_KINDS), validators=[InputRequired()])
    activities = MultiCheckboxField(_l("Work it allows"), choices=choices(ACTIVITY_LABELS.items()),
                                    validators=[InputRequired()])
    substances = MultiCheckboxField(_l("Substances it covers"), choices=choices(SUBSTANCE_LABELS.items()),
                                    validators=[InputRequired()])


class VerifyForm(BaseForm):
    token = StringField(_l("Token or scanned URL"), validators=[InputRequired(), Length(max=2000)])
