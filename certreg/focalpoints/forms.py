"""The focal point form (syntax only; the service checks the values)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from certreg.focalpoints.models import KIND_LABELS
from certreg.forms import BaseForm, InputRequired, Length, Optional, choices


class FocalPointForm(BaseForm):
    kind = SelectField(_l("Kind"), choices=choices(KIND_LABELS.items()), validators=[InputRequired()])
    code = StringField(_l("Short code"), validators=[InputRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=255)])
    post = StringField(_l("Post (title)"), validators=[Optional(), Length(max=120)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    languages = StringField(_l("Languages"), validators=[Optional(), Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)], render_kw={"inputmode": "tel"})
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255)], render_kw={"inputmode": "email"})
    hours = StringField(_l("Hours"), validators=[Optional(), Length(max=120)])
    neighbour_country = StringField(_l("Border posts: country across the border (two letters)"),
                                    validators=[Optional(), Length(max=2)])
