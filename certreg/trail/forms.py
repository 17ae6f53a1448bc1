from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField

from certreg.forms import BaseForm, Length, Optional


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Text (summary, object, person)"), validators=[Optional(), Length(max=120)])
    action = StringField(_l("Action, e.g. technician.create"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
