from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField

from certreg.forms import BaseForm, Email, InputRequired, Length, Optional, choices
from certreg.notify.models import SWITCHABLE
from certreg.registry.forms import CountryField, MultiCheckboxField
from certreg.vocabulary import ROLE_LABELS


class LoginForm(BaseForm):
    email = StringField(_l("E-mail"), validators=[InputRequired(), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=256)])


class UserForm(BaseForm):
    email = StringField(_l("E-mail"), validators=[InputRequired(), Length(max=255), Email()])
    display_name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=choices((r.value, label) for r, label in ROLE_LABELS.items()),
                       validators=[InputRequired()])
    country_code = CountryField(_l("Country"), validators=[InputRequired(), Length(min=2, max=2)])
    company_id = IntegerField(_l("Company (for company users)"), validators=[Optional()])
    technician_id = IntegerField(_l("Technician (for technician accounts)"), validators=[Optional()])
    is_active = BooleanField(_l("Active"), default=True)


class NewUserForm(UserForm):
    # The length rule depends on the role: the service checks it (certreg.auth.passwords).
    password = PasswordField(_l("Initial password"), validators=[InputRequired(), Length(max=256)])


class PasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=256)])


class TokenForm(BaseForm):
    name = StringField(_l("Token name (what it is for)"), validators=[InputRequired(), Length(max=120)])
    read_only = BooleanField(_l("Read-only (the token can only read, never change anything)"), default=False)


class CodeForm(BaseForm):
    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[InputRequired(), Length(max=32)])


class EnrolForm(BaseForm):
    code = StringField(_l("6-digit code shown by the app"), validators=[InputRequired(), Length(max=16)])


class ForgotPasswordForm(BaseForm):
    email = StringField(_l("E-mail"), validators=[InputRequired(), Length(max=255)])


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=256)])


class AccountPolicyForm(BaseForm):
    second_factor_for_everyone = BooleanField(
        _l("Everyone (not only officials) must use two-step sign-in"), default=False)


class EmptyForm(BaseForm):
    """A form with only the CSRF token, for buttons that POST."""


class NoticesForm(BaseForm):
    KINDS = list(SWITCHABLE)
    kinds = MultiCheckboxField(_l("E-mail me when"),
                               choices=choices((k.value, label) for k, label in SWITCHABLE.items()))
