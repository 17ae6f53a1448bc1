"""Shared form machinery.

Forms check the *syntax* of input (presence, length, format) for the web pages, the
JSON API (:func:`form_from_json`) and the CLI alike; services check the rules.
Every error message is a :class:`certreg.errors.FieldError` carrying a stable code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, SelectChoice, validators
from wtforms.fields import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput

from certreg.errors import FieldError, ValidationFailed
from certreg.inputs import INT32_MAX, date_in_range, date_window_message

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f]")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _coded(validator_cls: type, code: str) -> type:
    """Subclass a WTForms validator so its message carries ``code``."""

    def __call__(self, form, field):  # noqa: N807
        try:
            validator_cls.__call__(self, form, field)
        except StopValidation as exc:
            message = exc.args[0] if exc.args else ""
            raise StopValidation(FieldError(str(message) or _("This field is required."), code)) from None
        except ValidationError as exc:
            message = exc.args[0] if exc.args else ""
            raise ValidationError(FieldError(str(message), code)) from None

    return type(validator_cls.__name__, (validator_cls,), {"__call__": __call__})


InputRequired = _coded(validators.InputRequired, "required")
DataRequired = _coded(validators.DataRequired, "required")
Optional = validators.Optional
Email = _coded(validators.Email, "invalid_email")
NumberRange = _coded(validators.NumberRange, "out_of_range")
Regexp = _coded(validators.Regexp, "invalid_format")


class Length(validators.Length):
    def __call__(self, form, field):
        try:
            super().__call__(form, field)
        except ValidationError as exc:
            length = len(field.data or "")
            code = "too_long" if self.max != -1 and length > self.max else "too_short"
            raise ValidationError(FieldError(str(exc.args[0]), code)) from None


def _in_bounds(field: Field) -> bool:
    """Whole numbers fit a 4-byte column (ids, years); dates lie in the window of :mod:`certreg.inputs`."""
    if isinstance(field, IntegerField) and field.data is not None:
        return -INT32_MAX - 1 <= field.data <= INT32_MAX
    if isinstance(field, DateField) and isinstance(field.data, date):
        return date_in_range(field.data)
    return True


def _out_of_bounds_message(field: Field) -> str:
    if isinstance(field, DateField):
        return date_window_message()
    return _("Out of range.")


class BaseForm(FlaskForm):
    """Strips surrounding blanks, refuses control characters (NUL and friends) everywhere."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if _strip not in filters:
                filters.insert(0, _strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if not field.errors and not _in_bounds(field):
                field.errors = [FieldError(_out_of_bounds_message(field), "out_of_range")]
                ok = False
            values = field.raw_data or []
            multiline = field.type == "TextAreaField"
            pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
            if any(isinstance(v, str) and pattern.search(v) for v in values):
                message = FieldError(_("Contains characters that are not allowed (control characters)."),
                                     "invalid_characters")
                field.errors = [message]
                ok = False
        return ok

    def error_map(self) -> dict[str, list[str]]:
        return {name: list(errors) for name, errors in self.errors.items() if name != "csrf_token"}

    def apply(self, exc: ValidationFailed) -> None:
        """Show a service's refusal on the form: on its field, or on the form as a whole."""
        placed = False
        for name, messages in exc.fields.items():
            field = self._fields.get(name)
            if field is not None:
                field.errors = list(field.errors) + list(messages)
                placed = True
        if not placed:
            self.form_errors.append(FieldError(exc.message, exc.code))


def choices(pairs) -> list[SelectChoice]:
    """WTForms select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


_NUMBER_FIELDS = (IntegerField, DecimalField, FloatField)


def _expected(field: Field) -> str:
    if isinstance(field, BooleanField):
        return "boolean"
    if isinstance(field, (SelectMultipleField, FieldList)):
        return "array"
    if isinstance(field, _NUMBER_FIELDS):
        return "number"
    return "string"


def form_from_json(form_cls: type[BaseForm], payload: Any, **kwargs: Any) -> BaseForm:
    """Build and validate a form from a JSON object; raise :class:`ValidationFailed` on any error.

    Types are strict: a string field takes a string or null, a number field a number (or a
    numeric string), a boolean field a boolean, a multi-select an array of strings.
    Unknown members are refused, so typos do not pass silently.
    """
    if not isinstance(payload, Mapping):
        raise ValidationFailed(_("The request body must be a JSON object."), code="invalid_json")
    form = form_cls(formdata=None, meta={"csrf": False}, **kwargs)
    known = {name for name in form._fields if name != "csrf_token"}
    errors: dict[str, list[str]] = {}
    formdata = MultiDict()
    for key, value in payload.items():
        if key not in known:
            errors[key] = [FieldError(_("Unknown field."), "unknown_field")]
            continue
        field = form._fields[key]
        expected = _expected(field)
        if value is None:
            continue
        if expected == "boolean":
            ok = isinstance(value, bool)
            if ok and value:
                formdata.add(key, "y")
        elif expected == "array":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            if ok:
                if isinstance(field, FieldList):
                    for i, v in enumerate(value):
                        formdata.add(f"{key}-{i}", v)
                else:
                    for v in value:
                        formdata.add(key, v)
        elif expected == "number":
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or isinstance(value, str)
            if ok:
                formdata.add(key, str(value))
        else:
            ok = isinstance(value, str)
            if ok:
                formdata.add(key, value)
        if not ok:
            errors[key] = [FieldError(_("Wrong type: expected %(type)s.", type=expected), "wrong_type")]
    if errors:
        raise ValidationFailed(code="validation_failed", fields=errors)
    form = form_cls(formdata=formdata, meta={"csrf": False}, **kwargs)
    if not form.validate():
        raise ValidationFailed(fields=form.error_map())
    return form


class KilogramsField(DecimalField):
    """Kilograms: accepts ``12.5`` and ``12,5`` (and JSON numbers); the service checks the range and grams."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        text = str(valuelist[0]).strip().replace(",", ".")
        try:
            self.data = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError(FieldError(str(_l("Enter the quantity in kilograms, e.g. 12.5.")), "invalid_number")) \
                from None
        if not self.data.is_finite():
            self.data = None
            raise ValueError(FieldError(str(_l("Enter the quantity in kilograms, e.g. 12.5.")), "invalid_number"))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:f}"


class CodeSelectField(SelectField):
    """A choice whose unknown values the service refuses with its own code (so the API gets one error)."""

    def pre_validate(self, form):
        if self.data is not None and not isinstance(self.data, str):
            raise ValidationError(FieldError(str(_l("Not a valid choice.")), "invalid_choice"))
