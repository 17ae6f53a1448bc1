"""Registry forms: syntax only; the rules live in :mod:`certreg.registry.services`."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from certreg.db import today
from certreg.errors import FieldError
from certreg.forms import BaseForm, Email, InputRequired, Length, Optional, choices
from certreg.i18n import country_name
from certreg.registry.models import ACTIVITY_LABELS, AUTHORITY_KIND_LABELS, Activity
from certreg.registry.services import active_countries


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _not_in_future(form, field) -> None:
    if field.data and field.data > today():
        raise ValidationError(FieldError(str(_l("The date cannot be in the future.")), "date_in_future"))


def _plausible_birth_date(form, field) -> None:
    if field.data and not (date(1900, 1, 1) <= field.data <= today().replace(year=today().year - 14)):
        message = str(_l("Enter a real date of birth (at least 14 years ago)."))
        raise ValidationError(FieldError(message, "implausible_date"))


def country_choices(*, blank: str | None = None) -> list[SelectChoice]:
    """The active countries, named in the reader's language."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(c.code, f"{country_name(c.code)} ({c.code})") for c in active_countries()]


class CountryField(SelectField):
    """A country code. The options are the active countries, read when the form is rendered."""

    def iter_choices(self):
        if not self.choices:
            self.choices = country_choices()
        return super().iter_choices()

    def pre_validate(self, form) -> None:
        # The service decides whether the country exists; an unknown code is its field error.
        if self.data is not None and not isinstance(self.data, str):
            raise ValidationError(FieldError(str(_l("Not a valid choice.")), "invalid_choice"))


class TechnicianForm(BaseForm):
    country_code = CountryField(_l("Country"), validators=[InputRequired(), Length(min=2, max=2)])
    full_name = StringField(
        _l("Full name (as in the ID document)"), validators=[InputRequired(), Length(max=255)]
    )
    full_name_latin = StringField(
        _l("Full name in Latin script (as in the passport)"), validators=[InputRequired(), Length(max=120)]
    )
    national_id = StringField(_l("National ID number"), validators=[InputRequired(), Length(max=64)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired(), _plausible_birth_date])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255), Email()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])


class TechnicianContactForm(BaseForm):
    """What technicians may change about themselves."""
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255), Email()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])


class TrainingForm(BaseForm):
    course = StringField(_l("Course"), validators=[InputRequired(), Length(max=255)])
    completed_on = DateField(_l("Completed on"), validators=[InputRequired(), _not_in_future])
    provider = StringField(_l("Training provider"), validators=[InputRequired(), Length(max=255)])


class CompanyForm(BaseForm):
    country_code = CountryField(_l("Country"), validators=[InputRequired(), Length(min=2, max=2)])
    legal_name = StringField(_l("Legal name"), validators=[InputRequired(), Length(max=255)])
    name_latin = StringField(_l("Name in Latin script"), validators=[InputRequired(), Length(max=120)])
    registration_number = StringField(
        _l("Registration / tax number"), validators=[InputRequired(), Length(max=64)]
    )
    address = StringField(_l("Address"), validators=[InputRequired(), Length(max=255)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255), Email()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    activities = MultiCheckboxField(
        _l("Activities"),
        choices=choices((a.value, label) for a, label in ACTIVITY_LABELS.items()),
        validators=[InputRequired()],
    )

    def validate_activities(self, field) -> None:
        valid = {a.value for a in Activity}
        if not field.data or any(value not in valid for value in field.data):
            raise ValidationError(FieldError(str(_l("Choose one or more of the listed activities.")), "invalid_choice"))


class CompanyContactForm(BaseForm):
    """What a company's own users may change."""
    address = StringField(_l("Address"), validators=[InputRequired(), Length(max=255)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255), Email()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])


class EmploymentForm(BaseForm):
    national_id = StringField(
        _l("Technician's national ID number"), validators=[InputRequired(), Length(max=64)]
    )
    started_on = DateField(_l("Employed since"), validators=[InputRequired()])


class SearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, certificate or registration number"), validators=[Optional(), Length(max=120)])
    country = SelectField(_l("Country"), validators=[Optional()], validate_choice=False)


class EndEmploymentForm(BaseForm):
    ended_on = DateField(_l("Employed until"), validators=[InputRequired()])



class AuthorityForm(BaseForm):
    name = StringField(_l("Name of the authority"), validators=[InputRequired(), Length(max=255)])
    kind = SelectField(_l("Kind"), choices=choices((k.value, label) for k, label in AUTHORITY_KIND_LABELS.items()),
                       validators=[InputRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
