"""Forms of the federation pages (and the API, through ``form_from_json``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from certreg.forms import BaseForm, DataRequired, Length, Optional, choices

QUESTION_LABELS = {
    "certificate-status": _l("Certificate status by number"),
    "cylinder": _l("Cylinder by serial number"),
    "ping": _l("Is the peering working?"),
    "seizure-alert": _l("Seizure alert"),
    "ipic": _l("iPIC question"),
}
ASKABLE = ("certificate-status", "cylinder", "ping")


class PeerForm(BaseForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=80)],
                       description=_l("What users see, e.g. Kazakhstan (Ministry of Ecology)"))
    base_url = StringField(_l("Address of the installation"), validators=[DataRequired(), Length(max=255)],
                           description=_l("Its base address, e.g. https://certreg.example.kz"))
    fingerprint = StringField(_l("Fingerprint of its federation key"), validators=[DataRequired(), Length(max=200)],
                              description=_l("64 hexadecimal digits, received from the other ministry by letter "
                                             "or in person (never by the same channel as the address alone)"))


class AskForm(BaseForm):
    kind = SelectField(_l("Question"), choices=choices((k, QUESTION_LABELS[k]) for k in ASKABLE),
                       validators=[DataRequired()])
    query = StringField(_l("Certificate number or cylinder serial"), validators=[Optional(), Length(max=64)])


class AskPageForm(AskForm):
    peer_id = SelectField(_l("Installation"), coerce=int, validators=[DataRequired()])


class EmptyForm(BaseForm):
    """The buttons that change a peer (suspend, resume, remove, sync): only the CSRF token."""
